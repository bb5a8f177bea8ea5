//! The rows picked in the open folder: a set of S3 keys, so the selection
//! survives the virtual list's scrolling, re-sorting and filtering (rows come and
//! go from the DOM; the keys stay), and the anchor a Shift+click range starts from.
//! Pure and host-tested; the folder view only calls these methods.

use crate::model::listing::Entry;
use std::collections::BTreeSet;

/// The picked keys and the anchor of the next range.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    keys: BTreeSet<String>,
    /// The key last toggled on its own: Shift+click selects from here.
    anchor: Option<String>,
}

/// How much of the rows in view is selected: the "select all" box's three states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllState {
    None,
    Some,
    All,
}

impl Selection {
    pub fn contains(&self, key: &str) -> bool {
        self.keys.contains(key)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Selects `key` if it was not, else unselects it; either way it becomes the
    /// anchor of the next range.
    pub fn toggle(&mut self, key: &str) {
        if !self.keys.remove(key) {
            self.keys.insert(key.to_string());
        }
        self.anchor = Some(key.to_string());
    }

    /// Selects every key from the anchor to `to` (both included) in the order of
    /// `view` (the keys of the rows shown, top to bottom). Without an anchor in
    /// view it toggles `to` alone, as a plain click would. The anchor stays, so a
    /// second Shift+click re-ranges from the same row, as file managers do.
    pub fn select_range(&mut self, view: &[&str], to: &str) {
        let anchor = self.anchor.as_deref();
        let from = anchor.and_then(|a| view.iter().position(|k| *k == a));
        let (Some(from), Some(end)) = (from, view.iter().position(|k| *k == to)) else {
            self.toggle(to);
            return;
        };
        let (low, high) = if from <= end {
            (from, end)
        } else {
            (end, from)
        };
        self.keys
            .extend(view[low..=high].iter().map(|k| k.to_string()));
    }

    /// None, some or all of `view` selected (an empty view: none).
    pub fn all_state(&self, view: &[&str]) -> AllState {
        let picked = view.iter().filter(|k| self.keys.contains(**k)).count();
        match picked {
            0 => AllState::None,
            n if n == view.len() => AllState::All,
            _ => AllState::Some,
        }
    }

    /// The "select all in this view" box: when all of `view` is selected it
    /// unselects them, else it selects them all. Keys outside the view keep
    /// their state.
    pub fn toggle_all(&mut self, view: &[&str]) {
        if self.all_state(view) == AllState::All {
            for key in view {
                self.keys.remove(*key);
            }
        } else {
            self.keys.extend(view.iter().map(|k| k.to_string()));
        }
    }

    /// Unselects everything (Clear, a folder change).
    pub fn clear(&mut self) {
        self.keys.clear();
        self.anchor = None;
    }

    /// Drops the keys no longer among `entries` (after a reload: what was
    /// deleted or moved away is no longer selected).
    pub fn keep_only(&mut self, entries: &[Entry]) {
        if self.keys.is_empty() {
            return;
        }
        // The kept keys, found from the entries' side: no second set type (a
        // `BTreeSet<&str>` of every entry was its own code in the wasm).
        self.keys = entries
            .iter()
            .filter(|e| self.keys.contains(&e.key))
            .map(|e| e.key.clone())
            .collect();
    }

    /// The selected entries, in the listing's order.
    pub fn picked(&self, entries: &[Entry]) -> Vec<Entry> {
        entries
            .iter()
            .filter(|e| self.keys.contains(&e.key))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::listing::EntryKind;

    const VIEW: [&str; 6] = ["a", "b", "c", "d", "e", "f"];

    fn picked(s: &Selection) -> Vec<&str> {
        s.keys.iter().map(String::as_str).collect()
    }

    #[test]
    fn toggle_selects_and_unselects() {
        let mut s = Selection::default();
        s.toggle("b");
        s.toggle("d");
        assert_eq!(picked(&s), ["b", "d"]);
        s.toggle("b");
        assert_eq!(picked(&s), ["d"]);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn a_range_runs_from_the_anchor_either_way_and_re_ranges_from_it() {
        let mut s = Selection::default();
        s.toggle("b");
        s.select_range(&VIEW, "d");
        assert_eq!(picked(&s), ["b", "c", "d"]);
        // Upwards from the same anchor adds the rows above it.
        s.select_range(&VIEW, "a");
        assert_eq!(picked(&s), ["a", "b", "c", "d"]);

        // Without an anchor, or with one filtered out of view: just that row.
        let mut s = Selection::default();
        s.select_range(&VIEW, "e");
        assert_eq!(picked(&s), ["e"]);
        s.toggle("zz");
        s.select_range(&VIEW, "c");
        assert_eq!(picked(&s), ["c", "e", "zz"]);
    }

    #[test]
    fn select_all_in_view_is_tri_state_and_leaves_other_keys_alone() {
        let mut s = Selection::default();
        assert_eq!(s.all_state(&VIEW), AllState::None);
        assert_eq!(s.all_state(&[]), AllState::None);
        s.toggle("outside");
        s.toggle("c");
        assert_eq!(s.all_state(&VIEW), AllState::Some);
        s.toggle_all(&VIEW);
        assert_eq!(s.all_state(&VIEW), AllState::All);
        assert_eq!(s.len(), 7);
        s.toggle_all(&VIEW);
        assert_eq!(s.all_state(&VIEW), AllState::None);
        assert_eq!(picked(&s), ["outside"]);
    }

    #[test]
    fn clear_empties_and_forgets_the_anchor() {
        let mut s = Selection::default();
        s.toggle("a");
        s.select_range(&VIEW, "c");
        s.clear();
        assert!(s.is_empty());
        s.select_range(&VIEW, "e");
        assert_eq!(picked(&s), ["e"], "no anchor left");
    }

    #[test]
    fn a_reload_keeps_only_keys_still_listed_and_picked_keeps_listing_order() {
        let entry = |key: &str| Entry {
            name: key.into(),
            key: key.into(),
            kind: EntryKind::File,
            size: 0,
            last_modified: None,
        };
        let mut s = Selection::default();
        for key in ["d", "a", "gone"] {
            s.toggle(key);
        }
        let entries: Vec<Entry> = ["a", "b", "d"].iter().map(|k| entry(k)).collect();
        s.keep_only(&entries);
        assert_eq!(picked(&s), ["a", "d"]);
        let keys: Vec<String> = s.picked(&entries).into_iter().map(|e| e.key).collect();
        assert_eq!(keys, ["a", "d"]);
    }
}
