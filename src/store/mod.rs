//! Durable state: one tree per kind of record, in a sled database in the data
//! folder (one carebot process at a time, the default) or in PostgreSQL (any
//! number of processes; `postgres.rs`). The rest of carebot only sees
//! [`Store`]'s typed methods, never the database; the methods are written
//! once over both (`tree.rs`).
//!
//! | tree | key | value |
//! |---|---|---|
//! | `conversations` | patient address | [`PatientRecord`] |
//! | `cases` | case number (big-endian) | [`HandoffCase`](crate::handoff::HandoffCase) |
//! | `outbox` | outbox id (big-endian) | [`OutboxItem`] |
//! | `audit` | sequence (big-endian) | [`AuditEntry`](crate::audit::AuditEntry) |
//! | `unanswered` | asker's tag, SHA-256 of the redacted question | [`UnansweredQuestion`] |
//! | `notices` | patient address | [`NoticeShown`] |
//! | `stats` | `faq:<id>` | count (big-endian) |
//! | `meta` | `next_case`, `next_notice` | next case number, next draft notice number (big-endian) |
//! | `leases` | lease name | who holds it, until when (`leases.rs`) |
//! | `subscriptions` | patient address; patient and notice; `p` + notice id | [`Subscription`]; that the notice was queued for them (or given up on); a [`PublishedNotice`] from chat or `carebot notice send` (`published.rs`) |
//! | `record` | patient address and time; patient address | [`Correspondence`] kept for their record; [`RecordLink`] (`correspondence.rs`) |
//!
//! Values are JSON. The records that hold what patients wrote (conversations,
//! cases, outbox items, unanswered questions, correspondence) are sealed with the patient's
//! own key (see `sealing.rs`), so that "forget me" leaves nothing readable;
//! the rest can be read with any tool when something goes wrong. Big-endian integer keys make sled's byte order the
//! numeric order, so cases and outbox items iterate oldest first.
//!
//! Durability: every write that someone is told about (a case the patient is
//! told was passed on, a reply the clinician is told was sent, a deletion) is
//! flushed to disk before the method returns. Conversation updates are not:
//! sled writes them out within its flush interval (half a second), and losing
//! the last half second of a conversation in a crash costs a repeated question,
//! not a lost escalation.
//!
//! A full or failing disk (`recovery.rs`): the store notices the first I/O
//! error, reports it ([`Store::health`]), and [`Store::recover`] opens the
//! database again in this process once the disk takes writes again, since
//! sled itself stays failed until reopened.

mod audit;
mod cases;
mod conversations;
mod copy;
mod correspondence;
mod insights;
pub mod leases;
mod outbox;
mod postgres;
mod privacy;
mod published;
pub mod records;
mod recovery;
mod sealing;
mod subscriptions;
mod tree;
mod verify;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use serde::de::DeserializeOwned;
use serde::Serialize;

use carebot_chat::Address;

pub use cases::{CaseChange, Effects};
pub use copy::Copied;
pub use correspondence::{Correspondence, RecordLink};
pub use postgres::is_url;
pub use privacy::{Forgotten, PatientData, Purged};
pub use published::{
    draft_notice_id, notice_author, notice_published_entry, NoticeChange, PublishedNotice,
};
pub use records::{NewOutbound, NoticeShown, OutboxItem, PatientRecord, Turn, UnansweredQuestion};
pub use recovery::{Recovery, StoreHealth};
pub use sealing::KEYS_FILE;
use sealing::{Owner, PatientKeys};
pub use subscriptions::{NoticeProgress, Subscription};
use tree::{Tree, Trees};
pub use verify::Counts;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the data folder {path} is in use by another carebot process; stop that one first (only one process can use a data folder at a time)")]
    Locked { path: PathBuf },
    #[error("cannot open the data folder {path}: {source}")]
    Open { path: PathBuf, source: sled::Error },
    #[error("the store failed: {0}")]
    Storage(#[from] sled::Error),
    #[error("the PostgreSQL store {database} failed: {problem}")]
    Database { database: String, problem: String },
    #[error("a stored {tree} record ({key}) cannot be read: {source}")]
    Corrupt {
        tree: &'static str,
        key: String,
        source: serde_json::Error,
    },
    #[error("the {tree} tree is inconsistent: {problem}")]
    Inconsistent { tree: &'static str, problem: String },
    #[error("the patients' keys file {path} cannot be read: {source}")]
    Keys {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("a patient's key cannot be written to disk: {0}")]
    KeysWrite(std::io::Error),
    #[error("the system's random number generator failed")]
    Random,
    #[error("a sealed {tree} record does not open with its owner's key (altered or moved)")]
    Unsealable { tree: &'static str },
    #[error("a {tree} record cannot be encoded: {source}")]
    Encode {
        tree: &'static str,
        source: serde_json::Error,
    },
    #[error("{location} already holds records: a store is copied into an empty one only")]
    NotEmpty { location: String },
    #[error("the store is closed after a disk failure and not open again yet: {reason}")]
    Closed { reason: String },
}

/// The most memory sled may use to cache the database's pages. sled's
/// default is 1 GiB, which a long-running carebot slowly fills as the audit
/// log and cases accumulate (the soak test showed it); a practice's working
/// set (conversations of the last day, open cases, the outbox) is a few MB.
const CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// carebot's durable state. Cheap to clone; clones share the database, and
/// a reopening after a disk failure (`recovery.rs`) is seen by every clone.
#[derive(Debug, Clone)]
pub struct Store {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    /// The open database; `None` only between closing a failed one and
    /// opening it again. Each operation holds its own `Arc` while it runs,
    /// so a reopening can wait for the operations under way to finish.
    trees: RwLock<Option<Arc<Trees>>>,
    /// The patients' keys (kept apart from sled, see `sealing.rs`).
    keys: PatientKeys,
    path: Option<PathBuf>,
    /// Whether the disk has failed under the store, for `/healthz`.
    health: Mutex<StoreHealth>,
    /// One reopening at a time.
    reopening: Mutex<()>,
    /// This process's name in leases (`leases.rs`).
    instance: String,
}

impl Store {
    /// Opens (or creates) the store in `dir`. Only one process may have a
    /// store open at a time.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let trees = recovery::open_waiting_for_lock(dir)?;
        let keys = PatientKeys::open(dir)?;
        Store::with_trees(trees, keys, Some(dir.to_path_buf()))
    }

    /// A store that lives only as long as this process (for one-off runs).
    pub fn temporary() -> Result<Store, StoreError> {
        let db = sled::Config::new().temporary(true).open()?;
        Store::with_trees(Trees::in_sled(db)?, PatientKeys::in_memory(), None)
    }

    /// Connects to the store in the PostgreSQL database at `url`
    /// (`postgres://user:password@host:port/database`), setting it up or
    /// migrating it if needed. Any number of processes may share it.
    pub fn connect(url: &str) -> Result<Store, StoreError> {
        let db = postgres::Postgres::connect(url)?;
        let keys = PatientKeys::in_postgres(db.clone());
        Store::with_trees(Trees::in_postgres(db), keys, None)
    }

    /// Where the store is, for messages: its folder, or the database's host
    /// and name (never a password).
    pub fn location(&self) -> String {
        if let Some(path) = self.path() {
            return path.display().to_string();
        }
        match self.current().as_deref().map(|t| &t.database) {
            Ok(tree::Database::Postgres(db)) => db.describe().to_string(),
            _ => "a temporary store".to_string(),
        }
    }

    /// The PostgreSQL schema version, `None` on sled.
    pub fn schema_version(&self) -> Result<Option<usize>, StoreError> {
        match &self.current()?.database {
            tree::Database::Postgres(db) => db.schema_version().map(Some),
            tree::Database::Sled(_) => Ok(None),
        }
    }

    fn with_trees(
        trees: Trees,
        keys: PatientKeys,
        path: Option<PathBuf>,
    ) -> Result<Store, StoreError> {
        Ok(Store {
            shared: Arc::new(Shared {
                trees: RwLock::new(Some(Arc::new(trees))),
                keys,
                path,
                health: Mutex::new(StoreHealth::default()),
                reopening: Mutex::new(()),
                instance: instance_name()?,
            }),
        })
    }

    /// Where the store lives; `None` for a temporary one.
    pub fn path(&self) -> Option<&Path> {
        self.shared.path.as_deref()
    }

    /// Writes everything out to disk and waits for it.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.with(|t| t.flush())
    }

    /// Runs `operation` on the open database, noting a disk failure it
    /// meets (see `recovery.rs`). Every method that reads or writes a tree
    /// goes through here.
    fn with<T>(
        &self,
        operation: impl FnOnce(&Trees) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let trees = self.current()?;
        let result = operation(&trees);
        if let Err(error) = &result {
            self.noticed(error, &trees);
        }
        result
    }
}

impl Store {
    /// `value`, a record of `tree` under `key` that holds `owner`'s words,
    /// encoded and sealed with their key.
    fn seal<T: Serialize>(
        &self,
        tree: &'static str,
        owner: Owner,
        key: &[u8],
        value: &T,
    ) -> Result<Vec<u8>, StoreError> {
        self.shared
            .keys
            .seal(owner, tree, key, encode(tree, value)?)
    }

    /// A record of a sealed tree, opened and decoded; `None` when its owner
    /// was forgotten (their key is gone, so the record is as good as deleted).
    fn unseal<T: DeserializeOwned>(
        &self,
        tree: &'static str,
        key: &[u8],
        bytes: &[u8],
    ) -> Result<Option<T>, StoreError> {
        match self.shared.keys.open_value(tree, key, bytes)? {
            Some(plain) => decode(tree, key, &plain).map(Some),
            None => Ok(None),
        }
    }

    /// Every readable record of a sealed tree, decoded, in key order.
    fn all_sealed<T: DeserializeOwned>(
        &self,
        tree_name: &'static str,
        tree: &Tree,
    ) -> Result<Vec<(Vec<u8>, T)>, StoreError> {
        let mut records = Vec::new();
        for (key, value) in tree.records()? {
            if let Some(record) = self.unseal(tree_name, &key, &value)? {
                records.push((key, record));
            }
        }
        Ok(records)
    }
}

/// A random name for this process in leases.
fn instance_name() -> Result<String, StoreError> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 8];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| StoreError::Random)?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// Opens sled in `dir`, narrowing the folder and its files to their owner.
fn open_dir(dir: &Path) -> Result<Trees, StoreError> {
    restrict_to_owner(dir);
    let db = sled::Config::new().path(dir).cache_capacity(CACHE_BYTES).open().map_err(|source| {
        let locked = matches!(&source, sled::Error::Io(error)
            if error.kind() == std::io::ErrorKind::WouldBlock || error.to_string().contains("lock"));
        if locked {
            StoreError::Locked {
                path: dir.to_path_buf(),
            }
        } else {
            StoreError::Open {
                path: dir.to_path_buf(),
                source,
            }
        }
    })?;
    restrict_files_to_owner(dir);
    Trees::in_sled(db)
}

/// A patient's key: `platform`, a zero byte, `chat` (no platform contains zero).
fn address_key(address: &Address) -> Vec<u8> {
    let mut key = Vec::with_capacity(address.platform.len() + 1 + address.chat.len());
    key.extend_from_slice(address.platform.as_bytes());
    key.push(0);
    key.extend_from_slice(address.chat.as_bytes());
    key
}

fn id_key(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}

fn key_id(key: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(key.try_into().ok()?))
}

/// A key as shown in errors (which end up in logs): ids and addresses, but
/// never an unanswered question, whose key is what the patient wrote.
fn show_key(tree: &str, key: &[u8]) -> String {
    match key_id(key) {
        Some(id) => id.to_string(),
        None if tree == "unanswered" => format!("a {}-byte question", key.len()),
        None => String::from_utf8_lossy(key).replace('\0', ":"),
    }
}

fn encode<T: Serialize>(tree: &'static str, value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|source| StoreError::Encode { tree, source })
}

fn decode<T: DeserializeOwned>(
    tree: &'static str,
    key: &[u8],
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt {
        tree,
        key: show_key(tree, key),
        source,
    })
}

/// Every record of a tree, decoded, in key order.
fn all<T: DeserializeOwned>(
    tree_name: &'static str,
    tree: &Tree,
) -> Result<Vec<(Vec<u8>, T)>, StoreError> {
    tree.records()?
        .into_iter()
        .map(|(key, value)| {
            let record = decode(tree_name, &key, &value)?;
            Ok((key, record))
        })
        .collect()
}

/// Creates the data folder readable by its owner only (0700), or narrows an
/// existing one, whatever the umask: it holds health data, and no other local
/// user may list or read it. A folder found wider is reported.
fn restrict_to_owner(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        if !dir.exists() {
            // Errors surface when sled opens the folder.
            let _ = std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir);
        }
        if let Ok(metadata) = std::fs::metadata(dir) {
            let mode = metadata.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                tracing::warn!(
                    mode = format!("{mode:o}"),
                    "the data folder was readable by other users; narrowing it to 0700"
                );
                let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Narrows every file in the data folder to 0600 (sled creates them with the
/// umask's mode).
fn restrict_files_to_owner(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut pending = vec![dir.to_path_buf()];
        while let Some(folder) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&folder) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(metadata) = entry.metadata() else {
                    continue;
                };
                let mode = metadata.permissions().mode() & 0o777;
                if metadata.is_dir() {
                    if mode & 0o077 != 0 {
                        let _ =
                            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700));
                    }
                    pending.push(path);
                } else if mode & 0o077 != 0 {
                    let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}
