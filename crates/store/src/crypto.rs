//! Protection of personal information at rest (PIPL 敏感个人信息).
//!
//! ID numbers and phone numbers are stored encrypted with ChaCha20-Poly1305 (an AEAD: a
//! changed byte is detected, not silently decrypted) under a random 96-bit nonce, and the
//! field's name as associated data so that a ciphertext cannot be moved to another column.
//! Beside each ciphertext sits a keyed hash (HMAC-SHA256 truncated to 128 bits) that allows
//! exact lookup and matching of department feeds without decrypting anything; without the
//! key the hash cannot be recomputed from a guessed number.
//!
//! Both keys derive (HKDF-SHA256) from one 256-bit master key kept outside the database: in a
//! key file or in the environment. The database records only a fingerprint of the key, so
//! that starting with the wrong key is refused instead of corrupting data.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::fmt;
use std::path::Path;

const PREFIX: &str = "fangpin-key-v1:";
const NONCE_LEN: usize = 12;
/// Length of the stored keyed hash.
pub const DIGEST_LEN: usize = 16;

/// Which personal field a value belongs to; bound into ciphertexts and hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// 证件号码
    IdNumber,
    /// 联系电话
    Phone,
}

impl Field {
    fn label(self) -> &'static [u8] {
        match self {
            Field::IdNumber => b"id_number",
            Field::Phone => b"phone",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("无法读取密钥文件 {0}: {1}")]
    Read(String, std::io::Error),
    #[error("无法写入密钥文件 {0}: {1}")]
    Write(String, std::io::Error),
    #[error("密钥格式错误：应为“{PREFIX}”加64位十六进制字符")]
    Format,
    #[error("密钥文件 {0} 已存在，不会覆盖")]
    Exists(String),
    #[error("加密数据已损坏或密钥不符，无法解密")]
    Decrypt,
}

/// The keys that protect personal fields. Cheap to clone; never printed.
#[derive(Clone)]
pub struct Vault {
    aead: ChaCha20Poly1305,
    mac: Hmac<Sha256>,
    /// The key of the audit log's chain (HMAC-SHA256), derived from the same master key:
    /// kept beside the field keys, never in the database (`store::audit`).
    audit: Hmac<Sha256>,
    fingerprint: String,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Vault(fingerprint={})", self.fingerprint)
    }
}

impl Vault {
    /// From the 32-byte master key.
    pub fn from_master(master: &[u8; 32]) -> Self {
        let hk = hkdf::Hkdf::<Sha256>::new(Some(b"fangpin"), master);
        let mut enc = [0u8; 32];
        let mut mac = [0u8; 32];
        hk.expand(b"fangpin/aead/v1", &mut enc)
            .expect("32 bytes is a valid HKDF output length");
        hk.expand(b"fangpin/mac/v1", &mut mac)
            .expect("32 bytes is a valid HKDF output length");
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(&mac).expect("HMAC takes any key length");
        let mut audit = [0u8; 32];
        hk.expand(b"fangpin/audit/v1", &mut audit)
            .expect("32 bytes is a valid HKDF output length");
        let audit =
            <Hmac<Sha256> as Mac>::new_from_slice(&audit).expect("HMAC takes any key length");
        let mut fp = mac.clone();
        fp.update(b"fangpin/fingerprint");
        let fingerprint = hex::encode(&fp.finalize().into_bytes()[..8]);
        Self {
            aead: ChaCha20Poly1305::new(Key::from_slice(&enc)),
            mac,
            audit,
            fingerprint,
        }
    }

    /// A fresh HMAC of the audit chain's key, ready for one row.
    pub(crate) fn audit_mac(&self) -> Hmac<Sha256> {
        self.audit.clone()
    }

    /// Parses the textual key form `fangpin-key-v1:<64 hex>`.
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        let hexpart = text.trim().strip_prefix(PREFIX).ok_or(KeyError::Format)?;
        let bytes = hex::decode(hexpart).map_err(|_| KeyError::Format)?;
        let master: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Format)?;
        Ok(Self::from_master(&master))
    }

    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| KeyError::Read(path.display().to_string(), e))?;
        Self::from_text(&text)
    }

    /// A new random key in its textual form.
    pub fn generate_text() -> String {
        let mut master = [0u8; 32];
        rand::rng().fill_bytes(&mut master);
        format!("{PREFIX}{}\n", hex::encode(master))
    }

    /// Creates a new key file readable by its owner only; refuses to overwrite one.
    pub fn create_file(path: &Path) -> Result<Self, KeyError> {
        use std::io::Write;
        let text = Self::generate_text();
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                KeyError::Exists(path.display().to_string())
            } else {
                KeyError::Write(path.display().to_string(), e)
            }
        })?;
        f.write_all(text.as_bytes())
            .map_err(|e| KeyError::Write(path.display().to_string(), e))?;
        Self::from_text(&text)
    }

    /// A short public fingerprint of the key, stored in the database to detect a wrong key.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Encrypts a personal value: nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, field: Field, plaintext: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let ct = self
            .aead
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: field.label(),
                },
            )
            .expect("ChaCha20-Poly1305 encryption of a short value cannot fail");
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Decrypts what [`Vault::seal`] produced for the same field.
    pub fn open(&self, field: Field, sealed: &[u8]) -> Result<String, KeyError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(KeyError::Decrypt);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let pt = self
            .aead
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: field.label(),
                },
            )
            .map_err(|_| KeyError::Decrypt)?;
        String::from_utf8(pt).map_err(|_| KeyError::Decrypt)
    }

    /// The keyed hash used for exact lookup and matching.
    pub fn digest(&self, field: Field, value: &str) -> [u8; DIGEST_LEN] {
        let mut m = self.mac.clone();
        m.update(field.label());
        m.update(b"\0");
        m.update(value.as_bytes());
        let full = m.finalize().into_bytes();
        let mut out = [0u8; DIGEST_LEN];
        out.copy_from_slice(&full[..DIGEST_LEN]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_digest() {
        let v = Vault::from_text(&Vault::generate_text()).unwrap();
        let a = v.seal(Field::IdNumber, "11010519491231002X");
        let b = v.seal(Field::IdNumber, "11010519491231002X");
        assert_ne!(a, b, "random nonces");
        assert_eq!(v.open(Field::IdNumber, &a).unwrap(), "11010519491231002X");
        assert!(v.open(Field::Phone, &a).is_err(), "bound to its field");
        let mut t = a.clone();
        t[20] ^= 1;
        assert!(v.open(Field::IdNumber, &t).is_err(), "tampering detected");
        assert_eq!(
            v.digest(Field::IdNumber, "x"),
            v.digest(Field::IdNumber, "x")
        );
        assert_ne!(v.digest(Field::IdNumber, "x"), v.digest(Field::Phone, "x"));
        let other = Vault::from_text(&Vault::generate_text()).unwrap();
        assert_ne!(
            other.digest(Field::IdNumber, "x"),
            v.digest(Field::IdNumber, "x")
        );
        assert_ne!(other.fingerprint(), v.fingerprint());
        assert!(!format!("{v:?}").contains("key:"));
    }

    #[test]
    fn key_file_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.key");
        let v = Vault::create_file(&p).unwrap();
        assert_eq!(Vault::load(&p).unwrap().fingerprint(), v.fingerprint());
        assert!(matches!(Vault::create_file(&p), Err(KeyError::Exists(_))));
        assert!(Vault::from_text("nonsense").is_err());
    }
}
