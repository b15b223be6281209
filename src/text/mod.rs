//! Text analysis shared by every matching stage: a message becomes a sequence of
//! [`Token`]s (normalised, spelling-corrected, stemmed words with clause numbers).
//!
//! The same [`Analyzer`] turns knowledge-file phrases into tokens (without spelling
//! correction), so a phrase and a message meet in one form: "Swelling" in a concept
//! file and "swolen" from a patient both end up comparing stems.

pub mod languages;
pub mod lexicon;
pub mod lexicon_es;
pub mod normalize;
pub mod spelling;
pub mod vitals;

use std::collections::{HashMap, HashSet};

use rust_stemmers::Stemmer;

pub use languages::{lexicon, Language, Lexicon};
pub use normalize::normalize;
use spelling::Speller;

/// One word of an analysed message.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The word after normalisation and spelling correction.
    pub word: String,
    /// The word's stem ("swelling" → "swell"); what phrases are matched on.
    pub stem: String,
    /// Clause index: negation and phrase matches never cross a clause boundary.
    pub clause: u32,
    /// Whether the word's clause was opened by a comma (see
    /// [`normalize::RawWord::comma_opened`]).
    pub comma_opened: bool,
    /// The word as written, when spelling correction changed it.
    pub corrected_from: Option<String>,
}

impl Token {
    /// The token's value if it is a number ("38.4").
    pub fn number(&self) -> Option<f64> {
        if self.word.starts_with(|c: char| c.is_ascii_digit()) {
            self.word.parse().ok()
        } else {
            None
        }
    }
}

/// Analyses text against one knowledge base's vocabulary.
pub struct Analyzer {
    /// The language's word tables, which every stage built from this
    /// analyzer reads.
    lexicon: &'static Lexicon,
    stemmer: Stemmer,
    /// Irregular forms → base form ("came" → "come").
    irregular: HashMap<&'static str, &'static str>,
    /// Stem → the stems of its general-English synonyms.
    synonyms: HashMap<String, Vec<String>>,
    /// Words that are never "corrected": the knowledge base's own words that
    /// are not already [`common_words`] (the lexicon's chat words and common
    /// English, shared by every analyzer).
    known: HashSet<String>,
    speller: Speller,
    /// The stem of every vocabulary word, worked out once: stemming is a good
    /// part of analysing a message, and of building a large knowledge base's
    /// indexes, and nearly every word there is a vocabulary word.
    stems: HashMap<String, String>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("language", &self.lexicon.language)
            .field(
                "known_words",
                &(self.known.len() + self.lexicon.common_words().len()),
            )
            .finish_non_exhaustive()
    }
}

impl Analyzer {
    /// An English analyzer that corrects spelling towards `vocabulary` (word → frequency).
    pub fn new(vocabulary: &HashMap<String, u32>) -> Analyzer {
        Analyzer::for_language(Language::English, vocabulary)
    }

    /// An analyzer of `language` that corrects spelling towards `vocabulary`.
    pub fn for_language(language: Language, vocabulary: &HashMap<String, u32>) -> Analyzer {
        let lexicon = lexicon(language);
        let known: HashSet<String> = vocabulary
            .keys()
            .filter(|word| !lexicon.common_words().contains(word.as_str()))
            .cloned()
            .collect();
        let stemmer = Stemmer::create(lexicon.stemmer);
        let irregular: HashMap<&'static str, &'static str> =
            lexicon.irregular_forms.iter().copied().collect();
        let base_stem = |word: &str| {
            stemmer
                .stem(irregular.get(word).copied().unwrap_or(word))
                .into_owned()
        };
        let mut synonyms: HashMap<String, Vec<String>> = HashMap::new();
        for group in lexicon.synonyms {
            let stems: Vec<String> = group.iter().map(|word| base_stem(word)).collect();
            for stem in &stems {
                let others = synonyms.entry(stem.clone()).or_default();
                for other in &stems {
                    if other != stem && !others.contains(other) {
                        others.push(other.clone());
                    }
                }
            }
        }
        let stems = vocabulary
            .keys()
            .filter(|word| !word.starts_with(|c: char| c.is_ascii_digit()))
            .map(|word| (word.clone(), base_stem(word)))
            .collect();
        Analyzer {
            lexicon,
            stemmer,
            irregular,
            synonyms,
            known,
            speller: Speller::new(vocabulary),
            stems,
        }
    }

    /// Whether `word` is an everyday word of the language (or one of the chat lexicon's words).
    pub fn is_common_word(&self, word: &str) -> bool {
        self.known.contains(word) || self.lexicon.common_words().contains(word)
    }

    /// The word tables of the analyzer's language.
    pub fn lexicon(&self) -> &'static Lexicon {
        self.lexicon
    }

    /// The language the analyzer reads.
    pub fn language(&self) -> Language {
        self.lexicon.language
    }

    /// The stems of `stem`'s general-English synonyms.
    pub fn synonyms(&self, stem: &str) -> &[String] {
        self.synonyms.get(stem).map_or(&[], Vec::as_slice)
    }

    /// An analyzer without a vocabulary: no spelling correction. Used to read the
    /// knowledge files themselves, whose words make the vocabulary.
    pub fn without_vocabulary() -> Analyzer {
        Analyzer::new(&HashMap::new())
    }

    /// An analyzer of `language` without a vocabulary.
    pub fn without_vocabulary_in(language: Language) -> Analyzer {
        Analyzer::for_language(language, &HashMap::new())
    }

    /// The stem of one normalised word; irregular forms stem as their base form
    /// ("fell" as "fall", "children" as "child").
    pub fn stem(&self, word: &str) -> String {
        if word.starts_with(|c: char| c.is_ascii_digit()) {
            return word.to_string();
        }
        if let Some(stem) = self.stems.get(word) {
            return stem.clone();
        }
        let base = self.irregular.get(word).copied().unwrap_or(word);
        self.stemmer.stem(base).into_owned()
    }

    /// Tokens of a patient's message, with spelling correction.
    pub fn analyze(&self, text: &str) -> Vec<Token> {
        self.tokens(text, true)
    }

    /// Tokens of a knowledge-file phrase, exactly as written.
    pub fn analyze_exact(&self, text: &str) -> Vec<Token> {
        self.tokens(text, false)
    }

    fn tokens(&self, text: &str, correct: bool) -> Vec<Token> {
        let acronyms = if correct { acronyms(text) } else { Vec::new() };
        let normal = normalize(text);
        let normal = if self.lexicon.fold_accents {
            normalize::fold_accents(&normal)
        } else {
            normal
        };
        normalize::words_in(&vitals::annotate(&normal), self.lexicon)
            .into_iter()
            .map(|raw| {
                let corrected = if correct && !acronyms.contains(&raw.text) {
                    self.correction(&raw.text)
                } else {
                    None
                };
                let (word, corrected_from) = match corrected {
                    Some(fixed) => (fixed, Some(raw.text)),
                    None => (raw.text, None),
                };
                Token {
                    stem: self.stem(&word),
                    word,
                    clause: raw.clause,
                    comma_opened: raw.comma_opened,
                    corrected_from,
                }
            })
            .collect()
    }

    fn correction(&self, word: &str) -> Option<String> {
        if self.is_common_word(word) {
            return None;
        }
        self.speller
            .correct(word)
            .or_else(|| self.speller.expand_abbreviation(word))
            .map(str::to_string)
    }
}

/// The words `text` spells in capitals though the message as a whole is not
/// shouted, lowercased: "CKD", "COPD", "INR", "PD". Patients and carers write
/// their conditions, devices and tests this way, and such a word is not a
/// typo or a vowel-dropped abbreviation ("CKD" is not "choked"). In a message
/// typed in capitals throughout nothing is set apart this way.
fn acronyms(text: &str) -> Vec<String> {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let capitals = text.chars().filter(|c| c.is_uppercase()).count();
    if capitals * 2 > letters {
        return Vec::new();
    }
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| {
            (2..=6).contains(&word.chars().count())
                && word.chars().filter(|c| c.is_uppercase()).count() >= 2
                && word.chars().all(|c| c.is_uppercase() || c.is_ascii_digit())
        })
        .map(str::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acronyms_in_capitals_are_not_corrected() {
        let analyzer = analyzer(&["choked", "copd"]);
        let words = |text: &str| -> Vec<String> {
            analyzer.analyze(text).into_iter().map(|t| t.word).collect()
        };
        assert_eq!(words("CKD and high BP"), ["ckd", "and", "high", "bp"]);
        // The same letters in lower case are a vowel-dropped word.
        assert_eq!(words("i ckd on it"), ["i", "choked", "on", "it"]);
        // A message in capitals throughout is shouting, not acronyms.
        assert_eq!(words("I CKD ON IT"), ["i", "choked", "on", "it"]);
    }

    fn analyzer(words: &[&str]) -> Analyzer {
        Analyzer::new(&words.iter().map(|w| (w.to_string(), 1)).collect())
    }

    #[test]
    fn corrects_typos_towards_the_vocabulary_and_stems() {
        let analyzer = analyzer(&["ankle", "swollen", "swelling"]);
        let tokens = analyzer.analyze("My ankel is swolen");
        let words: Vec<&str> = tokens.iter().map(|t| t.word.as_str()).collect();
        assert_eq!(words, ["my", "ankle", "is", "swollen"]);
        assert_eq!(tokens[1].corrected_from.as_deref(), Some("ankel"));
        assert_eq!(analyzer.analyze("swelling")[0].stem, analyzer.stem("swell"));
    }

    #[test]
    fn does_not_correct_real_english_words() {
        let analyzer = analyzer(&["pain"]);
        assert_eq!(analyzer.analyze("rain")[0].word, "rain");
    }

    #[test]
    fn exact_analysis_never_corrects() {
        let analyzer = analyzer(&["ankle"]);
        assert_eq!(analyzer.analyze_exact("ankel")[0].word, "ankel");
    }

    #[test]
    fn irregular_forms_stem_like_their_base() {
        let analyzer = analyzer(&[]);
        assert_eq!(analyzer.stem("came"), analyzer.stem("come"));
        assert_eq!(analyzer.stem("fell"), analyzer.stem("falling"));
        assert_eq!(analyzer.stem("swollen"), analyzer.stem("swelling"));
    }

    #[test]
    fn synonyms_are_looked_up_by_stem() {
        let analyzer = analyzer(&[]);
        let price = analyzer.stem("price");
        assert!(analyzer.synonyms(&analyzer.stem("costs")).contains(&price));
        assert!(analyzer.synonyms("zebra").is_empty());
    }

    #[test]
    fn numbers_keep_their_value() {
        let tokens = analyzer(&[]).analyze("temp 38.4");
        assert_eq!(tokens[1].number(), Some(38.4));
        assert_eq!(tokens[0].number(), None);
    }
}
