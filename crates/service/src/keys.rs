//! Where the key protecting personal fields comes from: `FANGPIN_KEY` (the key text itself,
//! for container secrets) or a key file (`--key-file`, `FANGPIN_KEY_FILE`, default
//! `fangpin.key` beside the working directory). The key never enters the database.

use crate::ServiceError;
use std::path::{Path, PathBuf};
use store::Vault;

/// The environment variable holding the key text.
pub const KEY_ENV: &str = "FANGPIN_KEY";

/// How to find the key.
#[derive(Debug, Clone)]
pub struct KeySource {
    pub file: PathBuf,
}

impl KeySource {
    /// Loads the key: `FANGPIN_KEY` wins over the file.
    pub fn load(&self) -> Result<Vault, ServiceError> {
        if let Ok(text) = std::env::var(KEY_ENV) {
            return Vault::from_text(&text)
                .map_err(|e| ServiceError::Invalid(format!("{KEY_ENV}: {e}")));
        }
        if !self.file.exists() {
            return Err(ServiceError::Invalid(format!(
                "找不到密钥文件 {}。新部署请先运行“fangpin keygen --key-file {}”生成密钥，\
                 并妥善备份：丢失密钥将无法解密证件号码和电话",
                self.file.display(),
                self.file.display()
            )));
        }
        Ok(Vault::load(&self.file).map_err(store::StoreError::from)?)
    }

    /// Loads the key, creating the key file first if neither it nor `FANGPIN_KEY` exists.
    pub fn load_or_create(&self) -> Result<(Vault, bool), ServiceError> {
        if std::env::var(KEY_ENV).is_err() && !self.file.exists() {
            let v = Vault::create_file(&self.file).map_err(store::StoreError::from)?;
            return Ok((v, true));
        }
        Ok((self.load()?, false))
    }
}

/// Creates a new key file, refusing to overwrite one.
pub fn generate(path: &Path) -> Result<Vault, ServiceError> {
    Ok(Vault::create_file(path).map_err(store::StoreError::from)?)
}
