//! From raw chat text to a sequence of plain words with clause boundaries.
//!
//! This stage knows nothing about the knowledge base: it folds Unicode and case,
//! expands contractions and text-speak ("can't" → "can not", "appt" → "appointment"),
//! splits glued numbers and units ("38.4c" → "38.4 c", "7wks" → "7 weeks") and marks
//! where clauses end, because negation never reaches past a clause.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

use super::languages::{Lexicon, ENGLISH};

/// A word of the message after normalisation, before spelling correction.
#[derive(Debug, Clone, PartialEq)]
pub struct RawWord {
    pub text: String,
    /// Index of the clause the word belongs to; punctuation starts a new clause.
    pub clause: u32,
    /// Whether the word's clause was opened by a comma ("fever, chills or
    /// rash"): a list may carry a negation across it, a full stop never does.
    pub comma_opened: bool,
}

/// Canonical form of a message: Unicode NFKC, lower case, typographic quotes
/// folded, control characters turned into spaces, runs of white space collapsed.
///
/// Idempotent: normalising twice gives the same text as normalising once.
pub fn normalize(text: &str) -> String {
    // ASCII is its own NFKC form and lower-cases to ASCII, so plain ASCII text
    // (most messages, most knowledge files) skips the Unicode tables: the same
    // result, in a fraction of the time.
    if text.is_ascii() {
        fold(text.chars().map(|c| c.to_ascii_lowercase()), text.len())
    } else {
        let text = emoji_as_words(text);
        // Quote-like characters are folded before NFKC, which would turn the
        // acute accent people type for an apostrophe ("can´t") into a space
        // and a combining mark.
        fold(
            text.chars()
                .map(fold_quote)
                .nfkc()
                .flat_map(char::to_lowercase)
                .nfkc(),
            text.len(),
        )
    }
}

/// Emoji that say something the words around them do not: read as the words
/// people would have typed. Laughter, so that "dying here 😂" jokes as "dying
/// here lol" does (the knowledge base's figures of speech are written with
/// "lol"); a face in pain, so that "chest 😖😖" is "chest hurts"; vomiting. Every
/// other emoji is dropped with the symbols.
const EMOJI_WORDS: &[(&[char], &str)] = &[
    (
        &[
            '\u{1F602}',
            '\u{1F923}',
            '\u{1F606}',
            '\u{1F605}',
            '\u{1F639}',
        ],
        " lol ",
    ),
    // Confounded, persevering, tired, head-bandage faces.
    (
        &['\u{1F616}', '\u{1F623}', '\u{1F62B}', '\u{1F915}'],
        " hurts ",
    ),
    (&['\u{1F92E}'], " throwing up "),
];

fn emoji_as_words(text: &str) -> std::borrow::Cow<'_, str> {
    let mut text = std::borrow::Cow::Borrowed(text);
    for (emoji, words) in EMOJI_WORDS {
        if text.contains(*emoji) {
            text = std::borrow::Cow::Owned(text.replace(*emoji, words));
        }
    }
    text
}

/// Typographic apostrophes and quotes, and the accents people type for them,
/// as plain ASCII quotes.
fn fold_quote(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{02BC}' | '`' | '\u{00B4}' | '\u{2032}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' => '"',
        c => c,
    }
}

/// Folds quotes, turns control characters into spaces and collapses white space.
fn fold(chars: impl Iterator<Item = char>, capacity: usize) -> String {
    let mut out = String::with_capacity(capacity);
    let mut last_was_space = true;
    for c in chars {
        let c = match fold_quote(c) {
            c if c.is_control() || c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' {
            if !last_was_space {
                out.push(' ');
            }
            last_was_space = true;
        } else {
            out.push(c);
            last_was_space = false;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

type Expansions = HashMap<&'static str, &'static str>;

/// Folds accents away ("dolór" → "dolor", "año" → "ano"): Spanish typed on a
/// phone comes with and without them, and a knowledge file's phrase must meet
/// both. Applied to Spanish only (see [`Lexicon::fold_accents`]).
pub fn fold_accents(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    text.nfd()
        .filter(|&c| !unicode_normalization::char::is_combining_mark(c))
        .collect()
}

/// Characters that end a clause.
fn is_clause_break(c: char) -> bool {
    matches!(
        c,
        '.' | ','
            | ';'
            | ':'
            | '!'
            | '?'
            | '('
            | ')'
            | '['
            | ']'
            | '\u{2026}'
            | '\u{2014}'
            | '\u{2013}'
            | '"'
            | '\u{00BF}'
            | '\u{00A1}'
    )
}

/// Splits normalised text into words, expanding contractions and text-speak.
///
/// `text` should already be [`normalize`]d.
pub fn words(text: &str) -> Vec<RawWord> {
    words_in(text, &ENGLISH)
}

/// [`words`] with the contractions and text-speak of `lexicon`'s language.
pub fn words_in(text: &str, lexicon: &Lexicon) -> Vec<RawWord> {
    let expansions = lexicon.expansions();
    let mut out = Vec::new();
    let mut clause = 0u32;
    // Clauses opened by a comma, in increasing order.
    let mut comma_clauses = Vec::new();
    for chunk in text.split(' ') {
        let chunk = comparison_read_out(chunk, clause, &mut out);
        scan_chunk(chunk, expansions, &mut clause, &mut comma_clauses, &mut out);
    }
    if !comma_clauses.is_empty() {
        for word in &mut out {
            word.comma_opened = comma_clauses.binary_search(&word.clause).is_ok();
        }
    }
    out
}

/// Scans one white-space separated chunk ("ankle,", "38.4c", "w/o", "it's").
fn scan_chunk(
    chunk: &str,
    expansions: &Expansions,
    clause: &mut u32,
    comma_clauses: &mut Vec<u32>,
    out: &mut Vec<RawWord>,
) {
    // Whole-chunk abbreviations that contain punctuation ("w/o", "y/o").
    let trimmed = chunk.trim_end_matches(|c: char| is_clause_break(c) && c != '/');
    // Clinical time notation: "3/52" three weeks, "5/7" five days, "35/40"
    // weeks of pregnancy, "4/12" four months.
    if let Some(expansion) = clinical_duration(trimmed, out) {
        push_expansion(&expansion, *clause, out);
        if trimmed.len() < chunk.len() {
            *clause += 1;
        }
        return;
    }
    // (`contains` first: it spares a table lookup for nearly every chunk.)
    if let Some(expansion) = trimmed
        .contains('/')
        .then(|| expansions.get(trimmed))
        .flatten()
    {
        push_expansion(expansion, *clause, out);
        if trimmed.len() < chunk.len() {
            *clause += 1;
        }
        return;
    }
    // Each character is judged with its neighbours as written; peeking spares
    // collecting every chunk into a `Vec<char>` first.
    let mut chars = chunk.chars().peekable();
    let mut prev = None;
    let mut current = String::new();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let inner_apostrophe = c == '\''
            && prev.is_some_and(char::is_alphabetic)
            && next.is_some_and(char::is_alphabetic);
        if c.is_alphanumeric() || inner_apostrophe {
            current.push(c);
        } else if (c == '.' || c == ',')
            && prev.is_some_and(|p| p.is_ascii_digit())
            && next.is_some_and(|n| n.is_ascii_digit())
        {
            // A decimal number: "38.4", and "38,4" as many Europeans write it.
            current.push('.');
        } else {
            flush_word(&mut current, expansions, *clause, out);
            if c == '\u{00B0}' {
                out.push(RawWord {
                    text: "degrees".into(),
                    clause: *clause,
                    comma_opened: false,
                });
            } else if c == '&' || c == '+' {
                out.push(RawWord {
                    text: "and".into(),
                    clause: *clause,
                    comma_opened: false,
                });
            } else if is_clause_break(c) || (c == '-' && chunk.len() == 1) {
                *clause += 1;
                if c == ',' {
                    comma_clauses.push(*clause);
                } else if comma_clauses.last() == Some(clause) {
                    // ",." or ", -": the stronger break wins.
                    comma_clauses.pop();
                }
            }
        }
        prev = Some(c);
    }
    flush_word(&mut current, expansions, *clause, out);
}

/// Notes write "~7/40", ">5 min" and "<24h": the sign in front of a number
/// says "about", "more than" or "less than", and it must not hide the number
/// ("~7/40" is 7 weeks pregnant, ">5 min" a fit over five minutes). Pushes
/// the words a sign stands for and returns the rest of the chunk. "<3" is a
/// heart, not a number.
fn comparison_read_out<'a>(chunk: &'a str, clause: u32, out: &mut Vec<RawWord>) -> &'a str {
    let mut chars = chunk.chars();
    let words = match chars.next() {
        Some('~' | '\u{2248}') => None,
        Some('>' | '\u{2265}') => Some("more than"),
        Some('<' | '\u{2264}') => Some("less than"),
        _ => return chunk,
    };
    let rest = chars.as_str();
    let heart = chunk.starts_with('<') && rest.trim_end_matches(is_clause_break) == "3";
    if !rest.starts_with(|c: char| c.is_ascii_digit()) || heart {
        return chunk;
    }
    if let Some(words) = words {
        push_expansion(words, clause, out);
    }
    rest
}

/// Whether the words so far (already lower-cased) end by saying someone was
/// born early ("ex-prem", "born at"): a gestation after them is a birth
/// history, not a pregnancy.
fn born_early(words: &[RawWord]) -> bool {
    let last: Vec<&str> = words
        .iter()
        .rev()
        .take(2)
        .map(|w| w.text.as_str())
        .collect();
    matches!(
        last.as_slice(),
        ["prem" | "premature" | "preterm" | "premmie", ..] | ["at", "born"]
    )
}

/// "3/52" → "3 weeks", "5/7" → "5 days", "35/40" → "35 weeks pregnant" (or,
/// after "ex-prem" or "born at", "35 weeks gestation"), "4/12" → "4 months".
fn clinical_duration(chunk: &str, words_before: &[RawWord]) -> Option<String> {
    let (count, unit) = chunk.split_once('/')?;
    if count.is_empty() || count.len() > 2 || !count.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let unit = match unit {
        "52" => "weeks",
        "7" => "days",
        "40" if born_early(words_before) => "weeks gestation",
        "40" => "weeks pregnant",
        "12" => "months",
        _ => return None,
    };
    Some(format!("{count} {unit}"))
}

fn push_expansion(expansion: &str, clause: u32, out: &mut Vec<RawWord>) {
    out.extend(expansion.split(' ').map(|word| RawWord {
        text: word.to_string(),
        clause,
        comma_opened: false,
    }));
}

/// Emits a finished word, expanded and split at digit/letter boundaries.
fn flush_word(current: &mut String, expansions: &Expansions, clause: u32, out: &mut Vec<RawWord>) {
    if current.is_empty() {
        return;
    }
    let word = std::mem::take(current);
    if let Some(expansion) = expansions.get(word.as_str()) {
        push_expansion(expansion, clause, out);
        return;
    }
    // The common case, a plain word without apostrophe or digits, is its own
    // single part below and was just looked up: push it as it is.
    if !word.contains('\'') && !word.bytes().any(|b| b.is_ascii_digit()) {
        if !is_ordinal_suffix(&word) {
            out.push(RawWord {
                text: word,
                clause,
                comma_opened: false,
            });
        }
        return;
    }
    // Possessive "dad's" → "dad"; other "x's" contractions are in the table.
    let word = word.strip_suffix("'s").map(str::to_string).unwrap_or(word);
    let word = word.replace('\'', "");
    for part in split_digits_from_letters(&word) {
        if let Some(expansion) = expansions.get(part) {
            push_expansion(expansion, clause, out);
        } else if !is_ordinal_suffix(part) {
            out.push(RawWord {
                text: part.to_string(),
                clause,
                comma_opened: false,
            });
        }
    }
}

/// "38.4c" → ["38.4", "c"], "7wks" → ["7", "wks"]; words like "b4" and "2day"
/// were already expanded as a whole before this runs.
fn split_digits_from_letters(word: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut last_kind = None;
    for (index, c) in word.char_indices() {
        let kind = c.is_ascii_digit() || c == '.';
        if last_kind.is_some_and(|last| last != kind) {
            parts.push(&word[start..index]);
            start = index;
        }
        last_kind = Some(kind);
    }
    parts.push(&word[start..]);
    parts.retain(|part| !part.is_empty() && *part != ".");
    parts
}

fn is_ordinal_suffix(part: &str) -> bool {
    matches!(part, "st" | "nd" | "rd" | "th")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(input: &str) -> Vec<String> {
        words(&normalize(input))
            .into_iter()
            .map(|word| word.text)
            .collect()
    }

    #[test]
    fn folds_case_unicode_and_quotes() {
        assert_eq!(
            normalize("  My ANKLE’s\tSWOLLEN\u{0007}  "),
            "my ankle's swollen"
        );
        assert_eq!(normalize("ＡＢＣ"), "abc");
    }

    #[test]
    fn normalisation_is_idempotent_on_awkward_text() {
        for text in [
            "İstanbul ǅ ß ﬁ",
            "Ⅻ ㎏ ½",
            "\u{0130}\u{0307}",
            "a\r\n\u{200b}b",
        ] {
            let once = normalize(text);
            assert_eq!(normalize(&once), once, "{text:?}");
        }
    }

    #[test]
    fn expands_contractions_with_and_without_apostrophes() {
        assert_eq!(texts("I can't walk"), ["i", "can", "not", "walk"]);
        assert_eq!(texts("i cant walk"), ["i", "can", "not", "walk"]);
        assert_eq!(texts("I cannot walk"), ["i", "can", "not", "walk"]);
        assert_eq!(texts("it isn't swollen"), ["it", "is", "not", "swollen"]);
        assert_eq!(texts("it’s fine"), ["it", "is", "fine"]);
        assert_eq!(texts("my dad's chest"), ["my", "dad", "chest"]);
        // Text-speak without the vowels.
        assert_eq!(
            texts("cnt get any air in"),
            ["can", "not", "get", "any", "air", "in"]
        );
        assert_eq!(texts("it wnt stop"), ["it", "will", "not", "stop"]);
    }

    #[test]
    fn expands_text_speak() {
        assert_eq!(texts("r u open tmrw"), ["are", "you", "open", "tomorrow"]);
        assert_eq!(
            texts("need an appt b4 friday"),
            ["need", "an", "appointment", "before", "friday"]
        );
        assert_eq!(texts("fever w/o rash"), ["fever", "without", "rash"]);
    }

    #[test]
    fn splits_numbers_from_units() {
        assert_eq!(texts("temp 38.4c"), ["temp", "38.4", "c"]);
        assert_eq!(texts("38,4°C"), ["38.4", "degrees", "c"]);
        assert_eq!(texts("my 7wk old"), ["my", "7", "week", "old"]);
        assert_eq!(texts("my 2yo"), ["my", "2", "year", "old"]);
        assert_eq!(texts("the 3rd day"), ["the", "3", "day"]);
    }

    #[test]
    fn clinical_notation_reads_as_patients_write() {
        assert_eq!(texts("3/52 old infant"), ["3", "weeks", "old", "infant"]);
        assert_eq!(texts("5/7 postpartum"), ["5", "days", "postpartum"]);
        assert_eq!(
            texts("35/40, headache"),
            ["35", "weeks", "pregnant", "headache"]
        );
        assert_eq!(texts("acute dysarthria"), ["sudden", "slurred", "speech"]);
        assert_eq!(texts("a 1/2 hour"), ["a", "1", "2", "hour"]);
    }

    #[test]
    fn punctuation_starts_a_new_clause() {
        let words = words(&normalize("no chest pain, just a cough. ok?"));
        let clauses: Vec<u32> = words.iter().map(|word| word.clause).collect();
        assert_eq!(clauses, [0, 0, 0, 1, 1, 1, 2]);
    }

    #[test]
    fn signs_before_numbers_are_read_out() {
        assert_eq!(texts("~7/40"), ["7", "weeks", "pregnant"]);
        assert_eq!(
            texts("ex-prem 32/40"),
            ["ex", "prem", "32", "weeks", "gestation"],
            "a birth history, not a pregnancy"
        );
        assert_eq!(
            texts("seizure >5 min"),
            ["seizure", "more", "than", "5", "minute"]
        );
        assert_eq!(texts("<24h"), ["less", "than", "24", "h"]);
        assert!(!texts("i <3 you").contains(&"less".to_string()));
    }

    #[test]
    fn laughing_emoji_read_as_lol() {
        assert_eq!(texts("dying here 😩😂"), ["dying", "here", "lol"]);
        assert_eq!(normalize(&normalize("ok 😂")), normalize("ok 😂"));
    }

    #[test]
    fn faces_in_pain_and_vomiting_are_read_as_words() {
        assert_eq!(texts("chest 😖😖"), ["chest", "hurts", "hurts"]);
        assert_eq!(texts("🤮 all night"), ["throwing", "up", "all", "night"]);
        assert_eq!(normalize(&normalize("tummy 😣")), normalize("tummy 😣"));
    }

    #[test]
    fn emoji_and_symbols_are_dropped() {
        assert_eq!(texts("😭😭 my ankle 🦶!!"), ["my", "ankle"]);
        assert!(texts("🙂🙂🙂").is_empty());
    }
}
