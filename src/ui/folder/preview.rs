//! The preview dialog: images and text shown in place (the first
//! [`PREVIEW_BYTES`] of a file), PDFs opened in a new tab.

use super::Folder;
use crate::app::browser;
use crate::model::listing::{self, Entry};
use crate::model::reading;
use crate::model::text;
use crate::ui::dialog::Modal;
use crate::ui::message::message_view;
use leptos::prelude::*;

/// Previews read at most this much of a file.
const PREVIEW_BYTES: u64 = 8 * 1024 * 1024;

#[derive(Clone, Debug)]
enum PreviewContent {
    Loading,
    Image(String),
    Text(String, bool),
    Opened,
    Failed(String),
}

#[component]
pub(super) fn PreviewDialog(folder: Folder, entry: Entry, close: Callback<()>) -> impl IntoView {
    let content = RwSignal::new(PreviewContent::Loading);
    let name = text::shown_name(&entry.name);
    let shown = name.clone();
    let kind = listing::preview_kind(&entry.name);
    leptos::task::spawn_local(async move {
        let session = folder.session();
        let shown = match kind {
            Some(listing::PreviewKind::Pdf) => {
                match reading::presigned_get(&session, &entry.key, 300, None).await {
                    Ok(url) => {
                        browser::open_in_new_tab(&url.url);
                        PreviewContent::Opened
                    }
                    Err(e) => PreviewContent::Failed(e.user_message(&format!("open {shown}"))),
                }
            }
            Some(kind) => {
                match reading::read_start(&session, &entry.key, PREVIEW_BYTES, None).await {
                    Ok(bytes) => match kind {
                        listing::PreviewKind::Image(mime) => {
                            match browser::object_url(&bytes, mime) {
                                Some(url) => PreviewContent::Image(url),
                                None => PreviewContent::Failed(
                                    "The browser could not show this image.".into(),
                                ),
                            }
                        }
                        _ => PreviewContent::Text(
                            String::from_utf8_lossy(&bytes).into_owned(),
                            entry.size > PREVIEW_BYTES,
                        ),
                    },
                    Err(e) => PreviewContent::Failed(e.user_message(&format!("preview {shown}"))),
                }
            }
            None => PreviewContent::Failed(
                "This kind of file has no preview; download it instead.".into(),
            ),
        };
        content.set(shown);
    });
    let close_and_clean = Callback::new(move |_| {
        if let PreviewContent::Image(url) = content.get_untracked() {
            browser::revoke_object_url(&url);
        }
        close.run(());
    });
    view! {
        <Modal title=name.clone() on_close=close_and_clean>
            {move || match content.get() {
                PreviewContent::Loading => view! { <p role="status">"Loading preview…"</p> }.into_any(),
                PreviewContent::Image(url) => view! { <img class="preview-image" src=url alt=format!("Preview of {name}") /> }.into_any(),
                PreviewContent::Text(text, cut) => view! {
                    // Focusable: a keyboard scrolls a long text.
                    <pre class="preview-text" tabindex="0">{text}</pre>
                    {cut.then(|| view! { <p class="hint">"Only the beginning of the file is shown."</p> })}
                }.into_any(),
                PreviewContent::Opened => view! { <p>"The PDF opened in a new tab."</p> }.into_any(),
                PreviewContent::Failed(message) => view! { <p class="error-text" role="alert">{message_view(message)}</p> }.into_any(),
            }}
            <div class="dialog-actions">
                <button class="button" autofocus on:click=move |_| close_and_clean.run(())>"Close"</button>
            </div>
        </Modal>
    }
}
