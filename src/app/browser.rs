//! The browser actions components may take, in one list: the UI names no adapter
//! in `web` itself (`cargo xtask tidy` checks), so what a page can do to the browser
//! beyond rendering (open a tab, start a download, copy text, read dropped folders,
//! show local times) is all here, and a new capability is a visible change to this
//! file.

pub use crate::web::clock::{format_local, now_millis};
pub use crate::web::files::{
    copy_text, dropped_entries, from_file_list, object_url, open_download, open_in_new_tab,
    read_dropped, revoke_object_url, BlobSource, PickedFile,
};
pub use crate::web::first_paint::take_over as take_over_first_paint;
pub use crate::web::handles::{
    can_pick as can_pick_handles, dropped as dropped_handles,
    dropped_files as dropped_file_handles, file as handle_file, kept as kept_handles,
    permission as handle_permission, pick_files as pick_file_handles, FileHandle, Permission,
};
pub use crate::web::save::{
    memory_download, pick_file as pick_zip_file, save_way, worker_download, SaveWay, MEMORY_LIMIT,
};
pub use crate::web::text::nfc;

use crate::model::file_kind::Layout;
use crate::model::storage_keys;
use crate::web::storage::{self, Store};

/// The folder view's layout this browser last chose (the list at first).
pub fn stored_layout() -> Layout {
    Layout::from_stored(storage::get(Store::Local, storage_keys::LAYOUT).as_deref())
}

/// Remembers `layout` in this browser (best effort: storage may be full or off).
pub fn store_layout(layout: Layout) {
    let _ = storage::set(Store::Local, storage_keys::LAYOUT, layout.as_stored());
}
