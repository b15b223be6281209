//! `carebot kb check | test | eval | import`: the practice's tools for its
//! knowledge files. `check` validates and warns, `test` runs every example,
//! `eval` scores a labelled set of messages, and `import` turns a spreadsheet
//! of FAQs (CSV) into a knowledge file to edit.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use carebot::kbcheck::{self, CheckSettings};
use carebot::knowledge::problem::printable;
use carebot::{evaluation, kbtest, Engine};

use super::error::CliError;

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// Validate the knowledge files; list every problem as file:line:col.
    Check(CheckArgs),
    /// Run every example, counter-example and dialogue in the knowledge files.
    Test(DirArg),
    /// Print every triage rule as a Markdown table (id, level, handoff, sources), for knowledge/README.md.
    Rules(DirArg),
    /// Score the knowledge base on a labelled set of messages (JSON lines with
    /// `text`, `expect_level`, `expect_entry`): agreement, emergencies caught,
    /// under- and over-triage.
    Eval(EvalArgs),
    /// Turn a CSV of FAQs (columns: question, answer, optional id, extra questions, keywords) into a knowledge file.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct DirArg {
    /// The knowledge folder (default: --knowledge, or ./knowledge).
    dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    dir: DirArg,
    /// Warn about entries whose `reviewed` date is older than this many days.
    #[arg(long, default_value_t = 365, value_name = "DAYS")]
    stale_after: i64,
    /// Fail on warnings too (for CI).
    #[arg(long)]
    strict: bool,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The labelled messages, one JSON object per line.
    file: PathBuf,
    /// The knowledge folder (default: --knowledge, or ./knowledge).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Also list every under- and over-triaged message.
    #[arg(long)]
    misses: bool,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file to import.
    csv: PathBuf,
    /// Where to write the knowledge file (default: <knowledge>/faq/imported.toml).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Overwrite the output file if it exists.
    #[arg(long)]
    force: bool,
    /// Who owns the imported entries (written as `owner`).
    #[arg(long, default_value = "unassigned (imported: please review)")]
    owner: String,
}

pub fn run(knowledge: &Path, command: KbCommand) -> Result<ExitCode, CliError> {
    let pick = |arg: &DirArg| arg.dir.clone().unwrap_or_else(|| knowledge.to_path_buf());
    match command {
        KbCommand::Check(args) => check(&pick(&args.dir), args.stale_after, args.strict),
        KbCommand::Test(args) => test(&pick(&args)),
        KbCommand::Rules(args) => {
            let engine = super::load_engine(&pick(&args))?;
            print!("{}", carebot::kbcheck::rule_table(engine.knowledge()));
            Ok(ExitCode::SUCCESS)
        }
        KbCommand::Eval(args) => {
            let dir = args.dir.clone().unwrap_or_else(|| knowledge.to_path_buf());
            eval(&dir, &args)
        }
        KbCommand::Import(args) => super::kb_import::run(
            knowledge,
            &args.csv,
            args.out.as_deref(),
            args.force,
            &args.owner,
        ),
    }
}

fn today() -> jiff::civil::Date {
    jiff::Zoned::now().date()
}

fn check(dir: &Path, stale_after_days: i64, strict: bool) -> Result<ExitCode, CliError> {
    let engine = super::load_engine(dir)?;
    let warnings = kbcheck::warnings(
        &engine,
        CheckSettings {
            stale_after_days,
            today: today(),
        },
    );
    for warning in &warnings {
        println!("{warning}");
    }
    let knowledge = engine.knowledge();
    println!(
        "{}: {} FAQ entries, {} triage rules, {} concepts; 0 errors, {} warning{}",
        printable(&dir.display().to_string()),
        knowledge.faqs.len(),
        knowledge.rules.len(),
        knowledge.concepts.len(),
        warnings.len(),
        if warnings.len() == 1 { "" } else { "s" }
    );
    if strict && !warnings.is_empty() {
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn test(dir: &Path) -> Result<ExitCode, CliError> {
    let engine: Engine = super::load_engine(dir)?;
    let report = kbtest::run(&engine);
    for failure in &report.failures {
        println!("{failure}");
    }
    println!(
        "kb test: {} passed, {} failed",
        report.passed,
        report.failures.len()
    );
    if report.failures.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::FAILURE)
    }
}

fn eval(dir: &Path, args: &EvalArgs) -> Result<ExitCode, CliError> {
    let engine: Engine = super::load_engine(dir)?;
    let text = std::fs::read_to_string(&args.file).map_err(|error| {
        CliError::failed(format!("cannot read {}: {error}", args.file.display()))
    })?;
    let set = evaluation::parse(&text)
        .map_err(|error| CliError::failed(format!("{}: {error}", args.file.display())))?;
    let scores = evaluation::score(&engine, &set);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&scores).expect("scores serialise")
        );
        return Ok(ExitCode::SUCCESS);
    }
    if args.misses {
        for miss in &scores.under_triage {
            println!(
                "under: {:?}: expected {}, got {}",
                miss.text, miss.expected, miss.got
            );
        }
        for miss in &scores.over_triage {
            println!(
                "over: {:?}: expected {}, got {}",
                miss.text, miss.expected, miss.got
            );
        }
    }
    println!("{}", scores.summary());
    Ok(ExitCode::SUCCESS)
}
