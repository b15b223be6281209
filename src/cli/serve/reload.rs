//! Live knowledge reload: the knowledge folder is polled (each `*.toml` file's
//! size and modification time, about once a second: no dependency, works on
//! every file system, including network mounts where change notifications
//! do not). When something changed and has stopped changing, the whole set
//! is loaded and validated again:
//!
//! - valid: it is swapped in with [`Service::set_engine`], atomically, for
//!   new messages; messages being handled finish with the old set, and
//!   conversations in progress carry on.
//!   When the new set lacks FAQ entries or rules that the old one had (a
//!   file deleted or moved away by mistake: "154 → 140 rules"), the
//!   clinicians get an alert naming them by file, since messages that
//!   reached them now get other replies.
//! - invalid: the last good set stays in use, every problem is logged as
//!   `file:line:col`, and the clinicians get a short alert through the
//!   outbox (once, when the files go bad; and a note when they load again).

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use carebot::knowledge::problem::printable;
use carebot::knowledge::Origin;
use carebot::{Knowledge, Problem, Reply, ReplyKind, Service};

use super::metrics::Metrics;

/// How long the files must stay unchanged before they are loaded: editors
/// save in several steps, and a half-written file must not raise an alert.
const SETTLE: Duration = Duration::from_millis(200);

/// How many problems an alert quotes (the log has them all).
const ALERT_PROBLEMS: usize = 3;

/// How many ids of dropped entries an alert names (the log has them all).
const ALERT_IDS: usize = 12;

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

/// The entries of `before` (id, where) whose id is not in `after`.
fn gone<'k>(
    before: impl Iterator<Item = (&'k String, &'k Origin)>,
    after: impl Iterator<Item = &'k String>,
) -> Vec<(&'k str, &'k Origin)> {
    let kept: HashSet<&String> = after.collect();
    before
        .filter(|(id, _)| !kept.contains(id))
        .map(|(id, origin)| (id.as_str(), origin))
        .collect()
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
        let current = self.service.engine();
        let Some(loaded) = blocking(move || {
            carebot::load_dir(&dir).map(|knowledge| {
                let engine = current.reloaded(knowledge);
                engine.prepare_in_background();
                engine
            })
        })
        .await
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
                let dropped = self.dropped_alert(self.service.engine().knowledge(), knowledge);
                self.service.set_engine(Arc::new(engine));
                self.metrics.reloaded(true);
                let mut notes = Vec::new();
                if self.failing {
                    self.failing = false;
                    notes.push(
                        "✅ The knowledge files load again: carebot now answers from the edited version.".to_string(),
                    );
                }
                notes.extend(dropped);
                if !notes.is_empty() {
                    self.alert(notes.join("\n\n")).await;
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

    /// The alert for a reload that loses FAQ entries or rules that `before`
    /// had, naming them by the file they were in; `None` when none went.
    /// Each one is logged too.
    fn dropped_alert(&self, before: &Knowledge, after: &Knowledge) -> Option<String> {
        let rules = gone(
            before.rules.iter().map(|rule| (&rule.id, &rule.origin)),
            after.rules.iter().map(|rule| &rule.id),
        );
        let faqs = gone(
            before.faqs.iter().map(|entry| (&entry.id, &entry.origin)),
            after.faqs.iter().map(|entry| &entry.id),
        );
        if rules.is_empty() && faqs.is_empty() {
            return None;
        }
        let mut by_file: BTreeMap<&Path, Vec<&str>> = BTreeMap::new();
        for (kind, dropped) in [("rule", &rules), ("faq", &faqs)] {
            for (id, origin) in dropped {
                tracing::warn!(kind, id, %origin, "the reload dropped a knowledge entry");
                by_file.entry(&origin.file).or_default().push(id);
            }
        }
        let mut what = Vec::new();
        for (count, one, many, was, now) in [
            (
                rules.len(),
                "triage rule",
                "triage rules",
                before.rules.len(),
                after.rules.len(),
            ),
            (
                faqs.len(),
                "FAQ entry",
                "FAQ entries",
                before.faqs.len(),
                after.faqs.len(),
            ),
        ] {
            if count > 0 {
                let name = if count == 1 { one } else { many };
                what.push(format!("{count} {name} ({was} → {now})"));
            }
        }
        let mut text = format!(
            "⚠️ The knowledge files were edited and carebot now answers without {} that it had before:\n",
            what.join(" and ")
        );
        let mut budget = ALERT_IDS;
        let mut unnamed = 0;
        for (file, ids) in &by_file {
            let named = ids.len().min(budget);
            budget -= named;
            unnamed += ids.len() - named;
            if named == 0 {
                continue;
            }
            let shown = file.strip_prefix(&self.dir).unwrap_or(file);
            let state = if file.exists() {
                "edited"
            } else {
                "the file is gone"
            };
            let list: Vec<String> = ids[..named].iter().map(|id| format!("`{id}`")).collect();
            text.push_str(&format!(
                "\n- `{}` ({state}): {}",
                printable(&shown.display().to_string()),
                list.join(", ")
            ));
        }
        if unnamed > 0 {
            text.push_str(&format!("\n- … and {unnamed} more"));
        }
        text.push_str("\n\nMessages that reached them now get other replies. If that was not meant, put the files back: carebot loads them again within seconds.");
        Some(text)
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
