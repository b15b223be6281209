//! The adapter's settings: the bot token (a secret), where Discord's REST API
//! and gateway are (settings, so tests point the real client at fakes), the
//! clinician channel and role, and whether to ask for message content.

use std::fmt;

use url::Url;

use crate::DiscordError;

/// Discord's REST base; serenity adds `/v10/...`.
pub const DEFAULT_API_URL: &str = "https://discord.com/api";

/// The bot's token. It never prints: `Debug` shows `***`, there is no
/// `Display`, and no error of this crate contains it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// A token from its text (surrounding whitespace and a `Bot ` prefix are
    /// dropped: serenity adds the prefix itself).
    pub fn new(text: impl Into<String>) -> Result<Token, DiscordError> {
        let text = text.into();
        let trimmed = text.trim();
        let token = trimmed.strip_prefix("Bot ").unwrap_or(trimmed).trim();
        if token.is_empty() {
            return Err(DiscordError::Token {
                reason: "the token is empty".to_string(),
            });
        }
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(DiscordError::Token {
                reason: "the token contains spaces or control characters".to_string(),
            });
        }
        Ok(Token(token.to_string()))
    }

    /// The secret itself, for serenity only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How the Discord adapter connects and who the clinicians are on Discord.
///
/// The core's handoff settings must name the same clinician channel, as
/// [`crate::channel_address`]`(clinician_channel)`; clinicians listed there
/// by user id are written [`crate::user_address`]`(id)` (`discord:<user id>`).
#[derive(Debug, Clone)]
pub struct DiscordSettings {
    pub token: Token,
    /// The REST base, ending in `/api` like Discord's own
    /// (`https://discord.com/api`). Any other base is reached through
    /// serenity's proxy setting, which bypasses serenity's rate limiter, so
    /// the adapter keeps Discord's rate limits itself there (`rest.rs`).
    pub api_url: Url,
    /// The gateway's websocket URL; `None` asks the REST API (`GET /gateway`).
    pub gateway_url: Option<Url>,
    /// The application id for slash commands; `None` takes it from READY.
    pub application_id: Option<u64>,
    /// The server channel where case notifications go and clinicians act.
    pub clinician_channel: Option<u64>,
    /// When set, only members holding this role act on cases from the
    /// clinician channel (plus the clinicians the core lists by user id).
    pub clinician_role: Option<u64>,
    /// Ask for the privileged MESSAGE_CONTENT intent (enable it in the
    /// developer portal first). Without it the bot reads only direct
    /// messages, messages that mention it, buttons and slash commands, which
    /// is all it needs; clinicians then mention the bot before a text command.
    pub message_content: bool,
}

impl DiscordSettings {
    /// Settings for the real Discord, with no clinician channel.
    pub fn new(token: Token) -> DiscordSettings {
        DiscordSettings {
            token,
            api_url: Url::parse(DEFAULT_API_URL).expect("the default REST base is a URL"),
            gateway_url: None,
            application_id: None,
            clinician_channel: None,
            clinician_role: None,
            message_content: false,
        }
    }

    /// The proxy base serenity needs to reach `api_url`, or `None` for Discord
    /// itself. serenity replaces `https://discord.com` in every request URL
    /// with the proxy, so the base must end in `/api`.
    pub(crate) fn proxy(&self) -> Result<Option<String>, DiscordError> {
        let base = self.api_url.as_str().trim_end_matches('/');
        if base == DEFAULT_API_URL {
            return Ok(None);
        }
        match base.strip_suffix("/api") {
            Some(proxy) if !proxy.is_empty() => Ok(Some(proxy.to_string())),
            _ => Err(DiscordError::Settings {
                reason: format!("the Discord REST base {base} must end in /api"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_print() {
        let token = Token::new("Bot abc.def-ghi").unwrap();
        assert_eq!(token.expose(), "abc.def-ghi");
        assert_eq!(format!("{token:?}"), "***");
        let settings = DiscordSettings::new(token);
        assert!(!format!("{settings:?}").contains("abc"));
        assert!(Token::new("  ").is_err());
        assert!(Token::new("a b").is_err());
        let error = Token::new("secret\u{7}").unwrap_err().to_string();
        assert!(!error.contains("secret"), "{error}");
    }

    #[test]
    fn the_rest_base_becomes_a_proxy_only_when_it_is_not_discord() {
        let mut settings = DiscordSettings::new(Token::new("t").unwrap());
        assert_eq!(settings.proxy().unwrap(), None);
        settings.api_url = Url::parse("http://127.0.0.1:8080/api/").unwrap();
        assert_eq!(
            settings.proxy().unwrap().as_deref(),
            Some("http://127.0.0.1:8080")
        );
        settings.api_url = Url::parse("http://127.0.0.1:8080/").unwrap();
        assert!(settings.proxy().is_err());
    }
}
