//! Reply buttons as inline keyboards. A button's callback data is the text the
//! core should receive when it is tapped (`Yes`, `2`, `/claim C-0042`), so a
//! tap and typing the same words take one path. Telegram caps callback data
//! at 64 bytes; a longer reply is kept here and the button carries a short key
//! to it instead.

use carebot_chat::{Button, LongReplies};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

/// Telegram's limit on callback data, in bytes.
const CALLBACK_DATA_MAX: usize = 64;
/// Marks callback data that is a key to a longer reply (`cb#` and 16 hex
/// digits: well under the limit).
const KEY_PREFIX: &str = "cb#";
/// How many long replies are remembered (older buttons then say "expired").
const REMEMBERED: usize = 10_000;
/// Buttons this short share one row (Yes / No / Not sure).
const SHORT_LABEL: usize = 14;

/// Long button replies, by key (see [`LongReplies`] for why a key is a hash
/// of the text rather than a counter).
#[derive(Debug)]
pub struct Callbacks {
    long: LongReplies,
}

impl Default for Callbacks {
    fn default() -> Callbacks {
        Callbacks {
            long: LongReplies::new(REMEMBERED),
        }
    }
}

impl Callbacks {
    /// The callback data for a button whose tap should send `reply`.
    pub fn data_for(&self, reply: &str) -> String {
        if reply.len() <= CALLBACK_DATA_MAX && !reply.starts_with(KEY_PREFIX) {
            return reply.to_string();
        }
        let key = self.long.remember(reply);
        format!("{KEY_PREFIX}{key:016x}")
    }

    /// What a tap with `data` says; `None` for a key this process no longer
    /// remembers (it restarted since the button was sent).
    pub fn reply_for(&self, data: &str) -> Option<String> {
        let Some(key) = data.strip_prefix(KEY_PREFIX) else {
            return Some(data.to_string());
        };
        let key = u64::from_str_radix(key, 16).ok()?;
        self.long.get(key)
    }
}

/// The inline keyboard for `buttons`: short answers side by side, longer
/// ones (topic titles) one per row.
pub fn keyboard(buttons: &[Button], callbacks: &Callbacks) -> Option<InlineKeyboardMarkup> {
    if buttons.is_empty() {
        return None;
    }
    let button =
        |b: &Button| InlineKeyboardButton::callback(&b.label, callbacks.data_for(&b.reply));
    let side_by_side = buttons.len() <= 4
        && buttons
            .iter()
            .all(|b| b.label.chars().count() <= SHORT_LABEL);
    let rows: Vec<Vec<InlineKeyboardButton>> = if side_by_side {
        vec![buttons.iter().map(button).collect()]
    } else {
        buttons.iter().map(|b| vec![button(b)]).collect()
    };
    Some(InlineKeyboardMarkup::new(rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide::types::InlineKeyboardButtonKind;

    fn button(label: &str, reply: &str) -> Button {
        Button {
            label: label.into(),
            reply: reply.into(),
        }
    }

    fn data(markup: &InlineKeyboardMarkup) -> Vec<Vec<String>> {
        markup
            .inline_keyboard
            .iter()
            .map(|row| {
                row.iter()
                    .map(|b| match &b.kind {
                        InlineKeyboardButtonKind::CallbackData(data) => data.clone(),
                        other => panic!("{other:?}"),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn short_answers_share_a_row_topics_get_their_own() {
        let callbacks = Callbacks::default();
        let yes_no = [
            button("Yes", "Yes"),
            button("No", "No"),
            button("Not sure", "Not sure"),
        ];
        let markup = keyboard(&yes_no, &callbacks).unwrap();
        assert_eq!(data(&markup), [["Yes", "No", "Not sure"]]);
        let topics = [
            button("Opening hours", "1"),
            button("Booking an appointment online", "2"),
        ];
        let markup = keyboard(&topics, &callbacks).unwrap();
        assert_eq!(data(&markup), [["1"], ["2"]]);
        assert!(keyboard(&[], &callbacks).is_none());
    }

    #[test]
    fn long_replies_travel_by_key() {
        let callbacks = Callbacks::default();
        let long = "It started more than a week ago and has been getting worse every day since";
        let data = callbacks.data_for(long);
        assert!(data.len() <= CALLBACK_DATA_MAX);
        assert_eq!(callbacks.reply_for(&data).as_deref(), Some(long));
        assert_eq!(
            callbacks.reply_for("/claim C-0042").as_deref(),
            Some("/claim C-0042")
        );
        assert_eq!(callbacks.reply_for("cb#999999"), None);
        assert_eq!(callbacks.reply_for("cb#x"), None);
    }

    #[test]
    fn a_long_reply_keeps_its_key_across_retries_and_restarts() {
        let long = "It started more than a week ago and has been getting worse every day since";
        let callbacks = Callbacks::default();
        let data = callbacks.data_for(long);
        assert_eq!(callbacks.data_for(long), data, "an outbox retry");
        // After a restart the new process stores other long replies first;
        // an old button must not read as one of them.
        let restarted = Callbacks::default();
        restarted.data_for("Another answer, long enough not to fit in Telegram's 64 bytes");
        assert_eq!(restarted.reply_for(&data), None);
        restarted.data_for(long);
        assert_eq!(restarted.reply_for(&data).as_deref(), Some(long));
    }
}
