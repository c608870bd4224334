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
    #[error(
        "该数据库的密钥轮换尚未完成（指纹 {from} → {to}）：请用同样的参数重新运行 \
         fangpin key rotate 完成轮换，之后再使用新密钥"
    )]
    RotationPending { from: String, to: String },
    #[error(transparent)]
    Key(#[from] crate::crypto::KeyError),
    #[error("未找到：{0}")]
    NotFound(String),
    #[error("数据冲突：{0}")]
    Conflict(String),
    #[error("数据库中的值无效：{0}")]
    Corrupt(String),
    /// Another transaction held the database's write lock for longer than this handle
    /// waits ([`crate::Store::with_write_wait`]).
    #[error("数据库正忙：另一项导入或筛查正在写入，请稍后重试")]
    Busy,
}

impl StoreError {
    /// The database could not be reached or dropped the connection (a restart, a network
    /// cut, every connection busy for too long): nothing was changed, and the same request
    /// may succeed a moment later.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Busy
            | StoreError::Sqlx(
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed,
            ) => true,
            StoreError::Sqlx(sqlx::Error::Database(d)) => d.code().is_some_and(|c| {
                if c.len() == 5 {
                    // PostgreSQL's SQLSTATE. Class 08 (connection exception); 57P01–57P03:
                    // the server is shutting down, crashed, or not yet accepting
                    // connections; 40P01, 40001: chosen as the victim of a deadlock or of a
                    // serialisation conflict (rolled back whole); 55P03: a lock not
                    // obtained in time.
                    c.starts_with("08")
                        || matches!(
                            &*c,
                            "57P01" | "57P02" | "57P03" | "40P01" | "40001" | "55P03"
                        )
                } else {
                    // SQLite's extended result code, whose low byte is the primary one:
                    // SQLITE_BUSY (5, "database is locked") and SQLITE_LOCKED (6) after
                    // the busy timeout. The statement did nothing.
                    c.parse::<i32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6))
                }
            }),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StoreError;

    #[test]
    fn a_lost_database_is_unavailable_and_a_missing_row_is_not() {
        let broken = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(StoreError::Sqlx(sqlx::Error::Io(broken)).is_unavailable());
        assert!(StoreError::Sqlx(sqlx::Error::PoolTimedOut).is_unavailable());
        assert!(!StoreError::Sqlx(sqlx::Error::RowNotFound).is_unavailable());
        assert!(!StoreError::NotFound("农户 1".into()).is_unavailable());
        assert!(!StoreError::Conflict("案件".into()).is_unavailable());
    }
}
