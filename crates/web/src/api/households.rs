//! 户籍档案 (the registry) under `/api/v1`: household search, one household with its
//! members, incomes and cases, and the audited reveal of one full ID number or phone.
//!
//! Lists and pages show ID numbers and phones masked (520322********123X, 138****5678);
//! the full value is a separate POST that needs [`Permission::RevealPersonal`] and writes
//! an audit row naming the record and the field, never the value. A household outside the
//! caller's region is answered 404, like one that does not exist. Search text (a name, an
//! ID number) travels in the query string, which the request log leaves out; `POST
//! /households/search` takes the same search in a body, for clients behind proxies that
//! log query strings.

use super::data::{Body, Id, Name, Params};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use axum::Json;
use chrono::{DateTime, Datelike, Utc};
use domain::RegionCode;
use domain::access::Permission;
use serde::{Deserialize, Serialize};
use store::search::{HouseholdOrder, HouseholdPage, HouseholdRecord, MemberRecord};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search_households))
        .routes(routes!(search_households_post))
        .routes(routes!(get_household))
        .routes(routes!(reveal_member))
        .routes(routes!(reveal_phone))
}

/// 区划 (a division's code and name).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegionRef {
    /// 12-digit code.
    pub code: String,
    /// 名称, when the division is loaded.
    pub name: Option<String>,
}

impl RegionRef {
    fn new(code: RegionCode, name: Option<String>) -> Self {
        RegionRef {
            code: code.to_string(),
            name,
        }
    }
}

/// Order of a search's results.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// 按户编号.
    #[default]
    HouseholdNo,
    /// 按村，再按户编号.
    Village,
}

/// 户籍查询条件.
#[derive(Debug, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// 户编号（前缀）、成员姓名或18位证件号码（精确）。姓名为一个字时精确匹配；多个字时，
    /// 辖区内有人恰好叫这个名字则精确匹配，否则按前缀匹配。
    pub q: Option<String>,
    /// 村代码（12位），须在调用者辖区内。
    pub village: Option<String>,
    /// 区划代码，须在调用者辖区内（默认为整个辖区）。
    pub region: Option<String>,
    /// 页码，从 1 开始。
    pub page: Option<u32>,
    /// 每页条数（默认 20，最多 100）。
    pub per_page: Option<u32>,
    /// household_no（默认）或 village。
    pub sort: Option<SortKey>,
}

/// 户 as a search lists it. ID number and phone are masked.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HouseholdItem {
    /// 户编号.
    pub household_no: String,
    pub village: RegionRef,
    /// 户类型, e.g. 脱贫户.
    pub household_type: String,
    /// 户主姓名.
    pub head_name: Option<String>,
    /// 户主证件号码（脱敏）, e.g. 520322********123X.
    pub head_id_masked: Option<String>,
    /// 家庭人口数.
    pub size: u32,
    /// 联系电话（脱敏）, e.g. 138****5678.
    pub phone_masked: Option<String>,
}

/// A page of households.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HouseholdList {
    /// Matches: counted up to 1,000 (exactly for an ID number or a name).
    pub total: u64,
    /// More than `total` match: narrow the search to see them all.
    pub total_capped: bool,
    pub page: u32,
    pub per_page: u32,
    pub items: Vec<HouseholdItem>,
}

fn list(page: HouseholdPage, page_no: u32, per_page: u32) -> HouseholdList {
    HouseholdList {
        total: page.total,
        total_capped: page.capped,
        page: page_no,
        per_page,
        items: page
            .items
            .into_iter()
            .map(|h| HouseholdItem {
                household_no: h.household_no,
                village: RegionRef::new(h.village, h.village_name),
                household_type: h.household_type.label().to_owned(),
                head_id_masked: h.head.as_ref().map(|(_, id)| id.masked()),
                head_name: h.head.map(|(name, _)| name),
                size: h.size,
                phone_masked: h.phone.map(|p| p.masked()),
            })
            .collect(),
    }
}

async fn search(caller: &Caller, p: SearchParams) -> ApiResult<HouseholdList> {
    let store = caller.store(Permission::ReadRegistry)?;
    let page = p.page.unwrap_or(1).max(1);
    let per_page = p
        .per_page
        .unwrap_or(20)
        .clamp(1, service::search::MAX_PER_PAGE);
    let mut within = caller.region(p.region.as_deref())?;
    if let Some(v) = p
        .village
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        let village = RegionCode::parse(v).map_err(|e| ApiError::invalid(e.message))?;
        caller.within(village, &format!("村 {v}"))?;
        if !within.contains(village) {
            // A village outside the region asked for: nothing matches both.
            return Ok(HouseholdList {
                total: 0,
                total_capped: false,
                page,
                per_page,
                items: Vec::new(),
            });
        }
        within = village;
    }
    let order = match p.sort.unwrap_or_default() {
        SortKey::HouseholdNo => HouseholdOrder::Number,
        SortKey::Village => HouseholdOrder::Village,
    };
    let found = service::search::search_households(
        store,
        within,
        p.q.as_deref().unwrap_or_default(),
        order,
        page,
        per_page,
    )
    .await?;
    Ok(list(found, page, per_page))
}

/// 户籍查询: households of the caller's region by 户编号, name or ID number, paged and
/// sorted; ID numbers and phones masked.
#[utoipa::path(get, path = "/households", tag = "户籍档案", params(SearchParams),
    responses(
        (status = 200, body = HouseholdList),
        (status = 403, description = "无权查看户籍档案", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "区划或村不在辖区内", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "查询条件有误", body = Problem, content_type = "application/problem+json"),
    ))]
async fn search_households(
    caller: Caller,
    Params(p): Params<SearchParams>,
) -> ApiResult<Json<HouseholdList>> {
    Ok(Json(search(&caller, p).await?))
}

/// 户籍查询 (the same search, its conditions in the body): keeps a name or ID number out
/// of any proxy's log of query strings.
#[utoipa::path(post, path = "/households/search", tag = "户籍档案", request_body = SearchParams,
    responses(
        (status = 200, body = HouseholdList),
        (status = 403, description = "无权查看户籍档案", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "区划或村不在辖区内", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "查询条件有误", body = Problem, content_type = "application/problem+json"),
    ))]
async fn search_households_post(
    caller: Caller,
    Body(p): Body<SearchParams>,
) -> ApiResult<Json<HouseholdList>> {
    Ok(Json(search(&caller, p).await?))
}

/// 家庭成员. The ID number is masked; `id` names the member for a reveal.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberItem {
    /// 成员编号 (for `POST /members/{id}/reveal`).
    pub id: i64,
    pub name: String,
    /// 证件号码（脱敏）.
    pub id_masked: String,
    /// 与户主关系.
    pub relation: String,
    /// 性别.
    pub sex: String,
    /// 出生年份.
    pub birth_year: i32,
    /// 劳动技能.
    pub labor: String,
    /// 健康状况 (withheld from city and province supervisors: see `health_withheld`).
    pub health: Option<String>,
    /// 残疾等级 (withheld like 健康状况).
    pub disability_grade: Option<String>,
    /// 健康状况和残疾等级不向市级、省级查看账号显示: `true` when they were left out
    /// for the caller, so that an empty value is not read as "healthy".
    pub health_withheld: bool,
    /// 在校生状况.
    pub schooling: Option<String>,
    /// 文化程度.
    pub education: Option<String>,
    /// 务工时间（月）.
    pub work_months: Option<u8>,
    /// 是否参加城乡居民基本医疗保险.
    pub medical_insured: Option<bool>,
    /// 是否享受低保.
    pub dibao: Option<bool>,
    /// 是否特困供养.
    pub tekun: Option<bool>,
}

impl From<MemberRecord> for MemberItem {
    fn from(r: MemberRecord) -> Self {
        let m = r.member;
        MemberItem {
            id: r.id,
            id_masked: m.id_number.masked(),
            name: m.name.to_string(),
            relation: m.relation.label().to_owned(),
            sex: m.sex.label().to_owned(),
            birth_year: m.birth_date.year(),
            labor: m.labor.label().to_owned(),
            health: m.health.map(|h| h.label()),
            disability_grade: m.disability_grade.map(|d| d.label().to_owned()),
            health_withheld: false,
            schooling: m.schooling.map(|s| s.label().to_owned()),
            education: m.education.map(|e| e.label().to_owned()),
            work_months: m.work_months,
            medical_insured: m.medical_insured,
            dibao: m.dibao,
            tekun: m.tekun,
        }
    }
}

/// 年度收支 (yuan, as exact decimal strings).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IncomeItem {
    pub year: u16,
    /// 工资性收入.
    pub wage: String,
    /// 生产经营性收入.
    pub business_income: String,
    /// 生产经营性支出.
    pub business_cost: String,
    /// 财产性收入.
    pub property: String,
    /// 转移性收入.
    pub transfer: String,
    /// 医疗自付.
    pub medical_out_of_pocket: Option<String>,
    /// 教育支出.
    pub education_cost: Option<String>,
    /// 其他刚性支出.
    pub other_rigid_cost: Option<String>,
    /// 家庭纯收入.
    pub net: String,
    /// 家庭人均纯收入 (over the members registered now).
    pub per_capita_net: Option<String>,
}

/// 监测案件 of the household (id and stage; the case itself is at `/cases/{id}`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CaseRef {
    pub id: i64,
    /// 当前环节.
    pub state: String,
    /// 在办.
    pub open: bool,
    pub created_at: DateTime<Utc>,
}

/// 一户一档: the household, its members (ID numbers masked), incomes by year and cases.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HouseholdDetail {
    pub household_no: String,
    pub village: RegionRef,
    /// 户类型.
    pub household_type: String,
    /// 脱贫年度.
    pub exit_year: Option<u16>,
    /// 联系电话（脱敏）.
    pub phone_masked: Option<String>,
    /// 住址.
    pub address: Option<String>,
    /// 住房安全.
    pub housing: Option<String>,
    /// 饮水安全.
    pub water: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// 户主 first.
    pub members: Vec<MemberItem>,
    /// Oldest year first.
    pub incomes: Vec<IncomeItem>,
    /// Oldest first.
    pub cases: Vec<CaseRef>,
}

fn detail(r: HouseholdRecord, cases: Vec<store::cases::CaseRow>) -> HouseholdDetail {
    let size = r.members.len() as u32;
    let h = r.household;
    HouseholdDetail {
        household_no: h.household_no.to_string(),
        village: RegionRef::new(h.village, r.village_name),
        household_type: h.household_type.label().to_owned(),
        exit_year: h.exit_year,
        phone_masked: h.phone.map(|p| p.masked()),
        address: h.address,
        housing: h.housing.map(|x| x.label().to_owned()),
        water: h.water.map(|x| x.label().to_owned()),
        updated_at: r.updated_at,
        members: r.members.into_iter().map(MemberItem::from).collect(),
        incomes: r
            .incomes
            .iter()
            .map(|i| IncomeItem {
                year: i.year,
                wage: i.wage.to_string(),
                business_income: i.business_income.to_string(),
                business_cost: i.business_cost.to_string(),
                property: i.property.to_string(),
                transfer: i.transfer.to_string(),
                medical_out_of_pocket: i.medical_out_of_pocket.map(|m| m.to_string()),
                education_cost: i.education_cost.map(|m| m.to_string()),
                other_rigid_cost: i.other_rigid_cost.map(|m| m.to_string()),
                net: i.net().to_string(),
                per_capita_net: i.per_capita_net(size).map(|m| m.to_string()),
            })
            .collect(),
        cases: cases
            .into_iter()
            .map(|c| CaseRef {
                id: c.id,
                state: c.case.state.label().to_owned(),
                open: c.case.state.is_open(),
                created_at: c.created_at,
            })
            .collect(),
    }
}

/// 一户一档: one household of the caller's region, with its members (ID numbers masked),
/// incomes and cases.
#[utoipa::path(get, path = "/households/{no}", tag = "户籍档案",
    params(("no" = String, Path, description = "户编号")),
    responses(
        (status = 200, body = HouseholdDetail),
        (status = 403, description = "无权查看户籍档案", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "没有这一户（或不在辖区内）", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_household(caller: Caller, Name(no): Name) -> ApiResult<Json<HouseholdDetail>> {
    let store = caller.store(Permission::ReadRegistry)?;
    let (h, cases) = service::search::household(store, &no)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("未找到：户 {no}")))?;
    caller.within(h.household.village, &format!("户 {no}"))?;
    let mut d = detail(h, cases);
    if !caller.role().may(Permission::ReadHealth) {
        for m in &mut d.members {
            m.health = None;
            m.disability_grade = None;
            m.health_withheld = true;
        }
    }
    Ok(Json(d))
}

/// 完整证件号码 of one member.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RevealedMember {
    pub member_id: i64,
    pub household_no: String,
    pub name: String,
    /// 完整证件号码.
    pub id_number: String,
}

/// 查看完整证件号码: one member's full ID number. Needs the right to see personal
/// details; every request is recorded in the audit log (who, when, which member — never
/// the number).
#[utoipa::path(post, path = "/members/{id}/reveal", tag = "户籍档案",
    params(("id" = i64, Path, description = "成员编号（见一户一档的 members[].id）")),
    responses(
        (status = 200, body = RevealedMember),
        (status = 403, description = "无权查看完整证件号码", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "没有这个成员（或不在辖区内）", body = Problem, content_type = "application/problem+json"),
    ))]
async fn reveal_member(caller: Caller, Id(id): Id) -> ApiResult<Json<RevealedMember>> {
    let store = caller.store(Permission::RevealPersonal)?;
    let m = service::search::reveal_id_number(store, id, caller.scope()).await?;
    Ok(Json(RevealedMember {
        member_id: m.member_id,
        household_no: m.household_no,
        name: m.name,
        id_number: m.id_number.as_str().to_owned(),
    }))
}

/// 完整联系电话 of one household.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RevealedPhone {
    pub household_no: String,
    /// 完整联系电话 (none registered: null).
    pub phone: Option<String>,
}

/// 查看完整联系电话: a household's full contact phone, recorded in the audit log like a
/// full ID number.
#[utoipa::path(post, path = "/households/{no}/phone/reveal", tag = "户籍档案",
    params(("no" = String, Path, description = "户编号")),
    responses(
        (status = 200, body = RevealedPhone),
        (status = 403, description = "无权查看完整联系电话", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "没有这一户（或不在辖区内）", body = Problem, content_type = "application/problem+json"),
    ))]
async fn reveal_phone(caller: Caller, Name(no): Name) -> ApiResult<Json<RevealedPhone>> {
    let store = caller.store(Permission::RevealPersonal)?;
    let phone = service::search::reveal_phone(store, &no, caller.scope()).await?;
    Ok(Json(RevealedPhone {
        household_no: no,
        phone: phone.map(|p| p.as_str().to_owned()),
    }))
}
