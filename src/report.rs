//! The practice's report: what patients asked that the bot could not answer,
//! which FAQ entries answer most, escalations by level and rule, and how fast
//! clinicians claim cases. Built from the store; shows counts and redacted
//! questions, never a patient's address or conversation.

use std::collections::BTreeMap;
use std::fmt::Write;

use jiff::Timestamp;
use serde::Serialize;

use carebot_chat::Level;

use crate::handoff::CaseStatus;
use crate::knowledge::Knowledge;
use crate::store::{Store, StoreError, UnansweredQuestion};

/// How many unanswered questions and FAQ entries the report lists.
const TOP: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaqCount {
    pub entry: String,
    /// `None` for an entry no longer in the knowledge base.
    pub title: Option<String>,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LevelCount {
    /// `None` for cases opened because the patient asked for a person.
    pub level: Option<Level>,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    /// `None` for cases opened because the patient asked for a person.
    pub rule: Option<String>,
    pub level: Option<Level>,
    pub count: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    pub open: usize,
    pub claimed: usize,
    pub resolved: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub generated_at: Timestamp,
    /// Most frequent first.
    pub unanswered: Vec<UnansweredQuestion>,
    /// Most used first.
    pub top_faq: Vec<FaqCount>,
    /// Over the cases still stored (resolved ones leave after the retention period).
    pub escalations_by_level: Vec<LevelCount>,
    pub escalations_by_rule: Vec<RuleCount>,
    pub cases: StatusCounts,
    /// Median time from opening to claim over claimed cases, in minutes.
    pub median_minutes_to_claim: Option<f64>,
}

impl Report {
    pub fn build(
        store: &Store,
        knowledge: &Knowledge,
        now: Timestamp,
    ) -> Result<Report, StoreError> {
        let mut unanswered = store.unanswered()?;
        unanswered.truncate(TOP);
        let top_faq = store
            .faq_answer_counts()?
            .into_iter()
            .take(TOP)
            .map(|(entry, count)| FaqCount {
                title: knowledge.faq(&entry).map(|faq| faq.title.clone()),
                entry,
                count,
            })
            .collect();

        let cases = store.cases()?;
        let mut by_level: BTreeMap<std::cmp::Reverse<Option<Level>>, usize> = BTreeMap::new();
        let mut by_rule: BTreeMap<(Option<String>, Option<Level>), usize> = BTreeMap::new();
        let mut statuses = StatusCounts::default();
        let mut claim_minutes = Vec::new();
        for case in &cases {
            *by_level.entry(std::cmp::Reverse(case.level)).or_default() += 1;
            *by_rule
                .entry((case.rule().map(str::to_string), case.level))
                .or_default() += 1;
            match case.status() {
                CaseStatus::Open => statuses.open += 1,
                CaseStatus::Claimed => statuses.claimed += 1,
                CaseStatus::Resolved => statuses.resolved += 1,
            }
            if let Some(wait) = case.time_to_claim() {
                claim_minutes.push(wait.as_secs_f64() / 60.0);
            }
        }
        let mut escalations_by_rule: Vec<RuleCount> = by_rule
            .into_iter()
            .map(|((rule, level), count)| RuleCount { rule, level, count })
            .collect();
        escalations_by_rule.sort_by(|a, b| b.count.cmp(&a.count).then(b.level.cmp(&a.level)));
        Ok(Report {
            generated_at: now,
            unanswered,
            top_faq,
            escalations_by_level: by_level
                .into_iter()
                .map(|(level, count)| LevelCount {
                    level: level.0,
                    count,
                })
                .collect(),
            escalations_by_rule,
            cases: statuses,
            median_minutes_to_claim: median(&mut claim_minutes),
        })
    }

    /// The report as a person reads it in a terminal.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let level_name = |level: Option<Level>| level.map_or("asked for a person", Level::as_str);
        let _ = writeln!(
            out,
            "carebot report, {}\n",
            self.generated_at.strftime("%Y-%m-%d %H:%M UTC")
        );
        let _ = writeln!(out, "Unanswered questions (most frequent first):");
        if self.unanswered.is_empty() {
            let _ = writeln!(out, "  none");
        }
        for question in &self.unanswered {
            let _ = writeln!(out, "  {:>4}× {}", question.count, question.text);
        }
        let _ = writeln!(out, "\nTop FAQ entries:");
        if self.top_faq.is_empty() {
            let _ = writeln!(out, "  none");
        }
        for faq in &self.top_faq {
            let title = faq
                .title
                .as_deref()
                .unwrap_or("(no longer in the knowledge base)");
            let _ = writeln!(out, "  {:>4}× {} — {title}", faq.count, faq.entry);
        }
        let _ = writeln!(
            out,
            "\nCases: {} open, {} claimed, {} resolved",
            self.cases.open, self.cases.claimed, self.cases.resolved
        );
        let _ = writeln!(out, "Escalations by level:");
        for level in &self.escalations_by_level {
            let _ = writeln!(out, "  {:>4}× {}", level.count, level_name(level.level));
        }
        let _ = writeln!(out, "Escalations by rule:");
        for rule in &self.escalations_by_rule {
            let _ = match &rule.rule {
                Some(name) => writeln!(
                    out,
                    "  {:>4}× {name} ({})",
                    rule.count,
                    level_name(rule.level)
                ),
                None => writeln!(out, "  {:>4}× patient asked for a person", rule.count),
            };
        }
        let _ = match self.median_minutes_to_claim {
            Some(minutes) => writeln!(out, "Median time to claim: {minutes:.1} min"),
            None => writeln!(out, "Median time to claim: no claimed cases yet"),
        };
        out
    }
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    })
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }
}
