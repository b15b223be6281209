//! `--data DIR`, `--store URL` and `--config FILE`: where carebot keeps its
//! state and how handoff is configured (the `data`, `store` and `store_file`
//! keys and `[handoff]` table of the configuration file), turned into a ready
//! [`Service`].
//!
//! Where the state is, first found wins: `--store URL` (or `$CAREBOT_STORE`),
//! a file named by `$CAREBOT_STORE_FILE` holding the URL, `--data DIR` (or
//! `$CAREBOT_DATA`), the configuration's `store_file` or `store`, its `data`,
//! then the user's data folder. A URL is PostgreSQL's; a folder is sled's.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;

use carebot::clock::SystemClock;
use carebot::record::RecordSettings;
use carebot::{HandoffSettings, Service, Store};

use super::error::CliError;

#[derive(Debug, Clone, Default, Args)]
pub struct DataArgs {
    /// Where conversations, cases and the audit log are kept (default: `data` in the configuration file, else $XDG_DATA_HOME/carebot or ~/.local/share/carebot).
    #[arg(long, global = true, env = "CAREBOT_DATA", value_name = "DIR")]
    data: Option<PathBuf>,
    /// A PostgreSQL store instead of the data folder: postgres://user@host:port/database (several carebot processes can share it). A URL with a password is better kept in a file named by $CAREBOT_STORE_FILE.
    #[arg(
        long,
        global = true,
        env = "CAREBOT_STORE",
        hide_env_values = true,
        value_name = "URL"
    )]
    store: Option<String>,
    /// The configuration file: knowledge and data folders, clinicians and handoff times, chat adapters (default: ./carebot.toml if it exists; see carebot.example.toml).
    #[arg(
        long,
        global = true,
        env = "CAREBOT_CONFIG",
        value_name = "FILE",
        visible_alias = "settings"
    )]
    config: Option<PathBuf>,
    /// The configuration file's data folder, used when `--data` is not given
    /// by commands that keep their data.
    #[arg(skip)]
    configured_data: Option<PathBuf>,
    /// The configuration file's `store`, or the file its `store_file` names.
    #[arg(skip)]
    configured_store: Option<StoreSource>,
    /// The configuration file's `[handoff]` table.
    #[arg(skip)]
    settings: HandoffSettings,
    /// The configuration file's `[record]` table.
    #[arg(skip)]
    record: RecordSettings,
}

/// Where a PostgreSQL URL comes from.
#[derive(Debug, Clone)]
enum StoreSource {
    Url(String),
    /// A file holding the URL (it may carry a password).
    File(PathBuf),
}

impl StoreSource {
    fn url(&self) -> Result<String, CliError> {
        match self {
            StoreSource::Url(url) => Ok(url.clone()),
            StoreSource::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|error| {
                    CliError::failed(format!(
                        "cannot read the store URL from {}: {error}",
                        path.display()
                    ))
                })?;
                let url = text.trim().to_string();
                if !carebot::store::is_url(&url) {
                    // Never the file's text: it may be a password.
                    return Err(CliError::failed(format!(
                        "{} does not hold a PostgreSQL URL (postgres://user:password@host:port/database)",
                        path.display()
                    )));
                }
                Ok(url)
            }
        }
    }
}

impl DataArgs {
    /// The configuration file to read, if any.
    pub fn config_path(&self) -> Option<PathBuf> {
        self.config.clone().or_else(|| {
            let default = PathBuf::from(super::config::DEFAULT_FILE);
            default.is_file().then_some(default)
        })
    }

    /// Takes the data folder and handoff settings from the configuration;
    /// `--data` still wins.
    pub fn apply(&mut self, config: &super::config::Config) {
        self.configured_data = config.data.clone();
        self.configured_store = match (&config.store_file, &config.store) {
            (Some(file), _) => Some(StoreSource::File(file.clone())),
            (None, Some(url)) => Some(StoreSource::Url(url.clone())),
            (None, None) => None,
        };
        self.settings = config.handoff.clone();
        self.record = config.record.settings.clone();
    }

    /// What is kept for patients' records (`[record]`).
    pub fn record(&self) -> &RecordSettings {
        &self.record
    }

    pub fn settings(&self) -> &HandoffSettings {
        &self.settings
    }
}

/// What to do when no `--data` was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithoutData {
    /// Use the user's data folder.
    UserFolder,
    /// Use a store that disappears when the command ends (`ask`).
    Temporary,
}

/// The user's data folder for carebot, following the XDG convention.
fn user_data_dir() -> PathBuf {
    let absolute = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    };
    if let Some(dir) = absolute("XDG_DATA_HOME") {
        return dir.join("carebot");
    }
    if let Some(home) = absolute("HOME") {
        return home.join(".local/share/carebot");
    }
    PathBuf::from("carebot-data")
}

/// The PostgreSQL URL the flags, environment or configuration name, if the
/// store is not a data folder (see the module notes for the order).
fn store_url(args: &DataArgs, without: WithoutData) -> Result<Option<String>, CliError> {
    if let Some(url) = &args.store {
        if !carebot::store::is_url(url) {
            return Err(CliError::failed(
                "--store takes a PostgreSQL URL, postgres://user@host:port/database (a data folder is --data DIR)",
            ));
        }
        return Ok(Some(url.clone()));
    }
    if let Some(file) = std::env::var_os("CAREBOT_STORE_FILE").filter(|file| !file.is_empty()) {
        return StoreSource::File(PathBuf::from(file)).url().map(Some);
    }
    if args.data.is_some() || without == WithoutData::Temporary {
        return Ok(None);
    }
    args.configured_store
        .as_ref()
        .map(StoreSource::url)
        .transpose()
}

impl DataArgs {
    /// Whether the store these settings name is one several processes may
    /// share (PostgreSQL), for `serve` to know before it opens it.
    pub fn names_a_shared_store(&self) -> Result<bool, CliError> {
        Ok(store_url(self, WithoutData::UserFolder)?.is_some())
    }
}

/// Opens the store as the flags say.
pub fn open_store(args: &DataArgs, without: WithoutData) -> Result<Store, CliError> {
    if let Some(url) = store_url(args, without)? {
        return Ok(Store::connect(&url)?);
    }
    let dir = match (&args.data, without) {
        (Some(dir), _) => dir.clone(),
        (None, WithoutData::Temporary) => return Ok(Store::temporary()?),
        (None, WithoutData::UserFolder) => {
            args.configured_data.clone().unwrap_or_else(user_data_dir)
        }
    };
    std::fs::create_dir_all(&dir).map_err(|error| {
        CliError::failed(format!(
            "cannot create the data folder {}: {error}",
            dir.display()
        ))
    })?;
    Store::open(&dir).map_err(CliError::opening)
}

/// The knowledge, the store and the settings, as one service.
pub fn open_service(
    knowledge: &Path,
    args: &DataArgs,
    without: WithoutData,
) -> Result<Service, CliError> {
    let engine = super::load_engine(knowledge)?;
    let store = open_store(args, without)?;
    Ok(Service::new(
        Arc::new(engine),
        store,
        args.settings.clone(),
        Arc::new(SystemClock),
    )
    .with_record(args.record.clone()))
}

/// Who is at the terminal, for the audit log.
pub fn login() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
        .unwrap_or_else(|| "terminal".to_string())
}
