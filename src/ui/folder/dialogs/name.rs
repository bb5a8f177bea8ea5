//! New folder and rename: one dialog asking for a name.

use super::super::Folder;
use super::prompt::{PromptDialog, PromptWork, Watch};
use crate::model::files;
use crate::model::listing::{self, Entry};
use crate::model::text;
use crate::model::undo;
use leptos::prelude::*;

/// New folder (no entry) or rename (an entry).
#[component]
pub(super) fn NameDialog(
    folder: Folder,
    entry: Option<Entry>,
    close: Callback<()>,
) -> impl IntoView {
    let title = match &entry {
        Some(e) => format!("Rename {}", text::shown_name(&e.name)),
        None => "New folder".to_string(),
    };
    let initial = entry.as_ref().map(|e| e.name.clone()).unwrap_or_default();
    let start = move |typed: String, watch: Watch| -> Result<PromptWork, String> {
        let name = typed.trim().to_string();
        listing::validate_name(&name)?;
        let entry = entry.clone();
        Ok(Box::pin(async move {
            let session = folder.session();
            let prefix = folder.prefix.get_untracked();
            let shown = text::shown_name(&name);
            match &entry {
                None => files::create_folder(&session, &prefix, &name)
                    .await
                    .map(|()| (format!("Folder {shown} created."), Some(name.clone())))
                    .map_err(|e| e.user_message(&format!("create folder {shown}"))),
                Some(e) => {
                    let old = text::shown_name(&e.name);
                    let suffix = if e.is_folder() { "/" } else { "" };
                    // Beside it, wherever it is (a search shows files of every folder).
                    let parent = listing::parent_prefix(&e.key);
                    let new_key = format!("{parent}{name}{suffix}");
                    let (result, offer) = undo::recorded(
                        &session,
                        "rename",
                        vec![e.key.clone(), new_key.clone()],
                        files::move_entry_watched(&session, e, &new_key, &|done, total| {
                            watch.go_on(done, total)
                        }),
                    )
                    .await;
                    result
                        .map(|()| {
                            let notice = format!("{old} renamed to {shown}.");
                            (folder.keep_undo(notice, offer), Some(name.clone()))
                        })
                        .map_err(|err| err.user_message(&format!("rename {old} to {shown}")))
                }
            }
        }) as PromptWork)
    };
    view! {
        <PromptDialog folder=folder title=title label="Name" ids=("name-input", "name-ok")
            ok_label="OK" initial=initial close=close start=Box::new(start) />
    }
}
