//! # carebot — the core engine
//!
//! carebot answers patients' questions and nudges triage for a medical practice,
//! deciding only from the knowledge files the practice's clinicians curate.
//!
//! ## What flows in, what comes out
//!
//! A patient's message (text) and that patient's [`Conversation`] go into
//! [`Engine::respond`]; a [`Reply`] (kind, level of care, deciding entry, Markdown
//! text, buttons, handoff flag) comes out, and the conversation is updated.
//!
//! ## Stages, and where each lives
//!
//! | stage | module |
//! |---|---|
//! | load and validate knowledge files, `file:line:col` problems; write them (`kb import`); lay a language's translation files over them | [`knowledge`] |
//! | read which language the patient writes in, or asks for | [`language`] |
//! | normalise, tokenise, expand "can't"/"appt", put readings ("BP 186/124") into words, correct typos, stem; one word-table lexicon per language | [`text`] |
//! | spot identifiers (SSN, card numbers) to warn and redact | [`identifiers`] |
//! | detect findings, with negation / history / hypothetical context | [`findings`] |
//! | read age, temperature and duration | [`modifiers`] |
//! | decide whether the message reports a health problem now (the fail-safe) | [`health`] |
//! | evaluate triage rules (concepts, scored signs, bounds on age, temperature, duration), then the red-flag screen; pick advice or a follow-up question | [`triage`] |
//! | rank FAQ entries (inverted index, BM25) | [`faq`] |
//! | recognise by meaning a message that describes an emergency in words no concept lists (a classifier trained on the rules' examples; the red-flag screen's emergency advice) | [`triage_semantic`] |
//! | re-rank FAQ entries by meaning when the words are not sure (hybrid score, precision before coverage, embeddings cached on disk) | [`faq_semantic`] |
//! | the sentence encoder (all-MiniLM-L6-v2 in pure Rust, 8-bit weights) and a static embedding table: the `carebot-semantic` crate | [`semantic`] |
//! | put it together, with follow-up and choice state | [`engine`], [`conversation`] |
//! | limit how fast one patient may send messages | [`ratelimit`] |
//! | run the knowledge base's own examples | [`kbtest`] |
//! | score a labelled set of messages (agreement, emergencies caught) | [`evaluation`] |
//! | warn about stale or unsourced entries | [`kbcheck`] |
//!
//! ## Around the engine: handoff and durable state
//!
//! Adapters do not call the engine directly; they call the [`Service`], which
//! wraps it with everything that must outlive a message:
//!
//! | part | module |
//! |---|---|
//! | a patient's message or a clinician's command in, replies out; what people are told; health notices published from chat (`/notice`) or `carebot notice send` | [`service`] |
//! | cases, settings, the patient's own commands (the case model, below the store) | [`handoff`] |
//! | one sled database, one tree per kind of record; opened again by itself after a full disk | [`store`] |
//! | deliver queued messages, most urgent first, each chat on its own, retrying with back-off: `run(service, deliver, backoff, shutdown)` | [`dispatch`] |
//! | remind clinicians of unclaimed cases, send health notices to subscribers, purge old data: `run(service, schedule, shutdown)` | [`upkeep`] |
//! | who did what, without message text | [`audit`] |
//! | the correspondence copied to the patient's record at the practice, as FHIR R4 (`carebot export fhir`, the push to a FHIR server) | [`record`] |
//! | unanswered questions, top FAQ entries, escalations, time to claim | [`report`] |
//! | where "now" comes from (tests pause it) | [`clock`] |
//!
//! ## Packages, and why there is no cycle
//!
//! - `adapters/chat` (`carebot-chat`): the chat-facing types ([`Reply`],
//!   [`Level`], [`ReplyKind`], [`Button`], and for handoff [`Address`],
//!   [`CaseId`], [`ClinicianCommand`], [`Outbound`]): data, and the seam
//!   every adapter implements for `carebot serve` (`ChatAdapter`).
//! - this package, `carebot`: the core engine (this library, which never uses a
//!   chat-platform type) and the `carebot` binary (`src/main.rs`, `src/cli/`).
//!   The binary's `carebot serve` (`src/cli/serve/`) is what a practice
//!   deploys: it reads `carebot.toml`, runs every adapter over one
//!   [`Service`], and around it [`dispatch`], [`upkeep`], live knowledge
//!   reload, `/healthz` and `/metrics`.
//! - `adapters/<platform>`: one thin translator per chat platform. Adapters depend
//!   on `carebot-chat`, never on this package, so the binary can depend on every
//!   adapter without a package cycle: `carebot` → adapters → `carebot-chat` ←
//!   `carebot`. Each owns its table of `carebot.toml` and implements
//!   `carebot_chat::ChatAdapter`; adding a platform is a new crate plus one
//!   line in `src/cli/serve/platforms.rs`.
//! - `synthetic` (`carebot-synthetic`): made-up knowledge bases and patient
//!   traffic for the benches, examples and soak test. It depends on this
//!   library; this package depends on it only as a dev-dependency, so neither
//!   the library nor the binary contains it.

pub mod audit;
pub mod clock;
pub mod conversation;
pub mod dispatch;
pub mod engine;
pub mod evaluation;
pub mod faq;
pub mod faq_semantic;
pub mod findings;
pub mod handoff;
pub mod health;
pub mod identifiers;
pub mod kbcheck;
pub mod kbtest;
pub mod knowledge;
pub mod language;
pub mod modifiers;
pub mod ratelimit;
pub mod record;
pub mod report;
pub use carebot_semantic as semantic;
pub mod service;
pub mod store;
pub mod text;
pub mod triage;
pub mod triage_semantic;
pub mod upkeep;

pub use carebot_chat::{
    Address, Bot, BotError, Button, CaseId, ClinicianCommand, Delivery, Inbound, Language, Level,
    Outbound, Reply, ReplyKind, Sender,
};
pub use conversation::Conversation;
pub use engine::{Engine, Explanation, Limits, Outcome};
pub use handoff::{HandoffCase, HandoffSettings};
pub use knowledge::{load_dir, Knowledge, Problem};
pub use service::{Response, Service, ServiceError};
pub use store::{Store, StoreError};
