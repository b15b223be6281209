//! # carebot-telegram — carebot on Telegram
//!
//! A thin translator between the Telegram Bot API (through teloxide) and
//! carebot's [`Bot`](carebot_chat::Bot) seam. Nothing clinical lives here: a Telegram update
//! becomes an [`Inbound`](carebot_chat::Inbound), the core decides, and its
//! [`Reply`](carebot_chat::Reply)s are rendered back as Telegram messages.
//!
//! ## Layout
//!
//! | file | concern |
//! |---|---|
//! | `settings.rs` | [`TelegramSettings`] (token, API URL, webhook, clinician group), [`Token`], test [`Tuning`] |
//! | `route.rs` | which messages are for the bot, and as what: private chat → patient, clinician group → commands, other groups → public (only when mentioned or commanded) |
//! | `run.rs` | long polling or the webhook, per-chat ordered handling, graceful shutdown |
//! | `handle.rs` | one update in (a message, a button tap), the core's replies out, emergency first |
//! | `send.rs` | sending a reply: rendering, rate limits, retries, what a refusal means |
//! | `request.rs` | `sendMessage` without teloxide's 10 s sleep after a 5xx |
//! | `render.rs` | carebot's Markdown as Telegram HTML, split into messages of ≤ 4096 characters |
//! | `keyboard.rs` | reply buttons as inline keyboards (a tap sends the button's reply) |
//! | `limit.rs` | Telegram's flood limits: per chat, and overall with emergencies first |
//! | `address.rs` | `telegram:<chat id>` addresses ⇄ Telegram chat ids |
//! | `error.rs` | [`TelegramError`] |
//! | `platform.rs` | the `[telegram]` table of carebot.toml: [`RawTelegram`], checked into [`TelegramTable`] |
//! | `lib.rs` | [`Telegram`]: `connect`, and as [`ChatAdapter`](carebot_chat::ChatAdapter) (what `carebot serve` runs) `run`, `deliver`, `is_connected` |
//!
//! ## How a message flows
//!
//! `getUpdates` (or the webhook) → teloxide's dispatcher, one queue per chat so
//! a chat's messages are answered in order while chats proceed in parallel →
//! [`Bot::handle`](carebot_chat::Bot::handle) on a blocking thread → the deliveries, emergency advice
//! first → `sendMessage` per chunk, each waiting its turn under the limits.
//! Messages for anyone else (case notifications, a clinician's reply to a
//! patient) come from the core's durable outbox through [`Telegram::deliver`].
//!
//! ## Running it
//!
//! ```ignore
//! // `carebot serve` does this through ChatAdapter::connect (platform.rs): it
//! // reads the token ($CAREBOT_TELEGRAM_TOKEN or its _FILE twin); the adapter
//! // only checks its shape.
//! let token = Token::new(secret)?;
//! let settings = TelegramSettings {
//!     // The core's clinician channel, when it is a Telegram group.
//!     clinician_group: handoff.clinician_channel.as_ref().and_then(carebot_telegram::chat_id),
//!     ..TelegramSettings::new(token)
//! };
//! let telegram = Telegram::connect(settings).await?;          // getMe + command menus
//! let deliver = { let t = telegram.clone(); move |m: Outbound| { let t = t.clone(); async move { t.deliver(&m).await } } };
//! tokio::spawn(carebot::dispatch::run(service.clone(), deliver, Backoff::default(), shutdown.clone()));
//! telegram.run(service.clone(), shutdown).await?;              // until shutdown; replies under way finish
//! // /healthz: telegram.is_connected()
//! ```
//!
//! ## Secrets
//!
//! The token is in every request URL, so every error text that could quote a
//! URL is scrubbed of it, and neither [`Token`], [`TelegramSettings`] nor
//! [`Telegram`] prints it.

mod address;
mod error;
mod handle;
mod keyboard;
mod limit;
mod platform;
mod render;
mod request;
mod route;
mod run;
mod send;
mod settings;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use std::future::Future;

use carebot_chat::platform::{SettingsCheck, TokenKeys};
use carebot_chat::{Bot, ChatAdapter, DeliveryError, Outbound, SentParts};
use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope, Recipient};
use teloxide::RequestError;

pub use address::{chat_address, chat_id, user_address, PLATFORM};
pub use error::TelegramError;
pub use platform::{RawTelegram, TelegramTable};
pub use render::MAX_MESSAGE;
/// The URL type of [`TelegramSettings::api_url`] and [`Webhook::public_url`].
pub use url::Url;

pub use settings::{
    default_api_url, Limits, Rate, Retry, TelegramSettings, Token, Tuning, Webhook, DEFAULT_API_URL,
};

use keyboard::Callbacks;
use limit::Limiter;
use send::SendError;

/// A connected Telegram bot. Cheap to clone: clones share one connection,
/// one rate limiter and one connection state.
#[derive(Clone)]
pub struct Telegram {
    inner: Arc<Inner>,
}

/// Everything the handlers and senders share.
struct Inner {
    bot: teloxide::Bot,
    /// Kept to scrub it from error texts.
    token: Token,
    /// The API's address without the token, for error messages.
    api: String,
    /// The bot's @username, without the @: how it is mentioned in groups.
    username: String,
    id: UserId,
    clinician_group: Option<ChatId>,
    webhook: Option<Webhook>,
    tuning: Tuning,
    limiter: Limiter,
    callbacks: Callbacks,
    /// How far each split outbox message got, so a retry sends only the rest.
    sent_parts: SentParts,
    /// Whether the last request to Telegram got an answer (for /healthz).
    connected: AtomicBool,
}

impl std::fmt::Debug for Telegram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telegram")
            .field("bot", &format_args!("@{}", self.inner.username))
            .field("api", &self.inner.api)
            .field("clinician_group", &self.inner.clinician_group)
            .field("webhook", &self.inner.webhook)
            .field("connected", &self.is_connected())
            .finish()
    }
}

/// What `carebot serve` runs: the `[telegram]` table (`platform.rs`), and
/// the client's connect, run and deliver.
impl ChatAdapter for Telegram {
    const NAME: &'static str = PLATFORM;
    type File = RawTelegram;
    type Settings = TelegramTable;
    type Error = TelegramError;

    fn check(raw: RawTelegram, check: &mut SettingsCheck) -> (TokenKeys, TelegramTable) {
        raw.check(check)
    }

    fn check_chat(chat: &str) -> Result<(), String> {
        TelegramTable::check_chat(chat)
    }

    /// Fails before any request only if the token's shape is refused.
    async fn connect(
        table: &TelegramTable,
        token: &str,
        clinician_chat: Option<&str>,
    ) -> Result<Telegram, TelegramError> {
        Telegram::connect(table.settings(token, clinician_chat)?).await
    }

    /// Takes updates (long polling, or the webhook when configured) and
    /// answers them through `bot` until `shutdown` completes; then stops
    /// taking updates, lets the replies under way finish, and returns.
    async fn run(
        &self,
        bot: Arc<dyn Bot>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), TelegramError> {
        run::run(self.inner.clone(), bot, shutdown).await
    }

    /// Sends one message from the core's outbox. `Ok` once Telegram accepted
    /// every part of it; an error (never quoting the message) to have the
    /// outbox retry later, which then sends only the parts not yet accepted.
    async fn deliver(&self, message: &Outbound) -> Result<(), DeliveryError> {
        let chat = chat_id(&message.to).ok_or_else(|| {
            DeliveryError::new(format!(
                "{} is not a Telegram chat address",
                message.to.platform
            ))
        })?;
        self.inner
            .send_outbound(message, ChatId(chat))
            .await
            .map_err(|error| match error {
                SendError::NotAllowed(_) => DeliveryError::recipient_refuses(error.to_string()),
                _ => DeliveryError::new(error.to_string()),
            })
    }

    /// Whether the last request to Telegram got an answer.
    fn is_connected(&self) -> bool {
        self.inner.connected.load(Ordering::Relaxed)
    }

    /// Long polling by two processes fails (Telegram answers 409 Conflict);
    /// a webhook behind a load balancer serves any number.
    fn takes_updates_alone(table: &TelegramTable) -> bool {
        table.webhook.is_none()
    }

    fn for_several_processes(table: &TelegramTable) -> TelegramTable {
        let mut table = table.clone();
        if let Some(webhook) = &mut table.webhook {
            webhook.remove_at_shutdown = false;
        }
        table
    }
}

/// The commands in every chat's menu. carebot understands them as text
/// (`/start` and `/help` are translated in `route.rs`).
const PATIENT_COMMANDS: [(&str, &str); 7] = [
    ("start", "What I can do, and what I keep about you"),
    ("help", "What I can help you with"),
    ("agent", "Talk to a person at the practice"),
    ("forget", "Delete everything I've stored about you"),
    ("mydata", "See everything I've stored about you"),
    ("notices", "Health notices from the practice"),
    ("language", "English / Español"),
];

impl Telegram {
    /// Checks the token with `getMe` and registers the command menus (the
    /// patients' everywhere, the clinicians' in their group).
    pub async fn connect(settings: TelegramSettings) -> Result<Telegram, TelegramError> {
        Telegram::connect_with(settings, Tuning::default()).await
    }

    /// [`Telegram::connect`] with other timeouts, limits and retry delays.
    pub async fn connect_with(
        settings: TelegramSettings,
        tuning: Tuning,
    ) -> Result<Telegram, TelegramError> {
        let TelegramSettings {
            token,
            api_url,
            webhook,
            clinician_group,
        } = settings;
        let api = api_without_secrets(&api_url);
        let client = teloxide::net::default_reqwest_settings()
            .timeout(tuning.request_timeout)
            .build()
            .map_err(|error| TelegramError::Client(token.redact(&error.to_string())))?;
        let bot = teloxide::Bot::with_client(token.expose(), client).set_api_url(api_url);
        let me = bot
            .get_me()
            .await
            .map_err(|error| startup_error(&token, &api, "getMe", &error))?;
        let username = me.user.username.clone().ok_or(TelegramError::NoUsername)?;
        let inner = Inner {
            bot,
            token,
            api,
            username,
            id: me.user.id,
            clinician_group: clinician_group.map(ChatId),
            webhook,
            tuning,
            limiter: Limiter::new(tuning.limits),
            callbacks: Callbacks::default(),
            sent_parts: SentParts::default(),
            connected: AtomicBool::new(true),
        };
        inner.register_commands().await;
        tracing::info!(bot = %inner.username, api = %inner.api, "connected to Telegram");
        Ok(Telegram {
            inner: Arc::new(inner),
        })
    }

    /// The bot's @username, without the @.
    pub fn username(&self) -> &str {
        &self.inner.username
    }
}

impl Inner {
    fn reached(&self, reached: bool) {
        self.connected.store(reached, Ordering::Relaxed);
    }

    /// A request error as text an operator can act on, without the token.
    fn describe(&self, error: &RequestError) -> String {
        describe(&self.token, error)
    }

    /// The menus are a convenience: failing to set them is logged, not fatal.
    async fn register_commands(&self) {
        let patient: Vec<BotCommand> = PATIENT_COMMANDS
            .iter()
            .map(|(name, description)| BotCommand::new(*name, *description))
            .collect();
        if let Err(error) = self.bot.set_my_commands(patient).await {
            tracing::warn!(reason = %self.describe(&error), "cannot register the command menu");
        }
        let Some(group) = self.clinician_group else {
            return;
        };
        let clinician = clinician_commands();
        let scope = BotCommandScope::Chat {
            chat_id: Recipient::Id(group),
        };
        if let Err(error) = self.bot.set_my_commands(clinician).scope(scope).await {
            tracing::warn!(reason = %self.describe(&error), group = group.0, "cannot register the clinician group's command menu (is the bot in the group?)");
        }
    }
}

/// The clinician group's menu, from the usage lines the core documents.
fn clinician_commands() -> Vec<BotCommand> {
    carebot_chat::USAGE
        .iter()
        .filter_map(|usage| {
            let (syntax, what) = usage.split_once(" — ")?;
            let name = syntax.trim_start_matches('/').split(' ').next()?;
            let description = if syntax.contains(' ') {
                format!("{what} ({syntax})")
            } else {
                what.to_string()
            };
            Some(BotCommand::new(name, description))
        })
        .collect()
}

fn describe(token: &Token, error: &RequestError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    token.redact(&text)
}

fn startup_error(
    token: &Token,
    api: &str,
    call: &'static str,
    error: &RequestError,
) -> TelegramError {
    use teloxide::ApiError;
    match error {
        RequestError::Api(ApiError::InvalidToken) => TelegramError::Unauthorized,
        RequestError::Network(_) | RequestError::Io(_) => TelegramError::Unreachable {
            api: api.to_string(),
            reason: describe(token, error),
        },
        _ => TelegramError::Api {
            api: api.to_string(),
            call,
            reason: describe(token, error),
        },
    }
}

/// The API URL as it may be logged: no user, password, query or fragment.
fn api_without_secrets(url: &url::Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.as_str().trim_end_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clinician_commands_follow_the_core_usage() {
        let commands = clinician_commands();
        let names: Vec<&str> = commands.iter().map(|c| c.command.as_str()).collect();
        assert_eq!(
            names,
            ["cases", "case", "claim", "reply", "resolve", "help", "notice"]
        );
        assert_eq!(commands[2].description, "take a case (/claim C-0042)");
        assert!(commands
            .iter()
            .all(|c| c.command.len() <= 32 && c.description.len() <= 256));
    }

    #[test]
    fn api_urls_are_shown_without_secrets() {
        let url = url::Url::parse("https://user:pw@api.example/?key=1#x").unwrap();
        assert_eq!(api_without_secrets(&url), "https://api.example");
    }
}
