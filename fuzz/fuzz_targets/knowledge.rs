//! Knowledge-file parsing and validation: any bytes as one knowledge file next
//! to a valid practice.toml. Loading must report problems, never panic; and
//! whatever loads must build an engine that answers its own questions.
#![no_main]

use std::path::{Path, PathBuf};

use carebot::knowledge::{load_files, KnowledgeFile};
use carebot::{Conversation, Engine};
use libfuzzer_sys::fuzz_target;

const PRACTICE: &str = include_str!("../../tests/fixtures/knowledge/practice.toml");

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let files = vec![
        KnowledgeFile {
            path: PathBuf::from("practice.toml"),
            source: PRACTICE.to_string(),
        },
        KnowledgeFile {
            path: PathBuf::from("fuzz.toml"),
            source: source.to_string(),
        },
    ];
    if let Ok(knowledge) = load_files(Path::new("fuzz"), files) {
        let messages: Vec<String> = knowledge
            .faqs
            .iter()
            .flat_map(|faq| faq.questions.iter().chain([&faq.title]).cloned())
            .chain(
                knowledge
                    .rules
                    .iter()
                    .flat_map(|rule| rule.tests.examples.clone()),
            )
            .take(50)
            .collect();
        let engine = Engine::new(knowledge);
        for message in messages {
            engine.reply(&mut Conversation::default(), &message);
        }
        carebot::kbtest::run(&engine);
    }
});
