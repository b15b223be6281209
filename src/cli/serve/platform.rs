//! What `serve` needs from each chat platform, whatever its adapter: connect,
//! take updates until shutdown, deliver outbox messages, say whether it is
//! connected. Each adapter crate is wrapped once behind [`Platform`]
//! ([`AdapterPlatform`] over any [`ChatAdapter`] in `platforms.rs`'s
//! registry; `terminal.rs`),
//! so the rest of `serve` has one shape to supervise, route to and report on.
//!
//! - [`supervise`] keeps one platform running: connect, run, and after a
//!   failure connect again with exponential back-off. One platform down
//!   never takes the others (or the dispatcher) with it.
//! - [`Router`] is the dispatcher's single delivery function: it sends each
//!   outbox message through the platform its address names.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use carebot::dispatch::{Backoff, Deliver, DeliveryError};
use carebot::{Bot, Outbound};
use carebot_chat::ChatAdapter;

use super::metrics::Metrics;
use super::shutdown::Shutdown;
use crate::cli::config::Secret;
use carebot::record::push::FhirServer;

/// A boxed future, so that [`Platform`] can be used as `dyn Platform`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a platform could not connect or stopped: a reason for the log, which
/// never contains a token or message text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformError(pub String);

impl std::fmt::Display for PlatformError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One chat platform, as `serve` runs it.
pub trait Platform: Send + Sync + 'static {
    /// The platform's name in addresses (`telegram` in `telegram:12345`).
    fn name(&self) -> &'static str;

    /// Connects (again): checks the token, opens the gateway or sets the
    /// webhook. Called before the first [`Platform::run`] and after each failure.
    fn connect(&self) -> BoxFuture<'_, Result<(), PlatformError>>;

    /// Takes updates and hands each to `bot` until `shutdown` trips, then
    /// stops taking new ones, finishes the replies in flight and returns
    /// `Ok`. An `Err` (or an `Ok` before shutdown) means the connection was
    /// lost; [`supervise`] connects again.
    fn run(
        &self,
        bot: Arc<dyn Bot>,
        shutdown: Shutdown,
    ) -> BoxFuture<'_, Result<(), PlatformError>>;

    /// Delivers one outbox message; `Ok` once the platform accepted it.
    fn deliver<'a>(&'a self, message: &'a Outbound) -> BoxFuture<'a, Result<(), DeliveryError>>;

    /// Whether updates are flowing now (for `/healthz`).
    fn is_connected(&self) -> bool;

    /// Whether one process at a time may take this platform's updates (see
    /// [`ChatAdapter::takes_updates_alone`]; `turns.rs`).
    fn takes_updates_alone(&self) -> bool {
        false
    }
}

/// An adapter crate's client ([`ChatAdapter`]) as a [`Platform`]: it keeps
/// the client of the last successful connect (adapter clients are cheap
/// handles to clone), and masks the token in whatever the adapter's errors
/// say: HTTP clients quote URLs, and Telegram's URLs contain the token.
// Unused in a carebot built without any adapter (`--no-default-features`).
#[allow(dead_code)]
pub struct AdapterPlatform<A: ChatAdapter> {
    settings: A::Settings,
    token: Secret,
    /// The chat of `handoff.clinician_channel` when it is on this platform.
    clinician_chat: Option<String>,
    client: std::sync::RwLock<Option<A>>,
}

// Unused in a carebot built without any adapter (`--no-default-features`).
#[allow(dead_code)]
impl<A: ChatAdapter> AdapterPlatform<A> {
    /// `shared`: other carebot processes serve the same bot on the same
    /// store (see [`ChatAdapter::for_several_processes`]).
    pub fn new(
        settings: A::Settings,
        token: Secret,
        clinician_chat: Option<String>,
        shared: bool,
    ) -> Arc<AdapterPlatform<A>> {
        let settings = if shared {
            A::for_several_processes(&settings)
        } else {
            settings
        };
        Arc::new(AdapterPlatform {
            settings,
            token,
            clinician_chat,
            client: std::sync::RwLock::new(None),
        })
    }

    /// The connected client; `None` before the first successful connect.
    fn client(&self) -> Option<A> {
        self.client
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// An adapter error as a reason for the log, token masked.
    fn reason(&self, error: impl std::fmt::Display) -> String {
        self.token.redact(&error.to_string())
    }
}

impl<A: ChatAdapter> Platform for AdapterPlatform<A> {
    fn name(&self) -> &'static str {
        A::NAME
    }

    fn connect(&self) -> BoxFuture<'_, Result<(), PlatformError>> {
        Box::pin(async move {
            let client = A::connect(
                &self.settings,
                self.token.expose(),
                self.clinician_chat.as_deref(),
            )
            .await
            .map_err(|error| PlatformError(self.reason(error)))?;
            *self
                .client
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(client);
            Ok(())
        })
    }

    fn run(
        &self,
        bot: Arc<dyn Bot>,
        shutdown: Shutdown,
    ) -> BoxFuture<'_, Result<(), PlatformError>> {
        Box::pin(async move {
            let client = self
                .client()
                .ok_or_else(|| PlatformError("not connected".to_string()))?;
            client
                .run(bot, shutdown.wait())
                .await
                .map_err(|error| PlatformError(self.reason(error)))
        })
    }

    fn deliver<'a>(&'a self, message: &'a Outbound) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            let client = self
                .client()
                .ok_or_else(|| DeliveryError::new(format!("{} is not connected yet", A::NAME)))?;
            client
                .deliver(message)
                .await
                .map_err(|error| DeliveryError {
                    reason: self.reason(&error),
                    ..error
                })
        })
    }

    fn is_connected(&self) -> bool {
        self.client().is_some_and(|client| client.is_connected())
    }

    fn takes_updates_alone(&self) -> bool {
        A::takes_updates_alone(&self.settings)
    }
}

/// How long to wait before connecting again after a failure.
pub const RECONNECT: Backoff = Backoff {
    first: Duration::from_secs(1),
    max: Duration::from_secs(60),
};

/// A platform that ran at least this long before failing had been working:
/// its next reconnect starts the back-off afresh.
const HEALTHY_RUN: Duration = Duration::from_secs(60);

/// Keeps `platform` running until `shutdown` trips.
pub async fn supervise(
    platform: Arc<dyn Platform>,
    bot: Arc<dyn Bot>,
    metrics: Arc<Metrics>,
    backoff: Backoff,
    shutdown: Shutdown,
) {
    let name = platform.name();
    let mut failures: u32 = 0;
    while !shutdown.is_tripped() {
        let connected = tokio::select! {
            _ = shutdown.wait() => break,
            connected = platform.connect() => connected,
        };
        let outcome = match connected {
            Ok(()) => {
                tracing::info!(platform = name, "connected");
                let started = tokio::time::Instant::now();
                let ran = platform.run(bot.clone(), shutdown.clone()).await;
                if started.elapsed() >= HEALTHY_RUN {
                    failures = 0;
                }
                match ran {
                    _ if shutdown.is_tripped() => break,
                    Ok(()) => "stopped unexpectedly".to_string(),
                    Err(error) => format!("connection lost: {error}"),
                }
            }
            Err(error) => format!("cannot connect: {error}"),
        };
        failures = failures.saturating_add(1);
        metrics.connect_failed(name);
        let wait = backoff.wait(failures);
        tracing::warn!(
            platform = name,
            failures,
            retry_in_ms = wait.as_millis() as u64,
            reason = %outcome,
            "adapter down; retrying"
        );
        tokio::select! {
            _ = shutdown.wait() => break,
            _ = tokio::time::sleep(wait) => {}
        }
    }
    tracing::info!(platform = name, "stopped");
}

/// Delivers outbox messages through the platform each is addressed to.
#[derive(Clone)]
pub struct Router {
    platforms: BTreeMap<&'static str, Arc<dyn Platform>>,
    /// The practice's FHIR server, for copies to patients' records.
    record: Option<Arc<FhirServer>>,
    metrics: Arc<Metrics>,
}

impl Router {
    pub fn new(platforms: &[Arc<dyn Platform>], metrics: Arc<Metrics>) -> Router {
        Router {
            platforms: platforms
                .iter()
                .map(|platform| (platform.name(), platform.clone()))
                .collect(),
            record: None,
            metrics,
        }
    }

    /// Copies to patients' records go to `server`.
    pub fn with_record(mut self, server: Option<FhirServer>) -> Router {
        self.record = server.map(Arc::new);
        self
    }
}

impl Deliver for Router {
    async fn deliver(&self, message: &Outbound) -> Result<(), DeliveryError> {
        let platform = message.to.platform.as_str();
        let result = match self.platforms.get(platform) {
            _ if platform == carebot::record::RECORD_PLATFORM => match &self.record {
                Some(server) => server.post(message).await,
                None => Err(DeliveryError::new(
                    "no FHIR server is configured ([record] fhir_base); kept until one is",
                )),
            },
            Some(adapter) => adapter.deliver(message).await,
            // Kept (and retried with back-off) rather than dropped: the
            // adapter may be configured at the next start.
            None => Err(DeliveryError::new(format!(
                "no {platform} adapter runs in this carebot"
            ))),
        };
        self.metrics.delivered(platform, result.is_ok());
        result
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use carebot::{Address, BotError, Delivery, Inbound, Reply, ReplyKind};
    use carebot_chat::{OutboundId, Purpose};

    use super::*;

    struct NoBot;

    impl Bot for NoBot {
        fn handle(&self, _: Inbound) -> Result<Vec<Delivery>, BotError> {
            Ok(Vec::new())
        }
    }

    /// Fails to connect `failures` times, then runs until shutdown.
    struct Flaky {
        name: &'static str,
        failures: usize,
        attempts: AtomicUsize,
        running: AtomicBool,
    }

    impl Flaky {
        fn new(name: &'static str, failures: usize) -> Arc<Flaky> {
            Arc::new(Flaky {
                name,
                failures,
                attempts: AtomicUsize::new(0),
                running: AtomicBool::new(false),
            })
        }
    }

    impl Platform for Flaky {
        fn name(&self) -> &'static str {
            self.name
        }

        fn connect(&self) -> BoxFuture<'_, Result<(), PlatformError>> {
            Box::pin(async move {
                let attempt = self.attempts.fetch_add(1, Ordering::SeqCst);
                if attempt < self.failures {
                    Err(PlatformError("connection refused".to_string()))
                } else {
                    Ok(())
                }
            })
        }

        fn run(
            &self,
            _: Arc<dyn Bot>,
            shutdown: Shutdown,
        ) -> BoxFuture<'_, Result<(), PlatformError>> {
            Box::pin(async move {
                self.running.store(true, Ordering::SeqCst);
                shutdown.wait().await;
                self.running.store(false, Ordering::SeqCst);
                Ok(())
            })
        }

        fn deliver<'a>(
            &'a self,
            message: &'a Outbound,
        ) -> BoxFuture<'a, Result<(), DeliveryError>> {
            Box::pin(async move {
                if self.running.load(Ordering::SeqCst) && message.to.platform == self.name {
                    Ok(())
                } else {
                    Err(DeliveryError::new("not connected"))
                }
            })
        }

        fn is_connected(&self) -> bool {
            self.running.load(Ordering::SeqCst)
        }
    }

    fn message(to: &str) -> Outbound {
        Outbound {
            id: OutboundId(1),
            to: to.parse::<Address>().unwrap(),
            purpose: Purpose::Alert,
            reply: Reply::plain(ReplyKind::Notice, "x"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_platform_that_cannot_connect_is_retried_without_stopping_the_others() {
        let metrics = Arc::new(Metrics::new(&["good", "flaky"]));
        let good = Flaky::new("good", 0);
        let flaky = Flaky::new("flaky", 3);
        let platforms: Vec<Arc<dyn Platform>> = vec![good.clone(), flaky.clone()];
        let shutdown = Shutdown::default();
        let tasks: Vec<_> = platforms
            .iter()
            .map(|platform| {
                tokio::spawn(supervise(
                    platform.clone(),
                    Arc::new(NoBot),
                    metrics.clone(),
                    RECONNECT,
                    shutdown.clone(),
                ))
            })
            .collect();
        let router = Router::new(&platforms, metrics.clone());

        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(good.is_connected());
        assert!(!flaky.is_connected());
        assert_eq!(router.deliver(&message("good:1")).await, Ok(()));
        assert!(router.deliver(&message("flaky:1")).await.is_err());
        assert_eq!(
            router.deliver(&message("elsewhere:1")).await,
            Err(DeliveryError::new(
                "no elsewhere adapter runs in this carebot"
            ))
        );

        // Back-off of 1 s, 2 s, 4 s: connected after about 7 s, not before 3 s.
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(flaky.attempts.load(Ordering::SeqCst), 3);
        assert!(!flaky.is_connected());
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(flaky.attempts.load(Ordering::SeqCst), 4);
        assert!(flaky.is_connected() && good.is_connected());
        assert_eq!(router.deliver(&message("flaky:1")).await, Ok(()));

        shutdown.trip();
        for task in tasks {
            task.await.unwrap();
        }
        assert!(!flaky.is_connected() && !good.is_connected());
        let text = metrics.render_counters();
        assert!(
            text.contains("carebot_adapter_connect_failures_total{platform=\"flaky\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("carebot_deliveries_total{platform=\"elsewhere\",result=\"failed\"} 1"),
            "{text}"
        );
    }
}
