//! Account details: who is signed in, the identity id and the folder.

use super::super::Folder;
use crate::ui::dialog::Modal;
use leptos::prelude::*;

#[component]
pub(super) fn DetailsDialog(folder: Folder, close: Callback<()>) -> impl IntoView {
    let session = folder.session();
    let who = session.tokens().display_name();
    let identity_id = session.identity_id().to_string();
    let root = session.root_prefix();
    drop(session);
    view! {
        <Modal title="Account details".to_string() on_close=close>
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
