//! The chat-facing vocabulary shared by carebot's core engine and every chat adapter.
//!
//! This crate exists to keep the package graph acyclic: the `carebot` package (core
//! engine + binary) depends on the adapters so that one binary can run them all, and
//! the adapters need the types a reply is made of. Both sides depend on this small
//! crate instead of on each other. It holds data only (no engine logic, no platform
//! types), so an adapter for a new platform needs nothing else from the core to
//! render what the engine says.
//!
//! Besides replies, it holds what handoff needs on both sides: chat
//! [`Address`]es, [`CaseId`]s, the [`ClinicianCommand`]s an adapter maps its
//! platform's syntax to, the [`Inbound`] shape of every incoming message, and
//! the [`Outbound`] messages an adapter delivers from the core's outbox.
//!
//! An adapter's life, in these types: turn a platform update into an
//! [`Inbound`] (with [`Inbound::from_text`] for text platforms), hand it to
//! the core and render the [`Reply`]s it returns; deliver each [`Outbound`]
//! the core passes it and answer `Ok` once the platform accepted it, or a
//! [`DeliveryError`] to have it retried later.
//!
//! [`ChatAdapter`] (in [`platform`]) is what `carebot serve` needs from an
//! adapter crate: its own table of `carebot.toml`, checked, and connect, run,
//! deliver. Each adapter implements it once; the binary registers it with
//! one line.
//!
//! Small pieces of machinery live here too, because core and adapters
//! both need them and they need nothing but std: [`Backoff`], the one
//! retry-wait formula, [`LongReplies`], for button replies too long for
//! the button itself, and [`SentParts`], so that a split outbox message
//! retried after a failure halfway sends only the parts not yet sent.

mod address;
mod backoff;
mod bot;
mod case_id;
mod command;
mod inbound;
mod language;
mod long_replies;
mod outbound;
pub mod platform;
mod sent_parts;

pub use address::{Address, AddressError};
pub use backoff::Backoff;
pub use bot::{Bot, BotError, Delivery, APOLOGY};
pub use case_id::{CaseId, CaseIdError};
pub use command::{ClinicianCommand, CommandError, NoticeAction, Sender, USAGE};
pub use inbound::Inbound;
pub use language::Language;
pub use long_replies::LongReplies;
pub use outbound::{DeliveryError, Outbound, OutboundId, Priority, Purpose};
pub use platform::ChatAdapter;
pub use sent_parts::SentParts;

use serde::{Deserialize, Serialize};

/// How urgently the patient should get care, most severe first.
///
/// The order of the variants is the order of severity: `Emergency > Urgent > ...`,
/// so `max()` over levels picks the most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Look after it at home, with clear advice on when to seek help.
    SelfCare,
    /// Book an appointment.
    Routine,
    /// Be seen today.
    Urgent,
    /// Call the emergency number now.
    Emergency,
}

impl Level {
    /// All levels, most severe first (the order people read them in).
    pub const ALL: [Level; 4] = [
        Level::Emergency,
        Level::Urgent,
        Level::Routine,
        Level::SelfCare,
    ];

    /// The name used in knowledge files and the JSON interface.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Emergency => "emergency",
            Level::Urgent => "urgent",
            Level::Routine => "routine",
            Level::SelfCare => "self_care",
        }
    }

    /// Parses the knowledge-file / JSON name of a level.
    pub fn parse(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|level| level.as_str() == name)
    }

    fn rank(self) -> u8 {
        match self {
            Level::SelfCare => 0,
            Level::Routine => 1,
            Level::Urgent => 2,
            Level::Emergency => 3,
        }
    }
}

impl PartialOrd for Level {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Level {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of reply the engine gave; adapters render each kind differently
/// (a follow-up question gets Yes/No buttons, choices get one button per topic).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyKind {
    /// An answer from an FAQ entry.
    Answer,
    /// Advice with a level of care from a triage rule.
    Triage,
    /// A follow-up question a triage rule needs answered before it can advise.
    Question,
    /// A few FAQ topics that were too close to call; the patient picks one.
    Choices,
    /// Nothing in the knowledge base could help; says how to reach the practice.
    Fallback,
    /// Anything the bot says about itself or the conversation (notices, limits,
    /// acknowledgements) rather than from the knowledge base.
    Notice,
}

impl ReplyKind {
    /// The name used in the JSON interface.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyKind::Answer => "answer",
            ReplyKind::Triage => "triage",
            ReplyKind::Question => "question",
            ReplyKind::Choices => "choices",
            ReplyKind::Fallback => "fallback",
            ReplyKind::Notice => "notice",
        }
    }
}

/// A tappable option under a reply. Tapping it is the same as typing `reply`, so
/// buttons and free text share one path through the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    /// What the button shows.
    pub label: String,
    /// What the engine receives when the patient taps it.
    pub reply: String,
}

/// One reply from the engine, ready to be rendered by any chat adapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub kind: ReplyKind,
    /// The level of care advised, for triage replies.
    pub level: Option<Level>,
    /// The id of the FAQ entry or triage rule that decided the reply.
    pub entry: Option<String>,
    /// The reply as the patient sees it, in Markdown.
    pub text: String,
    /// For [`ReplyKind::Choices`]: the offered FAQ entry ids, best first.
    pub choices: Vec<String>,
    /// Options to show as buttons (follow-up answers, offered topics).
    pub buttons: Vec<Button>,
    /// Whether the rule asks for a clinician to be told about this conversation.
    pub handoff: bool,
}

impl Reply {
    /// A reply of `kind` with `text` and nothing else.
    pub fn plain(kind: ReplyKind, text: impl Into<String>) -> Reply {
        Reply {
            kind,
            level: None,
            entry: None,
            text: text.into(),
            choices: Vec::new(),
            buttons: Vec::new(),
            handoff: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_order_by_severity() {
        assert!(Level::Emergency > Level::Urgent);
        assert!(Level::Urgent > Level::Routine);
        assert!(Level::Routine > Level::SelfCare);
        assert_eq!(
            [Level::Routine, Level::Emergency, Level::SelfCare]
                .into_iter()
                .max(),
            Some(Level::Emergency)
        );
    }

    #[test]
    fn level_names_round_trip() {
        for level in Level::ALL {
            assert_eq!(Level::parse(level.as_str()), Some(level));
        }
        assert_eq!(Level::parse("critical"), None);
    }
}
