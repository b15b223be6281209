//! One [`Lexicon`] per language carebot speaks: the word tables every matching
//! stage reads (text-speak, negation and context triggers, yes and no, number
//! words, the fail-safe's problem words and body parts), the stemmer, and the
//! list of everyday words the spelling corrector must leave alone.
//!
//! Clinical logic is not here: rules and concepts are the knowledge base's,
//! the same in every language. What changes with the language is how a
//! message's words are read, so an [`super::Analyzer`] carries its lexicon
//! and every stage built from the analyzer reads the tables through it.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use rust_stemmers::Algorithm;

pub use carebot_chat::Language;

use super::{lexicon as en, lexicon_es as es};
use crate::health;

/// The fail-safe's built-in words ([`crate::health`]): what reports a health
/// problem whatever the knowledge base says.
#[derive(Debug)]
pub struct HealthWords {
    pub problem_words: &'static [&'static str],
    pub generic_words: &'static [&'static str],
    pub not_a_problem: &'static [&'static str],
    pub body_parts: &'static [&'static str],
    pub owned_body_parts: &'static [&'static str],
    pub owners: &'static [&'static str],
    pub something_wrong: &'static [&'static str],
    pub animals: &'static [&'static str],
}

type Pairs = &'static [(&'static str, &'static str)];
type Words = &'static [&'static str];

/// The few sentences the engine writes itself, per language (everything a
/// practice may want to reword is in its `[messages]` instead).
#[derive(Debug)]
pub struct Phrases {
    /// The buttons under a yes-or-no follow-up question: yes, no, not sure.
    /// Each is also what the engine receives when it is tapped, so each must
    /// read back as its answer.
    pub answer_buttons: [&'static str; 3],
    /// Introduces the answer to a practical question asked with a symptom.
    pub also_asked_about: &'static str,
    /// Confirms a change of language.
    pub switched: &'static str,
    /// Asks which language, above one button per language.
    pub which_language: &'static str,
}

/// A language's word tables. The fields mirror the tables of `lexicon.rs`
/// (English) and `lexicon_es.rs` (Spanish), which document each one.
pub struct Lexicon {
    pub language: Language,
    pub stemmer: Algorithm,
    /// Whether accents are folded away before matching ("dolór", "dolor" and
    /// "dolor" typed on a phone without accents are one word). Not for English,
    /// whose few accented words ("café") are better left as written.
    pub fold_accents: bool,
    pub contractions: Pairs,
    pub text_speak: Pairs,
    pub clinical_terms: Pairs,
    pub stopwords: Words,
    pub scope_terminators: Words,
    pub pre_negation: Words,
    pub post_negation: Words,
    pub historical: Words,
    pub ages_of_life: Words,
    pub hypothetical: Words,
    pub weak_hypothetical: Words,
    pub now_anchors: Words,
    pub pseudo_triggers: Words,
    /// Pseudo-triggers (not in `pseudo_triggers`) that hold only when the rest
    /// of their clause says the thing is new ("never had pain like this before"); without
    /// that they negate ("I've never had chest pain").
    pub novelty_pseudo_triggers: Words,
    /// The words after such a trigger that say it is new.
    pub novelty_markers: Words,
    pub onset_units: Words,
    pub post_hypothetical: Words,
    pub pronouns_after_interjection: Words,
    pub yes: Words,
    pub no: Words,
    pub unsure: Words,
    pub number_words: &'static [(&'static str, f64)],
    pub irregular_forms: Pairs,
    pub synonyms: &'static [&'static [&'static str]],
    /// Words that do not count towards the gap a concept phrase may stretch
    /// over ([`crate::findings::MAX_GAP`]): Spanish puts articles and
    /// prepositions where English puts none ("dolor en la parte baja de la
    /// barriga"). None for English, whose phrases were written to the gap.
    pub gap_fillers: Words,
    /// Phrases that say the person is pregnant now, or has just given birth
    /// (the built-in finding behind `when.pregnant`; `#` is any number).
    pub pregnancy_words: Words,
    pub health: HealthWords,
    /// The bot's own words in the language, where no knowledge file says them.
    pub phrases: Phrases,
    /// Everyday words of the language, one per line (`#` starts a comment).
    word_list: &'static str,
    expansions: OnceLock<HashMap<&'static str, &'static str>>,
    common_words: OnceLock<HashSet<&'static str>>,
    stopword_set: OnceLock<HashSet<&'static str>>,
}

impl std::fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lexicon")
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

/// English, the language the knowledge files are written in.
pub static ENGLISH: Lexicon = Lexicon {
    language: Language::English,
    stemmer: Algorithm::English,
    fold_accents: false,
    contractions: en::CONTRACTIONS,
    text_speak: en::TEXT_SPEAK,
    clinical_terms: en::CLINICAL_TERMS,
    stopwords: en::STOPWORDS,
    scope_terminators: en::SCOPE_TERMINATORS,
    pre_negation: en::PRE_NEGATION,
    post_negation: en::POST_NEGATION,
    historical: en::HISTORICAL,
    ages_of_life: en::AGES_OF_LIFE,
    hypothetical: en::HYPOTHETICAL,
    weak_hypothetical: en::WEAK_HYPOTHETICAL,
    now_anchors: en::NOW_ANCHORS,
    pseudo_triggers: en::PSEUDO_TRIGGERS,
    novelty_pseudo_triggers: en::NOVELTY_PSEUDO_TRIGGERS,
    novelty_markers: en::NOVELTY_MARKERS,
    onset_units: en::ONSET_UNITS,
    post_hypothetical: en::POST_HYPOTHETICAL,
    pronouns_after_interjection: en::PRONOUNS_AFTER_INTERJECTION,
    yes: en::YES,
    no: en::NO,
    unsure: en::UNSURE,
    number_words: en::NUMBER_WORDS,
    irregular_forms: en::IRREGULAR_FORMS,
    synonyms: en::SYNONYMS,
    gap_fillers: &[],
    pregnancy_words: crate::findings::PREGNANCY_WORDS,
    health: HealthWords {
        problem_words: health::PROBLEM_WORDS,
        generic_words: health::GENERIC_WORDS,
        not_a_problem: health::NOT_A_PROBLEM,
        body_parts: health::BODY_PARTS,
        owned_body_parts: health::OWNED_BODY_PARTS,
        owners: health::OWNERS,
        something_wrong: health::SOMETHING_WRONG,
        animals: health::ANIMALS,
    },
    phrases: Phrases {
        answer_buttons: ["Yes", "No", "Not sure"],
        also_asked_about: "You also asked about",
        switched: "OK, I'll reply in English from now on.",
        which_language: "Which language would you like me to use?",
    },
    word_list: include_str!("english-words.txt"),
    expansions: OnceLock::new(),
    common_words: OnceLock::new(),
    stopword_set: OnceLock::new(),
};

/// Spanish, as patients in the Americas and Spain write it in chat.
pub static SPANISH: Lexicon = Lexicon {
    language: Language::Spanish,
    stemmer: Algorithm::Spanish,
    fold_accents: true,
    contractions: es::CONTRACTIONS,
    text_speak: es::TEXT_SPEAK,
    clinical_terms: es::CLINICAL_TERMS,
    stopwords: es::STOPWORDS,
    scope_terminators: es::SCOPE_TERMINATORS,
    pre_negation: es::PRE_NEGATION,
    post_negation: es::POST_NEGATION,
    historical: es::HISTORICAL,
    ages_of_life: es::AGES_OF_LIFE,
    hypothetical: es::HYPOTHETICAL,
    weak_hypothetical: es::WEAK_HYPOTHETICAL,
    now_anchors: es::NOW_ANCHORS,
    pseudo_triggers: es::PSEUDO_TRIGGERS,
    // Spanish says "never before" with its own tense: "nunca había tenido"
    // is in the pseudo-triggers as it stands.
    novelty_pseudo_triggers: &[],
    novelty_markers: &[],
    onset_units: es::ONSET_UNITS,
    post_hypothetical: es::POST_HYPOTHETICAL,
    pronouns_after_interjection: es::PRONOUNS_AFTER_INTERJECTION,
    yes: es::YES,
    no: es::NO,
    unsure: es::UNSURE,
    number_words: es::NUMBER_WORDS,
    irregular_forms: es::IRREGULAR_FORMS,
    synonyms: es::SYNONYMS,
    // Not bare "embarazada": folded and stemmed it is "embarazo", and "la
    // prueba de embarazo" is no pregnancy.
    pregnancy_words: &[
        "estoy embarazada",
        "esta embarazada",
        "estoy embarazadisima",
        "quede embarazada",
        "salio embarazada",
        "sali embarazada",
        "embarazada de #",
        "mujer embarazada",
        "esposa embarazada",
        "hija embarazada",
        "novia embarazada",
        "este embarazo",
        "estoy en embarazo",
        "esperando un bebe",
        "en estado",
        "encinta",
        "# semanas de embarazo",
        "# semanas de gestacion",
        "# semanas embarazada",
        "# meses de embarazo",
        "# meses embarazada",
        "prueba de embarazo positiva",
        "prueba de embarazo salio positiva",
        "test de embarazo positivo",
        "salio positiva la prueba",
        "di a luz",
        "dio a luz",
        "acabo de dar a luz",
        "acabo de tener a mi bebe",
        "acabo de tener bebe",
        "tuve a mi bebe",
        "tuvo a su bebe",
        "tuve bebe",
        "parto reciente",
        "posparto",
        "postparto",
        "post parto",
        "puerperio",
        "recien parida",
        "no me ha bajado la regla",
        "no me baja la regla",
        "no me ha venido la regla",
        "no me viene la regla",
        "se me retraso la regla",
        "la regla se me atraso",
        "tengo un retraso",
        "no me ha bajado el periodo",
        "no me baja el periodo",
        "se me atraso el periodo",
    ],
    gap_fillers: &[
        "el",
        "la",
        "los",
        "las",
        "lo",
        "un",
        "una",
        "unos",
        "unas",
        "de",
        "del",
        "en",
        "a",
        "al",
        "mi",
        "mis",
        "su",
        "sus",
        "tu",
        "tus",
        "me",
        "te",
        "se",
        "le",
        "les",
        "nos",
        "muy",
        "mucho",
        "mucha",
        "bastante",
        "demasiado",
        "super",
        "re",
        "tan",
    ],
    health: HealthWords {
        problem_words: es::PROBLEM_WORDS,
        generic_words: es::GENERIC_WORDS,
        not_a_problem: es::NOT_A_PROBLEM,
        body_parts: es::BODY_PARTS,
        owned_body_parts: es::OWNED_BODY_PARTS,
        owners: es::OWNERS,
        something_wrong: es::SOMETHING_WRONG,
        animals: es::ANIMALS,
    },
    phrases: Phrases {
        answer_buttons: ["Sí", "No", "No estoy seguro"],
        also_asked_about: "También preguntó por",
        switched: "De acuerdo, a partir de ahora le respondo en español.",
        which_language: "¿En qué idioma prefiere que le responda?",
    },
    word_list: include_str!("spanish-words.txt"),
    expansions: OnceLock::new(),
    common_words: OnceLock::new(),
    stopword_set: OnceLock::new(),
};

/// The lexicon of `language`.
pub fn lexicon(language: Language) -> &'static Lexicon {
    match language {
        Language::English => &ENGLISH,
        Language::Spanish => &SPANISH,
    }
}

impl Lexicon {
    /// The value of a number word ("seven", "siete" → 7).
    pub fn number_word(&self, word: &str) -> Option<f64> {
        self.number_words
            .iter()
            .find(|(number, _)| *number == word)
            .map(|(_, value)| *value)
    }

    /// Whether `word` says nothing about a question's topic ("the", "el").
    /// A set rather than a scan of the list: this runs for every word of
    /// every message and every knowledge-file text.
    pub fn is_stopword(&self, word: &str) -> bool {
        self.stopword_set
            .get_or_init(|| self.stopwords.iter().copied().collect())
            .contains(word)
    }

    /// Contractions, text-speak and clinical shorthand → what they stand for.
    pub fn expansions(&self) -> &HashMap<&'static str, &'static str> {
        self.expansions.get_or_init(|| {
            self.contractions
                .iter()
                .chain(self.text_speak)
                .chain(self.clinical_terms)
                .copied()
                .collect()
        })
    }

    /// The lexicon's own words and the language's everyday words: never
    /// "corrected" into a knowledge-base word ("rain" is not "pain"). Built
    /// once per process and language, shared by every analyzer.
    pub fn common_words(&self) -> &HashSet<&'static str> {
        self.common_words.get_or_init(|| {
            let pairs = self
                .contractions
                .iter()
                .chain(self.text_speak)
                .flat_map(|(from, to)| std::iter::once(*from).chain(to.split(' ')));
            let lists = [
                self.stopwords,
                self.scope_terminators,
                self.pre_negation,
                self.post_negation,
                self.historical,
                self.hypothetical,
                self.post_hypothetical,
                self.pronouns_after_interjection,
                self.yes,
                self.no,
                self.unsure,
            ]
            .into_iter()
            .flat_map(|list| list.iter().flat_map(|phrase| phrase.split(' ')));
            let numbers = self.number_words.iter().map(|(word, _)| *word);
            let everyday = self
                .word_list
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#'));
            pairs.chain(lists).chain(numbers).chain(everyday).collect()
        })
    }
}

/// Whether `word` is in the table `pick` chooses, in any language: for the
/// few checks made on a word alone, away from an analyzer ("years" or
/// "años" after an age), where the languages' tables share no word that
/// would mean something else in the other.
pub fn in_any_language(
    pick: impl Fn(&'static Lexicon) -> &'static [&'static str],
    word: &str,
) -> bool {
    Language::ALL
        .into_iter()
        .any(|language| pick(lexicon(language)).contains(&word))
}
