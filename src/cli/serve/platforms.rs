//! Every chat platform this carebot knows: one line each in [`registry`].
//!
//! Adding a platform takes a new adapter crate under `adapters/` that
//! implements [`ChatAdapter`] (its `[<platform>]` table, checked, and
//! connect, run, deliver), a cargo feature of the same name in `Cargo.toml`,
//! and one line below. The rest is the same for every platform: the
//! configuration reads the table through [`PlatformTable`], the tokens are
//! read by name, and `serve` runs the adapter as an [`AdapterPlatform`].

use std::marker::PhantomData;
use std::sync::Arc;

use carebot_chat::platform::{SettingsCheck, TokenKeys};
use carebot_chat::ChatAdapter;
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::platform::{AdapterPlatform, Platform};
use crate::cli::config::{platform_table, PlatformSettings, PlatformTable, ReadTable, ToRun};

/// `platform!("name", AdapterType)`: the adapter when the cargo feature
/// `name` is on, else a stand-in that knows only the name.
macro_rules! platform {
    ($feature:literal, $adapter:ty) => {{
        #[cfg(feature = $feature)]
        let platform: Arc<dyn Registered> = Arc::new(Entry::<$adapter>(PhantomData));
        #[cfg(not(feature = $feature))]
        let platform: Arc<dyn Registered> = Arc::new(NotBuilt($feature));
        platform
    }};
}

/// The platforms, in the order the configuration reads them and `serve`
/// starts them. A platform whose cargo feature is off is still known, so
/// that its table is accepted and a token for it is refused plainly.
pub fn registry() -> Vec<Arc<dyn Registered>> {
    vec![
        platform!("telegram", carebot_telegram::Telegram),
        platform!("discord", carebot_discord::Discord),
    ]
}

/// A platform as `serve` starts it.
pub trait Registered: PlatformTable {
    /// The adapter, ready to connect; `None` when this carebot was built
    /// without it.
    /// `shared`: other carebot processes may serve the same bot on the
    /// same store.
    fn start(&self, platform: &ToRun, shared: bool) -> Option<Arc<dyn Platform>>;
}

/// A platform whose adapter is built in.
// Never constructed in a carebot built without any adapter.
#[allow(dead_code)]
struct Entry<A>(PhantomData<fn() -> A>);

impl<A: ChatAdapter> PlatformTable for Entry<A> {
    fn name(&self) -> &'static str {
        A::NAME
    }

    fn read(&self, document: toml::de::Deserializer<'_>) -> Result<ReadTable, toml::de::Error> {
        let file: A::File = platform_table(A::NAME, document)?;
        let mut check = SettingsCheck::default();
        let (keys, settings) = A::check(file, &mut check);
        Ok(ReadTable {
            keys,
            settings: PlatformSettings(Arc::new(settings)),
            check,
        })
    }

    fn check_chat(&self, chat: &str) -> Result<(), String> {
        A::check_chat(chat)
    }
}

impl<A: ChatAdapter> Registered for Entry<A> {
    fn start(&self, platform: &ToRun, shared: bool) -> Option<Arc<dyn Platform>> {
        let settings: &A::Settings = platform.settings.get()?;
        Some(AdapterPlatform::<A>::new(
            settings.clone(),
            platform.token.clone(),
            platform.clinician_chat.clone(),
            shared,
        ))
    }
}

/// A platform this carebot was built without: its table is taken as it is
/// (only where its token is matters), and it never starts.
// Never constructed in a carebot built with every adapter.
#[allow(dead_code)]
struct NotBuilt(&'static str);

#[allow(dead_code)]
#[derive(Deserialize, Default)]
struct AnyTable {
    enabled: Option<bool>,
    token: Option<IgnoredAny>,
    token_file: Option<std::path::PathBuf>,
}

impl PlatformTable for NotBuilt {
    fn name(&self) -> &'static str {
        self.0
    }

    fn read(&self, document: toml::de::Deserializer<'_>) -> Result<ReadTable, toml::de::Error> {
        let table: AnyTable = platform_table(self.0, document)?;
        Ok(ReadTable {
            keys: TokenKeys {
                enabled: table.enabled,
                token_in_file: table.token.is_some(),
                token_file: table.token_file,
            },
            settings: PlatformSettings(Arc::new(())),
            check: SettingsCheck::default(),
        })
    }

    fn check_chat(&self, _: &str) -> Result<(), String> {
        Ok(())
    }
}

impl Registered for NotBuilt {
    fn start(&self, _: &ToRun, _: bool) -> Option<Arc<dyn Platform>> {
        None
    }
}
