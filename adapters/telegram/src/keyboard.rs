//! Reply buttons as inline keyboards. A button's callback data is the text the
//! core should receive when it is tapped (`Yes`, `2`, `/claim C-0042`), so a
//! tap and typing the same words take one path. Telegram caps callback data
//! at 64 bytes; a longer reply is kept here and the button carries a short key
//! to it instead.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use carebot_chat::Button;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

/// Telegram's limit on callback data, in bytes.
const CALLBACK_DATA_MAX: usize = 64;
/// Marks callback data that is a key to a longer reply.
const KEY_PREFIX: &str = "cb#";
/// How many long replies are remembered (older buttons then say "expired").
const REMEMBERED: usize = 10_000;
/// Buttons this short share one row (Yes / No / Not sure).
const SHORT_LABEL: usize = 14;

/// Long button replies, by key.
#[derive(Debug, Default)]
pub struct Callbacks {
    inner: Mutex<Remembered>,
}

#[derive(Debug, Default)]
struct Remembered {
    next: u64,
    replies: HashMap<u64, String>,
    order: VecDeque<u64>,
}

impl Callbacks {
    /// The callback data for a button whose tap should send `reply`.
    pub fn data_for(&self, reply: &str) -> String {
        if reply.len() <= CALLBACK_DATA_MAX && !reply.starts_with(KEY_PREFIX) {
            return reply.to_string();
        }
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let key = inner.next;
        inner.next += 1;
        inner.replies.insert(key, reply.to_string());
        inner.order.push_back(key);
        while inner.order.len() > REMEMBERED {
            if let Some(old) = inner.order.pop_front() {
                inner.replies.remove(&old);
            }
        }
        format!("{KEY_PREFIX}{key}")
    }

    /// What a tap with `data` says; `None` for a key this process no longer
    /// remembers (it restarted since the button was sent).
    pub fn reply_for(&self, data: &str) -> Option<String> {
        let Some(key) = data.strip_prefix(KEY_PREFIX) else {
            return Some(data.to_string());
        };
        let key: u64 = key.parse().ok()?;
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.replies.get(&key).cloned()
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
}
