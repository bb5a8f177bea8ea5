//! Delete, after a confirmation.

use super::super::Folder;
use crate::model::files;
use crate::model::listing::Entry;
use crate::model::text;
use crate::model::undo;
use crate::ui::dialog::Modal;
use crate::ui::message::message_view;
use leptos::prelude::*;

#[component]
pub(super) fn DeleteDialog(folder: Folder, entry: Entry, close: Callback<()>) -> impl IntoView {
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let name = text::shown_name(&entry.name);
    let what = if entry.is_folder() {
        format!("the folder {name} and everything in it")
    } else {
        name.clone()
    };
    let confirm = move |_| {
        busy.set(true);
        let entry = entry.clone();
        let name = name.clone();
        leptos::task::spawn_local(async move {
            let session = folder.session();
            let (result, offer) = undo::recorded(
                &session,
                "delete",
                vec![entry.key.clone()],
                files::delete_entry(&session, &entry),
            )
            .await;
            busy.set(false);
            match result {
                Ok(()) => {
                    close.run(());
                    folder.say_undoable(format!("{name} deleted."), offer);
                    // Its row is gone: the folder's heading takes the focus.
                    folder.reload_and_focus(None);
                }
                Err(e) => problem.set(Some(e.user_message(&format!("delete {name}")))),
            }
        });
    };
    view! {
        <Modal title="Delete?".to_string() on_close=close>
            <p>"Delete " <strong class="shown-name">{what}</strong> "?"</p>
            <p class="hint">{undo::UNDO_HINT}</p>
            {move || problem.get().map(|p| view! { <p class="error-text" role="alert">{message_view(p)}</p> })}
            <div class="dialog-actions">
                <button class="button" autofocus on:click=move |_| close.run(())>"Cancel"</button>
                <button class="button danger" id="confirm-delete" disabled=move || busy.get() on:click=confirm>
                    {move || if busy.get() { "Deleting…" } else { "Delete" }}
                </button>
            </div>
        </Modal>
    }
}
