//! The one-field dialog behind new folder, rename and move.

use super::super::Folder;
use crate::model::transport::LocalFuture;
use crate::ui::dialog::Modal;
use crate::ui::message::message_view;
use leptos::prelude::*;

/// Work a prompt starts once its value passed the check: on success the notice
/// to show and the name of the row to focus after the reload (`None`: the row
/// left this folder, the folder's heading takes the focus); else the problem to
/// show in the dialog.
pub(super) type PromptWork = LocalFuture<'static, Result<(String, Option<String>), String>>;

/// A one-field dialog: `start` checks the typed value (an `Err` is shown at once)
/// and returns the work; success closes the dialog, shows the notice, reloads and
/// focuses the row the work names.
#[component]
pub(super) fn PromptDialog(
    folder: Folder,
    title: String,
    label: &'static str,
    /// Element ids of the input and the OK button (tests and labels use them).
    ids: (&'static str, &'static str),
    ok_label: &'static str,
    initial: String,
    close: Callback<()>,
    start: Box<dyn Fn(String) -> Result<PromptWork, String>>,
) -> impl IntoView {
    let (input_id, ok_id) = ids;
    // Children of the modal must be Send; the closure is kept in the local arena.
    let start = StoredValue::new_local(start);
    let value = RwSignal::new(initial);
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let work = match start.with_value(|start| start(value.get_untracked())) {
            Ok(work) => work,
            Err(p) => {
                problem.set(Some(p));
                return;
            }
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = work.await;
            busy.set(false);
            match result {
                Ok((notice, focus)) => {
                    close.run(());
                    folder.say(notice);
                    folder.reload_and_focus(focus);
                }
                Err(message) => problem.set(Some(message)),
            }
        });
    };
    view! {
        <Modal title=title on_close=close>
            <form on:submit=submit>
                <label for=input_id>{label}</label>
                <input id=input_id type="text" autofocus
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev)) />
                {move || problem.get().map(|p| view! { <p class="error-text" role="alert">{message_view(p)}</p> })}
                <div class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| close.run(())>"Cancel"</button>
                    <button type="submit" class="button primary" id=ok_id disabled=move || busy.get()>
                        {move || if busy.get() { "Working…" } else { ok_label }}
                    </button>
                </div>
            </form>
        </Modal>
    }
}
