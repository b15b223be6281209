//! The store in PostgreSQL, for running several carebot processes on the same
//! data (failover, several practices, staff commands while `serve` runs).
//!
//! ## Schema
//!
//! The same trees as sled (see `mod.rs`), as rows of one table, plus the
//! patients' keys in a table of their own (`sealing.rs`):
//!
//! | table | rows |
//! |---|---|
//! | `carebot_records` | `(tree, key, value)`, primary key `(tree, key)`; values as sled holds them (JSON, or sealed) |
//! | `carebot_patient_keys` | `(owner, key)`: a SHA-256 tag of the patient's address and their key |
//! | `carebot_ids` | a sequence: outbox and audit ids |
//! | `carebot_schema` | the migrations applied (`migrations/*.sql`, in order) |
//!
//! Migrations are applied when a store is opened (under an advisory lock, so
//! two processes starting together apply each once), or by `carebot store
//! migrate`. A database set up by a newer carebot is refused, not altered.
//!
//! ## Consistency
//!
//! A transaction runs at `SERIALIZABLE` isolation and is run again when
//! PostgreSQL cannot order it with another (SQLSTATE 40001, or a deadlock),
//! which is what sled does with its optimistic transactions: so "a case, its
//! notification and its audit entry, all or none" holds across processes as
//! it holds across threads.
//!
//! Durability follows sled's (see `mod.rs`): what someone is told about is
//! durable before they are told. Transactions (a case and what goes with it,
//! a deletion) and the patients' keys commit synchronously; single writes (a
//! conversation saved, a delivery confirmed, a lease taken) commit
//! asynchronously (`synchronous_commit = off` on the pooled connections), as
//! sled writes them within half a second: a crash of the database server may
//! lose the last fraction of a second of them, never corrupts anything, and
//! costs a repeated question or a message sent twice. [`Postgres::flush`]
//! makes everything before it durable. This is what makes a patient's
//! message cost a few round trips rather than a few disk syncs.
//!
//! ## Threads
//!
//! The store's methods are synchronous (sled's are), and are called from
//! async tasks. `tokio_postgres` is async: each connection is driven on a
//! thread of its own, on a small single-threaded runtime, and the store waits
//! for a query's answer with a plain `block_on` that needs no runtime. (The
//! synchronous `postgres` crate cannot be used: it starts a runtime inside
//! the caller's, which tokio forbids.)
//!
//! The URL may carry a password: it is never logged or shown; errors name
//! the host and database only ([`Postgres::describe`]).

use std::str::FromStr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use futures_executor::block_on;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, Statement};

use super::tree::{Record, TxFail};
use super::StoreError;

/// The migrations, in order. Their numbers are their positions plus one.
const MIGRATIONS: &[&str] = &[include_str!("migrations/0001_records.sql")];

/// Held while migrating, so that processes starting together take turns.
const MIGRATION_LOCK: i64 = 0x6361_7265_626f_7401; // "carebot" + 1

/// Connections for records. A transaction holds one for its duration.
const POOL_SIZE: usize = 4;

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A PostgreSQL database holding a store.
pub struct Postgres {
    config: Config,
    /// Host and database, for messages (never the password).
    describe: String,
    pool: Pool,
    /// A connection for the patients' keys alone: a transaction on a pooled
    /// connection may need a key made, and must never wait for the pool it
    /// holds a connection of.
    keys: Mutex<Option<PgConn>>,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("database", &self.describe)
            .finish_non_exhaustive()
    }
}

/// Whether `text` names a PostgreSQL database rather than a data folder.
pub fn is_url(text: &str) -> bool {
    text.starts_with("postgres://") || text.starts_with("postgresql://")
}

impl Postgres {
    /// Connects to the database at `url`, applying any migration it lacks.
    pub fn connect(url: &str) -> Result<Arc<Postgres>, StoreError> {
        let mut config = Config::from_str(url).map_err(|error| StoreError::Database {
            database: "at the URL given".to_string(),
            problem: format!("the URL cannot be read: {error}"),
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("carebot");
        }
        let describe = describe(&config);
        let db = Postgres {
            pool: Pool::default(),
            keys: Mutex::new(None),
            config,
            describe,
        };
        // Statements are prepared against the migrated schema.
        let client = connect_client(&db.config).map_err(|problem| db.unreachable(problem))?;
        db.migrate(&client)?;
        let first = PgConn::ready(client).map_err(|problem| db.unreachable(problem))?;
        db.pool.adopt(first);
        Ok(Arc::new(db))
    }

    /// Host and database, for messages.
    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<usize, StoreError> {
        self.on_connection(|conn| applied_version(&conn.client))
    }

    /// A connection for the pool: single writes on it commit
    /// asynchronously (see the module notes).
    fn open_connection(&self) -> Result<PgConn, StoreError> {
        let conn = self.open_synchronous()?;
        block_on(conn.client.batch_execute("SET synchronous_commit = off"))
            .map_err(|e| self.failed(e))?;
        Ok(conn)
    }

    /// A connection whose every commit is durable when it returns.
    fn open_synchronous(&self) -> Result<PgConn, StoreError> {
        connect_client(&self.config)
            .and_then(PgConn::ready)
            .map_err(|problem| self.unreachable(problem))
    }

    /// Makes every commit before this one durable: a synchronous commit
    /// flushes the write-ahead log up to itself, and so everything before.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.on_connection(|conn| {
            block_on(conn.client.batch_execute(
                "BEGIN; SET LOCAL synchronous_commit = on; SELECT txid_current(); COMMIT",
            ))
        })
    }

    fn unreachable(&self, problem: String) -> StoreError {
        StoreError::Database {
            database: self.describe.clone(),
            problem,
        }
    }

    /// An error of this database, with what it is (never its password).
    fn failed(&self, error: tokio_postgres::Error) -> StoreError {
        StoreError::Database {
            database: self.describe.clone(),
            problem: error_text(&error),
        }
    }

    fn migrate(&self, client: &Client) -> Result<(), StoreError> {
        let run = || -> Result<(), tokio_postgres::Error> {
            block_on(client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK]))?;
            block_on(client.batch_execute(
                "CREATE TABLE IF NOT EXISTS carebot_schema (
                     version integer PRIMARY KEY,
                     applied_at timestamptz NOT NULL DEFAULT now())",
            ))?;
            Ok(())
        };
        let result = run().map_err(|e| self.failed(e)).and_then(|()| {
            let applied = applied_version(client).map_err(|e| self.failed(e))?;
            if applied > MIGRATIONS.len() {
                return Err(StoreError::Database {
                    database: self.describe.clone(),
                    problem: format!(
                        "its schema is at version {applied}, newer than this carebot knows ({}); run the newer carebot, or restore a backup",
                        MIGRATIONS.len()
                    ),
                });
            }
            for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
                let version = index as i32 + 1;
                let apply = || -> Result<(), tokio_postgres::Error> {
                    block_on(client.batch_execute("BEGIN"))?;
                    block_on(client.batch_execute(sql))?;
                    block_on(client.execute(
                        "INSERT INTO carebot_schema (version) VALUES ($1)",
                        &[&version],
                    ))?;
                    block_on(client.batch_execute("COMMIT"))
                };
                if let Err(error) = apply() {
                    let _ = block_on(client.batch_execute("ROLLBACK"));
                    return Err(self.failed(error));
                }
                tracing::info!(version, "the PostgreSQL store's schema was migrated");
            }
            Ok(())
        });
        let unlocked =
            block_on(client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]));
        result?;
        unlocked.map_err(|e| self.failed(e))?;
        Ok(())
    }

    /// A connection from the pool (a new one if the pool has none idle and
    /// fewer than [`POOL_SIZE`] exist); give it back with `put_back`.
    fn checkout(&self) -> Result<PgConn, StoreError> {
        match self.pool.take() {
            Taken::Idle(conn) if !conn.client.is_closed() => Ok(conn),
            // A connection the server closed (a restart, a failover) is
            // replaced by a new one.
            Taken::Idle(_) | Taken::MayOpen => self.open_connection().inspect_err(|_| {
                self.pool.lost_one();
            }),
        }
    }

    /// Runs `operation` on a pooled connection.
    fn on_connection<T>(
        &self,
        operation: impl FnOnce(&PgConn) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, StoreError> {
        let conn = self.checkout()?;
        let result = operation(&conn).map_err(|e| self.failed(e));
        self.pool.put_back(conn);
        result
    }

    pub fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.on_connection(|conn| conn.get(tree, key))
    }

    pub fn insert(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.on_connection(|conn| conn.insert(tree, key, value))
    }

    pub fn remove(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.on_connection(|conn| conn.remove(tree, key))
    }

    pub fn compare_and_swap(
        &self,
        tree: &str,
        key: &[u8],
        old: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, StoreError> {
        self.on_connection(|conn| {
            let s = &conn.statements;
            let client = &conn.client;
            let changed = match (old, new) {
                (None, None) => return Ok(conn.get(tree, key)?.is_none()),
                (None, Some(new)) => block_on(client.execute(&s.insert_new, &[&tree, &key, &new]))?,
                (Some(old), Some(new)) => {
                    block_on(client.execute(&s.update_if, &[&tree, &key, &old, &new]))?
                }
                (Some(old), None) => block_on(client.execute(&s.delete_if, &[&tree, &key, &old]))?,
            };
            Ok(changed == 1)
        })
    }

    /// The records of `tree` whose keys begin with `prefix`, in key order.
    pub fn records(&self, tree: &str, prefix: &[u8]) -> Result<Vec<Record>, StoreError> {
        self.on_connection(|conn| {
            let rows = block_on(
                conn.client
                    .query(&conn.statements.records, &[&tree, &prefix]),
            )?;
            Ok(rows
                .into_iter()
                .map(|row| (row.get(0), row.get(1)))
                .collect())
        })
    }

    pub fn count(&self, tree: &str) -> Result<usize, StoreError> {
        self.on_connection(|conn| {
            let row = block_on(conn.client.query_one(&conn.statements.count, &[&tree]))?;
            Ok(row.get::<_, i64>(0) as usize)
        })
    }

    /// Runs `body` in a serializable transaction, again while PostgreSQL
    /// reports that it could not be ordered with another.
    pub fn transaction<T>(
        &self,
        body: impl Fn(&PgConn) -> Result<T, TxFail>,
    ) -> Result<T, StoreError> {
        let conn = self.checkout()?;
        let result = self.transaction_on(&conn, body);
        self.pool.put_back(conn);
        result
    }

    fn transaction_on<T>(
        &self,
        conn: &PgConn,
        body: impl Fn(&PgConn) -> Result<T, TxFail>,
    ) -> Result<T, StoreError> {
        let client = &conn.client;
        loop {
            block_on(client.batch_execute(
                "BEGIN ISOLATION LEVEL SERIALIZABLE; SET LOCAL synchronous_commit = on",
            ))
            .map_err(|e| self.failed(e))?;
            let outcome = body(conn).and_then(|value| {
                block_on(client.batch_execute("COMMIT"))
                    .map(|()| value)
                    .map_err(|error| conn.fail(error))
            });
            match outcome {
                Ok(value) => return Ok(value),
                Err(TxFail::Conflict) => {
                    let _ = block_on(client.batch_execute("ROLLBACK"));
                }
                Err(TxFail::Abort(error)) => {
                    let _ = block_on(client.batch_execute("ROLLBACK"));
                    return Err(match error {
                        StoreError::Database { problem, .. } => StoreError::Database {
                            database: self.describe.clone(),
                            problem,
                        },
                        other => other,
                    });
                }
            }
        }
    }

    /// Runs `operation` on the keys' own connection.
    fn on_keys<T>(
        &self,
        operation: impl FnOnce(&PgConn) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, StoreError> {
        let mut slot = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_none_or(|conn| conn.client.is_closed()) {
            // A key must be on disk before it seals anything.
            *slot = Some(self.open_synchronous()?);
        }
        let conn = slot.as_ref().expect("opened above");
        operation(conn).map_err(|e| self.failed(e))
    }

    /// `owner`'s key, if they have one.
    pub fn patient_key(&self, owner: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.on_keys(|conn| {
            let row = block_on(conn.client.query_opt(&conn.statements.key, &[&owner]))?;
            Ok(row.map(|row| row.get(0)))
        })
    }

    /// Keeps `key` as `owner`'s key unless they already have one (another
    /// process made it first); returns the key they have now.
    pub fn keep_patient_key(&self, owner: &[u8], key: &[u8]) -> Result<Vec<u8>, StoreError> {
        self.on_keys(|conn| {
            block_on(
                conn.client
                    .execute(&conn.statements.new_key, &[&owner, &key]),
            )?;
            let row = block_on(conn.client.query_one(&conn.statements.key, &[&owner]))?;
            Ok(row.get(0))
        })
    }

    /// Deletes `owner`'s key; whether they had one.
    pub fn delete_patient_key(&self, owner: &[u8]) -> Result<bool, StoreError> {
        self.on_keys(|conn| {
            let deleted = block_on(conn.client.execute(&conn.statements.delete_key, &[&owner]))?;
            Ok(deleted > 0)
        })
    }

    /// Every patient's key (for copying the store).
    /// Each as (owner, key), like a [`Record`].
    pub fn all_patient_keys(&self) -> Result<Vec<Record>, StoreError> {
        self.on_keys(|conn| {
            let rows = block_on(
                conn.client
                    .query("SELECT owner, key FROM carebot_patient_keys", &[]),
            )?;
            Ok(rows
                .into_iter()
                .map(|row| (row.get(0), row.get(1)))
                .collect())
        })
    }

    /// Makes the id sequence give ids above `id` from now on.
    pub fn ids_above(&self, id: u64) -> Result<(), StoreError> {
        let id = i64::try_from(id).unwrap_or(i64::MAX);
        self.on_connection(|conn| {
            block_on(conn.client.execute(
                "SELECT setval('carebot_ids', greatest($1, (SELECT last_value FROM carebot_ids)))",
                &[&id],
            ))
            .map(drop)
        })
    }

    /// Whether the database answers (for getting out of a failure).
    pub fn ping(&self) -> Result<(), StoreError> {
        self.on_connection(|conn| block_on(conn.client.batch_execute("SELECT 1")))
    }
}

/// The highest migration applied.
fn applied_version(client: &Client) -> Result<usize, tokio_postgres::Error> {
    let row =
        block_on(client.query_one("SELECT coalesce(max(version), 0) FROM carebot_schema", &[]))?;
    Ok(row.get::<_, i32>(0) as usize)
}

/// "host:port/database" for messages.
fn describe(config: &Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|host| match host {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".to_string());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let database = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("postgres://{host}:{port}/{database}")
}

/// What went wrong, with the server's message when it sent one.
fn error_text(error: &tokio_postgres::Error) -> String {
    use std::error::Error;
    match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        // The client's own errors name only their kind ("error connecting to
        // server"); the cause ("Connection refused") is their source.
        None => match error.source() {
            Some(cause) => format!("{error}: {cause}"),
            None => error.to_string(),
        },
    }
}

/// Connects; what went wrong if it cannot.
fn connect_client(config: &Config) -> Result<Client, String> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let config = config.clone();
    let tls = tls();
    let spawned = std::thread::Builder::new()
        .name("carebot-postgres".to_string())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    let _ = sender.send(Err(format!("cannot start a runtime: {error}")));
                    return;
                }
            };
            runtime.block_on(async move {
                match config.connect(tls).await {
                    Ok((client, connection)) => {
                        let _ = sender.send(Ok(client));
                        // Runs until the client is dropped or the server
                        // goes away; the pool then opens another.
                        if let Err(error) = connection.await {
                            tracing::warn!(problem = %error_text(&error), "a PostgreSQL connection closed");
                        }
                    }
                    Err(error) => {
                        let _ = sender.send(Err(error_text(&error)));
                    }
                }
            });
        });
    if let Err(error) = spawned {
        return Err(format!("cannot start a thread for the connection: {error}"));
    }
    receiver
        .recv()
        .map_err(|_| "the connection's thread stopped".to_string())?
}

/// One connection, its prepared statements, and the thread that drives it.
pub struct PgConn {
    client: Client,
    /// Boxed: a dozen statements, moved with the connection in and out of
    /// the pool.
    statements: Box<Statements>,
}

struct Statements {
    get: Statement,
    upsert: Statement,
    delete: Statement,
    insert_new: Statement,
    update_if: Statement,
    delete_if: Statement,
    records: Statement,
    count: Statement,
    next_id: Statement,
    key: Statement,
    new_key: Statement,
    delete_key: Statement,
}

impl PgConn {
    /// A connected client with the store's statements prepared.
    fn ready(client: Client) -> Result<PgConn, String> {
        let statements =
            block_on(Statements::prepare(&client)).map_err(|error| error_text(&error))?;
        Ok(PgConn {
            client,
            statements: Box::new(statements),
        })
    }

    /// A failure inside a transaction: run it again, or give up.
    pub fn fail(&self, error: tokio_postgres::Error) -> TxFail {
        let retry = matches!(
            error.code(),
            Some(code) if *code == SqlState::T_R_SERIALIZATION_FAILURE
                || *code == SqlState::T_R_DEADLOCK_DETECTED
        );
        if retry {
            TxFail::Conflict
        } else {
            TxFail::Abort(StoreError::Database {
                database: String::new(),
                problem: error_text(&error),
            })
        }
    }

    // The queries, the same inside a transaction and on their own: the
    // caller turns the client's error into a store error or a `TxFail`.

    pub fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, tokio_postgres::Error> {
        let row = block_on(self.client.query_opt(&self.statements.get, &[&tree, &key]))?;
        Ok(row.map(|row| row.get(0)))
    }

    pub fn insert(
        &self,
        tree: &str,
        key: &[u8],
        value: &[u8],
    ) -> Result<(), tokio_postgres::Error> {
        block_on(
            self.client
                .execute(&self.statements.upsert, &[&tree, &key, &value]),
        )
        .map(drop)
    }

    /// Removes `key`; what it held.
    pub fn remove(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, tokio_postgres::Error> {
        let row = block_on(
            self.client
                .query_opt(&self.statements.delete, &[&tree, &key]),
        )?;
        Ok(row.map(|row| row.get(0)))
    }

    pub fn generate_id(&self) -> Result<u64, tokio_postgres::Error> {
        let row = block_on(self.client.query_one(&self.statements.next_id, &[]))?;
        Ok(row.get::<_, i64>(0) as u64)
    }
}

impl Statements {
    async fn prepare(client: &Client) -> Result<Statements, tokio_postgres::Error> {
        Ok(Statements {
            get: client
                .prepare("SELECT value FROM carebot_records WHERE tree = $1 AND key = $2")
                .await?,
            upsert: client
                .prepare(
                    "INSERT INTO carebot_records (tree, key, value) VALUES ($1, $2, $3)
                     ON CONFLICT (tree, key) DO UPDATE SET value = EXCLUDED.value",
                )
                .await?,
            delete: client
                .prepare("DELETE FROM carebot_records WHERE tree = $1 AND key = $2 RETURNING value")
                .await?,
            insert_new: client
                .prepare(
                    "INSERT INTO carebot_records (tree, key, value) VALUES ($1, $2, $3)
                     ON CONFLICT (tree, key) DO NOTHING",
                )
                .await?,
            update_if: client
                .prepare(
                    "UPDATE carebot_records SET value = $4
                     WHERE tree = $1 AND key = $2 AND value = $3",
                )
                .await?,
            delete_if: client
                .prepare("DELETE FROM carebot_records WHERE tree = $1 AND key = $2 AND value = $3")
                .await?,
            records: client
                .prepare(
                    "SELECT key, value FROM carebot_records
                     WHERE tree = $1 AND substring(key FROM 1 FOR length($2::bytea)) = $2::bytea
                     ORDER BY key",
                )
                .await?,
            count: client
                .prepare("SELECT count(*) FROM carebot_records WHERE tree = $1")
                .await?,
            next_id: client.prepare("SELECT nextval('carebot_ids')").await?,
            key: client
                .prepare("SELECT key FROM carebot_patient_keys WHERE owner = $1")
                .await?,
            new_key: client
                .prepare(
                    "INSERT INTO carebot_patient_keys (owner, key) VALUES ($1, $2)
                     ON CONFLICT (owner) DO NOTHING",
                )
                .await?,
            delete_key: client
                .prepare("DELETE FROM carebot_patient_keys WHERE owner = $1")
                .await?,
        })
    }
}

/// TLS with the Mozilla roots, when the URL asks for it (`sslmode=require`)
/// or the server offers it (`prefer`, the default).
fn tls() -> tokio_postgres_rustls::MakeRustlsConnect {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports TLS 1.2 and 1.3")
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_postgres_rustls::MakeRustlsConnect::new(config)
}

/// Idle connections, and how many exist.
#[derive(Default)]
struct Pool {
    state: Mutex<PoolState>,
    returned: Condvar,
}

#[derive(Default)]
struct PoolState {
    idle: Vec<PgConn>,
    /// Connections that exist, idle or in use.
    open: usize,
}

enum Taken {
    Idle(PgConn),
    /// None idle, and a new one may be opened (counted as open already).
    MayOpen,
}

impl Pool {
    fn take(&self) -> Taken {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(conn) = state.idle.pop() {
                return Taken::Idle(conn);
            }
            if state.open < POOL_SIZE {
                state.open += 1;
                return Taken::MayOpen;
            }
            state = self.returned.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// A connection opened outside the pool joins it.
    fn adopt(&self, conn: PgConn) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.open += 1;
        state.idle.push(conn);
    }

    fn put_back(&self, conn: PgConn) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if conn.client.is_closed() {
            state.open = state.open.saturating_sub(1);
        } else {
            state.idle.push(conn);
        }
        self.returned.notify_one();
    }

    /// A connection counted as open could not be opened.
    fn lost_one(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.open = state.open.saturating_sub(1);
        self.returned.notify_one();
    }
}
