//! The `[telegram]` table of carebot.toml, the adapter's own: as written
//! ([`RawTelegram`]), with its defaults, and checked ([`TelegramTable`]),
//! problems noted by key for `carebot serve` to locate in the file. The
//! binary reads the token and passes it in ([`carebot_chat::ChatAdapter`]).

use std::path::PathBuf;

use carebot_chat::platform::{SettingsCheck, TokenKeys};
use serde::de::IgnoredAny;
use serde::Deserialize;
use url::Url;

use crate::{TelegramError, TelegramSettings, Token, Webhook, DEFAULT_API_URL, PLATFORM};

/// The `[telegram]` table as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawTelegram {
    enabled: Option<bool>,
    /// Accepted only to say where the token belongs instead.
    token: Option<IgnoredAny>,
    token_file: Option<PathBuf>,
    api_url: Option<String>,
    webhook: Option<RawWebhook>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    listen: String,
    public_url: String,
}

/// The `[telegram]` table, checked: [`TelegramSettings`] but for the token
/// and the clinician group, which come from elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub struct TelegramTable {
    pub api_url: Url,
    pub webhook: Option<Webhook>,
}

impl RawTelegram {
    /// The table checked, problems noted by their key within it.
    pub(crate) fn check(self, check: &mut SettingsCheck) -> (TokenKeys, TelegramTable) {
        let http = &["http", "https"];
        let keys = TokenKeys {
            enabled: self.enabled,
            token_in_file: self.token.is_some(),
            token_file: self.token_file,
        };
        let api_url = check.url("api_url", self.api_url.as_deref(), DEFAULT_API_URL, http);
        let webhook = self.webhook.and_then(|webhook| {
            let listen = check.socket_address("webhook.listen", &webhook.listen, "0.0.0.0:8443");
            let public_url = check.url(
                "webhook.public_url",
                Some(&webhook.public_url),
                "https://bot.example.org/telegram",
                http,
            );
            Some(Webhook {
                listen: listen?,
                public_url,
                remove_at_shutdown: true,
            })
        });
        (keys, TelegramTable { api_url, webhook })
    }
}

impl TelegramTable {
    /// The clinicians' group's chat id from its chat (`-1001234567890`).
    pub fn clinician_group(chat: Option<&str>) -> Option<i64> {
        chat.and_then(|chat| chat.parse().ok())
    }

    /// Telegram chat ids are numbers (a group's negative): a typo in one
    /// would otherwise only show as a notification that never arrives.
    pub(crate) fn check_chat(chat: &str) -> Result<(), String> {
        match chat.parse::<i64>() {
            Ok(_) => Ok(()),
            Err(_) => Err(format!(
                "{PLATFORM} ids are numbers, e.g. {PLATFORM}:-1001234567890"
            )),
        }
    }

    /// The adapter's settings: these, the bot's `token` and the clinicians'
    /// chat. Fails only if the token's shape is refused.
    pub(crate) fn settings(
        &self,
        token: &str,
        clinician_chat: Option<&str>,
    ) -> Result<TelegramSettings, TelegramError> {
        Ok(TelegramSettings {
            token: Token::new(token.to_string())?,
            api_url: self.api_url.clone(),
            webhook: self.webhook.clone(),
            clinician_group: TelegramTable::clinician_group(clinician_chat),
        })
    }
}
