//! Where a message comes from or goes to: a chat platform and a chat id on it.
//!
//! The core keys a patient's conversation, cases and consent by address, and
//! the outbox delivers to addresses, so every adapter must produce the same
//! address for the same chat every time (Telegram: the chat id; Discord: the
//! channel id of the direct-message channel; the terminal: `terminal:<user>`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A chat on one platform, written `platform:chat` (`telegram:12345`).
///
/// Stored and configured in its written form, so settings files can list
/// clinicians as `"telegram:12345"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Address {
    /// Lower-case platform name: `telegram`, `discord`, `terminal`...
    pub platform: String,
    /// The platform's id for the chat (or user); any text without control characters.
    pub chat: String,
}

impl Address {
    pub fn new(platform: impl Into<String>, chat: impl Into<String>) -> Address {
        Address {
            platform: platform.into(),
            chat: chat.into(),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.platform, self.chat)
    }
}

/// Why a text is not an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressError(String);

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a chat address: write it as platform:chat, e.g. telegram:12345",
            self.0
        )
    }
}

impl std::error::Error for AddressError {}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(text: &str) -> Result<Address, AddressError> {
        // The platform never contains ':', chat ids may (so split at the first).
        let (platform, chat) = text
            .split_once(':')
            .ok_or_else(|| AddressError(text.to_string()))?;
        let platform_ok = !platform.is_empty()
            && platform
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !platform_ok || chat.is_empty() || chat.chars().any(char::is_control) {
            return Err(AddressError(text.to_string()));
        }
        Ok(Address::new(platform, chat))
    }
}

impl TryFrom<String> for Address {
    type Error = AddressError;

    fn try_from(text: String) -> Result<Address, AddressError> {
        text.parse()
    }
}

impl From<Address> for String {
    fn from(address: Address) -> String {
        address.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        let address: Address = "discord:1234:5678".parse().unwrap();
        assert_eq!(address, Address::new("discord", "1234:5678"));
        assert_eq!(address.to_string(), "discord:1234:5678");
        assert!("telegram".parse::<Address>().is_err());
        assert!(":123".parse::<Address>().is_err());
        assert!("Telegram:123".parse::<Address>().is_err());
        assert!("telegram:".parse::<Address>().is_err());
    }
}
