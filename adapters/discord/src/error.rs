//! What can stop the adapter, in words an operator can act on. No variant
//! ever holds the token or a message's text.

/// Why the Discord adapter could not start or keep running.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscordError {
    /// The token could not be read.
    #[error("Discord token: {reason}")]
    Token { reason: String },
    /// A setting is unusable.
    #[error("Discord settings: {reason}")]
    Settings { reason: String },
    /// Discord refused the token (REST 401 or gateway close 4004).
    #[error(
        "Discord rejected the bot token: check {} or the token file",
        carebot_chat::platform::token_variables(crate::PLATFORM).0
    )]
    TokenRejected,
    /// Discord refused the intents: MESSAGE_CONTENT is privileged.
    #[error("Discord refused the gateway intents: enable the Message Content intent for the bot in the developer portal, or turn message_content off")]
    IntentsRefused,
    /// Discord could not be reached or answered with an error.
    #[error("cannot reach Discord: {reason}")]
    Unreachable { reason: String },
}
