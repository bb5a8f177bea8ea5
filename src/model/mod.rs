//! The app's state and rules, apart from components: what the UI shows and how user
//! actions turn into protocol calls. No DOM here.

pub mod archive;
pub mod auth;
pub mod bulk;
pub mod deleted;
pub mod file_kind;
pub mod files;
pub mod folder;
pub mod folder_tree;
pub mod listing;
pub mod message;
pub mod reading;
pub mod route;
pub mod search;
pub mod selection;
pub mod session;
pub mod share_link;
pub mod storage_keys;
pub mod tabs;
#[doc(hidden)]
pub mod testing;
pub mod text;
pub mod thumbnails;
pub mod transfers;
pub mod transport;
pub mod tree_totals;
pub mod undo;
pub mod versions;
