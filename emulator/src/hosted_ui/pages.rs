//! The Hosted UI's HTML pages: the sign-in form and the error page.

use super::authorize::AuthParams;
use crate::http_util::*;
use http::StatusCode;

/// The Hosted UI's error page: never a redirect to the app.
pub(super) fn error_page(error: &str) -> Resp {
    html(
        StatusCode::BAD_REQUEST,
        page(
            "Error",
            &format!(
                "<h1>An error was encountered with the requested page.</h1><p>Error: <code>{}</code></p>",
                escape_html(error)
            ),
        ),
    )
}

/// A whole page around `body` (trusted HTML), light and dark.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{} - Cubby emulator sign-in</title><style>\
body{{font-family:system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b;background:#fff}}\
label{{display:block;margin-top:1rem;font-weight:600}}\
input{{display:block;width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem;font-size:1rem}}\
button{{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem}}\
.error{{color:#a4000f;border:1px solid #a4000f;padding:.5rem;margin-top:1rem}}\
.note{{color:#555;font-size:.9rem}}\
@media (prefers-color-scheme: dark){{body{{background:#121212;color:#eee}}.error{{color:#ff8a8a;border-color:#ff8a8a}}.note{{color:#bbb}}a{{color:#8ab4ff}}}}\
</style></head><body><main>{}</main></body></html>",
        escape_html(title),
        body
    )
}

/// The sign-in form, carrying the authorization request in hidden fields;
/// `username` is kept and `error` shown after a failed attempt.
pub(super) fn login_form(params: &AuthParams, username: &str, error: Option<&str>) -> String {
    let mut hidden = String::new();
    for (k, v) in params.pairs() {
        hidden.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape_html(k),
            escape_html(v)
        ));
    }
    let error_html = error
        .map(|e| {
            format!(
                "<p class=\"error\" role=\"alert\" id=\"login-error\">{}</p>",
                escape_html(e)
            )
        })
        .unwrap_or_default();
    let described = if error.is_some() {
        " aria-describedby=\"login-error\""
    } else {
        ""
    };
    let (user_focus, pass_focus) = if username.is_empty() {
        (" autofocus", "")
    } else {
        ("", " autofocus")
    };
    let cancel = with_query("/login/cancel", params.pairs());
    page(
        "Sign in",
        &format!(
            "<h1>Sign in</h1>\
<p class=\"note\">Local emulator of the Cognito Hosted UI.</p>{error_html}\
<form method=\"post\" action=\"/login\" novalidate>{hidden}\
<label for=\"username\">Username</label>\
<input id=\"username\" name=\"username\" type=\"text\" autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" required value=\"{}\"{user_focus}{described}>\
<label for=\"password\">Password</label>\
<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required{pass_focus}{described}>\
<button type=\"submit\">Sign in</button></form>\
<p><a href=\"{}\">Cancel</a></p>",
            escape_html(username),
            escape_html(&cancel),
        ),
    )
}
