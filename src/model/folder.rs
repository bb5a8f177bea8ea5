//! The open folder: its listing, loaded page by page (rows appear after the first
//! page), sorted, reloaded. Components keep a [`FolderListing`] in a signal,
//! render it and call its operations; [`Load::run`] fetches the pages.

use crate::model::files::{self, FolderPage};
use crate::model::listing::{self, Entry, Sort};
use crate::model::session::{CallError, Session};

/// The listing of the folder on screen, and how far its loading has come.
#[derive(Clone, Debug)]
pub struct FolderListing {
    prefix: String,
    entries: Vec<Entry>,
    loading: bool,
    error: Option<String>,
    sort: Sort,
    /// Bumped on every reload so a slow listing of an old folder is ignored.
    generation: u64,
    /// Pages taken so far by the current load.
    pages: u32,
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
            loading: true,
            error: None,
            sort: Sort::default(),
            generation: 0,
            pages: 0,
        }
    }

    /// The folder on screen (a key prefix ending with `/`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Its entries so far, in [`FolderListing::sort`] order once a load is done.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Whether pages are still coming.
    pub fn loading(&self) -> bool {
        self.loading
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

    /// Starts listing the folder afresh: empties it and returns the load to
    /// [`Load::run`]. Pages of any earlier load are ignored from now on.
    pub fn reload(&mut self) -> Load {
        self.generation += 1;
        self.loading = true;
        self.error = None;
        self.entries.clear();
        self.pages = 0;
        Load {
            prefix: self.prefix.clone(),
            generation: self.generation,
        }
    }

    /// Goes to the folder `prefix` and starts listing it.
    pub fn open(&mut self, prefix: String) -> Load {
        self.prefix = prefix;
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
                let last = page.next.is_none();
                self.entries.extend(page.entries);
                // Sort after the first page, then now and then, and at the end:
                // re-sorting a growing list after every page would cost
                // O(pages² · n log n) in a 100,000-object folder.
                if last || self.pages.is_power_of_two() {
                    listing::sort_entries(&mut self.entries, self.sort);
                }
                if last {
                    self.loading = false;
                }
                page.next
            }
            Err(e) => {
                self.error = Some(e.user_message("list this folder"));
                self.loading = false;
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
        })
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
