//! [`Discord`]: one connected bot. `connect` checks the token, `run` keeps the
//! gateway open and answers messages, `deliver` sends the core's outbox
//! messages, `is_connected` tells a health check whether the gateway is up.
//!
//! This is the top of the adapter: it uses the gateway, sending and the
//! shared [`Connection`], and nothing in the crate uses it back.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};

use carebot_chat::platform::{SettingsCheck, TokenKeys};
use carebot_chat::{Bot, ChatAdapter, DeliveryError, Outbound, Purpose, SentParts};
use serenity::all::{ChannelId, RoleId};

use crate::address::channel_address;
use crate::components::{case_actions, ButtonIds};
use crate::connection::Connection;
use crate::platform::{DiscordTable, RawDiscord};
use crate::render::render;
use crate::rest::Rest;
use crate::route::Router;
use crate::send::{describe, SendError};
use crate::{DiscordError, DiscordSettings, PLATFORM};

/// The Discord adapter. Cheap to clone: clones share one connection state.
#[derive(Clone)]
pub struct Discord {
    inner: Arc<Connection>,
}

impl Discord {
    /// Checks the token with Discord (`GET /users/@me`) and prepares the
    /// adapter. Nothing is received until [`Discord::run`].
    pub async fn connect(settings: DiscordSettings) -> Result<Discord, DiscordError> {
        let rest = Rest::new(&settings)?;
        let me = rest.http.get_current_user().await.map_err(|error| {
            let error = describe(&error);
            match error.status {
                Some(401) => DiscordError::TokenRejected,
                _ => DiscordError::Unreachable {
                    reason: error.reason,
                },
            }
        })?;
        tracing::info!(bot = %me.id, "connected to Discord's REST API");
        let router = Router {
            bot: me.id,
            clinician_channel: settings
                .clinician_channel
                .filter(|id| *id != 0)
                .map(ChannelId::new),
            clinician_role: settings
                .clinician_role
                .filter(|id| *id != 0)
                .map(RoleId::new),
        };
        Ok(Discord {
            inner: Arc::new(Connection {
                settings,
                rest,
                router,
                dm_channels: Mutex::new(HashMap::new()),
                sent_parts: SentParts::default(),
                buttons: ButtonIds::default(),
                connected: AtomicBool::new(false),
                sessions: AtomicU64::new(0),
            }),
        })
    }
}

/// What `carebot serve` runs: the `[discord]` table (`platform.rs`), and
/// the client's connect, run and deliver.
impl ChatAdapter for Discord {
    const NAME: &'static str = PLATFORM;
    type File = RawDiscord;
    type Settings = DiscordTable;
    type Error = DiscordError;

    fn check(raw: RawDiscord, check: &mut SettingsCheck) -> (TokenKeys, DiscordTable) {
        raw.check(check)
    }

    fn check_chat(chat: &str) -> Result<(), String> {
        DiscordTable::check_chat(chat)
    }

    /// Fails before any request only if Discord's token check refuses the
    /// token's shape.
    async fn connect(
        table: &DiscordTable,
        token: &str,
        clinician_chat: Option<&str>,
    ) -> Result<Discord, DiscordError> {
        Discord::connect(table.settings(token, clinician_chat)?).await
    }

    /// Receives messages, buttons and slash commands from the gateway and
    /// answers them through `bot`, reconnecting after any interruption, until
    /// `shutdown` completes. Fails only when Discord refuses the token or the
    /// intents (a gateway close 4004, 4013 or 4014).
    async fn run(
        &self,
        bot: Arc<dyn Bot>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), DiscordError> {
        crate::gateway::run(self.inner.clone(), bot, shutdown).await
    }

    /// Delivers one outbox message: `Ok` once Discord accepted every part.
    /// Rate limits, Discord's failures and network errors come back as a
    /// [`DeliveryError`] so the outbox retries later; so does anything else,
    /// with Discord's reason for the log.
    async fn deliver(&self, message: &Outbound) -> Result<(), DeliveryError> {
        let inner = &self.inner;
        let to_clinicians = matches!(
            message.purpose,
            Purpose::CaseOpened { .. }
                | Purpose::CaseUpdated { .. }
                | Purpose::CaseEscalated { .. }
                | Purpose::CaseReminder { .. }
        );
        let actions = match message.purpose.case() {
            Some(case) if to_clinicians => case_actions(&case.to_string()),
            _ => Vec::new(),
        };
        // A new, newly urgent or still-unclaimed case pings the clinician
        // role in its channel.
        let ping = match (message.purpose, inner.router.clinician_role) {
            (
                Purpose::CaseOpened { .. }
                | Purpose::CaseEscalated { .. }
                | Purpose::CaseReminder { .. },
                Some(role),
            ) if inner
                .router
                .clinician_channel
                .is_some_and(|channel| channel_address(channel.get()) == message.to) =>
            {
                Some(role)
            }
            _ => None,
        };
        let prefix = ping.map(|role| format!("<@&{role}>"));
        let parts = render(&message.reply, &actions, prefix.as_deref(), &inner.buttons);
        let channel = inner
            .channel_of(&message.to)
            .await
            .map_err(delivery_error)?;
        inner
            .sent_parts
            .send_remaining(message.id, &parts, |part| inner.post(channel, part, ping))
            .await
            .map_err(delivery_error)
    }

    /// Whether the gateway connection is up (identified or resumed).
    fn is_connected(&self) -> bool {
        self.inner.is_connected()
    }
}

impl fmt::Debug for Discord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Discord")
            .field("bot", &self.inner.router.bot)
            .field("connected", &self.is_connected())
            .field("settings", &self.inner.settings)
            .finish()
    }
}

/// A 403 (Discord's "cannot send messages to this user": they left every
/// shared server, closed their DMs or blocked the bot) will not go away by
/// retrying; anything else may.
fn delivery_error(error: SendError) -> DeliveryError {
    if error.status == Some(403) {
        DeliveryError::recipient_refuses(error.reason)
    } else {
        DeliveryError::new(error.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_403_means_the_recipient_refuses() {
        let error = |status: Option<u16>, transient: bool| SendError {
            transient,
            status,
            reason: "Discord answered".to_string(),
        };
        assert!(delivery_error(error(Some(403), false)).recipient_refuses);
        for (status, transient) in [
            (Some(429), true),
            (Some(500), true),
            (Some(404), false),
            (None, true),
        ] {
            assert!(!delivery_error(error(status, transient)).recipient_refuses);
        }
    }
}
