//! # carebot-discord — carebot on Discord
//!
//! A thin translator between Discord (through serenity) and carebot's core,
//! which it reaches only through the [`Bot`](carebot_chat::Bot) seam of
//! `carebot-chat`. Nothing clinical lives here: the adapter turns Discord
//! events into [`Inbound`](carebot_chat::Inbound)s, hands them to the bot, and
//! renders the [`Reply`](carebot_chat::Reply)s that come back.
//!
//! ## Layout
//!
//! | file | holds |
//! |---|---|
//! | `settings.rs`, `error.rs` | [`DiscordSettings`], the [`Token`] that never prints; [`DiscordError`] |
//! | `address.rs` | carebot addresses for Discord people and channels |
//! | `route.rs` | DM, clinician channel or server channel: what goes to the core, and who may act on cases |
//! | `components.rs` | buttons and forms: `custom_id`s within Discord's 100 characters; who a message may ping |
//! | `render.rs` | Markdown as Discord shows it, split at 2,000 characters on paragraph boundaries |
//! | `rest.rs` | serenity's client, and rate limits kept whatever the REST base (serenity's limiter only knows discord.com) |
//! | `connection.rs` | what one connected bot shares: settings, REST client, remembered DM channels, gateway up or down |
//! | `send.rs` | REST sends, DM channels, retries, failures in words |
//! | `gateway.rs` | the gateway loop: messages, buttons, forms, slash commands |
//! | `platform.rs` | the `[discord]` table of carebot.toml: [`RawDiscord`], checked into [`DiscordTable`] |
//! | `discord.rs` | [`Discord`]: `connect`, and as [`ChatAdapter`](carebot_chat::ChatAdapter) (what `carebot serve` runs) `run`, `deliver`, `is_connected` |
//!
//! Each file uses only files listed above it, so no two import each other.
//!
//! ## Wiring it up (what `carebot serve` does through `platform.rs`)
//!
//! ```text
//! let discord = Discord::connect(settings).await?;      // checks the token: DiscordError::TokenRejected
//! // The outbox holds every platform's messages: hand Discord's to deliver().
//! let deliver = { let discord = discord.clone(); move |message: Outbound| {
//!     let discord = discord.clone();
//!     async move { discord.deliver(&message).await } } };   // route on message.to.platform == PLATFORM
//! tokio::spawn(carebot::dispatch::run(service.clone(), deliver, Backoff::default(), shutdown_1));
//! discord.run(service.clone() /* Arc<Service> as Arc<dyn Bot> */, shutdown_2).await?;
//! // /healthz: discord.is_connected()
//! ```
//!
//! The core's handoff settings name the same clinician channel as
//! [`channel_address`]`(id)` (`discord:channel:<id>`) and list clinicians as
//! [`user_address`]`(id)` (`discord:<user id>`).
//!
//! ## On Discord's side
//!
//! The bot needs the `bot` and `applications.commands` scopes, and in the
//! clinician channel and any channel where patients may mention it: View
//! Channel, Send Messages, Read Message History. Without the privileged
//! Message Content intent (the default), clinicians start a typed command
//! with a mention (`@carebot /claim C-0042`) or use the buttons.

mod address;
mod components;
mod connection;
mod discord;
mod error;
mod gateway;
mod platform;
mod render;
mod rest;
mod route;
mod send;
mod settings;

pub use address::{channel_address, user_address, PLATFORM};
pub use discord::Discord;
pub use error::DiscordError;
pub use platform::{DiscordTable, RawDiscord};
pub use settings::{DiscordSettings, Token, DEFAULT_API_URL};
pub use url::Url;
