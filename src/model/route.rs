//! The open folder in the address bar: a fragment such as `#/photos/2024%20trip/`,
//! relative to the user's folder `private/<identity id>/` (the identity id never
//! shows). A fragment never reaches a server, so every deployment (CloudFront, the
//! emulator) serves the one `index.html` for it unchanged, and a reload, a bookmark
//! and back/forward keep the folder.
//!
//! Each folder name is one segment, percent-encoded as RFC 3986 leaves only
//! unreserved characters literal (`cubby_core::encoding::uri_encode`), so names
//! with spaces, `#`, `%`, `?`, `+`, `/`-free unicode round-trip; each segment
//! ends with `/`. Parsing refuses what names no folder of the user's: `.` and `..`,
//! empty segments, a `%` without two hex digits, and a first segment that looks
//! like an identity id (with or without `private/` before it), which would be
//! another user's folder spelled out.

use cubby_core::encoding::{percent_decode, uri_encode};
use std::fmt;

/// S3's limit on a key, in bytes: no longer folder can exist.
const MAX_KEY_BYTES: usize = 1024;

/// A folder below the user's folder, as its names from the top (empty: the user's
/// folder itself, "My files").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Route {
    segments: Vec<String>,
}

impl Route {
    /// The user's folder itself.
    pub fn root() -> Route {
        Route::default()
    }

    /// The route of the folder `prefix` (a key prefix ending with `/`) below
    /// `root` (`private/<identity id>/`); `None` for a prefix outside `root`.
    pub fn from_prefix(root: &str, prefix: &str) -> Option<Route> {
        let rest = prefix.strip_prefix(root)?;
        let segments = rest
            .strip_suffix('/')
            .map(|r| r.split('/').map(str::to_string).collect())
            .unwrap_or_default();
        Some(Route { segments })
    }

    /// Reads the address bar's fragment (`location.hash`: `#/a/b/`, or empty).
    /// Empty, `#` and `#/` are the user's folder; the last `/` may be left out.
    ///
    /// # Errors
    /// A [`RouteError`] when the fragment names no folder of the user's (see the
    /// module's rules).
    pub fn parse(fragment: &str) -> Result<Route, RouteError> {
        let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
        if fragment.is_empty() || fragment == "/" {
            return Ok(Route::root());
        }
        let Some(path) = fragment.strip_prefix('/') else {
            return Err(RouteError::new(Kind::NotAFolderPath));
        };
        let path = path.strip_suffix('/').unwrap_or(path);
        let mut segments = Vec::new();
        let mut bytes = 0;
        for raw in path.split('/') {
            let name = percent_decode(raw, false).ok_or(RouteError::new(Kind::BadEscape))?;
            if name.is_empty() {
                return Err(RouteError::new(Kind::EmptyName));
            }
            if name == "." || name == ".." {
                return Err(RouteError::new(Kind::DotName));
            }
            if name.contains('/') {
                return Err(RouteError::new(Kind::SlashInName));
            }
            bytes += name.len() + 1;
            segments.push(name);
        }
        if bytes > MAX_KEY_BYTES {
            return Err(RouteError::new(Kind::TooLong));
        }
        let identity_like = match segments.as_slice() {
            [first, second, ..] if first == "private" => looks_like_identity_id(second),
            [first, ..] => looks_like_identity_id(first),
            [] => false,
        };
        if identity_like {
            return Err(RouteError::new(Kind::IdentityId));
        }
        Ok(Route { segments })
    }

    /// The fragment for the address bar, `#` included: `#/` for the user's folder.
    pub fn fragment(&self) -> String {
        let mut out = String::from("#/");
        for name in &self.segments {
            out.push_str(&uri_encode(name, false));
            out.push('/');
        }
        out
    }

    /// The folder's key prefix below `root` (`private/<identity id>/`).
    pub fn prefix(&self, root: &str) -> String {
        let mut out = root.to_string();
        for name in &self.segments {
            out.push_str(name);
            out.push('/');
        }
        out
    }

    /// Whether this is the user's folder itself.
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }
}

/// Whether `name` has the shape of a Cognito identity id:
/// `<region>:<uuid>` (e.g. `us-east-1:0f1e…`), region letters, digits and dashes.
fn looks_like_identity_id(name: &str) -> bool {
    let Some((region, id)) = name.split_once(':') else {
        return false;
    };
    let region_like = region.contains('-')
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let groups: Vec<&str> = id.split('-').collect();
    let uuid_like = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()));
    region_like && uuid_like
}

/// Why an address names no folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteError {
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    NotAFolderPath,
    BadEscape,
    EmptyName,
    DotName,
    SlashInName,
    TooLong,
    IdentityId,
}

impl RouteError {
    fn new(kind: Kind) -> RouteError {
        RouteError { kind }
    }

    /// What the page says, in plain words, when it shows "My files" instead.
    pub fn user_message(&self) -> String {
        let why = match self.kind {
            Kind::NotAFolderPath => "it does not start with #/",
            Kind::BadEscape => "it has a % that is not followed by two hex digits",
            Kind::EmptyName => "it has an empty folder name (two / in a row)",
            Kind::DotName => "it has a folder named . or ..",
            Kind::SlashInName => "it has a / inside a folder name",
            Kind::TooLong => "it is longer than any folder can be",
            Kind::IdentityId => "it starts with an identity id: addresses start below your folder",
        };
        format!("The address does not name a folder ({why}), so this is My files.")
    }
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.user_message())
    }
}

impl std::error::Error for RouteError {}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "private/us-east-1:0a1b2c3d-1111-2222-3333-444455556666/";

    #[test]
    fn awkward_names_round_trip() {
        for names in [
            vec!["photos", "2024 trip"],
            vec!["a#b", "50%", "what?", "1+1=2", "a&b=c"],
            vec!["Ünïcødé 日本", "emoji 🎉"],
            vec!["%20 literal", "%", "%%", "+"],
            vec!["..."],
            vec!["private"],
        ] {
            let prefix = format!("{ROOT}{}/", names.join("/"));
            let route = Route::from_prefix(ROOT, &prefix).unwrap();
            let fragment = route.fragment();
            assert!(
                fragment[2..]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~%/".contains(&b)),
                "only unreserved characters and escapes: {fragment}"
            );
            assert!(!fragment.contains("us-east-1"), "{fragment}");
            let back = Route::parse(&fragment).unwrap();
            assert_eq!(back, route, "{fragment}");
            assert_eq!(back.prefix(ROOT), prefix);
        }
    }

    #[test]
    fn the_encoding_is_fixed() {
        let route = Route::from_prefix(ROOT, &format!("{ROOT}photos/2024 trip/a#b+c%/")).unwrap();
        assert_eq!(route.fragment(), "#/photos/2024%20trip/a%23b%2Bc%25/");
        assert_eq!(Route::root().fragment(), "#/");
        assert_eq!(Route::from_prefix(ROOT, ROOT), Some(Route::root()));
        assert_eq!(Route::from_prefix(ROOT, "private/other/x/"), None);
    }

    #[test]
    fn the_users_folder_has_several_spellings() {
        for fragment in ["", "#", "#/"] {
            assert_eq!(Route::parse(fragment), Ok(Route::root()), "{fragment:?}");
        }
        // As typed, without the last slash; a `+` is a plus, never a space.
        let route = Route::parse("#/photos/a+b").unwrap();
        assert_eq!(route.prefix(ROOT), format!("{ROOT}photos/a+b/"));
        // Browsers escape what is typed in the address bar; either way it reads back.
        let typed = Route::parse("#/2024 trip/").unwrap();
        assert_eq!(typed, Route::parse("#/2024%20trip/").unwrap());
    }

    #[test]
    fn addresses_that_name_no_folder_are_refused() {
        for (fragment, kind) in [
            ("#photos/", Kind::NotAFolderPath),
            ("#/a//b/", Kind::EmptyName),
            ("#//", Kind::EmptyName),
            ("#/../", Kind::DotName),
            ("#/a/../b/", Kind::DotName),
            ("#/./", Kind::DotName),
            ("#/%2E%2E/", Kind::DotName),
            ("#/a%2Fb/", Kind::SlashInName),
            ("#/50%/", Kind::BadEscape),
            ("#/%zz/", Kind::BadEscape),
            ("#/%FF/", Kind::BadEscape),
            (
                "#/us-east-1:0a1b2c3d-1111-2222-3333-444455556666/photos/",
                Kind::IdentityId,
            ),
            (
                "#/private/eu-west-2:0A1B2C3D-1111-2222-3333-444455556666/",
                Kind::IdentityId,
            ),
        ] {
            assert_eq!(
                Route::parse(fragment),
                Err(RouteError::new(kind)),
                "{fragment}"
            );
        }
        let long = format!("#/{}/", "a".repeat(MAX_KEY_BYTES));
        assert_eq!(Route::parse(&long), Err(RouteError::new(Kind::TooLong)));
        // Names that only resemble one stay folders.
        assert!(Route::parse("#/us-east-1:notes/").is_ok());
        assert!(Route::parse("#/private/photos/").is_ok());
        assert!(Route::parse("#/photos/us-east-1:0a1b2c3d-1111-2222-3333-444455556666/").is_ok());
    }

    #[test]
    fn refusals_say_what_is_shown_instead() {
        let message = Route::parse("#/../").unwrap_err().user_message();
        assert!(message.contains("My files"), "{message}");
    }
}
