//! `carebot store migrate | check | copy`: the store itself, for whoever runs
//! carebot. `migrate` sets up or upgrades a PostgreSQL store (carebot also
//! does it when it starts), `check` reads every record back, and `copy`
//! moves a store between a sled data folder and PostgreSQL.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use carebot::Store;

use super::data::{open_store, DataArgs, WithoutData};
use super::error::CliError;

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Set up or upgrade the PostgreSQL store named by --store (or the configuration) and print its schema version.
    Migrate,
    /// Read back every record of the store and print how many of each kind it holds.
    Check,
    /// Copy a store into an empty one, e.g. `carebot store copy --from-data /var/lib/carebot --to postgres://carebot@db/carebot`; checked by counting both. Stop carebot first.
    Copy(CopyArgs),
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The sled data folder to copy.
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with = "from",
        required_unless_present = "from"
    )]
    from_data: Option<PathBuf>,
    /// The PostgreSQL store to copy.
    #[arg(long, value_name = "URL")]
    from: Option<String>,
    /// The PostgreSQL store to copy into (empty).
    #[arg(
        long,
        value_name = "URL",
        conflicts_with = "to_data",
        required_unless_present = "to_data"
    )]
    to: Option<String>,
    /// The sled data folder to copy into (new or empty).
    #[arg(long, value_name = "DIR")]
    to_data: Option<PathBuf>,
}

pub fn run(data: &DataArgs, command: StoreCommand) -> Result<ExitCode, CliError> {
    match command {
        StoreCommand::Migrate => {
            let store = open_store(data, WithoutData::UserFolder)?;
            match store.schema_version()? {
                Some(version) => println!(
                    "The PostgreSQL store {} is at schema version {version}.",
                    store.location()
                ),
                None => println!(
                    "{} is a sled data folder: there is nothing to migrate (--store URL names a PostgreSQL store).",
                    store.location()
                ),
            }
        }
        StoreCommand::Check => {
            let store = open_store(data, WithoutData::UserFolder)?;
            let counts = store.verify()?;
            println!(
                "{}: every record reads. {} conversation(s), {} case(s), {} queued message(s), {} audit entries, {} unanswered question(s), {} first-contact record(s), {} notice subscription(s), {} message(s) kept for patients' records, {} record link(s).",
                store.location(),
                counts.conversations,
                counts.cases,
                counts.outbox,
                counts.audit,
                counts.unanswered,
                counts.notices,
                counts.subscriptions,
                counts.correspondence,
                counts.record_links
            );
        }
        StoreCommand::Copy(args) => copy(&args)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn open(folder: Option<&PathBuf>, url: Option<&String>) -> Result<Store, CliError> {
    match (folder, url) {
        (Some(dir), _) => {
            std::fs::create_dir_all(dir).map_err(|error| {
                CliError::failed(format!("cannot create {}: {error}", dir.display()))
            })?;
            Ok(Store::open(dir)?)
        }
        (None, Some(url)) if carebot::store::is_url(url) => Ok(Store::connect(url)?),
        (None, Some(_)) => Err(CliError::failed(
            "--from and --to take a PostgreSQL URL (postgres://…); a data folder is --from-data or --to-data",
        )),
        (None, None) => unreachable!("clap requires one of the two"),
    }
}

fn copy(args: &CopyArgs) -> Result<(), CliError> {
    let source = open(args.from_data.as_ref(), args.from.as_ref())?;
    let target = open(args.to_data.as_ref(), args.to.as_ref())?;
    let copied = source.copy_into(&target)?;
    let counts = copied.counts;
    println!(
        "Copied {} records and {} patients' keys from {} to {}. Both read back the same: {} conversation(s), {} case(s), {} queued message(s), {} audit entries, {} unanswered question(s), {} first-contact record(s), {} notice subscription(s), {} message(s) kept for patients' records, {} record link(s).",
        copied.records,
        copied.keys,
        source.location(),
        target.location(),
        counts.conversations,
        counts.cases,
        counts.outbox,
        counts.audit,
        counts.unanswered,
        counts.notices,
        counts.subscriptions,
        counts.correspondence,
        counts.record_links
    );
    Ok(())
}
