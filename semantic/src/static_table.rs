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
//! BERT's uncased WordPiece ([`super::wordpiece`]); a word that is `[UNK]`
//! is skipped here.
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

use std::sync::OnceLock;

use super::wordpiece::WordPiece;
use super::{Reader, SemanticError};

const MAGIC: &[u8; 8] = b"CBSEMB01";
const HEADER_LEN: usize = 20;
const MAX_DIMS: u32 = 4096;

/// A table of per-token vectors and the tokenizer that indexes it; see the
/// [module documentation](self).
pub struct StaticEmbedder {
    dims: usize,
    tokenizer: WordPiece,
    scales: Vec<f32>,
    /// `vocab_size * dims` quantised values, row after row.
    values: Vec<i8>,
}

impl std::fmt::Debug for StaticEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticEmbedder")
            .field("dims", &self.dims)
            .field("vocab_size", &self.tokenizer.len())
            .finish_non_exhaustive()
    }
}

impl StaticEmbedder {
    /// Parses an embedding file (format in the [module documentation](self)).
    pub fn from_bytes(bytes: &[u8]) -> Result<StaticEmbedder, SemanticError> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(MAGIC.len(), "no header")? != MAGIC {
            return Err(SemanticError::BadMagic("CBSEMB01"));
        }
        let dims = r.u32("no header")?;
        let vocab_size = r.u32("no header")? as usize;
        let vocab_bytes = r.u32("no header")? as usize;
        debug_assert_eq!(r.pos, HEADER_LEN);
        if dims == 0 || dims > MAX_DIMS {
            return Err(SemanticError::BadDims(dims));
        }
        let dims = dims as usize;
        let tokenizer = WordPiece::read(&mut r, vocab_size, vocab_bytes)?;

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
            tokenizer,
            scales,
            values,
        })
    }

    /// The embedder distilled from all-MiniLM-L6-v2 that ships with carebot
    /// (`assets/minilm-static-128.bin`, compiled in), parsed on first use.
    pub fn builtin() -> &'static StaticEmbedder {
        static BUILTIN: OnceLock<StaticEmbedder> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            StaticEmbedder::from_bytes(include_bytes!("../../assets/minilm-static-128.bin"))
                .expect("the committed assets/minilm-static-128.bin is a valid embedding file")
        })
    }

    /// The length of every vector [`embed`](Self::embed) returns.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// The number of tokens in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.tokenizer.len()
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
        self.for_each_token(text, |id| out.push(self.tokenizer.token(id)));
        out
    }

    fn for_each_token(&self, text: &str, mut emit: impl FnMut(u32)) {
        self.tokenizer.for_each_word(text, |ids| {
            ids.unwrap_or_default().iter().for_each(|&id| emit(id));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cosine;

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
        let long = "x".repeat(crate::wordpiece::MAX_WORD_CHARS + 1);
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
            SemanticError::BadMagic("CBSEMB01")
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
