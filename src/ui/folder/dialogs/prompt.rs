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

/// What a running prompt's work shares with its dialog: how far it is (objects
/// done, of how many) and whether Cancel asked it to stop.
#[derive(Clone, Copy)]
pub(super) struct Watch {
    progress: RwSignal<Option<(usize, usize)>>,
    stop: RwSignal<bool>,
}

impl Watch {
    /// Records `done` of `total`; answers whether to go on (Cancel not pressed).
    pub(super) fn go_on(&self, done: usize, total: usize) -> bool {
        self.progress.set(Some((done, total)));
        !self.stop.get_untracked()
    }
}

/// A one-field dialog: `start` checks the typed value (an `Err` is shown at once)
/// and returns the work; success closes the dialog, shows the notice, reloads and
/// focuses the row the work names. Cancel during the work stops it (through
/// [`Watch`]): the dialog closes, the notice says what was done and the folder reloads.
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
    start: Box<dyn Fn(String, Watch) -> Result<PromptWork, String>>,
    /// The field's value, when something beside the field sets it too (the
    /// move dialog's folder picker); `initial` goes into it.
    #[prop(optional)]
    value: Option<RwSignal<String>>,
    /// Shown above the field (the move dialog's folder picker).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let (input_id, ok_id) = ids;
    // Children of the modal must be Send; the closure is kept in the local arena.
    let start = StoredValue::new_local(start);
    let value = value.unwrap_or_default();
    value.set(initial);
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let watch = Watch {
        progress: RwSignal::new(None),
        stop: RwSignal::new(false),
    };
    let cancel = Callback::new(move |_| {
        if busy.get_untracked() {
            watch.stop.set(true);
        } else {
            close.run(());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let work = match start.with_value(|start| start(value.get_untracked(), watch)) {
            Ok(work) => work,
            Err(p) => {
                problem.set(Some(p));
                return;
            }
        };
        busy.set(true);
        watch.stop.set(false);
        watch.progress.set(None);
        leptos::task::spawn_local(async move {
            let result = work.await;
            busy.set(false);
            match result {
                Ok((notice, focus)) => {
                    close.run(());
                    folder.say(notice);
                    folder.reload_and_focus(focus);
                }
                Err(message) if watch.stop.get_untracked() => {
                    close.run(());
                    folder.say(message);
                    folder.reload_and_focus(None);
                }
                Err(message) => problem.set(Some(message)),
            }
        });
    };
    view! {
        <Modal title=title on_close=cancel>
            <form on:submit=submit>
                {children.map(|c| c())}
                <label for=input_id>{label}</label>
                <input id=input_id type="text" autofocus
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev)) />
                {move || busy.get().then(|| view! {
                    <p class="prompt-progress" id="prompt-progress" role="status">{move || match watch.progress.get() {
                        _ if watch.stop.get() => "Stopping after the current item…".to_string(),
                        Some((done, total)) if total > 1 => format!("{done} of {total} items copied…"),
                        _ => "Working…".to_string(),
                    }}</p>
                })}
                {move || problem.get().map(|p| view! { <p class="error-text" role="alert">{message_view(p)}</p> })}
                <div class="dialog-actions">
                    <button type="button" class="button" id="prompt-cancel"
                        on:click=move |_| cancel.run(())>"Cancel"</button>
                    <button type="submit" class="button primary" id=ok_id disabled=move || busy.get()>
                        {move || if busy.get() { "Working…" } else { ok_label }}
                    </button>
                </div>
            </form>
        </Modal>
    }
}
