//! S3 and STS XML responses, read with `quick-xml`'s event reader into a small
//! owned tree of elements (local names, text, children) that the parsers walk; and
//! `escape` for the request bodies Cubby writes (DeleteObjects,
//! CompleteMultipartUpload).
//!
//! `quick-xml` tokenises and checks each tag (names, matching end tags, references);
//! the tree building here adds what a document needs as a whole: one root, no text
//! outside it, nothing left open. Predefined entities and character references are
//! resolved, line ends normalised (XML 1.0), CDATA kept as text, comments, the
//! declaration, processing instructions and a DOCTYPE skipped. Anything else is an
//! [`XmlError`]; nothing here panics.
//!
//! Chosen over `roxmltree` (a full DOM with well-formedness checks) by size: in the
//! shipped wasm quick-xml cost 5.3 KB brotli, roxmltree 8.7 KB.

use std::fmt;

/// Deeper documents are refused: no service response nests this far, and the limit
/// keeps building and dropping the tree (which recurse) safe on hostile input.
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

    /// Child elements, in document order.
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

/// Why a document could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XmlError {
    kind: XmlErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum XmlErrorKind {
    /// Not UTF-8, up to this byte.
    NotUtf8(usize),
    /// Not well-formed: `quick-xml`'s message, or what the tree lacks.
    Malformed(String),
    TooDeep,
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            XmlErrorKind::NotUtf8(at) => write!(f, "invalid XML: not UTF-8 at byte {at}"),
            XmlErrorKind::Malformed(why) => write!(f, "invalid XML: {why}"),
            XmlErrorKind::TooDeep => f.write_str("invalid XML: elements nested too deeply"),
        }
    }
}

impl std::error::Error for XmlError {}

/// Parses a document and returns its root element.
///
/// # Errors
/// An [`XmlError`] when the text is not a well-formed document, or nests deeper
/// than any service response.
pub fn parse(input: &str) -> Result<Element, XmlError> {
    use quick_xml::events::Event;
    let input = input.trim_start_matches('\u{feff}').trim_start();
    let malformed = |why: &str| XmlError {
        kind: XmlErrorKind::Malformed(why.to_string()),
    };
    let mut reader = quick_xml::Reader::from_str(input);
    let mut open: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut close = |el: Element, open: &mut Vec<Element>| match open.last_mut() {
        Some(parent) => {
            parent.children.push(el);
            Ok(())
        }
        None if root.is_none() => {
            root = Some(el);
            Ok(())
        }
        None => Err(malformed("content after the root element")),
    };
    loop {
        let event = reader.read_event().map_err(|e| malformed(&e.to_string()))?;
        let empty = matches!(event, Event::Empty(_));
        let text = match event {
            Event::Start(tag) | Event::Empty(tag) => {
                if open.len() >= MAX_DEPTH {
                    return Err(XmlError {
                        kind: XmlErrorKind::TooDeep,
                    });
                }
                let name = std::str::from_utf8(tag.local_name().into_inner())
                    .map_err(|_| malformed("bad name"))?;
                if name.is_empty() {
                    return Err(malformed("empty name"));
                }
                let el = Element {
                    name: name.to_string(),
                    ..Element::default()
                };
                if empty {
                    close(el, &mut open)?;
                } else {
                    open.push(el);
                }
                continue;
            }
            Event::End(_) => {
                let el = open.pop().ok_or_else(|| malformed("unmatched end tag"))?;
                close(el, &mut open)?;
                continue;
            }
            Event::Text(text) => text
                .xml10_content()
                .map_err(|e| malformed(&e.to_string()))?,
            Event::CData(data) => data
                .xml10_content()
                .map_err(|e| malformed(&e.to_string()))?,
            Event::GeneralRef(reference) => {
                match reference
                    .resolve_char_ref()
                    .map_err(|e| malformed(&e.to_string()))?
                {
                    Some(c) => c.to_string().into(),
                    None => {
                        let name = reference.decode().map_err(|e| malformed(&e.to_string()))?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| malformed("unknown entity"))?
                            .into()
                    }
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => continue,
        };
        match open.last_mut() {
            Some(el) => el.text.push_str(&text),
            None if text.trim().is_empty() => {}
            None => return Err(malformed("text outside the root element")),
        }
    }
    if !open.is_empty() {
        return Err(malformed("unexpected end of document"));
    }
    root.ok_or_else(|| malformed("no root element"))
}

/// Parses bytes that should be UTF-8 (a response body).
///
/// # Errors
/// As [`parse`], and when the bytes are not UTF-8.
pub fn parse_bytes(input: &[u8]) -> Result<Element, XmlError> {
    let text = std::str::from_utf8(input).map_err(|e| XmlError {
        kind: XmlErrorKind::NotUtf8(e.valid_up_to()),
    })?;
    parse(text)
}

/// Whether XML 1.0 can carry `text` at all (escaped or not): every character is a
/// `Char` of the XML 1.0 specification (§2.2): tab, LF, CR, U+0020–U+D7FF,
/// U+E000–U+FFFD, U+10000 and up. The other control characters (U+0000–U+001F) and
/// U+FFFE/U+FFFF cannot appear even as character references, so a request body
/// holding them is refused (S3: `MalformedXML`); such text must travel elsewhere
/// (for a key: in the URL).
pub fn can_carry(text: &str) -> bool {
    text.chars().all(|c| {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
            || c >= '\u{10000}'
    })
}

/// Escapes text for element content or a double-quoted attribute. Text that XML
/// cannot carry at all ([`can_carry`]) stays unusable: the caller checks first.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Carriage returns and tabs would be normalised away by a reader.
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            c => out.push(c),
        }
    }
    out
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
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(&deep).unwrap_err().kind, XmlErrorKind::TooDeep);
        let deepest = "<a>".repeat(MAX_DEPTH) + &"</a>".repeat(MAX_DEPTH);
        assert!(parse(&deepest).is_ok());
    }

    #[test]
    fn only_xml_chars_can_be_carried() {
        assert!(can_carry(
            "tab\there\r\nok é \u{D7FF} \u{E000} \u{FFFD} \u{10FFFF}"
        ));
        for bad in [
            "ctl\u{1}.txt",
            "\u{0}",
            "\u{1F}",
            "a\u{B}b",
            "\u{FFFE}",
            "\u{FFFF}",
        ] {
            assert!(!can_carry(bad), "{bad:?}");
        }
        // Answers that echo such a key (CreateMultipartUpload's `Key`) are still read.
        assert_eq!(
            parse("<Key>ctl\u{1}.txt</Key>").unwrap().text(),
            "ctl\u{1}.txt"
        );
    }

    #[test]
    fn escape_round_trips_through_the_reader() {
        let text = "a&b<c>\"d\" 'e'\r\n\tz é";
        let doc = format!("<k>{}</k>", escape(text));
        assert_eq!(escape("<&>\"'"), "&lt;&amp;&gt;&quot;&apos;".to_string());
        assert_eq!(parse(&doc).unwrap().text(), text);
    }
}
