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
//! | `settings.rs` | [`DiscordSettings`], the [`Token`] that never prints |
//! | `address.rs` | carebot addresses for Discord people and channels |
//! | `route.rs` | DM, clinician channel or server channel: what goes to the core, and who may act on cases |
//! | `render.rs` | Markdown as Discord shows it, split at 2,000 characters on paragraph boundaries |
//! | `components.rs` | buttons and forms: `custom_id`s within Discord's 100 characters |
//! | `gateway.rs` | the gateway loop: messages, buttons, forms, slash commands |
//! | `send.rs` | REST sends, DM channels, failures in words |
//! | `discord.rs` | [`Discord`]: `connect`, `run`, `deliver`, `is_connected` |
//!
//! ## Wiring it up
//!
//! ```text
//! let discord = Discord::connect(settings).await?;          // checks the token
//! tokio::spawn(dispatch::run(service.clone(), |m| { let d = discord.clone(); async move { d.deliver(&m).await } }, backoff, shutdown1));
//! discord.run(service, shutdown2).await?;                    // until shutdown
//! ```
//!
//! The core's handoff settings name the same clinician channel as
//! [`channel_address`]`(id)` and list clinicians as [`user_address`]`(id)`.

mod address;
mod components;
mod discord;
mod error;
mod gateway;
mod render;
mod route;
mod send;
mod settings;

pub use address::{channel_address, user_address, PLATFORM};
pub use discord::Discord;
pub use error::DiscordError;
pub use settings::{DiscordSettings, Token, DEFAULT_API_URL, TOKEN_ENV};
pub use url::Url;
