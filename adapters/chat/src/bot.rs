//! The seam between a chat adapter and carebot: what an adapter calls for each
//! incoming message. The `carebot` core implements [`Bot`] (its handoff service);
//! adapters only ever see this trait, so they never depend on the core, and an
//! adapter's tests can drive it with a small fake.

use serde::{Deserialize, Serialize};

use crate::{Address, Inbound, Reply, ReplyKind};

/// A reply and the chat it must go to: usually the chat the message came from,
/// but a health question asked in a group goes to the asker's private chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub to: Address,
    pub reply: Reply,
}

/// carebot could not handle a message (its store failed): the adapter should
/// apologise to the patient and log `reason`, which never contains message text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotError {
    pub reason: String,
}

impl std::fmt::Display for BotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for BotError {}

/// What a patient is told when carebot could not handle their message (a
/// [`BotError`], or the bot stopped mid-message): one wording on every
/// platform, and it names the emergency number, as every fail-safe must.
pub const APOLOGY: &str = "Sorry, something went wrong on my side and I couldn't read your message. Please try again in a moment; in an emergency, call your local emergency number now.";

impl BotError {
    /// [`APOLOGY`] as a reply, for an adapter to send to the patient's chat.
    pub fn apology() -> Reply {
        Reply::plain(ReplyKind::Notice, APOLOGY)
    }
}

/// What a chat adapter needs from carebot.
///
/// `handle` may write to disk (it is durable before it returns), so async
/// adapters call it through `tokio::task::spawn_blocking`. Messages for anyone
/// else (clinician notifications, replies relayed from clinicians) are not
/// returned here: they go through the durable outbox, which the `carebot`
/// binary drains through each adapter's `deliver`.
pub trait Bot: Send + Sync + 'static {
    /// Handles one incoming message; returns what to send now, in order
    /// (carebot puts emergency advice first, so adapters need not sort).
    fn handle(&self, inbound: Inbound) -> Result<Vec<Delivery>, BotError>;

    /// Keeps `deliveries` (replies `handle` returned, in order) in the
    /// durable outbox because the platform would not take them now even after
    /// the adapter's own retries: they then come back through the adapter's
    /// `deliver` with the outbox's back-off, like case notifications, and a
    /// reply to a patient is never lost to an outage. The default keeps
    /// nothing and says so (test fakes have no outbox).
    fn send_later(&self, deliveries: Vec<Delivery>) -> Result<(), BotError> {
        Err(BotError {
            reason: format!(
                "{} replies could not be kept: this bot has no outbox",
                deliveries.len()
            ),
        })
    }
}
