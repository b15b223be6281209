//! The command line: `carebot serve` (what a practice deploys), `chat`, `ask`,
//! `kb check|test|import`, for staff `cases`, `case`, `report`, `purge`,
//! `notice send`, and `store migrate|check|copy` for whoever runs carebot.
//! Flags and the configuration file are read here and turned into plain
//! settings; each command lives in its own file (`serve` in a folder) and
//! returns a [`CliError`] when it cannot run, which [`main`] alone prints.

mod admin;
mod ask;
mod cases;
mod chat;
mod config;
mod data;
mod error;
mod export;
mod kb;
mod kb_import;
mod notice;
mod purge;
mod report;
mod serve;
mod store;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use carebot::{Engine, Knowledge};
use error::CliError;

#[derive(Debug, Parser)]
#[command(
    name = "carebot",
    version,
    about = "A chatbot for medical practices: FAQ answers, safe triage nudges and clinician handoff, from knowledge files the practice curates."
)]
struct Cli {
    #[command(flatten)]
    knowledge: KnowledgeArgs,
    #[command(flatten)]
    data: data::DataArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
struct KnowledgeArgs {
    /// The knowledge folder (default: `knowledge` in the configuration file, else ./knowledge).
    #[arg(long, global = true, env = "CAREBOT_KNOWLEDGE", value_name = "DIR")]
    knowledge: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the chat adapters, handoff, knowledge reload, health and metrics (the default when a chat-platform token is configured).
    Serve(serve::ServeArgs),
    /// Chat with carebot in the terminal (the default with no chat-platform token).
    Chat(chat::ChatArgs),
    /// Reply to one message, or to JSON lines on stdin with --json.
    Ask(ask::AskArgs),
    /// Check, test and import knowledge files.
    #[command(subcommand)]
    Kb(kb::KbCommand),
    /// List handoff cases (for staff at the practice).
    Cases(cases::CasesArgs),
    /// Show one handoff case in full, e.g. `carebot case C-0042`.
    Case(cases::CaseArgs),
    /// Unanswered questions, top FAQ entries, escalations and time to claim.
    Report(report::ReportArgs),
    /// Delete conversations and resolved cases older than the retention period now.
    Purge,
    /// Publish a health notice to the patients subscribed to its topics (for staff at the practice).
    #[command(subcommand)]
    Notice(notice::NoticeCommand),
    /// Set up, check or copy the store (a sled data folder or PostgreSQL).
    #[command(subcommand)]
    Store(store::StoreCommand),
    /// Export patients' correspondence for their records at the practice (FHIR R4).
    #[command(subcommand)]
    Export(export::ExportCommand),
}

/// Where the knowledge lives: the flag, else the configuration file's
/// `knowledge`, else ./knowledge, else the folder that shipped with the
/// source tree (so `cargo run` works from any directory).
fn knowledge_dir(args: &KnowledgeArgs, config: &config::Config) -> PathBuf {
    if let Some(dir) = args.knowledge.as_ref().or(config.knowledge.as_ref()) {
        return dir.clone();
    }
    let local = PathBuf::from("knowledge");
    if local.is_dir() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
}

/// Loads the knowledge base; every problem if it is invalid.
fn load_knowledge(dir: &Path) -> Result<Knowledge, CliError> {
    carebot::load_dir(dir).map_err(|problems| CliError::Knowledge {
        dir: dir.to_path_buf(),
        problems,
    })
}

/// `[faq] semantic` from the configuration file, set once before any engine
/// is built: every command's engine follows it.
static FAQ_SEMANTIC: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// An engine as the configuration asks: with or without the FAQ's semantic
/// layer.
fn configured_engine(engine: Engine) -> Engine {
    if FAQ_SEMANTIC.load(std::sync::atomic::Ordering::Relaxed) {
        engine
    } else {
        engine.lexical_only()
    }
}

fn load_engine(dir: &Path) -> Result<Engine, CliError> {
    load_knowledge(dir).map(|knowledge| configured_engine(Engine::new(knowledge)))
}

/// Runs the command; the one place where what went wrong is printed.
pub fn main() -> ExitCode {
    run(Cli::parse()).unwrap_or_else(CliError::report)
}

fn run(mut cli: Cli) -> Result<ExitCode, CliError> {
    let config = config::Config::load(
        cli.data.config_path().as_deref(),
        &serve::platforms::registry(),
    )
    .map_err(CliError::Config)?;
    cli.data.apply(&config);
    FAQ_SEMANTIC.store(config.faq_semantic, std::sync::atomic::Ordering::Relaxed);
    let dir = knowledge_dir(&cli.knowledge, &config);
    match cli.command {
        None if config.wants_serve(&config::ProcessEnv) => {
            serve::run(&dir, &cli.data, &config, &serve::ServeArgs::default())
        }
        None => chat::run(&dir, &cli.data, &chat::ChatArgs::default()),
        Some(Command::Serve(args)) => serve::run(&dir, &cli.data, &config, &args),
        Some(Command::Chat(args)) => chat::run(&dir, &cli.data, &args),
        Some(Command::Ask(args)) => ask::run(&dir, &cli.data, &args),
        Some(Command::Kb(command)) => kb::run(&dir, command),
        Some(Command::Cases(args)) => cases::list(&dir, &cli.data, &args),
        Some(Command::Case(args)) => cases::show(&dir, &cli.data, &args),
        Some(Command::Report(args)) => report::run(&dir, &cli.data, &args),
        Some(Command::Purge) => purge::run(&dir, &cli.data),
        Some(Command::Notice(command)) => notice::run(&dir, &cli.data, command),
        Some(Command::Store(command)) => store::run(&cli.data, command),
        Some(Command::Export(command)) => export::run(&dir, &cli.data, command),
    }
}
