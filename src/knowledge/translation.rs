//! Knowledge in more than one language without two copies of the clinical
//! logic: a [`Translation`] holds only the words of existing entries in one
//! more language (a concept's phrases, an FAQ entry's questions and answer, a
//! rule's advice and follow-up questions, the bot's fixed sentences), by id.
//! [`Knowledge::in_language`] lays them over the knowledge base, so a rule's
//! conditions, level and follow-up structure are the same in every language
//! by construction.

use std::collections::BTreeMap;

use carebot_chat::Language;

use super::{AskAbout, EntryTests, Knowledge, Messages, Origin, Review};

/// One language's text for the knowledge base, from its translation files.
#[derive(Debug, Clone)]
pub struct Translation {
    pub language: Language,
    pub concepts: BTreeMap<String, ConceptTranslation>,
    pub faqs: BTreeMap<String, FaqTranslation>,
    pub rules: BTreeMap<String, RuleTranslation>,
    pub notices: BTreeMap<String, NoticeTranslation>,
    /// The bot's fixed sentences in the language, placeholders filled in.
    pub messages: Messages,
    /// Which of the messages the files gave (the others are in English).
    pub messages_given: Vec<String>,
    /// Where `[messages]` was written, if anywhere.
    pub messages_origin: Option<Origin>,
    /// Translations of ids that name no entry, where they stand (`kb check`
    /// warns about them).
    pub orphans: Vec<(Origin, String)>,
}

/// A concept's phrases in the language (pairs already spelt out).
#[derive(Debug, Clone)]
pub struct ConceptTranslation {
    pub words: Vec<String>,
    pub absent_words: Vec<String>,
    pub origin: Origin,
}

/// An FAQ entry's text in the language.
#[derive(Debug, Clone)]
pub struct FaqTranslation {
    pub title: Option<String>,
    pub questions: Vec<String>,
    pub keywords: Vec<String>,
    pub answer: String,
    pub answer_template: String,
    pub review: Review,
    pub tests: EntryTests,
    pub origin: Origin,
}

/// A rule's text in the language: advice and the question of each ask.
#[derive(Debug, Clone)]
pub struct RuleTranslation {
    pub title: Option<String>,
    pub advice: String,
    pub questions: BTreeMap<AskAbout, String>,
    pub review: Review,
    pub tests: EntryTests,
    pub origin: Origin,
}

/// A health notice's text in the language.
#[derive(Debug, Clone)]
pub struct NoticeTranslation {
    pub title: String,
    pub text: String,
    pub text_template: String,
    pub questions: Vec<String>,
    pub keywords: Vec<String>,
    pub origin: Origin,
}

impl Knowledge {
    /// The languages patients can use: the practice's `languages`, English first.
    pub fn languages(&self) -> &[Language] {
        &self.practice.languages
    }

    /// The knowledge base as a patient writing in `language` meets it: the
    /// same rules, concepts and entries, in that language's words. `None` for
    /// the files' own language (the knowledge base itself) and for a language
    /// the practice does not offer.
    ///
    /// What has no translation: a concept has no phrases (it is never found
    /// in that language, though a rule may still ask about it); a rule keeps
    /// its English advice and questions (`kb check` warns, and refuses an
    /// emergency rule); an FAQ entry or notice is left out, so that a question
    /// in Spanish is never answered from English questions it shares a word
    /// with.
    pub fn in_language(&self, language: Language) -> Option<Knowledge> {
        let translation = self.translations.get(&language)?;
        let mut knowledge = self.clone();
        knowledge.translations.clear();
        knowledge.language = language;
        for concept in &mut knowledge.concepts {
            match translation.concepts.get(&concept.id) {
                Some(text) => {
                    concept.words = text.words.clone();
                    concept.absent_words = text.absent_words.clone();
                    concept.origin = text.origin.clone();
                }
                None => {
                    concept.words.clear();
                    concept.absent_words.clear();
                }
            }
        }
        knowledge.faqs.retain_mut(|entry| {
            let Some(text) = translation.faqs.get(&entry.id) else {
                return false;
            };
            if let Some(title) = &text.title {
                entry.title = title.clone();
            }
            entry.questions = text.questions.clone();
            entry.keywords = text.keywords.clone();
            entry.answer = text.answer.clone();
            entry.answer_template = text.answer_template.clone();
            entry.tests = text.tests.clone();
            entry.origin = text.origin.clone();
            true
        });
        for rule in &mut knowledge.rules {
            let Some(text) = translation.rules.get(&rule.id) else {
                // Examples in English would not reach the rule in Spanish.
                rule.tests = EntryTests::default();
                continue;
            };
            if let Some(title) = &text.title {
                rule.title = title.clone();
            }
            rule.advice = text.advice.clone();
            for ask in &mut rule.asks {
                if let Some(question) = text.questions.get(&ask.about) {
                    ask.question = question.clone();
                }
            }
            rule.tests = text.tests.clone();
            rule.origin = text.origin.clone();
        }
        knowledge.notices.retain_mut(|notice| {
            let Some(text) = translation.notices.get(&notice.id) else {
                return false;
            };
            notice.title = text.title.clone();
            notice.text = text.text.clone();
            notice.text_template = text.text_template.clone();
            notice.questions = text.questions.clone();
            notice.keywords = text.keywords.clone();
            notice.origin = text.origin.clone();
            true
        });
        knowledge.practice.messages = translation.messages.clone();
        Some(knowledge)
    }
}
