//! Messages addressed to the bot in shared channels (a Telegram group, a Discord
//! server channel).
//!
//! In public the bot answers general questions (hours, the portal...) where they
//! were asked, but never discusses anyone's health there: a message about symptoms,
//! or a patient command, is taken up in the asker's private chat instead, and the
//! channel only hears that the conversation moved (plus the emergency number when
//! it is an emergency, since that must never wait).

use carebot_chat::{Delivery, Level, Reply, ReplyKind, Sender};

use super::{Service, ServiceError};
use crate::conversation::Conversation;

impl Service {
    /// Handles a message in a shared channel; see the module documentation.
    pub fn public_message(
        &self,
        sender: &Sender,
        text: &str,
    ) -> Result<Vec<Delivery>, ServiceError> {
        // A case command in a shared channel ("/reply@carebot C-0042 …" in a
        // patients' group) is refused there, and the attempt audited, like any
        // command from someone who is not a clinician: case details are never
        // discussed where other people read.
        if let Some(parsed) = carebot_chat::ClinicianCommand::parse(text) {
            let command = parsed.as_ref().ok();
            if command.is_none_or(|command| *command != carebot_chat::ClinicianCommand::Help) {
                let reply = if self.authorized(
                    sender,
                    command.map_or("malformed", |c| c.name()),
                    command.and_then(|c| c.case()),
                    self.now(),
                )? {
                    Reply::plain(
                        ReplyKind::Notice,
                        "Case commands work in the clinician channel or a private chat, never in a shared channel.",
                    )
                } else {
                    super::wording::refused()
                };
                return Ok(vec![Delivery {
                    to: sender.chat.clone(),
                    reply,
                }]);
            }
        }
        let engine = self.engine();
        // A look at the message with no one's conversation involved: is it about
        // health? Nothing is stored for this look.
        let outcome = engine.respond(&mut Conversation::default(), text);
        let reply = outcome.reply;
        let mentions_health = outcome
            .explanation
            .findings
            .iter()
            .any(|f| !f.negated && !f.historical && !f.hypothetical && !f.absent_phrase);
        let private = mentions_health
            || matches!(reply.kind, ReplyKind::Triage | ReplyKind::Question)
            || reply.handoff
            || crate::handoff::patient_intent(text).is_some()
            || crate::identifiers::contains_identifier(text);
        if !private {
            return Ok(vec![Delivery {
                to: sender.chat.clone(),
                reply: public_reply(reply),
            }]);
        }
        let practice = &engine.knowledge().practice;
        let mut notice = format!(
            "{}, I've sent you a private message: let's continue there. I don't discuss health in shared channels.",
            sender.name
        );
        if reply.level == Some(Level::Emergency) {
            notice.push_str(&format!(
                "\n\n⚠️ If this is an emergency, call {} now.",
                practice.emergency_number
            ));
        }
        let mut deliveries = vec![Delivery {
            to: sender.chat.clone(),
            reply: Reply::plain(ReplyKind::Notice, notice),
        }];
        let response = self.patient_message(&sender.user, text)?;
        deliveries.extend(response.replies().into_iter().map(|reply| Delivery {
            to: sender.user.clone(),
            reply: reply.clone(),
        }));
        Ok(deliveries)
    }
}

/// A public answer carries no buttons that would need a conversation to make
/// sense of ("1", "2" for offered choices): the topics are listed in the text.
fn public_reply(mut reply: Reply) -> Reply {
    if reply.kind == ReplyKind::Choices {
        reply.buttons.clear();
    }
    reply
}
