//! One shutdown signal for every part of `serve`: SIGINT or SIGTERM trips it,
//! and each long-running part (adapters, dispatcher, upkeep, reload, the
//! health server) holds a future that completes when it does.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::watch;

/// Cheap to clone; every clone sees the same trip.
#[derive(Debug, Clone)]
pub struct Shutdown {
    tripped: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Shutdown {
        Shutdown {
            tripped: Arc::new(watch::Sender::new(false)),
        }
    }
}

impl Shutdown {
    /// Starts the shutdown of everything waiting on this.
    pub fn trip(&self) {
        self.tripped.send_replace(true);
    }

    pub fn is_tripped(&self) -> bool {
        *self.tripped.borrow()
    }

    /// Completes once [`Shutdown::trip`] has been called (at once if it was).
    pub fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut tripped = self.tripped.subscribe();
        async move {
            // An error means every sender is gone, which never happens while
            // anyone holds a `Shutdown`; stop then too.
            let _ = tripped.wait_for(|tripped| *tripped).await;
        }
    }
}

/// Completes on the first SIGINT (Ctrl-C) or SIGTERM (systemd's stop).
pub async fn signalled() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => tracing::info!(signal = "SIGINT", "shutting down"),
                    _ = terminate.recv() => tracing::info!(signal = "SIGTERM", "shutting down"),
                }
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops carebot")
            }
        }
    }
    if tokio::signal::ctrl_c().await.is_ok() {
        tracing::info!(signal = "SIGINT", "shutting down");
    } else {
        // No way to be told: run until killed.
        std::future::pending::<()>().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_waiter_sees_the_trip_even_a_late_one() {
        let shutdown = Shutdown::default();
        let early = tokio::spawn(shutdown.wait());
        assert!(!shutdown.is_tripped());
        shutdown.clone().trip();
        early.await.unwrap();
        shutdown.wait().await;
        assert!(shutdown.is_tripped());
    }
}
