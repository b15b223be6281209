//! FAQ matching: an inverted index over the entries' example questions, keywords
//! and answers, scored with BM25 so that rare words ("refill", "portal") weigh
//! more than common ones ("when", "get").
//!
//! Each example question is its own document and an entry scores as its best
//! question, so an entry with twenty phrasings is not diluted by length. Adjacent
//! word pairs are indexed as well, which rewards phrases ("repeat prescription")
//! over scattered words. A query only touches the postings of its own terms: the
//! cost grows with the number of entries sharing its words, not with the size of
//! the knowledge base.

use std::collections::HashMap;

use serde::Serialize;

use crate::knowledge::FaqEntry;
use crate::text::{lexicon, Analyzer, Token};

/// BM25 term-frequency saturation.
const K1: f32 = 1.2;
/// BM25 length normalisation.
const B: f32 = 0.3;
/// How much a matching adjacent word pair adds, relative to a single word.
const BIGRAM_WEIGHT: f32 = 0.5;
/// How much an everyday English word that no entry uses weighs against
/// confidence, relative to an unknown rare word.
const COMMON_UNSEEN_SHARE: f32 = 0.5;
/// How much a general-English synonym of a message word counts.
const SYNONYM_WEIGHT: f32 = 0.5;
/// How much the entry's keywords count next to its best question.
const KEYWORD_WEIGHT: f32 = 0.6;
/// How much the answer text counts: it helps recall, but patients' words match
/// questions far better than answers.
const ANSWER_WEIGHT: f32 = 0.1;

/// Where a document's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Question,
    Keywords,
    Answer,
}

#[derive(Debug)]
struct Document {
    entry: u32,
    field: Field,
    /// Number of terms, for length normalisation.
    length: f32,
}

/// A scored FAQ entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub entry: String,
    pub score: f32,
    /// Share of the message's weight that the entry explains, 0 to 1.
    pub confidence: f32,
}

/// The FAQ entries' inverted index.
#[derive(Debug, Default)]
pub struct FaqIndex {
    entry_ids: Vec<String>,
    terms: HashMap<String, u32>,
    /// Per term: (document, term frequency).
    postings: Vec<Vec<(u32, u16)>>,
    /// Per term: inverse document frequency over entries.
    idf: Vec<f32>,
    documents: Vec<Document>,
    /// Average length per field.
    average_length: [f32; 3],
    /// Weight of a word the index has never seen: as rare as the rarest word.
    unseen_idf: f32,
}

fn is_stopword(word: &str) -> bool {
    lexicon::STOPWORDS.contains(&word)
}

/// An answer template without its `{placeholders}` and web addresses.
fn without_placeholders(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut depth = 0;
    for c in template.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth = (depth - 1).max(0),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace()
        .filter(|word| !word.contains("://") && !word.starts_with("www."))
        .collect::<Vec<_>>()
        .join(" ")
}

/// How a query term counts.
#[derive(Debug, Clone, Copy, PartialEq)]
enum TermRole {
    /// A word of the message: weighs fully and counts towards confidence.
    Word,
    /// An adjacent pair: rewards phrases, but a message is not less understood
    /// without them.
    Phrase,
    /// Two adjacent words written as one ("web site" → "website"): used only when
    /// the joined word is itself a word of some entry.
    Joined,
    /// A general-English synonym of a word of the message.
    Synonym,
}

/// The index terms of a token sequence: content stems, adjacent stem pairs
/// ("repeat prescript"), and the two words joined as one ("health care" →
/// "healthcar"), so a compound the patient split still meets the entry's word.
/// Numbers are left out: in a question about the practice, "3" or "123-45-6789"
/// says nothing about the topic, and would only dilute the confidence.
fn terms(tokens: &[Token], analyzer: &Analyzer) -> Vec<(String, TermRole)> {
    let content: Vec<&Token> = tokens
        .iter()
        .filter(|t| !is_stopword(&t.word) && t.number().is_none())
        .collect();
    let mut terms: Vec<(String, TermRole)> = content
        .iter()
        .map(|t| (t.stem.clone(), TermRole::Word))
        .collect();
    for pair in content.windows(2) {
        if pair[0].clause == pair[1].clause {
            terms.push((
                format!("{} {}", pair[0].stem, pair[1].stem),
                TermRole::Phrase,
            ));
            let joined = format!("{}{}", pair[0].word, pair[1].word);
            terms.push((analyzer.stem(&joined), TermRole::Joined));
        }
    }
    terms
}

/// Orders a term's roles so that, for the same term, the strongest is kept.
fn role_rank(role: TermRole) -> u8 {
    match role {
        TermRole::Word => 0,
        TermRole::Joined => 1,
        TermRole::Phrase => 2,
        TermRole::Synonym => 3,
    }
}

fn field_index(field: Field) -> usize {
    match field {
        Field::Question => 0,
        Field::Keywords => 1,
        Field::Answer => 2,
    }
}

impl FaqIndex {
    pub fn new(entries: &[FaqEntry], analyzer: &Analyzer) -> FaqIndex {
        let mut index = FaqIndex {
            entry_ids: entries.iter().map(|e| e.id.clone()).collect(),
            ..FaqIndex::default()
        };
        let mut entry_sets: Vec<std::collections::HashSet<u32>> = Vec::new();
        let mut lengths = [0f32; 3];
        let mut counts = [0f32; 3];
        for (entry_number, entry) in entries.iter().enumerate() {
            let mut texts: Vec<(Field, String)> = entry
                .questions
                .iter()
                .map(|q| (Field::Question, q.clone()))
                .collect();
            texts.push((Field::Question, entry.title.clone()));
            if !entry.keywords.is_empty() {
                texts.push((Field::Keywords, entry.keywords.join(", ")));
            }
            texts.push((Field::Answer, without_placeholders(&entry.answer_template)));
            for (field, text) in texts {
                let document_terms: Vec<String> = terms(&analyzer.analyze_exact(&text), analyzer)
                    .into_iter()
                    .filter(|(_, role)| *role != TermRole::Joined)
                    .map(|(term, _)| term)
                    .collect();
                if document_terms.is_empty() {
                    continue;
                }
                let document = index.documents.len() as u32;
                let mut frequencies: HashMap<&str, u16> = HashMap::new();
                for term in &document_terms {
                    *frequencies.entry(term).or_default() += 1;
                }
                for (term, frequency) in frequencies {
                    let next_id = index.terms.len() as u32;
                    let term_id = *index.terms.entry(term.to_string()).or_insert(next_id);
                    if term_id as usize == index.postings.len() {
                        index.postings.push(Vec::new());
                        entry_sets.push(Default::default());
                    }
                    index.postings[term_id as usize].push((document, frequency));
                    entry_sets[term_id as usize].insert(entry_number as u32);
                }
                let length = document_terms.len() as f32;
                lengths[field_index(field)] += length;
                counts[field_index(field)] += 1.0;
                index.documents.push(Document {
                    entry: entry_number as u32,
                    field,
                    length,
                });
            }
        }
        for field in 0..3 {
            index.average_length[field] = if counts[field] > 0.0 {
                lengths[field] / counts[field]
            } else {
                1.0
            };
        }
        let total = entries.len().max(1) as f32;
        let idf = |df: f32| (1.0 + (total - df + 0.5) / (df + 0.5)).ln();
        index.idf = entry_sets.iter().map(|set| idf(set.len() as f32)).collect();
        index.unseen_idf = idf(0.0);
        index
    }

    /// The best entries for `tokens`, best first (at most `limit`).
    pub fn rank(&self, tokens: &[Token], analyzer: &Analyzer, limit: usize) -> Vec<Candidate> {
        let mut query = terms(tokens, analyzer);
        let words: Vec<String> = query
            .iter()
            .filter(|(_, role)| *role == TermRole::Word)
            .map(|(term, _)| term.clone())
            .collect();
        // A synonym stands in only for a word the knowledge base never uses: where
        // the patient's own word matches, the practice's wording decides.
        for word in words.iter().filter(|word| !self.terms.contains_key(*word)) {
            for synonym in analyzer.synonyms(word) {
                if !words.contains(synonym) {
                    query.push((synonym.clone(), TermRole::Synonym));
                }
            }
        }
        query.sort_by(|a, b| a.0.cmp(&b.0).then(role_rank(a.1).cmp(&role_rank(b.1))));
        query.dedup_by(|later, earlier| later.0 == earlier.0);
        // The most a perfect match could score: every query word found once in a
        // question of average length.
        let mut possible = 0f32;
        let mut scores: HashMap<u32, [f32; 3]> = HashMap::new();
        let mut best_question: HashMap<u32, f32> = HashMap::new();
        // A word no entry uses lowers confidence: the message may be about
        // something the knowledge base doesn't cover. An everyday English word
        // ("pop", "usual") says less about that than a rare one ("passport").
        for token in tokens
            .iter()
            .filter(|t| !is_stopword(&t.word) && t.number().is_none())
        {
            if !self.terms.contains_key(&token.stem) {
                possible += if analyzer.is_common_word(&token.word) {
                    COMMON_UNSEEN_SHARE * self.unseen_idf
                } else {
                    self.unseen_idf
                };
            }
        }
        for (term, role) in &query {
            let Some(&term_id) = self.terms.get(term) else {
                continue;
            };
            if *role == TermRole::Joined && term.contains(' ') {
                continue;
            }
            let idf = self.idf[term_id as usize];
            let weight = match role {
                TermRole::Word | TermRole::Joined => 1.0,
                TermRole::Phrase => BIGRAM_WEIGHT,
                TermRole::Synonym => SYNONYM_WEIGHT,
            };
            if *role == TermRole::Word {
                possible += idf;
            }
            for &(document, frequency) in &self.postings[term_id as usize] {
                let document_info = &self.documents[document as usize];
                let field = field_index(document_info.field);
                let tf = f32::from(frequency);
                let norm = 1.0 - B + B * document_info.length / self.average_length[field];
                let contribution = weight * idf * tf * (K1 + 1.0) / (tf + K1 * norm);
                match document_info.field {
                    Field::Question => {
                        *best_question.entry(document).or_default() += contribution;
                    }
                    _ => scores.entry(document_info.entry).or_default()[field] += contribution,
                }
            }
        }
        for (document, score) in best_question {
            let entry = self.documents[document as usize].entry;
            let slot = &mut scores.entry(entry).or_default()[0];
            *slot = slot.max(score);
        }
        let mut candidates: Vec<Candidate> = scores
            .into_iter()
            .map(|(entry, [question, keywords, answer])| {
                let score = question + KEYWORD_WEIGHT * keywords + ANSWER_WEIGHT * answer;
                let confidence = if possible > 0.0 {
                    (score / possible).min(1.0)
                } else {
                    0.0
                };
                Candidate {
                    entry: self.entry_ids[entry as usize].clone(),
                    score,
                    confidence,
                }
            })
            .collect();
        candidates.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.entry.cmp(&b.entry))
        });
        candidates.truncate(limit);
        candidates
    }
}

/// What the FAQ stage concluded from the ranking.
#[derive(Debug, Clone, PartialEq)]
pub enum FaqOutcome {
    /// Confident and clearly ahead: answer with this entry.
    Answer(String),
    /// A few entries too close to call: offer them, best first.
    Choices(Vec<String>),
    /// Nothing good enough.
    NoMatch,
}

/// Thresholds for turning a ranking into an outcome.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// Confidence needed to answer outright.
    pub answer: f32,
    /// Confidence needed to be offered as a choice.
    pub choice: f32,
    /// The runner-up must score below this share of the winner for an outright
    /// answer; above it, both are offered.
    pub margin: f32,
    /// Confidence enough to answer when the runner-up scores below
    /// `clear_winner_margin` of the winner.
    pub clear_winner_answer: f32,
    pub clear_winner_margin: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            answer: 0.45,
            choice: 0.3,
            margin: 0.8,
            clear_winner_answer: 0.3,
            clear_winner_margin: 0.6,
        }
    }
}

/// Decides between answering, offering choices and admitting defeat.
pub fn decide(candidates: &[Candidate], thresholds: Thresholds) -> FaqOutcome {
    let Some(top) = candidates.first() else {
        return FaqOutcome::NoMatch;
    };
    let close: Vec<&Candidate> = candidates
        .iter()
        .skip(1)
        .take(2)
        .filter(|c| c.score >= thresholds.margin * top.score && c.confidence >= thresholds.choice)
        .collect();
    if top.confidence >= thresholds.answer && close.is_empty() {
        return FaqOutcome::Answer(top.entry.clone());
    }
    // A clear winner may answer with less confidence: nothing else comes close.
    let runner_up = candidates.get(1).map_or(0.0, |c| c.score);
    if top.confidence >= thresholds.clear_winner_answer
        && runner_up < thresholds.clear_winner_margin * top.score
    {
        return FaqOutcome::Answer(top.entry.clone());
    }
    if top.confidence >= thresholds.choice && !close.is_empty() {
        let mut choices = vec![top.entry.clone()];
        choices.extend(close.iter().map(|c| c.entry.clone()));
        return FaqOutcome::Choices(choices);
    }
    FaqOutcome::NoMatch
}
