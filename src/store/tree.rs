//! The store's records as ordered maps of bytes to bytes ("trees", sled's
//! word), whichever database keeps them: sled in the data folder, or
//! PostgreSQL (`postgres.rs`). The rest of the store (sealing, JSON, cases,
//! the outbox) is written once against [`Tree`] and [`TxTrees`], so both
//! backends give the same guarantees by construction.
//!
//! Keys sort bytewise on both (sled's order; `bytea` compares the same way
//! in PostgreSQL), so big-endian ids iterate oldest first on both.
//!
//! A transaction ([`Trees::transaction`]) sees every tree. Its body may run
//! more than once: sled retries it when another transaction touched the same
//! keys, PostgreSQL when a serializable transaction could not be ordered
//! (SQLSTATE 40001) or deadlocked. So a body must have no side effects
//! outside the transaction.

use std::sync::Arc;

use sled::transaction::{
    ConflictableTransactionError, TransactionError, TransactionalTree, UnabortableTransactionError,
};
use sled::Transactional;

use super::postgres::{PgConn, Postgres};
use super::StoreError;

/// A key and its value.
pub(super) type Record = (Vec<u8>, Vec<u8>);

/// The kinds of records, one tree each (the table in `mod.rs`).
pub(super) const TREE_NAMES: [&str; 11] = [
    "conversations",
    "cases",
    "outbox",
    "audit",
    "unanswered",
    "notices",
    "stats",
    "meta",
    "leases",
    "subscriptions",
    "record",
];

/// One tree of records.
#[derive(Debug, Clone)]
pub(super) enum Tree {
    Sled(sled::Tree),
    Postgres {
        db: Arc<Postgres>,
        name: &'static str,
    },
}

impl Tree {
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self {
            Tree::Sled(tree) => Ok(tree.get(key)?.map(|value| value.to_vec())),
            Tree::Postgres { db, name } => db.get(name, key),
        }
    }

    pub fn contains_key(&self, key: &[u8]) -> Result<bool, StoreError> {
        match self {
            Tree::Sled(tree) => Ok(tree.contains_key(key)?),
            Tree::Postgres { db, name } => Ok(db.get(name, key)?.is_some()),
        }
    }

    /// Stores `value` under `key`, replacing what was there.
    pub fn insert(&self, key: &[u8], value: Vec<u8>) -> Result<(), StoreError> {
        match self {
            Tree::Sled(tree) => {
                tree.insert(key, value)?;
                Ok(())
            }
            Tree::Postgres { db, name } => db.insert(name, key, &value),
        }
    }

    /// Removes `key`; what it held, if anything.
    pub fn remove(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self {
            Tree::Sled(tree) => Ok(tree.remove(key)?.map(|value| value.to_vec())),
            Tree::Postgres { db, name } => db.remove(name, key),
        }
    }

    /// Replaces `key`'s value with `new` only if it is still `old` (`None`:
    /// absent). Returns whether it did.
    pub fn compare_and_swap(
        &self,
        key: &[u8],
        old: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, StoreError> {
        match self {
            Tree::Sled(tree) => Ok(tree.compare_and_swap(key, old, new)?.is_ok()),
            Tree::Postgres { db, name } => db.compare_and_swap(name, key, old, new),
        }
    }

    /// Every record, in key order.
    pub fn records(&self) -> Result<Vec<Record>, StoreError> {
        match self {
            Tree::Sled(tree) => tree
                .iter()
                .map(|item| {
                    let (key, value) = item?;
                    Ok((key.to_vec(), value.to_vec()))
                })
                .collect(),
            Tree::Postgres { db, name } => db.records(name, &[]),
        }
    }

    /// The records whose keys begin with `prefix`, in key order.
    pub fn records_with_prefix(&self, prefix: &[u8]) -> Result<Vec<Record>, StoreError> {
        match self {
            Tree::Sled(tree) => tree
                .scan_prefix(prefix)
                .map(|item| {
                    let (key, value) = item?;
                    Ok((key.to_vec(), value.to_vec()))
                })
                .collect(),
            Tree::Postgres { db, name } => db.records(name, prefix),
        }
    }

    pub fn len(&self) -> Result<usize, StoreError> {
        match self {
            Tree::Sled(tree) => Ok(tree.len()),
            Tree::Postgres { db, name } => db.count(name),
        }
    }
}

/// Every tree of one store, and the database they are in.
#[derive(Debug)]
pub(super) struct Trees {
    pub database: Database,
    pub conversations: Tree,
    pub cases: Tree,
    pub outbox: Tree,
    pub audit: Tree,
    pub unanswered: Tree,
    pub notices: Tree,
    pub stats: Tree,
    pub meta: Tree,
    pub leases: Tree,
    pub subscriptions: Tree,
    pub record: Tree,
}

/// Where the trees live.
#[derive(Debug)]
pub(super) enum Database {
    /// For flushing and transactions; one per opening of the data folder
    /// (see `recovery.rs`).
    Sled(sled::Db),
    Postgres(Arc<Postgres>),
}

impl Trees {
    pub fn in_sled(db: sled::Db) -> Result<Trees, StoreError> {
        let [conversations, cases, outbox, audit, unanswered, notices, stats, meta, leases, subscriptions, record] =
            TREE_NAMES.map(|name| db.open_tree(name).map(Tree::Sled));
        Ok(Trees {
            conversations: conversations?,
            cases: cases?,
            outbox: outbox?,
            audit: audit?,
            unanswered: unanswered?,
            notices: notices?,
            stats: stats?,
            meta: meta?,
            leases: leases?,
            subscriptions: subscriptions?,
            record: record?,
            database: Database::Sled(db),
        })
    }

    pub fn in_postgres(db: Arc<Postgres>) -> Trees {
        let [conversations, cases, outbox, audit, unanswered, notices, stats, meta, leases, subscriptions, record] =
            TREE_NAMES.map(|name| Tree::Postgres {
                db: db.clone(),
                name,
            });
        Trees {
            conversations,
            cases,
            outbox,
            audit,
            unanswered,
            notices,
            stats,
            meta,
            leases,
            subscriptions,
            record,
            database: Database::Postgres(db),
        }
    }

    /// The tree called `name` (one of [`TREE_NAMES`]).
    pub fn tree(&self, name: &str) -> &Tree {
        match name {
            "conversations" => &self.conversations,
            "cases" => &self.cases,
            "outbox" => &self.outbox,
            "audit" => &self.audit,
            "unanswered" => &self.unanswered,
            "notices" => &self.notices,
            "stats" => &self.stats,
            "meta" => &self.meta,
            "leases" => &self.leases,
            "subscriptions" => &self.subscriptions,
            "record" => &self.record,
            other => unreachable!("no tree is called {other}"),
        }
    }

    /// Makes every id given from now on larger than `id` (after a copy).
    pub fn ids_above(&self, id: u64) -> Result<(), StoreError> {
        match &self.database {
            // sled has no way to set its counter: ids are drawn until past
            // `id` (in blocks, about 50 ns each).
            Database::Sled(db) => {
                while db.generate_id()? <= id {}
                Ok(())
            }
            Database::Postgres(db) => db.ids_above(id),
        }
    }

    /// Writes everything out to disk and waits for it.
    pub fn flush(&self) -> Result<(), StoreError> {
        match &self.database {
            Database::Sled(db) => {
                db.flush()?;
                Ok(())
            }
            Database::Postgres(db) => db.flush(),
        }
    }

    /// Runs `body` as one transaction over every tree: all its writes are
    /// stored or none. They are durable when this returns on PostgreSQL, and
    /// on sled if the body asked for it ([`TxTrees::flush_on_commit`]).
    /// `body` may run more than once (see the module notes).
    pub fn transaction<T>(
        &self,
        body: impl Fn(&TxTrees<'_>) -> Result<T, TxFail>,
    ) -> Result<T, StoreError> {
        match &self.database {
            Database::Sled(_) => {
                let trees = self.sled_trees();
                trees
                    .as_slice()
                    .transaction(|views: &Vec<TransactionalTree>| {
                        let tx = TxTrees::of(views.iter().map(TxTree::Sled).collect());
                        body(&tx).map_err(|fail| match fail {
                            TxFail::Conflict => ConflictableTransactionError::Conflict,
                            TxFail::Abort(error) => ConflictableTransactionError::Abort(error),
                        })
                    })
                    .map_err(|error| match error {
                        TransactionError::Abort(error) => error,
                        TransactionError::Storage(error) => StoreError::Storage(error),
                    })
            }
            Database::Postgres(db) => db.transaction(|conn| {
                body(&TxTrees::of(
                    TREE_NAMES
                        .iter()
                        .map(|name| TxTree::Postgres { conn, name })
                        .collect(),
                ))
            }),
        }
    }

    fn sled_trees(&self) -> Vec<&sled::Tree> {
        [
            &self.conversations,
            &self.cases,
            &self.outbox,
            &self.audit,
            &self.unanswered,
            &self.notices,
            &self.stats,
            &self.meta,
            &self.leases,
            &self.subscriptions,
            &self.record,
        ]
        .into_iter()
        .map(|tree| match tree {
            Tree::Sled(tree) => tree,
            Tree::Postgres { .. } => unreachable!("a sled database holds sled trees"),
        })
        .collect()
    }
}

/// Why a transaction's body stopped: it must run again, or it failed.
#[derive(Debug)]
pub(super) enum TxFail {
    /// Another transaction got in the way: run the body again.
    Conflict,
    Abort(StoreError),
}

impl From<StoreError> for TxFail {
    fn from(error: StoreError) -> TxFail {
        TxFail::Abort(error)
    }
}

impl From<UnabortableTransactionError> for TxFail {
    fn from(error: UnabortableTransactionError) -> TxFail {
        match error {
            UnabortableTransactionError::Conflict => TxFail::Conflict,
            UnabortableTransactionError::Storage(error) => {
                TxFail::Abort(StoreError::Storage(error))
            }
        }
    }
}

/// The trees as one transaction sees them.
pub(super) struct TxTrees<'a> {
    pub conversations: TxTree<'a>,
    pub cases: TxTree<'a>,
    pub outbox: TxTree<'a>,
    pub audit: TxTree<'a>,
    pub unanswered: TxTree<'a>,
    pub notices: TxTree<'a>,
    pub meta: TxTree<'a>,
    pub subscriptions: TxTree<'a>,
    pub record: TxTree<'a>,
}

impl TxTrees<'_> {
    /// Makes the transaction durable when it commits (sled writes its log
    /// out within half a second otherwise; a PostgreSQL commit is durable).
    pub fn flush_on_commit(&self) {
        if let TxTree::Sled(tree) = &self.meta {
            tree.flush();
        }
    }
}

impl<'a> TxTrees<'a> {
    /// From the trees in [`TREE_NAMES`] order.
    fn of(trees: Vec<TxTree<'a>>) -> TxTrees<'a> {
        let [conversations, cases, outbox, audit, unanswered, notices, _stats, meta, _leases, subscriptions, record]: [TxTree<'a>;
            11] = trees
            .try_into()
            .unwrap_or_else(|_| unreachable!("one view per tree"));
        TxTrees {
            conversations,
            cases,
            outbox,
            audit,
            unanswered,
            notices,
            meta,
            subscriptions,
            record,
        }
    }
}

/// One tree inside a transaction.
pub(super) enum TxTree<'a> {
    Sled(&'a TransactionalTree),
    Postgres {
        conn: &'a PgConn,
        name: &'static str,
    },
}

impl TxTree<'_> {
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TxFail> {
        match self {
            TxTree::Sled(tree) => Ok(tree.get(key)?.map(|value| value.to_vec())),
            TxTree::Postgres { conn, name } => conn.get(name, key).map_err(|e| conn.fail(e)),
        }
    }

    pub fn insert(&self, key: &[u8], value: Vec<u8>) -> Result<(), TxFail> {
        match self {
            TxTree::Sled(tree) => {
                tree.insert(key, value)?;
                Ok(())
            }
            TxTree::Postgres { conn, name } => {
                conn.insert(name, key, &value).map_err(|e| conn.fail(e))
            }
        }
    }

    pub fn remove(&self, key: &[u8]) -> Result<(), TxFail> {
        match self {
            TxTree::Sled(tree) => {
                tree.remove(key)?;
                Ok(())
            }
            TxTree::Postgres { conn, name } => {
                conn.remove(name, key).map(drop).map_err(|e| conn.fail(e))
            }
        }
    }

    /// A new id, larger than every id this store gave before (gaps allowed).
    pub fn generate_id(&self) -> Result<u64, TxFail> {
        match self {
            TxTree::Sled(tree) => tree
                .generate_id()
                .map_err(|error| TxFail::Abort(StoreError::Storage(error))),
            TxTree::Postgres { conn, .. } => conn.generate_id().map_err(|e| conn.fail(e)),
        }
    }
}
