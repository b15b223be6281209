//! Triage: deciding, from what is known about a conversation, which rule applies,
//! or which follow-up question must be asked first.
//!
//! Conditions are three-valued. A finding the message doesn't mention is
//! *unknown*, and an unknown finding that the rule can ask about keeps the rule
//! undecided instead of silently false: "I twisted my ankle" leaves the Ottawa
//! rule undecided, so the bot asks whether they can take four steps rather than
//! giving self-care advice. The most severe matching rule wins; a more severe
//! undecided rule is asked about first. A question that was asked and not
//! answered clearly counts on the safe side (as if the finding were present).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::findings::{ConceptMatcher, Status, PREGNANCY};
use crate::knowledge::{AskAbout, Conditions, Knowledge, Level, Quantity, TriageRule};
use crate::modifiers::Modifiers;

/// Everything known in one conversation episode: findings, modifiers, and which
/// questions were already asked.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Status of each concept, by the matcher's concept index.
    pub concepts: Vec<Status>,
    pub modifiers: Modifiers,
    pub asked: HashSet<AskAbout>,
}

/// A three-valued truth: unknown means "could be either; a question would tell".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    Yes,
    No,
    Unknown,
}

/// A rule with its concept ids resolved to matcher indexes, evaluated per message.
#[derive(Debug)]
struct CompiledRule {
    all: Vec<usize>,
    any: Vec<usize>,
    none: Vec<usize>,
    pregnancy: usize,
}

/// The outcome of evaluating one rule against the facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evaluation {
    Matches,
    DoesNotMatch,
    /// Could match; the rule's ask number `ask` would help decide.
    Undecided {
        ask: usize,
    },
}

/// What triage decided for a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Give rule `rule`'s advice.
    Advise { rule: usize },
    /// Ask rule `rule`'s follow-up question number `ask` first.
    Ask { rule: usize, ask: usize },
    /// No rule applies: the message is for the FAQ.
    NoRule,
}

/// Evaluates the knowledge base's rules.
#[derive(Debug)]
pub struct Triage {
    rules: Vec<CompiledRule>,
}

impl Triage {
    pub fn new(knowledge: &Knowledge, matcher: &ConceptMatcher) -> Triage {
        let resolve = |ids: &[String]| -> Vec<usize> {
            ids.iter()
                .map(|id| matcher.index(id).expect("validated concept id"))
                .collect()
        };
        let pregnancy = matcher.index(PREGNANCY).expect("built-in concept");
        Triage {
            rules: knowledge
                .rules
                .iter()
                .map(|rule| CompiledRule {
                    all: resolve(&rule.when.all),
                    any: resolve(&rule.when.any),
                    none: resolve(&rule.when.none),
                    pregnancy,
                })
                .collect(),
        }
    }

    /// Decides which rule applies to `facts`, or what to ask first.
    ///
    /// The red-flag screen's rules (`screen = true`) are considered only when no
    /// other rule decides or asks: they are the fail-safe for a health problem in
    /// words no rule anticipated, not a questionnaire for every message.
    pub fn decide(&self, knowledge: &Knowledge, facts: &Facts) -> Decision {
        match self.decide_among(knowledge, facts, false) {
            Decision::NoRule => self.decide_among(knowledge, facts, true),
            decision => decision,
        }
    }

    /// The red-flag screen's decision alone.
    pub fn screen(&self, knowledge: &Knowledge, facts: &Facts) -> Decision {
        self.decide_among(knowledge, facts, true)
    }

    fn decide_among(&self, knowledge: &Knowledge, facts: &Facts, screen: bool) -> Decision {
        let mut best: Option<(Level, (bool, usize), usize)> = None;
        let mut undecided: Option<(Level, usize, usize)> = None;
        for (index, (compiled, rule)) in self.rules.iter().zip(&knowledge.rules).enumerate() {
            if rule.screen != screen {
                continue;
            }
            match evaluate(compiled, rule, facts) {
                Evaluation::Matches => {
                    // Topic rules before general ones, then the more conditions the better.
                    let specificity = (!rule.general, rule.when.count());
                    let better = best.is_none_or(|(level, best_specificity, _)| {
                        (rule.level, specificity) > (level, best_specificity)
                    });
                    if better {
                        best = Some((rule.level, specificity, index));
                    }
                }
                Evaluation::Undecided { ask } => {
                    if undecided.is_none_or(|(level, _, _)| rule.level > level) {
                        undecided = Some((rule.level, index, ask));
                    }
                }
                Evaluation::DoesNotMatch => {}
            }
        }
        match (best, undecided) {
            (Some((level, _, _)), Some((open_level, rule, ask))) if open_level > level => {
                Decision::Ask { rule, ask }
            }
            (Some((_, _, rule)), _) => Decision::Advise { rule },
            (None, Some((_, rule, ask))) => Decision::Ask { rule, ask },
            (None, None) => Decision::NoRule,
        }
    }

    /// Evaluates rule number `index` (for explanations and tests).
    pub fn evaluate(&self, knowledge: &Knowledge, index: usize, facts: &Facts) -> Evaluation {
        evaluate(&self.rules[index], &knowledge.rules[index], facts)
    }
}

fn can_ask(rule: &TriageRule, about: &AskAbout, facts: &Facts) -> bool {
    !facts.asked.contains(about) && rule.asks.iter().any(|ask| ask.about == *about)
}

/// The truth of "concept is present" for this rule.
fn present(rule: &TriageRule, id: &str, status: Status, facts: &Facts) -> Truth {
    match status {
        Status::Present => Truth::Yes,
        Status::Absent => Truth::No,
        Status::Unknown => {
            // `can_ask` with `AskAbout::Concept(id)`, compared by id so that the
            // usual case (the rule cannot ask about it) allocates nothing.
            let is_about = |about: &AskAbout| matches!(about, AskAbout::Concept(c) if c == id);
            let asked = facts.asked.iter().any(is_about);
            if !asked && rule.asks.iter().any(|ask| is_about(&ask.about)) {
                Truth::Unknown
            } else if asked {
                // Asked, and the answer didn't settle it: take the safe side.
                Truth::Yes
            } else {
                Truth::No
            }
        }
    }
}

fn not(truth: Truth) -> Truth {
    match truth {
        Truth::Yes => Truth::No,
        Truth::No => Truth::Yes,
        Truth::Unknown => Truth::Unknown,
    }
}

fn and(truths: impl IntoIterator<Item = Truth>) -> Truth {
    let mut result = Truth::Yes;
    for truth in truths {
        match truth {
            Truth::No => return Truth::No,
            Truth::Unknown => result = Truth::Unknown,
            Truth::Yes => {}
        }
    }
    result
}

/// What the message (or an answer) says of `quantity`: a range, since "a baby"
/// is anywhere from 0 to 12 months; a reading is a range of one value.
fn value_of(quantity: Quantity, facts: &Facts) -> Option<(f64, f64)> {
    let modifiers = &facts.modifiers;
    match quantity {
        Quantity::Age => modifiers.age_days,
        Quantity::Temperature => modifiers.temperature_celsius.map(|t| (t, t)),
        Quantity::Duration => modifiers.duration_days.map(|d| (d, d)),
    }
}

/// At least `count` of `truths` hold: yes once `count` are yes, no once too few
/// could still be, unknown in between. With a count of 1 this is `or`.
fn at_least(count: usize, truths: impl IntoIterator<Item = Truth>) -> Truth {
    let (mut yes, mut unknown) = (0, 0);
    for truth in truths {
        match truth {
            Truth::Yes => yes += 1,
            Truth::Unknown => unknown += 1,
            Truth::No => {}
        }
    }
    if yes >= count {
        Truth::Yes
    } else if yes + unknown >= count {
        Truth::Unknown
    } else {
        Truth::No
    }
}

/// A bound on a value the message may not give. `unknown` is the truth when the
/// value is missing and the rule cannot (or can no longer) ask for it.
fn truth_of_bound(
    known: Option<bool>,
    about: AskAbout,
    rule: &TriageRule,
    facts: &Facts,
    unknown: Truth,
) -> Truth {
    match known {
        Some(true) => Truth::Yes,
        Some(false) => Truth::No,
        None if can_ask(rule, &about, facts) => Truth::Unknown,
        None if facts.asked.contains(&about) => Truth::Yes,
        None => unknown,
    }
}

fn evaluate(compiled: &CompiledRule, rule: &TriageRule, facts: &Facts) -> Evaluation {
    let when: &Conditions = &rule.when;
    let status = |index: usize| {
        facts
            .concepts
            .get(index)
            .copied()
            .unwrap_or(Status::Unknown)
    };
    let concept = |index: usize, id: &str| present(rule, id, status(index), facts);

    // A rule only runs, and only asks, once something the patient said triggers
    // it: the ankle rule never asks about weight-bearing in a message about a cold.
    // Checked first, before anything else is evaluated: every rule is evaluated
    // for every message, and most are not triggered.
    let triggered_by_concepts = compiled
        .all
        .iter()
        .chain(&compiled.any)
        .any(|&i| status(i) == Status::Present);
    // A rule about a temperature alone is triggered by the reading itself.
    let triggered_by_reading = when.all.is_empty()
        && when.any.is_empty()
        && when.bounds.iter().any(|bound| {
            bound.is_triggered_by_a_reading() && value_of(bound.quantity, facts).is_some()
        });
    if !(triggered_by_concepts || triggered_by_reading) {
        return Evaluation::DoesNotMatch;
    }

    let all = and(compiled
        .all
        .iter()
        .zip(&when.all)
        .map(|(&i, id)| concept(i, id)));
    let any = if when.any.is_empty() {
        Truth::Yes
    } else {
        at_least(
            when.any_at_least,
            compiled
                .any
                .iter()
                .zip(&when.any)
                .map(|(&i, id)| concept(i, id)),
        )
    };
    let none = and(compiled
        .none
        .iter()
        .zip(&when.none)
        .map(|(&i, id)| not(concept(i, id))));

    let bounds: Vec<(Quantity, Truth)> = when
        .bounds
        .iter()
        .map(|bound| {
            let known = value_of(bound.quantity, facts).and_then(|range| bound.holds_for(range));
            let unknown = if bound.holds_when_unknown(triggered_by_concepts) {
                Truth::Yes
            } else {
                Truth::No
            };
            let about = bound.quantity.ask_about();
            (
                bound.quantity,
                truth_of_bound(known, about, rule, facts, unknown),
            )
        })
        .collect();
    let pregnant = when.pregnant.map(|wanted| {
        let known = match status(compiled.pregnancy) {
            Status::Present => Some(wanted),
            Status::Absent => Some(!wanted),
            Status::Unknown => None,
        };
        let unknown = if wanted { Truth::No } else { Truth::Yes };
        truth_of_bound(known, AskAbout::Pregnancy, rule, facts, unknown)
    });

    let overall = and([all, any, none]
        .into_iter()
        .chain(bounds.iter().map(|&(_, truth)| truth))
        .chain(pregnant));
    match overall {
        Truth::Yes => Evaluation::Matches,
        Truth::No => Evaluation::DoesNotMatch,
        Truth::Unknown => {
            // Ask the rule's questions in the order the clinician wrote them,
            // skipping any whose answer is already known.
            let ask = rule.asks.iter().position(|ask| {
                can_ask(rule, &ask.about, facts)
                    && match &ask.about {
                        AskAbout::Concept(id) => compiled
                            .all
                            .iter()
                            .zip(&when.all)
                            .chain(compiled.any.iter().zip(&when.any))
                            .chain(compiled.none.iter().zip(&when.none))
                            .any(|(&i, cid)| cid == id && status(i) == Status::Unknown),
                        AskAbout::Pregnancy => pregnant == Some(Truth::Unknown),
                        asked => bounds.iter().any(|&(quantity, truth)| {
                            quantity.ask_about() == *asked && truth == Truth::Unknown
                        }),
                    }
            });
            match ask {
                Some(ask) => Evaluation::Undecided { ask },
                None => Evaluation::DoesNotMatch,
            }
        }
    }
}

/// A follow-up answer's polarity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Yes,
    No,
    Unsure,
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::knowledge::{load_files, KnowledgeFile};
    use crate::text::Analyzer;

    const PRACTICE: &str = r#"
[practice]
name = "T"
phone = "1"
emergency_number = "999"
crisis_line = "2"
portal_url = "https://p"
address = "a"
after_hours_line = "3"
timezone = "UTC"
"#;

    const RULES: &str = r#"
[[concept]]
id = "ankle"
words = ["ankle"]
[[concept]]
id = "injury"
words = ["twisted"]
[[concept]]
id = "cannot_walk"
words = ["can't walk"]
absent_words = ["can walk"]
[[concept]]
id = "fever"
words = ["fever"]
[[concept]]
id = "confused"
words = ["confused"]
[[concept]]
id = "clammy"
words = ["clammy"]

[[rule]]
id = "two-signs-of-serious-illness"
level = "emergency"
general = true
when.any = ["fever", "confused", "clammy"]
when.at_least = 2
advice = "call {emergency_number}"
reviewed = 2026-11-01
owner = "T"

[[rule]]
id = "feverish-and-confused"
level = "emergency"
when.all = ["fever", "confused"]
advice = "call {emergency_number}, topic advice"
reviewed = 2026-11-01
owner = "T"

[[rule]]
id = "ottawa"
level = "urgent"
when.all = ["ankle", "injury"]
when.any = ["cannot_walk"]
advice = "today"
reviewed = 2026-11-01
owner = "T"
[[rule.ask]]
about = "cannot_walk"
question = "Can you walk?"
yes = "absent"

[[rule]]
id = "sprain"
level = "self_care"
when.all = ["ankle", "injury"]
when.none = ["cannot_walk"]
advice = "rest"
reviewed = 2026-11-01
owner = "T"

[[rule]]
id = "baby-fever"
level = "emergency"
when.all = ["fever"]
when.age_below = "3 months"
advice = "call {emergency_number}"
reviewed = 2026-11-01
owner = "T"
[[rule.ask]]
about = "age"
question = "How old?"
"#;

    fn setup() -> (Knowledge, ConceptMatcher, Triage) {
        let files = vec![
            KnowledgeFile {
                path: "p.toml".into(),
                source: PRACTICE.into(),
            },
            KnowledgeFile {
                path: "r.toml".into(),
                source: RULES.into(),
            },
        ];
        let knowledge = load_files(Path::new("."), files).expect("valid test knowledge");
        let matcher = ConceptMatcher::new(&knowledge.concepts, &Analyzer::without_vocabulary());
        let triage = Triage::new(&knowledge, &matcher);
        (knowledge, matcher, triage)
    }

    fn facts(matcher: &ConceptMatcher, known: &[(&str, Status)]) -> Facts {
        let mut concepts = vec![Status::Unknown; matcher.len()];
        for (id, status) in known {
            concepts[matcher.index(id).unwrap()] = *status;
        }
        Facts {
            concepts,
            ..Facts::default()
        }
    }

    fn rule_index(knowledge: &Knowledge, id: &str) -> usize {
        knowledge.rules.iter().position(|r| r.id == id).unwrap()
    }

    #[test]
    fn an_unknown_askable_finding_leaves_the_rule_undecided_and_asks() {
        let (knowledge, matcher, triage) = setup();
        let f = facts(
            &matcher,
            &[("ankle", Status::Present), ("injury", Status::Present)],
        );
        let ottawa = rule_index(&knowledge, "ottawa");
        assert_eq!(
            triage.evaluate(&knowledge, ottawa, &f),
            Evaluation::Undecided { ask: 0 }
        );
        // The self-care rule matches, but the more severe undecided rule asks first.
        assert_eq!(
            triage.decide(&knowledge, &f),
            Decision::Ask {
                rule: ottawa,
                ask: 0
            }
        );
    }

    #[test]
    fn answers_decide_between_the_levels() {
        let (knowledge, matcher, triage) = setup();
        let present = facts(
            &matcher,
            &[
                ("ankle", Status::Present),
                ("injury", Status::Present),
                ("cannot_walk", Status::Present),
            ],
        );
        assert_eq!(
            triage.decide(&knowledge, &present),
            Decision::Advise {
                rule: rule_index(&knowledge, "ottawa")
            }
        );
        let absent = facts(
            &matcher,
            &[
                ("ankle", Status::Present),
                ("injury", Status::Present),
                ("cannot_walk", Status::Absent),
            ],
        );
        assert_eq!(
            triage.decide(&knowledge, &absent),
            Decision::Advise {
                rule: rule_index(&knowledge, "sprain")
            }
        );
    }

    #[test]
    fn a_question_asked_but_not_answered_counts_on_the_safe_side() {
        let (knowledge, matcher, triage) = setup();
        let mut f = facts(
            &matcher,
            &[("ankle", Status::Present), ("injury", Status::Present)],
        );
        f.asked.insert(AskAbout::Concept("cannot_walk".into()));
        assert_eq!(
            triage.decide(&knowledge, &f),
            Decision::Advise {
                rule: rule_index(&knowledge, "ottawa")
            }
        );
    }

    #[test]
    fn rules_are_not_triggered_by_what_the_patient_did_not_say() {
        let (knowledge, matcher, triage) = setup();
        let f = facts(&matcher, &[("cannot_walk", Status::Present)]);
        assert_eq!(triage.decide(&knowledge, &f), Decision::NoRule);
        let negated = facts(&matcher, &[("fever", Status::Absent)]);
        assert_eq!(triage.decide(&knowledge, &negated), Decision::NoRule);
    }

    #[test]
    fn age_ranges_decide_or_ask() {
        let (knowledge, matcher, triage) = setup();
        let baby = rule_index(&knowledge, "baby-fever");
        let mut f = facts(&matcher, &[("fever", Status::Present)]);
        assert_eq!(
            triage.decide(&knowledge, &f),
            Decision::Ask { rule: baby, ask: 0 }
        );
        f.modifiers.age_days = Some((49.0, 49.0));
        assert_eq!(
            triage.decide(&knowledge, &f),
            Decision::Advise { rule: baby }
        );
        f.modifiers.age_days = Some((730.0, 730.0));
        assert_eq!(triage.decide(&knowledge, &f), Decision::NoRule);
        // "baby" (0-365 days) straddles the 3-month limit: ask.
        f.modifiers.age_days = Some((0.0, 365.0));
        assert_eq!(
            triage.decide(&knowledge, &f),
            Decision::Ask { rule: baby, ask: 0 }
        );
    }

    #[test]
    fn a_scored_rule_needs_as_many_signs_as_it_names() {
        let (knowledge, matcher, triage) = setup();
        let scored = rule_index(&knowledge, "two-signs-of-serious-illness");
        let one = facts(&matcher, &[("confused", Status::Present)]);
        assert_eq!(
            triage.evaluate(&knowledge, scored, &one),
            Evaluation::DoesNotMatch
        );
        let two = facts(
            &matcher,
            &[("confused", Status::Present), ("clammy", Status::Present)],
        );
        assert_eq!(
            triage.decide(&knowledge, &two),
            Decision::Advise { rule: scored }
        );
        // A denied sign does not count towards the score.
        let denied = facts(
            &matcher,
            &[("confused", Status::Present), ("clammy", Status::Absent)],
        );
        assert_eq!(
            triage.evaluate(&knowledge, scored, &denied),
            Evaluation::DoesNotMatch
        );
    }

    #[test]
    fn a_topic_rule_gives_its_advice_before_a_general_rule_of_the_same_level() {
        let (knowledge, matcher, triage) = setup();
        let all_three = facts(
            &matcher,
            &[
                ("fever", Status::Present),
                ("confused", Status::Present),
                ("clammy", Status::Present),
            ],
        );
        // The general rule states three signs, the topic rule two: the topic wins.
        assert_eq!(
            triage.decide(&knowledge, &all_three),
            Decision::Advise {
                rule: rule_index(&knowledge, "feverish-and-confused")
            }
        );
    }
}
