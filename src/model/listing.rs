//! What the file browser shows: entries of one folder, sorted and filtered, the
//! breadcrumb trail, and the window of rows to render. Pure and host-tested.

use std::cmp::Ordering;
use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    Folder,
    File,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The name shown: the last path segment, without the folder's trailing `/`.
    pub name: String,
    /// The full S3 key (a folder's ends with `/`).
    pub key: String,
    pub kind: EntryKind,
    pub size: u64,
    /// Epoch seconds.
    pub last_modified: Option<u64>,
}

impl Entry {
    pub fn is_folder(&self) -> bool {
        self.kind == EntryKind::Folder
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Size,
    Modified,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub ascending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            key: SortKey::Name,
            ascending: true,
        }
    }
}

/// Folders first, then files; each group in the chosen order, ties by name
/// (ignoring case, then exactly), then by the order they came in. Keys are computed
/// once per entry, so sorting a 100,000-entry folder does not allocate per
/// comparison; one unstable sort of indices (the index settles every tie) keeps a
/// single sort instance in the wasm.
pub fn sort_entries(entries: &mut Vec<Entry>, sort: Sort) {
    let keys: Vec<(bool, Option<u64>, String)> = entries
        .iter()
        .map(|e| {
            let primary = match sort.key {
                SortKey::Name => None,
                SortKey::Size => Some(e.size),
                SortKey::Modified => e.last_modified,
            };
            (!e.is_folder(), primary, e.name.to_lowercase())
        })
        .collect();
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        let (ka, kb) = (&keys[a], &keys[b]);
        let within_group =
            ka.1.cmp(&kb.1)
                .then_with(|| ka.2.cmp(&kb.2))
                .then_with(|| entries[a].name.cmp(&entries[b].name))
                .then(a.cmp(&b));
        // Descending reverses everything but "folders first".
        ka.0.cmp(&kb.0).then(if sort.ascending {
            within_group
        } else {
            within_group.reverse()
        })
    });
    let mut taken: Vec<Option<Entry>> = std::mem::take(entries).into_iter().map(Some).collect();
    entries.extend(order.into_iter().filter_map(|i| taken[i].take()));
}

/// Indices of the entries whose name contains `query`, ignoring case.
pub fn filter_indices(entries: &[Entry], query: &str) -> Vec<usize> {
    let query = query.trim().to_lowercase();
    entries
        .iter()
        .enumerate()
        .filter(|(_, e)| query.is_empty() || e.name.to_lowercase().contains(&query))
        .map(|(i, _)| i)
        .collect()
}

/// The breadcrumb trail from the user's root to `prefix`: (label, prefix) pairs.
/// The root is labelled "My files".
pub fn breadcrumbs(root: &str, prefix: &str) -> Vec<(String, String)> {
    let mut trail = vec![("My files".to_string(), root.to_string())];
    let Some(rest) = prefix.strip_prefix(root) else {
        return trail;
    };
    let mut current = root.to_string();
    for segment in rest.split('/').filter(|s| !s.is_empty()) {
        current.push_str(segment);
        current.push('/');
        trail.push((segment.to_string(), current.clone()));
    }
    trail
}

/// The rows of a virtual list to render: those in view plus `overscan` on each side.
pub fn visible_rows(
    scroll_top: f64,
    viewport_height: f64,
    row_height: f64,
    total: usize,
    overscan: usize,
) -> Range<usize> {
    if total == 0 || row_height <= 0.0 {
        return 0..0;
    }
    let first = (scroll_top.max(0.0) / row_height).floor() as usize;
    let count = (viewport_height.max(0.0) / row_height).ceil() as usize + 1;
    let start = first.saturating_sub(overscan).min(total);
    let end = (first + count + overscan).min(total);
    start..end
}

/// Bytes for people: `999 B`, `1.5 KB`, `12 MB`, `3.4 GB` (powers of 1024, as file
/// managers show them).
///
/// Integer arithmetic only: float formatting would add kilobytes to the wasm.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut unit = 0;
    let mut scale: u64 = 1;
    while bytes / scale >= 1024 && unit < UNITS.len() - 1 {
        scale *= 1024;
        unit += 1;
    }
    let name = UNITS[unit];
    if unit == 0 {
        format!("{bytes} B")
    } else if bytes < 10 * scale {
        // Below 10 the product fits easily: bytes < 10 × 1024^4.
        let tenths = div_round_half_even(bytes * 10, scale);
        format!("{}.{} {name}", tenths / 10, tenths % 10)
    } else {
        format!("{} {name}", div_round_half_even(bytes, scale))
    }
}

/// `n / d` to the nearest integer, ties to even (as `{:.1}` rounds an exact float).
fn div_round_half_even(n: u64, d: u64) -> u64 {
    let (quotient, remainder) = (n / d, n % d);
    let round_up = match remainder.cmp(&(d - remainder)) {
        Ordering::Greater => true,
        Ordering::Equal => quotient % 2 == 1,
        Ordering::Less => false,
    };
    quotient + u64::from(round_up)
}

/// The folder `key` is in (ends with `/`; empty at the bucket's top): what a
/// rename keeps.
pub fn parent_prefix(key: &str) -> &str {
    key.trim_end_matches('/')
        .rfind('/')
        .map_or("", |slash| &key[..=slash])
}

/// Checks a file or folder name typed by the user (its length counts only in the
/// whole key, which every write checks).
pub fn validate_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("The name is empty.".into());
    }
    if name.contains('/') {
        return Err("A name cannot contain \"/\".".into());
    }
    if name == "." || name == ".." {
        return Err("\".\" and \"..\" are not allowed as names.".into());
    }
    if name.chars().any(char::is_control) {
        return Err("The name contains control characters.".into());
    }
    // No length rule here: what S3 limits is the whole key, folders included
    // (`cubby_core::s3::check_key_length`, checked before every write).
    Ok(())
}

/// Where "move to folder" puts `entry`: `destination` is a folder path below the
/// user's `root` as typed ("photos/2024", "/photos/", or empty for the root).
/// Each segment must be a valid name; a folder cannot move into itself.
pub fn move_target(root: &str, destination: &str, entry: &Entry) -> Result<String, String> {
    let mut key = root.to_string();
    for segment in destination.split('/').filter(|s| !s.trim().is_empty()) {
        validate_name(segment.trim())?;
        key.push_str(segment.trim());
        key.push('/');
    }
    key.push_str(&entry.name);
    if entry.is_folder() {
        key.push('/');
    }
    if key == entry.key {
        return Err("That is where it is already.".into());
    }
    if entry.is_folder() && key.starts_with(&entry.key) {
        return Err("A folder cannot be moved into itself.".into());
    }
    Ok(key)
}

/// A name like `report (2).pdf` that is not in `taken`, for "keep both".
pub fn keep_both_name(name: &str, taken: impl Fn(&str) -> bool) -> String {
    let (stem, ext) = match name.rfind('.') {
        Some(dot) if dot > 0 => (&name[..dot], &name[dot..]),
        _ => (name, ""),
    };
    (1..)
        .map(|n| format!("{stem} ({n}){ext}"))
        .find(|candidate| !taken(candidate))
        .expect("an unbounded range always yields a free name")
}

/// How a file can be previewed in the page. HTML and SVG are deliberately absent
/// as images: nothing from the bucket is ever rendered as markup in the app's
/// origin (text is shown as text, images only from a typed blob).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreviewKind {
    /// An image, with the MIME type to give its blob (from the extension, never
    /// from the object's own Content-Type, which anyone could set to text/html).
    Image(&'static str),
    Text,
    /// Opened in a new tab on the bucket's origin, never embedded here.
    Pdf,
}

/// The preview for a file name, by its extension; `None` when it has none.
pub fn preview_kind(name: &str) -> Option<PreviewKind> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        // The type the object is stored and served with (never SVG: not on its list).
        "png" | "jpg" | "jpeg" | "gif" | "webp" | "avif" | "bmp" => {
            PreviewKind::Image(cubby_core::s3::content_type_for(name))
        }
        "pdf" => PreviewKind::Pdf,
        "txt" | "md" | "csv" | "tsv" | "json" | "log" | "xml" | "yaml" | "yml" | "toml" | "ini"
        | "rs" | "py" | "js" | "ts" | "css" | "html" | "htm" | "svg" | "sh" | "c" | "h" | "go"
        | "java" => PreviewKind::Text,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, size: u64, modified: u64) -> Entry {
        Entry {
            name: name.into(),
            key: format!("p/{name}"),
            kind: EntryKind::File,
            size,
            last_modified: Some(modified),
        }
    }

    fn folder(name: &str) -> Entry {
        Entry {
            name: name.into(),
            key: format!("p/{name}/"),
            kind: EntryKind::Folder,
            size: 0,
            last_modified: None,
        }
    }

    fn names(entries: &[Entry]) -> Vec<&str> {
        entries.iter().map(|e| e.name.as_str()).collect()
    }

    /// The two-pass sort `sort_entries` replaced: by name, reversed per group when
    /// descending, then a stable sort by size or date.
    fn two_pass_sort(entries: &mut [Entry], sort: Sort) {
        let flip = |o: Ordering| if sort.ascending { o } else { o.reverse() };
        entries.sort_by_cached_key(|e| (!e.is_folder(), e.name.to_lowercase(), e.name.clone()));
        if !sort.ascending {
            let folders = entries.iter().take_while(|e| e.is_folder()).count();
            entries[..folders].reverse();
            entries[folders..].reverse();
        }
        if sort.key == SortKey::Name {
            return;
        }
        entries.sort_by(|a, b| {
            b.is_folder().cmp(&a.is_folder()).then_with(|| {
                flip(match sort.key {
                    SortKey::Size => a.size.cmp(&b.size),
                    _ => a.last_modified.cmp(&b.last_modified),
                })
            })
        });
    }

    #[test]
    fn one_sort_orders_like_the_two_pass_sort() {
        // Few distinct names, sizes and dates, so ties of every kind occur; the
        // key tells apart entries that compare equal on everything else.
        let mut seed: u32 = 7;
        let mut next = move |n: u32| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 16) % n
        };
        let entries: Vec<Entry> = (0..400)
            .map(|i| {
                let name = ["a", "A", "b", "B.txt", "b.txt", "é", "É"][next(7) as usize];
                let mut entry = if next(4) == 0 {
                    folder(name)
                } else {
                    file(name, u64::from(next(3)), 1_700_000_000 + u64::from(next(3)))
                };
                entry.key = format!("{}#{i}", entry.key);
                if next(5) == 0 {
                    entry.last_modified = None;
                }
                entry
            })
            .collect();
        for key in [SortKey::Name, SortKey::Size, SortKey::Modified] {
            for ascending in [true, false] {
                let sort = Sort { key, ascending };
                let mut expected = entries.clone();
                two_pass_sort(&mut expected, sort);
                let mut actual = entries.clone();
                sort_entries(&mut actual, sort);
                assert_eq!(actual, expected, "{sort:?}");
            }
        }
    }

    #[test]
    fn folders_come_first_in_every_order() {
        let mut entries = vec![
            file("b.txt", 5, 1_704_153_600),
            folder("zeta"),
            file("A.txt", 50, 1_704_067_200),
            folder("alpha"),
        ];
        sort_entries(&mut entries, Sort::default());
        assert_eq!(names(&entries), ["alpha", "zeta", "A.txt", "b.txt"]);
        sort_entries(
            &mut entries,
            Sort {
                key: SortKey::Size,
                ascending: false,
            },
        );
        assert_eq!(names(&entries), ["zeta", "alpha", "A.txt", "b.txt"]);
        sort_entries(
            &mut entries,
            Sort {
                key: SortKey::Modified,
                ascending: true,
            },
        );
        assert_eq!(names(&entries), ["alpha", "zeta", "A.txt", "b.txt"]);
        sort_entries(
            &mut entries,
            Sort {
                key: SortKey::Modified,
                ascending: false,
            },
        );
        assert_eq!(names(&entries), ["zeta", "alpha", "b.txt", "A.txt"]);
    }

    #[test]
    fn filter_ignores_case() {
        let entries = vec![file("Report.PDF", 1, 0), file("notes.txt", 1, 0)];
        assert_eq!(filter_indices(&entries, "pdf"), vec![0]);
        assert_eq!(filter_indices(&entries, "  "), vec![0, 1]);
        assert!(filter_indices(&entries, "zzz").is_empty());
    }

    #[test]
    fn breadcrumbs_walk_down_from_the_root() {
        let root = "private/us-east-1:abc/";
        assert_eq!(
            breadcrumbs(root, "private/us-east-1:abc/photos/2024/"),
            vec![
                ("My files".to_string(), root.to_string()),
                ("photos".to_string(), format!("{root}photos/")),
                ("2024".to_string(), format!("{root}photos/2024/")),
            ]
        );
        assert_eq!(breadcrumbs(root, root).len(), 1);
    }

    #[test]
    fn visible_rows_stay_bounded_for_huge_folders() {
        assert_eq!(visible_rows(0.0, 400.0, 40.0, 100_000, 5), 0..16);
        let r = visible_rows(40_000.0, 400.0, 40.0, 100_000, 5);
        assert_eq!(r, 995..1016);
        assert_eq!(
            visible_rows(3_999_960.0, 400.0, 40.0, 100_000, 5),
            99_994..100_000
        );
        assert_eq!(visible_rows(0.0, 400.0, 40.0, 0, 5), 0..0);
    }

    #[test]
    fn previews_never_render_markup_as_an_image() {
        assert_eq!(preview_kind("a.PNG"), Some(PreviewKind::Image("image/png")));
        assert_eq!(preview_kind("doc.pdf"), Some(PreviewKind::Pdf));
        assert_eq!(preview_kind("page.html"), Some(PreviewKind::Text));
        assert_eq!(preview_kind("logo.svg"), Some(PreviewKind::Text));
        assert_eq!(preview_kind("archive.zip"), None);
        assert_eq!(preview_kind("README"), None);
    }

    #[test]
    fn move_targets_stay_in_the_users_folder() {
        let root = "private/id/";
        let f = Entry {
            name: "a.txt".into(),
            key: "private/id/a.txt".into(),
            kind: EntryKind::File,
            size: 1,
            last_modified: None,
        };
        assert_eq!(
            move_target(root, "photos/2024", &f).unwrap(),
            "private/id/photos/2024/a.txt"
        );
        assert_eq!(
            move_target(root, "/photos/", &f).unwrap(),
            "private/id/photos/a.txt"
        );
        assert!(move_target(root, "", &f).is_err(), "already there");
        assert!(
            move_target(root, "../other", &f).is_err(),
            "no climbing out"
        );
        let d = Entry {
            name: "docs".into(),
            key: "private/id/docs/".into(),
            kind: EntryKind::Folder,
            size: 0,
            last_modified: None,
        };
        assert!(
            move_target(root, "docs/inner", &d).is_err(),
            "not into itself"
        );
        assert_eq!(
            move_target(root, "archive", &d).unwrap(),
            "private/id/archive/docs/"
        );
    }

    #[test]
    fn the_parent_of_a_file_or_a_folder() {
        assert_eq!(parent_prefix("private/me/a/b.txt"), "private/me/a/");
        assert_eq!(parent_prefix("private/me/a/"), "private/me/");
        assert_eq!(parent_prefix("top"), "");
    }

    #[test]
    fn sizes_and_names() {
        assert_eq!(format_size(999), "999 B");
        assert_eq!(format_size(1536), "1.5 KB");
        assert_eq!(format_size(12 * 1024 * 1024), "12 MB");
        // Ties round to even, as the float formatting this replaced did.
        assert_eq!(format_size(1280), "1.2 KB");
        assert_eq!(format_size(1792), "1.8 KB");
        assert_eq!(format_size(10 * 1024 + 512), "10 KB");
        assert_eq!(format_size(11 * 1024 + 512), "12 KB");
        assert_eq!(format_size(10 * 1024 - 1), "10.0 KB");
        assert_eq!(format_size(1024 * 1024 - 1), "1024 KB");
        assert_eq!(format_size(u64::MAX), "16777216 TB");
        for bytes in (0..200_000u64)
            .step_by(7)
            .chain([1 << 40, 5 << 40, (10 << 40) - 1, 3 << 50])
        {
            assert_eq!(format_size(bytes), float_formatted_size(bytes), "{bytes}");
        }
        assert!(validate_name("a/b").is_err());
        assert!(validate_name("..").is_err());
        assert!(validate_name("ok name + #%.txt").is_ok());
        let taken = ["r.pdf", "r (1).pdf"];
        assert_eq!(keep_both_name("r.pdf", |n| taken.contains(&n)), "r (2).pdf");
        assert_eq!(keep_both_name(".env", |_| false), ".env (1)");
    }

    /// The float-based formatting `format_size` replaced, as the reference.
    fn float_formatted_size(bytes: u64) -> String {
        const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
        if bytes < 1024 {
            return format!("{bytes} B");
        }
        let mut value = bytes as f64;
        let mut unit = 0;
        while value >= 1024.0 && unit < UNITS.len() - 1 {
            value /= 1024.0;
            unit += 1;
        }
        if value < 10.0 {
            format!("{value:.1} {}", UNITS[unit])
        } else {
            format!("{value:.0} {}", UNITS[unit])
        }
    }
}
