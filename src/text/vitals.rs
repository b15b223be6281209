//! Readings patients and carers copy from home monitors and clinical notes
//! ("BP 186/124", "sats 89%", "pulse 140", "BM 1.9", "GCS 13"), put into words
//! a knowledge file can name: "blood pressure reading very high", "oxygen
//! reading very low". The number alone means nothing to a phrase matcher; the
//! words placed right after it do, and they share its clause, so "my sats were
//! 88 last week" is read as past like any other finding.
//!
//! The bands follow NEWS2 (Royal College of Physicians, 2017) for oxygen,
//! pulse, breathing rate and consciousness, NICE NG136 for blood pressure and
//! the NHS / ADA hypoglycaemia thresholds for blood sugar. They only name a
//! band; what each band leads to is written by clinicians in `knowledge/`.

use std::borrow::Cow;

/// The words each kind of reading is introduced by, in English and in
/// Spanish (accents folded, as the Spanish analyzer gives them: "saturación
/// 88", "pulso 140", "FR 24", "glucosa 45"). The words put after a reading
/// are English in every language: the Spanish files name them as they are.
const BLOOD_PRESSURE: &[&str] = &[
    "bp",
    "b/p",
    "pressure",
    "pressures",
    "bloodpressure",
    "presion",
];
const OXYGEN: &[&str] = &[
    "sats",
    "sat",
    "spo2",
    "sp02",
    "o2",
    "oxygen",
    "saturation",
    "saturations",
    "oximeter",
    // "the finger thing says 81": the clip-on pulse oximeter.
    "finger",
    "ox",
    "pulseox",
    "saturacion",
    "saturando",
    "satura",
    "sato2",
    "oxigeno",
    "oximetro",
];
/// A smartwatch or fitness band shows a heart rate first ("my watch says 190").
const PULSE: &[&str] = &[
    "pulse",
    "hr",
    "rate",
    "heartrate",
    "watch",
    "smartwatch",
    "fitbit",
    "pulso",
    "pulsaciones",
    "fc",
    "cardiaca",
    "reloj",
];
const BREATHING_RATE: &[&str] = &["rr", "resps", "respirations", "fr", "respiraciones"];
const SUGAR: &[&str] = &[
    "bm",
    "bms",
    "sugar",
    "sugars",
    "glucose",
    "bg",
    "cbg",
    "glucometer",
    "glucosa",
    "azucar",
    "glucemia",
    "glicemia",
    "glucometro",
    "dextro",
];
const CONSCIOUSNESS: &[&str] = &["gcs"];
/// "T 38.4" in notes; "temp"/"temperature" in chat.
const TEMPERATURE: &[&str] = &[
    "t",
    "temp",
    "temperature",
    "tmax",
    "tympanic",
    "temperatura",
];

/// How many words a reading may follow its cue by ("sats are only 89").
const CUE_REACH: usize = 3;

/// `text` (already normalised) with the words for each reading placed after it;
/// most messages have no number and are passed through without a copy.
pub fn annotate(text: &str) -> Cow<'_, str> {
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return Cow::Borrowed(text);
    }
    let chunks: Vec<&str> = text.split(' ').collect();
    // Each chunk's pulse, read once: the shock index needs the fastest before
    // any pressure is read.
    let pulses: Vec<Option<f64>> = (0..chunks.len())
        .map(|index| pulse(&chunks, index, split_trailing_punctuation(chunks[index]).0))
        .collect();
    let fastest_pulse = pulses.iter().flatten().copied().reduce(f64::max);
    let mut out = String::with_capacity(text.len() + 32);
    for (index, chunk) in chunks.iter().enumerate() {
        if index > 0 {
            out.push(' ');
        }
        let (body, punctuation) = split_trailing_punctuation(chunk);
        out.push_str(body);
        let words = match pulses[index] {
            Some(value) => PULSE_SCALE.band(value),
            None => reading(&chunks, index, body, fastest_pulse),
        };
        if let Some(words) = words {
            out.push(' ');
            out.push_str(words);
        }
        out.push_str(punctuation);
    }
    Cow::Owned(out)
}

/// The words for the reading `body` (chunk number `index`), if it is one and
/// not a pulse (read before, by [`pulse`]). `fastest_pulse` is the fastest pulse the message gives anywhere: a pulse
/// at or above the systolic pressure (a shock index of 1 or more) is a sign of
/// shock even when neither reading alone is out of range ("HR 115, BP 96/60").
fn reading(
    chunks: &[&str],
    index: usize,
    body: &str,
    fastest_pulse: Option<f64>,
) -> Option<&'static str> {
    if let Some((systolic, diastolic)) = pressure(body) {
        // A "168/112" is a blood pressure without a cue; "12/05" (a date) and
        // "35/40" (weeks of pregnancy) are not in the range.
        let band = blood_pressure_band(systolic, diastolic);
        if band.is_none() && fastest_pulse.is_some_and(|pulse| pulse >= systolic) {
            return Some("shock index high");
        }
        return band;
    }
    let cue = cue_before(chunks, index);
    let value = number(body)?;
    let unit = chunks
        .get(index + 1)
        .map(|next| split_trailing_punctuation(next).0);
    match cue? {
        Cue::Oxygen => OXYGEN_SCALE.band(value),
        Cue::BreathingRate => BREATHING_RATE_SCALE.band(value),
        Cue::Sugar => {
            let unit = match unit {
                Some("mg/dl" | "mg") => Some(SugarUnit::Milligrams),
                Some("mmol" | "mmol/l") => Some(SugarUnit::Millimoles),
                // Only a reading that could be either unit takes one from the
                // context: "2.1, had juice" is mmol/L whatever the juice says.
                _ if (20.0..40.0).contains(&value) => sugar_unit_from_context(chunks),
                _ => None,
            };
            sugar_band(value, unit)
        }
        Cue::Consciousness => CONSCIOUSNESS_SCALE.band(value),
        Cue::Temperature => temperature_band(value),
        Cue::Pulse => None,
    }
}

/// The pulse `body` (chunk number `index`) gives, if it is one: a number after
/// a pulse cue, or before "bpm" ("150 bpm" needs no cue before it).
fn pulse(chunks: &[&str], index: usize, body: &str) -> Option<f64> {
    let value = number(body)?;
    let unit = chunks
        .get(index + 1)
        .map(|next| split_trailing_punctuation(next).0);
    (matches!(unit, Some("bpm" | "lpm" | "ppm")) || cue_before(chunks, index) == Some(Cue::Pulse))
        .then_some(value)
        .filter(|value| PULSE_SCALE.plausible.contains(value))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cue {
    Oxygen,
    Pulse,
    BreathingRate,
    Sugar,
    Consciousness,
    Temperature,
}

/// The nearest cue word in the few words before chunk `index`, stopping at
/// another number (the cue belongs to that one) or a clause break.
fn cue_before(chunks: &[&str], index: usize) -> Option<Cue> {
    for back in 1..=CUE_REACH.min(index) {
        let (word, punctuation) = split_trailing_punctuation(chunks[index - back]);
        if !punctuation.is_empty() && back > 1 {
            return None;
        }
        if number(word).is_some() || pressure(word).is_some() {
            return None;
        }
        let word = word.trim_end_matches(['=', ':']);
        let before = index
            .checked_sub(back + 1)
            .map(|i| split_trailing_punctuation(chunks[i]).0);
        let kind = if word == "rate" && matches!(before, Some("breathing" | "respiratory" | "resp"))
        {
            Cue::BreathingRate
        } else if OXYGEN.contains(&word) {
            Cue::Oxygen
        } else if PULSE.contains(&word) {
            Cue::Pulse
        } else if BREATHING_RATE.contains(&word) {
            Cue::BreathingRate
        } else if SUGAR.contains(&word) {
            Cue::Sugar
        } else if CONSCIOUSNESS.contains(&word) {
            Cue::Consciousness
        } else if TEMPERATURE.contains(&word) {
            Cue::Temperature
        } else if BLOOD_PRESSURE.contains(&word) {
            // "pressure 90" without a diastolic: not read.
            return None;
        } else {
            continue;
        };
        return Some(kind);
    }
    None
}

/// A chunk without the punctuation that ends it, and that punctuation.
fn split_trailing_punctuation(chunk: &str) -> (&str, &str) {
    let body = chunk.trim_end_matches([',', '.', ';', ':', '!', '?', ')']);
    (body, &chunk[body.len()..])
}

/// A plain number ("89", "1.9", "89%", "(89").
fn number(word: &str) -> Option<f64> {
    let word = word
        .trim_start_matches(['(', '=', ':'])
        .trim_end_matches('%');
    if word.is_empty() || word.len() > 6 || !word.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    word.parse().ok()
}

/// "168/112" as a plausible systolic over diastolic pressure.
fn pressure(word: &str) -> Option<(f64, f64)> {
    let (top, bottom) = word.split_once('/')?;
    let (top, bottom): (f64, f64) = (number(top)?, number(bottom)?);
    ((70.0..=300.0).contains(&top) && (40.0..=200.0).contains(&bottom) && top > bottom)
        .then_some((top, bottom))
}

/// NICE NG136: 180/120 and over is severe; 140/90 and over is high. NICE
/// NG133 and ACOG call 160/110 and over severe in pregnancy: that band keeps
/// the words of "high" and adds its own. A systolic of 90 or below scores 3
/// in NEWS2.
fn blood_pressure_band(systolic: f64, diastolic: f64) -> Option<&'static str> {
    if systolic >= 180.0 || diastolic >= 120.0 {
        Some("blood pressure reading very high")
    } else if systolic >= 160.0 || diastolic >= 110.0 {
        Some("blood pressure reading high severe range")
    } else if systolic >= 140.0 || diastolic >= 90.0 {
        Some("blood pressure reading high")
    } else if systolic <= 90.0 {
        Some("blood pressure reading low")
    } else {
        None
    }
}

/// A reading scored by fixed limits, NEWS2-style: the first band the value
/// falls in names it; values outside `plausible` are not readings of this kind.
struct Scale {
    plausible: std::ops::RangeInclusive<f64>,
    /// Whole numbers only (a Glasgow Coma Scale score).
    whole: bool,
    bands: &'static [Band],
}

/// At or above (`true`) or at or below (`false`) `limit`: `words`.
type Band = (bool, f64, &'static str);

/// NEWS2 scale 1: 91% or below scores 3, 92–93% scores 2, 94–95% scores 1.
const OXYGEN_SCALE: Scale = Scale {
    plausible: 50.0..=100.0,
    whole: false,
    bands: &[
        (false, 91.0, "oxygen reading very low"),
        (false, 94.0, "oxygen reading low"),
    ],
};

/// NEWS2: 131 and over or 40 and below score 3.
const PULSE_SCALE: Scale = Scale {
    plausible: 20.0..=250.0,
    whole: false,
    bands: &[
        (true, 131.0, "pulse reading very fast"),
        (false, 40.0, "pulse reading very slow"),
    ],
};

/// NEWS2: 25 breaths a minute and over or 8 and below score 3.
const BREATHING_RATE_SCALE: Scale = Scale {
    plausible: 2.0..=80.0,
    whole: false,
    bands: &[
        (true, 25.0, "breathing rate reading very fast"),
        (false, 8.0, "breathing rate reading very slow"),
    ],
};

/// Glasgow Coma Scale: below 15 is reduced consciousness (NEWS2 scores any new
/// change 3); 8 or below is unresponsive.
const CONSCIOUSNESS_SCALE: Scale = Scale {
    plausible: 3.0..=15.0,
    whole: true,
    bands: &[
        (false, 8.0, "consciousness reading very reduced"),
        (false, 14.0, "consciousness reading reduced"),
    ],
};

impl Scale {
    fn band(&self, value: f64) -> Option<&'static str> {
        if !self.plausible.contains(&value) || (self.whole && value.fract() != 0.0) {
            return None;
        }
        self.bands
            .iter()
            .find(|&&(above, limit, _)| {
                if above {
                    value >= limit
                } else {
                    value <= limit
                }
            })
            .map(|&(_, _, words)| words)
    }
}

/// NICE NG143 and NG51: 38°C (100.4°F) and over is a fever; under 36°C is
/// low (a sign of sepsis as much as a fever is). Celsius or Fahrenheit by
/// range. (`knowledge::quantity` converts a rule's bounds the same way; text
/// sits below knowledge, so this reads on its own.)
fn temperature_band(value: f64) -> Option<&'static str> {
    let celsius = match value {
        v if (30.0..=45.0).contains(&v) => v,
        v if (86.0..=113.0).contains(&v) => (v - 32.0) / 1.8,
        _ => return None,
    };
    if celsius >= 38.0 {
        Some("temperature reading high")
    } else if celsius < 36.0 {
        Some("temperature reading low")
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SugarUnit {
    Milligrams,
    Millimoles,
}

/// The unit a reading from 20 to 40 is in, when the message says it another
/// way: a hypo being treated ("had some juice", "glucose tablets") is in
/// mg/dL, where 20 to 40 is dangerously low; the UK cues "BM" and "CBG" and
/// talk of ketones are mmol/L, where it is dangerously high.
fn sugar_unit_from_context(chunks: &[&str]) -> Option<SugarUnit> {
    const LOW_TREATMENT: &[&str] = &[
        "juice",
        "hypo",
        "hypoglycemic",
        "hypoglycaemic",
        "dextrose",
        "sweets",
        "candy",
        "jelly",
        "glucagon",
        "low",
    ];
    const MMOL_CUES: &[&str] = &["bm", "bms", "cbg", "ketones", "ketone", "mmol", "mmol/l"];
    let words = || {
        chunks
            .iter()
            .map(|chunk| split_trailing_punctuation(chunk).0)
    };
    if words().any(|w| MMOL_CUES.contains(&w)) {
        Some(SugarUnit::Millimoles)
    } else if words().any(|w| LOW_TREATMENT.contains(&w)) {
        Some(SugarUnit::Milligrams)
    } else {
        None
    }
}

/// Blood sugar in mmol/L (UK, most of the world) or mg/dL (US): below 4 mmol/L
/// (70 mg/dL) is a hypo, below 3 (54) a severe one (ADA level 2); 20 mmol/L
/// (360 mg/dL) and over is very high. Values from 20 to 40 without a unit could
/// be either and are left unread unless the message says which.
fn sugar_band(value: f64, unit: Option<SugarUnit>) -> Option<&'static str> {
    let mmol = match unit {
        Some(SugarUnit::Milligrams) => value / 18.0,
        Some(SugarUnit::Millimoles) => value,
        None if value >= 40.0 => value / 18.0,
        None if value >= 20.0 => return None,
        None => value,
    };
    if mmol <= 0.5 {
        None
    } else if mmol < 3.0 {
        Some("sugar reading very low")
    } else if mmol < 4.0 {
        Some("sugar reading low")
    } else if (20.0..60.0).contains(&mmol) {
        Some("sugar reading very high")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_get_the_words_of_their_band() {
        for (text, words) in [
            (
                "bp 186/124 and a headache",
                "blood pressure reading very high",
            ),
            (
                "home bp 168/112, headache",
                "blood pressure reading high severe range",
            ),
            ("bp 150/95", "blood pressure reading high"),
            ("hr 115, bp 96/60, pale", "shock index high"),
            ("bp 94/58 and pulse 112", "shock index high"),
            ("apple watch says 190", "pulse reading very fast"),
            (
                "it was 82/50 when the paramedic took it",
                "blood pressure reading low",
            ),
            ("sats 89% on air", "oxygen reading very low"),
            ("his oxygen is only 93", "oxygen reading low"),
            ("pulse 140 and sweaty", "pulse reading very fast"),
            ("heart rate 38", "pulse reading very slow"),
            ("my watch says 150 bpm", "pulse reading very fast"),
            ("rr 32", "breathing rate reading very fast"),
            ("breathing rate 30", "breathing rate reading very fast"),
            ("bm 1.9, drowsy", "sugar reading very low"),
            ("sugar is 3.4", "sugar reading low"),
            (
                "sugar is 2.1, had juice but not helping",
                "sugar reading very low",
            ),
            ("glucose 52 mg/dl", "sugar reading very low"),
            ("blood sugar 450", "sugar reading very high"),
            ("cbg 28, vomiting", "sugar reading very high"),
            ("sugar 25 and ketones 2.1", "sugar reading very high"),
            (
                "her sugar was 38 so she had juice",
                "sugar reading very low",
            ),
            ("gcs 13", "consciousness reading reduced"),
            ("pt 68m, t 38.2, perineal pain", "temperature reading high"),
            ("temp 101.3 since last night", "temperature reading high"),
            ("t 35.1 and shivering", "temperature reading low"),
            // Spanish, accents folded.
            ("la saturacion esta en 88", "oxygen reading very low"),
            ("pulso 140 y sudando", "pulse reading very fast"),
            ("el reloj marca 150 lpm", "pulse reading very fast"),
            ("fr 30, tiraje", "breathing rate reading very fast"),
            ("glucosa 45 mg/dl y sudando frio", "sugar reading very low"),
            ("temperatura 39.5", "temperature reading high"),
        ] {
            let annotated = annotate(text);
            assert!(annotated.contains(words), "{text:?} → {annotated:?}");
        }
    }

    #[test]
    fn normal_readings_dates_weeks_and_other_numbers_get_no_words() {
        for text in [
            "bp 124/78, all fine",
            "sats 98%",
            "pulse 72",
            "appointment on 12/05 at 9",
            "35/40 with a headache",
            "I'm 89 years old",
            "took 2 tablets at 3",
            "gcs 15",
            "sugar 6.2",
            // 20 to 40 with nothing to say which unit: unread.
            "sugar was 28 this morning",
            "t 37.2, feels fine",
            // A pulse slower than the systolic pressure: no shock index.
            "hr 88, bp 118/76",
            // A watch's time is not a pulse.
            "my watch says 10:30",
        ] {
            assert_eq!(annotate(text), text, "{text:?}");
        }
    }

    #[test]
    fn the_words_stay_inside_the_readings_clause() {
        assert_eq!(
            annotate("sats 88, feel ok"),
            "sats 88 oxygen reading very low, feel ok"
        );
        // The cue belongs to the nearest number: "pulse 80, 88" is not read as oxygen.
        assert_eq!(annotate("pulse 80 88"), "pulse 80 88");
    }
}
