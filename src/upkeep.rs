//! The timer behind time-driven work: every `check_every` it reminds
//! clinicians of unclaimed cases, and every `purge_every` it deletes data past
//! the retention period. The work itself is in the service
//! ([`Service::remind_unclaimed`], [`Service::purge`]).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::audit::Actor;
use crate::service::Service;

/// How often upkeep runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub check_every: Duration,
    pub purge_every: Duration,
}

impl Default for Schedule {
    fn default() -> Schedule {
        Schedule {
            check_every: Duration::from_secs(60),
            purge_every: Duration::from_secs(6 * 3600),
        }
    }
}

/// Runs upkeep until `shutdown` completes. The first purge runs at once, so a
/// bot that restarts often still purges.
pub async fn run(service: Arc<Service>, schedule: Schedule, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut checks = tokio::time::interval(schedule.check_every);
    let mut purges = tokio::time::interval(schedule.purge_every);
    // After a pause (a suspended laptop, a stalled disk) run once, not once
    // per missed tick.
    checks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    purges.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = checks.tick() => {
                if let Err(error) = service.remind_unclaimed() {
                    tracing::error!(%error, "cannot remind clinicians of unclaimed cases");
                }
            }
            _ = purges.tick() => {
                if let Err(error) = service.purge(Actor::System) {
                    tracing::error!(%error, "retention purge failed");
                }
            }
        }
    }
}
