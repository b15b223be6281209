//! Correspondence for patients' records: the FHIR export staff ask for
//! (`carebot export fhir`, audited) and the bundle that copies a resolved
//! case's correspondence to the practice's FHIR server (`Purpose::RecordCopy`,
//! posted by `serve`). The bundle is made when the case is resolved and
//! queued in the outbox with it, in the same transaction: a crash cannot
//! lose it, and the post repeated after one creates nothing twice
//! (`ifNoneExist`).

use jiff::Timestamp;

use carebot_chat::{Address, CaseId, Purpose, Reply, ReplyKind};

use super::{Service, ServiceError};
use crate::audit::{Action, Actor, AuditEntry};
use crate::handoff::HandoffCase;
use crate::record::fhir::{self, Bundle, BundleType};
use crate::record::{self, History};
use crate::store::NewOutbound;

impl Service {
    /// The correspondence of `patient` (everyone when `None`) since `since`
    /// as a FHIR collection Bundle, exported by `login`: audited.
    pub fn export_record(
        &self,
        login: &str,
        patient: Option<&Address>,
        since: Option<Timestamp>,
    ) -> Result<Bundle, ServiceError> {
        let histories = match patient {
            Some(patient) => vec![History::of(&self.store, patient)?],
            None => History::everyone(&self.store)?,
        };
        let histories: Vec<History> = histories
            .into_iter()
            .filter(|history| !history.is_empty())
            .collect();
        let now = self.now();
        let bundle = fhir::bundle(
            &histories,
            &self.record,
            &self.engine().knowledge().practice.name,
            BundleType::Collection,
            since,
            now,
        );
        self.store.audit(AuditEntry {
            at: now,
            actor: Actor::Staff {
                login: login.to_string(),
            },
            action: Action::RecordExported {
                patients: histories.len(),
                messages: bundle.entry.len(),
            },
            case: None,
            patient: patient.cloned(),
        })?;
        Ok(bundle)
    }

    /// What a copy of case `id` to its patient's record is made from: their
    /// correspondence and link, when the push is on and a clinician linked
    /// them (`None` otherwise). Read before the case changes, since sled
    /// cannot read other records while a case's transaction runs.
    pub(super) fn record_history(&self, id: CaseId) -> Result<Option<History>, ServiceError> {
        if !self.record.push {
            return Ok(None);
        }
        let Some(case) = self.store.case(id)? else {
            return Ok(None);
        };
        let mut history = History::of(&self.store, &case.patient)?;
        if history.link.is_none() {
            return Ok(None);
        }
        history.cases.clear();
        Ok(Some(history))
    }

    /// The outbox item that copies `case` (as it is now, resolved) and the
    /// patient's correspondence in `history` to their record: a FHIR
    /// transaction, posted by `serve` to the practice's FHIR server.
    pub(super) fn record_copy(
        &self,
        history: &History,
        case: &HandoffCase,
        now: Timestamp,
    ) -> NewOutbound {
        let history = History {
            cases: vec![case.clone()],
            ..history.clone()
        };
        let bundle = fhir::bundle(
            &[history],
            &self.record,
            &self.engine().knowledge().practice.name,
            BundleType::Transaction,
            None,
            now,
        );
        NewOutbound {
            to: record::record_address(),
            purpose: Purpose::RecordCopy { case: case.id },
            reply: Reply::plain(
                ReplyKind::Notice,
                serde_json::to_string(&bundle).unwrap_or_default(),
            ),
        }
    }
}
