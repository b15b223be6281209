//! Whether a message reports a health problem happening now: the fail-safe
//! under triage.
//!
//! Triage rules recognise the findings the practice wrote them for. A message
//! about a problem in words no rule anticipated ("he went down and there's
//! blood everywhere", "pretty sure this is a heart attack") must still never get
//! an FAQ answer or a bare fallback. So this stage decides, broadly and apart
//! from the rules, whether the message reports a symptom, an injury, an event, a
//! condition named as happening, or a body part with something wrong; when it
//! does and no rule decides, the engine runs the knowledge base's red-flag
//! screen instead of the FAQ.
//!
//! The words are built in, not knowledge-file content, so that no edit to a
//! practice's files can switch the fail-safe off; a practice's own concepts add
//! to them (every concept counts unless it is marked `neutral`). Context is read
//! as for findings: "no chest pain", "my dad had a stroke last year" and "what
//! are the signs of sepsis" report no problem now.

use crate::findings::{ConceptMatcher, Mention};
use crate::knowledge::{Concept, Origin};
use crate::text::{Analyzer, Token};

/// Words and phrases that, affirmed, report a health problem. Broad on purpose:
/// a false positive costs the patient one screening question, a miss can cost a
/// life.
const PROBLEM_WORDS: &[&str] = &[
    // Pain and discomfort.
    "agony",
    "cramp",
    "cramps",
    "throbbing",
    "stabbing pain",
    // Bleeding, swelling, skin.
    "bleed",
    "bleeding",
    "bled",
    "blood everywhere",
    "blood coming",
    "blood in",
    "lost blood",
    "swollen",
    "swelling",
    "swelled",
    "puffy",
    "rash",
    "hives",
    "itchy",
    "itching",
    "blister",
    "bruise",
    "bruised",
    "bruising",
    "lump",
    "bump",
    "spots",
    "pus",
    "oozing",
    "infected",
    "infection",
    "yellow skin",
    "yellow eyes",
    // Breathing and the chest.
    "breathe",
    "breathing",
    "breath",
    "breathless",
    "wheeze",
    "wheezing",
    "gasping",
    "choking",
    "choke",
    "choked",
    "cough",
    "coughing",
    "chest tight",
    "tight chest",
    "palpitations",
    "heart racing",
    "heart pounding",
    "heart fluttering",
    // Stomach, bowels, bladder.
    "vomit",
    "vomiting",
    "vomited",
    "throwing up",
    "threw up",
    "puking",
    "puke",
    "sick",
    "nausea",
    "nauseous",
    "nauseated",
    "diarrhea",
    "diarrhoea",
    "constipated",
    "constipation",
    "bloated",
    "pee blood",
    "peeing blood",
    "burns when i pee",
    "can not pee",
    // The head, the nerves, the mind.
    "headache",
    "migraine",
    "dizzy",
    "dizziness",
    "lightheaded",
    "light headed",
    "faint",
    "fainted",
    "fainting",
    "passed out",
    "blacked out",
    "collapsed",
    "collapse",
    "unconscious",
    "unresponsive",
    "not responding",
    "not waking",
    "will not wake",
    "won't wake",
    "not moving",
    "not breathing",
    "stopped breathing",
    "numb",
    "numbness",
    "tingling",
    "pins and needles",
    "weak",
    "weakness",
    "paralysed",
    "paralyzed",
    "drooping",
    "droopy",
    "slurred",
    "slurring",
    "confused",
    "confusion",
    "disoriented",
    "drowsy",
    "seizure",
    "seizures",
    "convulsing",
    "convulsion",
    "fitting",
    "having a fit",
    "had a fit",
    "blurry",
    "blurred",
    "double vision",
    "can not see properly",
    "can not see out",
    "lost my sight",
    "ringing in",
    "hallucinating",
    "suicidal",
    "kill myself",
    "end my life",
    "end it all",
    "self harm",
    "hurt myself",
    "cutting myself",
    "panic attack",
    "anxious",
    "anxiety",
    "depressed",
    "depression",
    "can not sleep",
    "insomnia",
    // Fever and feeling ill.
    "fever",
    "feverish",
    "temperature",
    "temp of",
    "high temp",
    "chills",
    "clammy",
    "pale",
    "floppy",
    "lethargic",
    "unwell",
    "ill",
    "poorly",
    "not well",
    "feel terrible",
    "feel awful",
    "feeling awful",
    "feeling terrible",
    "feel rough",
    "under the weather",
    "not right",
    "something wrong",
    "something is wrong",
    "tired all the time",
    "exhausted",
    "dehydrated",
    // Colour changes.
    "lips blue",
    "lips grey",
    "lips gray",
    "lips purple",
    "turned blue",
    "turning blue",
    "gone blue",
    "going blue",
    "gone grey",
    "gone gray",
    "turned grey",
    "turned gray",
    "face grey",
    "skin grey",
    "skin blue",
    // Injuries and events.
    "injury",
    "injured",
    "injuries",
    "hurt my",
    "fell",
    "fall",
    "fallen",
    "tripped over",
    "tripped on",
    "tripped and",
    "tripped up",
    "slipped",
    "fracture",
    "fractured",
    "broken bone",
    "broke a bone",
    "broken arm",
    "broken leg",
    "broken wrist",
    "broken ankle",
    "broken nose",
    "broken finger",
    "broken toe",
    "broken rib",
    "broke my",
    "broke his",
    "broke her",
    "sprain",
    "sprained",
    "twisted",
    "dislocated",
    "weird angle",
    "odd angle",
    "wrong angle",
    "sticking out",
    "cut",
    "cuts",
    "gash",
    "wound",
    "stabbed",
    "stab",
    "knifed",
    "gunshot",
    "gun shot",
    "been shot",
    "shot in the",
    "shot him",
    "shot her",
    "shot me",
    "hit by",
    "car crash",
    "bike crash",
    "crashed into",
    "crashed the car",
    "crashed his",
    "crashed her",
    "crashed my",
    "accident",
    "burn",
    "burned",
    "burnt",
    "scald",
    "scalded",
    "stung",
    "electric shock",
    "electrocuted",
    "drowning",
    "drowned",
    "overdose",
    "overdosed",
    "od",
    "poisoned",
    "poisoning",
    "swallowed",
    "ate some",
    "drank some",
    "took too many",
    "took all",
    "taken too many",
    "taken all",
    // Conditions named as happening.
    "heart attack",
    "stroke",
    "anaphylaxis",
    "anaphylactic",
    "allergic reaction",
    "reaction",
    "asthma attack",
    "sepsis",
    "septic",
    "meningitis",
    "pneumonia",
    "flu",
    "covid",
    "infection",
    "hypo",
    "diabetic coma",
    "appendicitis",
    "miscarriage",
    "miscarrying",
    "contractions",
    "waters broke",
    "waters have broken",
    "labour",
    "labor",
    "emergency",
    "dying",
    "going to die",
    "life threatening",
    "bulging",
    "irritable",
    "mottled",
    "grunting",
    "limp",
    "floppy baby",
    "mumbling",
    "staggering",
    "drooling",
    "purple",
    "fighting for air",
    "not feeding",
    "will not feed",
    "won't feed",
    "not eating or drinking",
    "can not keep anything down",
    "pulseless",
    "foaming at the mouth",
    "ice cold",
    "freezing cold",
    "cold to touch",
    "burning up",
    "boiling hot",
    "seeing double",
    "can not feel",
    "no feeling",
    "dead arm",
    "dead leg",
    "left side",
    "right side",
    "lost consciousness",
    "loss of consciousness",
    "passing out",
    "black stools",
    "tarry",
    "coffee grounds",
    "green vomit",
    "projectile",
    "stiff neck",
    "rigid",
    "swollen tongue",
    "swollen throat",
    "can not swallow",
    "hoarse",
    "stridor",
    "croaky",
    "wheezy",
    "barking cough",
    "blood pressure of",
    "bp of",
    "sugar is",
    "sugars are",
    "ketones",
    "overdosed",
    "empty bottle",
    "empty packet",
    "whole pack",
    "whole packet",
    "necked",
];

/// Words that say something hurts without saying what: a problem on their
/// own, but accounted for by any finding of the knowledge base in the same
/// message ("shingles on my back, it's really painful").
const GENERIC_WORDS: &[&str] = &[
    "pain",
    "painful",
    "hurt",
    "hurts",
    "hurting",
    "ache",
    "aching",
    "aches",
    "sore",
    "tender",
    "burning",
    "stinging",
    "discomfort",
    "uncomfortable",
    "killing me",
    "itchy",
    "itching",
    "shaky",
    "shaking",
    "trembling",
    "sweaty",
    "sweating",
    "shivery",
    "shivering",
];

/// Phrases that hide a problem word inside them: admin and everyday uses of
/// medical words ("sick note", "flu shot", "blood test", "fall asleep").
const NOT_A_PROBLEM: &[&str] = &[
    "burns when",
    "burns wen",
    "burning when",
    "stings when",
    "sick note",
    "sick notes",
    "sick leave",
    "sick day",
    "fit note",
    "blood test",
    "blood tests",
    "blood work",
    "blood pressure check",
    "blood pressure reading",
    "blood pressure medication",
    "blood pressure meds",
    "blood pressure tablets",
    "blood pressure pills",
    "flu shot",
    "flu shots",
    "flu jab",
    "flu vaccine",
    "flu vaccination",
    "flu clinic",
    "flu season",
    "covid vaccine",
    "covid shot",
    "covid jab",
    "covid booster",
    "covid test",
    "covid vaccination",
    "pain medication",
    "pain meds",
    "pain killers",
    "painkillers",
    "pain relief",
    "fall asleep",
    "falling asleep",
    "fell asleep",
    "in the fall",
    "this fall",
    "next fall",
    "last fall",
    "the fall",
    "cut off",
    "cut short",
    "emergency number",
    "emergency contact",
    "emergency appointment",
    "in an emergency",
    "in case of emergency",
    "emergency room hours",
    "temperature check",
    "room temperature",
    "fever clinic",
    "allergy clinic",
    "burn cream",
    "reaction to the news",
    "sick of",
    "sick and tired",
    "dying to know",
    "kill for",
    "anxiety meds",
    "anxiety medication",
    "depression meds",
    "depression medication",
    "asthma inhaler",
    "covid rules",
    "ill health retirement",
    "hit by the bill",
    "hit by a bill",
    "accident form",
    "accident report",
    "birth control",
    "labor day",
    "labour day",
];

/// One built-in problem word found in a message.
#[derive(Debug, Clone)]
pub struct Problem {
    pub mention: Mention,
    /// A word such as "pain" that any finding of the knowledge base accounts for.
    pub generic: bool,
}

/// Decides whether a message reports a health problem now.
#[derive(Debug)]
pub struct HealthDetector {
    matcher: ConceptMatcher,
}

impl HealthDetector {
    pub fn new(analyzer: &Analyzer) -> HealthDetector {
        let concept = |id: &str, words: &[&str]| Concept {
            id: id.to_string(),
            words: words.iter().map(|w| w.to_string()).collect(),
            absent_words: NOT_A_PROBLEM.iter().map(|w| w.to_string()).collect(),
            includes: Vec::new(),
            neutral: false,
            overlay: false,
            origin: Origin {
                file: "built-in".into(),
                line: 0,
                column: 0,
            },
        };
        // Concept 0 is the specific problems, 1 the generic words.
        let concepts = [
            concept("problem", PROBLEM_WORDS),
            concept("generic", GENERIC_WORDS),
        ];
        HealthDetector {
            matcher: ConceptMatcher::new(&concepts, analyzer),
        }
    }

    /// Whether `tokens` report a health problem happening now: a built-in
    /// problem word or a knowledge-base finding that is not neutral, affirmed
    /// (not denied, past or hypothetical). `affirmed_findings` are the
    /// knowledge base's concepts found affirmed in the message.
    pub fn reports_problem<'a>(
        &self,
        tokens: &[Token],
        mut affirmed_findings: impl Iterator<Item = &'a Concept>,
    ) -> bool {
        affirmed_findings.any(|concept| !concept.neutral) || !self.problems(tokens).is_empty()
    }

    /// The built-in problem words the message affirms, as written after
    /// correction (for `--explain`).
    pub fn problem_words(&self, tokens: &[Token]) -> Vec<String> {
        self.problems(tokens)
            .into_iter()
            .map(|problem| problem.mention.words)
            .collect()
    }

    /// The built-in problem words the message affirms, where they stand.
    pub fn problems(&self, tokens: &[Token]) -> Vec<Problem> {
        self.matcher
            .mentions(tokens)
            .into_iter()
            .filter(|(_, mention)| mention.affirmed())
            .map(|(concept, mention)| Problem {
                mention,
                generic: concept == 1,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn reports(text: &str) -> bool {
        let analyzer = Analyzer::new(&HashMap::new());
        let detector = HealthDetector::new(&analyzer);
        detector.reports_problem(&analyzer.analyze(text), std::iter::empty())
    }

    #[test]
    fn problems_in_words_no_rule_anticipated_are_reported() {
        for text in [
            "pretty sure this is a heart attack",
            "my husband has been shot",
            "got hit by a car",
            "his arm is at a weird angle",
            "the pain never went away",
            "what do I do about this bleeding, it's everywhere",
            "idk what's going on, she's gone really pale and clammy",
            "FELL DOWN THE STAIRS",
            "my toddler's lips have gone grey",
            "58 year old woman, 2 hour history of vomiting",
        ] {
            assert!(reports(text), "{text:?} reports a problem");
        }
    }

    #[test]
    fn admin_questions_history_and_denials_report_no_problem() {
        for text in [
            "when are you open on saturday",
            "can I get a flu shot",
            "I need a sick note for work",
            "how do I book a blood test",
            "no pain, no fever, I'm fine",
            "my dad had a stroke last year",
            "what are the signs of sepsis",
            "I keep falling asleep waiting on hold lol",
            "where do I park",
            "refill of my pain meds please",
        ] {
            assert!(!reports(text), "{text:?} reports no problem");
        }
    }
}
