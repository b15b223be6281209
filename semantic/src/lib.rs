//! Sentence embeddings: comparing what a patient wrote with what the knowledge
//! base says when the words differ ("I can't breathe" / "struggling to get air").
//!
//! Two embedders of the same model, all-MiniLM-L6-v2 (Apache-2.0), both
//! compiled into the binary, nothing downloaded at run time:
//!
//! - [`Encoder`] (`encoder.rs`) runs the model itself, its six transformer
//!   layers with 8-bit weights, in pure Rust: a sentence in a few milliseconds,
//!   with word order, negation and context. The FAQ's semantic layer.
//! - [`StaticEmbedder`] (`static_table.rs`) averages per-token vectors distilled
//!   from the model: microseconds, but blind to word order.
//!
//! Both tokenise with BERT's uncased WordPiece (`wordpiece.rs`). [`Logistic`]
//! (`logistic.rs`) is a classifier over the encoder's embeddings, trained when a
//! knowledge base is loaded.

mod encoder;
mod kernels;
mod logistic;
mod static_table;
mod wordpiece;

pub use encoder::{Encoder, MAX_TOKENS};
pub use kernels::dot;
pub use logistic::Logistic;
pub use static_table::StaticEmbedder;

/// Why an embedding file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SemanticError {
    #[error("not an embedding file of this kind: the magic bytes are not {0:?}")]
    BadMagic(&'static str),
    #[error("embedding file is truncated: {0}")]
    Truncated(&'static str),
    #[error("embedding file has {0} dimensions (expected 1 to 4096)")]
    BadDims(u32),
    #[error("embedding file has an empty vocabulary")]
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
    #[error("embedding file has {0} bytes after the last row")]
    TrailingBytes(usize),
    #[error("embedding file has an impossible shape: {0}")]
    BadShape(&'static str),
}

/// A cursor over an embedding file's bytes.
pub(crate) struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], SemanticError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let end = end.ok_or(SemanticError::Truncated(what))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, SemanticError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn f32(&mut self, what: &'static str) -> Result<f32, SemanticError> {
        let b = self.take(4, what)?;
        Ok(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
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
