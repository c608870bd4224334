//! 单项输入: the parsers of one value, which forms, API bodies, command-line arguments and
//! every cell of a file go through. Besides not failing, each accepted value must read back
//! as itself (a normalised value is a fixed point of its parser) and print masked without
//! a panic.
//!
//! Selector byte (modulo 10): 0 证件号码, 1 联系电话, 2 金额（元）, 3 区划代码 and 适用范围,
//! 4 户编号, 5 姓名 and 村民小组, 6 自主申报 (six fields separated by line feeds; the form
//! whose answer is the 回执码), 7 健康状况 and 风险类型 lists, 8 labels and yes/no flags,
//! 9 width folding and the free-text fields (the bounds and characters every note, reason
//! and address is checked for, and the short quotation an error message makes of it).

use domain::declaration::Declaration;
use domain::monitoring::{RiskSet, RiskType};
use domain::notice::VillageGroup;
use domain::screening::policy::Scope;
use domain::text::{TextField, fold_width, is_forbidden, quoted};
use domain::{
    Health, HouseholdNo, HouseholdType, IdNumber, Money, PersonName, Phone, RegionCode, Relation,
};

/// One input: selector byte, then the value as text.
pub fn check(data: &[u8]) {
    let (which, rest) = crate::pick(data);
    let s = crate::text(rest);
    let s = s.as_ref();
    match which % 10 {
        0 => id_number(s),
        1 => phone(s),
        2 => money(s),
        3 => region(s),
        4 => {
            if let Ok(no) = HouseholdNo::parse(s) {
                assert_eq!(HouseholdNo::parse(no.as_str()).as_ref(), Ok(&no));
            }
        }
        5 => {
            if let Ok(name) = PersonName::parse(s) {
                assert_eq!(PersonName::parse(name.as_str()).as_ref(), Ok(&name));
            }
            let _ = VillageGroup::parse(s);
        }
        6 => declaration(s),
        7 => {
            if let Ok(h) = Health::parse(s) {
                assert_eq!(Health::parse(&h.label()), Ok(h));
            }
            let _ = RiskSet::parse(s);
        }
        8 => {
            let _ = HouseholdType::parse(s);
            let _ = Relation::parse(s);
            let _ = RiskType::parse(s);
            let _ = domain::feed::parse_feed(s);
            let _ = domain::enums::parse_flag(s, "是否");
        }
        _ => {
            let _ = fold_width(s);
            free_text(s);
        }
    }
}

/// A free-text field, single- and multi-line: an accepted value is within its bound and
/// reads back as itself; a quotation is short and harmless whatever the value.
fn free_text(s: &str) {
    for field in [
        TextField::line("单位", domain::bounds::SHORT_CHARS),
        TextField::lines("走访情况", domain::bounds::NOTE_CHARS),
    ] {
        if let Ok(v) = field.parse(s) {
            assert!(v.chars().count() <= field.max_chars, "{field:?}: {s:?}");
            assert_eq!(field.parse(&v).as_ref(), Ok(&v), "{field:?}: {s:?}");
        }
    }
    let q = quoted(s);
    assert!(
        q.chars().count() <= 21 && !q.chars().any(is_forbidden),
        "{q:?}"
    );
}

fn id_number(s: &str) {
    let Ok(id) = IdNumber::parse(s) else { return };
    assert_eq!(IdNumber::parse(id.as_str()).as_ref(), Ok(&id));
    let _ = (id.birth_date(), id.sex(), id.division(), id.to_u64());
    // The birth date never shows in the masked form.
    let masked = id.masked();
    assert_eq!(masked.get(6..14), Some("********"), "{masked}");
}

fn phone(s: &str) {
    let Ok(p) = Phone::parse(s) else { return };
    assert_eq!(Phone::parse(p.as_str()).as_ref(), Ok(&p));
    let _ = p.masked();
}

fn money(s: &str) {
    let Ok(m) = Money::parse_yuan(s) else { return };
    let _ = m.check_sane("金额");
    let _ = m.per_capita(3);
    // The amount printed in yuan reads back as the same number of fen.
    let shown = m.to_string();
    assert_eq!(Money::parse_yuan(&shown), Ok(m), "{s:?} shown as {shown:?}");
}

fn region(s: &str) {
    if let Ok(code) = RegionCode::parse(s) {
        assert_eq!(RegionCode::parse(&code.to_string()), Ok(code));
        let (lo, hi) = code.subtree();
        assert!(lo <= code.as_u64() && code.as_u64() < hi);
        let _ = (code.level(), code.parent(), code.short());
    }
    let _ = Scope::parse(s);
}

fn declaration(s: &str) {
    let mut f = s.split('\n');
    let mut next = || f.next().unwrap_or_default();
    let (name, phone, id, village, difficulty, risk) =
        (next(), next(), next(), next(), next(), next());
    if let Ok(d) = Declaration::parse(name, phone, id, village, difficulty, risk) {
        assert!(!d.difficulty.is_empty());
        let _ = (d.phone.masked(), d.id_number.masked());
    }
}
