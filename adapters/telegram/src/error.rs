//! What can go wrong starting or running the adapter, in words an operator
//! can act on. No variant ever holds the token: every text that came from the
//! HTTP stack passes through [`Token::redact`](crate::Token) first.

use std::net::SocketAddr;

/// Why the Telegram adapter could not start or keep running.
#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    #[error("the Telegram bot token is empty or has spaces in it; set ${var} or the token file to the token @BotFather gave you", var = carebot_chat::platform::token_variables(crate::PLATFORM).0)]
    BadToken,
    #[error(
        "Telegram refused the bot token (check it with @BotFather, or whether it was revoked)"
    )]
    Unauthorized,
    #[error("cannot reach the Telegram Bot API at {api}: {reason}")]
    Unreachable { api: String, reason: String },
    #[error("the Telegram Bot API at {api} answered {call} with an error: {reason}")]
    Api {
        api: String,
        call: &'static str,
        reason: String,
    },
    #[error("the bot has no username; every Telegram bot should have one")]
    NoUsername,
    #[error("cannot set up the HTTP client for Telegram: {0}")]
    Client(String),
    #[error("cannot listen for Telegram's webhook on {address}: {reason}")]
    Listen { address: SocketAddr, reason: String },
    #[error("the webhook server stopped: {0}")]
    Webhook(String),
}
