//! Emergencies and health problems recognised by meaning: safety nets under
//! the concept rules for a message that describes an emergency in words no
//! concept lists ("fell off the bunk bed onto his head, been sick twice and
//! keeps wanting to sleep"), or a health problem in words nothing in carebot
//! knows (a clinician's shorthand, a trade's accident), which would otherwise
//! get the bare "I can't help with that".
//!
//! A logistic-regression classifier ([`crate::semantic::Logistic`]) over the
//! sentence encoder's embeddings, trained when the knowledge base is first
//! needed, on what the clinicians already wrote: every example (and
//! one-message dialogue) of an emergency-level rule is a positive; every example of a lower-level rule,
//! every rule's counter-examples and the FAQ's questions are negatives. So the
//! net follows the practice's own files: a new emergency rule with its
//! examples teaches it too, and nothing is trained on patients' messages.
//!
//! It never gives advice of its own. When it is confident (probability at
//! least [`EMERGENCY_PROBABILITY`], and no example of a lower level is clearly
//! nearer the message than every emergency example) about a message that reports a health
//! problem now and does not deny a life-threatening sign, the engine reads it
//! as a yes to the red-flag screen's life-threatening question, and the
//! screen's clinician-written emergency advice is given (see `Engine`). On the
//! development blind sets this turned 11 of 26 missed emergencies of the one
//! set never tuned on into emergency advice, at the cost of 9 more
//! over-triaged messages of 240 (README, "Triage figures").
//!
//! The second net ([`health_training_texts`]) reads whether a message reports
//! a health problem at all: every rule's examples are positives, the FAQ's
//! questions negatives. The engine asks it only about a new message that
//! nothing answered, where the words found no problem and no finding was
//! denied, put in the past or asked about: when it reads a health problem,
//! the red-flag screen runs instead of the fallback.

use std::sync::Arc;

use crate::knowledge::{Knowledge, Level, TriageRule};
use crate::semantic::{Encoder, Logistic};

/// The probability from which a message is read as describing an emergency:
/// chosen on the development blind sets, where 0.9 caught half as many missed
/// emergencies and 0.7 over-triaged a third more.
pub const EMERGENCY_PROBABILITY: f32 = 0.8;

/// The probability from which the net answers a topic rule's own follow-up
/// question that only stands between the message and the rule's emergency
/// advice ("is the pain crushing, or spreading…?"): higher than
/// [`EMERGENCY_PROBABILITY`], since the clinicians asked it on purpose.
/// Chosen on the development blind sets, where 0.9 turned follow-up
/// questions about emergencies into emergency advice and changed no other
/// message's reply; 0.8 over-triaged one message more.
pub const ANSWERS_A_QUESTION: f32 = 0.9;

/// The probability from which the net overrules a question whose "no" leads
/// to a topic rule's own lower advice (the question tells two of the
/// clinicians' cases apart: "do you have a plan?"). On the development sets,
/// 0.95 caught four more emergencies than leaving every such question
/// standing, and 0.9 overruled the crisis flow's question for "I don't want
/// to be alive anymore", which needs the crisis line's advice, not the
/// screen's.
pub const OVERRULES_A_QUESTION: f32 = 0.95;

/// At most this many FAQ questions are taught as negatives: enough to show
/// what a practical question looks like, without a bank of thousands of
/// entries outweighing the rules.
const MAX_FAQ_NEGATIVES: usize = 1_000;

/// The labelled texts the net is trained on: (text, is it an emergency?).
pub fn training_texts(knowledge: &Knowledge) -> Vec<(String, bool)> {
    labelled_texts(knowledge, |rule| rule.level == Level::Emergency, |_| true)
}

/// Every rule's examples and one-message dialogues, labelled `positive` for
/// their rule; the counter-examples `keep_counter` keeps and the FAQ's
/// questions, as negatives.
fn labelled_texts(
    knowledge: &Knowledge,
    positive: impl Fn(&TriageRule) -> bool,
    keep_counter: impl Fn(&str) -> bool,
) -> Vec<(String, bool)> {
    let mut texts = Vec::new();
    for rule in &knowledge.rules {
        let label = positive(rule);
        texts.extend(rule.tests.examples.iter().map(|t| (t.clone(), label)));
        texts.extend(
            rule.tests
                .counter_examples
                .iter()
                .filter(|t| keep_counter(t))
                .map(|t| (t.clone(), false)),
        );
        // A one-message dialogue is an example too.
        texts.extend(
            rule.tests
                .dialogues
                .iter()
                .filter(|turns| turns.len() == 1)
                .map(|turns| (turns[0].clone(), label)),
        );
    }
    texts.extend(faq_negatives(knowledge));
    texts
}

/// How much closer than every emergency example a message may be to an
/// example of a lower level before the rules' own reading is trusted: a
/// message next to "my wisdom tooth is killing me" is that rule's, whatever
/// the classifier's probability.
const CLOSER_TO_LOWER: f32 = 0.05;

/// The probability from which a message that nothing answered is read as
/// reporting a health problem (the red-flag screen runs instead of the
/// fallback): chosen on the development blind sets.
pub const HEALTH_PROBABILITY: f32 = 0.8;

/// The labelled texts the health net is trained on: (text, does it report a
/// health problem?). Every rule's examples and one-message dialogues are
/// health problems; the FAQ's questions are not, nor are the counter-examples
/// that `no_problem_now` says report none (denied, past, asked about: "my
/// ankle isn't swollen anymore", "what are the signs of a stroke?"). The
/// other counter-examples are problems of another rule's, left out.
pub fn health_training_texts(
    knowledge: &Knowledge,
    no_problem_now: impl Fn(&str) -> bool,
) -> Vec<(String, bool)> {
    labelled_texts(knowledge, |_| true, no_problem_now)
}

/// Up to [`MAX_FAQ_NEGATIVES`] of the FAQ's questions, as negatives: an even
/// sample across the bank, the same on every load.
fn faq_negatives(knowledge: &Knowledge) -> impl Iterator<Item = (String, bool)> + '_ {
    let questions: Vec<&String> = knowledge.faqs.iter().flat_map(|f| &f.questions).collect();
    let stride = questions.len().div_ceil(MAX_FAQ_NEGATIVES).max(1);
    questions
        .into_iter()
        .step_by(stride)
        .map(|q| (q.clone(), false))
}

/// Both nets, trained together (they share most texts, embedded once).
#[derive(Debug)]
pub struct Nets {
    /// `None` when the knowledge base has no emergency examples.
    pub emergency: Option<ByMeaning>,
    /// `None` when it has no rule examples or no FAQ.
    pub health: Option<ByMeaning>,
}

impl Nets {
    /// Trained on the texts of [`training_texts`] and
    /// [`health_training_texts`].
    pub fn from_texts(emergency: &[(String, bool)], health: &[(String, bool)]) -> Nets {
        Nets {
            emergency: ByMeaning::new(emergency),
            health: ByMeaning::new(health),
        }
    }
}

/// A trained net: how much a text is like its positive examples.
pub struct ByMeaning {
    encoder: &'static Encoder,
    model: Logistic,
    /// The training texts' vectors and labels, for the nearest-example check.
    vectors: Vec<Arc<[f32]>>,
    labels: Vec<bool>,
}

impl std::fmt::Debug for ByMeaning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ByMeaning").finish_non_exhaustive()
    }
}

impl ByMeaning {
    /// Embeds `texts` (cached by text, like the FAQ's) and trains on them;
    /// `None` without both positives and negatives.
    pub fn new(texts: &[(String, bool)]) -> Option<ByMeaning> {
        let encoder = Encoder::builtin();
        let borrowed: Vec<&str> = texts.iter().map(|(t, _)| t.as_str()).collect();
        let vectors: Vec<Arc<[f32]>> = crate::faq_semantic::embed_all(encoder, &borrowed);
        let rows: Vec<&[f32]> = vectors.iter().map(|v| &v[..]).collect();
        let labels: Vec<bool> = texts.iter().map(|(_, emergency)| *emergency).collect();
        let model = Logistic::fit(&rows, &labels)?;
        Some(ByMeaning {
            encoder,
            model,
            vectors,
            labels,
        })
    }

    /// How the net reads `text`: the probability that it is like the
    /// positives (an emergency; a health problem), and whether a negative
    /// example (a lower level; an FAQ question) is clearly closer to it than
    /// every positive one (then the rules' reading stands).
    pub fn read(&self, text: &str) -> Reading {
        self.read_embedded(&self.encoder.embed(text))
    }

    /// [`ByMeaning::read`] for a text already embedded by the built-in
    /// encoder (`query`).
    pub fn read_embedded(&self, query: &[f32]) -> Reading {
        let (mut emergency, mut lower) = (f32::NEG_INFINITY, f32::NEG_INFINITY);
        for (vector, &label) in self.vectors.iter().zip(&self.labels) {
            let cosine = crate::semantic::dot(vector, query);
            let best = if label { &mut emergency } else { &mut lower };
            *best = best.max(cosine);
        }
        Reading {
            probability: self.model.probability(query),
            nearer_a_lower_example: lower > emergency + CLOSER_TO_LOWER,
        }
    }
}

/// What the net makes of a message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// The probability that the message describes an emergency.
    pub probability: f32,
    /// Whether an example of a lower-level rule (or an FAQ question) is
    /// clearly closer to the message than every emergency example.
    pub nearer_a_lower_example: bool,
}

impl Reading {
    /// Whether the emergency net reads the message as an emergency.
    pub fn is_emergency(&self) -> bool {
        self.reads_as(EMERGENCY_PROBABILITY)
    }

    /// Whether the net reads the message as a positive from `probability`.
    pub fn reads_as(&self, probability: f32) -> bool {
        self.probability >= probability && !self.nearer_a_lower_example
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knowledge() -> Knowledge {
        crate::load_dir(std::path::Path::new("knowledge")).expect("shipped knowledge")
    }

    #[test]
    fn the_health_net_learns_no_problem_only_from_counter_examples_that_report_none() {
        let knowledge = knowledge();
        let rule = knowledge
            .rules
            .iter()
            .find(|rule| rule.tests.counter_examples.len() >= 2)
            .expect("a rule with counter-examples");
        let (none, other) = (
            &rule.tests.counter_examples[0],
            &rule.tests.counter_examples[1],
        );
        let texts = health_training_texts(&knowledge, |text| text == none);
        for example in &rule.tests.examples {
            assert!(texts.contains(&(example.clone(), true)));
        }
        assert!(texts.contains(&(none.clone(), false)));
        assert!(
            !texts.contains(&(other.clone(), false)),
            "another rule's problem is not taught as no problem"
        );
        let question = &knowledge.faqs[0].questions[0];
        assert!(texts.contains(&(question.clone(), false)));
    }

    #[test]
    fn trains_on_the_rules_examples_and_counter_examples_and_the_faq() {
        let knowledge = knowledge();
        let texts = training_texts(&knowledge);
        let emergency_rule = knowledge
            .rules
            .iter()
            .find(|r| r.level == Level::Emergency && !r.tests.examples.is_empty())
            .expect("an emergency rule with examples");
        let example = &emergency_rule.tests.examples[0];
        assert!(texts.contains(&(example.clone(), true)));
        let counter = &emergency_rule.tests.counter_examples[0];
        assert!(texts.contains(&(counter.clone(), false)));
        let question = &knowledge.faqs[0].questions[0];
        assert!(texts.contains(&(question.clone(), false)));
        assert!(texts.iter().any(|(_, e)| !e) && texts.iter().any(|(_, e)| *e));
    }

    #[test]
    fn a_large_faq_bank_gives_at_most_a_thousand_negatives() {
        let mut knowledge = knowledge();
        let entry = knowledge.faqs[0].clone();
        knowledge.faqs = (0..3_000)
            .map(|n| {
                let mut e = entry.clone();
                e.id = format!("generated-{n}");
                e.questions = vec![format!("generated question number {n}")];
                e
            })
            .collect();
        let texts = training_texts(&knowledge);
        let generated = texts
            .iter()
            .filter(|(t, _)| t.starts_with("generated question"))
            .count();
        assert!(
            (900..=MAX_FAQ_NEGATIVES).contains(&generated),
            "{generated}"
        );
    }
}
