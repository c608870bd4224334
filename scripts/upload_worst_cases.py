#!/usr/bin/env python3
"""Writes the largest files an import accepts, one per way a file can cost memory, for
scripts/bench-upload-memory.sh. Standard library only.

    upload_worst_cases.py DIR [MIB]

MIB (default 64, the default max_body_mib) bounds the size of each file as uploaded:

- households-csv.csv: a CSV of valid 户信息 rows as short as they come, MIB in all: the
  most rows an upload carries, and an import holds its rows until the file is checked
  whole;
- members-csv.csv: a CSV of valid 人口信息 rows (one 户主 per household of
  households-csv.csv, each with a valid ID number), MIB in all: the rows that cost the most
  (each ID number is checked, hashed and encrypted);
- shared-strings.xlsx: a workbook whose shared-strings part is near what the reader
  accepts (120 MiB uncompressed, 2 million distinct strings), the part a workbook reader
  must hold whole, and as many rows as a worksheet may have (1,048,575 below the header),
  each with one of the strings as its 住址;
- styles.xlsx: 65,536 cell formats (the bound) with long font and number-format names,
  near the estimated-memory bound of the styles part, and a few rows.
"""

import os
import sys
import zipfile

VILLAGE = "520322101001"  # a real village of 桐梓县 (county 520322)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
HEADERS = ["户编号", "村代码", "户类型", "住址"]


def col(i):
    return "ABCD"[i]


def workbook(path, sheet_rows, shared=None, styles=None):
    """A minimal .xlsx: `sheet_rows` yields the XML of each <row>."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        ct = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        )
        if shared is not None:
            ct += '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        if styles is not None:
            ct += '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        z.writestr("[Content_Types].xml", ct + "</Types>")
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            '<sheets><sheet name="户信息" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        rels = f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        if shared is not None:
            rels += f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        if styles is not None:
            rels += f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/>'
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">{rels}</Relationships>',
        )
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'.encode())
            for row in sheet_rows:
                f.write(row.encode())
            f.write(b"</sheetData></worksheet>")
        if shared is not None:
            count, strings = shared
            with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
                f.write(
                    f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="{count}" uniqueCount="{count}">'.encode()
                )
                for s in strings:
                    f.write(f"<si><t>{s}</t></si>".encode())
                f.write(b"</sst>")
        if styles is not None:
            z.writestr("xl/styles.xml", styles)


def inline_row(r, values):
    cells = "".join(
        f'<c r="{col(i)}{r}" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in enumerate(values)
    )
    return f'<row r="{r}">{cells}</row>'


def csv_up_to(path, header, line, limit):
    """Writes `header` then line(0), line(1), … while the lines fit in `limit` bytes; the
    number of lines written."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(header + "\n")
        size, i = 0, 0
        while True:
            text = line(i)
            size += len(text.encode())
            if size > limit:
                return i
            f.write(text)
            i += 1


def households_csv(path, limit):
    return csv_up_to(path, ",".join(HEADERS), lambda i: f"H{i:07d},{VILLAGE},一般农户,\n", limit)


def id_number(i):
    """A valid 18-character ID number (GB 11643) of county 520322, distinct for each i."""
    import datetime

    born = datetime.date(1950, 1, 1) + datetime.timedelta(days=i // 500)
    body = f"520322{born:%Y%m%d}{(i % 500) * 2 + 1:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]
    return body + check


def members_csv(path, limit):
    return csv_up_to(
        path,
        "户编号,姓名,证件号码,与户主关系,劳动技能",
        lambda i: f"H{i:07d},张三,{id_number(i)},户主,普通劳动力\n",
        limit,
    )


def shared_strings(path):
    # <si><t>…</t></si> of 63 bytes each: 2,000,000 of them, 120 MiB.
    n = 2_000_000
    text = lambda i: f"高山组{i:07d}号附近老房子门前左手"  # noqa: E731

    def rows():
        yield inline_row(1, HEADERS)
        for i in range(1_048_575):
            r = i + 2
            yield (
                f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>H{i:09d}</t></is></c>'
                f'<c r="B{r}" t="inlineStr"><is><t>{VILLAGE}</t></is></c>'
                f'<c r="C{r}" t="inlineStr"><is><t>一般农户</t></is></c>'
                f'<c r="D{r}" t="s"><v>{i}</v></c></row>'
            )

    workbook(path, rows(), shared=(n, (text(i) for i in range(n))))
    return n


def styles(path):
    # The estimate the reader bounds (64 MiB) is formats × (384 + longest font-name tag +
    # longest number-format tag): 65,536 formats with tags of ~300 bytes each come to
    # ~62 MiB. The names are random digits, so that the part compresses like real data
    # (a repetitive one is refused by the compression-ratio bound first).
    import random

    rng = random.Random(1)
    digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
    n = 65_536
    fonts = "".join(
        f'<font><sz val="11"/><name val="宋体{digits(270)}"/></font>' for i in range(64)
    )
    fmts = "".join(
        f'<numFmt numFmtId="{164 + i}" formatCode="0.00_{digits(250)}"/>' for i in range(64)
    )
    xfs = "".join(
        f'<xf numFmtId="{164 + rng.randrange(64)}" fontId="{rng.randrange(64)}" '
        f'fillId="0" borderId="0" xfId="{rng.randrange(1000)}"/>'
        for i in range(n)
    )
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN}">'
        f'<numFmts count="64">{fmts}</numFmts><fonts count="64">{fonts}</fonts>'
        '<fills count="1"><fill/></fills><borders count="1"><border/></borders>'
        f'<cellXfs count="{n}">{xfs}</cellXfs></styleSheet>'
    )

    def rows():
        yield inline_row(1, HEADERS)
        for i in range(1000):
            yield inline_row(i + 2, [f"H{i:09d}", VILLAGE, "一般农户", f"高山组{i}号"])

    workbook(path, rows(), styles=xml)
    return n


def main():
    out = sys.argv[1]
    mib = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    os.makedirs(out, exist_ok=True)
    rows = households_csv(os.path.join(out, "households-csv.csv"), mib << 20)
    print(f"households-csv.csv: {rows} rows")
    rows = members_csv(os.path.join(out, "members-csv.csv"), mib << 20)
    print(f"members-csv.csv: {rows} rows")
    print(f"shared-strings.xlsx: {shared_strings(os.path.join(out, 'shared-strings.xlsx'))} shared strings")
    print(f"styles.xlsx: {styles(os.path.join(out, 'styles.xlsx'))} cell formats")


if __name__ == "__main__":
    main()
