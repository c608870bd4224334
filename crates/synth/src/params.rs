//! Every figure the generator draws from, in one place, each with where it comes from.
//!
//! Tags in the manner of `docs/domain.md` §0: **[S]** a published statistic (named), **[P]**
//! a provincial or county practice figure, **[A]** an assumption chosen so that the
//! synthetic county looks plausible — tune freely, nothing downstream depends on the exact
//! value. Amounts are yuan at 2025 prices unless said otherwise; earlier years are deflated
//! with the growth rates below.

use domain::HousingSafety;

// ---------------------------------------------------------------------------------------
// Households (户信息)
// ---------------------------------------------------------------------------------------

/// Spread of village sizes: each village's weight is log-normal with this σ. [A] Rural
/// Guizhou villages range from ~150 to ~1,500 households; σ = 0.5 gives a max/min ratio of
/// roughly 5–8 over 200 villages.
pub const VILLAGE_SIZE_SIGMA: f64 = 0.5;

/// Weight of an urban community (社区居民委员会) relative to a village (村民委员会): few of
/// their residents are on the rural registry, except relocated (易地扶贫搬迁) households. [A]
pub const COMMUNITY_WEIGHT: f64 = 0.45;

/// Households per 村民小组 (组) when deciding how many groups a village has. [P:略阳] grids of
/// 30–50 households; groups are of similar size.
pub const HOUSEHOLDS_PER_GROUP: usize = 40;

/// Bounds on the number of 组 in a village. [A] Guizhou villages have about 5–25.
pub const GROUPS_PER_VILLAGE: (usize, usize) = (4, 30);

/// Share of 脱贫户 among registered rural households. [A] Guizhou registered ~30% of its rural
/// population as poor at the peak (2014, 623万 of ~2,000万 rural); counties like 桐梓 were
/// near that share. The test band is 25–35%.
pub const EX_POOR_SHARE: f64 = 0.30;

/// 脱贫年度 distribution, 2014–2020 (weights). [A] following Guizhou's exit pace: most exits
/// in 2016–2019, the last 9 counties of Guizhou in 2020.
pub const EXIT_YEAR_WEIGHTS: [(u16, u32); 7] = [
    (2014, 5),
    (2015, 9),
    (2016, 16),
    (2017, 20),
    (2018, 22),
    (2019, 18),
    (2020, 10),
];

/// Share of households with a mobile number on file. [A] Household contact phones are
/// collected for nearly all households; some elderly households have none.
pub const PHONE_SHARE: f64 = 0.92;

/// Mobile prefixes (号段) in use on the three carriers. [S] MIIT allocation list (common
/// ones only).
pub const PHONE_PREFIXES: [u16; 38] = [
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158, 159,
    166, 173, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 191, 198, 199,
];

/// 住房安全 as recorded in the registry, with weights. [A] After the 危房改造 campaigns almost
/// every registered dwelling is rated safe; a residual 1–3% C/D or unsafe remains, which is
/// what the 住建 warnings are about.
pub const HOUSING_WEIGHTS: [(HousingSafety, u32); 6] = [
    (HousingSafety::Safe, 6000),
    (HousingSafety::GradeA, 1800),
    (HousingSafety::GradeB, 1870),
    (HousingSafety::GradeC, 180),
    (HousingSafety::GradeD, 60),
    (HousingSafety::Unsafe, 90),
];

/// Share of households recorded with unsafe drinking water. [S] rural tap-water coverage 94%
/// (mid-2025 briefing, docs/domain.md §13); [A] about 1.5% still fail the 饮水安全 test.
pub const WATER_UNSAFE_SHARE: f64 = 0.015;

// ---------------------------------------------------------------------------------------
// Household composition (家庭结构)
// ---------------------------------------------------------------------------------------

/// Household shapes and their weights for 一般农户 and 脱贫户. [A] Calibrated so that the
/// mean registered household size is ≈3.2 (2020 census: Guizhou family households 2.93
/// persons, rural registry households somewhat larger), with many single-elderly and
/// elderly-couple households and three-generation households where the grandparents head.
pub const SHAPE_WEIGHTS: [(Shape, u32, u32); 11] = [
    // (shape, weight for 一般农户, weight for 脱贫户)
    (Shape::SingleElder, 85, 115),
    (Shape::SingleAdult, 55, 70),
    (Shape::ElderCouple, 110, 95),
    (Shape::Couple, 65, 45),
    (Shape::SingleParent, 45, 60),
    (Shape::Nuclear, 320, 280),
    (Shape::NuclearWithParents, 90, 90),
    (Shape::ThreeGeneration, 125, 145),
    (Shape::Uxorilocal, 25, 25),
    (Shape::SkippedGeneration, 45, 55),
    (Shape::WithSibling, 35, 40),
];

/// Household shapes (家庭类型) the generator knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// 独居老人: one person aged 60+.
    SingleElder,
    /// 单身: one adult under 60 (often an unmarried man).
    SingleAdult,
    /// 空巢老人: an elderly couple.
    ElderCouple,
    /// A couple without children at home (young, or children split off).
    Couple,
    /// 单亲: a widowed or divorced parent with children.
    SingleParent,
    /// 核心家庭: a couple with children.
    Nuclear,
    /// A couple with children and the head's parents.
    NuclearWithParents,
    /// 三代户 headed by the grandfather: son, daughter-in-law, grandchildren.
    ThreeGeneration,
    /// 上门女婿: daughter, son-in-law and the daughter's children.
    Uxorilocal,
    /// 隔代户: grandparents with grandchildren (the parents registered elsewhere).
    SkippedGeneration,
    /// An unmarried head with a sibling or the mother.
    WithSibling,
}

/// Number of children of a couple (1, 2, 3, 4), weights. [A] Rural Guizhou: two children
/// most common, three not rare (TFR ≈ 2.0 in 2020).
pub const CHILDREN_WEIGHTS: [u32; 4] = [36, 45, 16, 3];

/// Largest registered household the generator builds. [A] rural registries rarely list more.
pub const MAX_HOUSEHOLD_SIZE: usize = 9;

/// Probability that a married couple's 户主 is the husband. [A] Rural registries list the man
/// as head in the vast majority of couples; women head mostly when widowed.
pub const HEAD_MALE_IF_COUPLE: f64 = 0.93;

/// Share of boys among births. [S] sex ratio at birth of Guizhou's 2000s census cohorts
/// ≈ 1.13 boys per girl.
pub const BOY_SHARE: f64 = 0.53;

/// Mother's age at first birth, uniform range. [A]
pub const FIRST_BIRTH_AGE: (u32, u32) = (19, 29);

/// Share of married-in members (wife, 儿媳, 女婿, the head's mother) whose ID was issued in
/// another county of the province. [A]
pub const MARRIED_IN_ELSEWHERE: f64 = 0.28;

/// Share of other members whose ID was issued elsewhere (moved in as adults). [A]
pub const OTHER_ELSEWHERE: f64 = 0.025;

/// Relative weight of a county of the same prefecture (市) among the other counties an ID
/// may come from. [A] marriage migration is mostly local.
pub const SAME_PREFECTURE_WEIGHT: u32 = 6;

/// Share of siblings (brothers) who share a generation character (字辈) as the first
/// character of a two-character given name. [A] Still common in rural Guizhou clans.
pub const GENERATION_NAME_SHARE: f64 = 0.45;

// ---------------------------------------------------------------------------------------
// Members (人口信息)
// ---------------------------------------------------------------------------------------

/// Age bands used by the health and labour tables: upper bounds (exclusive).
pub const AGE_BANDS: [u32; 6] = [15, 40, 60, 70, 80, u32::MAX];

/// Probability of 长期慢性病 by age band. [A] Rising with age; overall ≈12–13% of the
/// registered population (target 10–15%), in line with 国家卫生服务调查 chronic prevalence
/// for rural 60+ (~60% self-reported, far fewer recorded in the registry).
pub const CHRONIC_BY_AGE: [f64; 6] = [0.01, 0.04, 0.12, 0.25, 0.33, 0.38];

/// Probability of 患有大病 by age band. [A] Overall ≈1.5% (target 1–2%).
pub const SERIOUS_BY_AGE: [f64; 6] = [0.003, 0.006, 0.015, 0.03, 0.035, 0.035];

/// Probability of 残疾 by age band. [S] 2006 second national disability sample survey:
/// 6.34% of the population, rising steeply with age; [A] spread over bands to give ≈6%.
pub const DISABLED_BY_AGE: [f64; 6] = [0.012, 0.03, 0.06, 0.10, 0.14, 0.20];

/// Multiplier of illness and disability rates for 脱贫户 members: 因病 and 因残 were the
/// leading registered causes of poverty. [A]
pub const EX_POOR_HEALTH_FACTOR: f64 = 1.4;

/// 残疾等级 of registry members (一级, 二级, 三级, 四级), weights. [A] skewed to the mild
/// grades, as in 残联 certificate statistics.
pub const DISABILITY_GRADE_WEIGHTS: [u32; 4] = [10, 20, 32, 38];

/// 参加城乡居民医保 share. [S] coverage of 脱贫/监测 people kept ≥ 99% (docs/domain.md §4.5);
/// the rest of the rural population slightly lower.
pub const MEDICAL_INSURED_SHARE: f64 = 0.985;

/// Migrant work (外出务工): probability for a labour-capable, non-student member by sex and
/// age band (18–29, 30–44, 45–59). [S] 脱贫劳动力务工 ~3,300万 of ~(6,000万+) working-age
/// 脱贫 people (docs/domain.md §13); [A] men more than women, fewer after 45.
pub const MIGRANT_SHARE: [(f64, f64); 3] = [(0.72, 0.55), (0.65, 0.45), (0.42, 0.2)];

/// Months of migrant work in a year (6..=12), weights. [A] most migrants are away 10–12
/// months, returning for 春节.
pub const MIGRANT_MONTHS_WEIGHTS: [(u8, u32); 7] = [
    (6, 6),
    (7, 6),
    (8, 9),
    (9, 10),
    (10, 20),
    (11, 16),
    (12, 33),
];

/// Share of non-migrant labour-capable adults under 60 with local work (零工, 2–11 months),
/// men and women. [A] women more often stay home with children and the fields.
pub const LOCAL_WORK_SHARE: (f64, f64) = (0.85, 0.55);

/// Share of 16–59 healthy adults recorded as 技能劳动力. [A]
pub const SKILLED_SHARE: f64 = 0.15;

/// 享受低保 probability for a household by hardship score (0…5). The score counts: no
/// labour-capable adult (2), a 大病 member, a severely disabled member, 脱贫户, a lone elder.
/// [A] calibrated to ≈5% of registry members; Guizhou's rural 低保 coverage was ≈5–6% of the
/// rural population in 2023 (民政 statistics, approximate).
pub const DIBAO_BY_SCORE: [f64; 6] = [0.01, 0.04, 0.15, 0.30, 0.45, 0.55];

/// 特困供养 probability for a lone member aged 60+ or severely disabled with no labour and
/// no one to support them. [A] 特困 is ≈0.5–1% of the rural population.
pub const TEKUN_LONE_ELDER: f64 = 0.22;

// ---------------------------------------------------------------------------------------
// Schooling and education (在校生状况 / 文化程度)
// ---------------------------------------------------------------------------------------

/// Share of 3–5 year olds in 学前教育. [S] Guizhou gross pre-school enrolment ≈ 90% (2022).
pub const PRESCHOOL_SHARE: f64 = 0.9;

/// Share of compulsory-age pupils one grade behind their age cohort. [A]
pub const GRADE_LAG_SHARE: f64 = 0.05;

/// 15–17 year olds: share in 普通高中 and in 中职 (the rest have left school). [S] Guizhou
/// 高中阶段毛入学率 ≈ 90% (2022), about 60:40 general to vocational; [A] rural lower.
pub const UPPER_SECONDARY: (f64, f64) = (0.52, 0.33);

/// 18–21 year olds: share in 高职高专, 本科 and 技师学院. [S] Guizhou higher-education gross
/// enrolment ≈ 45% (2022); [A] rural households lower.
pub const TERTIARY: (f64, f64, f64) = (0.20, 0.16, 0.02);

/// 文化程度 by birth cohort: (last birth year of the cohort, weights of 文盲或半文盲, 小学, 初中,
/// 高中, 大专, 本科及以上). [S] shaped after the 2020 census for Guizhou (average 8.75 years
/// of schooling; illiteracy concentrated among women born before 1960); [A] the exact split.
pub const EDUCATION_BY_COHORT: [(i32, [u32; 6]); 5] = [
    (1950, [45, 42, 10, 3, 0, 0]),
    (1965, [22, 50, 23, 5, 0, 0]),
    (1980, [8, 36, 45, 8, 2, 1]),
    (1995, [2, 16, 55, 17, 6, 4]),
    (i32::MAX, [0, 4, 52, 27, 10, 7]),
];

// ---------------------------------------------------------------------------------------
// Incomes (收支信息)
// ---------------------------------------------------------------------------------------

/// The year whose price level the amounts below are given at; other years are scaled by
/// the growth rates.
pub const PRICE_YEAR: i32 = 2025;

/// Median monthly wage recorded for a migrant worker (外出务工). [S] 2024 农民工监测调查报告:
/// average monthly income of migrants 5,000+ yuan (west 4,700); [A] the registry records less
/// than the survey (verified, remitted amounts), so the median is set lower.
pub const MIGRANT_WAGE_MONTHLY: f64 = 3_900.0;

/// Median monthly income of local day labour (本地零工). [A]
pub const LOCAL_WAGE_MONTHLY: f64 = 2_500.0;

/// Dispersion (σ of the log) of individual wages. [A]
pub const WAGE_SIGMA: f64 = 0.2;

/// Wage factors for 技能劳动力, for 弱劳动力或半劳动力 and for women. [A] skilled workers earn
/// ~30% more; the 2024 农民工监测调查报告 shows women's pay well below men's.
pub const WAGE_FACTORS: (f64, f64, f64) = (1.3, 0.7, 0.88);

/// 乡村公益性岗位: monthly pay, and the chance that a 脱贫户 with a weak-labour member
/// (弱劳动力或半劳动力) holds one. [P] Guizhou posts pay ~500–800 yuan a month and go first
/// to weak labour of 脱贫/监测 households.
pub const PUBLIC_JOB: (f64, f64) = (650.0, 0.15);

/// Nominal growth of wages per year. [S] rural per-capita wage income grew ≈6–7% a year in
/// 2021–2024; [A] 5%.
pub const WAGE_GROWTH: f64 = 0.05;

/// Nominal growth of farm output per year. [A]
pub const FARM_GROWTH: f64 = 0.03;

/// Median gross farm output (种养殖) of a household with one farming adult, and its σ.
/// [A] 3–6 mu of maize, rapeseed and a pig or two.
pub const FARM_GROSS: (f64, f64) = (6_000.0, 0.6);

/// Farm cost as a share of gross output, uniform range. [A]
pub const FARM_COST_RATIO: (f64, f64) = (0.25, 0.5);

/// Larger business (养殖大户, small shop, transport): share of farming households with one,
/// median yearly turnover and its σ. [A]
pub const BUSINESS: (f64, f64, f64) = (0.05, 32_000.0, 0.7);
/// Cost of the larger business as a share of its turnover, uniform range. [A]
pub const BUSINESS_COST_RATIO: (f64, f64) = (0.55, 0.85);
/// Chance that the larger business has a loss year (costs above turnover). [A]
pub const BUSINESS_LOSS_SHARE: f64 = 0.12;

/// Property income: share of households renting out land (土地流转) and median rent. [A]
pub const LAND_RENT: (f64, f64) = (0.40, 550.0);

/// 资产收益 dividends for 脱贫户: share receiving and the uniform range. [P] photovoltaic and
/// cooperative dividends of a few hundred yuan.
pub const DIVIDEND: (f64, f64, f64) = (0.6, 200.0, 1_000.0);

/// Monthly 城乡居民基础养老金 by year (national minimum + a provincial top-up of ~20 yuan).
/// [S] national minimum 93 (2021), 98 (2022), 103 (2023), 123 (2024), 143 (2025);
/// [A] the top-up; later years +20 a year, earlier years −5 a year.
pub fn basic_pension_monthly(year: u16) -> f64 {
    let national = match year {
        ..=2020 => 88.0 - 5.0 * f64::from(2020u16.saturating_sub(year)),
        2021 => 93.0,
        2022 => 98.0,
        2023 => 103.0,
        2024 => 123.0,
        2025 => 143.0,
        _ => 143.0 + 20.0 * f64::from(year - 2025),
    };
    national.max(55.0) + 20.0
}

/// Personal-account part of the pension, uniform monthly range. [A]
pub const PENSION_PERSONAL: (f64, f64) = (5.0, 60.0);

/// 低保 monthly payment per covered person (差额补助) at 2025 level, median and σ. [P]
/// Guizhou rural 低保 standard ≈ 5,000–6,000 yuan a year (2024); the payment is the gap to
/// the standard, so typically 200–450 a month.
pub const DIBAO_MONTHLY: (f64, f64) = (330.0, 0.3);

/// Yearly growth of 低保 and 特困 amounts. [A] standards rose ~5–7% a year.
pub const ASSISTANCE_GROWTH: f64 = 0.06;

/// 特困供养 monthly basic living allowance, 2025 level. [N?] at least 1.3 × the 低保 standard.
pub const TEKUN_MONTHLY: f64 = 620.0;

/// 残疾人两项补贴: monthly 重度护理补贴 (grades 一/二) and 困难残疾人生活补贴 (低保 disabled).
/// [P] Guizhou ≈ 80–100 yuan a month each.
pub const DISABILITY_ALLOWANCE_MONTHLY: f64 = 90.0;

/// 耕地地力保护补贴 for farming households, uniform yearly range. [P] ~100–150 yuan per mu.
pub const FARM_SUBSIDY: (f64, f64) = (250.0, 900.0);

/// 生态补偿 (退耕还林, 生态护林员 excluded): share of households and median. [A]
pub const ECO_COMPENSATION: (f64, f64) = (0.5, 600.0);

/// 赡养费 received by households without a working-age member from children living
/// elsewhere: share of such households and the median per elder. [A]
pub const ELDER_SUPPORT: (f64, f64) = (0.92, 6_000.0);

/// Money sent for each child left with grandparents (留守儿童) by parents working away,
/// median per child and year. [A]
pub const CHILD_SUPPORT: f64 = 6_000.0;

/// 雨露计划 grant per vocational student of a 脱贫户 per year. [P] 1,500 per term.
pub const YULU_GRANT: f64 = 3_000.0;

/// Share of 脱贫户 receiving 产业奖补 in a year, uniform amount range. [P]
pub const INDUSTRY_GRANT: (f64, f64, f64) = (0.25, 500.0, 2_000.0);

/// Persistent household earning level: σ of a log-normal factor. [A]
pub const HOUSEHOLD_LEVEL_SIGMA: f64 = 0.18;

/// Earning factor of 脱贫户 relative to 一般农户 (fewer skills, remoter places). [A]
pub const EX_POOR_EARNING_FACTOR: f64 = 0.82;

/// Random year-to-year variation of wages and farm output (σ). [A]
pub const YEAR_NOISE_SIGMA: f64 = 0.07;

/// Yearly probability that a household has a shock year (job loss, illness, failed crop).
/// [A] gives the ≥30% income drops that 收入骤减 warnings look for (docs/domain.md §4.4).
pub const SHOCK_RATE: f64 = 0.035;
/// Factor applied to wages and business in a shock year, uniform range. [A]
pub const SHOCK_FACTOR: (f64, f64) = (0.1, 0.55);

/// Recorded per-capita income floor (median, σ) at 2025 prices. The registry's incomes are
/// verified by cadres who, for households without enough earnings, also count 应计赡养费
/// (what children owe), help from relatives and minor subsidies; so outside shock years
/// households are recorded at or above roughly this level. [A] calibrated so that only a few
/// percent of households are recorded near or below the monitoring line (≈7,000–8,700).
pub const RECORDED_FLOOR: (f64, f64) = (9_600.0, 0.12);

/// Share of households at real risk whose recorded income is not lifted to the floor: with
/// the shock years they make the few percent near or below the line. [A] docs/domain.md §1: the
/// 2020 scale was ~5% of the registered population.
pub const AT_RISK_SHARE: f64 = 0.06;

/// Education spending per student per year by stage (学前, 义务教育, 普通高中, 中职, 高等教育),
/// medians. [A] after 两免一补 compulsory schooling costs little; high school and college cost
/// thousands.
pub const EDUCATION_COST: [f64; 5] = [1_800.0, 600.0, 3_800.0, 2_600.0, 9_500.0];

/// Other rigid spending (其他刚性支出: accident, funeral, disaster repair): yearly share of
/// households and the median. [A]
pub const OTHER_RIGID: (f64, f64) = (0.02, 5_000.0);

// ---------------------------------------------------------------------------------------
// Medical settlements (医保结算)
// ---------------------------------------------------------------------------------------

/// Expected outpatient settlements a year by age band, for a person without chronic or
/// serious illness. [A] 门诊统筹 settlements at village clinics; calibrated with the terms
/// below to ≈2.5 settlements per person per year overall (target 2–3).
pub const OUTPATIENT_RATE: [f64; 6] = [1.4, 0.8, 1.3, 2.0, 2.6, 2.8];

/// Extra yearly outpatient settlements for 长期慢性病 (门诊慢特病), 大病 and 残疾. [A]
pub const OUTPATIENT_EXTRA: (f64, f64, f64) = (6.0, 8.0, 1.0);

/// Expected inpatient stays a year by age band. [S] China's hospitalisation rate ≈ 20% a
/// year (2021), higher for the elderly; [A] the split by age.
pub const INPATIENT_RATE: [f64; 6] = [0.08, 0.05, 0.11, 0.22, 0.32, 0.38];

/// Extra yearly inpatient stays for 长期慢性病 and 大病. [A]
pub const INPATIENT_EXTRA: (f64, f64) = (0.25, 2.2);

/// Heterogeneity of care use between people: σ of a log-normal multiplier with mean 1, so
/// many people have no settlement at all and a few have many. [A]
pub const CARE_USE_SIGMA: f64 = 0.9;

/// Cost of a general outpatient settlement: median and σ. [A] village clinic visits of tens
/// of yuan, with a tail of hospital outpatient bills.
pub const OUTPATIENT_COST: (f64, f64) = (75.0, 0.9);
/// Cost of a 门诊慢特病 settlement: median and σ. [A]
pub const CHRONIC_OUTPATIENT_COST: (f64, f64) = (320.0, 0.7);

/// Cost of an ordinary inpatient stay: median and σ. [S] average inpatient bill in county
/// hospitals ≈ 5,000–6,000 yuan (卫生健康统计年鉴 2022); [A] 大病 stays (below) ~20,000 with
/// a long tail (a few above 100,000).
pub const INPATIENT_COST: (f64, f64) = (4_600.0, 0.75);
/// Cost of an inpatient stay of a 大病 patient: median and σ. [A]
pub const SERIOUS_INPATIENT_COST: (f64, f64) = (17_000.0, 0.95);

/// Largest single bill the generator writes. [A]
pub const MAX_BILL: f64 = 1_500_000.0;

/// Share of a bill inside the insurance catalogue (目录内, 合规), uniform range. [A]
pub const COMPLIANT_SHARE: (f64, f64) = (0.78, 0.96);

/// 基本医保 outpatient reimbursement rate (general, 门诊慢特病) and per-visit cap. [P]
/// Guizhou 门诊统筹 50–60%; 门诊慢特病 60–70%.
pub const OUTPATIENT_REIMBURSE: (f64, f64, f64) = (0.5, 0.65, 200.0);

/// 基本医保 inpatient deductible (起付线), uniform range. [P] county-hospital deductibles
/// 300–800, reimbursement rates 65–85%.
pub const INPATIENT_DEDUCTIBLE: (f64, f64) = (300.0, 800.0);
/// 基本医保 inpatient reimbursement rate, uniform range. [P]
pub const INPATIENT_REIMBURSE: (f64, f64) = (0.65, 0.82);
/// Extra inpatient reimbursement rate for 脱贫户, 低保 and 特困 (政策倾斜). [P]
pub const INPATIENT_TILT: f64 = 0.05;

/// 大病保险 threshold (起付线) on the compliant self-pay of a stay: everyone, and the halved
/// one for 脱贫/低保/特困. [P] thresholds ~10,000 (halved for the poor), rate 60%+.
pub const CRITICAL_THRESHOLD: (f64, f64) = (10_000.0, 5_000.0);
/// 大病保险 pay rate above the threshold: everyone, and 脱贫/低保/特困. [P]
pub const CRITICAL_RATE: (f64, f64) = (0.6, 0.65);

/// 医疗救助 share of the remaining compliant self-pay: 特困, 低保, 脱贫户 (inpatient only).
/// [P] 特困 fully covered within limits, 低保 70%, 返贫致贫 groups ~50%.
pub const ASSISTANCE_RATE: (f64, f64, f64) = (1.0, 0.7, 0.5);

// ---------------------------------------------------------------------------------------
// Other feeds
// ---------------------------------------------------------------------------------------

/// Share of feed rows about people outside the registry (not in members.csv), per feed:
/// town residents, people from neighbouring counties, data errors. [A] target 1–3%.
pub const OUTSIDER_SHARE: f64 = 0.02;

/// 残疾人证: yearly share of registry-disabled members with a certificate event (renewal,
/// 换证, grade review). [A] with the new certificates, ~1–2% of people are in the feed.
pub const DISABILITY_RENEWAL: f64 = 0.16;
/// Yearly rate of a new 残疾人证 for members not registered as disabled, by age band. [A]
pub const NEW_DISABILITY_BY_AGE: [f64; 6] = [0.002, 0.003, 0.006, 0.010, 0.016, 0.022];

/// 残疾等级 of new certificates (一级…四级), weights. [A] skewed to 三级/四级.
pub const NEW_DISABILITY_GRADE_WEIGHTS: [u32; 4] = [8, 17, 35, 40];

/// 残疾类别 weights: 视力, 听力, 言语, 肢体, 智力, 精神, 多重. [S] 2006 disability survey
/// shares (肢体 29%, 听力 24%, 多重 16%, 视力 14%, 精神 7%, 智力 6%, 言语 1.5%) re-weighted
/// towards 肢体 as certificate holders are.
pub const DISABILITY_KIND_WEIGHTS: [u32; 7] = [12, 14, 2, 45, 8, 9, 10];

/// Disaster events per year in the county. [A] a Guizhou mountain county sees a dozen local
/// floods, landslides and hailstorms a year; ≈1–3% of households appear in the 受灾 feed.
pub const DISASTER_EVENTS_PER_YEAR: f64 = 12.0;
/// Villages of one township hit by a disaster event, inclusive range. [A]
pub const DISASTER_VILLAGES: (usize, usize) = (1, 4);
/// Share of a hit village's households in the 受灾 feed, uniform range per event. [A]
pub const DISASTER_HIT_SHARE: (f64, f64) = (0.03, 0.22);

/// 灾害类型 weights: 洪涝, 地质灾害, 旱灾, 风雹, 低温冷冻, 地震, 森林火灾, 生物灾害, 其他. [A]
/// Guizhou: floods and landslides dominate, then hail and 凝冻.
pub const DISASTER_KIND_WEIGHTS: [u32; 9] = [40, 24, 6, 15, 8, 1, 1, 2, 3];

/// 房屋受损 weights: 无, 一般损坏, 严重损坏, 倒塌. [A]
pub const HOUSE_DAMAGE_WEIGHTS: [u32; 4] = [58, 30, 9, 3];

/// Direct loss per household: median and σ. [A]
pub const DISASTER_LOSS: (f64, f64) = (2_800.0, 1.0);

/// 低保 新增: yearly rate for households without and with hardship (no labour, 大病, a shock
/// year or a disaster). [A] 低保 rolls turn over ~10% a year.
pub const DIBAO_NEW: (f64, f64) = (0.003, 0.04);
/// Yearly rate of 低保 停发 among current recipients. [A]
pub const DIBAO_STOP: f64 = 0.09;

/// 特困供养 新增 yearly rate among lone elders without labour. [A]
pub const TEKUN_NEW: f64 = 0.02;

/// 临时救助: yearly share of households without and with hardship. [P] 临时救助 of a few
/// hundred to a few thousand yuan; large ones (≥10,000) are a 民政 warning trigger.
pub const TEMP_AID: (f64, f64) = (0.006, 0.06);
/// 临时救助 amount: median and σ (yuan). [P]
pub const TEMP_AID_AMOUNT: (f64, f64) = (1_500.0, 0.8);

/// 人社 events per migrant worker and year: 返乡, 失业登记, 断缴 (社保 contributions stopped
/// for 3 months). [A]
pub const EMPLOYMENT_RATES: (f64, f64, f64) = (0.06, 0.015, 0.04);
/// Multiplier of the 人社 event rates for migrants of a household in a shock year. [A]
pub const SHOCK_EMPLOYMENT_FACTOR: f64 = 5.0;

/// 教育: yearly 辍学 rate for compulsory-age pupils and for 15–17 year olds at school, and the
/// 失学 rate (never enrolled) of compulsory-age children. [S] national compulsory-education
/// consolidation rate 95%+ (2022) with dropouts "dynamically cleared"; [A] rare events.
pub const DROPOUT_RATES: (f64, f64, f64) = (0.0015, 0.015, 0.0004);

/// Share of 15-year-olds entering 普通高中 or 中职 in September (入学 events). [A] consistent
/// with [`UPPER_SECONDARY`] and [`TERTIARY`].
pub const CONTINUE_UPPER: f64 = 0.85;
/// Share of 18-year-olds entering 高职高专 or 本科 in September. [A]
pub const CONTINUE_TERTIARY: f64 = 0.38;

/// 住房鉴定: yearly share of households appraised routinely, and the share of houses
/// registered C/D or unsafe re-appraised in the period. [A] annual 农房安全排查 touches a
/// fraction of houses; C/D rare.
pub const HOUSING_APPRAISAL: (f64, f64) = (0.06, 0.3);
/// Grade weights A, B, C, D of a routine appraisal of a house registered safe. [A]
pub const APPRAISAL_GRADE_WEIGHTS: [u32; 4] = [600, 370, 25, 5];

/// Grade weights A, B, C, D when a house registered C/D or unsafe, or damaged by a disaster,
/// is appraised: many have been repaired or rebuilt since (危房改造). [A]
pub const REAPPRAISAL_GRADE_WEIGHTS: [u32; 4] = [10, 55, 27, 8];

/// Yearly death probability by age band. [S] shaped after China's 2020 life table, rural
/// (approx.): ~0.04% under 15, 0.1% 15–39, 0.35% 40–59, 1.2% 60–69, 3.4% 70–79, 10% 80+.
/// Overall ≈0.8–1% for the registry's age structure.
pub const DEATH_BY_AGE: [f64; 6] = [0.0004, 0.0009, 0.0035, 0.012, 0.034, 0.10];
/// Multiplier of the death probability for 患有大病. [A]
pub const DEATH_SERIOUS_FACTOR: f64 = 3.0;
/// Multiplier of the death probability for 长期慢性病. [A]
pub const DEATH_CHRONIC_FACTOR: f64 = 1.5;

/// Index of the age band of `age`.
pub fn band(age: u32) -> usize {
    AGE_BANDS.iter().position(|&hi| age < hi).unwrap_or(5)
}
