//! The FAQ's semantic layer: re-ranks the FAQ entries by meaning when the
//! lexical ranking (`faq.rs`) is not sure, so that "how do I know if I have
//! covid" finds "What are the symptoms?" without a shared word.
//!
//! Each entry's example questions and title are embedded with the sentence
//! encoder ([`crate::semantic::Encoder`]), and its title with its answer as one
//! more text. An entry's hybrid score for a message is
//!
//! > best question cosine + answer cosine + 0.3 × lexical confidence
//!
//! (weights chosen on `benchmarks/covidfaq` and on the development blind sets'
//! practical questions; see the README). The entry is answered outright only
//! when its score is at least 1.0 and 0.2 ahead of the next, or when the
//! lexical ranking would answer the very entry the hybrid ranking puts first;
//! the entries within 0.2 of a top score of at least 0.8 (two or three) are
//! offered as choices; anything less is an honest "I don't know". Precision
//! before coverage: a wrong confident answer misleads a patient more than a
//! list of choices.
//!
//! Embeddings are computed the first time the layer is needed, not at load, and
//! kept for the life of the process by the SHA-256 of model and text, so a
//! knowledge reload embeds only what changed. They are also kept on disk
//! between processes, in `$CAREBOT_CACHE_DIR`, else `$XDG_CACHE_HOME/carebot`,
//! else `~/.cache/carebot` (`faq-embeddings.bin`): embedding the shipped
//! knowledge base takes seconds, reading it back milliseconds. Only the
//! knowledge base's own texts are cached; a patient's message is embedded and
//! forgotten. The file is a cache: anything wrong with it and it is rebuilt.
//! A bank with more than [`BACKGROUND_ABOVE`] texts still to embed is embedded
//! on a thread of its own (see `Engine`), the words ranking alone meanwhile.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::faq::{Candidate, FaqOutcome};
use crate::knowledge::FaqEntry;
use crate::semantic::{dot, Encoder};

/// How much the cosine with the entry's title and answer adds: as much as the
/// questions, since a bank imported with one question per entry says most of
/// what an entry is about in its answer.
const ANSWER_WEIGHT: f32 = 1.0;
/// How much the lexical ranking's confidence adds.
const LEXICAL_WEIGHT: f32 = 0.3;
/// Hybrid score needed to answer outright.
const ANSWER_SCORE: f32 = 1.0;
/// How far ahead of the runner-up an outright answer must be.
const ANSWER_MARGIN: f32 = 0.2;
/// Hybrid score needed to be offered among choices.
const CHOICE_SCORE: f32 = 0.8;
/// How many choices at most.
const MAX_CHOICES: usize = 3;
/// Names the encoder the cached vectors came from: a different model must
/// not read them.
const MODEL_ID: &str = "all-MiniLM-L6-v2 q8, 128 tokens\n";

/// The lexical ranking decides alone when it is this sure: top confidence at
/// least this, and the runner-up's score below [`SURE_RUNNER_UP`] of the top's.
/// On the development sets' practical questions every such answer was right
/// (37% of them), so the common questions stay on the fast path.
const SURE_CONFIDENCE: f32 = 0.9;
const SURE_RUNNER_UP: f32 = 0.7;

/// Whether the lexical ranking is sure enough to skip the encoder.
pub fn lexically_sure(candidates: &[Candidate]) -> bool {
    let Some(top) = candidates.first() else {
        return false;
    };
    let runner_up = candidates.get(1).map_or(0.0, |c| c.score);
    top.confidence >= SURE_CONFIDENCE && runner_up < SURE_RUNNER_UP * top.score
}

type Digest = [u8; 32];

/// The most vectors the disk cache keeps (about 75 MB): the current knowledge
/// base's come first, then others until the cap.
const DISK_CACHE_MAX: usize = 50_000;
const DISK_MAGIC: &[u8; 8] = b"CBFAQE01";

/// Every knowledge-base text embedded in this process (or read from the disk
/// cache), by digest: shared by every engine.
fn cache() -> &'static Mutex<HashMap<Digest, Arc<[f32]>>> {
    static CACHE: OnceLock<Mutex<HashMap<Digest, Arc<[f32]>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(disk_cache_path().map(read_disk_cache).unwrap_or_default()))
}

fn digest(text: &str) -> Digest {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    context.update(MODEL_ID.as_bytes());
    context.update(text.as_bytes());
    let hash = context.finish();
    hash.as_ref().try_into().expect("SHA-256 is 32 bytes")
}

/// Where embeddings are kept between processes, if anywhere.
pub fn disk_cache_path() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("CAREBOT_CACHE_DIR")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME").map(|d| std::path::PathBuf::from(d).join("carebot"))
        })
        .or_else(|| {
            std::env::var_os("HOME").map(|d| std::path::PathBuf::from(d).join(".cache/carebot"))
        })?;
    Some(dir.join("faq-embeddings.bin"))
}

fn read_disk_cache(path: std::path::PathBuf) -> HashMap<Digest, Arc<[f32]>> {
    let dims = Encoder::builtin().dims();
    let mut out = HashMap::new();
    let Ok(bytes) = std::fs::read(&path) else {
        return out;
    };
    let record = 32 + 4 * dims;
    let header = DISK_MAGIC.len() + 4;
    let valid = bytes.len() >= header
        && &bytes[..DISK_MAGIC.len()] == DISK_MAGIC
        && bytes[DISK_MAGIC.len()..header] == (dims as u32).to_le_bytes()
        && (bytes.len() - header).is_multiple_of(record);
    if !valid {
        tracing::warn!(path = %path.display(), "the FAQ embedding cache is unreadable; it will be rebuilt");
        return out;
    }
    for chunk in bytes[header..].chunks_exact(record) {
        let key: Digest = chunk[..32].try_into().expect("32 bytes");
        let vector: Arc<[f32]> = chunk[32..]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        out.insert(key, vector);
    }
    out
}

/// Rewrites the disk cache (a new file renamed over the old, so a reader
/// never sees half of it): `first` before anything else the cache holds.
fn write_disk_cache(first: &[Digest], cache: &HashMap<Digest, Arc<[f32]>>) {
    if let Some(path) = disk_cache_path() {
        if let Err(error) = write_disk_cache_at(&path, first, cache) {
            tracing::debug!(path = %path.display(), %error, "the FAQ embedding cache was not written");
        }
    }
}

fn write_disk_cache_at(
    path: &std::path::Path,
    first: &[Digest],
    cache: &HashMap<Digest, Arc<[f32]>>,
) -> std::io::Result<()> {
    let dims = Encoder::builtin().dims();
    let mut bytes = DISK_MAGIC.to_vec();
    bytes.extend_from_slice(&(dims as u32).to_le_bytes());
    let mut written = std::collections::HashSet::new();
    let others = cache.keys();
    for key in first.iter().chain(others) {
        if written.len() >= DISK_CACHE_MAX || !written.insert(*key) {
            continue;
        }
        if let Some(vector) = cache.get(key) {
            bytes.extend_from_slice(key);
            vector
                .iter()
                .for_each(|v| bytes.extend_from_slice(&v.to_le_bytes()));
        }
    }
    let dir = path.parent().expect("the cache file is in a folder");
    std::fs::create_dir_all(dir)?;
    // Named by process: two processes may rewrite the cache at once (within
    // one, the cache's lock is held while it is written).
    let temporary = dir.join(format!("faq-embeddings.{}.tmp", std::process::id()));
    std::fs::write(&temporary, &bytes)?;
    std::fs::rename(&temporary, path)
}

/// The vectors of `texts`, from the cache or embedded now; the disk cache is
/// rewritten when anything new was embedded.
pub(crate) fn embed_all(encoder: &Encoder, texts: &[&str]) -> Vec<Arc<[f32]>> {
    let keys: Vec<Digest> = texts.iter().map(|t| digest(t)).collect();
    let missing: Vec<usize> = {
        let cache = cache().lock().expect("cache lock");
        (0..texts.len())
            .filter(|&i| !cache.contains_key(&keys[i]))
            .collect()
    };
    // Embedded without the lock held: another engine may embed meanwhile.
    let fresh: Vec<(Digest, Arc<[f32]>)> = embed_on_every_core(encoder, texts, &missing)
        .into_iter()
        .zip(&missing)
        .map(|(vector, &i)| (keys[i], vector))
        .collect();
    let mut cache = cache().lock().expect("cache lock");
    let added = !fresh.is_empty();
    cache.extend(fresh);
    if added {
        write_disk_cache(&keys, &cache);
    }
    keys.iter().map(|k| cache[k].clone()).collect()
}

/// The vectors of `texts[i]` for each `i` of `which`, in that order, embedded
/// on every core: each text is independent of the others, and a knowledge
/// base's thousands are embedded once, the first time (a fresh machine's
/// first question, a large bank's import), when waiting matters most.
fn embed_on_every_core(encoder: &Encoder, texts: &[&str], which: &[usize]) -> Vec<Arc<[f32]>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Below a few dozen texts a thread costs more than it saves.
    let threads = cores.min(which.len() / 32).max(1);
    if threads == 1 {
        return which
            .iter()
            .map(|&i| encoder.embed(texts[i]).into())
            .collect();
    }
    let chunk = which.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = which
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|&i| Arc::<[f32]>::from(encoder.embed(texts[i])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("embedding never panics"))
            .collect()
    })
}

/// Above this many texts still to embed (about 30 s of one core), a knowledge
/// base's embeddings are computed on a thread of their own while the FAQ is
/// ranked by words alone: a practice that imports a bank of thousands of
/// entries is not kept waiting on its first question. Below it they are
/// computed when first needed, so replies do not depend on timing.
pub const BACKGROUND_ABOVE: usize = 3_000;

/// The texts [`SemanticFaq::new`] embeds for `entries`, in its order: every
/// entry's questions and title, then every entry's title and answer.
fn entry_texts(entries: &[FaqEntry]) -> (Vec<String>, Vec<u32>) {
    let mut texts = Vec::new();
    let mut question_entry = Vec::new();
    for (number, entry) in entries.iter().enumerate() {
        for text in entry.questions.iter().chain([&entry.title]) {
            texts.push(text.clone());
            question_entry.push(number as u32);
        }
    }
    texts.extend(entries.iter().map(|e| format!("{}. {}", e.title, e.answer)));
    (texts, question_entry)
}

/// How many of `entries`' texts are in no cache yet (what building the
/// layer would have to embed).
pub fn missing_embeddings(entries: &[FaqEntry]) -> usize {
    let (texts, _) = entry_texts(entries);
    missing(texts.iter().map(String::as_str))
}

/// How many of `texts` are in no cache yet, each counted once (the two nets
/// share most of their texts, and one embedding serves both).
pub(crate) fn missing<'a>(texts: impl IntoIterator<Item = &'a str>) -> usize {
    let cache = cache().lock().expect("cache lock");
    texts
        .into_iter()
        .map(digest)
        .filter(|key| !cache.contains_key(key))
        .collect::<std::collections::HashSet<_>>()
        .len()
}

/// The knowledge base's FAQ entries as vectors.
pub struct SemanticFaq {
    encoder: &'static Encoder,
    /// One vector per example question or title.
    questions: Vec<Arc<[f32]>>,
    /// The entry (index into the knowledge base's FAQ list) of each row.
    question_entry: Vec<u32>,
    /// One vector per entry: its title and answer.
    answers: Vec<Arc<[f32]>>,
    ids: Vec<String>,
    /// Entry id → index, to add the lexical ranking's few candidates.
    index: HashMap<String, usize>,
}

impl std::fmt::Debug for SemanticFaq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SemanticFaq")
            .field("entries", &self.ids.len())
            .field("questions", &self.question_entry.len())
            .finish_non_exhaustive()
    }
}

impl SemanticFaq {
    /// Embeds every entry's questions, title and answer (the built-in
    /// encoder, cached by text).
    pub fn new(entries: &[FaqEntry]) -> SemanticFaq {
        let encoder = Encoder::builtin();
        let (texts, question_entry) = entry_texts(entries);
        let borrowed: Vec<&str> = texts.iter().map(String::as_str).collect();
        let mut vectors = embed_all(encoder, &borrowed);
        let answers = vectors.split_off(question_entry.len());
        SemanticFaq {
            encoder,
            questions: vectors,
            question_entry,
            answers,
            ids: entries.iter().map(|e| e.id.clone()).collect(),
            index: entries
                .iter()
                .enumerate()
                .map(|(number, e)| (e.id.clone(), number))
                .collect(),
        }
    }

    /// Every entry ranked by hybrid score for `text`, best first, `limit` at
    /// most; `lexical` is the lexical ranking of the same text.
    pub fn rank(&self, text: &str, lexical: &[Candidate], limit: usize) -> Vec<Candidate> {
        self.rank_embedded(&self.encoder.embed(text), lexical, limit)
    }

    /// [`SemanticFaq::rank`] for a text already embedded by the built-in
    /// encoder (`query`), which the triage nets may have needed too.
    pub fn rank_embedded(
        &self,
        query: &[f32],
        lexical: &[Candidate],
        limit: usize,
    ) -> Vec<Candidate> {
        let mut scores = vec![f32::NEG_INFINITY; self.ids.len()];
        for (row, &entry) in self.questions.iter().zip(&self.question_entry) {
            let cosine = dot(row, query);
            let best = &mut scores[entry as usize];
            *best = best.max(cosine);
        }
        for (score, row) in scores.iter_mut().zip(&self.answers) {
            *score += ANSWER_WEIGHT * dot(row, query);
        }
        for candidate in lexical {
            if let Some(&number) = self.index.get(&candidate.entry) {
                scores[number] += LEXICAL_WEIGHT * candidate.confidence;
            }
        }
        // Only the best `limit` entries become candidates: a large bank's
        // other thousands are neither cloned nor fully sorted.
        let mut order: Vec<usize> = (0..scores.len()).collect();
        let by_score = |a: &usize, b: &usize| scores[*b].total_cmp(&scores[*a]).then(a.cmp(b));
        if limit < order.len() {
            order.select_nth_unstable_by(limit, by_score);
            order.truncate(limit);
        }
        order.sort_by(by_score);
        let ranked: Vec<Candidate> = order
            .into_iter()
            .map(|number| Candidate {
                entry: self.ids[number].clone(),
                score: scores[number],
                // The share of the best score an entry can reach.
                confidence: (scores[number] / (1.0 + ANSWER_WEIGHT + LEXICAL_WEIGHT))
                    .clamp(0.0, 1.0),
            })
            .collect();
        ranked
    }
}

/// Decides between answering, offering choices and admitting defeat, on a
/// hybrid ranking from [`SemanticFaq::rank`]. `lexical` is what the lexical
/// ranking alone concluded: when it answers with the entry the hybrid ranking
/// also puts first, two different readings agree and the entry is answered
/// even below the hybrid thresholds.
pub fn decide(ranked: &[Candidate], lexical: &FaqOutcome) -> FaqOutcome {
    let Some(top) = ranked.first() else {
        return FaqOutcome::NoMatch;
    };
    let runner_up = ranked.get(1).map_or(f32::NEG_INFINITY, |c| c.score);
    if top.score >= ANSWER_SCORE && runner_up <= top.score - ANSWER_MARGIN {
        return FaqOutcome::Answer(top.entry.clone());
    }
    if matches!(lexical, FaqOutcome::Answer(entry) if *entry == top.entry) {
        return FaqOutcome::Answer(top.entry.clone());
    }
    if top.score >= CHOICE_SCORE {
        let close: Vec<String> = ranked
            .iter()
            .take(MAX_CHOICES)
            .filter(|c| c.score >= top.score - ANSWER_MARGIN)
            .map(|c| c.entry.clone())
            .collect();
        if close.len() > 1 {
            return FaqOutcome::Choices(close);
        }
    }
    FaqOutcome::NoMatch
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_embedded_on_every_core_come_back_in_order_and_unchanged() {
        let encoder = Encoder::builtin();
        let texts: Vec<String> = (0..140)
            .map(|n| format!("question number {n} about opening hours"))
            .collect();
        let borrowed: Vec<&str> = texts.iter().map(String::as_str).collect();
        // Every other text, so that the indices are not just 0..n.
        let which: Vec<usize> = (0..texts.len()).step_by(2).collect();
        let parallel = embed_on_every_core(encoder, &borrowed, &which);
        assert_eq!(parallel.len(), which.len());
        for (vector, &i) in parallel.iter().zip(&which) {
            assert_eq!(&vector[..], &encoder.embed(&texts[i])[..], "text {i}");
        }
    }

    fn candidate(entry: &str, score: f32, confidence: f32) -> Candidate {
        Candidate {
            entry: entry.into(),
            score,
            confidence,
        }
    }

    #[test]
    fn the_words_alone_decide_only_a_confident_clear_winner() {
        let sure = [
            candidate("hours", 6.0, 1.0),
            candidate("holidays", 3.0, 0.5),
        ];
        assert!(lexically_sure(&sure));
        let close = [
            candidate("hours", 6.0, 1.0),
            candidate("holidays", 4.5, 0.75),
        ];
        assert!(!lexically_sure(&close), "a runner-up at 75% of the top");
        let weak = [candidate("hours", 2.0, 0.6)];
        assert!(!lexically_sure(&weak), "confidence 0.6");
        assert!(!lexically_sure(&[]));
    }

    #[test]
    fn an_answer_needs_a_high_score_well_ahead_of_the_next() {
        let ranked = [candidate("hours", 1.5, 0.6), candidate("parking", 1.2, 0.5)];
        assert_eq!(
            decide(&ranked, &FaqOutcome::NoMatch),
            FaqOutcome::Answer("hours".into())
        );
        // Too close to call: both offered.
        let close = [
            candidate("hours", 1.5, 0.6),
            candidate("holidays", 1.4, 0.6),
            candidate("parking", 0.9, 0.4),
        ];
        assert_eq!(
            decide(&close, &FaqOutcome::NoMatch),
            FaqOutcome::Choices(vec!["hours".into(), "holidays".into()])
        );
        // Not sure enough to answer, and nothing to offer beside it.
        let middling = [candidate("hours", 0.9, 0.4), candidate("parking", 0.5, 0.2)];
        assert_eq!(decide(&middling, &FaqOutcome::NoMatch), FaqOutcome::NoMatch);
        // Nothing near: an honest "I don't know".
        let far = [candidate("hours", 0.5, 0.2)];
        assert_eq!(decide(&far, &FaqOutcome::NoMatch), FaqOutcome::NoMatch);
        assert_eq!(decide(&[], &FaqOutcome::NoMatch), FaqOutcome::NoMatch);
    }

    #[test]
    fn the_words_agreeing_with_the_meaning_answer_a_close_call() {
        let close = [
            candidate("hours", 1.5, 0.6),
            candidate("holidays", 1.4, 0.6),
        ];
        assert_eq!(
            decide(&close, &FaqOutcome::Answer("hours".into())),
            FaqOutcome::Answer("hours".into())
        );
        // The words answering another entry than the meaning's first: choices.
        assert_eq!(
            decide(&close, &FaqOutcome::Answer("holidays".into())),
            FaqOutcome::Choices(vec!["hours".into(), "holidays".into()])
        );
    }

    #[test]
    fn the_disk_cache_reads_back_what_it_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/faq-embeddings.bin");
        let dims = Encoder::builtin().dims();
        let mut cache = HashMap::new();
        let one: Arc<[f32]> = (0..dims).map(|i| i as f32 / 7.0).collect();
        let two: Arc<[f32]> = (0..dims).map(|i| -(i as f32)).collect();
        cache.insert(digest("one"), one.clone());
        cache.insert(digest("two"), two.clone());
        write_disk_cache_at(&path, &[digest("two")], &cache).unwrap();
        let read = read_disk_cache(path.clone());
        assert_eq!(read.len(), 2);
        assert_eq!(read[&digest("one")], one);
        assert_eq!(read[&digest("two")], two);
        // No temporary file is left behind.
        let files: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(files.len(), 1);
    }

    #[test]
    fn a_damaged_disk_cache_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("faq-embeddings.bin");
        for bytes in [
            b"not a cache at all".to_vec(),
            [DISK_MAGIC.as_slice(), &384u32.to_le_bytes(), &[1, 2, 3]].concat(),
            [DISK_MAGIC.as_slice(), &12u32.to_le_bytes()].concat(),
            Vec::new(),
        ] {
            std::fs::write(&path, &bytes).unwrap();
            assert!(read_disk_cache(path.clone()).is_empty());
        }
        assert!(read_disk_cache(dir.path().join("missing.bin")).is_empty());
    }

    #[test]
    fn a_text_missing_twice_is_embedded_once() {
        let text = "a text no test embeds: 7f3a9c";
        assert_eq!(missing([text, text, text]), 1);
    }

    #[test]
    fn digests_depend_on_the_model_and_the_text() {
        assert_eq!(
            digest("what time do you open"),
            digest("what time do you open")
        );
        assert_ne!(
            digest("what time do you open"),
            digest("what time do you close")
        );
        let plain = ring::digest::digest(&ring::digest::SHA256, b"what time do you open");
        assert_ne!(digest("what time do you open").as_slice(), plain.as_ref());
    }
}
