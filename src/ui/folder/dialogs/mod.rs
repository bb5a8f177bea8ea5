//! The folder's dialogs, one open at a time: new folder and rename ([`name`]),
//! move ([`move_to`], through the [`folder_picker`]), delete, share link, previous versions ([`versions`]) and
//! account details; the one-field prompt the name and move dialogs share ([`prompt`]).

mod delete;
mod details;
mod folder_picker;
mod link;
mod move_to;
mod name;
mod prompt;
mod versions;

use super::preview::PreviewDialog;
use super::Folder;
use crate::model::listing::Entry;
use delete::DeleteDialog;
use details::DetailsDialog;
use leptos::prelude::*;
use link::LinkDialog;
use move_to::MoveDialog;
use name::NameDialog;
use versions::VersionsDialog;

/// The folder picker, also in the selection's bulk move.
pub(super) use folder_picker::FolderPicker;

/// The dialog open over the folder.
#[derive(Clone, Debug)]
pub(super) enum Dialog {
    None,
    NewFolder,
    Rename(Entry),
    Move(Entry),
    Delete(Entry),
    Link(Entry),
    Preview(Entry),
    Versions(Entry),
    Details,
}

#[component]
pub(super) fn DialogHost(folder: Folder) -> impl IntoView {
    let close = Callback::new(move |_| folder.dialog.set(Dialog::None));
    move || match folder.dialog.get() {
        Dialog::None => ().into_any(),
        Dialog::NewFolder => {
            view! { <NameDialog folder=folder entry=None close=close /> }.into_any()
        }
        Dialog::Move(entry) => {
            view! { <MoveDialog folder=folder entry=entry close=close /> }.into_any()
        }
        Dialog::Rename(entry) => {
            view! { <NameDialog folder=folder entry=Some(entry) close=close /> }.into_any()
        }
        Dialog::Delete(entry) => {
            view! { <DeleteDialog folder=folder entry=entry close=close /> }.into_any()
        }
        Dialog::Link(entry) => {
            view! { <LinkDialog folder=folder entry=entry close=close /> }.into_any()
        }
        Dialog::Preview(entry) => {
            view! { <PreviewDialog folder=folder entry=entry close=close /> }.into_any()
        }
        Dialog::Versions(entry) => {
            view! { <VersionsDialog folder=folder entry=entry close=close /> }.into_any()
        }
        Dialog::Details => view! { <DetailsDialog folder=folder close=close /> }.into_any(),
    }
}
