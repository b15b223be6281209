//! `--data DIR` and `--config FILE`: where carebot keeps its state and how
//! handoff is configured (the `data` key and `[handoff]` table of the
//! configuration file), turned into a ready [`Service`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;

use carebot::clock::SystemClock;
use carebot::{HandoffSettings, Service, Store};

use super::error::CliError;

#[derive(Debug, Clone, Default, Args)]
pub struct DataArgs {
    /// Where conversations, cases and the audit log are kept (default: `data` in the configuration file, else $XDG_DATA_HOME/carebot or ~/.local/share/carebot).
    #[arg(long, global = true, env = "CAREBOT_DATA", value_name = "DIR")]
    data: Option<PathBuf>,
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
    /// The configuration file's `[handoff]` table.
    #[arg(skip)]
    settings: HandoffSettings,
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
        self.settings = config.handoff.clone();
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

/// Opens the store as the flags say.
pub fn open_store(args: &DataArgs, without: WithoutData) -> Result<Store, CliError> {
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
    ))
}

/// Who is at the terminal, for the audit log.
pub fn login() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
        .unwrap_or_else(|| "terminal".to_string())
}
