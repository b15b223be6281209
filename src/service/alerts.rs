//! Alerts about carebot itself for the clinicians, such as knowledge files
//! that changed but could not be loaded. They go where case notifications go
//! (the clinician channel, else every clinician), through the durable outbox,
//! so an alert raised while a platform is down still arrives.

use carebot_chat::{Purpose, Reply};

use super::{Service, ServiceError};
use crate::store::NewOutbound;

impl Service {
    /// Queues `reply` for every notification target; returns how many it was
    /// queued for (none when no clinician is configured).
    pub fn alert_clinicians(&self, reply: Reply) -> Result<usize, ServiceError> {
        let deliveries = NewOutbound::to_each(
            &self.settings.notification_targets(),
            Purpose::Alert,
            &reply,
        );
        let queued = deliveries.len();
        if queued > 0 {
            self.store.enqueue(deliveries, self.now())?;
            self.queued();
        }
        Ok(queued)
    }
}
