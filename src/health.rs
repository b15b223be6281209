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

use crate::findings::{is_negation_word, ConceptMatcher, Mention};
use crate::knowledge::{Concept, Origin};
use crate::text::languages::HealthWords;
use crate::text::{Analyzer, Token};

/// Words and phrases that, affirmed, report a health problem. Broad on purpose:
/// a false positive costs the patient one screening question, a miss can cost a
/// life.
pub const PROBLEM_WORDS: &[&str] = &[
    // Clinical framing: whatever a carer or nurse says a patient "complains
    // of" is a problem now, even in words nobody taught carebot ("c/o worst
    // HA of life" is shorthand, not a registration question).
    "complains of",
    "complaining of",
    "presenting with",
    "presents with",
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
    // A body part that will not do its job ("his hand won't grip", "words
    // all jumbled") is a problem even in words no concept has.
    "won't grip",
    "can't grip",
    "cannot grip",
    "won't lift",
    "can't lift",
    "jumbled",
    "garbled",
    // Blood described by colour or amount is bleeding whatever the word
    // before it ("spitting out bright red blood", "a lot of blood").
    "bright red blood",
    "fresh blood",
    // Blood that is simply there ("sometimes there's blood"). Not "some
    // blood" or "with blood": "I need some blood tests", "help with blood test
    // results".
    "there is blood",
    "there is some blood",
    // A sense or a function that has nearly gone ("can barely hear out of my
    // right ear", "can hardly swallow"): a problem in whatever words come
    // next. Not "can't see" or "can't hear": "I can't see the portal page",
    // "can't hear you on the phone".
    "can barely hear",
    "can hardly hear",
    "lost my hearing",
    "can barely see",
    "can hardly see",
    "lost my sight",
    "can barely walk",
    "can hardly walk",
    "can barely swallow",
    "can hardly swallow",
    "can barely move",
    "can hardly move",
    "can barely stand",
    "can hardly stand",
    // An INR reading at home ("my INR machine reads 6.8"): reported because
    // something may be wrong. Blood pressure, sugar and oxygen readings are
    // read as readings (`text/vitals.rs`).
    "inr machine reads #",
    "inr meter reads #",
    "inr reads #",
    "inr is #",
    "inr of #",
    "inr #",
    // Stools that changed ("poo's been looser for 2 months").
    "looser",
    "loose stools",
    "loose poo",
    "runny poo",
    "lot of blood",
    "lots of blood",
    "loads of blood",
    "so much blood",
    "spitting blood",
    "spitting out blood",
    "blood clots",
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
    // Carers' words for someone going downhill: in an older person, a change
    // in how they are is the first sign of sepsis or delirium (NICE NG51).
    "not herself",
    "not himself",
    "not themselves",
    "not myself",
    "off her food",
    "off his food",
    "off my food",
    "off their food",
    "chesty",
    "sleepy",
    // Low mood in words no concept has.
    "cry every day",
    "crying every day",
    "crying all the time",
    "can not stop crying",
    "keep crying",
    // A missed dose of a medicine is a problem now, not a refill question.
    "missed dose",
    "missed a dose",
    "missed my dose",
    "missed doses",
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
    "erection problems",
    "erectile",
    "not saying any words",
    "not talking yet",
    "speech delay",
    "thrush",
    "cradle cap",
    "earache",
    "ear ache",
    "athletes foot",
    "athlete's foot",
    "acne",
    "warts",
    "wart",
    "verruca",
    "nits",
    "lice",
    "worms",
    "piles",
    "haemorrhoids",
    "hemorrhoids",
    "period pain",
    "heavy periods",
    "hot flushes",
    "hot flashes",
    "incontinence",
    "leaking urine",
    "tinnitus",
    "dandruff",
    "psoriasis",
    "cyst",
    "boil",
    "ingrown",
    "impetigo",
    "conjunctivitis",
    "pink eye",
    "stye",
    "cold sore",
    "ulcer",
    "toothache",
    "tooth ache",
    "indigestion",
    "heartburn",
    "reflux",
    "bloating",
    "cystitis",
    "uti",
    "discharge",
    "hair loss",
    "dry skin",
    "sunburn",
    "snoring",
    "hearing loss",
    "losing my hearing",
    "stress",
    "low mood",
    "panic attacks",
    "weight loss",
    "losing weight",
    "gaining weight",
    "lumps",
    "mole",
    "moles",
    "eczema",
    "allergy",
    "allergies",
    "hay fever",
    "sinus",
    "sinusitis",
    "tonsillitis",
    "strep",
    "ear infection",
    "chest infection",
    "rash",
    "scabies",
    "ringworm",
    "shingles",
    "chickenpox",
    "chicken pox",
    "measles",
    "mumps",
    "hives",
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
pub const GENERIC_WORDS: &[&str] = &[
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
    // Spots are what most rashes and skin conditions look like; a rash that
    // matters ("spots that don't fade") is a finding of its own.
    "spots",
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
pub const NOT_A_PROBLEM: &[&str] = &[
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
    // "nothing wrong with my knee" denies what "wrong with my knee" reports.
    "nothing wrong",
    "nothing is wrong",
    "nothing bad",
    "nothing weird",
    "nothing strange",
    "nothing odd",
];

/// Body parts that, with a vague word of something wrong near them ("my
/// tummy has been weird", "something's off with my eye", "my knee is acting
/// up"), report a problem in words no concept has.
pub const BODY_PARTS: &[&str] = &[
    "face",
    "eye",
    "eyes",
    "eyelid",
    "ear",
    "ears",
    "nose",
    "mouth",
    "lip",
    "lips",
    "tongue",
    "tooth",
    "teeth",
    "gum",
    "gums",
    "jaw",
    "throat",
    "neck",
    "shoulder",
    "shoulders",
    "arm",
    "arms",
    "elbow",
    "wrist",
    "wrists",
    "finger",
    "fingers",
    "thumb",
    "chest",
    "breast",
    "boob",
    "nipple",
    "rib",
    "ribs",
    "lung",
    "lungs",
    "stomach",
    "tummy",
    "belly",
    "abdomen",
    "hip",
    "hips",
    "groin",
    "leg",
    "legs",
    "thigh",
    "knee",
    "knees",
    "shin",
    "calf",
    "calves",
    "ankle",
    "ankles",
    "foot",
    "toe",
    "toes",
    "heel",
    "skin",
    "scalp",
    "forehead",
    "cheek",
    "armpit",
    "collarbone",
    "pelvis",
    "spine",
    "joint",
    "joints",
    "muscle",
    "muscles",
    "penis",
    "testicle",
    "testicles",
    "scrotum",
    "vagina",
    "privates",
    "bladder",
    "kidney",
    "kidneys",
    "bowel",
    "bowels",
    "poo",
    "poop",
    "stool",
    "stools",
    "pee",
    "wee",
    "urine",
    "vision",
    "eyesight",
    "nail",
    "toenail",
    "fingernail",
    "stitches",
    "scar",
    "belly button",
];

/// Body-part words with an everyday sense too ("call me back", "on the other
/// hand", "head over"): only as someone's own.
pub const OWNED_BODY_PARTS: &[&str] = &[
    "back",
    "lower back",
    "side",
    "hand",
    "hands",
    "head",
    "heart",
    "feet",
    "bottom",
    "bum",
    "butt",
    "balls",
    "voice",
    "hearing",
    "balance",
    "memory",
    "body",
];

/// Who a body part belongs to, for [`OWNED_BODY_PARTS`].
/// A possessive's "'s" is dropped in normalising: "my 10 month old's head"
/// reads "old head", "dad's back" "dad back".
pub const OWNERS: &[&str] = &[
    "my", "his", "her", "their", "your", "our", "its", "old", "mum", "mom", "dad", "son",
    "daughter", "baby", "husband", "wife", "partner", "kid", "child", "toddler", "boy", "girl",
];

/// Animals people keep or ride: a message about one, in words nothing knows,
/// is not read as a person's health problem by meaning ("my horse is lame on
/// his front left"). Written as they are after normalising (singular and
/// plural).
pub const ANIMALS: &[&str] = &[
    "dog", "dogs", "puppy", "pup", "cat", "cats", "kitten", "kitty", "horse", "horses", "pony",
    "hamster", "rabbit", "bunny", "parrot", "budgie", "tortoise", "ferret", "goat", "sheep", "vet",
    "vets",
];

/// Words of a person, for [`HealthDetector::about_an_animal_only`]: the
/// writer as themselves (not "my", which owns the pet too) and the people a
/// message names, in English and Spanish (accents folded).
const PEOPLE: &[&str] = &[
    "i",
    "im",
    "ive",
    "me",
    "myself",
    "we",
    "us",
    "son",
    "daughter",
    "baby",
    "child",
    "kid",
    "kids",
    "boy",
    "girl",
    "toddler",
    "husband",
    "wife",
    "partner",
    "mum",
    "mom",
    "dad",
    "mother",
    "father",
    "grandad",
    "grandma",
    "nan",
    "brother",
    "sister",
    "friend",
    "neighbour",
    "neighbor",
    "person",
    "people",
    "man",
    "woman",
    "yo",
    "nosotros",
    "hijo",
    "hija",
    "bebe",
    "nino",
    "nina",
    "esposo",
    "esposa",
    "marido",
    "mama",
    "papa",
    "abuelo",
    "abuela",
    "hermano",
    "hermana",
    "vecino",
    "vecina",
    "amigo",
    "amiga",
    "persona",
    "tengo",
    "estoy",
    "family",
    "everyone",
    "everybody",
    "familia",
    "todos",
];

/// How words of an animal's harm to a person begin: with one, the person's
/// injury is what the message is about ("the dog bit my hand", "un arañazo
/// del perro").
const HARMED_BY_ANIMALS: &[&str] = &[
    "bit", "scratch", "attack", "sting", "stung", "kick", "trampl", "mord", "aran", "picad",
    "atac", "patad",
];

/// Vague words that say something is wrong with a body part beside them.
pub const SOMETHING_WRONG: &[&str] = &[
    "weird",
    "funny",
    "strange",
    "odd",
    "wrong",
    "not right",
    "acting up",
    "playing up",
    "bothering",
    "giving me trouble",
    "messed up",
    "bad",
    "worse",
    "worsening",
    "feels off",
    "feel off",
    "feeling off",
    "something off",
    "is off",
    "flat",
    "misshapen",
    "going red",
    "gone red",
    "turned red",
    "heavy",
    "tight",
    "stiff",
    "locked",
    "locking",
    "popped",
    "popping",
    "clicking",
    "giving way",
    "gave way",
    "red",
    "hot",
    "cold",
    "purple",
    "black",
    "discoloured",
    "discolored",
    "lumpy",
    "throbbing",
    "pounding",
    "twitching",
    "spasm",
    "spasms",
    "seized up",
    "won't move",
    "can't move",
    "won't bend",
    "can't bend",
    "can't straighten",
    "can't feel",
    "not working",
    "stopped working",
    "on fire",
    "swelled up",
    "puffed up",
    "blown up",
    "crooked",
    "deformed",
    "leaking",
    "weeping",
    "crusty",
    "peeling",
    "cracked",
    "achy",
    "raw",
    "killing",
];

/// Every body part, bare or with its owner ("tummy", "my back"): paired with
/// a word of something wrong near it by [`HealthDetector::problems`]. Two small
/// lists matched separately, not their cross product as phrases, which made
/// every "my" in a message try thousands of phrases.
fn body_part_phrases(words: &HealthWords) -> Vec<String> {
    let owned = words.owned_body_parts.iter().flat_map(|part| {
        words
            .owners
            .iter()
            .map(move |owner| format!("{owner} {part}"))
    });
    words
        .body_parts
        .iter()
        .map(|part| part.to_string())
        .chain(owned)
        .collect()
}

/// How far apart a body part and the word of something wrong may be: "my
/// tummy has been really weird" has three words between.
const BODY_PART_GAP: usize = 3;

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
    /// Body parts, and vague words of something wrong with them: a pair of
    /// them near each other is a generic problem, as "pain" is.
    body_parts: ConceptMatcher,
    something_wrong: ConceptMatcher,
    animals: &'static [&'static str],
}

impl HealthDetector {
    pub fn new(analyzer: &Analyzer) -> HealthDetector {
        let built_in = &analyzer.lexicon().health;
        let concept = |id: &str, words: &[String]| Concept {
            id: id.to_string(),
            words: words.to_vec(),
            absent_words: built_in
                .not_a_problem
                .iter()
                .map(|w| w.to_string())
                .collect(),
            includes: Vec::new(),
            neutral: false,
            overlay: false,
            lasting: false,
            origin: Origin {
                file: "built-in".into(),
                line: 0,
                column: 0,
            },
        };
        // Concept 0 is the specific problems, 1 the generic words.
        let owned = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        let concepts = [
            concept("problem", &owned(built_in.problem_words)),
            concept("generic", &owned(built_in.generic_words)),
        ];
        let mut body_part = concept("body part", &body_part_phrases(built_in));
        body_part.absent_words.clear();
        HealthDetector {
            matcher: ConceptMatcher::new(&concepts, analyzer),
            body_parts: ConceptMatcher::new(&[body_part], analyzer),
            something_wrong: ConceptMatcher::new(
                &[concept("something wrong", &owned(built_in.something_wrong))],
                analyzer,
            ),
            animals: built_in.animals,
        }
    }

    /// Whether the message names a body part, not denied ("my finger", "the
    /// tip of his thumb"): what tells a health problem in words nothing knows
    /// from a figure of speech ("this queue is killing me").
    pub fn names_body_part(&self, tokens: &[Token]) -> bool {
        self.body_parts
            .mentions(tokens)
            .iter()
            .any(|(_, mention)| mention.affirmed())
    }

    /// Whether the message names an animal ([`ANIMALS`]): a pet's or a
    /// horse's problem is not a person's.
    pub fn names_an_animal(&self, tokens: &[Token]) -> bool {
        tokens
            .iter()
            .any(|t| self.animals.contains(&t.word.as_str()))
    }

    /// Whether the message is about an animal and nobody else: it names one,
    /// and no person but its owner ("my cat keeps sneezing", "our horse is
    /// lame"), and no animal's harm to a person ("the dog bit me", "stung by
    /// a wasp"). The words of a person are [`PEOPLE`], and the writer speaking
    /// as themselves.
    pub fn about_an_animal_only(&self, tokens: &[Token]) -> bool {
        self.names_an_animal(tokens)
            && !tokens.iter().any(|t| {
                PEOPLE.contains(&t.word.as_str())
                    || HARMED_BY_ANIMALS
                        .iter()
                        .any(|harm| t.word.starts_with(harm))
            })
    }

    /// The built-in problem words the message affirms, where they stand.
    pub fn problems(&self, tokens: &[Token]) -> Vec<Problem> {
        let words = self
            .matcher
            .mentions(tokens)
            .into_iter()
            .map(|(concept, mention)| Problem {
                mention,
                generic: concept == 1,
            });
        let parts: Vec<Mention> = self
            .body_parts
            .mentions(tokens)
            .into_iter()
            .map(|(_, mention)| mention)
            .filter(Mention::affirmed)
            .collect();
        let near_a_part = |wrong: &Mention| {
            parts.iter().any(|part| {
                let (first, second) = if part.span.start <= wrong.span.start {
                    (&part.span, &wrong.span)
                } else {
                    (&wrong.span, &part.span)
                };
                // In one clause, with no negation or "but" between, as within a
                // phrase: "red but the skin isn't broken" pairs nothing.
                second.start >= first.end
                    && second.start - first.end <= BODY_PART_GAP
                    && tokens[first.start..second.end]
                        .iter()
                        .all(|token| token.clause == tokens[first.start].clause)
                    && !tokens[first.end..second.start].iter().any(|token| {
                        is_negation_word(&token.word)
                            || matches!(token.word.as_str(), "but" | "though" | "pero" | "aunque")
                    })
            })
        };
        let body_parts = if parts.is_empty() {
            Vec::new()
        } else {
            self.something_wrong
                .mentions(tokens)
                .into_iter()
                .map(|(_, mention)| mention)
                .filter(|wrong| near_a_part(wrong))
                .map(|mention| Problem {
                    mention,
                    generic: true,
                })
                .collect()
        };
        words
            .chain(body_parts)
            .filter(|problem| problem.mention.affirmed())
            .collect()
    }
}

/// Whether a message reports a health problem happening now: a built-in
/// problem word (`problems`, from [`HealthDetector::problems`]) or a finding
/// of the knowledge base that is not neutral, affirmed (not denied, past or
/// hypothetical).
pub fn reports_problem<'a>(
    problems: &[Problem],
    mut affirmed_findings: impl Iterator<Item = &'a Concept>,
) -> bool {
    !problems.is_empty() || affirmed_findings.any(|concept| !concept.neutral)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn reports(text: &str) -> bool {
        let analyzer = Analyzer::new(&HashMap::new());
        let detector = HealthDetector::new(&analyzer);
        reports_problem(
            &detector.problems(&analyzer.analyze(text)),
            std::iter::empty(),
        )
    }

    #[test]
    fn a_message_about_an_animal_and_nobody_else_is_told_apart() {
        let analyzer = Analyzer::new(&HashMap::new());
        let detector = HealthDetector::new(&analyzer);
        let animal_only = |text: &str| detector.about_an_animal_only(&analyzer.analyze(text));
        for text in [
            "my cat keeps sneezing",
            "our horse is lame on his front left",
            "the hamster has a lump on his side",
        ] {
            assert!(animal_only(text), "{text}");
        }
        for text in [
            "the dog bit my hand and it's bleeding",
            "my dog has diarrhoea and so do I",
            "the whole family feels sick and the dog is sluggish too",
            "my calf is swollen after the flight",
            "my son is allergic to our cat and wheezing",
        ] {
            assert!(!animal_only(text), "{text}");
        }
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
            "pt c/o worst HA of life",
            "72M presenting with new slurring",
            "spitting out bright red blood after the op",
            "there's a lot of blood from his mouth",
            "woke up and can barely hear out of my right ear",
            "my INR machine reads 6.8, no bleeding anywhere",
            "poo's been looser for 2 months and sometimes there's blood",
        ] {
            assert!(reports(text), "{text:?} reports a problem");
        }
    }

    #[test]
    fn a_body_part_with_something_vaguely_wrong_is_a_problem() {
        for text in [
            "my tummy has been weird since this morning",
            "something is off with my eye",
            "my knee is acting up again",
            "my tummy has been really weird all day",
            "funny feeling in my chest",
            "his poo has gone black",
            "my lower back is killing",
        ] {
            assert!(reports(text), "{text:?} reports a problem");
        }
        // Everyday senses of the same words, and denials.
        for text in [
            "nothing wrong with my knee, just need a form signed",
            "call me back please, my address is wrong on the letter",
            "on the other hand the bill looks wrong",
            "head over to the portal, it says my dob is wrong",
            "my knee isn't bad anymore",
            "the parking was a bad experience",
        ] {
            assert!(!reports(text), "{text:?} reports no problem");
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
            "can I book an INR check for next week",
            "I need some blood tests done, can you help with blood forms",
            "I can't see the portal page, it's blank",
        ] {
            assert!(!reports(text), "{text:?} reports no problem");
        }
    }
}
