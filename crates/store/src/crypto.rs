//! Protection of personal information at rest (PIPL 敏感个人信息).
//!
//! ID numbers and phone numbers are stored encrypted with an AEAD (a changed byte is
//! detected, not silently decrypted) under a random 96-bit nonce. Beside each ciphertext sits
//! a keyed hash (an HMAC truncated to 128 bits) that allows exact lookup and matching of
//! department feeds without decrypting anything; without the key the hash cannot be
//! recomputed from a guessed number.
//!
//! **Suites.** Which algorithms, is a property of the key (its text names the suite):
//! `chacha20` — ChaCha20-Poly1305, HMAC-SHA256, HKDF-SHA256 (the original choice, still the
//! default) — or `sm4` — SM4-GCM, HMAC-SM3, HKDF-SM3, the national algorithms a deployment
//! assessed under GB/T 39786-2021 (密评) is expected to use.
//!
//! **Stored form.** `[format][key id][nonce 12][ciphertext ‖ tag 16]`. The format byte names
//! the layout and the AEAD (1: ChaCha20-Poly1305, 2: SM4-GCM); the key id names which master
//! key sealed it, so that during a rotation ([`Vault::rotating`]) the right key is picked per
//! value. The associated data binds the value to its field *and its row* ([`Row`]): a
//! ciphertext copied into another column or another person's row does not open.
//!
//! **Legacy.** Databases written before this format hold `nonce ‖ ciphertext ‖ tag`, bound to
//! the field only, under a `fangpin-key-v1` key. Such a key has id 0 and may still open
//! them; `fangpin key rotate` rewrites every value in the current form.
//!
//! The per-purpose keys derive by HKDF from one 256-bit master key kept outside the database:
//! in a key file or in the environment. The database records only a fingerprint of the key,
//! so that starting with the wrong key is refused instead of corrupting data.

use aes_gcm::AesGcm;
use aes_gcm::aead::consts::U12;
use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use sm3::Sm3;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

const PREFIX_V1: &str = "fangpin-key-v1:";
const PREFIX_V2: &str = "fangpin-key-v2:";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Format byte and key-id byte in front of every value sealed now.
const HEADER_LEN: usize = 2;
/// Length of the stored keyed hash.
pub const DIGEST_LEN: usize = 16;

/// SM4 in Galois/Counter Mode with a 96-bit nonce and a 128-bit tag (GB/T 36624 lists GCM
/// among the modes for SM4), built from the generic GCM of `aes-gcm`.
type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

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

    fn chinese(self) -> &'static str {
        match self {
            Field::IdNumber => "证件号码",
            Field::Phone => "联系电话",
        }
    }
}

/// The row a sealed value belongs to, bound into its associated data: each row is named by a
/// key that is known when the row is written and never changes afterwards, so a ciphertext
/// moved to another row (another person) fails to open instead of showing that person
/// someone else's number.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    table: &'static str,
    key: RowKey<'a>,
}

#[derive(Debug, Clone, Copy)]
enum RowKey<'a> {
    Bytes(&'a [u8]),
    Int(i64),
}

impl<'a> Row<'a> {
    /// A household by its 户编号 (its natural key, never changed by an import).
    pub fn household(household_no: &'a str) -> Self {
        Row {
            table: "households",
            key: RowKey::Bytes(household_no.as_bytes()),
        }
    }

    /// A member by the keyed hash of its ID number: the registry's key for a person (the
    /// unique `members.id_hash`), known before the bulk insert assigns a row id, and kept
    /// when a member moves to another household.
    pub fn member(id_hash: &'a [u8]) -> Self {
        Row {
            table: "members",
            key: RowKey::Bytes(id_hash),
        }
    }

    /// A self-declaration by its 回执码.
    pub fn declaration(receipt: &'a str) -> Self {
        Row {
            table: "declarations",
            key: RowKey::Bytes(receipt.as_bytes()),
        }
    }

    /// A 帮扶责任人 by row id.
    pub fn helper(id: i64) -> Self {
        Row {
            table: "helpers",
            key: RowKey::Int(id),
        }
    }

    /// A row named by the bytes of its key column (the rotation, which reads them raw).
    pub(crate) fn from_table_key(table: &'static str, key: &'a [u8]) -> Self {
        Row {
            table,
            key: RowKey::Bytes(key),
        }
    }

    fn aad(&self, field: Field) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(b"fangpin/aad/v1\0");
        out.extend_from_slice(field.label());
        out.push(0);
        out.extend_from_slice(self.table.as_bytes());
        out.push(0);
        match self.key {
            RowKey::Bytes(b) => out.extend_from_slice(b),
            RowKey::Int(i) => out.extend_from_slice(&i.to_be_bytes()),
        }
        out
    }
}

/// 密码算法套件: the algorithms of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// ChaCha20-Poly1305, HMAC-SHA256, HKDF-SHA256.
    ChaCha20,
    /// SM4-GCM, HMAC-SM3, HKDF-SM3 (商用密码).
    Sm4,
}

impl Suite {
    /// The name in key texts and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Suite::ChaCha20 => "chacha20",
            Suite::Sm4 => "sm4",
        }
    }

    pub fn parse(s: &str) -> Result<Suite, KeyError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "chacha20" => Ok(Suite::ChaCha20),
            "sm4" => Ok(Suite::Sm4),
            _ => Err(KeyError::Suite(s.chars().take(20).collect())),
        }
    }

    /// The algorithms, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Suite::ChaCha20 => "ChaCha20-Poly1305 / HMAC-SHA256",
            Suite::Sm4 => "SM4-GCM / HMAC-SM3",
        }
    }

    /// The format byte of values sealed with this suite.
    fn format(self) -> u8 {
        match self {
            Suite::ChaCha20 => 1,
            Suite::Sm4 => 2,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("无法读取密钥文件 {0}: {1}")]
    Read(String, std::io::Error),
    #[error("无法写入密钥文件 {0}: {1}")]
    Write(String, std::io::Error),
    #[error(
        "密钥格式错误：应为“{PREFIX_V2}<chacha20|sm4>:<编号1-255>:<64位十六进制>”\
         或旧格式“{PREFIX_V1}<64位十六进制>”"
    )]
    Format,
    #[error("不支持的密码算法套件“{0}”：应为 chacha20 或 sm4")]
    Suite(String),
    #[error("密钥文件 {0} 已存在，不会覆盖")]
    Exists(String),
    #[error(
        "密钥文件 {path} 的权限为 {mode:03o}，同组或其他用户也能访问。请运行“chmod 600 {path}”，\
         只让运行 fangpin 的账号读写，再重试"
    )]
    Permissions { path: String, mode: u32 },
    #[error("{field}的密文无法解密（{table} 表）：数据已被改动或被移到了别的记录，或者密钥不符")]
    Decrypt {
        field: &'static str,
        table: &'static str,
    },
    #[error(
        "{field}的密文由编号为 {id} 的密钥加密（{table} 表），当前没有这把密钥：\
         请使用当时的密钥文件，或用 fangpin key rotate 完成密钥轮换"
    )]
    UnknownKey {
        field: &'static str,
        table: &'static str,
        id: u8,
    },
    #[error("新旧密钥不能相同（编号 {0}）：轮换需要一把编号不同的新密钥")]
    SameKey(u8),
}

enum Cipher {
    ChaCha(ChaCha20Poly1305),
    Sm4(Sm4Gcm),
}

#[derive(Clone)]
enum MacKey {
    Sha256(Hmac<Sha256>),
    Sm3(Hmac<Sm3>),
}

impl MacKey {
    fn tag(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut out = [0u8; 32];
        match self {
            MacKey::Sha256(m) => {
                let mut m = m.clone();
                parts.iter().for_each(|p| m.update(p));
                out.copy_from_slice(&m.finalize().into_bytes());
            }
            MacKey::Sm3(m) => {
                let mut m = m.clone();
                parts.iter().for_each(|p| m.update(p));
                out.copy_from_slice(&m.finalize().into_bytes());
            }
        }
        out
    }
}

/// One master key with what derives from it.
struct Key {
    id: u8,
    suite: Suite,
    /// A `fangpin-key-v1` key: may open the header-less values written before key ids.
    legacy: bool,
    cipher: Cipher,
    mac: MacKey,
    /// The key of the audit log's chain, kept beside the field keys and never in the
    /// database (`store::audit`): HMAC-SHA256 in the ChaCha20 suite, HMAC-SM3 in the SM4
    /// suite, so that a 密评 deployment's integrity protection is national throughout.
    audit: AuditMac,
    fingerprint: String,
}

impl Key {
    fn new(master: &[u8; 32], suite: Suite, id: u8, legacy: bool) -> Key {
        let mut audit = [0u8; 32];
        let (cipher, mac) = match suite {
            Suite::ChaCha20 => {
                // The derivation of the original design, so that a v1 key keeps its hashes.
                let hk = hkdf::Hkdf::<Sha256>::new(Some(b"fangpin"), master);
                let mut enc = [0u8; 32];
                let mut mac = [0u8; 32];
                hk.expand(b"fangpin/aead/v1", &mut enc)
                    .expect("32 bytes is a valid HKDF output length");
                hk.expand(b"fangpin/mac/v1", &mut mac)
                    .expect("32 bytes is a valid HKDF output length");
                hk.expand(b"fangpin/audit/v1", &mut audit)
                    .expect("32 bytes is a valid HKDF output length");
                (
                    Cipher::ChaCha(ChaCha20Poly1305::new(&enc.into())),
                    MacKey::Sha256(
                        <Hmac<Sha256> as Mac>::new_from_slice(&mac)
                            .expect("HMAC takes any key length"),
                    ),
                )
            }
            Suite::Sm4 => {
                // Every primitive national: the key schedule too (HKDF over HMAC-SM3).
                let hk = hkdf::Hkdf::<Sm3>::new(Some(b"fangpin"), master);
                let mut enc = [0u8; 16];
                let mut mac = [0u8; 32];
                hk.expand(b"fangpin/sm4-gcm/v2", &mut enc)
                    .expect("16 bytes is a valid HKDF output length");
                hk.expand(b"fangpin/hmac-sm3/v2", &mut mac)
                    .expect("32 bytes is a valid HKDF output length");
                hk.expand(b"fangpin/audit/v2", &mut audit)
                    .expect("32 bytes is a valid HKDF output length");
                (
                    Cipher::Sm4(Sm4Gcm::new(&enc.into())),
                    MacKey::Sm3(
                        <Hmac<Sm3> as Mac>::new_from_slice(&mac)
                            .expect("HMAC takes any key length"),
                    ),
                )
            }
        };
        let fp = if legacy {
            mac.tag(&[b"fangpin/fingerprint"])
        } else {
            mac.tag(&[b"fangpin/fingerprint/v2\0", suite.name().as_bytes(), &[id]])
        };
        Key {
            id,
            suite,
            legacy,
            cipher,
            mac,
            audit: match suite {
                Suite::ChaCha20 => AuditMac::Sha256(
                    <Hmac<Sha256> as Mac>::new_from_slice(&audit)
                        .expect("HMAC takes any key length"),
                ),
                Suite::Sm4 => AuditMac::Sm3(
                    <Hmac<Sm3> as Mac>::new_from_slice(&audit).expect("HMAC takes any key length"),
                ),
            },
            fingerprint: hex::encode(&fp[..8]),
        }
    }

    fn encrypt(&self, nonce: &[u8; NONCE_LEN], msg: &[u8], aad: &[u8]) -> Vec<u8> {
        let payload = Payload { msg, aad };
        match &self.cipher {
            Cipher::ChaCha(c) => c.encrypt(nonce.into(), payload),
            Cipher::Sm4(c) => c.encrypt(nonce.into(), payload),
        }
        .expect("AEAD encryption of a short value cannot fail")
    }

    fn decrypt(&self, nonce: &[u8], ct: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        let payload = Payload { msg: ct, aad };
        let nonce: &[u8; NONCE_LEN] = nonce.try_into().ok()?;
        match &self.cipher {
            Cipher::ChaCha(c) => c.decrypt(nonce.into(), payload),
            Cipher::Sm4(c) => c.decrypt(nonce.into(), payload),
        }
        .ok()
    }
}

/// The keys that protect personal fields. Cheap to clone; never printed.
///
/// Holds the current key, which seals and hashes, and during a rotation the previous one,
/// which only opens.
#[derive(Clone)]
pub struct Vault {
    current: Arc<Key>,
    previous: Option<Arc<Key>>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Vault(fingerprint={}, suite={}, id={})",
            self.current.fingerprint,
            self.current.suite.name(),
            self.current.id
        )
    }
}

impl Vault {
    /// A `fangpin-key-v1` key from its 32-byte master key: ChaCha20-Poly1305 / HMAC-SHA256,
    /// key id 0, able to open legacy values.
    pub fn from_master(master: &[u8; 32]) -> Self {
        Self::single(Key::new(master, Suite::ChaCha20, 0, true))
    }

    /// A current-format key (ids 1–255; 0 belongs to v1 keys).
    pub fn new(master: &[u8; 32], suite: Suite, id: u8) -> Result<Self, KeyError> {
        if id == 0 {
            return Err(KeyError::Format);
        }
        Ok(Self::single(Key::new(master, suite, id, false)))
    }

    fn single(key: Key) -> Self {
        Vault {
            current: Arc::new(key),
            previous: None,
        }
    }

    /// Parses a key text: `fangpin-key-v2:<suite>:<id>:<64 hex>` or the original
    /// `fangpin-key-v1:<64 hex>`.
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let master = |hexpart: &str| -> Result<[u8; 32], KeyError> {
            let bytes = hex::decode(hexpart).map_err(|_| KeyError::Format)?;
            bytes.try_into().map_err(|_| KeyError::Format)
        };
        if let Some(hexpart) = text.strip_prefix(PREFIX_V1) {
            return Ok(Self::from_master(&master(hexpart)?));
        }
        let rest = text.strip_prefix(PREFIX_V2).ok_or(KeyError::Format)?;
        let mut parts = rest.splitn(3, ':');
        let (Some(suite), Some(id), Some(hexpart)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(KeyError::Format);
        };
        let suite = Suite::parse(suite)?;
        let id: u8 = id.parse().map_err(|_| KeyError::Format)?;
        Self::new(&master(hexpart)?, suite, id)
    }

    /// Reads a key file, refusing one that others than its owner may access.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        check_permissions(path)?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| KeyError::Read(path.display().to_string(), e))?;
        Self::from_text(&text)
    }

    /// A new random key in its textual form.
    pub fn generate_text(suite: Suite, id: u8) -> String {
        let mut master = [0u8; 32];
        rand::rng().fill_bytes(&mut master);
        format!("{PREFIX_V2}{}:{id}:{}\n", suite.name(), hex::encode(master))
    }

    /// Creates a new key file readable by its owner only; refuses to overwrite one. A
    /// missing parent folder is created, accessible to its owner only.
    pub fn create_file(path: &Path, suite: Suite, id: u8) -> Result<Self, KeyError> {
        use std::io::Write;
        if id == 0 {
            return Err(KeyError::Format);
        }
        let write_err = |e| KeyError::Write(path.display().to_string(), e);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.exists()
        {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                b.mode(0o700);
            }
            b.create(dir).map_err(write_err)?;
        }
        let text = Self::generate_text(suite, id);
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
                write_err(e)
            }
        })?;
        f.write_all(text.as_bytes()).map_err(write_err)?;
        f.sync_all().map_err(write_err)?;
        Self::from_text(&text)
    }

    /// The vault of a rotation: seals and hashes with `new`, opens what either key sealed.
    pub fn rotating(old: &Vault, new: &Vault) -> Result<Vault, KeyError> {
        if old.current.id == new.current.id || old.current.fingerprint == new.current.fingerprint {
            return Err(KeyError::SameKey(new.current.id));
        }
        Ok(Vault {
            current: new.current.clone(),
            previous: Some(old.current.clone()),
        })
    }

    /// A short public fingerprint of the key, stored in the database to detect a wrong key.
    pub fn fingerprint(&self) -> &str {
        &self.current.fingerprint
    }

    /// A fresh HMAC of the audit chain's key (the current key's), ready for one row.
    pub(crate) fn audit_mac(&self) -> AuditMac {
        self.current.audit.clone()
    }

    /// The audit chain's key of the key being rotated away from, during a rotation: the
    /// chain is checked under it and sealed again under the new one.
    pub(crate) fn previous_audit_mac(&self) -> Option<AuditMac> {
        self.previous.as_ref().map(|k| k.audit.clone())
    }

    /// The fingerprint of the key being rotated away from, during a rotation.
    pub fn previous_fingerprint(&self) -> Option<&str> {
        self.previous.as_ref().map(|k| k.fingerprint.as_str())
    }

    pub fn suite(&self) -> Suite {
        self.current.suite
    }

    /// The key id written into every value this vault seals.
    pub fn key_id(&self) -> u8 {
        self.current.id
    }

    /// The two bytes in front of every value this vault seals.
    pub fn header(&self) -> [u8; HEADER_LEN] {
        [self.current.suite.format(), self.current.id]
    }

    /// Encrypts a personal value of `row`: format ‖ key id ‖ nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, field: Field, row: Row<'_>, plaintext: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let key = &self.current;
        let ct = key.encrypt(&nonce, plaintext.as_bytes(), &row.aad(field));
        let mut out = Vec::with_capacity(HEADER_LEN + NONCE_LEN + ct.len());
        out.extend_from_slice(&self.header());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Decrypts what [`Vault::seal`] produced for the same field and row, or a legacy value
    /// when the key is a v1 key.
    pub fn open(&self, field: Field, row: Row<'_>, sealed: &[u8]) -> Result<String, KeyError> {
        let keys = || std::iter::once(&self.current).chain(self.previous.as_ref());
        let mut unknown = None;
        if sealed.len() >= HEADER_LEN + NONCE_LEN + TAG_LEN {
            let (format, id) = (sealed[0], sealed[1]);
            match keys().find(|k| k.id == id && k.suite.format() == format) {
                Some(k) => {
                    let (nonce, ct) = sealed[HEADER_LEN..].split_at(NONCE_LEN);
                    if let Some(pt) = k.decrypt(nonce, ct, &row.aad(field)) {
                        return utf8(pt, field, row);
                    }
                }
                None if format == Suite::ChaCha20.format() || format == Suite::Sm4.format() => {
                    unknown = Some(id)
                }
                None => {}
            }
        }
        // A header-less value of a v1 key: its first two bytes are random nonce bytes,
        // which match a header above once in 65,536 values; the tag decides.
        if let Some(k) = keys().find(|k| k.legacy)
            && sealed.len() >= NONCE_LEN + TAG_LEN
        {
            let (nonce, ct) = sealed.split_at(NONCE_LEN);
            if let Some(pt) = k.decrypt(nonce, ct, field.label()) {
                return utf8(pt, field, row);
            }
        }
        Err(match unknown {
            Some(id) if !keys().any(|k| k.legacy) => KeyError::UnknownKey {
                field: field.chinese(),
                table: row.table,
                id,
            },
            _ => KeyError::Decrypt {
                field: field.chinese(),
                table: row.table,
            },
        })
    }

    /// The keyed hash used for exact lookup and matching, under the current key.
    pub fn digest(&self, field: Field, value: &str) -> [u8; DIGEST_LEN] {
        let full = self
            .current
            .mac
            .tag(&[field.label(), b"\0", value.as_bytes()]);
        let mut out = [0u8; DIGEST_LEN];
        out.copy_from_slice(&full[..DIGEST_LEN]);
        out
    }
}

fn utf8(pt: Vec<u8>, field: Field, row: Row<'_>) -> Result<String, KeyError> {
    String::from_utf8(pt).map_err(|_| KeyError::Decrypt {
        field: field.chinese(),
        table: row.table,
    })
}

/// A key file that the group or others may read (or replace) is refused: the key is the
/// one thing that keeps a copied database unreadable.
fn check_permissions(path: &Path) -> Result<(), KeyError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta =
            std::fs::metadata(path).map_err(|e| KeyError::Read(path.display().to_string(), e))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::Permissions {
                path: path.display().to_string(),
                mode,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "11010519491231002X";

    fn vaults() -> Vec<Vault> {
        vec![
            Vault::from_master(&[7u8; 32]),
            Vault::from_text(&Vault::generate_text(Suite::ChaCha20, 1)).unwrap(),
            Vault::from_text(&Vault::generate_text(Suite::Sm4, 2)).unwrap(),
        ]
    }

    #[test]
    fn seal_open_and_digest_in_every_suite() {
        for v in vaults() {
            let h = v.digest(Field::IdNumber, ID);
            let row = Row::member(&h);
            let a = v.seal(Field::IdNumber, row, ID);
            let b = v.seal(Field::IdNumber, row, ID);
            assert_ne!(a, b, "random nonces");
            assert_eq!(&a[..2], &v.header(), "format and key id in front");
            assert_eq!(a.len(), 2 + 12 + ID.len() + 16);
            assert_eq!(v.open(Field::IdNumber, row, &a).unwrap(), ID);
            assert!(v.open(Field::Phone, row, &a).is_err(), "bound to its field");
            let other = v.digest(Field::IdNumber, "110105194912310037");
            assert!(
                matches!(
                    v.open(Field::IdNumber, Row::member(&other), &a),
                    Err(KeyError::Decrypt { .. })
                ),
                "bound to its row"
            );
            assert!(
                v.open(Field::IdNumber, Row::household("1"), &a).is_err(),
                "bound to its table"
            );
            let mut t = a.clone();
            t[20] ^= 1;
            assert!(
                v.open(Field::IdNumber, row, &t).is_err(),
                "tampering detected"
            );
            assert_eq!(h, v.digest(Field::IdNumber, ID));
            assert_ne!(h, v.digest(Field::Phone, ID));
            assert!(!format!("{v:?}").contains("key:"));
        }
        let [a, b, c] = <[Vault; 3]>::try_from(vaults()).unwrap();
        assert_ne!(a.digest(Field::Phone, "x"), b.digest(Field::Phone, "x"));
        assert_ne!(b.digest(Field::Phone, "x"), c.digest(Field::Phone, "x"));
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_eq!(c.suite(), Suite::Sm4);
    }

    /// The same master key yields the same fingerprint and hashes as before key ids
    /// existed, so every existing database still opens.
    #[test]
    fn v1_keys_keep_their_fingerprint_and_hashes() {
        let v = Vault::from_text(&format!("{PREFIX_V1}{}", "07".repeat(32))).unwrap();
        // Computed with the code of the original Vault (HKDF-SHA256, HMAC-SHA256).
        let hk = hkdf::Hkdf::<Sha256>::new(Some(b"fangpin"), &[7u8; 32]);
        let mut mac = [0u8; 32];
        hk.expand(b"fangpin/mac/v1", &mut mac).unwrap();
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&mac).unwrap();
        m.update(b"fangpin/fingerprint");
        assert_eq!(
            v.fingerprint(),
            hex::encode(&m.finalize().into_bytes()[..8])
        );
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&mac).unwrap();
        m.update(b"id_number\0");
        m.update(ID.as_bytes());
        assert_eq!(
            v.digest(Field::IdNumber, ID)[..],
            m.finalize().into_bytes()[..16]
        );
        assert_eq!(v.key_id(), 0);
    }

    /// A value written before the format had a header (nonce ‖ ct, the field as associated
    /// data) opens with its v1 key, whatever its first bytes are.
    #[test]
    fn legacy_values_open_with_a_v1_key_only() {
        let v = Vault::from_master(&[7u8; 32]);
        let Cipher::ChaCha(c) = &v.current.cipher else {
            unreachable!()
        };
        for first in [0u8, 1, 2, 0xff] {
            let mut nonce = [9u8; NONCE_LEN];
            // [1][0] is the header of this very key: the fallback must still find it.
            nonce[0] = first;
            nonce[1] = 0;
            let ct = c
                .encrypt(
                    (&nonce).into(),
                    Payload {
                        msg: b"13812345678",
                        aad: b"phone",
                    },
                )
                .unwrap();
            let old = [&nonce[..], &ct].concat();
            assert_eq!(
                v.open(Field::Phone, Row::household("x"), &old).unwrap(),
                "13812345678"
            );
            let new = Vault::from_text(&Vault::generate_text(Suite::Sm4, 1)).unwrap();
            assert!(new.open(Field::Phone, Row::household("x"), &old).is_err());
            let both = Vault::rotating(&v, &new).unwrap();
            assert_eq!(
                both.open(Field::Phone, Row::household("x"), &old).unwrap(),
                "13812345678"
            );
        }
    }

    /// The national primitives as the standards give them: SM3 of "abc" (GB/T 32905
    /// appendix A), one SM4 block (GB/T 32907 appendix A), and SM4-GCM (RFC 8998 A.1).
    #[test]
    fn sm3_and_sm4_match_the_standards_examples() {
        use sm3::Digest;
        assert_eq!(
            hex::encode(Sm3::digest(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        use sm4::cipher::{BlockEncrypt, KeyInit as _};
        let k = hex::decode("0123456789abcdeffedcba9876543210").unwrap();
        let c = sm4::Sm4::new_from_slice(&k).unwrap();
        let mut block = aes_gcm::aead::generic_array::GenericArray::clone_from_slice(&k);
        c.encrypt_block(&mut block);
        assert_eq!(hex::encode(block), "681edf34d206965e86b3e94f536e4246");
        let gcm = <Sm4Gcm as KeyInit>::new_from_slice(&k).unwrap();
        let nonce: [u8; 12] = hex::decode("00001234567800000000abcd")
            .unwrap()
            .try_into()
            .unwrap();
        let pt = hex::decode(
            "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd\
             eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa",
        )
        .unwrap();
        let aad = hex::decode("feedfacedeadbeeffeedfacedeadbeefabaddad2").unwrap();
        let out = gcm
            .encrypt(
                (&nonce).into(),
                Payload {
                    msg: &pt,
                    aad: &aad,
                },
            )
            .unwrap();
        assert_eq!(
            hex::encode(out),
            "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735\
             d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d\
             83de3541e4c2b58177e065a9bf7b62ec"
        );
    }

    #[test]
    fn a_rotating_vault_opens_both_and_seals_new() {
        let old = Vault::from_text(&Vault::generate_text(Suite::ChaCha20, 1)).unwrap();
        let new = Vault::from_text(&Vault::generate_text(Suite::Sm4, 2)).unwrap();
        let row = Row::helper(5);
        let sealed_old = old.seal(Field::Phone, row, "13812345678");
        assert!(matches!(
            new.open(Field::Phone, row, &sealed_old),
            Err(KeyError::UnknownKey { id: 1, .. })
        ));
        let both = Vault::rotating(&old, &new).unwrap();
        assert_eq!(
            both.open(Field::Phone, row, &sealed_old).unwrap(),
            "13812345678"
        );
        let sealed = both.seal(Field::Phone, row, "13812345678");
        assert_eq!(sealed[..2], [2, 2]);
        assert_eq!(new.open(Field::Phone, row, &sealed).unwrap(), "13812345678");
        assert_eq!(both.fingerprint(), new.fingerprint());
        assert_eq!(both.previous_fingerprint(), Some(old.fingerprint()));
        assert!(matches!(
            Vault::rotating(&old, &old),
            Err(KeyError::SameKey(1))
        ));
    }

    #[test]
    fn key_files_are_created_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("etc/fangpin/k.key");
        let v = Vault::create_file(&p, Suite::Sm4, 3).unwrap();
        let loaded = Vault::load(&p).unwrap();
        assert_eq!(loaded.fingerprint(), v.fingerprint());
        assert_eq!((loaded.suite(), loaded.key_id()), (Suite::Sm4, 3));
        assert!(matches!(
            Vault::create_file(&p, Suite::Sm4, 3),
            Err(KeyError::Exists(_))
        ));
        assert!(Vault::from_text("nonsense").is_err());
        assert!(Vault::from_text(&format!("{PREFIX_V2}aes:1:{}", "00".repeat(32))).is_err());
        assert!(Vault::from_text(&format!("{PREFIX_V2}sm4:0:{}", "00".repeat(32))).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&p), 0o600);
            assert_eq!(mode(p.parent().unwrap()), 0o700);
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
            let e = Vault::load(&p).unwrap_err().to_string();
            assert!(
                e.contains("chmod 600") && e.contains("k.key") && e.contains("644"),
                "{e}"
            );
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
            assert!(Vault::load(&p).is_ok());
        }
    }
}

/// The audit chain's keyed hash, in the algorithm of the key's suite.
#[derive(Clone)]
pub enum AuditMac {
    /// HMAC-SHA256 (the ChaCha20 suite).
    Sha256(Hmac<Sha256>),
    /// HMAC-SM3 (the SM4 suite).
    Sm3(Hmac<Sm3>),
}

impl AuditMac {
    /// The HMAC (lower-case hex) of what `write` feeds it.
    pub fn hex(&self, write: impl FnOnce(&mut dyn FnMut(&[u8]))) -> String {
        match self {
            AuditMac::Sha256(m) => {
                let mut h = m.clone();
                write(&mut |b| h.update(b));
                hex::encode(h.finalize().into_bytes())
            }
            AuditMac::Sm3(m) => {
                let mut h = m.clone();
                write(&mut |b| h.update(b));
                hex::encode(h.finalize().into_bytes())
            }
        }
    }
}
