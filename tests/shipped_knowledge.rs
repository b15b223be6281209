//! The starter knowledge base that ships in `knowledge/`: it loads, every one of
//! its own tests passes, `kb check --strict` finds nothing, and it covers what a
//! practice needs on day one with sourced, reviewed rules.

use std::collections::HashSet;

use carebot::{kbtest, Level};

use crate::support::{run, shipped_dir, shipped_engine};

#[test]
fn every_example_and_counter_example_passes() {
    let report = kbtest::run(&shipped_engine());
    let failures: Vec<String> = report.failures.iter().map(|f| f.to_string()).collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(report.passed > 500, "only {} tests", report.passed);
}

#[test]
fn kb_check_is_clean_with_no_warnings() {
    let output = run(&["kb", "check", "--strict"], b"");
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(out.contains("0 errors, 0 warnings"), "{out}");
}

#[test]
fn covers_the_starter_topics_and_protocols() {
    let engine = shipped_engine();
    let knowledge = engine.knowledge();
    assert!(
        knowledge.faqs.len() >= 40,
        "{} FAQ entries",
        knowledge.faqs.len()
    );
    assert!(
        knowledge.rules.len() >= 45,
        "{} rules",
        knowledge.rules.len()
    );
    for level in Level::ALL {
        assert!(
            knowledge.rules.iter().any(|r| r.level == level),
            "no {level} rule"
        );
    }
    for entry in &knowledge.faqs {
        assert!(
            entry.questions.len() >= 5,
            "FAQ {} has {} questions",
            entry.id,
            entry.questions.len()
        );
        assert!(
            !entry.tests.counter_examples.is_empty(),
            "FAQ {} has no counter-examples",
            entry.id
        );
    }
    for rule in &knowledge.rules {
        assert!(
            !rule.review.sources.is_empty(),
            "rule {} has no source",
            rule.id
        );
        assert!(
            !rule.review.owner.is_empty(),
            "rule {} has no owner",
            rule.id
        );
        assert!(
            rule.tests.examples.len() + rule.tests.dialogues.len() >= 3,
            "rule {} has too few examples",
            rule.id
        );
        assert!(
            rule.tests.counter_examples.len() >= 2,
            "rule {} has too few counter-examples",
            rule.id
        );
        if rule.level == Level::Emergency {
            assert!(
                rule.advice.contains(&knowledge.practice.emergency_number),
                "rule {} omits the number",
                rule.id
            );
        }
    }
}

#[test]
fn the_readme_lists_every_rule_with_its_level_and_source() {
    let readme = std::fs::read_to_string(shipped_dir().join("README.md")).unwrap();
    let start =
        readme.find("<!-- rules:start -->").expect("start marker") + "<!-- rules:start -->\n".len();
    let end = readme.find("<!-- rules:end -->").expect("end marker");
    let engine = shipped_engine();
    let expected = carebot::kbcheck::rule_table(engine.knowledge());
    assert!(
        readme[start..end] == expected,
        "knowledge/README.md's rule table is out of date: regenerate it with `cargo run --release -- kb rules`"
    );
    let ids: HashSet<&str> = engine
        .knowledge()
        .rules
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(
        ids.len(),
        engine.knowledge().rules.len(),
        "rule ids are unique"
    );
}
