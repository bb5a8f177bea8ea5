//! The open folder: its listing, loaded page by page (rows appear after the first
//! page), sorted, reloaded. A reload keeps the rows on screen until the new
//! listing is whole, and a failed one keeps them beside its error; the item count
//! is known only for a whole listing. Components keep a [`FolderListing`] in a
//! signal, render it and call its operations; [`Load::run`] fetches the pages.

use crate::model::files::{self, FolderPage};
use crate::model::listing::{self, Entry, Sort};
use crate::model::session::{CallError, Session};

/// The listing of the folder on screen, and how far its loading has come.
#[derive(Clone, Debug)]
pub struct FolderListing {
    prefix: String,
    entries: Vec<Entry>,
    /// The pages of a reload so far, shown in place of `entries` once the last
    /// one came; `None` when pages go straight to `entries` (a folder opened).
    incoming: Option<Vec<Entry>>,
    /// `entries` are the whole folder, as its last load that finished listed it.
    complete: bool,
    loading: bool,
    error: Option<String>,
    sort: Sort,
    /// Bumped on every reload so a slow listing of an old folder is ignored.
    generation: u64,
    /// Pages taken so far by the current load.
    pages: u32,
    /// The last page taken re-sorted the entries shown.
    resorted: bool,
    /// The current load met the folder's marker object so far.
    seen_marker: bool,
    /// The last whole listing met it.
    marker: bool,
}

/// One load of a folder's listing, from [`FolderListing::reload`] or
/// [`FolderListing::open`]: the folder, and which reload it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Load {
    prefix: String,
    generation: u64,
}

impl FolderListing {
    /// The listing of `prefix` (a folder: ends with `/`), before its first load:
    /// empty and loading.
    pub fn new(prefix: String) -> FolderListing {
        FolderListing {
            prefix,
            entries: Vec::new(),
            incoming: None,
            complete: false,
            loading: true,
            error: None,
            sort: Sort::default(),
            generation: 0,
            pages: 0,
            resorted: false,
            seen_marker: false,
            marker: false,
        }
    }

    /// The folder on screen (a key prefix ending with `/`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Whether the last page taken re-sorted the entries shown: a view that
    /// holds positions in them must look again.
    pub fn resorted(&self) -> bool {
        self.resorted
    }

    /// Its entries so far, in [`FolderListing::sort`] order once a load is done.
    /// While a reload runs (and after it failed), the entries of the listing
    /// before it.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Whether pages are still coming.
    pub fn loading(&self) -> bool {
        self.loading
    }

    /// How many items the folder holds, when that is known: the last load
    /// finished and listed it whole. `None` while a load runs, after a listing
    /// failed, and for a listing that stopped part way.
    pub fn count(&self) -> Option<usize> {
        (self.complete && !self.loading).then_some(self.entries.len())
    }

    /// Whether the folder does not exist: its last load listed it whole, found
    /// nothing in it and no marker object for it, and it is not `root` (the
    /// user's folder, which needs none). An address can name such a folder.
    pub fn is_missing(&self, root: &str) -> bool {
        self.count() == Some(0) && !self.marker && self.prefix != root
    }

    /// Why the last load stopped, for people.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    pub fn sort(&self) -> Sort {
        self.sort
    }

    /// Shows the failure of another action on this folder (a download) where a
    /// listing error shows, until the next reload.
    pub fn show_error(&mut self, message: String) {
        self.error = Some(message);
    }

    /// Starts listing the folder afresh and returns the load to [`Load::run`]. The
    /// entries on screen stay until the new listing is whole (then it replaces
    /// them) or fails (then they stay beside the error). Pages of any earlier load
    /// are ignored from now on.
    pub fn reload(&mut self) -> Load {
        self.generation += 1;
        self.loading = true;
        self.error = None;
        self.incoming = (!self.entries.is_empty()).then(Vec::new);
        self.pages = 0;
        self.seen_marker = false;
        Load {
            prefix: self.prefix.clone(),
            generation: self.generation,
        }
    }

    /// Goes to the folder `prefix` and starts listing it: the rows of the folder
    /// before go at once.
    pub fn open(&mut self, prefix: String) -> Load {
        self.prefix = prefix;
        self.entries.clear();
        self.complete = false;
        self.reload()
    }

    /// Sorts the entries anew, and the pages still to come the same way.
    pub fn resort(&mut self, sort: Sort) {
        self.sort = sort;
        listing::sort_entries(&mut self.entries, sort);
    }

    /// Takes one page of `load`: appends its entries, or keeps the error. Returns
    /// the continuation token of the next page while there is one to fetch;
    /// `None` at the end, on an error, and for a load a newer one replaced (its
    /// page changes nothing).
    pub fn take_page(
        &mut self,
        load: &Load,
        page: Result<FolderPage, CallError>,
    ) -> Option<String> {
        if load.generation != self.generation {
            return None;
        }
        match page {
            Ok(page) => {
                self.pages += 1;
                self.seen_marker |= page.holds_marker;
                let last = page.next.is_none();
                if let Some(incoming) = &mut self.incoming {
                    incoming.extend(page.entries);
                    if last {
                        self.entries = std::mem::take(incoming);
                        self.incoming = None;
                    }
                } else {
                    self.entries.extend(page.entries);
                }
                // Sort after the first page, then now and then, and at the end:
                // re-sorting a growing list after every page would cost
                // O(pages² · n log n) in a 100,000-object folder.
                let shown = self.incoming.is_none();
                self.resorted = last || (shown && self.pages.is_power_of_two());
                if self.resorted {
                    listing::sort_entries(&mut self.entries, self.sort);
                }
                if last {
                    self.loading = false;
                    self.complete = true;
                    self.marker = self.seen_marker;
                }
                page.next
            }
            Err(e) => {
                self.error = Some(e.user_message("list this folder"));
                self.loading = false;
                self.incoming = None;
                self.complete = false;
                None
            }
        }
    }
}

impl Load {
    /// Fetches the pages of this load one after another through `session`, handing
    /// each to `take` (which passes it to [`FolderListing::take_page`] and returns
    /// what that returns) until it says stop.
    pub async fn run(
        self,
        session: &Session,
        mut take: impl FnMut(&Load, Result<FolderPage, CallError>) -> Option<String>,
    ) {
        let mut token: Option<String> = None;
        loop {
            let page = files::list_page(session, &self.prefix, token.as_deref()).await;
            match take(&self, page) {
                Some(next) => token = Some(next),
                None => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::listing::{EntryKind, SortKey};

    fn file(name: &str, size: u64) -> Entry {
        Entry {
            name: name.into(),
            key: format!("private/me/{name}"),
            kind: EntryKind::File,
            size,
            last_modified: None,
        }
    }

    fn page(names: &[&str], next: Option<&str>) -> Result<FolderPage, CallError> {
        Ok(FolderPage {
            entries: names.iter().map(|n| file(n, 1)).collect(),
            next: next.map(str::to_string),
            holds_marker: false,
        })
    }

    #[test]
    fn a_folder_is_missing_only_when_listed_whole_empty_and_without_marker() {
        let root = "private/me/";
        let mut listing = FolderListing::new(root.into());
        let load = listing.reload();
        listing.take_page(&load, page(&[], None));
        assert!(
            !listing.is_missing(root),
            "the user's folder needs no marker"
        );

        let load = listing.open("private/me/nowhere/".into());
        assert!(!listing.is_missing(root), "not known while loading");
        listing.take_page(&load, page(&[], None));
        assert!(listing.is_missing(root));

        // "New folder" made it: the marker alone says it exists.
        let load = listing.open("private/me/new/".into());
        let marker = Ok(FolderPage {
            holds_marker: true,
            ..FolderPage::default()
        });
        listing.take_page(&load, marker);
        assert!(!listing.is_missing(root));

        let load = listing.open("private/me/full/".into());
        listing.take_page(&load, page(&["a"], None));
        assert!(!listing.is_missing(root));
        let load = listing.open("private/me/gone/".into());
        let failed = Err(CallError::Aborted);
        listing.take_page(&load, failed);
        assert!(!listing.is_missing(root), "a failed listing says nothing");
    }

    fn names(listing: &FolderListing) -> Vec<&str> {
        listing.entries().iter().map(|e| e.name.as_str()).collect()
    }

    #[test]
    fn pages_append_until_the_last_and_the_whole_list_ends_sorted() {
        let mut listing = FolderListing::new("private/me/".into());
        let load = listing.reload();
        assert!(listing.loading());
        assert_eq!(
            listing.take_page(&load, page(&["d", "b"], Some("t1"))),
            Some("t1".into())
        );
        assert_eq!(names(&listing), ["b", "d"], "the first page is sorted");
        assert_eq!(
            listing.take_page(&load, page(&["c"], Some("t2"))),
            Some("t2".into())
        );
        assert!(listing.loading());
        assert_eq!(listing.take_page(&load, page(&["e", "a"], None)), None);
        assert_eq!(names(&listing), ["a", "b", "c", "d", "e"]);
        assert!(!listing.loading());
        assert_eq!(listing.error(), None);
    }

    #[test]
    fn an_opened_folder_says_which_pages_re_sorted_what_is_shown() {
        let mut listing = FolderListing::new("private/me/".into());
        let load = listing.open("private/me/a/".into());
        let mut resorted = Vec::new();
        for n in 1..=6 {
            let next = (n < 6).then(|| format!("t{n}"));
            let name = format!("{}", 7 - n);
            listing.take_page(&load, page(&[name.as_str()], next.as_deref()));
            resorted.push(listing.resorted());
        }
        // Pages 1, 2 and 4 (powers of two), and the last.
        assert_eq!(resorted, [true, true, false, true, false, true]);
        assert_eq!(names(&listing), ["1", "2", "3", "4", "5", "6"]);
    }

    #[test]
    fn a_reload_starts_empty_and_ignores_the_pages_of_the_one_before() {
        let mut listing = FolderListing::new("private/me/".into());
        let old = listing.reload();
        listing.take_page(&old, page(&["a"], Some("t")));
        let new = listing.open("private/me/photos/".into());
        assert_eq!(listing.prefix(), "private/me/photos/");
        assert!(listing.entries().is_empty());
        assert!(listing.loading());
        assert_eq!(listing.take_page(&old, page(&["late"], Some("t2"))), None);
        assert_eq!(
            listing.take_page(&old, Err(CallError::Incomplete("x".into()))),
            None
        );
        assert!(listing.entries().is_empty());
        assert_eq!(listing.error(), None);
        assert!(listing.loading(), "the old load does not end the new one");
        listing.take_page(&new, page(&["p"], None));
        assert_eq!(names(&listing), ["p"]);
        assert!(!listing.loading());
    }

    #[test]
    fn an_error_stops_the_load_and_says_what_failed() {
        let mut listing = FolderListing::new("private/me/".into());
        let load = listing.reload();
        listing.take_page(&load, page(&["a"], Some("t")));
        assert_eq!(listing.take_page(&load, Err(CallError::Aborted)), None);
        assert!(!listing.loading());
        assert_eq!(
            listing.error(),
            Some(CallError::Aborted.user_message("list this folder").as_str())
        );
        assert_eq!(names(&listing), ["a"], "what came stays");
        listing.reload();
        assert_eq!(listing.error(), None, "a reload clears the error");
    }

    #[test]
    fn a_reload_keeps_the_rows_until_the_new_listing_is_whole() {
        let mut listing = FolderListing::new("private/me/".into());
        let first = listing.reload();
        assert_eq!(listing.count(), None, "not known before the first listing");
        listing.take_page(&first, page(&["a", "b"], None));
        assert_eq!(listing.count(), Some(2));

        let again = listing.reload();
        assert!(listing.loading());
        assert_eq!(names(&listing), ["a", "b"], "the rows stay while loading");
        assert_eq!(listing.count(), None, "no count while loading");
        listing.take_page(&again, page(&["c"], Some("t")));
        assert_eq!(
            names(&listing),
            ["a", "b"],
            "a part of the new listing waits"
        );
        assert_eq!(listing.count(), None);
        listing.take_page(&again, page(&["b", "d"], None));
        assert_eq!(names(&listing), ["b", "c", "d"], "replaced when whole");
        assert!(!listing.loading());
        assert_eq!(listing.count(), Some(3));
    }

    #[test]
    fn a_failed_reload_keeps_the_rows_beside_the_error_and_has_no_count() {
        let mut listing = FolderListing::new("private/me/".into());
        let first = listing.reload();
        listing.take_page(&first, page(&["a", "b"], None));
        let again = listing.reload();
        listing.take_page(&again, page(&["c"], Some("t")));
        let failure = CallError::Network(crate::model::transport::NetworkError("reset".into()));
        assert_eq!(listing.take_page(&again, Err(failure.clone())), None);
        assert_eq!(names(&listing), ["a", "b"], "the rows stay");
        assert_eq!(
            listing.error(),
            Some(failure.user_message("list this folder").as_str())
        );
        assert!(!listing.loading());
        assert_eq!(listing.count(), None, "no count for a failed listing");

        // A folder opened afresh that fails part way: what came stays, no count.
        let open = listing.open("private/me/photos/".into());
        assert!(listing.entries().is_empty(), "another folder's rows go");
        listing.take_page(&open, page(&["p"], Some("t")));
        listing.take_page(&open, Err(failure));
        assert_eq!(names(&listing), ["p"]);
        assert_eq!(listing.count(), None, "an incomplete listing has no count");

        // Another action's error beside a whole listing keeps its count.
        let whole = listing.reload();
        listing.take_page(&whole, page(&["p", "q"], None));
        listing.show_error("Could not download q.".into());
        assert_eq!(listing.count(), Some(2));
    }

    #[test]
    fn resort_orders_what_is_there_and_what_comes() {
        let mut listing = FolderListing::new("private/me/".into());
        let load = listing.reload();
        listing.take_page(&load, page(&["a", "b"], Some("t")));
        let by_name_down = Sort {
            key: SortKey::Name,
            ascending: false,
        };
        listing.resort(by_name_down);
        assert_eq!(listing.sort(), by_name_down);
        assert_eq!(names(&listing), ["b", "a"]);
        listing.take_page(&load, page(&["c"], None));
        assert_eq!(names(&listing), ["c", "b", "a"]);
    }
}
