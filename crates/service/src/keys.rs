//! Where the key protecting personal fields comes from, and how it is replaced.
//!
//! The key is `FANGPIN_KEY` (the key text itself, for container secrets) or a key file
//! (`--key-file`, `FANGPIN_KEY_FILE`, default [`default_key_file`]). The default is kept
//! away from the default database (`fangpin.db` in the working directory): a key beside the
//! database ends up in the same copy, the same backup and the same stolen folder, which is
//! exactly what the encryption is meant to survive. The key never enters the database.
//!
//! [`rotate`] moves a database to a new key (of the same or another suite): `fangpin key
//! rotate`.

use crate::ServiceError;
use std::path::{Path, PathBuf};
use store::rotation::{RotateOptions, RotationReport};
use store::{Store, Suite, Vault};

/// The environment variable holding the key text.
pub const KEY_ENV: &str = "FANGPIN_KEY";

/// The key file name in the default folders.
const KEY_NAME: &str = "fangpin.key";

/// The default key file: `/etc/fangpin/fangpin.key` for root (a service installed system-
/// wide), otherwise the user's configuration folder — `$XDG_CONFIG_HOME/fangpin/fangpin.key`,
/// else `~/.config/fangpin/fangpin.key`. Never the working directory, where the default
/// database lives.
pub fn default_key_file() -> PathBuf {
    let system = PathBuf::from("/etc/fangpin").join(KEY_NAME);
    if running_as_root() {
        return system;
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|h| h.join(".config"))
        });
    match config {
        Some(dir) => dir.join("fangpin").join(KEY_NAME),
        None => system,
    }
}

/// Whether the process runs as root: the owner of `/proc/self` is the effective user (no
/// `unsafe` call to `geteuid` needed); elsewhere, a `HOME` of `/root`.
fn running_as_root() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(m) = std::fs::metadata("/proc/self") {
            return m.uid() == 0;
        }
    }
    std::env::var_os("HOME").is_some_and(|h| h == "/root")
}

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
            let f = self.file.display();
            // The default used to be the working directory: say where an old key is.
            let old = Path::new(KEY_NAME);
            if self.file == default_key_file() && old.exists() {
                return Err(ServiceError::Invalid(format!(
                    "找不到密钥文件 {f}。当前目录下有 {KEY_NAME}（旧版本的默认位置，与默认数据库\
                     放在一起并不安全）：请把它移到 {f}（mkdir -p {dir} && mv {KEY_NAME} {f} && \
                     chmod 600 {f}），或用 --key-file 指定它的位置",
                    dir = self
                        .file
                        .parent()
                        .map(|d| d.display().to_string())
                        .unwrap_or_default(),
                )));
            }
            return Err(ServiceError::Invalid(format!(
                "找不到密钥文件 {f}。新部署请先运行“fangpin keygen --key-file {f}”生成密钥，\
                 并妥善备份：丢失密钥将无法解密证件号码和电话"
            )));
        }
        Ok(Vault::load(&self.file).map_err(store::StoreError::from)?)
    }

    /// Loads the key, creating the key file first if neither it nor `FANGPIN_KEY` exists.
    pub fn load_or_create(&self) -> Result<(Vault, bool), ServiceError> {
        if std::env::var(KEY_ENV).is_err() && !self.file.exists() {
            let v = Vault::create_file(&self.file, Suite::ChaCha20, 1)
                .map_err(store::StoreError::from)?;
            return Ok((v, true));
        }
        Ok((self.load()?, false))
    }
}

/// Creates a new key file of `suite` (key id 1), refusing to overwrite one.
pub fn generate(path: &Path, suite: Suite) -> Result<Vault, ServiceError> {
    Ok(Vault::create_file(path, suite, 1).map_err(store::StoreError::from)?)
}

/// The id of the key that follows `id` in a rotation (1–255, then 1 again: 0 is the id of
/// the original v1 keys, and by the end of a rotation no value under the old id is left).
pub fn next_key_id(id: u8) -> u8 {
    if id == u8::MAX { 1 } else { id + 1 }
}

/// A finished (or interrupted) rotation.
#[derive(Debug)]
pub struct Rotation {
    pub report: RotationReport,
    pub old_fingerprint: String,
    pub new_fingerprint: String,
    pub suite: Suite,
    pub key_id: u8,
    /// The new key file was created by this run.
    pub created: bool,
}

/// Moves the database at `url` from the key of `old` to the key in `new_file`, which is
/// created (of `suite`, default the old key's) when it does not exist yet. Running it again
/// after an interruption — with the same two keys — finishes the job.
pub async fn rotate(
    url: &str,
    old: &KeySource,
    new_file: &Path,
    suite: Option<Suite>,
    opts: &RotateOptions,
    who: store::audit::Who,
    progress: impl FnMut(&str, u64),
) -> Result<Rotation, ServiceError> {
    let old = old.load()?;
    let (new, created) = if new_file.exists() {
        let new = Vault::load(new_file).map_err(store::StoreError::from)?;
        if let Some(s) = suite.filter(|s| *s != new.suite()) {
            return Err(ServiceError::Invalid(format!(
                "新密钥文件 {} 已存在，其算法套件为 {}，与 --suite {} 不符",
                new_file.display(),
                new.suite().name(),
                s.name()
            )));
        }
        (new, false)
    } else {
        let new = Vault::create_file(
            new_file,
            suite.unwrap_or(old.suite()),
            next_key_id(old.key_id()),
        )
        .map_err(store::StoreError::from)?;
        (new, true)
    };
    let both = Vault::rotating(&old, &new).map_err(store::StoreError::from)?;
    // The audit row of the rotation names the operator.
    let store = Store::open(url, both).await?.acting_as(who);
    let report = store.rotate_keys(opts, progress).await;
    store.close().await;
    Ok(Rotation {
        report: report?,
        old_fingerprint: old.fingerprint().to_string(),
        new_fingerprint: new.fingerprint().to_string(),
        suite: new.suite(),
        key_id: new.key_id(),
        created,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_key_is_not_in_the_working_directory() {
        let p = default_key_file();
        assert!(p.is_absolute(), "{}", p.display());
        assert!(p.ends_with("fangpin/fangpin.key"), "{}", p.display());
        assert_ne!(
            p.parent(),
            std::env::current_dir().ok().as_deref(),
            "not beside the default database"
        );
    }

    #[test]
    fn key_ids_cycle_past_zero() {
        assert_eq!(next_key_id(0), 1);
        assert_eq!(next_key_id(1), 2);
        assert_eq!(next_key_id(255), 1);
    }
}
