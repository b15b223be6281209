//! What an adapter hands the core for each incoming platform message: either
//! a message for the bot, or a clinician command. The adapter never decides
//! who is a clinician; the core checks every command against its settings and
//! refuses (and audits) the rest.

use serde::{Deserialize, Serialize};

use crate::{Address, ClinicianCommand, Sender};

/// One incoming message, platform-neutral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Inbound {
    /// Text for the bot, from the chat `from` (a patient's private chat).
    Message { from: Address, text: String },
    /// A clinician command.
    Command {
        sender: Sender,
        command: ClinicianCommand,
    },
    /// A clinician command written wrongly; `usage` says how to write it.
    MalformedCommand { sender: Sender, usage: String },
    /// Text addressed to the bot in a shared channel (a group or server channel,
    /// by mention or command). General questions are answered there; anything
    /// about health moves to `sender.user`'s private chat, never discussed in
    /// public.
    Public { sender: Sender, text: String },
}

impl Inbound {
    /// Reads a text message: `/claim C-0042` and the like become commands,
    /// anything else (including a patient's `/agent`) is a message from
    /// `sender.chat`.
    pub fn from_text(sender: Sender, text: &str) -> Inbound {
        match ClinicianCommand::parse(text) {
            Some(Ok(command)) => Inbound::Command { sender, command },
            Some(Err(error)) => Inbound::MalformedCommand {
                sender,
                usage: error.usage.to_string(),
            },
            None => Inbound::Message {
                from: sender.chat,
                text: text.to_string(),
            },
        }
    }

    /// The chat the message came from, where an answer (or an apology when
    /// carebot fails) goes by default: `from` for a patient's message,
    /// `sender.chat` for the rest.
    pub fn chat(&self) -> &Address {
        match self {
            Inbound::Message { from, .. } => from,
            Inbound::Command { sender, .. }
            | Inbound::MalformedCommand { sender, .. }
            | Inbound::Public { sender, .. } => &sender.chat,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CaseId;

    #[test]
    fn commands_and_messages_are_told_apart() {
        let sender = Sender {
            user: Address::new("telegram", "7"),
            chat: Address::new("telegram", "7"),
            name: "Kim".to_string(),
        };
        assert_eq!(
            Inbound::from_text(sender.clone(), "/claim C-0001"),
            Inbound::Command {
                sender: sender.clone(),
                command: ClinicianCommand::Claim { case: CaseId(1) }
            }
        );
        assert!(matches!(
            Inbound::from_text(sender.clone(), "/claim"),
            Inbound::MalformedCommand { .. }
        ));
        assert_eq!(
            Inbound::from_text(sender.clone(), "/agent"),
            Inbound::Message {
                from: sender.chat.clone(),
                text: "/agent".to_string()
            }
        );
    }

    #[test]
    fn the_chat_is_where_the_message_came_from() {
        let sender = Sender {
            user: Address::new("telegram", "7"),
            chat: Address::new("telegram", "-100"),
            name: "Kim".to_string(),
        };
        let public = Inbound::Public {
            sender: sender.clone(),
            text: "hello".to_string(),
        };
        assert_eq!(public.chat(), &sender.chat);
        let command = Inbound::from_text(sender.clone(), "/claim C-0001");
        assert_eq!(command.chat(), &sender.chat);
        let message = Inbound::Message {
            from: sender.user.clone(),
            text: "hello".to_string(),
        };
        assert_eq!(message.chat(), &sender.user);
    }
}
