//! Health notices published from chat (`/notice`, drafted, then confirmed)
//! or from the command line (`carebot notice send`), as opposed to those in
//! the knowledge folder: kept in the store so that every process sharing it
//! sends and lists them, and a restart loses none.
//!
//! They live in the `subscriptions` tree beside the subscriptions and the
//! records of what was sent (`p\0` + notice id); the clinicians' drafts are
//! numbered from `next_notice` in `meta` (`N-0001`). A notice is the
//! practice's text, not a patient's, so it is stored as plain JSON. A
//! publication and its audit entry are written in one transaction.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{encode, Effects, Store, StoreError};
use crate::audit::{Actor, AuditEntry};

const NEXT_NOTICE: &[u8] = b"next_notice";

/// A health notice published, or drafted, outside the knowledge folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedNotice {
    /// `N-0004` for a clinician's; the file's own id for staff's.
    pub id: String,
    pub title: String,
    /// Markdown with the practice's placeholders filled in: as subscribers
    /// read it.
    pub text: String,
    pub topics: Vec<String>,
    pub publish_at: Timestamp,
    pub expires_at: Timestamp,
    /// Who wrote it: a clinician, or staff by login.
    pub by: Actor,
    pub drafted_at: Timestamp,
    /// When it was published; `None` while it is a draft awaiting its
    /// author's confirmation (drafts are never sent or listed to patients).
    pub published_at: Option<Timestamp>,
}

impl PublishedNotice {
    /// Whether patients see it and subscribers are sent it at `now`.
    pub fn is_in_force(&self, now: Timestamp) -> bool {
        self.published_at.is_some() && self.publish_at <= now && now < self.expires_at
    }
}

/// What a change to a stored notice decided.
// Returned once per change and never stored, so the size of `Write` is no
// cost (as `CaseChange`).
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum NoticeChange<T> {
    /// Store `notice` (`None`: delete it) with `audit`, then return `result`.
    Write {
        notice: Option<PublishedNotice>,
        audit: Vec<AuditEntry>,
        result: T,
    },
    /// Change nothing and return this.
    Leave(T),
}

fn notice_key(id: &str) -> Vec<u8> {
    let mut key = b"p\0".to_vec();
    key.extend_from_slice(id.as_bytes());
    key
}

/// `N-0004`, a clinician's draft number as people read it.
pub fn draft_notice_id(number: u64) -> String {
    format!("N-{number:04}")
}

impl Store {
    /// Stores a clinician's draft under the next `N-` number: `make` builds
    /// it from its id (and may run more than once).
    pub fn draft_notice(
        &self,
        make: impl Fn(String) -> PublishedNotice,
    ) -> Result<PublishedNotice, StoreError> {
        self.with(|t| {
            t.transaction(|tx| {
                let number = match tx.meta.get(NEXT_NOTICE)? {
                    Some(bytes) => super::key_id(&bytes).unwrap_or(1),
                    None => 1,
                };
                tx.meta
                    .insert(NEXT_NOTICE, super::id_key(number + 1).to_vec())?;
                let notice = make(draft_notice_id(number));
                tx.subscriptions
                    .insert(&notice_key(&notice.id), encode("subscriptions", &notice)?)?;
                tx.flush_on_commit();
                Ok(notice)
            })
        })
    }

    /// Notice `id` (a draft or published), if the store has it.
    pub fn published_notice(&self, id: &str) -> Result<Option<PublishedNotice>, StoreError> {
        let key = notice_key(id);
        self.with(|t| match t.subscriptions.get(&key)? {
            Some(bytes) => super::decode("subscriptions", &key, &bytes).map(Some),
            None => Ok(None),
        })
    }

    /// Every notice in the store, drafts included, in id order.
    pub fn published_notices(&self) -> Result<Vec<PublishedNotice>, StoreError> {
        self.with(|t| {
            t.subscriptions
                .records_with_prefix(b"p\0")?
                .into_iter()
                .map(|(key, value)| super::decode("subscriptions", &key, &value))
                .collect()
        })
    }

    /// Applies `change` to notice `id` (`None` when there is none) in one
    /// transaction with the audit entries it makes; durable on return.
    pub fn change_notice<T>(
        &self,
        id: &str,
        now: Timestamp,
        change: impl Fn(Option<PublishedNotice>) -> NoticeChange<T>,
    ) -> Result<T, StoreError> {
        let key = notice_key(id);
        let outcome = self.with(|t| {
            t.transaction(|tx| {
                let current = match tx.subscriptions.get(&key)? {
                    Some(bytes) => Some(super::decode("subscriptions", &key, &bytes)?),
                    None => None,
                };
                match change(current) {
                    NoticeChange::Leave(result) => Ok(NoticeChange::Leave(result)),
                    NoticeChange::Write {
                        notice,
                        audit,
                        result,
                    } => {
                        match &notice {
                            Some(notice) => tx
                                .subscriptions
                                .insert(&key, encode("subscriptions", notice)?)?,
                            None => tx.subscriptions.remove(&key)?,
                        }
                        super::cases::Writer {
                            store: self,
                            case: None,
                            tx,
                        }
                        .apply(
                            &Effects {
                                audit: audit.clone(),
                                ..Effects::default()
                            },
                            now,
                        )?;
                        tx.flush_on_commit();
                        Ok(NoticeChange::Write {
                            notice,
                            audit,
                            result,
                        })
                    }
                }
            })
        })?;
        Ok(match outcome {
            NoticeChange::Leave(result) | NoticeChange::Write { result, .. } => result,
        })
    }

    /// Publishes `notices` (staff's, already checked) with an audit entry
    /// each, all or none: `Err` with the one already in the store when an
    /// id is taken, and then nothing is written.
    pub fn publish_notices(
        &self,
        notices: &[PublishedNotice],
        now: Timestamp,
    ) -> Result<Result<(), PublishedNotice>, StoreError> {
        self.with(|t| {
            t.transaction(|tx| {
                for notice in notices {
                    let key = notice_key(&notice.id);
                    if let Some(bytes) = tx.subscriptions.get(&key)? {
                        return Ok(Err(super::decode("subscriptions", &key, &bytes)?));
                    }
                }
                let mut audit = Vec::new();
                for notice in notices {
                    tx.subscriptions
                        .insert(&notice_key(&notice.id), encode("subscriptions", notice)?)?;
                    audit.push(notice_published_entry(notice, now));
                }
                super::cases::Writer {
                    store: self,
                    case: None,
                    tx,
                }
                .apply(
                    &Effects {
                        audit,
                        ..Effects::default()
                    },
                    now,
                )?;
                tx.flush_on_commit();
                Ok(Ok(()))
            })
        })
    }
}

/// The audit entry for `notice`'s publication at `at`, by its author.
pub fn notice_published_entry(notice: &PublishedNotice, at: Timestamp) -> AuditEntry {
    AuditEntry {
        at,
        actor: notice.by.clone(),
        action: crate::audit::Action::NoticePublished {
            notice: notice.id.clone(),
            title: notice.title.clone(),
            topics: notice.topics.clone(),
        },
        case: None,
        patient: None,
    }
}

/// Who wrote `notice`, as people name them.
pub fn notice_author(notice: &PublishedNotice) -> String {
    match &notice.by {
        Actor::Clinician { name, .. } => name.clone(),
        Actor::Staff { login } => login.clone(),
        _ => "carebot".to_string(),
    }
}
