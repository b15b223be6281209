//! The knowledge files exactly as written, with source spans: what serde reads
//! before validation turns it into the checked model in `knowledge/mod.rs`.
//!
//! FAQ entries and rules share their review and test keys (`sources`, `reviewed`,
//! `owner`, `examples`, `counter_examples`, `dialogues`); they are spelt out in
//! both structs because serde cannot flatten them while rejecting unknown keys.
//!
//! Unknown keys are rejected (`deny_unknown_fields`) because a misspelt key such
//! as `advise = ...` would otherwise silently drop the advice.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    pub practice: Option<Spanned<RawPractice>>,
    #[serde(default)]
    pub concept: Vec<Spanned<RawConcept>>,
    #[serde(default)]
    pub faq: Vec<Spanned<RawFaq>>,
    #[serde(default)]
    pub rule: Vec<Spanned<RawRule>>,
    #[serde(default)]
    pub notice: Vec<Spanned<RawNotice>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPractice {
    pub name: Spanned<String>,
    pub phone: Spanned<String>,
    #[serde(default = "default_emergency_number")]
    pub emergency_number: Spanned<String>,
    pub crisis_line: Spanned<String>,
    pub portal_url: Spanned<String>,
    pub address: Spanned<String>,
    pub after_hours_line: Spanned<String>,
    pub timezone: Spanned<String>,
    #[serde(default)]
    pub hours: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    pub extra: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    pub messages: BTreeMap<Spanned<String>, Spanned<String>>,
    /// The topics the practice publishes notices on.
    #[serde(default)]
    pub notice_topics: Vec<Spanned<String>>,
    /// The languages offered to patients, as ISO 639-1 codes.
    #[serde(default)]
    pub languages: Vec<Spanned<String>>,
}

fn default_emergency_number() -> Spanned<String> {
    Spanned::new(0..0, "911".to_string())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConcept {
    pub id: Spanned<String>,
    #[serde(default)]
    pub words: Vec<Spanned<String>>,
    #[serde(default)]
    pub absent_words: Vec<Spanned<String>>,
    #[serde(default)]
    pub includes: Vec<Spanned<String>>,
    /// Two word lists whose words say the finding together, in either order
    /// and with up to two words between: a place and what is felt there.
    #[serde(default)]
    pub pair: Vec<RawPair>,
    #[serde(default)]
    pub neutral: bool,
    #[serde(default)]
    pub overlay: bool,
    #[serde(default)]
    pub lasting: bool,
}

/// `[[concept.pair]]`: any of `words` next to any of `with` ("pressure in
/// chest", "chest pressure", "pressure behind my breastbone").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPair {
    pub words: Spanned<Vec<Spanned<String>>>,
    pub with: Spanned<Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFaq {
    pub id: Spanned<String>,
    pub title: Option<Spanned<String>>,
    pub questions: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub keywords: Vec<Spanned<String>>,
    pub answer: Spanned<String>,
    #[serde(default)]
    pub sources: Vec<Spanned<String>>,
    pub reviewed: Spanned<toml::Value>,
    pub owner: Spanned<String>,
    #[serde(default)]
    pub examples: Vec<Spanned<String>>,
    #[serde(default)]
    pub counter_examples: Vec<Spanned<String>>,
    #[serde(default)]
    pub dialogues: Vec<Spanned<Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub id: Spanned<String>,
    pub title: Option<Spanned<String>>,
    pub level: Spanned<String>,
    pub when: Spanned<RawWhen>,
    #[serde(default)]
    pub handoff: bool,
    #[serde(default)]
    pub screen: bool,
    #[serde(default)]
    pub general: bool,
    pub advice: Spanned<String>,
    #[serde(default)]
    pub ask: Vec<Spanned<RawAsk>>,
    #[serde(default)]
    pub sources: Vec<Spanned<String>>,
    pub reviewed: Spanned<toml::Value>,
    pub owner: Spanned<String>,
    #[serde(default)]
    pub examples: Vec<Spanned<String>>,
    #[serde(default)]
    pub counter_examples: Vec<Spanned<String>>,
    #[serde(default)]
    pub dialogues: Vec<Spanned<Vec<String>>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawWhen {
    #[serde(default)]
    pub all: Vec<Spanned<String>>,
    #[serde(default)]
    pub any: Vec<Spanned<String>>,
    #[serde(default)]
    pub none: Vec<Spanned<String>>,
    /// How many of `any` must be present (1 when not given): a score of signs,
    /// such as two signs of serious illness from different body systems.
    pub at_least: Option<Spanned<i64>>,
    pub age_below: Option<Spanned<String>>,
    pub age_at_least: Option<Spanned<String>>,
    pub temperature_at_least: Option<Spanned<String>>,
    pub temperature_below: Option<Spanned<String>>,
    pub lasting_at_least: Option<Spanned<String>>,
    pub lasting_below: Option<Spanned<String>>,
    pub pregnant: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAsk {
    pub about: Spanned<String>,
    pub question: Spanned<String>,
    pub yes: Option<Spanned<String>>,
}

/// `[[notice]]`: a health notice the practice publishes for a time.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotice {
    pub id: Spanned<String>,
    pub title: Spanned<String>,
    pub text: Spanned<String>,
    pub topics: Spanned<Vec<Spanned<String>>>,
    /// Required in the knowledge folder; a file sent with `carebot notice
    /// send` may leave it out to come into force when sent.
    pub publish_at: Option<Spanned<toml::Value>>,
    pub expires_at: Spanned<toml::Value>,
    #[serde(default)]
    pub questions: Vec<Spanned<String>>,
    #[serde(default)]
    pub keywords: Vec<Spanned<String>>,
    #[serde(default)]
    pub sources: Vec<Spanned<String>>,
    pub reviewed: Spanned<toml::Value>,
    pub owner: Spanned<String>,
}

/// A translation file: the text of existing entries in one more language
/// (`[translation] language = "es"`). Conditions, levels and the structure
/// of follow-up questions stay in the entries themselves, so a translation
/// can never change what a rule decides, only how it is said.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTranslationFile {
    pub translation: Spanned<RawTranslationHeader>,
    #[serde(default)]
    pub concept: Vec<Spanned<RawConceptText>>,
    #[serde(default)]
    pub faq: Vec<Spanned<RawFaqText>>,
    #[serde(default)]
    pub rule: Vec<Spanned<RawRuleText>>,
    #[serde(default)]
    pub notice: Vec<Spanned<RawNoticeText>>,
    #[serde(default)]
    pub messages: BTreeMap<Spanned<String>, Spanned<String>>,
}

/// `[translation]`: the language and who vouches for the wording.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTranslationHeader {
    pub language: Spanned<String>,
    pub reviewed: Spanned<toml::Value>,
    pub owner: Spanned<String>,
    #[serde(default)]
    pub sources: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConceptText {
    pub id: Spanned<String>,
    #[serde(default)]
    pub words: Vec<Spanned<String>>,
    #[serde(default)]
    pub absent_words: Vec<Spanned<String>>,
    #[serde(default)]
    pub pair: Vec<RawPair>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFaqText {
    pub id: Spanned<String>,
    pub title: Option<Spanned<String>>,
    pub questions: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub keywords: Vec<Spanned<String>>,
    pub answer: Spanned<String>,
    #[serde(default)]
    pub sources: Vec<Spanned<String>>,
    #[serde(default)]
    pub examples: Vec<Spanned<String>>,
    #[serde(default)]
    pub counter_examples: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRuleText {
    pub id: Spanned<String>,
    pub title: Option<Spanned<String>>,
    pub advice: Spanned<String>,
    #[serde(default)]
    pub ask: Vec<Spanned<RawAskText>>,
    #[serde(default)]
    pub sources: Vec<Spanned<String>>,
    #[serde(default)]
    pub examples: Vec<Spanned<String>>,
    #[serde(default)]
    pub counter_examples: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAskText {
    pub about: Spanned<String>,
    pub question: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNoticeText {
    pub id: Spanned<String>,
    pub title: Spanned<String>,
    pub text: Spanned<String>,
    #[serde(default)]
    pub questions: Vec<Spanned<String>>,
    #[serde(default)]
    pub keywords: Vec<Spanned<String>>,
}
