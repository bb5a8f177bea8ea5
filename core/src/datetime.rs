//! The two timestamp formats AWS sends, read into seconds since the Unix epoch (UTC):
//! ISO-8601 (`2014-11-21T19:40:05.000Z`: STS `Expiration`, S3 `LastModified`,
//! `ServerTime`) and the HTTP-date of RFC 7231 (`Fri, 24 May 2013 00:00:00 GMT`:
//! the `Date` and `Last-Modified` headers). Small and pure, so no date crate ships
//! in the wasm.

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Epoch seconds for a UTC date and time, or `None` when a field is out of range or
/// the instant is before 1970. A leap second (`:60`) is read as the next second.
fn epoch_seconds(year: i64, month: u32, day: u32, h: u32, m: u32, s: u32) -> Option<u64> {
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || h > 23
        || m > 59
        || s > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(h * 3600 + m * 60 + s);
    u64::try_from(secs).ok()
}

fn digits(text: &str, len: usize) -> Option<u32> {
    if text.len() != len || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, as AWS writes it; fractions are
/// dropped. Returns epoch seconds.
pub fn parse_iso8601(text: &str) -> Option<u64> {
    let text = text.trim();
    let (date, time) = text.split_once(['T', 't'])?;
    let mut date_parts = date.split('-');
    let year = digits(date_parts.next()?, 4)?;
    let month = digits(date_parts.next()?, 2)?;
    let day = digits(date_parts.next()?, 2)?;
    if date_parts.next().is_some() {
        return None;
    }
    // Split the zone designator off the time.
    let (clock, offset_seconds): (&str, i64) = if let Some(c) = time.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else {
        let sign_at = time.rfind(['+', '-'])?;
        let (c, zone) = time.split_at(sign_at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (zh, zm) = zone[1..].split_once(':')?;
        let zone_secs = i64::from(digits(zh, 2)?) * 3600 + i64::from(digits(zm, 2)?) * 60;
        (c, sign * zone_secs)
    };
    let (whole, fraction) = match clock.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (clock, None),
    };
    if let Some(f) = fraction {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    let mut clock_parts = whole.split(':');
    let h = digits(clock_parts.next()?, 2)?;
    let m = digits(clock_parts.next()?, 2)?;
    let s = digits(clock_parts.next()?, 2)?;
    if clock_parts.next().is_some() {
        return None;
    }
    let local = epoch_seconds(i64::from(year), month, day, h, m, s)?;
    u64::try_from(i64::try_from(local).ok()? - offset_seconds).ok()
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// RFC 7231 IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`. (The obsolete RFC 850 and
/// asctime forms are not accepted: AWS and browsers send IMF-fixdate.) The weekday
/// is checked for form, not against the date. Returns epoch seconds.
pub fn parse_http_date(text: &str) -> Option<u64> {
    let mut parts = text.trim().split(' ');
    let weekday = parts.next()?.strip_suffix(',')?;
    if !WEEKDAYS.contains(&weekday) {
        return None;
    }
    let day = digits(parts.next()?, 2)?;
    let month_name = parts.next()?;
    let month = MONTHS.iter().position(|m| *m == month_name)? as u32 + 1;
    let year = digits(parts.next()?, 4)?;
    let mut clock = parts.next()?.split(':');
    let h = digits(clock.next()?, 2)?;
    let m = digits(clock.next()?, 2)?;
    let s = digits(clock.next()?, 2)?;
    if clock.next().is_some() || parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    epoch_seconds(i64::from(year), month, day, h, m, s)
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
