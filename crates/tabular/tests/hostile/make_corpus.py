#!/usr/bin/env python3
"""Writes the hostile corpus: small files that each once cost an import gigabytes, a crash
or a silent misreading, and that `tests/hostile.rs` now reads through the real import path.
The files are checked in (a fuzzer takes them as seeds); this script documents how each was
made and rebuilds them byte for byte:

    python3 crates/tabular/tests/hostile/make_corpus.py

Every workbook has the households template's header row (户编号 村代码 户类型 脱贫年度) so
that what an accepted one yields can be checked.
"""

import os
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
HEADER = ["户编号", "村代码", "户类型", "脱贫年度"]
ROW = ["H1", "520322101001", "一般农户", ""]


def col(n):
    """0-based column index to letters: 0 → A, 16383 → XFD."""
    s = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def cell(ref, value):
    if value == "":
        return ""
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def row(number, values, start=0):
    cells = "".join(cell(f"{col(start + i)}{number}", v) for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


def sheet(rows_xml, before=""):
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{before}'
        f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><sheetData>{rows_xml}</sheetData></worksheet>'
    )


def header_sheet(extra=""):
    return sheet(row(1, HEADER) + extra)


def parts(sheet_xml, shared=None, styles=None):
    """The parts of a one-sheet workbook named 户信息."""
    types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    )
    package_rels = (
        f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
        f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
        '<sheet name="户信息" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    rels = [f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>']
    out = [
        ("[Content_Types].xml", types),
        ("_rels/.rels", package_rels),
        ("xl/workbook.xml", workbook),
    ]
    if shared is not None:
        rels.append(f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>')
        out.append(("xl/sharedStrings.xml", shared))
    if styles is not None:
        rels.append(f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/>')
        out.append(("xl/styles.xml", styles))
    out.append(("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{PKG}">{"".join(rels)}</Relationships>'))
    out.append(("xl/worksheets/sheet1.xml", sheet_xml))
    return out


def write_zip(name, entries):
    path = os.path.join(HERE, name)
    with zipfile.ZipFile(path, "w") as z:
        for part, text in entries:
            info = zipfile.ZipInfo(part, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            data = text.encode("utf-8") if isinstance(text, str) else text
            z.writestr(info, data, compresslevel=9)
    return path


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def patch_entry(path, part, size=None, flags_or=0):
    """Rewrites an entry's declared uncompressed size and/or sets general-purpose flag
    bits, in its local header and in the central directory alike."""
    data = bytearray(open(path, "rb").read())
    name = part.encode()
    # Local header: signature, version, flags(6), method, time, date, crc, csize, usize(22),
    # name length(26), extra length(28), name(30).
    i = 0
    while True:
        i = data.find(b"PK\x03\x04", i)
        if i < 0:
            break
        n, = struct.unpack_from("<H", data, i + 26)
        if data[i + 30 : i + 30 + n] == name:
            if size is not None:
                struct.pack_into("<I", data, i + 22, size)
            flags, = struct.unpack_from("<H", data, i + 6)
            struct.pack_into("<H", data, i + 6, flags | flags_or)
        i += 4
    # Central directory: flags(8), usize(24), name length(28), name(46).
    i = 0
    while True:
        i = data.find(b"PK\x01\x02", i)
        if i < 0:
            break
        n, = struct.unpack_from("<H", data, i + 28)
        if data[i + 46 : i + 46 + n] == name:
            if size is not None:
                struct.pack_into("<I", data, i + 24, size)
            flags, = struct.unpack_from("<H", data, i + 8)
            struct.pack_into("<H", data, i + 8, flags | flags_or)
        i += 4
    open(path, "wb").write(bytes(data))


def main():
    # --- workbooks that allocate on their extreme references or declared counts
    write_zip("cell-xfd1048576.xlsx", parts(header_sheet(row(1048576, ["x"], start=16383))))
    write_zip("a1-xfd2000.xlsx", parts(header_sheet(row(2000, ["x"], start=16383))))
    sst_head = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{MAIN}" count="{{n}}" uniqueCount="{{n}}">'
    one = sst_head + "<si><t>x</t></si></sst>"
    write_zip("sst-uniquecount-huge.xlsx", parts(header_sheet(), shared=one.format(n="100000000000")))
    write_zip("sst-uniquecount-1e11.xlsx", parts(header_sheet(), shared=one.format(n="1e11")))
    # 10 million one-letter strings: 170 MB of XML in 410 KB.
    n = 10_000_000
    write_zip("sst-bomb.xlsx", parts(header_sheet(), shared=sst_head.format(n=n) + "<si><t>a</t></si>" * n + "</sst>"))
    # --- parts that inflate, or lie about their size
    write_zip("zip-bomb-sheet.xlsx", parts(header_sheet(" " * 150_000_000)))
    p = write_zip("size-declared-4gib.xlsx", parts(header_sheet()))
    patch_entry(p, "xl/worksheets/sheet1.xml", size=0xFFFF0000)
    p = write_zip("size-understated.xlsx", parts(header_sheet(row(2, ROW))))
    patch_entry(p, "xl/worksheets/sheet1.xml", size=100)
    p = write_zip("encrypted-part.xlsx", parts(header_sheet(row(2, ROW))))
    patch_entry(p, "xl/worksheets/sheet1.xml", flags_or=1)
    dup = parts(header_sheet(row(2, ROW))) + [("XL/Worksheets/Sheet1.xml", header_sheet())]
    write_zip("duplicate-part.xlsx", dup)
    # --- XML that would be buffered or expanded whole
    long_text = "长" * 40_000
    write_zip(
        "long-shared-string.xlsx",
        parts(
            sheet(row(1, HEADER) + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'),
            shared=sst_head.format(n=1) + f"<si><t>{long_text}</t></si></sst>",
        ),
    )
    laughs = (
        '<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
        + "]>"
    )
    write_zip("billion-laughs.xlsx", parts(sheet(row(1, ["&lol9;"]), before=laughs)))
    font = "宋" * 1000
    styles = (
        f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font><name val="{font}"/></font></fonts>'
        '<cellXfs count="20000">' + '<xf fontId="0"/>' * 20_000 + "</cellXfs></styleSheet>"
    )
    write_zip("styles-bomb.xlsx", parts(header_sheet(row(2, ROW)), styles=styles))
    write_zip("rows-out-of-order.xlsx", parts(header_sheet(row(5, ROW) + row(3, ROW))))
    # --- accepted, and read right
    write_zip(
        "dimension-a1-xfd1048576.xlsx",
        parts(sheet(row(1, HEADER) + row(2, ROW), before="").replace("<sheetData>", '<dimension ref="A1:XFD1048576"/><sheetData>')),
    )
    write_zip("row-1000000.xlsx", parts(header_sheet(row(1_000_000, ROW))))
    # --- names that do not say what the bytes are
    csv_text = (",".join(HEADER) + "\n" + ",".join(ROW) + "\n").encode("utf-8")
    write("text-named.xlsx", csv_text)
    write("workbook-named.csv", open(os.path.join(HERE, "row-1000000.xlsx"), "rb").read())
    write("ole-named.xlsx", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + bytes(504))
    write("old-excel.xls", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + bytes(504))
    write("book.xlsb", b"PK\x03\x04")
    write("sheet.ods", b"PK\x03\x04")
    write("sheet.et", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
    write_zip("ods-named.xlsx", [("mimetype", "application/vnd.oasis.opendocument.spreadsheet"), ("content.xml", "<x/>")])
    write("empty.xlsx", b"")
    write("empty.csv", b"")
    # --- CSV
    head = ",".join(HEADER).encode("utf-8") + b"\n"
    write("not-utf8-not-gb18030.csv", head + b"H1,520322101001,\xFF\xFE\xFD,\n")
    write("utf16-lone-surrogate.csv", b"\xFF\xFE" + ("\t".join(HEADER) + "\r\nH1\t").encode("utf-16-le") + b"\x00\xD8" + "\t一般农户\r\n".encode("utf-16-le"))
    write("nul-in-cell.csv", head + b"H1,5203221010\x0001,\xE4\xB8\x80\xE8\x88\xAC\xE5\x86\x9C\xE6\x88\xB7,\n")
    write("duplicate-headers.csv", "户编号,村代码,户类型,household_no,脱贫年度\nH1,520322101001,一般农户,H1,\n".encode("utf-8"))
    write("million-empty-rows.csv", head + b"\n" * 1_000_000 + ",".join(ROW).encode("utf-8") + b"\n")
    write("cell-beyond-columns.csv", head + b"H1,520322101001" + b"," * 1_100 + b"x\n")
    write("trailing-commas.csv", head + ",".join(ROW).encode("utf-8") + b"," * 20_000 + b"\n")
    write("long-cell.csv", head + b"H1,520322101001,\"" + "长".encode("utf-8") * 33_000 + b"\",\n")
    write("long-line.csv", head + b"H1," + b"a" * (1 << 20) + b"\n")


if __name__ == "__main__":
    main()
