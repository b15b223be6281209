//! Modifiers that change a triage outcome: the age of the person who is unwell
//! ("my 7 week old", "I'm 70", "newborn"), a temperature ("38.4", "101F") and how
//! long it has gone on ("for 3 weeks", "5 days now").
//!
//! Spanish is read by the same code: the words below carry their Spanish
//! equivalents (accents folded, as the Spanish analyzer gives them: "bebe de
//! 2 meses", "tiene 70 anos", "desde hace 3 dias", "fiebre de 39"), because
//! the two languages' words do not collide where these lists are read (after
//! or before a number).
//!
//! Age is kept as a range because people often give one ("my baby" is under a
//! year, "toddler" one to four): a rule about babies under 3 months is decided by
//! "7 weeks", ruled out by "toddler", and left open (so the bot asks) by "baby".

use serde::{Deserialize, Serialize};

use crate::knowledge::{days_per_unit, is_body_temperature, to_celsius, AskAbout};
use crate::text::{lexicon, Token};

/// Days in a year, for age words.
const YEAR: f64 = 365.25;

/// What a message says about age, temperature and duration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Modifiers {
    /// Age range in days (lowest, highest).
    pub age_days: Option<(f64, f64)>,
    pub temperature_celsius: Option<f64>,
    pub duration_days: Option<f64>,
}

impl Modifiers {
    /// Combines what an answer adds to what was known: newer values win, since a
    /// patient answering a question about age is correcting or completing it.
    pub fn merge(&mut self, newer: Modifiers) {
        if newer.age_days.is_some() {
            self.age_days = newer.age_days;
        }
        if newer.temperature_celsius.is_some() {
            self.temperature_celsius = newer.temperature_celsius;
        }
        if let Some(days) = newer.duration_days {
            self.duration_days = Some(self.duration_days.map_or(days, |d| d.max(days)));
        }
    }
}

fn number_of(token: &Token) -> Option<f64> {
    token.number().or_else(|| lexicon::number_word(&token.word))
}

/// Days per unit of the word at `at`, if it is a unit of time. A "y" with
/// more words after it in its clause is Spanish "and" ("fiebre de 38.3 y
/// está dormida"), not years ("she is 4 y").
fn unit_at(tokens: &[Token], at: usize) -> Option<f64> {
    let unit = word(tokens, at);
    if unit == "y" {
        let clause = tokens.get(at).map(|t| t.clause);
        let next = tokens.get(at + 1);
        if next.is_some_and(|n| Some(n.clause) == clause && !matches!(n.word.as_str(), "old" | "o"))
        {
            return None;
        }
    }
    days_per_unit(unit)
}

fn word(tokens: &[Token], at: usize) -> &str {
    tokens.get(at).map_or("", |t| t.word.as_str())
}

/// Extracts modifiers from `tokens`. `answering` is what the bot just asked
/// about: a bare "7 weeks" or "38.5" is then an answer to it.
pub fn extract(tokens: &[Token], answering: Option<&AskAbout>) -> Modifiers {
    Modifiers {
        age_days: age(tokens, answering == Some(&AskAbout::Age)),
        temperature_celsius: temperature(tokens, answering == Some(&AskAbout::Temperature)),
        duration_days: duration(tokens, answering == Some(&AskAbout::Duration)),
    }
}

fn age(tokens: &[Token], answering: bool) -> Option<(f64, f64)> {
    if let Some(days) = clinical_age(tokens).or_else(|| age_after_a_relation(tokens)) {
        return Some(exact(days));
    }
    for at in 0..tokens.len() {
        let Some(value) = number_of(&tokens[at]) else {
            continue;
        };
        let unit = unit_at(tokens, at + 1);
        let after_unit = word(tokens, at + 2);
        // "7 week old", "2 year old", "3 months of age"
        if let Some(per_unit) = unit {
            if after_unit == "old"
                || (after_unit == "of" && word(tokens, at + 3) == "age")
                || (after_unit == "de" && word(tokens, at + 3) == "edad")
            {
                return Some(exact(value * per_unit));
            }
            // "she is 10 weeks" is an age; "I am 34 weeks" is not (nobody that
            // young writes), it is how far along a pregnancy is.
            let before = word(tokens, at.wrapping_sub(1));
            let in_years = per_unit >= 365.0;
            // "Infant 4/12", "baby 6 weeks": a clinical note puts the age
            // straight after the person.
            let named = matches!(
                before,
                "infant"
                    | "baby"
                    | "neonate"
                    | "newborn"
                    | "toddler"
                    | "child"
                    | "bebe"
                    | "lactante"
            );
            // Spanish gives an age after the person with "de" ("mi hijo de 3
            // anos", "bebe de 2 meses", "mujer de 58 anos"), where "fiebre de
            // 3 dias" is a duration and "embarazada de 8 meses" a pregnancy;
            // and with "tiene" ("tiene 70 anos"), where "tiene 3 dias con
            // fiebre" is a duration: months and weeks only for a child.
            let person_before = PEOPLE_ES.contains(&word(tokens, at.wrapping_sub(2)));
            let child_named = names_a_child(tokens);
            let spanish = (before == "de" && person_before)
                || (matches!(before, "tiene" | "tengo" | "cumplio" | "cumple")
                    && (in_years || child_named));
            let stated = matches!(before, "is" | "turned" | "aged")
                || (before == "am" && in_years)
                || named
                || spanish;
            if (answering || stated)
                && !matches!(
                    after_unit,
                    "ago" | "pregnant" | "now" | "straight" | "con" | "sin" | "embarazada"
                )
            {
                return Some(exact(value * per_unit));
            }
        }
        if tokens[at]
            .number()
            .is_some_and(|v| v.fract() == 0.0 && (1.0..=120.0).contains(&v))
        {
            let before: Vec<&str> = (at.saturating_sub(2)..at)
                .map(|i| word(tokens, i))
                .collect();
            let next = word(tokens, at + 1);
            let next_is_unit = unit.is_some()
                || matches!(
                    next,
                    "degrees" | "c" | "f" | "percent" | "kg" | "lbs" | "mg"
                );
            // "aged 70", "age 70", "I am 70", "she is 4"
            let introduced = matches!(before.last().copied(), Some("aged" | "age" | "edad"))
                || matches!(
                    before.as_slice(),
                    ["i", "am"] | ["he", "is"] | ["she", "is"] | ["they", "are"]
                );
            if !next_is_unit && (introduced || answering) {
                return Some(exact(value * YEAR));
            }
        }
    }
    // Words that give an age range. In a message about a pregnancy, "the baby"
    // is the unborn baby, not the person who is unwell.
    let pregnancy = tokens.iter().any(|t| {
        matches!(
            t.word.as_str(),
            "pregnant"
                | "pregnancy"
                | "embarazada"
                | "embarazo"
                | "gestacion"
                | "parto"
                | "posparto"
                | "cesarea"
                | "midwife"
                | "kicks"
                | "gestation"
                | "postpartum"
                | "postnatal"
                | "birth"
                | "delivered"
                | "section"
        )
    });
    for token in tokens {
        if pregnancy
            && matches!(
                token.word.as_str(),
                "baby" | "babies" | "infant" | "bebe" | "bebes" | "bebito" | "bebita"
            )
        {
            continue;
        }
        let range = match token.word.as_str() {
            "newborn" | "neonate" | "recien" | "neonato" => (0.0, 28.0),
            "baby" | "infant" | "babies" | "bebe" | "bebes" | "bebito" | "bebita" | "lactante" => {
                (0.0, YEAR)
            }
            "toddler" => (YEAR, 4.0 * YEAR),
            "teen" | "teenager" | "teenage" | "adolescente" => (13.0 * YEAR, 20.0 * YEAR),
            "elderly" | "pensioner" | "anciano" | "anciana" => (65.0 * YEAR, 120.0 * YEAR),
            _ => continue,
        };
        return Some(range);
    }
    // Only when no child is named: an adult named by who they are ("my dad",
    // "my wife", "a woman"), or a patient writing about themselves, is no
    // baby, so a question about a baby's age would not fit.
    let adult = tokens.iter().any(|t| ADULTS.contains(&t.word.as_str()));
    let about_a_child = names_a_child(tokens);
    let about_someone_else = tokens.iter().any(|t| {
        matches!(
            t.word.as_str(),
            "he" | "she"
                | "him"
                | "her"
                | "they"
                | "them"
                | "ella"
                | "ellos"
                | "ellas"
                | "le"
                | "les"
        )
    });
    let about_themselves = tokens.iter().any(|t| {
        matches!(
            t.word.as_str(),
            "i" | "me" | "im" | "my" | "myself" | "yo" | "mi" | "tengo" | "estoy"
        )
    });
    if !about_a_child && (adult || (about_themselves && !about_someone_else) || pregnancy) {
        return Some((ADULT_FROM, 120.0 * YEAR));
    }
    // A treatment of long standing ("kidney transplant 2 yrs ago", "day 9 of
    // cycle 3 of chemo") says the person is no newborn, whoever they are.
    if tokens
        .iter()
        .any(|t| LONG_TREATMENTS.contains(&t.word.as_str()))
    {
        return Some((YEAR, 120.0 * YEAR));
    }
    None
}

/// Treatments a baby in its first months does not have behind it: a message
/// that names one is about someone a year old at least.
const LONG_TREATMENTS: &[&str] = &[
    "transplant",
    "transplanted",
    "chemo",
    "chemotherapy",
    "dialysis",
    "haemodialysis",
    "hemodialysis",
    "stent",
    "stents",
    "pacemaker",
    "warfarin",
    "apixaban",
    "rivaroxaban",
    "methotrexate",
    "lithium",
    "trasplante",
    "quimio",
    "quimioterapia",
    "dialisis",
    "marcapasos",
];

/// Whether the message names a child ([`CHILDREN`]). English chat's "lo"
/// (little one) and "yo" (year-old) count only where English puts them ("my
/// lo", "3 yo"): in Spanish they are a pronoun ("lo siento caliente") and "I".
fn names_a_child(tokens: &[Token]) -> bool {
    (0..tokens.len()).any(|at| match word(tokens, at) {
        "lo" => matches!(
            word(tokens, at.wrapping_sub(1)),
            "my" | "the" | "our" | "little" | "her" | "his"
        ),
        "yo" => tokens
            .get(at.wrapping_sub(1))
            .is_some_and(|before| before.number().is_some()),
        other => CHILDREN.contains(&other),
    })
}

/// Spanish words for a person that an age follows with "de" ("mi hijo de
/// 3 anos", "paciente de 58 anos").
const PEOPLE_ES: &[&str] = &[
    "abuelito",
    "abuelita",
    "hijito",
    "hijita",
    "baby",
    "bebe",
    "bebito",
    "bebita",
    "nino",
    "nina",
    "nene",
    "nena",
    "hijo",
    "hija",
    "chamaco",
    "chamaca",
    "crio",
    "cria",
    "nieto",
    "nieta",
    "sobrino",
    "sobrina",
    "paciente",
    "mujer",
    "hombre",
    "senora",
    "senor",
    "varon",
    "abuelo",
    "abuela",
    "mama",
    "papa",
    "esposo",
    "esposa",
    "marido",
    "hermano",
    "hermana",
    "chico",
    "chica",
    "muchacho",
    "muchacha",
    "adolescente",
    "lactante",
    "pequeno",
    "pequena",
    "anciano",
    "anciana",
    "persona",
    "femenina",
    "masculino",
];

/// The youngest an adult named by who they are, or a patient writing about
/// themselves, is taken to be.
const ADULT_FROM: f64 = 12.0 * YEAR;

/// People whom a message names by who they are to the writer, who are adults.
const ADULTS: &[&str] = &[
    "husband",
    "wife",
    "dad",
    "father",
    "mum",
    "mom",
    "mother",
    "grandad",
    "grandpa",
    "granddad",
    "grandma",
    "granny",
    "nan",
    "nana",
    "grandmother",
    "grandfather",
    "partner",
    "boyfriend",
    "girlfriend",
    "flatmate",
    "roommate",
    "colleague",
    "coworker",
    "neighbour",
    "neighbor",
    "fiance",
    "fiancee",
    // Spanish.
    "esposo",
    "esposa",
    "marido",
    "papa",
    "mama",
    "padre",
    "madre",
    "abuelo",
    "abuela",
    "abuelito",
    "abuelita",
    "pareja",
    "novio",
    "novia",
    "vecino",
    "vecina",
    "suegro",
    "suegra",
    "tio",
    "tia",
    "companero",
    "companera",
    "senor",
    "senora",
    "hombre",
    "mujer",
    "man",
    "woman",
    "lady",
    "gentleman",
    "adult",
    "patient",
    "resident",
    "uncle",
    "aunt",
    "auntie",
    "landlord",
    "boss",
];

/// Words that name a child.
const CHILDREN: &[&str] = &[
    // Spanish.
    "hijo",
    "hija",
    "hijito",
    "hijita",
    "nino",
    "nina",
    "nene",
    "nena",
    "bebe",
    "bebito",
    "bebita",
    "chamaco",
    "chamaca",
    "crio",
    "cria",
    "chiquito",
    "chiquita",
    "nieto",
    "nieta",
    "sobrino",
    "sobrina",
    "peque",
    "son",
    "daughter",
    "child",
    "children",
    "kid",
    "kids",
    "boy",
    "girl",
    "baby",
    "babies",
    "infant",
    "toddler",
    "newborn",
    "little",
    "lo",
    "grandson",
    "granddaughter",
    "nephew",
    "niece",
    "pupil",
    "student",
    "teen",
    "teenager",
    "yo",
    "year",
];

/// The age-and-sex shorthand notes open with: "45M", "68F, 3/7 dysuria",
/// "Pt 18mo, fever", "Resident 88F". Read only at the start of the message or
/// after "patient", "resident" or "client", where nothing else is written so.
fn clinical_age(tokens: &[Token]) -> Option<f64> {
    for at in 0..tokens.len().min(6) {
        let Some(value) = tokens[at].number() else {
            continue;
        };
        let opening = at <= 1 || matches!(word(tokens, at - 1), "patient" | "resident" | "client");
        if !opening || value.fract() != 0.0 || !(0.0..=120.0).contains(&value) {
            continue;
        }
        match word(tokens, at + 1) {
            "m" | "f" | "male" | "female" if value >= 1.0 => return Some(value * YEAR),
            "mo" | "mos" => return Some(value * 30.44),
            _ => {}
        }
    }
    None
}

/// An age written right after who it is: "my daughter (4)", "my dads 78",
/// "son 22 has...". A unit after the number makes it something else ("my son
/// 2 days ago").
fn age_after_a_relation(tokens: &[Token]) -> Option<f64> {
    (1..tokens.len()).find_map(|at| {
        let relation = word(tokens, at - 1);
        let relation = relation
            .strip_suffix('s')
            .filter(|r| r.len() > 2)
            .unwrap_or(relation);
        let is_relation = ADULTS.contains(&relation) || CHILDREN.contains(&relation);
        let value = tokens[at].number()?;
        let unit_follows = unit_at(tokens, at + 1).is_some()
            || matches!(
                word(tokens, at + 1),
                "times" | "x" | "pm" | "am" | "o" | "oclock"
            );
        (is_relation && value.fract() == 0.0 && (1.0..=110.0).contains(&value) && !unit_follows)
            .then_some(value * YEAR)
    })
}

fn exact(days: f64) -> (f64, f64) {
    (days, days)
}

fn temperature(tokens: &[Token], answering: bool) -> Option<f64> {
    let context = |clause: u32| {
        tokens.iter().any(|t| {
            t.clause == clause
                && matches!(
                    t.word.as_str(),
                    "temp"
                        | "temperature"
                        | "fever"
                        | "thermometer"
                        | "reading"
                        | "febrile"
                        | "degrees"
                        | "fiebre"
                        | "calentura"
                        | "temperatura"
                        | "termometro"
                        | "febril"
                        | "grados"
                )
        })
    };
    for (at, token) in tokens.iter().enumerate() {
        let Some(value) = token.number() else {
            continue;
        };
        let mut next = at + 1;
        if matches!(word(tokens, next), "degrees" | "grados") {
            next += 1;
        }
        let unit = match word(tokens, next) {
            "c" | "celsius" | "centigrade" => Some('c'),
            "f" | "fahrenheit" => Some('f'),
            _ => None,
        };
        if unit_at(tokens, at + 1).is_some() {
            continue;
        }
        // A bare number is a temperature only where the message (or the question
        // it answers) is about one: "room 38" is not.
        let is_reading = unit.is_some()
            || answering
            || context(token.clause)
            || matches!(word(tokens, at + 1), "degrees" | "grados")
            || looks_like_a_thermometer_reading(tokens, at);
        if !is_reading {
            continue;
        }
        // The same conversion and plausibility check as a rule's bound gets.
        let celsius = to_celsius(value, unit);
        if is_body_temperature(celsius) {
            return Some(celsius);
        }
    }
    None
}

/// A number with one decimal place ("38.2", "101.4") is how a thermometer
/// shows a temperature, and little else a patient types looks like it once
/// units and other readings are ruled out: "38.2 under the arm" needs no
/// "temp" before it. Body-temperature plausibility is checked by the caller.
fn looks_like_a_thermometer_reading(tokens: &[Token], at: usize) -> bool {
    const OTHER_UNITS: &[&str] = &[
        "kg", "kgs", "kilo", "kilos", "lb", "lbs", "pound", "pounds", "stone", "g", "mg", "ml",
        "mmol", "mmol/l", "mg/dl", "cm", "mm", "inch", "inches", "percent", "%", "miles", "km",
    ];
    const OTHER_READINGS: &[&str] = &[
        "sugar",
        "sugars",
        "glucose",
        "bm",
        "bg",
        "cbg",
        "weight",
        "weighs",
        "weigh",
        "bmi",
        "hba1c",
        "a1c",
        "ketones",
        "ketone",
        "inr",
        "potassium",
        "sodium",
        "crp",
        "hb",
    ];
    let written = &tokens[at].word;
    let decimals = written.split_once('.').map(|(_, after)| after.len());
    decimals == Some(1)
        && !OTHER_UNITS.contains(&word(tokens, at + 1))
        && !(at.saturating_sub(3)..at).any(|before| OTHER_READINGS.contains(&word(tokens, before)))
}

fn duration(tokens: &[Token], answering: bool) -> Option<f64> {
    let mut longest: Option<f64> = None;
    let mut note = |days: f64| longest = Some(longest.map_or(days, |d: f64| d.max(days)));
    for at in 0..tokens.len() {
        let current = word(tokens, at);
        // "for weeks", "for months": at least two of them.
        if matches!(current, "for" | "over" | "por" | "durante" | "hace") {
            if let Some(per_unit) = unit_at(tokens, at + 1) {
                if word(tokens, at + 1).ends_with('s') {
                    note(2.0 * per_unit);
                }
            }
        }
        let Some(value) = number_of(&tokens[at]) else {
            continue;
        };
        // "half an hour" ("an" and "a" are numbers: "for an hour")
        let value = if at > 0 && word(tokens, at - 1) == "half" {
            value / 2.0
        } else {
            value
        };
        let Some(per_unit) = unit_at(tokens, at + 1) else {
            continue;
        };
        let after = word(tokens, at + 2);
        if matches!(after, "old" | "pregnant" | "embarazada")
            || (after == "of" && word(tokens, at + 3) == "age")
            || (after == "de" && word(tokens, at + 3) == "edad")
        {
            continue;
        }
        // "mi hijo de 3 anos", "tiene 70 anos": an age (read above), not how
        // long something has gone on.
        let before_word = word(tokens, at.wrapping_sub(1));
        if (before_word == "de" && PEOPLE_ES.contains(&word(tokens, at.wrapping_sub(2))))
            || (matches!(before_word, "tiene" | "tengo" | "cumplio" | "cumple")
                && per_unit >= 365.0)
        {
            continue;
        }
        // "embarazada de 30 semanas", "30 semanas de embarazo": how far
        // along a pregnancy is.
        let pregnancy_word = |w: &str| matches!(w, "embarazada" | "embarazo" | "gestacion");
        if (at.saturating_sub(2)..at).any(|i| pregnancy_word(word(tokens, i)))
            || (after == "de" && pregnancy_word(word(tokens, at + 3)))
        {
            continue;
        }
        let before: Vec<&str> = (at.saturating_sub(3)..at)
            .map(|i| word(tokens, i))
            .collect();
        let introduced = before.iter().any(|w| {
            matches!(
                *w,
                "for"
                    | "past"
                    | "last"
                    | "since"
                    | "over"
                    | "than"
                    | "about"
                    | "almost"
                    | "nearly"
                    | "lasted"
                    | "lasting"
                    // "been 2 months", "it's been 3 days"
                    | "been"
                    // "nosebleed going 45 min", "gone on 2 hours"
                    | "going"
                    | "gone"
                    // Spanish: "desde hace 3 dias", "llevo 2 semanas",
                    // "durante 5 dias", "hace mas de 3 semanas", "tengo 3
                    // dias con fiebre".
                    | "desde"
                    | "hace"
                    | "durante"
                    | "llevo"
                    | "lleva"
                    | "llevamos"
                    | "llevan"
                    | "por"
                    | "mas"
                    | "casi"
                    | "ultimos"
                    | "ultimas"
                    | "tiene"
                    | "tengo"
                    // "fiebre de 3 dias" (an age with "de" was set aside above)
                    | "de"
            )
        });
        let closed = matches!(
            after,
            "now"
                | "ago"
                | "straight"
                // "3 days solid"
                | "solid"
                | "running"
                | "already"
                | "in"
                | "ya"
                | "seguidos"
                | "seguidas"
        );
        if introduced || closed || answering {
            note(value * per_unit);
        }
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Analyzer;

    fn modifiers(text: &str) -> Modifiers {
        extract(&Analyzer::without_vocabulary().analyze(text), None)
    }

    fn answer(text: &str, about: AskAbout) -> Modifiers {
        extract(&Analyzer::without_vocabulary().analyze(text), Some(&about))
    }

    #[test]
    fn reads_ages_in_many_forms() {
        assert_eq!(
            modifiers("my 7 week old has a fever").age_days,
            Some((49.0, 49.0))
        );
        assert_eq!(modifiers("my 7wk old").age_days, Some((49.0, 49.0)));
        assert_eq!(
            modifiers("Infant 4/12, ex-prem 32/40, two apnoeic episodes").age_days,
            Some((4.0 * 30.44, 4.0 * 30.44))
        );
        assert_eq!(
            modifiers("my 2yo is hot").age_days,
            Some((2.0 * YEAR, 2.0 * YEAR))
        );
        assert_eq!(modifiers("my seven week old").age_days, Some((49.0, 49.0)));
        assert_eq!(
            modifiers("I'm 70 and dizzy").age_days,
            Some((70.0 * YEAR, 70.0 * YEAR))
        );
        assert_eq!(modifiers("my newborn").age_days, Some((0.0, 28.0)));
        assert_eq!(modifiers("my baby is hot").age_days, Some((0.0, YEAR)));
        // The pregnant patient is an adult; "30 weeks" is not her age.
        let adult = Some((ADULT_FROM, 120.0 * YEAR));
        assert_eq!(modifiers("I'm 30 weeks pregnant").age_days, adult);
        assert_eq!(modifiers("cough for 3 weeks").age_days, None);
        assert_eq!(
            modifiers("my baby is 10 weeks and hot").age_days,
            Some((70.0, 70.0))
        );
        assert_eq!(modifiers("it is 3 weeks now").age_days, None);
        assert_eq!(modifiers("im 34 weeks and tired").age_days, adult);
        // A long-standing treatment says the person is no newborn.
        assert_eq!(
            modifiers("kidney transplant 2 yrs ago, temp 39").age_days,
            Some((YEAR, 120.0 * YEAR))
        );
        assert_eq!(
            modifiers("my 6 week old has a temp, I'm on warfarin").age_days,
            Some(exact(42.0))
        );
        // Someone named as an adult, or writing about themselves, is no baby.
        assert_eq!(modifiers("my dad has a fever").age_days, adult);
        assert_eq!(modifiers("I've had a fever since Monday").age_days, adult);
        // Chat often drops the "I": "my arthritis" is the writer's own.
        assert_eq!(
            modifiers("on methotrexate for my arthritis, got a fever").age_days,
            adult
        );
        assert_eq!(modifiers("my son has a fever").age_days, None);
        assert_eq!(
            modifiers("my dad says the baby is hot").age_days,
            Some((0.0, YEAR))
        );
        assert_eq!(modifiers("she has a fever").age_days, None);
        assert_eq!(
            modifiers("30 weeks pregnant and the baby is quiet").age_days,
            None
        );
    }

    #[test]
    fn reads_the_age_clinical_notes_open_with() {
        let years = |text: &str| {
            modifiers(text)
                .age_days
                .map(|(low, _)| (low / YEAR).round())
        };
        assert_eq!(years("45M, hx IVDU, hot swollen arm"), Some(45.0));
        assert_eq!(years("68F, 3/7 dysuria, T 38.2"), Some(68.0));
        assert_eq!(years("Resident 88F found on floor"), Some(88.0));
        let months = modifiers("Pt 18mo, fever 38.9 x2/7").age_days.unwrap().0 / 30.44;
        assert!((months - 18.0).abs() < 0.1, "{months}");
        assert_eq!(
            years("my daughter (4) has had a fever for 5 days"),
            Some(4.0)
        );
        assert_eq!(years("my dads 78 and has a chest infection"), Some(78.0));
        assert_ne!(years("my son 2 days ago fell over"), Some(2.0));
        // Elsewhere in a message the same letters are not an age.
        assert_eq!(years("he fell about 3 m off a ladder"), None);
    }

    #[test]
    fn reads_age_answers_without_old() {
        assert_eq!(
            answer("she's 7 weeks", AskAbout::Age).age_days,
            Some((49.0, 49.0))
        );
        assert_eq!(
            answer("2", AskAbout::Age).age_days,
            Some((2.0 * YEAR, 2.0 * YEAR))
        );
    }

    #[test]
    fn reads_temperatures_with_units_or_context() {
        let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 0.01;
        assert!(close(modifiers("temp of 38.4").temperature_celsius, 38.4));
        assert!(close(modifiers("she's 101F").temperature_celsius, 38.33));
        assert!(close(modifiers("39 degrees").temperature_celsius, 39.0));
        assert!(close(modifiers("fever 38,5°C").temperature_celsius, 38.5));
        assert_eq!(modifiers("I'm 38 weeks pregnant").temperature_celsius, None);
        assert_eq!(modifiers("room 38 please").temperature_celsius, None);
        // A thermometer's one decimal place needs no "temp" before it.
        assert!(close(
            modifiers("my 6 week old, 38.2 under the arm").temperature_celsius,
            38.2
        ));
        assert!(close(
            modifiers("she's burning up, 102.2 on the forehead one").temperature_celsius,
            39.0
        ));
        // Other decimals are not temperatures.
        assert_eq!(modifiers("he weighs 38.5 kg").temperature_celsius, None);
        assert_eq!(
            modifiers("sugar was 37.5 this morning").temperature_celsius,
            None
        );
        assert_eq!(
            modifiers("my 6 week old feeds every 3.5 hours").temperature_celsius,
            None
        );
        assert!(close(
            answer("38.2", AskAbout::Temperature).temperature_celsius,
            38.2
        ));
    }

    #[test]
    fn reads_durations() {
        assert_eq!(modifiers("coughing for 3 weeks").duration_days, Some(21.0));
        assert_eq!(modifiers("fever 5 days now").duration_days, Some(5.0));
        assert_eq!(modifiers("for the past four days").duration_days, Some(4.0));
        assert_eq!(modifiers("a cough for weeks").duration_days, Some(14.0));
        assert_eq!(
            modifiers("chest pain for an hour").duration_days,
            Some(1.0 / 24.0)
        );
        assert_eq!(
            modifiers("for half an hour").duration_days,
            Some(0.5 / 24.0)
        );
        assert_eq!(
            modifiers("sore heel, been 2 months").duration_days,
            Some(2.0 * 30.44)
        );
        // A bleed or a pain told as still going.
        assert_eq!(
            modifiers("nosebleed going 45 min, still pouring").duration_days,
            Some(45.0 / 1440.0)
        );
        assert_eq!(
            modifiers("the pain has gone on 2 hours").duration_days,
            Some(2.0 / 24.0)
        );
        assert_eq!(modifiers("diarrhoea 3 days solid").duration_days, Some(3.0));
        assert_eq!(modifiers("my 3 week old").duration_days, None);
        assert_eq!(modifiers("I have 2 kids").duration_days, None);
    }

    fn spanish(text: &str) -> Modifiers {
        let analyzer = Analyzer::without_vocabulary_in(crate::text::Language::Spanish);
        extract(&analyzer.analyze(text), None)
    }

    #[test]
    fn reads_ages_temperatures_and_durations_in_spanish() {
        // An age after the person with "de", or with "tiene" in years.
        assert_eq!(
            spanish("mi bebé de 6 semanas tiene fiebre").age_days,
            Some((42.0, 42.0))
        );
        assert_eq!(
            spanish("mi hijo de 3 años no para de vomitar").age_days,
            Some((3.0 * YEAR, 3.0 * YEAR))
        );
        assert_eq!(
            spanish("mi papá tiene 80 años y está confundido").age_days,
            Some((80.0 * YEAR, 80.0 * YEAR))
        );
        assert_eq!(spanish("el bebé tiene fiebre").age_days, Some((0.0, YEAR)));
        assert_eq!(
            spanish("recién nacido con fiebre").age_days,
            Some((0.0, 28.0))
        );
        // "fiebre de 3 días" is how long, not how old; a pregnancy is neither.
        assert_eq!(spanish("fiebre de 3 días").age_days, None);
        assert_eq!(spanish("fiebre de 3 días").duration_days, Some(3.0));
        let adult = Some((ADULT_FROM, 120.0 * YEAR));
        assert_eq!(spanish("estoy embarazada de 30 semanas").age_days, adult);
        assert_eq!(
            spanish("estoy embarazada de 30 semanas").duration_days,
            None
        );
        // Temperatures, with or without "grados".
        assert_eq!(
            spanish("tiene fiebre de 39").temperature_celsius,
            Some(39.0)
        );
        assert_eq!(spanish("38,5 grados").temperature_celsius, Some(38.5));
        assert_eq!(
            spanish("temperatura de 102 F")
                .temperature_celsius
                .map(f64::round),
            Some(39.0)
        );
        // Durations.
        assert_eq!(
            spanish("tengo tos desde hace 3 semanas").duration_days,
            Some(21.0)
        );
        assert_eq!(spanish("llevo 2 días con diarrea").duration_days, Some(2.0));
        assert_eq!(
            spanish("me duele hace 4 horas").duration_days,
            Some(4.0 / 24.0)
        );
        assert_eq!(spanish("tiene 70 años").duration_days, None);
        // "yo" is "I" and "lo" a pronoun, not English chat's year-old and
        // little one.
        assert_eq!(
            spanish("yo tengo fiebre y lo siento caliente").age_days,
            adult
        );
        assert_eq!(
            spanish("mi abuelita de 91 años está confundida").age_days,
            Some((91.0 * YEAR, 91.0 * YEAR))
        );
    }
}
