//! The knowledge base's own tests: every FAQ question and example must reach its
//! entry, every counter-example must not, and every dialogue must end at its
//! entry. This is what `carebot kb test` runs, so that a practice editing its
//! files learns at once when an edit sends a message somewhere else.

use crate::engine::Engine;
use crate::knowledge::{EntryTests, Origin};
use crate::{Conversation, Reply, ReplyKind};

/// What kind of test failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestKind {
    /// One of an FAQ entry's `questions`.
    Question,
    Example,
    CounterExample,
    Dialogue,
}

impl TestKind {
    fn describe(self) -> &'static str {
        match self {
            TestKind::Question => "question",
            TestKind::Example => "example",
            TestKind::CounterExample => "counter-example",
            TestKind::Dialogue => "dialogue",
        }
    }
}

/// One failed test.
#[derive(Debug, Clone)]
pub struct Failure {
    pub entry: String,
    pub origin: Origin,
    pub kind: TestKind,
    /// The message, or the dialogue's messages joined by " → ".
    pub input: String,
    /// What was reached instead.
    pub reached: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let expectation = if self.kind == TestKind::CounterExample {
            "must not reach"
        } else {
            "must reach"
        };
        write!(
            f,
            "{}: {} {:?} {expectation} `{}`, but reached {}",
            self.origin,
            self.kind.describe(),
            self.input,
            self.entry,
            self.reached
        )
    }
}

/// The outcome of running every test.
#[derive(Debug, Clone, Default)]
pub struct TestReport {
    pub passed: usize,
    pub failures: Vec<Failure>,
}

/// Describes a reply for a failure message.
pub fn describe(reply: &Reply) -> String {
    let entry = reply.entry.as_deref().unwrap_or("-");
    match reply.kind {
        ReplyKind::Triage => format!(
            "rule `{entry}` ({})",
            reply.level.map_or("no level", |level| level.as_str())
        ),
        ReplyKind::Answer => format!("FAQ `{entry}`"),
        ReplyKind::Question => format!("a follow-up question from rule `{entry}`"),
        ReplyKind::Choices => format!("a choice between {}", reply.choices.join(", ")),
        ReplyKind::Fallback => "the fallback (nothing matched)".to_string(),
        ReplyKind::Notice => "a notice".to_string(),
    }
}

fn reached(reply: &Reply, id: &str) -> bool {
    reply.entry.as_deref() == Some(id)
        && matches!(reply.kind, ReplyKind::Answer | ReplyKind::Triage)
}

struct Runner<'a> {
    engine: &'a Engine,
    /// The language the tests are written in: each conversation starts in it.
    language: Option<crate::text::Language>,
    report: TestReport,
}

impl Runner<'_> {
    fn check(&mut self, entry: &str, origin: &Origin, kind: TestKind, turns: &[String]) {
        let mut conversation = Conversation {
            language: self.language,
            ..Conversation::default()
        };
        let mut last = None;
        for turn in turns {
            last = Some(self.engine.reply(&mut conversation, turn));
        }
        let Some(reply) = last else {
            return;
        };
        let passed = match kind {
            TestKind::CounterExample => reply.entry.as_deref() != Some(entry),
            _ => reached(&reply, entry),
        };
        if passed {
            self.report.passed += 1;
        } else {
            self.report.failures.push(Failure {
                entry: entry.to_string(),
                origin: origin.clone(),
                kind,
                input: turns.join(" → "),
                reached: describe(&reply),
            });
        }
    }

    /// An entry's examples, counter-examples and dialogues, in that order
    /// (FAQ entries and triage rules have the same kinds of tests).
    fn check_tests(&mut self, entry: &str, origin: &Origin, tests: &EntryTests) {
        for example in &tests.examples {
            self.check(
                entry,
                origin,
                TestKind::Example,
                std::slice::from_ref(example),
            );
        }
        for counter in &tests.counter_examples {
            self.check(
                entry,
                origin,
                TestKind::CounterExample,
                std::slice::from_ref(counter),
            );
        }
        for dialogue in &tests.dialogues {
            self.check(entry, origin, TestKind::Dialogue, dialogue);
        }
    }
}

/// Runs every test of the knowledge base loaded in `engine`, in every
/// language it has: a translation's questions and examples are run in a
/// conversation in that language.
pub fn run(engine: &Engine) -> TestReport {
    let mut runner = Runner {
        engine,
        language: None,
        report: TestReport::default(),
    };
    run_language(&mut runner, engine.knowledge());
    for translated in engine.translations() {
        runner.language = Some(translated.language());
        run_language(&mut runner, translated.knowledge());
    }
    runner.report
}

fn run_language(runner: &mut Runner, knowledge: &crate::knowledge::Knowledge) {
    for entry in &knowledge.faqs {
        for question in &entry.questions {
            runner.check(
                &entry.id,
                &entry.origin,
                TestKind::Question,
                std::slice::from_ref(question),
            );
        }
        runner.check_tests(&entry.id, &entry.origin, &entry.tests);
    }
    for rule in &knowledge.rules {
        runner.check_tests(&rule.id, &rule.origin, &rule.tests);
    }
}
