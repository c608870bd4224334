#!/usr/bin/env python3
"""Writes the fuzz targets' seed inputs (fuzz/seeds/TARGET/NAME): small valid inputs that
reach deep into each parser, from which AFL mutates.

    fangpin generate --county 520322 --households 200 --out /tmp/gen
    python3 fuzz/make-seeds.py /tmp/gen

The first rows of each generated file become a CSV seed and a workbook seed (an .xlsx
written here with numbers, a date cell, inline and shared strings, kept to about a
kilobyte). Field, policy and API seeds are written out below. Input layouts: the `//!`
headers of fuzz/src/*.rs.
"""

import json
import pathlib
import re
import sys
import zipfile
from datetime import date
from io import BytesIO

KINDS = ["households", "members", "incomes", "medical", "disability", "disaster",
         "assistance", "employment", "schooling", "housing", "death"]
ROOT = pathlib.Path(__file__).resolve().parent
SEEDS = ROOT / "seeds"
ROWS = 3


def write(target, name, data):
    folder = SEEDS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def first_rows(gen, kind):
    lines = (gen / f"{kind}.csv").read_text(encoding="utf-8").splitlines()
    return [line.split(",") for line in lines[: ROWS + 1]]


def col(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xlsx(rows):
    """A minimal workbook: headers as shared strings, codes and ID numbers as inline text,
    small amounts as numbers and ISO dates as date-formatted serial numbers."""
    shared = []
    cells = []
    for r, row in enumerate(rows):
        xs = []
        for c, v in enumerate(row):
            ref = f"{col(c)}{r + 1}"
            if v == "":
                continue
            if r == 0:
                shared.append(v)
                xs.append(f'<c r="{ref}" t="s"><v>{len(shared) - 1}</v></c>')
            elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
                serial = (date.fromisoformat(v) - date(1899, 12, 30)).days
                xs.append(f'<c r="{ref}" s="1"><v>{serial}</v></c>')
            elif re.fullmatch(r"-?\d{1,7}(\.\d+)?", v):
                xs.append(f'<c r="{ref}"><v>{v}</v></c>')
            else:
                xs.append(f'<c r="{ref}" t="inlineStr"><is><t>{esc(v)}</t></is></c>')
        cells.append(f'<row r="{r + 1}">{"".join(xs)}</row>')
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} xmlns:r="{rel}">'
            '<sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><styleSheet {ns}>'
            '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs>'
            "</styleSheet>"
        ),
        "xl/sharedStrings.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><sst {ns} count="{len(shared)}" uniqueCount="{len(shared)}">'
            + "".join(f"<si><t>{esc(s)}</t></si>" for s in shared)
            + "</sst>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>'
            + "".join(cells)
            + "</sheetData></worksheet>"
        ),
    }
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text.encode("utf-8"))
    return out.getvalue()


def files(gen):
    for k, kind in enumerate(KINDS):
        rows = first_rows(gen, kind)
        text = "\n".join(",".join(r) for r in rows) + "\n"
        write("csv", kind, bytes([k]) + text.encode("utf-8"))
        write("workbook", kind, bytes([k]) + xlsx(rows))
    # The other encodings a clerk's Excel saves: GB18030, UTF-8 with a BOM, and
    # “Unicode 文本” (UTF-16 with a BOM, tab-separated).
    rows = first_rows(gen, "households")
    text = "\n".join(",".join(r) for r in rows) + "\n"
    write("csv", "households-gb18030", b"\x00" + text.encode("gb18030"))
    write("csv", "households-bom", b"\x00" + b"\xef\xbb\xbf" + text.encode("utf-8"))
    tabbed = "\r\n".join("\t".join(r) for r in rows) + "\r\n"
    write("csv", "households-utf16", b"\x00" + tabbed.encode("utf-16"))


def fields():
    for name, which, value in [
        ("id", 0, "520322197505010019"),
        ("id-fullwidth", 0, "５２０３２２１９８８１１２０３３９ｘ"),
        ("phone", 1, "+86 138-1234-5678"),
        ("money", 2, "1,234.50元"),
        ("money-negative", 2, "-0.5"),
        ("region", 3, "520322101001"),
        ("scope", 3, "全国"),
        ("household-no", 4, "5203220010020001"),
        ("name", 5, "阿卜杜•热合曼"),
        ("declaration", 6, "张大山\n13812345678\n520322197505010019\n520322101001\n"
                           "户主务工受伤，收入中断\n因意外事故"),
        ("health", 7, "长期慢性病、残疾"),
        ("labels", 8, "脱贫户"),
        ("fold", 9, "ＡＢＣ　１２３"),
        ("free-text", 9, "  户主务工受伤，\r\n收入中断\t已走访  "),
    ]:
        write("fields", name, bytes([which]) + value.encode("utf-8"))


# A county's synonym document: a section by Chinese names and one by English keys, a word
# added, one overriding a built-in word, one withdrawn.
SYNONYMS = """title = "桐梓县同义词表"

["受灾人员"."灾害类型"]
"凌冻" = "低温冷冻"
"台风" = "其他"

[schooling.stage]
"初中" = false
"职业高中" = "中职一年级"
"""


def policy():
    doc = (ROOT.parent / "docs" / "policy.toml").read_bytes()
    write("policy", "document", b"\x00" + doc)
    write("policy", "overrides", b"\x01" + "\n".join([
        "rules.income_drop.min_drop_percent=20",
        "window_months=6",
        "rules.disaster.min_damage=倒塌",
    ]).encode("utf-8"))
    write("policy", "synonyms", b"\x02" + SYNONYMS.encode("utf-8"))


def api():
    # Roles in the order of domain::access::Role::ALL.
    village, township, operator, approver, admin = range(5)
    today = "2025-12-01"
    verify = {"step": "verify", "on": today, "members": 2, "income": "11000", "rigid": 0,
              "housing": "安全", "water": "安全", "labour": 2, "note": "务工受伤"}
    consent = {"step": "consent", "on": today, "signed_by": "张大山",
               "queries": "收入、存款、房产、车辆、工商登记、财政供养"}
    approve = {"step": "approve", "on": today, "category": "脱贫不稳定户",
               "risks": ["因意外事故"], "per_capita": "5500", "line": 8700}
    seeds = [
        ("visit", village, "POST /api/v1/visits",
         {"household_no": "H1", "findings": "户主务工受伤，收入中断", "risks": ["因病"],
          "income": "5500"}),
        ("verify", village, "POST /api/v1/cases/{id}/actions", verify),
        ("consent", village, "POST /api/v1/cases/{id}/actions", consent),
        ("compare", operator, "POST /api/v1/cases/{id}/actions",
         {"step": "compare", "findings": "无异常"}),
        ("review", village, "POST /api/v1/cases/{id}/actions",
         {"step": "review", "on": today, "participants": "村民代表12人", "minutes": "同意纳入"}),
        ("township", township, "POST /api/v1/cases/{id}/actions",
         {"step": "township", "on": today, "note": "同意"}),
        ("approve", approver, "POST /api/v1/cases/{id}/actions", approve),
        ("batch", village, "POST /api/v1/cases/actions", {"cases": [1, 2], "action": consent}),
        ("dismiss", village, "POST /api/v1/leads/{id}/dismiss", {"reason": "家庭可自主应对"}),
        ("open-case", village, "POST /api/v1/leads/{id}/case", {}),
        ("measure", village, "POST /api/v1/cases/{id}/measures",
         {"type": "三重保障", "risks": ["因意外事故"], "provider": "县医保局",
          "start": today, "amount": 3200.5}),
        ("helper", village, "PUT /api/v1/cases/{id}/helper",
         {"name": "王帮扶", "unit": "县人社局", "phone": "13800001234"}),
        ("notice", village, "POST /api/v1/notices",
         {"kind": "识别公示", "cases": [1], "from": today, "to": today, "office": "村委会",
          "office_phone": "0851-2612345", "issuer": "村委会"}),
        ("policy", admin, "POST /api/v1/policy",
         {"source": "title = \"县级政策\"\neffective_from = \"2026-01-01\"\n"}),
        ("screening", admin, "POST /api/v1/screening/runs",
         {"region": "520322", "dry_run": True}),
        ("login", village, "POST /api/v1/auth/login", {"username": "r1", "password": "x"}),
        ("search", village, "POST /api/v1/households/search", {"q": "张", "per_page": 5}),
        ("reveal", admin, "POST /api/v1/members/{id}/reveal", {}),
    ]
    for name, role, line, body in seeds:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        write("api", name, bytes([role, 0]) + line.encode() + b"\n" + payload)
    for name, role, line, query in [
        ("households", village, "GET /api/v1/households", "q=H1&page=1&per_page=5"),
        ("leads", township, "GET /api/v1/leads", "status=all&page=2"),
        ("cases", operator, "GET /api/v1/cases", "region=520322101001"),
        ("audit", admin, "GET /api/v1/audit", "action=case.step&page=1"),
        ("counts", operator, "GET /api/v1/regions/{code}/counts", ""),
    ]:
        write("api", name, bytes([role, 0]) + line.encode() + b"\n" + query.encode())


def dict_entry(word):
    """An AFL dictionary line: printable ASCII as is, everything else as \\xNN."""
    out = ""
    for b in word.encode("utf-8"):
        c = chr(b)
        out += c if 32 <= b < 127 and c not in '"\\' else f"\\x{b:02x}"
    return f'"{out}"'


def dicts():
    """Dictionaries of the words the parsers look for, taken from the code: template
    headers and keys, enumeration labels, policy keys, API field names."""
    src = ROOT.parent / "crates"
    spec = (src / "tabular/src/spec.rs").read_text(encoding="utf-8")
    words = set(re.findall(r'col\(\s*"([a-z_]+)",\s*"([^"]+)"', spec))
    csv_words = {w for pair in words for w in pair}
    for f in ["domain/src/enums.rs", "domain/src/feed.rs", "domain/src/monitoring.rs"]:
        text = (src / f).read_text(encoding="utf-8")
        for line in re.findall(r"= *\d+ *:(.*)", text):
            csv_words.update(re.findall(r'"([^"]+)"', line))
    csv_words.update(["2025-01-31", "2025/1/31", "20250131", "是", "否", "TRUE", "\ufeff", "\r\n"])
    toml_text = (ROOT.parent / "docs/policy.toml").read_text(encoding="utf-8")
    toml_words = set(re.findall(r"^\s*\[*([a-z_.]+)\]*", toml_text, re.M)) - {""}
    toml_words.update(["[[", "]]", "= ", '"""', "true", "false", "1e400", "-0", "inf", "nan"])
    json_words = set()
    for f in (SEEDS / "api").iterdir():
        json_words.update(re.findall(r'"([a-z_]+)":', f.read_bytes().decode("utf-8", "replace")))
    json_words.update(['{"', '":', '",', "null", "true", "false", "[]", "{}", "1e308", "-1",
                       "9223372036854775807", "\\u0000", "\\ud800"])
    fields_words = csv_words | {"+86", "0086", "元", "全国", "national", "·", "x", "X"}
    DICTS = ROOT / "dict"
    DICTS.mkdir(exist_ok=True)
    for name, ws in [("csv", csv_words), ("toml", toml_words), ("json", json_words),
                     ("fields", fields_words)]:
        lines = [dict_entry(w) for w in sorted(ws) if 0 < len(w.encode("utf-8")) <= 64]
        (DICTS / f"{name}.dict").write_text("\n".join(lines) + "\n")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    gen = pathlib.Path(sys.argv[1])
    files(gen)
    fields()
    policy()
    api()
    dicts()


if __name__ == "__main__":
    main()
