//! A disk that fails under the store (full, or an I/O error), and getting
//! the store back without restarting carebot.
//!
//! What sled 0.34 does (read in its `pagecache/iobuf.rs`, `logger.rs` and
//! `config.rs`, and confirmed on a full tmpfs): the first failed write to
//! its log is kept as a "global error", and from then on every write and
//! every flush returns that error, even after space is freed; reads still
//! work. Only starting the database again clears it (`PageCache::start`
//! calls `reset_global_error`). Opening it needs free space itself (it
//! writes a snapshot), so restarting carebot while the disk is full does not
//! even start, and no patient would be answered at all.
//!
//! So carebot stays up and reopens the database itself:
//!
//! - every operation goes through `Store::with`, which notes an I/O error
//!   here and closes the failed database: operations then fail at once with
//!   [`StoreError::Closed`], and [`Store::health`] reports the store failing
//!   (for `/healthz` and `/metrics`) until it works again. Closing rather
//!   than reading on from the failed database matters: it holds in memory
//!   writes that never reached the disk, such as a case whose flush failed
//!   (its patient was told nobody saw it), whose notification the
//!   dispatcher must not send, and whose number must not be shown twice;
//! - [`Store::recover`], called every few seconds by [`crate::upkeep`],
//!   opens the data folder again once a test write there succeeds, for
//!   every clone of the [`Store`].
//!
//! What survives: whatever was flushed before the failure, which includes
//! everything anyone was told is kept (cases, deletions, queued messages).
//! Lost: changes sled held in memory only, that is conversation updates since
//! the last flush (a repeated question) and delivery confirmations (a message
//! sent again: delivery is at-least-once anyway).

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, MutexGuard};
use std::time::{Duration, Instant};

use super::postgres::Postgres;
use super::tree::Database;
use super::{open_dir, Store, StoreError, Trees};

/// How much the test write puts in the data folder before a reopening is
/// tried: sled's snapshot and the start of a new log segment fit in it.
const TEST_WRITE_BYTES: usize = 256 * 1024;

/// The test file, removed again at once.
const TEST_FILE: &str = "carebot-space-check";

/// How long a reopening waits for the failed database to let go of the data
/// folder's lock (operations that were under way when it failed, and sled's
/// own threads, close it as they finish).
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// Whether the store can write to disk, as `/healthz` and `/metrics` show it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreHealth {
    /// Why the store cannot write (the first disk error since it last
    /// worked, or why it could not be opened again); `None` while it works.
    pub failing: Option<String>,
    /// Disk errors met since carebot started.
    pub disk_errors: u64,
    /// Times the database was opened again after a disk failure.
    pub reopened: u64,
}

/// What [`Store::recover`] found or did.
#[derive(Debug)]
pub enum Recovery {
    /// Nothing to do: the store works (or is temporary, and cannot be
    /// opened again).
    NotNeeded,
    /// The database was opened again and takes writes.
    Reopened,
    /// Still failing, for this reason; try again later.
    NotYet(StoreError),
}

impl Store {
    /// Whether the store can write to disk now.
    pub fn health(&self) -> StoreHealth {
        self.health_lock().clone()
    }

    /// Opens the database again if the disk failed under it and takes
    /// writes again. Cheap when the store works; see the module notes.
    pub fn recover(&self) -> Recovery {
        if let Ok(trees) = self.current() {
            if let Database::Postgres(db) = &trees.database {
                return self.reconnected(db);
            }
        }
        let Some(dir) = self.path() else {
            return Recovery::NotNeeded;
        };
        let _one_at_a_time = self
            .shared
            .reopening
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.health_lock().failing.is_none() {
            return Recovery::NotNeeded;
        }
        // sled writes a snapshot as it opens: on a disk still full that
        // fails, and leaves a half-written file behind.
        if let Err(source) = disk_takes_writes(dir) {
            return Recovery::NotYet(StoreError::Open {
                path: dir.to_path_buf(),
                source: sled::Error::Io(source),
            });
        }
        match open_waiting_for_lock(dir) {
            Ok(trees) => {
                *self.slot() = Some(Arc::new(trees));
                let mut health = self.health_lock();
                health.failing = None;
                health.reopened += 1;
                tracing::info!(
                    reopened = health.reopened,
                    "the store works again: the data folder was opened again after a disk failure"
                );
                Recovery::Reopened
            }
            Err(error) => {
                self.health_lock().failing = Some(error.to_string());
                Recovery::NotYet(error)
            }
        }
    }

    /// The open database, for one operation.
    pub(super) fn current(&self) -> Result<Arc<Trees>, StoreError> {
        let open = self
            .shared
            .trees
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        open.ok_or_else(|| StoreError::Closed {
            reason: self
                .health()
                .failing
                .unwrap_or_else(|| "it is being opened again".to_string()),
        })
    }

    /// Notes an error of an operation on `failed_on`: a disk failure closes
    /// that database, and the store is failing until [`Store::recover`]
    /// opens it again. A record that cannot be read is not one: opening the
    /// database again would not change it.
    pub(super) fn noticed(&self, error: &StoreError, failed_on: &Arc<Trees>) {
        if let (StoreError::Database { .. }, Database::Postgres(_)) = (error, &failed_on.database) {
            // The pool replaces closed connections by itself: nothing to
            // close here, only to report until the database answers again.
            let mut health = self.health_lock();
            health.disk_errors += 1;
            if health.failing.is_none() {
                tracing::error!(%error, "the PostgreSQL store failed: patients are still answered, but nothing is recorded until it works again");
                health.failing = Some(error.to_string());
            }
            return;
        }
        if !matches!(error, StoreError::Storage(sled::Error::Io(_))) {
            return;
        }
        let mut health = self.health_lock();
        health.disk_errors += 1;
        let mut slot = self.slot();
        // An operation that began before the store was opened again says
        // nothing about the new database.
        let current = slot
            .as_ref()
            .is_some_and(|open| Arc::ptr_eq(open, failed_on));
        if health.failing.is_some() || !current {
            return;
        }
        health.failing = Some(error.to_string());
        tracing::error!(%error, "the store cannot write to disk: patients are still answered, but nothing is recorded until it works again");
        // Closed as the operations under way finish with it. A temporary
        // store cannot be opened again, so it is left as it is.
        if self.path().is_some() {
            slot.take();
        }
    }

    /// Clears a PostgreSQL failure once the database answers again.
    fn reconnected(&self, db: &Postgres) -> Recovery {
        if self.health_lock().failing.is_none() {
            return Recovery::NotNeeded;
        }
        match db.ping() {
            Ok(()) => {
                let mut health = self.health_lock();
                health.failing = None;
                health.reopened += 1;
                tracing::info!("the PostgreSQL store works again");
                Recovery::Reopened
            }
            Err(error) => Recovery::NotYet(error),
        }
    }

    fn slot(&self) -> std::sync::RwLockWriteGuard<'_, Option<Arc<Trees>>> {
        self.shared
            .trees
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn health_lock(&self) -> MutexGuard<'_, StoreHealth> {
        self.shared
            .health
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Writes and removes a test file in `dir`: whether the disk takes writes.
fn disk_takes_writes(dir: &Path) -> std::io::Result<()> {
    let path = dir.join(TEST_FILE);
    let written = std::fs::File::create(&path).and_then(|mut file| {
        file.write_all(&vec![0; TEST_WRITE_BYTES])?;
        file.sync_all()
    });
    let _ = std::fs::remove_file(&path);
    written
}

/// Opens `dir`, waiting a little for the lock of a database this process
/// has just closed: sled's background threads let go of it shortly after
/// the last handle is dropped (a store reopened after a disk failure, or a
/// service restarted in the same process). Another process's lock is
/// reported after the wait.
pub(super) fn open_waiting_for_lock(dir: &Path) -> Result<Trees, StoreError> {
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        match open_dir(dir) {
            Err(StoreError::Locked { .. }) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            opened => return opened,
        }
    }
}
