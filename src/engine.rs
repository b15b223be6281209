//! The engine: one patient message in, one reply out.
//!
//! Stages, in order: size limits → identifier warning → text analysis → (if the
//! bot is waiting on an answer) follow-up handling → triage rules → FAQ matching →
//! reply. Triage always runs before the FAQ: a message describing symptoms gets
//! advice with a level of care, never an FAQ answer instead. The engine is pure
//! with respect to the outside world: it reads a [`Conversation`] and updates it,
//! and leaves storage, handoff and delivery to its callers.

use std::cell::OnceCell;
use std::collections::HashSet;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use serde::Serialize;

use carebot_chat::{Button, Level, Reply, ReplyKind};

use crate::conversation::{Conversation, Episode, Pending};
use crate::faq::{self, Candidate, FaqIndex, FaqOutcome, Thresholds};
use crate::faq_semantic::{self, SemanticFaq};
use crate::findings::{ConceptMatcher, Context, Mention, Status, HEALTH_PROBLEM, PREGNANCY};
use crate::health::HealthDetector;
use crate::identifiers;
use crate::knowledge::FIGURE_OF_SPEECH;
use crate::knowledge::{Ask, AskAbout, FaqEntry, Knowledge, TriageRule};
use crate::language::{self, Choice};
use crate::modifiers::{self, Modifiers};
use crate::text::{Analyzer, Language, Lexicon, Token};
use crate::triage::{Answer, Decision, Facts, Triage};
use crate::triage_semantic::{self, ByMeaning, Nets};

/// Input limits, so that no message can make the engine slow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longer messages get a polite "please keep it short" and are not analysed.
    pub max_message_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_chars: 3000,
        }
    }
}

/// Something the sentence encoder builds from the knowledge base, once:
/// when a message first needs it, or on a thread of its own (see
/// `Engine::prepared`).
#[derive(Debug)]
struct Prepared<T> {
    value: OnceLock<T>,
    /// Whether a background thread has been started to fill `value`.
    in_background: AtomicBool,
}

impl<T> Default for Prepared<T> {
    fn default() -> Self {
        Prepared {
            value: OnceLock::new(),
            in_background: AtomicBool::new(false),
        }
    }
}

impl<T> Prepared<T> {
    /// Claims the building of `value` for a background thread: true once,
    /// unless it is built already.
    fn claim_for_background(&self) -> bool {
        self.value.get().is_none() && !self.in_background.swap(true, Ordering::AcqRel)
    }
}

/// Where an engine's semantic parts are kept: shared with the thread that
/// builds them in the background.
#[derive(Debug, Default)]
struct SemanticSlot {
    layer: Prepared<SemanticFaq>,
    /// The emergency and health nets, trained on the rules' examples.
    nets: Prepared<Nets>,
}

/// A finding as shown in `--explain` output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExplainedFinding {
    pub concept: String,
    pub words: String,
    pub negated: bool,
    pub historical: bool,
    pub hypothetical: bool,
    /// Matched one of the concept's `absent_words`: known to be absent.
    pub absent_phrase: bool,
}

impl From<&Mention> for ExplainedFinding {
    fn from(mention: &Mention) -> Self {
        ExplainedFinding {
            concept: mention.concept.clone(),
            words: mention.words.clone(),
            negated: mention.context == Context::Negated,
            historical: mention.context == Context::Historical,
            hypothetical: mention.context == Context::Hypothetical,
            absent_phrase: mention.absent_phrase,
        }
    }
}

/// Why the engine replied as it did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Explanation {
    pub findings: Vec<ExplainedFinding>,
    pub modifiers: Modifiers,
    /// The best FAQ entries for the message, best first.
    pub candidates: Vec<Candidate>,
    /// Whether `candidates` is the hybrid ranking of the FAQ's semantic layer
    /// (scores are then cosines plus weights, up to 2.3) rather than the
    /// lexical one (BM25 scores).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub semantic: bool,
    /// The built-in words that made the message report a health problem now.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problem_words: Vec<String>,
    /// The emergency net's probability that the message describes an
    /// emergency, when triage consulted it (`triage_semantic`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency_by_meaning: Option<f32>,
    /// The health net's probability that a message nothing answered reports
    /// a health problem, when the engine consulted it (`triage_semantic`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_by_meaning: Option<f32>,
    /// The language the message was read and answered in, for a practice
    /// that offers more than one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
}

/// A reply and its explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub reply: Reply,
    pub explanation: Explanation,
}

/// How many FAQ candidates an explanation lists.
const EXPLAIN_CANDIDATES: usize = 10;

/// A knowledge base made ready for matching. Immutable: share it between
/// conversations (behind an `Arc`) and swap in a new one to reload knowledge.
#[derive(Debug)]
pub struct Engine {
    knowledge: Knowledge,
    analyzer: Analyzer,
    matcher: ConceptMatcher,
    /// Whether a message reports a health problem now, rules or not.
    health: HealthDetector,
    /// The red-flag screen's signs and questions, read once from its rules:
    /// every message that is not an emergency is checked against them.
    screen: Screen,
    triage: Triage,
    faq: FaqIndex,
    /// The health notices, ranked like FAQ entries; only those in force
    /// when a message arrives may answer it.
    notices: FaqIndex,
    /// The FAQ's semantic layer, embedded the first time a message needs it
    /// (on a thread of its own for a large bank); `None` when this engine
    /// ranks lexically only.
    semantic: Option<Arc<SemanticSlot>>,
    /// Above this many texts to embed, embedding happens in the background.
    background_above: usize,
    limits: Limits,
    thresholds: Thresholds,
    /// An engine for each of the practice's other languages, over the
    /// knowledge base in that language's words ([`Knowledge::in_language`]).
    /// Lexical only: the sentence encoder reads English.
    translations: Vec<Engine>,
}

/// The words a knowledge base uses, with counts: what spelling is corrected to.
fn vocabulary(knowledge: &Knowledge) -> std::collections::HashMap<String, u32> {
    let lexicon = crate::text::lexicon(knowledge.language);
    let mut counts = std::collections::HashMap::new();
    let concept_texts = knowledge
        .concepts
        .iter()
        .flat_map(|c| c.words.iter().chain(&c.absent_words));
    let faq_texts = knowledge
        .faqs
        .iter()
        .flat_map(|f| f.questions.iter().chain(&f.keywords).chain([&f.title]));
    let notice_texts = knowledge
        .notices
        .iter()
        .flat_map(|n| n.questions.iter().chain(&n.keywords).chain([&n.title]));
    for text in concept_texts.chain(faq_texts).chain(notice_texts) {
        // The words `analyze_exact` would give, without stemming them: only the
        // words count here.
        let mut normal = crate::text::normalize(text);
        if lexicon.fold_accents {
            normal = crate::text::normalize::fold_accents(&normal);
        }
        for word in crate::text::normalize::words_in(&normal, lexicon) {
            if word.text.chars().all(char::is_alphabetic) {
                *counts.entry(word.text).or_insert(0) += 1;
            }
        }
    }
    counts
}

impl Engine {
    pub fn new(knowledge: Knowledge) -> Engine {
        Engine::with_limits(knowledge, Limits::default())
    }

    pub fn with_limits(knowledge: Knowledge, limits: Limits) -> Engine {
        let translations = knowledge
            .translations
            .keys()
            .filter_map(|&language| knowledge.in_language(language))
            .map(|translated| Engine::with_limits(translated, limits).lexical_only())
            .collect();
        let analyzer = Analyzer::for_language(knowledge.language, &vocabulary(&knowledge));
        let matcher = ConceptMatcher::new(&knowledge.concepts, &analyzer);
        let triage = Triage::new(&knowledge, &matcher);
        let faq = FaqIndex::new(&knowledge.faqs, &analyzer);
        let notice_entries: Vec<FaqEntry> =
            knowledge.notices.iter().map(|n| n.as_faq_entry()).collect();
        let notices = FaqIndex::new(&notice_entries, &analyzer);
        let health = HealthDetector::new(&analyzer);
        let screen = Screen::new(&knowledge, &matcher);
        Engine {
            knowledge,
            analyzer,
            matcher,
            health,
            screen,
            triage,
            faq,
            notices,
            semantic: cfg!(feature = "semantic").then(Arc::default),
            background_above: faq_semantic::BACKGROUND_ABOVE,
            limits,
            thresholds: Thresholds::default(),
            translations,
        }
    }

    /// An engine for `knowledge` with this one's settings (limits, the semantic
    /// layer on or off, the background threshold): what a knowledge reload
    /// builds.
    pub fn reloaded(&self, knowledge: Knowledge) -> Engine {
        let mut engine = Engine::with_limits(knowledge, self.limits);
        if self.semantic.is_none() {
            engine = engine.lexical_only();
        }
        engine.background_above = self.background_above;
        engine
    }

    /// This engine with the FAQ ranked lexically only (the fast path alone):
    /// for comparisons and for builds that leave the encoder out.
    pub fn lexical_only(mut self) -> Engine {
        self.semantic = None;
        self
    }

    /// This engine with its FAQ embedded in the background whenever more than
    /// `texts` texts are still to embed (default
    /// [`faq_semantic::BACKGROUND_ABOVE`]); until then it ranks by words.
    pub fn embed_in_background_above(mut self, texts: usize) -> Engine {
        self.background_above = texts;
        self
    }

    /// Whether FAQ questions the lexical ranking is unsure of are re-ranked by
    /// meaning.
    pub fn has_semantic_layer(&self) -> bool {
        self.semantic.is_some()
    }

    pub fn knowledge(&self) -> &Knowledge {
        &self.knowledge
    }

    /// The input limits this engine was built with (a reload keeps them).
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The FAQ entry `id`, found through the index: [`Knowledge::faq`] scans
    /// every entry, which costs more than the whole reply at 10,000 entries.
    fn faq_entry(&self, id: &str) -> Option<&FaqEntry> {
        self.faq
            .entry_number(id)
            .map(|number| &self.knowledge.faqs[number])
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The best FAQ entries for `text`, best first, ignoring triage and state.
    pub fn rank_faq(&self, text: &str, limit: usize) -> Vec<Candidate> {
        self.faq
            .rank(&self.analyzer.analyze(text), &self.analyzer, limit)
    }

    /// The FAQ entries for `text` as the semantic layer ranks them (hybrid
    /// scores), whatever triage makes of the message: what `--explain` shows
    /// when the FAQ stage did not run. `None` without a semantic layer or FAQ.
    pub fn rank_faq_by_meaning(&self, text: &str) -> Option<Vec<Candidate>> {
        let layer = self.semantic_layer()?;
        let lexical = self.rank_faq(text, EXPLAIN_CANDIDATES);
        Some(layer.rank(text, &lexical, EXPLAIN_CANDIDATES))
    }

    /// The semantic layer, embedded on first use; `None` when this engine
    /// ranks lexically only, has no FAQ, or is still embedding a large bank in
    /// the background.
    fn semantic_layer(&self) -> Option<&SemanticFaq> {
        let slot = self.semantic.as_ref()?;
        if self.knowledge.faqs.is_empty() {
            return None;
        }
        self.prepared(
            &slot.layer,
            || faq_semantic::missing_embeddings(&self.knowledge.faqs),
            || SemanticFaq::new(&self.knowledge.faqs),
            || {
                tracing::info!(
                    faq_entries = self.knowledge.faqs.len(),
                    "embedding the FAQ in the background; ranking by words until it is done"
                );
                in_background("faq-embeddings", self.faq_layer_job(slot));
            },
        )
    }

    /// `prepared`'s value: built now when at most `background_above` texts
    /// are still to embed (`missing`), so replies do not depend on timing;
    /// else started on a thread of its own (`start`, once) and `None` until
    /// it is done, the words alone answering meanwhile.
    fn prepared<'a, T>(
        &self,
        prepared: &'a Prepared<T>,
        missing: impl FnOnce() -> usize,
        build: impl FnOnce() -> T,
        start: impl FnOnce(),
    ) -> Option<&'a T> {
        if let Some(value) = prepared.value.get() {
            return Some(value);
        }
        if prepared.in_background.load(Ordering::Acquire) {
            return None;
        }
        if missing() <= self.background_above {
            return Some(prepared.value.get_or_init(build));
        }
        if !prepared.in_background.swap(true, Ordering::AcqRel) {
            start();
        }
        None
    }

    /// Builds the FAQ's semantic layer into `slot`.
    fn faq_layer_job(&self, slot: &Arc<SemanticSlot>) -> impl FnOnce() + Send + 'static {
        let entries = self.knowledge.faqs.clone();
        let slot = Arc::clone(slot);
        move || {
            let _ = slot.layer.value.set(SemanticFaq::new(&entries));
            tracing::info!("the FAQ's semantic layer is ready");
        }
    }

    /// Trains the emergency and health nets into `slot`.
    fn nets_job(&self, slot: &Arc<SemanticSlot>) -> impl FnOnce() + Send + 'static {
        let (emergency, health) = self.nets_texts();
        let slot = Arc::clone(slot);
        move || {
            let _ = slot.nets.value.set(Nets::from_texts(&emergency, &health));
            tracing::info!("the emergency and health nets are trained");
        }
    }

    /// Trains the emergency net and embeds the FAQ on a thread of their own,
    /// now rather than when a message first needs them: what `serve` does at
    /// start and after a reload, so that no patient waits on it. Until they
    /// are ready, messages are read by words alone (as a lexical engine
    /// would). Nothing to do for a lexical engine or when both are ready.
    pub fn prepare_in_background(&self) {
        let Some(slot) = &self.semantic else {
            return;
        };
        let net = slot
            .nets
            .claim_for_background()
            .then(|| self.nets_job(slot));
        let faq = (!self.knowledge.faqs.is_empty() && slot.layer.claim_for_background())
            .then(|| self.faq_layer_job(slot));
        if net.is_some() || faq.is_some() {
            // One thread, the emergency net first: the other core keeps
            // answering patients meanwhile.
            in_background("meaning", move || {
                if let Some(job) = net {
                    job();
                }
                if let Some(job) = faq {
                    job();
                }
            });
        }
    }

    /// Replies to `text` in `conversation`, updating the conversation.
    pub fn reply(&self, conversation: &mut Conversation, text: &str) -> Reply {
        self.respond(conversation, text).reply
    }

    /// Replies to `text` and explains why.
    pub fn respond(&self, conversation: &mut Conversation, text: &str) -> Outcome {
        self.respond_at(conversation, text, jiff::Timestamp::now())
    }

    /// Replies to `text` arriving at `now` (which health notices are in
    /// force), and explains why.
    pub fn respond_at(
        &self,
        conversation: &mut Conversation,
        text: &str,
        now: jiff::Timestamp,
    ) -> Outcome {
        self.respond_in_language(conversation, text, now, true)
    }

    /// The engine for `language`: this one for the knowledge files' own
    /// language, else the one over that language's translation (this one for
    /// a language the practice does not offer).
    pub fn in_language(&self, language: Language) -> &Engine {
        self.translations
            .iter()
            .find(|engine| engine.knowledge.language == language)
            .unwrap_or(self)
    }

    /// The engines of the practice's other languages.
    pub fn translations(&self) -> impl Iterator<Item = &Engine> {
        self.translations.iter()
    }

    /// The language this engine reads and writes.
    pub fn language(&self) -> Language {
        self.knowledge.language
    }

    /// Replies in the conversation's language, first reading what the
    /// message says about it: a request for another language switches (and
    /// is confirmed in it), a message clearly written in another offered
    /// language switches to it, anything else keeps the conversation's.
    ///
    /// Fails safe across languages: a message that is not an emergency in
    /// the conversation's language is also read in the others, and an
    /// emergency found there in words of that language wins, answered in it.
    /// A patient who has written in English and then writes "no puede
    /// respirar" gets emergency advice, however few words the language was
    /// read from.
    fn respond_in_language(
        &self,
        conversation: &mut Conversation,
        text: &str,
        now: jiff::Timestamp,
        by_meaning: bool,
    ) -> Outcome {
        if self.translations.is_empty() {
            return self.respond_with(conversation, text, now, by_meaning);
        }
        let offered = self.knowledge.languages();
        let current = conversation.language.unwrap_or(self.knowledge.language);
        let choice = language::read(text, offered);
        match choice {
            Choice::Requested(language) => {
                conversation.language = Some(language);
                let engine = self.in_language(language);
                let mut outcome = engine.notice(engine.analyzer.lexicon().phrases.switched);
                outcome.explanation.language = Some(language);
                return outcome;
            }
            Choice::AskedWhich => {
                let engine = self.in_language(current);
                let buttons = offered
                    .iter()
                    .map(|language| Button {
                        label: language.own_name().to_string(),
                        reply: format!("/language {}", language.code()),
                    })
                    .collect();
                let mut outcome = engine.notice(engine.analyzer.lexicon().phrases.which_language);
                outcome.reply.buttons = buttons;
                outcome.explanation.language = Some(current);
                return outcome;
            }
            Choice::WrittenIn(language) => conversation.language = Some(language),
            Choice::Leaning(language) if conversation.language.is_none() => {
                conversation.language = Some(language);
            }
            Choice::Leaning(_) | Choice::Unclear => {}
        }
        let language = conversation.language.unwrap_or(self.knowledge.language);
        let engine = self.in_language(language);
        let mut outcome = engine.respond_with(conversation, text, now, by_meaning);
        outcome.explanation.language = Some(language);
        if outcome.reply.level == Some(Level::Emergency) {
            return outcome;
        }
        // An emergency read in another language counts only if it rests on
        // words of that language as written: "help my dad no respira" is
        // one, but neither the Spanish files' few English words ("temperature
        // reading high") nor a medical word both languages share ("what are
        // the signs of sepsis?") may turn an English message into a Spanish
        // emergency.
        let here = &engine.analyzer;
        let written = language::folded_words(text);
        let others = std::iter::once(self)
            .chain(&self.translations)
            .filter(|other| other.language() != language);
        for other in others {
            // Everyday words of the other language as the patient wrote them
            // (not spelling corrections towards it: "isn't" is not
            // "inconsciente") that this language's engine does not know
            // ("sepsis" it does; "guillain" is nobody's everyday word).
            // Without one, nothing found in that language could count, and
            // the message is not read again: most messages are not.
            let theirs = other.analyzer.lexicon().common_words();
            let foreign: HashSet<&str> = written
                .iter()
                .map(String::as_str)
                .filter(|word| theirs.contains(word) && !here.is_common_word(word))
                .collect();
            if foreign.is_empty() {
                continue;
            }
            let mut trial = conversation.clone();
            // Lexically: the sentence encoder reads English only.
            let mut glance = other.respond_with(&mut trial, text, now, false);
            let foreign = |words: &str| words.split(' ').any(|word| foreign.contains(word));
            let explanation = &glance.explanation;
            let found_in_other_words = explanation
                .findings
                .iter()
                .filter(|f| !(f.negated || f.historical || f.hypothetical || f.absent_phrase))
                .any(|f| foreign(&f.words))
                || explanation.problem_words.iter().any(|words| foreign(words));
            if glance.reply.level == Some(Level::Emergency) && found_in_other_words {
                *conversation = trial;
                conversation.language = Some(other.language());
                glance.explanation.language = Some(other.language());
                return glance;
            }
        }
        outcome
    }

    /// A look at `text` alone by its words, without the sentence encoder
    /// (microseconds, where a reading by meaning costs milliseconds): for
    /// checks that run on every message, however many arrive, such as
    /// letting an emergency through a rate limit.
    pub fn glance(&self, text: &str) -> Outcome {
        self.respond_in_language(
            &mut Conversation::default(),
            text,
            jiff::Timestamp::now(),
            false,
        )
    }

    fn respond_with(
        &self,
        conversation: &mut Conversation,
        text: &str,
        now: jiff::Timestamp,
        by_meaning: bool,
    ) -> Outcome {
        if text.trim().is_empty() {
            return self.notice(&self.knowledge.practice.messages.empty);
        }
        // Counted before and after Unicode normalisation, which can expand a
        // character eighteenfold ("ﷺ"): the limit bounds the work, not the bytes.
        let too_long = |text: &str| text.chars().nth(self.limits.max_message_chars).is_some();
        if too_long(text) || (!text.is_ascii() && too_long(&crate::text::normalize(text))) {
            return self.notice(&self.knowledge.practice.messages.too_long);
        }
        let tokens = self.analyzer.analyze(text);
        let mentions = self.matcher.mentions(&tokens);
        let (statuses, problems) =
            self.statuses_of(&tokens, &mentions, conversation.pending.is_none());
        let candidates = self.faq.rank(&tokens, &self.analyzer, EXPLAIN_CANDIDATES);
        let mut explanation = Explanation {
            findings: mentions
                .iter()
                .map(|(_, m)| ExplainedFinding::from(m))
                .collect(),
            modifiers: modifiers::extract(&tokens, None),
            candidates,
            semantic: false,
            problem_words: problems.iter().map(|p| p.mention.words.clone()).collect(),
            emergency_by_meaning: None,
            health_by_meaning: None,
            language: None,
        };
        let reranked = OnceCell::new();
        let emergency_by_meaning = OnceCell::new();
        let health_by_meaning = OnceCell::new();
        let embedding = OnceCell::new();
        let message = Message {
            text,
            tokens: &tokens,
            statuses: &statuses,
            candidates: &explanation.candidates,
            reranked: &reranked,
            emergency_by_meaning: &emergency_by_meaning,
            embedding: &embedding,
            health_by_meaning: &health_by_meaning,
            now,
            by_meaning,
            mentions: &mentions,
            problems: &problems,
        };
        // The message read as an answer to the question the bot asked, if it asked
        // one: a bare "7 weeks" is then an age.
        let mut answered = None;
        let continued = match conversation.pending.take() {
            Some(Pending::FollowUp {
                rule,
                about,
                unclear,
            }) => {
                let modifiers = modifiers::extract(&tokens, Some(&about));
                answered = Some(modifiers);
                self.continue_follow_up(conversation, &message, &rule, about, modifiers, unclear)
            }
            Some(Pending::Choices { entries }) => self.pick_choice(&message, &entries),
            None => None,
        };
        let mut reply = continued.unwrap_or_else(|| {
            conversation.episode = Episode::default();
            let facts = Facts {
                concepts: statuses.clone(),
                modifiers: explanation.modifiers,
                asked: HashSet::new(),
            };
            self.decide(conversation, facts, &message, Reading::Fresh)
        });
        if identifiers::contains_identifier(text) {
            let warning = &self.knowledge.practice.messages.identifier_warning;
            reply.text = format!("{warning}\n\n{}", reply.text);
        }
        // Explain the ranking the FAQ stage used: the hybrid one, if it ran.
        if let Some(ranked) = reranked.into_inner() {
            explanation.candidates = ranked;
            explanation.semantic = true;
        }
        explanation.emergency_by_meaning = emergency_by_meaning.into_inner().map(|r| r.probability);
        explanation.health_by_meaning = health_by_meaning.into_inner().map(|r| r.probability);
        // Explain the message as it was read: as an answer, if it answered a question.
        if let Some(modifiers) = answered {
            explanation.modifiers = modifiers;
        }
        Outcome { reply, explanation }
    }

    /// Word sense for the built-in problem words: a problem word inside a longer
    /// phrase of a neutral concept ("confused about my bill") has that phrase's
    /// everyday meaning, as the practice wrote it, and is not a problem.
    fn everyday_senses_removed(
        &self,
        problems: Vec<crate::health::Problem>,
        mentions: &[(u32, Mention)],
    ) -> Vec<crate::health::Problem> {
        problems
            .into_iter()
            .filter(|problem| {
                let word = &problem.mention.span;
                !mentions.iter().any(|(concept, mention)| {
                    let phrase = &mention.span;
                    self.matcher.is_neutral(*concept as usize)
                        && !self.matcher.is_overlay(*concept as usize)
                        && mention.affirmed()
                        && phrase.len() > word.len()
                        && phrase.start <= word.start
                        && word.end <= phrase.end
                })
            })
            .collect()
    }

    /// What a message's words say of each concept, with the built-in health
    /// problem, and the problem words it holds. A new message about an animal
    /// and nobody else says nothing of a person ("my cat keeps sneezing"); an
    /// answer to a question is read as one.
    fn statuses_of(
        &self,
        tokens: &[Token],
        mentions: &[(u32, Mention)],
        new_message: bool,
    ) -> (Vec<Status>, Vec<crate::health::Problem>) {
        let mut statuses = self.matcher.statuses(mentions);
        let problems = self.everyday_senses_removed(self.health.problems(tokens), mentions);
        self.mark_health_problem(&problems, &mut statuses);
        if new_message && self.health.about_an_animal_only(tokens) {
            statuses.fill(Status::Unknown);
        }
        (statuses, problems)
    }

    /// Sets the built-in health-problem finding when the message reports a
    /// health problem now: the red-flag screen starts from it, and it keeps
    /// the message from the FAQ.
    fn mark_health_problem(&self, problems: &[crate::health::Problem], statuses: &mut [Status]) {
        let concepts = &self.knowledge.concepts;
        let affirmed = statuses
            .iter()
            .zip(concepts)
            .filter(|(status, _)| **status == Status::Present)
            .map(|(_, concept)| concept);
        if crate::health::reports_problem(problems, affirmed) {
            if let Some(index) = self.matcher.index(HEALTH_PROBLEM) {
                statuses[index] = Status::Present;
            }
        }
    }

    /// Whether `facts` hold a health problem happening now.
    fn health_problem(&self, facts: &Facts) -> bool {
        self.matcher
            .index(HEALTH_PROBLEM)
            .is_some_and(|index| facts.concepts[index] == Status::Present)
    }

    fn notice(&self, text: &str) -> Outcome {
        Outcome {
            reply: Reply::plain(ReplyKind::Notice, text),
            explanation: Explanation::default(),
        }
    }

    /// Runs triage on `facts` and replies with advice, a question, or the FAQ.
    fn decide(
        &self,
        conversation: &mut Conversation,
        mut facts: Facts,
        message: &Message,
        reading: Reading,
    ) -> Reply {
        conversation.episode.messages.push(message.text.to_string());
        let mut decision = self.triage.decide(&self.knowledge, &facts);
        // A new message about a health problem now that no rule calls an
        // emergency, in words the emergency net reads as one: a yes to the
        // red-flag screen's life-threatening question, in place of lower advice
        // or the screen's own question (an answer to a question is too short
        // to read).
        // A topic rule's own follow-up question names the emergency number and
        // was asked on purpose: the net must be surer to answer it, and surer
        // still when a "no" leads to the clinicians' own lower advice (the
        // question tells two of their cases apart). Then an emergency rule's
        // question is answered yes (its own advice fits best), any other by
        // the screen.
        if reading == Reading::Fresh && !self.is_emergency_advice(&decision) {
            // Worked out only once the net has read the message: telling the
            // rules apart runs triage again.
            let from = || match decision {
                Decision::Ask { rule, ask } if !self.knowledge.rules[rule].screen => {
                    if self.question_tells_rules_apart(&facts, rule, ask) {
                        triage_semantic::OVERRULES_A_QUESTION
                    } else {
                        triage_semantic::ANSWERS_A_QUESTION
                    }
                }
                _ => triage_semantic::EMERGENCY_PROBABILITY,
            };
            if let Some(meant) = self.emergency_by_meaning(&facts, message, from) {
                // An emergency rule's own question answered yes: its advice
                // fits best. Otherwise the screen's emergency advice.
                let answered = match decision {
                    Decision::Ask { rule, ask }
                        if self.knowledge.rules[rule].level == Level::Emergency =>
                    {
                        self.answered(&facts, rule, ask, true)
                    }
                    _ => None,
                };
                let (redecided, meant) = match answered {
                    Some(answered) => (self.triage.decide(&self.knowledge, &answered), answered),
                    None => (self.triage.screen(&self.knowledge, &meant), meant),
                };
                if self.is_emergency_advice(&redecided) {
                    decision = redecided;
                    facts = meant;
                }
            }
        }
        // Emergencies always win: when the patient's own words already answer
        // the screen's life-threatening question ("not responding when I shake
        // him"), no other rule's lower advice or question may stand in front of
        // the emergency advice.
        // The words must be ones the deciding rule has not weighed itself: a
        // rule about chest pain that is not cardiac has considered "chest pain".
        let decided = match decision {
            Decision::Advise { rule } | Decision::Ask { rule, .. } => Some(rule),
            Decision::NoRule => None,
        };
        if !self.is_emergency_advice(&decision)
            && decided.is_none_or(|rule| {
                self.screen_sign_unweighed(&self.knowledge.rules[rule], message, Level::Emergency)
            })
        {
            let screened = self.triage.screen(&self.knowledge, &facts);
            if self.is_emergency_advice(&screened) {
                decision = screened;
            }
        }
        match decision {
            Decision::Advise { rule } => {
                let rule = &self.knowledge.rules[rule];
                // Self-care or a routine appointment only when the rule accounts
                // for everything the patient reported: "throwing up, and my
                // helmet cracked when the car hit me" is not an upset stomach.
                // Otherwise the red-flag screen's first question comes first.
                // A same-day sign the rule did not weigh ("tonsils huge, can barely
                // swallow water" beside a sore throat), in a message the knowledge
                // base understood: same-day advice at once. Life-threatening signs
                // were handled above; only unread words call for the screen's
                // life-threatening question.
                if rule.level <= Level::Routine && !rule.screen {
                    let unexplained = self.unexplained(&facts, message);
                    let urgent_sign = self.screen_sign_unweighed(rule, message, Level::Urgent);
                    if !unexplained && urgent_sign {
                        if let Some(urgent) = self.screen_urgent_advice(&facts) {
                            self.store_facts(conversation, &facts);
                            return self.advice(&self.knowledge.rules[urgent], message);
                        }
                    }
                    if !self.screened(&facts) && (unexplained || urgent_sign) {
                        if let Decision::Ask { rule, ask } =
                            self.triage.screen(&self.knowledge, &facts)
                        {
                            return self.ask(conversation, &facts, rule, ask);
                        }
                    }
                }
                self.store_facts(conversation, &facts);
                self.advice(rule, message)
            }
            Decision::Ask { rule, ask } => {
                // The screen's life-threatening question, for a message the
                // knowledge base understood word for word and that names a
                // same-day sign ("on tacrolimus, diarrhoea for 3 days"): as
                // with a topic rule's lower advice above, the same-day advice
                // at once. Its words hold no life-threatening sign (those were
                // handled above) and nothing unread that the question could
                // bring out.
                let screen_question = self.knowledge.rules[rule].screen
                    && self.knowledge.rules[rule].level == Level::Emergency;
                if screen_question
                    && self.names_a_problem_besides_screen_signs(&facts)
                    && !self.unexplained(&facts, message)
                {
                    if let Some(urgent) = self.screen_urgent_advice(&facts) {
                        self.store_facts(conversation, &facts);
                        return self.advice(&self.knowledge.rules[urgent], message);
                    }
                }
                self.ask(conversation, &facts, rule, ask)
            }
            Decision::NoRule if self.health_problem(&facts) => {
                // Fail safe: a health problem never gets an FAQ answer, even
                // where the practice's files have no red-flag screen.
                conversation.episode = Episode::default();
                Reply::plain(
                    ReplyKind::Fallback,
                    self.knowledge.practice.messages.health_fallback.clone(),
                )
            }
            Decision::NoRule => {
                if let Some(notice) = self.notice_in_force(message) {
                    conversation.episode = Episode::default();
                    return Reply {
                        entry: Some(notice.id.clone()),
                        ..Reply::plain(ReplyKind::Answer, notice.text.clone())
                    };
                }
                let outcome = self.faq_outcome(message);
                // Fail safe: nothing answers the message and the health net
                // reads a health problem in it: the red-flag screen, not the
                // bare fallback.
                if outcome == FaqOutcome::NoMatch && reading == Reading::Fresh {
                    if let Some(meant) = self.health_by_meaning(&facts, message) {
                        // A health problem now, read by meaning: the
                        // emergency net reads it as for any other.
                        let meant = self
                            .emergency_by_meaning(&meant, message, || {
                                triage_semantic::EMERGENCY_PROBABILITY
                            })
                            .unwrap_or(meant);
                        match self.triage.screen(&self.knowledge, &meant) {
                            Decision::Ask { rule, ask } => {
                                return self.ask(conversation, &meant, rule, ask)
                            }
                            Decision::Advise { rule } => {
                                self.store_facts(conversation, &meant);
                                return self.advice(&self.knowledge.rules[rule], message);
                            }
                            Decision::NoRule => {}
                        }
                    }
                }
                conversation.episode = Episode::default();
                self.faq_reply(conversation, outcome)
            }
        }
    }

    /// Whether the message says something the screen's rules of level `from`
    /// or above look for that `rule` does not name: an affirmed mention of a
    /// screen sign outside every finding of the rule's own conditions.
    fn screen_sign_unweighed(&self, rule: &TriageRule, message: &Message, from: Level) -> bool {
        let named = named_concepts(rule, &self.matcher);
        let weighed: Vec<&Range<usize>> = message
            .mentions
            .iter()
            .filter(|(concept, mention)| {
                mention.affirmed()
                    && named
                        .iter()
                        .any(|&n| self.matcher.covers(n, *concept as usize))
            })
            .map(|(_, mention)| &mention.span)
            .collect();
        message.mentions.iter().any(|(concept, mention)| {
            mention.affirmed()
                && self.screen.is_sign(*concept as usize, from)
                && !weighed.iter().any(|other| overlap(&mention.span, other))
        })
    }

    /// Whether `facts` hold a problem of the knowledge base's own (a symptom,
    /// an injury) besides what only qualifies one: a screen sign such as
    /// "pregnant" or a weak immune system, and neutral concepts. "Flu jabs for
    /// pregnant women" names no problem to give same-day advice about.
    fn names_a_problem_besides_screen_signs(&self, facts: &Facts) -> bool {
        self.knowledge
            .concepts
            .iter()
            .enumerate()
            .any(|(index, concept)| {
                facts.concepts[index] == Status::Present
                    && !concept.neutral
                    && !self.screen.is_sign(index, Level::Urgent)
            })
    }

    /// The red-flag screen's same-day advice for `facts`, its life-threatening
    /// question taken as answered "no": the rule that names the affirmed
    /// same-day sign, if the screen has one.
    fn screen_urgent_advice(&self, facts: &Facts) -> Option<usize> {
        let mut answered = facts.clone();
        for &(sign, level) in &self.screen.signs {
            if level == Level::Emergency && answered.concepts[sign] == Status::Unknown {
                answered.concepts[sign] = Status::Absent;
            }
        }
        match self.triage.screen(&self.knowledge, &answered) {
            Decision::Advise { rule } if self.knowledge.rules[rule].level == Level::Urgent => {
                Some(rule)
            }
            _ => None,
        }
    }

    fn is_emergency_advice(&self, decision: &Decision) -> bool {
        matches!(decision, Decision::Advise { rule } if self.knowledge.rules[*rule].level == Level::Emergency)
    }

    /// `facts` with the red-flag screen's life-threatening question answered
    /// yes, when the emergency net reads the message as an emergency with a
    /// probability of at least what `from` gives (asked only once the net
    /// has read it): only a message that reports a health problem now and
    /// denies no sign an emergency rule looks for ("stung, but breathing
    /// totally fine" has answered the question itself).
    fn emergency_by_meaning(
        &self,
        facts: &Facts,
        message: &Message,
        from: impl FnOnce() -> f32,
    ) -> Option<Facts> {
        if !message.by_meaning
            || self.screen.life_threatening.is_empty()
            || !self.health_problem(facts)
        {
            return None;
        }
        let denied = self
            .screen
            .emergency_signs
            .iter()
            .any(|&concept| facts.concepts[concept] == Status::Absent);
        if denied {
            return None;
        }
        let net = self.emergency_net()?;
        let reading = *message
            .emergency_by_meaning
            .get_or_init(|| net.read_embedded(message.embedding()));
        if !reading.reads_as(from()) {
            return None;
        }
        let mut meant = facts.clone();
        for &concept in &self.screen.life_threatening {
            meant.concepts[concept] = Status::Present;
        }
        self.matcher.resolve_includes(&mut meant.concepts);
        Some(meant)
    }

    /// `facts` with `rule`'s follow-up question `ask` answered `yes` or no;
    /// `None` when it asks about something other than a finding (an age).
    fn answered(&self, facts: &Facts, rule: usize, ask: usize, yes: bool) -> Option<Facts> {
        let ask = self.knowledge.rules[rule].asks.get(ask)?;
        let AskAbout::Concept(id) = &ask.about else {
            return None;
        };
        let index = self.matcher.index(id)?;
        let mut answered = facts.clone();
        answered.concepts[index] = if yes == ask.yes_means_present {
            Status::Present
        } else {
            Status::Absent
        };
        self.matcher.resolve_includes(&mut answered.concepts);
        Some(answered)
    }

    /// Whether a "no" to the rule's question `ask` leads to a topic rule's
    /// own lower advice: then the question tells two of the clinicians' cases
    /// apart ("do you have a plan?" between a crisis and thoughts of suicide),
    /// and no reading by meaning may answer it.
    fn question_tells_rules_apart(&self, facts: &Facts, rule: usize, ask: usize) -> bool {
        self.answered(facts, rule, ask, false).is_some_and(|no| {
            matches!(self.triage.decide(&self.knowledge, &no),
                Decision::Advise { rule } if !self.knowledge.rules[rule].screen)
        })
    }

    /// `facts` with a health problem now, when the health net reads one in a
    /// message whose words found none: only a new message in which no finding
    /// was denied, put in the past or asked about ("no chest pain now,
    /// thanks" has said what it means), that holds none of the knowledge
    /// base's figures of speech ("killing it at the gym") and names no animal
    /// ("my horse is lame"). A body part is not required: "I have an ICD and
    /// it's just shocked me 3 times" names none.
    fn health_by_meaning(&self, facts: &Facts, message: &Message) -> Option<Facts> {
        let index = self.matcher.index(HEALTH_PROBLEM)?;
        if !message.by_meaning
            || message.mentions.iter().any(|(_, m)| !m.affirmed())
            || self.health.names_an_animal(message.tokens)
            || self.figure_of_speech(message)
        {
            return None;
        }
        let net = self.nets()?.health.as_ref()?;
        let reading = *message
            .health_by_meaning
            .get_or_init(|| net.read_embedded(message.embedding()));
        if !reading.reads_as(triage_semantic::HEALTH_PROBABILITY) {
            return None;
        }
        let mut meant = facts.clone();
        meant.concepts[index] = Status::Present;
        self.matcher.resolve_includes(&mut meant.concepts);
        Some(meant)
    }

    /// Whether the message holds one of the knowledge base's figures of
    /// speech ([`FIGURE_OF_SPEECH`]): "killing it at the gym" says how the
    /// gym went.
    fn figure_of_speech(&self, message: &Message) -> bool {
        self.matcher
            .index(FIGURE_OF_SPEECH)
            .is_some_and(|figure| message.mentions.iter().any(|(c, _)| *c as usize == figure))
    }

    /// The emergency net (see [`Engine::nets`]).
    fn emergency_net(&self) -> Option<&ByMeaning> {
        self.nets()?.emergency.as_ref()
    }

    /// The emergency and health nets, trained the first time a message needs
    /// them (on a thread of their own when that means embedding thousands of
    /// texts); `None` when this engine is lexical only or they are still
    /// being trained in the background.
    fn nets(&self) -> Option<&Nets> {
        let slot = self.semantic.as_ref()?;
        let texts = OnceCell::new();
        let texts = || texts.get_or_init(|| self.nets_texts());
        self.prepared(
            &slot.nets,
            || {
                let (emergency, health) = texts();
                faq_semantic::missing(emergency.iter().chain(health).map(|(t, _)| t.as_str()))
            },
            || {
                let (emergency, health) = texts();
                Nets::from_texts(emergency, health)
            },
            || in_background("meaning-nets", self.nets_job(slot)),
        )
    }

    /// What the emergency and health nets are trained on.
    #[allow(clippy::type_complexity)]
    fn nets_texts(&self) -> (Vec<(String, bool)>, Vec<(String, bool)>) {
        (
            triage_semantic::training_texts(&self.knowledge),
            triage_semantic::health_training_texts(&self.knowledge, |text| {
                !self.reports_problem_by_words(text)
            }),
        )
    }

    /// Whether the words of `text` report a health problem now, as a new
    /// message's would.
    fn reports_problem_by_words(&self, text: &str) -> bool {
        let tokens = self.analyzer.analyze(text);
        let mentions = self.matcher.mentions(&tokens);
        let (statuses, _) = self.statuses_of(&tokens, &mentions, true);
        self.matcher
            .index(HEALTH_PROBLEM)
            .is_some_and(|index| statuses[index] == Status::Present)
    }

    /// Asks rule number `rule`'s follow-up question number `ask`.
    fn ask(
        &self,
        conversation: &mut Conversation,
        facts: &Facts,
        rule: usize,
        ask: usize,
    ) -> Reply {
        let rule = &self.knowledge.rules[rule];
        let ask = &rule.asks[ask];
        self.store_facts(conversation, facts);
        conversation.pending = Some(Pending::FollowUp {
            rule: rule.id.clone(),
            about: ask.about.clone(),
            unclear: 0,
        });
        self.question(rule, ask, None)
    }

    /// Whether the red-flag screen has already asked its questions in this
    /// episode.
    fn screened(&self, facts: &Facts) -> bool {
        self.screen
            .asks
            .iter()
            .any(|about| facts.asked.contains(about))
    }

    /// Whether the message reports a problem that the knowledge base did not
    /// recognise at all: a built-in problem word outside every finding the
    /// message affirms ("helmet cracked", "bulging"). Generic words ("pain",
    /// "sore") are accounted for by any finding. A rule that decides on part of
    /// a message must not send a patient home with the rest unread.
    fn unexplained(&self, facts: &Facts, message: &Message) -> bool {
        let recognised: Vec<&Range<usize>> = message
            .mentions
            .iter()
            .filter(|(_, mention)| mention.affirmed() || mention.absent_phrase)
            .map(|(_, mention)| &mention.span)
            .collect();
        // A generic word ("pain", "sore") is about the finding in its own
        // clause, a body part included ("my ankle aches"): in "T 38.2, perineal
        // pain" the fever does not explain the pain. A message with no finding
        // of its own leans on the episode's ("I'm having a hypo" → "just shaky").
        let concepts = self.knowledge.concepts.len();
        let clause_of = |at: usize| message.tokens.get(at).map(|token| token.clause);
        let affirmed_clauses: Vec<Option<u32>> = message
            .mentions
            .iter()
            .filter(|(_, mention)| mention.affirmed())
            .map(|(_, mention)| clause_of(mention.span.start))
            .collect();
        let earlier_finding =
            affirmed_clauses.is_empty() && facts.concepts[..concepts].contains(&Status::Present);
        // "shingles on my back, it's really painful": "it" carries the finding
        // into the next clause. The clauses that refer back, read once.
        let referring_clauses: Vec<u32> = message
            .tokens
            .iter()
            .filter(|token| {
                matches!(
                    token.word.as_str(),
                    "it" | "its" | "they" | "them" | "this" | "that"
                )
            })
            .map(|token| token.clause)
            .collect();
        message.problems.iter().any(|problem| {
            let span = &problem.mention.span;
            let overlaps = recognised.iter().any(|other| overlap(span, other));
            let refers_back =
                clause_of(span.start).is_some_and(|clause| referring_clauses.contains(&clause));
            // "a bit uncomfortable" qualifies how the finding feels; it names
            // nothing new.
            let mild = (span.start.saturating_sub(2)..span.start).any(|at| {
                matches!(
                    message.tokens[at].word.as_str(),
                    "bit" | "slightly" | "little" | "mildly" | "mild" | "abit"
                )
            });
            let near_finding = affirmed_clauses.contains(&clause_of(span.start))
                || ((refers_back || mild) && !affirmed_clauses.is_empty());
            let accounted = overlaps || (problem.generic && (near_finding || earlier_finding));
            !accounted
        })
    }

    fn store_facts(&self, conversation: &mut Conversation, facts: &Facts) {
        let episode = &mut conversation.episode;
        episode.findings = facts
            .concepts
            .iter()
            .enumerate()
            .filter(|(_, status)| **status != Status::Unknown)
            .map(|(index, status)| (self.matcher.id(index).to_string(), *status))
            .collect();
        episode.modifiers = facts.modifiers;
        episode.asked = facts.asked.iter().cloned().collect();
        episode.asked.sort_by_key(AskAbout::to_string);
    }

    fn load_facts(&self, episode: &Episode) -> Facts {
        let mut concepts = vec![Status::Unknown; self.matcher.len()];
        for (id, status) in &episode.findings {
            if let Some(index) = self.matcher.index(id) {
                concepts[index] = *status;
            }
        }
        Facts {
            concepts,
            modifiers: episode.modifiers,
            asked: episode.asked.iter().cloned().collect(),
        }
    }

    fn advice(&self, rule: &TriageRule, message: &Message) -> Reply {
        let mut text = rule.advice.clone();
        let practice = &self.knowledge.practice;
        if !text.contains(&practice.emergency_number) {
            text = if rule.level == Level::Emergency {
                format!("{}\n\n{text}", practice.messages.emergency_prefix)
            } else {
                format!("{text}\n\n{}", practice.messages.safety_net)
            };
        }
        // Patients often ask several things at once; below an emergency, answer a
        // clear practical question too ("...and what time do you open?").
        if rule.level < Level::Emergency {
            if let Some(id) = self.second_question(message) {
                if let Some(entry) = self.faq_entry(&id) {
                    text = format!(
                        "{text}\n\n{} **{}**:\n{}",
                        self.analyzer.lexicon().phrases.also_asked_about,
                        entry.title,
                        entry.answer
                    );
                }
            }
        }
        Reply {
            kind: ReplyKind::Triage,
            level: Some(rule.level),
            entry: Some(rule.id.clone()),
            text,
            choices: Vec::new(),
            buttons: Vec::new(),
            handoff: rule.handoff,
        }
    }

    /// The FAQ entry a message asks about besides its health problem: only a
    /// part of the message of its own (a clause, or a question opened by "and
    /// what…", "also can I…") that reports no finding and no problem word, and
    /// that the FAQ answers outright on its own. "I tripped and my ankle is
    /// swollen" shares "trip" with travel vaccines, but asks nothing else.
    fn second_question(&self, message: &Message) -> Option<String> {
        let tokens = message.tokens;
        let reports_something = |part: &Range<usize>| {
            message.mentions.iter().any(|(concept, mention)| {
                !self.matcher.is_neutral(*concept as usize) && overlap(&mention.span, part)
            }) || message
                .problems
                .iter()
                .any(|problem| overlap(&problem.mention.span, part))
        };
        let parts = question_parts(tokens);
        let last = parts.len().saturating_sub(1);
        let ends_with_question_mark = message.text.trim_end().ends_with('?');
        parts
            .into_iter()
            .enumerate()
            .filter(|(number, part)| {
                // A question: opened by a question or request word, or the last
                // part of a message that ends with a question mark.
                let asks = tokens[part.clone()].iter().take(2).any(|t| {
                    QUESTION_WORDS.contains(&t.word.as_str())
                        || REQUEST_WORDS.contains(&t.word.as_str())
                }) || (*number == last && ends_with_question_mark);
                part.len() >= 2 && asks && !reports_something(part)
            })
            .map(|(_, part)| part)
            .find_map(|part| {
                let candidates = self
                    .faq
                    .rank(&tokens[part], &self.analyzer, EXPLAIN_CANDIDATES);
                match faq::decide(&candidates, self.thresholds) {
                    FaqOutcome::Answer(id) => Some(id),
                    _ => None,
                }
            })
    }

    /// The health notice in force that answers the message outright, if
    /// any: it comes before the FAQ ("is there a flu clinic this week?" is
    /// about this autumn's clinics, not flu vaccines in general).
    fn notice_in_force(&self, message: &Message) -> Option<&crate::knowledge::Notice> {
        if self.knowledge.notices.is_empty() {
            return None;
        }
        let in_force: Vec<Candidate> = self
            .notices
            .rank(message.tokens, &self.analyzer, EXPLAIN_CANDIDATES)
            .into_iter()
            .filter(|candidate| {
                self.knowledge
                    .notice(&candidate.entry)
                    .is_some_and(|notice| notice.is_active(message.now))
            })
            .collect();
        match faq::decide(&in_force, self.thresholds) {
            FaqOutcome::Answer(id) => self.knowledge.notice(&id),
            _ => None,
        }
    }

    /// The FAQ stage's conclusion: the lexical ranking's when it is sure (or
    /// the engine has no semantic layer), else the hybrid ranking's (which is
    /// kept for the explanation), with the lexical conclusion as a second
    /// opinion.
    fn faq_outcome(&self, message: &Message) -> FaqOutcome {
        let lexical = faq::decide(message.candidates, self.thresholds);
        if faq_semantic::lexically_sure(message.candidates) || !message.by_meaning {
            return lexical;
        }
        let Some(layer) = self.semantic_layer() else {
            return lexical;
        };
        let ranked = message.reranked.get_or_init(|| {
            layer.rank_embedded(message.embedding(), message.candidates, EXPLAIN_CANDIDATES)
        });
        faq_semantic::decide(ranked, &lexical)
    }

    fn faq_reply(&self, conversation: &mut Conversation, outcome: FaqOutcome) -> Reply {
        match outcome {
            FaqOutcome::Answer(id) => {
                let entry = self.faq_entry(&id).expect("ranked entries exist");
                Reply {
                    entry: Some(entry.id.clone()),
                    ..Reply::plain(ReplyKind::Answer, entry.answer.clone())
                }
            }
            FaqOutcome::Choices(ids) => {
                let entries: Vec<_> = ids.iter().filter_map(|id| self.faq_entry(id)).collect();
                let mut text = self.knowledge.practice.messages.choices_intro.clone();
                for (number, entry) in entries.iter().enumerate() {
                    text.push_str(&format!("\n{}. {}", number + 1, entry.title));
                }
                conversation.pending = Some(Pending::Choices {
                    entries: ids.clone(),
                });
                Reply {
                    choices: ids,
                    buttons: entries
                        .iter()
                        .enumerate()
                        .map(|(number, entry)| Button {
                            label: entry.title.clone(),
                            reply: (number + 1).to_string(),
                        })
                        .collect(),
                    ..Reply::plain(ReplyKind::Choices, text)
                }
            }
            FaqOutcome::NoMatch => Reply::plain(
                ReplyKind::Fallback,
                self.knowledge.practice.messages.fallback.clone(),
            ),
        }
    }

    /// Handles a message sent while the bot waits for a follow-up answer about
    /// `about`; `answered_modifiers` is the message read as that answer. Returns
    /// `None` when the patient moved on to something else.
    fn continue_follow_up(
        &self,
        conversation: &mut Conversation,
        message: &Message,
        rule_id: &str,
        about: AskAbout,
        answered_modifiers: Modifiers,
        unclear: u8,
    ) -> Option<Reply> {
        // The knowledge base may have been reloaded without this rule or question.
        let rule = self.knowledge.rule(rule_id)?;
        let ask = rule.asks.iter().find(|ask| ask.about == about)?;
        let mut facts = self.load_facts(&conversation.episode);
        let answer = yes_no(message.tokens, self.analyzer.lexicon());
        let concept_index = |id: &str| self.matcher.index(id);
        let settles = match &about {
            AskAbout::Concept(id) => {
                concept_index(id).is_some_and(|i| message.statuses[i] != Status::Unknown)
            }
            AskAbout::Age => answered_modifiers.age_days.is_some(),
            AskAbout::Temperature => answered_modifiers.temperature_celsius.is_some(),
            AskAbout::Duration => answered_modifiers.duration_days.is_some(),
            AskAbout::Pregnancy => {
                concept_index(PREGNANCY).is_some_and(|i| message.statuses[i] != Status::Unknown)
            }
        };
        let new_symptoms = message.statuses.contains(&Status::Present);
        // In a safety flow (an emergency rule's question, such as the crisis
        // flow's, or the red-flag screen) every answer is read as an answer:
        // "later today" or "I've got the tablets here" must never fall through
        // to the FAQ. Below that, a clear practical question may leave.
        let safety_flow = rule.screen || rule.level == Level::Emergency;
        if answer.is_none() && !settles && !new_symptoms {
            // A clear question about something else ends the follow-up.
            if !safety_flow
                && faq::decide(message.candidates, self.thresholds) != FaqOutcome::NoMatch
            {
                return None;
            }
            if unclear == 0 {
                conversation.pending = Some(Pending::FollowUp {
                    rule: rule_id.to_string(),
                    about: about.clone(),
                    unclear: 1,
                });
                let prefix = &self.knowledge.practice.messages.followup_unclear;
                return Some(self.question(rule, ask, Some(prefix)));
            }
            // Twice unclear: take the safe side and move on.
        }

        match &about {
            AskAbout::Concept(_) | AskAbout::Pregnancy if !settles => {
                let id = match &about {
                    AskAbout::Concept(id) => id.as_str(),
                    _ => PREGNANCY,
                };
                if let Some(index) = concept_index(id) {
                    let yes_present = ask.yes_means_present;
                    facts.concepts[index] = match answer {
                        Some(Answer::Yes) if yes_present => Status::Present,
                        Some(Answer::Yes) => Status::Absent,
                        Some(Answer::No) if yes_present => Status::Absent,
                        Some(Answer::No) => Status::Present,
                        // Not sure, or not understood: assume the finding, the safe side.
                        Some(Answer::Unsure) | None if about == AskAbout::Pregnancy => {
                            Status::Unknown
                        }
                        Some(Answer::Unsure) | None => Status::Present,
                    };
                }
            }
            AskAbout::Concept(id) => {
                if let Some(index) = concept_index(id) {
                    facts.concepts[index] = message.statuses[index];
                }
            }
            _ => {}
        }
        // Anything else the answer says is added; a finding once present stays.
        for (index, status) in message.statuses.iter().enumerate() {
            let known = &mut facts.concepts[index];
            match status {
                Status::Present => *known = Status::Present,
                Status::Absent if *known == Status::Unknown => *known = Status::Absent,
                _ => {}
            }
        }
        self.matcher.resolve_includes(&mut facts.concepts);
        facts.modifiers.merge(answered_modifiers);
        facts.asked.insert(about);

        let reply = self.decide(conversation, facts, message, Reading::Answer);
        if reply.kind == ReplyKind::Answer
            || reply.kind == ReplyKind::Choices
            || reply.kind == ReplyKind::Fallback
        {
            // The answers ruled every rule out and the FAQ has nothing either:
            // say so plainly rather than answering an unrelated FAQ.
            conversation.pending = None;
            conversation.episode = Episode::default();
            return Some(Reply::plain(
                ReplyKind::Fallback,
                self.knowledge.practice.messages.fallback.clone(),
            ));
        }
        Some(reply)
    }

    /// A follow-up question of `rule`. Questions of an emergency rule or of the
    /// red-flag screen always name the emergency number: the patient may be
    /// in danger while they read it.
    fn question(&self, rule: &TriageRule, ask: &Ask, prefix: Option<&str>) -> Reply {
        let practice = &self.knowledge.practice;
        let needs_line = (rule.screen || rule.level == Level::Emergency)
            && !ask.question.contains(&practice.emergency_number);
        question(
            rule,
            ask,
            prefix,
            needs_line.then_some(practice.messages.safety_line.as_str()),
            self.analyzer.lexicon().phrases.answer_buttons,
        )
    }

    /// Handles a message sent while choices are on offer: a number or a title
    /// picks one; anything else is a new message.
    fn pick_choice(&self, message: &Message, entries: &[String]) -> Option<Reply> {
        let text = crate::text::normalize(message.text);
        let text = text.trim_matches(|c: char| !c.is_alphanumeric());
        let picked = match text.parse::<usize>() {
            Ok(number) if (1..=entries.len()).contains(&number) => Some(&entries[number - 1]),
            _ => entries.iter().find(|id| {
                self.faq_entry(id)
                    .is_some_and(|entry| crate::text::normalize(&entry.title) == text)
            }),
        }?;
        let entry = self.faq_entry(picked)?;
        Some(Reply {
            entry: Some(entry.id.clone()),
            ..Reply::plain(ReplyKind::Answer, entry.answer.clone())
        })
    }
}

/// What the red-flag screen's rules (`screen = true`) look for and ask.
#[derive(Debug)]
struct Screen {
    /// Each concept a screen rule names (but the built-in health problem), with
    /// the rule's level.
    signs: Vec<(usize, Level)>,
    /// What the screen's questions ask about.
    asks: Vec<AskAbout>,
    /// The concepts the screen's emergency-level questions ask about (its
    /// life-threatening question): what the emergency net answers.
    life_threatening: Vec<usize>,
    /// Every concept an emergency-level rule names: a message that denies one
    /// ("breathing fine") has answered the life-threatening question itself.
    emergency_signs: Vec<usize>,
}

impl Screen {
    fn new(knowledge: &Knowledge, matcher: &ConceptMatcher) -> Screen {
        let rules = knowledge.rules.iter().filter(|rule| rule.screen);
        Screen {
            signs: rules
                .clone()
                .flat_map(|rule| {
                    named_concepts(rule, matcher)
                        .into_iter()
                        .map(move |concept| (concept, rule.level))
                })
                .collect(),
            asks: rules
                .clone()
                .flat_map(|rule| &rule.asks)
                .map(|ask| ask.about.clone())
                .collect(),
            life_threatening: rules
                .filter(|rule| rule.level == Level::Emergency)
                .flat_map(|rule| &rule.asks)
                .filter_map(|ask| match &ask.about {
                    AskAbout::Concept(id) => matcher.index(id),
                    _ => None,
                })
                .collect(),
            emergency_signs: knowledge
                .rules
                .iter()
                .filter(|rule| rule.level == Level::Emergency)
                .flat_map(|rule| named_concepts(rule, matcher))
                .collect(),
        }
    }

    /// Whether `concept` is a sign of a screen rule of level `from` or above.
    fn is_sign(&self, concept: usize, from: Level) -> bool {
        self.signs
            .iter()
            .any(|&(sign, level)| sign == concept && level >= from)
    }
}

/// The concepts a rule's conditions name (`when.all` and `when.any`), the
/// built-in health problem aside.
fn named_concepts(rule: &TriageRule, matcher: &ConceptMatcher) -> Vec<usize> {
    rule.when
        .all
        .iter()
        .chain(&rule.when.any)
        .filter(|id| id.as_str() != HEALTH_PROBLEM)
        .filter_map(|id| matcher.index(id))
        .collect()
}

/// Words that open a question.
const QUESTION_WORDS: &[&str] = &[
    "what", "when", "where", "how", "who", "which", "can", "could", "do", "does", "is", "are",
    "will", "would", "should",
];

/// Words that open a request ("need a sick note", "please send…").
const REQUEST_WORDS: &[&str] = &["need", "want", "book", "please", "pls"];

/// The parts of a message that may each ask something: its clauses, with a
/// clause split again where "and", "also", "plus" or "btw" opens a question
/// ("my ankle is swollen and what time do you close").
fn question_parts(tokens: &[Token]) -> Vec<Range<usize>> {
    const OPENERS: &[&str] = &["and", "also", "plus", "btw", "oh"];
    let mut parts = Vec::new();
    let mut start = 0;
    for index in 1..=tokens.len() {
        let boundary = index == tokens.len()
            || tokens[index].clause != tokens[index - 1].clause
            || (OPENERS.contains(&tokens[index - 1].word.as_str())
                && QUESTION_WORDS.contains(&tokens[index].word.as_str()));
        if boundary {
            parts.push(start..index);
            start = index;
        }
    }
    parts
}

/// Whether two spans of tokens share a token.
fn overlap(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// Runs `job` on a thread named `name`; if no thread can be started, the
/// engine keeps reading by words alone (the job's flag stays set).
fn in_background(name: &str, job: impl FnOnce() + Send + 'static) {
    if let Err(error) = std::thread::Builder::new().name(name.into()).spawn(job) {
        tracing::warn!(%error, thread = name, "cannot start a background thread; reading by words alone");
    }
}

/// How `decide` reads the message it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// A message that starts a new episode.
    Fresh,
    /// An answer to the bot's question.
    Answer,
}

/// A message as the stages see it.
struct Message<'a> {
    text: &'a str,
    tokens: &'a [Token],
    statuses: &'a [Status],
    /// The lexical FAQ ranking.
    candidates: &'a [Candidate],
    /// The hybrid FAQ ranking, once the FAQ stage has asked for it.
    reranked: &'a OnceCell<Vec<Candidate>>,
    /// The emergency net's probability, once triage has asked for it.
    emergency_by_meaning: &'a OnceCell<triage_semantic::Reading>,
    /// The health net's, once a message nothing answered has asked for it.
    health_by_meaning: &'a OnceCell<triage_semantic::Reading>,
    /// The message's sentence embedding, computed once for the FAQ's semantic
    /// layer and both nets (an encoder pass costs milliseconds).
    embedding: &'a OnceCell<Vec<f32>>,
    /// When the message arrived: which health notices are in force.
    now: jiff::Timestamp,
    /// Whether the sentence encoder may read it (the emergency net, the
    /// FAQ's semantic layer), or its words alone.
    by_meaning: bool,
    /// The knowledge base's findings, where they stand.
    mentions: &'a [(u32, Mention)],
    /// The built-in problem words the message affirms.
    problems: &'a [crate::health::Problem],
}

impl Message<'_> {
    /// The message's sentence embedding by the built-in encoder, computed the
    /// first time a semantic stage needs it.
    fn embedding(&self) -> &[f32] {
        self.embedding
            .get_or_init(|| crate::semantic::Encoder::builtin().embed(self.text))
    }
}

/// A follow-up question as the patient sees it.
fn question(
    rule: &TriageRule,
    ask: &Ask,
    prefix: Option<&str>,
    safety_line: Option<&str>,
    answer_buttons: [&str; 3],
) -> Reply {
    let mut text = match prefix {
        Some(prefix) => format!("{prefix} {}", ask.question),
        None => ask.question.clone(),
    };
    if let Some(line) = safety_line {
        text = format!("{text}\n\n{line}");
    }
    let buttons = match ask.about {
        AskAbout::Concept(_) | AskAbout::Pregnancy => answer_buttons
            .into_iter()
            .map(|label| Button {
                label: label.to_string(),
                reply: label.to_string(),
            })
            .collect(),
        _ => Vec::new(),
    };
    Reply {
        entry: Some(rule.id.clone()),
        buttons,
        ..Reply::plain(ReplyKind::Question, text)
    }
}

/// Whether a follow-up answer starts with yes, no or "not sure" (longest phrase
/// first, so "not sure" is not read as "no" and "i can not" not as "i can").
pub fn yes_no(tokens: &[Token], lexicon: &Lexicon) -> Option<Answer> {
    let first_clause = tokens.first()?.clause;
    let words: Vec<&str> = tokens
        .iter()
        .take_while(|t| t.clause == first_clause)
        .map(|t| t.word.as_str())
        .collect();
    // "I'm not sure", "honestly no idea": doubt anywhere in the answer's first
    // clause counts as "not sure" (the safe side), not as the "I am not" it
    // starts with.
    let doubtful = lexicon.unsure.iter().any(|phrase| {
        (0..words.len()).any(|start| starts_with_phrase(&words[start..], phrase).is_some())
    });
    if doubtful {
        return Some(Answer::Unsure);
    }
    let mut best: Option<(usize, Answer)> = None;
    for (answer, phrases) in [
        (Answer::Unsure, lexicon.unsure),
        (Answer::No, lexicon.no),
        (Answer::Yes, lexicon.yes),
    ] {
        for phrase in phrases {
            // Compared word by word, without collecting the phrase's words: this
            // runs for every phrase of the three lists on every follow-up answer.
            let Some(length) = starts_with_phrase(&words, phrase) else {
                continue;
            };
            if best.is_none_or(|(len, _)| length > len) {
                best = Some((length, answer));
            }
        }
    }
    best.map(|(_, answer)| answer)
}

/// The number of words in `phrase` if `words` starts with them, as
/// `words.starts_with(&phrase.split(' ').collect::<Vec<_>>())` would tell.
fn starts_with_phrase(words: &[&str], phrase: &str) -> Option<usize> {
    let mut length = 0;
    for part in phrase.split(' ') {
        if words.get(length) != Some(&part) {
            return None;
        }
        length += 1;
    }
    Some(length)
}
