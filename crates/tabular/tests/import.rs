//! Reading real files: CSV in GB18030 and UTF-8 with BOM, XLSX with Excel date cells and
//! numeric codes; and every kind of problem reported with its row, column letter, masked
//! value and Chinese message.

mod common;

use common::*;
use domain::*;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use tabular::{Cell, Problem, parse_households, parse_incomes, parse_members, read_table};

/// The members template as CSV text: one line per member, optional fields as given.
fn members_csv(rows: &[String]) -> String {
    let mut s = tabular::spec::MEMBERS.headers().join(",");
    s.push_str("\r\n");
    for r in rows {
        s.push_str(r);
        s.push_str("\r\n");
    }
    s
}

fn member_line(m: &Member) -> String {
    format!(
        "{},{},{},{},,,{},,,,,,,,",
        m.household_no,
        m.name,
        m.id_number.as_str(),
        m.relation,
        m.labor
    )
}

#[test]
fn gb18030_csv_imports_and_says_so() {
    let ms = members();
    let mut lines: Vec<String> = ms[..2].iter().map(member_line).collect();
    // Typed on a Chinese input method: full-width digits and spaces.
    lines[1] = lines[1]
        .chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap(),
            ',' => ',',
            c => c,
        })
        .collect::<String>()
        .replacen(',', "\u{3000},", 1);
    let text = members_csv(&lines);
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
    let (_dir, path) = temp_file("人口.csv");
    write(&path, &bytes);

    let table = read_table(&path, None).unwrap();
    assert_eq!(table.source_note, "CSV，GB18030编码");
    assert_eq!(table.headers, tabular::spec::MEMBERS.headers());
    let parsed = parse_members(&table);
    assert!(parsed.is_ok(), "{:#?}", parsed.problems);
    let got: Vec<_> = parsed
        .records
        .iter()
        .map(|(n, m)| (*n, m.name.as_str()))
        .collect();
    assert_eq!(got, vec![(2, "张国强"), (3, "李秀英")]);
    assert_eq!(parsed.records[0].1.id_number, ms[0].id_number);
    assert_eq!(parsed.records[1].1.id_number, ms[1].id_number);
    assert_eq!(parsed.records[1].1.household_no, ms[1].household_no);
    assert_eq!(parsed.records[0].1.labor, Labor::Skilled);
}

#[test]
fn utf8_bom_csv_with_keys_in_any_order_and_case() {
    let m = &members()[0];
    let text = format!(
        "\u{FEFF}ID_Number,姓名,household_no,与户主关系,LABOR,性别,出生日期,备注\n\
         {},　{}　,{},户主,技能劳动力,男,1968/4/12,随便写\n",
        m.id_number.as_str(),
        m.name,
        m.household_no
    );
    let (_dir, path) = temp_file("members.CSV");
    write(&path, text.as_bytes());
    let table = read_table(&path, None).unwrap();
    assert_eq!(table.source_note, "CSV，UTF-8编码");
    assert_eq!(
        table.headers[0], "ID_Number",
        "BOM stripped from the first header"
    );
    let parsed = parse_members(&table);
    assert!(parsed.is_ok(), "{:#?}", parsed.problems);
    assert_eq!(parsed.warnings, vec!["H列「备注」不是本模板的列，已忽略"]);
    let got = &parsed.records[0].1;
    assert_eq!(got.id_number, m.id_number);
    assert_eq!(got.name.as_str(), "张国强");
    assert_eq!(got.labor, Labor::Skilled);
}

#[test]
fn xlsx_with_date_cells_and_numeric_codes() {
    let (_dir, path) = temp_file("registry.xlsx");
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");

    let hs = wb.add_worksheet();
    hs.set_name("户信息").unwrap();
    for (c, h) in (0u16..).zip(["户编号", "村代码", "户类型", "脱贫年度", "联系电话"])
    {
        hs.write_string(0, c, h).unwrap();
    }
    // Codes typed into cells without text format: Excel stores them as numbers.
    hs.write_number(1, 0, 5203221010010001.0).unwrap();
    hs.write_number(1, 1, 520322101001.0).unwrap();
    hs.write_string(1, 2, "脱贫户").unwrap();
    hs.write_number(1, 3, 2019.0).unwrap();
    hs.write_number(1, 4, 13812345678.0).unwrap();

    let ms = wb.add_worksheet();
    ms.set_name("人口信息").unwrap();
    for (c, h) in (0u16..).zip([
        "户编号",
        "姓名",
        "证件号码",
        "与户主关系",
        "出生日期",
        "劳动技能",
        "享受低保",
    ]) {
        ms.write_string(0, c, h).unwrap();
    }
    let m = &members()[1];
    ms.write_number(1, 0, 5203221010010001.0).unwrap();
    ms.write_string(1, 1, m.name.as_str()).unwrap();
    ms.write_string(1, 2, m.id_number.as_str()).unwrap();
    ms.write_string(1, 3, "配偶").unwrap();
    let born = ExcelDateTime::from_ymd(1970, 11, 3).unwrap();
    ms.write_datetime_with_format(1, 4, &born, &date).unwrap();
    ms.write_string(1, 5, "普通劳动力").unwrap();
    ms.write_boolean(1, 6, true).unwrap();
    // Row 3 left blank; row 4 is a second member whose birth date disagrees.
    let son = &members()[2];
    ms.write_string(3, 0, "5203221010010001").unwrap();
    ms.write_string(3, 1, son.name.as_str()).unwrap();
    ms.write_string(3, 2, son.id_number.as_str()).unwrap();
    ms.write_string(3, 3, "之子").unwrap();
    ms.write_datetime_with_format(3, 4, ExcelDateTime::from_ymd(2009, 1, 31).unwrap(), &date)
        .unwrap();
    ms.write_string(3, 5, "无劳动力").unwrap();
    wb.save(&path).unwrap();

    let households = read_table(&path, None).unwrap();
    assert_eq!(households.source_note, "XLSX，工作表“户信息”");
    assert_eq!(households.rows[0].cells[1], Cell::Number(520322101001.0));
    let parsed = parse_households(&households);
    assert!(parsed.is_ok(), "{:#?}", parsed.problems);
    let h = &parsed.records[0].1;
    assert_eq!(h.household_no.as_str(), "5203221010010001");
    assert_eq!(h.village.to_string(), "520322101001");
    assert_eq!(h.exit_year, Some(2019));
    assert_eq!(h.phone.as_ref().unwrap().as_str(), "13812345678");

    let people = read_table(&path, Some("人口信息")).unwrap();
    assert_eq!(people.rows[0].cells[4], Cell::Date(ymd(1970, 11, 3)));
    assert_eq!(
        people.rows.iter().map(|r| r.number).collect::<Vec<_>>(),
        vec![2, 4]
    );
    let parsed = parse_members(&people);
    assert_eq!(parsed.records.len(), 1);
    let got = &parsed.records[0].1;
    assert_eq!((got.birth_date, got.dibao), (ymd(1970, 11, 3), Some(true)));
    assert_eq!(parsed.problems.len(), 1);
    let p = &parsed.problems[0];
    assert_eq!((p.row, p.column_letter.as_deref()), (4, Some("E")));
    assert_eq!(p.message, "出生日期“2009-01-31”与证件号码中的出生日期不符");

    let e = read_table(&path, Some("收支信息")).unwrap_err();
    assert!(e.to_string().contains("没有名为“收支信息”的工作表"), "{e}");
}

#[test]
fn file_level_errors_are_in_chinese() {
    let (dir, path) = temp_file("missing.csv");
    assert!(
        read_table(&path, None)
            .unwrap_err()
            .to_string()
            .starts_with("找不到文件")
    );
    let doc = dir.path().join("a.docx");
    write(&doc, b"x");
    assert!(
        read_table(&doc, None)
            .unwrap_err()
            .to_string()
            .contains("不支持的文件格式")
    );
    let empty = dir.path().join("empty.csv");
    write(&empty, b"\xEF\xBB\xBF\r\n");
    assert!(
        read_table(&empty, None)
            .unwrap_err()
            .to_string()
            .contains("没有表头行")
    );
    let broken = dir.path().join("broken.xlsx");
    write(&broken, b"not a zip");
    assert!(
        read_table(&broken, None)
            .unwrap_err()
            .to_string()
            .contains("内容与扩展名不符")
    );
    write(&broken, b"PK\x03\x04 but not a zip");
    assert!(
        read_table(&broken, None)
            .unwrap_err()
            .to_string()
            .contains("无法打开Excel文件")
    );
}

fn find<'a>(problems: &'a [Problem], row: usize, letter: &str) -> &'a Problem {
    problems
        .iter()
        .find(|p| p.row == row && p.column_letter.as_deref() == Some(letter))
        .unwrap_or_else(|| panic!("no problem at row {row} column {letter}: {problems:#?}"))
}

#[test]
fn member_problems_have_row_letter_masked_value_and_message() {
    let ms = members();
    let good = member_line(&ms[0]);
    let id = ms[1].id_number.as_str();
    let wrong_check = format!("{}{}", &id[..17], if id.ends_with('0') { '1' } else { '0' });
    let rows = vec![
        good.clone(),
        // 3: bad check character
        format!("5203221010010001,李秀英,{wrong_check},配偶,,,普通劳动力,,,,,,,,"),
        // 4: relation not in the list
        format!(
            "5203221010010001,张小明,{},儿子,,,普通劳动力,,,,,,,,",
            ms[2].id_number.as_str()
        ),
        // 5: the head again
        good.replace("张国强", "张国强二"),
        // 6: a woman's ID marked 男
        format!(
            "5203221010010002,买买提·艾力,{},户主,男,,丧失劳动力,,,,,,,,",
            ms[3].id_number.as_str()
        ),
        // 7: required fields empty, bad flag, work months out of range
        ",,,,,,,,,,,13,有,,".to_owned(),
    ];
    let (_dir, path) = temp_file("人口.csv");
    write(&path, members_csv(&rows).as_bytes());
    let parsed = parse_members(&read_table(&path, None).unwrap());
    let ps = &parsed.problems;

    let p = find(ps, 3, "C");
    assert_eq!(p.column.as_deref(), Some("证件号码"));
    let masked = format!("{}********{}", &wrong_check[..6], &wrong_check[14..]);
    assert_eq!(p.value.as_deref(), Some(masked.as_str()));
    assert!(p.message.contains("校验位"), "{p}");
    assert!(
        p.to_string().starts_with(&format!(
            "第3行 C列「证件号码」值“{masked}”：证件号码校验位错误"
        )),
        "{p}"
    );

    let p = find(ps, 4, "D");
    assert_eq!(p.value.as_deref(), Some("儿子"));
    assert!(p.message.starts_with("与户主关系“儿子”不在可选值中"), "{p}");

    let p = find(ps, 5, "C");
    assert_eq!(p.message, "证件号码与第2行重复：同一人只能登记一次");
    assert_eq!(p.value.as_deref(), Some(ms[0].id_number.masked().as_str()));

    let p = find(ps, 6, "E");
    assert_eq!(p.message, "性别“男”与证件号码不符（证件号码显示为女）");

    for (letter, header) in [
        ("A", "户编号"),
        ("B", "姓名"),
        ("C", "证件号码"),
        ("D", "与户主关系"),
        ("G", "劳动技能"),
    ] {
        let p = find(ps, 7, letter);
        assert_eq!(p.message, format!("{header}不能为空"));
        assert_eq!(p.value, None);
    }
    assert!(
        find(ps, 7, "L")
            .message
            .contains("务工月数“13”超出范围：应在0至12之间")
    );
    assert!(find(ps, 7, "M").message.contains("应填“是”或“否”"));

    // No full ID number anywhere in the report.
    let report = parsed.report("CSV，UTF-8编码");
    let mut csv = Vec::new();
    report.write_csv_to(&mut csv).unwrap();
    let all = format!(
        "{}{}",
        report.render_text(100),
        String::from_utf8(csv).unwrap()
    );
    for m in &ms {
        assert!(!all.contains(m.id_number.as_str()), "full ID leaked: {all}");
    }
    assert!(!all.contains(&wrong_check));

    // Sorted by row, then column.
    let keys: Vec<_> = ps
        .iter()
        .map(|p| (p.row, p.column_letter.clone().unwrap()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_by_key(|(r, l)| (*r, l.len(), l.clone()));
    assert_eq!(keys, sorted);
    // Only the clean row becomes a record.
    assert_eq!(parsed.records.len(), 1);
    assert_eq!(parsed.records[0].0, 2);
}

#[test]
fn missing_and_duplicated_columns() {
    let m = &members()[0];
    // No 劳动技能 column, 姓名 twice, an unnamed column.
    let text = format!(
        "户编号,姓名,证件号码,与户主关系,name,,备注\n{},张三,{},户主,张三,x,\n{},李四,,户主,,,\n",
        m.household_no,
        m.id_number.as_str(),
        m.household_no
    );
    let (_dir, path) = temp_file("m.csv");
    write(&path, text.as_bytes());
    let parsed = parse_members(&read_table(&path, None).unwrap());
    let labor: Vec<_> = parsed
        .problems
        .iter()
        .filter(|p| p.column.as_deref() == Some("劳动技能"))
        .collect();
    assert_eq!(
        labor.len(),
        1,
        "one problem for a missing column, not one per row"
    );
    assert_eq!(labor[0].row, 1);
    assert_eq!(labor[0].column_letter, None);
    assert_eq!(
        labor[0].to_string(),
        "第1行「劳动技能」：缺少必填列「劳动技能」（表头也可写作英文键名 labor）"
    );
    let dup = find(&parsed.problems, 1, "E");
    assert!(dup.message.contains("「姓名」列重复：B列和E列"), "{dup}");
    assert_eq!(parsed.warnings[0], "F列没有表头，该列已忽略");
    assert_eq!(parsed.warnings[1], "G列「备注」不是本模板的列，已忽略");
    assert_eq!(find(&parsed.problems, 3, "C").message, "证件号码不能为空");
    assert!(parsed.records.is_empty());
}

#[test]
fn household_problems() {
    let text = "户编号,村代码,户类型,脱贫年度,联系电话\n\
                H1,520322101001,一般农户,2019,13812345678\n\
                H2,520322101,脱贫户,2018,1381234567\n\
                H1,520322101001,一般农户,,\n\
                H4,520322101001,脱贫户,,\n";
    let (_dir, path) = temp_file("h.csv");
    write(&path, text.as_bytes());
    let parsed = parse_households(&read_table(&path, None).unwrap());
    let ps = &parsed.problems;
    assert!(
        find(ps, 2, "D")
            .message
            .contains("一般农户不应填写脱贫年度")
    );
    assert!(find(ps, 3, "B").message.contains("不是村级代码"));
    let phone = find(ps, 3, "E");
    assert_eq!(phone.value.as_deref(), Some("138****67"));
    assert!(!phone.to_string().contains("1381234567"));
    assert_eq!(
        find(ps, 4, "A").message,
        "户编号与第2行重复：同一户只能出现一次"
    );
    assert!(find(ps, 5, "D").message.contains("脱贫户必须填写脱贫年度"));
    assert_eq!(ps.len(), 5, "{ps:#?}");
    assert!(parsed.records.is_empty());
}

#[test]
fn income_problems() {
    let text = "户编号,年度,工资性收入,生产经营性收入,生产经营性支出,财产性收入,转移性收入,教育支出\n\
                H1,2024,12000.345,0,0,0,0,\n\
                H1,2024,1,2,3,4,5,-6\n\
                H2,2013,200000000,0,0,0,0,\n\
                H3,2024.0,\"1,234.50\",０,0元,0,0,1\n";
    let (_dir, path) = temp_file("i.csv");
    write(&path, text.as_bytes());
    let parsed = parse_incomes(&read_table(&path, None).unwrap());
    let ps = &parsed.problems;
    let p = find(ps, 2, "C");
    assert_eq!(p.value.as_deref(), Some("12000.345"));
    assert!(p.message.contains("最多保留两位小数"), "{p}");
    assert_eq!(
        find(ps, 3, "A").message,
        "户编号“H1”的2024年度收支与第2行重复：每户每年只能有一行"
    );
    assert_eq!(find(ps, 3, "H").message, "教育支出不能为负数");
    assert!(find(ps, 4, "B").message.contains("超出范围"));
    assert!(find(ps, 4, "C").message.contains("超过1亿元"));
    assert_eq!(parsed.records.len(), 1);
    let (row, r) = &parsed.records[0];
    assert_eq!((*row, r.year, r.wage.fen()), (5, 2024, 123_450));
    assert_eq!(r.education_cost, Some(Money::from_yuan(1)));
    assert_eq!(r.medical_out_of_pocket, None);
}

#[test]
fn streaming_parse_gives_the_same_result_as_the_table() {
    use tabular::{HouseholdParser, MemberParser, parse_file};
    let ms = members();
    // Enough rows for several batches, with problems scattered among them.
    let mut rows = Vec::new();
    for i in 0..5000u16 {
        let mut m = member(
            "5203221010010001",
            "王五",
            id(
                ymd(
                    1950 + i32::from(i % 60),
                    1 + u32::from(i % 12),
                    1 + u32::from(i % 28),
                ),
                i,
                Sex::Female,
            ),
            Relation::Daughter,
        );
        if i % 997 == 0 {
            m.household_no = hh("BAD");
        }
        rows.push(member_line(&m).replace("BAD", "坏编号"));
    }
    rows.push(member_line(&ms[0]));
    rows.push(member_line(&ms[0]));
    let (_dir, path) = temp_file("big.csv");
    write(&path, members_csv(&rows).as_bytes());
    let streamed = parse_file::<MemberParser>(&path, None).unwrap();
    let table = read_table(&path, None).unwrap();
    assert_eq!(streamed.source_note, table.source_note);
    assert_eq!(streamed.headers, table.headers);
    assert_eq!(streamed.parsed, parse_members(&table));
    assert_eq!(
        streamed.parsed.problems.len(),
        7,
        "{:#?}",
        streamed.parsed.problems
    );
    assert_eq!(streamed.parsed.problems[6].row, 5003);

    let (_dir, xlsx) = temp_file("h.xlsx");
    tabular::write_households(&xlsx, &households()).unwrap();
    let streamed = parse_file::<HouseholdParser>(&xlsx, None).unwrap();
    assert_eq!(
        streamed.parsed,
        parse_households(&read_table(&xlsx, None).unwrap())
    );
    assert_eq!(streamed.parsed.records.len(), 3);
    assert!(parse_file::<HouseholdParser>(&xlsx.with_extension("csv"), None).is_err());
}
