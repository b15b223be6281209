//! BERT's uncased WordPiece tokenizer (`BertTokenizer` with `do_lower_case`),
//! shared by the static embedding table and the sentence encoder: both index the
//! same 30,522-token vocabulary of all-MiniLM-L6-v2.
//!
//! Control characters are dropped, CJK ideographs split apart, text
//! lower-cased and accents stripped (NFD, combining marks removed), then split
//! on whitespace and punctuation (ASCII punctuation and the common Unicode
//! punctuation blocks), then each word is covered greedily, longest piece
//! first, with `##` continuation pieces. A word that cannot be covered (or is
//! over 100 characters) is BERT's `[UNK]`.

use std::collections::HashMap;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use super::{Reader, SemanticError};

/// BERT's `max_input_chars_per_word`: longer words are `[UNK]`.
pub(crate) const MAX_WORD_CHARS: usize = 100;

/// A vocabulary and the lookups that cover a word with its pieces.
pub(crate) struct WordPiece {
    /// Token strings in id order, as in the file (continuation pieces with `##`).
    vocab: Vec<Box<str>>,
    /// Word-initial pieces → id.
    starts: HashMap<Box<str>, u32>,
    /// Continuation pieces, without their `##` → id.
    continuations: HashMap<Box<str>, u32>,
    /// Longest key, in bytes, of either map: no longer piece needs trying.
    longest_piece: usize,
}

impl WordPiece {
    /// Reads a vocabulary block: `vocab_size` entries in token-id order, each a
    /// `u8` length then that many UTF-8 bytes, `vocab_bytes` long in all.
    pub(crate) fn read(
        r: &mut Reader<'_>,
        vocab_size: usize,
        vocab_bytes: usize,
    ) -> Result<WordPiece, SemanticError> {
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
        Ok(WordPiece {
            vocab,
            starts,
            continuations,
            longest_piece,
        })
    }

    /// The number of tokens in the vocabulary.
    pub(crate) fn len(&self) -> usize {
        self.vocab.len()
    }

    /// The vocabulary string of token `id` (continuation pieces start with `##`).
    pub(crate) fn token(&self, id: u32) -> &str {
        &self.vocab[id as usize]
    }

    /// The id of a whole-word token such as `[CLS]`.
    pub(crate) fn id(&self, token: &str) -> Option<u32> {
        self.starts.get(token).copied()
    }

    /// Calls `emit` once per word of `text`, with the word's piece ids, or
    /// `None` when the word is `[UNK]`.
    pub(crate) fn for_each_word(&self, text: &str, mut emit: impl FnMut(Option<&[u32]>)) {
        let normalised = normalise(text);
        let mut ids = Vec::new();
        for word in split_words(&normalised) {
            ids.clear();
            if self.wordpiece(word, &mut ids) {
                emit(Some(&ids));
            } else {
                emit(None);
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
