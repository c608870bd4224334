//! 上传 (uploads): the files a request carries — registry files, department feeds, the
//! scan of a signed form.
//!
//! An uploaded file is personal data. It is streamed to disk chunk by chunk, never held
//! whole in memory, into the service's own folder (`upload_dir`, created 0700, each file
//! 0600), under a random name of the service's choosing: the name the client sent is kept
//! only to be shown — bounded, stripped of folders and control characters — and is never
//! part of a path. The file is removed when its request ends, whatever ends it (an answer,
//! an error, a timeout, the client going away); what a crash leaves behind is removed when
//! the service starts ([`UploadDir::open`]).

use crate::config::ServerConfig;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use service::imports::ImportFile;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Most characters of a client's file name kept for display.
const MAX_NAME_CHARS: usize = 100;
/// Most bytes of a text field of an upload form (a sheet name, a signatory): the form is
/// read into memory, so its text fields are bounded here, before any domain check.
pub const MAX_TEXT_FIELD: usize = 64 * 1024;
/// The lock file that keeps a second service out of the folder.
const LOCK_FILE: &str = ".lock";

/// A folder for uploads that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UploadDirError {
    #[error("无法使用上传目录 {dir}：{source}")]
    Io { dir: String, source: std::io::Error },
    #[error(
        "上传目录 {0} 正由另一个运行中的防贫服务使用：每个服务须有自己的上传目录（upload_dir）"
    )]
    Busy(String),
}

/// The service's upload folder, held for as long as the service runs: no other service
/// may use it, because each empties it when it starts.
#[derive(Debug)]
pub struct UploadDir {
    _lock: std::fs::File,
}

impl UploadDir {
    /// Creates the folder (0700) or takes it over (made 0700), locks it, and removes
    /// whatever is in it: files of requests that a crash or a kill interrupted.
    pub fn open(dir: &Path) -> Result<Self, UploadDirError> {
        let io = |source| UploadDirError::Io {
            dir: dir.display().to_string(),
            source,
        };
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
            builder.mode(0o700);
            builder.create(dir).map_err(io)?;
            // A folder made by hand or by an earlier version may be open to others.
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
        }
        #[cfg(not(unix))]
        builder.create(dir).map_err(io)?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(LOCK_FILE))
            .map_err(io)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(UploadDirError::Busy(dir.display().to_string()));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        let mut swept = 0usize;
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            if entry.file_name() == LOCK_FILE {
                continue;
            }
            let path = entry.path();
            // Not followed: a link is removed, never what it points to.
            let removed = match entry.file_type() {
                Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
                _ => std::fs::remove_file(&path),
            };
            match removed {
                Ok(()) => swept += 1,
                Err(e) => tracing::warn!(error = %e, "could not remove a leftover upload"),
            }
        }
        if swept > 0 {
            tracing::info!(swept, "removed uploads left by an interrupted run");
        }
        Ok(Self { _lock: lock })
    }
}

/// 上传表单: a `multipart/form-data` request body, with what reading it needs from the
/// service's configuration. Any other body is refused as problem+json: 415 when it is not
/// a form at all, 400 when the form is malformed.
pub struct Form {
    form: Multipart,
    config: Arc<ServerConfig>,
}

impl FromRequest<AppState> for Form {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> ApiResult<Self> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("multipart/form-data")
            });
        if !is_form {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "请以表单上传文件（Content-Type: multipart/form-data，文件放在字段 file 中）",
            ));
        }
        let form = Multipart::from_request(req, state)
            .await
            .map_err(|_: MultipartRejection| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "上传的表单无法读取：multipart/form-data 的分隔符（boundary）缺失或无效",
                )
            })?;
        Ok(Self {
            form,
            config: state.config.clone(),
        })
    }
}

impl Form {
    /// The next field of the form.
    pub async fn next_field(&mut self) -> ApiResult<Option<FormField<'_>>> {
        let limit_mib = self.config.max_body_mib;
        let field = self
            .form
            .next_field()
            .await
            .map_err(|e| unreadable(&e, limit_mib))?;
        Ok(field.map(|field| FormField { field, limit_mib }))
    }

    /// Reads the form of a file upload: the field `file`, streamed into the upload folder,
    /// and the optional `sheet` (the worksheet of a workbook). Other fields are skipped.
    pub async fn receive(mut self) -> ApiResult<Upload> {
        use tokio::io::AsyncWriteExt;
        let dir = self.config.upload_dir.clone();
        let (mut upload, mut sheet) = (None, None);
        while let Some(mut field) = self.next_field().await? {
            match field.name() {
                Some("file") if upload.is_none() => {
                    let name = client_file_name(field.file_name(), "上传文件");
                    let (file, mut out) = Upload::create(&dir, name).await?;
                    // Held before the first byte is written: an error below removes it.
                    upload = Some(file);
                    let mut bytes = 0;
                    while let Some(chunk) = field.chunk().await? {
                        bytes += chunk.len();
                        out.write_all(&chunk)
                            .await
                            .map_err(|e| crate::error::internal(&e))?;
                    }
                    out.flush().await.map_err(|e| crate::error::internal(&e))?;
                    tracing::debug!(bytes, "upload received");
                }
                Some("sheet") => {
                    let s = field.text("工作表名").await?;
                    sheet = Some(s.trim().to_owned()).filter(|s| !s.is_empty());
                }
                _ => {}
            }
        }
        let mut upload = upload.ok_or_else(|| {
            ApiError::invalid("请在表单字段“file”中上传文件（multipart/form-data）")
        })?;
        upload.sheet = sheet;
        Ok(upload)
    }
}

/// One field of an upload form, read in chunks.
pub struct FormField<'a> {
    field: Field<'a>,
    limit_mib: u32,
}

impl FormField<'_> {
    /// The field's name in the form.
    pub fn name(&self) -> Option<&str> {
        self.field.name()
    }

    /// The file name the client sent, raw: show it only through [`client_file_name`].
    pub fn file_name(&self) -> Option<&str> {
        self.field.file_name()
    }

    /// The next chunk of the field's content.
    pub async fn chunk(&mut self) -> ApiResult<Option<Bytes>> {
        let limit_mib = self.limit_mib;
        self.field
            .chunk()
            .await
            .map_err(|e| unreadable(&e, limit_mib))
    }

    /// The whole content, or `None` past `max` bytes: read chunk by chunk, so that a
    /// larger one is never held.
    pub async fn bytes(&mut self, max: usize) -> ApiResult<Option<Vec<u8>>> {
        let mut data = Vec::new();
        while let Some(chunk) = self.chunk().await? {
            if data.len() + chunk.len() > max {
                return Ok(None);
            }
            data.extend_from_slice(&chunk);
        }
        Ok(Some(data))
    }

    /// A text field of at most [`MAX_TEXT_FIELD`] bytes, as `what` in messages.
    pub async fn text(&mut self, what: &str) -> ApiResult<String> {
        let data = self.bytes(MAX_TEXT_FIELD).await?.ok_or_else(|| {
            ApiError::invalid(format!("“{what}”过长：不能超过{}KB", MAX_TEXT_FIELD >> 10))
        })?;
        String::from_utf8(data)
            .map_err(|_| ApiError::invalid(format!("“{what}”不是有效的 UTF-8 文本")))
    }
}

/// A form that could not be read to its end: too large (413, naming the limit), or cut
/// off or malformed (400).
fn unreadable(e: &MultipartError, limit_mib: u32) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(limit_mib)
    } else {
        tracing::info!(error = %e, "upload form unreadable");
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "上传的表单无法读取：格式有误或传输中断，请重新上传",
        )
    }
}

/// 413 for a request body over the configured limit.
pub fn too_large(limit_mib: u32) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!(
            "请求内容过大：每次请求（含上传的文件）不能超过{limit_mib}MB，请把文件拆分后分批上传"
        ),
    )
}

/// An uploaded file in the upload folder, removed when dropped.
pub struct Upload {
    /// Where it is kept: a random name with the extension of the client's name (which
    /// decides how it is read).
    pub path: PathBuf,
    /// The client's name for it, safe to show ([`client_file_name`]).
    pub name: String,
    /// 工作表名, for a workbook.
    pub sheet: Option<String>,
}

impl Upload {
    async fn create(dir: &Path, name: String) -> ApiResult<(Self, tokio::fs::File)> {
        use rand::RngCore;
        let mut token = [0u8; 16];
        rand::rng().fill_bytes(&mut token);
        let mut stored = hex::encode(token);
        if let Some(ext) = extension(&name) {
            stored = format!("{stored}.{ext}");
        }
        let path = dir.join(stored);
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        options.mode(0o600);
        let file = options
            .open(&path)
            .await
            .map_err(|e| crate::error::internal(&e))?;
        Ok((
            Self {
                path,
                name,
                sheet: None,
            },
            file,
        ))
    }

    /// The file as an import reads it: kept at [`Upload::path`], going by the client's name.
    pub fn file(&self) -> ImportFile<'_> {
        ImportFile::named(&self.path, self.name.as_str())
    }

    /// A message about the file in the client's words: the name it was uploaded under
    /// instead of where it is kept.
    pub fn in_own_words(&self, message: &str) -> String {
        let stored = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        message
            .replace(&self.path.display().to_string(), &self.name)
            .replace(&stored, &self.name)
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        // The file is personal data: it must not outlive the request.
        match std::fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(error = %e, "could not remove an upload"),
        }
    }
}

/// A file name from a client, made safe to show and to store in a record (never to use as
/// a path): its last component (browsers on Windows send `C:\…\户信息.xlsx`), without
/// control characters or the invisible ones that reorder text (`U+202E` turns
/// `xslx.exe` around), trimmed, and at most 100 characters with its extension kept.
/// `fallback` when nothing is left.
pub fn client_file_name(raw: Option<&str>, fallback: &str) -> String {
    let base = raw
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let clean: String = base.chars().filter(|&c| !hidden(c)).collect();
    let clean = clean.trim();
    if clean.is_empty() || clean.chars().all(|c| c == '.') {
        return fallback.to_owned();
    }
    if clean.chars().count() <= MAX_NAME_CHARS {
        return clean.to_owned();
    }
    // Too long: the beginning and the extension, joined by an ellipsis.
    let ext = clean
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty() && e.chars().count() <= 10);
    let keep = MAX_NAME_CHARS - ext.map_or(1, |e| e.chars().count() + 2);
    let head: String = clean.chars().take(keep).collect();
    match ext {
        Some(e) => format!("{head}….{e}"),
        None => format!("{head}…"),
    }
}

/// Characters that must not reach a record or a terminal from a file name: C0 and C1
/// controls, and the format characters that reorder or hide text.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// The extension under which an upload is kept: the client's, if it is a short run of
/// ASCII letters and digits (it only decides the reader; anything else gets none, and
/// the file is refused as of unknown format).
fn extension(name: &str) -> Option<String> {
    let (_, ext) = name.rsplit_once('.')?;
    (!ext.is_empty() && ext.len() <= 8 && ext.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| ext.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::{client_file_name, extension};

    #[test]
    fn client_file_names_are_shown_safely() {
        let name = |s: &str| client_file_name(Some(s), "上传文件");
        assert_eq!(name("C:\\Users\\村\\户信息.xlsx"), "户信息.xlsx");
        assert_eq!(name("../../etc/passwd"), "passwd");
        assert_eq!(name(".."), "上传文件");
        assert_eq!(name(""), "上传文件");
        assert_eq!(client_file_name(None, "承诺授权书"), "承诺授权书");
        assert_eq!(name("a\u{0}b\u{1b}[31m.csv"), "ab[31m.csv");
        assert_eq!(name("\u{9b}2J户\u{202e}xslx.csv"), "2J户xslx.csv");
        let long = format!("{}.csv", "户".repeat(300));
        let shown = name(&long);
        assert_eq!(shown.chars().count(), 100);
        assert!(shown.ends_with("….csv"), "{shown}");
        let no_ext = "x".repeat(300);
        assert_eq!(name(&no_ext).chars().count(), 100);
    }

    #[test]
    fn only_plain_extensions_reach_the_stored_name() {
        assert_eq!(extension("户信息.XLSX").as_deref(), Some("xlsx"));
        assert_eq!(extension("a.c/sv"), None);
        assert_eq!(extension("a.csv\u{0}"), None);
        assert_eq!(extension("noext"), None);
        assert_eq!(extension("a."), None);
        assert_eq!(extension(&format!("a.{}", "x".repeat(9))), None);
    }
}
