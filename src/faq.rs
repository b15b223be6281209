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
use crate::text::{Analyzer, Token};

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

/// One document that contains a term, with what scoring needs from it, so that
/// the hot loop in [`FaqIndex::rank`] reads postings in sequence instead of
/// looking up every document.
#[derive(Debug, Clone, Copy)]
struct Posting {
    document: u32,
    entry: u32,
    /// The term's frequency in the document.
    tf: f32,
    /// `K1 * norm`, the document's BM25 length normalisation, computed once with
    /// the very expression that used to be evaluated per posting.
    k1_norm: f32,
}

/// A term's postings by field: question documents are summed per document (an
/// entry scores as its best question), keywords and answers per entry; apart,
/// each loop is free of branches on the field.
#[derive(Debug, Default)]
struct TermPostings {
    questions: Vec<Posting>,
    keywords: Vec<Posting>,
    answers: Vec<Posting>,
}

/// The FAQ entries' inverted index.
#[derive(Debug, Default)]
pub struct FaqIndex {
    entry_ids: Vec<String>,
    /// Each entry's position when sorted by id: ties in score are broken by id,
    /// and comparing positions is cheaper than comparing strings.
    id_order: Vec<u32>,
    /// Entry id → entry number, for looking entries up by a candidate's id.
    entry_numbers: HashMap<String, u32>,
    terms: HashMap<String, u32>,
    /// Per term: the documents that contain it, in document order.
    postings: Vec<TermPostings>,
    /// Per term: inverse document frequency over entries.
    idf: Vec<f32>,
    documents: Vec<Document>,
    /// Average length per field.
    average_length: [f32; 3],
    /// Weight of a word the index has never seen: as rare as the rarest word.
    unseen_idf: f32,
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

/// The index terms of a token sequence's [`content_tokens`]: their stems,
/// adjacent stem pairs ("repeat prescript"), and the two words joined as one
/// ("health care" → "healthcar"), so a compound the patient split still meets
/// the entry's word. A joined word's stem never contains a space (words have
/// none), so it cannot be mistaken for a pair.
///
/// Joined words are only looked up, never indexed, so the index leaves them out
/// (`joined` false): stemming every joined pair of a 10,000-entry knowledge base
/// only to drop it was a good part of building the index.
fn terms(content: &[&Token], analyzer: &Analyzer, joined: bool) -> Vec<(String, TermRole)> {
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
            if joined {
                let joined = format!("{}{}", pair[0].word, pair[1].word);
                terms.push((analyzer.stem(&joined), TermRole::Joined));
            }
        }
    }
    terms
}

/// The tokens that can be index terms, for [`terms`]. Numbers are left out: in a
/// question about the practice, "3" or "123-45-6789" says nothing about the
/// topic, and would only dilute the confidence. [`FaqIndex::rank`] also counts
/// the unseen ones among these, so it picks them out once for both.
fn content_tokens<'a>(tokens: &'a [Token], analyzer: &Analyzer) -> Vec<&'a Token> {
    let lexicon = analyzer.lexicon();
    tokens
        .iter()
        .filter(|t| !lexicon.is_stopword(&t.word) && t.number().is_none())
        .collect()
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
        let mut by_id: Vec<u32> = (0..entries.len() as u32).collect();
        by_id.sort_by(|&a, &b| entries[a as usize].id.cmp(&entries[b as usize].id));
        index.id_order = vec![0; entries.len()];
        for (position, &entry) in by_id.iter().enumerate() {
            index.id_order[entry as usize] = position as u32;
        }
        index.entry_numbers = (0..entries.len() as u32)
            .map(|entry| (entries[entry as usize].id.clone(), entry))
            .collect();
        // Per term: how many entries contain it, and the last entry counted.
        // Entries are indexed in order, so this counts each entry once, as a set
        // of entries per term would, without building the sets.
        let mut entry_counts: Vec<(u32, u32)> = Vec::new();
        // Per term: (document, frequency), until the average lengths are known.
        let mut raw_postings: Vec<Vec<(u32, u16)>> = Vec::new();
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
                let tokens = analyzer.analyze_exact(&text);
                let document_terms: Vec<String> =
                    terms(&content_tokens(&tokens, analyzer), analyzer, false)
                        .into_iter()
                        .map(|(term, _)| term)
                        .collect();
                if document_terms.is_empty() {
                    continue;
                }
                let document = index.documents.len() as u32;
                // Each distinct term with its frequency: sorted, equal terms are
                // neighbours (cheaper than a map for a document's few terms).
                let mut sorted: Vec<&str> = document_terms.iter().map(String::as_str).collect();
                sorted.sort_unstable();
                for run in sorted.chunk_by(|a, b| a == b) {
                    let (term, frequency) = (run[0], run.len() as u16);
                    let term_id = match index.terms.get(term) {
                        Some(&id) => id,
                        None => {
                            let id = index.terms.len() as u32;
                            index.terms.insert(term.to_string(), id);
                            id
                        }
                    };
                    if term_id as usize == raw_postings.len() {
                        raw_postings.push(Vec::new());
                        entry_counts.push((0, u32::MAX));
                    }
                    raw_postings[term_id as usize].push((document, frequency));
                    let (count, last_entry) = &mut entry_counts[term_id as usize];
                    if *last_entry != entry_number as u32 {
                        *count += 1;
                        *last_entry = entry_number as u32;
                    }
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
        index.postings = raw_postings
            .into_iter()
            .map(|documents| {
                let mut postings = TermPostings::default();
                for (document, frequency) in documents {
                    let info = &index.documents[document as usize];
                    let norm =
                        1.0 - B + B * info.length / index.average_length[field_index(info.field)];
                    let posting = Posting {
                        document,
                        entry: info.entry,
                        tf: f32::from(frequency),
                        k1_norm: K1 * norm,
                    };
                    match info.field {
                        Field::Question => postings.questions.push(posting),
                        Field::Keywords => postings.keywords.push(posting),
                        Field::Answer => postings.answers.push(posting),
                    }
                }
                postings
            })
            .collect();
        let total = entries.len().max(1) as f32;
        let idf = |df: f32| (1.0 + (total - df + 0.5) / (df + 0.5)).ln();
        index.idf = entry_counts
            .iter()
            .map(|&(count, _)| idf(count as f32))
            .collect();
        index.unseen_idf = idf(0.0);
        index
    }

    /// The number of entry `id` (its position in the knowledge base's FAQ list).
    pub fn entry_number(&self, id: &str) -> Option<usize> {
        self.entry_numbers.get(id).map(|&number| number as usize)
    }

    /// The best entries for `tokens`, best first (at most `limit`).
    pub fn rank(&self, tokens: &[Token], analyzer: &Analyzer, limit: usize) -> Vec<Candidate> {
        let content = content_tokens(tokens, analyzer);
        let mut query = terms(&content, analyzer, true);
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
        // A word no entry uses lowers confidence: the message may be about
        // something the knowledge base doesn't cover. An everyday English word
        // ("pop", "usual") says less about that than a rare one ("passport").
        let mut unseen = 0f32;
        for token in &content {
            if !self.terms.contains_key(&token.stem) {
                unseen += if analyzer.is_common_word(&token.word) {
                    COMMON_UNSEEN_SHARE * self.unseen_idf
                } else {
                    self.unseen_idf
                };
            }
        }
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => self.score(&query, limit, unseen, &mut scratch),
            // Only reachable if scoring ever re-entered itself on this thread.
            Err(_) => self.score(&query, limit, unseen, &mut Scratch::default()),
        })
    }

    /// Scores the entries that share a term with `query` and returns the best.
    ///
    /// Performance: this is the engine's hot loop at health-system scale (10,000
    /// entries), where a common query word has thousands of postings and a third
    /// of the entries share some word with a message. The sums go into dense
    /// per-document and per-entry arrays that live in a per-thread [`Scratch`]:
    /// no hashing, allocation or unpredictable branch per posting. Only the best
    /// `limit` entries are kept in order and given a `Candidate` (with its id
    /// cloned). Terms and postings are added in the same order as always, so
    /// every score is the same float, bit for bit.
    fn score(
        &self,
        query: &[(String, TermRole)],
        limit: usize,
        unseen: f32,
        scratch: &mut Scratch,
    ) -> Vec<Candidate> {
        scratch.prepare(self.documents.len(), self.entry_ids.len());
        // The most a perfect match could score: every query word found once in a
        // question of average length (words no entry uses count as `unseen`).
        let mut possible = unseen;
        for (term, role) in query {
            let Some(&term_id) = self.terms.get(term) else {
                continue;
            };
            let idf = self.idf[term_id as usize];
            let weight = match role {
                TermRole::Word | TermRole::Joined => 1.0,
                TermRole::Phrase => BIGRAM_WEIGHT,
                TermRole::Synonym => SYNONYM_WEIGHT,
            };
            if *role == TermRole::Word {
                possible += idf;
            }
            let postings = &self.postings[term_id as usize];
            for posting in &postings.questions {
                let tf = posting.tf;
                let contribution = weight * idf * tf * (K1 + 1.0) / (tf + posting.k1_norm);
                scratch.add_question(posting.document, posting.entry, contribution);
            }
            for (postings, field) in [(&postings.keywords, 0), (&postings.answers, 1)] {
                for posting in postings {
                    let tf = posting.tf;
                    let contribution = weight * idf * tf * (K1 + 1.0) / (tf + posting.k1_norm);
                    scratch.fields[posting.entry as usize][field] += contribution;
                    scratch.touch_entry(posting.entry);
                }
            }
        }
        // Best score first, ties by entry id: a total order, since ids are unique.
        // Keeping the best `limit` in order while scanning gives exactly the head
        // of the fully sorted list, without sorting thousands of entries.
        let order = |a: &(u32, f32), b: &(u32, f32)| {
            b.1.total_cmp(&a.1)
                .then_with(|| self.id_order[a.0 as usize].cmp(&self.id_order[b.0 as usize]))
        };
        let mut ranked: Vec<(u32, f32)> = Vec::with_capacity(limit + 1);
        let Scratch {
            best_question,
            fields,
            entry_touched,
            touched_entries,
            ..
        } = scratch;
        // The touched entries, listed without a branch per entry (a third of them
        // are touched at 10,000 entries, in no predictable pattern).
        let entries = self.entry_ids.len();
        touched_entries.resize(entries, 0);
        let mut count = 0;
        for (number, flag) in entry_touched[..entries].iter_mut().enumerate() {
            touched_entries[count] = number as u32;
            count += usize::from(std::mem::take(flag));
        }
        // One pass over the touched entries scores them and zeroes their sums.
        for &entry in &touched_entries[..count] {
            let number = entry as usize;
            // An entry scores as its best question.
            let question = std::mem::take(&mut best_question[number]);
            let [keywords, answer] = std::mem::take(&mut fields[number]);
            let score = question + KEYWORD_WEIGHT * keywords + ANSWER_WEIGHT * answer;
            let candidate = (entry, score);
            if ranked.len() == limit
                && ranked
                    .last()
                    .is_none_or(|worst| order(&candidate, worst) != std::cmp::Ordering::Less)
            {
                continue;
            }
            let at =
                ranked.partition_point(|kept| order(kept, &candidate) == std::cmp::Ordering::Less);
            ranked.insert(at, candidate);
            ranked.truncate(limit);
        }
        ranked
            .into_iter()
            .map(|(entry, score)| {
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
            .collect()
    }
}

thread_local! {
    /// Each thread's accumulators for [`FaqIndex::score`], kept between messages.
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// Score accumulators, dense by document and entry, ready for each query
/// without clearing: shared by every index a thread uses (they grow to the
/// largest).
#[derive(Debug, Default)]
struct Scratch {
    /// Which query this is; question sums tagged with another are stale (0).
    /// Tagging saves zeroing every touched document after each query.
    generation: u32,
    /// Per question document: (generation, sum of its term contributions).
    question: Vec<(u32, f32)>,
    /// Per entry: its best question's sum so far. Sums only grow, so the best
    /// running sum is the best final sum, without scanning the entry's
    /// questions afterwards (a scan whose varying length kept mispredicting).
    best_question: Vec<f32>,
    /// Per entry: keyword and answer scores.
    fields: Vec<[f32; 2]>,
    /// Per entry: whether any term reached it. Marking is a plain store, with
    /// no branch in the posting loop.
    entry_touched: Vec<bool>,
    /// The touched entries' numbers, listed after the postings are added.
    touched_entries: Vec<u32>,
}

impl Scratch {
    /// Sizes the accumulators and starts a new query.
    fn prepare(&mut self, documents: usize, entries: usize) {
        if self.question.len() < documents {
            self.question.resize(documents, (0, 0.0));
        }
        if self.fields.len() < entries {
            self.best_question.resize(entries, 0.0);
            self.fields.resize(entries, [0.0; 2]);
            self.entry_touched.resize(entries, false);
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // After 2^32 queries, old tags could look current: clear them.
            self.question.fill((0, 0.0));
            self.generation = 1;
        }
    }

    fn add_question(&mut self, document: u32, entry: u32, contribution: f32) {
        let (generation, sum) = &mut self.question[document as usize];
        // The sum if it is this query's, else 0: a select on the bits rather
        // than a branch, which mispredicted on every first touch of a document.
        let current = u32::from(*generation == self.generation).wrapping_neg();
        let before = f32::from_bits(sum.to_bits() & current);
        *generation = self.generation;
        *sum = before + contribution;
        let best = &mut self.best_question[entry as usize];
        *best = best.max(*sum);
        self.entry_touched[entry as usize] = true;
    }

    fn touch_entry(&mut self, entry: u32) {
        self.entry_touched[entry as usize] = true;
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
