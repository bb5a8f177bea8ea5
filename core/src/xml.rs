//! A small XML reader for S3 and STS responses, and `escape` for request bodies.
//!
//! Written here instead of pulling an XML crate in, to keep the wasm small. It covers
//! what those services send: elements, attributes (skipped), text with the five
//! predefined entities and numeric character references, CDATA, comments, the prolog
//! and processing instructions (skipped). Namespace prefixes are dropped from names.
//! It never panics: anything it does not understand is an [`XmlError`].

use std::fmt;

/// Deeper documents are refused: no service response nests this far, and the limit
/// keeps dropping the tree (which recurses) safe on hostile input.
const MAX_DEPTH: usize = 64;

/// One element: its local name, its text (the concatenated character data directly
/// inside it, not trimmed) and its child elements in document order.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Element {
    name: String,
    text: String,
    children: Vec<Element>,
}

impl Element {
    /// Local name (any `prefix:` removed).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Character data directly inside this element, entities resolved, untrimmed.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn children(&self) -> &[Element] {
        &self.children
    }

    /// The first child element called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child element called `name`, in order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Text of the first child called `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(Element::text)
    }

    /// Follows a path of child names, e.g. `["Error", "Code"]`.
    pub fn find(&self, path: &[&str]) -> Option<&Element> {
        path.iter().try_fold(self, |el, name| el.child(name))
    }
}

/// Why a document could not be read. Carries the byte offset of the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XmlError {
    kind: XmlErrorKind,
    offset: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum XmlErrorKind {
    NoRootElement,
    UnexpectedEnd,
    Malformed,
    MismatchedTag,
    BadReference,
    TooDeep,
    TrailingContent,
}

impl XmlError {
    fn new(kind: XmlErrorKind, offset: usize) -> Self {
        XmlError { kind, offset }
    }

    /// Byte offset in the input where reading failed.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            XmlErrorKind::NoRootElement => "no root element",
            XmlErrorKind::UnexpectedEnd => "unexpected end of document",
            XmlErrorKind::Malformed => "malformed markup",
            XmlErrorKind::MismatchedTag => "closing tag does not match",
            XmlErrorKind::BadReference => "bad entity or character reference",
            XmlErrorKind::TooDeep => "elements nested too deeply",
            XmlErrorKind::TrailingContent => "content after the root element",
        };
        write!(f, "invalid XML at byte {}: {what}", self.offset)
    }
}

impl std::error::Error for XmlError {}

/// Parses a document and returns its root element.
pub fn parse(input: &str) -> Result<Element, XmlError> {
    Reader { src: input, pos: 0 }.document()
}

/// Parses bytes that should be UTF-8 (a response body).
pub fn parse_bytes(input: &[u8]) -> Result<Element, XmlError> {
    let text = std::str::from_utf8(input)
        .map_err(|e| XmlError::new(XmlErrorKind::Malformed, e.valid_up_to()))?;
    parse(text)
}

/// Escapes text for element content or a double-quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Carriage returns and tabs would be normalised away by the reader.
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            c => out.push(c),
        }
    }
    out
}

struct Reader<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn err(&self, kind: XmlErrorKind) -> XmlError {
        XmlError::new(kind, self.pos)
    }

    fn skip_whitespace(&mut self) {
        let rest = self.rest();
        let trimmed = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
        self.pos += rest.len() - trimmed.len();
    }

    /// Moves past the next `end` and returns what came before it.
    fn take_until(&mut self, end: &str) -> Result<&'a str, XmlError> {
        let rest = self.rest();
        let at = rest
            .find(end)
            .ok_or_else(|| XmlError::new(XmlErrorKind::UnexpectedEnd, self.src.len()))?;
        self.pos += at + end.len();
        Ok(&rest[..at])
    }

    /// Skips comments, processing instructions, the XML declaration and a DOCTYPE.
    /// Returns true when something was skipped.
    fn skip_misc(&mut self) -> Result<bool, XmlError> {
        let rest = self.rest();
        if rest.starts_with("<!--") {
            self.pos += 4;
            self.take_until("-->")?;
        } else if rest.starts_with("<?") {
            self.take_until("?>")?;
        } else if rest.starts_with("<!DOCTYPE") {
            // Internal subsets ([...]) are not supported; services never send them.
            self.take_until(">")?;
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    fn document(mut self) -> Result<Element, XmlError> {
        // A byte-order mark and leading whitespace (S3 keep-alives) are allowed.
        if self.rest().starts_with('\u{feff}') {
            self.pos += '\u{feff}'.len_utf8();
        }
        loop {
            self.skip_whitespace();
            if !self.skip_misc()? {
                break;
            }
        }
        if !self.rest().starts_with('<') {
            return Err(self.err(XmlErrorKind::NoRootElement));
        }
        let root = self.element_tree()?;
        loop {
            self.skip_whitespace();
            if !self.skip_misc()? {
                break;
            }
        }
        if !self.rest().is_empty() {
            return Err(self.err(XmlErrorKind::TrailingContent));
        }
        Ok(root)
    }

    /// Reads one element and everything inside it, without recursion.
    fn element_tree(&mut self) -> Result<Element, XmlError> {
        let mut stack: Vec<(Element, &'a str)> = Vec::new();
        let (first, raw_name, self_closing) = self.start_tag()?;
        if self_closing {
            return Ok(first);
        }
        stack.push((first, raw_name));
        loop {
            let rest = self.rest();
            if rest.is_empty() {
                return Err(self.err(XmlErrorKind::UnexpectedEnd));
            }
            if rest.starts_with("</") {
                self.pos += 2;
                let name = self.take_until(">")?.trim_end();
                let (done, open_name) = stack
                    .pop()
                    .ok_or_else(|| self.err(XmlErrorKind::MismatchedTag))?;
                if name != open_name {
                    return Err(self.err(XmlErrorKind::MismatchedTag));
                }
                match stack.last_mut() {
                    Some((parent, _)) => parent.children.push(done),
                    None => return Ok(done),
                }
            } else if rest.starts_with("<![CDATA[") {
                self.pos += 9;
                let data = self.take_until("]]>")?;
                if let Some((top, _)) = stack.last_mut() {
                    top.text.push_str(data);
                }
            } else if self.skip_misc()? {
                // comment or processing instruction inside content
            } else if rest.starts_with('<') {
                if stack.len() >= MAX_DEPTH {
                    return Err(self.err(XmlErrorKind::TooDeep));
                }
                let (child, raw_name, self_closing) = self.start_tag()?;
                if self_closing {
                    if let Some((top, _)) = stack.last_mut() {
                        top.children.push(child);
                    }
                } else {
                    stack.push((child, raw_name));
                }
            } else {
                let end = rest.find('<').unwrap_or(rest.len());
                let start = self.pos;
                let text = decode_text(&rest[..end], start)?;
                self.pos += end;
                if let Some((top, _)) = stack.last_mut() {
                    top.text.push_str(&text);
                }
            }
        }
    }

    /// Reads `<name attr="v" ...>` or `<name/>`; returns the element, its raw name
    /// (to match the end tag) and whether it closed itself.
    fn start_tag(&mut self) -> Result<(Element, &'a str, bool), XmlError> {
        self.pos += 1; // '<'
        let rest = self.rest();
        let name_len = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
            .ok_or_else(|| XmlError::new(XmlErrorKind::UnexpectedEnd, self.src.len()))?;
        let raw_name = &rest[..name_len];
        if raw_name.is_empty() || raw_name.contains(['<', '&', '"', '\'', '=']) {
            return Err(self.err(XmlErrorKind::Malformed));
        }
        self.pos += name_len;
        // Attributes are skipped, but quoted values may hide '>' so walk them.
        let mut quote: Option<char> = None;
        let rest = self.rest();
        for (i, c) in rest.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '<') => return Err(XmlError::new(XmlErrorKind::Malformed, self.pos + i)),
                (None, '>') => {
                    let self_closing = rest[..i].ends_with('/');
                    self.pos += i + 1;
                    let local = raw_name.rsplit(':').next().unwrap_or(raw_name);
                    let element = Element {
                        name: local.to_string(),
                        ..Element::default()
                    };
                    return Ok((element, raw_name, self_closing));
                }
                (None, _) => {}
            }
        }
        Err(XmlError::new(XmlErrorKind::UnexpectedEnd, self.src.len()))
    }
}

/// Resolves entity and character references in character data; `\r\n` becomes `\n`.
fn decode_text(raw: &str, offset: usize) -> Result<String, XmlError> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find(['&', '\r']) {
        out.push_str(&rest[..amp]);
        let at = offset + (raw.len() - rest.len()) + amp;
        if rest[amp..].starts_with('\r') {
            out.push('\n');
            rest = &rest[amp + 1..];
            rest = rest.strip_prefix('\n').unwrap_or(rest);
            continue;
        }
        let after = &rest[amp + 1..];
        let semi = after
            .find(';')
            .filter(|&i| i <= 10)
            .ok_or(XmlError::new(XmlErrorKind::BadReference, at))?;
        let reference = &after[..semi];
        let c = match reference {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = reference.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = reference.strip_prefix('#') {
                    dec.parse::<u32>().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32)
                    .filter(|&c| c != '\0')
                    .ok_or(XmlError::new(XmlErrorKind::BadReference, at))?
            }
        };
        out.push(c);
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_elements_text_and_entities() {
        let doc = "\n  <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c -->\
            <s3:Root xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\" a='x>y'>\
            <Key>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#65;&#x42;&#x1F600;</Key>\
            <Empty/><Empty></Empty><Data><![CDATA[<raw>&amp;]]></Data>\
            <Nested><Inner> spaced </Inner></Nested></s3:Root>\n";
        let root = parse(doc).unwrap();
        assert_eq!(root.name(), "Root");
        assert_eq!(
            root.child_text("Key").unwrap(),
            "a & b <c> \"d\" 'e' AB\u{1F600}"
        );
        assert_eq!(root.children_named("Empty").count(), 2);
        assert_eq!(root.child_text("Empty"), Some(""));
        assert_eq!(root.child_text("Data"), Some("<raw>&amp;"));
        assert_eq!(
            root.find(&["Nested", "Inner"]).map(Element::text),
            Some(" spaced ")
        );
        assert!(root.child("Missing").is_none());
    }

    #[test]
    fn rejects_broken_documents() {
        for bad in [
            "",
            "   ",
            "text",
            "<a>",
            "<a></b>",
            "<a><b></a></b>",
            "<a>&bogus;</a>",
            "<a>&#0;</a>",
            "<a>&#xD800;</a>",
            "<a>& </a>",
            "<a></a><b/>",
            "<a x=\"1></a>",
            "<>",
            "<a><!-- </a>",
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(&deep).unwrap_err().kind, XmlErrorKind::TooDeep);
    }

    #[test]
    fn escape_round_trips_through_the_reader() {
        let text = "a&b<c>\"d\" 'e'\r\n\tz é";
        let doc = format!("<k>{}</k>", escape(text));
        assert_eq!(escape("<&>\"'"), "&lt;&amp;&gt;&quot;&apos;".to_string());
        assert_eq!(parse(&doc).unwrap().text(), text);
    }
}
