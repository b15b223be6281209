//! The admin socket, `<data>/admin.sock`: while `serve` holds the data folder
//! (sled allows one process per folder), the staff commands at the terminal
//! (`cases`, `case`, `report`, `purge`, `notice send`) send their request
//! here and `serve` answers it from its own service, rendered by the same
//! code the command would run itself (`cli/admin.rs`, which also has the
//! client side).
//!
//! Local only: a Unix socket, 0600, in the 0700 data folder, and a peer
//! whose user is not the one running `serve` is refused. Created at start
//! (replacing one left by a `serve` that did not stop cleanly), served until
//! shutdown, removed at exit.

use std::future::Future;
use std::io::ErrorKind;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinSet;

use carebot::Service;

use super::super::admin::{socket_path, Answer, Request};
use super::shutdown::Shutdown;

/// A request is one short JSON line; anything longer is not one.
const REQUEST_LIMIT: u64 = 64 * 1024;

/// A client that sends no request line in this long is dropped, so idle
/// connections cannot pile up.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The bound socket, ready to serve.
pub struct Listening {
    listener: std::os::unix::net::UnixListener,
    file: SocketFile,
}

/// The socket's file, which `serve` removes at exit if it is still the one
/// it made (never a newer `serve`'s).
struct SocketFile {
    path: PathBuf,
    /// Device and inode of the socket this process bound.
    made: (u64, u64),
    /// The user that runs `serve` (the socket's owner): the only peer served.
    owner: u32,
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        let ours = std::fs::symlink_metadata(&self.path)
            .is_ok_and(|metadata| (metadata.dev(), metadata.ino()) == self.made);
        if ours {
            if let Err(error) = std::fs::remove_file(&self.path) {
                tracing::warn!(%error, path = %self.path.display(), "cannot remove the admin socket");
            }
        }
    }
}

/// Binds the admin socket in the data folder `data`, which this process
/// holds (so a socket already there is a stale one). On failure staff
/// commands cannot reach this `serve`, which is logged; patients are served
/// all the same.
pub fn bind(data: &Path) -> Option<Listening> {
    let path = socket_path(data);
    let bound = remove_stale(&path)
        .and_then(|()| std::os::unix::net::UnixListener::bind(&path))
        .and_then(|listener| {
            // The folder is 0700 already; the socket's own mode keeps it
            // private even if the folder is opened up later.
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            listener.set_nonblocking(true)?;
            let metadata = std::fs::symlink_metadata(&path)?;
            Ok(Listening {
                listener,
                file: SocketFile {
                    path: path.clone(),
                    made: (metadata.dev(), metadata.ino()),
                    owner: metadata.uid(),
                },
            })
        });
    match bound {
        Ok(listening) => Some(listening),
        Err(error) => {
            tracing::warn!(%error, path = %path.display(), "cannot create the admin socket: staff commands at the terminal cannot reach this carebot while it runs");
            None
        }
    }
}

fn remove_stale(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

/// Serves `listening` until `shutdown` trips, then removes the socket and
/// lets the requests already read finish (a purge cut short would leave
/// the staff member guessing whether it ran).
pub async fn run(listening: Listening, service: Arc<Service>, shutdown: Shutdown) {
    let Listening { listener, file } = listening;
    let listener = match UnixListener::from_std(listener) {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(%error, "cannot serve the admin socket");
            return;
        }
    };
    tracing::info!(path = %file.path.display(), "admin socket listening: staff commands at the terminal are answered here");
    let stopped = shutdown.wait();
    tokio::pin!(stopped);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(answer(stream, service.clone(), file.owner, shutdown.wait()));
                }
                Err(error) => {
                    // Out of file descriptors and the like: wait, don't spin.
                    tracing::warn!(%error, "cannot accept an admin connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    drop(file);
    while connections.join_next().await.is_some() {}
}

/// Reads one request from `stream` and writes its answer.
async fn answer(
    mut stream: UnixStream,
    service: Arc<Service>,
    owner: u32,
    shutdown: impl Future<Output = ()>,
) {
    let answer = match stream.peer_cred() {
        Ok(peer) if peer.uid() == owner => {
            let mut line = String::new();
            let mut reader = BufReader::new((&mut stream).take(REQUEST_LIMIT));
            let reading = reader.read_line(&mut line);
            let read = tokio::select! {
                _ = shutdown => return,
                read = tokio::time::timeout(REQUEST_TIMEOUT, reading) => read,
            };
            match read {
                Ok(Ok(_)) => match serde_json::from_str::<Request>(&line) {
                    Ok(request) => run_request(request, service).await,
                    Err(error) => Answer::failed(format!(
                        "carebot serve cannot read the request ({error}): is the command from another version of carebot?"
                    )),
                },
                Ok(Err(error)) => {
                    tracing::debug!(%error, "admin connection ended");
                    return;
                }
                Err(_) => return,
            }
        }
        _ => {
            tracing::warn!("admin connection from another user refused");
            Answer::failed("carebot serve answers only the user it runs as on its admin socket")
        }
    };
    let mut json = match serde_json::to_string(&answer) {
        Ok(json) => json,
        Err(error) => {
            tracing::error!(%error, "cannot encode an admin answer");
            return;
        }
    };
    json.push('\n');
    if let Err(error) = stream.write_all(json.as_bytes()).await {
        tracing::debug!(%error, "the staff command left before its answer");
    }
    let _ = stream.shutdown().await;
}

/// Runs `request` on the service, off the async threads (it reads and
/// writes the store).
async fn run_request(request: Request, service: Arc<Service>) -> Answer {
    let command = request.command.name();
    match tokio::task::spawn_blocking(move || request.answer(&service)).await {
        Ok(answer) => {
            tracing::info!(
                command,
                failed = answer.error.is_some(),
                "staff command answered"
            );
            answer
        }
        Err(error) => {
            tracing::error!(%error, command, "a staff command failed");
            Answer::failed(format!("carebot serve failed while running `{command}`"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use carebot::clock::SystemClock;
    use carebot::{Engine, HandoffSettings, Store};

    fn service() -> Arc<Service> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/knowledge");
        Arc::new(Service::new(
            Arc::new(Engine::new(carebot::load_dir(&dir).unwrap())),
            Store::temporary().unwrap(),
            HandoffSettings::default(),
            Arc::new(SystemClock),
        ))
    }

    /// Sends `line` and reads the answer line.
    async fn exchange(path: &Path, line: &str) -> String {
        let mut stream = UnixStream::connect(path).await.unwrap();
        stream.write_all(line.as_bytes()).await.unwrap();
        let mut answer = String::new();
        BufReader::new(stream).read_line(&mut answer).await.unwrap();
        answer
    }

    #[tokio::test]
    async fn answers_requests_and_an_idle_client_does_not_hold_up_shutdown() {
        let dir = tempfile::tempdir().unwrap();
        let path = socket_path(dir.path());
        // A stale socket from a serve that did not stop cleanly.
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        let listening = bind(dir.path()).expect("binds over the stale socket");
        let shutdown = Shutdown::default();
        let server = tokio::spawn(run(listening, service(), shutdown.clone()));

        let answer = exchange(
            &path,
            "{\"login\":\"frontdesk\",\"command\":{\"cases\":{\"status\":null}}}\n",
        )
        .await;
        let answer: Answer = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer.output, "No cases.\n");
        assert_eq!((answer.error, answer.status), (None, 0));
        let garbled: Answer =
            serde_json::from_str(&exchange(&path, "{\"command\":\"reboot\"}\n").await).unwrap();
        assert!(garbled
            .error
            .is_some_and(|error| error.starts_with("carebot serve cannot read the request")),);

        let _idle = UnixStream::connect(&path).await.unwrap();
        shutdown.trip();
        tokio::time::timeout(Duration::from_secs(2), server)
            .await
            .expect("stops at once")
            .unwrap();
        assert!(!path.exists(), "the socket is removed at exit");
    }
}
