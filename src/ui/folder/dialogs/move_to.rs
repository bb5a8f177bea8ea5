//! Move: a dialog with a folder picker ([`FolderPicker`]) and the chosen path
//! in a field that can be typed in too.

use super::super::Folder;
use super::folder_picker::FolderPicker;
use super::prompt::{PromptDialog, PromptWork, Watch};
use crate::model::files;
use crate::model::folder_tree;
use crate::model::listing::{self, Entry};
use crate::model::text;
use crate::model::undo;
use leptos::prelude::*;

#[component]
pub(super) fn MoveDialog(folder: Folder, entry: Entry, close: Callback<()>) -> impl IntoView {
    let root = folder.session().root_prefix();
    // Start from the folder it is in (a search shows files of every folder), relative to the user's root.
    let here = listing::parent_prefix(&entry.key)
        .strip_prefix(&root)
        .unwrap_or("")
        .trim_end_matches('/')
        .to_string();
    let name = text::shown_name(&entry.name);
    let title = format!("Move {name}");
    let chosen = RwSignal::new(here.clone());
    // A path typed again after the case warning: the person meant a new folder.
    let confirmed = RwSignal::new(None::<String>);
    let excluded = entry.is_folder().then(|| entry.key.clone());
    let start = move |typed: String, watch: Watch| -> Result<PromptWork, String> {
        let target = listing::move_target(&root, &typed, &entry)?;
        let entry = entry.clone();
        let name = name.clone();
        let root = root.clone();
        Ok(Box::pin(async move {
            let session = folder.session();
            let path: Vec<&str> = typed
                .split('/')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            let path = path.join("/");
            if confirmed.get_untracked().as_deref() != Some(typed.as_str()) {
                let clash = folder_tree::case_clash(&session, &root, &typed)
                    .await
                    .map_err(|e| e.user_message("check the folders"))?;
                if let Some(twin) = clash {
                    confirmed.set(Some(typed.clone()));
                    return Err(format!(
                        "There is a folder {} already: names differ in case, so {} would be a \
                         new folder beside it. Choose {} in the list, or press Move again to \
                         make the new folder.",
                        text::shown_name(&twin),
                        text::shown_name(&path),
                        text::shown_name(&twin)
                    ));
                }
            }
            let to = if path.is_empty() {
                "My files".to_string()
            } else {
                text::shown_name(&path)
            };
            let (result, offer) = undo::recorded(
                &session,
                "move",
                vec![entry.key.clone(), target.clone()],
                files::move_entry_watched(&session, &entry, &target, &|done, total| {
                    watch.go_on(done, total)
                }),
            )
            .await;
            result
                .map(|()| {
                    (
                        folder.keep_undo(format!("{name} moved to {to}."), offer),
                        None,
                    )
                })
                .map_err(|e| e.user_message(&format!("move {name}")))
        }) as PromptWork)
    };
    view! {
        <PromptDialog folder=folder title=title
            label="Or type a folder path (for example photos/2024; empty for My files)"
            ids=("move-input", "move-ok") ok_label="Move" initial=here close=close
            start=Box::new(start) value=chosen>
            <FolderPicker folder=folder chosen=chosen excluded=excluded />
        </PromptDialog>
    }
}
