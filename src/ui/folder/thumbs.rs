//! Thumbnails of the image rows in view, and each row's icon: the list tells
//! [`Thumbs::want`] which image rows are on screen (top to bottom), the model's
//! [`Thumbnails`] says which reads start and which stop, and each read is one
//! signed GET through `Session::s3` with an abort signal (cut off at the network
//! when its row scrolls away). The bytes become a `blob:` URL typed by the name's
//! extension, so the page's `img-src 'self' blob:` stays as it is and nothing from
//! the bucket's origin is embedded; URLs are revoked when the cache drops them
//! and when the list goes.

use super::Folder;
use crate::app::browser;
use crate::model::file_kind::{self, THUMBNAIL_MAX_BYTES};
use crate::model::listing::{self, Entry, PreviewKind};
use crate::model::reading;
use crate::model::session::CallError;
use crate::model::thumbnails::{Outcome, Plan, ThumbId, Thumbnails};
use crate::model::transport::AbortSignal;
use leptos::prelude::*;

/// The list's thumbnails: what is made, and the reads running (by ticket).
#[derive(Clone, Copy)]
pub(super) struct Thumbs {
    state: StoredValue<State, LocalStorage>,
    /// Bumped when a thumbnail is made: rows look again.
    made: RwSignal<u64>,
}

#[derive(Default)]
struct State {
    thumbnails: Thumbnails<String>,
    running: Vec<(u64, AbortSignal)>,
}

/// The thumbnail's id of `entry`, when it gets one.
fn thumb_of(entry: &Entry) -> Option<ThumbId> {
    file_kind::thumbnail_type(entry)?;
    Some((entry.key.clone(), entry.size, entry.last_modified))
}

impl Thumbs {
    /// Starts empty; everything made is released when the list goes.
    pub fn new() -> Thumbs {
        let thumbs = Thumbs {
            state: StoredValue::new_local(State::default()),
            made: RwSignal::new(0),
        };
        on_cleanup(move || {
            if let Some((tickets, urls)) = thumbs.state.try_update_value(|s| s.thumbnails.clear()) {
                thumbs.stop(&tickets);
                urls.iter().for_each(|u| browser::revoke_object_url(u));
            }
        });
        thumbs
    }

    /// The rows now on screen, top to bottom: their image rows get thumbnails.
    pub fn want(&self, folder: Folder, rows: &[Entry]) {
        let wanted = rows.iter().filter_map(thumb_of).collect();
        if let Some(plan) = self.state.try_update_value(|s| s.thumbnails.want(wanted)) {
            self.run(folder, plan);
        }
    }

    /// Stops the reads the plan aborts and starts its new ones; each that ends
    /// may start the next.
    fn run(&self, folder: Folder, plan: Plan) {
        self.stop(&plan.abort);
        let this = *self;
        for ((key, _, _), ticket) in plan.start {
            let signal = AbortSignal::new();
            self.state
                .update_value(|s| s.running.push((ticket, signal.clone())));
            leptos::task::spawn_local(async move {
                let session = folder.session();
                let read = reading::read_start(&session, &key, THUMBNAIL_MAX_BYTES, Some(signal));
                let outcome = match (read.await, listing::preview_kind(&key)) {
                    (Err(CallError::Aborted), _) => Outcome::Aborted,
                    (Ok(bytes), Some(PreviewKind::Image(mime))) => {
                        browser::object_url(&bytes, mime).map_or(Outcome::Failed, Outcome::Made)
                    }
                    _ => Outcome::Failed,
                };
                let made = match &outcome {
                    Outcome::Made(url) => Some(url.clone()),
                    _ => None,
                };
                let Some((next, released)) = this.state.try_update_value(|s| {
                    s.running.retain(|(t, _)| *t != ticket);
                    s.thumbnails.finished(ticket, outcome)
                }) else {
                    // The list went while this read ran.
                    made.inspect(|url| browser::revoke_object_url(url));
                    return;
                };
                released.iter().for_each(|u| browser::revoke_object_url(u));
                if made.is_some() {
                    this.made.update(|n| *n += 1);
                }
                this.run(folder, next);
            });
        }
    }

    /// Aborts the reads of `tickets`.
    fn stop(&self, tickets: &[u64]) {
        for ticket in tickets {
            let running = self.state.try_update_value(|s| {
                let at = s.running.iter().position(|(t, _)| t == ticket)?;
                Some(s.running.remove(at).1)
            });
            if let Some(signal) = running.flatten() {
                signal.abort();
            }
        }
    }

    /// The URL of `entry`'s thumbnail, once made (tracked: the row redraws when
    /// one is made).
    pub fn url(&self, entry: &Entry) -> Option<String> {
        self.made.track();
        let id = thumb_of(entry)?;
        self.state.with_value(|s| s.thumbnails.get(&id))
    }
}

/// A row's icon by its kind, hidden by the stylesheet once its thumbnail shows
/// (decorative either way: the row's name is its text). An image the browser
/// cannot decode leaves the icon. One fixed view: no per-state copies.
#[component]
pub(super) fn ItemIcon(thumbs: Thumbs, entry: Entry) -> impl IntoView {
    let class = file_kind::file_kind(&entry).icon_class();
    let broken = RwSignal::new(false);
    view! {
        <img class="thumb" class:broken=move || broken.get() src=move || thumbs.url(&entry) alt=""
            on:error=move |_| broken.set(true) />
        <span class=class aria-hidden="true"></span>
    }
}
