//! Which language a conversation is in: read from what the patient writes,
//! kept with the conversation, and changed when the patient asks ("English
//! please", "¿hablan español?", `/language es`).
//!
//! Detection decides only among the languages the practice offers, by the
//! everyday words of each (the lexicons' function words weigh double, accents
//! and ¿¡ count for Spanish). General-purpose detectors (whatlang, lingua) are
//! trained on longer text and guess on a three-word chat message; here a
//! message with too little evidence leaves the language as it was, and the
//! engine checks an emergency in the other languages anyway.

use crate::text::{lexicon, normalize, Language};

/// What a message says about its language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// The patient asked for `Language` and said nothing else.
    Requested(Language),
    /// The patient asked which languages there are (`/language`).
    AskedWhich,
    /// The message is written in this language, clearly enough to switch to it.
    WrittenIn(Language),
    /// One word of this language and none of another ("hola"): enough to
    /// start a new conversation in it, not to switch one.
    Leaning(Language),
    /// Nothing clear.
    Unclear,
}

impl Choice {
    /// The language the message names or is written in, if it says one.
    pub fn language(self) -> Option<Language> {
        match self {
            Choice::Requested(language)
            | Choice::WrittenIn(language)
            | Choice::Leaning(language) => Some(language),
            Choice::AskedWhich | Choice::Unclear => None,
        }
    }
}

/// Words a request for a language is made of besides the language's name.
const REQUEST_WORDS: &[&str] = &[
    "please",
    "pls",
    "plz",
    "in",
    "speak",
    "speaks",
    "can",
    "you",
    "do",
    "we",
    "i",
    "want",
    "prefer",
    "switch",
    "to",
    "change",
    "language",
    "the",
    "ok",
    "okay",
    "hi",
    "hello",
    "anyone",
    "someone",
    "who",
    "is",
    "there",
    "reply",
    "write",
    "talk",
    "por",
    "favor",
    "porfa",
    "xfa",
    "en",
    "habla",
    "hablan",
    "hablas",
    "hablar",
    "puede",
    "puedes",
    "pueden",
    "podemos",
    "quiero",
    "prefiero",
    "cambiar",
    "cambia",
    "a",
    "al",
    "idioma",
    "lengua",
    "el",
    "si",
    "hola",
    "alguien",
    "que",
    "y",
    "me",
    "responde",
    "respondan",
    "escribe",
    "escriban",
    "sabe",
    "saben",
    "aqui",
    "aca",
    "usted",
    "ustedes",
];

/// The words of `text`, lower-case and without accents, as a patient wrote
/// them (no spelling correction).
pub fn folded_words(text: &str) -> Vec<String> {
    normalize::fold_accents(&normalize(text))
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_string)
        .collect()
}

/// Reads what `text` says about its language, among `offered` (the practice's
/// languages, its files' own first).
pub fn read(text: &str, offered: &[Language]) -> Choice {
    let trimmed = text.trim();
    if let Some(rest) = ["/language", "/lang", "/idioma", "/lengua"]
        .iter()
        .find_map(|command| trimmed.strip_prefix(command))
    {
        if rest.is_empty() || rest.starts_with(' ') || rest.starts_with('@') {
            let argument = rest.split_whitespace().next().unwrap_or("");
            let argument = argument.split('@').next().unwrap_or("");
            return match Language::parse(argument) {
                Some(language) if offered.contains(&language) => Choice::Requested(language),
                _ => Choice::AskedWhich,
            };
        }
    }
    let words = folded_words(text);
    if words.is_empty() || words.len() > 8 {
        return written_in(text, &words, offered);
    }
    // Names, not codes: "en" is Spanish for "in", "es" for "is".
    let named: Vec<Language> = words
        .iter()
        .filter(|word| word.len() > 2)
        .filter_map(|word| Language::parse(word))
        .filter(|language| offered.contains(language))
        .collect();
    let only_request = words
        .iter()
        .all(|word| REQUEST_WORDS.contains(&word.as_str()) || Language::parse(word).is_some());
    match named.as_slice() {
        [language] if only_request => Choice::Requested(*language),
        [first, rest @ ..] if only_request && rest.iter().all(|l| l == first) => {
            Choice::Requested(*first)
        }
        _ => written_in(text, &words, offered),
    }
}

/// How much a message's words say for each language: a word that is an
/// everyday word of one language and not of the other counts 1, a function
/// word 2; accents and inverted punctuation count for Spanish.
fn written_in(text: &str, words: &[String], offered: &[Language]) -> Choice {
    if offered.len() < 2 || words.is_empty() {
        return Choice::Unclear;
    }
    let mut scores: Vec<(Language, u32)> = offered.iter().map(|&l| (l, 0)).collect();
    for word in words {
        if word.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let holders: Vec<usize> = offered
            .iter()
            .enumerate()
            .filter(|(_, &l)| lexicon(l).common_words().contains(word.as_str()))
            .map(|(index, _)| index)
            .collect();
        if let [only] = holders.as_slice() {
            let l = offered[*only];
            let function_word = lexicon(l).stopwords.contains(&word.as_str())
                && !offered
                    .iter()
                    .any(|&other| other != l && lexicon(other).stopwords.contains(&word.as_str()));
            scores[*only].1 += if function_word { 2 } else { 1 };
        }
    }
    if offered.contains(&Language::Spanish) {
        let marks = text
            .chars()
            .filter(|c| matches!(c, 'ñ' | 'Ñ' | '¿' | '¡' | 'á' | 'é' | 'í' | 'ó' | 'ú'))
            .count() as u32;
        if let Some(score) = scores.iter_mut().find(|(l, _)| *l == Language::Spanish) {
            score.1 += 2 * marks.min(3);
        }
    }
    scores.sort_by_key(|&(_, score)| std::cmp::Reverse(score));
    let (best, best_score) = scores[0];
    let runner_up = scores[1].1;
    if best_score >= 2 && best_score > 2 * runner_up {
        Choice::WrittenIn(best)
    } else if best_score == 1 && runner_up == 0 {
        Choice::Leaning(best)
    } else {
        Choice::Unclear
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: &[Language] = &[Language::English, Language::Spanish];

    #[test]
    fn explicit_requests_switch_whatever_the_wording() {
        for (text, language) in [
            ("/language es", Language::Spanish),
            ("/idioma en", Language::English),
            ("English please", Language::English),
            ("in english pls", Language::English),
            ("¿Hablan español?", Language::Spanish),
            ("en espanol por favor", Language::Spanish),
        ] {
            assert_eq!(read(text, BOTH), Choice::Requested(language), "{text}");
        }
        assert_eq!(read("/language", BOTH), Choice::AskedWhich);
        assert_eq!(read("/language fr", BOTH), Choice::AskedWhich);
    }

    #[test]
    fn a_language_the_practice_does_not_offer_is_not_switched_to() {
        assert_eq!(
            read("español por favor", &[Language::English]),
            Choice::Unclear
        );
    }

    #[test]
    fn a_sentence_mentioning_a_language_is_not_a_request() {
        assert_ne!(
            read("my mum only speaks spanish and she has chest pain", BOTH),
            Choice::Requested(Language::Spanish)
        );
    }

    #[test]
    fn messages_are_read_as_the_language_they_are_written_in() {
        assert_eq!(
            read("me duele mucho el pecho y no puedo respirar", BOTH),
            Choice::WrittenIn(Language::Spanish)
        );
        assert_eq!(
            read("¿a qué hora abren el sábado?", BOTH),
            Choice::WrittenIn(Language::Spanish)
        );
        assert_eq!(
            read("my ankle is swollen and I can't walk on it", BOTH),
            Choice::WrittenIn(Language::English)
        );
    }

    #[test]
    fn too_little_to_go_on_is_unclear() {
        assert_ne!(read("ok", BOTH), Choice::WrittenIn(Language::Spanish));
        assert_eq!(read("hola", BOTH), Choice::Leaning(Language::Spanish));
        assert_eq!(read("38.5", BOTH), Choice::Unclear);
    }
}
