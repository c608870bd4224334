//! 工作簿 (.xlsx): everything between an uploaded workbook and its rows — what its bytes
//! are, the checks made on its zip archive and XML parts before calamine sees the file, and
//! the chosen worksheet read as a stream of rows on a thread of its own.
//!
//! calamine reads the relationships, the shared strings, the styles and the workbook part
//! whole when it opens a file, and `worksheet_range` would build a dense grid from the
//! extreme cell references (A1 and XFD1048576 make a grid of 17 billion cells). So:
//!
//! 1. the zip archive is opened with the `zip` crate alone and every entry's declared size
//!    and compression ratio is checked (the crate refuses to inflate an entry beyond the
//!    size it declares, so the declared size is a bound, not a hint);
//! 2. the parts calamine will read are found exactly as calamine finds them
//!    (`_rels/.rels` → workbook → its relationships → the sheets) and each is scanned
//!    ([`crate::xml_scan`]): tags, texts and cells bounded, shared strings and cell formats
//!    counted, declared counts checked;
//! 3. only then calamine opens the file, and the sheet is read with its streaming cell
//!    reader: rows are assembled from the cells as they come, never as a grid, and a cell
//!    beyond the last allowed column is refused with its row and column.
//!
//! What an accepted workbook can cost is thus the shared strings and styles (bounded by
//! count and size), the zip directory, and the rows in flight (bounded in bytes).

use crate::limits::{Limits, bytes_text, grouped};
use crate::problem::column_letter;
use crate::read::{Cell, ReadError, Row, clean_header, text_cell};
use crate::xml_scan::{ScanError, Visitor, XmlScan, attributes, local, start_name};
use calamine::{DataRef, Reader as _, Xlsx};
use chrono::NaiveDate;
use std::collections::HashMap;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use zip::ZipArchive;

/// What a file's first bytes say it is, whatever its name says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Content {
    /// Nothing at all.
    Empty,
    /// A zip archive: .xlsx (or .xlsb, .ods, .docx …).
    Zip,
    /// An OLE compound file: .xls, or an .xlsx with an opening password.
    Ole,
    /// A PDF document.
    Pdf,
    /// Anything else: text, we hope.
    Other,
}

impl Content {
    pub fn sniff(head: &[u8]) -> Content {
        if head.is_empty() {
            Content::Empty
        } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            Content::Zip
        } else if head.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
            Content::Ole
        } else if head.starts_with(b"%PDF-") {
            Content::Pdf
        } else {
            Content::Other
        }
    }
}

/// A workbook opened after its checks, its sheet about to be read.
pub(crate) struct Opened<R: Read + Seek> {
    book: Xlsx<R>,
    /// The worksheet's name as calamine knows it.
    pub sheet: String,
}

/// The parts calamine reads, found as calamine finds them.
struct Layout {
    /// Directory of the workbook part, with a trailing `/` (calamine's `xl_path`).
    dir: String,
    /// File name of the workbook part.
    name: String,
}

/// A worksheet named in the workbook part.
struct SheetEntry {
    name: String,
    path: String,
}

/// Checks the workbook in `reader` and opens it with calamine, ready to read `sheet` (or
/// the first sheet). `path` names the file in messages.
pub(crate) fn open<R: Read + Seek>(
    reader: R,
    path: &Path,
    sheet: Option<&str>,
    limits: &Limits,
) -> Result<Opened<R>, ReadError> {
    let damaged = |message: String| ReadError::Workbook {
        path: path.to_path_buf(),
        message,
    };
    let mut zip =
        ZipArchive::new(reader).map_err(|e| damaged(format!("不是有效的压缩文件（{e}）")))?;
    let parts = Parts::index(&zip, path, limits)?;
    if parts.get("mimetype").is_some() || parts.get("content.xml").is_some() {
        return Err(ReadError::WrongContent {
            path: path.to_path_buf(),
            message: "内容是OpenDocument表格（.ods），不是.xlsx".to_owned(),
        });
    }
    if parts.names.keys().any(|n| n.ends_with("workbook.bin")) {
        return Err(ReadError::WrongContent {
            path: path.to_path_buf(),
            message: "内容是Excel二进制工作簿（.xlsb），不是.xlsx".to_owned(),
        });
    }
    let mut check = Check {
        zip: &mut zip,
        parts: &parts,
        path,
        limits,
    };
    check.entries()?;
    let layout = check.layout()?;
    let workbook_rels =
        check.relationships(&format!("{}_rels/{}.rels", layout.dir, layout.name))?;
    let sheets = check.sheets(&layout, &workbook_rels)?;
    let names: Vec<String> = sheets.iter().map(|s| s.name.clone()).collect();
    let chosen = match sheet {
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted || n.trim() == wanted.trim())
            .cloned()
            .ok_or_else(|| ReadError::SheetNotFound {
                sheet: wanted.to_owned(),
                available: names.clone(),
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| damaged("工作簿中没有工作表".to_owned()))?,
    };
    // calamine reads the first sheet of that name.
    let entry = sheets
        .iter()
        .find(|s| s.name == chosen)
        .expect("the chosen name is one of the sheets");
    check.shared_strings(&format!("{}sharedStrings.xml", layout.dir))?;
    check.styles(&format!("{}styles.xml", layout.dir))?;
    check.plain(&format!("{}theme/theme1.xml", layout.dir))?;
    check.sheet(&entry.path)?;

    let mut reader = zip.into_inner();
    reader
        .seek(std::io::SeekFrom::Start(0))
        .map_err(|e| damaged(format!("读取失败（{e}）")))?;
    // calamine is not expected to panic on any input, but if it does, the file is
    // refused like any damaged one: a malformed upload must never take the process down.
    let book: Xlsx<R> = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        calamine::Reader::new(reader)
    }))
    .map_err(|_| damaged("读取工作簿时发生内部错误".to_owned()))?
    .map_err(|e| damaged(xlsx_message(&e)))?;
    // The checks above and calamine must have read the same workbook; a file on which
    // they disagree is one crafted to, and is not read.
    if book.sheet_names() != names {
        return Err(damaged(
            "工作簿结构异常（工作表清单前后不一致），请在Excel中打开后另存".to_owned(),
        ));
    }
    Ok(Opened {
        book,
        sheet: chosen,
    })
}

/// The archive's entries by normalised name (`\` as `/`, lower case), as calamine looks
/// them up.
struct Parts {
    names: HashMap<String, usize>,
}

impl Parts {
    fn index<R: Read + Seek>(
        zip: &ZipArchive<R>,
        path: &Path,
        limits: &Limits,
    ) -> Result<Parts, ReadError> {
        if zip.len() > limits.max_zip_entries {
            return Err(ReadError::Limit {
                path: path.to_path_buf(),
                message: format!(
                    "压缩包中有{}个部件，超过上限{}个",
                    grouped(zip.len() as u64),
                    grouped(limits.max_zip_entries as u64)
                ),
            });
        }
        let mut names = HashMap::with_capacity(zip.len());
        for (index, name) in zip.file_names().enumerate() {
            let name = name.map_err(|e| ReadError::Workbook {
                path: path.to_path_buf(),
                message: format!("部件名称无法识别（{e}）"),
            })?;
            let normal = normalise(&name);
            if names.insert(normal, index).is_some() {
                return Err(ReadError::Workbook {
                    path: path.to_path_buf(),
                    message: format!("压缩包中有重名的部件“{name}”"),
                });
            }
        }
        Ok(Parts { names })
    }

    fn get(&self, name: &str) -> Option<usize> {
        self.names.get(&normalise(name)).copied()
    }
}

fn normalise(name: &str) -> String {
    name.replace('\\', "/").to_ascii_lowercase()
}

/// Which bounds a part is read under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Read whole by calamine: relationships, workbook, styles, theme.
    Whole,
    /// The shared strings, held whole.
    SharedStrings,
    /// A worksheet, streamed.
    Sheet,
}

/// The checks of one archive.
struct Check<'a, R: Read + Seek> {
    zip: &'a mut ZipArchive<R>,
    parts: &'a Parts,
    path: &'a Path,
    limits: &'a Limits,
}

impl<R: Read + Seek> Check<'_, R> {
    fn limit(&self, message: String) -> ReadError {
        ReadError::Limit {
            path: self.path.to_path_buf(),
            message,
        }
    }

    fn damaged(&self, message: String) -> ReadError {
        ReadError::Workbook {
            path: self.path.to_path_buf(),
            message,
        }
    }

    /// Every entry: its declared size within the largest bound and its compression
    /// ratio; XML parts other than worksheets and shared strings within the bound of a
    /// part read whole (whatever calamine may read, it cannot be larger).
    fn entries(&mut self) -> Result<(), ReadError> {
        for index in 0..self.zip.len() {
            let entry = self
                .zip
                .by_index_data(index)
                .map_err(|e| self.damaged(format!("压缩包目录损坏（{e}）")))?;
            let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
            let (size, packed) = (entry.size(), entry.compressed_size());
            self.ratio(&name, size, packed)?;
            let normal = normalise(&name);
            let xml = normal.ends_with(".xml") || normal.ends_with(".rels");
            let bound = if !xml || normal.contains("worksheets/") {
                self.limits.max_sheet_bytes
            } else if normal.ends_with("sharedstrings.xml") {
                self.limits.max_shared_strings_bytes
            } else {
                self.limits.max_part_bytes
            };
            self.size(&name, size, bound)?;
        }
        Ok(())
    }

    fn size(&self, name: &str, size: u64, bound: u64) -> Result<(), ReadError> {
        if size > bound {
            return Err(self.limit(format!(
                "部件“{name}”解压后有{}，超过上限{}",
                human(size),
                bytes_text(bound)
            )));
        }
        Ok(())
    }

    fn ratio(&self, name: &str, size: u64, packed: u64) -> Result<(), ReadError> {
        if size > self.limits.ratio_grace_bytes
            && size > packed.saturating_mul(self.limits.max_ratio)
        {
            return Err(self.limit(format!(
                "部件“{name}”的压缩比超过{}:1（{}压缩为{}），疑似“压缩炸弹”",
                self.limits.max_ratio,
                human(size),
                human(packed)
            )));
        }
        Ok(())
    }

    /// `_rels/.rels` → the workbook part, as calamine's `read_package_relationships`.
    fn layout(&mut self) -> Result<Layout, ReadError> {
        let mut rels = Relationships::default();
        if !self.scan("_rels/.rels", Role::Whole, &mut rels)? {
            return Err(self.damaged("缺少“_rels/.rels”，不是Excel工作簿".to_owned()));
        }
        let target = rels
            .office_document
            .ok_or_else(|| self.damaged("找不到工作簿部件（workbook.xml）".to_owned()))?;
        let (dir, name) = match target.rfind('/') {
            Some(i) => target.split_at(i + 1),
            None => ("", target.as_str()),
        };
        Ok(Layout {
            dir: dir.strip_prefix('/').unwrap_or(dir).to_owned(),
            name: if name.is_empty() {
                "workbook.xml".to_owned()
            } else {
                name.to_owned()
            },
        })
    }

    /// A relationships part: id → (target, type).
    fn relationships(
        &mut self,
        part: &str,
    ) -> Result<HashMap<String, (String, String)>, ReadError> {
        let mut rels = Relationships::default();
        if !self.scan(part, Role::Whole, &mut rels)? {
            return Err(self.damaged(format!("缺少“{part}”")));
        }
        Ok(rels.by_id)
    }

    /// The workbook part's sheets with their parts, as calamine's `read_workbook`.
    fn sheets(
        &mut self,
        layout: &Layout,
        rels: &HashMap<String, (String, String)>,
    ) -> Result<Vec<SheetEntry>, ReadError> {
        let mut book = WorkbookPart::default();
        let part = format!("{}{}", layout.dir, layout.name);
        if !self.scan(&part, Role::Whole, &mut book)? {
            return Err(self.damaged(format!("缺少工作簿部件“{part}”")));
        }
        let mut sheets = Vec::with_capacity(book.sheets.len());
        for (name, id) in book.sheets {
            let (target, _) = rels
                .get(&id)
                .ok_or_else(|| self.damaged(format!("工作表“{name}”找不到对应的部件")))?;
            let path = match target.strip_prefix('/') {
                Some(absolute) => absolute.to_owned(),
                None => format!("{}{target}", layout.dir),
            };
            sheets.push(SheetEntry { name, path });
        }
        Ok(sheets)
    }

    fn shared_strings(&mut self, part: &str) -> Result<(), ReadError> {
        let mut strings = SharedStrings::new(self.limits);
        if self.scan(part, Role::SharedStrings, &mut strings)? {
            strings.finish().map_err(|e| self.part_error(part, e))?;
        }
        Ok(())
    }

    fn styles(&mut self, part: &str) -> Result<(), ReadError> {
        let mut styles = Styles::new(self.limits);
        if self.scan(part, Role::Whole, &mut styles)? {
            styles.finish().map_err(|e| self.part_error(part, e))?;
        }
        Ok(())
    }

    fn plain(&mut self, part: &str) -> Result<(), ReadError> {
        self.scan(part, Role::Whole, &mut Plain)?;
        Ok(())
    }

    fn sheet(&mut self, part: &str) -> Result<(), ReadError> {
        self.scan(part, Role::Sheet, &mut SheetPart::new(self.limits))?;
        Ok(())
    }

    fn part_error(&self, part: &str, e: ScanError) -> ReadError {
        part_error(self.path, part, e)
    }

    /// Scans `part` (looked up as calamine does) under the bounds of `role`; false when
    /// the archive has no such part.
    fn scan(
        &mut self,
        part: &str,
        role: Role,
        visitor: &mut impl Visitor,
    ) -> Result<bool, ReadError> {
        let Some(index) = self.parts.get(part) else {
            return Ok(false);
        };
        let limits = self.limits;
        let bound = match role {
            Role::Whole => limits.max_part_bytes,
            Role::SharedStrings => limits.max_shared_strings_bytes,
            Role::Sheet => limits.max_sheet_bytes,
        };
        let path = self.path.to_path_buf();
        let damaged = |message: String| ReadError::Workbook {
            path: path.clone(),
            message,
        };
        {
            let entry = self
                .zip
                .by_index_data(index)
                .map_err(|e| damaged(format!("压缩包目录损坏（{e}）")))?;
            if entry.encrypted() {
                return Err(damaged(format!("部件“{part}”已加密")));
            }
            let method = entry.compression();
            if !matches!(
                method,
                zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated
            ) {
                return Err(damaged(format!(
                    "部件“{part}”使用了不支持的压缩方式（{method}）"
                )));
            }
            let (size, packed) = (entry.size(), entry.compressed_size());
            self.size(part, size, bound)?;
            self.ratio(part, size, packed)?;
        }
        let mut file = self
            .zip
            .by_index(index)
            .map_err(|e| damaged(format!("部件“{part}”无法读取（{e}）")))?;
        let mut scan = XmlScan::new(limits);
        let mut buf = vec![0u8; 64 << 10];
        let part_error = |e: ScanError| part_error(&path, part, e);
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(damaged(format!(
                        "部件“{part}”解压失败（{e}），实际内容与声明的大小或校验值不符"
                    )));
                }
            };
            scan.feed(&buf[..n], visitor).map_err(part_error)?;
        }
        scan.finish().map_err(part_error)?;
        if role == Role::Whole && scan.elements > limits.max_part_elements {
            return Err(part_error(ScanError::Limit(format!(
                "有{}个XML元素，超过上限{}个",
                grouped(scan.elements),
                grouped(limits.max_part_elements)
            ))));
        }
        Ok(true)
    }
}

/// A scan's refusal of `part`, as the error of the file at `path`.
fn part_error(path: &Path, part: &str, e: ScanError) -> ReadError {
    let path = path.to_path_buf();
    match e {
        ScanError::Limit(m) => ReadError::Limit {
            path,
            message: format!("部件“{part}”{m}"),
        },
        ScanError::Invalid(m) => ReadError::Workbook {
            path,
            message: format!("部件“{part}”{m}"),
        },
    }
}

/// A byte count for a message: 1.5 GiB, 340 MiB, 12 KiB.
fn human(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if n >= size {
            let tenths = n.saturating_mul(10) / size;
            return if tenths.is_multiple_of(10) || tenths >= 1000 {
                format!("{} {unit}", tenths / 10)
            } else {
                format!("{}.{} {unit}", tenths / 10, tenths % 10)
            };
        }
    }
    format!("{}字节", grouped(n))
}

/// The attributes of a tag; refused when a key appears twice, since quick-xml, calamine
/// and this check could each take a different one of them.
fn unique_attributes(tag: &[u8]) -> Result<Vec<(String, String)>, ScanError> {
    let attrs = attributes(tag)?;
    for (i, (k, _)) in attrs.iter().enumerate() {
        if attrs[..i]
            .iter()
            .any(|(other, _)| local(other.as_bytes()) == local(k.as_bytes()))
        {
            return Err(ScanError::Invalid(format!("XML标记中属性“{k}”重复")));
        }
    }
    Ok(attrs)
}

/// A relationships part, read as calamine reads it: `Relationship` elements inside
/// `Relationships`, later ones replacing earlier ones of the same id.
#[derive(Default)]
struct Relationships {
    inside: bool,
    done: bool,
    office_document: Option<String>,
    by_id: HashMap<String, (String, String)>,
}

impl Visitor for Relationships {
    fn start(&mut self, tag: &[u8], _end: u64) -> Result<(), ScanError> {
        if self.done {
            return Ok(());
        }
        match start_name(tag) {
            b"Relationships" => self.inside = true,
            b"Relationship" if self.inside => {
                let attrs = unique_attributes(tag)?;
                let get = |key: &str| attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
                let (id, kind, target) = (get("Id"), get("Type"), get("Target"));
                if let (Some(kind), Some(target)) = (&kind, &target)
                    && kind.ends_with("/relationships/officeDocument")
                {
                    self.office_document = Some(
                        quick_xml::escape::unescape(target)
                            .map_err(|_| ScanError::Invalid("关系中的路径格式错误".to_owned()))?
                            .into_owned(),
                    );
                }
                if let Some(id) = id {
                    self.by_id
                        .insert(id, (target.unwrap_or_default(), kind.unwrap_or_default()));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, name: &[u8], _end: u64) -> Result<(), ScanError> {
        if local(name) == b"Relationships" {
            self.done = true;
        }
        Ok(())
    }
}

/// The workbook part: its sheets' names and relationship ids, in order.
#[derive(Default)]
struct WorkbookPart {
    sheets: Vec<(String, String)>,
}

impl Visitor for WorkbookPart {
    fn start(&mut self, tag: &[u8], _end: u64) -> Result<(), ScanError> {
        if start_name(tag) == b"sheet" {
            let mut name = String::new();
            let mut id = String::new();
            for (key, value) in unique_attributes(tag)? {
                if key == "name" {
                    name = quick_xml::escape::unescape(&value)
                        .map_err(|_| ScanError::Invalid("工作表名称格式错误".to_owned()))?
                        .into_owned();
                } else if local(key.as_bytes()) == b"id" {
                    id = value;
                }
            }
            self.sheets.push((name, id));
        }
        Ok(())
    }
}

/// The shared strings: counted as they are, and as they are declared.
struct SharedStrings<'l> {
    limits: &'l Limits,
    count: u64,
    /// Where the `<si>` being read began.
    open: Option<u64>,
}

impl<'l> SharedStrings<'l> {
    fn new(limits: &'l Limits) -> Self {
        Self {
            limits,
            count: 0,
            open: None,
        }
    }

    fn finish(&self) -> Result<(), ScanError> {
        if self.count > self.limits.max_shared_strings {
            return Err(self.too_many(&grouped(self.count)));
        }
        Ok(())
    }

    fn too_many(&self, n: &str) -> ScanError {
        ScanError::Limit(format!(
            "有{n}个共享字符串，超过上限{}个",
            grouped(self.limits.max_shared_strings)
        ))
    }

    fn within(&self, at: u64) -> Result<(), ScanError> {
        match self.open {
            Some(start) if at - start > self.limits.max_cell_xml_bytes => {
                Err(ScanError::Limit(format!(
                    "中有一个字符串超过{}",
                    bytes_text(self.limits.max_cell_xml_bytes)
                )))
            }
            _ => Ok(()),
        }
    }
}

impl Visitor for SharedStrings<'_> {
    fn start(&mut self, tag: &[u8], end: u64) -> Result<(), ScanError> {
        self.within(end)?;
        match start_name(tag) {
            b"sst" => {
                // calamine reserves room for `uniqueCount` strings before reading one.
                for (key, value) in unique_attributes(tag)? {
                    if key == "count" || key == "uniqueCount" {
                        let fits = value.bytes().all(|b| b.is_ascii_digit())
                            && value
                                .parse::<u64>()
                                .is_ok_and(|n| n <= self.limits.max_shared_strings);
                        if !fits {
                            return Err(ScanError::Limit(format!(
                                "声明的字符串数量“{key}={value}”无效或超过上限{}个",
                                grouped(self.limits.max_shared_strings)
                            )));
                        }
                    }
                }
            }
            b"si" => {
                self.count += 1;
                if self.count > self.limits.max_shared_strings {
                    return Err(self.too_many(&format!("超过{}", grouped(self.count - 1))));
                }
                if !tag.ends_with(b"/>") && self.open.is_none() {
                    self.open = Some(end - tag.len() as u64);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, name: &[u8], end: u64) -> Result<(), ScanError> {
        self.within(end)?;
        if local(name) == b"si" {
            self.open = None;
        }
        Ok(())
    }
}

/// The styles part. calamine copies the cell format's font name and number format into
/// every cell format (`<xf>`), so their product is what it costs, not the part's size.
struct Styles<'l> {
    limits: &'l Limits,
    formats: u64,
    longest_font_name: u64,
    longest_number_format: u64,
}

impl<'l> Styles<'l> {
    fn new(limits: &'l Limits) -> Self {
        Self {
            limits,
            formats: 0,
            longest_font_name: 0,
            longest_number_format: 0,
        }
    }

    /// Estimated bytes of calamine's styles: per format, its own fields (≈ 384 bytes, a
    /// generous measure of calamine's `Style`) plus the copied strings.
    fn estimate(&self) -> u64 {
        self.formats
            .saturating_mul(384 + self.longest_font_name + self.longest_number_format)
    }

    fn finish(&self) -> Result<(), ScanError> {
        if self.estimate() > self.limits.max_styles_bytes {
            return Err(ScanError::Limit(format!(
                "有{}个单元格格式，连同每个格式复制的字体名和数字格式，读取时约需{}，超过上限{}",
                grouped(self.formats),
                human(self.estimate()),
                bytes_text(self.limits.max_styles_bytes)
            )));
        }
        Ok(())
    }
}

impl Visitor for Styles<'_> {
    fn start(&mut self, tag: &[u8], _end: u64) -> Result<(), ScanError> {
        let len = tag.len() as u64;
        match start_name(tag) {
            b"xf" => {
                self.formats += 1;
                if self.formats > self.limits.max_cell_formats {
                    return Err(ScanError::Limit(format!(
                        "的单元格格式超过{}个",
                        grouped(self.limits.max_cell_formats)
                    )));
                }
            }
            b"name" => self.longest_font_name = self.longest_font_name.max(len),
            b"numFmt" => self.longest_number_format = self.longest_number_format.max(len),
            _ => {}
        }
        Ok(())
    }
}

/// A part with nothing to count but its elements.
struct Plain;

impl Visitor for Plain {
    fn start(&mut self, _tag: &[u8], _end: u64) -> Result<(), ScanError> {
        Ok(())
    }
}

/// A worksheet: each cell's XML bounded, so that no single cell (an inline string of a
/// million runs, a formula of a gigabyte) is built whole in memory.
struct SheetPart<'l> {
    limits: &'l Limits,
    open: Option<u64>,
}

impl<'l> SheetPart<'l> {
    fn new(limits: &'l Limits) -> Self {
        Self { limits, open: None }
    }

    fn within(&self, at: u64) -> Result<(), ScanError> {
        match self.open {
            Some(start) if at - start > self.limits.max_cell_xml_bytes => {
                Err(ScanError::Limit(format!(
                    "中有一个单元格的XML超过{}",
                    bytes_text(self.limits.max_cell_xml_bytes)
                )))
            }
            _ => Ok(()),
        }
    }
}

impl Visitor for SheetPart<'_> {
    fn start(&mut self, tag: &[u8], end: u64) -> Result<(), ScanError> {
        self.within(end)?;
        if start_name(tag) == b"c" && !tag.ends_with(b"/>") && self.open.is_none() {
            self.open = Some(end - tag.len() as u64);
        }
        Ok(())
    }

    fn end(&mut self, name: &[u8], end: u64) -> Result<(), ScanError> {
        self.within(end)?;
        if local(name) == b"c" {
            self.open = None;
        }
        Ok(())
    }
}

/// calamine's error in a clerk's words, with its own text for whoever supports them.
fn xlsx_message(e: &calamine::XlsxError) -> String {
    use calamine::XlsxError as E;
    match e {
        E::Password => "工作簿设置了打开密码：请取消密码后另存".to_owned(),
        E::Zip(_) | E::Io(_) => format!("文件无法解压（{e}）"),
        _ => format!("工作簿格式错误（{e}）"),
    }
}

// ------------------------------------------------------------------------ the sheet

/// What the reading thread hands over.
enum Message {
    Rows(Vec<Row>),
    Failed(ReadError),
    End,
}

/// The rows of a worksheet, read on a thread of their own (calamine's cell reader borrows
/// the workbook, so the two live together there). Rows arrive in batches bounded in
/// count and bytes; at most two batches wait in the channel.
pub(crate) struct SheetRows {
    rx: mpsc::Receiver<Message>,
    pending: std::vec::IntoIter<Row>,
    ended: bool,
    path: PathBuf,
}

/// Rows per batch handed over by the reading thread.
const BATCH_ROWS: usize = 1024;

impl SheetRows {
    /// Starts reading `opened`'s sheet; `path` names the file in messages.
    pub fn start<R: Read + Seek + Send + 'static>(
        opened: Opened<R>,
        path: &Path,
        limits: &Limits,
    ) -> Result<SheetRows, ReadError> {
        let (tx, rx) = mpsc::sync_channel(2);
        let file = path.to_path_buf();
        let limits = *limits;
        std::thread::Builder::new()
            .name("fangpin-xlsx".to_owned())
            .spawn(move || {
                let Opened { mut book, sheet } = opened;
                let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    stream(&mut book, &sheet, &file, &limits, &tx)
                }));
                let last = match read {
                    Ok(Ok(())) => Message::End,
                    Ok(Err(e)) => Message::Failed(e),
                    Err(_) => Message::Failed(ReadError::Workbook {
                        path: file.clone(),
                        message: format!("读取工作表“{sheet}”时发生内部错误"),
                    }),
                };
                // The reader may have stopped listening: nothing is owed to it then.
                let _ = tx.send(last);
            })
            .map_err(|source| ReadError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(SheetRows {
            rx,
            pending: Vec::new().into_iter(),
            ended: false,
            path: path.to_path_buf(),
        })
    }

    /// The next non-blank row, or `None` after the last.
    pub fn next(&mut self) -> Result<Option<Row>, ReadError> {
        loop {
            if let Some(row) = self.pending.next() {
                return Ok(Some(row));
            }
            if self.ended {
                return Ok(None);
            }
            match self.rx.recv() {
                Ok(Message::Rows(rows)) => self.pending = rows.into_iter(),
                Ok(Message::Failed(e)) => {
                    self.ended = true;
                    return Err(e);
                }
                Ok(Message::End) => self.ended = true,
                // The thread ended without saying so: it panicked. Never a silent end of
                // the sheet, which would import half a file.
                Err(_) => {
                    self.ended = true;
                    return Err(ReadError::Workbook {
                        path: self.path.clone(),
                        message: "读取工作表时发生内部错误".to_owned(),
                    });
                }
            }
        }
    }
}

/// Reads the sheet's cells in order, assembles rows and sends them on.
fn stream<R: Read + Seek>(
    book: &mut Xlsx<R>,
    sheet: &str,
    path: &Path,
    limits: &Limits,
    tx: &mpsc::SyncSender<Message>,
) -> Result<(), ReadError> {
    let broken = |e: calamine::XlsxError| ReadError::Workbook {
        path: path.to_path_buf(),
        message: format!("读取工作表“{sheet}”时出错：{}", xlsx_message(&e)),
    };
    let mut cells = book.worksheet_cells_reader(sheet).map_err(broken)?;
    let mut rows = RowBuilder::new(limits);
    let mut batch = Vec::new();
    let mut bytes = 0;
    while let Some(cell) = cells.next_cell().map_err(broken)? {
        let (r, c) = cell.get_position();
        let Some(row) = rows.push(r, c, cell.get_value())? else {
            continue;
        };
        bytes += row_bytes(&row);
        batch.push(row);
        if batch.len() >= BATCH_ROWS || bytes >= limits.max_batch_bytes {
            if tx.send(Message::Rows(std::mem::take(&mut batch))).is_err() {
                return Ok(());
            }
            bytes = 0;
        }
    }
    batch.extend(rows.finish());
    if !batch.is_empty() {
        let _ = tx.send(Message::Rows(batch));
    }
    Ok(())
}

/// Bytes of text held by a row's cells.
pub(crate) fn row_bytes(row: &Row) -> usize {
    row.cells
        .iter()
        .map(|c| match c {
            Cell::Text(s) => s.len(),
            _ => 8,
        })
        .sum()
}

/// Assembles rows from cells in stream order: a row is complete when a cell of a later
/// row arrives. Empty cells are skipped, so an empty cell far to the right (a format
/// applied to a whole row) costs nothing; a filled one beyond the last allowed column is
/// refused.
struct RowBuilder<'l> {
    limits: &'l Limits,
    /// The row being assembled: its 0-based index and cells.
    current: Option<(u32, Vec<Cell>)>,
    bytes: usize,
}

impl<'l> RowBuilder<'l> {
    fn new(limits: &'l Limits) -> Self {
        Self {
            limits,
            current: None,
            bytes: 0,
        }
    }

    /// Adds one cell; returns the previous row when this cell starts a new one.
    fn push(&mut self, r: u32, c: u32, value: &DataRef<'_>) -> Result<Option<Row>, ReadError> {
        let number = r as usize + 1;
        let column = c as usize;
        let at = |message: String| ReadError::Content {
            row: number,
            column: Some(column),
            message,
        };
        let cell = sheet_cell(value, self.limits).map_err(at)?;
        if cell.is_empty() {
            return Ok(None);
        }
        if number > self.limits.max_rows {
            return Err(at(format!(
                "超出了工作表允许的最多行数（{}行）：请删除多余的行，或拆分为几个文件分批导入",
                grouped(self.limits.max_rows as u64)
            )));
        }
        if column >= self.limits.max_columns {
            return Err(at(format!(
                "超出了允许的最多列数（{}列，到{}列为止）：请删除该单元格或多余的列",
                grouped(self.limits.max_columns as u64),
                column_letter(self.limits.max_columns - 1)
            )));
        }
        let mut done = None;
        match &self.current {
            Some((cur, _)) if *cur == r => {}
            Some((cur, _)) if r < *cur => {
                return Err(ReadError::Content {
                    row: number,
                    column: None,
                    message: format!(
                        "工作表中第{number}行出现在第{}行之后，行的顺序错乱（文件不是由Excel保存的）：请在Excel中打开并另存后重新导入",
                        cur + 1
                    ),
                });
            }
            _ => {
                done = self.finish();
                self.current = Some((r, Vec::new()));
                self.bytes = 0;
            }
        }
        if let Cell::Text(s) = &cell {
            self.bytes += s.len();
            if self.bytes > self.limits.max_row_bytes {
                return Err(at(format!(
                    "这一行的内容超过{}",
                    bytes_text(self.limits.max_row_bytes as u64)
                )));
            }
        }
        let (_, cells) = self.current.as_mut().expect("set above");
        if cells.len() <= column {
            cells.resize(column + 1, Cell::Empty);
        }
        cells[column] = cell;
        Ok(done)
    }

    /// The row being assembled, if it holds anything.
    fn finish(&mut self) -> Option<Row> {
        let (r, mut cells) = self.current.take()?;
        while cells.last().is_some_and(Cell::is_empty) {
            cells.pop();
        }
        (!cells.is_empty()).then(|| Row {
            number: r as usize + 1,
            cells,
        })
    }
}

/// A calamine cell as a [`Cell`]: date-formatted numbers become dates, error values
/// (#N/A, #VALUE!…) become their text so that the row is reported, not silently blank.
/// Text longer than a cell may hold is refused before it is copied.
fn sheet_cell(d: &DataRef<'_>, limits: &Limits) -> Result<Cell, String> {
    let text = |s: &str| -> Result<Cell, String> {
        check_cell_text(s, limits)?;
        Ok(text_cell(s))
    };
    Ok(match d {
        DataRef::Empty => Cell::Empty,
        DataRef::String(s) => text(s)?,
        DataRef::SharedString(s) => text(s)?,
        DataRef::Float(v) => Cell::Number(*v),
        DataRef::Int(v) => Cell::Number(*v as f64),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) => {
            if dt.is_datetime() {
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d))
                    .map_or(Cell::Number(dt.as_f64()), Cell::Date)
            } else {
                Cell::Number(dt.as_f64())
            }
        }
        DataRef::DateTimeIso(s) => match s
            .get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        {
            Some(d) => Cell::Date(d),
            None => text(s)?,
        },
        DataRef::DurationIso(s) => text(s)?,
        DataRef::Error(e) => Cell::Text(e.to_string()),
    })
}

/// A cell's text within [`Limits::max_cell_chars`] and free of NUL characters.
pub(crate) fn check_cell_text(s: &str, limits: &Limits) -> Result<(), String> {
    if s.len() > limits.max_cell_chars && s.chars().count() > limits.max_cell_chars {
        return Err(format!(
            "单元格内容有{}个字符，超过上限{}个（Excel单元格最多32,767个字符）",
            grouped(s.chars().count() as u64),
            grouped(limits.max_cell_chars as u64)
        ));
    }
    if s.contains('\0') {
        return Err("单元格含有空字符（NUL），文件可能已损坏".to_owned());
    }
    Ok(())
}

/// The header row of a sheet: the first non-blank row, cleaned.
pub(crate) fn headers_of(row: &Row) -> Vec<String> {
    let mut headers: Vec<String> = row.cells.iter().map(|c| clean_header(&c.text())).collect();
    while headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::{RowStream, read_bytes};
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    use std::io::Write as _;

    /// A small workbook: a header in B3 (two blank rows and a blank column before it),
    /// ten rows of distinct strings, a date, a number and a logical value, a bold cell.
    fn sample() -> Vec<u8> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("户信息").unwrap();
        let bold = Format::new().set_bold();
        let date = Format::new().set_num_format("yyyy-mm-dd");
        for (c, h) in ["户编号", "村代码", "日期", "人数", "是否"]
            .iter()
            .enumerate()
        {
            ws.write_string_with_format(2, 1 + c as u16, *h, &bold)
                .unwrap();
        }
        for r in 0..10u32 {
            let row = 3 + r * 2; // a blank row between data rows
            ws.write_string(row, 1, format!("H{r:03}")).unwrap();
            ws.write_string(row, 2, "520322101001").unwrap();
            ws.write_datetime_with_format(
                row,
                3,
                ExcelDateTime::from_ymd(2024, 1, 31).unwrap(),
                &date,
            )
            .unwrap();
            ws.write_number(row, 4, f64::from(r)).unwrap();
            ws.write_boolean(row, 5, r % 2 == 0).unwrap();
        }
        wb.save_to_buffer().unwrap()
    }

    fn read(bytes: Vec<u8>, limits: &Limits) -> Result<crate::Table, ReadError> {
        read_bytes(Path::new("户信息.xlsx"), bytes, None, limits)
    }

    fn refused(bytes: Vec<u8>, limits: Limits) -> String {
        read(bytes, &limits)
            .map(|t| format!("accepted: {t:?}"))
            .unwrap_or_else(|e| e.to_string())
    }

    /// The workbook with one part replaced.
    fn with_part(bytes: &[u8], part: &str, text: &str) -> Vec<u8> {
        let mut zip = ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).unwrap();
            let name = f.name().unwrap().into_owned();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            out.start_file(name.as_str(), options).unwrap();
            if name == part {
                out.write_all(text.as_bytes()).unwrap();
            } else {
                out.write_all(&data).unwrap();
            }
        }
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn rows_are_where_excel_shows_them() {
        let t = read(sample(), &Limits::STANDARD).unwrap();
        assert_eq!(t.source_note, "XLSX，工作表“户信息”");
        assert_eq!(
            t.headers,
            vec!["", "户编号", "村代码", "日期", "人数", "是否"]
        );
        let numbers: Vec<usize> = t.rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, (0..10).map(|r| 4 + r * 2).collect::<Vec<_>>());
        let first = &t.rows[0].cells;
        assert_eq!(first[0], Cell::Empty);
        assert_eq!(first[1], Cell::Text("H000".into()));
        assert_eq!(
            first[3],
            Cell::Date(NaiveDate::from_ymd_opt(2024, 1, 31).unwrap())
        );
        assert_eq!(first[4], Cell::Number(0.0));
        assert_eq!(first[5], Cell::Bool(true));
    }

    #[test]
    fn each_bound_refuses_a_workbook_just_beyond_it() {
        let s = Limits::STANDARD;
        let cases: Vec<(Limits, &str)> = vec![
            (
                Limits {
                    max_zip_entries: 3,
                    ..s
                },
                "压缩包中有",
            ),
            (
                Limits {
                    max_shared_strings: 5,
                    ..s
                },
                "超过上限5个",
            ),
            (
                Limits {
                    max_part_elements: 10,
                    ..s
                },
                "个XML元素，超过上限10个",
            ),
            (
                Limits {
                    max_columns: 3,
                    ..s
                },
                "第3行 D列：超出了允许的最多列数（3列，到C列为止）",
            ),
            (
                Limits { max_rows: 20, ..s },
                "第22行 B列：超出了工作表允许的最多行数（20行）",
            ),
            (
                Limits {
                    max_cell_chars: 3,
                    ..s
                },
                "第4行 B列：单元格内容有4个字符",
            ),
            (
                Limits {
                    max_row_bytes: 12,
                    ..s
                },
                "这一行的内容超过12字节",
            ),
            (
                Limits {
                    max_sheet_bytes: 100,
                    ..s
                },
                "超过上限100字节",
            ),
            (
                Limits {
                    max_shared_strings_bytes: 100,
                    ..s
                },
                "sharedStrings.xml”解压后有",
            ),
            (
                Limits {
                    max_part_bytes: 100,
                    ..s
                },
                "超过上限100字节",
            ),
            (
                Limits {
                    max_ratio: 1,
                    ratio_grace_bytes: 0,
                    ..s
                },
                "压缩比超过1:1",
            ),
            (
                Limits {
                    max_cell_formats: 1,
                    ..s
                },
                "单元格格式超过1个",
            ),
            (
                Limits {
                    max_styles_bytes: 100,
                    ..s
                },
                "读取时约需",
            ),
            (
                Limits {
                    max_tag_bytes: 40,
                    ..s
                },
                "XML标记超过40字节",
            ),
            (
                Limits {
                    max_text_bytes: 3,
                    ..s
                },
                "XML文本超过3字节",
            ),
            (
                Limits {
                    max_cell_xml_bytes: 10,
                    ..s
                },
                "超过10字节",
            ),
        ];
        for (limits, words) in cases {
            let e = refused(sample(), limits);
            assert!(e.contains(words), "{words}: {e}");
        }
    }

    #[test]
    fn shared_strings_are_counted_not_only_declared() {
        let strings: String = (0..6).map(|i| format!("<si><t>s{i}</t></si>")).collect();
        let sst = format!(r#"<sst xmlns="{MAIN}">{strings}</sst>"#);
        let book = with_part(&sample(), "xl/sharedStrings.xml", &sst);
        let limits = Limits {
            max_shared_strings: 5,
            ..Limits::STANDARD
        };
        let e = refused(book, limits);
        assert!(e.contains("有超过5个共享字符串"), "{e}");
    }

    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

    #[test]
    fn a_sheet_calamine_would_read_elsewhere_is_the_one_checked() {
        // The workbook's relationship points its sheet at an unusual path: the sheet
        // bounds follow the relationship, not the folder name.
        let book = sample();
        let rels = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme" Target="theme/theme1.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
        let book = with_part(&book, "xl/_rels/workbook.xml.rels", rels);
        assert_eq!(
            read(book.clone(), &Limits::STANDARD).unwrap().rows.len(),
            10
        );
        let limits = Limits {
            max_cell_xml_bytes: 20,
            ..Limits::STANDARD
        };
        let sst = format!(r#"<sst xmlns="{MAIN}"><si><t>x</t></si></sst>"#);
        let e = refused(with_part(&book, "xl/sharedStrings.xml", &sst), limits);
        assert!(
            e.contains("sheet1.xml”中有一个单元格的XML超过20字节"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_attributes_are_refused() {
        let rels = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
        let e = refused(with_part(&sample(), "_rels/.rels", rels), Limits::STANDARD);
        assert!(e.contains("属性“Id”重复"), "{e}");
    }

    #[test]
    fn batches_are_cut_by_bytes() {
        let limits = Limits {
            max_batch_bytes: 30,
            ..Limits::STANDARD
        };
        let mut stream =
            RowStream::from_bytes(Path::new("a.xlsx"), sample(), None, &limits).unwrap();
        let mut batch = Vec::new();
        let mut sizes = Vec::new();
        loop {
            stream.next_batch(&mut batch, 1024).unwrap();
            if batch.is_empty() {
                break;
            }
            sizes.push(batch.len());
        }
        // Each row holds ≈ 40 bytes (texts plus 8 per other value): one row per batch.
        assert_eq!(sizes, vec![1; 10]);
    }
}
