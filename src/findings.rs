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
use crate::text::languages::in_any_language;
use crate::text::{lexicon, Analyzer, Lexicon, Token};

/// Most words that may stand between two words of a phrase.
pub const MAX_GAP: usize = 2;

/// How many more words a phrase may stretch over when they are the
/// language's gap fillers (see `match_phrase`).
pub const MAX_FILLERS: usize = 4;
/// How far before a mention a trigger may stand.
const PRE_SCOPE: usize = 6;
/// How far after a mention a trigger may stand.
const POST_SCOPE: usize = 5;
/// How far before [`PRE_SCOPE`] a multi-word question framing may begin, as
/// long as it ends within it.
const LONG_FRAMING_EXTRA: usize = 4;

/// The id of the built-in pregnancy finding, behind `when.pregnant`. It cannot
/// clash with a knowledge-base concept: ids there cannot contain `@`.
pub const PREGNANCY: &str = "@pregnant";
pub use crate::knowledge::HEALTH_PROBLEM;
/// Phrases that say the person is pregnant now. Bare "pregnancy" is not one
/// ("my last pregnancy" is history), nor "during pregnancy", which a phrase gap
/// would let match "during my last pregnancy".
pub(crate) const PREGNANCY_WORDS: &[&str] = &[
    "pregnant",
    "this pregnancy",
    "expecting a baby",
    "weeks gone",
    "i am # weeks",
    "# weeks along",
    "positive pregnancy test",
    "positive test",
    // Clinical notes: a positive urine pregnancy test.
    "positive upt",
    "upt positive",
    // The weeks after a birth: the bleeding, blood pressure and infection
    // rules written for pregnancy apply to them too (NICE NG194, NG133).
    "had my baby",
    "had her baby",
    "had the baby",
    "had our baby",
    "gave birth",
    "given birth",
    "postpartum",
    "post partum",
    "postnatal",
    "post natal",
    "just had a baby",
    // A late or missed period may be a pregnancy: the early-pregnancy rules
    // (ectopic, bleeding) ask "could you be pregnant?", and this answers it.
    "missed my period",
    "missed period",
    "period is late",
    "period late",
    "period is # weeks late",
    "last period # weeks ago",
    "last period was # weeks ago",
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
    /// Where the phrase's words lie in the message's tokens (end exclusive).
    #[serde(skip)]
    pub span: std::ops::Range<usize>,
}

impl Mention {
    /// Whether the mention reports its finding as there now.
    pub fn affirmed(&self) -> bool {
        self.context == Context::Affirmed && !self.absent_phrase
    }
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
    /// Phrases as (word, stem) pairs, by their first word and by their first stem.
    by_first: HashMap<String, Vec<Vec<(&'static str, String)>>>,
    /// Whether a token matches a trigger word by stem too ("preventing" for
    /// "prevent"). Only for question framings: negation and resolution words are
    /// matched exactly, since "gone" must not match "going".
    by_stem: bool,
}

impl TriggerSet {
    fn new(phrases: &[&'static str], analyzer: &Analyzer, by_stem: bool) -> TriggerSet {
        let mut set = TriggerSet {
            by_stem,
            ..TriggerSet::default()
        };
        for phrase in phrases {
            let words: Vec<(&'static str, String)> = phrase
                .split(' ')
                .map(|word| (word, analyzer.stem(word)))
                .collect();
            let (first_word, first_stem) = (words[0].0.to_string(), words[0].1.clone());
            set.by_first
                .entry(first_word.clone())
                .or_default()
                .push(words.clone());
            if by_stem && first_stem != first_word {
                set.by_first.entry(first_stem).or_default().push(words);
            }
        }
        set
    }

    /// Whether a trigger phrase starts at `at` and ends before `limit`; returns
    /// its length.
    fn starts_at(&self, tokens: &[Token], at: usize, limit: usize) -> Option<usize> {
        let token = &tokens[at];
        let by_word = self.by_first.get(token.word.as_str());
        let by_stem = if self.by_stem {
            self.by_first.get(token.stem.as_str())
        } else {
            None
        };
        by_word
            .into_iter()
            .chain(by_stem)
            .flatten()
            .filter(|words| at + words.len() <= limit)
            .filter(|words| {
                words
                    .iter()
                    .zip(&tokens[at..])
                    .all(|((word, stem), token)| {
                        token.word == *word || (self.by_stem && token.stem == *stem)
                    })
            })
            .map(Vec::len)
            .max()
    }
}

/// Finds the knowledge base's concepts in messages.
#[derive(Debug)]
pub struct ConceptMatcher {
    /// The word tables of the language the matcher reads.
    lexicon: &'static Lexicon,
    /// Concept ids by index; the built-in pregnancy and health-problem findings
    /// are last.
    ids: Vec<String>,
    index_of: HashMap<String, u32>,
    phrases: Vec<Phrase>,
    /// Phrase indexes by their first stem.
    by_first_stem: HashMap<String, Vec<u32>>,
    /// For each concept, the concepts it includes.
    includes: Vec<Vec<u32>>,
    /// For each concept, whether it is neutral (a qualifier or another sense
    /// of a medical word, such as a vaccine "shot").
    neutral: Vec<bool>,
    /// For each concept, whether it is an overlay (never hides other phrases).
    overlay: Vec<bool>,
    /// For each concept, whether it is a lasting state (told in the past, it
    /// is there now).
    lasting: Vec<bool>,
    pre_negation: TriggerSet,
    post_negation: TriggerSet,
    historical: TriggerSet,
    hypothetical: TriggerSet,
    post_hypothetical: TriggerSet,
    /// Hypothetical framings that a present anchor undoes.
    weak_hypothetical: TriggerSet,
    /// Words that anchor the message in the present.
    now_anchors: TriggerSet,
    /// ConText's pseudo-triggers: trigger words inside them are not triggers.
    pseudo: TriggerSet,
    /// Pseudo-triggers only with a novelty marker after them in their clause.
    novelty_pseudo: TriggerSet,
    novelty_markers: &'static [&'static str],
}

/// What the context rules need to know about the whole message.
struct Scan<'a> {
    tokens: &'a [Token],
    /// Positions of negation words that belong to other phrases.
    used: &'a [usize],
    /// Where mentions begin.
    starts: &'a [usize],
    /// Positions covered by a pseudo-trigger.
    pseudo: Vec<bool>,
    /// Whether something in the message says it is happening now.
    now_anchored: bool,
}

/// Words that may follow a resolution trigger ("gone now", "stopped completely").
const RESOLUTION_FOLLOWERS: &[&str] = &[
    "now",
    "away",
    "down",
    "completely",
    "already",
    "off",
    "again",
    "since",
    "and",
    "after",
    "by",
    "today",
    "yesterday",
    "thankfully",
    "luckily",
    "though",
    "but",
    "so",
    // A denial that follows starts a new statement: "it's gone, no pain".
    "no",
    "not",
    "never",
    "without",
    "nor",
];

/// In a concept phrase, `#` stands for any number ("taken # tablets").
const NUMBER_WILDCARD: &str = "#";

/// Whether `token` can stand for a `#` in a phrase. "a" and "an" are number words
/// for durations ("an hour ago"), but as a wildcard they would fill it in front of
/// nearly any noun.
fn is_number(token: &Token) -> bool {
    token.number().is_some()
        || (!matches!(token.word.as_str(), "a" | "an" | "un" | "una" | "uno")
            && lexicon::number_word(&token.word).is_some())
}

/// Whether phrase positions follow each other with no word between.
fn is_contiguous(positions: &[usize]) -> bool {
    positions.windows(2).all(|pair| pair[1] == pair[0] + 1)
}

pub fn is_negation_word(word: &str) -> bool {
    // English and Spanish ("sin", "nunca", "ni", "tampoco", "jamas"): no
    // word of one is an everyday word of the other.
    matches!(
        word,
        "not" | "no" | "never" | "without" | "nor" | "sin" | "nunca" | "ni" | "tampoco" | "jamas"
    )
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

/// "and" followed by a new subject starts a new clause: "it isn't swollen and I
/// can walk on it" does not deny the walking.
fn starts_new_clause(tokens: &[Token], at: usize) -> bool {
    let starts_subject = |t: &Token| {
        matches!(
            t.word.as_str(),
            "i" | "he" | "she" | "we" | "they" | "it" | "my" | "his" | "her" | "their" | "our"
        )
    };
    let is_and = |t: &Token| t.word == "and";
    (is_and(&tokens[at]) && tokens.get(at + 1).is_some_and(starts_subject))
        || (starts_subject(&tokens[at]) && at > 0 && is_and(&tokens[at - 1]))
}

/// Whether "in 2019" starts at `at`: a finding dated to an earlier year is
/// history ("had a heart attack in 2019").
fn is_past_year(tokens: &[Token], at: usize) -> bool {
    tokens[at].word == "in"
        && tokens
            .get(at + 1)
            .and_then(Token::number)
            .is_some_and(|year| year.fract() == 0.0 && (1900.0..=2025.0).contains(&year))
}

/// Whether the historical trigger at `at` is "when I was" doing something:
/// the circumstance of a complaint ("squeezing in my chest when I was
/// shovelling snow"), not the past. Only an age after it ("when I was 5",
/// "when I was a kid") dates the finding.
fn is_circumstance(tokens: &[Token], at: usize) -> bool {
    let mut words = tokens[at..].iter().map(|t| t.word.as_str());
    if !words.by_ref().take(3).eq(["when", "i", "was"]) {
        return false;
    }
    let dated = words
        .take(2)
        .any(|word| word.parse::<f64>().is_ok() || in_any_language(|l| l.ages_of_life, word));
    !dated
}

/// Whether the historical trigger at `at` follows a duration, which makes it
/// the onset of a present complaint: "a 2-hour history of chest pain", "3/7
/// history", as clinicians write.
fn is_onset(tokens: &[Token], at: usize) -> bool {
    let unit = at.checked_sub(1).map(|i| &tokens[i]);
    let number = at.checked_sub(2).map(|i| &tokens[i]);
    unit.is_some_and(|unit| {
        in_any_language(|l| l.onset_units, &unit.word)
            && (unit.number().is_some() || number.is_some_and(is_number))
    })
}

/// Most items a list may have before its head ("denies fever, chills, rigors,
/// night sweats or weight loss").
const MAX_LIST_ITEMS: usize = 6;
/// Most words one list item may have.
const MAX_LIST_ITEM_WORDS: usize = 4;

/// For a mention in a comma-separated list that "or" or "nor" closes ("fever,
/// chills or weight loss"; "and" is left out: "no fever, cough and a sore
/// throat" may well report the cough), the first position of the list's head clause (the
/// one holding the first item and whatever trigger precedes it). `None` when
/// the mention is not in such a list: a comma alone never carries a negation
/// ("no fever, chest pain since this morning" is two statements).
fn list_head(tokens: &[Token], mention: usize) -> Option<usize> {
    let clause_of = |at: usize| tokens[at].clause;
    let bounds = |clause: u32| {
        let first = tokens.iter().position(|t| t.clause == clause)?;
        let last = tokens.iter().rposition(|t| t.clause == clause)?;
        Some((first, last + 1))
    };
    let is_item = |(first, end): (usize, usize)| {
        end - first <= MAX_LIST_ITEM_WORDS
            && tokens[first].comma_opened
            && (first..end)
                .all(|at| !starts_new_clause(tokens, at) && !is_terminator(&tokens[at].word))
    };
    let closes = |(first, end): (usize, usize)| {
        tokens[first..end]
            .iter()
            .any(|t| matches!(t.word.as_str(), "or" | "nor"))
    };
    let mut clause = clause_of(mention);
    let item = bounds(clause)?;
    if !is_item(item) {
        return None;
    }
    // Closed by a conjunction in this item or a later one.
    let mut closed = closes(item);
    let mut later = clause;
    for _ in 0..MAX_LIST_ITEMS {
        if closed {
            break;
        }
        later += 1;
        match bounds(later) {
            Some(next) if is_item(next) => closed = closes(next),
            _ => break,
        }
    }
    if !closed {
        return None;
    }
    // Back to the head: the first clause not opened by a comma.
    for _ in 0..MAX_LIST_ITEMS {
        clause = clause.checked_sub(1)?;
        let previous = bounds(clause)?;
        if !tokens[previous.0].comma_opened {
            return Some(previous.0);
        }
        if !is_item(previous) {
            return None;
        }
    }
    None
}

fn is_terminator(word: &str) -> bool {
    in_any_language(|l| l.scope_terminators, word)
}

impl ConceptMatcher {
    pub fn new(concepts: &[Concept], analyzer: &Analyzer) -> ConceptMatcher {
        let mut ids: Vec<String> = concepts.iter().map(|c| c.id.clone()).collect();
        ids.push(PREGNANCY.to_string());
        // Set by the engine from [`crate::health`], never by a phrase.
        ids.push(HEALTH_PROBLEM.to_string());
        let index_of: HashMap<String, u32> = ids
            .iter()
            .enumerate()
            .map(|(index, id)| (id.clone(), index as u32))
            .collect();
        let mut phrases = Vec::new();
        let mut add = |concept: u32, text: &str, absent: bool| {
            // "#" is not a word to the tokenizer; stand it in with a marker word.
            const MARKER: &str = "qqnumberqq";
            let text = text
                .split_whitespace()
                .map(|word| {
                    if word == NUMBER_WILDCARD {
                        MARKER
                    } else {
                        word
                    }
                })
                .collect::<Vec<_>>()
                .join(" ");
            let stems: Vec<String> = analyzer
                .analyze_exact(&text)
                .into_iter()
                .map(|token| {
                    if token.word == MARKER {
                        NUMBER_WILDCARD.to_string()
                    } else {
                        token.stem
                    }
                })
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
        for word in analyzer.lexicon().pregnancy_words {
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
        let mut neutral: Vec<bool> = concepts.iter().map(|c| c.neutral).collect();
        neutral.resize(ids.len(), false);
        let mut overlay: Vec<bool> = concepts.iter().map(|c| c.overlay).collect();
        overlay.resize(ids.len(), false);
        let mut lasting: Vec<bool> = concepts.iter().map(|c| c.lasting).collect();
        lasting.resize(ids.len(), false);
        ConceptMatcher {
            lexicon: analyzer.lexicon(),
            ids,
            neutral,
            overlay,
            lasting,
            index_of,
            phrases,
            by_first_stem,
            includes,
            pre_negation: TriggerSet::new(analyzer.lexicon().pre_negation, analyzer, false),
            post_negation: TriggerSet::new(analyzer.lexicon().post_negation, analyzer, false),
            historical: TriggerSet::new(analyzer.lexicon().historical, analyzer, false),
            hypothetical: TriggerSet::new(analyzer.lexicon().hypothetical, analyzer, true),
            post_hypothetical: TriggerSet::new(
                analyzer.lexicon().post_hypothetical,
                analyzer,
                true,
            ),
            weak_hypothetical: TriggerSet::new(
                analyzer.lexicon().weak_hypothetical,
                analyzer,
                true,
            ),
            now_anchors: TriggerSet::new(analyzer.lexicon().now_anchors, analyzer, false),
            pseudo: TriggerSet::new(analyzer.lexicon().pseudo_triggers, analyzer, true),
            novelty_pseudo: TriggerSet::new(
                analyzer.lexicon().novelty_pseudo_triggers,
                analyzer,
                true,
            ),
            novelty_markers: analyzer.lexicon().novelty_markers,
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

    /// Whether finding `inner` counts as `outer` (the same concept, or one that
    /// `outer` includes, directly or through others).
    pub fn covers(&self, outer: usize, inner: usize) -> bool {
        fn walk(matcher: &ConceptMatcher, outer: usize, inner: usize, depth: u8) -> bool {
            outer == inner
                || (depth < 8
                    && matcher.includes[outer]
                        .iter()
                        .any(|&next| walk(matcher, next as usize, inner, depth + 1)))
        }
        walk(self, outer, inner, 0)
    }

    /// Whether concept number `index` is neutral.
    pub fn is_neutral(&self, index: usize) -> bool {
        self.neutral[index]
    }

    /// Whether concept number `index` is an overlay (restates other concepts' words).
    pub fn is_overlay(&self, index: usize) -> bool {
        self.overlay[index]
    }

    /// The id of concept number `index`.
    pub fn id(&self, index: usize) -> &str {
        &self.ids[index]
    }

    /// Every mention of a concept in `tokens`.
    ///
    /// Where a phrase's words all lie inside a longer phrase of another concept,
    /// the longer one wins: "hay fever" is not a fever. Within one concept, an
    /// absent phrase wins over a present word inside it: "fell asleep" is not a
    /// fall. Only the phrases' own words count for this, not the words allowed
    /// between them, so "really bad [back] pain" does not hide "back pain".
    pub fn mentions(&self, tokens: &[Token]) -> Vec<(u32, Mention)> {
        struct Found {
            /// Positions of the phrase's own words in the message.
            positions: Vec<usize>,
            phrase: u32,
        }
        let mut found: Vec<Found> = Vec::new();
        // Phrases that start with `#` ("# weeks along"): any number may start them.
        let wildcard_phrases = self.by_first_stem.get(NUMBER_WILDCARD);
        for start in 0..tokens.len() {
            let stem_phrases = self
                .by_first_stem
                .get(&tokens[start].stem)
                .map_or(&[][..], Vec::as_slice);
            let number_phrases = match wildcard_phrases {
                Some(list) if is_number(&tokens[start]) => list.as_slice(),
                _ => &[],
            };
            // The token's own phrases first, then the wildcard ones: the order
            // mentions are found in, which later stages keep.
            for &phrase_index in stem_phrases.iter().chain(number_phrases) {
                let phrase = &self.phrases[phrase_index as usize];
                if let Some(positions) =
                    match_phrase(tokens, start, &phrase.stems, self.lexicon.gap_fillers)
                {
                    found.push(Found {
                        positions,
                        phrase: phrase_index,
                    });
                }
            }
        }
        let pregnancy = self.index_of[PREGNANCY];
        let hidden = |inner: &Found| {
            let inner_phrase = &self.phrases[inner.phrase as usize];
            // Built-in findings stand apart from the knowledge base's concepts: a
            // practice's "weeks pregnant" phrase must not hide the pregnancy itself.
            // An overlay restates other concepts' words: only an everyday phrase
            // written around it hides it (below).
            inner_phrase.concept != pregnancy
                && found.iter().any(|outer| {
                    let outer_phrase = &self.phrases[outer.phrase as usize];
                    let covers = outer.positions.len() > inner.positions.len()
                        && inner.positions.iter().all(|p| outer.positions.contains(p));
                    if self.overlay[inner_phrase.concept as usize] {
                        // An overlay is hidden only by an everyday phrase written
                        // word for word around it ("dying to know", "give me a
                        // heart attack"): that phrase says what the words mean.
                        return self.neutral[outer_phrase.concept as usize]
                            && !self.overlay[outer_phrase.concept as usize]
                            && !outer_phrase.absent
                            && is_contiguous(&outer.positions)
                            && covers;
                    }
                    if self.overlay[outer_phrase.concept as usize]
                        && outer_phrase.concept != inner_phrase.concept
                    {
                        return false;
                    }
                    let other_concept = outer_phrase.concept != inner_phrase.concept
                        && !self.includes[outer_phrase.concept as usize]
                            .contains(&inner_phrase.concept);
                    let absent_over_present = outer_phrase.concept == inner_phrase.concept
                        && outer_phrase.absent
                        && !inner_phrase.absent;
                    // Word sense: a phrase stretched over other words ("get
                    // [a] flu") loses a word it shares with a neutral concept's
                    // phrase written word for word ("flu shot"): the compound
                    // says what the word means here.
                    let sense = other_concept
                        && self.neutral[outer_phrase.concept as usize]
                        && outer.positions.len() > 1
                        && is_contiguous(&outer.positions)
                        && !is_contiguous(&inner.positions)
                        && inner.positions.iter().any(|p| outer.positions.contains(p))
                        && outer.positions.iter().any(|p| !inner.positions.contains(p));
                    // An everyday phrase of the concept's own ("boiling water")
                    // takes the word it shares with an overlapping present phrase
                    // ("water went"): the word cannot mean both at once.
                    let shares = is_contiguous(&outer.positions)
                        && inner.positions.iter().any(|p| outer.positions.contains(p));
                    // Unless the present phrase says the absent one and more:
                    // Spanish puts the negation before the phrase it negates,
                    // so "no puede caminar" holds the absent "puede caminar".
                    let says_more = inner.positions.len() > outer.positions.len()
                        && outer.positions.iter().all(|p| inner.positions.contains(p));
                    // And then the absent phrase inside it is hidden.
                    let present_over_absent = outer_phrase.concept == inner_phrase.concept
                        && !outer_phrase.absent
                        && inner_phrase.absent
                        && covers;
                    (other_concept && (covers || sense))
                        || (absent_over_present && (covers || shares) && !says_more)
                        || present_over_absent
                })
        };
        // Negation words that belong to a present phrase ("can't walk") are used up
        // there and do not negate the next finding ("I can't walk and my ankle is
        // swollen"). In an absent phrase ("no fever") the negation does its usual
        // work and reaches on ("no fever or back pain").
        let used: Vec<usize> = found
            .iter()
            .filter(|f| !self.phrases[f.phrase as usize].absent)
            .flat_map(|f| f.positions.iter().copied())
            .filter(|&p| is_negation_word(&tokens[p].word))
            .collect();
        let kept: Vec<&Found> = found.iter().filter(|f| !hidden(f)).collect();
        let starts: Vec<usize> = kept.iter().map(|f| f.positions[0]).collect();
        let scan = if kept.is_empty() {
            None
        } else {
            Some(self.scan(tokens, &used, &starts))
        };
        kept.iter()
            .map(|f| {
                let phrase = &self.phrases[f.phrase as usize];
                let start = f.positions[0];
                let end = f.positions[f.positions.len() - 1] + 1;
                let scan = scan.as_ref().expect("built when anything was found");
                let context = self.context(scan, start, end);
                let words = tokens[start..end]
                    .iter()
                    .map(|t| t.word.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                (
                    phrase.concept,
                    Mention {
                        concept: self.ids[phrase.concept as usize].clone(),
                        words,
                        context,
                        absent_phrase: phrase.absent,
                        span: start..end,
                    },
                )
            })
            .collect()
    }

    /// What the mentions say about each concept, includes resolved.
    pub fn statuses(&self, mentions: &[(u32, Mention)]) -> Vec<Status> {
        let mut statuses = vec![Status::Unknown; self.ids.len()];
        for (concept, mention) in mentions {
            let status = match (mention.context, mention.absent_phrase) {
                (Context::Affirmed, false) => Status::Present,
                (Context::Historical, false) if self.lasting[*concept as usize] => Status::Present,
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

    /// What the context rules need to know about the whole message.
    fn scan<'a>(&self, tokens: &'a [Token], used: &'a [usize], starts: &'a [usize]) -> Scan<'a> {
        let mut pseudo = vec![false; tokens.len()];
        let mut now_anchored = false;
        for at in 0..tokens.len() {
            let new_to_the_writer = |length: &usize| {
                tokens[at + length..]
                    .iter()
                    .take_while(|token| token.clause == tokens[at].clause)
                    .any(|token| self.novelty_markers.contains(&token.word.as_str()))
            };
            let length = self.pseudo.starts_at(tokens, at, tokens.len()).or_else(|| {
                self.novelty_pseudo
                    .starts_at(tokens, at, tokens.len())
                    .filter(new_to_the_writer)
            });
            if let Some(length) = length {
                pseudo[at..at + length].iter_mut().for_each(|p| *p = true);
            }
            now_anchored |= self
                .now_anchors
                .starts_at(tokens, at, tokens.len())
                .is_some();
        }
        Scan {
            tokens,
            used,
            starts,
            pseudo,
            now_anchored,
        }
    }

    /// How the mention at `start..end` is framed, from the triggers around it.
    /// A trigger after a mention belongs to the nearest mention before it ("my
    /// ankle isn't swollen anymore": the swelling is gone, not the ankle).
    fn context(&self, scan: &Scan, start: usize, end: usize) -> Context {
        let tokens = scan.tokens;
        let mut clause = tokens[start].clause;
        // Before the mention, nearest trigger first.
        let mut earliest = start.saturating_sub(PRE_SCOPE);
        let mut at = start;
        // The first question or history framing found, if no negation precedes it.
        let mut framed = None;
        // A long question framing counts while its last word is in scope: "how
        // do I know if I have sepsis" begins seven words before the finding.
        // The scope as first set: a list below may move `earliest`.
        let reach = earliest;
        while at > earliest.min(reach.saturating_sub(LONG_FRAMING_EXTRA)) {
            at -= 1;
            let token = &tokens[at];
            if at < earliest {
                if token.clause != clause || is_terminator(&token.word) {
                    break;
                }
                let long_framing = self
                    .hypothetical
                    .starts_at(tokens, at, start)
                    .is_some_and(|length| at + length > reach);
                if long_framing && !scan.used.contains(&at) && !scan.pseudo[at] {
                    if let Some(context @ Context::Hypothetical) = self.trigger_at(scan, at, start)
                    {
                        framed.get_or_insert(context);
                    }
                }
                continue;
            }
            if token.clause != clause {
                // A list carries the trigger before its first item to every
                // item: "denies fever, chills or weight loss".
                match list_head(tokens, start) {
                    Some(head) if tokens[head].clause <= token.clause => {
                        clause = token.clause;
                        earliest = (at + 1).saturating_sub(PRE_SCOPE).max(head);
                        at += 1;
                        continue;
                    }
                    _ => break,
                }
            }
            if is_terminator(&token.word) || starts_new_clause(tokens, at) {
                break;
            }
            if scan.used.contains(&at) || scan.pseudo[at] {
                continue;
            }
            match self.trigger_at(scan, at, start) {
                // "no signs of", "no clinical signs or symptoms of", "no
                // history of": a negation before a question or history
                // framing negates both, so keep looking for one.
                Some(context @ (Context::Hypothetical | Context::Historical)) => {
                    framed.get_or_insert(context);
                }
                Some(context) => return context,
                None => {}
            }
        }
        if let Some(context) = framed {
            return context;
        }
        let clause = tokens[start].clause;
        // After the mention. A phrase that is itself negative ("don't want to be
        // alive", "can't walk") is not undone by "anymore": "I can't walk anymore"
        // still means they can't walk.
        if tokens[start..end].iter().any(|t| is_negation_word(&t.word)) {
            return Context::Affirmed;
        }
        let limit = (end + POST_SCOPE).min(tokens.len());
        for at in end..limit {
            let token = &tokens[at];
            if token.clause != clause
                || is_terminator(&token.word)
                || starts_new_clause(tokens, at)
                || scan.starts.contains(&at)
            {
                break;
            }
            if scan.pseudo[at] {
                // "it has not stopped", "not getting better": persistence, not
                // resolution.
                continue;
            }
            if self
                .post_hypothetical
                .starts_at(tokens, at, tokens.len())
                .is_some()
            {
                return Context::Hypothetical;
            }
            if let Some(length) = self.post_negation.starts_at(tokens, at, tokens.len()) {
                // A negation right before the resolution word undoes it: "it has
                // not stopped", "never went away".
                let denied = at > 0 && is_negation_word(&tokens[at - 1].word);
                // "the swelling has gone (now)" is resolved, but "he's gone drowsy"
                // is a change for the worse: a resolution ends its clause.
                let next = tokens.get(at + length).filter(|t| t.clause == clause);
                let resolves = next.is_none_or(|t| RESOLUTION_FOLLOWERS.contains(&t.word.as_str()));
                if resolves && !denied {
                    return Context::Negated;
                }
            }
            if (self
                .historical
                .starts_at(tokens, at, tokens.len())
                .is_some()
                && !is_circumstance(tokens, at))
                || is_past_year(tokens, at)
            {
                return Context::Historical;
            }
        }
        Context::Affirmed
    }

    /// The context a trigger starting at `at` (and ending before `mention`) gives.
    fn trigger_at(&self, scan: &Scan, at: usize, mention: usize) -> Option<Context> {
        let tokens = scan.tokens;
        if let Some(length) = self.pre_negation.starts_at(tokens, at, mention) {
            let next = tokens.get(at + length).map(|t| t.word.as_str());
            // "no I can't walk" answers a question; it does not negate what follows.
            let interjection = tokens[at].word == "no"
                && next.is_some_and(|w| self.lexicon.pronouns_after_interjection.contains(&w));
            if !interjection {
                return Some(Context::Negated);
            }
        }
        if self.hypothetical.starts_at(tokens, at, mention).is_some() {
            // "what do I do about this bleeding, it's everywhere" asks for help
            // now: a weak framing gives way to a present anchor.
            let weak = self
                .weak_hypothetical
                .starts_at(tokens, at, mention)
                .is_some();
            if !(weak && scan.now_anchored) {
                return Some(Context::Hypothetical);
            }
        }
        if (self.historical.starts_at(tokens, at, mention).is_some()
            && !is_onset(tokens, at)
            && !is_circumstance(tokens, at))
            || is_past_year(tokens, at)
        {
            return Some(Context::Historical);
        }
        None
    }
}

/// The context in which `sentence` mentions `target` (a phrase), or `None` if
/// it does not mention it: ConText as the engine runs it, for one target term.
/// This is how the context detection is measured on annotated corpora (the
/// NegEx test set), where the targets are not the knowledge base's concepts.
pub fn context_of(sentence: &str, target: &str) -> Option<Context> {
    let target_concept = Concept {
        id: "target".to_string(),
        words: vec![target.to_string()],
        absent_words: Vec::new(),
        includes: Vec::new(),
        neutral: false,
        overlay: false,
        lasting: false,
        origin: crate::knowledge::Origin {
            file: std::path::PathBuf::new(),
            line: 0,
            column: 0,
        },
    };
    // Spelling correction needs a vocabulary; the target's own words are it.
    let vocabulary = crate::text::normalize::words(&crate::text::normalize(target))
        .into_iter()
        .map(|word| (word.text, 1))
        .collect();
    let analyzer = Analyzer::new(&vocabulary);
    let matcher = ConceptMatcher::new(std::slice::from_ref(&target_concept), &analyzer);
    let tokens = analyzer.analyze(sentence);
    let mentions = matcher.mentions(&tokens);
    let contexts = mentions
        .iter()
        .filter(|(concept, _)| *concept == 0)
        .map(|(_, mention)| mention.context);
    // Several mentions: affirmed wins, as the engine's statuses do.
    contexts.reduce(|a, b| if b == Context::Affirmed { b } else { a })
}

/// Matches `stems` at `start`, allowing up to [`MAX_GAP`] other words between
/// phrase words within one clause, but never a negation word ("can walk" must not
/// match "can not walk"). Returns the positions of the phrase's own words.
///
/// Words of `fillers` (the language's articles, prepositions and the like,
/// [`Lexicon::gap_fillers`]) do not count towards the gap, up to
/// [`MAX_FILLERS`] of them: Spanish says "dolor en la parte baja de la
/// barriga" where English says "pain low in my tummy".
fn match_phrase(
    tokens: &[Token],
    start: usize,
    stems: &[String],
    fillers: &[&str],
) -> Option<Vec<usize>> {
    let matches = |token: &Token, stem: &str| {
        if stem == NUMBER_WILDCARD {
            is_number(token)
        } else {
            token.stem == stem
        }
    };
    if !matches(&tokens[start], &stems[0]) {
        return None;
    }
    let mut clause = tokens[start].clause;
    let mut positions = vec![start];
    let mut position = start;
    for stem in &stems[1..] {
        // A list written with commas says the phrase's "and" or "or": "cold,
        // white and painful" is "cold and white".
        let comma_listed = || {
            tokens.get(position + 1).is_some_and(|next| {
                next.comma_opened && next.clause == clause + 1 && !is_negation_word(&next.word)
            })
        };
        if matches!(stem.as_str(), "and" | "or") && comma_listed() {
            clause += 1;
            continue;
        }
        let mut found = None;
        // After a negation inside the phrase ("not breathing"), only an adverb may
        // stand between: "can't really walk" is "can't walk", but "not short of
        // breath" is not "not breathing".
        let after_negation = is_negation_word(&tokens[position].word);
        let (mut gap, mut skipped) = (0, 0);
        for (next, token) in tokens.iter().enumerate().skip(position + 1) {
            if token.clause != clause {
                break;
            }
            if matches(token, stem) {
                found = Some(next);
                break;
            }
            if is_negation_word(&token.word) || (after_negation && !is_adverb(&token.word)) {
                break;
            }
            // "is *this* normal?" asks; it does not say "is normal".
            let copula = matches!(
                tokens[next - 1].word.as_str(),
                "is" | "are" | "was" | "were"
            );
            if copula
                && matches!(
                    token.word.as_str(),
                    "this" | "that" | "it" | "these" | "they"
                )
            {
                break;
            }
            skipped += 1;
            if !fillers.contains(&token.word.as_str()) {
                gap += 1;
            }
            if gap > MAX_GAP || skipped > MAX_GAP + MAX_FILLERS {
                break;
            }
        }
        position = found?;
        positions.push(position);
    }
    Some(positions)
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
            neutral: false,
            overlay: false,
            lasting: false,
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
    fn a_comma_in_a_list_stands_for_the_phrases_and() {
        let concepts = vec![
            concept("limb_pale", &["cold and white"], &[]),
            concept("fever", &["fever"], &[]),
            concept("cough", &["cough"], &[]),
        ];
        let analyzer = Analyzer::new(&HashMap::new());
        let matcher = ConceptMatcher::new(&concepts, &analyzer);
        let status = |text: &str, id: &str| {
            let statuses = matcher.statuses(&matcher.mentions(&analyzer.analyze(text)));
            statuses[matcher.index(id).unwrap()]
        };
        assert_eq!(
            status("my foot is cold, white and really painful", "limb_pale"),
            Status::Present
        );
        assert_eq!(
            status("my foot is cold and white", "limb_pale"),
            Status::Present
        );
        // Only a list: a comma between two clauses that share no phrase says
        // nothing, and a negation after the comma is no "and".
        assert_eq!(status("it's cold, I'm fine", "limb_pale"), Status::Unknown);
        assert_ne!(
            status("my foot is cold, not white", "limb_pale"),
            Status::Present
        );
    }

    #[test]
    fn an_everyday_phrase_written_around_an_overlay_hides_it() {
        let mut sign = concept("life_threatening_sign", &["dying", "heart attack"], &[]);
        sign.overlay = true;
        let mut figure = concept(
            "figure_of_speech",
            &["dying to know", "give me a heart attack"],
            &[],
        );
        figure.neutral = true;
        let concepts = vec![sign, figure];
        let analyzer = Analyzer::new(&HashMap::new());
        let matcher = ConceptMatcher::new(&concepts, &analyzer);
        let sign_of = |text: &str| {
            let statuses = matcher.statuses(&matcher.mentions(&analyzer.analyze(text)));
            statuses[matcher.index("life_threatening_sign").unwrap()]
        };
        assert_eq!(sign_of("dying to know if you are open"), Status::Unknown);
        assert_eq!(
            sign_of("this exam will give me a heart attack lol"),
            Status::Unknown
        );
        // The words alone, or the phrase stretched over other words, keep their
        // meaning: only the phrase written word for word is the figure of speech.
        assert_eq!(sign_of("I think he is dying"), Status::Present);
        assert_eq!(
            sign_of("I think I'm having a heart attack"),
            Status::Present
        );
        assert_eq!(sign_of("dying, need to know what to do"), Status::Present);
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
    fn a_phrase_negation_does_not_negate_the_next_finding() {
        assert_eq!(
            status_of("I can't walk and my ankle is really swollen", "swelling"),
            Status::Present
        );
    }

    #[test]
    fn gone_is_a_resolution_only_when_it_ends_the_clause() {
        assert_eq!(
            status_of("the swelling has gone", "swelling"),
            Status::Absent
        );
        assert_eq!(
            status_of("the swelling has gone now", "swelling"),
            Status::Absent
        );
        assert_eq!(
            status_of("swollen and it's gone purple", "swelling"),
            Status::Present
        );
    }

    #[test]
    fn an_absent_phrase_beats_a_present_word_inside_it() {
        let (_, analyzer) = setup();
        let fall = vec![concept("fall", &["fell"], &["fell asleep"])];
        let matcher = ConceptMatcher::new(&fall, &analyzer);
        let tokens = analyzer.analyze("I fell asleep on my arm");
        assert_eq!(
            matcher.statuses(&matcher.mentions(&tokens))[0],
            Status::Absent
        );
    }

    #[test]
    fn spanish_articles_and_prepositions_do_not_count_towards_the_gap() {
        let spanish = Analyzer::without_vocabulary_in(crate::text::Language::Spanish);
        let english = Analyzer::without_vocabulary();
        let belly = vec![concept("belly_pain", &["dolor barriga"], &[])];
        let es = ConceptMatcher::new(&belly, &spanish);
        let status = |text: &str| es.statuses(&es.mentions(&spanish.analyze(text)))[0];
        assert_eq!(
            status("dolor en la parte baja de la barriga"),
            Status::Present
        );
        // Content words still count: three of them are too far.
        assert_eq!(status("dolor ayer tarde noche barriga"), Status::Unknown);
        // English has no gap fillers: its phrases were written to the gap.
        let pain = vec![concept("belly_pain", &["pain tummy"], &[])];
        let en = ConceptMatcher::new(&pain, &english);
        let tokens = english.analyze("pain in the lower part of my tummy");
        assert_eq!(en.statuses(&en.mentions(&tokens))[0], Status::Unknown);
    }

    #[test]
    fn a_present_phrase_holding_an_absent_one_says_more() {
        // Spanish negates before the phrase: "no puede caminar" holds the
        // absent "puede caminar" and is not a reassurance.
        let analyzer = Analyzer::without_vocabulary_in(crate::text::Language::Spanish);
        let walking = vec![concept(
            "cannot_walk",
            &["no puede caminar", "no puedo caminar"],
            &["puede caminar", "puedo caminar"],
        )];
        let matcher = ConceptMatcher::new(&walking, &analyzer);
        let status = |text: &str| matcher.statuses(&matcher.mentions(&analyzer.analyze(text)))[0];
        assert_eq!(status("se cayó y no puede caminar"), Status::Present);
        assert_eq!(
            status("me torcí el tobillo pero puedo caminar"),
            Status::Absent
        );
    }

    #[test]
    fn an_absent_phrase_takes_the_word_it_shares_with_an_overlapping_present_one() {
        let (_, analyzer) = setup();
        let waters = vec![concept(
            "waters_broken",
            &["waters went"],
            &["boiling water"],
        )];
        let matcher = ConceptMatcher::new(&waters, &analyzer);
        let status = |text: &str| matcher.statuses(&matcher.mentions(&analyzer.analyze(text)))[0];
        assert_eq!(
            status("boiling water went all down his arm"),
            Status::Absent
        );
        assert_eq!(
            status("I think my waters went an hour ago"),
            Status::Present
        );
    }

    /// ConText-grade context, one class of defect per assertion group.
    #[test]
    fn context_reads_chat_and_clinical_wording() {
        let context = |sentence: &str, target: &str| {
            context_of(sentence, target).unwrap_or_else(|| panic!("{target:?} in {sentence:?}"))
        };
        use Context::*;
        // Pseudo-triggers negate nothing.
        for opening in [
            "not sure why but",
            "idk, no idea what's going on, but",
            "nobody is picking up and",
            "never had this before,",
            "can't explain it but",
            "no reason,",
        ] {
            let sentence = format!("{opening} my chest hurts");
            assert_eq!(context(&sentence, "chest hurts"), Affirmed, "{sentence}");
        }
        // A list closed by "or" carries its negation to every item; a comma alone does not.
        for item in ["fever", "chills", "weight loss"] {
            assert_eq!(
                context("denies fever, chills or weight loss", item),
                Negated,
                "{item}"
            );
        }
        assert_eq!(
            context("no fever, chest pain since this morning", "chest pain"),
            Affirmed
        );
        // "When I was" doing something is the circumstance of a complaint; an
        // age after it dates the finding.
        assert_eq!(
            context(
                "squeezing in my chest when i was shoveling snow",
                "squeezing in my chest"
            ),
            Affirmed
        );
        assert_eq!(
            context("when I was running my knee gave way", "knee gave way"),
            Affirmed
        );
        assert_eq!(
            context("I had asthma when I was a kid", "asthma"),
            Historical
        );
        assert_eq!(
            context("when I was 12 I broke my wrist", "broke my wrist"),
            Historical
        );
        // Persistence is not resolution; resolution still is.
        assert_eq!(
            context(
                "my nose is bleeding and it still hasn't stopped",
                "bleeding"
            ),
            Affirmed
        );
        assert_eq!(
            context("the bleeding never went away", "bleeding"),
            Affirmed
        );
        assert_eq!(context("the bleeding has stopped now", "bleeding"), Negated);
        // A duration before "history of" is the onset of a present complaint.
        assert_eq!(
            context("58 year old woman, 2 hour history of headache", "headache"),
            Affirmed
        );
        assert_eq!(context("3/7 hx of vomiting", "vomiting"), Affirmed);
        assert_eq!(context("history of headache", "headache"), Historical);
        // A dated past is history.
        assert_eq!(
            context("had a heart attack in 2019", "heart attack"),
            Historical
        );
        // A weak question framing gives way to "I have it now"; a strong one does not.
        assert_eq!(
            context("advice for chest pain please, I have it now", "chest pain"),
            Affirmed
        );
        assert_eq!(
            context("what does chest pain mean", "chest pain"),
            Hypothetical
        );
        assert_eq!(
            context("what are the signs of a stroke", "stroke"),
            Hypothetical
        );
        assert_eq!(
            context("what should you do if someone is choking", "choking"),
            Hypothetical
        );
        // A negation before a question or history framing wins.
        assert_eq!(context("no signs of infection", "infection"), Negated);
        assert_eq!(
            context("no history of heart problems", "heart problems"),
            Negated
        );
        // Odd apostrophes and capitals.
        assert_eq!(context("I CAN´T BREATHE", "can not breathe"), Affirmed);
    }

    #[test]
    fn gap_words_do_not_hide_other_concepts() {
        let (_, analyzer) = setup();
        let concepts = vec![
            concept("severe", &["really bad pain"], &[]),
            concept("back_pain", &["back pain"], &[]),
        ];
        let matcher = ConceptMatcher::new(&concepts, &analyzer);
        let tokens = analyzer.analyze("really bad back pain");
        let statuses = matcher.statuses(&matcher.mentions(&tokens));
        // The two concepts, then the built-in pregnancy and health-problem findings.
        assert_eq!(
            statuses,
            [
                Status::Present,
                Status::Present,
                Status::Unknown,
                Status::Unknown
            ]
        );
    }

    #[test]
    fn a_hash_in_a_phrase_matches_any_number() {
        let (_, analyzer) = setup();
        let overdose = vec![concept("overdose", &["taken # tablets"], &[])];
        let matcher = ConceptMatcher::new(&overdose, &analyzer);
        for text in ["I've taken 20 tablets", "she has taken twenty tablets"] {
            let statuses = matcher.statuses(&matcher.mentions(&analyzer.analyze(text)));
            assert_eq!(statuses[0], Status::Present, "{text}");
        }
    }

    #[test]
    fn a_trigger_after_a_finding_belongs_to_the_nearest_finding() {
        let (_, analyzer) = setup();
        let ankle = vec![
            concept("ankle", &["ankle"], &[]),
            concept("swelling", &["swollen"], &[]),
        ];
        let matcher2 = ConceptMatcher::new(&ankle, &analyzer);
        let tokens = analyzer.analyze("my ankle isn't swollen anymore");
        let statuses = matcher2.statuses(&matcher2.mentions(&tokens));
        assert_eq!(statuses[..2], [Status::Present, Status::Absent]);
    }

    #[test]
    fn and_with_a_new_subject_ends_a_negation() {
        assert_eq!(
            status_of(
                "it isn't swollen and I can walk on it",
                "cannot_bear_weight"
            ),
            Status::Absent
        );
        assert_eq!(
            status_of("it isn't swollen and I can walk on it", "swelling"),
            Status::Absent
        );
    }

    #[test]
    fn question_framings_are_hypothetical() {
        for text in [
            "what happens when someone has a stroke",
            "is chest pain always serious",
            "any tips on preventing a fall",
            "what's the difference between chest pain and heartburn",
            "if my kid ever has a fall at school, who do they call",
            "if I ever get chest pain again should I ring you first",
        ] {
            let (matcher, analyzer) = setup();
            let mentions = matcher.mentions(&analyzer.analyze(text));
            assert!(
                mentions
                    .iter()
                    .all(|(_, m)| m.context == Context::Hypothetical),
                "{text}: {mentions:?}"
            );
        }
        assert_eq!(
            status_of("my son fell on his back in the playground", "fall"),
            Status::Present
        );
    }

    #[test]
    fn a_lasting_state_told_in_the_past_is_there_now() {
        let mut transplant = concept("transplant", &["kidney transplant"], &[]);
        transplant.lasting = true;
        let concepts = vec![transplant, concept("stroke", &["stroke"], &[])];
        let analyzer = Analyzer::without_vocabulary();
        let matcher = ConceptMatcher::new(&concepts, &analyzer);
        let status = |text: &str, id: &str| {
            let statuses = matcher.statuses(&matcher.mentions(&analyzer.analyze(text)));
            statuses[matcher.index(id).unwrap()]
        };
        assert_eq!(
            status("I had a kidney transplant in 2019", "transplant"),
            Status::Present
        );
        // Any other finding told in the past is history.
        assert_eq!(status("I had a stroke in 2019", "stroke"), Status::Unknown);
        // Denied or asked about, a lasting state is not there.
        assert_eq!(
            status("I have not had a kidney transplant", "transplant"),
            Status::Absent
        );
        assert_ne!(
            status("what are the risks of a kidney transplant", "transplant"),
            Status::Present
        );
    }

    #[test]
    fn never_denies_unless_the_clause_says_the_finding_is_new() {
        assert_eq!(
            status_of("I have never had chest pain", "chest_pain"),
            Status::Absent
        );
        assert_eq!(status_of("never had a stroke", "stroke"), Status::Absent);
        for text in [
            "never had chest pain like this before",
            "I've never had chest pain this bad",
            "never had chest pain in my life and now it's crushing",
        ] {
            assert_eq!(status_of(text, "chest_pain"), Status::Present, "{text}");
        }
    }

    #[test]
    fn stories_from_films_books_and_the_news_are_not_reports() {
        for text in [
            "that film where the guy has a stroke on a plane was so unrealistic",
            "read in the news about a man who fell off a cliff",
            "in the book the old lady has chest pain and nobody notices",
            "the main character in the book keeps having a stroke, would that happen?",
        ] {
            for concept in ["stroke", "fall", "chest_pain"] {
                assert_ne!(
                    status_of(text, concept),
                    Status::Present,
                    "{text}: {concept}"
                );
            }
        }
        // A story that leads to a report now is a report.
        assert_eq!(
            status_of(
                "saw a stroke on the news and now my chest hurts",
                "chest_pain"
            ),
            Status::Present
        );
        assert_eq!(
            status_of(
                "watching the film on tv, I just fell down the stairs",
                "fall"
            ),
            Status::Present
        );
    }

    #[test]
    fn pregnancy_is_a_built_in_finding() {
        assert_eq!(
            status_of("bleeding in my last pregnancy", PREGNANCY),
            Status::Unknown
        );
        assert_eq!(
            status_of("im 34 weeks and the baby is quiet", PREGNANCY),
            Status::Present
        );
        assert_eq!(
            status_of("I'm 30 weeks pregnant", PREGNANCY),
            Status::Present
        );
        assert_eq!(status_of("I'm not pregnant", PREGNANCY), Status::Absent);
        // The weeks after a birth, and a clinical note's urine test.
        assert_eq!(
            status_of(
                "my sister had her baby 3 days ago and she's not sleeping",
                PREGNANCY
            ),
            Status::Present
        );
        assert_eq!(
            status_of("24F, UPT positive, pain", PREGNANCY),
            Status::Present
        );
    }
}
