//! The two timestamp formats AWS sends, read with the `time` crate into seconds
//! since the Unix epoch (UTC): ISO-8601 as RFC 3339 profiles it
//! (`2014-11-21T19:40:05.000Z`: STS `Expiration`, S3 `LastModified`, `ServerTime`)
//! and the HTTP-date of RFC 9110 section 5.6.7 (`Fri, 24 May 2013 00:00:00 GMT`:
//! the `Date` and `Last-Modified` headers).

use time::format_description::well_known::Rfc3339;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// RFC 9110's IMF-fixdate. (The obsolete RFC 850 and asctime forms are not
/// accepted: AWS and browsers send IMF-fixdate.)
const IMF_FIXDATE: &[BorrowedFormatItem<'_>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

/// Epoch seconds of an instant, `None` before 1970.
fn epoch_seconds(instant: OffsetDateTime) -> Option<u64> {
    u64::try_from(instant.unix_timestamp()).ok()
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, as AWS writes it; fractions are
/// dropped. Returns epoch seconds; `None` for anything else, or before 1970.
/// RFC 3339 §5.6 (with `T` required).
pub fn parse_iso8601(text: &str) -> Option<u64> {
    let text = text.trim();
    // RFC 3339 lets a space stand for the `T`, and `time` takes it; ISO 8601 and AWS
    // do not.
    if !matches!(text.as_bytes().get(10), Some(b'T' | b't')) {
        return None;
    }
    epoch_seconds(OffsetDateTime::parse(text, &Rfc3339).ok()?)
}

/// IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`. The weekday is checked for form,
/// not against the date. Returns epoch seconds; `None` for anything else.
/// RFC 9110 §5.6.7.
pub fn parse_http_date(text: &str) -> Option<u64> {
    let instant = PrimitiveDateTime::parse(text.trim(), IMF_FIXDATE).ok()?;
    epoch_seconds(instant.assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_known_instants() {
        assert_eq!(parse_iso8601("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_iso8601("2013-05-24T00:00:00Z"), Some(1_369_353_600));
        assert_eq!(
            parse_iso8601("2014-11-21T19:40:05.000Z"),
            Some(1_416_598_805)
        );
        assert_eq!(parse_iso8601("2000-02-29T12:00:00Z"), Some(951_825_600));
        assert_eq!(
            parse_iso8601("2015-08-30T14:36:00+02:00"),
            parse_iso8601("2015-08-30T12:36:00Z")
        );
        assert_eq!(
            parse_iso8601("2015-08-30T10:06:00-02:30"),
            parse_iso8601("2015-08-30T12:36:00Z")
        );
        for bad in [
            "",
            "2013-05-24",
            "2013-05-24T00:00Z",
            "2013-13-01T00:00:00Z",
            "2013-02-29T00:00:00Z",
            "2013-05-24T24:00:00Z",
            "2013-05-24T00:00:00",
            "2013-05-24 00:00:00Z",
            "2013-05-24T00:00:00.Z",
            "1969-12-31T23:59:59Z",
            "+013-05-24T00:00:00Z",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }

    #[test]
    fn http_date_known_instants() {
        assert_eq!(
            parse_http_date("Fri, 24 May 2013 00:00:00 GMT"),
            Some(1_369_353_600)
        );
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        for bad in [
            "",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }
}
