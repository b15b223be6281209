//! The timer behind time-driven work: every `check_every` it reminds
//! clinicians of unclaimed cases, queues the health notices in force for
//! their subscribers and logs how far each has gone out, every
//! `purge_every` it deletes data past the retention period, and every
//! `store_retry`, while the disk fails under the store, it tries to open the
//! store again. The work itself is in the
//! service and the store ([`Service::remind_unclaimed`], [`Service::purge`],
//! [`Store::recover`](crate::store::Store::recover)).
//!
//! Each round runs on a blocking thread, never on one of the runtime's,
//! which are the adapters' and the dispatcher's.
//!
//! When several processes share the store, reminders and purges run in the
//! one that holds the `upkeep` lease (`store/leases.rs`), renewed every
//! [`UPKEEP_RENEW`]; if it dies, another takes over within [`UPKEEP_LEASE`]
//! and purges at once.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::audit::Actor;
use crate::service::Service;
use crate::store::Recovery;

/// How long the upkeep lease lasts without renewal.
const UPKEEP_LEASE: Duration = Duration::from_secs(15);
/// How often its holder renews it (and the others try to take it).
const UPKEEP_RENEW: Duration = Duration::from_secs(3);

/// How often upkeep runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub check_every: Duration,
    pub purge_every: Duration,
    /// How soon after the disk is freed the store works again.
    pub store_retry: Duration,
}

impl Default for Schedule {
    fn default() -> Schedule {
        Schedule {
            check_every: Duration::from_secs(60),
            purge_every: Duration::from_secs(6 * 3600),
            store_retry: Duration::from_secs(2),
        }
    }
}

/// Runs upkeep until `shutdown` completes. The first purge runs at once, so a
/// bot that restarts often still purges.
pub async fn run(service: Arc<Service>, schedule: Schedule, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut checks = tokio::time::interval(schedule.check_every);
    let mut purges = tokio::time::interval(schedule.purge_every);
    let mut store_retries = tokio::time::interval(schedule.store_retry);
    store_retries.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // After a pause (a suspended laptop, a stalled disk) run once, not once
    // per missed tick.
    checks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    purges.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut renewals = tokio::time::interval(UPKEEP_RENEW);
    renewals.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let store = service.store().clone();
    let mut holding = !store.is_shared();
    // Each notice's progress as last logged (see `Service::log_notice_progress`).
    let mut progress_logged = std::collections::HashMap::new();
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = renewals.tick(), if store.is_shared() => {
                let held = store.hold_lease("upkeep", UPKEEP_LEASE).unwrap_or(false);
                if held && !holding {
                    tracing::info!("this process now runs reminders and retention purges");
                    purges.reset_immediately();
                }
                holding = held;
            }
            _ = checks.tick(), if holding => {
                let service = service.clone();
                let mut logged = std::mem::take(&mut progress_logged);
                let checked = off_the_async_threads(move || {
                    if let Err(error) = service.remind_unclaimed() {
                        tracing::error!(%error, "cannot remind clinicians of unclaimed cases");
                    }
                    if let Err(error) = service.send_notices() {
                        tracing::error!(%error, "cannot queue health notices for subscribers");
                    }
                    if let Err(error) = service.log_notice_progress(&mut logged) {
                        tracing::error!(%error, "cannot read how far health notices have gone out");
                    }
                    logged
                });
                if let Some(logged) = checked.await {
                    progress_logged = logged;
                }
            }
            _ = purges.tick(), if holding => {
                let service = service.clone();
                let purged = off_the_async_threads(move || service.purge(Actor::System));
                if let Some(Err(error)) = purged.await {
                    tracing::error!(%error, "retention purge failed");
                }
            }
            _ = store_retries.tick() => {
                if service.store().health().failing.is_some() {
                    reopen_store(&service).await;
                }
            }
        }
    }
    if holding && store.is_shared() {
        // Another process need not wait for the lease to run out.
        let _ = store.release_lease("upkeep");
    }
}

/// Runs `work` on a blocking thread. A round of upkeep can take seconds
/// (health notices queued for 10,000 subscribers: 1.3 s), and on one of the
/// runtime's threads it held up the adapters' tasks: a patient's emergency
/// advice waited for the round to end.
async fn off_the_async_threads<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    match tokio::task::spawn_blocking(work).await {
        Ok(done) => Some(done),
        Err(error) => {
            tracing::error!(%error, "upkeep failed");
            None
        }
    }
}

/// One try at opening the failed store again, off the async threads: a
/// reopening waits for the store's operations under way.
async fn reopen_store(service: &Service) {
    let store = service.store().clone();
    match tokio::task::spawn_blocking(move || store.recover()).await {
        Ok(Recovery::NotYet(error)) => {
            tracing::debug!(%error, "the store is still failing; trying again");
        }
        Ok(Recovery::Reopened | Recovery::NotNeeded) => {}
        Err(error) => tracing::error!(%error, "trying to reopen the store failed"),
    }
}
