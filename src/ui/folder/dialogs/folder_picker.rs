//! The folder picker: a tree of the user's folders (the ARIA tree pattern: one
//! Tab stop, arrows move and open, Enter or Space chooses), each level listed
//! when opened ([`folder_tree`]), with "New folder" inside it.

use super::super::Folder;
use crate::model::files;
use crate::model::folder_tree::{self, Children, FolderTree, Node};
use crate::model::listing;
use crate::model::text;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Focuses the visible node at `index` (the tree's items are in display order).
fn focus(index: usize) {
    let items = document().query_selector_all("#folder-tree [role=treeitem]");
    if let Some(e) = items.ok().and_then(|items| items.item(index as u32)) {
        let _ = e.unchecked_into::<web_sys::HtmlElement>().focus();
    }
}

/// A folder tree from "My files": `chosen` holds the chosen folder's path below
/// the user's folder ("" for My files; typing elsewhere may set it too), opened
/// down to it at the start. `excluded`: a folder being moved, never offered.
#[component]
pub(in crate::ui::folder) fn FolderPicker(
    folder: Folder,
    chosen: RwSignal<String>,
    excluded: Option<String>,
) -> impl IntoView {
    let root = folder.session().root_prefix();
    let tree = RwSignal::new(FolderTree::new(&root, excluded.as_deref()));
    // The node holding the tree's one Tab stop.
    let current = RwSignal::new(root.clone());
    let load = move |prefix: String| async move {
        let session = folder.session();
        let listing = folder_tree::subfolders(&session, &prefix)
            .await
            .map_err(|e| e.user_message("list the folders"));
        tree.update(|t| t.loaded(&prefix, listing));
    };
    let expand = move |prefix: String| {
        if tree.try_update(|t| t.expand(&prefix)).unwrap_or(false) {
            leptos::task::spawn_local(load(prefix));
        }
    };
    // Open the levels down to the folder chosen at the start.
    {
        let start = chosen.get_untracked();
        let root = root.clone();
        leptos::task::spawn_local(async move {
            let mut prefix = root;
            let segments: Vec<String> = start.split('/').map(str::to_string).collect();
            for segment in std::iter::once(String::new()).chain(segments) {
                if !segment.is_empty() {
                    prefix = format!("{prefix}{segment}/");
                }
                if tree.with_untracked(|t| t.node(&prefix).is_none()) {
                    break;
                }
                current.set(prefix.clone());
                if tree.try_update(|t| t.expand(&prefix)).unwrap_or(false) {
                    load(prefix.clone()).await;
                }
            }
        });
    }
    let choose = move |prefix: &str| {
        chosen.set(tree.with_untracked(|t| t.path_of(prefix)));
        current.set(prefix.to_string());
    };
    let keydown = move |ev: leptos::ev::KeyboardEvent| {
        let nodes = tree.with_untracked(FolderTree::visible);
        let here = current.get_untracked();
        let Some(at) = nodes.iter().position(|n| n.prefix == here) else {
            return;
        };
        let node = &nodes[at];
        let go = |index: usize| {
            current.set(nodes[index].prefix.clone());
            focus(index);
        };
        match ev.key().as_str() {
            "ArrowDown" if at + 1 < nodes.len() => go(at + 1),
            "ArrowUp" if at > 0 => go(at - 1),
            "Home" => go(0),
            "End" => go(nodes.len() - 1),
            "ArrowRight" if !node.expanded => expand(here),
            "ArrowRight" if at + 1 < nodes.len() && nodes[at + 1].depth > node.depth => go(at + 1),
            "ArrowLeft" if node.expanded && node.depth > 0 => {
                tree.update(|t| t.collapse(&here));
            }
            "ArrowLeft" => {
                let parent = tree.with_untracked(|t| t.parent_of(&here));
                if let Some(index) = parent.and_then(|p| nodes.iter().position(|n| n.prefix == p)) {
                    go(index);
                }
            }
            "Enter" | " " => choose(&here),
            _ => return,
        }
        ev.prevent_default();
    };
    // Keyed by folder: a node's element stays while the tree changes around it
    // (it keeps the focus when it opens); what changes in it is reactive.
    let item = move |node: Node| {
        let prefix = node.prefix.clone();
        let path = tree.with_untracked(|t| t.path_of(&prefix));
        let p = prefix.clone();
        let expanded = Signal::derive(move || {
            tree.with(|t| {
                (!t.is_leaf(&p)).then(|| t.node(&p).is_some_and(|n| n.expanded).to_string())
            })
        });
        let p = prefix.clone();
        let twisty = move || match expanded.get() {
            None => "",
            Some(open) if open == "true" => "▾",
            Some(_) => "▸",
        };
        let status = move || {
            tree.with(|t| match t.node(&p).map(|n| (n.expanded, &n.children)) {
                Some((true, Children::Loading)) => Some("Loading…".to_string()),
                Some((true, Children::Failed(why))) => Some(why.clone()),
                _ => None,
            })
        };
        let p = prefix.clone();
        let toggle = move |ev: leptos::ev::MouseEvent| {
            ev.stop_propagation();
            if tree.with_untracked(|t| t.node(&p).is_some_and(|n| n.expanded)) {
                tree.update(|t| t.collapse(&p));
            } else {
                expand(p.clone());
            }
        };
        let p = prefix.clone();
        let tabindex = move || if current.get() == p { "0" } else { "-1" };
        let pick = prefix.clone();
        view! {
            <li role="treeitem" class="picker-node"
                attr:aria-level=(node.depth + 1).to_string()
                aria-expanded=move || expanded.get()
                aria-selected=move || (chosen.get().trim_matches('/') == path).to_string()
                tabindex=tabindex
                style:padding-left=format!("{}rem", 0.25 + 1.25 * node.depth as f64)
                on:click=move |ev| {
                    choose(&pick);
                    if let Some(e) = ev.current_target() {
                        let _ = e.unchecked_into::<web_sys::HtmlElement>().focus();
                    }
                }>
                <span class="picker-twisty" aria-hidden="true" on:click=toggle>{twisty}</span>
                <span class="picker-name">{text::shown_name(&node.name)}</span>
                {move || status().map(|s| view! { <span class="picker-status">" " {s}</span> })}
            </li>
        }
    };
    view! {
        <div class="folder-picker">
            <ul role="tree" id="folder-tree" aria-label="Folders" on:keydown=keydown>
                <For each=move || tree.with(FolderTree::visible) key=|n| n.prefix.clone() children=item />
            </ul>
            <NewFolderHere folder=folder tree=tree chosen=chosen current=current />
        </div>
    }
}

/// "New folder" inside the picker: makes the folder (its marker object) in the
/// folder chosen, adds it to the tree and chooses it.
#[component]
fn NewFolderHere(
    folder: Folder,
    tree: RwSignal<FolderTree>,
    chosen: RwSignal<String>,
    current: RwSignal<String>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let create = move || {
        let typed = name.get_untracked().trim().to_string();
        if let Err(why) = listing::validate_name(&typed) {
            problem.set(Some(why));
            return;
        }
        let root = folder.session().root_prefix();
        let path = chosen.get_untracked();
        let mut parent = root.clone();
        for segment in path.split('/').map(str::trim).filter(|s| !s.is_empty()) {
            parent = format!("{parent}{segment}/");
        }
        leptos::task::spawn_local(async move {
            let session = folder.session();
            let shown = text::shown_name(&typed);
            match files::create_folder(&session, &parent, &typed).await {
                Err(e) => problem.set(Some(e.user_message(&format!("create folder {shown}")))),
                Ok(()) => {
                    // A parent typed but not in the tree yet: it exists now too.
                    let made = tree.try_update(|t| t.add(&parent, &typed)).flatten();
                    let made = made.unwrap_or_else(|| format!("{parent}{typed}/"));
                    chosen.set(
                        made.strip_prefix(&root)
                            .unwrap_or(&made)
                            .trim_end_matches('/')
                            .to_string(),
                    );
                    current.set(made);
                    problem.set(None);
                    name.set(String::new());
                    open.set(false);
                }
            }
        });
    };
    view! {
        {move || if open.get() {
            view! {
                <div class="picker-new">
                    <label for="picker-new-name">"New folder in the chosen folder"</label>
                    <input id="picker-new-name" type="text" autofocus
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                            // Enter makes the folder; it must not submit the move.
                            if ev.key() == "Enter" { ev.prevent_default(); create(); }
                        } />
                    <button type="button" class="button" id="picker-create" on:click=move |_| create()>"Create"</button>
                    {move || problem.get().map(|p| view! { <p class="error-text" role="alert">{p}</p> })}
                </div>
            }.into_any()
        } else {
            view! {
                <button type="button" class="button" id="picker-new-folder"
                    on:click=move |_| open.set(true)>"New folder"</button>
            }.into_any()
        }}
    }
}
