//! carebot addresses for Telegram chats: `telegram:<chat id>`. In a private
//! chat the chat id is the user's id, so a user's address is also where to
//! write to them privately.

use carebot_chat::Address;

/// The platform name in carebot addresses.
pub const PLATFORM: &str = "telegram";

/// The address of a Telegram chat.
pub fn chat_address(chat: i64) -> Address {
    Address::new(PLATFORM, chat.to_string())
}

/// The address of a Telegram user (and of their private chat with the bot).
pub fn user_address(user: u64) -> Address {
    Address::new(PLATFORM, user.to_string())
}

/// The Telegram chat id an address names, if it is a Telegram address.
pub fn chat_id(address: &Address) -> Option<i64> {
    if address.platform != PLATFORM {
        return None;
    }
    address.chat.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip() {
        let group = chat_address(-1001234567890);
        assert_eq!(group.to_string(), "telegram:-1001234567890");
        assert_eq!(chat_id(&group), Some(-1001234567890));
        assert_eq!(user_address(42).to_string(), "telegram:42");
        assert_eq!(chat_id(&"discord:42".parse().unwrap()), None);
        assert_eq!(chat_id(&"telegram:abc".parse().unwrap()), None);
    }
}
