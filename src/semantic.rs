//! Static sentence embeddings: a small, dependency-free stand-in for a sentence
//! transformer, for comparing what a patient wrote with what the knowledge base
//! says when the words differ ("I can't breathe" / "struggling to get air").
//!
//! ## What it is
//!
//! A [`StaticEmbedder`] holds one 128-dimensional vector per WordPiece token of
//! the all-MiniLM-L6-v2 vocabulary (30,522 tokens). A text's embedding is the
//! L2-normalised mean of its tokens' vectors, so embedding costs a tokenisation
//! and a few thousand multiply-adds: no neural network runs here.
//!
//! ## How the vectors were built
//!
//! `tools/distill_embeddings.py` distils them from
//! sentence-transformers/all-MiniLM-L6-v2 the way model2vec does: every
//! vocabulary token is run through the model alone ("[CLS] token [SEP]",
//! mean-pooled), the 384-d outputs are reduced to 128 dimensions by PCA, each row
//! is weighted by a SIF weight `a / (a + p(token))` (token probabilities
//! estimated from the `wordfreq` English word list, a = 1e-3, so "the" and
//! "you" count for little and "breathe" for a lot), and rows are quantised to `i8` with one `f32`
//! scale each. The result is `assets/minilm-static-128.bin` (about 4.3 MB; format
//! below), compiled into the binary by [`StaticEmbedder::builtin`]. Licence and
//! attribution: `assets/MINILM-LICENSE.txt` (Apache-2.0 for the model-derived
//! vectors; CC BY-SA 4.0 for the frequency-derived weights).
//!
//! It is an approximation of the full model: on 25 paraphrase pairs of patient
//! messages its cosines track the full model's with Spearman 0.52, and finding
//! another phrasing of the same knowledge-base question as nearest neighbour
//! succeeds 63% of the time (full model 82%). Word order, negation and context
//! are invisible to it ("no chest pain" is close to "chest pain"). Use it to
//! rank candidates, never to decide safety on its own.
//!
//! ## Tokenisation
//!
//! The same as BERT's uncased tokenizer (`BertTokenizer`, `do_lower_case`):
//! control characters dropped, CJK ideographs split apart, lower-cased, accents
//! stripped (NFD, combining marks removed), split on whitespace and punctuation
//! (ASCII punctuation and the common Unicode punctuation blocks), then greedy
//! longest-match-first WordPiece with `##` continuation pieces. A word that
//! cannot be covered by pieces (or is over 100 characters) is BERT's `[UNK]`,
//! and is skipped here.
//!
//! ## File format (little-endian)
//!
//! | offset | content |
//! |---|---|
//! | 0 | magic `b"CBSEMB01"` |
//! | 8 | `u32` dims |
//! | 12 | `u32` vocab_size |
//! | 16 | `u32` vocab_bytes: length of the vocabulary block |
//! | 20 | vocabulary: vocab_size entries in token-id order, each a `u8` length then that many UTF-8 bytes (continuation pieces keep their `##`) |
//! | 20 + vocab_bytes | vocab_size rows in token-id order: an `f32` scale, then dims `i8` values; the vector is scale × value |

use std::collections::HashMap;
use std::sync::OnceLock;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

const MAGIC: &[u8; 8] = b"CBSEMB01";
const HEADER_LEN: usize = 20;
/// BERT's `max_input_chars_per_word`: longer words are `[UNK]`.
const MAX_WORD_CHARS: usize = 100;
const MAX_DIMS: u32 = 4096;

/// Why an embedding file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SemanticError {
    #[error("not a static-embedding file: the magic bytes are not \"CBSEMB01\"")]
    BadMagic,
    #[error("static-embedding file is truncated: {0}")]
    Truncated(&'static str),
    #[error("static-embedding file has {0} dimensions (expected 1 to 4096)")]
    BadDims(u32),
    #[error("static-embedding file has an empty vocabulary")]
    EmptyVocabulary,
    #[error("vocabulary entry {index} is {problem}")]
    BadToken { index: usize, problem: &'static str },
    #[error("vocabulary entry {index} repeats the token {token:?}")]
    DuplicateToken { index: usize, token: String },
    #[error(
        "the vocabulary block is {declared} bytes long in the header but {actual} bytes were read"
    )]
    VocabularyLength { declared: usize, actual: usize },
    #[error("row {row} has a scale that is not a finite number")]
    BadScale { row: usize },
    #[error("static-embedding file has {0} bytes after the last row")]
    TrailingBytes(usize),
}

/// A table of per-token vectors and the tokenizer that indexes it; see the
/// [module documentation](self).
pub struct StaticEmbedder {
    dims: usize,
    /// Token strings in id order, as in the file (continuation pieces with `##`).
    vocab: Vec<Box<str>>,
    /// Word-initial pieces → id.
    starts: HashMap<Box<str>, u32>,
    /// Continuation pieces, without their `##` → id.
    continuations: HashMap<Box<str>, u32>,
    /// Longest key, in bytes, of either map: no longer piece needs trying.
    longest_piece: usize,
    scales: Vec<f32>,
    /// `vocab.len() * dims` quantised values, row after row.
    values: Vec<i8>,
}

impl std::fmt::Debug for StaticEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticEmbedder")
            .field("dims", &self.dims)
            .field("vocab_size", &self.vocab.len())
            .finish_non_exhaustive()
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], SemanticError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let end = end.ok_or(SemanticError::Truncated(what))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, SemanticError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

impl StaticEmbedder {
    /// Parses an embedding file (format in the [module documentation](self)).
    pub fn from_bytes(bytes: &[u8]) -> Result<StaticEmbedder, SemanticError> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(MAGIC.len(), "no header")? != MAGIC {
            return Err(SemanticError::BadMagic);
        }
        let dims = r.u32("no header")?;
        let vocab_size = r.u32("no header")? as usize;
        let vocab_bytes = r.u32("no header")? as usize;
        debug_assert_eq!(r.pos, HEADER_LEN);
        if dims == 0 || dims > MAX_DIMS {
            return Err(SemanticError::BadDims(dims));
        }
        let dims = dims as usize;
        if vocab_size == 0 {
            return Err(SemanticError::EmptyVocabulary);
        }

        let vocab_start = r.pos;
        let mut vocab = Vec::with_capacity(vocab_size.min(1 << 20));
        let mut starts = HashMap::with_capacity(vocab_size.min(1 << 20));
        let mut continuations = HashMap::new();
        let mut longest_piece = 0;
        for index in 0..vocab_size {
            let len = r.take(1, "in the vocabulary")?[0] as usize;
            let raw = r.take(len, "in the vocabulary")?;
            let token = std::str::from_utf8(raw).map_err(|_| SemanticError::BadToken {
                index,
                problem: "not UTF-8",
            })?;
            let (map, key) = match token.strip_prefix("##") {
                Some(rest) => (&mut continuations, rest),
                None => (&mut starts, token),
            };
            if key.is_empty() {
                return Err(SemanticError::BadToken {
                    index,
                    problem: "empty",
                });
            }
            if map.insert(Box::from(key), index as u32).is_some() {
                return Err(SemanticError::DuplicateToken {
                    index,
                    token: token.to_owned(),
                });
            }
            longest_piece = longest_piece.max(key.len());
            vocab.push(Box::from(token));
        }
        if r.pos - vocab_start != vocab_bytes {
            return Err(SemanticError::VocabularyLength {
                declared: vocab_bytes,
                actual: r.pos - vocab_start,
            });
        }

        let row_len = 4 + dims;
        let rows = r.take(
            vocab_size
                .checked_mul(row_len)
                .ok_or(SemanticError::Truncated("in the rows"))?,
            "in the rows",
        )?;
        if r.pos != bytes.len() {
            return Err(SemanticError::TrailingBytes(bytes.len() - r.pos));
        }
        let mut scales = Vec::with_capacity(vocab_size);
        let mut values = Vec::with_capacity(vocab_size * dims);
        for (row, chunk) in rows.chunks_exact(row_len).enumerate() {
            let scale = f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            if !scale.is_finite() {
                return Err(SemanticError::BadScale { row });
            }
            scales.push(scale);
            values.extend(chunk[4..].iter().map(|&b| b as i8));
        }

        Ok(StaticEmbedder {
            dims,
            vocab,
            starts,
            continuations,
            longest_piece,
            scales,
            values,
        })
    }

    /// The embedder distilled from all-MiniLM-L6-v2 that ships with carebot
    /// (`assets/minilm-static-128.bin`, compiled in), parsed on first use.
    pub fn builtin() -> &'static StaticEmbedder {
        static BUILTIN: OnceLock<StaticEmbedder> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            StaticEmbedder::from_bytes(include_bytes!("../assets/minilm-static-128.bin"))
                .expect("the committed assets/minilm-static-128.bin is a valid embedding file")
        })
    }

    /// The length of every vector [`embed`](Self::embed) returns.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// The number of tokens in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// The L2-normalised mean of the vectors of `text`'s tokens; all zeros when
    /// no token of `text` is in the vocabulary (empty text, only unknown words).
    pub fn embed(&self, text: &str) -> Vec<f32> {
        let mut sum = vec![0.0f32; self.dims];
        self.for_each_token(text, |id| {
            let row = id as usize;
            let scale = self.scales[row];
            let values = &self.values[row * self.dims..(row + 1) * self.dims];
            for (s, &v) in sum.iter_mut().zip(values) {
                *s += scale * f32::from(v);
            }
        });
        // The mean and the sum point the same way: normalising either gives the
        // same unit vector.
        let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            sum.iter_mut().for_each(|x| *x /= norm);
        }
        sum
    }

    /// The WordPiece tokens [`embed`](Self::embed) averages for `text`, as
    /// vocabulary strings (continuation pieces start with `##`); unknown words
    /// are left out.
    pub fn tokens(&self, text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        self.for_each_token(text, |id| out.push(&*self.vocab[id as usize]));
        out
    }

    fn for_each_token(&self, text: &str, mut emit: impl FnMut(u32)) {
        let normalised = normalise(text);
        let mut ids = Vec::new();
        for word in split_words(&normalised) {
            ids.clear();
            if self.wordpiece(word, &mut ids) {
                ids.iter().for_each(|&id| emit(id));
            }
        }
    }

    /// Greedy longest-match-first WordPiece over one word; false (and `ids` left
    /// partly filled) when the word is BERT's `[UNK]`.
    fn wordpiece(&self, word: &str, ids: &mut Vec<u32>) -> bool {
        if word.chars().nth(MAX_WORD_CHARS).is_some() {
            return false;
        }
        let mut start = 0;
        while start < word.len() {
            let map = if start == 0 {
                &self.starts
            } else {
                &self.continuations
            };
            let mut end = word.len().min(start + self.longest_piece);
            while !word.is_char_boundary(end) {
                end -= 1;
            }
            let found = loop {
                if end <= start {
                    break None;
                }
                if let Some(&id) = map.get(&word[start..end]) {
                    break Some(id);
                }
                end -= 1;
                while !word.is_char_boundary(end) {
                    end -= 1;
                }
            };
            match found {
                Some(id) => ids.push(id),
                None => return false,
            }
            start = end;
        }
        true
    }
}

/// Cosine similarity of two vectors of the same length; 0 when either is all
/// zeros.
///
/// # Panics
///
/// When the lengths differ.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "cosine of vectors of different lengths");
    let (mut dot, mut aa, mut bb) = (0.0f32, 0.0f32, 0.0f32);
    for (&x, &y) in a.iter().zip(b) {
        dot += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        0.0
    } else {
        dot / (aa.sqrt() * bb.sqrt())
    }
}

/// BERT's text cleaning and normalisation: control and format characters
/// dropped, whitespace made a plain space, CJK ideographs surrounded by spaces,
/// lower-cased, accents stripped.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut has_non_ascii = false;
    for c in text.chars() {
        if c == '\t' || c == '\n' || c == '\r' {
            out.push(' ');
        } else if c == '\0' || c == '\u{FFFD}' || c.is_control() || is_format(c) {
            // dropped
        } else if c.is_whitespace() {
            out.push(' ');
        } else if is_cjk(c) {
            out.push(' ');
            out.push(c);
            out.push(' ');
            has_non_ascii = true;
        } else if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
            has_non_ascii = true;
        }
    }
    if has_non_ascii {
        out.nfd().filter(|&c| !is_combining_mark(c)).collect()
    } else {
        out
    }
}

/// Splits normalised text on spaces, and around each punctuation character,
/// which becomes a word of its own.
fn split_words(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        rest = rest.trim_start_matches(' ');
        let mut chars = rest.char_indices();
        let (_, first) = chars.next()?;
        let end = if is_punctuation(first) {
            first.len_utf8()
        } else {
            chars
                .find(|&(_, c)| c == ' ' || is_punctuation(c))
                .map_or(rest.len(), |(i, _)| i)
        };
        let (word, tail) = rest.split_at(end);
        rest = tail;
        Some(word)
    })
}

/// BERT splits on ASCII punctuation (including `$+<=>^`|~`) and Unicode
/// category P; the Unicode part is approximated by the punctuation of the common
/// blocks.
fn is_punctuation(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    matches!(c,
        '\u{00A1}' | '\u{00A7}' | '\u{00AB}' | '\u{00B6}' | '\u{00B7}' | '\u{00BB}' | '\u{00BF}'
        | '\u{037E}' | '\u{0387}'
        | '\u{055A}'..='\u{055F}' | '\u{0589}' | '\u{05BE}' | '\u{05C0}' | '\u{05C3}' | '\u{05C6}'
        | '\u{05F3}' | '\u{05F4}'
        | '\u{060C}' | '\u{060D}' | '\u{061B}' | '\u{061E}' | '\u{061F}' | '\u{066A}'..='\u{066D}'
        | '\u{06D4}' | '\u{0964}' | '\u{0965}' | '\u{0970}' | '\u{0E4F}' | '\u{0E5A}' | '\u{0E5B}'
        | '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{2043}' | '\u{2045}'..='\u{2051}'
        | '\u{2053}'..='\u{205E}' | '\u{207D}' | '\u{207E}' | '\u{208D}' | '\u{208E}'
        | '\u{2308}'..='\u{230B}' | '\u{2329}' | '\u{232A}' | '\u{2768}'..='\u{2775}'
        | '\u{27C5}' | '\u{27C6}' | '\u{27E6}'..='\u{27EF}' | '\u{2983}'..='\u{2998}'
        | '\u{29D8}'..='\u{29DB}' | '\u{29FC}' | '\u{29FD}' | '\u{2E00}'..='\u{2E2E}'
        | '\u{2E30}'..='\u{2E4F}' | '\u{3001}'..='\u{3003}' | '\u{3008}'..='\u{3011}'
        | '\u{3014}'..='\u{301F}' | '\u{3030}' | '\u{303D}' | '\u{30A0}' | '\u{30FB}'
        | '\u{FD3E}' | '\u{FD3F}' | '\u{FE10}'..='\u{FE19}' | '\u{FE30}'..='\u{FE52}'
        | '\u{FE54}'..='\u{FE61}' | '\u{FE63}' | '\u{FE68}' | '\u{FE6A}' | '\u{FE6B}'
        | '\u{FF01}'..='\u{FF03}' | '\u{FF05}'..='\u{FF0A}' | '\u{FF0C}'..='\u{FF0F}'
        | '\u{FF1A}' | '\u{FF1B}' | '\u{FF1F}' | '\u{FF20}' | '\u{FF3B}'..='\u{FF3D}' | '\u{FF3F}'
        | '\u{FF5B}' | '\u{FF5D}' | '\u{FF5F}'..='\u{FF65}'
    )
}

/// Unicode category Cf (format) characters BERT's cleaning drops: soft hyphen,
/// zero-width and direction marks, byte-order mark and the like.
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// The CJK ideograph blocks BERT puts spaces around.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{20000}'..='\u{2A6DF}'
        | '\u{2A700}'..='\u{2B73F}' | '\u{2B740}'..='\u{2B81F}' | '\u{2B820}'..='\u{2CEAF}'
        | '\u{F900}'..='\u{FAFF}' | '\u{2F800}'..='\u{2FA1F}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin() -> &'static StaticEmbedder {
        StaticEmbedder::builtin()
    }

    fn sim(a: &str, b: &str) -> f32 {
        let e = builtin();
        cosine(&e.embed(a), &e.embed(b))
    }

    /// A file in the documented format, for loader tests.
    fn file(dims: u32, vocab: &[&str], rows: &[(f32, Vec<i8>)]) -> Vec<u8> {
        let mut block = Vec::new();
        for t in vocab {
            block.push(t.len() as u8);
            block.extend_from_slice(t.as_bytes());
        }
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&dims.to_le_bytes());
        out.extend_from_slice(&(vocab.len() as u32).to_le_bytes());
        out.extend_from_slice(&(block.len() as u32).to_le_bytes());
        out.extend_from_slice(&block);
        for (scale, values) in rows {
            out.extend_from_slice(&scale.to_le_bytes());
            out.extend(values.iter().map(|&v| v as u8));
        }
        out
    }

    fn tiny() -> Vec<u8> {
        file(
            2,
            &["[UNK]", "ab", "a", "##b", "##bc", "!"],
            &[
                (1.0, vec![0, 0]),
                (0.5, vec![2, 0]),
                (1.0, vec![0, 3]),
                (2.0, vec![1, 1]),
                (1.0, vec![-4, 0]),
                (1.0, vec![0, -1]),
            ],
        )
    }

    #[test]
    fn the_builtin_file_loads() {
        let e = builtin();
        assert_eq!(e.dims(), 128);
        assert_eq!(e.vocab_size(), 30_522);
        assert_eq!(e.embed("hello").len(), 128);
    }

    #[test]
    fn tokenizer_splits_contractions_and_punctuation() {
        assert_eq!(
            builtin().tokens("can't breathe!!"),
            ["can", "'", "t", "breathe", "!", "!"]
        );
    }

    /// Expected tokens are what the Hugging Face tokenizer shipped with the
    /// model gives for these texts (`tokenizer.tokenize`, `[UNK]` removed).
    #[test]
    fn tokenizer_matches_bert() {
        let cases: &[(&str, &[&str])] = &[
            (
                "My chest hurts badly, it's crushing!!",
                &[
                    "my", "chest", "hurts", "badly", ",", "it", "'", "s", "crushing", "!", "!",
                ],
            ),
            (
                "Café opening hours on Saturday?",
                &["cafe", "opening", "hours", "on", "saturday", "?"],
            ),
            (
                "I've been throwing up since 3am and feel dizzy",
                &[
                    "i", "'", "ve", "been", "throwing", "up", "since", "3a", "##m", "and", "feel",
                    "dizzy",
                ],
            ),
            (
                "need a repeat prescription for metformin 500mg",
                &[
                    "need",
                    "a",
                    "repeat",
                    "prescription",
                    "for",
                    "met",
                    "##form",
                    "##in",
                    "500",
                    "##mg",
                ],
            ),
            (
                "the baby is burning up and won\u{2019}t stop crying",
                &[
                    "the", "baby", "is", "burning", "up", "and", "won", "\u{2019}", "t", "stop",
                    "crying",
                ],
            ),
            (
                "Naïve CAFÉ résumé—ok?",
                &["naive", "cafe", "resume", "—", "ok", "?"],
            ),
            (
                "I\u{2019}m 38.5°C, 日本 tel:07700-900123",
                &[
                    "i", "\u{2019}", "m", "38", ".", "5", "##°", "##c", ",", "日", "本", "tel",
                    ":", "07", "##70", "##0", "-", "900", "##12", "##3",
                ],
            ),
            (
                "supercalifragilisticexpialidocious",
                &[
                    "super", "##cal", "##if", "##rag", "##ilis", "##tic", "##ex", "##pia", "##lid",
                    "##oc", "##ious",
                ],
            ),
            (
                "hello\u{200B}world \u{00AD}soft",
                &["hello", "##world", "soft"],
            ),
            ("a\tb\nc", &["a", "b", "c"]),
        ];
        for (text, expected) in cases {
            assert_eq!(builtin().tokens(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn unknown_words_are_skipped() {
        let long = "x".repeat(MAX_WORD_CHARS + 1);
        assert_eq!(
            builtin().tokens(&format!("breathe {long} now")),
            ["breathe", "now"]
        );
        assert!(builtin().tokens("").is_empty());
        assert!(builtin().embed("").iter().all(|&x| x == 0.0));
        assert_eq!(sim("", "breathe"), 0.0);
    }

    #[test]
    fn identical_texts_have_cosine_one() {
        for text in ["I can't breathe", "my chest hurts badly", "Café?"] {
            assert!((sim(text, text) - 1.0).abs() < 1e-5, "{text}");
        }
        let v = builtin().embed("struggling to get air");
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
    }

    #[test]
    fn breathlessness_is_nearer_breathlessness_than_opening_hours() {
        let near = sim("I can't breathe", "struggling to get air");
        let far = sim("I can't breathe", "what time do you open");
        assert!(near > far, "{near} <= {far}");
    }

    #[test]
    fn chest_pain_is_nearer_chest_pain_than_booking() {
        let near = sim("my chest hurts badly", "crushing chest pain");
        let far = sim("my chest hurts badly", "book an appointment");
        assert!(near > far, "{near} <= {far}");
    }

    #[test]
    fn embed_is_the_normalised_mean_of_token_rows() {
        let e = StaticEmbedder::from_bytes(&tiny()).unwrap();
        assert_eq!(e.dims(), 2);
        // Greedy longest match, as BERT: "abbc" is "ab" + "##bc"; "abc" is "ab"
        // and then nothing covers "c" (no backtracking to "a" + "##bc"), so the
        // whole word is unknown and skipped.
        assert_eq!(e.tokens("ABBC ab! abc"), ["ab", "##bc", "ab", "!"]);
        // ab = 0.5 × (2,0), ##bc = (-4,0), ab, ! = (0,-1): the sum is (-2,-1).
        let v = e.embed("ABBC ab! abc");
        let n = 5.0f32.sqrt();
        assert!(
            (v[0] + 2.0 / n).abs() < 1e-6 && (v[1] + 1.0 / n).abs() < 1e-6,
            "{v:?}"
        );
        assert_eq!(e.tokens("abb"), ["ab", "##b"]);
    }

    #[test]
    fn malformed_files_are_refused() {
        let good = tiny();
        assert!(StaticEmbedder::from_bytes(&good).is_ok());

        let mut bad = good.clone();
        bad[0] = b'X';
        assert_eq!(
            StaticEmbedder::from_bytes(&bad).unwrap_err(),
            SemanticError::BadMagic
        );
        assert!(matches!(
            StaticEmbedder::from_bytes(&good[..good.len() - 1]).unwrap_err(),
            SemanticError::Truncated(_)
        ));
        assert!(matches!(
            StaticEmbedder::from_bytes(&good[..10]).unwrap_err(),
            SemanticError::Truncated(_)
        ));
        let mut long = good.clone();
        long.push(0);
        assert_eq!(
            StaticEmbedder::from_bytes(&long).unwrap_err(),
            SemanticError::TrailingBytes(1)
        );

        assert_eq!(
            StaticEmbedder::from_bytes(&file(0, &["a"], &[(1.0, vec![])])).unwrap_err(),
            SemanticError::BadDims(0)
        );
        assert_eq!(
            StaticEmbedder::from_bytes(&file(1, &[], &[])).unwrap_err(),
            SemanticError::EmptyVocabulary
        );
        assert!(matches!(
            StaticEmbedder::from_bytes(&file(1, &["a", "a"], &[(1.0, vec![1]), (1.0, vec![1])]))
                .unwrap_err(),
            SemanticError::DuplicateToken { index: 1, .. }
        ));
        assert_eq!(
            StaticEmbedder::from_bytes(&file(1, &["a"], &[(f32::NAN, vec![1])])).unwrap_err(),
            SemanticError::BadScale { row: 0 }
        );
        let mut wrong_len = file(1, &["a"], &[(1.0, vec![1])]);
        wrong_len[16] = 9;
        assert!(matches!(
            StaticEmbedder::from_bytes(&wrong_len).unwrap_err(),
            SemanticError::VocabularyLength {
                declared: 9,
                actual: 2
            }
        ));
        let mut not_utf8 = file(1, &["a"], &[(1.0, vec![1])]);
        not_utf8[HEADER_LEN + 1] = 0xFF;
        assert!(matches!(
            StaticEmbedder::from_bytes(&not_utf8).unwrap_err(),
            SemanticError::BadToken { index: 0, .. }
        ));
    }

    #[test]
    fn cosine_of_zero_vectors_is_zero() {
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
        assert!((cosine(&[1.0, 1.0], &[2.0, 2.0]) - 1.0).abs() < 1e-6);
        assert!((cosine(&[1.0, 0.0], &[0.0, 3.0])).abs() < 1e-6);
    }
}
