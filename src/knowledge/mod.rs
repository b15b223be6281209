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
mod translation;
mod write;

use std::path::PathBuf;

pub use carebot_chat::Level;
pub use load::{load_dir, load_dir_and_notice_file, load_files, toml_files, KnowledgeFile};
pub use practice::{Messages, OpeningHours, Practice};
pub use problem::{Problem, Severity};
pub use quantity::{parse_duration_days, parse_temperature_celsius};
pub use translation::{
    ConceptTranslation, FaqTranslation, NoticeTranslation, RuleTranslation, Translation,
};
pub use write::{toml_list, toml_string, write_faq, FaqText};
// For reading quantities out of messages, which comes without a rule's text to parse.
pub(crate) use quantity::{days_per_unit, is_body_temperature, to_celsius};

/// The id of the built-in finding "the message reports a health problem
/// happening now" ([`crate::health`]), which the red-flag screen's rules start
/// from (`when.all = ["@health_problem"]`). Defined here, where rules are
/// checked against the ids they may name, and used by [`crate::findings`].
pub const HEALTH_PROBLEM: &str = "@health_problem";

/// The id of the knowledge base's concept of everyday figures of speech built
/// from health words ("killing it", "gave me a heart attack"): a message that
/// holds one is not read as a health problem by meaning alone.
pub const FIGURE_OF_SPEECH: &str = "figure_of_speech";

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
    /// A state that goes on once it has begun (an organ transplant, a missing
    /// spleen, Addison's disease): told in the past ("I had a kidney
    /// transplant in 2019", "diagnosed with Addison's years ago") it is there
    /// now. Denied, or only asked about, it is not.
    pub lasting: bool,
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
    /// Limits on quantities the message may give (age, temperature, duration).
    pub bounds: Vec<Bound>,
    pub pregnant: Option<bool>,
}

/// A quantity a rule can set a limit on, read from the message by
/// [`crate::modifiers`]: one variant, one key pair in the files (`*_below`,
/// `*_at_least`) and one question topic each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// The age of the person who is unwell, in days.
    Age,
    /// A temperature reading, in °C.
    Temperature,
    /// How long it has gone on, in days.
    Duration,
}

impl Quantity {
    /// What a follow-up question about this quantity asks about.
    pub fn ask_about(self) -> AskAbout {
        match self {
            Quantity::Age => AskAbout::Age,
            Quantity::Temperature => AskAbout::Temperature,
            Quantity::Duration => AskAbout::Duration,
        }
    }
}

/// Whether a bound asks for a value under its limit or at least at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Below,
    AtLeast,
}

/// One limit of a rule: `quantity` `comparison` `limit` (in days or °C).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    pub quantity: Quantity,
    pub comparison: Comparison,
    pub limit: f64,
}

impl Bound {
    /// Whether a value known to lie in `low..=high` meets the bound: `None`
    /// when the range straddles the limit ("a baby" against "under 3 months").
    pub fn holds_for(&self, (low, high): (f64, f64)) -> Option<bool> {
        let (surely, surely_not) = match self.comparison {
            Comparison::Below => (high < self.limit, low >= self.limit),
            Comparison::AtLeast => (low >= self.limit, high < self.limit),
        };
        if surely {
            Some(true)
        } else if surely_not {
            Some(false)
        } else {
            None
        }
    }

    /// Whether the bound holds when the message does not give the value and the
    /// rule cannot ask: `*_at_least` is not met (no evidence), except a
    /// temperature, which a reported fever stands in for; `*_below` is met
    /// (nothing suggests otherwise), except an age, which a baby's rule must know.
    pub fn holds_when_unknown(&self, a_finding_was_reported: bool) -> bool {
        match (self.quantity, self.comparison) {
            (Quantity::Temperature, Comparison::AtLeast) => a_finding_was_reported,
            (Quantity::Age, _) | (_, Comparison::AtLeast) => false,
            (_, Comparison::Below) => true,
        }
    }

    /// A temperature reading alone triggers a rule that is only about it.
    pub fn is_triggered_by_a_reading(&self) -> bool {
        self.quantity == Quantity::Temperature && self.comparison == Comparison::AtLeast
    }
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
            + self.bounds.len()
            + usize::from(self.pregnant.is_some())
    }
}

/// What a follow-up question asks about. Stored in conversation state by its
/// name (the `ask.about` of the file), so stored state reads the same as the files.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(into = "String", from = "String")]
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

/// A health notice the practice publishes for a time (a flu clinic, a
/// closure, an outbreak in the area): while it is in force it answers the
/// questions it is about before the FAQ does; before `publish_at` and from
/// `expires_at` on it is as if it were not there.
#[derive(Debug, Clone)]
pub struct Notice {
    pub id: String,
    pub title: String,
    /// The text in Markdown, placeholders filled in.
    pub text: String,
    /// The text as written: what the index reads (see `FaqEntry::answer_template`).
    pub text_template: String,
    /// Topics from the practice's `notice_topics`.
    pub topics: Vec<String>,
    pub publish_at: jiff::Timestamp,
    pub expires_at: jiff::Timestamp,
    /// Ways patients ask about it.
    pub questions: Vec<String>,
    pub keywords: Vec<String>,
    pub review: Review,
    pub origin: Origin,
}

impl Notice {
    /// Whether the notice is in force at `now`.
    pub fn is_active(&self, now: jiff::Timestamp) -> bool {
        self.publish_at <= now && now < self.expires_at
    }

    /// The notice as an FAQ entry, for ranking with the FAQ's index.
    pub fn as_faq_entry(&self) -> FaqEntry {
        FaqEntry {
            id: self.id.clone(),
            title: self.title.clone(),
            questions: self.questions.clone(),
            keywords: self.keywords.clone(),
            answer: self.text.clone(),
            answer_template: self.text_template.clone(),
            review: self.review.clone(),
            tests: EntryTests::default(),
            origin: self.origin.clone(),
        }
    }
}

/// A whole validated knowledge base.
#[derive(Debug, Clone)]
pub struct Knowledge {
    pub practice: Practice,
    pub concepts: Vec<Concept>,
    pub faqs: Vec<FaqEntry>,
    pub rules: Vec<TriageRule>,
    /// Health notices, published and expiring by themselves.
    pub notices: Vec<Notice>,
    /// The folder it was loaded from.
    pub source: PathBuf,
    /// The language of the texts above: English for the files as written,
    /// another for [`Knowledge::in_language`].
    pub language: carebot_chat::Language,
    /// The texts in the practice's other languages, from its translation files.
    pub translations: std::collections::BTreeMap<carebot_chat::Language, Translation>,
}

impl Knowledge {
    pub fn faq(&self, id: &str) -> Option<&FaqEntry> {
        self.faqs.iter().find(|entry| entry.id == id)
    }

    pub fn notice(&self, id: &str) -> Option<&Notice> {
        self.notices.iter().find(|notice| notice.id == id)
    }

    pub fn rule(&self, id: &str) -> Option<&TriageRule> {
        self.rules.iter().find(|rule| rule.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bound_holds_surely_not_or_undecided_for_a_range() {
        let under_3_months = Bound {
            quantity: Quantity::Age,
            comparison: Comparison::Below,
            limit: 91.0,
        };
        assert_eq!(under_3_months.holds_for((49.0, 49.0)), Some(true));
        assert_eq!(under_3_months.holds_for((730.0, 730.0)), Some(false));
        // "a baby": anywhere from birth to a year.
        assert_eq!(under_3_months.holds_for((0.0, 365.0)), None);
        let fever = Bound {
            quantity: Quantity::Temperature,
            comparison: Comparison::AtLeast,
            limit: 38.0,
        };
        assert_eq!(fever.holds_for((38.0, 38.0)), Some(true));
        assert!(fever.holds_when_unknown(true));
        assert!(!fever.holds_when_unknown(false));
        assert!(!under_3_months.holds_when_unknown(true));
    }
}
