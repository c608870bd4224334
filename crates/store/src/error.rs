//! Storage errors. Messages meant for users are Chinese; the cause chain stays for logs.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("数据库配置错误：{0}")]
    Config(String),
    #[error("数据库错误：{0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("数据库迁移失败：{0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(
        "密钥与数据库不匹配：该数据库使用指纹为 {expected} 的密钥加密，当前密钥指纹为 {actual}。\
         请使用创建该数据库时的密钥文件"
    )]
    WrongKey { expected: String, actual: String },
    #[error(transparent)]
    Key(#[from] crate::crypto::KeyError),
    #[error("未找到：{0}")]
    NotFound(String),
    #[error("数据冲突：{0}")]
    Conflict(String),
    #[error("数据库中的值无效：{0}")]
    Corrupt(String),
}
