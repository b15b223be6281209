//! A patient's message: the engine's reply, and a case when a rule asks for a
//! clinician or the patient asks for a person; "what do you know about me"
//! and "forget me".
//!
//! The reply is decided before anything is written, and a failed write does
//! not take it away (see `recording.rs`): only "what do you know about me"
//! and "forget me" fail as a whole, since each is about what is stored.

use jiff::Timestamp;

use carebot_chat::{Address, Language, Level, Purpose, Reply, ReplyKind};

use super::notices;
use super::recording::Record;
use super::wording;
use super::{Response, Service, ServiceError};
use crate::audit::{Action, Actor, AuditEntry};
use crate::clock;
use crate::engine::{Engine, Explanation};
use crate::handoff::{
    command_language, patient_intent, CaseMessage, CaseStatus, FollowUpAnswer, HandoffCase,
    PatientIntent, Trigger,
};
use crate::identifiers::redact;
use crate::knowledge::Practice;
use crate::store::{CaseChange, Correspondence, Effects, NewOutbound, PatientRecord, Turn};

/// How many of the patient's recent messages a case opened by "agent" quotes.
const AGENT_CONTEXT: usize = 6;

/// Longest patient message kept, in characters (the engine does not read
/// longer ones either): a pasted novel must not fill the store.
const KEPT_CHARS: usize = 3000;

/// A patient's message as it may be stored: identifiers masked, length capped.
fn storable(text: &str) -> String {
    let mut kept: String = redact(text).chars().take(KEPT_CHARS).collect();
    if text.chars().nth(KEPT_CHARS).is_some() {
        kept.push('…');
    }
    kept
}

/// How a stored conversation remembers one of the bot's replies: what kind of
/// reply it was and where it came from, not the whole text.
fn summary(reply: &Reply) -> String {
    let mut parts = vec![reply.kind.as_str().to_string()];
    parts.extend(reply.level.map(|level| level.to_string()));
    parts.extend(reply.entry.clone());
    let mut text = format!("[{}]", parts.join(" · "));
    if reply.kind == ReplyKind::Question {
        text.push(' ');
        text.push_str(&reply.text);
    }
    text
}

/// What a new or joined case is made from.
struct Escalation {
    trigger: Trigger,
    level: Option<Level>,
    /// The patient's messages for a new case.
    messages: Vec<String>,
    /// The message that escalated, added to an existing case's thread.
    latest: String,
    /// The patient's language, for what they are told about a new case.
    language: Option<Language>,
}

impl Service {
    /// Handles a message from a patient and returns what to send back now.
    /// Anything for clinicians is queued in the outbox (durably) before this
    /// returns. When the store fails, the reply still comes back (see
    /// `recording.rs`); only the patient's data commands return an error.
    pub fn patient_message(&self, from: &Address, text: &str) -> Result<Response, ServiceError> {
        let _one_at_a_time = self.lock_patient(from);
        let now = self.now();
        let engine = self.engine();
        let practice = &engine.knowledge().practice;
        let first = self.first_contact(from, now);
        // In the language the reply is in, or the message is written in.
        let notice = |response: &Response| {
            first.then(|| {
                let language = response.explanation.language.unwrap_or_else(|| {
                    crate::language::read(text, &practice.languages)
                        .language()
                        .unwrap_or(Language::English)
                });
                wording::first_contact(practice, &self.settings, &self.record, language)
            })
        };
        if let Some((command, written_in)) = notices::notice_command_in(text) {
            let language = self.reply_language(practice, from, text, Some(written_in));
            let response = self.change_subscription(&engine, from, command, now, language)?;
            return Ok(Response {
                notice: notice(&response),
                ..response
            });
        }
        let intent = patient_intent(text);
        // The patient's own commands are answered in their language: read
        // before "forget me" deletes the conversation it is kept in.
        let language = || self.reply_language(practice, from, text, command_language(text));
        let response = match intent {
            Some(PatientIntent::Agent) => self.agent(&engine, from, text, now),
            Some(PatientIntent::MyData) => {
                let response = self.my_data(&engine, from, now, language())?;
                return Ok(Response {
                    notice: notice(&response),
                    ..response
                });
            }
            Some(PatientIntent::Forget) => {
                let response = self.forget(from, now, language())?;
                return Ok(Response {
                    notice: notice(&response),
                    ..response
                });
            }
            Some(PatientIntent::Notices) => self.notices_list(&engine, from, now, language())?,
            None => self.converse(&engine, from, text, now),
        };
        let response = Response {
            notice: notice(&response),
            ..response
        };
        self.keep_correspondence(from, text, &response, now);
        Ok(response)
    }

    /// The language to answer a patient's own command in ("my data",
    /// "forget me", the notices and subscriptions): their stored
    /// conversation's, else the language the message is written in (the
    /// command's own words, `command`, first: "/misdatos" is Spanish), else
    /// English; always one the practice offers.
    fn reply_language(
        &self,
        practice: &Practice,
        from: &Address,
        text: &str,
        command: Option<Language>,
    ) -> Language {
        let offered = |language: &Language| practice.languages.contains(language);
        // Even a conversation idle past its time to live: the language is
        // the patient's, not the thread's.
        let stored = self
            .store
            .conversation(from)
            .unwrap_or_else(|error| {
                tracing::warn!(%error, "cannot read the conversation's language; reading the message's");
                None
            })
            .and_then(|record| record.state.language);
        stored
            .filter(offered)
            .or(command.filter(offered))
            .or_else(|| crate::language::read(text, &practice.languages).language())
            .unwrap_or(Language::English)
    }

    /// Keeps the patient's message and every reply to it for their record
    /// (`crate::record`). A patient's own data requests ("what do you know
    /// about me", "forget me") are not correspondence with the practice.
    fn keep_correspondence(&self, from: &Address, text: &str, response: &Response, now: Timestamp) {
        if !self.record.keep_correspondence {
            return;
        }
        let mut messages = vec![Correspondence {
            at: now,
            from_patient: true,
            text: storable(text),
            kind: None,
            level: None,
            entry: None,
            case: response.case,
        }];
        for reply in response.replies() {
            messages.push(Correspondence {
                at: now,
                from_patient: false,
                text: reply.text.clone(),
                kind: Some(reply.kind),
                level: reply.level,
                entry: reply.entry.clone(),
                case: response.case,
            });
        }
        self.recorded(
            Record::Correspondence,
            self.store.keep_correspondence(from, &messages),
        );
    }

    /// Whether to show the first-contact notice, recording that it was
    /// shown. When the store cannot say or keep it, it is shown (again):
    /// better twice than never.
    fn first_contact(&self, from: &Address, now: Timestamp) -> bool {
        match self.recorded(Record::FirstContact, self.store.notice_shown(from)) {
            Some(Some(_)) => false,
            Some(None) => self
                .recorded(
                    Record::FirstContact,
                    self.store.mark_notice_shown(from, now),
                )
                .unwrap_or(true),
            None => true,
        }
    }

    /// The conversation to go on with: the stored one, or a new one when it
    /// cannot be read.
    fn conversation_or_new(&self, from: &Address, now: Timestamp) -> PatientRecord {
        self.recorded(Record::Conversation, self.load_record(from, now))
            .unwrap_or_else(|| PatientRecord::new(now))
    }

    fn save_conversation(&self, from: &Address, record: &PatientRecord) {
        self.recorded(
            Record::Conversation,
            self.store.save_conversation(from, record),
        );
    }

    /// The stored conversation, started afresh when it has been idle too long.
    pub(super) fn load_record(
        &self,
        from: &Address,
        now: Timestamp,
    ) -> Result<PatientRecord, ServiceError> {
        let Some(mut record) = self.store.conversation(from)? else {
            return Ok(PatientRecord::new(now));
        };
        if clock::elapsed(record.updated_at, now) > self.settings.conversation_ttl() {
            // A follow-up question from days ago no longer applies, but an
            // unresolved case does: keep the link to it.
            record = PatientRecord {
                case: record.case,
                ..PatientRecord::new(now)
            };
        }
        Ok(record)
    }

    /// Where news about a case goes: whoever claimed it, else all clinicians.
    fn case_watchers(&self, case: &HandoffCase) -> Vec<Address> {
        match &case.claim {
            Some(claim) => vec![claim.chat.clone()],
            None => self.settings.notification_targets(),
        }
    }

    fn converse(&self, engine: &Engine, from: &Address, text: &str, now: Timestamp) -> Response {
        let mut record = self.conversation_or_new(from, now);
        let answering = record.asked.take();
        let outcome = engine.respond_at(&mut record.state, text, now);
        // The engine keeps the episode's messages for a clinician's
        // transcript; nothing is stored with identifiers in it.
        for message in &mut record.state.episode.messages {
            *message = storable(message);
        }
        let said = storable(text);
        let episode = record.state.episode.messages.len();
        if episode <= 1 {
            record.answers.clear();
        }
        if let Some(question) = answering.as_ref().filter(|_| episode > 1) {
            record.answers.push(FollowUpAnswer {
                question: question.clone(),
                answer: said.clone(),
            });
        }
        let reply = outcome.reply;
        record.asked = (reply.kind == ReplyKind::Question).then(|| reply.text.clone());
        record.push_turn(Turn {
            at: now,
            text: said.clone(),
            from_patient: true,
        });
        record.push_turn(Turn {
            at: now,
            text: summary(&reply),
            from_patient: false,
        });
        record.updated_at = now;
        let counted = match (reply.kind, &reply.entry) {
            (ReplyKind::Answer, Some(entry)) => self.store.count_faq_answer(entry),
            (ReplyKind::Fallback, _) if answering.is_none() => {
                self.store.record_unanswered(from, text, now)
            }
            _ => Ok(()),
        };
        self.recorded(Record::Statistics, counted);

        let mut response = Response {
            notice: None,
            reply,
            handoff: None,
            case: None,
            explanation: outcome.explanation,
        };
        let practice = &engine.knowledge().practice;
        let open_now = practice.is_open_at(now);
        let language = response.explanation.language.unwrap_or(Language::English);
        if response.reply.kind == ReplyKind::Triage && response.reply.handoff {
            let level = response.reply.level;
            let escalation = Escalation {
                trigger: Trigger::Rule {
                    rule: response.reply.entry.clone().unwrap_or_default(),
                },
                level,
                messages: record.state.episode.messages.clone(),
                latest: said,
                language: record.state.language.or(response.explanation.language),
            };
            match self.escalate(engine, from, record, escalation, now) {
                Ok((case, joined)) => {
                    response.handoff = Some(wording::case_next_steps(
                        practice, &case, open_now, joined, language,
                    ));
                    response.case = Some(case.id);
                }
                Err(error) => {
                    self.not_kept(Record::Case, &error);
                    response.handoff = Some(wording::case_not_passed_on(
                        practice, level, open_now, language,
                    ));
                }
            }
        } else if let Some(id) = record.case {
            // The patient is talking to a person now: pass everything on
            // (`relay` reads the case once, and leaves a resolved one alone).
            match self.relay(engine, from, &record, id, &said, None, now) {
                Ok(Some(case)) => {
                    // While a clinician holds the case the conversation is
                    // theirs: the bot only speaks up for triage (advice or
                    // its question).
                    let triage =
                        matches!(response.reply.kind, ReplyKind::Triage | ReplyKind::Question);
                    if let (false, Some(claim)) = (triage, &case.claim) {
                        response.reply = wording::passed_on(&case, &claim.name);
                    }
                    response.case = Some(id);
                }
                Ok(None) => self.save_conversation(from, &record),
                Err(error) => {
                    self.not_kept(Record::Case, &error);
                    let level = response.reply.level;
                    response.handoff = Some(wording::case_not_passed_on(
                        practice, level, open_now, language,
                    ));
                    self.save_conversation(from, &record);
                }
            }
        } else {
            self.save_conversation(from, &record);
        }
        response
    }

    /// Adds a patient's message to their unresolved case (raising its level
    /// to `level` if that is more severe) and tells whoever watches it.
    /// `None` if the case was resolved meanwhile.
    #[allow(clippy::too_many_arguments)]
    fn relay(
        &self,
        engine: &Engine,
        from: &Address,
        record: &PatientRecord,
        id: carebot_chat::CaseId,
        said: &str,
        level: Option<Level>,
        now: Timestamp,
    ) -> Result<Option<HandoffCase>, ServiceError> {
        let practice = &engine.knowledge().practice;
        // A patient writing faster than the clinicians' chat drains would
        // otherwise queue one full update per message, ahead of other
        // patients' cases: each new update replaces the ones still queued
        // for the same watcher, and shows the latest messages.
        let pending = self.store.pending_updates(id)?;
        let updated = self.store.update_case(id, now, |current| {
            let Some(mut case) = current.filter(|case| case.status() != CaseStatus::Resolved)
            else {
                return CaseChange::Leave(None);
            };
            case.thread.push(CaseMessage {
                at: now,
                clinician: None,
                text: said.to_string(),
            });
            let emergency = Some(Level::Emergency);
            let escalated = level == emergency && case.level != emergency;
            case.level = case.level.max(level);
            // What the patient is told about the case follows them when they
            // switch language.
            if let Some(language) = record.state.language {
                case.language = Some(language);
            }
            let title = Self::rule_title(engine, case.rule());
            let (purpose, update) = if escalated {
                (
                    Purpose::CaseEscalated { case: id },
                    wording::case_escalated(practice, &case, title.as_deref()),
                )
            } else {
                (
                    Purpose::CaseUpdated { case: id },
                    wording::case_updated(practice, &case, title.as_deref()),
                )
            };
            let watchers = self.case_watchers(&case);
            let superseded = watchers
                .iter()
                .filter_map(|watcher| pending.get(watcher))
                .flatten()
                .copied()
                .collect();
            let effects = Effects {
                deliveries: NewOutbound::to_each(&watchers, purpose, &update),
                audit: vec![self.patient_entry(from, Action::CaseUpdated, Some(id), now)],
                conversation: Some((from.clone(), record.clone())),
                superseded,
            };
            CaseChange::Write {
                case: case.clone(),
                effects,
                result: Some(case),
            }
        })?;
        if let Some(case) = &updated {
            self.queued();
            tracing::info!(case = %case.id, "case updated by its patient");
        }
        Ok(updated)
    }

    fn patient_entry(
        &self,
        from: &Address,
        action: Action,
        case: Option<carebot_chat::CaseId>,
        at: Timestamp,
    ) -> AuditEntry {
        AuditEntry {
            at,
            actor: Actor::Patient {
                address: from.clone(),
            },
            action,
            case,
            patient: Some(from.clone()),
        }
    }

    /// Opens a case, or adds to the patient's unresolved one; returns it and
    /// whether it already existed. Durable when it returns.
    fn escalate(
        &self,
        engine: &Engine,
        from: &Address,
        record: PatientRecord,
        escalation: Escalation,
        now: Timestamp,
    ) -> Result<(HandoffCase, bool), ServiceError> {
        let practice = &engine.knowledge().practice;
        if let Some(id) = record.case {
            let joined = self.relay(
                engine,
                from,
                &record,
                id,
                &escalation.latest,
                escalation.level,
                now,
            )?;
            if let Some(case) = joined {
                return Ok((case, true));
            }
        }
        let open_now = practice.is_open_at(now);
        let targets = self.settings.notification_targets();
        let rule = match &escalation.trigger {
            Trigger::Rule { rule } => Some(rule.clone()),
            Trigger::PatientAsked => None,
        };
        let title = Self::rule_title(engine, rule.as_deref());
        let case = self.store.create_case(now, |id| {
            let case = HandoffCase {
                id,
                patient: from.clone(),
                trigger: escalation.trigger.clone(),
                level: escalation.level,
                messages: escalation.messages.clone(),
                answers: record.answers.clone(),
                opened_at: now,
                after_hours: !open_now,
                notified_at: now,
                reminders: 0,
                thread: Vec::new(),
                claim: None,
                resolution: None,
                language: escalation.language,
            };
            let notification = wording::case_opened(practice, &case, title.as_deref());
            let action = Action::CaseOpened {
                level: escalation.level,
                rule: rule.clone(),
            };
            let effects = Effects {
                deliveries: NewOutbound::to_each(
                    &targets,
                    Purpose::CaseOpened { case: id },
                    &notification,
                ),
                audit: vec![self.patient_entry(from, action, Some(id), now)],
                superseded: Vec::new(),
                conversation: Some((
                    from.clone(),
                    PatientRecord {
                        case: Some(id),
                        ..record.clone()
                    },
                )),
            };
            (case, effects)
        })?;
        if targets.is_empty() {
            tracing::warn!(case = %case.id, "case opened but no clinicians are configured to notify; see `carebot cases`");
        }
        self.queued();
        tracing::info!(case = %case.id, level = ?case.level, rule = ?case.rule(), after_hours = case.after_hours, "case opened");
        Ok((case, false))
    }

    /// "agent": the patient asks for a person.
    fn agent(&self, engine: &Engine, from: &Address, text: &str, now: Timestamp) -> Response {
        let mut record = self.conversation_or_new(from, now);
        let said = storable(text);
        let recent: Vec<String> = record
            .turns
            .iter()
            .filter(|turn| turn.from_patient)
            .map(|turn| turn.text.clone())
            .collect();
        let mut context = recent[recent.len().saturating_sub(AGENT_CONTEXT)..].to_vec();
        context.push(said.clone());
        record.push_turn(Turn {
            at: now,
            text: said.clone(),
            from_patient: true,
        });
        record.push_turn(Turn {
            at: now,
            text: "[asked for a person]".to_string(),
            from_patient: false,
        });
        record.updated_at = now;
        // A request that also describes a problem ("/agent my dad passed out
        // and won't wake", "can I talk to a nurse, I have crushing chest pain")
        // is triaged first: the patient gets the advice, the case its level.
        let rest = crate::handoff::without_command(text);
        let triage = Some(engine.reply(&mut crate::Conversation::default(), rest))
            .filter(|reply| !rest.is_empty() && reply.kind == crate::ReplyKind::Triage);
        let level = triage.as_ref().and_then(|reply| reply.level);
        let practice = &engine.knowledge().practice;
        let open_now = practice.is_open_at(now);
        let language = record
            .state
            .language
            .or_else(|| crate::language::read(text, &practice.languages).language())
            .unwrap_or(Language::English);
        let escalation = Escalation {
            trigger: Trigger::PatientAsked,
            level,
            messages: context,
            latest: said,
            language: Some(language),
        };
        let (mut reply, case) = match self.escalate(engine, from, record, escalation, now) {
            Ok((case, joined)) => (
                wording::case_next_steps(practice, &case, open_now, joined, language),
                Some(case.id),
            ),
            Err(error) => {
                self.not_kept(Record::Case, &error);
                (
                    wording::case_not_passed_on(practice, level, open_now, language),
                    None,
                )
            }
        };
        if let Some(advice) = triage {
            reply.text = format!("{}\n\n{}", advice.text, reply.text);
            reply.level = advice.level;
        }
        Response {
            notice: None,
            reply,
            handoff: None,
            case,
            explanation: Explanation::default(),
        }
    }

    /// "what do you know about me": everything stored, as a message.
    fn my_data(
        &self,
        engine: &Engine,
        from: &Address,
        now: Timestamp,
        language: Language,
    ) -> Result<Response, ServiceError> {
        // Audited before it is shown: a read nobody recorded must not happen.
        self.store
            .audit(self.patient_entry(from, Action::PatientDataRead, None, now))?;
        let data = self.store.patient_data(from)?;
        tracing::info!(cases = data.cases.len(), "patient read their data");
        Ok(Response {
            notice: None,
            reply: wording::patient_data(&engine.knowledge().practice, &data, language),
            handoff: None,
            case: None,
            explanation: Explanation {
                language: Some(language),
                ..Explanation::default()
            },
        })
    }

    /// "forget me": deletes everything but the record that it was deleted.
    fn forget(
        &self,
        from: &Address,
        now: Timestamp,
        language: Language,
    ) -> Result<Response, ServiceError> {
        let forgotten = self.store.forget(from, |forgotten| {
            self.patient_entry(
                from,
                Action::PatientDataDeleted {
                    cases: forgotten.cases.clone(),
                    conversation: forgotten.conversation,
                    outbox: forgotten.outbox,
                },
                None,
                now,
            )
        })?;
        tracing::info!(
            cases = forgotten.cases.len(),
            "patient data deleted at the patient's request"
        );
        Ok(Response {
            notice: None,
            reply: wording::forgotten(&forgotten, language),
            handoff: None,
            case: None,
            explanation: Explanation {
                language: Some(language),
                ..Explanation::default()
            },
        })
    }
}
