//! The list's own state, shared by the list ([`super::list`]), the row menu
//! ([`super::row_menu`]) and the selection toolbar ([`super::selection_bar`]):
//! the selection (the model's [`Selection`], keyed by S3 key), the row that has
//! the keyboard's focus, the open row menu and the bulk dialog.

use crate::model::listing::Entry;
use crate::model::selection::Selection;
use leptos::prelude::*;

/// Where an open row menu belongs and where it shows.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct MenuAt {
    pub entry: Entry,
    /// The menu button's box (viewport pixels: left, top, right, bottom), so the
    /// menu outside the scroll box can sit beside it.
    pub anchor: (f64, f64, f64, f64),
}

/// A bulk action waiting for its confirmation, running, or showing its report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum BulkAsk {
    None,
    Delete,
    Move,
}

#[derive(Clone, Copy)]
pub(super) struct Picking {
    pub selection: RwSignal<Selection>,
    /// The S3 key of the row that is the list's one Tab stop (the focused row).
    pub cursor: RwSignal<Option<String>>,
    /// Set when the cursor row should take the DOM focus once it is rendered.
    pub want_focus: RwSignal<bool>,
    pub menu: RwSignal<Option<MenuAt>>,
    pub bulk: RwSignal<BulkAsk>,
}

impl Picking {
    pub fn new() -> Picking {
        Picking {
            selection: RwSignal::new(Selection::default()),
            cursor: RwSignal::new(None),
            want_focus: RwSignal::new(false),
            menu: RwSignal::new(None),
            bulk: RwSignal::new(BulkAsk::None),
        }
    }

    /// Puts the focus back on the cursor row (after a menu or dialog closed).
    pub fn refocus(&self) {
        self.want_focus.set(true);
    }
}
