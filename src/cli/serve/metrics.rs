//! Counters for `/metrics`, fed from platform-neutral places: [`MeteredBot`]
//! wraps the [`Bot`] every adapter calls (so each message is counted and
//! timed the same way whichever platform it came from), the [`Router`]
//! counts deliveries, the supervisor counts reconnects and the reload watcher
//! counts reloads. Only names, levels and numbers are kept: never message
//! text, never a patient or chat id.
//!
//! Gauges that describe the store or the adapters right now (open cases,
//! outbox depth, each health notice's sent, pending and failed messages,
//! connected adapters) are read when scraped, in `status.rs`: several
//! processes sharing a store report the same figures.
//!
//! [`Router`]: super::platform::Router

use std::collections::BTreeMap;
use std::fmt::{Display, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use carebot::{Bot, BotError, Delivery, Inbound, Level, ReplyKind};

/// Upper bounds of the reply latency buckets, in seconds: replies take well
/// under a millisecond, unless a case is written (an fsync) or the disk stalls.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

const INBOUND_KINDS: [&str; 4] = ["message", "command", "malformed_command", "public"];
const REPLY_KINDS: [ReplyKind; 6] = [
    ReplyKind::Answer,
    ReplyKind::Triage,
    ReplyKind::Question,
    ReplyKind::Choices,
    ReplyKind::Fallback,
    ReplyKind::Notice,
];

#[derive(Debug, Default)]
struct Histogram {
    /// Per bucket, not cumulative (made cumulative when rendered).
    counts: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(bucket) = LATENCY_BUCKETS.iter().position(|&le| seconds <= le) {
            self.counts[bucket] += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }
}

#[derive(Debug, Default)]
struct Counters {
    /// (platform, inbound kind)
    messages: BTreeMap<(String, &'static str), u64>,
    /// (platform, reply kind)
    replies: BTreeMap<(String, &'static str), u64>,
    /// level of care advised
    escalations: BTreeMap<&'static str, u64>,
    errors: BTreeMap<String, u64>,
    latency: Histogram,
    /// (platform, "delivered" | "failed")
    deliveries: BTreeMap<(String, &'static str), u64>,
    connect_failures: BTreeMap<String, u64>,
    reloads: u64,
    reload_failures: u64,
    /// Whether the files on disk are the ones being served (false after a
    /// failed reload, until the files are fixed).
    knowledge_current: bool,
}

/// Everything counted since the process started.
#[derive(Debug)]
pub struct Metrics {
    counters: Mutex<Counters>,
}

/// Prometheus's text format, written one metric family at a time.
#[derive(Default)]
pub struct Exposition(String);

impl Exposition {
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (index, (label, value)) in labels.iter().enumerate() {
                if index > 0 {
                    self.0.push(',');
                }
                let escaped = value
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n");
                let _ = write!(self.0, "{label}=\"{escaped}\"");
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {value}");
    }

    pub fn into_text(self) -> String {
        self.0
    }
}

impl Metrics {
    /// Counters for the given platforms start at zero (so rates work from the
    /// first scrape); others appear when first counted.
    pub fn new(platforms: &[&str]) -> Metrics {
        let mut counters = Counters {
            knowledge_current: true,
            ..Counters::default()
        };
        for platform in platforms {
            for kind in INBOUND_KINDS {
                counters.messages.insert((platform.to_string(), kind), 0);
            }
            for kind in REPLY_KINDS {
                counters
                    .replies
                    .insert((platform.to_string(), kind.as_str()), 0);
            }
            counters.errors.insert(platform.to_string(), 0);
        }
        for level in Level::ALL {
            counters.escalations.insert(level.as_str(), 0);
        }
        Metrics {
            counters: Mutex::new(counters),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Counters> {
        self.counters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// One incoming message handled (or not) in `elapsed`.
    pub fn handled(
        &self,
        platform: &str,
        kind: &'static str,
        result: &Result<Vec<Delivery>, BotError>,
        elapsed: Duration,
    ) {
        let mut counters = self.lock();
        *counters
            .messages
            .entry((platform.to_string(), kind))
            .or_default() += 1;
        counters.latency.observe(elapsed.as_secs_f64());
        match result {
            Ok(deliveries) => {
                for delivery in deliveries {
                    let reply = &delivery.reply;
                    *counters
                        .replies
                        .entry((platform.to_string(), reply.kind.as_str()))
                        .or_default() += 1;
                    if let (ReplyKind::Triage, Some(level)) = (reply.kind, reply.level) {
                        *counters.escalations.entry(level.as_str()).or_default() += 1;
                    }
                }
            }
            Err(_) => *counters.errors.entry(platform.to_string()).or_default() += 1,
        }
    }

    pub fn delivered(&self, platform: &str, ok: bool) {
        let result = if ok { "delivered" } else { "failed" };
        *self
            .lock()
            .deliveries
            .entry((platform.to_string(), result))
            .or_default() += 1;
    }

    pub fn connect_failed(&self, platform: &str) {
        *self
            .lock()
            .connect_failures
            .entry(platform.to_string())
            .or_default() += 1;
    }

    /// A reload of the knowledge was tried: `ok` when the new set is in use.
    pub fn reloaded(&self, ok: bool) {
        let mut counters = self.lock();
        if ok {
            counters.reloads += 1;
        } else {
            counters.reload_failures += 1;
        }
        counters.knowledge_current = ok;
    }

    /// Whether the knowledge being served is what the files say now.
    pub fn knowledge_current(&self) -> bool {
        self.lock().knowledge_current
    }

    /// The counters and the latency histogram in Prometheus's text format.
    #[cfg(test)]
    pub fn render_counters(&self) -> String {
        let mut out = Exposition::default();
        self.render_into(&mut out);
        out.into_text()
    }

    pub fn render_into(&self, out: &mut Exposition) {
        let counters = self.lock();
        let name = "carebot_messages_total";
        out.family(
            name,
            "counter",
            "Incoming messages by platform and kind (message, command, malformed_command, public).",
        );
        for ((platform, kind), count) in &counters.messages {
            out.sample(name, &[("platform", platform), ("kind", kind)], count);
        }
        let name = "carebot_replies_total";
        out.family(
            name,
            "counter",
            "Replies sent straight back, by the platform asked on and the kind of reply.",
        );
        for ((platform, kind), count) in &counters.replies {
            out.sample(name, &[("platform", platform), ("kind", kind)], count);
        }
        let name = "carebot_escalations_total";
        out.family(
            name,
            "counter",
            "Triage replies by the level of care advised.",
        );
        for (level, count) in &counters.escalations {
            out.sample(name, &[("level", level)], count);
        }
        let name = "carebot_handle_errors_total";
        out.family(
            name,
            "counter",
            "Messages carebot could not handle (the store failed), by platform.",
        );
        for (platform, count) in &counters.errors {
            out.sample(name, &[("platform", platform)], count);
        }
        let name = "carebot_reply_duration_seconds";
        out.family(
            name,
            "histogram",
            "Time to handle one incoming message, store writes included.",
        );
        let mut cumulative = 0;
        for (le, count) in LATENCY_BUCKETS.iter().zip(counters.latency.counts) {
            cumulative += count;
            out.sample(
                &format!("{name}_bucket"),
                &[("le", &le.to_string())],
                cumulative,
            );
        }
        out.sample(
            &format!("{name}_bucket"),
            &[("le", "+Inf")],
            counters.latency.count,
        );
        out.sample(&format!("{name}_sum"), &[], counters.latency.sum);
        out.sample(&format!("{name}_count"), &[], counters.latency.count);
        let name = "carebot_deliveries_total";
        out.family(
            name,
            "counter",
            "Outbox deliveries tried, by platform and result.",
        );
        for ((platform, result), count) in &counters.deliveries {
            out.sample(name, &[("platform", platform), ("result", result)], count);
        }
        let name = "carebot_adapter_connect_failures_total";
        out.family(
            name,
            "counter",
            "Times an adapter could not connect or lost its connection.",
        );
        for (platform, count) in &counters.connect_failures {
            out.sample(name, &[("platform", platform)], count);
        }
        let name = "carebot_knowledge_reloads_total";
        out.family(
            name,
            "counter",
            "Knowledge reloads that swapped in a new set.",
        );
        out.sample(name, &[], counters.reloads);
        let name = "carebot_knowledge_reload_failures_total";
        out.family(
            name,
            "counter",
            "Knowledge reloads refused because the files had errors.",
        );
        out.sample(name, &[], counters.reload_failures);
        let name = "carebot_knowledge_current";
        out.family(name, "gauge", "1 when the knowledge served is what the files say; 0 while the files have errors and the last good set is served.");
        out.sample(name, &[], u8::from(counters.knowledge_current));
    }
}

/// The platform an incoming message came from, and its kind, for counting.
fn describe(inbound: &Inbound) -> (String, &'static str) {
    let kind = match inbound {
        Inbound::Message { .. } => "message",
        Inbound::Command { .. } => "command",
        Inbound::MalformedCommand { .. } => "malformed_command",
        Inbound::Public { .. } => "public",
    };
    (inbound.chat().platform.clone(), kind)
}

/// The bot adapters call: the service, counted and timed.
pub struct MeteredBot<B> {
    inner: Arc<B>,
    metrics: Arc<Metrics>,
}

impl<B> MeteredBot<B> {
    pub fn new(inner: Arc<B>, metrics: Arc<Metrics>) -> MeteredBot<B> {
        MeteredBot { inner, metrics }
    }
}

impl<B: Bot> Bot for MeteredBot<B> {
    fn handle(&self, inbound: Inbound) -> Result<Vec<Delivery>, BotError> {
        let (platform, kind) = describe(&inbound);
        let started = Instant::now();
        let result = self.inner.handle(inbound);
        self.metrics
            .handled(&platform, kind, &result, started.elapsed());
        if let Err(error) = &result {
            tracing::error!(platform = %platform, kind, reason = %error, "cannot handle a message");
        }
        result
    }

    fn send_later(&self, deliveries: Vec<Delivery>) -> Result<(), BotError> {
        self.inner.send_later(deliveries)
    }
}

#[cfg(test)]
mod tests {
    use carebot::{Address, Reply};

    use super::*;

    struct Replies(Vec<Reply>);

    impl Bot for Replies {
        fn handle(&self, inbound: Inbound) -> Result<Vec<Delivery>, BotError> {
            let Inbound::Message { from, text } = inbound else {
                return Err(BotError {
                    reason: "the store failed".to_string(),
                });
            };
            assert_eq!(text, "my chest hurts");
            Ok(self
                .0
                .iter()
                .map(|reply| Delivery {
                    to: from.clone(),
                    reply: reply.clone(),
                })
                .collect())
        }
    }

    #[test]
    fn counts_messages_replies_and_escalations_without_text_or_ids() {
        let metrics = Arc::new(Metrics::new(&["telegram"]));
        let mut urgent = Reply::plain(ReplyKind::Triage, "Call 911 now");
        urgent.level = Some(Level::Emergency);
        let bot = MeteredBot::new(
            Arc::new(Replies(vec![
                Reply::plain(ReplyKind::Notice, "Hello"),
                urgent,
            ])),
            metrics.clone(),
        );
        let from = Address::new("telegram", "555123");
        bot.handle(Inbound::Message {
            from: from.clone(),
            text: "my chest hurts".to_string(),
        })
        .unwrap();
        let sender = carebot::Sender {
            user: from.clone(),
            chat: from,
            name: "Kim".to_string(),
        };
        assert!(bot
            .handle(Inbound::Public {
                sender,
                text: "hi".to_string()
            })
            .is_err());
        let text = metrics.render_counters();
        for line in [
            "carebot_messages_total{platform=\"telegram\",kind=\"message\"} 1",
            "carebot_messages_total{platform=\"telegram\",kind=\"public\"} 1",
            "carebot_messages_total{platform=\"telegram\",kind=\"command\"} 0",
            "carebot_replies_total{platform=\"telegram\",kind=\"notice\"} 1",
            "carebot_replies_total{platform=\"telegram\",kind=\"triage\"} 1",
            "carebot_escalations_total{level=\"emergency\"} 1",
            "carebot_escalations_total{level=\"urgent\"} 0",
            "carebot_handle_errors_total{platform=\"telegram\"} 1",
            "carebot_reply_duration_seconds_bucket{le=\"+Inf\"} 2",
            "carebot_reply_duration_seconds_count 2",
            "carebot_knowledge_current 1",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
        // Names, labels and help text, without the sample values: a timing
        // such as 0.000009112 must not count as the emergency number.
        let described: Vec<&str> = text
            .lines()
            .map(|line| {
                line.rsplit_once(' ')
                    .map_or(line, |(described, _)| described)
            })
            .collect();
        for secret in ["555123", "chest", "Kim", "911"] {
            assert!(
                described.iter().all(|line| !line.contains(secret)),
                "{secret} in\n{text}"
            );
        }
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let metrics = Metrics::new(&[]);
        for millis in [0, 3, 3, 700, 5000] {
            metrics.handled(
                "x",
                "message",
                &Ok(Vec::new()),
                Duration::from_millis(millis),
            );
        }
        let text = metrics.render_counters();
        for line in [
            "carebot_reply_duration_seconds_bucket{le=\"0.0005\"} 1",
            "carebot_reply_duration_seconds_bucket{le=\"0.005\"} 3",
            "carebot_reply_duration_seconds_bucket{le=\"1\"} 4",
            "carebot_reply_duration_seconds_bucket{le=\"2.5\"} 4",
            "carebot_reply_duration_seconds_bucket{le=\"+Inf\"} 5",
            "carebot_reply_duration_seconds_count 5",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = Exposition::default();
        out.sample("x", &[("a", "q\"b\\n\nx")], 1);
        assert_eq!(out.into_text(), "x{a=\"q\\\"b\\\\n\\nx\"} 1\n");
    }
}
