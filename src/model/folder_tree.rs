//! The folder picker's state: a tree of the user's folders from "My files" down,
//! each level listed on demand (ListObjectsV2 with a `/` delimiter, through
//! [`files::list_page`]), and the rule that warns when a typed folder differs from
//! an existing one only by case (S3 keys are case-sensitive: "photos" would be a
//! new folder beside "Photos").

use crate::model::files;
use crate::model::session::{CallError, Session};

/// Whether a folder's subfolders are known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Children {
    /// Not listed yet.
    Unknown,
    Loading,
    Loaded,
    /// Listing failed: the plain-words message.
    Failed(String),
}

/// One folder of the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// The folder's key prefix (ends with `/`; the user's root for "My files").
    pub prefix: String,
    /// Its name as shown ("My files" for the root).
    pub name: String,
    /// 0 for "My files", 1 for its folders, and so on (ARIA's level minus one).
    pub depth: usize,
    pub expanded: bool,
    pub children: Children,
}

/// The tree, its nodes flat in display order (each folder followed by its
/// subfolders), with the folders that may not be chosen left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderTree {
    root: String,
    /// A folder being moved: it and everything below it are never offered.
    excluded: Option<String>,
    nodes: Vec<Node>,
}

impl FolderTree {
    /// A tree of the folders under `root` (the user's folder), leaving out
    /// `excluded` (a folder prefix) and its descendants.
    pub fn new(root: &str, excluded: Option<&str>) -> FolderTree {
        FolderTree {
            root: root.to_string(),
            excluded: excluded.map(str::to_string),
            nodes: vec![Node {
                prefix: root.to_string(),
                name: "My files".to_string(),
                depth: 0,
                expanded: false,
                children: Children::Unknown,
            }],
        }
    }

    /// The nodes shown: those whose ancestors are all expanded, in order.
    pub fn visible(&self) -> Vec<Node> {
        let mut shown = Vec::new();
        // The depth below which nodes are hidden (a collapsed ancestor's depth).
        let mut hidden_below: Option<usize> = None;
        for node in &self.nodes {
            if let Some(depth) = hidden_below {
                if node.depth > depth {
                    continue;
                }
                hidden_below = None;
            }
            if !node.expanded {
                hidden_below = Some(node.depth);
            }
            shown.push(node.clone());
        }
        shown
    }

    /// The node at `prefix`, if it is in the tree.
    pub fn node(&self, prefix: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.prefix == prefix)
    }

    /// Whether `prefix` is known to hold no folders (then it cannot expand).
    pub fn is_leaf(&self, prefix: &str) -> bool {
        let Some(at) = self.nodes.iter().position(|n| n.prefix == prefix) else {
            return false;
        };
        self.nodes[at].children == Children::Loaded
            && self
                .nodes
                .get(at + 1)
                .is_none_or(|next| next.depth <= self.nodes[at].depth)
    }

    /// `prefix`'s path below the user's folder, as a person types it ("" for My files).
    pub fn path_of(&self, prefix: &str) -> String {
        prefix
            .strip_prefix(&self.root)
            .unwrap_or(prefix)
            .trim_end_matches('/')
            .to_string()
    }

    /// The folder holding `prefix` (`None` for My files).
    pub fn parent_of(&self, prefix: &str) -> Option<String> {
        if prefix == self.root {
            return None;
        }
        let inner = prefix.trim_end_matches('/');
        inner.rfind('/').map(|slash| inner[..=slash].to_string())
    }

    /// Opens `prefix`; answers whether its subfolders must be listed now (then
    /// it is marked loading: give the listing to [`FolderTree::loaded`]).
    pub fn expand(&mut self, prefix: &str) -> bool {
        let Some(node) = self.nodes.iter_mut().find(|n| n.prefix == prefix) else {
            return false;
        };
        node.expanded = true;
        match node.children {
            Children::Unknown | Children::Failed(_) => {
                node.children = Children::Loading;
                true
            }
            Children::Loading | Children::Loaded => false,
        }
    }

    /// Closes `prefix` (its subfolders stay known).
    pub fn collapse(&mut self, prefix: &str) {
        if let Some(node) = self.nodes.iter_mut().find(|n| n.prefix == prefix) {
            node.expanded = false;
        }
    }

    /// Puts `prefix`'s listing in: its subfolders' prefixes (the order kept), or
    /// the message of a failed listing.
    pub fn loaded(&mut self, prefix: &str, listing: Result<Vec<String>, String>) {
        let Some(at) = self.nodes.iter().position(|n| n.prefix == prefix) else {
            return;
        };
        let depth = self.nodes[at].depth;
        let end = self.nodes[at + 1..]
            .iter()
            .position(|n| n.depth <= depth)
            .map_or(self.nodes.len(), |i| at + 1 + i);
        match listing {
            Err(message) => self.nodes[at].children = Children::Failed(message),
            Ok(folders) => {
                let children = folders
                    .into_iter()
                    .filter(|p| !self.is_excluded(p))
                    .map(|p| Node {
                        name: files::display_name(prefix, &p),
                        prefix: p,
                        depth: depth + 1,
                        expanded: false,
                        children: Children::Unknown,
                    })
                    .collect::<Vec<_>>();
                self.nodes.splice(at + 1..end, children);
                self.nodes[at].children = Children::Loaded;
            }
        }
    }

    /// Adds a folder just made inside `parent` (by "New folder" in the picker)
    /// and opens `parent` to show it; answers the new folder's prefix.
    pub fn add(&mut self, parent: &str, name: &str) -> Option<String> {
        let at = self.nodes.iter().position(|n| n.prefix == parent)?;
        let prefix = format!("{parent}{name}/");
        let depth = self.nodes[at].depth;
        self.nodes[at].expanded = true;
        if self.node(&prefix).is_none() {
            // Kept in name order among its siblings, as S3 lists them.
            let mut insert = at + 1;
            while insert < self.nodes.len() && self.nodes[insert].depth > depth {
                let sibling = &self.nodes[insert];
                if sibling.depth == depth + 1 && sibling.prefix > prefix {
                    break;
                }
                insert += 1;
            }
            self.nodes.insert(
                insert,
                Node {
                    prefix: prefix.clone(),
                    name: name.to_string(),
                    depth: depth + 1,
                    expanded: false,
                    children: Children::Loaded,
                },
            );
        }
        Some(prefix)
    }

    fn is_excluded(&self, prefix: &str) -> bool {
        self.excluded
            .as_deref()
            .is_some_and(|e| prefix.starts_with(e))
    }
}

/// The existing name that `typed` matches only when case is ignored (`None`
/// when one matches exactly, or none matches at all).
pub fn case_twin<'a>(existing: &'a [String], typed: &str) -> Option<&'a str> {
    if existing.iter().any(|n| n == typed) {
        return None;
    }
    let lower = typed.to_lowercase();
    existing
        .iter()
        .find(|n| n.to_lowercase() == lower)
        .map(String::as_str)
}

/// The subfolders' prefixes of folder `prefix`, every page.
///
/// # Errors
///
/// The listing's [`CallError`].
pub async fn subfolders(session: &Session, prefix: &str) -> Result<Vec<String>, CallError> {
    let mut folders = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = files::list_page(session, prefix, token.as_deref()).await?;
        folders.extend(
            page.entries
                .into_iter()
                .filter(|e| e.is_folder())
                .map(|e| e.key),
        );
        match page.next {
            Some(next) => token = Some(next),
            None => return Ok(folders),
        }
    }
}

/// Where a typed folder path (below the user's `root`, "photos/2024") first
/// differs from an existing folder only by case: that folder's path as stored
/// ("Photos"), or `None` when every typed level exists as typed or is new.
///
/// # Errors
///
/// A listing's [`CallError`].
pub async fn case_clash(
    session: &Session,
    root: &str,
    typed: &str,
) -> Result<Option<String>, CallError> {
    let mut prefix = root.to_string();
    for segment in typed.split('/').map(str::trim).filter(|s| !s.is_empty()) {
        let names: Vec<String> = subfolders(session, &prefix)
            .await?
            .iter()
            .map(|p| files::display_name(&prefix, p))
            .collect();
        if let Some(twin) = case_twin(&names, segment) {
            let path = format!("{prefix}{twin}");
            return Ok(Some(path.strip_prefix(root).unwrap_or(&path).to_string()));
        }
        if !names.iter().any(|n| n == segment) {
            return Ok(None);
        }
        prefix = format!("{prefix}{segment}/");
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::files::tests::{root, session, Bucket};
    use crate::model::testing::ready;

    fn p(path: &str) -> String {
        format!("{}{path}", root())
    }

    fn names(tree: &FolderTree) -> Vec<String> {
        tree.visible()
            .iter()
            .map(|n| format!("{}{}", "-".repeat(n.depth), n.name))
            .collect()
    }

    #[test]
    fn levels_are_listed_on_demand_and_fold_away() {
        let bucket = Bucket::with(&["Photos/", "Photos/2024/a.png", "docs/x.txt", "notes.txt"]);
        let session = session(&bucket);
        let mut tree = FolderTree::new(&root(), None);
        assert_eq!(names(&tree), vec!["My files"]);
        assert!(tree.expand(&root()));
        assert_eq!(tree.node(&root()).unwrap().children, Children::Loading);
        tree.loaded(&root(), Ok(ready(subfolders(&session, &root())).unwrap()));
        assert_eq!(names(&tree), vec!["My files", "-Photos", "-docs"]);
        assert!(tree.expand(&p("Photos/")));
        tree.loaded(
            &p("Photos/"),
            Ok(ready(subfolders(&session, &p("Photos/"))).unwrap()),
        );
        assert_eq!(names(&tree), vec!["My files", "-Photos", "--2024", "-docs"]);
        assert!(!tree.is_leaf(&p("Photos/")) && !tree.is_leaf(&p("docs/")));
        tree.expand(&p("Photos/2024/"));
        tree.loaded(&p("Photos/2024/"), Ok(Vec::new()));
        assert!(tree.is_leaf(&p("Photos/2024/")));
        assert_eq!(tree.path_of(&p("Photos/2024/")), "Photos/2024");
        assert_eq!(tree.parent_of(&p("Photos/2024/")), Some(p("Photos/")));
        assert_eq!(tree.parent_of(&root()), None);

        // Collapsed, the subfolders hide and are not listed again when reopened.
        tree.collapse(&p("Photos/"));
        assert_eq!(names(&tree), vec!["My files", "-Photos", "-docs"]);
        let lists = bucket.count("GET");
        assert!(!tree.expand(&p("Photos/")));
        assert_eq!(bucket.count("GET"), lists);
        assert_eq!(names(&tree), vec!["My files", "-Photos", "--2024", "-docs"]);

        // A failed listing is kept as its message, and expanding tries again.
        tree.loaded(&p("docs/"), Err("offline".into()));
        assert_eq!(
            tree.node(&p("docs/")).unwrap().children,
            Children::Failed("offline".into())
        );
        assert!(tree.expand(&p("docs/")));
    }

    #[test]
    fn a_moved_folder_and_its_descendants_are_not_offered() {
        let mut tree = FolderTree::new(&root(), Some(&p("a/")));
        tree.expand(&root());
        tree.loaded(&root(), Ok(vec![p("a/"), p("ab/"), p("b/")]));
        assert_eq!(names(&tree), vec!["My files", "-ab", "-b"]);
    }

    #[test]
    fn a_new_folder_joins_its_parent_in_name_order() {
        let mut tree = FolderTree::new(&root(), None);
        tree.expand(&root());
        tree.loaded(&root(), Ok(vec![p("a/"), p("c/")]));
        tree.expand(&p("a/"));
        tree.loaded(&p("a/"), Ok(vec![p("a/x/")]));
        assert_eq!(tree.add(&root(), "b"), Some(p("b/")));
        assert_eq!(names(&tree), vec!["My files", "-a", "--x", "-b", "-c"]);
        tree.add(&root(), "b");
        assert_eq!(names(&tree).len(), 5, "added once");
    }

    #[test]
    fn a_typed_folder_differing_only_by_case_is_found() {
        let existing = vec!["Photos".to_string(), "photos2".to_string()];
        assert_eq!(case_twin(&existing, "photos"), Some("Photos"));
        assert_eq!(case_twin(&existing, "Photos"), None);
        assert_eq!(case_twin(&existing, "videos"), None);

        let bucket = Bucket::with(&["Photos/2024/a.png", "docs/"]);
        let session = session(&bucket);
        let clash = |typed| ready(case_clash(&session, &root(), typed)).unwrap();
        assert_eq!(clash("photos"), Some("Photos".into()));
        assert_eq!(clash("Photos/2024"), None);
        assert_eq!(clash("/Photos/2024/"), None);
        assert_eq!(clash("Photos/2025"), None, "a new folder, no twin");
        assert_eq!(
            clash("new/photos"),
            None,
            "below a new folder nothing exists"
        );
        assert_eq!(clash(""), None);
    }
}
