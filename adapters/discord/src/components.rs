//! Buttons and the forms they open, as Discord carries them, and who a
//! message may ping: every button has
//! a `custom_id` (at most 100 characters) that comes back when it is clicked.
//!
//! A carebot button's `reply` is the text the click stands for, so the
//! `custom_id` carries that text and a click feeds the same path as typing it.
//! Adapter-made buttons ("Reply", "Resolve" under a case notification) open a
//! form (a Discord modal) whose text completes a clinician command.
//!
//! | custom_id | click does |
//! |---|---|
//! | `t<n>:<text>` | sends `<text>` (`n` keeps ids unique within a message) |
//! | `h<n>:<hash>` | sends the text remembered under `hash`, for texts over the limit |
//! | `m<n>:<command>` | opens a form; its answer is sent as `<command> <answer>` |

use carebot_chat::LongReplies;
use serenity::all::{CreateAllowedMentions, RoleId};

/// Discord's limit on a `custom_id`.
const CUSTOM_ID_LIMIT: usize = 100;
/// Long button texts remembered at most; past this the oldest are forgotten
/// (an old button then asks the patient to type instead).
const REMEMBERED: usize = 4096;
/// The custom_id of a form, and of its one text field.
pub(crate) const FORM_PREFIX: &str = "m:";
pub(crate) const FORM_FIELD: &str = "text";

/// What a button does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Sends `text`, as if typed.
    Send { label: String, text: String },
    /// Opens a form (see [`form_for`]) whose answer completes `command`.
    Ask { label: String, command: String },
}

impl Action {
    pub(crate) fn label(&self) -> &str {
        match self {
            Action::Send { label, .. } | Action::Ask { label, .. } => label,
        }
    }
}

/// What a click asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Clicked {
    Send(String),
    /// Open the form for `command`.
    Ask {
        command: String,
    },
    /// A long text this process no longer remembers (it restarted).
    Expired,
}

/// Makes and reads `custom_id`s; remembers the texts too long to carry (see
/// [`LongReplies`] for why their key is a hash of the text).
#[derive(Debug)]
pub(crate) struct ButtonIds {
    long: LongReplies,
}

impl Default for ButtonIds {
    fn default() -> ButtonIds {
        ButtonIds {
            long: LongReplies::new(REMEMBERED),
        }
    }
}

impl ButtonIds {
    /// The `custom_id` of the `index`th button of a message.
    pub(crate) fn custom_id(&self, index: usize, action: &Action) -> String {
        match action {
            Action::Send { text, .. } => {
                let id = format!("t{index}:{text}");
                if id.chars().count() <= CUSTOM_ID_LIMIT {
                    return id;
                }
                let hash = self.long.remember(text);
                format!("h{index}:{hash:016x}")
            }
            Action::Ask { command, .. } => {
                let id = format!("m{index}:{command}");
                id.chars().take(CUSTOM_ID_LIMIT).collect()
            }
        }
    }

    /// What a clicked button's `custom_id` asks for; `None` for one this
    /// adapter did not make.
    pub(crate) fn clicked(&self, custom_id: &str) -> Option<Clicked> {
        let kind = custom_id.chars().next()?;
        let (index, rest) = custom_id[1..].split_once(':')?;
        if index.is_empty() || !index.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        match kind {
            't' => Some(Clicked::Send(rest.to_string())),
            'm' => Some(Clicked::Ask {
                command: rest.to_string(),
            }),
            'h' => {
                let hash = u64::from_str_radix(rest, 16).ok()?;
                Some(self.long.get(hash).map_or(Clicked::Expired, Clicked::Send))
            }
            _ => None,
        }
    }
}

/// The buttons the adapter adds under a case notification: forms to reply to
/// the patient and to resolve the case (claiming needs no text, so the core's
/// own "Claim" button does it).
pub(crate) fn case_actions(case: &str) -> Vec<Action> {
    vec![
        Action::Ask {
            label: format!("Reply to {case}"),
            command: format!("/reply {case}"),
        },
        Action::Ask {
            label: format!("Resolve {case}"),
            command: format!("/resolve {case}"),
        },
    ]
}

/// The form that completes `command`: its custom_id, title and field label
/// (titles and labels have a 45-character limit).
pub(crate) fn form_for(command: &str) -> (String, String, String) {
    let case = command.split_whitespace().nth(1).unwrap_or("");
    let (title, field) = if command.starts_with("/resolve") {
        (format!("Resolve {case}"), "Note for the record")
    } else {
        (
            format!("Reply to the patient ({case})"),
            "Message to the patient",
        )
    };
    (
        format!("{FORM_PREFIX}{command}"),
        title.chars().take(45).collect(),
        field.to_string(),
    )
}

/// The text a submitted form stands for: `<command> <answer>`.
pub(crate) fn form_text(custom_id: &str, answer: &str) -> Option<String> {
    let command = custom_id.strip_prefix(FORM_PREFIX)?;
    let answer = answer.trim();
    if answer.is_empty() {
        return None;
    }
    Some(format!("{command} {answer}"))
}

/// Nobody is pinged by what the bot relays, except the clinician role by a
/// case notification.
pub(crate) fn mentions(role: Option<RoleId>) -> CreateAllowedMentions {
    let none = CreateAllowedMentions::new()
        .empty_users()
        .empty_roles()
        .everyone(false)
        .replied_user(false);
    match role {
        Some(role) => none.roles([role]),
        None => none,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(text: &str) -> Action {
        Action::Send {
            label: "x".into(),
            text: text.into(),
        }
    }

    #[test]
    fn short_texts_ride_in_the_id() {
        let ids = ButtonIds::default();
        let id = ids.custom_id(3, &send("/claim C-0042"));
        assert_eq!(id, "t3:/claim C-0042");
        assert_eq!(
            ids.clicked(&id),
            Some(Clicked::Send("/claim C-0042".into()))
        );
        // The same text on two buttons still gives two ids.
        assert_ne!(
            ids.custom_id(0, &send("yes")),
            ids.custom_id(1, &send("yes"))
        );
    }

    #[test]
    fn long_texts_are_remembered() {
        let ids = ButtonIds::default();
        let text = "é".repeat(150);
        let id = ids.custom_id(0, &send(&text));
        assert!(id.chars().count() <= CUSTOM_ID_LIMIT);
        assert_eq!(ids.clicked(&id), Some(Clicked::Send(text)));
        assert_eq!(
            ButtonIds::default().clicked(&id),
            Some(Clicked::Expired),
            "another process does not know it"
        );
    }

    #[test]
    fn forms_complete_commands() {
        let ids = ButtonIds::default();
        let actions = case_actions("C-0042");
        let id = ids.custom_id(1, &actions[1]);
        assert_eq!(
            ids.clicked(&id),
            Some(Clicked::Ask {
                command: "/resolve C-0042".into()
            })
        );
        let (form, title, _) = form_for("/resolve C-0042");
        assert_eq!(title, "Resolve C-0042");
        assert_eq!(
            form_text(&form, " seen today "),
            Some("/resolve C-0042 seen today".into())
        );
        assert_eq!(form_text(&form, "  "), None);
        assert_eq!(ids.clicked("garbage"), None);
        assert_eq!(ids.clicked("x1:y"), None);
    }
}
