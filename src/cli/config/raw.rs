//! `carebot.toml` as written, before any checking: the core's tables
//! (every one denies unknown keys, so a typo is an error rather than a
//! setting silently ignored), and each platform's table, read by its adapter
//! ([`PlatformTable`]).
//!
//! Serde stops at the first error; [`read`] goes on, so that every type
//! error and unknown key in the file is reported at once.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;
use toml::de::{DeTable, DeValue, Deserializer};
use toml::Spanned;

use super::{LogFormat, LogLevel, PlatformTable, ReadTable};
use carebot::HandoffSettings;

/// The file's own keys, in the order an unknown key's message lists them
/// (the platforms' names follow).
const KEYS: [&str; 11] = [
    "knowledge",
    "data",
    "store",
    "store_file",
    "reload",
    "limits",
    "faq",
    "metrics",
    "log",
    "handoff",
    "record",
];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub knowledge: Option<PathBuf>,
    pub data: Option<PathBuf>,
    pub store: Option<String>,
    pub store_file: Option<PathBuf>,
    #[serde(default)]
    pub reload: RawReload,
    #[serde(default)]
    pub limits: RawLimits,
    #[serde(default)]
    pub faq: RawFaq,
    #[serde(default)]
    pub metrics: RawMetrics,
    #[serde(default)]
    pub log: RawLog,
    #[serde(default)]
    pub handoff: HandoffSettings,
    #[serde(default)]
    pub record: RawRecord,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRecord {
    pub correspondence: Option<bool>,
    pub identifier_system: Option<String>,
    pub fhir_base: Option<String>,
    pub fhir_token_file: Option<PathBuf>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReload {
    pub watch: Option<bool>,
    pub poll_interval_ms: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLimits {
    pub max_message_chars: Option<usize>,
    pub burst: Option<u32>,
    pub per_minute: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFaq {
    pub semantic: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetrics {
    pub listen: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLog {
    #[serde(default)]
    pub format: LogFormat,
    #[serde(default)]
    pub level: LogLevel,
}

/// The whole file, read: the core's part, and every platform's table (an
/// absent table reads as the platform's defaults), in the platforms' order.
pub(super) struct RawFile {
    pub config: RawConfig,
    pub platforms: Vec<ReadTable>,
}

/// Why a part of the file could not be read: where (an offset into the
/// text), under which key when known, and what serde or the parser said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ReadError {
    pub offset: usize,
    /// `None`: the key whose value or name covers `offset`.
    pub key: Option<String>,
    pub message: String,
}

impl From<toml::de::Error> for ReadError {
    fn from(error: toml::de::Error) -> ReadError {
        ReadError {
            offset: error.span().map_or(0, |span| span.start),
            key: None,
            message: error.message().trim().to_string(),
        }
    }
}

/// Reads `text`; on failure, every type error and unknown key in it, top to
/// bottom. A syntax error is reported alone, as nothing after it can be
/// trusted.
pub(super) fn read<P: PlatformTable + ?Sized>(
    text: &str,
    platforms: &[Arc<P>],
) -> Result<RawFile, Vec<ReadError>> {
    let document = DeTable::parse(text).map_err(|error| vec![ReadError::from(error)])?;
    let span = document.span();
    let table = document.into_inner();
    let first = match read_table(span.clone(), &table, platforms) {
        Ok(file) => return Ok(file),
        Err(first) => first,
    };
    // Serde gave up at the first error, so each top-level key, and each key
    // of a table, is read again on its own: the others are optional, so
    // whatever fails alone is a problem of its own.
    let alone = |key: &Spanned<toml::de::DeString<'_>>, value: Spanned<DeValue<'_>>| {
        let mut document = DeTable::new();
        document.insert(key.clone(), value);
        read_table(span.clone(), &document, platforms).err()
    };
    let mut errors = Vec::new();
    for (key, value) in table.iter() {
        match value.get_ref() {
            DeValue::Table(inner) if !inner.is_empty() => {
                for (inner_key, inner_value) in inner.iter() {
                    let mut one = DeTable::new();
                    one.insert(inner_key.clone(), inner_value.clone());
                    errors.extend(alone(key, Spanned::new(value.span(), DeValue::Table(one))));
                }
            }
            _ => errors.extend(alone(key, value.clone())),
        }
    }
    // Top to bottom, as the file reads.
    errors.sort_by_key(|error| error.offset);
    errors.dedup();
    if errors.is_empty() {
        // Only the keys together fail: report the first error.
        errors.push(first);
    }
    Err(errors)
}

/// Reads a document: the file's own keys into [`RawConfig`], each platform's
/// table by its adapter. The first error, as serde stops there.
fn read_table<P: PlatformTable + ?Sized>(
    span: std::ops::Range<usize>,
    table: &DeTable<'_>,
    platforms: &[Arc<P>],
) -> Result<RawFile, ReadError> {
    let mut own = DeTable::new();
    for (key, value) in table.iter() {
        let name = key.get_ref().as_ref();
        if KEYS.contains(&name) {
            own.insert(key.clone(), value.clone());
        } else if !platforms.iter().any(|platform| platform.name() == name) {
            return Err(unknown_key(key, platforms));
        }
    }
    let config = RawConfig::deserialize(Deserializer::from(Spanned::new(span.clone(), own)))?;
    let mut read = Vec::new();
    for platform in platforms {
        let mut document = DeTable::new();
        if let Some((key, value)) = table.get_key_value(platform.name()) {
            document.insert(key.clone(), value.clone());
        }
        read.push(platform.read(Deserializer::from(Spanned::new(span.clone(), document)))?);
    }
    Ok(RawFile {
        config,
        platforms: read,
    })
}

/// A top-level key that is neither the file's own nor a platform's, in
/// serde's words for an unknown field.
fn unknown_key<P: PlatformTable + ?Sized>(
    key: &Spanned<toml::de::DeString<'_>>,
    platforms: &[Arc<P>],
) -> ReadError {
    let expected: Vec<String> = KEYS
        .iter()
        .copied()
        .chain(platforms.iter().map(|platform| platform.name()))
        .map(|name| format!("`{name}`"))
        .collect();
    ReadError {
        offset: key.span().start,
        key: Some(key.get_ref().to_string()),
        message: format!(
            "unknown field `{}`, expected one of {}",
            key.get_ref(),
            expected.join(", ")
        ),
    }
}

/// Reads one platform's table out of a document that holds at most that
/// table, under the platform's name (its spans are the file's, so errors
/// point into the file); an absent table reads as the defaults.
pub(crate) fn platform_table<T: serde::de::DeserializeOwned + Default>(
    name: &str,
    document: Deserializer<'_>,
) -> Result<T, toml::de::Error> {
    let mut tables = std::collections::BTreeMap::<String, T>::deserialize(document)?;
    Ok(tables.remove(name).unwrap_or_default())
}
