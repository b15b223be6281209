//! Live knowledge reload: the knowledge folder is polled (each `*.toml` file's
//! size and modification time, about once a second: no dependency, works on
//! every file system, including network mounts where change notifications
//! do not). When something changed and has stopped changing, the whole set
//! is loaded and validated again:
//!
//! - valid: it is swapped in with [`Service::set_engine`], atomically, for
//!   new messages; messages being handled finish with the old set, and
//!   conversations in progress carry on.
//! - invalid: the last good set stays in use, every problem is logged as
//!   `file:line:col`, and the clinicians get a short alert through the
//!   outbox (once, when the files go bad; and a note when they load again).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use carebot::knowledge::problem::printable;
use carebot::{Engine, Problem, Reply, ReplyKind, Service};

use super::metrics::Metrics;

/// How long the files must stay unchanged before they are loaded: editors
/// save in several steps, and a half-written file must not raise an alert.
const SETTLE: Duration = Duration::from_millis(200);

/// How many problems an alert quotes (the log has them all).
const ALERT_PROBLEMS: usize = 3;

/// What the knowledge folder looks like from outside: every `*.toml` file's
/// path, size and modification time, in path order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(Vec<(PathBuf, u64, Option<SystemTime>)>);

impl Fingerprint {
    /// Looks at `dir` now. An unreadable folder or file shows up as a
    /// difference too, so that loading reports it.
    pub fn of(dir: &Path) -> Fingerprint {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, u64, Option<SystemTime>)>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                out.push((dir.to_path_buf(), u64::MAX, None));
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                match entry.file_type() {
                    Ok(kind) if kind.is_dir() => walk(&path, out),
                    _ if path.extension().is_some_and(|ext| ext == "toml") => {
                        let (size, modified) = match std::fs::metadata(&path) {
                            Ok(meta) => (meta.len(), meta.modified().ok()),
                            Err(_) => (u64::MAX, None),
                        };
                        out.push((path, size, modified));
                    }
                    _ => {}
                }
            }
        }
        let mut files = Vec::new();
        walk(dir, &mut files);
        files.sort();
        Fingerprint(files)
    }
}

/// What the watcher remembers between polls.
struct Watcher {
    service: Arc<Service>,
    metrics: Arc<Metrics>,
    dir: PathBuf,
    /// The folder as it was when last loaded (or tried).
    seen: Fingerprint,
    /// Whether the files on disk currently fail to load.
    failing: bool,
}

/// Watches `dir` every `poll` until `shutdown`. `seen` is the folder as it
/// was just before the knowledge in use was loaded.
pub async fn run(
    service: Arc<Service>,
    metrics: Arc<Metrics>,
    dir: PathBuf,
    seen: Fingerprint,
    poll: Duration,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut watcher = Watcher {
        service,
        metrics,
        dir,
        seen,
        failing: false,
    };
    let mut ticks = tokio::time::interval(poll);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = ticks.tick() => {}
        }
        let dir = watcher.dir.clone();
        let Some(now) = blocking(move || Fingerprint::of(&dir)).await else {
            continue;
        };
        if now == watcher.seen {
            continue;
        }
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(SETTLE) => {}
        }
        let dir = watcher.dir.clone();
        let settled = blocking(move || Fingerprint::of(&dir)).await;
        let Some(settled) = settled.filter(|settled| *settled == now) else {
            // Still being written: look again at the next tick.
            continue;
        };
        watcher.seen = settled;
        watcher.reload().await;
    }
}

/// Runs file-system work off the async threads; `None` if it panicked.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => Some(result),
        Err(error) => {
            tracing::error!(%error, "knowledge reload failed");
            None
        }
    }
}

impl Watcher {
    async fn reload(&mut self) {
        let dir = self.dir.clone();
        let limits = self.service.engine().limits();
        let Some(loaded) =
            blocking(move || carebot::load_dir(&dir).map(|k| Engine::with_limits(k, limits))).await
        else {
            return;
        };
        match loaded {
            Ok(engine) => {
                let knowledge = engine.knowledge();
                tracing::info!(
                    faq_entries = knowledge.faqs.len(),
                    rules = knowledge.rules.len(),
                    "knowledge reloaded"
                );
                self.service.set_engine(Arc::new(engine));
                self.metrics.reloaded(true);
                if self.failing {
                    self.failing = false;
                    self.alert(
                        "✅ The knowledge files load again: carebot now answers from the edited version.".to_string(),
                    )
                    .await;
                }
            }
            Err(problems) => {
                let errors: Vec<&Problem> = problems.iter().filter(|p| p.is_error()).collect();
                for problem in &errors {
                    tracing::warn!(problem = %problem, "knowledge file problem");
                }
                tracing::error!(
                    errors = errors.len(),
                    "the knowledge files have errors: still answering from the last good set"
                );
                self.metrics.reloaded(false);
                if !self.failing {
                    self.failing = true;
                    self.alert(self.problem_alert(&errors)).await;
                }
            }
        }
    }

    fn problem_alert(&self, errors: &[&Problem]) -> String {
        let mut text = format!(
            "⚠️ The knowledge files were edited but have {} error{}, so carebot keeps answering from the previous version until they are fixed:\n",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        );
        for problem in errors.iter().take(ALERT_PROBLEMS) {
            // Relative to the knowledge folder: shorter, and no server paths.
            let file = problem
                .file
                .strip_prefix(&self.dir)
                .unwrap_or(&problem.file);
            text.push_str(&format!(
                "\n- `{}:{}:{}`: {}",
                printable(&file.display().to_string()),
                problem.line,
                problem.column,
                printable(&problem.message)
            ));
        }
        if errors.len() > ALERT_PROBLEMS {
            text.push_str(&format!("\n- … and {} more", errors.len() - ALERT_PROBLEMS));
        }
        text.push_str("\n\nRun `carebot kb check` on the server to see them all.");
        text
    }

    async fn alert(&self, text: String) {
        let service = self.service.clone();
        let reply = Reply::plain(ReplyKind::Notice, text);
        match blocking(move || service.alert_clinicians(reply)).await {
            None => {}
            Some(Ok(0)) => {
                tracing::warn!("no clinician or clinician channel is configured to alert")
            }
            Some(Ok(targets)) => {
                tracing::info!(targets, "clinicians alerted about the knowledge files")
            }
            Some(Err(error)) => tracing::error!(%error, "cannot queue the knowledge alert"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_sees_toml_files_only_in_every_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("faq")).unwrap();
        std::fs::write(dir.path().join("faq/a.toml"), "x = 1").unwrap();
        let before = Fingerprint::of(dir.path());
        std::fs::write(dir.path().join("faq/.a.toml.swp"), "junk").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "junk").unwrap();
        assert_eq!(Fingerprint::of(dir.path()), before);
        std::fs::write(dir.path().join("faq/a.toml"), "x = 12").unwrap();
        assert_ne!(Fingerprint::of(dir.path()), before);
        std::fs::write(dir.path().join("b.toml"), "").unwrap();
        assert_eq!(Fingerprint::of(dir.path()).0.len(), 2);
        assert_ne!(
            Fingerprint::of(&dir.path().join("gone")),
            Fingerprint::of(dir.path())
        );
    }
}
