//! `carebot serve`: what a practice deploys. One process runs every
//! configured chat adapter over one engine and one store.
//!
//! Startup checks everything before starting anything: the configuration
//! and tokens (`config.rs`), the knowledge, the data folder, the health and
//! metrics address. Then these run side by side until SIGINT or SIGTERM:
//!
//! | part | file | does |
//! |---|---|---|
//! | one task per adapter | `platforms.rs` (the registry: one line per platform), `platform.rs`, `terminal.rs`, `turns.rs` | takes updates, hands them to the service through [`MeteredBot`]; reconnects with back-off; on a shared store, takes turns with other processes where one at a time may connect |
//! | the dispatcher | [`carebot::dispatch`] through `platform.rs`'s `Router` | delivers the outbox through the platform each message is addressed to, and copies to patients' records to the practice's FHIR server (`record.rs`) |
//! | upkeep | [`carebot::upkeep`] | reminders for unclaimed cases, retention purge |
//! | the reload watcher | `reload.rs` | swaps in edited knowledge, or keeps the last good set and alerts |
//! | health and metrics | `http.rs`, `status.rs`, `metrics.rs` | `GET /healthz`, `GET /metrics` |
//! | the admin socket (Unix) | `admin.rs` | answers the staff commands run at the terminal while `serve` holds the data folder |
//!
//! Shutdown (`shutdown.rs`): the adapters stop taking updates and finish the
//! replies in flight, everything else stops, the store is flushed, and the
//! process exits 0, all within [`GRACE`]. A second signal stops at once.

#[cfg(unix)]
mod admin;
mod http;
mod logging;
mod metrics;
mod platform;
pub mod platforms;
mod record;
mod reload;
mod shutdown;
mod status;
mod terminal;
mod turns;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use tokio::task::JoinSet;

use carebot::clock::SystemClock;
use carebot::dispatch::{self, Backoff};
use carebot::upkeep::{self, Schedule};
use carebot::{Bot, Engine, Service};

use super::config::{Adapters, Config, ProcessEnv, ReloadConfig};
use super::data::{open_store, DataArgs, WithoutData};
use super::error::CliError;
use metrics::{MeteredBot, Metrics};
use platform::{Platform, Router};
use platforms::Registered;
use shutdown::Shutdown;
use status::Status;

/// How long a clinician's `/reply` waits for the patient to get the message
/// before answering "queued" instead of "delivered": long enough for a
/// delivery without trouble, short enough that the clinician is not left
/// wondering.
const REPLY_CONFIRMATION_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Also take patients' messages as JSON lines on standard input, {"user": "ID", "text": "MESSAGE"}, and write replies as JSON lines on standard output (the platform `terminal`): for trying a deployment out without a chat app.
    #[arg(long)]
    terminal: bool,
    /// Check the configuration, the tokens and the knowledge, then exit without starting anything.
    #[arg(long)]
    check: bool,
}

/// How long the parts get to stop after a signal before carebot exits anyway.
const GRACE: Duration = Duration::from_secs(5);

/// Everything checked and opened, ready to run.
struct Ready {
    service: Arc<Service>,
    platforms: Vec<Arc<dyn Platform>>,
    /// The practice's FHIR server, when `[record] fhir_base` names one.
    record: Option<carebot::record::push::FhirServer>,
    listener: std::net::TcpListener,
    /// The admin socket, when the store is a folder and it could be made.
    #[cfg(unix)]
    admin: Option<admin::Listening>,
    knowledge: PathBuf,
    /// The knowledge folder as it was just before it was loaded.
    seen: reload::Fingerprint,
    reload: ReloadConfig,
}

pub fn run(
    dir: &Path,
    data: &DataArgs,
    config: &Config,
    args: &ServeArgs,
) -> Result<ExitCode, CliError> {
    let adapters = config.adapters(&ProcessEnv).map_err(CliError::Config)?;
    let shared = data.names_a_shared_store()?;
    let mut platforms = adapter_platforms(&platforms::registry(), &adapters, shared)?;
    let record = record::server(&config.record)?;
    let seen = reload::Fingerprint::of(dir);
    let engine = super::configured_engine(Engine::with_limits(
        super::load_knowledge(dir)?,
        config.limits.engine,
    ));
    if args.check {
        let mut running = adapters.names();
        if args.terminal {
            running.push("terminal");
        }
        for warning in config.warnings(&running) {
            eprintln!("warning: {warning}");
        }
        if running.is_empty() {
            running.push("none");
        }
        println!(
            "carebot: the configuration and the knowledge in {} are valid ({} FAQ entries, {} triage rules); adapters: {}",
            dir.display(),
            engine.knowledge().faqs.len(),
            engine.knowledge().rules.len(),
            running.join(", ")
        );
        return Ok(ExitCode::SUCCESS);
    }
    // The emergency net and the FAQ's embeddings are made ready on a thread
    // of their own: no patient waits on them (words alone meanwhile).
    engine.prepare_in_background();
    let store = open_store(data, WithoutData::UserFolder)?;
    let listener = std::net::TcpListener::bind(config.metrics_listen)
        .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
        .map_err(|error| {
            CliError::failed(format!(
                "cannot listen on {} (metrics.listen): {error}",
                config.metrics_listen
            ))
        })?;
    if let Some(warning) = logging::install(&config.log) {
        tracing::warn!("{warning}");
    }
    #[cfg(unix)]
    let admin = store.path().and_then(admin::bind);
    if args.terminal {
        platforms.push(terminal::Terminal::start());
    }
    let running: Vec<&str> = platforms.iter().map(|platform| platform.name()).collect();
    for warning in config.warnings(&running) {
        tracing::warn!("{warning}");
    }
    let ready = Ready {
        service: Arc::new(
            Service::new(
                Arc::new(engine),
                store,
                data.settings().clone(),
                Arc::new(SystemClock),
            )
            .with_rate_limit(config.limits.rate)
            .with_delivery_wait(REPLY_CONFIRMATION_WAIT)
            .with_record(data.record().clone()),
        ),
        platforms,
        record,
        listener,
        #[cfg(unix)]
        admin,
        knowledge: dir.to_path_buf(),
        seen,
        reload: config.reload.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("carebot")
        .build()
        .map_err(|error| CliError::failed(format!("cannot start the async runtime: {error}")))?;
    let code = runtime.block_on(serve(ready));
    // Anything still running (a stuck adapter) is abandoned: the store is
    // already flushed.
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(code)
}

/// The configured adapters, ready to connect. An adapter configured in a
/// carebot built without it is a configuration error, not something to
/// ignore.
fn adapter_platforms(
    registry: &[Arc<dyn Registered>],
    adapters: &Adapters,
    shared: bool,
) -> Result<Vec<Arc<dyn Platform>>, CliError> {
    let mut platforms: Vec<Arc<dyn Platform>> = Vec::new();
    let mut missing = Vec::new();
    for adapter in &adapters.0 {
        let started = registry
            .iter()
            .find(|platform| platform.name() == adapter.name)
            .and_then(|platform| platform.start(adapter, shared));
        match started {
            Some(platform) => platforms.push(platform),
            None => missing.push(adapter.name),
        }
    }
    if !missing.is_empty() {
        return Err(CliError::NotBuilt(missing));
    }
    Ok(platforms)
}

async fn serve(ready: Ready) -> ExitCode {
    let Ready {
        service,
        platforms,
        record,
        listener,
        #[cfg(unix)]
        admin,
        knowledge,
        seen,
        reload,
    } = ready;
    let mut signals = shutdown::Signals::listen();
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(%error, "cannot serve health and metrics");
            return ExitCode::FAILURE;
        }
    };
    if let Ok(address) = listener.local_addr() {
        tracing::info!(%address, "health and metrics listening: GET /healthz, GET /metrics");
    }
    let names: Vec<&str> = platforms.iter().map(|platform| platform.name()).collect();
    let metrics = Arc::new(Metrics::new(&names));
    let bot: Arc<dyn Bot> = Arc::new(MeteredBot::new(service.clone(), metrics.clone()));
    let shutdown = Shutdown::default();

    let mut adapters = JoinSet::new();
    for platform in &platforms {
        adapters.spawn(turns::supervise_in_turn(
            platform.clone(),
            bot.clone(),
            metrics.clone(),
            service.store().clone(),
            shutdown.clone(),
        ));
    }
    let mut others = JoinSet::new();
    others.spawn(dispatch::run(
        service.clone(),
        Router::new(&platforms, metrics.clone()).with_record(record),
        Backoff::default(),
        shutdown.wait(),
    ));
    others.spawn(upkeep::run(
        service.clone(),
        Schedule::default(),
        shutdown.wait(),
    ));
    if reload.watch {
        others.spawn(reload::run(
            service.clone(),
            metrics.clone(),
            knowledge.clone(),
            seen,
            reload.poll_interval,
            shutdown.wait(),
        ));
    }
    let status = Arc::new(Status {
        service: service.clone(),
        platforms: platforms.clone(),
        metrics: metrics.clone(),
    });
    others.spawn(http::run(listener, status, shutdown.wait()));
    #[cfg(unix)]
    if let Some(admin) = admin {
        others.spawn(admin::run(admin, service.clone(), shutdown.clone()));
    }
    let engine = service.engine();
    tracing::info!(
        adapters = ?names,
        knowledge = %knowledge.display(),
        data = %service.store().location(),
        faq_entries = engine.knowledge().faqs.len(),
        rules = engine.knowledge().rules.len(),
        "carebot is serving"
    );
    drop(engine);

    signals.next().await;
    shutdown.trip();
    let stopped = async {
        // Adapters first: their in-flight replies may still queue messages.
        while adapters.join_next().await.is_some() {}
        while others.join_next().await.is_some() {}
    };
    let in_time = tokio::select! {
        stopped = tokio::time::timeout(GRACE, stopped) => stopped.is_ok(),
        _ = signals.next() => {
            tracing::warn!("second signal: stopping now");
            false
        }
    };
    if !in_time {
        tracing::warn!("not every part stopped in time; exiting anyway");
    }
    match service.store().flush() {
        Ok(()) => {
            tracing::info!("stopped; the store is flushed");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(%error, "cannot flush the store");
            ExitCode::FAILURE
        }
    }
}
