//! Messages for people: plain words first (what went wrong, what to do), then,
//! on a line of its own, the details a support request needs (AWS's error code,
//! the HTTP status, the request id). Error codes never lead the message. The UI
//! shows the details line smaller, as a separate element (`ui::message`).

/// What separates a message's plain words from its details line.
const DETAILS: char = '\n';

/// `plain` with `details` on a line of its own, when there are some. Line breaks
/// inside `details` become spaces, so the details stay one line.
pub fn with_details(plain: String, details: Option<String>) -> String {
    match details {
        Some(details) if !details.trim().is_empty() => {
            let details = details.replace(['\r', '\n'], " ");
            format!("{plain}{DETAILS}{}", details.trim())
        }
        _ => plain,
    }
}

/// A message's plain words, and its details line if it has one.
pub fn split(message: &str) -> (&str, Option<&str>) {
    match message.split_once(DETAILS) {
        Some((plain, details)) => (plain, Some(details)),
        None => (message, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_go_on_their_own_line_and_split_back() {
        let message = with_details(
            "Could not list this folder.".into(),
            Some("S3 error MalformedXML (HTTP 400):\nbad".into()),
        );
        assert_eq!(
            split(&message),
            (
                "Could not list this folder.",
                Some("S3 error MalformedXML (HTTP 400): bad")
            )
        );
        assert_eq!(with_details("Done.".into(), None), "Done.");
        assert_eq!(with_details("Done.".into(), Some(" ".into())), "Done.");
        assert_eq!(split("Done."), ("Done.", None));
    }
}
