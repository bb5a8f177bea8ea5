//! Words the page shows, made one way everywhere: names exactly as stored
//! ([`shown_name`]), counts with their noun ([`count`]) and lengths of time
//! ([`duration`]).

/// `name` (a file or folder name, a key, a path) as the page shows it: every
/// character the bucket holds is visible, so two names that differ never look
/// alike. Runs of spaces and spaces at either end stay as they are (the page
/// keeps them with `white-space: pre-wrap` or `pre`); control characters become
/// their Unicode control pictures (U+0001 shows as `␁`, U+007F as `␡`); C1
/// controls and invisible format characters (zero-width, bidi controls, line
/// separators, fillers, tags) show as `\u{200b}`-style escapes. Zero-width
/// (non-)joiners are kept where they join two non-ASCII letters or symbols (as
/// Persian words and emoji sequences need) and marked elsewhere.
///
/// The result is text for a text node or attribute, never markup.
pub fn shown_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len());
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\u{0}'..='\u{1f}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or(c)),
            '\u{7f}' => out.push('\u{2421}'),
            '\u{200c}' | '\u{200d}' => {
                let joins = |n: Option<&char>| n.is_some_and(|&n| joinable(n));
                if i > 0 && joins(chars.get(i - 1)) && joins(chars.get(i + 1)) {
                    out.push(c);
                } else {
                    out.extend(c.escape_unicode());
                }
            }
            c if is_invisible(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out
}

/// Characters that take no visible space of their own or are not shown at all.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{80}'..='\u{9f}'          // C1 controls
        | '\u{ad}'                   // soft hyphen
        | '\u{34f}'                  // combining grapheme joiner
        | '\u{61c}'                  // Arabic letter mark (bidi)
        | '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}' // Hangul fillers
        | '\u{17b4}' | '\u{17b5}'    // Khmer inherent vowels
        | '\u{180e}'                 // Mongolian vowel separator
        | '\u{200b}'                 // zero width space
        | '\u{200e}' | '\u{200f}'    // left-to-right and right-to-left marks
        | '\u{2028}' | '\u{2029}'    // line and paragraph separators
        | '\u{202a}'..='\u{202e}'    // bidi embeddings and overrides
        | '\u{2060}'..='\u{206f}'    // word joiner, invisible operators, bidi isolates
        | '\u{feff}'                 // zero width no-break space (BOM)
        | '\u{fff9}'..='\u{fffb}'    // interlinear annotation
        | '\u{1d173}'..='\u{1d17a}'  // musical format characters
        | '\u{e0000}'..='\u{e007f}' // tags
    )
}

/// Whether a zero-width joiner next to `c` is doing its job (joining letters of
/// a script or parts of an emoji) rather than hiding in a Latin name.
fn joinable(c: char) -> bool {
    !c.is_ascii() && !c.is_whitespace() && !c.is_control() && !is_invisible(c)
}

/// `n` with its noun: `count(1, "item", "items")` is "1 item", `count(0, ..)`
/// "0 items", `count(301027, ..)` "301,027 items" (see [`number`]).
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", number(n), if n == 1 { one } else { many })
}

/// `n` in digits with a comma between each group of three, as the page's
/// English words write it: "1,024", "100,000"; below 1,000 as it is.
pub fn number(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A length of time in words, to the minute, at most two units: "15 minutes",
/// "1 hour", "11 hours 59 minutes", "7 days"; under a minute, seconds.
pub fn duration(seconds: u64) -> String {
    if seconds < 60 {
        return count(seconds, "second", "seconds");
    }
    let units = [
        (seconds / 86_400, "day", "days"),
        (seconds % 86_400 / 3600, "hour", "hours"),
        (seconds % 3600 / 60, "minute", "minutes"),
    ];
    let first = units.iter().position(|u| u.0 > 0).unwrap_or(2);
    units[first..]
        .iter()
        .take(2)
        .filter(|u| u.0 > 0)
        .map(|&(n, one, many)| count(n, one, many))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_every_space_and_plain_characters() {
        for name in [
            "two  spaces.txt",
            " leading.txt",
            "trailing.txt ",
            "naïve ünïcödé ✓.txt",
            "日本語　全角.txt",
            "a+b#1 100%.txt",
        ] {
            assert_eq!(shown_name(name), name);
        }
    }

    #[test]
    fn control_characters_show_as_pictures() {
        assert_eq!(shown_name("ctl\u{1}.txt"), "ctl␁.txt");
        assert_eq!(shown_name("a\tb\nc\rd\u{0}"), "a␉b␊c␍d␀");
        assert_eq!(shown_name("del\u{7f}"), "del␡");
        assert_eq!(shown_name("c1\u{85}x"), "c1\\u{85}x");
    }

    #[test]
    fn invisible_characters_are_marked() {
        assert_eq!(shown_name("zero\u{200b}width"), "zero\\u{200b}width");
        assert_eq!(shown_name("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(shown_name("\u{feff}bom"), "\\u{feff}bom");
        assert_eq!(shown_name("soft\u{ad}hyphen"), "soft\\u{ad}hyphen");
        assert_eq!(
            shown_name("iso\u{2066}late\u{2069}"),
            "iso\\u{2066}late\\u{2069}"
        );
        assert_eq!(shown_name("tag\u{e0041}"), "tag\\u{e0041}");
        assert_eq!(shown_name("fill\u{3164}er"), "fill\\u{3164}er");
    }

    #[test]
    fn joiners_stay_only_where_they_join() {
        let persian = "می\u{200c}خواهم.txt";
        assert_eq!(shown_name(persian), persian);
        let family = "👨\u{200d}👩\u{200d}👧.png";
        assert_eq!(shown_name(family), family);
        assert_eq!(shown_name("pay\u{200d}pal.txt"), "pay\\u{200d}pal.txt");
        assert_eq!(shown_name("\u{200c}x"), "\\u{200c}x");
        assert_eq!(shown_name("é\u{200d}"), "é\\u{200d}");
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(0, "item", "items"), "0 items");
        assert_eq!(count(1, "item", "items"), "1 item");
        assert_eq!(count(2, "item", "items"), "2 items");
        assert_eq!(count(100_000, "item", "items"), "100,000 items");
        for (n, shown) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (301_027, "301,027"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(number(n), shown);
        }
    }

    #[test]
    fn durations_in_words() {
        assert_eq!(duration(1), "1 second");
        assert_eq!(duration(45), "45 seconds");
        assert_eq!(duration(900), "15 minutes");
        assert_eq!(duration(3540), "59 minutes");
        assert_eq!(duration(3600), "1 hour");
        assert_eq!(duration(3661), "1 hour 1 minute");
        assert_eq!(duration(43_140), "11 hours 59 minutes");
        assert_eq!(duration(43_200), "12 hours");
        assert_eq!(duration(604_800), "7 days");
        assert_eq!(duration(90_061), "1 day 1 hour");
    }
}
