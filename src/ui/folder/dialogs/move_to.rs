//! Move: a dialog asking for the destination folder.

use super::super::Folder;
use super::prompt::{PromptDialog, PromptWork};
use crate::model::files;
use crate::model::listing::{self, Entry};
use crate::model::text;
use leptos::prelude::*;

#[component]
pub(super) fn MoveDialog(folder: Folder, entry: Entry, close: Callback<()>) -> impl IntoView {
    let root = folder.session().root_prefix();
    // Start from the folder it is in, relative to the user's root.
    let here = folder
        .prefix
        .get_untracked()
        .strip_prefix(&root)
        .unwrap_or("")
        .to_string();
    let name = text::shown_name(&entry.name);
    let title = format!("Move {name}");
    let start = move |typed: String| -> Result<PromptWork, String> {
        let target = listing::move_target(&root, &typed, &entry)?;
        let entry = entry.clone();
        let name = name.clone();
        Ok(Box::pin(async move {
            let session = folder.session();
            files::move_entry(&session, &entry, &target)
                .await
                .map(|()| (format!("{name} moved."), None))
                .map_err(|e| e.user_message(&format!("move {name}")))
        }) as PromptWork)
    };
    view! {
        <PromptDialog folder=folder title=title
            label="Destination folder (for example photos/2024; empty for My files)"
            ids=("move-input", "move-ok") ok_label="Move" initial=here close=close
            start=Box::new(start) />
    }
}
