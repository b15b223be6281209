//! The message path: any bytes, as one patient's conversation (one message per
//! line, so follow-up questions and choices are reached), through the engine
//! of the fixture knowledge base. Must never panic.
#![no_main]

use std::sync::OnceLock;

use carebot::{Conversation, Engine};
use libfuzzer_sys::fuzz_target;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let dir = std::env::var_os("CAREBOT_FUZZ_KNOWLEDGE")
            .map(Into::into)
            .unwrap_or_else(|| {
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/knowledge")
            });
        Engine::new(carebot::load_dir(&dir).expect("fuzz knowledge loads"))
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let engine = engine();
    let mut conversation = Conversation::default();
    for message in text.split('\n') {
        let reply = engine.reply(&mut conversation, message);
        assert!(!reply.text.trim().is_empty());
    }
});
