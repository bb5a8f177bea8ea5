//! Every name the app claims in the browser's shared namespaces, in one place:
//! sessionStorage and localStorage keys, the BroadcastChannel and the Web Lock.
//! Another tab of the same build (and a reload after an update) must find them,
//! so a change here is a change of what the browser already holds.

/// sessionStorage key of the sign-in in progress (verifier, state, nonce).
pub const PENDING_SIGN_IN: &str = "cubby.pending-sign-in";

/// Key of the stored tokens (sessionStorage, or localStorage with "keep me signed in").
pub const TOKENS: &str = "cubby.tokens";

/// localStorage key of the `state` of a sign-in run in a popup to renew a session
/// (only the state: the PKCE verifier stays in the memory of the tab that asked).
pub const REAUTH_STATE: &str = "cubby.reauth-state";

/// localStorage flag: a tab holds a this-browser-session-only sign-in, so a new
/// tab asks the others for its tokens before showing "Sign in".
pub const SESSION_ONLY_TABS: &str = "cubby.session-only-tabs";

/// localStorage keys of unfinished uploads' resume records start with this.
pub const UPLOAD_RECORD_PREFIX: &str = "cubby.upload.";

/// The IndexedDB database holding the file handles of unfinished uploads (where
/// the browser has them), keyed by their resume records' ids.
pub const UPLOAD_HANDLES_DB: &str = "cubby.upload-handles";

/// Its one object store.
pub const UPLOAD_HANDLES_STORE: &str = "handles";

/// sessionStorage flag set just before leaving for the Hosted UI's logout (`here`)
/// or when another tab signed out (`elsewhere`), so the sign-in card that follows
/// says the user is signed out. Read once.
pub const SIGNED_OUT: &str = "cubby.signed-out";

/// The BroadcastChannel the app's tabs talk on (messages: `model::tabs`).
pub const TAB_CHANNEL: &str = "cubby.session";

/// The Web Lock held while refreshing tokens, so one tab refreshes for all.
pub const REFRESH_LOCK: &str = "cubby.token-refresh";

/// localStorage key of the folder view's layout, `list` or `grid`
/// (`model::file_kind::Layout`), remembered per browser.
pub const LAYOUT: &str = "cubby.layout";

/// localStorage keys caching identity ids start with this (see [`identity`]).
pub const IDENTITY_PREFIX: &str = "cubby.identity.";

/// The localStorage key caching a user's identity id (per identity pool and user
/// `sub`), so a reload skips GetId. Removed at sign-out.
pub fn identity(identity_pool_id: &str, sub: &str) -> String {
    format!("{IDENTITY_PREFIX}{identity_pool_id}.{sub}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names are what earlier builds stored: a change would sign users out
    /// and orphan their upload records.
    #[test]
    fn names_stay_what_the_browser_already_holds() {
        assert_eq!(PENDING_SIGN_IN, "cubby.pending-sign-in");
        assert_eq!(TOKENS, "cubby.tokens");
        assert_eq!(REAUTH_STATE, "cubby.reauth-state");
        assert_eq!(SESSION_ONLY_TABS, "cubby.session-only-tabs");
        assert_eq!(SIGNED_OUT, "cubby.signed-out");
        assert_eq!(UPLOAD_RECORD_PREFIX, "cubby.upload.");
        assert_eq!(UPLOAD_HANDLES_DB, "cubby.upload-handles");
        assert_eq!(UPLOAD_HANDLES_STORE, "handles");
        assert_eq!(IDENTITY_PREFIX, "cubby.identity.");
        assert_eq!(TAB_CHANNEL, "cubby.session");
        assert_eq!(REFRESH_LOCK, "cubby.token-refresh");
        assert_eq!(LAYOUT, "cubby.layout");
        assert_eq!(
            identity("us-east-1:0000-1111", "sub-1"),
            "cubby.identity.us-east-1:0000-1111.sub-1"
        );
    }

    /// The boot script picks the first view (sign-in card or frame) by this key
    /// before the wasm runs, so it spells it too.
    #[test]
    fn the_boot_script_looks_for_the_tokens_by_their_name() {
        assert!(include_str!("../boot.js").contains(&format!("\"{TOKENS}\"")));
    }
}
