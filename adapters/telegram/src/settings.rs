//! What the adapter needs to know: the bot's token, where the Bot API is,
//! whether to poll or take a webhook, and which group the clinicians use.
//! [`Tuning`] holds the knobs a deployment never needs but tests do (poll
//! timeouts, rate limits, retry delays), kept out of [`TelegramSettings`] so
//! that settings stay what a practice configures.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use carebot_chat::Backoff;
use url::Url;

use crate::TelegramError;

/// The real Bot API.
pub const DEFAULT_API_URL: &str = "https://api.telegram.org";

/// How carebot reaches Telegram.
#[derive(Debug, Clone)]
pub struct TelegramSettings {
    /// The bot's token from @BotFather. Never printed.
    pub token: Token,
    /// The Bot API's base URL: the real one by default, a local Bot API server
    /// or a test fake otherwise.
    pub api_url: Url,
    /// Take updates on a webhook instead of long polling (behind a reverse proxy).
    pub webhook: Option<Webhook>,
    /// The chat id of the clinicians' group (negative, e.g. -1001234567890):
    /// its members' commands are clinician commands, and its messages are never
    /// treated as a patient's.
    pub clinician_group: Option<i64>,
}

impl TelegramSettings {
    /// Settings for the real Bot API with long polling and no clinician group.
    pub fn new(token: Token) -> TelegramSettings {
        TelegramSettings {
            token,
            api_url: default_api_url(),
            webhook: None,
            clinician_group: None,
        }
    }
}

/// The real Bot API's URL.
pub fn default_api_url() -> Url {
    Url::parse(DEFAULT_API_URL).expect("the default API URL is valid")
}

/// Webhook mode: Telegram posts updates to `public_url`, which the reverse
/// proxy forwards to `listen`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Where the adapter's HTTP server listens (e.g. 127.0.0.1:8443).
    pub listen: SocketAddr,
    /// The HTTPS URL Telegram posts to; its path is the route served at `listen`.
    pub public_url: Url,
    /// Whether the webhook is removed when the adapter stops (so that a
    /// carebot started later can poll). Not when several carebot processes
    /// serve the bot behind a load balancer: one stopping must not cut the
    /// others off ([`ChatAdapter::for_several_processes`](carebot_chat::ChatAdapter::for_several_processes)).
    pub remove_at_shutdown: bool,
}

/// A bot token. It opens the bot to whoever holds it, so it is never shown:
/// `Debug` prints `***`, and it has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// A token from text (surrounding whitespace, as in a secrets file, is dropped).
    pub fn new(token: impl Into<String>) -> Result<Token, TelegramError> {
        let token = token.into().trim().to_string();
        if token.is_empty() || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(TelegramError::BadToken);
        }
        Ok(Token(token))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// Replaces the token (and its secret half) in `text`, for error messages
    /// and logs that may quote a URL.
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut text = text.replace(&self.0, "***");
        if let Some((_, secret)) = self.0.split_once(':') {
            if secret.len() >= 8 {
                text = text.replace(secret, "***");
            }
        }
        text
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How fast messages may go out: a burst of `burst`, then one per `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub interval: Duration,
    pub burst: u32,
}

impl Rate {
    /// No limit at all (for load tests against a fake server).
    pub const UNLIMITED: Rate = Rate {
        interval: Duration::ZERO,
        burst: 1,
    };
}

/// Telegram's flood limits, as the adapter keeps to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Per private chat: about one message a second, short bursts allowed.
    pub private_chat: Rate,
    /// Per group: at most 20 messages a minute.
    pub group: Rate,
    /// Across all chats: 30 messages a second.
    pub overall: Rate,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            private_chat: Rate {
                interval: Duration::from_secs(1),
                burst: 3,
            },
            group: Rate {
                interval: Duration::from_secs(3),
                burst: 3,
            },
            overall: Rate {
                interval: Duration::from_millis(1000 / 30 + 1),
                burst: 30,
            },
        }
    }
}

/// How failed requests are retried: a 429 is always waited out (up to
/// `max_waits` times); a 5xx, a timeout or a network error is retried
/// `attempts - 1` times, waiting `first`, doubling up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub attempts: u32,
    pub first: Duration,
    pub max: Duration,
    pub max_waits: u32,
}

impl Retry {
    /// The wait after `failures` failed attempts (1 = the first): carebot's
    /// one back-off formula over `first` and `max`.
    pub fn wait(&self, failures: u32) -> Duration {
        Backoff {
            first: self.first,
            max: self.max,
        }
        .wait(failures)
    }
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            attempts: 5,
            first: Duration::from_millis(500),
            max: Duration::from_secs(30),
            max_waits: 10,
        }
    }
}

/// Knobs with production defaults; tests shorten the waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// How long one `getUpdates` long poll may wait (whole seconds, as
    /// Telegram counts them; 0 polls without waiting).
    pub poll_timeout: Duration,
    /// The HTTP timeout of one request; longer than `poll_timeout`.
    pub request_timeout: Duration,
    pub limits: Limits,
    pub retry: Retry,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning {
            poll_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(17),
            limits: Limits::default(),
            retry: Retry::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_prints() {
        let token = Token::new(" 123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789a \n").unwrap();
        assert_eq!(
            token.expose(),
            "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789a"
        );
        assert_eq!(format!("{token:?}"), "***");
        let settings = TelegramSettings {
            clinician_group: Some(-500),
            ..TelegramSettings::new(token.clone())
        };
        let debug = format!("{settings:?} {settings:#?}");
        assert!(!debug.contains("ABCdef"), "{debug}");
        assert_eq!(
            token.redact("GET /bot123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789a/GetMe failed"),
            "GET /bot***/GetMe failed"
        );
        assert_eq!(
            token.redact("secret ABCdefGHIjklMNOpqrSTUvwxYZ0123456789a leaked"),
            "secret *** leaked"
        );
        assert!(Token::new("  ").is_err());
        assert!(Token::new("12 34").is_err());
    }

    #[test]
    fn retry_waits_double_up_to_the_limit() {
        let retry = Retry {
            attempts: 9,
            first: Duration::from_millis(100),
            max: Duration::from_millis(700),
            max_waits: 1,
        };
        let waits: Vec<u128> = (1..=5).map(|n| retry.wait(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 700, 700]);
    }
}
