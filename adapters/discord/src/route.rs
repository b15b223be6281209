//! Who wrote what, where: from a Discord message, button or slash command to
//! the core's [`Inbound`].
//!
//! | where | what goes to the core |
//! |---|---|
//! | a DM | everything, as typed ([`Inbound::from_text`]: `/claim …` is a command, the rest a patient message) |
//! | the clinician channel | clinician commands only; the clinicians' own talk is not for the bot |
//! | another server channel | only what mentions the bot (or a button / slash command there): [`Inbound::Public`] |
//!
//! ## Who may act on cases
//!
//! The core authorises a command when `sender.user` is a listed clinician or
//! `sender.chat` is the clinician channel. The adapter decides which `chat` a
//! command carries: the clinician channel's address only for a command given
//! in that channel by a member holding the clinician role (any member when no
//! role is configured). Every other command carries the sender's own DM
//! address as its `chat`, so the core accepts it only from a listed clinician,
//! and its answer (a refusal, for anyone else) goes privately to the sender
//! instead of into a shared channel.

use carebot_chat::{Address, ClinicianCommand, Inbound, Sender};
use serenity::all::{ChannelId, RoleId, UserId};

use crate::address::{channel_address, user_address};

/// Where something was written, and by whom.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub user: UserId,
    /// As others see them: server nickname, display name or user name.
    pub name: String,
    pub channel: ChannelId,
    /// Whether it is a server channel (not a DM).
    pub in_server: bool,
    /// The member's roles in the server (empty in a DM).
    pub roles: Vec<RoleId>,
}

/// The adapter's routing rules (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Router {
    pub bot: UserId,
    pub clinician_channel: Option<ChannelId>,
    pub clinician_role: Option<RoleId>,
}

impl Router {
    /// The text of a message without the bot's mentions, and whether it
    /// mentioned the bot.
    pub(crate) fn strip_mentions(&self, content: &str) -> (String, bool) {
        let mut text = content.to_string();
        let mut mentioned = false;
        for mention in [format!("<@{}>", self.bot), format!("<@!{}>", self.bot)] {
            if text.contains(&mention) {
                mentioned = true;
                text = text.replace(&mention, " ");
            }
        }
        (text.trim().to_string(), mentioned)
    }

    /// The core's view of `text` from `origin`; `None` when it is not for the
    /// bot. `addressed`: the bot was mentioned, or a button or slash command
    /// of the bot's was used.
    pub(crate) fn route(&self, origin: &Origin, text: &str, addressed: bool) -> Option<Inbound> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let user = user_address(origin.user.get());
        let sender = |chat: Address| Sender {
            user: user.clone(),
            chat,
            name: origin.name.clone(),
        };
        if !origin.in_server {
            return Some(Inbound::from_text(sender(user.clone()), text));
        }
        let is_command = ClinicianCommand::parse(text).is_some();
        if Some(origin.channel) == self.clinician_channel {
            if !is_command {
                return None;
            }
            let chat = if self.may_act_in_channel(origin) {
                channel_address(origin.channel.get())
            } else {
                user.clone()
            };
            return Some(Inbound::from_text(sender(chat), text));
        }
        if !addressed {
            return None;
        }
        if is_command {
            return Some(Inbound::from_text(sender(user.clone()), text));
        }
        Some(Inbound::Public {
            sender: sender(channel_address(origin.channel.get())),
            text: text.to_string(),
        })
    }

    fn may_act_in_channel(&self, origin: &Origin) -> bool {
        self.clinician_role
            .is_none_or(|role| origin.roles.contains(&role))
    }

    /// The chat where a slash command's `/help` means the clinicians' help.
    pub(crate) fn is_clinician_channel(&self, channel: ChannelId) -> bool {
        Some(channel) == self.clinician_channel
    }
}

/// The address of the chat `origin` wrote in: their DM, or the server channel.
pub(crate) fn chat_of(origin: &Origin) -> Address {
    if origin.in_server {
        channel_address(origin.channel.get())
    } else {
        user_address(origin.user.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carebot_chat::CaseId;

    const BOT: u64 = 1;
    const CLINICIANS: u64 = 500;
    const ROLE: u64 = 77;

    fn router() -> Router {
        Router {
            bot: UserId::new(BOT),
            clinician_channel: Some(ChannelId::new(CLINICIANS)),
            clinician_role: Some(RoleId::new(ROLE)),
        }
    }

    fn origin(channel: u64, in_server: bool, roles: &[u64]) -> Origin {
        Origin {
            user: UserId::new(42),
            name: "Sam".into(),
            channel: ChannelId::new(channel),
            in_server,
            roles: roles.iter().copied().map(RoleId::new).collect(),
        }
    }

    #[test]
    fn mentions_are_stripped() {
        assert_eq!(
            router().strip_mentions("<@1> hello <@!1>"),
            ("hello".to_string(), true)
        );
        assert_eq!(
            router().strip_mentions("<@2> hello"),
            ("<@2> hello".to_string(), false)
        );
    }

    #[test]
    fn direct_messages_are_the_patient_channel() {
        let inbound = router().route(&origin(9, false, &[]), "my ankle hurts", false);
        assert_eq!(
            inbound,
            Some(Inbound::Message {
                from: user_address(42),
                text: "my ankle hurts".into()
            })
        );
        assert_eq!(router().route(&origin(9, false, &[]), "  ", false), None);
    }

    #[test]
    fn server_channels_need_a_mention() {
        assert_eq!(router().route(&origin(3, true, &[]), "hours?", false), None);
        let Some(Inbound::Public { sender, text }) =
            router().route(&origin(3, true, &[]), "hours?", true)
        else {
            panic!("public");
        };
        assert_eq!(sender.user, user_address(42));
        assert_eq!(sender.chat, channel_address(3));
        assert_eq!(text, "hours?");
    }

    #[test]
    fn only_role_holders_act_from_the_clinician_channel() {
        let claim = "/claim C-0001";
        let with_role = router().route(&origin(CLINICIANS, true, &[ROLE]), claim, false);
        let Some(Inbound::Command { sender, command }) = with_role else {
            panic!("command");
        };
        assert_eq!(sender.chat, channel_address(CLINICIANS));
        assert_eq!(command, ClinicianCommand::Claim { case: CaseId(1) });
        let without = router().route(&origin(CLINICIANS, true, &[5]), claim, false);
        let Some(Inbound::Command { sender, .. }) = without else {
            panic!("command");
        };
        assert_eq!(sender.chat, user_address(42), "the core decides, privately");
        // Talk among clinicians is not for the bot.
        assert_eq!(
            router().route(&origin(CLINICIANS, true, &[ROLE]), "coffee?", true),
            None
        );
        // No role configured: the channel is the gate.
        let open = Router {
            clinician_role: None,
            ..router()
        };
        let Some(Inbound::Command { sender, .. }) =
            open.route(&origin(CLINICIANS, true, &[]), claim, false)
        else {
            panic!("command");
        };
        assert_eq!(sender.chat, channel_address(CLINICIANS));
    }

    #[test]
    fn commands_elsewhere_are_answered_privately() {
        let Some(Inbound::Command { sender, .. }) =
            router().route(&origin(3, true, &[ROLE]), "/cases", true)
        else {
            panic!("command");
        };
        assert_eq!(sender.chat, user_address(42));
    }
}
