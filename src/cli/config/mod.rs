//! The configuration file, `carebot.toml` (`--config FILE`, `$CAREBOT_CONFIG`,
//! else `./carebot.toml` when there is one), layered with environment
//! variables for secrets. `carebot.example.toml` at the top of the repository
//! shows and explains every key.
//!
//! As ripgrep keeps raw flags apart from the settings it runs with, reading
//! goes from the file as written to checked settings, each step reporting
//! every problem it finds (not just the first) as `file:line:col: key: what
//! is wrong`:
//!
//! | file | step |
//! |---|---|
//! | `raw.rs` | the file as written: the core's tables, each platform's table read by its adapter; every type error and unknown key |
//! | `check.rs` | locating problems in the file, resolving relative paths |
//! | `mod.rs` | [`Config::load`]: the checked settings every command uses (`knowledge`, `data` and `[handoff]` mean the same to `carebot cases` as to `carebot serve`) |
//! | `secrets.rs` | [`Config::adapters`]: the platform tokens, from the environment or token files, for the adapters that are to run (only `serve` needs them) |
//!
//! A platform's table (`[telegram]`, `[discord]`) is its adapter's own: the
//! adapter reads and checks it ([`carebot_chat::ChatAdapter`]); this module
//! only locates what the adapter found, through [`PlatformTable`].

mod check;
mod raw;
mod secrets;

use std::any::Any;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use carebot_chat::platform::{token_variables, SettingsCheck, TokenKeys};
use serde::Deserialize;

use carebot::ratelimit::RateLimit;
use carebot::record::RecordSettings;
use carebot::{Address, HandoffSettings, Limits};
use check::Checker;
pub(crate) use raw::platform_table;
pub use secrets::{Adapters, ProcessEnv, Secret, ToRun};

/// The file read when no `--config` is given, if it exists.
pub const DEFAULT_FILE: &str = "carebot.toml";

/// Where `/healthz` and `/metrics` are served by default: this machine only.
pub const METRICS_LISTEN: &str = "127.0.0.1:9187";

/// One thing wrong with the configuration: where (`carebot.toml:12:9`, or an
/// environment variable), which key, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub location: String,
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.location.is_empty(), self.key.is_empty()) {
            (true, _) => write!(f, "{}: {}", self.key, self.message),
            (false, true) => write!(f, "{}: {}", self.location, self.message),
            (false, false) => write!(f, "{}: {}: {}", self.location, self.key, self.message),
        }
    }
}

/// `[record]`: what is kept for patients' records and where it is pushed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordConfig {
    pub settings: RecordSettings,
    /// The practice's FHIR server (`fhir_base`): resolved cases of linked
    /// patients are posted to it.
    pub fhir_base: Option<url::Url>,
    /// The file holding the bearer token for it (`fhir_token_file`, or
    /// `$CAREBOT_FHIR_TOKEN_FILE`).
    pub fhir_token_file: Option<PathBuf>,
}

/// Reads and checks `[record]`.
fn record_config(raw: &raw::RawRecord, check: &mut Checker) -> RecordConfig {
    let mut settings = RecordSettings {
        keep_correspondence: raw.correspondence.unwrap_or(true),
        ..RecordSettings::default()
    };
    if let Some(system) = &raw.identifier_system {
        if url::Url::parse(system).is_err() {
            check.problem(
                "record.identifier_system",
                "must be a URI naming the practice's record numbers, e.g. https://practice.example/mrn or urn:oid:2.16.840.1.113883.…",
            );
        } else {
            settings.identifier_system = system.clone();
        }
    }
    let fhir_base = raw.fhir_base.as_ref().and_then(|text| {
        match url::Url::parse(text) {
            Ok(url) if matches!(url.scheme(), "https" | "http") => {
                let local = url.host_str().is_some_and(|host| {
                    host == "localhost"
                        || host
                            .trim_matches(|c| c == '[' || c == ']')
                            .parse::<std::net::IpAddr>()
                            .is_ok_and(|ip| ip.is_loopback())
                });
                if url.scheme() == "http" && !local {
                    check.problem(
                        "record.fhir_base",
                        "must be an https:// URL: patients' correspondence must not cross the network unencrypted",
                    );
                    return None;
                }
                Some(url)
            }
            _ => {
                check.problem(
                    "record.fhir_base",
                    "must be the FHIR server's base URL, e.g. https://fhir.practice.example/r4",
                );
                None
            }
        }
    });
    let fhir_token_file = raw
        .fhir_token_file
        .clone()
        .map(|path| check.resolve(path))
        .or_else(|| std::env::var_os("CAREBOT_FHIR_TOKEN_FILE").map(PathBuf::from));
    if raw.fhir_token_file.is_some() && raw.fhir_base.is_none() {
        check.problem(
            "record.fhir_token_file",
            "a token is only used with fhir_base: set fhir_base too, or remove it",
        );
    }
    if fhir_base.is_some() && !settings.keep_correspondence {
        check.problem(
            "record.correspondence",
            "fhir_base copies the correspondence to patients' records, so it must be kept: remove correspondence = false, or fhir_base",
        );
    }
    settings.push = fhir_base.is_some();
    RecordConfig {
        settings,
        fhir_base,
        fhir_token_file,
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Text,
    /// One JSON object per event, for log collectors.
    Json,
}

/// The least severe log level written (unless `$RUST_LOG` says otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    #[default]
    Info,
    Debug,
    Trace,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogConfig {
    pub format: LogFormat,
    pub level: LogLevel,
}

/// Live knowledge reload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadConfig {
    /// Whether to watch the knowledge folder at all.
    pub watch: bool,
    /// How often to look at the files' sizes and modification times.
    pub poll_interval: Duration,
}

impl Default for ReloadConfig {
    fn default() -> ReloadConfig {
        ReloadConfig {
            watch: true,
            poll_interval: Duration::from_millis(1000),
        }
    }
}

/// Limits on what patients send: how long a message is read, and how fast
/// one patient may send them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InputLimits {
    pub engine: Limits,
    pub rate: RateLimit,
}

/// A chat platform as the configuration file sees it: the registry in
/// `serve/platforms.rs` has one per platform this carebot knows.
pub trait PlatformTable: Send + Sync {
    /// The platform's name: its table, its addresses' prefix.
    fn name(&self) -> &'static str;

    /// Reads and checks the platform's table from `document`, which holds
    /// it under the platform's name if the file has it (see [`platform_table`]).
    fn read(&self, document: toml::de::Deserializer<'_>) -> Result<ReadTable, toml::de::Error>;

    /// Whether `chat` can be a chat on this platform; why not otherwise.
    fn check_chat(&self, chat: &str) -> Result<(), String>;
}

/// A platform's table, read and checked by its adapter.
pub struct ReadTable {
    pub keys: TokenKeys,
    pub settings: PlatformSettings,
    pub check: SettingsCheck,
}

/// A platform's checked table, whatever the adapter's type for it:
/// compared and printed like any setting, and taken back as its own type
/// by the adapter's wiring in `serve`.
pub trait TableSettings: fmt::Debug + Send + Sync + 'static {
    fn as_any(&self) -> &dyn Any;
    fn same_as(&self, other: &dyn TableSettings) -> bool;
}

impl<T: fmt::Debug + PartialEq + Send + Sync + 'static> TableSettings for T {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn same_as(&self, other: &dyn TableSettings) -> bool {
        other
            .as_any()
            .downcast_ref::<T>()
            .is_some_and(|other| other == self)
    }
}

/// A platform's checked table, shared between the configuration and the
/// adapter that runs with it.
#[derive(Clone)]
pub struct PlatformSettings(pub Arc<dyn TableSettings>);

// Unused in a carebot built without any adapter (`--no-default-features`).
#[allow(dead_code)]
impl PlatformSettings {
    /// The table as the adapter's own type.
    pub fn get<T: 'static>(&self) -> Option<&T> {
        (*self.0).as_any().downcast_ref()
    }
}

impl PartialEq for PlatformSettings {
    fn eq(&self, other: &PlatformSettings) -> bool {
        self.0.same_as(&*other.0)
    }
}

impl fmt::Debug for PlatformSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One platform's table, checked (its token is not read yet).
#[derive(Debug, Clone, PartialEq)]
pub struct PlatformConfig {
    pub name: &'static str,
    /// `None`: run when a token is configured.
    pub enabled: Option<bool>,
    /// Where the token is, relative paths resolved from the file's folder.
    pub token_file: Option<PathBuf>,
    pub settings: PlatformSettings,
}

/// Everything `carebot.toml` says, validated. Tokens are not read yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it came from; `None` when there was none (all defaults).
    pub path: Option<PathBuf>,
    /// The knowledge folder (relative paths are from the file's folder).
    pub knowledge: Option<PathBuf>,
    /// The data folder (likewise).
    pub data: Option<PathBuf>,
    /// A PostgreSQL store's URL (`store`), instead of the data folder.
    pub store: Option<String>,
    /// A file holding that URL (`store_file`), for a URL with a password.
    pub store_file: Option<PathBuf>,
    pub handoff: HandoffSettings,
    /// Copying correspondence to patients' records (`[record]`).
    pub record: RecordConfig,
    pub reload: ReloadConfig,
    pub limits: InputLimits,
    /// Whether FAQ questions the lexical ranking is unsure of are re-ranked
    /// by the sentence encoder (`[faq] semantic`, on by default).
    pub faq_semantic: bool,
    /// Where `/healthz` and `/metrics` are served.
    pub metrics_listen: SocketAddr,
    pub log: LogConfig,
    /// Every platform this carebot knows, in the registry's order.
    pub platforms: Vec<PlatformConfig>,
    /// Settings the file may have but that expose something (a metrics
    /// listener other machines reach, a token sent in clear), located in the
    /// file; [`Config::warnings`] reports them with the others.
    pub risky: Vec<ConfigProblem>,
}

impl Config {
    /// The configuration at `path`, or the defaults when `path` is `None`.
    pub fn load<P: PlatformTable + ?Sized>(
        path: Option<&Path>,
        platforms: &[Arc<P>],
    ) -> Result<Config, Vec<ConfigProblem>> {
        let Some(path) = path else {
            let mut config = Config::parse(Path::new(DEFAULT_FILE), "", platforms)?;
            config.path = None;
            return Ok(config);
        };
        let text = std::fs::read_to_string(path).map_err(|error| {
            vec![ConfigProblem {
                location: path.display().to_string(),
                key: String::new(),
                message: format!("cannot read the configuration file: {error}"),
            }]
        })?;
        Config::parse(path, &text, platforms)
    }

    /// Validates the text of the configuration file at `path`.
    pub fn parse<P: PlatformTable + ?Sized>(
        path: &Path,
        text: &str,
        platforms: &[Arc<P>],
    ) -> Result<Config, Vec<ConfigProblem>> {
        let mut check = Checker::new(path, text);
        let file = raw::read(text, platforms).map_err(|errors| {
            errors
                .into_iter()
                .map(|error| check.read_error(error))
                .collect::<Vec<_>>()
        })?;
        let raw = file.config;

        for (key, problem) in raw.handoff.problems() {
            check.problem(&format!("handoff.{key}"), problem);
        }
        let addresses = raw
            .handoff
            .clinicians
            .iter()
            .map(|address| ("handoff.clinicians", address))
            .chain(
                raw.handoff
                    .clinician_channel
                    .iter()
                    .map(|address| ("handoff.clinician_channel", address)),
            );
        for (key, address) in addresses {
            let platform = platforms
                .iter()
                .find(|platform| platform.name() == address.platform);
            if let Some(Err(why)) = platform.map(|platform| platform.check_chat(&address.chat)) {
                check.problem(key, format!("`{address}`: {why}"));
            }
        }

        let poll_ms = raw.reload.poll_interval_ms.unwrap_or(1000);
        if !(100..=60_000).contains(&poll_ms) {
            check.problem(
                "reload.poll_interval_ms",
                "must be between 100 and 60000 (milliseconds)",
            );
        }
        let defaults = InputLimits::default();
        let limits = InputLimits {
            engine: Limits {
                max_message_chars: raw
                    .limits
                    .max_message_chars
                    .unwrap_or(defaults.engine.max_message_chars),
            },
            rate: RateLimit {
                burst: raw.limits.burst.unwrap_or(defaults.rate.burst),
                per_minute: raw.limits.per_minute.unwrap_or(defaults.rate.per_minute),
            },
        };
        // Bounds that keep every message cheap to read and a person typing
        // fast from ever being taken for a flood.
        for (key, value, range) in [
            (
                "limits.max_message_chars",
                limits.engine.max_message_chars as u64,
                100..=20_000,
            ),
            ("limits.burst", u64::from(limits.rate.burst), 3..=1_000),
            (
                "limits.per_minute",
                u64::from(limits.rate.per_minute),
                6..=6_000,
            ),
        ] {
            if !range.contains(&value) {
                check.problem(
                    key,
                    format!("must be between {} and {}", range.start(), range.end()),
                );
            }
        }
        if let Some(url) = &raw.store {
            if !carebot::store::is_url(url) {
                check.problem(
                    "store",
                    "must be a PostgreSQL URL, postgres://user@host:port/database (the sled store's folder is `data`)",
                );
            } else if url_has_password(url) {
                check.risky(
                    "store",
                    "the URL carries a password: put the URL in a file readable only by carebot and name it in store_file or $CAREBOT_STORE_FILE",
                );
            }
            if raw.store_file.is_some() {
                check.problem("store_file", "give either store or store_file, not both");
            }
        }
        let default_listen: SocketAddr = METRICS_LISTEN.parse().expect("a valid default address");
        let metrics_listen = match &raw.metrics.listen {
            Some(text) => check
                .socket_address("metrics.listen", text, METRICS_LISTEN)
                .unwrap_or(default_listen),
            None => default_listen,
        };
        if !metrics_listen.ip().is_loopback() {
            check.risky(
                "metrics.listen",
                format!("`{metrics_listen}` can be reached from other machines, and /metrics and /healthz ask for no password: keep {METRICS_LISTEN} and let the monitoring agent on this machine, or an authenticating proxy, fetch them"),
            );
        }

        // Tokens first, for every platform, then what each adapter found.
        for (platform, table) in platforms.iter().zip(&file.platforms) {
            if table.keys.token_in_file {
                let name = platform.name();
                let (variable, file_variable) = token_variables(name);
                check.problem(
                    &format!("{name}.token"),
                    format!("tokens do not belong in the configuration file: set ${variable}, or put it in a file readable only by carebot and name that file in {name}.token_file or ${file_variable}"),
                );
            }
        }
        let mut configured = Vec::new();
        for (platform, table) in platforms.iter().zip(file.platforms) {
            check.platform(platform.name(), table.check);
            configured.push(PlatformConfig {
                name: platform.name(),
                enabled: table.keys.enabled,
                token_file: table.keys.token_file.map(|path| check.resolve(path)),
                settings: table.settings,
            });
        }

        let record = record_config(&raw.record, &mut check);
        let config = Config {
            path: Some(path.to_path_buf()),
            knowledge: raw.knowledge.map(|path| check.resolve(path)),
            data: raw.data.map(|path| check.resolve(path)),
            store: raw.store,
            store_file: raw.store_file.map(|path| check.resolve(path)),
            handoff: raw.handoff,
            record,
            reload: ReloadConfig {
                watch: raw.reload.watch.unwrap_or(true),
                poll_interval: Duration::from_millis(poll_ms),
            },
            limits,
            faq_semantic: raw.faq.semantic.unwrap_or(true),
            metrics_listen,
            log: LogConfig {
                format: raw.log.format,
                level: raw.log.level,
            },
            platforms: configured,
            risky: check.risky,
        };
        if check.problems.is_empty() {
            Ok(config)
        } else {
            Err(check.problems)
        }
    }

    /// Where problems with the file itself are reported.
    fn file_name(&self) -> String {
        self.path.as_ref().map_or_else(
            || DEFAULT_FILE.to_string(),
            |path| path.display().to_string(),
        )
    }

    /// Things that are allowed but probably not meant, for the log at startup
    /// and for `serve --check`: the risky settings in the file (located), and
    /// notifications for a platform that no adapter runs, which wait in the outbox.
    pub fn warnings(&self, running: &[&str]) -> Vec<String> {
        let mut warnings: Vec<String> = self.risky.iter().map(ToString::to_string).collect();
        let mut targets: Vec<(&str, &Address)> = self
            .handoff
            .clinicians
            .iter()
            .map(|address| ("handoff.clinicians", address))
            .collect();
        targets.extend(
            self.handoff
                .clinician_channel
                .iter()
                .map(|address| ("handoff.clinician_channel", address)),
        );
        for (key, address) in targets {
            if !running.contains(&address.platform.as_str()) {
                warnings.push(format!(
                    "{}: {key}: `{address}` is on {}, which no adapter serves here: messages to it wait in the outbox",
                    self.file_name(),
                    address.platform
                ));
            }
        }
        if self.handoff.notification_targets().is_empty() {
            warnings.push(format!(
                "{}: handoff: no clinicians and no clinician channel: cases are kept but nobody is notified",
                self.file_name()
            ));
        }
        warnings
    }
}

/// Whether a PostgreSQL URL names a password (`user:password@`).
pub fn url_has_password(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|url| url.password().is_some())
}

#[cfg(test)]
mod tests {
    use carebot_discord::DiscordTable;
    use carebot_telegram::TelegramTable;

    use super::*;
    use crate::cli::serve::platforms::registry;

    fn parse(text: &str) -> Result<Config, Vec<ConfigProblem>> {
        Config::parse(Path::new("/etc/carebot/carebot.toml"), text, &registry())
    }

    #[test]
    fn record_settings_are_checked() {
        let config = parse("[record]\nidentifier_system = \"https://practice.example/mrn\"\nfhir_base = \"https://fhir.practice.example/r4\"\nfhir_token_file = \"fhir-token\"\n").unwrap();
        assert!(config.record.settings.push);
        assert!(config.record.settings.keep_correspondence);
        assert_eq!(
            config.record.fhir_token_file.as_deref(),
            Some(Path::new("/etc/carebot/fhir-token"))
        );
        assert!(!defaults().record.settings.push);
        let problems: Vec<String> = parse(
            "[record]\nfhir_base = \"http://records.example/r4\"\nidentifier_system = \"MRN\"\n",
        )
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].contains("record.identifier_system"),
            "{problems:?}"
        );
        assert!(problems[1].contains("https://"), "{problems:?}");
        // Plain http is fine for a server on this machine.
        assert!(parse("[record]\nfhir_base = \"http://127.0.0.1:8080/fhir\"\n").is_ok());
        assert!(
            parse("[record]\ncorrespondence = false\nfhir_base = \"https://f.example/r4\"\n")
                .is_err()
        );
        assert!(parse("[record]\nfhir_token_file = \"t\"\n").is_err());
    }

    fn defaults() -> Config {
        Config::load(None, &registry()).unwrap()
    }

    fn platform<'a>(config: &'a Config, name: &str) -> &'a PlatformConfig {
        config.platforms.iter().find(|p| p.name == name).unwrap()
    }

    fn to_run<'a>(adapters: &'a Adapters, name: &str) -> &'a ToRun {
        adapters.0.iter().find(|p| p.name == name).unwrap()
    }

    fn problems(text: &str) -> Vec<String> {
        parse(text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn an_empty_file_means_the_defaults() {
        let config = parse("").unwrap();
        assert_eq!(
            Config {
                path: None,
                ..config
            },
            defaults()
        );
    }

    #[test]
    fn the_example_file_is_valid_and_runs_no_adapter_without_tokens() {
        let config = parse(include_str!("../../../carebot.example.toml")).unwrap();
        assert_eq!(
            config.knowledge,
            Some(PathBuf::from("/etc/carebot/knowledge"))
        );
        assert_eq!(config.data, Some(PathBuf::from("/var/lib/carebot")));
        assert_eq!(config.handoff.clinicians.len(), 2);
        assert!(!config.wants_serve(&[]));
        assert_eq!(config.adapters(&[]).unwrap(), Adapters::default());
    }

    #[test]
    fn problems_name_the_file_line_column_and_key() {
        let text = "knowledge = \"k\"\n\n[handoff]\nretention_days = 0\nclinician_channel = \"telegram:staff\"\n\n[metrics]\nlisten = \"localhost\"\n\n[telegram]\napi_url = \"ftp://example.org\"\n";
        assert_eq!(
            problems(text),
            [
                "/etc/carebot/carebot.toml:4:18: handoff.retention_days: must be at least 1",
                "/etc/carebot/carebot.toml:5:21: handoff.clinician_channel: `telegram:staff`: telegram ids are numbers, e.g. telegram:-1001234567890",
                "/etc/carebot/carebot.toml:8:10: metrics.listen: `localhost` is not an IP address and port, e.g. 127.0.0.1:9187",
                "/etc/carebot/carebot.toml:11:11: telegram.api_url: `ftp://example.org` must be an http or https URL with a host, e.g. https://api.telegram.org",
            ]
        );
    }

    #[test]
    fn limits_are_read_and_kept_within_bounds() {
        let config = parse("[limits]\nmax_message_chars = 500\nper_minute = 12\n").unwrap();
        assert_eq!(config.limits.engine.max_message_chars, 500);
        assert_eq!(
            config.limits.rate,
            RateLimit {
                burst: 10,
                per_minute: 12
            }
        );
        assert_eq!(parse("").unwrap().limits, InputLimits::default());
        assert_eq!(
            problems("[limits]\nmax_message_chars = 5\nburst = 0\nper_minute = 100000\n"),
            [
                "/etc/carebot/carebot.toml:2:21: limits.max_message_chars: must be between 100 and 20000",
                "/etc/carebot/carebot.toml:3:9: limits.burst: must be between 3 and 1000",
                "/etc/carebot/carebot.toml:4:14: limits.per_minute: must be between 6 and 6000",
            ]
        );
    }

    #[test]
    fn type_errors_and_typos_name_their_key() {
        assert_eq!(
            problems("[handoff]\nremind_after_minutes = \"ten\"\n"),
            ["/etc/carebot/carebot.toml:2:24: handoff.remind_after_minutes: invalid type: string \"ten\", expected u64"]
        );
        let typo = problems("[reload]\nwatch = true\npoll_interval = 5\n");
        assert!(typo[0].starts_with("/etc/carebot/carebot.toml:3:1: reload.poll_interval: unknown field `poll_interval`"), "{typo:?}");
        let format = problems("[log]\nformat = \"xml\"\n");
        assert!(
            format[0]
                .starts_with("/etc/carebot/carebot.toml:2:10: log.format: unknown variant `xml`"),
            "{format:?}"
        );
        let address = problems("[handoff]\nclinicians = [\"nobody\"]\n");
        assert!(
            address[0].contains("handoff.clinicians: `nobody` is not a chat address"),
            "{address:?}"
        );
    }

    #[test]
    fn every_type_error_and_typo_is_reported_not_just_the_first() {
        let text = "knowledge = 3\n\n[handoff]\nremind_after_minutes = \"ten\"\nretention_days = -1\n\n[limits]\nburst = \"many\"\nper_minute = 12\n\n[reload]\npoll_interval = 5\n\n[telegram]\nwebhook = { listen = \"127.0.0.1:8443\" }\n\n[metrics]\nlisten = 9187\n";
        let found = problems(text);
        let at: Vec<&str> = found
            .iter()
            .map(|problem| problem.split(": ").next().unwrap())
            .collect();
        assert_eq!(
            at,
            [
                "/etc/carebot/carebot.toml:1:13",
                "/etc/carebot/carebot.toml:4:24",
                "/etc/carebot/carebot.toml:5:18",
                "/etc/carebot/carebot.toml:8:9",
                "/etc/carebot/carebot.toml:12:1",
                "/etc/carebot/carebot.toml:15:11",
                "/etc/carebot/carebot.toml:18:10",
            ],
            "{found:#?}"
        );
        assert!(found[1].contains("handoff.remind_after_minutes: invalid type: string \"ten\""));
        assert!(found[4].contains("reload.poll_interval: unknown field `poll_interval`"));
        assert!(
            found[5].contains("missing field `public_url`"),
            "{found:#?}"
        );
        // A syntax error stops the reading: it alone is reported.
        assert_eq!(
            problems("[limits]\nburst = \"many\"\nper_minute = = 3\n").len(),
            1
        );
    }

    #[test]
    fn an_open_metrics_listener_and_a_token_sent_in_clear_are_warned_about() {
        let config = parse("[handoff]\nclinician_channel = \"telegram:-100\"\n\n[metrics]\nlisten = \"0.0.0.0:9187\"\n\n[telegram]\napi_url = \"http://api.telegram.org\"\n\n[discord]\napi_url = \"http://127.0.0.1:9/api\"\ngateway_url = \"ws://gateway.example.org\"\n").unwrap();
        let warnings = config.warnings(&["telegram"]);
        assert_eq!(warnings.len(), 3, "{warnings:#?}");
        assert!(warnings[0].starts_with("/etc/carebot/carebot.toml:5:10: metrics.listen: `0.0.0.0:9187` can be reached from other machines"), "{warnings:#?}");
        assert!(warnings[1].starts_with("/etc/carebot/carebot.toml:8:11: telegram.api_url: `http://api.telegram.org` is not encrypted"), "{warnings:#?}");
        assert!(warnings[2].starts_with("/etc/carebot/carebot.toml:12:15: discord.gateway_url: `ws://gateway.example.org` is not encrypted"), "{warnings:#?}");
        // This machine, and https, are fine.
        let local = parse("[handoff]\nclinician_channel = \"telegram:-100\"\n[metrics]\nlisten = \"[::1]:9187\"\n[telegram]\napi_url = \"http://localhost:8081\"\n[discord]\napi_url = \"https://discord.com/api\"\n").unwrap();
        assert_eq!(local.warnings(&["telegram"]), Vec::<String>::new());
    }

    #[test]
    fn a_store_url_is_checked_and_a_password_in_it_is_warned_about() {
        let config = parse("store = \"postgres://carebot@db.internal/carebot\"\n").unwrap();
        assert_eq!(
            config.store.as_deref(),
            Some("postgres://carebot@db.internal/carebot")
        );
        let with_password =
            parse("store = \"postgres://carebot:hunter2@db.internal/carebot\"\n").unwrap();
        let warnings = with_password.warnings(&[]);
        let warning = warnings
            .iter()
            .find(|warning| warning.contains("store:"))
            .expect("a warning about the password");
        assert!(warning.contains("store_file"), "{warning}");
        assert!(!warning.contains("hunter2"), "{warning}");
        assert!(problems("store = \"/var/lib/carebot\"\n")[0].contains("must be a PostgreSQL URL"));
        assert!(problems(
            "store = \"postgres://db/carebot\"\nstore_file = \"/etc/carebot/store-url\"\n"
        )[0]
        .contains("not both"));
        let from_file = parse("store_file = \"secrets/store-url\"\n").unwrap();
        assert_eq!(
            from_file.store_file,
            Some(PathBuf::from("/etc/carebot/secrets/store-url"))
        );
    }

    #[test]
    fn relative_paths_are_from_the_files_folder() {
        let config = parse("knowledge = \"knowledge\"\ndata = \"/srv/data\"\n[telegram]\ntoken_file = \"secrets/telegram\"\n").unwrap();
        assert_eq!(
            config.knowledge,
            Some(PathBuf::from("/etc/carebot/knowledge"))
        );
        assert_eq!(config.data, Some(PathBuf::from("/srv/data")));
        assert_eq!(
            platform(&config, "telegram").token_file,
            Some(PathBuf::from("/etc/carebot/secrets/telegram"))
        );
    }

    #[test]
    fn tokens_come_from_the_environment_or_files_never_the_config() {
        let inline = problems("[telegram]\ntoken = \"123:abc\"\n");
        assert!(
            inline[0]
                .starts_with("/etc/carebot/carebot.toml:2:9: telegram.token: tokens do not belong"),
            "{inline:?}"
        );
        assert!(!inline[0].contains("123:abc"));

        let config = parse("[handoff]\nclinician_channel = \"discord:channel:42\"\n[discord]\napi_url = \"http://127.0.0.1:9/api\"\n").unwrap();
        assert!(!config.wants_serve(&[]));
        assert!(config.wants_serve(&[("CAREBOT_DISCORD_TOKEN", "t0ken")]));
        let adapters = config
            .adapters(&[("CAREBOT_DISCORD_TOKEN", " t0ken\n")])
            .unwrap();
        assert_eq!(adapters.names(), ["discord"]);
        let discord = to_run(&adapters, "discord");
        assert_eq!(discord.token.expose(), "t0ken");
        assert_eq!(
            DiscordTable::clinician_channel(discord.clinician_chat.as_deref()),
            Some(42)
        );
        assert_eq!(
            discord.settings::<DiscordTable>().api_url.as_str(),
            "http://127.0.0.1:9/api"
        );

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "s3cret-token\n").unwrap();
        let from_file = config
            .adapters(&[("CAREBOT_TELEGRAM_TOKEN_FILE", file.to_str().unwrap())])
            .unwrap();
        assert_eq!(from_file.names(), ["telegram"]);
        assert_eq!(
            to_run(&from_file, "telegram").token.expose(),
            "s3cret-token"
        );
        assert_eq!(
            TelegramTable::clinician_group(
                to_run(&from_file, "telegram").clinician_chat.as_deref()
            ),
            None
        );

        let both = config
            .adapters(&[
                ("CAREBOT_TELEGRAM_TOKEN", "s3cret-token"),
                ("CAREBOT_TELEGRAM_TOKEN_FILE", file.to_str().unwrap()),
            ])
            .unwrap_err();
        assert_eq!(both[0].key, "CAREBOT_TELEGRAM_TOKEN");
        assert!(!both[0].to_string().contains("s3cret"));

        let blank = config
            .adapters(&[("CAREBOT_TELEGRAM_TOKEN", " \n")])
            .unwrap_err();
        assert_eq!(
            blank[0].to_string(),
            "CAREBOT_TELEGRAM_TOKEN: $CAREBOT_TELEGRAM_TOKEN is blank"
        );

        let missing = config
            .adapters(&[("CAREBOT_TELEGRAM_TOKEN_FILE", "/nonexistent/token")])
            .unwrap_err();
        assert!(
            missing[0].to_string().starts_with(
                "CAREBOT_TELEGRAM_TOKEN_FILE: cannot read the token file /nonexistent/token"
            ),
            "{missing:?}"
        );
    }

    #[test]
    fn enabled_decides_and_requires_a_token() {
        let off = parse("[telegram]\nenabled = false\n").unwrap();
        assert!(!off.wants_serve(&[("CAREBOT_TELEGRAM_TOKEN", "x")]));
        assert_eq!(
            off.adapters(&[("CAREBOT_TELEGRAM_TOKEN", "x")]).unwrap(),
            Adapters::default()
        );
        let on = parse("[telegram]\nenabled = true\n").unwrap();
        assert!(on.wants_serve(&[]));
        let problems = on.adapters(&[]).unwrap_err();
        assert_eq!(problems[0].key, "telegram.enabled");
    }

    #[test]
    fn serving_with_nobody_to_tell_is_an_error() {
        let nobody = parse("[handoff]\nclinicians = []\n").unwrap();
        let problems = nobody
            .adapters(&[("CAREBOT_TELEGRAM_TOKEN", "x")])
            .unwrap_err();
        assert_eq!(problems[0].key, "handoff.clinician_channel");
        assert!(problems[0].message.contains("cases would reach nobody"));
        // The terminal chat and staff commands need no clinicians.
        assert_eq!(nobody.adapters(&[]).unwrap(), Adapters::default());
        let someone = parse("[handoff]\nclinicians = [\"telegram:7\"]\n").unwrap();
        assert!(someone.adapters(&[("CAREBOT_TELEGRAM_TOKEN", "x")]).is_ok());
    }

    #[test]
    fn secrets_never_print() {
        let config = parse("[handoff]\nclinician_channel = \"telegram:-100\"\n").unwrap();
        let adapters = config
            .adapters(&[("CAREBOT_TELEGRAM_TOKEN", "123456:SECRET-token")])
            .unwrap();
        assert_eq!(
            TelegramTable::clinician_group(to_run(&adapters, "telegram").clinician_chat.as_deref()),
            Some(-100)
        );
        let debug = format!("{adapters:?} {:#?}", adapters);
        assert!(!debug.contains("SECRET"), "{debug}");
        assert!(debug.contains("Secret(…)"));
        let token = &to_run(&adapters, "telegram").token;
        assert_eq!(
            token.redact("error sending request for url (https://api.telegram.org/bot123456:SECRET-token/getMe)"),
            "error sending request for url (https://api.telegram.org/bot<token>/getMe)"
        );
    }

    #[test]
    fn warns_about_clinicians_no_adapter_serves() {
        let config = parse(
            "[handoff]\nclinicians = [\"discord:1\"]\nclinician_channel = \"telegram:-100\"\n",
        )
        .unwrap();
        let warnings = config.warnings(&["telegram"]);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("handoff.clinicians: `discord:1` is on discord"));
        assert!(defaults().warnings(&[])[0].contains("nobody is notified"));
    }
}
