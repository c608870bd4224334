//! `fangpin synonyms` as an operator runs it: the built-in table shown, a county's table
//! loaded as a version and listed, a department's file read through it with the words
//! reported, and a bad table refused with the entry named.

mod common;

use common::Db;
use domain::{IdNumber, Sex};

#[test]
fn a_county_loads_its_words_and_imports_read_them() {
    let db = Db::sqlite();
    let d = db.dir.path();
    db.ok(&["import", "regions", "--county", "520322"]);
    let born = chrono::NaiveDate::from_ymd_opt(1975, 5, 1).unwrap();
    let person = IdNumber::from_parts(520322, born, 11, Sex::Male);
    std::fs::write(
        d.join("h.csv"),
        "户编号,村代码,户类型\nH1,520322101001,一般农户\n",
    )
    .unwrap();
    std::fs::write(
        d.join("m.csv"),
        format!(
            "户编号,姓名,证件号码,与户主关系,劳动技能\nH1,张大山,{},户主,普通劳动力\n",
            person.as_str()
        ),
    )
    .unwrap();
    db.ok(&["import", "households", "h.csv"]);
    db.ok(&["import", "members", "m.csv"]);

    // Before any load: the built-in table.
    let shown = db.ok(&["synonyms", "show", "--feed", "受灾人员"]);
    assert!(shown.starts_with("# 尚未加载本县同义词表"), "{shown}");
    assert!(shown.contains("[disaster.disaster_type]\n"), "{shown}");
    assert!(shown.contains("\"冰雹\" = \"风雹\"\n"), "{shown}");
    assert!(!shown.contains("[schooling.stage]"), "{shown}");
    assert!(db.ok(&["synonyms", "history"]).contains("尚未加载同义词表"));

    let feed = format!(
        "证件号码,灾害类型,受灾日期\n{p},冰雹,2025-06-01\n{p},凌冻,2025-01-05\n",
        p = person.as_str()
    );
    std::fs::write(d.join("应急.csv"), &feed).unwrap();
    let o = db.run(&["import", "feed", "disaster", "应急.csv"]);
    assert_eq!(o.status.code(), Some(2));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("第3行 B列「灾害类型」值“凌冻”"), "{out}");

    // A bad table is refused, naming the entry; nothing is stored.
    std::fs::write(
        d.join("bad.toml"),
        "[disaster.disaster_type]\n\"凌冻\" = \"冰灾\"\n",
    )
    .unwrap();
    let o = db.run(&["synonyms", "load", "bad.toml"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("[受灾人员 · 灾害类型] “凌冻” = “冰灾”"),
        "{err}"
    );
    assert!(db.ok(&["synonyms", "history"]).contains("尚未加载同义词表"));

    std::fs::write(
        d.join("county.toml"),
        "title = \"桐梓县同义词表\"\n[disaster.disaster_type]\n\"凌冻\" = \"低温冷冻\"\n",
    )
    .unwrap();
    let loaded = db.ok(&["synonyms", "load", "county.toml"]);
    assert!(
        loaded.contains("已加载同义词表第 1 版「桐梓县同义词表」"),
        "{loaded}"
    );
    assert!(loaded.contains("本县新增或改写 1 个"), "{loaded}");
    let history = db.ok(&["synonyms", "history"]);
    assert!(history.contains("第   1 版  桐梓县同义词表"), "{history}");
    let shown = db.ok(&["synonyms", "show"]);
    assert!(shown.starts_with("# 第 1 版"), "{shown}");
    assert!(shown.contains("\"凌冻\" = \"低温冷冻\"  # 县级"), "{shown}");

    let out = db.ok(&["import", "feed", "disaster", "应急.csv"]);
    assert!(out.contains("新增 2 条"), "{out}");
    assert!(
        out.contains("按同义词读取：灾害类型：冰雹 → 风雹（1行）"),
        "{out}"
    );
    assert!(
        out.contains("按同义词读取：灾害类型：凌冻 → 低温冷冻（1行）"),
        "{out}"
    );
}
