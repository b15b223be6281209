//! Taking turns with other processes: on a store several `carebot serve`
//! processes share (PostgreSQL), an adapter that only one process at a time
//! may run for a bot token (Discord's gateway, Telegram's long polling) runs
//! in the process that holds its lease, `adapter:<platform>`
//! (`store/leases.rs`). The holder renews it every [`RENEW`]; if it dies,
//! another process connects within [`LEASE`]; one that stops gracefully
//! gives the lease up at once. Adapters that any number of processes may run
//! (a Telegram webhook behind a load balancer) and every adapter on a sled
//! store run as [`supervise`] always did.

use std::sync::Arc;
use std::time::Duration;

use carebot::{Bot, Store};

use super::metrics::Metrics;
use super::platform::{supervise, Platform, RECONNECT};
use super::shutdown::Shutdown;

/// How long an adapter's lease lasts without renewal.
const LEASE: Duration = Duration::from_secs(10);
/// How often the holder renews it, and the others try to take it.
const RENEW: Duration = Duration::from_secs(2);

/// Runs `platform` until `shutdown` trips, in turn with other processes when
/// it must (see the module notes).
pub async fn supervise_in_turn(
    platform: Arc<dyn Platform>,
    bot: Arc<dyn Bot>,
    metrics: Arc<Metrics>,
    store: Store,
    shutdown: Shutdown,
) {
    if !store.is_shared() || !platform.takes_updates_alone() {
        return supervise(platform, bot, metrics, RECONNECT, shutdown).await;
    }
    let name = platform.name();
    let lease = format!("adapter:{name}");
    let mut waiting_said = false;
    while !shutdown.is_tripped() {
        if !store.hold_lease(&lease, LEASE).unwrap_or(false) {
            if !waiting_said {
                tracing::info!(
                    platform = name,
                    "another carebot process takes this platform's updates; standing by"
                );
                waiting_said = true;
            }
            tokio::select! {
                _ = shutdown.wait() => break,
                _ = tokio::time::sleep(RENEW) => continue,
            }
        }
        waiting_said = false;
        tracing::info!(platform = name, "this process takes the platform's updates");
        let turn = Shutdown::default();
        let running = supervise(
            platform.clone(),
            bot.clone(),
            metrics.clone(),
            RECONNECT,
            turn.clone(),
        );
        tokio::pin!(running);
        loop {
            tokio::select! {
                _ = &mut running => break,
                _ = shutdown.wait() => {
                    turn.trip();
                    running.await;
                    // Another process need not wait for the lease to run out.
                    let _ = store.release_lease(&lease);
                    return;
                }
                _ = tokio::time::sleep(RENEW) => {
                    if !store.hold_lease(&lease, LEASE).unwrap_or(false) {
                        tracing::warn!(platform = name, "lost this platform's lease (the store was out of reach too long); stopping its adapter until the lease is free");
                        turn.trip();
                        running.await;
                        break;
                    }
                }
            }
        }
    }
}
