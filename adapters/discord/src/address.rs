//! carebot addresses for Discord.
//!
//! | address | means | sent by |
//! |---|---|---|
//! | `discord:<user id>` | a person, and their direct messages with the bot | `POST /users/@me/channels` (cached), then the DM channel |
//! | `discord:channel:<channel id>` | a server channel (the clinician channel, a channel the bot was mentioned in) | the channel |
//!
//! A person has one address whether they write in a DM or mention the bot in a
//! server: the core moves a health question asked in public to `sender.user`,
//! and the patient's answer then arrives from the DM, so both must be the same
//! conversation. Clinicians are listed in the core's settings by the same
//! `discord:<user id>`.

use carebot_chat::Address;
use serenity::all::{ChannelId, UserId};

/// The platform name in every Discord address.
pub const PLATFORM: &str = "discord";

const CHANNEL_PREFIX: &str = "channel:";

/// A person and their direct messages with the bot: `discord:<user id>`.
pub fn user_address(user_id: u64) -> Address {
    Address::new(PLATFORM, user_id.to_string())
}

/// A server channel: `discord:channel:<channel id>`.
pub fn channel_address(channel_id: u64) -> Address {
    Address::new(PLATFORM, format!("{CHANNEL_PREFIX}{channel_id}"))
}

/// Where an address points on Discord.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// A person: open (or reuse) the DM channel with them.
    User(UserId),
    /// A channel, as is.
    Channel(ChannelId),
}

impl Target {
    /// The Discord target of `address`; `None` for another platform's address
    /// or one this adapter never made.
    pub(crate) fn of(address: &Address) -> Option<Target> {
        if address.platform != PLATFORM {
            return None;
        }
        let (id, make): (&str, fn(u64) -> Target) = match address.chat.strip_prefix(CHANNEL_PREFIX)
        {
            Some(id) => (id, |id| Target::Channel(ChannelId::new(id))),
            None => (&address.chat, |id| Target::User(UserId::new(id))),
        };
        match id.parse::<u64>() {
            Ok(id) if id != 0 => Some(make(id)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip() {
        assert_eq!(user_address(42).to_string(), "discord:42");
        assert_eq!(channel_address(7).to_string(), "discord:channel:7");
        assert_eq!(
            Target::of(&user_address(42)),
            Some(Target::User(UserId::new(42)))
        );
        assert_eq!(
            Target::of(&channel_address(7)),
            Some(Target::Channel(ChannelId::new(7)))
        );
        for bad in [
            "telegram:42",
            "discord:channel:x",
            "discord:0",
            "discord:abc",
        ] {
            assert_eq!(Target::of(&bad.parse().unwrap()), None, "{bad}");
        }
    }
}
