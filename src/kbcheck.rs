//! Warnings about a knowledge base that loads but deserves attention: review
//! dates that are stale (or in the future), entries without sources or without
//! counter-examples, FAQ questions that would reach another entry, health
//! notices that have expired, and
//! concepts that no rule reads (what a deleted rules file leaves behind). These
//! do not stop the bot; `carebot kb check --strict` makes them fail a CI run.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use crate::engine::Engine;
use crate::knowledge::{AskAbout, Knowledge, Origin, Problem, Review, Severity};

/// Settings for the warnings.
#[derive(Debug, Clone, Copy)]
pub struct CheckSettings {
    /// A `reviewed` date older than this many days is stale.
    pub stale_after_days: i64,
    /// The date to measure staleness from.
    pub today: jiff::civil::Date,
}

fn warn(origin: &Origin, message: String) -> Problem {
    Problem::at(Severity::Warning, origin, message)
}

fn review_warnings(
    what: &str,
    id: &str,
    review: &Review,
    origin: &Origin,
    settings: CheckSettings,
    has_counter_examples: bool,
    out: &mut Vec<Problem>,
) {
    let age = settings
        .today
        .since(review.reviewed)
        .map(|span| span.get_days() as i64);
    match age {
        Ok(days) if days > settings.stale_after_days => out.push(warn(
            origin,
            format!(
                "{what} `{id}` was last reviewed on {} ({days} days ago): ask {} to review it",
                review.reviewed, review.owner
            ),
        )),
        Ok(days) if days < 0 => out.push(warn(
            origin,
            format!(
                "{what} `{id}` has a `reviewed` date in the future ({})",
                review.reviewed
            ),
        )),
        _ => {}
    }
    if review.sources.is_empty() {
        out.push(warn(origin, format!("{what} `{id}` names no `sources`")));
    }
    if !has_counter_examples {
        out.push(warn(
            origin,
            format!("{what} `{id}` has no `counter_examples`: add messages that must not reach it"),
        ));
    }
}

/// Every warning for the knowledge base loaded in `engine`.
pub fn warnings(engine: &Engine, settings: CheckSettings) -> Vec<Problem> {
    let knowledge = engine.knowledge();
    let mut out = Vec::new();
    let mut question_owner: HashMap<String, &str> = HashMap::new();
    for entry in &knowledge.faqs {
        review_warnings(
            "FAQ",
            &entry.id,
            &entry.review,
            &entry.origin,
            settings,
            !entry.tests.counter_examples.is_empty(),
            &mut out,
        );
        for question in entry.questions.iter().chain(&entry.tests.examples) {
            let key = crate::text::normalize(question);
            if let Some(other) = question_owner.insert(key, &entry.id) {
                if other != entry.id {
                    out.push(warn(
                        &entry.origin,
                        format!("FAQ `{}` and `{other}` both list {question:?}", entry.id),
                    ));
                }
            }
            let ranked = engine.rank_faq(question, 1);
            if let Some(top) = ranked.first().filter(|top| top.entry != entry.id) {
                out.push(warn(
                    &entry.origin,
                    format!("FAQ `{}`: {question:?} matches `{}` better; make the two entries' wording more distinct", entry.id, top.entry),
                ));
            }
        }
    }
    for rule in &knowledge.rules {
        review_warnings(
            "rule",
            &rule.id,
            &rule.review,
            &rule.origin,
            settings,
            !rule.tests.counter_examples.is_empty(),
            &mut out,
        );
    }
    for notice in &knowledge.notices {
        review_warnings(
            "notice",
            &notice.id,
            &notice.review,
            &notice.origin,
            settings,
            true,
            &mut out,
        );
        let zone = &knowledge.practice.time_zone;
        let expired_on = notice.expires_at.to_zoned(zone.clone()).date();
        if expired_on < settings.today {
            out.push(warn(
                &notice.origin,
                format!(
                    "notice `{}` expired on {expired_on}: patients no longer see it; delete it or move its `expires_at`",
                    notice.id
                ),
            ));
        }
    }
    unread_concepts(knowledge, &mut out);
    missing_translations(knowledge, &mut out);
    out
}

/// An entry with no text in one of the practice's languages. (An emergency
/// rule without one is an error, reported when the files are loaded.)
fn missing_translations(knowledge: &Knowledge, out: &mut Vec<Problem>) {
    for (language, translation) in &knowledge.translations {
        let code = language.code();
        for (origin, message) in &translation.orphans {
            out.push(warn(origin, message.clone()));
        }
        for rule in &knowledge.rules {
            if !translation.rules.contains_key(&rule.id) {
                out.push(warn(&rule.origin, format!("rule `{}` has no `{code}` text: patients writing in it get the English advice", rule.id)));
            } else if let Some(text) = translation.rules.get(&rule.id) {
                for ask in &rule.asks {
                    if !text.questions.contains_key(&ask.about) {
                        out.push(warn(&text.origin, format!("rule `{}` has no `{code}` question about `{}`: it is asked in English", rule.id, ask.about)));
                    }
                }
            }
        }
        for entry in &knowledge.faqs {
            if !translation.faqs.contains_key(&entry.id) {
                out.push(warn(
                    &entry.origin,
                    format!(
                        "FAQ `{}` has no `{code}` text: questions in that language never reach it",
                        entry.id
                    ),
                ));
            }
        }
        for notice in &knowledge.notices {
            if !translation.notices.contains_key(&notice.id) {
                out.push(warn(&notice.origin, format!("notice `{}` has no `{code}` text: patients writing in that language do not see it", notice.id)));
            }
        }
        let untranslated: Vec<&str> = knowledge
            .concepts
            .iter()
            .filter(|concept| {
                !concept.words.is_empty() && !translation.concepts.contains_key(&concept.id)
            })
            .map(|concept| concept.id.as_str())
            .collect();
        if let Some(first) = untranslated.first() {
            let origin = &knowledge
                .concepts
                .iter()
                .find(|c| c.id == *first)
                .expect("listed")
                .origin;
            let shown: Vec<&str> = untranslated.iter().take(NAMED_CONCEPTS).copied().collect();
            let more = untranslated.len().saturating_sub(NAMED_CONCEPTS);
            out.push(warn(origin, format!(
                "{} concepts have no `{code}` words, so they are never found in messages in that language: {}{}",
                untranslated.len(),
                shown.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            )));
        }
        let defaults = crate::knowledge::Messages::default_templates();
        let missing: Vec<&str> = defaults
            .keys()
            .copied()
            .filter(|key| !translation.messages_given.iter().any(|given| given == key))
            .collect();
        if !missing.is_empty() {
            let at = translation
                .messages_origin
                .clone()
                .unwrap_or_else(|| Origin {
                    file: knowledge.source.clone(),
                    line: 0,
                    column: 0,
                });
            out.push(warn(
                &at,
                format!(
                    "messages with no `{code}` text (patients get them in English): {}",
                    missing.join(", ")
                ),
            ));
        }
    }
}

/// How many concept ids a warning names.
const NAMED_CONCEPTS: usize = 8;

/// One warning per concepts file that has concepts no triage rule reads,
/// directly or through another concept's `includes`. Rules refer to concepts,
/// so deleting a concepts file fails loading; deleting (or moving away) a
/// rules file does not: its concepts stay behind, still loading, and this is
/// the trace it leaves. Neutral concepts (a body part, a medicine) are left
/// out: they need no rule, since they only describe. (A concept meant only to
/// mark messages as health problems is warned about too: the shipped
/// knowledge has none, every health finding there leading to some advice.)
fn unread_concepts(knowledge: &Knowledge, out: &mut Vec<Problem>) {
    let mut read: HashSet<&str> = HashSet::new();
    for rule in &knowledge.rules {
        let when = &rule.when;
        read.extend(
            when.all
                .iter()
                .chain(&when.any)
                .chain(&when.none)
                .map(String::as_str),
        );
        read.extend(rule.asks.iter().filter_map(|ask| match &ask.about {
            AskAbout::Concept(id) => Some(id.as_str()),
            _ => None,
        }));
    }
    let includes: HashMap<&str, &[String]> = knowledge
        .concepts
        .iter()
        .map(|concept| (concept.id.as_str(), concept.includes.as_slice()))
        .collect();
    // A concept's `includes` make it present, so a rule that reads it reads them.
    let mut pending: Vec<&str> = read.iter().copied().collect();
    while let Some(id) = pending.pop() {
        for included in includes.get(id).copied().unwrap_or_default() {
            if read.insert(included) {
                pending.push(included);
            }
        }
    }
    let mut unread: BTreeMap<&Path, Vec<&crate::knowledge::Concept>> = BTreeMap::new();
    for concept in &knowledge.concepts {
        if !concept.neutral && !read.contains(concept.id.as_str()) {
            unread
                .entry(&concept.origin.file)
                .or_default()
                .push(concept);
        }
    }
    for concepts in unread.values() {
        let mut ids: Vec<String> = concepts
            .iter()
            .take(NAMED_CONCEPTS)
            .map(|concept| format!("`{}`", concept.id))
            .collect();
        if concepts.len() > NAMED_CONCEPTS {
            ids.push(format!("and {} more", concepts.len() - NAMED_CONCEPTS));
        }
        let (these, are, them, they, their) = if concepts.len() == 1 {
            ("concept", "is", "it", "it", "its")
        } else {
            ("concepts", "are", "them", "they", "their")
        };
        out.push(warn(
            &concepts[0].origin,
            format!(
                "{these} {} {are} read by no triage rule, so a message with {them} gets only the general health reply: if a rules file was deleted or moved, put it back; otherwise give {them} a rule, or mark {them} `neutral = true` if {they} say nothing is wrong on {their} own",
                ids.join(", "),
            ),
        ));
    }
}

/// Every triage rule as a Markdown table, most severe level first: what
/// `knowledge/README.md` shows the practice, generated so it cannot drift.
pub fn rule_table(knowledge: &crate::knowledge::Knowledge) -> String {
    let mut rules: Vec<&crate::knowledge::TriageRule> = knowledge.rules.iter().collect();
    rules.sort_by(|a, b| b.level.cmp(&a.level).then_with(|| a.id.cmp(&b.id)));
    let mut table = String::from("| rule | level | clinician told | source |\n|---|---|---|---|\n");
    for rule in rules {
        let sources = rule.review.sources.join("; ").replace('|', "\\|");
        table.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            rule.id,
            rule.level,
            if rule.handoff { "yes" } else { "no" },
            sources
        ));
    }
    table
}
