//! Moving a store to another backend: `carebot store copy` copies a sled data
//! folder into PostgreSQL (or back), record for record, with the patients'
//! keys, and checks the copy by counting both sides.
//!
//! Records are copied as stored: sealed ones stay sealed (a sealed value is
//! bound to its tree and key, not to the database), so the copy needs the
//! keys and nothing is ever decrypted on the way. The id counters of the
//! copy are moved past the largest id copied, so that new outbox items and
//! audit entries never reuse one.

use super::tree::TREE_NAMES;
use super::{key_id, Counts, Store, StoreError};

/// What a copy moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    /// Records of every tree.
    pub records: usize,
    pub keys: usize,
    /// The copy's contents, read back and decoded (equal to the source's).
    pub counts: Counts,
}

impl Store {
    /// Copies everything in this store into `target`, which must be empty;
    /// both are checked afterwards (see the module notes). Run it while no
    /// carebot uses either.
    pub fn copy_into(&self, target: &Store) -> Result<Copied, StoreError> {
        let from = self.current()?;
        let to = target.current()?;
        for name in TREE_NAMES {
            if to.tree(name).len()? > 0 {
                return Err(StoreError::NotEmpty {
                    location: target.location(),
                });
            }
        }
        let keys = self.shared.keys.all()?;
        for (owner, key) in &keys {
            target.shared.keys.adopt(*owner, key)?;
        }
        let mut records = 0;
        let mut largest_id = 0;
        for name in TREE_NAMES {
            let copied = from.tree(name).records()?;
            for (key, value) in &copied {
                if name == "outbox" || name == "audit" {
                    largest_id = largest_id.max(key_id(key).unwrap_or(0));
                }
                to.tree(name).insert(key, value.clone())?;
            }
            records += copied.len();
        }
        to.ids_above(largest_id)?;
        to.flush()?;
        for name in TREE_NAMES {
            let (source, copy) = (from.tree(name).len()?, to.tree(name).len()?);
            if source != copy {
                return Err(StoreError::Inconsistent {
                    tree: name,
                    problem: format!("{source} records in the source, {copy} in the copy"),
                });
            }
        }
        let (source, counts) = (self.verify()?, target.verify()?);
        if source != counts {
            return Err(StoreError::Inconsistent {
                tree: "every",
                problem: format!("the source reads as {source:?}, the copy as {counts:?}"),
            });
        }
        Ok(Copied {
            records,
            keys: keys.len(),
            counts,
        })
    }
}
