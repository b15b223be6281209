//! The outbox dispatcher: hands queued messages to an adapter and forgets each
//! only once the adapter confirms delivery. A failed delivery is retried with
//! exponential back-off, so a platform outage delays messages but loses none,
//! and a crash loses none either (they are on disk until confirmed).
//!
//! Delivery is at-least-once: a crash after the platform accepted a message
//! but before the confirmation was stored sends it again on restart.
//!
//! Several processes on one store (PostgreSQL) each run a dispatcher: each
//! message is sent by the one that takes its delivery lease
//! (`store/leases.rs`); if that process dies mid-delivery, the lease runs out
//! and another sends it (again: at-least-once).
//!
//! One exception to "retried until delivered": a patient whose chat refuses
//! the bot (blocked, account deleted) will never get the message, so it is
//! dropped, the clinicians are told to reach the patient another way, and
//! the patient is unsubscribed from health notices.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;

/// How long to wait before retrying a failed delivery. Defined in
/// carebot-chat so the adapters' retry loops share its formula; re-exported
/// here, where the dispatcher and `carebot serve` have always found it.
pub use carebot_chat::Backoff;
pub use carebot_chat::DeliveryError;
use carebot_chat::{Address, CaseId, Outbound, Purpose, Reply, ReplyKind};

use crate::clock;
use crate::service::{Service, ServiceError};
use crate::store::{leases, OutboxItem, Store, StoreError};

/// What an adapter provides to deliver outbox messages: `Ok` confirms that
/// the platform accepted the message.
pub trait Deliver: Send + Sync {
    fn deliver(&self, message: &Outbound)
        -> impl Future<Output = Result<(), DeliveryError>> + Send;
}

/// A closure taking the message by value is an adapter too (handy in tests).
impl<F, Fut> Deliver for F
where
    F: Fn(Outbound) -> Fut + Send + Sync,
    Fut: Future<Output = Result<(), DeliveryError>> + Send,
{
    fn deliver(
        &self,
        message: &Outbound,
    ) -> impl Future<Output = Result<(), DeliveryError>> + Send {
        self(message.clone())
    }
}

/// How long to sleep with nothing queued before looking again (a message
/// queued meanwhile wakes the dispatcher at once).
const IDLE: Duration = Duration::from_secs(60);
/// The shortest wait after looking and finding nothing to start.
const MIN_WAIT: Duration = Duration::from_millis(100);
/// How long to wait after the store itself failed before trying again.
const STORE_RETRY: Duration = Duration::from_secs(5);
/// How long a process may take to deliver a message before another may send
/// it (the adapters give up on a request well before).
const DELIVERY_LEASE: Duration = Duration::from_secs(30);
/// How soon to look again at a message another process is delivering.
const OTHERS_DELIVERY: Duration = Duration::from_millis(500);
/// How often to look at a shared outbox at least: other processes queue
/// messages this one is not woken for (and one may die before sending its
/// own).
const SHARED_POLL: Duration = Duration::from_secs(1);

/// Delivers the outbox through `deliver` until `shutdown` completes, then
/// flushes the store. A delivery under way when shutdown comes is abandoned
/// unconfirmed, so it is sent again next time; one the platform has already
/// answered is recorded first, so a restart does not send it twice.
///
/// Each recipient has at most one message under way, its most urgent (see
/// the store's outbox notes on order), and recipients do not wait for each
/// other: a chat that the platform holds back (a 429 with a long
/// retry-after, an outage of one server) delays only its own messages. The
/// next message for a recipient is chosen only when its last one is done,
/// so one queued meanwhile (a new emergency case, a newer update replacing
/// older ones) is taken into account.
pub async fn run<D: Deliver>(
    service: Arc<Service>,
    deliver: D,
    backoff: Backoff,
    shutdown: impl Future<Output = ()>,
) {
    let ready = service.outbox_ready();
    let store = service.store().clone();
    tokio::pin!(shutdown);
    let mut under_way = FuturesUnordered::new();
    let mut busy: HashSet<Address> = HashSet::new();
    // Cases whose clinicians were told that their patient is unreachable,
    // since the dispatcher was last idle: one alert per case for all the
    // messages given up together.
    let mut alerted: HashSet<CaseId> = HashSet::new();
    let mut paused_until: Option<tokio::time::Instant> = None;
    // The outbox is read again when something is queued, a retry falls
    // due, or a delivery to a recipient with more waiting (the `backlog`
    // at the last reading) is done or fails; not after each message of a
    // broadcast, which would decode thousands of sealed messages for each
    // one sent (a core kept busy at Telegram's 30 a second).
    let mut look = true;
    let mut look_at = tokio::time::Instant::now();
    let mut backlog: HashSet<Address> = HashSet::new();
    loop {
        let paused = paused_until.is_some_and(|until| tokio::time::Instant::now() < until);
        let wait = if !look {
            look_at.saturating_duration_since(tokio::time::Instant::now())
        } else if paused {
            STORE_RETRY
        } else {
            match store.next_per_recipient_and_backlog() {
                Ok((next, waiting)) => {
                    backlog = waiting;
                    let now = service.now();
                    let mut soonest: Option<jiff::Timestamp> = None;
                    let mut started = 0;
                    for item in next {
                        if busy.contains(&item.message.to) {
                            continue;
                        }
                        if item.next_attempt_at <= now {
                            if !take_delivery(&store, &item) {
                                let at = clock::after(now, OTHERS_DELIVERY);
                                soonest = Some(soonest.map_or(at, |soonest| soonest.min(at)));
                                continue;
                            }
                            busy.insert(item.message.to.clone());
                            under_way.push(attempt(&deliver, item));
                            started += 1;
                        } else {
                            let at = item.next_attempt_at;
                            soonest = Some(soonest.map_or(at, |soonest| soonest.min(at)));
                        }
                    }
                    if under_way.is_empty() {
                        alerted.clear();
                    }
                    match soonest {
                        Some(at) => {
                            let wait = clock::elapsed(now, at).min(IDLE);
                            // Nothing started yet something due would spin.
                            if started == 0 {
                                wait.max(MIN_WAIT)
                            } else {
                                wait
                            }
                        }
                        None => IDLE,
                    }
                }
                Err(error) => {
                    tracing::error!(%error, "cannot read the outbox");
                    STORE_RETRY
                }
            }
        };
        let wait = if store.is_shared() {
            wait.min(SHARED_POLL)
        } else {
            wait
        };
        look_at = tokio::time::Instant::now() + wait;
        tokio::select! {
            _ = &mut shutdown => break,
            Some((item, result)) = under_way.next(), if !under_way.is_empty() => {
                busy.remove(&item.message.to);
                look = result.is_err() || backlog.contains(&item.message.to);
                if let Err(error) = settle(&service, &item, result, backoff, &mut alerted) {
                    // Not recorded: the message would go again at once.
                    tracing::error!(%error, "cannot update the outbox");
                    paused_until = Some(tokio::time::Instant::now() + STORE_RETRY);
                    look = true;
                }
                if !look && under_way.is_empty() {
                    // Idle, as the reading skipped would have found.
                    alerted.clear();
                }
            }
            _ = ready.notified() => look = true,
            _ = tokio::time::sleep(wait) => look = true,
        }
    }
    // The answers already in are recorded, not abandoned: `select!` picks
    // the shutdown or a delivery's answer at random when both are ready,
    // and a health notice abandoned so went to its subscriber twice over a
    // restart.
    while let Some(Some((item, result))) = under_way.next().now_or_never() {
        if let Err(error) = settle(&service, &item, result, backoff, &mut alerted) {
            tracing::error!(%error, "cannot update the outbox at shutdown");
        }
    }
    drop(under_way);
    if let Err(error) = store.flush() {
        tracing::error!(%error, "cannot flush the store at shutdown");
    }
}

/// Hands one message to the adapter.
/// Whether this process is to deliver `item` now: always on a store of its
/// own, and on a shared store when it takes the item's delivery lease.
fn take_delivery(store: &Store, item: &OutboxItem) -> bool {
    if !store.is_shared() {
        return true;
    }
    match store.hold_lease(&leases::delivery_lease(item.message.id.0), DELIVERY_LEASE) {
        Ok(taken) => taken,
        Err(error) => {
            tracing::error!(%error, "cannot take a delivery lease");
            false
        }
    }
}

async fn attempt<D: Deliver>(
    deliver: &D,
    item: OutboxItem,
) -> (OutboxItem, Result<(), DeliveryError>) {
    let result = deliver.deliver(&item.message).await;
    (item, result)
}

/// Records what became of one delivery (see [`record`]) and lets go of its
/// delivery lease.
fn settle(
    service: &Service,
    item: &OutboxItem,
    result: Result<(), DeliveryError>,
    backoff: Backoff,
    alerted: &mut HashSet<CaseId>,
) -> Result<(), StoreError> {
    let recorded = record(service, item, result, backoff, alerted);
    let store = service.store();
    if store.is_shared() {
        // Whether or not that was recorded: if not, the message is still
        // queued and due, for any process to send.
        let _ = store.release_lease(&leases::delivery_lease(item.message.id.0));
    }
    recorded
}

/// Stores what became of one delivery: forgotten once delivered, kept with
/// a retry time after a failure, dropped (and the clinicians told) when the
/// patient's chat refuses the bot.
fn record(
    service: &Service,
    item: &OutboxItem,
    result: Result<(), DeliveryError>,
    backoff: Backoff,
    alerted: &mut HashSet<CaseId>,
) -> Result<(), StoreError> {
    let store = service.store();
    let message = &item.message;
    match result {
        Ok(()) => {
            tracing::debug!(id = %message.id, purpose = message.purpose.name(), "delivered");
            store.delivered(message.id)?;
            service.confirm_delivered();
            Ok(())
        }
        Err(error) if error.recipient_refuses && to_patient(message.purpose) => {
            give_up(service, message, &error, alerted)
        }
        Err(error) => {
            let failures = item.attempts.saturating_add(1);
            let retry_at = clock::after(service.now(), backoff.wait(failures));
            tracing::warn!(id = %message.id, purpose = message.purpose.name(), platform = %message.to.platform, failures, reason = %error, "delivery failed; will retry");
            store
                .delivery_failed(message.id, retry_at, &error.reason)
                .map(|_| ())
        }
    }
}

/// Whether a message is for a patient (a clinician's reply, news about their
/// case, a direct reply kept for later) rather than for the clinicians. A
/// kept reply may be a clinician's command answer, but nothing in it is a
/// handoff that must not be lost.
fn to_patient(purpose: Purpose) -> bool {
    matches!(
        purpose,
        Purpose::ClinicianReply { .. }
            | Purpose::CaseNews { .. }
            | Purpose::Reply
            | Purpose::HealthNotice
    )
}

/// A patient who has closed their chat to the bot (blocked it, deleted their
/// account) will never get the message, and retrying it forever would also
/// hold back nothing but noise: it is dropped from the outbox and the
/// clinicians are told, once per case until the dispatcher is next idle, to
/// reach the patient another way. Messages for clinicians are never given up: a handoff must not be lost
/// to a permissions mistake, which someone can fix.
fn give_up(
    service: &Service,
    message: &Outbound,
    error: &DeliveryError,
    alerted: &mut HashSet<CaseId>,
) -> Result<(), StoreError> {
    tracing::warn!(id = %message.id, purpose = message.purpose.name(), platform = %message.to.platform, reason = %error, "the patient's chat refuses the bot; message dropped and clinicians told");
    service.store().delivered(message.id)?;
    if let (Purpose::HealthNotice, Some(notice)) = (message.purpose, &message.reply.entry) {
        // Counted as failed in the notice's progress.
        service
            .store()
            .notice_failed(notice, &message.to, service.now())?;
    }
    // Someone who has blocked the bot gets no more health notices.
    if service.store().subscription(&message.to)?.is_some() {
        service
            .store()
            .set_subscription(&message.to, Default::default(), service.now())?;
        tracing::info!("a patient who refuses the bot was unsubscribed from health notices");
    }
    let Some(case) = message.purpose.case() else {
        return Ok(());
    };
    if !alerted.insert(case) {
        return Ok(());
    }
    let alert = Reply::plain(
        ReplyKind::Notice,
        format!(
            "⚠️ Case {case}: a message could not be delivered to the patient. {} will not let carebot write to them (they may have blocked the bot or deleted their account), so it was dropped. Please contact the patient another way.",
            platform_name(&message.to.platform)
        ),
    );
    match service.alert_clinicians(alert) {
        Ok(_) => Ok(()),
        Err(ServiceError::Store(error)) => Err(error),
    }
}

/// "telegram" as people write it.
fn platform_name(platform: &str) -> String {
    let mut chars = platform.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "The platform".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::Notify;

    #[test]
    fn backoff_doubles_up_to_the_limit() {
        let backoff = Backoff {
            first: Duration::from_secs(2),
            max: Duration::from_secs(60),
        };
        let waits: Vec<u64> = (1..=7).map(|n| backoff.wait(n).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(backoff.wait(u32::MAX), Duration::from_secs(60));
    }

    /// A service on a temporary store with the fixture knowledge.
    fn service() -> Arc<Service> {
        let knowledge =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/knowledge");
        let engine = crate::Engine::new(crate::load_dir(&knowledge).unwrap());
        Arc::new(Service::new(
            Arc::new(engine),
            Store::temporary().unwrap(),
            crate::HandoffSettings::default(),
            Arc::new(clock::SystemClock),
        ))
    }

    /// A health notice to the Telegram chat `chat`.
    fn notice(chat: usize) -> crate::store::NewOutbound {
        crate::store::NewOutbound {
            to: Address::new("telegram", chat.to_string()),
            purpose: Purpose::HealthNotice,
            reply: Reply::plain(ReplyKind::Notice, "Flu clinics on Saturdays"),
        }
    }

    const BACKOFF: Backoff = Backoff {
        first: Duration::from_secs(1),
        max: Duration::from_secs(1),
    };

    #[tokio::test]
    async fn a_delivery_answered_as_shutdown_comes_is_recorded_not_sent_again() {
        let service = service();
        let now = service.now();
        service.store().enqueue(vec![notice(42)], now).unwrap();
        // The platform's answer comes in with the shutdown: both are ready
        // when the dispatcher next looks.
        let (stop, answered) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let deliver = {
            let (stop, answered) = (stop.clone(), answered.clone());
            move |_: Outbound| {
                let (stop, answered) = (stop.clone(), answered.clone());
                async move {
                    stop.notify_one();
                    answered.notified().await;
                    Ok(())
                }
            }
        };
        let shutdown = async move {
            stop.notified().await;
            answered.notify_one();
        };
        run(service.clone(), deliver, BACKOFF, shutdown).await;
        let left = service.store().outbox().unwrap();
        assert!(left.is_empty(), "{left:?}");
    }

    #[tokio::test]
    async fn a_broadcast_is_read_from_the_outbox_once_not_once_per_message() {
        const SUBSCRIBERS: usize = 1000;
        let service = service();
        let now = service.now();
        let notices = (0..SUBSCRIBERS).map(notice).collect();
        service.store().enqueue(notices, now).unwrap();
        let started = std::time::Instant::now();
        service.store().next_per_recipient().unwrap();
        let one_reading = started.elapsed();
        let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let all_sent = Arc::new(Notify::new());
        let deliver = {
            let (sent, all_sent) = (sent.clone(), all_sent.clone());
            move |_: Outbound| {
                let (sent, all_sent) = (sent.clone(), all_sent.clone());
                async move {
                    if sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == SUBSCRIBERS {
                        all_sent.notify_one();
                    }
                    Ok(())
                }
            }
        };
        let started = std::time::Instant::now();
        run(service.clone(), deliver, BACKOFF, async move {
            all_sent.notified().await
        })
        .await;
        let took = started.elapsed();
        assert!(service.store().outbox().unwrap().is_empty());
        // Reading the outbox again after each message read half of it
        // on average: some 500 readings' worth.
        assert!(
            took < one_reading * 50,
            "{SUBSCRIBERS} messages took {took:?}; one reading takes {one_reading:?}"
        );
    }
}
