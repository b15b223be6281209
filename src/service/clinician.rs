//! Clinician commands. Only configured clinicians, or anyone in the clinician
//! channel, may use them; every other attempt is refused and audited.

use jiff::Timestamp;

use carebot_chat::{CaseId, ClinicianCommand, Purpose, Reply, ReplyKind, Sender};

use super::wording;
use super::{Service, ServiceError};
use crate::audit::{Action, Actor, AuditEntry};
use crate::handoff::{CaseMessage, CaseStatus, Claim, HandoffCase, Resolution};
use crate::store::{CaseChange, Effects, NewOutbound, RecordLink};

fn notice(text: impl Into<String>) -> Reply {
    Reply::plain(ReplyKind::Notice, text)
}

fn already_resolved(id: CaseId, resolution: &Resolution) -> Reply {
    notice(format!(
        "Case {id} was already resolved by {}.",
        resolution.name
    ))
}

/// The case taken by `sender`, now.
fn claim_by(sender: &Sender, now: Timestamp) -> Claim {
    Claim {
        by: sender.user.clone(),
        name: sender.name.clone(),
        chat: sender.chat.clone(),
        at: now,
    }
}

impl Service {
    /// Carries out a clinician's command and returns the reply for them.
    /// Messages for the patient (or other clinicians) are queued durably
    /// before this returns.
    pub fn clinician_command(
        &self,
        sender: &Sender,
        command: ClinicianCommand,
    ) -> Result<Reply, ServiceError> {
        let now = self.now();
        if !self.authorized(sender, command.name(), command.case(), now)? {
            return Ok(wording::refused());
        }
        tracing::info!(command = command.name(), case = ?command.case().map(|id| id.to_string()), "clinician command");
        match command {
            ClinicianCommand::Help => Ok(wording::help()),
            ClinicianCommand::Cases => self.list(sender, now),
            ClinicianCommand::Show { case } => self.show(sender, case, now),
            ClinicianCommand::Claim { case } => self.claim(sender, case, now),
            ClinicianCommand::Reply { case, text } => self.reply(sender, case, &text, now),
            ClinicianCommand::Resolve { case, note } => self.resolve(sender, case, &note, now),
            ClinicianCommand::Link { case, identifier } => {
                self.link(sender, case, Some(&identifier), now)
            }
            ClinicianCommand::Unlink { case } => self.link(sender, case, None, now),
            ClinicianCommand::Notice { action } => self.notice_command(sender, action, now),
        }
    }

    /// A clinician command written wrongly: its usage for a clinician, the
    /// usual refusal for anyone else.
    pub fn malformed_command(&self, sender: &Sender, usage: &str) -> Result<Reply, ServiceError> {
        if !self.authorized(sender, "malformed", None, self.now())? {
            return Ok(wording::refused());
        }
        Ok(notice(format!("Usage: {usage}")))
    }

    /// Whether `sender` may use clinician commands; a refusal is audited.
    pub(super) fn authorized(
        &self,
        sender: &Sender,
        command: &str,
        case: Option<CaseId>,
        now: Timestamp,
    ) -> Result<bool, ServiceError> {
        if self.settings.is_clinician(sender) {
            return Ok(true);
        }
        self.store.audit(AuditEntry {
            at: now,
            actor: Actor::Unauthorized {
                address: sender.user.clone(),
                chat: sender.chat.clone(),
            },
            action: Action::CommandRefused {
                command: command.to_string(),
            },
            case,
            patient: None,
        })?;
        tracing::warn!(command, platform = %sender.user.platform, "clinician command refused");
        Ok(false)
    }

    fn clinician(sender: &Sender) -> Actor {
        Actor::Clinician {
            address: sender.user.clone(),
            name: sender.name.clone(),
        }
    }

    fn clinician_entry(
        sender: &Sender,
        action: Action,
        case: &HandoffCase,
        at: Timestamp,
    ) -> AuditEntry {
        AuditEntry {
            at,
            actor: Self::clinician(sender),
            action,
            case: Some(case.id),
            patient: Some(case.patient.clone()),
        }
    }

    /// What to say about a case that is not there.
    fn missing(&self, id: CaseId) -> Result<Reply, ServiceError> {
        let deleted = self.store.audit_log()?.iter().any(|entry| {
            matches!(&entry.action, Action::PatientDataDeleted { cases, .. } if cases.contains(&id))
        });
        Ok(notice(if deleted {
            format!("Case {id} was deleted at the patient's request.")
        } else {
            format!("There is no case {id}. /cases lists the open ones.")
        }))
    }

    fn list(&self, sender: &Sender, now: Timestamp) -> Result<Reply, ServiceError> {
        let engine = self.engine();
        let practice = &engine.knowledge().practice;
        let cases: Vec<HandoffCase> = self
            .store
            .cases()?
            .into_iter()
            .filter(|case| case.status() != CaseStatus::Resolved)
            .collect();
        self.store.audit(AuditEntry {
            at: now,
            actor: Self::clinician(sender),
            action: Action::CasesListed { count: cases.len() },
            case: None,
            patient: None,
        })?;
        if cases.is_empty() {
            return Ok(notice("No open cases."));
        }
        let lines: Vec<String> = cases
            .iter()
            .map(|case| wording::case_line(practice, case))
            .collect();
        Ok(notice(format!(
            "Cases not yet resolved:\n{}",
            lines.join("\n")
        )))
    }

    fn show(&self, sender: &Sender, id: CaseId, now: Timestamp) -> Result<Reply, ServiceError> {
        let Some(case) = self.store.case(id)? else {
            return self.missing(id);
        };
        self.store
            .audit(Self::clinician_entry(sender, Action::CaseRead, &case, now))?;
        let engine = self.engine();
        let title = Self::rule_title(&engine, case.rule());
        Ok(notice(wording::case_details(
            &engine.knowledge().practice,
            &case,
            title.as_deref(),
        )))
    }

    fn claim(&self, sender: &Sender, id: CaseId, now: Timestamp) -> Result<Reply, ServiceError> {
        let channel = self.settings.clinician_channel.clone();
        self.change_case(id, now, |mut case| {
            if let Some(resolution) = &case.resolution {
                return CaseChange::Leave(already_resolved(id, resolution));
            }
            if let Some(claim) = &case.claim {
                let text = if claim.by == sender.user {
                    format!("You already have case {id}.")
                } else {
                    format!("Case {id} is already claimed by {}.", claim.name)
                };
                return CaseChange::Leave(notice(text));
            }
            case.claim = Some(claim_by(sender, now));
            let mut deliveries = vec![NewOutbound {
                to: case.patient.clone(),
                purpose: Purpose::CaseNews { case: id },
                reply: wording::claimed(&case, &sender.name),
            }];
            // Colleagues watching the channel should not pick it up too.
            if let Some(channel) = channel.as_ref().filter(|channel| **channel != sender.chat) {
                deliveries.push(NewOutbound {
                    to: channel.clone(),
                    purpose: Purpose::CaseUpdated { case: id },
                    reply: notice(format!("{id} claimed by {}.", sender.name)),
                });
            }
            CaseChange::Write {
                effects: Effects {
                    deliveries,
                    audit: vec![Self::clinician_entry(sender, Action::CaseClaimed, &case, now)],
                    ..Effects::default()
                },
                case,
                result: notice(format!(
                    "You've claimed case {id}; the patient has been told. Reply with /reply {id} <message>, close with /resolve {id} <note>."
                )),
            }
        })
    }

    fn reply(
        &self,
        sender: &Sender,
        id: CaseId,
        text: &str,
        now: Timestamp,
    ) -> Result<Reply, ServiceError> {
        let engine = self.engine();
        let practice = &engine.knowledge().practice;
        // Whom the message was queued for, when it was (the change may run
        // more than once: its last run decides).
        let queued_for = std::cell::RefCell::new(None);
        let answer = self.change_case(id, now, |mut case| {
            queued_for.replace(None);
            if case.resolution.is_some() {
                return CaseChange::Leave(notice(format!(
                    "Case {id} is resolved; the patient can write again to open a new one."
                )));
            }
            // Replying to an unclaimed case takes it: the patient's answers
            // should come back to whoever asked.
            let mut audit = Vec::new();
            if case.claim.is_none() {
                case.claim = Some(claim_by(sender, now));
                audit.push(Self::clinician_entry(
                    sender,
                    Action::CaseClaimed,
                    &case,
                    now,
                ));
            }
            case.thread.push(CaseMessage {
                at: now,
                clinician: Some(sender.name.clone()),
                text: text.to_string(),
            });
            audit.push(Self::clinician_entry(
                sender,
                Action::ClinicianReplied,
                &case,
                now,
            ));
            let delivery = NewOutbound {
                to: case.patient.clone(),
                purpose: Purpose::ClinicianReply { case: id },
                reply: wording::from_clinician(practice, &case, &sender.name, text),
            };
            queued_for.replace(Some(case.patient.clone()));
            CaseChange::Write {
                effects: Effects {
                    deliveries: vec![delivery],
                    audit,
                    ..Effects::default()
                },
                case,
                result: notice(String::new()),
            }
        })?;
        let Some(patient) = queued_for.into_inner() else {
            return Ok(answer);
        };
        // "Sent" must mean the patient has it: a chat the platform holds
        // back may take a while, and the clinician should know.
        Ok(notice(
            if self.delivered_soon(&patient, Purpose::ClinicianReply { case: id })? {
                format!("Delivered to the patient of case {id}.")
            } else {
                format!("Queued for the patient of case {id}: it will be delivered as soon as their chat app takes it.")
            },
        ))
    }

    fn resolve(
        &self,
        sender: &Sender,
        id: CaseId,
        note: &str,
        now: Timestamp,
    ) -> Result<Reply, ServiceError> {
        let engine = self.engine();
        let practice = &engine.knowledge().practice;
        let record = self.record_history(id)?;
        self.change_case(id, now, |mut case| {
            if let Some(resolution) = &case.resolution {
                return CaseChange::Leave(already_resolved(id, resolution));
            }
            case.resolution = Some(Resolution {
                by: sender.user.clone(),
                name: sender.name.clone(),
                at: now,
                note: note.to_string(),
            });
            CaseChange::Write {
                effects: Effects {
                    deliveries: std::iter::once(NewOutbound {
                        to: case.patient.clone(),
                        purpose: Purpose::CaseNews { case: id },
                        reply: wording::resolved(practice, &case),
                    })
                    .chain(
                        record
                            .as_ref()
                            .map(|history| self.record_copy(history, &case, now)),
                    )
                    .collect(),
                    audit: vec![Self::clinician_entry(
                        sender,
                        Action::CaseResolved,
                        &case,
                        now,
                    )],
                    ..Effects::default()
                },
                case,
                result: notice(format!("Case {id} resolved.")),
            }
        })
    }

    /// Links case `id`'s patient to their record at the practice (or, with
    /// no identifier, removes the link). A case already resolved is copied
    /// to the record at once when the push is on.
    fn link(
        &self,
        sender: &Sender,
        id: CaseId,
        identifier: Option<&str>,
        now: Timestamp,
    ) -> Result<Reply, ServiceError> {
        let Some(case) = self.store.case(id)? else {
            return self.missing(id);
        };
        let (action, reply) = match identifier {
            Some(identifier) => {
                self.store.link_record(
                    &case.patient,
                    &RecordLink {
                        identifier: identifier.to_string(),
                        by: sender.name.clone(),
                        at: now,
                    },
                )?;
                let copied = if self.record.push && case.resolution.is_some() {
                    " Its correspondence is being copied to the record now."
                } else if self.record.push {
                    " Its correspondence will be copied to the record when the case is resolved."
                } else {
                    ""
                };
                (
                    Action::RecordLinked,
                    format!("The patient of case {id} is now linked to record {identifier}: exports for their record carry it.{copied}"),
                )
            }
            None => {
                let reply = if self.store.unlink_record(&case.patient)? {
                    format!("The patient of case {id} is no longer linked to a record.")
                } else {
                    format!("The patient of case {id} was not linked to a record.")
                };
                (Action::RecordUnlinked, reply)
            }
        };
        // A case resolved before the link was made is copied now; one still
        // open is copied when it is resolved.
        let copy = if identifier.is_some() && case.resolution.is_some() {
            self.record_history(id)?
        } else {
            None
        };
        let copy_now = copy.is_some();
        self.store.apply(
            &Effects {
                deliveries: copy
                    .map(|history| self.record_copy(&history, &case, now))
                    .into_iter()
                    .collect(),
                audit: vec![Self::clinician_entry(sender, action, &case, now)],
                ..Effects::default()
            },
            now,
        )?;
        if copy_now {
            self.queued();
        }
        Ok(notice(reply))
    }

    /// Applies a clinician's `change` to case `id` in one transaction; the
    /// "no such case" reply if there is none. Wakes the dispatcher for
    /// whatever the change queued.
    fn change_case(
        &self,
        id: CaseId,
        now: Timestamp,
        change: impl Fn(HandoffCase) -> CaseChange<Reply>,
    ) -> Result<Reply, ServiceError> {
        let outcome = self.store.update_case(id, now, |current| match current {
            Some(case) => change(case).map(Some),
            None => CaseChange::Leave(None),
        })?;
        match outcome {
            Some(reply) => {
                self.queued();
                Ok(reply)
            }
            None => self.missing(id),
        }
    }
}
