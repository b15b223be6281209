//! Leases: which process does what when several share one store (PostgreSQL).
//!
//! A lease is a record in the `leases` tree, `name → {holder, until}`, taken
//! or renewed with a compare-and-swap, so two processes never both think
//! they hold it. Whoever holds it renews it well before `until`; a process
//! that dies stops renewing, and another takes the lease over once it runs
//! out. Uses:
//!
//! | lease | held while | so that |
//! |---|---|---|
//! | `outbox:<id>` | one outbox message is being delivered | it is sent by one process, and sent again by another if that one dies mid-delivery |
//! | `conversation:<tag>` | one patient message is being handled | a patient's messages are handled in order whichever process receives them |
//! | `upkeep` | reminders and retention purges run | they run in one process |
//! | `adapter:<platform>` | an adapter that must connect once per bot token runs (Discord's gateway, Telegram's long polling) | one process connects |
//!
//! On a sled store only one process exists, and callers skip leases
//! ([`Store::is_shared`]). Times are the machines' clocks: processes sharing
//! a database must keep them synchronised (NTP), as any cluster must.

use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{decode, encode, Owner, Store, StoreError};
use carebot_chat::Address;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Lease {
    holder: String,
    until: Timestamp,
}

impl Store {
    /// This process's name in leases: random, new at each start.
    pub fn instance(&self) -> &str {
        &self.shared.instance
    }

    /// Whether other processes may use this store at the same time (a
    /// PostgreSQL store), so that work must be coordinated through leases.
    pub fn is_shared(&self) -> bool {
        self.current()
            .is_ok_and(|trees| matches!(trees.database, super::tree::Database::Postgres(_)))
    }

    /// Takes the lease `name` for `period` from now, or renews it if this
    /// process holds it. Returns false when another process holds it and it
    /// has not run out.
    pub fn hold_lease(&self, name: &str, period: Duration) -> Result<bool, StoreError> {
        let key = name.as_bytes();
        self.with(|t| loop {
            let now = Timestamp::now();
            let old = t.leases.get(key)?;
            if let Some(bytes) = &old {
                let lease: Lease = decode("leases", key, bytes)?;
                if lease.holder != self.shared.instance && lease.until > now {
                    return Ok(false);
                }
            }
            let new = encode(
                "leases",
                &Lease {
                    holder: self.shared.instance.clone(),
                    until: crate::clock::after(now, period),
                },
            )?;
            if t.leases.compare_and_swap(key, old.as_deref(), Some(&new))? {
                return Ok(true);
            }
        })
    }

    /// Gives the lease `name` up, if this process holds it.
    pub fn release_lease(&self, name: &str) -> Result<(), StoreError> {
        let key = name.as_bytes();
        self.with(|t| {
            let Some(old) = t.leases.get(key)? else {
                return Ok(());
            };
            let lease: Lease = decode("leases", key, &old)?;
            if lease.holder == self.shared.instance {
                t.leases.compare_and_swap(key, Some(&old), None)?;
            }
            Ok(())
        })
    }
}

impl Store {
    /// Deletes leases that ran out long ago (an instance that died holding
    /// one, a delivery lease left when the outbox could not be updated), as
    /// part of the retention purge. Returns how many.
    pub(super) fn purge_leases(&self) -> Result<usize, StoreError> {
        let long_ago = crate::clock::before(Timestamp::now(), Duration::from_secs(3600));
        self.with(|t| {
            let mut removed = 0;
            for (key, bytes) in t.leases.records()? {
                let lease: Lease = decode("leases", &key, &bytes)?;
                if lease.until < long_ago && t.leases.compare_and_swap(&key, Some(&bytes), None)? {
                    removed += 1;
                }
            }
            Ok(removed)
        })
    }
}

/// The lease of one outbox message's delivery.
pub fn delivery_lease(id: u64) -> String {
    format!("outbox:{id}")
}

/// The lease of one patient's conversation: named by the tag that names
/// their key, so the leases tree shows no chat id.
pub fn conversation_lease(patient: &Address) -> String {
    let tag: String = Owner::of(patient)
        .as_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("conversation:{tag}")
}
