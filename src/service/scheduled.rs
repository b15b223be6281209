//! Work driven by time rather than by a message: reminding clinicians of
//! cases nobody claimed (and telling those patients to phone), and deleting
//! data past the retention period. [`crate::upkeep::run`] calls these on a
//! timer; `carebot purge` calls [`Service::purge`] on demand.

use carebot_chat::Purpose;

use super::wording;
use super::{Service, ServiceError};
use crate::audit::{Action, Actor, AuditEntry};
use crate::clock;
use crate::handoff::CaseStatus;
use crate::store::{CaseChange, Effects, NewOutbound, Purged};

impl Service {
    /// Reminds clinicians of every open case unclaimed for longer than the
    /// configured time since they were last told, and (the first time) tells
    /// its patient to phone. Returns how many cases were reminded.
    pub fn remind_unclaimed(&self) -> Result<usize, ServiceError> {
        let now = self.now();
        let wait = self.settings.remind_after();
        let engine = self.engine();
        let practice = &engine.knowledge().practice;
        let due = |case: &crate::handoff::HandoffCase| {
            case.status() == CaseStatus::Open && clock::elapsed(case.notified_at, now) >= wait
        };
        let mut reminded = 0;
        for case in self.store.cases()?.into_iter().filter(|case| due(case)) {
            let id = case.id;
            let done = self.store.update_case(id, now, |current| {
                let Some(mut case) = current.filter(|case| due(case)) else {
                    return CaseChange::Leave(false);
                };
                let waited = clock::elapsed(case.opened_at, now).as_secs() / 60;
                case.reminders += 1;
                case.notified_at = now;
                let title = Self::rule_title(&engine, case.rule());
                let reminder = wording::case_reminder(practice, &case, title.as_deref(), waited);
                let mut deliveries = NewOutbound::to_each(
                    &self.settings.notification_targets(),
                    Purpose::CaseReminder { case: id },
                    &reminder,
                );
                if case.reminders == 1 {
                    deliveries.push(NewOutbound {
                        to: case.patient.clone(),
                        purpose: Purpose::CaseNews { case: id },
                        reply: wording::please_phone(practice, &case, practice.is_open_at(now)),
                    });
                }
                let entry = AuditEntry {
                    at: now,
                    actor: Actor::System,
                    action: Action::CaseReminded {
                        reminder: case.reminders,
                    },
                    case: Some(id),
                    patient: Some(case.patient.clone()),
                };
                CaseChange::Write {
                    case,
                    effects: Effects {
                        deliveries,
                        audit: vec![entry],
                        ..Effects::default()
                    },
                    result: true,
                }
            })?;
            if done {
                reminded += 1;
                tracing::info!(case = %id, "unclaimed case reminded");
            }
        }
        if reminded > 0 {
            self.queued();
        }
        Ok(reminded)
    }

    /// Deletes conversations, resolved cases and unanswered questions older
    /// than the retention period, and audit entries older than the audit
    /// log's, and audits that it did (when it deleted anything).
    pub fn purge(&self, actor: Actor) -> Result<Purged, ServiceError> {
        let now = self.now();
        let purged = Purged {
            audit: self
                .store
                .purge_audit(clock::before(now, self.settings.audit_retention()))?,
            ..self
                .store
                .purge(clock::before(now, self.settings.retention()))?
        };
        if purged != Purged::default() {
            self.store.audit(AuditEntry {
                at: now,
                actor,
                action: Action::Purged {
                    conversations: purged.conversations,
                    cases: purged.cases,
                    notices: purged.notices,
                    unanswered: purged.unanswered,
                    audit: purged.audit,
                },
                case: None,
                patient: None,
            })?;
            tracing::info!(
                conversations = purged.conversations,
                cases = purged.cases,
                notices = purged.notices,
                unanswered = purged.unanswered,
                audit = purged.audit,
                "retention purge"
            );
        }
        Ok(purged)
    }
}
