//! Direct replies an adapter could not send at once (the platform is down or
//! rate limits it for long), kept in the durable outbox. From there they go
//! out like case notifications: the dispatcher's back-off, in order per
//! recipient, confirmed or retried, surviving a restart.

use carebot_chat::{Delivery, Purpose};

use super::{Service, ServiceError};
use crate::store;

impl Service {
    /// Queues `deliveries` (replies [`Service::handle`] returned, in order)
    /// for the dispatcher.
    pub fn send_later(&self, deliveries: Vec<Delivery>) -> Result<(), ServiceError> {
        if deliveries.is_empty() {
            return Ok(());
        }
        let kept = deliveries
            .into_iter()
            .map(|delivery| store::NewOutbound {
                to: delivery.to,
                purpose: Purpose::Reply,
                reply: delivery.reply,
            })
            .collect();
        self.store.enqueue(kept, self.now())?;
        self.queued();
        Ok(())
    }
}
