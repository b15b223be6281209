//! What `/healthz` and `/metrics` report, gathered when asked: the knowledge
//! in use, each adapter's connection, whether the store can write, the
//! store's cases, outbox and health notices' progress, and the counters of
//! [`Metrics`]. The HTTP side
//! is in `http.rs`.
//!
//! A store that cannot write (a full disk) makes carebot unready (503), yet
//! it keeps answering patients and opens the store again by itself once the
//! disk takes writes (see the store's `recovery.rs`): a supervisor should
//! alert on it, not restart carebot, which could not even start while the
//! disk is full.

use std::sync::Arc;

use serde_json::json;

use carebot::handoff::CaseStatus;
use carebot::Service;

use super::metrics::{Exposition, Metrics};
use super::platform::Platform;

/// Everything the health and metrics endpoints read.
pub struct Status {
    pub service: Arc<Service>,
    pub platforms: Vec<Arc<dyn Platform>>,
    pub metrics: Arc<Metrics>,
}

impl Status {
    /// Whether carebot is ready (knowledge loaded, every adapter connected,
    /// the store writing), and a short JSON account of why.
    pub fn health(&self) -> (bool, serde_json::Value) {
        let engine = self.service.engine();
        let knowledge = engine.knowledge();
        let adapters: serde_json::Map<String, serde_json::Value> = self
            .platforms
            .iter()
            .map(|platform| {
                let state = if platform.is_connected() {
                    "connected"
                } else {
                    "disconnected"
                };
                (platform.name().to_string(), json!(state))
            })
            .collect();
        // Knowledge is loaded before anything starts, and a failed reload
        // keeps the last good set: carebot answers either way, so a stale
        // set is reported but does not make it unready.
        let store = self.service.store().health();
        let ready = self
            .platforms
            .iter()
            .all(|platform| platform.is_connected())
            && store.failing.is_none();
        let store = match &store.failing {
            None => json!({ "state": "ok" }),
            Some(reason) => json!({ "state": "failing", "reason": reason }),
        };
        let body = json!({
            "status": if ready { "ok" } else { "unavailable" },
            "knowledge": {
                "loaded": true,
                "current": self.metrics.knowledge_current(),
                "faq_entries": knowledge.faqs.len(),
                "rules": knowledge.rules.len(),
            },
            "adapters": adapters,
            "store": store,
        });
        (ready, body)
    }

    /// The metrics page: the counters, then gauges read from the store and
    /// the adapters now. Reads the whole cases and outbox trees, so call it
    /// off the async threads.
    pub fn metrics(&self) -> String {
        let mut out = Exposition::default();
        self.metrics.render_into(&mut out);

        let engine = self.service.engine();
        let name = "carebot_knowledge_faq_entries";
        out.family(name, "gauge", "FAQ entries in the knowledge being served.");
        out.sample(name, &[], engine.knowledge().faqs.len());
        let name = "carebot_knowledge_rules";
        out.family(name, "gauge", "Triage rules in the knowledge being served.");
        out.sample(name, &[], engine.knowledge().rules.len());

        let name = "carebot_messages_rate_limited_total";
        out.family(
            name,
            "counter",
            "Patient messages held back because their sender was over the rate limit (limits.burst, limits.per_minute).",
        );
        out.sample(name, &[], self.service.rate_limited());

        let name = "carebot_adapter_connected";
        out.family(
            name,
            "gauge",
            "1 when the adapter is connected to its platform.",
        );
        for platform in &self.platforms {
            out.sample(
                name,
                &[("platform", platform.name())],
                u8::from(platform.is_connected()),
            );
        }

        let health = self.service.store().health();
        let name = "carebot_store_writing";
        out.family(
            name,
            "gauge",
            "1 while the store can write to disk; 0 while it fails (a full disk) and patients are answered without anything being recorded.",
        );
        out.sample(name, &[], u8::from(health.failing.is_none()));
        let name = "carebot_store_disk_errors_total";
        out.family(name, "counter", "Disk errors the store met.");
        out.sample(name, &[], health.disk_errors);
        let name = "carebot_store_reopened_total";
        out.family(
            name,
            "counter",
            "Times the store was opened again after a disk failure, without a restart.",
        );
        out.sample(name, &[], health.reopened);
        let name = "carebot_not_recorded_total";
        out.family(
            name,
            "counter",
            "Writes for patients' messages that failed, by what was not kept; the patient was answered anyway. A case means the clinicians were not told and the patient was asked to phone.",
        );
        for (what, count) in self.service.not_recorded() {
            out.sample(name, &[("record", what.as_str())], count);
        }

        let store = self.service.store();
        match store.cases() {
            Ok(cases) => {
                let name = "carebot_handoff_cases";
                out.family(name, "gauge", "Handoff cases in the store, by status (resolved ones until the retention period ends).");
                for status in CaseStatus::ALL {
                    let count = cases.iter().filter(|case| case.status() == status).count();
                    out.sample(name, &[("status", status.as_str())], count);
                }
            }
            Err(error) => tracing::error!(%error, "cannot read the cases for /metrics"),
        }
        match store.outbox() {
            Ok(outbox) => {
                let now = self.service.now();
                let name = "carebot_outbox_depth";
                out.family(
                    name,
                    "gauge",
                    "Messages waiting in the outbox for delivery.",
                );
                out.sample(name, &[], outbox.len());
                let oldest = outbox
                    .iter()
                    .map(|item| carebot::clock::elapsed(item.queued_at, now).as_secs())
                    .max()
                    .unwrap_or(0);
                let name = "carebot_outbox_oldest_seconds";
                out.family(
                    name,
                    "gauge",
                    "Age of the oldest message waiting in the outbox (0 when empty).",
                );
                out.sample(name, &[], oldest);
            }
            Err(error) => tracing::error!(%error, "cannot read the outbox for /metrics"),
        }
        match store.notice_progress() {
            Ok(progress) => {
                let name = "carebot_notice_messages";
                out.family(
                    name,
                    "gauge",
                    "Health notice messages for subscribers, by notice id and state: sent (delivered), pending (in the outbox, waiting or retried), failed (given up: the chat refuses the bot). Kept for the retention period.",
                );
                for (notice, progress) in &progress {
                    for (state, count) in [
                        ("sent", progress.sent),
                        ("pending", progress.pending),
                        ("failed", progress.failed),
                    ] {
                        out.sample(name, &[("notice", notice), ("state", state)], count);
                    }
                }
            }
            Err(error) => {
                tracing::error!(%error, "cannot read the health notices' progress for /metrics")
            }
        }
        out.into_text()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use carebot::clock::SystemClock;
    use carebot::dispatch::DeliveryError;
    use carebot::{Bot, Engine, HandoffSettings, Outbound, Store};

    use super::super::platform::{BoxFuture, PlatformError};
    use super::super::shutdown::Shutdown;
    use super::*;

    /// A platform that never connects.
    struct Down;

    impl Platform for Down {
        fn name(&self) -> &'static str {
            "telegram"
        }
        fn connect(&self) -> BoxFuture<'_, Result<(), PlatformError>> {
            Box::pin(async { Err(PlatformError("refused".to_string())) })
        }
        fn run(&self, _: Arc<dyn Bot>, _: Shutdown) -> BoxFuture<'_, Result<(), PlatformError>> {
            Box::pin(async { Err(PlatformError("refused".to_string())) })
        }
        fn deliver<'a>(&'a self, _: &'a Outbound) -> BoxFuture<'a, Result<(), DeliveryError>> {
            Box::pin(async { Err(DeliveryError::new("refused")) })
        }
        fn is_connected(&self) -> bool {
            false
        }
    }

    #[test]
    fn an_adapter_that_is_down_makes_carebot_unready() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/knowledge");
        let engine = Engine::new(carebot::load_dir(&dir).unwrap());
        let service = Service::new(
            Arc::new(engine),
            Store::temporary().unwrap(),
            HandoffSettings::default(),
            Arc::new(SystemClock),
        );
        let status = Status {
            service: Arc::new(service),
            platforms: vec![Arc::new(Down)],
            metrics: Arc::new(Metrics::new(&["telegram"])),
        };
        let (ready, body) = status.health();
        assert!(!ready);
        assert_eq!(body["status"], "unavailable");
        assert_eq!(body["adapters"]["telegram"], "disconnected");
        assert_eq!(body["store"]["state"], "ok");
        let metrics = status.metrics();
        assert!(
            metrics.contains("carebot_adapter_connected{platform=\"telegram\"} 0"),
            "{metrics}"
        );
        assert!(metrics.contains("carebot_outbox_depth 0"), "{metrics}");
        assert!(
            metrics.contains("carebot_messages_rate_limited_total 0"),
            "{metrics}"
        );
        assert!(
            metrics.contains("carebot_handoff_cases{status=\"open\"} 0"),
            "{metrics}"
        );
        for line in [
            "carebot_store_writing 1",
            "carebot_store_disk_errors_total 0",
            "carebot_not_recorded_total{record=\"case\"} 0",
        ] {
            assert!(metrics.contains(line), "{line} missing from\n{metrics}");
        }

        let none = Status {
            platforms: Vec::new(),
            ..status
        };
        assert!(none.health().0, "no adapter configured: ready");
    }
}
