//! The platforms' tokens: read from the environment or a token file (never
//! from `carebot.toml`), for the adapters that are to run. Only `serve`
//! needs them, so a missing token file never stops staff from listing cases.
//!
//! Tokens live in [`Secret`]s, which print as `Secret(…)` in `Debug` and have
//! no `Display`; errors about them name the variable or file, never the value.

use std::fmt;
use std::path::Path;

use carebot_chat::platform::token_variables;

use super::{Config, ConfigProblem, PlatformSettings};

/// A platform token. Never printed: `Debug` shows `Secret(…)`, and there is
/// no `Display`, so it cannot end up in a log line or an error by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

// Unused in a carebot built without any adapter (`--no-default-features`).
#[allow(dead_code)]
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

/// One platform to run: its checked table, its token, and the clinicians'
/// chat on it when `handoff.clinician_channel` is there.
#[derive(Debug, Clone, PartialEq)]
pub struct ToRun {
    pub name: &'static str,
    pub token: Secret,
    pub clinician_chat: Option<String>,
    pub settings: PlatformSettings,
}

impl ToRun {
    /// The adapter's checked table, as its own type.
    #[cfg(test)]
    pub fn settings<T: 'static>(&self) -> &T {
        self.settings
            .get()
            .expect("the platform's own settings type")
    }
}

/// The adapters to run, with their tokens, in the platforms' order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Adapters(pub Vec<ToRun>);

impl Adapters {
    /// The platform names of the adapters to run.
    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|platform| platform.name).collect()
    }
}

impl Config {
    /// Whether a platform token is configured (in the environment or by a
    /// token file) or an adapter is enabled outright: then a bare `carebot`
    /// runs `serve` rather than the terminal chat.
    pub fn wants_serve(&self, env: &impl Env) -> bool {
        self.platforms.iter().any(|platform| {
            let (variable, file_variable) = token_variables(platform.name);
            platform.enabled == Some(true)
                || (platform.enabled != Some(false)
                    && (platform.token_file.is_some()
                        || env.var(&variable).is_some()
                        || env.var(&file_variable).is_some()))
        })
    }

    /// The adapters to run and their tokens: an adapter runs when it has a
    /// token, unless `enabled = false`; `enabled = true` without a token is
    /// an error.
    pub fn adapters(&self, env: &impl Env) -> Result<Adapters, Vec<ConfigProblem>> {
        let mut problems = Vec::new();
        let mut adapters = Vec::new();
        for platform in &self.platforms {
            let Some(token) = token(
                platform.name,
                platform.enabled,
                platform.token_file.as_deref(),
                env,
                &mut problems,
            ) else {
                continue;
            };
            adapters.push(ToRun {
                name: platform.name,
                token,
                clinician_chat: self.clinician_channel_on(platform.name).map(str::to_string),
                settings: platform.settings.clone(),
            });
        }
        // Patients are told "the practice team will reply": someone must be told.
        if !adapters.is_empty()
            && self.handoff.clinicians.is_empty()
            && self.handoff.clinician_channel.is_none()
        {
            problems.push(ConfigProblem {
                location: String::new(),
                key: "handoff.clinician_channel".to_string(),
                message: "no clinician channel and no clinicians are configured, so cases would reach nobody while patients are told the practice team will reply: set handoff.clinician_channel (or list handoff.clinicians)".to_string(),
            });
        }
        if problems.is_empty() {
            Ok(Adapters(adapters))
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
