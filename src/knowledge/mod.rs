//! The practice's knowledge base, validated: practice settings, concepts, FAQ
//! entries and triage rules, as loaded from the TOML files in a knowledge folder.
//!
//! Everything in here has passed validation: ids are unique, every concept a rule
//! names exists, placeholders are filled in, conditions are parsed. The matching
//! stages can rely on that and never re-check. See `knowledge/README.md` for the
//! file format as the practice sees it.

mod load;
mod practice;
pub mod problem;
mod quantity;
mod raw;
mod template;

use std::path::PathBuf;

pub use carebot_chat::Level;
pub use load::{load_dir, load_files, toml_files, KnowledgeFile};
pub use practice::{Messages, OpeningHours, Practice};
pub use problem::{Problem, Severity};
pub use quantity::{parse_duration_days, parse_temperature_celsius};
pub use raw::toml_string;
// For reading quantities out of messages, which comes without a rule's text to parse.
pub(crate) use quantity::{days_per_unit, is_body_temperature, to_celsius};

/// Where an entry was defined, for messages that point the practice at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// A clinician-defined finding and the words patients use for it.
#[derive(Debug, Clone)]
pub struct Concept {
    pub id: String,
    /// Phrases that mean the finding is there ("swollen", "puffed up").
    pub words: Vec<String>,
    /// Phrases that mean it is explicitly absent ("can walk").
    pub absent_words: Vec<String>,
    /// Other concepts that make this one present ("ankle_or_foot" ⊇ "ankle").
    pub includes: Vec<String>,
    /// Says nothing is wrong on its own: a body part, a medicine, a time
    /// course. A neutral finding alone does not make a message report a health
    /// problem (see [`crate::health`]).
    pub neutral: bool,
    /// Read alongside the other concepts without taking their words: a longer
    /// phrase of an overlay concept ("high temperature") never hides another
    /// concept's phrase inside it ("temperature"). For the red-flag screen's
    /// categories, which restate other concepts' words.
    pub overlay: bool,
    pub origin: Origin,
}

/// Review metadata every FAQ entry and rule carries: the practice must be able to
/// see who vouches for what the bot says, and since when.
#[derive(Debug, Clone)]
pub struct Review {
    pub sources: Vec<String>,
    pub reviewed: jiff::civil::Date,
    pub owner: String,
}

/// The knowledge base's own tests for one entry.
#[derive(Debug, Clone, Default)]
pub struct EntryTests {
    /// Messages that must reach the entry.
    pub examples: Vec<String>,
    /// Messages that must not reach it.
    pub counter_examples: Vec<String>,
    /// Conversations whose last reply must come from the entry.
    pub dialogues: Vec<Vec<String>>,
}

/// A question patients ask and the practice's answer to it.
#[derive(Debug, Clone)]
pub struct FaqEntry {
    pub id: String,
    /// Shown when the bot offers this entry among choices.
    pub title: String,
    /// Ways patients ask it; matched against messages, and tests in their own right.
    pub questions: Vec<String>,
    /// Words that weigh extra for this entry.
    pub keywords: Vec<String>,
    /// The answer in Markdown, placeholders already filled in.
    pub answer: String,
    /// The answer as written, placeholders unfilled: what the FAQ index reads, so
    /// that the phone number and portal address in every answer do not make
    /// "phone" and "portal" look like common words.
    pub answer_template: String,
    pub review: Review,
    pub tests: EntryTests,
    pub origin: Origin,
}

/// What a triage rule needs to be true of the message (and follow-up answers).
#[derive(Debug, Clone)]
pub struct Conditions {
    /// Every one of these concepts present.
    pub all: Vec<String>,
    /// At least `any_at_least` of these present (ignored when empty).
    pub any: Vec<String>,
    /// How many of `any` must be present: 1 unless the rule scores several signs.
    pub any_at_least: usize,
    /// None of these present.
    pub none: Vec<String>,
    /// Age bounds in days.
    pub age_below_days: Option<f64>,
    pub age_at_least_days: Option<f64>,
    /// Temperature bounds in °C.
    pub temperature_at_least: Option<f64>,
    pub temperature_below: Option<f64>,
    /// How long it has gone on, in days.
    pub lasting_at_least_days: Option<f64>,
    pub lasting_below_days: Option<f64>,
    pub pregnant: Option<bool>,
}

impl Conditions {
    /// How many separate conditions the rule states: a rule that states more is
    /// more specific, which breaks ties between rules of the same level.
    pub fn count(&self) -> usize {
        self.all.len()
            + if self.any.is_empty() {
                0
            } else {
                self.any_at_least
            }
            + self.none.len()
            + [
                self.age_below_days,
                self.age_at_least_days,
                self.temperature_at_least,
                self.temperature_below,
                self.lasting_at_least_days,
                self.lasting_below_days,
            ]
            .iter()
            .filter(|bound| bound.is_some())
            .count()
            + usize::from(self.pregnant.is_some())
    }
}

/// What a follow-up question asks about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AskAbout {
    Concept(String),
    Age,
    Temperature,
    Duration,
    Pregnancy,
}

impl std::fmt::Display for AskAbout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AskAbout::Concept(id) => f.write_str(id),
            AskAbout::Age => f.write_str("age"),
            AskAbout::Temperature => f.write_str("temperature"),
            AskAbout::Duration => f.write_str("duration"),
            AskAbout::Pregnancy => f.write_str("pregnancy"),
        }
    }
}

/// A follow-up question a rule asks when the message does not settle `about`.
#[derive(Debug, Clone)]
pub struct Ask {
    pub about: AskAbout,
    pub question: String,
    /// Whether a "yes" answer means the finding is present (the usual case) or
    /// absent ("Can you take four steps on it?" — yes means *no* inability).
    pub yes_means_present: bool,
}

/// A clinician-written escalation rule.
#[derive(Debug, Clone)]
pub struct TriageRule {
    pub id: String,
    pub title: String,
    pub level: Level,
    pub when: Conditions,
    /// Whether a clinician should be told about the conversation.
    pub handoff: bool,
    /// A step of the red-flag screen: considered only for a message that
    /// reports a health problem when no other rule decides about it.
    pub screen: bool,
    /// A rule across topics (signs of serious illness, whatever the cause): at the
    /// same level, a topic rule that also matches gives its more specific advice.
    pub general: bool,
    /// The advice in Markdown, placeholders already filled in.
    pub advice: String,
    pub asks: Vec<Ask>,
    pub review: Review,
    pub tests: EntryTests,
    pub origin: Origin,
}

/// A whole validated knowledge base.
#[derive(Debug, Clone)]
pub struct Knowledge {
    pub practice: Practice,
    pub concepts: Vec<Concept>,
    pub faqs: Vec<FaqEntry>,
    pub rules: Vec<TriageRule>,
    /// The folder it was loaded from.
    pub source: PathBuf,
}

impl Knowledge {
    pub fn faq(&self, id: &str) -> Option<&FaqEntry> {
        self.faqs.iter().find(|entry| entry.id == id)
    }

    pub fn rule(&self, id: &str) -> Option<&TriageRule> {
        self.rules.iter().find(|rule| rule.id == id)
    }
}
