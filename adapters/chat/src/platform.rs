//! The seam between `carebot serve` and a chat platform's adapter crate.
//!
//! Each adapter implements [`ChatAdapter`] once: it owns its part of
//! `carebot.toml` (its `[<platform>]` table, with its own defaults, checked
//! into problems reported by key and message), knows what a chat id on its
//! platform looks like, and connects, runs and delivers. The binary
//! registers each adapter with one line and does the rest the same way for
//! every platform: it locates problems in the file, reads the token from the
//! environment or a token file, masks it in whatever the adapter says, and
//! supervises the adapter.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use url::{Host, Url};

use crate::{Bot, DeliveryError, Outbound};

/// The environment variables that give `platform`'s token, by value and by
/// file: `CAREBOT_<PLATFORM>_TOKEN` and `CAREBOT_<PLATFORM>_TOKEN_FILE`. One
/// place spells them, so the binary reads the variables its messages name.
pub fn token_variables(platform: &str) -> (String, String) {
    let variable = format!("CAREBOT_{}_TOKEN", platform.to_ascii_uppercase());
    let file_variable = format!("{variable}_FILE");
    (variable, file_variable)
}

/// The keys every platform's table has, which the binary reads whatever the
/// platform: whether to run it, and where its token is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenKeys {
    /// `None`: run when a token is configured.
    pub enabled: Option<bool>,
    /// Whether the table has a `token` key, which is refused: tokens do not
    /// belong in the configuration file.
    pub token_in_file: bool,
    /// The file the token is in, as written (relative to the file's folder).
    pub token_file: Option<PathBuf>,
}

/// One thing about a setting, by its key within the platform's table
/// (`api_url`, `webhook.listen`) and what is wrong or risky.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingNote {
    pub key: String,
    pub message: String,
}

/// What checking a platform's table found: settings that are wrong (the
/// configuration is refused), and settings that are allowed but risky (a
/// warning at startup).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SettingsCheck {
    pub problems: Vec<SettingNote>,
    pub risky: Vec<SettingNote>,
}

impl SettingsCheck {
    pub fn problem(&mut self, key: &str, message: impl Into<String>) {
        self.problems.push(SettingNote {
            key: key.to_string(),
            message: message.into(),
        });
    }

    pub fn risky(&mut self, key: &str, message: impl Into<String>) {
        self.risky.push(SettingNote {
            key: key.to_string(),
            message: message.into(),
        });
    }

    /// The URL `text` at `key` (`default` when absent), which must have a
    /// host and one of `schemes`; plain http or ws beyond this machine is
    /// allowed but risky. A bad URL is a problem, and `default` stands in.
    pub fn url(&mut self, key: &str, text: Option<&str>, default: &str, schemes: &[&str]) -> Url {
        let fallback = || Url::parse(default).expect("a valid default URL");
        let Some(text) = text else {
            return fallback();
        };
        match Url::parse(text) {
            Ok(url) if schemes.contains(&url.scheme()) && url.host().is_some() => {
                if matches!(url.scheme(), "http" | "ws") && !is_this_machine(&url) {
                    self.risky(
                        key,
                        format!("`{text}` is not encrypted: the bot token and patients' messages would cross the network in clear; use https (or wss), or a proxy on this machine"),
                    );
                }
                url
            }
            Ok(_) => {
                self.problem(
                    key,
                    format!(
                        "`{text}` must be an {} URL with a host, e.g. {default}",
                        schemes.join(" or ")
                    ),
                );
                fallback()
            }
            Err(error) => {
                self.problem(key, format!("`{text}` is not a URL: {error}"));
                fallback()
            }
        }
    }

    /// The address and port `text` at `key`; `None` (and a problem) when it
    /// is not one.
    pub fn socket_address(&mut self, key: &str, text: &str, example: &str) -> Option<SocketAddr> {
        match text.parse() {
            Ok(address) => Some(address),
            Err(_) => {
                self.problem(
                    key,
                    format!("`{text}` is not an IP address and port, e.g. {example}"),
                );
                None
            }
        }
    }
}

/// Whether `url` points at this machine, where plain http never crosses a
/// network (a proxy or a test server beside carebot).
fn is_this_machine(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name.to_ascii_lowercase().ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A chat platform's adapter, as `carebot serve` runs it. The adapter's
/// client type implements it (`carebot_telegram::Telegram`,
/// `carebot_discord::Discord`); clients are cheap handles to clone.
pub trait ChatAdapter: Clone + Send + Sync + 'static {
    /// The platform's name: its table in `carebot.toml`, the prefix of its
    /// addresses (`telegram:12345`), its token variables
    /// ([`token_variables`]) and its cargo feature in the binary.
    const NAME: &'static str;
    /// The platform's table as written. Unknown keys are refused, so a typo
    /// is an error rather than a setting silently ignored; it has the
    /// [`TokenKeys`] every platform has, and the platform's own.
    type File: DeserializeOwned + Default;
    /// The table checked: what the adapter needs from the file to connect.
    type Settings: std::fmt::Debug + Clone + PartialEq + Send + Sync + 'static;
    type Error: std::fmt::Display + Send;

    /// Checks the table, noting problems and risky settings in `check` by
    /// their key within the table; the settings are complete even then
    /// (defaults stand in for what is wrong).
    fn check(file: Self::File, check: &mut SettingsCheck) -> (TokenKeys, Self::Settings);

    /// Whether `chat` (what follows `NAME:` in an address the handoff
    /// settings name) can be a chat on this platform; when not, why, with
    /// an example (`telegram ids are numbers, e.g. telegram:-1001234567890`).
    fn check_chat(chat: &str) -> Result<(), String>;

    /// Connects with `settings`, the bot's `token` and the clinicians'
    /// chat (the chat of `handoff.clinician_channel` when it is on this
    /// platform).
    fn connect(
        settings: &Self::Settings,
        token: &str,
        clinician_chat: Option<&str>,
    ) -> impl Future<Output = Result<Self, Self::Error>> + Send;

    /// Takes updates and hands each to `bot` until `shutdown` completes, then
    /// finishes the replies in flight and returns `Ok`.
    fn run(
        &self,
        bot: Arc<dyn Bot>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Delivers one outbox message; `Ok` once the platform accepted it.
    fn deliver(&self, message: &Outbound)
        -> impl Future<Output = Result<(), DeliveryError>> + Send;

    /// Whether updates are flowing now (for `/healthz`).
    fn is_connected(&self) -> bool;

    /// Whether one process at a time may take the bot's updates (a gateway
    /// connection, long polling), rather than any number of them (a webhook
    /// behind a load balancer). carebot processes sharing a store take turns
    /// for the former.
    fn takes_updates_alone(_settings: &Self::Settings) -> bool {
        true
    }

    /// `settings` for one of several carebot processes serving the same
    /// bot (sharing a store): nothing one process does as it stops may cut
    /// the others off.
    fn for_several_processes(settings: &Self::Settings) -> Self::Settings {
        settings.clone()
    }
}
