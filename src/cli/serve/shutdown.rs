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

/// SIGINT (Ctrl-C) and SIGTERM (systemd's stop), listened for from the moment
/// this is made. Made before `serve` announces itself, so a supervisor that
/// stops carebot as soon as it reads "serving" gets a clean shutdown, not the
/// default action of a signal nobody was listening for yet.
pub struct Signals {
    #[cfg(unix)]
    listening: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    /// Must run inside the runtime.
    pub fn listen() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let listening = signal(SignalKind::interrupt())
                .and_then(|interrupt| Ok((interrupt, signal(SignalKind::terminate())?)));
            match listening {
                Ok(listening) => Signals {
                    listening: Some(listening),
                },
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops carebot");
                    Signals { listening: None }
                }
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// Completes on the next SIGINT or SIGTERM.
    pub async fn next(&mut self) {
        #[cfg(unix)]
        if let Some((interrupt, terminate)) = &mut self.listening {
            tokio::select! {
                _ = interrupt.recv() => tracing::info!(signal = "SIGINT", "shutting down"),
                _ = terminate.recv() => tracing::info!(signal = "SIGTERM", "shutting down"),
            }
            return;
        }
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!(signal = "SIGINT", "shutting down");
        } else {
            // No way to be told: run until killed.
            std::future::pending::<()>().await;
        }
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
