//! A throwaway PostgreSQL server for the tests: one cluster per test run,
//! created with `initdb` in a temporary folder, listening on a free port of
//! 127.0.0.1, and one fresh database per test ([`database`]), so tests run
//! in parallel without seeing each other's records.
//!
//! The server runs under a small shell watchdog whose standard input is held
//! by this process: when the test binary exits (or is killed), the pipe
//! closes, and the watchdog stops the server and deletes its folder.
//!
//! `initdb` refuses to run as root: as root, the cluster runs as the
//! `postgres` system user (`runuser`). PostgreSQL's programs are found on
//! `$PATH`, under `$CAREBOT_PG_BIN`, or in `/usr/lib/postgresql/<version>/bin`.
//!
//! Without PostgreSQL installed, [`database`] returns `None` and the tests
//! that need it say so and pass, on a developer's machine; with
//! `$CAREBOT_REQUIRE_POSTGRES` set (`.ci/run` sets it) they fail instead.

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The running cluster.
pub struct Cluster {
    pub port: u16,
    bin: PathBuf,
    as_postgres_user: bool,
    /// Held open: closing it stops the server (see the module notes).
    _watchdog: Mutex<(Child, ChildStdin)>,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// The URL of a new, empty database on the shared cluster; `None` (after
/// saying why) when PostgreSQL is not installed and not required.
pub fn database() -> Option<String> {
    let cluster = match CLUSTER.get_or_init(start) {
        Ok(cluster) => cluster,
        Err(why) => {
            if std::env::var_os("CAREBOT_REQUIRE_POSTGRES").is_some() {
                panic!("PostgreSQL is required ($CAREBOT_REQUIRE_POSTGRES) but: {why}");
            }
            eprintln!("skipped: this test needs PostgreSQL ({why})");
            return None;
        }
    };
    let name = format!(
        "carebot_test_{}_{}",
        std::process::id(),
        DATABASES.fetch_add(1, Ordering::SeqCst)
    );
    let created = cluster
        .command("createdb")
        .args(["-h", "127.0.0.1", "-p", &cluster.port.to_string()])
        .args(["-U", "carebot", &name])
        .output()
        .expect("createdb runs");
    assert!(
        created.status.success(),
        "createdb failed: {}",
        String::from_utf8_lossy(&created.stderr)
    );
    Some(cluster.url(&name))
}

impl Cluster {
    pub fn url(&self, database: &str) -> String {
        format!("postgres://carebot@127.0.0.1:{}/{database}", self.port)
    }

    /// One of PostgreSQL's programs, run as the cluster's owner.
    fn command(&self, program: &str) -> Command {
        as_owner(self.as_postgres_user, self.bin.join(program))
    }
}

fn as_owner(as_postgres_user: bool, program: impl AsRef<std::ffi::OsStr>) -> Command {
    if as_postgres_user {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// Where PostgreSQL's programs are.
fn find_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CAREBOT_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    if let Some(path) = std::env::var_os("PATH") {
        // Debian links a few of the programs into /usr/local/bin: the
        // others (pg_isready, createdb) are beside the link's target.
        let initdb = std::env::split_paths(&path)
            .map(|dir| dir.join("initdb"))
            .find(|initdb| initdb.is_file());
        if let Some(dir) = initdb
            .and_then(|initdb| initdb.canonicalize().ok())
            .and_then(|initdb| Some(initdb.parent()?.to_path_buf()))
        {
            return Some(dir);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    versions.sort_by_key(|bin| {
        bin.parent()
            .and_then(|version| version.file_name())
            .and_then(|name| name.to_str()?.parse::<u32>().ok())
    });
    versions.pop()
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

fn start() -> Result<Cluster, String> {
    let bin = find_bin().ok_or("initdb not found: install PostgreSQL, or set $CAREBOT_PG_BIN")?;
    let as_postgres_user = is_root();
    // Not a TempDir: the watchdog deletes it after the server stops, which
    // is after this process is gone.
    let dir = std::env::temp_dir().join(format!("carebot-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    if as_postgres_user {
        let owned = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .status()
            .map_err(|e| format!("chown: {e}"))?;
        if !owned.success() {
            return Err("cannot give the cluster's folder to the postgres user".into());
        }
    }
    let data = dir.join("data");
    let port = free_port();
    let initdb = as_owner(as_postgres_user, bin.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args(["-U", "carebot", "--auth=trust", "--no-sync", "-E", "UTF8"])
        .output()
        .map_err(|e| format!("initdb cannot run: {e}"))?;
    if !initdb.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&initdb.stderr)
        ));
    }
    let server = format!(
        "{} -D {} -p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300",
        bin.join("postgres").display(),
        data.display(),
        dir.display(),
    );
    // Stops the server when stdin closes (this process ended), then deletes
    // the cluster.
    let script = format!(
        "{server} >{log} 2>&1 & pid=$!; read _; kill -INT $pid; wait $pid; rm -rf {dir}",
        log = dir.join("server.log").display(),
        dir = dir.display(),
    );
    let mut child = as_owner(as_postgres_user, "sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start postgres: {e}"))?;
    let stdin = child.stdin.take().expect("piped stdin");
    let cluster = Cluster {
        port,
        bin,
        as_postgres_user,
        _watchdog: Mutex::new((child, stdin)),
    };
    wait_until_ready(&cluster, &dir)?;
    Ok(cluster)
}

fn wait_until_ready(cluster: &Cluster, dir: &Path) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = cluster
            .command("pg_isready")
            .args(["-h", "127.0.0.1", "-p", &cluster.port.to_string(), "-q"])
            .status()
            .is_ok_and(|status| status.success());
        if ready {
            return Ok(());
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
            return Err(format!("the server did not start within 30 s: {log}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
