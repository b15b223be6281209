//! The `[discord]` table of carebot.toml, the adapter's own: as written
//! ([`RawDiscord`]), with its defaults, and checked ([`DiscordTable`]),
//! problems noted by key for `carebot serve` to locate in the file. The
//! binary reads the token and passes it in ([`carebot_chat::ChatAdapter`]).

use std::path::PathBuf;

use carebot_chat::platform::{SettingsCheck, TokenKeys};
use serde::de::IgnoredAny;
use serde::Deserialize;
use url::Url;

use crate::{DiscordError, DiscordSettings, Token, DEFAULT_API_URL, PLATFORM};

/// The `[discord]` table as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawDiscord {
    enabled: Option<bool>,
    /// Accepted only to say where the token belongs instead.
    token: Option<IgnoredAny>,
    token_file: Option<PathBuf>,
    api_url: Option<String>,
    gateway_url: Option<String>,
    application_id: Option<u64>,
    clinician_role: Option<u64>,
    message_content: Option<bool>,
}

/// The `[discord]` table, checked: [`DiscordSettings`] but for the token and
/// the clinician channel, which come from elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscordTable {
    pub api_url: Url,
    /// `None`: ask the API where the gateway is.
    pub gateway_url: Option<Url>,
    pub application_id: Option<u64>,
    /// Members of this role may use clinician commands anywhere in the server.
    pub clinician_role: Option<u64>,
    /// Whether the bot asks for the privileged message-content intent (to read
    /// server messages that do not mention it).
    pub message_content: bool,
}

impl RawDiscord {
    /// The table checked, problems noted by their key within it.
    pub(crate) fn check(self, check: &mut SettingsCheck) -> (TokenKeys, DiscordTable) {
        let keys = TokenKeys {
            enabled: self.enabled,
            token_in_file: self.token.is_some(),
            token_file: self.token_file,
        };
        let api_url = check.url(
            "api_url",
            self.api_url.as_deref(),
            DEFAULT_API_URL,
            &["http", "https"],
        );
        let gateway_url = self.gateway_url.as_deref().map(|text| {
            check.url(
                "gateway_url",
                Some(text),
                "wss://gateway.discord.gg",
                &["ws", "wss", "http", "https"],
            )
        });
        let table = DiscordTable {
            api_url,
            gateway_url,
            application_id: self.application_id,
            clinician_role: self.clinician_role,
            message_content: self.message_content.unwrap_or(false),
        };
        (keys, table)
    }
}

impl DiscordTable {
    /// The clinician channel's id from its chat (`channel:<id>`, as
    /// [`crate::channel_address`] writes it).
    pub fn clinician_channel(chat: Option<&str>) -> Option<u64> {
        chat.and_then(|chat| chat.strip_prefix("channel:"))
            .and_then(|id| id.parse().ok())
    }

    /// A person (and their DM) is `discord:<id>`, a server channel
    /// `discord:channel:<id>`, as [`crate::user_address`] and
    /// [`crate::channel_address`] write them; ids are numbers.
    pub(crate) fn check_chat(chat: &str) -> Result<(), String> {
        let id = chat.strip_prefix("channel:").unwrap_or(chat);
        match id.parse::<u64>() {
            Ok(_) => Ok(()),
            Err(_) => Err(format!(
                "{PLATFORM} ids are numbers, e.g. {PLATFORM}:channel:987654321098765432"
            )),
        }
    }

    /// The adapter's settings: these, the bot's `token` and the clinicians'
    /// channel. Fails only if the token's shape is refused.
    pub(crate) fn settings(
        &self,
        token: &str,
        clinician_chat: Option<&str>,
    ) -> Result<DiscordSettings, DiscordError> {
        Ok(DiscordSettings {
            token: Token::new(token.to_string())?,
            api_url: self.api_url.clone(),
            gateway_url: self.gateway_url.clone(),
            application_id: self.application_id,
            clinician_channel: DiscordTable::clinician_channel(clinician_chat),
            clinician_role: self.clinician_role,
            message_content: self.message_content,
        })
    }
}
