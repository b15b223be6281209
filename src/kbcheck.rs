//! Warnings about a knowledge base that loads but deserves attention: review
//! dates that are stale (or in the future), entries without sources or without
//! counter-examples, and FAQ questions that would reach another entry. These do
//! not stop the bot; `carebot kb check --strict` makes them fail a CI run.

use std::collections::HashMap;

use crate::engine::Engine;
use crate::knowledge::{Origin, Problem, Review, Severity};

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
    out
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
