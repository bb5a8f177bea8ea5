//! Share link: a presigned GET for the lifetime picked, copied to the clipboard.

use super::super::Folder;
use crate::app::browser;
use crate::model::listing::Entry;
use crate::model::reading;
use crate::model::share_link::{self, LifetimeChoices};
use crate::model::text;
use crate::ui::dialog::Modal;
use crate::ui::message::message_view;
use leptos::prelude::*;

#[component]
pub(super) fn LinkDialog(folder: Folder, entry: Entry, close: Callback<()>) -> impl IntoView {
    // Offered once the credentials that will sign the link are known (renewed
    // first when due): only lifetimes they outlive.
    let choices = RwSignal::new(None::<LifetimeChoices>);
    let lifetime = RwSignal::new(0u64);
    let link = RwSignal::new(None::<(String, u64, u64)>);
    let problem = RwSignal::new(None::<String>);
    let copied = RwSignal::new(false);
    let name = text::shown_name(&entry.name);
    leptos::task::spawn_local(async move {
        let session = folder.session();
        match session.credentials().await {
            Ok(_) => {
                let offered = share_link::lifetime_choices(session.credentials_seconds_left());
                lifetime.set(offered.default);
                choices.set(Some(offered));
            }
            Err(e) => problem.set(Some(e.user_message())),
        }
    });
    let until = |secs: u64| browser::format_local((browser::now_millis() / 1000.0) as u64 + secs);
    let make = move |_| {
        let entry = entry.clone();
        copied.set(false);
        leptos::task::spawn_local(async move {
            let session = folder.session();
            let asked = lifetime.get_untracked();
            match reading::presigned_get(&session, &entry.key, asked, None).await {
                Ok(url) => {
                    let ok = browser::copy_text(&url.url).await;
                    copied.set(ok);
                    link.set(Some((url.url, url.expires_in_seconds, asked)));
                }
                Err(e) => problem.set(Some(e.user_message("make a link"))),
            }
        });
    };
    view! {
        <Modal title=format!("Link to {name}") on_close=close>
            <p>"Anyone with the link can download this file until it expires."</p>
            {move || choices.get().map(|offered| view! {
                <label for="link-life">"Link works for"</label>
                <select id="link-life" on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse() { lifetime.set(v); }
                }>
                    {offered.offered.iter().map(|&secs| view! {
                        <option value=secs.to_string() selected=secs == offered.default>{text::duration(secs)}</option>
                    }).collect_view()}
                </select>
                <p class="hint" id="link-until">"Until " {move || until(lifetime.get())}
                    ". Your session's temporary AWS credentials sign the link, so it cannot work longer than they do."</p>
                <button class="button primary" id="make-link" on:click=make.clone()>"Create link"</button>
            })}
            {move || link.get().map(|(url, secs, asked)| {
                let until = until(secs);
                let capped = secs < asked;
                view! {
                    <input type="text" readonly class="link-url" aria-label="Link" prop:value=url />
                    <p>{move || if copied.get() { "Copied to the clipboard. " } else { "" }}
                       "It works until " {until} "."</p>
                    {capped.then(|| view! {
                        <p class="warning">"That is shorter than you asked: a link cannot outlive your \
                            session's temporary AWS credentials, which expire then."</p>
                    })}
                }
            })}
            {move || problem.get().map(|p| view! { <p class="error-text" role="alert">{message_view(p)}</p> })}
            <div class="dialog-actions">
                <button class="button" on:click=move |_| close.run(())>"Close"</button>
            </div>
        </Modal>
    }
}
