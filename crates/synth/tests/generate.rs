//! End-to-end checks of the generator on the real villages of 520322 桐梓县: the files read
//! back with the template headers, every value parses with the domain's own parsers, and the
//! registry, incomes and feeds have the shape the generator promises.

use chrono::NaiveDate;
use domain::{
    Education, Health, HealthCondition, HouseholdNo, HouseholdType, IdNumber, Labor, Money,
    PersonName, Phone, RegionCode, Relation, Schooling, Sex, check_composition,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use synth::{Config, Generated, generate, generate_in_memory};
use tabular::spec;

const HOUSEHOLDS: usize = 2_000;
const SEED: u64 = 20_250_101;

/// 桐梓县 with its real villages, and a few real counties of 贵州 as other ID divisions.
fn tongzi(households: usize, seed: u64) -> Config {
    let all = tabular::divisions::read(
        &tabular::divisions::Source::Embedded,
        &tabular::divisions::Filter {
            prefix: Some("520322".into()),
        },
    )
    .expect("embedded division data");
    let county = RegionCode::parse("520322").unwrap();
    let mut cfg = Config::from_divisions(county, &all, households, seed).unwrap();
    cfg.other_counties = ["520302", "520303", "520304", "520323", "520330", "520102"]
        .iter()
        .map(|c| RegionCode::parse(c).unwrap())
        .collect();
    cfg
}

fn data() -> &'static Generated {
    static DATA: OnceLock<Generated> = OnceLock::new();
    DATA.get_or_init(|| generate_in_memory(&tongzi(HOUSEHOLDS, SEED)).unwrap())
}

/// A CSV file read back: headers and rows, columns looked up by Chinese header.
struct Table {
    headers: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

impl Table {
    fn read(bytes: &[u8]) -> Self {
        let mut rdr = csv::Reader::from_reader(bytes);
        let headers = rdr.headers().unwrap().iter().map(str::to_string).collect();
        let rows = rdr.records().map(Result::unwrap).collect();
        Self { headers, rows }
    }

    fn col(&self, header: &str) -> usize {
        self.headers
            .iter()
            .position(|h| h == header)
            .unwrap_or_else(|| panic!("no column {header}"))
    }

    fn values<'a>(&'a self, header: &str) -> impl Iterator<Item = &'a str> + 'a {
        let c = self.col(header);
        self.rows.iter().map(move |r| &r[c])
    }
}

fn table(name: &str) -> Table {
    Table::read(data().file(name).unwrap())
}

fn money(s: &str) -> Money {
    if s.is_empty() {
        Money::ZERO
    } else {
        Money::parse_yuan(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let cfg = tongzi(300, 7);
    let a = generate_in_memory(&cfg).unwrap();
    let b = generate_in_memory(&cfg).unwrap();
    assert_eq!(a.files, b.files);
    let c = generate_in_memory(&tongzi(300, 8)).unwrap();
    assert_ne!(a.file("members"), c.file("members"));
    assert_ne!(a.file("medical"), c.file("medical"));
}

#[test]
fn files_on_disk_equal_the_in_memory_ones() {
    let cfg = tongzi(300, 7);
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&cfg, dir.path()).unwrap();
    let mem = generate_in_memory(&cfg).unwrap();
    for (name, bytes) in &mem.files {
        let on_disk = std::fs::read(dir.path().join(name)).unwrap();
        assert!(on_disk == *bytes, "{name} differs");
    }
    assert_eq!(summary.rows("households"), Some(300));
    for f in &summary.files {
        let lines = mem
            .file(f.template.name)
            .unwrap()
            .split(|&b| b == b'\n')
            .count();
        assert_eq!(f.rows as usize, lines - 2, "{}", f.file_name); // header, final newline
    }
}

#[test]
fn every_file_has_the_template_headers_in_order() {
    let d = data();
    assert_eq!(d.files.len(), spec::ALL.len());
    for t in spec::ALL {
        let bytes = d.file(t.name).unwrap();
        let first = bytes.split(|&b| b == b'\n').next().unwrap();
        assert_eq!(
            std::str::from_utf8(first).unwrap(),
            t.headers().join(","),
            "{}",
            t.name
        );
    }
    assert_eq!(d.summary.rows("households"), Some(HOUSEHOLDS as u64));
}

#[test]
fn households_are_valid_and_spread_over_real_villages() {
    let cfg = tongzi(HOUSEHOLDS, SEED);
    let villages: BTreeMap<String, &synth::Village> = cfg
        .villages
        .iter()
        .map(|v| (v.code.to_string(), v))
        .collect();
    let t = table("households");
    let mut numbers = BTreeSet::new();
    let mut per_village: BTreeMap<&str, usize> = BTreeMap::new();
    let (c_no, c_village, c_type, c_exit, c_phone, c_addr) = (
        t.col("户编号"),
        t.col("村代码"),
        t.col("户类型"),
        t.col("脱贫年度"),
        t.col("联系电话"),
        t.col("住址"),
    );
    let mut unsafe_housing = 0;
    for r in &t.rows {
        let no = HouseholdNo::parse(&r[c_no]).unwrap();
        assert!(no.as_str().len() <= 32);
        assert!(numbers.insert(no.as_str().to_string()), "duplicate {no}");
        let v = villages
            .get(&r[c_village])
            .expect("a real village of the county");
        assert!(r[c_no].starts_with(&r[c_village]));
        *per_village.entry(&r[c_village]).or_default() += 1;
        assert!(r[c_addr].starts_with(&v.township_name), "{}", &r[c_addr]);
        assert!(r[c_addr].ends_with('组'));
        match HouseholdType::parse(&r[c_type]).unwrap() {
            HouseholdType::ExPoor => {
                let y: u16 = r[c_exit].parse().unwrap();
                assert!((2014..=2020).contains(&y));
            }
            HouseholdType::Ordinary => assert!(r[c_exit].is_empty()),
        }
        if !r[c_phone].is_empty() {
            assert_eq!(Phone::parse(&r[c_phone]).unwrap().as_str(), &r[c_phone]);
        }
        let housing = domain::HousingSafety::parse(&r[t.col("住房安全")]).unwrap();
        unsafe_housing += usize::from(!housing.is_safe());
        domain::WaterSafety::parse(&r[t.col("饮水安全")]).unwrap();
    }
    assert!(per_village.len() > cfg.villages.len() / 2);
    let sizes: Vec<usize> = per_village.values().copied().collect();
    assert!(sizes.iter().max().unwrap() > &(2 * sizes.iter().min().unwrap()));
    let phones = t.values("联系电话").filter(|p| !p.is_empty()).count();
    assert!(phones as f64 > 0.8 * HOUSEHOLDS as f64);
    assert!(unsafe_housing as f64 / (HOUSEHOLDS as f64) < 0.06);

    let ex_poor = t.values("户类型").filter(|v| *v == "脱贫户").count() as f64;
    let share = ex_poor / HOUSEHOLDS as f64;
    assert!((0.25..=0.35).contains(&share), "脱贫户 share {share}");
}

#[test]
fn members_have_valid_unique_ids_agreeing_with_sex_and_birth() {
    let t = table("members");
    let mut seen = BTreeSet::new();
    let mut elsewhere = 0;
    for r in &t.rows {
        let id = IdNumber::parse(&r[t.col("证件号码")]).unwrap();
        assert!(seen.insert(id.as_str().to_string()), "duplicate ID");
        assert_eq!(Sex::parse(&r[t.col("性别")]).unwrap(), id.sex());
        assert_eq!(date(&r[t.col("出生日期")]), id.birth_date());
        elsewhere += usize::from(id.division() != "520322");
        PersonName::parse(&r[t.col("姓名")]).unwrap();
    }
    let share = elsewhere as f64 / t.rows.len() as f64;
    assert!(share > 0.01 && share < 0.2, "IDs from elsewhere {share}");
}

#[test]
fn ids_stay_unique_across_chunks() {
    // 5,000 households span three chunks generated in parallel.
    let g = generate_in_memory(&tongzi(5_000, 3)).unwrap();
    let t = Table::read(g.file("members").unwrap());
    let ids: BTreeSet<&str> = t.values("证件号码").collect();
    assert_eq!(ids.len(), t.rows.len());
    let h = Table::read(g.file("households").unwrap());
    let nos: BTreeSet<&str> = h.values("户编号").collect();
    assert_eq!(nos.len(), 5_000);
    for feed in ["medical", "death", "assistance"] {
        let f = Table::read(g.file(feed).unwrap());
        for id in f.values("证件号码") {
            IdNumber::parse(id).unwrap();
        }
    }
}

#[test]
fn households_have_one_head_at_most_one_spouse_and_coherent_families() {
    let t = table("members");
    let (c_hh, c_rel, c_id) = (t.col("户编号"), t.col("与户主关系"), t.col("证件号码"));
    let nos: Vec<HouseholdNo> = t
        .rows
        .iter()
        .map(|r| HouseholdNo::parse(&r[c_hh]).unwrap())
        .collect();
    let rels: Vec<Relation> = t
        .rows
        .iter()
        .map(|r| Relation::parse(&r[c_rel]).unwrap())
        .collect();
    let problems = check_composition(
        nos.iter()
            .zip(&rels)
            .enumerate()
            .map(|(i, (n, r))| (i, n, *r)),
    );
    assert!(problems.is_empty(), "{:?}", problems.first());

    let mut by_hh: BTreeMap<&str, Vec<(Relation, IdNumber)>> = BTreeMap::new();
    for (r, rel) in t.rows.iter().zip(&rels) {
        by_hh
            .entry(&r[c_hh])
            .or_default()
            .push((*rel, IdNumber::parse(&r[c_id]).unwrap()));
    }
    assert_eq!(by_hh.len(), HOUSEHOLDS);
    let mean = t.rows.len() as f64 / by_hh.len() as f64;
    assert!((3.0..=3.4).contains(&mean), "mean household size {mean}");
    assert!(by_hh.values().all(|m| (1..=9).contains(&m.len())));
    assert!(by_hh.values().filter(|m| m.len() == 1).count() > HOUSEHOLDS / 20);

    use Relation as R;
    let years = |a: &IdNumber, b: &IdNumber| (a.birth_date() - b.birth_date()).num_days() / 365;
    for members in by_hh.values() {
        let (head_rel, head) = &members[0];
        assert_eq!(*head_rel, R::Head, "户主 comes first");
        for (rel, id) in &members[1..] {
            let sex = id.sex();
            match rel {
                R::Spouse => assert_ne!(sex, head.sex()),
                R::Son | R::Grandson | R::DaughtersSon | R::Father | R::SonInLaw => {
                    assert_eq!(sex, Sex::Male, "{rel}")
                }
                R::Daughter
                | R::Granddaughter
                | R::DaughtersDaughter
                | R::Mother
                | R::DaughterInLaw => assert_eq!(sex, Sex::Female, "{rel}"),
                _ => {}
            }
            match rel {
                R::Son | R::Daughter => assert!(years(id, head) >= 16, "child too old"),
                R::Grandson | R::Granddaughter | R::DaughtersSon | R::DaughtersDaughter => {
                    assert!(years(id, head) >= 32, "grandchild too old");
                    // If the parents' generation lives here, one of them is old enough to be
                    // the parent (隔代户 have none).
                    let mut parents = members.iter().filter(|(r2, _)| {
                        matches!(r2, R::Son | R::DaughterInLaw | R::Daughter | R::SonInLaw)
                    });
                    let mut any = parents.clone().peekable();
                    if any.peek().is_some() {
                        assert!(
                            parents.any(|(_, parent)| years(id, parent) >= 16),
                            "grandchild older than the parents' generation"
                        );
                    }
                }
                R::Father | R::Mother => assert!(years(head, id) >= 16, "parent too young"),
                _ => {}
            }
        }
    }
}

#[test]
fn member_attributes_follow_age_and_health() {
    let t = table("members");
    let reference = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let n = t.rows.len() as f64;
    let (mut chronic, mut serious, mut disabled, mut insured, mut dibao) = (0, 0, 0, 0, 0);
    for r in &t.rows {
        let id = IdNumber::parse(&r[t.col("证件号码")]).unwrap();
        let age = domain::household::age_on(id.birth_date(), reference);
        let labor = Labor::parse(&r[t.col("劳动技能")]).unwrap();
        let health = Health::parse(&r[t.col("健康状况")]).unwrap();
        let grade = &r[t.col("残疾等级")];
        let schooling = &r[t.col("在校生状况")];
        let education = &r[t.col("文化程度")];
        let months = &r[t.col("务工月数")];
        assert_eq!(
            health.has(HealthCondition::Disabled),
            !grade.is_empty(),
            "残疾等级 iff 残疾"
        );
        if !grade.is_empty() {
            domain::DisabilityGrade::parse(grade).unwrap();
        }
        chronic += usize::from(health.has(HealthCondition::Chronic));
        serious += usize::from(health.has(HealthCondition::Serious));
        disabled += usize::from(health.has(HealthCondition::Disabled));
        // 在校生状况 and 文化程度 are exclusive.
        assert!(schooling.is_empty() || education.is_empty());
        if !schooling.is_empty() {
            let s = Schooling::parse(schooling).unwrap();
            assert!(age <= 26, "student aged {age}");
            if s.is_compulsory() {
                assert!((5..=16).contains(&age), "{s} at {age}");
            }
        }
        if !education.is_empty() {
            Education::parse(education).unwrap();
        }
        if (7..=14).contains(&age) {
            let s = Schooling::parse(schooling).expect("compulsory-age children are at school");
            assert!(s.is_compulsory(), "{s} at {age}");
        }
        if !(16..85).contains(&age) {
            assert!(!labor.has_capacity(), "{labor} at {age}");
        }
        if !months.is_empty() {
            let m: u8 = months.parse().unwrap();
            assert!(m <= 12);
            assert!(age >= 16);
            if m > 0 {
                assert!(labor.has_capacity());
            }
        }
        insured += usize::from(&r[t.col("参加城乡居民医保")] == "是");
        dibao += usize::from(&r[t.col("享受低保")] == "是");
        assert!(!(&r[t.col("享受低保")] == "是" && &r[t.col("特困供养")] == "是"));
    }
    let share = |k: usize| k as f64 / n;
    assert!(
        (0.08..=0.17).contains(&share(chronic)),
        "慢性病 {}",
        share(chronic)
    );
    assert!(
        (0.005..=0.03).contains(&share(serious)),
        "大病 {}",
        share(serious)
    );
    assert!(
        (0.04..=0.09).contains(&share(disabled)),
        "残疾 {}",
        share(disabled)
    );
    assert!(
        (0.97..=0.995).contains(&share(insured)),
        "医保 {}",
        share(insured)
    );
    assert!(
        (0.01..=0.1).contains(&share(dibao)),
        "低保 {}",
        share(dibao)
    );
}

#[test]
fn per_capita_income_is_in_the_intended_band() {
    let members = table("members");
    let mut size: BTreeMap<&str, u32> = BTreeMap::new();
    for hh in members.values("户编号") {
        *size.entry(hh).or_default() += 1;
    }
    let households = table("households");
    let ex_poor: BTreeSet<&str> = households
        .rows
        .iter()
        .filter(|r| &r[households.col("户类型")] == "脱贫户")
        .map(|r| &r[households.col("户编号")])
        .collect();
    let t = table("incomes");
    assert_eq!(t.rows.len(), 4 * HOUSEHOLDS);
    let mut last: Vec<(bool, f64)> = Vec::new();
    let mut by_year: BTreeMap<(String, u16), f64> = BTreeMap::new();
    for r in &t.rows {
        let hh = &r[t.col("户编号")];
        let year: u16 = r[t.col("年度")].parse().unwrap();
        let net = money(&r[t.col("工资性收入")]) + money(&r[t.col("生产经营性收入")])
            - money(&r[t.col("生产经营性支出")])
            + money(&r[t.col("财产性收入")])
            + money(&r[t.col("转移性收入")]);
        let pc = net.per_capita(size[hh]).unwrap().as_yuan_f64();
        by_year.insert((hh.to_string(), year), pc);
        for c in ["合规自付医疗支出", "教育支出", "其他刚性支出"] {
            assert!(money(&r[t.col(c)]) >= Money::ZERO);
        }
        if year == 2025 {
            last.push((ex_poor.contains(hh), pc));
        }
    }
    let all = median(last.iter().map(|x| x.1).collect());
    let poor = median(last.iter().filter(|x| x.0).map(|x| x.1).collect());
    let ordinary = median(last.iter().filter(|x| !x.0).map(|x| x.1).collect());
    assert!((12_000.0..=16_000.0).contains(&all), "median {all}");
    assert!(poor < ordinary, "脱贫户 {poor} vs 一般农户 {ordinary}");
    let below = last.iter().filter(|x| x.1 < 8_700.0).count() as f64 / last.len() as f64;
    assert!((0.01..=0.12).contains(&below), "below the line {below}");

    // A few households see sharp drops from one year to the next.
    let drops = by_year
        .iter()
        .filter(|((hh, y), pc)| {
            *y > 2022
                && by_year
                    .get(&(hh.clone(), y - 1))
                    .is_some_and(|prev| **pc < 0.7 * prev)
        })
        .count() as f64
        / (3 * HOUSEHOLDS) as f64;
    assert!((0.005..=0.1).contains(&drops), "sharp drops {drops}");
}

#[test]
fn feeds_are_inside_the_period_and_partly_outside_the_registry() {
    let members = table("members");
    let registry: BTreeSet<&str> = members.values("证件号码").collect();
    let (start, end) = (
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
    );
    let date_col = [
        ("medical", "结算日期"),
        ("disability", "发证日期"),
        ("disaster", "受灾日期"),
        ("assistance", "日期"),
        ("employment", "日期"),
        ("schooling", "日期"),
        ("housing", "鉴定日期"),
        ("death", "死亡日期"),
    ];
    let (mut rows, mut outside) = (0usize, 0usize);
    for (feed, col) in date_col {
        let t = table(feed);
        assert!(!t.rows.is_empty() || feed == "disaster", "{feed} is empty");
        for r in &t.rows {
            let id = &r[t.col("证件号码")];
            IdNumber::parse(id).unwrap();
            PersonName::parse(&r[t.col("姓名")]).unwrap();
            let d = date(&r[t.col(col)]);
            assert!(d >= start && d <= end, "{feed} {d}");
            outside += usize::from(!registry.contains(id));
        }
        rows += t.rows.len();
    }
    let share = outside as f64 / rows as f64;
    assert!(
        outside > 0 && (0.005..=0.04).contains(&share),
        "outsiders {share}"
    );

    let medical = table("medical");
    let per_member = medical.rows.len() as f64 / members.rows.len() as f64;
    assert!(
        (2.0..=3.0).contains(&per_member),
        "settlements per member {per_member}"
    );
    let out = medical
        .values("证件号码")
        .filter(|id| !registry.contains(id))
        .count() as f64
        / medical.rows.len() as f64;
    assert!((0.01..=0.03).contains(&out), "medical outsiders {out}");
}

#[test]
fn medical_amounts_add_up() {
    let t = table("medical");
    let mut inpatient = 0;
    for r in &t.rows {
        let total = money(&r[t.col("医疗总费用")]);
        let paid = money(&r[t.col("基本医保支付")])
            + money(&r[t.col("大病保险支付")])
            + money(&r[t.col("医疗救助支付")]);
        let own = money(&r[t.col("个人自付")]);
        assert!(total > Money::ZERO);
        assert!(own >= Money::ZERO);
        assert_eq!(total, paid + own);
        match &r[t.col("就诊类型")] {
            "住院" => inpatient += 1,
            "门诊" => {}
            other => panic!("就诊类型 {other}"),
        }
    }
    let share = f64::from(inpatient) / t.rows.len() as f64;
    assert!((0.02..=0.2).contains(&share), "inpatient share {share}");
}

#[test]
fn feed_values_use_the_template_choices() {
    for t in &spec::ALL[3..] {
        let table = table(t.name);
        for col in t.columns {
            let Some(choices) = col.choices() else {
                continue;
            };
            let c = table.col(col.header);
            for r in &table.rows {
                let v = &r[c];
                assert!(
                    v.is_empty() || choices.contains(&v),
                    "{} {}: {v}",
                    t.name,
                    col.header
                );
            }
        }
    }
}

#[test]
fn config_from_divisions_and_validation() {
    let cfg = tongzi(10, 1);
    assert_eq!(cfg.county_name, "桐梓县");
    assert_eq!(cfg.villages.len(), 232);
    assert!(cfg.villages.iter().all(|v| !v.township_name.is_empty()));
    let mut bad = cfg.clone();
    bad.income_years = 2010..=2012;
    assert!(bad.validate().is_err());
    let mut bad = cfg.clone();
    bad.villages.clear();
    assert!(matches!(
        generate_in_memory(&bad),
        Err(synth::SynthError::Config(_))
    ));
    let mut empty = cfg;
    empty.households = 0;
    let g = generate_in_memory(&empty).unwrap();
    assert_eq!(g.summary.total_rows(), 0);
}
