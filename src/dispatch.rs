//! The outbox dispatcher: hands queued messages to an adapter and forgets each
//! only once the adapter confirms delivery. A failed delivery is retried with
//! exponential back-off, so a platform outage delays messages but loses none,
//! and a crash loses none either (they are on disk until confirmed).
//!
//! Delivery is at-least-once: a crash after the platform accepted a message
//! but before the confirmation was stored sends it again on restart.
//!
//! One exception to "retried until delivered": a patient whose chat refuses
//! the bot (blocked, account deleted) will never get the message, so it is
//! dropped and the clinicians are told to reach the patient another way.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// How long to wait before retrying a failed delivery. Defined in
/// carebot-chat so the adapters' retry loops share its formula; re-exported
/// here, where the dispatcher and `carebot serve` have always found it.
pub use carebot_chat::Backoff;
pub use carebot_chat::DeliveryError;
use carebot_chat::{CaseId, Outbound, Purpose, Reply, ReplyKind};

use crate::clock;
use crate::service::{Service, ServiceError};
use crate::store::StoreError;

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

/// How many messages one round hands to the adapter.
const BATCH: usize = 64;
/// How long to sleep with nothing queued before looking again (a message
/// queued meanwhile wakes the dispatcher at once).
const IDLE: Duration = Duration::from_secs(60);
/// The shortest wait after a round that found nothing to send.
const MIN_WAIT: Duration = Duration::from_millis(100);
/// How long to wait after the store itself failed before trying again.
const STORE_RETRY: Duration = Duration::from_secs(5);

/// Delivers the outbox through `deliver` until `shutdown` completes, then
/// flushes the store. A delivery under way when shutdown comes is abandoned
/// unconfirmed, so it is sent again next time.
pub async fn run<D: Deliver>(
    service: Arc<Service>,
    deliver: D,
    backoff: Backoff,
    shutdown: impl Future<Output = ()>,
) {
    let ready = service.outbox_ready();
    let store = service.store().clone();
    tokio::pin!(shutdown);
    loop {
        let wait = match deliver_due(&service, &deliver, backoff, shutdown.as_mut()).await {
            Round::ShuttingDown => break,
            Round::Done { tried } => match store.next_attempt() {
                Ok(Some(at)) => {
                    let wait = clock::elapsed(service.now(), at).min(IDLE);
                    // Nothing tried yet something due would spin: never wait
                    // less than a moment after an empty round.
                    if tried == 0 {
                        wait.max(MIN_WAIT)
                    } else {
                        wait
                    }
                }
                Ok(None) => IDLE,
                Err(error) => {
                    tracing::error!(%error, "cannot read the outbox");
                    STORE_RETRY
                }
            },
            Round::StoreFailed => STORE_RETRY,
        };
        if wait.is_zero() {
            continue;
        }
        tokio::select! {
            _ = &mut shutdown => break,
            _ = ready.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
    if let Err(error) = store.flush() {
        tracing::error!(%error, "cannot flush the store at shutdown");
    }
}

enum Round {
    Done { tried: usize },
    StoreFailed,
    ShuttingDown,
}

/// Tries every message that is due once.
async fn deliver_due<D: Deliver>(
    service: &Service,
    deliver: &D,
    backoff: Backoff,
    mut shutdown: std::pin::Pin<&mut impl Future<Output = ()>>,
) -> Round {
    let store = service.store();
    let due = match store.due(service.now(), BATCH) {
        Ok(due) => due,
        Err(error) => {
            tracing::error!(%error, "cannot read the outbox");
            return Round::StoreFailed;
        }
    };
    // A recipient whose message just failed gets nothing more this round, so
    // its messages stay in order.
    let mut failed = std::collections::HashSet::new();
    // Cases whose clinicians were told this round that a patient is unreachable.
    let mut alerted = std::collections::HashSet::new();
    let mut tried = 0;
    for item in due {
        let message = &item.message;
        if failed.contains(&message.to) {
            continue;
        }
        tried += 1;
        let result = tokio::select! {
            _ = &mut shutdown => return Round::ShuttingDown,
            result = deliver.deliver(message) => result,
        };
        let stored = match result {
            Ok(()) => {
                tracing::debug!(id = %message.id, purpose = message.purpose.name(), "delivered");
                store.delivered(message.id).map(|_| ())
            }
            // The patient's other messages are tried (and given up) in this
            // same round, with one alert per case.
            Err(error) if error.recipient_refuses && to_patient(message.purpose) => {
                give_up(service, message, &error, &mut alerted)
            }
            Err(error) => {
                failed.insert(message.to.clone());
                let failures = item.attempts.saturating_add(1);
                let retry_at = clock::after(service.now(), backoff.wait(failures));
                tracing::warn!(id = %message.id, purpose = message.purpose.name(), platform = %message.to.platform, failures, reason = %error, "delivery failed; will retry");
                store
                    .delivery_failed(message.id, retry_at, &error.reason)
                    .map(|_| ())
            }
        };
        if let Err(error) = stored {
            tracing::error!(%error, "cannot update the outbox");
            return Round::StoreFailed;
        }
    }
    Round::Done { tried }
}

/// Whether a message is for a patient (a clinician's reply, news about their
/// case, a direct reply kept for later) rather than for the clinicians. A
/// kept reply may be a clinician's command answer, but nothing in it is a
/// handoff that must not be lost.
fn to_patient(purpose: Purpose) -> bool {
    matches!(
        purpose,
        Purpose::ClinicianReply { .. } | Purpose::CaseNews { .. } | Purpose::Reply
    )
}

/// A patient who has closed their chat to the bot (blocked it, deleted their
/// account) will never get the message, and retrying it forever would also
/// hold back nothing but noise: it is dropped from the outbox and the
/// clinicians are told, once per case and round, to reach the patient another
/// way. Messages for clinicians are never given up: a handoff must not be lost
/// to a permissions mistake, which someone can fix.
fn give_up(
    service: &Service,
    message: &Outbound,
    error: &DeliveryError,
    alerted: &mut std::collections::HashSet<CaseId>,
) -> Result<(), StoreError> {
    tracing::warn!(id = %message.id, purpose = message.purpose.name(), platform = %message.to.platform, reason = %error, "the patient's chat refuses the bot; message dropped and clinicians told");
    service.store().delivered(message.id)?;
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
}
