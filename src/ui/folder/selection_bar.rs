//! The selection toolbar, shown instead of the folder's toolbar while rows are
//! selected ("3 selected", the bulk actions, Clear), and the bulk dialogs: ask,
//! then one progress line ("12 of 40"), then what was done and a list of what
//! failed. The work is the model's ([`crate::model::bulk`]).
//!
//! Another action on the selection (such as "Download as zip") is one more
//! button in [`SelectionBar`] that takes [`selected`].

use super::dialogs::FolderPicker;
use super::picking::BulkAsk;
use super::Folder;
use crate::model::bulk::{self, BulkReport};
use crate::model::listing::{self, Entry};
use crate::model::text;
use crate::model::undo;
use crate::ui::dialog::Modal;
use crate::ui::message::message_view;
use leptos::prelude::*;

/// The selected entries, in the listing's order: what every bulk action takes.
pub(super) fn selected(folder: Folder) -> Vec<Entry> {
    folder.with_entries_untracked(|entries| {
        folder.rows.selection.with_untracked(|s| s.picked(entries))
    })
}

#[component]
pub(super) fn SelectionBar(folder: Folder, zipping: super::zip::Zipping) -> impl IntoView {
    let rows = folder.rows;
    let count = move || rows.selection.with(|s| s.len());
    view! {
        <div class="toolbar selection-bar" role="toolbar" aria-label="Selection actions">
            <span class="selected-count" id="selected-count">{move || format!("{} selected", count())}</span>
            <button class="button danger" id="bulk-delete" on:click=move |_| rows.bulk.set(BulkAsk::Delete)>"Delete"</button>
            <button class="button wide-only" id="bulk-move" on:click=move |_| rows.bulk.set(BulkAsk::Move)>"Move"</button>
            <button class="button wide-only" id="bulk-zip" on:click=move |_| {
                super::zip::start(folder, zipping, super::zip::ZipWhat::Entries(selected(folder)));
            }>"Download as zip"</button>
            <button class="button" id="clear-selection" on:click=move |_| {
                rows.selection.update(|s| s.clear());
                rows.refocus();
            }>"Clear"</button>
            // Narrow screens: Move and Download as zip in a menu, so the bar is one line.
            <super::toolbar::MoreButton label="More selection actions" id="more-selection"
                items=std::rc::Rc::new(move || {
                    let item = |label: &str, run: std::rc::Rc<dyn Fn()>| super::row_menu::MenuItem {
                        label: label.to_string(), danger: false, checked: None, run,
                    };
                    vec![
                        item("Move", std::rc::Rc::new(move || rows.bulk.set(BulkAsk::Move))),
                        item("Download as zip", std::rc::Rc::new(move || {
                            super::zip::start(folder, zipping, super::zip::ZipWhat::Entries(selected(folder)));
                        })),
                    ]
                }) />
        </div>
    }
}

/// Where a bulk action is.
#[derive(Clone, Debug, PartialEq)]
enum Phase {
    Ask,
    Running(usize, usize),
    Done(BulkReport),
}

/// The open bulk dialog, if any.
#[component]
pub(super) fn BulkHost(folder: Folder) -> impl IntoView {
    move || match folder.rows.bulk.get() {
        BulkAsk::None => None,
        ask => Some(view! { <BulkDialog folder=folder ask=ask /> }),
    }
}

#[component]
fn BulkDialog(folder: Folder, ask: BulkAsk) -> impl IntoView {
    let rows = folder.rows;
    let entries = StoredValue::new(selected(folder));
    let phase = RwSignal::new(Phase::Ask);
    let destination = RwSignal::new(
        folder
            .prefix
            .get_untracked()
            .strip_prefix(&folder.session().root_prefix())
            .unwrap_or("")
            .to_string(),
    );
    let deleting = ask == BulkAsk::Delete;
    let what = move || {
        let n = entries.with_value(Vec::len) as u64;
        text::count(n, "selected item", "selected items")
    };
    let title = if deleting {
        "Delete the selection?"
    } else {
        "Move the selection"
    };
    let close = Callback::new(move |_| {
        // Working: the dialog stays until the work is done.
        if !matches!(phase.get_untracked(), Phase::Running(..)) {
            rows.bulk.set(BulkAsk::None);
        }
    });
    let start = move || {
        phase.set(Phase::Running(0, 0));
        let entries = entries.get_value();
        let typed = destination.get_untracked();
        leptos::task::spawn_local(async move {
            let session = folder.session();
            let progress = move |done, total| phase.set(Phase::Running(done, total));
            // Undo covers every entry and, for a move, each one's new place.
            let root = session.root_prefix();
            let mut scopes: Vec<String> = entries.iter().map(|e| e.key.clone()).collect();
            if !deleting {
                scopes.extend(
                    entries
                        .iter()
                        .filter_map(|e| listing::move_target(&root, &typed, e).ok()),
                );
            }
            let (report, offer) = if deleting {
                let work = bulk::delete(&session, &entries, &progress);
                undo::recorded(&session, "delete", scopes, work).await
            } else {
                let work = bulk::move_to(&session, &entries, &typed, &progress);
                undo::recorded(&session, "move", scopes, work).await
            };
            let summary = report.summary(if deleting { "deleted" } else { "moved" });
            folder.say_undoable(summary, offer);
            folder.reload();
            phase.set(Phase::Done(report));
        });
    };
    let body = move || {
        match phase.get() {
        Phase::Ask if deleting => view! {
            <p>"Delete " {what()} "? Folders are deleted with everything in them."</p>
            <p class="hint">{crate::model::undo::UNDO_HINT}</p>
            <div class="dialog-actions">
                <button class="button" autofocus on:click=move |_| close.run(())>"Cancel"</button>
                <button class="button danger" id="confirm-bulk-delete" on:click=move |_| start()>"Delete"</button>
            </div>
        }.into_any(),
        Phase::Ask => view! {
            <form on:submit=move |ev| { ev.prevent_default(); start(); }>
                <p>"Move " {what()} " to:"</p>
                <FolderPicker folder=folder chosen=destination excluded=None />
                <label for="bulk-move-input">"Or type a folder path (for example photos/2024; empty for My files)"</label>
                <input id="bulk-move-input" type="text" autofocus prop:value=move || destination.get()
                    on:input=move |ev| destination.set(event_target_value(&ev)) />
                <div class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| close.run(())>"Cancel"</button>
                    <button type="submit" class="button primary" id="bulk-move-ok">"Move"</button>
                </div>
            </form>
        }.into_any(),
        Phase::Running(done, total) => view! {
            <p role="status" id="bulk-progress">
                {if deleting { "Deleting… " } else { "Moving… " }}
                {if total == 0 { String::new() } else { format!("{done} of {total}") }}
            </p>
        }.into_any(),
        Phase::Done(report) => {
            let summary = report.summary(if deleting { "deleted" } else { "moved" });
            let failed = (!report.failures.is_empty()).then(|| view! {
                <p>{text::count(report.failures.len() as u64, "item was not done:", "items were not done:")}</p>
                <ul class="bulk-failures" id="bulk-failures">
                    {report.failures.into_iter().map(|f| view! {
                        <li><strong class="shown-name">{f.path}</strong>" "{message_view(f.message)}</li>
                    }).collect_view()}
                </ul>
            });
            // The button that had the focus is gone: the report's Close takes it.
            let done = NodeRef::<leptos::html::Button>::new();
            done.on_load(|b| {
                let _ = b.focus();
            });
            view! {
                <p role="status" id="bulk-summary">{summary}</p>
                {failed}
                <div class="dialog-actions">
                    <button class="button" node_ref=done on:click=move |_| close.run(())>"Close"</button>
                </div>
            }.into_any()
        }
    }
    };
    view! {
        <Modal title=title.to_string() on_close=close>
            {body}
        </Modal>
    }
}
