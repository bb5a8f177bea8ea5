//! "Download as zip": the open folder saved as one zip written while its files
//! download (`model::archive`), through the best way this browser has
//! (`browser::save_way`), with one progress line and Cancel.

use super::Folder;
use crate::app::browser::{self, SaveWay};
use crate::model::archive::{self, Progress, ZipFailure, ZipSink};
use crate::model::listing::{format_size, Entry};
use crate::model::text;
use crate::model::transport::AbortSignal;
use crate::ui::message::message_view;
use leptos::prelude::*;

/// One zip being made (at most one at a time per folder view).
#[derive(Clone)]
pub(super) struct ZipRun {
    name: String,
    way: SaveWay,
    progress: Progress,
    phase: Phase,
    abort: AbortSignal,
}

#[derive(Clone, PartialEq, Eq)]
enum Phase {
    Listing,
    Writing,
    Done,
    Cancelled,
    Failed(String),
}

/// The zip in progress or just ended, if any.
pub(super) type Zipping = RwSignal<Option<ZipRun>, LocalStorage>;

pub(super) fn zipping() -> Zipping {
    RwSignal::new_local(None)
}

/// What to zip.
#[derive(Clone)]
pub(super) enum ZipWhat {
    /// The open folder, named relative to it.
    OpenFolder,
    /// Entries of the open folder (a selection: files and folders), named
    /// relative to it: the selection's bulk action.
    Entries(Vec<Entry>),
}

/// Starts the zip of the open folder, or of entries in it. The save picker
/// opens first, while the click still counts as the user's (the browser asks
/// for that).
pub(super) fn start(folder: Folder, zipping: Zipping, what: ZipWhat) {
    if zipping.with_untracked(|z| {
        z.as_ref()
            .is_some_and(|z| matches!(z.phase, Phase::Listing | Phase::Writing))
    }) {
        return;
    }
    let session = folder.session();
    let prefix = folder.prefix.get_untracked();
    let name = archive::zip_name(&session.root_prefix(), &prefix);
    let way = browser::save_way();
    let abort = AbortSignal::new();
    zipping.set(Some(ZipRun {
        name: name.clone(),
        way,
        progress: Progress::default(),
        phase: Phase::Listing,
        abort: abort.clone(),
    }));
    let set_phase = move |phase: Phase| {
        zipping.update(|z| {
            if let Some(z) = z {
                z.phase = phase;
            }
        });
    };
    leptos::task::spawn_local(async move {
        let mut sink: Option<Box<dyn ZipSink>> = None;
        if way == SaveWay::Picker {
            match browser::pick_zip_file(&name).await {
                Ok(Some(picked)) => sink = Some(picked),
                Ok(None) => return zipping.set(None),
                Err(e) => return set_phase(Phase::Failed(could_not_save(&e))),
            }
        }
        let plan = match &what {
            ZipWhat::OpenFolder => archive::plan_folder(&session, &prefix).await,
            ZipWhat::Entries(entries) => archive::plan_entries(&session, &prefix, entries).await,
        };
        let plan = match plan {
            Ok(plan) => plan,
            Err(e) => {
                sink.inspect(|s| s.abort());
                return set_phase(Phase::Failed(e.user_message("list the files for the zip")));
            }
        };
        if abort.is_aborted() {
            sink.inspect(|s| s.abort());
            return set_phase(Phase::Cancelled);
        }
        let sink = match (sink, way) {
            (Some(sink), _) => sink,
            (None, SaveWay::Worker) => match browser::worker_download(&name).await {
                Ok(sink) => sink,
                Err(e) => return set_phase(Phase::Failed(could_not_save(&e))),
            },
            (None, _) if plan.archive_size() > browser::MEMORY_LIMIT => {
                return set_phase(Phase::Failed(format!(
                    "This zip would be {}, and this browser can only build a zip in memory, \
                     up to {}. Download the folders inside one by one, or use a browser that \
                     can save as it goes (Chrome, Edge, Firefox).",
                    format_size(plan.archive_size()),
                    format_size(browser::MEMORY_LIMIT)
                )));
            }
            (None, _) => browser::memory_download(&name),
        };
        set_phase(Phase::Writing);
        let progress = move |p: Progress| {
            zipping.update(|z| {
                if let Some(z) = z {
                    z.progress = p;
                }
            });
        };
        let result = archive::write_zip(&session, &plan, &*sink, &abort, &progress).await;
        set_phase(match result {
            Ok(()) => Phase::Done,
            Err(ZipFailure::Cancelled) => Phase::Cancelled,
            Err(ZipFailure::Failed(message)) => Phase::Failed(message),
        });
    });
}

fn could_not_save(reason: &str) -> String {
    format!("Could not save the zip: {reason}.")
}

/// The progress line: what is being zipped, how far, Cancel; then how it ended.
#[component]
pub(super) fn ZipLine(zipping: Zipping) -> impl IntoView {
    move || {
        zipping.get().map(|run| {
            let name = text::shown_name(&run.name);
            let Progress {
                files_done,
                files_total,
                bytes_done,
                bytes_total,
            } = run.progress;
            let busy = matches!(run.phase, Phase::Listing | Phase::Writing);
            let line = match &run.phase {
                Phase::Listing => format!("Zipping “{name}”: listing the files…"),
                Phase::Writing => format!(
                    "Zipping “{name}”: {} of {}, {} of {}",
                    text::number(files_done as u64),
                    text::count(files_total as u64, "file", "files"),
                    format_size(bytes_done),
                    format_size(bytes_total)
                ),
                Phase::Done if run.way == SaveWay::Picker => format!("Saved “{name}”."),
                Phase::Done => format!("“{name}” is in your downloads."),
                Phase::Cancelled => format!("Stopped: “{name}” was not saved."),
                Phase::Failed(message) => message.clone(),
            };
            let memory_note = (busy && run.way == SaveWay::Memory).then(|| {
                view! {
                    <small class="details">
                        {format!(
                            "This browser keeps the zip in memory until it is whole, up to {}.",
                            format_size(browser::MEMORY_LIMIT)
                        )}
                    </small>
                }
            });
            // Whole numbers: an `f64` attribute would bring float printing (12 KB).
            let (max, value) = (bytes_total.max(1).to_string(), bytes_done.to_string());
            let abort = run.abort.clone();
            let failed = matches!(run.phase, Phase::Failed(_));
            view! {
                <div class="panel zip-line" class:error=failed
                    role=if failed { "alert" } else { "status" } id="zip-line">
                    <p class="zip-text">{message_view(line)}{memory_note}</p>
                    {busy.then(|| view! {
                        <progress aria-label="Zip progress" max=max value=value></progress>
                        <button class="button" on:click=move |_| abort.abort()>"Cancel zip"</button>
                    })}
                    {(!busy).then(|| view! {
                        <button class="link dismiss" aria-label="Dismiss zip message"
                            on:click=move |_| zipping.set(None)>"×"</button>
                    })}
                </div>
            }
        })
    }
}
