//! 公示 / 公告 (public notices) of a village batch of cases, as the printable page the
//! command line writes. What a notice may show is `domain::notice`'s business: no ID number,
//! phone, bank account or health detail can reach it. Every case must lie in the caller's
//! subtree.

use super::input::{Body, label};
use super::scoped_case;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use axum::http::{HeaderMap, HeaderValue, header};
use chrono::NaiveDate;
use domain::access::Permission;
use domain::notice::{NoticeKind, NoticeRules, OfficeContact};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(build_notice))
}

/// A notice to build.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct NoticeRequest {
    /// 识别公示, 风险消除公示, 识别公告 or 风险消除公告.
    pub kind: String,
    /// 监测案件编号, all of one village.
    pub cases: Vec<i64>,
    /// First day posted.
    pub from: NaiveDate,
    /// Last day posted (the publicity period is at least 5 days).
    pub to: NaiveDate,
    /// 异议受理单位, e.g. 高山村村民委员会.
    pub office: String,
    /// 受理电话: an office landline or a hotline, never a mobile.
    pub office_phone: String,
    /// 发布单位.
    pub issuer: String,
    /// 发布日期 (the first day posted when left out).
    pub issued_on: Option<NaiveDate>,
    /// html (default, printable on A4) or text.
    pub format: Option<String>,
}

/// 公示 / 公告: the notice of `kind` for these cases, as a self-contained HTML page (sent
/// as an attachment: its inline style is meant for printing, not for this site's pages) or
/// as plain text.
#[utoipa::path(post, path = "/notices", tag = "公示公告", request_body = NoticeRequest,
    responses(
        (status = 200, description = "公示页面", body = String, content_type = "text/html"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "案件不存在或不在辖区内", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "不能公示（中文说明）", body = Problem, content_type = "application/problem+json"),
    ))]
async fn build_notice(
    caller: Caller,
    Body(req): Body<NoticeRequest>,
) -> ApiResult<(HeaderMap, String)> {
    let store = caller.store(Permission::WorkCases)?;
    super::input::case_list(&req.cases)?;
    for &id in &req.cases {
        scoped_case(&caller, store, id).await?;
    }
    let mut p = Vec::new();
    let kind = label::<NoticeKind>(&req.kind, &mut p);
    let html = match req.format.as_deref().map(str::trim) {
        None | Some("html" | "") => true,
        Some("text") => false,
        Some(other) => {
            p.push(format!("format 应为 html 或 text，不是“{other}”"));
            true
        }
    };
    super::input::refuse_problems(p)?;
    let kind = kind.ok_or_else(|| ApiError::invalid("公示类型无效"))?;
    let notice = service::notices::build(
        store,
        kind,
        &req.cases,
        service::notices::Publication {
            start: req.from,
            end: req.to,
            contact: OfficeContact {
                office: req.office,
                phone: req.office_phone,
            },
            issuer: req.issuer,
            issued_on: req.issued_on.unwrap_or(req.from),
        },
        &NoticeRules::default(),
    )
    .await?;
    let (body, mime, ext) = if html {
        (notice.render_html(), "text/html; charset=utf-8", "html")
    } else {
        (notice.render_text(), "text/plain; charset=utf-8", "txt")
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    let disposition = format!(
        "attachment; filename=\"notice.{ext}\"; filename*=UTF-8''{}.{ext}",
        percent_encode(&notice.title())
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(|e| crate::error::internal(&e))?,
    );
    Ok((headers, body))
}

/// RFC 5987 encoding of a file name: unreserved ASCII kept, every other byte as %XX.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_are_percent_encoded() {
        assert_eq!(
            super::percent_encode("公示 a.b"),
            "%E5%85%AC%E7%A4%BA%20a.b"
        );
    }
}
