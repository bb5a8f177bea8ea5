//! Details: the open folder's files and total size, counted over its whole tree
//! ([`tree_totals::tree_totals`], a running count while the pages come, stopped when the
//! dialog closes), and the account: who is signed in, the identity id and the
//! folder.

use super::super::Folder;
use crate::model::listing;
use crate::model::text;
use crate::model::transport::AbortSignal;
use crate::model::tree_totals::{self, TreeTotals};
use crate::ui::dialog::Modal;
use crate::ui::message::message_view;
use leptos::prelude::*;

/// Stops the count when the dialog goes (dropped with it).
struct StopCount(AbortSignal);

impl Drop for StopCount {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Where the count is.
#[derive(Clone, Debug, PartialEq)]
enum Count {
    Running(TreeTotals),
    Done(TreeTotals),
    Failed(String),
}

#[component]
pub(super) fn DetailsDialog(folder: Folder, close: Callback<()>) -> impl IntoView {
    let session = folder.session();
    let who = session.tokens().display_name();
    let identity_id = session.identity_id().to_string();
    let root = session.root_prefix();
    let prefix = folder.prefix.get_untracked();
    let here = listing::breadcrumbs(&root, &prefix)
        .pop()
        .map(|(label, _)| text::shown_name(&label))
        .unwrap_or_default();
    let count = RwSignal::new(Count::Running(TreeTotals::default()));
    let abort = AbortSignal::new();
    StoredValue::new_local(StopCount(abort.clone()));
    leptos::task::spawn_local(async move {
        let progress = |t| {
            let _ = count.try_set(Count::Running(t));
        };
        let done = match tree_totals::tree_totals(&session, &prefix, &abort, &progress).await {
            Ok(totals) => Count::Done(totals),
            Err(e) => Count::Failed(e.user_message("count the files in this folder")),
        };
        if !abort.is_aborted() {
            let _ = count.try_set(done);
        }
    });
    let files = move || match count.get() {
        Count::Running(t) | Count::Done(t) => text::count(t.files, "file", "files"),
        Count::Failed(_) => "—".to_string(),
    };
    let size = move || match count.get() {
        Count::Running(t) | Count::Done(t) => format!(
            "{} ({})",
            listing::format_size(t.bytes),
            text::count(t.bytes, "byte", "bytes")
        ),
        Count::Failed(_) => "—".to_string(),
    };
    // One line that says where the count is (a failure with its details line).
    let state = move || {
        message_view(match count.get() {
            Count::Running(_) => "Counting… (so far)".to_string(),
            Count::Done(_) => "Every file in this folder and in its subfolders.".to_string(),
            Count::Failed(message) => message,
        })
    };
    view! {
        <Modal title="Details".to_string() on_close=close>
            <h3>"This folder"</h3>
            <dl class="details" id="folder-totals">
                <dt>"Folder"</dt><dd>{here}</dd>
                <dt>"Files"</dt><dd id="tree-files">{files}</dd>
                <dt>"Total size"</dt><dd id="tree-size">{size}</dd>
            </dl>
            <p class="hint" role="status">{state}</p>
            <h3>"Account"</h3>
            <dl class="details">
                <dt>"Signed in as"</dt><dd>{who}</dd>
                <dt>"Identity id"</dt><dd><code id="identity-id">{identity_id}</code></dd>
                <dt>"Folder"</dt><dd><code>{root}</code></dd>
            </dl>
            <p class="hint">"Your folder is named after your identity id from the Cognito identity pool, \
                not after your user id (sub): the bucket's access policy can only refer to the identity id."</p>
            <div class="dialog-actions">
                <button class="button" autofocus on:click=move |_| close.run(())>"Close"</button>
            </div>
        </Modal>
    }
}
