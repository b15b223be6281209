//! # carebot-synthetic — made-up practices and patients, for measuring carebot
//!
//! Synthetic knowledge bases and patient traffic, for benchmarks, soak and
//! property tests: never for patients. A crate of its own, which only the
//! benches, examples and tests depend on (a dev-dependency of `carebot`), so
//! that no deployment links it.
//!
//! [`knowledge_files`] builds a practice of any size (1,000 or 10,000 FAQ entries
//! and hundreds of triage rules) deterministically from a seed, as the TOML files
//! a practice would write, so that it goes through the real loader and its
//! validation. The vocabulary is a health system's: services ("repeat
//! prescription", "travel vaccination"), what patients want to do with them
//! ("book", "cancel", "get a copy of") and for whom or when ("for my child",
//! "on a weekend"); findings are body parts with symptoms ("swollen knee").
//!
//! [`Traffic`] turns any knowledge base (the shipped one included) into a stream
//! of patient messages like real chat: FAQ questions reworded and misspelt, text
//! speak, symptom descriptions with negations, ages and temperatures, small talk
//! and hostile input. Both use a small seeded generator ([`Rng`]), so a seed
//! always gives the same knowledge and the same messages on every machine.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use carebot::knowledge::{
    load_files, toml_list, toml_string, write_faq, FaqText, Knowledge, KnowledgeFile, Problem,
};

/// A small, fast, seeded pseudo-random generator (SplitMix64). Not for
/// anything secret; only for reproducible test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The sizes the benchmarks use: FAQ entries and triage rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub faqs: usize,
    pub rules: usize,
}

impl Size {
    pub const fn new(faqs: usize, rules: usize) -> Size {
        Size { faqs, rules }
    }
}

/// The seed the benchmarks, the soak test and the README figures use.
pub const SEED: u64 = 2026;

/// The generated bases the benchmarks compare with the shipped one: FAQ entries
/// grow a hundredfold while the rules stay at 500, so the ratio between the
/// first and the last shows how the cost of a reply grows with the FAQ.
pub const BENCH_SIZES: [(&str, Size); 3] = [
    ("synthetic-100", Size::new(100, 500)),
    ("synthetic-1k", Size::new(1_000, 500)),
    ("synthetic-10k", Size::new(10_000, 500)),
];

/// This process's resident memory (`VmRSS`) in KiB, where `/proc` has it.
pub fn resident_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

// ---------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------

/// Services and things a practice's patients ask about.
const SUBJECTS: &[&str] = &[
    "appointment",
    "repeat prescription",
    "blood test",
    "test results",
    "flu vaccine",
    "covid booster",
    "travel vaccination",
    "sick note",
    "fit note",
    "medical certificate",
    "referral",
    "physiotherapy",
    "x-ray",
    "ultrasound scan",
    "smear test",
    "cervical screening",
    "mammogram",
    "health check",
    "blood pressure check",
    "diabetes review",
    "asthma review",
    "inhaler",
    "contraception",
    "coil fitting",
    "contraceptive implant",
    "pregnancy test",
    "antenatal appointment",
    "baby immunisations",
    "child vaccinations",
    "hearing test",
    "eye test",
    "ear wax removal",
    "minor surgery",
    "mole check",
    "wart removal",
    "counselling",
    "talking therapy",
    "weight management programme",
    "stop smoking service",
    "alcohol support",
    "medication review",
    "home visit",
    "telephone consultation",
    "video consultation",
    "online consultation",
    "patient portal",
    "app login",
    "password reset",
    "medical records",
    "insurance form",
    "invoice",
    "bill",
    "payment plan",
    "co-pay",
    "deductible",
    "parking permit",
    "wheelchair access",
    "interpreter",
    "chaperone",
    "nurse appointment",
    "specialist appointment",
    "dermatology referral",
    "cardiology referral",
    "allergy testing",
    "ecg",
    "spirometry",
    "urine sample",
    "stool sample",
    "throat swab",
    "vitamin d test",
    "cholesterol test",
    "thyroid test",
    "inr check",
    "wound dressing",
    "stitches removal",
    "b12 injection",
    "hepatitis b vaccine",
    "shingles vaccine",
    "pneumonia vaccine",
    "hpv vaccine",
    "mmr vaccine",
    "whooping cough vaccine",
    "yellow fever vaccine",
    "malaria tablets",
    "prescription delivery",
    "controlled drug prescription",
    "hospital letter",
    "discharge summary",
    "sports medical",
    "driving medical",
    "fitness to fly letter",
    "school form",
    "care plan",
    "carer support",
    "bereavement support",
    "complaint",
    "new patient registration",
    "temporary registration",
    "change of address",
    "change of name",
    "next of kin details",
    "subject access request",
    "consent form",
    "bowel screening kit",
    "flu clinic",
    "baby clinic",
    "postnatal check",
    "six week check",
    "menopause clinic",
    "sexual health clinic",
    "travel clinic",
    "walk-in clinic",
    "out of hours service",
    "lost property",
    "student registration",
    "hearing aid battery",
    "blood glucose meter",
    "test strips",
    "nebuliser",
    "compression stockings",
    "hormone replacement therapy",
    "sleep clinic",
    "memory clinic",
    "podiatry",
    "dietitian",
    "speech therapy",
    "occupational therapy",
];

/// What patients want to do with a service.
const ACTIONS: &[&str] = &[
    "book",
    "cancel",
    "reschedule",
    "change",
    "get",
    "renew",
    "order",
    "request",
    "pay for",
    "check on",
    "ask about",
    "find out about",
    "sign up for",
    "arrange",
    "confirm",
    "collect",
    "upload",
    "download",
    "print",
    "update",
    "get a copy of",
    "get help with",
    "complain about",
    "get a reminder for",
    "transfer",
    "track",
    "prepare for",
    "apply for",
    "get a refund for",
    "see someone about",
    "get advice on",
    "get a letter about",
    "speed up",
    "share",
    "delay",
    "opt out of",
];

/// For whom, when or how.
const QUALIFIERS: &[&str] = &[
    "online",
    "by phone",
    "for my child",
    "for my mother",
    "for my husband",
    "for my wife",
    "for a baby",
    "on a weekend",
    "on saturday",
    "after work",
    "this week",
    "today",
    "tomorrow",
    "next month",
    "while abroad",
    "without insurance",
    "with private insurance",
    "as a new patient",
    "as a student",
    "in another language",
    "with a wheelchair",
    "at short notice",
    "before travelling",
    "during pregnancy",
    "after surgery",
    "in the evening",
    "at the branch surgery",
    "through the app",
    "by email",
    "urgently",
    "for free",
    "for an elderly relative",
    "if i am disabled",
    "if i work nights",
    "from another practice",
    "over the holidays",
    "by post",
    "for my whole family",
    "without a referral",
    "on my lunch break",
];

/// Ways to ask: `{a}` is the action, `{s}` the subject, `{q}` the qualifier.
const QUESTION_TEMPLATES: &[&str] = &[
    "How do I {a} my {s} {q}?",
    "Can I {a} a {s} {q}?",
    "Is it possible to {a} the {s} {q}?",
    "I want to {a} my {s} {q}",
    "Where can I {a} a {s} {q}?",
    "What do I need to {a} a {s} {q}?",
    "{a} {s} {q}",
    "Who do I talk to to {a} my {s} {q}?",
    "How long does it take to {a} a {s} {q}?",
    "Do you let patients {a} their {s} {q}?",
];

const ANSWER_OPENINGS: &[&str] = &[
    "You can {a} your {s} {q} through the patient portal at {portal_url} or by calling {phone}.",
    "To {a} a {s} {q}, call reception on {phone} between 8am and 6pm.",
    "Most patients {a} their {s} {q} online at {portal_url}; reception ({phone}) can help if you are stuck.",
    "Please ask at reception or call {phone} to {a} your {s} {q}.",
];

const ANSWER_DETAILS: &[&str] = &[
    "Please allow two working days for us to process it.",
    "Bring photo identification and your insurance card.",
    "There is no charge for registered patients.",
    "A clinician may call you back to check the details.",
    "You will get a text message when it is ready.",
    "Our address is {address}.",
    "If it is urgent, tell the receptionist so we can prioritise it.",
    "Children under 16 need a parent or guardian with them.",
    "We will confirm by email within one working day.",
    "Outside opening hours call {after_hours_line}.",
];

/// Body parts, for findings.
const BODY_PARTS: &[&str] = &[
    "knee", "ankle", "wrist", "elbow", "shoulder", "hip", "neck", "back", "jaw", "ear", "eye",
    "throat", "thumb", "finger", "toe", "heel", "shin", "thigh", "calf", "forearm", "tongue",
    "gum", "lip", "nose", "scalp", "groin", "armpit", "belly", "stomach", "ribs",
];

/// Symptom kinds and the ways patients say them (`{p}` is the body part).
const SYMPTOMS: &[(&str, &[&str])] = &[
    (
        "pain",
        &[
            "{p} pain",
            "pain in my {p}",
            "{p} hurts",
            "sore {p}",
            "{p} is aching",
        ],
    ),
    (
        "swelling",
        &["swollen {p}", "{p} swelling", "{p} is swollen", "puffy {p}"],
    ),
    ("rash", &["rash on my {p}", "{p} rash", "spots on my {p}"]),
    ("numb", &["numb {p}", "{p} is numb", "no feeling in my {p}"]),
    (
        "itch",
        &["itchy {p}", "{p} is itching", "itching on my {p}"],
    ),
    ("bleeding", &["{p} is bleeding", "bleeding from my {p}"]),
    (
        "bruise",
        &["bruised {p}", "bruise on my {p}", "{p} is bruised"],
    ),
    ("stiff", &["stiff {p}", "{p} is stiff", "can't move my {p}"]),
    ("lump", &["lump on my {p}", "lump in my {p}", "{p} lump"]),
    ("red", &["red {p}", "{p} is red", "redness on my {p}"]),
    (
        "burning",
        &["burning {p}", "{p} is burning", "burning in my {p}"],
    ),
    (
        "weak",
        &["weak {p}", "{p} feels weak", "weakness in my {p}"],
    ),
];

/// Findings that are not about one body part: they make rules more severe.
const GENERAL_FINDINGS: &[(&str, &[&str])] = &[
    ("gen_fever", &["fever", "high temperature", "burning up"]),
    ("gen_vomiting", &["vomiting", "throwing up", "being sick"]),
    ("gen_dizzy", &["dizzy", "light headed", "room spinning"]),
    (
        "gen_breathless",
        &["short of breath", "can't breathe", "breathless"],
    ),
    (
        "gen_injury",
        &["fell", "tripped", "twisted", "injured", "knocked"],
    ),
    (
        "gen_severe",
        &["severe", "unbearable", "worst ever", "agony"],
    ),
    ("gen_sudden", &["sudden", "suddenly", "out of nowhere"]),
    ("gen_spreading", &["spreading", "getting bigger", "spreads"]),
    ("gen_confused", &["confused", "muddled", "not making sense"]),
    ("gen_pale", &["pale", "clammy", "cold sweat"]),
    ("gen_faint", &["fainted", "passed out", "blacked out"]),
    (
        "gen_infected",
        &["pus", "oozing", "smells bad", "hot to touch"],
    ),
];

const LEVELS: &[&str] = &["self_care", "routine", "urgent", "emergency"];

fn fill(template: &str, action: &str, subject: &str, qualifier: &str) -> String {
    let text = template
        .replace("{a}", action)
        .replace("{s}", subject)
        .replace("{q}", qualifier);
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// The practice settings file every synthetic knowledge base starts with.
pub const PRACTICE_TOML: &str = r#"[practice]
name = "Synthetic Health System"
phone = "(555) 010-0100"
emergency_number = "911"
crisis_line = "988"
portal_url = "https://portal.synthetic.example"
address = "1 Benchmark Way, Springfield"
after_hours_line = "(555) 010-0199"
timezone = "America/New_York"

[practice.hours]
monday = "08:00-18:00"
tuesday = "08:00-18:00"
wednesday = "08:00-20:00"
thursday = "08:00-18:00"
friday = "08:00-17:00"
saturday = "09:00-12:00"
sunday = "closed"
"#;

/// FAQ entries per generated file, like a practice splitting topics by file.
const FAQS_PER_FILE: usize = 250;

/// The knowledge files of a synthetic practice of `size`, from `seed`.
pub fn knowledge_files(size: Size, seed: u64) -> Vec<KnowledgeFile> {
    let mut rng = Rng::new(seed);
    let mut files = vec![KnowledgeFile {
        path: PathBuf::from("practice.toml"),
        source: PRACTICE_TOML.to_string(),
    }];

    // FAQ entries: distinct (action, subject, qualifier) triples, visited in a
    // seeded order so that small bases still cover many subjects.
    let combinations = ACTIONS.len() * SUBJECTS.len() * QUALIFIERS.len();
    assert!(
        size.faqs <= combinations,
        "at most {combinations} FAQ entries"
    );
    // A multiplier coprime with the number of combinations walks all of them.
    let mut step = (rng.next_u64() as usize % combinations) | 1;
    while gcd(step, combinations) != 1 {
        step += 2;
    }
    let offset = rng.below(combinations);
    let mut faq_file = String::new();
    for number in 0..size.faqs {
        let combination = (offset + number * step) % combinations;
        let action = ACTIONS[combination % ACTIONS.len()];
        let subject = SUBJECTS[(combination / ACTIONS.len()) % SUBJECTS.len()];
        let qualifier = QUALIFIERS[combination / (ACTIONS.len() * SUBJECTS.len())];
        generate_faq(&mut faq_file, &mut rng, number, action, subject, qualifier);
        if (number + 1) % FAQS_PER_FILE == 0 || number + 1 == size.faqs {
            files.push(KnowledgeFile {
                path: PathBuf::from(format!("faq/faq-{:03}.toml", number / FAQS_PER_FILE)),
                source: std::mem::take(&mut faq_file),
            });
        }
    }

    // Concepts: every body part with every symptom, and the general findings.
    let mut concepts = String::new();
    let mut local_ids = Vec::new();
    for part in BODY_PARTS {
        for (kind, phrasings) in SYMPTOMS {
            let id = format!("{part}_{kind}");
            let words: Vec<String> = phrasings.iter().map(|p| p.replace("{p}", part)).collect();
            let _ = writeln!(
                concepts,
                "[[concept]]\nid = {}\nwords = {}\n",
                toml_string(&id),
                toml_list(&words)
            );
            local_ids.push(id);
        }
    }
    for (id, words) in GENERAL_FINDINGS {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        let _ = writeln!(
            concepts,
            "[[concept]]\nid = {}\nwords = {}\n",
            toml_string(id),
            toml_list(&words)
        );
    }
    files.push(KnowledgeFile {
        path: PathBuf::from("concepts/synthetic.toml"),
        source: concepts,
    });

    let mut rules = String::new();
    for number in 0..size.rules {
        write_rule(&mut rules, &mut rng, number, &local_ids);
    }
    if size.rules > 0 {
        files.push(KnowledgeFile {
            path: PathBuf::from("rules/synthetic.toml"),
            source: rules,
        });
    }
    files
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn generate_faq(
    out: &mut String,
    rng: &mut Rng,
    number: usize,
    action: &str,
    subject: &str,
    qualifier: &str,
) {
    let mut templates: Vec<&str> = QUESTION_TEMPLATES.to_vec();
    let count = 3 + rng.below(3);
    let mut questions = Vec::new();
    for _ in 0..count {
        let template = templates.swap_remove(rng.below(templates.len()));
        questions.push(fill(template, action, subject, qualifier));
    }
    let title = fill("{a} {s} {q}", action, subject, qualifier);
    let mut keywords: Vec<String> = subject.split(' ').map(str::to_string).collect();
    keywords.push(action.split(' ').next().unwrap_or(action).to_string());
    let opening = ANSWER_OPENINGS[rng.below(ANSWER_OPENINGS.len())];
    let mut answer = fill(opening, action, subject, qualifier);
    for _ in 0..1 + rng.below(2) {
        let detail = ANSWER_DETAILS[rng.below(ANSWER_DETAILS.len())];
        answer.push(' ');
        answer.push_str(detail);
    }
    write_faq(
        out,
        &FaqText {
            id: &format!("gen-{number:05}"),
            title: &title,
            questions: &questions,
            keywords: &keywords,
            answer: &answer,
            sources: &["Synthetic practice policy".to_string()],
            reviewed: "2026-11-01",
            owner: "Benchmark generator",
        },
    );
}

fn write_rule(out: &mut String, rng: &mut Rng, number: usize, local_ids: &[String]) {
    let main = rng.pick(local_ids).clone();
    let level = match rng.below(10) {
        0..=3 => LEVELS[0],
        4..=6 => LEVELS[1],
        7..=8 => LEVELS[2],
        _ => LEVELS[3],
    };
    let mut any = Vec::new();
    if level != "self_care" || rng.chance(0.3) {
        for _ in 0..1 + rng.below(3) {
            let (id, _) = rng.pick(GENERAL_FINDINGS);
            if !any.contains(&id.to_string()) {
                any.push(id.to_string());
            }
        }
    }
    let mut none = Vec::new();
    if level == "self_care" && rng.chance(0.5) {
        none.push("gen_severe".to_string());
    }
    let part = main.split('_').next().unwrap_or("it");
    let advice = match level {
        "emergency" => format!("**Call {{emergency_number}} now.** A {part} problem like this needs help straight away. Do not drive yourself."),
        "urgent" => format!("Please speak to a clinician **today** about your {part}: call {{phone}}. If it gets much worse, call {{emergency_number}}."),
        "routine" => format!("Please book a routine appointment about your {part} at {{portal_url}} or on {{phone}}."),
        _ => format!("This can usually be looked after at home: rest your {part}, and call {{phone}} if it is not better in a week."),
    };
    let _ = write!(
        out,
        "[[rule]]\nid = \"rule-{number:04}\"\ntitle = \"Synthetic rule {number}\"\nlevel = \"{level}\"\nwhen.all = {}\n",
        toml_list(std::slice::from_ref(&main))
    );
    if !any.is_empty() {
        let _ = writeln!(out, "when.any = {}", toml_list(&any));
    }
    if !none.is_empty() {
        let _ = writeln!(out, "when.none = {}", toml_list(&none));
    }
    let age = level != "self_care" && rng.chance(0.1);
    if age {
        out.push_str("when.age_below = \"3 months\"\n");
    }
    let duration = level == "routine" && rng.chance(0.3);
    if duration {
        out.push_str("when.lasting_at_least = \"2 weeks\"\n");
    }
    let _ = writeln!(
        out,
        "handoff = {}\nadvice = {}\nsources = [\"Synthetic guideline\"]\nreviewed = 2026-11-01\nowner = \"Benchmark generator\"\n",
        level == "emergency" || level == "urgent",
        toml_string(&advice)
    );
    if let Some(first) = any.first() {
        if rng.chance(0.5) {
            let _ = writeln!(
                out,
                "[[rule.ask]]\nabout = \"{first}\"\nquestion = \"Is there also {}?\"\n",
                first.trim_start_matches("gen_")
            );
        }
    }
    if age {
        out.push_str("[[rule.ask]]\nabout = \"age\"\nquestion = \"How old are they?\"\n\n");
    }
    if duration {
        out.push_str(
            "[[rule.ask]]\nabout = \"duration\"\nquestion = \"How long has it been going on?\"\n\n",
        );
    }
}

/// A synthetic knowledge base of `size`, loaded and validated like any other.
pub fn knowledge(size: Size, seed: u64) -> Result<Knowledge, Vec<Problem>> {
    load_files(Path::new("synthetic"), knowledge_files(size, seed))
}

/// Writes the synthetic knowledge files under `dir`, for `load_dir` and the CLI.
pub fn write_knowledge(dir: &Path, size: Size, seed: u64) -> io::Result<()> {
    for file in knowledge_files(size, seed) {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, file.source)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Traffic
// ---------------------------------------------------------------------------

/// What real chat does to words.
const TEXT_SPEAK: &[(&str, &str)] = &[
    ("you", "u"),
    ("are", "r"),
    ("your", "ur"),
    ("please", "pls"),
    ("appointment", "appt"),
    ("tomorrow", "tmrw"),
    ("before", "b4"),
    ("prescription", "rx"),
    ("doctor", "dr"),
    ("because", "cuz"),
];

const SMALL_TALK: &[&str] = &[
    "hi",
    "hello is anyone there?",
    "thanks!",
    "thank you so much",
    "ok",
    "what's the weather like",
    "are you a real person",
    "good morning",
    "can you help me",
    "lol",
    "?",
    "i have a question",
    "bye",
];

const HOSTILE: &[&str] = &[
    "😭😭😭 help 🦶",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "my ssn is 123-45-6789 can you check my bill",
    "card 4111 1111 1111 1111 pay my invoice",
    "'; DROP TABLE patients; --",
    "<script>alert(1)</script>",
    "ｗｈｅｎ ａｒｅ ｙｏｕ ｏｐｅｎ",
    "Когда вы открыты?",
    "診療時間は何時ですか",
    "\u{202e}desrever\u{202c} \u{200b}zero width",
    "{{phone}} {emergency_number}",
    "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15",
    "no no no no no not not never without",
];

/// Symptom message shapes: `{x}` and `{y}` are finding phrases.
const SYMPTOM_TEMPLATES: &[&str] = &[
    "I have {x}",
    "my {x} and {y} since yesterday",
    "{x} for 3 days now",
    "no {x}, just {y}",
    "my 7 week old has {x}",
    "{x}, temp 38.5",
    "I don't have {x} but {y}",
    "had {x} last year, now {y}",
    "what are the signs of {x}?",
    "my dad is 78 and has {x} and {y}",
    "{x} and {y}, also when are you open?",
    "{x}",
];

/// A word with one typo of the kinds phones make: two letters swapped, one
/// dropped, one doubled, or a neighbouring key.
pub fn typo(rng: &mut Rng, word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < 4 || !chars.iter().all(|c| c.is_alphabetic()) {
        return word.to_string();
    }
    let at = 1 + rng.below(chars.len() - 2);
    let mut out = chars.clone();
    match rng.below(4) {
        0 => out.swap(at, at + 1),
        1 => {
            out.remove(at);
        }
        2 => out.insert(at, chars[at]),
        _ => {
            const ROWS: [&str; 3] = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];
            if let Some(row) = ROWS.iter().find(|row| row.contains(chars[at])) {
                let row: Vec<char> = row.chars().collect();
                let index = row.iter().position(|c| *c == chars[at]).unwrap_or(0);
                out[at] = if index + 1 < row.len() {
                    row[index + 1]
                } else {
                    row[index - 1]
                };
            }
        }
    }
    out.into_iter().collect()
}

/// A stream of patient messages for one knowledge base: the mix a practice's
/// chat sees. Deterministic for a seed.
#[derive(Debug, Clone)]
pub struct Traffic {
    rng: Rng,
    questions: Vec<String>,
    findings: Vec<String>,
}

impl Traffic {
    pub fn new(knowledge: &Knowledge, seed: u64) -> Traffic {
        let questions: Vec<String> = knowledge
            .faqs
            .iter()
            .flat_map(|faq| faq.questions.iter().cloned())
            .collect();
        let findings: Vec<String> = knowledge
            .concepts
            .iter()
            .flat_map(|concept| concept.words.iter().cloned())
            .collect();
        Traffic {
            rng: Rng::new(seed),
            questions,
            findings,
        }
    }

    /// `count` messages.
    pub fn messages(&mut self, count: usize) -> Vec<String> {
        (0..count).map(|_| self.message()).collect()
    }

    /// The next message: 55% FAQ questions, 25% symptoms, 5% both, 10% small
    /// talk, 5% hostile input.
    pub fn message(&mut self) -> String {
        let roll = self.rng.below(100);
        let text = match roll {
            0..=54 if !self.questions.is_empty() => self.question(),
            55..=79 if !self.findings.is_empty() => self.symptoms(),
            80..=84 if !self.findings.is_empty() && !self.questions.is_empty() => {
                format!("{}, and {}", self.symptoms(), self.question())
            }
            85..=94 => self.rng.pick(SMALL_TALK).to_string(),
            _ => self.rng.pick(HOSTILE).to_string(),
        };
        self.chat_style(text)
    }

    fn question(&mut self) -> String {
        let question = self.rng.pick(&self.questions).clone();
        let mut words: Vec<&str> = question.split(' ').collect();
        // Patients leave words out.
        if words.len() > 4 && self.rng.chance(0.3) {
            words.remove(self.rng.below(words.len()));
        }
        words.join(" ")
    }

    fn symptoms(&mut self) -> String {
        let x = self.rng.pick(&self.findings).clone();
        let y = self.rng.pick(&self.findings).clone();
        self.rng
            .pick(SYMPTOM_TEMPLATES)
            .replace("{x}", &x)
            .replace("{y}", &y)
    }

    /// Typos, text speak and lower case, as typed on a phone.
    fn chat_style(&mut self, text: String) -> String {
        let lower = self.rng.chance(0.5);
        let mut out = String::with_capacity(text.len());
        for (index, word) in text.split(' ').enumerate() {
            if index > 0 {
                out.push(' ');
            }
            let bare = word.trim_end_matches(['?', ',', '.', '!']);
            let tail = &word[bare.len()..];
            let lowered = bare.to_lowercase();
            let replaced = if self.rng.chance(0.3) {
                TEXT_SPEAK
                    .iter()
                    .find(|(long, _)| *long == lowered)
                    .map(|(_, short)| short.to_string())
            } else {
                None
            };
            let word = match replaced {
                Some(short) => short,
                None if self.rng.chance(0.12) => typo(&mut self.rng, bare),
                None => bare.to_string(),
            };
            out.push_str(&if lower { word.to_lowercase() } else { word });
            if !(lower && self.rng.chance(0.5)) {
                out.push_str(tail);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_deterministic() {
        let a = knowledge_files(Size::new(50, 20), 7);
        let b = knowledge_files(Size::new(50, 20), 7);
        let c = knowledge_files(Size::new(50, 20), 8);
        let text = |files: &[KnowledgeFile]| {
            files
                .iter()
                .map(|f| f.source.clone())
                .collect::<Vec<_>>()
                .join("")
        };
        assert_eq!(text(&a), text(&b));
        assert_ne!(text(&a), text(&c));
    }

    #[test]
    fn generated_knowledge_passes_validation() {
        let knowledge = knowledge(Size::new(600, 120), SEED).unwrap_or_else(|problems| {
            panic!(
                "{}",
                problems
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
        assert_eq!(knowledge.faqs.len(), 600);
        assert_eq!(knowledge.rules.len(), 120);
        let mut ids: Vec<&str> = knowledge.faqs.iter().map(|f| f.id.as_str()).collect();
        ids.dedup();
        assert_eq!(ids.len(), 600);
        let titles: std::collections::HashSet<&str> =
            knowledge.faqs.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(titles.len(), 600, "every entry is a distinct question");
    }

    #[test]
    fn traffic_is_deterministic_and_varied() {
        let knowledge = knowledge(Size::new(100, 50), SEED).expect("valid");
        let a = Traffic::new(&knowledge, 1).messages(200);
        let b = Traffic::new(&knowledge, 1).messages(200);
        assert_eq!(a, b);
        let distinct: std::collections::HashSet<&String> = a.iter().collect();
        assert!(distinct.len() > 150);
    }

    #[test]
    fn typos_change_one_letter() {
        let mut rng = Rng::new(3);
        for _ in 0..50 {
            let changed = typo(&mut rng, "prescription");
            assert!(strsim::osa_distance(&changed, "prescription") <= 1);
        }
        assert_eq!(typo(&mut rng, "ok"), "ok");
    }
}
