use super::*;
use crate::enums::{Health, HealthCondition, HouseholdType, Labor, Relation};
use crate::household::{Household, HouseholdNo, Member};
use crate::id_number::IdNumber;
use crate::phone::Phone;
use crate::region::RegionCode;
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn risks(list: &[RiskType]) -> RiskSet {
    list.iter().fold(RiskSet::EMPTY, |s, r| s.with(*r))
}

fn entry(name: &str, group: &str, category: Category, size: u32, r: RiskSet) -> NoticeEntry {
    NoticeEntry::new(
        PersonName::parse(name).unwrap(),
        VillageGroup::parse(group).unwrap(),
        category,
        size,
        r,
    )
    .unwrap()
}

fn draft(kind: NoticeKind, entries: Vec<NoticeEntry>) -> NoticeDraft {
    NoticeDraft {
        kind,
        village: "红星村".into(),
        entries,
        start: d(2024, 3, 4),
        end: d(2024, 3, 8),
        contact: OfficeContact {
            office: "红星村村民委员会".into(),
            phone: "0851-2612345".into(),
        },
        issuer: "红星村村民委员会".into(),
        issued_on: d(2024, 3, 4),
    }
}

/// A household as the registry holds it, with everything publicity must hide.
struct Sensitive {
    household: Household,
    head: Member,
    bank_account: String,
}

fn sensitive_household() -> Sensitive {
    let no = HouseholdNo::parse("5203220010010001").unwrap();
    let id = IdNumber::from_parts(520322, d(1968, 7, 15), 357, crate::enums::Sex::Male);
    let health = Health::default()
        .with(HealthCondition::Serious)
        .with(HealthCondition::Chronic)
        .with(HealthCondition::Disabled);
    let household = Household {
        household_no: no.clone(),
        village: RegionCode::parse("520322101201").unwrap(),
        household_type: HouseholdType::ExPoor,
        exit_year: Some(2018),
        phone: Some(Phone::parse("13987654321").unwrap()),
        address: Some("红星村三组".into()),
        housing: None,
        water: None,
    };
    let head = Member {
        household_no: no,
        name: PersonName::parse("王德明").unwrap(),
        birth_date: id.birth_date(),
        sex: id.sex(),
        id_number: id,
        relation: Relation::Head,
        labor: Labor::Weak,
        health: Some(health),
        disability_grade: None,
        schooling: None,
        education: None,
        work_months: None,
        medical_insured: Some(true),
        dibao: None,
        tekun: None,
    };
    Sensitive {
        household,
        head,
        bank_account: "6217002870012345678".into(),
    }
}

/// Everything about `s` that must never be published.
fn forbidden(s: &Sensitive) -> Vec<String> {
    let id = s.head.id_number.as_str().to_string();
    let phone = s.household.phone.as_ref().unwrap().as_str().to_string();
    let mut out = vec![
        id.clone(),
        id[6..].to_string(),   // birth date and last four
        id[6..14].to_string(), // birth date
        id[14..].to_string(),  // last four
        s.head.id_number.masked(),
        phone.clone(),
        format!("{}-{}-{}", &phone[..3], &phone[3..7], &phone[7..]),
        phone[3..].to_string(),
        s.bank_account.clone(),
        s.bank_account[s.bank_account.len() - 8..].to_string(),
        "1968年7月15日".into(),
    ];
    let health = s.head.health.unwrap();
    out.push(health.label());
    for c in [
        HealthCondition::Serious,
        HealthCondition::Chronic,
        HealthCondition::Disabled,
    ] {
        assert!(health.has(c));
        out.push(c.label().to_string());
    }
    out
}

fn assert_clean(doc: &str, s: &Sensitive) {
    for f in forbidden(s) {
        assert!(!doc.contains(&f), "notice discloses “{f}”:\n{doc}");
    }
}

#[test]
fn no_sensitive_data_in_any_kind_or_wording() {
    let s = sensitive_household();
    let r = risks(&[RiskType::Illness, RiskType::Disability, RiskType::Education]);
    for kind in NoticeKind::ALL.iter().copied() {
        for wording in [RiskWording::TypeLabels, RiskWording::MaskHealth] {
            // The only route from the household to the notice: the head's name, the group,
            // the category, the size and the risk types.
            let e = NoticeEntry::new(
                s.head.name.clone(),
                VillageGroup::parse("三组").unwrap(),
                Category::UnstableExPoor,
                4,
                r,
            )
            .unwrap();
            let other = entry(
                "李秀英",
                "红岩组",
                Category::Marginal,
                2,
                risks(&[RiskType::Disaster]),
            );
            let rules = NoticeRules {
                risk_wording: wording,
                ..NoticeRules::default()
            };
            let n = Notice::new(draft(kind, vec![e, other]), &rules).unwrap();
            let text = n.render_text();
            let html = n.render_html();
            for doc in [&text, &html] {
                assert_clean(doc, &s);
                assert!(doc.contains("王德明") && doc.contains("三组"));
                assert!(doc.contains("脱贫不稳定户") && doc.contains("因学"));
                match wording {
                    // The permitted type labels, exactly — never the condition behind them.
                    RiskWording::TypeLabels => {
                        assert!(doc.contains("因病、因残、因学"));
                    }
                    RiskWording::MaskHealth => {
                        assert!(!doc.contains("因病") && !doc.contains("因残"));
                        assert!(doc.contains("因突发困难、因学"));
                    }
                }
            }
        }
    }
}

#[test]
fn sensitive_values_cannot_be_smuggled_through_free_text() {
    let s = sensitive_household();
    let id = s.head.id_number.as_str();
    let phone = s.household.phone.as_ref().unwrap().as_str();
    for bad in [
        format!("三组{id}"),
        format!("三组 {}", id.to_lowercase()),
        format!("{} 三组", &id[..17]),     // 17 digits + X elsewhere
        format!("三组（{}）", spaced(id)), // digits with spaces
        format!("三组{phone}"),
        format!("三组{}-{}-{}", &phone[..3], &phone[3..7], &phone[7..]),
        format!("三组{}", s.bank_account),
        format!("三组{}", spaced(&s.bank_account)),
        "三组１３９８７６５４３２１".to_string(), // full-width mobile
    ] {
        let e = VillageGroup::parse(&bad).unwrap_err();
        assert!(e.message.starts_with("村民小组中疑似含有"), "{bad}: {e}");
        // The error never echoes the number.
        assert!(!e.message.contains(&bad[6..]), "{e}");
    }

    let mut dr = draft(NoticeKind::IdentificationPublicity, vec![one()]);
    dr.village = format!("红星村{phone}");
    dr.issuer = format!("村委会 账号{}", s.bank_account);
    dr.contact.office = format!("第一书记{phone}");
    dr.contact.phone = phone.to_string();
    let errs = Notice::new(dr, &NoticeRules::default()).unwrap_err();
    assert_eq!(errs.len(), 4, "{errs:?}");
    for e in &errs {
        let m = e.to_string();
        assert!(m.contains("疑似含有"), "{m}");
        assert!(!m.contains(phone) && !m.contains(&s.bank_account), "{m}");
    }
}

fn spaced(s: &str) -> String {
    s.chars()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

fn one() -> NoticeEntry {
    entry(
        "张三",
        "三组",
        Category::Marginal,
        3,
        risks(&[RiskType::Illness]),
    )
}

#[test]
fn screening_allows_ordinary_numbers() {
    for ok in [
        "3组",
        "十二组",
        "第12村民小组",
        "2024年3月",
        "520322101201",
        "0851-26123456",
    ] {
        assert_eq!(find_sensitive(ok), None, "{ok}");
    }
    assert_eq!(find_sensitive("13812345678"), Some(SensitiveKind::Mobile));
    assert_eq!(
        find_sensitive("x52032219680715357X"),
        Some(SensitiveKind::IdNumber)
    );
    assert_eq!(find_sensitive("52032268071535"), None); // 14 digits
    assert_eq!(
        find_sensitive("520322680715357"),
        Some(SensitiveKind::IdNumber)
    ); // old 15
    assert_eq!(
        find_sensitive("卡号6222021234567890"),
        Some(SensitiveKind::BankCard)
    );
    assert_eq!(
        find_sensitive("123456789012345678901"),
        Some(SensitiveKind::LongNumber)
    );
}

#[test]
fn office_phone_must_be_a_public_line() {
    for ok in [
        "0851-2612345",
        "(0851) 26123456",
        "12317",
        "2612345",
        "０８５１－２６１２３４５",
    ] {
        let mut dr = draft(NoticeKind::IdentificationPublicity, vec![one()]);
        dr.contact.phone = ok.into();
        assert!(Notice::new(dr, &NoticeRules::default()).is_ok(), "{ok}");
    }
    for bad in [
        "13812345678",
        "138-1234-5678",
        "",
        "打村委会",
        "123",
        "1381234567",
    ] {
        let mut dr = draft(NoticeKind::IdentificationPublicity, vec![one()]);
        dr.contact.phone = bad.into();
        assert!(Notice::new(dr, &NoticeRules::default()).is_err(), "{bad}");
    }
}

#[test]
fn html_escapes_every_value() {
    // A name cannot carry markup at all: it is refused when parsed.
    assert!(PersonName::parse("<script>alert('x')</script>").is_err());
    let mut dr = draft(
        NoticeKind::IdentificationPublicity,
        vec![entry(
            "王五",
            "\"三组\"&<b>",
            Category::Marginal,
            1,
            risks(&[RiskType::Other]),
        )],
    );
    dr.village = "<i>红星村</i>".into();
    dr.issuer = "红星村&村委会".into();
    let html = Notice::new(dr, &NoticeRules::default())
        .unwrap()
        .render_html();
    assert!(!html.contains("<b>") && !html.contains("<i>"), "{html}");
    assert!(html.contains("&quot;三组&quot;&amp;&lt;b&gt;"));
    assert!(html.contains("关于&lt;i&gt;红星村&lt;/i&gt;防止返贫监测对象识别的公示"));
    assert!(html.contains("红星村&amp;村委会"));
}

#[test]
fn html_is_self_contained_and_printable() {
    let n = Notice::new(
        draft(NoticeKind::IdentificationAnnouncement, vec![one()]),
        &NoticeRules::default(),
    )
    .unwrap();
    let html = n.render_html();
    let lower = html.to_lowercase();
    for banned in [
        "http",
        "//",
        "url(",
        "@import",
        "<script",
        "<link",
        "src=",
        "href=",
        "@font-face",
    ] {
        assert!(!lower.contains(banned), "{banned}");
    }
    assert!(html.contains("@page { size: A4"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("关于红星村防止返贫监测对象识别结果的公告"));
    assert!(html.contains("公告期：2024年3月4日至2024年3月8日（共5天）"));
    assert!(html.contains("如有异议") && html.contains("0851-2612345"));
}

#[test]
fn text_has_title_table_period_objection_and_signature() {
    let entries = vec![
        one(),
        entry(
            "欧阳·买买提",
            "红岩组",
            Category::SuddenHardship,
            5,
            risks(&[RiskType::Accident, RiskType::Housing]),
        ),
    ];
    let n = Notice::new(
        draft(NoticeKind::EliminationPublicity, entries),
        &NoticeRules::default(),
    )
    .unwrap();
    let t = n.render_text();
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines[0], "关于红星村防止返贫监测对象风险消除的公示");
    assert!(t.contains("以下2户8人"));
    assert!(t.contains("已消除风险类型"));
    assert!(t.contains("因意外事故、住房出现安全问题"));
    assert!(t.contains("突发严重困难户"));
    assert!(t.contains("公示期：2024年3月4日至2024年3月8日（共5天）。"));
    assert!(t.contains("向红星村村民委员会反映（电话：0851-2612345）"));
    assert_eq!(lines[lines.len() - 2], "红星村村民委员会");
    assert_eq!(lines[lines.len() - 1], "2024年3月4日");
    // Columns line up: 村民小组 starts at the same display column in the header and rows.
    let col = |needle: &str| {
        let l = lines.iter().find(|l| l.contains(needle)).unwrap();
        display_width(&l[..l.find(needle).unwrap()])
    };
    assert_eq!(col("村民小组"), col("三组"));
    assert_eq!(col("村民小组"), col("红岩组"));
    assert_eq!(col("监测对象类别"), col("边缘易致贫户"));
}

#[test]
fn period_rule() {
    let rules = NoticeRules::default();
    let mut dr = draft(NoticeKind::IdentificationPublicity, vec![one()]);
    dr.end = d(2024, 3, 7); // 4 days, both ends included
    let errs = Notice::new(dr.clone(), &rules).unwrap_err();
    assert_eq!(
        errs,
        vec![NoticeError::PeriodTooShort {
            what: "公示期",
            start: d(2024, 3, 4),
            end: d(2024, 3, 7),
            days: 4,
            min_days: 5
        }]
    );
    assert_eq!(
        errs[0].to_string(),
        "公示期自2024-03-04至2024-03-07共4天，少于规定的5天"
    );
    dr.end = d(2024, 3, 8);
    assert_eq!(Notice::new(dr.clone(), &rules).unwrap().days(), 5);
    // Configurable: 7 days.
    let seven = NoticeRules {
        min_days: 7,
        ..rules
    };
    assert!(matches!(
        Notice::new(dr.clone(), &seven).unwrap_err()[..],
        [NoticeError::PeriodTooShort { min_days: 7, .. }]
    ));
    dr.end = d(2024, 3, 1);
    assert!(matches!(
        Notice::new(dr.clone(), &rules).unwrap_err()[..],
        [NoticeError::PeriodReversed { .. }]
    ));
    dr.end = d(2024, 3, 10);
    dr.issued_on = d(2024, 3, 5);
    assert!(matches!(
        Notice::new(dr, &rules).unwrap_err()[..],
        [NoticeError::IssuedAfterStart { .. }]
    ));
}

#[test]
fn empty_list_and_bad_entries_refused() {
    let errs = Notice::new(
        draft(NoticeKind::IdentificationPublicity, vec![]),
        &NoticeRules::default(),
    )
    .unwrap_err();
    assert_eq!(errs, vec![NoticeError::NoEntries]);
    assert_eq!(errs[0].to_string(), "公示名单为空：至少应有一户");
    let name = || PersonName::parse("张三").unwrap();
    let group = || VillageGroup::parse("三组").unwrap();
    let r = risks(&[RiskType::Illness]);
    assert!(NoticeEntry::new(name(), group(), Category::Marginal, 0, r).is_err());
    assert!(NoticeEntry::new(name(), group(), Category::Marginal, 3, RiskSet::EMPTY).is_err());
    let six = risks(&RiskType::ALL[..6]);
    assert!(NoticeEntry::new(name(), group(), Category::Marginal, 3, six).is_err());
    assert!(VillageGroup::parse("  ").is_err());
}

#[test]
fn id_hidden_in_group_is_refused() {
    let s = sensitive_household();
    let hidden = format!("三组（{}号）", s.head.id_number.as_str());
    let e = VillageGroup::parse(&hidden).unwrap_err();
    assert_eq!(
        e.message,
        "村民小组中疑似含有身份证件号码：公示公告不得公开身份证件号码、手机号、银行账号和健康状况，请删除后重试"
    );
}

/// Longest run of ASCII digits in `s`, and whether an 18-character ID-like run
/// (17 digits and a digit or X) occurs.
fn digit_runs(s: &str) -> (usize, bool) {
    let b = s.as_bytes();
    let (mut longest, mut id_like, mut run) = (0, false, 0);
    for &c in b {
        if c.is_ascii_digit() {
            run += 1;
            longest = longest.max(run);
        } else {
            if run == 17 && (c == b'X' || c == b'x') {
                id_like = true;
            }
            run = 0;
        }
    }
    (longest, id_like || longest >= 18)
}

fn name_strategy() -> impl Strategy<Value = String> {
    "[\u{4e00}-\u{9fa5}A-Za-z<>&'\"·]{1,12}"
}

fn group_strategy() -> impl Strategy<Value = String> {
    "[一二三四五六七八九十组0-9Xx <>&-]{1,20}"
}

fn risk_strategy() -> impl Strategy<Value = RiskSet> {
    proptest::sample::subsequence(RiskType::ALL.to_vec(), 1..=MAX_RISKS).prop_map(|v| risks(&v))
}

proptest! {
    #[test]
    fn rendered_notices_never_hold_id_or_phone_like_runs(
        rows in proptest::collection::vec(
            (name_strategy(), group_strategy(), 0usize..3, 1u32..12, risk_strategy()),
            1..8,
        ),
        kind in 0usize..4,
        mask in any::<bool>(),
    ) {
        let mut entries = Vec::new();
        for (name, group, cat, size, r) in rows {
            let Ok(name) = PersonName::parse(&name) else { continue };
            let group = match VillageGroup::parse(&group) {
                Ok(g) => g,
                Err(_) => {
                    // Refused only for a reason: empty, or a long number in it.
                    let t = fold_width(&group);
                    prop_assert!(t.is_empty() || find_sensitive(&t).is_some());
                    continue;
                }
            };
            entries.push(NoticeEntry::new(name, group, Category::ALL[cat], size, r).unwrap());
        }
        prop_assume!(!entries.is_empty());
        let rules = NoticeRules {
            risk_wording: if mask { RiskWording::MaskHealth } else { RiskWording::TypeLabels },
            ..NoticeRules::default()
        };
        let n = Notice::new(draft(NoticeKind::ALL[kind], entries), &rules).unwrap();
        for doc in [n.render_html(), n.render_text()] {
            let (longest, id_like) = digit_runs(&doc);
            prop_assert!(!id_like, "ID-like run in {doc}");
            prop_assert!(longest < 11, "11-digit run in {doc}");
            prop_assert_eq!(find_sensitive(&doc), None);
        }
        prop_assert!(!n.render_html().contains("<script"));
    }
}
