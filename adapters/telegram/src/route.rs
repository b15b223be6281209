//! Which Telegram messages are for carebot, and as what.
//!
//! - A private chat is a patient's channel: everything goes to the core, as
//!   text (`/claim …` from a clinician becomes a command there).
//! - The clinicians' group: everything goes to the core as text from the
//!   group (the core acts only on commands there, and checks who may use them).
//! - Any other group: only what mentions the bot (`@carebot …`), replies to
//!   one of its messages, or is a command, as a public message; the core
//!   answers general questions there and takes health matters private.
//!
//! Telegram's menu commands that the core has no words for are translated:
//! `/start` greets (so the first-contact notice comes with it) and `/help`
//! asks what the bot can help with. In the clinicians' group `/help` stays
//! the command list.

use carebot_chat::{Inbound, Sender};
use teloxide::types::{Chat, ChatId, Message, User, UserId};

use crate::address::{chat_address, user_address};

/// What routing needs to know about the bot and its deployment.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The bot's username, without the @.
    pub username: &'a str,
    pub bot: UserId,
    pub clinician_group: Option<ChatId>,
}

/// What `/start` means to the core: a greeting.
const START: &str = "hello";
/// What `/help` means to a patient.
const HELP: &str = "what can you help me with?";

/// The core's message for a Telegram message, or `None` when it is not for
/// the bot (a group chat not addressed to it, another bot's command, a bot).
pub fn message(message: &Message, context: &Context) -> Option<Inbound> {
    let from = message.from.as_ref().filter(|user| !user.is_bot)?;
    let text = message.text().or(message.caption())?;
    let replying_to_bot = message
        .reply_to_message()
        .and_then(|replied| replied.from.as_ref())
        .is_some_and(|author| author.id == context.bot);
    route(&message.chat, from, text, replying_to_bot, context)
}

/// The core's message for a tap on a button whose reply is `reply`.
pub fn tap(chat: &Chat, from: &User, reply: &str, context: &Context) -> Option<Inbound> {
    route(chat, from, reply, true, context)
}

fn route(
    chat: &Chat,
    from: &User,
    text: &str,
    addressed: bool,
    context: &Context,
) -> Option<Inbound> {
    let sender = Sender {
        user: user_address(from.id.0),
        chat: chat_address(chat.id.0),
        name: from.full_name(),
    };
    let command = Command::read(text);
    if command.is_some_and(|command| !command.is_for(context.username)) {
        return None;
    }
    if chat.is_private() {
        return Some(Inbound::from_text(sender, &translate(text, command)));
    }
    if Some(chat.id) == context.clinician_group {
        return Some(Inbound::from_text(sender, text));
    }
    let mentioned = mentions(text, context.username);
    if !(addressed || mentioned || command.is_some()) {
        return None;
    }
    let text = if mentioned {
        without_mentions(text, context.username)
    } else {
        text.to_string()
    };
    let text = match translate(&text, Command::read(&text)) {
        text if text.trim().is_empty() => START.to_string(),
        text => text,
    };
    Some(Inbound::Public { sender, text })
}

/// A `/command` or `/command@bot` at the start of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Command<'a> {
    name: &'a str,
    bot: Option<&'a str>,
    rest: &'a str,
}

impl<'a> Command<'a> {
    fn read(text: &'a str) -> Option<Command<'a>> {
        let text = text.trim_start();
        let word_end = text.find(char::is_whitespace).unwrap_or(text.len());
        let (word, rest) = text.split_at(word_end);
        let word = word.strip_prefix('/')?;
        let (name, bot) = match word.split_once('@') {
            Some((name, bot)) => (name, Some(bot)),
            None => (word, None),
        };
        if name.is_empty() {
            return None;
        }
        Some(Command {
            name,
            bot,
            rest: rest.trim(),
        })
    }

    fn is_for(&self, username: &str) -> bool {
        self.bot
            .is_none_or(|bot| bot.eq_ignore_ascii_case(username))
    }
}

/// The menu commands the core has no words for, translated; anything else
/// as written, minus a `@bot` suffix on a command.
fn translate(text: &str, command: Option<Command>) -> String {
    match command {
        Some(command) if command.name.eq_ignore_ascii_case("start") => START.to_string(),
        Some(command) if command.name.eq_ignore_ascii_case("help") && command.rest.is_empty() => {
            HELP.to_string()
        }
        Some(command) if command.bot.is_some() => format!("/{} {}", command.name, command.rest)
            .trim_end()
            .to_string(),
        _ => text.to_string(),
    }
}

/// Where `@username` appears in `text` as a whole mention.
fn mention_at(text: &str, username: &str) -> Option<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let needle = format!("@{}", username.to_ascii_lowercase());
    let mut from = 0;
    while let Some(found) = lower[from..].find(&needle) {
        let start = from + found;
        let end = start + needle.len();
        let continues = lower[end..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if !continues {
            return Some((start, end));
        }
        from = end;
    }
    None
}

fn mentions(text: &str, username: &str) -> bool {
    mention_at(text, username).is_some()
}

fn without_mentions(text: &str, username: &str) -> String {
    let mut text = text.to_string();
    while let Some((start, end)) = mention_at(&text, username) {
        text.replace_range(start..end, "");
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut cleaned = words.join(" ");
    // "@carebot, what are your hours?" leaves a stray comma at the start.
    while cleaned.starts_with([',', ':', ';']) {
        cleaned = cleaned[1..].trim_start().to_string();
    }
    cleaned
}

#[cfg(test)]
mod tests {
    use super::*;
    use carebot_chat::{Address, CaseId, ClinicianCommand};

    fn chat(id: i64) -> Chat {
        let kind = if id > 0 {
            serde_json::json!({"id": id, "type": "private", "first_name": "Pat"})
        } else {
            serde_json::json!({"id": id, "type": "group", "title": "A group"})
        };
        serde_json::from_value(kind).unwrap()
    }

    fn user(id: u64) -> User {
        serde_json::from_value(serde_json::json!({
            "id": id, "is_bot": false, "first_name": "Pat", "last_name": "Doe"
        }))
        .unwrap()
    }

    const CONTEXT: Context = Context {
        username: "CareBot",
        bot: UserId(1),
        clinician_group: Some(ChatId(-500)),
    };

    fn text_of(inbound: Option<Inbound>) -> Option<String> {
        match inbound? {
            Inbound::Message { text, .. } | Inbound::Public { text, .. } => Some(text),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn private_chats_are_patients() {
        let inbound = route(&chat(42), &user(42), "my ankle hurts", false, &CONTEXT);
        assert_eq!(
            inbound,
            Some(Inbound::Message {
                from: Address::new("telegram", "42"),
                text: "my ankle hurts".into()
            })
        );
        let text = |t| text_of(route(&chat(42), &user(42), t, false, &CONTEXT));
        assert_eq!(text("/start").as_deref(), Some(START));
        assert_eq!(text("/start@CareBot deep-link").as_deref(), Some(START));
        assert_eq!(text("/help").as_deref(), Some(HELP));
        assert_eq!(text("/agent@carebot").as_deref(), Some("/agent"));
        assert_eq!(text("/agent@OtherBot"), None);
        assert_eq!(text("/forget").as_deref(), Some("/forget"));
    }

    #[test]
    fn the_clinician_group_gives_commands() {
        let inbound = route(
            &chat(-500),
            &user(7),
            "/claim@CareBot C-0042",
            false,
            &CONTEXT,
        );
        let Some(Inbound::Command { sender, command }) = inbound else {
            panic!("{inbound:?}");
        };
        assert_eq!(command, ClinicianCommand::Claim { case: CaseId(42) });
        assert_eq!(sender.user, Address::new("telegram", "7"));
        assert_eq!(sender.chat, Address::new("telegram", "-500"));
        assert_eq!(sender.name, "Pat Doe");
        let help = route(&chat(-500), &user(7), "/help", false, &CONTEXT);
        assert!(matches!(
            help,
            Some(Inbound::Command {
                command: ClinicianCommand::Help,
                ..
            })
        ));
        assert!(route(&chat(-500), &user(7), "/claim@OtherBot 42", false, &CONTEXT).is_none());
    }

    #[test]
    fn other_groups_only_when_addressed() {
        let text = |t, addressed| text_of(route(&chat(-777), &user(9), t, addressed, &CONTEXT));
        assert_eq!(text("what are your hours?", false), None);
        assert_eq!(text("ask @CareBotX about it", false), None);
        assert_eq!(
            text("@carebot, what are your hours?", false).as_deref(),
            Some("what are your hours?")
        );
        assert_eq!(
            text("hey @CareBot my ankle hurts", false).as_deref(),
            Some("hey my ankle hurts")
        );
        assert_eq!(text("@CareBot", false).as_deref(), Some(START));
        assert_eq!(text("/agent@CareBot", false).as_deref(), Some("/agent"));
        assert_eq!(text("/help@CareBot", false).as_deref(), Some(HELP));
        assert_eq!(text("/agent@SomeoneElse", false), None);
        assert_eq!(text("yes it does", true).as_deref(), Some("yes it does"));
        let inbound = route(&chat(-777), &user(9), "@CareBot hi", false, &CONTEXT);
        let Some(Inbound::Public { sender, .. }) = inbound else {
            panic!("{inbound:?}");
        };
        assert_eq!(sender.user, Address::new("telegram", "9"));
        assert_eq!(sender.chat, Address::new("telegram", "-777"));
    }
}
