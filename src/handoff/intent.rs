//! The patient's own commands: ask for a person, see what is stored, delete it,
//! read the practice's health notices.
//!
//! "my data" and "forget me" count only as short, explicit phrasings. A request
//! for a person counts wherever it stands in a message, with greetings,
//! mentions, politeness and other sentences around it ("hi @carebot, can I
//! talk to a nurse today please?"): after an emergency, a missed request for a
//! human is the worst thing a bot can do. A message that only mentions a nurse
//! or a doctor ("my nurse said to rest", "the doctor told me to talk to a
//! physio") is not a request.

use carebot_chat::Language;

use crate::text::normalize::{fold_accents, normalize, words};

/// What a patient asked the bot itself to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatientIntent {
    /// Open a case: a person should pick up the conversation.
    Agent,
    /// Show everything stored about them.
    MyData,
    /// Delete everything stored about them.
    Forget,
    /// Show the practice's health notices in force.
    Notices,
}

/// Slash commands, as typed or sent by a platform's command menu.
const SLASH: &[(&str, PatientIntent)] = &[
    ("/agent", PatientIntent::Agent),
    ("/human", PatientIntent::Agent),
    ("/nurse", PatientIntent::Agent),
    ("/mydata", PatientIntent::MyData),
    ("/forget", PatientIntent::Forget),
    ("/forgetme", PatientIntent::Forget),
    ("/notices", PatientIntent::Notices),
    ("/alerts", PatientIntent::Notices),
];

/// Slash commands in Spanish, accents folded.
const SLASH_ES: &[(&str, PatientIntent)] = &[
    ("/humano", PatientIntent::Agent),
    ("/enfermera", PatientIntent::Agent),
    ("/misdatos", PatientIntent::MyData),
    ("/olvidame", PatientIntent::Forget),
    ("/avisos", PatientIntent::Notices),
];

/// Whole messages (as words, after text-speak is expanded) that are commands.
const PHRASES: &[(&str, PatientIntent)] = &[
    ("agent", PatientIntent::Agent),
    ("an agent", PatientIntent::Agent),
    ("talk to an agent", PatientIntent::Agent),
    ("talk to a nurse", PatientIntent::Agent),
    ("speak to a nurse", PatientIntent::Agent),
    ("talk to the nurse", PatientIntent::Agent),
    ("talk to a doctor", PatientIntent::Agent),
    ("speak to a doctor", PatientIntent::Agent),
    ("talk to the doctor", PatientIntent::Agent),
    ("talk to a clinician", PatientIntent::Agent),
    ("i want to talk to a nurse", PatientIntent::Agent),
    ("i need to talk to a nurse", PatientIntent::Agent),
    ("can i talk to a nurse", PatientIntent::Agent),
    ("can i speak to a nurse", PatientIntent::Agent),
    ("what do you know about me", PatientIntent::MyData),
    ("what do you have about me", PatientIntent::MyData),
    ("what have you stored about me", PatientIntent::MyData),
    ("my data", PatientIntent::MyData),
    ("forget me", PatientIntent::Forget),
    ("delete my data", PatientIntent::Forget),
    ("notices", PatientIntent::Notices),
    ("health notices", PatientIntent::Notices),
    ("any notices", PatientIntent::Notices),
    ("health alerts", PatientIntent::Notices),
    ("any health alerts", PatientIntent::Notices),
];

/// Whole messages in Spanish, accents folded, that are commands.
const PHRASES_ES: &[(&str, PatientIntent)] = &[
    ("agente", PatientIntent::Agent),
    ("que saben de mi", PatientIntent::MyData),
    ("que sabes de mi", PatientIntent::MyData),
    ("que tienen de mi", PatientIntent::MyData),
    ("mis datos", PatientIntent::MyData),
    ("olvidame", PatientIntent::Forget),
    ("olvidenme", PatientIntent::Forget),
    ("borra mis datos", PatientIntent::Forget),
    ("borren mis datos", PatientIntent::Forget),
    ("borrar mis datos", PatientIntent::Forget),
    ("avisos", PatientIntent::Notices),
    ("alertas", PatientIntent::Notices),
    ("avisos de salud", PatientIntent::Notices),
    ("alertas de salud", PatientIntent::Notices),
];

/// Words that may frame a command without changing it ("agent please").
const POLITE: &[&str] = &["please", "pls", "plz", "now", "porfa", "xfa", "ya"];

/// Ways of asking to be put in touch, followed within a few words by a
/// [`PERSON`]: "talk to", "speak with", "can I have a".
const REQUEST_FRAMES: &[&str] = &[
    "talk to",
    "talk 2",
    "talk with",
    "speak to",
    "speak 2",
    "speak with",
    "chat to",
    "chat with",
    "get me",
    "put me through to",
    "connect me to",
    "connect me with",
    "transfer me to",
    "need a",
    "want a",
    "need to see a",
    "get a",
    "have a",
    "reach",
    "contact",
    "message",
    "ask a",
    "ask the",
    "get hold of",
    "get through to",
    "hear from",
    "is there",
    // Spanish.
    "hablar con",
    "habla con",
    "hablo con",
    "comunicar con",
    "comunicarme con",
    "pasame con",
    "paseme con",
    "quiero un",
    "quiero una",
    "necesito un",
    "necesito una",
    "hay alguna",
    "hay algun",
];

/// The people a patient may ask for.
const PERSON: &[&str] = &[
    "enfermera",
    "enfermero",
    "doctora",
    "medico",
    "medica",
    "humano",
    "persona",
    "agente",
    "alguien",
    "nurse",
    "nurses",
    "doctor",
    "doctors",
    "doc",
    "gp",
    "physician",
    "clinician",
    "clinicians",
    "receptionist",
    "reception",
    "human",
    "person",
    "someone",
    "somebody",
    "anyone",
    "anybody",
    "staff",
    "agent",
    "practitioner",
    "pharmacist",
    "midwife",
    "team",
];

/// Requests that name no one: "call me back", "can someone ring me".
const BARE_REQUESTS: &[&str] = &[
    "call me back",
    "call me",
    "ring me",
    "ring me back",
    "phone me",
    "callback",
    "call back",
    "can someone call",
    "can someone ring",
    "have someone call",
    "real person",
    "actual person",
    "a human",
    "not a bot",
    "not a robot",
];

/// Words that make what follows someone else's words, not a request: "my
/// nurse said to talk to a doctor".
const REPORTED: &[&str] = &[
    "said",
    "told",
    "says",
    "tells",
    "advised",
    "suggested",
    "recommended",
    "asked me",
    "wants me",
    "wanted me",
];

/// How many words may stand between a request frame and the person ("talk
/// to *a real* nurse").
const PERSON_REACH: usize = 3;

/// Whether `text` asks for a person, wherever the request stands.
pub fn asks_for_person(text: &str) -> bool {
    let words: Vec<String> = words(&fold_accents(&normalize(text)))
        .into_iter()
        .map(|word| word.text)
        .collect();
    let starts = |at: usize, phrase: &str| {
        phrase
            .split(' ')
            .enumerate()
            .all(|(offset, part)| words.get(at + offset).is_some_and(|w| w == part))
    };
    let reported = |at: usize| {
        // Reported speech a few words before: "the doctor said to talk to...".
        (at.saturating_sub(4)..at).any(|before| REPORTED.iter().any(|r| starts(before, r)))
    };
    for at in 0..words.len() {
        if reported(at) {
            continue;
        }
        if BARE_REQUESTS.iter().any(|request| starts(at, request)) {
            return true;
        }
        for frame in REQUEST_FRAMES {
            if !starts(at, frame) {
                continue;
            }
            let after = at + frame.split(' ').count();
            let reach = (after..(after + PERSON_REACH + 1).min(words.len()))
                .any(|i| PERSON.contains(&words[i].as_str()));
            if reach {
                return true;
            }
        }
    }
    // "agent", "human", "nurse please", "@carebot nurse": a person's name alone,
    // with only greetings, mentions and politeness around it.
    let content: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| !FILLER.contains(w))
        .collect();
    content.len() == 1
        && PERSON.contains(&content[0])
        && !matches!(content[0], "team" | "anyone" | "anybody")
}

/// Greetings, mentions and politeness that never change what a message asks.
const FILLER: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "hiya",
    "yo",
    "morning",
    "good",
    "afternoon",
    "evening",
    "please",
    "pls",
    "plz",
    "thanks",
    "thank",
    "you",
    "carebot",
    "everyone",
    "here",
    "now",
    "a",
    "an",
    "the",
    "real",
    "can",
    "i",
    "get",
    "want",
    "need",
    "to",
    "ok",
    "okay",
    "um",
    "uh",
    "today",
    "asap",
    "am",
    "worried",
    "urgently",
    "soon",
    "sorry",
    "quick",
    "one",
    "bother",
    "but",
    "there",
    // Spanish.
    "hola",
    "buenas",
    "buenos",
    "dias",
    "tardes",
    "por",
    "favor",
    "porfa",
    "gracias",
    "quiero",
    "necesito",
    "un",
    "una",
    "con",
];

/// Command words and what they ask for.
type Commands = &'static [(&'static str, PatientIntent)];

/// The commands of each language: slash commands, then whole messages.
const COMMANDS: &[(Language, Commands, Commands)] = &[
    (Language::English, SLASH, PHRASES),
    (Language::Spanish, SLASH_ES, PHRASES_ES),
];

/// The patient command `text` is, if it is one.
pub fn patient_intent(text: &str) -> Option<PatientIntent> {
    command(text)
        .map(|(intent, _)| intent)
        .or_else(|| asks_for_person(text).then_some(PatientIntent::Agent))
}

/// The language a patient command is written in, when its words say:
/// "/misdatos" and "olvídame" are Spanish, "/mydata" and "forget me"
/// English. `None` for anything else, a request for a person among other
/// words included (the message's words tell its language then).
pub fn command_language(text: &str) -> Option<Language> {
    command(text).map(|(_, language)| language)
}

/// A slash command or a whole-message command, and the language of the
/// table it is in.
fn command(text: &str) -> Option<(PatientIntent, Language)> {
    // Accents folded: "olvídame" and "olvidame" are one command.
    let normalized = fold_accents(&normalize(text));
    let first = normalized.split(' ').next().unwrap_or("");
    let slash = first.split('@').next().unwrap_or(first);
    for (language, commands, _) in COMMANDS {
        if let Some((_, intent)) = commands.iter().find(|(command, _)| *command == slash) {
            return Some((*intent, *language));
        }
    }
    let mut words: Vec<String> = words(&normalized)
        .into_iter()
        .map(|word| word.text)
        .collect();
    while words.first().is_some_and(|w| POLITE.contains(&w.as_str())) {
        words.remove(0);
    }
    while words.last().is_some_and(|w| POLITE.contains(&w.as_str())) {
        words.pop();
    }
    let phrase = words.join(" ");
    COMMANDS.iter().find_map(|(language, _, phrases)| {
        phrases
            .iter()
            .find(|(known, _)| *known == phrase)
            .map(|(_, intent)| (*intent, *language))
    })
}

/// The message without a leading slash command ("/agent my dad passed out" →
/// "my dad passed out"), for reading what else it says.
pub fn without_command(text: &str) -> &str {
    let trimmed = text.trim_start();
    if trimmed.starts_with('/') {
        trimmed
            .split_once(char::is_whitespace)
            .map_or("", |(_, rest)| rest.trim())
    } else {
        trimmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_explicit_commands_only() {
        assert_eq!(patient_intent("agent"), Some(PatientIntent::Agent));
        assert_eq!(
            patient_intent("  Agent please!"),
            Some(PatientIntent::Agent)
        );
        assert_eq!(patient_intent("/agent"), Some(PatientIntent::Agent));
        assert_eq!(patient_intent("/agent@carebot"), Some(PatientIntent::Agent));
        assert_eq!(
            patient_intent("Talk to a nurse."),
            Some(PatientIntent::Agent)
        );
        assert_eq!(
            patient_intent("what do you know about me?"),
            Some(PatientIntent::MyData)
        );
        assert_eq!(
            patient_intent("what do u know about me"),
            Some(PatientIntent::MyData)
        );
        assert_eq!(patient_intent("/mydata"), Some(PatientIntent::MyData));
        assert_eq!(patient_intent("Forget me"), Some(PatientIntent::Forget));
        assert_eq!(patient_intent("/forget"), Some(PatientIntent::Forget));
        assert_eq!(patient_intent("/notices"), Some(PatientIntent::Notices));
        assert_eq!(
            patient_intent("any health alerts?"),
            Some(PatientIntent::Notices)
        );
        assert_eq!(
            patient_intent("i want to speak to a human"),
            Some(PatientIntent::Agent)
        );
        // Left to the FAQ and triage:
        assert_eq!(
            patient_intent("my nurse said to talk to a doctor about my chest pain"),
            None
        );
        assert_eq!(patient_intent("pls delete all my chat data"), None);
        assert_eq!(patient_intent("what is an agent"), None);
    }

    /// Openers × requests × closers: every phrasing asks for a person.
    #[test]
    fn a_request_for_a_person_counts_however_it_is_phrased() {
        let openers = [
            "",
            "hi, ",
            "hello ",
            "hey there! ",
            "@carebot ",
            "@everyone ",
            "good morning. ",
            "sorry to bother you but ",
            "hi carebot, quick one: ",
            "um ",
        ];
        let requests = [
            "can I talk to a nurse",
            "I want to talk to a nurse",
            "can i speak with a doctor",
            "I need to speak to someone",
            "put me through to reception",
            "can someone call me back",
            "I'd like to speak to a real person",
            "get me a human",
            "can I talk to my GP",
            "i wanna talk 2 a nurse",
            "is there a doctor I can chat with",
            "let me speak to the receptionist",
            "nurse",
            "agent please",
            "can a nurse call me",
            "I need to reach a clinician",
            "could I talk to somebody",
            "i'd like a callback",
            "please call me",
            "connect me with a practitioner",
        ];
        let closers = [
            "",
            " please",
            " today?",
            ". thanks",
            " asap",
            "!! thank you",
            "? I'm worried",
        ];
        let mut count = 0;
        for opener in openers {
            for request in requests {
                for closer in closers {
                    let text = format!("{opener}{request}{closer}");
                    assert_eq!(
                        patient_intent(&text),
                        Some(PatientIntent::Agent),
                        "{text:?} asks for a person"
                    );
                    count += 1;
                }
            }
        }
        assert!(count >= 200);
    }

    #[test]
    fn mentioning_a_nurse_or_doctor_is_not_asking_for_one() {
        let subjects = [
            "my nurse",
            "the doctor",
            "my GP",
            "the nurse at the clinic",
            "dr smith",
            "my doctor",
        ];
        let reports = [
            "said I should rest",
            "told me to drink more water",
            "gave me antibiotics last week",
            "says it's a virus",
            "prescribed an inhaler",
            "wants me to come back in a month",
            "was lovely yesterday",
            "changed my dose",
        ];
        let mut count = 0;
        for subject in subjects {
            for report in reports {
                let text = format!("{subject} {report}");
                assert_eq!(patient_intent(&text), None, "{text:?} is not a request");
                count += 1;
            }
        }
        for text in [
            "the doctor told me to talk to a physio",
            "my nurse said to talk to a doctor about my chest pain",
            "how do I become a nurse",
        ] {
            assert_eq!(patient_intent(text), None, "{text:?} is not a request");
            count += 1;
        }
        assert!(count >= 50);
    }

    #[test]
    fn a_slash_command_leaves_the_rest_of_the_message_to_read() {
        assert_eq!(
            without_command("/agent my dad passed out"),
            "my dad passed out"
        );
        assert_eq!(without_command("/agent"), "");
        assert_eq!(without_command("talk to a nurse"), "talk to a nurse");
    }
}
