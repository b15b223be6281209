//! Structured logs for `serve`, to standard error: readable lines or JSON
//! objects (`[log] format`), at the configured level unless `$RUST_LOG` says
//! otherwise. carebot logs ids, kinds and counts; never message text at the
//! info level or above. The subscriber is installed here, in the binary
//! only: the library just emits events.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

use crate::cli::config::{LogConfig, LogFormat, LogLevel};

fn level(level: LogLevel) -> LevelFilter {
    match level {
        LogLevel::Error => LevelFilter::ERROR,
        LogLevel::Warn => LevelFilter::WARN,
        LogLevel::Info => LevelFilter::INFO,
        LogLevel::Debug => LevelFilter::DEBUG,
        LogLevel::Trace => LevelFilter::TRACE,
    }
}

/// Installs the global subscriber. Returns a warning to log when `$RUST_LOG`
/// could not be read (the configured level is used then).
pub fn install(config: &LogConfig) -> Option<String> {
    let configured = Targets::new().with_default(level(config.level));
    let (filter, warning) = match std::env::var("RUST_LOG") {
        Ok(text) if !text.trim().is_empty() => match text.parse::<Targets>() {
            Ok(filter) => (filter, None),
            Err(error) => (
                configured,
                Some(format!(
                    "RUST_LOG is not a log filter ({error}); using log.level"
                )),
            ),
        },
        _ => (configured, None),
    };
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let layer = match config.format {
        LogFormat::Text => layer.boxed(),
        LogFormat::Json => layer.json().boxed(),
    };
    // Fails only if a subscriber is already installed, which is fine.
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .try_init();
    warning
}
