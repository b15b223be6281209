//! Scratch: nearest rule examples by static embedding, for each message of a set.
use carebot::semantic::{cosine, StaticEmbedder};
use std::io::BufRead;

fn main() {
    let kb = carebot::load_dir(std::path::Path::new("knowledge")).expect("kb");
    let embedder = StaticEmbedder::builtin();
    let mut bank: Vec<(String, String, Vec<f32>)> = Vec::new();
    for rule in &kb.rules {
        let level = format!("{:?}", rule.level);
        for ex in rule
            .tests
            .examples
            .iter()
            .chain(rule.tests.dialogues.iter().filter_map(|d| d.first()))
        {
            bank.push((level.clone(), rule.id.clone(), embedder.embed(ex)));
        }
    }
    for faq in &kb.faqs {
        for ex in faq.tests.examples.iter() {
            bank.push(("Faq".into(), faq.id.clone(), embedder.embed(ex)));
        }
    }
    eprintln!("bank {}", bank.len());
    let path = std::env::args().nth(1).unwrap();
    for line in std::io::BufReader::new(std::fs::File::open(path).unwrap()).lines() {
        let line = line.unwrap();
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        let text = v["text"].as_str().unwrap();
        let e = embedder.embed(text);
        let mut scored: Vec<(f32, &str, &str)> = bank
            .iter()
            .map(|(l, id, b)| (cosine(&e, b), l.as_str(), id.as_str()))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let top: Vec<String> = scored
            .iter()
            .take(5)
            .map(|(c, l, id)| format!("{c:.3}:{l}:{id}"))
            .collect();
        let best_em = scored.iter().find(|s| s.1 == "Emergency").unwrap();
        let best_other = scored.iter().find(|s| s.1 != "Emergency").unwrap();
        println!(
            "{}\t{:.3}\t{}\t{:.3}\t{}\t{}",
            v["expect_level"],
            best_em.0,
            best_em.2,
            best_other.0,
            top.join(" "),
            text
        );
    }
}
