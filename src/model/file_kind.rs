//! What a row is at a glance: its icon by the name's type, whether it gets a
//! thumbnail, and where the list's two layouts (rows, or a grid of tiles) place
//! it. Pure and host-tested.

use crate::model::listing::{self, Entry, PreviewKind};
use std::ops::Range;

/// The kinds of file an icon tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Folder,
    Image,
    Video,
    Audio,
    /// PDFs and office documents.
    Document,
    /// Plain text and code.
    Text,
    Archive,
    Other,
}

impl FileKind {
    /// The icon's classes in style/main.css (`.icon.<kind>`).
    pub fn icon_class(self) -> &'static str {
        match self {
            FileKind::Folder => "icon folder",
            FileKind::Image => "icon file image",
            FileKind::Video => "icon file video",
            FileKind::Audio => "icon file audio",
            FileKind::Document => "icon file document",
            FileKind::Text => "icon file text",
            FileKind::Archive => "icon file archive",
            FileKind::Other => "icon file",
        }
    }
}

/// The kind of `entry`, from its name's extension only (never from the object's
/// stored Content-Type, which anyone with write access could set): the type
/// Cubby stores the name with ([`cubby_core::s3::content_type_for`]), and for
/// text and code the names the preview shows as text.
pub fn file_kind(entry: &Entry) -> FileKind {
    if entry.is_folder() {
        return FileKind::Folder;
    }
    let stored = cubby_core::s3::content_type_for(&entry.name);
    let (top, sub) = stored.split_once('/').unwrap_or((stored, ""));
    match top {
        "image" => FileKind::Image,
        "video" => FileKind::Video,
        "audio" => FileKind::Audio,
        "text" => FileKind::Text,
        _ if sub == "pdf" || sub.starts_with("vnd.") => FileKind::Document,
        _ if matches!(sub, "zip" | "gzip" | "x-tar" | "x-7z-compressed") => FileKind::Archive,
        _ if listing::preview_kind(&entry.name) == Some(PreviewKind::Text) => FileKind::Text,
        _ => FileKind::Other,
    }
}

/// Thumbnails are read whole, so only objects up to 10 MiB get one: a larger
/// image costs more to download than its icon is worth in a list.
pub const THUMBNAIL_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// The MIME type to give `entry`'s thumbnail blob, when it gets one: an image
/// type every current browser decodes (the preview's list: PNG, JPEG, GIF, WebP,
/// AVIF, BMP; never SVG, which is markup), not empty, at most
/// [`THUMBNAIL_MAX_BYTES`]. The type comes from the name, like the preview's.
pub fn thumbnail_type(entry: &Entry) -> Option<&'static str> {
    if entry.is_folder() || entry.size == 0 || entry.size > THUMBNAIL_MAX_BYTES {
        return None;
    }
    match listing::preview_kind(&entry.name)? {
        PreviewKind::Image(mime) => Some(mime),
        _ => None,
    }
}

/// How the folder's items are laid out, remembered per browser
/// (`storage_keys::LAYOUT`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// One row per item with its size and date.
    #[default]
    List,
    /// Tiles with large thumbnails, several per line.
    Grid,
}

impl Layout {
    /// The stored value (`list` or `grid`); anything else is the list.
    pub fn from_stored(value: Option<&str>) -> Layout {
        match value {
            Some("grid") => Layout::Grid,
            _ => Layout::List,
        }
    }

    pub fn as_stored(self) -> &'static str {
        match self {
            Layout::List => "list",
            Layout::Grid => "grid",
        }
    }

    /// Where items go in a list `width` pixels wide: one per line 44 px tall, or
    /// as many tiles of at least [`TILE_MIN_WIDTH`] as fit, [`TILE_HEIGHT`] tall.
    pub fn geometry(self, width: usize) -> Geometry {
        match self {
            Layout::List => Geometry {
                columns: 1,
                item_width: None,
                item_height: ROW_HEIGHT,
            },
            Layout::Grid => {
                let columns = (width / TILE_MIN_WIDTH).max(1);
                Geometry {
                    columns,
                    item_width: Some(width / columns),
                    item_height: TILE_HEIGHT,
                }
            }
        }
    }
}

/// A list row's height in pixels; must match `.row` in style/main.css.
pub const ROW_HEIGHT: usize = 44;
/// A tile's height in pixels; must match `.tiles .row` in style/main.css.
pub const TILE_HEIGHT: usize = 176;
/// The narrowest a tile gets, in pixels (two tiles across a 390 px phone).
pub const TILE_MIN_WIDTH: usize = 160;

/// Where a layout puts item `i` of the list, in whole pixels (so styles need no
/// float formatting).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Items per line.
    pub columns: usize,
    /// Each item's width, when not the list's whole width.
    pub item_width: Option<usize>,
    pub item_height: usize,
}

impl Geometry {
    /// Item `i`'s top-left corner (x, y) inside the list.
    pub fn place(&self, i: usize) -> (usize, usize) {
        let x = (i % self.columns) * self.item_width.unwrap_or(0);
        (x, (i / self.columns) * self.item_height)
    }

    /// The height of a list of `total` items.
    pub fn height(&self, total: usize) -> usize {
        total.div_ceil(self.columns) * self.item_height
    }

    /// The items on the lines in view (`scroll_top` and `viewport` in pixels),
    /// with `overscan` lines more on each side.
    pub fn in_view(
        &self,
        scroll_top: f64,
        viewport: f64,
        total: usize,
        overscan: usize,
    ) -> Range<usize> {
        let lines = total.div_ceil(self.columns);
        let range = listing::visible_rows(
            scroll_top,
            viewport,
            self.item_height as f64,
            lines,
            overscan,
        );
        (range.start * self.columns).min(total)..(range.end * self.columns).min(total)
    }

    /// The items strictly in view: those whose box meets the visible band.
    pub fn strictly_in_view(&self, scroll_top: f64, viewport: f64, total: usize) -> Range<usize> {
        let height = self.item_height as f64;
        let first = (scroll_top.max(0.0) / height).floor() as usize;
        let end = ((scroll_top.max(0.0) + viewport.max(0.0)) / height).ceil() as usize;
        (first * self.columns).min(total)..(end * self.columns).min(total)
    }

    /// Where an arrow key moves the focus from item `here` of `total`: left and
    /// right by one item (only in a grid), up and down by one line.
    pub fn step(&self, here: usize, total: usize, key: Step) -> usize {
        let last = total.saturating_sub(1);
        match key {
            Step::Back if self.columns > 1 => here.saturating_sub(1),
            Step::Forward if self.columns > 1 => (here + 1).min(last),
            Step::Back | Step::Forward => here,
            // From the first line: to its item in this column (the first line's).
            Step::Up(lines) => here
                .checked_sub(lines * self.columns)
                .unwrap_or(here % self.columns),
            Step::Down(lines) => {
                let to = here + lines * self.columns;
                if here / self.columns == last / self.columns {
                    here
                } else {
                    // Onto the last line, even when it has no item below.
                    to.min(last)
                }
            }
        }
    }
}

/// An arrow key's move: [`Geometry::step`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Left.
    Back,
    /// Right.
    Forward,
    /// Up this many lines (1 for the arrow, a page for PageUp).
    Up(usize),
    Down(usize),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::listing::EntryKind;

    fn file(name: &str, size: u64) -> Entry {
        Entry {
            name: name.into(),
            key: format!("p/{name}"),
            kind: EntryKind::File,
            size,
            last_modified: Some(1),
        }
    }

    #[test]
    fn icons_follow_the_extension() {
        let kind = |name: &str| file_kind(&file(name, 1));
        assert_eq!(kind("cat.JPG"), FileKind::Image);
        assert_eq!(kind("clip.mp4"), FileKind::Video);
        assert_eq!(kind("song.flac"), FileKind::Audio);
        assert_eq!(kind("report.pdf"), FileKind::Document);
        assert_eq!(kind("sheet.xlsx"), FileKind::Document);
        assert_eq!(kind("notes.txt"), FileKind::Text);
        assert_eq!(kind("main.rs"), FileKind::Text);
        assert_eq!(kind("data.json"), FileKind::Text);
        assert_eq!(kind("backup.tar.gz"), FileKind::Archive);
        assert_eq!(kind("all.zip"), FileKind::Archive);
        assert_eq!(kind("README"), FileKind::Other);
        assert_eq!(kind("disk.iso"), FileKind::Other);
        let mut dir = file("photos", 0);
        dir.kind = EntryKind::Folder;
        assert_eq!(file_kind(&dir), FileKind::Folder);
        assert_eq!(FileKind::Image.icon_class(), "icon file image");
        assert_eq!(FileKind::Other.icon_class(), "icon file");
    }

    #[test]
    fn thumbnails_only_for_decodable_images_up_to_the_limit() {
        assert_eq!(thumbnail_type(&file("a.png", 10)), Some("image/png"));
        assert_eq!(thumbnail_type(&file("a.JPEG", 10)), Some("image/jpeg"));
        assert_eq!(
            thumbnail_type(&file("a.webp", THUMBNAIL_MAX_BYTES)),
            Some("image/webp")
        );
        assert_eq!(
            thumbnail_type(&file("a.png", THUMBNAIL_MAX_BYTES + 1)),
            None
        );
        assert_eq!(thumbnail_type(&file("a.png", 0)), None);
        // Markup, even when it draws a picture.
        assert_eq!(thumbnail_type(&file("a.svg", 10)), None);
        assert_eq!(thumbnail_type(&file("a.mp4", 10)), None);
        assert_eq!(thumbnail_type(&file("a.txt", 10)), None);
    }

    #[test]
    fn the_layout_is_stored_by_name() {
        assert_eq!(Layout::from_stored(Some("grid")), Layout::Grid);
        assert_eq!(Layout::from_stored(Some("list")), Layout::List);
        assert_eq!(Layout::from_stored(Some("tiles?")), Layout::List);
        assert_eq!(Layout::from_stored(None), Layout::List);
        assert_eq!(Layout::Grid.as_stored(), "grid");
        assert_eq!(Layout::List.as_stored(), "list");
    }

    #[test]
    fn the_list_places_one_item_per_line() {
        let g = Layout::List.geometry(1000);
        assert_eq!(g.place(3), (0, 3 * ROW_HEIGHT));
        assert_eq!(g.height(10), 10 * ROW_HEIGHT);
        assert_eq!(g.in_view(0.0, 440.0, 100, 0), 0..11);
        assert_eq!(g.strictly_in_view(44.0, 440.0, 100), 1..11);
        assert_eq!(g.strictly_in_view(50.0, 440.0, 100), 1..12);
        assert_eq!(g.step(5, 100, Step::Forward), 5);
        assert_eq!(g.step(5, 100, Step::Down(1)), 6);
        assert_eq!(g.step(5, 100, Step::Up(10)), 0);
        assert_eq!(g.step(99, 100, Step::Down(1)), 99);
    }

    #[test]
    fn the_grid_places_tiles_by_line() {
        let g = Layout::Grid.geometry(1000);
        assert_eq!(g.columns, 6);
        assert_eq!(g.item_width, Some(166));
        assert_eq!(g.place(7), (166, TILE_HEIGHT));
        assert_eq!(g.height(13), 3 * TILE_HEIGHT);
        // Two lines in view, one more below for the part of it showing.
        assert_eq!(
            g.strictly_in_view(0.0, 2.0 * TILE_HEIGHT as f64 + 1.0, 40),
            0..18
        );
        assert_eq!(g.in_view(0.0, 2.0 * TILE_HEIGHT as f64, 40, 1), 0..24);
        assert_eq!(g.step(7, 13, Step::Back), 6);
        assert_eq!(g.step(7, 13, Step::Forward), 8);
        assert_eq!(g.step(7, 13, Step::Up(1)), 1);
        assert_eq!(g.step(1, 13, Step::Up(1)), 1);
        assert_eq!(g.step(10, 13, Step::Up(5)), 4);
        assert_eq!(g.step(7, 13, Step::Down(1)), 12);
        // From the line above the last, Down lands on the last item.
        assert_eq!(g.step(11, 13, Step::Down(1)), 12);
        assert_eq!(g.step(12, 13, Step::Down(1)), 12);
        assert_eq!(g.step(12, 13, Step::Forward), 12);
        // A phone: two tiles across.
        assert_eq!(Layout::Grid.geometry(390).columns, 2);
        assert_eq!(Layout::Grid.geometry(100).columns, 1);
    }
}
