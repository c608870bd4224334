//! XML 预检 (pre-reading XML): a streaming pass over one XML part of a workbook that bounds
//! every buffer the XML parser will later fill — a tag, a run of text, a comment or CDATA
//! section — before calamine parses the part. The tokenising mirrors quick-xml's exactly
//! (quotes inside tags, `?>` ending an instruction, `-->` and `]]>`), because a scan that
//! ended a token earlier than the parser would let the parser buffer what the scan never
//! measured. Element names are reported to a [`Visitor`], which counts what matters for
//! its part (shared strings, cell formats, cells).
//!
//! A document type declaration is refused outright (no workbook has one, and it is the way
//! to entity expansion), and so is a NUL byte (never valid in XML; also how a part in
//! UTF-16 would slip past a byte-oriented scan).

use crate::limits::{Limits, bytes_text};

/// Why a part was refused; the caller adds which part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScanError {
    /// Beyond one of the [`Limits`].
    Limit(String),
    /// Not XML a workbook would hold (damaged or crafted).
    Invalid(String),
}

#[cfg(test)]
impl ScanError {
    pub fn message(&self) -> &str {
        match self {
            ScanError::Limit(m) | ScanError::Invalid(m) => m,
        }
    }
}

/// Told of every tag as it ends.
pub(crate) trait Visitor {
    /// A start or empty-element tag (`<name …>` or `<name …/>`), whole, ending at byte
    /// offset `end` of the part.
    fn start(&mut self, tag: &[u8], end: u64) -> Result<(), ScanError>;
    /// An end tag `</name>`, ending at byte offset `end`.
    fn end(&mut self, _name: &[u8], _end: u64) -> Result<(), ScanError> {
        Ok(())
    }
}

/// Where the scan is, between two chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Character data, up to the next `<`.
    Text,
    /// Just after `<`.
    Open,
    /// Just after `<!`.
    Bang,
    /// Inside a start or end tag; the quote it is inside, if any.
    Tag { quote: u8 },
    /// Inside `<?…?>`.
    Instruction,
    /// Inside `<!--…-->`.
    Comment,
    /// Inside `<![CDATA[…]]>`.
    Cdata,
}

/// A streaming scan of one part: [`XmlScan::feed`] every chunk, then [`XmlScan::finish`].
pub(crate) struct XmlScan<'l> {
    limits: &'l Limits,
    state: State,
    /// Bytes consumed so far.
    pos: u64,
    /// Length of the current text run, comment or CDATA section.
    run: usize,
    /// The current tag (or instruction), `<` included.
    tag: Vec<u8>,
    /// The last two bytes of a comment or CDATA section, for its terminator.
    tail: [u8; 2],
    /// Elements seen (start and empty-element tags).
    pub elements: u64,
}

impl<'l> XmlScan<'l> {
    pub fn new(limits: &'l Limits) -> Self {
        Self {
            limits,
            state: State::Text,
            pos: 0,
            run: 0,
            tag: Vec::with_capacity(256),
            tail: [0; 2],
            elements: 0,
        }
    }

    /// Scans the next bytes of the part.
    pub fn feed(&mut self, mut chunk: &[u8], visitor: &mut impl Visitor) -> Result<(), ScanError> {
        if memchr::memchr(0, chunk).is_some() {
            return Err(ScanError::Invalid(
                "含有空字符（NUL），不是有效的XML（文件可能已损坏）".to_owned(),
            ));
        }
        while !chunk.is_empty() {
            let used = match self.state {
                State::Text => match memchr::memchr(b'<', chunk) {
                    Some(i) => {
                        self.grow_run(i)?;
                        self.run = 0;
                        self.tag.clear();
                        self.tag.push(b'<');
                        self.state = State::Open;
                        i + 1
                    }
                    None => {
                        self.grow_run(chunk.len())?;
                        chunk.len()
                    }
                },
                State::Open => {
                    match chunk[0] {
                        b'!' => self.state = State::Bang,
                        b'?' => {
                            self.tag.push(b'?');
                            self.state = State::Instruction;
                            self.pos += 1;
                            chunk = &chunk[1..];
                            continue;
                        }
                        // Anything else, `/` and `>` included, starts a tag: quick-xml
                        // reads `<>` as an (empty-named) tag and `</…>` like a start tag.
                        _ => {
                            self.state = State::Tag { quote: 0 };
                            continue;
                        }
                    }
                    1
                }
                State::Bang => {
                    match chunk[0] {
                        b'-' => self.state = State::Comment,
                        b'[' => self.state = State::Cdata,
                        b'D' | b'd' => {
                            return Err(ScanError::Invalid(
                                "含有文档类型声明（DOCTYPE），Excel工作簿中不会有，已拒绝"
                                    .to_owned(),
                            ));
                        }
                        _ => {
                            return Err(ScanError::Invalid(
                                "XML格式错误（“<!”后不是注释或CDATA）".to_owned(),
                            ));
                        }
                    }
                    // The comment's length counts from `<`, as quick-xml's does.
                    self.run = 3;
                    self.tail = [0, chunk[0]];
                    1
                }
                State::Tag { quote } => self.tag_bytes(chunk, quote, visitor)?,
                State::Instruction => {
                    let mut end = None;
                    for i in memchr::memchr_iter(b'>', chunk) {
                        let before = if i > 0 {
                            chunk[i - 1]
                        } else {
                            *self.tag.last().unwrap_or(&0)
                        };
                        if before == b'?' {
                            end = Some(i);
                            break;
                        }
                    }
                    let n = end.map_or(chunk.len(), |i| i + 1);
                    self.push_tag(&chunk[..n])?;
                    if end.is_some() {
                        self.state = State::Text;
                    }
                    n
                }
                State::Comment | State::Cdata => {
                    let closer = if self.state == State::Comment {
                        b'-'
                    } else {
                        b']'
                    };
                    let mut end = None;
                    for i in memchr::memchr_iter(b'>', chunk) {
                        let (a, b) = match i {
                            0 => (self.tail[0], self.tail[1]),
                            1 => (self.tail[1], chunk[0]),
                            _ => (chunk[i - 2], chunk[i - 1]),
                        };
                        // A comment needs at least `<!---->`: its closing dashes are not
                        // its opening ones.
                        let long_enough =
                            self.state == State::Cdata || self.run as u64 + i as u64 >= 6;
                        if a == closer && b == closer && long_enough {
                            end = Some(i);
                            break;
                        }
                    }
                    let n = end.map_or(chunk.len(), |i| i + 1);
                    self.grow_run(n)?;
                    match n {
                        0 => {}
                        1 => self.tail = [self.tail[1], chunk[0]],
                        _ => self.tail = [chunk[n - 2], chunk[n - 1]],
                    }
                    if end.is_some() {
                        self.run = 0;
                        self.state = State::Text;
                    }
                    n
                }
            };
            self.pos += used as u64;
            chunk = &chunk[used..];
        }
        Ok(())
    }

    /// The end of the part.
    pub fn finish(&self) -> Result<(), ScanError> {
        match self.state {
            State::Text => Ok(()),
            _ => Err(ScanError::Invalid(
                "XML不完整（在标记中间结束，文件可能已损坏）".to_owned(),
            )),
        }
    }

    /// Bytes of a tag: up to the `>` outside quotes that ends it.
    fn tag_bytes(
        &mut self,
        chunk: &[u8],
        mut quote: u8,
        visitor: &mut impl Visitor,
    ) -> Result<usize, ScanError> {
        let mut end = None;
        for i in memchr::memchr3_iter(b'>', b'"', b'\'', chunk) {
            match (quote, chunk[i]) {
                (0, b'>') => {
                    end = Some(i);
                    break;
                }
                (0, q) => quote = q,
                (q, c) if q == c => quote = 0,
                _ => {}
            }
        }
        let n = end.map_or(chunk.len(), |i| i + 1);
        self.push_tag(&chunk[..n])?;
        match end {
            None => self.state = State::Tag { quote },
            Some(_) => {
                self.state = State::Text;
                let at = self.pos + n as u64;
                if let Some(rest) = self.tag.strip_prefix(b"</") {
                    visitor.end(name_of(rest), at)?;
                } else {
                    self.elements += 1;
                    visitor.start(&self.tag, at)?;
                }
            }
        }
        Ok(n)
    }

    fn push_tag(&mut self, bytes: &[u8]) -> Result<(), ScanError> {
        if self.tag.len() + bytes.len() > self.limits.max_tag_bytes {
            return Err(ScanError::Limit(format!(
                "有一个XML标记超过{}",
                bytes_text(self.limits.max_tag_bytes as u64)
            )));
        }
        self.tag.extend_from_slice(bytes);
        Ok(())
    }

    fn grow_run(&mut self, n: usize) -> Result<(), ScanError> {
        self.run += n;
        if self.run > self.limits.max_text_bytes {
            return Err(ScanError::Limit(format!(
                "有一段XML文本超过{}",
                bytes_text(self.limits.max_text_bytes as u64)
            )));
        }
        Ok(())
    }
}

/// The name of a tag, given the bytes after `<` (or `</`): up to a blank, `/` or `>`.
pub(crate) fn name_of(after_open: &[u8]) -> &[u8] {
    let end = after_open
        .iter()
        .position(|&b| b.is_ascii_whitespace() || b == b'/' || b == b'>')
        .unwrap_or(after_open.len());
    &after_open[..end]
}

/// The local part of a name (`x:c` → `c`), as quick-xml compares names.
pub(crate) fn local(name: &[u8]) -> &[u8] {
    match memchr::memrchr(b':', name) {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// The local name of a start tag (`<x:c r="A1">` → `c`).
pub(crate) fn start_name(tag: &[u8]) -> &[u8] {
    local(name_of(tag.get(1..).unwrap_or_default()))
}

/// The attributes of a start tag as (key, raw value) pairs, parsed by quick-xml itself so
/// that what is read here is what calamine reads.
pub(crate) fn attributes(tag: &[u8]) -> Result<Vec<(String, String)>, ScanError> {
    let bad = || ScanError::Invalid("XML标记的属性格式错误".to_owned());
    let text = std::str::from_utf8(tag).map_err(|_| bad())?;
    let mut reader = quick_xml::Reader::from_str(text);
    let event = reader.read_event().map_err(|_| bad())?;
    let start = match event {
        quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => e,
        _ => return Ok(Vec::new()),
    };
    let mut out = Vec::new();
    for attr in start.attributes().with_checks(false) {
        let attr = attr.map_err(|_| bad())?;
        let key: &str = attr.key.as_ref();
        out.push((key.to_owned(), attr.value.into_owned()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records the start tags' names and the end tags' names.
    #[derive(Default)]
    struct Names(Vec<String>);

    impl Visitor for Names {
        fn start(&mut self, tag: &[u8], _end: u64) -> Result<(), ScanError> {
            self.0
                .push(String::from_utf8_lossy(start_name(tag)).into_owned());
            Ok(())
        }
        fn end(&mut self, name: &[u8], _end: u64) -> Result<(), ScanError> {
            self.0
                .push(format!("/{}", String::from_utf8_lossy(local(name))));
            Ok(())
        }
    }

    /// Scans `xml` fed in chunks of `step` bytes.
    fn scan(xml: &[u8], step: usize, limits: &Limits) -> Result<Vec<String>, ScanError> {
        let mut names = Names::default();
        let mut s = XmlScan::new(limits);
        for chunk in xml.chunks(step) {
            s.feed(chunk, &mut names)?;
        }
        s.finish()?;
        Ok(names.0)
    }

    const XML: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
<x:sst count="2" a='>"' b=">'"><!-- a > b -- c --><x:si><t>a &amp; b</t></x:si>
<![CDATA[ <not> ]] > ]]><si/><?pi ? > ?></x:sst>"#;

    #[test]
    fn tokens_are_the_same_in_any_chunking() {
        let want = vec!["sst", "si", "t", "/t", "/si", "si", "/sst"];
        for step in 1..=XML.len() {
            assert_eq!(scan(XML, step, &Limits::STANDARD).unwrap(), want, "{step}");
        }
    }

    #[test]
    fn long_tags_and_texts_are_refused_before_they_are_buffered() {
        let tight = Limits {
            max_tag_bytes: 16,
            max_text_bytes: 8,
            ..Limits::STANDARD
        };
        let e = scan(b"<a b=\"0123456789ab\"/>", 4, &tight).unwrap_err();
        assert!(e.message().contains("XML标记"), "{e:?}");
        // A quoted `>` does not end the tag, so the scan keeps counting it as a tag.
        let e = scan(b"<a b=\">>>>>>>>>>>>>>>>\"/>", 3, &tight).unwrap_err();
        assert!(e.message().contains("XML标记"), "{e:?}");
        let e = scan(b"<a>0123456789</a>", 5, &tight).unwrap_err();
        assert!(e.message().contains("XML文本"), "{e:?}");
        // A comment and a CDATA section are runs of text too, whatever they contain.
        let e = scan(b"<a><!-- <b><c> --></a>", 2, &tight).unwrap_err();
        assert!(e.message().contains("XML文本"), "{e:?}");
        let e = scan(b"<a><![CDATA[<b></b>]]></a>", 2, &tight).unwrap_err();
        assert!(e.message().contains("XML文本"), "{e:?}");
        // An instruction ends at `?>` only, like quick-xml's.
        let e = scan(b"<?pi > > > > > > > > ?><a/>", 2, &tight).unwrap_err();
        assert!(e.message().contains("XML标记"), "{e:?}");
        assert!(scan(b"<a>01234567</a><b/>", 3, &tight).is_ok());
    }

    #[test]
    fn comment_ends_need_their_own_dashes() {
        // `<!-->` does not end the comment; `-->` later does.
        assert_eq!(
            scan(b"<!-->x<y>--><z/>", 1, &Limits::STANDARD).unwrap(),
            vec!["z"]
        );
    }

    #[test]
    fn doctype_nul_and_truncation_are_refused() {
        let e = scan(
            b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>",
            7,
            &Limits::STANDARD,
        )
        .unwrap_err();
        assert!(e.message().contains("DOCTYPE"), "{e:?}");
        let e = scan(b"<\0s\0s\0t\0>", 7, &Limits::STANDARD).unwrap_err();
        assert!(e.message().contains("空字符"), "{e:?}");
        let e = scan(b"<a b=\"", 7, &Limits::STANDARD).unwrap_err();
        assert!(e.message().contains("不完整"), "{e:?}");
    }

    #[test]
    fn attributes_are_read_raw() {
        let attrs = attributes(br#"<sheet name="A&amp;B" r:id="rId1"/>"#).unwrap();
        assert_eq!(
            attrs,
            vec![
                ("name".to_owned(), "A&amp;B".to_owned()),
                ("r:id".to_owned(), "rId1".to_owned())
            ]
        );
    }
}
