//! The `Content-Type` an object gets, decided by its name alone, and whether a
//! browser may show that type inline.
//!
//! Objects are served from the bucket's origin, so a type that makes a browser run
//! script there (`text/html`, `image/svg+xml`, XML, JavaScript...) must never be
//! stored or forced. A browser's `File.type` and an object's stored type are both
//! whatever someone chose, so neither is trusted: uploads, renames and moves store
//! the type derived here, and presigned URLs force it again
//! ([`super::presign_get`]), which also covers objects stored before.

/// The type of every name not on the list: browsers download it, never render it.
pub const FALLBACK: &str = "application/octet-stream";

/// Extension (lower case) -> the type stored for it. Only passive formats: no
/// markup, no script, no XML (an XML document can carry XHTML or SVG).
const TYPES: &[(&str, &str)] = &[
    ("pdf", "application/pdf"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("avif", "image/avif"),
    ("bmp", "image/bmp"),
    ("txt", "text/plain; charset=utf-8"),
    ("log", "text/plain; charset=utf-8"),
    ("md", "text/markdown; charset=utf-8"),
    ("csv", "text/csv; charset=utf-8"),
    ("tsv", "text/tab-separated-values; charset=utf-8"),
    ("json", "application/json"),
    ("mp3", "audio/mpeg"),
    ("m4a", "audio/mp4"),
    ("ogg", "audio/ogg"),
    ("wav", "audio/wav"),
    ("flac", "audio/flac"),
    ("mp4", "video/mp4"),
    ("webm", "video/webm"),
    ("mov", "video/quicktime"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("tar", "application/x-tar"),
    ("7z", "application/x-7z-compressed"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("odt", "application/vnd.oasis.opendocument.text"),
    ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
    ("odp", "application/vnd.oasis.opendocument.presentation"),
];

/// Types a browser may show inline from the bucket's origin: images that cannot
/// hold script, PDF (rendered by the browser's own viewer), plain text, and audio
/// and video. Everything else is served as an attachment.
const INLINE: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/bmp",
    "text/plain; charset=utf-8",
    "audio/mpeg",
    "audio/mp4",
    "audio/ogg",
    "audio/wav",
    "audio/flac",
    "video/mp4",
    "video/webm",
    "video/quicktime",
];

/// The `Content-Type` for an object named `name` (a file name or a whole key: only
/// the part after the last `/` and its last `.` count, compared without regard to
/// case): the type on Cubby's extension allow-list, else [`FALLBACK`]. A name
/// without an extension, or ending in `.` or `/`, gets [`FALLBACK`].
pub fn content_type_for(name: &str) -> &'static str {
    let last = name.rsplit('/').next().unwrap_or(name);
    let Some((_, ext)) = last.rsplit_once('.') else {
        return FALLBACK;
    };
    TYPES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(ext))
        .map_or(FALLBACK, |(_, content_type)| content_type)
}

/// Whether a browser may show `content_type` inline from the bucket's origin (one
/// of the types [`content_type_for`] gives, exactly as it gives it).
pub fn is_inline_safe(content_type: &str) -> bool {
    INLINE.contains(&content_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_extension_allow_list() {
        assert_eq!(content_type_for("report.pdf"), "application/pdf");
        assert_eq!(content_type_for("REPORT.PDF"), "application/pdf");
        assert_eq!(content_type_for("private/id/photos/cat.JPeG"), "image/jpeg");
        assert_eq!(content_type_for("notes.txt"), "text/plain; charset=utf-8");
        assert_eq!(content_type_for("archive.tar.gz"), "application/gzip");
        for name in [
            "page.html",
            "page.htm",
            "page.xhtml",
            "drawing.svg",
            "feed.xml",
            "script.js",
            "style.css",
            "app.wasm",
            "Makefile",
            "trailing.",
            ".pdf/",
            "folder/",
            "",
            "x.pdf.html",
        ] {
            assert_eq!(content_type_for(name), FALLBACK, "{name:?}");
        }
        // Only the last segment counts.
        assert_eq!(content_type_for("a.pdf/b"), FALLBACK);
        assert_eq!(content_type_for(".pdf"), "application/pdf");
    }

    #[test]
    fn only_passive_types_are_inline() {
        assert!(is_inline_safe("application/pdf"));
        assert!(is_inline_safe(content_type_for("cat.png")));
        assert!(is_inline_safe(content_type_for("notes.txt")));
        for active in [
            "text/html",
            "text/html; charset=utf-8",
            "image/svg+xml",
            "application/xhtml+xml",
            "application/xml",
            "text/xml",
            "text/javascript",
            "application/octet-stream",
            "APPLICATION/PDF",
        ] {
            assert!(!is_inline_safe(active), "{active}");
        }
        // Every inline type is one the allow-list gives, and no allow-listed type is
        // markup or XML.
        for inline in INLINE {
            assert!(TYPES.iter().any(|(_, t)| t == inline), "{inline}");
        }
        for (_, t) in TYPES {
            let essence = t.split(';').next().unwrap_or(t);
            let subtype = essence.split('/').nth(1).unwrap_or(essence);
            assert!(
                !subtype.contains("html")
                    && !subtype.contains("svg")
                    && subtype != "xml"
                    && !subtype.ends_with("+xml"),
                "{t}"
            );
        }
    }
}
