//! Checking translation files (`[translation] language = "es"`) against the
//! knowledge base they translate: every id must name an existing entry, every
//! follow-up question an existing ask, the language must be one the practice
//! offers, and an emergency rule's advice must still send the patient to the
//! emergency number. An emergency rule with no text in an offered language is
//! an error: a patient writing in that language would get its advice in
//! English, or, were the rule left out, no emergency advice at all.

use std::collections::BTreeMap;

use toml::Spanned;

use super::{concept_phrases, Source, Validator};
use crate::knowledge::practice::Messages;
use crate::knowledge::raw::{
    RawConceptText, RawFaqText, RawNoticeText, RawRuleText, RawTranslationFile,
};
use crate::knowledge::translation::{
    ConceptTranslation, FaqTranslation, NoticeTranslation, RuleTranslation, Translation,
};
use crate::knowledge::{AskAbout, Knowledge, Level, Origin, Review};
use crate::text::{Analyzer, Language};

/// Whether a knowledge file is a translation file: it has a `[translation]`
/// table, which no other file may have.
pub(super) fn is_translation(source: &str) -> bool {
    source.lines().any(|line| line.trim() == "[translation]")
}

impl Validator {
    /// Adds the translation files `parsed` to `knowledge`, reporting every
    /// problem where it stands.
    pub(super) fn translations(
        &mut self,
        knowledge: &mut Knowledge,
        parsed: Vec<(Source, RawTranslationFile)>,
    ) {
        let emergency_number = knowledge.practice.emergency_number.clone();
        for (source, file) in parsed {
            let header = file.translation.get_ref();
            let Some(language) = Language::parse(header.language.get_ref()) else {
                let known: Vec<&str> = Language::ALL.iter().map(|l| l.code()).collect();
                self.error(
                    source,
                    &header.language,
                    format!(
                        "unknown language `{}`; carebot speaks: {}",
                        header.language.get_ref(),
                        known.join(", ")
                    ),
                );
                continue;
            };
            if language == Language::English {
                self.error(source, &header.language, "the knowledge files are in English already: a translation file gives another language's text");
                continue;
            }
            if !knowledge.practice.languages.contains(&language) {
                self.error(source, &header.language, format!("the practice does not offer `{}`: add it to `languages` in [practice] (languages = [\"en\", \"{}\"])", language.code(), language.code()));
                continue;
            }
            let Some(review) =
                self.review(source, &header.sources, &header.reviewed, &header.owner)
            else {
                continue;
            };
            let analyzer = Analyzer::without_vocabulary_in(language);
            // The opening hours with the days named in the language.
            let mut placeholders = knowledge.practice.placeholders();
            placeholders.insert(
                "hours".to_string(),
                knowledge.practice.hours.describe_in(language),
            );
            let placeholders = &placeholders;
            knowledge
                .translations
                .entry(language)
                .or_insert_with(|| Translation {
                    language,
                    concepts: BTreeMap::new(),
                    faqs: BTreeMap::new(),
                    rules: BTreeMap::new(),
                    notices: BTreeMap::new(),
                    messages: knowledge.practice.messages.clone(),
                    messages_given: Vec::new(),
                    messages_origin: None,
                    orphans: Vec::new(),
                });
            for concept in file.concept {
                self.concept_text(source, concept, knowledge, language, &analyzer);
            }
            for faq in file.faq {
                self.faq_text(source, faq, knowledge, language, &review, placeholders);
            }
            for rule in file.rule {
                self.rule_text(
                    source,
                    rule,
                    knowledge,
                    language,
                    &review,
                    placeholders,
                    &emergency_number,
                );
            }
            for notice in file.notice {
                self.notice_text(source, notice, knowledge, language, placeholders);
            }
            if !file.messages.is_empty() {
                self.messages_text(source, &file.messages, knowledge, language, placeholders);
            }
        }
        // Every emergency rule must speak every offered language.
        for &language in knowledge.practice.languages.iter().skip(1) {
            let missing: Vec<&str> = knowledge
                .rules
                .iter()
                .filter(|rule| rule.level == Level::Emergency)
                .filter(|rule| {
                    knowledge
                        .translations
                        .get(&language)
                        .is_none_or(|t| !t.rules.contains_key(&rule.id))
                })
                .map(|rule| rule.id.as_str())
                .collect();
            for id in missing {
                let rule = knowledge.rule(id).expect("listed from the rules");
                self.problems.push(crate::knowledge::Problem::at(
                    crate::knowledge::Severity::Error,
                    &rule.origin,
                    format!("emergency rule `{id}` has no `{}` text: a patient writing in that language must get its advice in it (add a [[rule]] with id = \"{id}\" to a translation file)", language.code()),
                ));
            }
        }
    }

    fn translation(knowledge: &mut Knowledge, language: Language) -> &mut Translation {
        knowledge
            .translations
            .get_mut(&language)
            .expect("created for the file before its entries")
    }

    /// A translation of an entry that is not there: a warning, not an error,
    /// so that deleting a rules file leaves a knowledge base that loads (its
    /// translations are then only left over), as it does in English.
    fn orphan(knowledge: &mut Knowledge, language: Language, origin: Origin, message: String) {
        Self::translation(knowledge, language).orphans.push((
            origin,
            format!("{message} (left over? delete it, or check the id)"),
        ));
    }

    fn concept_text(
        &mut self,
        source: Source,
        spanned: Spanned<RawConceptText>,
        knowledge: &mut Knowledge,
        language: Language,
        analyzer: &Analyzer,
    ) {
        let origin = Self::origin(source, &spanned);
        let raw = spanned.into_inner();
        let id = raw.id.get_ref();
        if !knowledge.concepts.iter().any(|c| &c.id == id) {
            let message =
                format!("no concept `{id}` to translate: the id must be one of the concepts' ids");
            Self::orphan(knowledge, language, origin, message);
            return;
        }
        if let Some(first) = Self::translation(knowledge, language).concepts.get(id) {
            let first = first.origin.clone();
            self.error(
                source,
                &raw.id,
                format!("concept `{id}` is translated twice; first at {first}"),
            );
            return;
        }
        self.check_phrases(
            source,
            Some(analyzer),
            &raw.words,
            &raw.absent_words,
            &raw.pair,
        );
        let (words, absent_words) = concept_phrases(&raw.words, &raw.absent_words, &raw.pair);
        let text = ConceptTranslation {
            words,
            absent_words,
            origin,
        };
        Self::translation(knowledge, language)
            .concepts
            .insert(id.clone(), text);
    }

    fn faq_text(
        &mut self,
        source: Source,
        spanned: Spanned<RawFaqText>,
        knowledge: &mut Knowledge,
        language: Language,
        review: &Review,
        placeholders: &BTreeMap<String, String>,
    ) {
        let origin = Self::origin(source, &spanned);
        let raw = spanned.into_inner();
        let id = raw.id.get_ref();
        if knowledge.faq(id).is_none() {
            let message = format!("no FAQ entry `{id}` to translate");
            Self::orphan(knowledge, language, origin, message);
            return;
        }
        if let Some(first) = Self::translation(knowledge, language).faqs.get(id) {
            let first = first.origin.clone();
            self.error(
                source,
                &raw.id,
                format!("FAQ `{id}` is translated twice; first at {first}"),
            );
            return;
        }
        if raw.questions.get_ref().is_empty() {
            self.error(
                source,
                &raw.questions,
                format!("FAQ `{id}` has no questions: add the ways patients ask it"),
            );
        }
        let Some(answer) = self.render(source, &raw.answer, placeholders) else {
            return;
        };
        let mut review = review.clone();
        review
            .sources
            .extend(raw.sources.iter().map(|s| s.get_ref().clone()));
        let text = FaqTranslation {
            title: raw.title.map(Spanned::into_inner),
            questions: raw
                .questions
                .get_ref()
                .iter()
                .map(|q| q.get_ref().clone())
                .collect(),
            keywords: raw.keywords.iter().map(|k| k.get_ref().clone()).collect(),
            answer: answer.trim().to_string(),
            answer_template: raw.answer.into_inner(),
            review,
            tests: Self::tests(&raw.examples, &raw.counter_examples, &[]),
            origin,
        };
        Self::translation(knowledge, language)
            .faqs
            .insert(id.clone(), text);
    }

    #[allow(clippy::too_many_arguments)]
    fn rule_text(
        &mut self,
        source: Source,
        spanned: Spanned<RawRuleText>,
        knowledge: &mut Knowledge,
        language: Language,
        review: &Review,
        placeholders: &BTreeMap<String, String>,
        emergency_number: &str,
    ) {
        let origin = Self::origin(source, &spanned);
        let raw = spanned.into_inner();
        let id = raw.id.get_ref();
        let Some(rule) = knowledge.rule(id) else {
            let message = format!("no rule `{id}` to translate");
            Self::orphan(knowledge, language, origin, message);
            return;
        };
        let (level, asks) = (
            rule.level,
            rule.asks
                .iter()
                .map(|ask| ask.about.clone())
                .collect::<Vec<_>>(),
        );
        if let Some(first) = Self::translation(knowledge, language).rules.get(id) {
            let first = first.origin.clone();
            self.error(
                source,
                &raw.id,
                format!("rule `{id}` is translated twice; first at {first}"),
            );
            return;
        }
        if level == Level::Emergency && !raw.advice.get_ref().contains("{emergency_number}") {
            self.error(source, &raw.advice, format!("emergency rule `{id}` must tell the patient to call {{emergency_number}} (currently {emergency_number}) in every language"));
        }
        let advice = self.render(source, &raw.advice, placeholders);
        let mut questions = BTreeMap::new();
        for ask in &raw.ask {
            let about = AskAbout::from_name(ask.get_ref().about.get_ref());
            if !asks.contains(&about) {
                let known: Vec<String> = asks.iter().map(ToString::to_string).collect();
                self.error(
                    source,
                    &ask.get_ref().about,
                    format!(
                        "rule `{id}` asks nothing about `{about}`; its asks are about: {}",
                        if known.is_empty() {
                            "(none)".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                );
                continue;
            }
            if let Some(question) = self.render(source, &ask.get_ref().question, placeholders) {
                questions.insert(about, question);
            }
        }
        let Some(advice) = advice else {
            return;
        };
        let mut review = review.clone();
        review
            .sources
            .extend(raw.sources.iter().map(|s| s.get_ref().clone()));
        let text = RuleTranslation {
            title: raw.title.map(Spanned::into_inner),
            advice: advice.trim().to_string(),
            questions,
            review,
            tests: Self::tests(&raw.examples, &raw.counter_examples, &[]),
            origin,
        };
        Self::translation(knowledge, language)
            .rules
            .insert(id.clone(), text);
    }

    fn notice_text(
        &mut self,
        source: Source,
        spanned: Spanned<RawNoticeText>,
        knowledge: &mut Knowledge,
        language: Language,
        placeholders: &BTreeMap<String, String>,
    ) {
        let origin = Self::origin(source, &spanned);
        let raw = spanned.into_inner();
        let id = raw.id.get_ref();
        if knowledge.notice(id).is_none() {
            let message = format!("no notice `{id}` to translate");
            Self::orphan(knowledge, language, origin, message);
            return;
        }
        let Some(text) = self.render(source, &raw.text, placeholders) else {
            return;
        };
        let notice = NoticeTranslation {
            title: raw.title.into_inner(),
            text: text.trim().to_string(),
            text_template: raw.text.into_inner(),
            questions: raw.questions.iter().map(|q| q.get_ref().clone()).collect(),
            keywords: raw.keywords.iter().map(|k| k.get_ref().clone()).collect(),
            origin,
        };
        Self::translation(knowledge, language)
            .notices
            .insert(id.clone(), notice);
    }

    fn messages_text(
        &mut self,
        source: Source,
        messages: &BTreeMap<Spanned<String>, Spanned<String>>,
        knowledge: &mut Knowledge,
        language: Language,
        placeholders: &BTreeMap<String, String>,
    ) {
        let defaults = Messages::default_templates();
        let translation = Self::translation(knowledge, language);
        let mut rendered = translation.messages.rendered();
        let mut given = translation.messages_given.clone();
        for (key, value) in messages {
            if !defaults.contains_key(key.get_ref().as_str()) {
                self.unknown_message(source, key);
                continue;
            }
            if let Some(text) = self.render(source, value, placeholders) {
                rendered.insert(key.get_ref().clone(), text);
                given.push(key.get_ref().clone());
            }
        }
        let origin = Self::origin(source, messages.keys().next().expect("not empty"));
        let translation = Self::translation(knowledge, language);
        translation.messages = Messages::from_rendered(rendered);
        translation.messages_given = given;
        translation.messages_origin.get_or_insert(origin);
    }
}
