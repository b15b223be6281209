//! Finding detection: which of the knowledge base's concepts a message mentions,
//! and whether each mention is affirmed, negated, in the past or hypothetical.
//!
//! Mentions are found by matching each concept's phrases against the message's
//! stems, allowing up to [`MAX_GAP`] other words between phrase words ("can't put
//! *any* weight"). The context of a mention follows the NegEx/ConText approach:
//! trigger words before it ("no", "without", "history of", "signs of") or after it
//! ("... anymore", "... years ago") change its status, within a scope that ends at
//! punctuation or at words like "but" and "just". "no chest pain, just a runny nose"
//! thus negates the chest pain and leaves the runny nose affirmed.

use std::collections::HashMap;

use serde::Serialize;

use crate::knowledge::Concept;
use crate::text::{lexicon, Analyzer, Token};

/// Most words that may stand between two words of a phrase.
pub const MAX_GAP: usize = 2;
/// How far before a mention a trigger may stand.
const PRE_SCOPE: usize = 6;
/// How far after a mention a trigger may stand.
const POST_SCOPE: usize = 5;

/// The id of the built-in pregnancy finding, behind `when.pregnant`. It cannot
/// clash with a knowledge-base concept: ids there cannot contain `@`.
pub const PREGNANCY: &str = "@pregnant";
const PREGNANCY_WORDS: &[&str] = &[
    "pregnant",
    "pregnancy",
    "expecting a baby",
    "with child",
    "weeks gone",
];

/// How a mention of a finding is framed in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Context {
    /// Reported as there now.
    Affirmed,
    /// Denied: "no", "not", "without", "isn't ... anymore".
    Negated,
    /// In the past: "had a stroke last year".
    Historical,
    /// Asked about or imagined: "what are the signs of a stroke?".
    Hypothetical,
}

/// What is known about one finding in a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nothing said about it (or only in the past or hypothetically).
    Unknown,
    Present,
    /// Explicitly absent: negated, or an `absent_words` phrase.
    Absent,
}

/// One place where the message mentions a concept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mention {
    pub concept: String,
    /// The message words that matched, as corrected.
    pub words: String,
    pub context: Context,
    /// Whether the phrase was one of the concept's `absent_words`.
    pub absent_phrase: bool,
}

/// A phrase to look for, in stems.
#[derive(Debug)]
struct Phrase {
    concept: u32,
    stems: Vec<String>,
    absent: bool,
}

/// Trigger phrases by their first word, for scanning a message quickly.
#[derive(Debug, Default)]
struct TriggerSet {
    by_first_word: HashMap<&'static str, Vec<Vec<&'static str>>>,
}

impl TriggerSet {
    fn new(phrases: &[&'static str]) -> TriggerSet {
        let mut set = TriggerSet::default();
        for phrase in phrases {
            let words: Vec<&'static str> = phrase.split(' ').collect();
            set.by_first_word.entry(words[0]).or_default().push(words);
        }
        set
    }

    /// Whether a trigger phrase starts at `at` and ends before `limit`; returns
    /// its length.
    fn starts_at(&self, tokens: &[Token], at: usize, limit: usize) -> Option<usize> {
        let candidates = self.by_first_word.get(tokens[at].word.as_str())?;
        candidates
            .iter()
            .filter(|words| at + words.len() <= limit)
            .filter(|words| {
                words
                    .iter()
                    .zip(&tokens[at..])
                    .all(|(word, token)| token.word == *word)
            })
            .map(Vec::len)
            .max()
    }
}

/// Finds the knowledge base's concepts in messages.
#[derive(Debug)]
pub struct ConceptMatcher {
    /// Concept ids by index; the built-in pregnancy finding is last.
    ids: Vec<String>,
    index_of: HashMap<String, u32>,
    phrases: Vec<Phrase>,
    /// Phrase indexes by their first stem.
    by_first_stem: HashMap<String, Vec<u32>>,
    /// For each concept, the concepts it includes.
    includes: Vec<Vec<u32>>,
    pre_negation: TriggerSet,
    post_negation: TriggerSet,
    historical: TriggerSet,
    hypothetical: TriggerSet,
}

fn is_negation_word(word: &str) -> bool {
    matches!(word, "not" | "no" | "never" | "without" | "nor")
}

/// Adverbs that may sit inside a negated phrase ("can't *really* walk").
fn is_adverb(word: &str) -> bool {
    matches!(
        word,
        "really"
            | "even"
            | "properly"
            | "actually"
            | "quite"
            | "fully"
            | "barely"
            | "hardly"
            | "at"
            | "all"
            | "very"
            | "well"
    )
}

fn is_terminator(word: &str) -> bool {
    lexicon::SCOPE_TERMINATORS.contains(&word)
}

impl ConceptMatcher {
    pub fn new(concepts: &[Concept], analyzer: &Analyzer) -> ConceptMatcher {
        let mut ids: Vec<String> = concepts.iter().map(|c| c.id.clone()).collect();
        ids.push(PREGNANCY.to_string());
        let index_of: HashMap<String, u32> = ids
            .iter()
            .enumerate()
            .map(|(index, id)| (id.clone(), index as u32))
            .collect();
        let mut phrases = Vec::new();
        let mut add = |concept: u32, text: &str, absent: bool| {
            let stems: Vec<String> = analyzer
                .analyze_exact(text)
                .into_iter()
                .map(|token| token.stem)
                .collect();
            if !stems.is_empty() {
                phrases.push(Phrase {
                    concept,
                    stems,
                    absent,
                });
            }
        };
        for (index, concept) in concepts.iter().enumerate() {
            for word in &concept.words {
                add(index as u32, word, false);
            }
            for word in &concept.absent_words {
                add(index as u32, word, true);
            }
        }
        let pregnancy = index_of[PREGNANCY];
        for word in PREGNANCY_WORDS {
            add(pregnancy, word, false);
        }
        let mut by_first_stem: HashMap<String, Vec<u32>> = HashMap::new();
        for (index, phrase) in phrases.iter().enumerate() {
            by_first_stem
                .entry(phrase.stems[0].clone())
                .or_default()
                .push(index as u32);
        }
        let mut includes = vec![Vec::new(); ids.len()];
        for (index, concept) in concepts.iter().enumerate() {
            includes[index] = concept
                .includes
                .iter()
                .filter_map(|id| index_of.get(id).copied())
                .collect();
        }
        ConceptMatcher {
            ids,
            index_of,
            phrases,
            by_first_stem,
            includes,
            pre_negation: TriggerSet::new(lexicon::PRE_NEGATION),
            post_negation: TriggerSet::new(lexicon::POST_NEGATION),
            historical: TriggerSet::new(lexicon::HISTORICAL),
            hypothetical: TriggerSet::new(lexicon::HYPOTHETICAL),
        }
    }

    /// Number of concepts, the built-in ones included.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The index of concept `id`.
    pub fn index(&self, id: &str) -> Option<usize> {
        self.index_of.get(id).map(|&index| index as usize)
    }

    /// The id of concept number `index`.
    pub fn id(&self, index: usize) -> &str {
        &self.ids[index]
    }

    /// Every mention of a concept in `tokens`. Where one concept's phrase lies
    /// inside a longer phrase of another concept, the longer one wins: "hay fever"
    /// is not a fever, and "no sweating" (an absent phrase) is not sweating.
    pub fn mentions(&self, tokens: &[Token]) -> Vec<(u32, Mention)> {
        let mut spans: Vec<(usize, usize, u32, Mention)> = Vec::new();
        for start in 0..tokens.len() {
            let Some(candidates) = self.by_first_stem.get(&tokens[start].stem) else {
                continue;
            };
            for &phrase_index in candidates {
                let phrase = &self.phrases[phrase_index as usize];
                let Some(end) = match_phrase(tokens, start, &phrase.stems) else {
                    continue;
                };
                let context = self.context(tokens, start, end);
                let words = tokens[start..end]
                    .iter()
                    .map(|t| t.word.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                spans.push((
                    start,
                    end,
                    phrase.concept,
                    Mention {
                        concept: self.ids[phrase.concept as usize].clone(),
                        words,
                        context,
                        absent_phrase: phrase.absent,
                    },
                ));
            }
        }
        let pregnancy = self.index_of[PREGNANCY];
        // Spans are in order of their start, and none is longer than the longest,
        // so only those starting in `end - longest ..= start` can contain
        // `start..end`: checking those alone keeps a message with thousands of
        // mentions (a pasted document) linear instead of quadratic.
        let longest = spans.iter().map(|(s, e, _, _)| e - s).max().unwrap_or(0);
        let inside_longer = |start: usize, end: usize, concept: u32| {
            let first = spans.partition_point(|(other_start, ..)| *other_start + longest < end);
            let last = spans.partition_point(|(other_start, ..)| *other_start <= start);
            // Built-in findings stand apart from the knowledge base's concepts: a
            // practice's "weeks pregnant" phrase must not hide the pregnancy itself.
            concept != pregnancy
                && spans[first..last.max(first)]
                    .iter()
                    .any(|(other_start, other_end, other, _)| {
                        *other != concept
                            && *other_start <= start
                            && end <= *other_end
                            && other_end - other_start > end - start
                            && !self.includes[*other as usize].contains(&concept)
                    })
        };
        let keep: Vec<bool> = spans
            .iter()
            .map(|(start, end, concept, _)| !inside_longer(*start, *end, *concept))
            .collect();
        spans
            .into_iter()
            .zip(keep)
            .filter(|(_, keep)| *keep)
            .map(|((_, _, concept, mention), _)| (concept, mention))
            .collect()
    }

    /// What the mentions say about each concept, includes resolved.
    pub fn statuses(&self, mentions: &[(u32, Mention)]) -> Vec<Status> {
        let mut statuses = vec![Status::Unknown; self.ids.len()];
        for (concept, mention) in mentions {
            let status = match (mention.context, mention.absent_phrase) {
                (Context::Affirmed, false) => Status::Present,
                (Context::Affirmed, true) | (Context::Negated, false) => Status::Absent,
                _ => Status::Unknown,
            };
            let slot = &mut statuses[*concept as usize];
            // Present wins over absent: a patient who both says and denies a
            // finding gets the safer reading.
            *slot = match (*slot, status) {
                (Status::Present, _) | (_, Status::Present) => Status::Present,
                (Status::Absent, _) | (_, Status::Absent) => Status::Absent,
                _ => Status::Unknown,
            };
        }
        self.resolve_includes(&mut statuses);
        statuses
    }

    /// A concept that includes others is present when any of them is, and absent
    /// when one is absent and none present.
    pub fn resolve_includes(&self, statuses: &mut [Status]) {
        // Include chains are short and acyclic (validated), so a few passes settle.
        for _ in 0..self.ids.len().min(8) {
            let mut changed = false;
            for (index, included) in self.includes.iter().enumerate() {
                if included.is_empty() || statuses[index] == Status::Present {
                    continue;
                }
                let any_present = included
                    .iter()
                    .any(|&i| statuses[i as usize] == Status::Present);
                let any_absent = included
                    .iter()
                    .any(|&i| statuses[i as usize] == Status::Absent);
                let new = if any_present {
                    Status::Present
                } else if any_absent && statuses[index] == Status::Unknown {
                    Status::Absent
                } else {
                    statuses[index]
                };
                if new != statuses[index] {
                    statuses[index] = new;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// How the mention at `start..end` is framed, from the triggers around it.
    fn context(&self, tokens: &[Token], start: usize, end: usize) -> Context {
        let clause = tokens[start].clause;
        // Before the mention, nearest trigger first.
        let earliest = start.saturating_sub(PRE_SCOPE);
        let mut at = start;
        while at > earliest {
            at -= 1;
            let token = &tokens[at];
            if token.clause != clause || is_terminator(&token.word) {
                break;
            }
            if let Some(context) = self.trigger_at(tokens, at, start) {
                return context;
            }
        }
        // After the mention. A phrase that is itself negative ("don't want to be
        // alive", "can't walk") is not undone by "anymore": "I can't walk anymore"
        // still means they can't walk.
        if tokens[start..end].iter().any(|t| is_negation_word(&t.word)) {
            return Context::Affirmed;
        }
        let limit = (end + POST_SCOPE).min(tokens.len());
        for at in end..limit {
            let token = &tokens[at];
            if token.clause != clause || is_terminator(&token.word) {
                break;
            }
            if self
                .post_negation
                .starts_at(tokens, at, tokens.len())
                .is_some()
            {
                return Context::Negated;
            }
            if self
                .historical
                .starts_at(tokens, at, tokens.len())
                .is_some()
            {
                return Context::Historical;
            }
        }
        Context::Affirmed
    }

    /// The context a trigger starting at `at` (and ending before `mention`) gives.
    fn trigger_at(&self, tokens: &[Token], at: usize, mention: usize) -> Option<Context> {
        if let Some(length) = self.pre_negation.starts_at(tokens, at, mention) {
            let next = tokens.get(at + length).map(|t| t.word.as_str());
            // "no I can't walk" answers a question; it does not negate what follows.
            let interjection = tokens[at].word == "no"
                && next.is_some_and(|w| lexicon::PRONOUNS_AFTER_INTERJECTION.contains(&w));
            if !interjection {
                return Some(Context::Negated);
            }
        }
        if self.hypothetical.starts_at(tokens, at, mention).is_some() {
            return Some(Context::Hypothetical);
        }
        if self.historical.starts_at(tokens, at, mention).is_some() {
            return Some(Context::Historical);
        }
        None
    }
}

/// Matches `stems` at `start`, allowing up to [`MAX_GAP`] other words between
/// phrase words within one clause, but never a negation word ("can walk" must not
/// match "can not walk"). Returns the end (exclusive) of the match.
fn match_phrase(tokens: &[Token], start: usize, stems: &[String]) -> Option<usize> {
    if tokens[start].stem != stems[0] {
        return None;
    }
    let clause = tokens[start].clause;
    let mut position = start;
    for stem in &stems[1..] {
        let mut found = None;
        // After a negation inside the phrase ("not breathing"), only an adverb may
        // stand between: "can't really walk" is "can't walk", but "not short of
        // breath" is not "not breathing".
        let after_negation = is_negation_word(&tokens[position].word);
        let window = tokens
            .iter()
            .enumerate()
            .skip(position + 1)
            .take(MAX_GAP + 1);
        for (next, token) in window {
            if token.clause != clause {
                break;
            }
            if token.stem == *stem {
                found = Some(next);
                break;
            }
            if is_negation_word(&token.word) || (after_negation && !is_adverb(&token.word)) {
                break;
            }
        }
        position = found?;
    }
    Some(position + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::Origin;

    fn concept(id: &str, words: &[&str], absent: &[&str]) -> Concept {
        Concept {
            id: id.to_string(),
            words: words.iter().map(|w| w.to_string()).collect(),
            absent_words: absent.iter().map(|w| w.to_string()).collect(),
            includes: Vec::new(),
            origin: Origin {
                file: "test.toml".into(),
                line: 1,
                column: 1,
            },
        }
    }

    fn matcher_concept(id: &str) -> Concept {
        concept(id, &[], &[])
    }

    fn setup() -> (ConceptMatcher, Analyzer) {
        let concepts = vec![
            concept(
                "chest_pain",
                &["chest pain", "pain in my chest", "chest hurts"],
                &[],
            ),
            concept("runny_nose", &["runny nose"], &[]),
            concept("swelling", &["swollen", "swelling", "puffy"], &[]),
            concept(
                "cannot_bear_weight",
                &["can't put weight", "can't walk"],
                &["can walk", "walking fine"],
            ),
            concept("stroke", &["stroke"], &[]),
            concept("fall", &["fell", "tripped", "fall"], &[]),
        ];
        let mut vocabulary = HashMap::new();
        for c in &concepts {
            for w in c.words.iter().chain(&c.absent_words) {
                for word in w.split(' ') {
                    *vocabulary.entry(word.to_string()).or_insert(0) += 1;
                }
            }
        }
        let analyzer = Analyzer::new(&vocabulary);
        (ConceptMatcher::new(&concepts, &analyzer), analyzer)
    }

    fn status_of(text: &str, concept: &str) -> Status {
        let (matcher, analyzer) = setup();
        let tokens = analyzer.analyze(text);
        let statuses = matcher.statuses(&matcher.mentions(&tokens));
        statuses[matcher.index(concept).unwrap()]
    }

    #[test]
    fn affirmed_findings_are_present() {
        assert_eq!(
            status_of("crushing chest pain", "chest_pain"),
            Status::Present
        );
        assert_eq!(status_of("my ankel is swolen", "swelling"), Status::Present);
        assert_eq!(
            status_of("I can't put any weight on it", "cannot_bear_weight"),
            Status::Present
        );
    }

    #[test]
    fn negation_scope_ends_at_punctuation_and_but() {
        assert_eq!(
            status_of("no chest pain, just a runny nose", "chest_pain"),
            Status::Absent
        );
        assert_eq!(
            status_of("no chest pain, just a runny nose", "runny_nose"),
            Status::Present
        );
        assert_eq!(
            status_of("no chest pain just a runny nose", "runny_nose"),
            Status::Present
        );
        assert_eq!(
            status_of("I don't have a runny nose but my chest hurts", "chest_pain"),
            Status::Present
        );
        assert_eq!(
            status_of("without any swelling", "swelling"),
            Status::Absent
        );
    }

    #[test]
    fn post_triggers_negate_resolved_findings() {
        assert_eq!(
            status_of("my ankle isn't swollen anymore", "swelling"),
            Status::Absent
        );
        assert_eq!(
            status_of("the swelling has gone down", "swelling"),
            Status::Absent
        );
    }

    #[test]
    fn past_and_hypothetical_mentions_are_not_present() {
        assert_eq!(
            status_of("my dad had a stroke last year", "stroke"),
            Status::Unknown
        );
        assert_eq!(
            status_of("what are the signs of a stroke?", "stroke"),
            Status::Unknown
        );
        assert_eq!(
            status_of("I had a fall and my ankle is swollen", "fall"),
            Status::Present
        );
    }

    #[test]
    fn absent_phrases_rule_findings_out_and_never_match_their_negation() {
        assert_eq!(
            status_of("I can walk fine", "cannot_bear_weight"),
            Status::Absent
        );
        assert_eq!(
            status_of("I can't walk", "cannot_bear_weight"),
            Status::Present
        );
        assert_eq!(
            status_of("no, I can't walk on it", "cannot_bear_weight"),
            Status::Present
        );
        assert_eq!(
            status_of("no I can't walk on it", "cannot_bear_weight"),
            Status::Present
        );
    }

    #[test]
    fn a_negation_inside_a_phrase_allows_no_gap_after_it() {
        assert_eq!(
            status_of("I can't put any weight on it", "cannot_bear_weight"),
            Status::Present
        );
        assert_eq!(
            status_of("I can't really walk", "cannot_bear_weight"),
            Status::Present
        );
        let (_, analyzer) = setup();
        let not_breathing = Concept {
            words: vec!["not breathing".into()],
            ..matcher_concept("collapse")
        };
        let matcher = ConceptMatcher::new(&[not_breathing], &analyzer);
        let tokens = analyzer.analyze("not short of breath");
        assert_eq!(
            matcher.statuses(&matcher.mentions(&tokens))[0],
            Status::Unknown
        );
    }

    #[test]
    fn negative_phrases_are_not_undone_by_anymore() {
        assert_eq!(
            status_of("I can't walk anymore", "cannot_bear_weight"),
            Status::Present
        );
    }

    #[test]
    fn a_longer_phrase_of_another_concept_wins() {
        let (_, analyzer) = setup();
        let concepts = vec![
            concept("fever", &["fever"], &[]),
            concept("hay_fever", &["hay fever"], &[]),
        ];
        let matcher = ConceptMatcher::new(&concepts, &analyzer);
        let statuses =
            matcher.statuses(&matcher.mentions(&analyzer.analyze("my hay fever is awful")));
        assert_eq!(statuses[0], Status::Unknown);
        assert_eq!(statuses[1], Status::Present);
        let statuses =
            matcher.statuses(&matcher.mentions(&analyzer.analyze("hay fever and now a fever")));
        assert_eq!(statuses[0], Status::Present);
    }

    #[test]
    fn pregnancy_is_a_built_in_finding() {
        assert_eq!(
            status_of("I'm 30 weeks pregnant", PREGNANCY),
            Status::Present
        );
        assert_eq!(status_of("I'm not pregnant", PREGNANCY), Status::Absent);
    }
}
