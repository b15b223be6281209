//! Typo and abbreviation correction towards the knowledge base's own vocabulary.
//!
//! Typos ("ankel", "swolen", "perscription") are found with a symmetric-delete index
//! (the SymSpell idea): every vocabulary word is stored under the strings made by
//! deleting up to N of its characters, so a misspelling is looked up by its own
//! deletions instead of being compared with every word. Candidates are confirmed
//! with the Damerau-Levenshtein (optimal string alignment) distance, which counts a
//! transposition ("ankel"/"ankle") as one edit. The number of edits allowed grows
//! with word length: short words are too easy to turn into other words.
//!
//! Abbreviations with the vowels dropped ("tmrw", "prscrptn") are not typos at any
//! small distance; they are subsequences of the word, which is what `fuzzy-matcher`
//! scores well, so it handles that case.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;

/// Only the first characters of a word are indexed, which bounds the number of
/// deletions per word; the full words are compared when confirming.
const PREFIX_LENGTH: usize = 7;

/// How many edits a word of `length` characters may be away from a correction.
pub fn allowed_edits(length: usize) -> usize {
    match length {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// The vocabulary a message is corrected towards, with its correction index.
#[derive(Debug, Default)]
pub struct Speller {
    words: Vec<String>,
    /// How often each word occurs in the knowledge base: breaks ties between
    /// equally close corrections in favour of the commoner word.
    weights: Vec<u32>,
    /// Hash of a deletion variant → ids of the words that produce it.
    deletions: HashMap<u64, Vec<u32>>,
    /// Words by their first character, for abbreviation matching.
    by_initial: HashMap<char, Vec<u32>>,
}

fn hash_str(text: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// Every string made from `word` by deleting up to `edits` characters.
fn deletion_variants(word: &str, edits: usize) -> HashSet<String> {
    let prefix: String = word.chars().take(PREFIX_LENGTH).collect();
    let mut all = HashSet::from([prefix.clone()]);
    let mut frontier = vec![prefix];
    for _ in 0..edits {
        let mut next = Vec::new();
        for variant in &frontier {
            let chars: Vec<char> = variant.chars().collect();
            if chars.len() <= 1 {
                continue;
            }
            for skip in 0..chars.len() {
                let deleted: String = chars
                    .iter()
                    .enumerate()
                    .filter(|(index, _)| *index != skip)
                    .map(|(_, c)| c)
                    .collect();
                if all.insert(deleted.clone()) {
                    next.push(deleted);
                }
            }
        }
        frontier = next;
    }
    all
}

impl Speller {
    /// Builds the index over `vocabulary` (word → how often it occurs).
    pub fn new(vocabulary: &HashMap<String, u32>) -> Speller {
        let mut speller = Speller::default();
        let mut sorted: Vec<(&String, &u32)> = vocabulary.iter().collect();
        sorted.sort();
        for (word, weight) in sorted {
            let length = word.chars().count();
            if length < 4 || !word.chars().all(char::is_alphabetic) {
                continue;
            }
            let id = speller.words.len() as u32;
            speller.words.push(word.clone());
            speller.weights.push(*weight);
            for variant in deletion_variants(word, allowed_edits(length)) {
                speller
                    .deletions
                    .entry(hash_str(&variant))
                    .or_default()
                    .push(id);
            }
            if let Some(initial) = word.chars().next() {
                speller.by_initial.entry(initial).or_default().push(id);
            }
        }
        speller
    }

    /// The closest vocabulary word to a misspelt `word`, if one is close enough.
    pub fn correct(&self, word: &str) -> Option<&str> {
        let length = word.chars().count();
        if !(4..=40).contains(&length) || !word.chars().all(char::is_alphabetic) {
            return None;
        }
        let first = word.chars().next()?;
        // Deleting up to 2 characters of the query finds every word within 2 edits
        // whose own deletions were indexed; the exact limit is checked below.
        let query_edits = allowed_edits(length + 1).min(2);
        let mut best: Option<(usize, u32, u32)> = None;
        let mut seen = HashSet::new();
        for variant in deletion_variants(word, query_edits) {
            let Some(ids) = self.deletions.get(&hash_str(&variant)) else {
                continue;
            };
            for &id in ids {
                if !seen.insert(id) {
                    continue;
                }
                let candidate = &self.words[id as usize];
                let candidate_length = candidate.chars().count();
                let limit = allowed_edits(length.max(candidate_length));
                if length.abs_diff(candidate_length) > limit {
                    continue;
                }
                // A wrong first letter is rarely a typo in short words.
                if candidate_length < 6 && !candidate.starts_with(first) {
                    continue;
                }
                let distance = strsim::osa_distance(word, candidate);
                if distance == 0 || distance > limit {
                    continue;
                }
                let weight = self.weights[id as usize];
                let better = match best {
                    None => true,
                    Some((best_distance, best_weight, best_id)) => {
                        (distance, u32::MAX - weight, id)
                            < (best_distance, u32::MAX - best_weight, best_id)
                    }
                };
                if better {
                    best = Some((distance, weight, id));
                }
            }
        }
        best.map(|(_, _, id)| self.words[id as usize].as_str())
    }

    /// The vocabulary word that a vowel-dropped abbreviation stands for
    /// ("tmrw" → "tomorrow"), when exactly one word is a clear best match.
    pub fn expand_abbreviation(&self, word: &str) -> Option<&str> {
        let length = word.chars().count();
        let vowels = word.chars().filter(|c| "aeiouy".contains(*c)).count();
        if !(3..=12).contains(&length) || vowels > 1 || !word.chars().all(char::is_alphabetic) {
            return None;
        }
        let initial = word.chars().next()?;
        let kept_syllable = kept_syllable(word);
        let matcher = SkimMatcherV2::default();
        let mut scored: Vec<(i64, &str)> = self
            .by_initial
            .get(&initial)?
            .iter()
            .map(|&id| self.words[id as usize].as_str())
            .filter(|candidate| candidate.chars().count() >= length + 2)
            .filter(|candidate| candidate.starts_with(kept_syllable))
            .filter_map(|candidate| {
                let score = matcher.fuzzy_match(candidate, word)?;
                // Shorter expansions are likelier: "appt" is "appointment", not
                // "appropriately".
                Some((score * 100 / candidate.chars().count() as i64, candidate))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        match scored.as_slice() {
            [] => None,
            [(_, only)] => Some(only),
            [(best, word), (second, _), ..] if *best > *second => Some(word),
            _ => None,
        }
    }
}

/// The start of the word an abbreviation must keep. An abbreviation that keeps
/// a vowel after its first letter was cut short, not stripped of vowels ("lac",
/// "temp", "meds"): the word it stands for starts with that first syllable, up
/// to the letter after the vowel. Otherwise only the first letter is fixed
/// ("tmrw"): "lac" is never "lamictal", whose letters it merely contains.
fn kept_syllable(word: &str) -> &str {
    let inner_vowel = word
        .char_indices()
        .skip(1)
        .find(|(_, c)| "aeiou".contains(*c));
    let end = match inner_vowel {
        Some((at, _)) => word[at..]
            .char_indices()
            .nth(2)
            .map_or(word.len(), |(after, _)| at + after),
        None => word.chars().next().map_or(0, char::len_utf8),
    };
    &word[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speller(words: &[&str]) -> Speller {
        Speller::new(&words.iter().map(|w| (w.to_string(), 1)).collect())
    }

    #[test]
    fn edits_allowed_grow_with_word_length() {
        assert_eq!(allowed_edits(3), 0);
        assert_eq!(allowed_edits(5), 1);
        assert_eq!(allowed_edits(9), 2);
    }

    #[test]
    fn corrects_common_patient_typos() {
        let speller = speller(&[
            "ankle",
            "swollen",
            "appointment",
            "prescription",
            "diarrhea",
            "walk",
        ]);
        assert_eq!(speller.correct("ankel"), Some("ankle"));
        assert_eq!(speller.correct("swolen"), Some("swollen"));
        assert_eq!(speller.correct("apointment"), Some("appointment"));
        assert_eq!(speller.correct("perscription"), Some("prescription"));
        assert_eq!(speller.correct("diarhea"), Some("diarrhea"));
        assert_eq!(speller.correct("wlak"), Some("walk"));
    }

    #[test]
    fn leaves_short_and_distant_words_alone() {
        let speller = speller(&["pain", "ankle", "chest"]);
        assert_eq!(speller.correct("pan"), None, "3 letters: no edits allowed");
        assert_eq!(speller.correct("table"), None, "wrong first letter");
        assert_eq!(speller.correct("chestnut"), None, "too many edits");
        assert_eq!(speller.correct("ankle"), None, "already right");
    }

    #[test]
    fn expands_vowel_dropped_abbreviations() {
        let speller = speller(&["tomorrow", "today", "prescription", "appointment"]);
        assert_eq!(speller.expand_abbreviation("tmrw"), Some("tomorrow"));
        assert_eq!(
            speller.expand_abbreviation("prscrptn"),
            Some("prescription")
        );
        assert_eq!(speller.expand_abbreviation("tomato"), None, "has vowels");
    }

    #[test]
    fn an_abbreviation_that_keeps_a_vowel_keeps_its_first_syllable() {
        let clinical = speller(&["lamictal", "laceration", "temperature", "tablets"]);
        assert_eq!(clinical.expand_abbreviation("lac"), Some("laceration"));
        assert_eq!(clinical.expand_abbreviation("temp"), Some("temperature"));
        let medicines = speller(&["lamictal"]);
        assert_eq!(
            medicines.expand_abbreviation("lac"),
            None,
            "only shares letters"
        );
        assert_eq!(kept_syllable("tmrw"), "t");
        assert_eq!(kept_syllable("appt"), "a");
    }
}
