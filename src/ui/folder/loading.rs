//! Fetching a folder's pages into the listing, and the search's into the
//! search, and what follows once they are whole (the announcement, the focus).

use super::{focus_element, Folder, HEADING_ID};
use crate::app::browser;
use crate::model::folder::Load;
use crate::model::listing;
use crate::model::search::SearchLoad;
use crate::model::text;
use leptos::prelude::*;

/// How often, at most, the rows are redrawn while a folder's pages arrive, in
/// milliseconds (the first and the last page are shown at once).
const LISTING_REDRAW_MS: f64 = 200.0;

impl Folder {
    /// Fetches the search's pages into it until it is whole, switched off or
    /// replaced (then the next page is never asked for), or the view is gone.
    pub(super) fn run_search(&self, load: SearchLoad) {
        let this = *self;
        leptos::task::spawn_local(async move {
            let session = this.session();
            load.run(&session, |load, page| {
                this.search
                    .try_update(|s| s.take_page(load, page, &browser::nfc))
                    .flatten()
            })
            .await;
            this.loaded(false, true);
        });
    }

    /// Fetches the pages of `load` into the listing; an `opened` folder is
    /// announced once it is listed whole.
    ///
    /// The views hear of the first page, of the last (or an error), of a page
    /// that re-sorted the entries, and of the pages between at most every
    /// [`LISTING_REDRAW_MS`]: redrawing the rows in
    /// view for each of a 100,000-object folder's 100 pages kept the page's one
    /// thread busy all the time (a profile of the huge-folder bench: 66 ms idle in
    /// 6 s), so each next page's answer waited behind the drawing of the last.
    pub(super) fn run(&self, load: Option<Load>, opened: bool) {
        let Some(load) = load else { return };
        let this = *self;
        leptos::task::spawn_local(async move {
            let session = this.session();
            let mut shown_at: Option<f64> = None;
            load.run(&session, |load, page| {
                // `None`: the view is gone, and the pages with it.
                let (next, resorted) = this
                    .listing
                    .try_update_untracked(|l| (l.take_page(load, page), l.resorted()))?;
                let now = browser::now_millis();
                let due = shown_at.is_none_or(|at| now - at >= LISTING_REDRAW_MS);
                // A re-sort moves the entries under the views' positions: shown at once.
                if next.is_none() || resorted || due {
                    shown_at = Some(now);
                    this.listing.notify();
                }
                next
            })
            .await;
            this.loaded(opened, false);
        });
    }

    /// After a load (the search's when `search`): announces an opened folder,
    /// and focuses what an action asked for (the listing's rows are new elements
    /// now) once the rows the list shows are listed.
    fn loaded(&self, opened: bool, search: bool) {
        let Some((prefix, count)) = self
            .listing
            .try_with_untracked(|l| (l.prefix().to_string(), l.count()))
        else {
            return; // The view is gone.
        };
        if opened {
            if let Some(count) = count {
                let root = self.root.get_value();
                let name = listing::breadcrumbs(&root, &prefix)
                    .pop()
                    .map(|(label, _)| text::shown_name(&label))
                    .unwrap_or_default();
                let items = text::count(count as u64, "item", "items");
                self.announce.set(format!("{name}, {items}."));
            }
        }
        // The focus waits for the listing of what the list shows.
        if search != self.searching.get_untracked() {
            return;
        }
        if let Some(target) = self
            .focus_after_load
            .try_update_value(Option::take)
            .flatten()
        {
            // The row becomes the list's cursor: the list keeps it mounted,
            // scrolls it into view and focuses it once rendered.
            let key = target.and_then(|name| {
                self.with_entries_untracked(|entries| {
                    entries
                        .iter()
                        .find(|e| e.name == name)
                        .map(|e| e.key.clone())
                })
            });
            match key {
                Some(key) => {
                    self.rows.cursor.set(Some(key));
                    self.rows.refocus();
                }
                None => request_animation_frame(|| focus_element(HEADING_ID)),
            }
        }
    }
}
