//! The languages carebot talks to patients in: a conversation's language is
//! kept with it, knowledge files give their texts per language, and the
//! adapters show what the engine wrote in it. Data only; detecting a
//! message's language and the word tables of each live in the core.

use serde::{Deserialize, Serialize};

/// A language a practice can offer its patients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Language {
    #[serde(rename = "en")]
    English,
    #[serde(rename = "es")]
    Spanish,
}

impl Language {
    /// Every language carebot has word tables for.
    pub const ALL: [Language; 2] = [Language::English, Language::Spanish];

    /// The ISO 639-1 code used in knowledge files, settings and commands.
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Spanish => "es",
        }
    }

    /// The language's name in the language itself, for buttons and lists a
    /// patient who reads only that language must still recognise.
    pub fn own_name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::Spanish => "Español",
        }
    }

    /// Reads a code ("es") or a name in English or in the language itself
    /// ("Spanish", "español", "espanol"), in any case.
    pub fn parse(name: &str) -> Option<Language> {
        let name = name.trim().to_lowercase();
        match name.as_str() {
            "en" | "eng" | "english" | "ingles" | "inglés" => Some(Language::English),
            "es" | "spa" | "spanish" | "espanol" | "español" | "castellano" => {
                Some(Language::Spanish)
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_read_back() {
        for language in Language::ALL {
            assert_eq!(Language::parse(language.code()), Some(language));
            assert_eq!(Language::parse(language.own_name()), Some(language));
        }
        assert_eq!(Language::parse(" Espanol "), Some(Language::Spanish));
        assert_eq!(Language::parse("fr"), None);
    }
}
