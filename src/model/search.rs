//! Search everything: every file at any depth below a folder (ListObjectsV2
//! without a delimiter, pages taken as they come, no cap on their number),
//! filtered as the user types. Pure and host-tested; the folder view keeps a
//! [`Search`] in a signal and [`SearchLoad::run`] fetches the pages.
//!
//! Matching is a case-insensitive substring test on each file's path below the
//! folder searched (its folders and its name), both sides folded the same way:
//! Unicode NFC (by the `normalize` the caller passes: the browser's own
//! `String.prototype.normalize`, so the wasm carries no tables) then Unicode
//! lowercase, so `é` typed finds `E\u{301}` stored. A query that grows narrows the
//! previous matches instead of scanning every object again, and the match
//! buffers are reused, so a keystroke allocates nothing per object.

use crate::model::files;
use crate::model::listing::{Entry, EntryKind};
use crate::model::session::{CallError, Session};
use cubby_core::s3::ObjectSummary;

/// What one search has listed: the files, and each one's folded path.
#[derive(Clone, Debug, Default)]
struct Index {
    entries: Vec<Entry>,
    /// The folded paths one after another; entry `i`'s is `folded[ends[i-1]..ends[i]]`
    /// (one string for all, not one allocation per object).
    folded: String,
    ends: Vec<u32>,
}

impl Index {
    fn path(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.folded[start..self.ends[i] as usize]
    }

    fn push(&mut self, entry: Entry, below: &str, normalize: &dyn Fn(&str) -> String) {
        let path = entry.key.strip_prefix(below).unwrap_or(&entry.key);
        fold_into(&mut self.folded, path, normalize);
        self.ends.push(self.folded.len() as u32);
        self.entries.push(entry);
    }
}

/// The search under way or done, and what its query matches.
#[derive(Clone, Debug, Default)]
pub struct Search {
    /// The folder searched (ends with `/`); `None` when no search runs.
    prefix: Option<String>,
    shown: Index,
    /// A relisting's pages so far (after an action changed files), shown in
    /// place of `shown` once the last one came.
    incoming: Option<Index>,
    /// The folded query `matches` answer.
    query: String,
    /// Indices into `shown.entries` matching `query`, in listing (key) order.
    matches: Vec<u32>,
    /// The other match buffer, swapped with `matches` on each keystroke.
    spare: Vec<u32>,
    loading: bool,
    error: Option<String>,
    generation: u64,
}

/// One listing of a search, from [`Search::start`] or [`Search::relist`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchLoad {
    prefix: String,
    generation: u64,
}

/// Appends `text` folded for matching to `out`: NFC, then lowercase. ASCII needs
/// no normalization (and is most names), so `normalize` is called only for the rest.
fn fold_into(out: &mut String, text: &str, normalize: &dyn Fn(&str) -> String) {
    if text.is_ascii() {
        out.extend(text.chars().map(|c| c.to_ascii_lowercase()));
    } else {
        for c in normalize(text).chars() {
            out.extend(c.to_lowercase());
        }
    }
}

/// `text` folded as [`Search`] matches it (the query's side).
pub fn fold(text: &str, normalize: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    fold_into(&mut out, text, normalize);
    out
}

impl Search {
    /// Whether a search is on (listing or listed).
    pub fn is_on(&self) -> bool {
        self.prefix.is_some()
    }

    /// The folder searched, while a search is on.
    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// Starts searching below `prefix` (a folder: ends with `/`), dropping any
    /// search before (whose pages are ignored from now on).
    pub fn start(
        &mut self,
        prefix: String,
        query: &str,
        normalize: &dyn Fn(&str) -> String,
    ) -> SearchLoad {
        *self = Search {
            generation: self.generation + 1,
            matches: std::mem::take(&mut self.matches),
            spare: std::mem::take(&mut self.spare),
            ..Search::default()
        };
        self.matches.clear();
        self.query = fold(query.trim(), normalize);
        self.prefix = Some(prefix.clone());
        self.loading = true;
        SearchLoad {
            prefix,
            generation: self.generation,
        }
    }

    /// Lists the same folder again (after an action moved or deleted files): the
    /// results stay until the new listing is whole. `None` when no search is on.
    pub fn relist(&mut self) -> Option<SearchLoad> {
        let prefix = self.prefix.clone()?;
        self.generation += 1;
        self.loading = true;
        self.error = None;
        self.incoming = Some(Index::default());
        Some(SearchLoad {
            prefix,
            generation: self.generation,
        })
    }

    /// Ends the search: its memory goes, and pages still coming are ignored.
    pub fn stop(&mut self) {
        *self = Search {
            generation: self.generation + 1,
            ..Search::default()
        };
    }

    /// Every file listed (what [`Search::matches`] indexes).
    pub fn entries(&self) -> &[Entry] {
        &self.shown.entries
    }

    /// How many files are listed so far.
    pub fn listed(&self) -> usize {
        self.shown.entries.len()
    }

    /// The files matching the query: indices into [`Search::entries`], in key order.
    pub fn matches(&self) -> &[u32] {
        &self.matches
    }

    pub fn loading(&self) -> bool {
        self.loading
    }

    /// Why the listing stopped, for people (the results so far stay).
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Filters by `query` (trimmed, folded). A query containing the one before
    /// narrows its matches; any other scans every file.
    pub fn set_query(&mut self, query: &str, normalize: &dyn Fn(&str) -> String) {
        let query = fold(query.trim(), normalize);
        if query == self.query {
            return;
        }
        let narrowing = query.contains(self.query.as_str());
        self.query = query;
        let mut next = std::mem::take(&mut self.spare);
        next.clear();
        let (index, q) = (&self.shown, self.query.as_str());
        if narrowing {
            next.extend(
                self.matches
                    .iter()
                    .copied()
                    .filter(|&i| index.path(i as usize).contains(q)),
            );
        } else {
            next.extend(
                (0..index.entries.len() as u32).filter(|&i| index.path(i as usize).contains(q)),
            );
        }
        self.spare = std::mem::replace(&mut self.matches, next);
    }

    /// Takes one page of `load`: its files join the results (those matching the
    /// query join the matches). Returns the continuation token while there is a
    /// next page to fetch; `None` at the end, on an error (the results so far
    /// stay beside it) and for a load a newer one replaced.
    pub fn take_page(
        &mut self,
        load: &SearchLoad,
        page: Result<files::ObjectsPage, CallError>,
        normalize: &dyn Fn(&str) -> String,
    ) -> Option<String> {
        if load.generation != self.generation {
            return None;
        }
        let page = match page {
            Ok(page) => page,
            Err(e) => {
                self.error = Some(e.user_message("search the folders"));
                self.loading = false;
                self.incoming = None;
                return None;
            }
        };
        let into_shown = self.incoming.is_none();
        let index = self.incoming.as_mut().unwrap_or(&mut self.shown);
        let first = index.entries.len();
        for object in page.objects {
            if let Some(entry) = file_entry(object) {
                index.push(entry, &load.prefix, normalize);
            }
        }
        if into_shown {
            let q = self.query.as_str();
            let index = &self.shown;
            self.matches.extend(
                (first as u32..index.entries.len() as u32)
                    .filter(|&i| index.path(i as usize).contains(q)),
            );
        }
        if page.next.is_none() {
            if let Some(whole) = self.incoming.take() {
                self.shown = whole;
                // Every file is new: match them all afresh.
                let query = std::mem::take(&mut self.query);
                self.matches.clear();
                let q = query.as_str();
                let index = &self.shown;
                self.matches.extend(
                    (0..index.entries.len() as u32).filter(|&i| index.path(i as usize).contains(q)),
                );
                self.query = query;
            }
            self.loading = false;
        }
        page.next
    }
}

/// The row of a listed object, or `None` for a folder's marker object (the
/// folders show in each file's path).
fn file_entry(object: ObjectSummary) -> Option<Entry> {
    if object.key.ends_with('/') {
        return None;
    }
    let name = object
        .key
        .rsplit('/')
        .next()
        .unwrap_or(&object.key)
        .to_string();
    Some(Entry {
        name,
        kind: EntryKind::File,
        size: object.size,
        last_modified: object.last_modified,
        key: object.key,
    })
}

/// The folder a search result is in, below `root` (the user's folder), as the
/// row shows it: `photos/2024`, or empty at the top.
pub fn folder_of<'a>(root: &str, key: &'a str) -> &'a str {
    let below = key.strip_prefix(root).unwrap_or(key);
    below.rsplit_once('/').map_or("", |(folder, _)| folder)
}

impl SearchLoad {
    /// Fetches the pages of this search one after another through `session`,
    /// handing each to `take` (which passes it to [`Search::take_page`] and
    /// returns what that returns) until it says stop: a search switched off, or
    /// replaced, fetches nothing more.
    pub async fn run(
        self,
        session: &Session,
        mut take: impl FnMut(&SearchLoad, Result<files::ObjectsPage, CallError>) -> Option<String>,
    ) {
        let mut token: Option<String> = None;
        loop {
            let page = files::objects_page(session, &self.prefix, token.as_deref()).await;
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

    /// NFC for the tests: composes the one pair they use (what the browser's
    /// `normalize("NFC")` does for it).
    fn nfc(text: &str) -> String {
        text.replace("e\u{301}", "é").replace("E\u{301}", "É")
    }

    fn object(key: &str) -> ObjectSummary {
        ObjectSummary {
            key: key.into(),
            size: 1,
            etag: "\"x\"".into(),
            last_modified: None,
            storage_class: None,
        }
    }

    fn page(keys: &[&str], next: Option<&str>) -> Result<files::ObjectsPage, CallError> {
        Ok(files::ObjectsPage {
            objects: keys.iter().map(|k| object(k)).collect(),
            next: next.map(str::to_string),
        })
    }

    fn found(search: &Search) -> Vec<&str> {
        search
            .matches()
            .iter()
            .map(|&i| search.entries()[i as usize].key.as_str())
            .collect()
    }

    const ROOT: &str = "private/me/";

    #[test]
    fn finds_names_and_folders_at_any_depth_ignoring_case_and_normalization() {
        let mut search = Search::default();
        let load = search.start(ROOT.into(), "", &nfc);
        let keys = [
            "private/me/a/",
            "private/me/a/b/c/Re\u{301}sume\u{301}.PDF",
            "private/me/a/b/notes.txt",
            "private/me/Photos/2024/beach.jpg",
            "private/me/top.txt",
        ];
        assert_eq!(search.take_page(&load, page(&keys, None), &nfc), None);
        assert_eq!(search.listed(), 4, "the folder's marker is no result");
        assert_eq!(found(&search).len(), 4, "an empty query shows every file");
        search.set_query("résumé", &nfc);
        assert_eq!(found(&search), [keys[1]], "NFC typed, NFD stored");
        search.set_query("RÉSUMÉ.pdf", &nfc);
        assert_eq!(found(&search), [keys[1]], "Unicode lowercase");
        search.set_query("photos", &nfc);
        assert_eq!(found(&search), [keys[3]], "a folder's name finds its files");
        search.set_query(" b/c/ ", &nfc);
        assert_eq!(found(&search), [keys[1]], "paths match, trimmed");
        search.set_query("zzz", &nfc);
        assert!(found(&search).is_empty());
        assert_eq!(
            search.entries()[0].name,
            "Re\u{301}sume\u{301}.PDF",
            "names stay as stored"
        );
    }

    #[test]
    fn a_growing_query_narrows_and_a_shorter_one_widens_again() {
        let mut search = Search::default();
        let load = search.start(ROOT.into(), "", &nfc);
        let keys: Vec<String> = (0..1_000)
            .map(|i| format!("private/me/d{}/f-{i:04}.txt", i % 7))
            .collect();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        search.take_page(&load, page(&refs, None), &nfc);
        let scan = |q: &str| -> Vec<&str> {
            refs.iter()
                .copied()
                .filter(|k| k.strip_prefix(ROOT).unwrap().contains(q))
                .collect()
        };
        for q in [
            "f", "f-", "f-0", "f-00", "f-001", "f-00", "d3", "d3/f-09", "",
        ] {
            search.set_query(q, &nfc);
            assert_eq!(found(&search), scan(q), "{q:?}");
        }
    }

    #[test]
    fn pages_stream_in_and_match_as_they_come() {
        let mut search = Search::default();
        let load = search.start(ROOT.into(), "x", &nfc);
        assert!(search.loading());
        let next = search.take_page(
            &load,
            page(&["private/me/a/x1", "private/me/y"], Some("t")),
            &nfc,
        );
        assert_eq!(next.as_deref(), Some("t"));
        assert_eq!(
            found(&search),
            ["private/me/a/x1"],
            "shown before the last page"
        );
        search.take_page(&load, page(&["private/me/z/x2"], None), &nfc);
        assert_eq!(found(&search), ["private/me/a/x1", "private/me/z/x2"]);
        assert!(!search.loading());
    }

    #[test]
    fn a_stopped_or_replaced_search_takes_no_more_pages() {
        let mut search = Search::default();
        let old = search.start(ROOT.into(), "", &nfc);
        search.take_page(&old, page(&["private/me/a"], Some("t")), &nfc);
        search.stop();
        assert!(!search.is_on());
        assert_eq!(
            search.take_page(&old, page(&["private/me/b"], Some("t2")), &nfc),
            None
        );
        assert!(search.entries().is_empty(), "the memory goes");
        let new = search.start("private/me/sub/".into(), "", &nfc);
        assert_eq!(
            search.take_page(&old, page(&["private/me/c"], None), &nfc),
            None
        );
        search.take_page(&new, page(&["private/me/sub/d"], None), &nfc);
        assert_eq!(found(&search), ["private/me/sub/d"]);
    }

    #[test]
    fn an_error_keeps_the_results_and_a_relisting_replaces_them_when_whole() {
        let mut search = Search::default();
        let load = search.start(ROOT.into(), "a", &nfc);
        search.take_page(
            &load,
            page(&["private/me/a1", "private/me/a2"], Some("t")),
            &nfc,
        );
        assert_eq!(search.take_page(&load, Err(CallError::Aborted), &nfc), None);
        assert_eq!(found(&search).len(), 2, "what came stays");
        assert!(search.error().is_some());
        assert!(!search.loading());

        let again = search.relist().unwrap();
        assert_eq!(search.error(), None);
        search.take_page(&again, page(&["private/me/a2"], Some("t")), &nfc);
        assert_eq!(found(&search).len(), 2, "the old results stay meanwhile");
        search.take_page(&again, page(&["private/me/a3", "private/me/b"], None), &nfc);
        assert_eq!(found(&search), ["private/me/a2", "private/me/a3"]);
    }

    #[test]
    fn the_row_shows_the_folder_below_the_users_folder() {
        assert_eq!(folder_of(ROOT, "private/me/a/b/c.txt"), "a/b");
        assert_eq!(folder_of(ROOT, "private/me/c.txt"), "");
    }
}
