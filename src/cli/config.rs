//! The configuration file, `carebot.toml` (`--config FILE`, `$CAREBOT_CONFIG`,
//! else `./carebot.toml` when there is one), layered with environment
//! variables for secrets. `carebot.example.toml` at the top of the repository
//! shows and explains every key.
//!
//! Reading happens in two steps, each reporting every problem it finds (not
//! just the first) as `file:line:col: key: what is wrong`:
//!
//! 1. [`Config::load`] parses and validates the file. Every command uses it:
//!    `knowledge`, `data` and `[handoff]` mean the same to `carebot cases` as
//!    to `carebot serve`.
//! 2. [`Config::adapters`] reads the platform tokens (from the environment or
//!    token files) for the adapters that are to run. Only `serve` needs them,
//!    so a missing token file never stops staff from listing cases.
//!
//! Tokens live in [`Secret`]s, which print as `Secret(…)` in `Debug` and have
//! no `Display`; errors about them name the variable or file, never the value.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::IgnoredAny;
use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use toml::Spanned;
use url::{Host, Url};

use carebot::knowledge::problem::line_column;
use carebot::ratelimit::RateLimit;
use carebot::{Address, HandoffSettings, Limits};

/// The file read when no `--config` is given, if it exists.
pub const DEFAULT_FILE: &str = "carebot.toml";

/// Where the real platforms' APIs are; a setting so tests and proxies can
/// point the adapters elsewhere.
pub const TELEGRAM_API: &str = "https://api.telegram.org";
pub const DISCORD_API: &str = "https://discord.com/api";
/// Where `/healthz` and `/metrics` are served by default: this machine only.
pub const METRICS_LISTEN: &str = "127.0.0.1:9187";

/// A platform token. Never printed: `Debug` shows `Secret(…)`, and there is
/// no `Display`, so it cannot end up in a log line or an error by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

// The adapters' wiring (behind the `telegram` and `discord` features) is what
// reads a secret.
#[cfg_attr(not(any(feature = "telegram", feature = "discord")), allow(dead_code))]
impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The token itself, for the adapter that sends it to its platform.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the secret masked: a safety net for
    /// error messages from HTTP clients, which like to quote URLs (and
    /// Telegram's URLs contain the token).
    pub fn redact(&self, text: &str) -> String {
        if self.0.is_empty() {
            return text.to_string();
        }
        text.replace(&self.0, "<token>")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

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

/// Telegram, as the file configures it (the token comes later).
#[derive(Debug, Clone, PartialEq)]
pub struct TelegramFile {
    /// `None`: run when a token is configured.
    pub enabled: Option<bool>,
    pub token_file: Option<PathBuf>,
    pub api_url: Url,
    pub webhook: Option<Webhook>,
}

/// Receive Telegram updates by webhook instead of long polling.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    /// Where carebot's webhook server listens (behind the reverse proxy).
    pub listen: SocketAddr,
    /// The https address Telegram posts updates to.
    pub public_url: Url,
}

/// Discord, as the file configures it (the token comes later).
#[derive(Debug, Clone, PartialEq)]
pub struct DiscordFile {
    pub enabled: Option<bool>,
    pub token_file: Option<PathBuf>,
    pub api_url: Url,
    /// `None`: ask the API where the gateway is.
    pub gateway_url: Option<Url>,
    pub application_id: Option<u64>,
    /// Members of this role may use clinician commands anywhere in the server.
    pub clinician_role: Option<u64>,
    /// Whether the bot asks for the privileged message-content intent (to read
    /// server messages that do not mention it).
    pub message_content: bool,
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
    pub handoff: HandoffSettings,
    pub reload: ReloadConfig,
    pub limits: InputLimits,
    /// Where `/healthz` and `/metrics` are served.
    pub metrics_listen: SocketAddr,
    pub log: LogConfig,
    pub telegram: TelegramFile,
    pub discord: DiscordFile,
    /// Settings the file may have but that expose something (a metrics
    /// listener other machines reach, a token sent in clear), located in the
    /// file; [`Config::warnings`] reports them with the others.
    pub risky: Vec<ConfigProblem>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            path: None,
            knowledge: None,
            data: None,
            handoff: HandoffSettings::default(),
            reload: ReloadConfig::default(),
            limits: InputLimits::default(),
            metrics_listen: METRICS_LISTEN.parse().expect("a valid default address"),
            log: LogConfig::default(),
            telegram: TelegramFile {
                enabled: None,
                token_file: None,
                api_url: Url::parse(TELEGRAM_API).expect("a valid default URL"),
                webhook: None,
            },
            discord: DiscordFile {
                enabled: None,
                token_file: None,
                api_url: Url::parse(DISCORD_API).expect("a valid default URL"),
                gateway_url: None,
                application_id: None,
                clinician_role: None,
                message_content: false,
            },
            risky: Vec::new(),
        }
    }
}

/// The Telegram adapter's settings, complete (mirrors `carebot_telegram::TelegramSettings`).
#[derive(Debug, Clone, PartialEq)]
pub struct TelegramConfig {
    pub token: Secret,
    pub api_url: Url,
    pub webhook: Option<Webhook>,
    /// The clinician group's chat id, when `handoff.clinician_channel` is on Telegram.
    pub clinician_group: Option<i64>,
}

/// The Discord adapter's settings, complete (mirrors `carebot_discord::DiscordSettings`).
#[derive(Debug, Clone, PartialEq)]
pub struct DiscordConfig {
    pub token: Secret,
    pub api_url: Url,
    pub gateway_url: Option<Url>,
    pub application_id: Option<u64>,
    /// The clinician channel's id, when `handoff.clinician_channel` is on Discord.
    pub clinician_channel: Option<u64>,
    pub clinician_role: Option<u64>,
    pub message_content: bool,
}

/// The adapters to run, with their tokens.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Adapters {
    pub telegram: Option<TelegramConfig>,
    pub discord: Option<DiscordConfig>,
}

impl Adapters {
    /// The platform names of the adapters to run.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.telegram.is_some() {
            names.push("telegram");
        }
        if self.discord.is_some() {
            names.push("discord");
        }
        names
    }
}

/// Where environment variables come from: the process, or a map in tests
/// (changing the process's own environment from tests is racy).
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process's environment. A variable that is set but empty counts as
/// unset, as deployment templates often leave optional ones empty.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var_os(name)
            .map(|value| value.to_string_lossy().into_owned())
            .filter(|value| !value.is_empty())
    }
}

impl<const N: usize> Env for [(&str, &str); N] {
    fn var(&self, name: &str) -> Option<String> {
        self.iter()
            .find(|(key, value)| *key == name && !value.is_empty())
            .map(|(_, value)| value.to_string())
    }
}

// ---------------------------------------------------------------------------
// The file as written: every table denies unknown keys, so a typo is an error
// rather than a setting silently ignored.

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    knowledge: Option<PathBuf>,
    data: Option<PathBuf>,
    #[serde(default)]
    reload: RawReload,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    metrics: RawMetrics,
    #[serde(default)]
    log: RawLog,
    #[serde(default)]
    handoff: HandoffSettings,
    #[serde(default)]
    telegram: RawTelegram,
    #[serde(default)]
    discord: RawDiscord,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawReload {
    watch: Option<bool>,
    poll_interval_ms: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_message_chars: Option<usize>,
    burst: Option<u32>,
    per_minute: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMetrics {
    listen: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLog {
    #[serde(default)]
    format: LogFormat,
    #[serde(default)]
    level: LogLevel,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTelegram {
    enabled: Option<bool>,
    /// Accepted only to say where the token belongs instead.
    token: Option<IgnoredAny>,
    token_file: Option<PathBuf>,
    api_url: Option<String>,
    webhook: Option<RawWebhook>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    listen: String,
    public_url: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDiscord {
    enabled: Option<bool>,
    token: Option<IgnoredAny>,
    token_file: Option<PathBuf>,
    api_url: Option<String>,
    gateway_url: Option<String>,
    application_id: Option<u64>,
    clinician_role: Option<u64>,
    message_content: Option<bool>,
}

/// The file being validated: its text (to locate keys) and folder (to
/// resolve relative paths). Problems are collected, not returned one by one.
struct Checker<'a> {
    path: &'a Path,
    text: &'a str,
    table: Option<DeTable<'a>>,
    problems: Vec<ConfigProblem>,
    /// Allowed but risky settings (see [`Config::risky`]).
    risky: Vec<ConfigProblem>,
}

impl<'a> Checker<'a> {
    fn new(path: &'a Path, text: &'a str) -> Checker<'a> {
        Checker {
            path,
            text,
            table: DeTable::parse(text).ok().map(Spanned::into_inner),
            problems: Vec::new(),
            risky: Vec::new(),
        }
    }

    fn location(&self, offset: usize) -> String {
        let (line, column) = line_column(self.text, offset);
        format!("{}:{line}:{column}", self.path.display())
    }

    /// A problem with `key` (a dotted path such as `handoff.retention_days`),
    /// located at its value, else at its table, else at the top of the file.
    fn problem(&mut self, key: &str, message: impl Into<String>) {
        let problem = self.located(key, message);
        self.problems.push(problem);
    }

    /// Like [`Checker::problem`], for a setting that is allowed but risky.
    fn risky(&mut self, key: &str, message: impl Into<String>) {
        let warning = self.located(key, message);
        self.risky.push(warning);
    }

    fn located(&self, key: &str, message: impl Into<String>) -> ConfigProblem {
        ConfigProblem {
            location: self.location(self.offset_of(key)),
            key: key.to_string(),
            message: message.into(),
        }
    }

    fn offset_of(&self, key: &str) -> usize {
        let Some(table) = &self.table else { return 0 };
        let mut offset = 0;
        let mut current: Option<&DeTable> = Some(table);
        for part in key.split('.') {
            let Some((name, value)) = current.and_then(|table| table.get_key_value(part)) else {
                break;
            };
            offset = match value.get_ref() {
                DeValue::Table(_) => name.span().start,
                _ => value.span().start,
            };
            current = value.get_ref().as_table();
        }
        offset
    }

    /// The dotted key whose value (or name) covers `offset`, for serde's
    /// errors, which say what is wrong and where but not under which key.
    fn key_at(&self, offset: usize) -> String {
        fn walk(table: &DeTable, offset: usize, path: &mut Vec<String>) -> bool {
            for (name, value) in table.iter() {
                let covers = name.span().contains(&offset) || value.span().contains(&offset);
                if let DeValue::Table(inner) = value.get_ref() {
                    path.push(name.get_ref().to_string());
                    // The deepest key that covers the offset, else this table.
                    if walk(inner, offset, path) || covers {
                        return true;
                    }
                    path.pop();
                } else if covers {
                    path.push(name.get_ref().to_string());
                    return true;
                }
            }
            false
        }
        let mut path = Vec::new();
        if let Some(table) = &self.table {
            walk(table, offset, &mut path);
        }
        path.join(".")
    }

    /// A problem that serde (or the TOML parser) found at its offset.
    fn read_error(&self, error: &toml::de::Error) -> ConfigProblem {
        let offset = error.span().map_or(0, |span| span.start);
        ConfigProblem {
            location: self.location(offset),
            key: self.key_at(offset),
            message: error.message().trim().to_string(),
        }
    }

    /// Every type error and unknown key in the file, where `first` is the
    /// one serde stopped at. Serde gives up at the first, so each top-level
    /// key, and each key of a table, is read again on its own: the others
    /// are optional, so whatever fails alone is a problem of its own. A
    /// syntax error is reported alone, as nothing after it can be trusted.
    fn type_errors(&self, first: &toml::de::Error) -> Vec<ConfigProblem> {
        let Some(table) = &self.table else {
            return vec![self.read_error(first)];
        };
        let alone = |key: &Spanned<toml::de::DeString<'a>>, value: Spanned<DeValue<'a>>| {
            let span = value.span();
            let mut document = DeTable::new();
            document.insert(key.clone(), value);
            RawConfig::deserialize(toml::de::Deserializer::from(Spanned::new(span, document))).err()
        };
        let mut errors = Vec::new();
        for (key, value) in table.iter() {
            match value.get_ref() {
                DeValue::Table(inner) if !inner.is_empty() => {
                    for (inner_key, inner_value) in inner.iter() {
                        let mut one = DeTable::new();
                        one.insert(inner_key.clone(), inner_value.clone());
                        let section = Spanned::new(value.span(), DeValue::Table(one));
                        errors.extend(alone(key, section));
                    }
                }
                _ => errors.extend(alone(key, value.clone())),
            }
        }
        // Top to bottom, as the file reads.
        errors.sort_by_key(|error| error.span().map(|span| span.start));
        let mut problems: Vec<ConfigProblem> =
            errors.iter().map(|error| self.read_error(error)).collect();
        problems.dedup();
        if problems.is_empty() {
            // Only the keys together fail: report what serde said.
            problems.push(self.read_error(first));
        }
        problems
    }

    fn url(&mut self, key: &str, text: Option<&str>, default: &str, schemes: &[&str]) -> Url {
        let fallback = || Url::parse(default).expect("a valid default URL");
        let Some(text) = text else {
            return fallback();
        };
        match Url::parse(text) {
            Ok(url) if schemes.contains(&url.scheme()) && url.host().is_some() => {
                if matches!(url.scheme(), "http" | "ws") && !is_this_machine(&url) {
                    self.risky(
                        key,
                        format!("`{text}` is not encrypted: the bot token and patients' messages would cross the network in clear; use https (or wss), or a proxy on this machine"),
                    );
                }
                url
            }
            Ok(_) => {
                self.problem(
                    key,
                    format!(
                        "`{text}` must be an {} URL with a host, e.g. {default}",
                        schemes.join(" or ")
                    ),
                );
                fallback()
            }
            Err(error) => {
                self.problem(key, format!("`{text}` is not a URL: {error}"));
                fallback()
            }
        }
    }

    fn socket_address(&mut self, key: &str, text: &str, example: &str) -> Option<SocketAddr> {
        match text.parse() {
            Ok(address) => Some(address),
            Err(_) => {
                self.problem(
                    key,
                    format!("`{text}` is not an IP address and port, e.g. {example}"),
                );
                None
            }
        }
    }

    /// A path from the file, relative to the file's folder.
    fn resolve(&self, path: PathBuf) -> PathBuf {
        match self.path.parent() {
            Some(folder) if path.is_relative() => folder.join(path),
            _ => path,
        }
    }

    /// Platform ids are numbers on Telegram and Discord: a typo in one would
    /// otherwise only show as a notification that never arrives.
    fn address(&mut self, key: &str, address: &Address) {
        let ok = match address.platform.as_str() {
            "telegram" => address.chat.parse::<i64>().is_ok(),
            // A person (and their DM) is `discord:<id>`, a server channel
            // `discord:channel:<id>`, as the Discord adapter writes them.
            "discord" => {
                let id = address
                    .chat
                    .strip_prefix("channel:")
                    .unwrap_or(&address.chat);
                id.parse::<u64>().is_ok()
            }
            _ => true,
        };
        if !ok {
            self.problem(
                key,
                format!(
                    "`{address}`: {} ids are numbers, e.g. {}:{}",
                    address.platform,
                    address.platform,
                    if address.platform == "telegram" {
                        "-1001234567890"
                    } else {
                        "channel:987654321098765432"
                    }
                ),
            );
        }
    }
}

impl Config {
    /// The configuration at `path`, or the defaults when `path` is `None`.
    pub fn load(path: Option<&Path>) -> Result<Config, Vec<ConfigProblem>> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let text = std::fs::read_to_string(path).map_err(|error| {
            vec![ConfigProblem {
                location: path.display().to_string(),
                key: String::new(),
                message: format!("cannot read the configuration file: {error}"),
            }]
        })?;
        Config::parse(path, &text)
    }

    /// Validates the text of the configuration file at `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, Vec<ConfigProblem>> {
        let mut check = Checker::new(path, text);
        let raw: RawConfig = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(error) => return Err(check.type_errors(&error)),
        };
        let defaults = Config::default();

        for (key, problem) in raw.handoff.problems() {
            check.problem(&format!("handoff.{key}"), problem);
        }
        for clinician in &raw.handoff.clinicians {
            check.address("handoff.clinicians", clinician);
        }
        if let Some(channel) = &raw.handoff.clinician_channel {
            check.address("handoff.clinician_channel", channel);
        }

        let poll_ms = raw.reload.poll_interval_ms.unwrap_or(1000);
        if !(100..=60_000).contains(&poll_ms) {
            check.problem(
                "reload.poll_interval_ms",
                "must be between 100 and 60000 (milliseconds)",
            );
        }
        let limits = InputLimits {
            engine: Limits {
                max_message_chars: raw
                    .limits
                    .max_message_chars
                    .unwrap_or(defaults.limits.engine.max_message_chars),
            },
            rate: RateLimit {
                burst: raw.limits.burst.unwrap_or(defaults.limits.rate.burst),
                per_minute: raw
                    .limits
                    .per_minute
                    .unwrap_or(defaults.limits.rate.per_minute),
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
        let metrics_listen = match &raw.metrics.listen {
            Some(text) => check
                .socket_address("metrics.listen", text, METRICS_LISTEN)
                .unwrap_or(defaults.metrics_listen),
            None => defaults.metrics_listen,
        };
        if !metrics_listen.ip().is_loopback() {
            check.risky(
                "metrics.listen",
                format!("`{metrics_listen}` can be reached from other machines, and /metrics and /healthz ask for no password: keep {METRICS_LISTEN} and let the monitoring agent on this machine, or an authenticating proxy, fetch them"),
            );
        }

        let http = &["http", "https"];
        for (platform, token) in [
            ("telegram", raw.telegram.token.is_some()),
            ("discord", raw.discord.token.is_some()),
        ] {
            if token {
                let (variable, file_variable) = token_variables(platform);
                check.problem(
                    &format!("{platform}.token"),
                    format!("tokens do not belong in the configuration file: set ${variable}, or put it in a file readable only by carebot and name that file in {platform}.token_file or ${file_variable}"),
                );
            }
        }
        let telegram = TelegramFile {
            enabled: raw.telegram.enabled,
            token_file: raw.telegram.token_file.map(|path| check.resolve(path)),
            api_url: check.url(
                "telegram.api_url",
                raw.telegram.api_url.as_deref(),
                TELEGRAM_API,
                http,
            ),
            webhook: raw.telegram.webhook.and_then(|webhook| {
                let listen = check.socket_address(
                    "telegram.webhook.listen",
                    &webhook.listen,
                    "0.0.0.0:8443",
                );
                let public_url = check.url(
                    "telegram.webhook.public_url",
                    Some(&webhook.public_url),
                    "https://bot.example.org/telegram",
                    http,
                );
                Some(Webhook {
                    listen: listen?,
                    public_url,
                })
            }),
        };
        let discord = DiscordFile {
            enabled: raw.discord.enabled,
            token_file: raw.discord.token_file.map(|path| check.resolve(path)),
            api_url: check.url(
                "discord.api_url",
                raw.discord.api_url.as_deref(),
                DISCORD_API,
                http,
            ),
            gateway_url: raw.discord.gateway_url.as_deref().map(|text| {
                check.url(
                    "discord.gateway_url",
                    Some(text),
                    "wss://gateway.discord.gg",
                    &["ws", "wss", "http", "https"],
                )
            }),
            application_id: raw.discord.application_id,
            clinician_role: raw.discord.clinician_role,
            message_content: raw.discord.message_content.unwrap_or(false),
        };

        let config = Config {
            path: Some(path.to_path_buf()),
            knowledge: raw.knowledge.map(|path| check.resolve(path)),
            data: raw.data.map(|path| check.resolve(path)),
            handoff: raw.handoff,
            reload: ReloadConfig {
                watch: raw.reload.watch.unwrap_or(true),
                poll_interval: Duration::from_millis(poll_ms),
            },
            limits,
            metrics_listen,
            log: LogConfig {
                format: raw.log.format,
                level: raw.log.level,
            },
            telegram,
            discord,
            risky: check.risky,
        };
        if check.problems.is_empty() {
            Ok(config)
        } else {
            Err(check.problems)
        }
    }

    /// Whether a platform token is configured (in the environment or by a
    /// token file) or an adapter is enabled outright: then a bare `carebot`
    /// runs `serve` rather than the terminal chat.
    pub fn wants_serve(&self, env: &impl Env) -> bool {
        let wanted = |platform: &str, enabled: Option<bool>, token_file: &Option<PathBuf>| {
            let (variable, file_variable) = token_variables(platform);
            enabled == Some(true)
                || (enabled != Some(false)
                    && (token_file.is_some()
                        || env.var(&variable).is_some()
                        || env.var(&file_variable).is_some()))
        };
        wanted("telegram", self.telegram.enabled, &self.telegram.token_file)
            || wanted("discord", self.discord.enabled, &self.discord.token_file)
    }

    /// The adapters to run and their tokens: an adapter runs when it has a
    /// token, unless `enabled = false`; `enabled = true` without a token is
    /// an error.
    pub fn adapters(&self, env: &impl Env) -> Result<Adapters, Vec<ConfigProblem>> {
        let mut problems = Vec::new();
        let telegram = token(
            "telegram",
            self.telegram.enabled,
            self.telegram.token_file.as_deref(),
            env,
            &mut problems,
        )
        .map(|token| TelegramConfig {
            token,
            api_url: self.telegram.api_url.clone(),
            webhook: self.telegram.webhook.clone(),
            clinician_group: self
                .clinician_channel_on("telegram")
                .and_then(|chat| chat.parse().ok()),
        });
        let discord = token(
            "discord",
            self.discord.enabled,
            self.discord.token_file.as_deref(),
            env,
            &mut problems,
        )
        .map(|token| DiscordConfig {
            token,
            api_url: self.discord.api_url.clone(),
            gateway_url: self.discord.gateway_url.clone(),
            application_id: self.discord.application_id,
            clinician_channel: self
                .clinician_channel_on("discord")
                .and_then(|chat| chat.strip_prefix("channel:"))
                .and_then(|id| id.parse().ok()),
            clinician_role: self.discord.clinician_role,
            message_content: self.discord.message_content,
        });
        // Patients are told "the practice team will reply": someone must be told.
        let serving = telegram.is_some() || discord.is_some();
        if serving && self.handoff.clinicians.is_empty() && self.handoff.clinician_channel.is_none()
        {
            problems.push(ConfigProblem {
                location: String::new(),
                key: "handoff.clinician_channel".to_string(),
                message: "no clinician channel and no clinicians are configured, so cases would reach nobody while patients are told the practice team will reply: set handoff.clinician_channel (or list handoff.clinicians)".to_string(),
            });
        }
        if problems.is_empty() {
            Ok(Adapters { telegram, discord })
        } else {
            Err(problems)
        }
    }

    /// The clinician channel's chat id when it is on `platform`.
    fn clinician_channel_on(&self, platform: &str) -> Option<&str> {
        self.handoff
            .clinician_channel
            .as_ref()
            .filter(|channel| channel.platform == platform)
            .map(|channel| channel.chat.as_str())
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

/// Whether `url` points at this machine, where plain http never crosses a
/// network (a proxy or a test server beside carebot).
fn is_this_machine(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name.to_ascii_lowercase().ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The environment variables that give `platform`'s token, by value and by
/// file: `CAREBOT_<PLATFORM>_TOKEN` and `CAREBOT_<PLATFORM>_TOKEN_FILE`. One
/// place spells them, so the error messages name the variables that are read.
fn token_variables(platform: &str) -> (String, String) {
    let variable = format!("CAREBOT_{}_TOKEN", platform.to_ascii_uppercase());
    let file_variable = format!("{variable}_FILE");
    (variable, file_variable)
}

/// The token for `platform`: `$CAREBOT_<PLATFORM>_TOKEN`, else the file named
/// by `$CAREBOT_<PLATFORM>_TOKEN_FILE`, else the file named in the
/// configuration. `None` when the adapter is not to run.
fn token(
    platform: &str,
    enabled: Option<bool>,
    config_file: Option<&Path>,
    env: &impl Env,
    problems: &mut Vec<ConfigProblem>,
) -> Option<Secret> {
    if enabled == Some(false) {
        return None;
    }
    let (variable, file_variable) = token_variables(platform);
    let mut problem = |key: &str, message: String| {
        problems.push(ConfigProblem {
            location: String::new(),
            key: key.to_string(),
            message,
        });
    };
    let read = |path: &Path| -> Result<Secret, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read the token file {}: {error}", path.display()))?;
        let token = text.trim();
        if token.is_empty() {
            return Err(format!("the token file {} is empty", path.display()));
        }
        Ok(Secret::new(token))
    };
    let found = match (env.var(&variable), env.var(&file_variable)) {
        (Some(_), Some(_)) => {
            problem(
                &variable,
                format!("set either ${variable} or ${file_variable}, not both"),
            );
            return None;
        }
        (Some(value), None) if value.trim().is_empty() => {
            Some(Err((variable.clone(), format!("${variable} is blank"))))
        }
        (Some(value), None) => Some(Ok(Secret::new(value.trim()))),
        (None, Some(path)) => {
            Some(read(Path::new(&path)).map_err(|error| (file_variable.clone(), error)))
        }
        (None, None) => config_file
            .map(|path| read(path).map_err(|error| (format!("{platform}.token_file"), error))),
    };
    match found {
        Some(Ok(token)) => Some(token),
        Some(Err((key, message))) => {
            problem(&key, message);
            None
        }
        None if enabled == Some(true) => {
            problem(
                &format!("{platform}.enabled"),
                format!("{platform} is enabled but has no token: set ${variable}, ${file_variable} or {platform}.token_file"),
            );
            None
        }
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Vec<ConfigProblem>> {
        Config::parse(Path::new("/etc/carebot/carebot.toml"), text)
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
            Config::default()
        );
    }

    #[test]
    fn the_example_file_is_valid_and_runs_no_adapter_without_tokens() {
        let config = parse(include_str!("../../carebot.example.toml")).unwrap();
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
    fn relative_paths_are_from_the_files_folder() {
        let config = parse("knowledge = \"knowledge\"\ndata = \"/srv/data\"\n[telegram]\ntoken_file = \"secrets/telegram\"\n").unwrap();
        assert_eq!(
            config.knowledge,
            Some(PathBuf::from("/etc/carebot/knowledge"))
        );
        assert_eq!(config.data, Some(PathBuf::from("/srv/data")));
        assert_eq!(
            config.telegram.token_file,
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
        let discord = adapters.discord.unwrap();
        assert_eq!(discord.token.expose(), "t0ken");
        assert_eq!(discord.clinician_channel, Some(42));
        assert_eq!(discord.api_url.as_str(), "http://127.0.0.1:9/api");

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "s3cret-token\n").unwrap();
        let from_file = config
            .adapters(&[("CAREBOT_TELEGRAM_TOKEN_FILE", file.to_str().unwrap())])
            .unwrap();
        assert_eq!(from_file.names(), ["telegram"]);
        assert_eq!(
            from_file.telegram.as_ref().unwrap().token.expose(),
            "s3cret-token"
        );
        assert_eq!(from_file.telegram.unwrap().clinician_group, None);

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
            adapters.telegram.as_ref().unwrap().clinician_group,
            Some(-100)
        );
        let debug = format!("{adapters:?} {:#?}", adapters);
        assert!(!debug.contains("SECRET"), "{debug}");
        assert!(debug.contains("Secret(…)"));
        let token = &adapters.telegram.unwrap().token;
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
        assert!(Config::default().warnings(&[])[0].contains("nobody is notified"));
    }
}
