//! The messages the app's tabs send each other over the BroadcastChannel
//! ([`storage_keys::TAB_CHANNEL`](crate::model::storage_keys::TAB_CHANNEL)), and
//! their text on the wire. The channel is same-origin, like the storage that
//! holds the tokens anyway.
//!
//! The wire text is what tabs of the same build already exchange: `signed-out`,
//! `ask-tokens`, `tokens:<the tokens' JSON>`, `reauth:<query>`.

use crate::config::Config;
use crate::model::auth::Tokens;

const SIGNED_OUT: &str = "signed-out";
const ASK_TOKENS: &str = "ask-tokens";
const TOKENS: &str = "tokens:";
const REAUTH: &str = "reauth:";

/// One message between tabs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TabMessage {
    /// The user signed out in another tab: every tab ends its session.
    SignedOut,
    /// A new tab without tokens asks the others (tokens kept for this browser
    /// session only live in each tab's sessionStorage).
    AskTokens,
    /// Fresh tokens of this sign-in (a refresh, or a new sign-in after the refresh
    /// token was refused), or the answer to [`TabMessage::AskTokens`].
    /// (Boxed: tokens are large beside the other messages.)
    Tokens(Box<Tokens>),
    /// The query of a Hosted UI redirect that landed in the sign-in popup, for the
    /// tab that opened it (which holds the PKCE verifier).
    Reauth(String),
}

impl TabMessage {
    /// The text posted on the channel.
    pub fn encode(&self) -> String {
        match self {
            TabMessage::SignedOut => SIGNED_OUT.to_string(),
            TabMessage::AskTokens => ASK_TOKENS.to_string(),
            TabMessage::Tokens(tokens) => format!("{TOKENS}{}", tokens.to_json()),
            TabMessage::Reauth(query) => format!("{REAUTH}{query}"),
        }
    }

    /// Reads a message another tab posted. `None` for text that is no message of
    /// this build, and for tokens that do not parse or are not for `config`'s user
    /// pool and client (checked as for stored tokens: `Tokens::from_json`).
    pub fn decode(config: &Config, text: &str) -> Option<TabMessage> {
        match text {
            SIGNED_OUT => Some(TabMessage::SignedOut),
            ASK_TOKENS => Some(TabMessage::AskTokens),
            _ => {
                if let Some(json) = text.strip_prefix(TOKENS) {
                    Tokens::from_json(config, json).map(|t| TabMessage::Tokens(Box::new(t)))
                } else {
                    text.strip_prefix(REAUTH)
                        .map(|query| TabMessage::Reauth(query.to_string()))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::config;
    use cubby_core::encoding::base64url_encode;
    use cubby_core::secret::Secret;

    fn id_token(issuer: &str) -> String {
        let claims = format!(
            r#"{{"sub":"sub-1","iss":"{issuer}","aud":"client","token_use":"id","exp":2000,"iat":1000}}"#
        );
        format!(
            "{}.{}.{}",
            base64url_encode(br#"{"alg":"RS256"}"#),
            base64url_encode(claims.as_bytes()),
            base64url_encode(b"signature")
        )
    }

    fn tokens(config: &Config) -> Tokens {
        let id_token = id_token(&config.issuer());
        Tokens {
            claims: cubby_core::id_token::decode(&id_token).unwrap(),
            id_token: Secret::new(id_token),
            refresh_token: Secret::new("refresh"),
            keep_signed_in: false,
        }
    }

    #[test]
    fn every_message_survives_the_round_trip() {
        let config = config();
        for message in [
            TabMessage::SignedOut,
            TabMessage::AskTokens,
            TabMessage::Tokens(Box::new(tokens(&config))),
            TabMessage::Reauth("?code=c&state=s".into()),
        ] {
            assert_eq!(
                TabMessage::decode(&config, &message.encode()),
                Some(message)
            );
        }
    }

    /// Another tab of the same build, or an earlier one, sends exactly this text.
    #[test]
    fn the_wire_text_is_what_tabs_already_send() {
        let config = config();
        let tokens = tokens(&config);
        assert_eq!(TabMessage::SignedOut.encode(), "signed-out");
        assert_eq!(TabMessage::AskTokens.encode(), "ask-tokens");
        assert_eq!(
            TabMessage::Tokens(Box::new(tokens.clone())).encode(),
            format!("tokens:{}", tokens.to_json())
        );
        assert_eq!(
            TabMessage::Reauth("?code=c&state=s".into()).encode(),
            "reauth:?code=c&state=s"
        );
    }

    #[test]
    fn unknown_and_garbled_messages_are_rejected() {
        let config = config();
        for text in [
            "",
            "hello",
            "signed-out ",
            "Signed-out",
            "ask-tokens:",
            "tokens",
            "tokens:",
            "tokens:{",
            "tokens:{}",
            r#"tokens:{"id_token":"a.b.c","access_token":"x","refresh_token":"y","keep_signed_in":true}"#,
            "reauth",
        ] {
            assert_eq!(TabMessage::decode(&config, text), None, "{text:?}");
        }
    }

    #[test]
    fn tokens_must_come_as_an_object_not_an_array_of_fields() {
        let config = config();
        let id_token = id_token(&config.issuer());
        let object = format!(
            r#"tokens:{{"id_token":"{id_token}","access_token":"a","refresh_token":"r","keep_signed_in":false}}"#
        );
        assert!(TabMessage::decode(&config, &object).is_some());
        let array = format!(r#"tokens:["{id_token}","a","r",false]"#);
        assert_eq!(TabMessage::decode(&config, &array), None);
    }

    /// Tokens for another user pool (or client) are not this app's tokens.
    #[test]
    fn tokens_of_another_issuer_are_rejected() {
        let config = config();
        let mut theirs = tokens(&config);
        let foreign = id_token("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other");
        theirs.claims = cubby_core::id_token::decode(&foreign).unwrap();
        theirs.id_token = Secret::new(foreign);
        let text = TabMessage::Tokens(Box::new(theirs)).encode();
        assert_eq!(TabMessage::decode(&config, &text), None);
    }
}
