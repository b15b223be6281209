//! What one connected bot shares between its gateway loop, its sends and
//! [`crate::Discord`]'s methods: the settings, the REST client, who may act
//! on cases, remembered DM channels and buttons, and whether the gateway is up.
//!
//! It sits below `gateway.rs`, `send.rs` and `discord.rs`, which all use it
//! and none of which it uses.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use carebot_chat::SentParts;
use serenity::all::{ChannelId, UserId};

use crate::components::ButtonIds;
use crate::rest::Rest;
use crate::route::Router;
use crate::DiscordSettings;

/// One connection's state. The [`crate::Discord`] handle and the gateway's
/// handler share it through an `Arc`.
pub(crate) struct Connection {
    pub settings: DiscordSettings,
    /// One REST client (and so one rate limiter) for everything the adapter
    /// sends, replies and outbox alike.
    pub rest: Rest,
    pub router: Router,
    /// Each person's DM channel with the bot, so a reply to `discord:<user>`
    /// opens it only once.
    pub dm_channels: Mutex<HashMap<UserId, ChannelId>>,
    /// How many parts of a split outbox message already went out, so a retry
    /// after a failure in the middle sends only the rest.
    pub sent_parts: SentParts,
    pub buttons: ButtonIds,
    pub connected: AtomicBool,
    /// Gateway sessions established (READY or RESUMED) since start: the
    /// reconnect loop tells a working connection that dropped from one that
    /// never came up.
    pub sessions: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Connection {
    pub(crate) fn dm_channel(&self, user: UserId) -> Option<ChannelId> {
        lock(&self.dm_channels).get(&user).copied()
    }

    pub(crate) fn remember_dm(&self, user: UserId, channel: ChannelId) {
        lock(&self.dm_channels).insert(user, channel);
    }

    /// Whether the gateway connection is up (identified or resumed).
    pub(crate) fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    pub(crate) fn set_connected(&self, connected: bool) {
        self.connected.store(connected, Ordering::Release);
    }

    /// The gateway is up: READY or RESUMED arrived.
    pub(crate) fn session_started(&self) {
        self.sessions.fetch_add(1, Ordering::AcqRel);
        self.set_connected(true);
    }

    /// How many gateway sessions were established since start.
    pub(crate) fn sessions(&self) -> u64 {
        self.sessions.load(Ordering::Acquire)
    }
}
