//! `carebot chat`: a conversation with the bot in the terminal, on the same
//! engine the chat adapters use. What `cargo run --release` starts when no
//! chat-platform token is configured.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use carebot::Conversation;

#[derive(Debug, Default, Args)]
pub struct ChatArgs {
    /// Show the findings and FAQ candidates behind every reply.
    #[arg(long)]
    explain: bool,
}

pub fn run(dir: &Path, args: &ChatArgs) -> Result<ExitCode, ExitCode> {
    let engine = super::load_engine(dir)?;
    let practice = &engine.knowledge().practice;
    println!(
        "carebot for {} — knowledge from {} ({} FAQ entries, {} triage rules).",
        practice.name,
        dir.display(),
        engine.knowledge().faqs.len(),
        engine.knowledge().rules.len()
    );
    println!(
        "I answer questions about the practice and help you decide where to get care. I'm not for emergencies: call {} for those.",
        practice.emergency_number
    );
    println!("Type your message and press Enter; buttons can be answered by typing their label. Ctrl-D or /quit to leave.\n");
    let mut conversation = Conversation::default();
    let stdin = std::io::stdin();
    let mut lines = stdin.lock();
    let mut bytes = Vec::new();
    loop {
        print!("you> ");
        let _ = std::io::stdout().flush();
        bytes.clear();
        match lines.read_until(b'\n', &mut bytes) {
            Ok(0) => break,
            Ok(_) => {}
            Err(error) => {
                eprintln!("carebot: {error}");
                return Err(ExitCode::FAILURE);
            }
        }
        let line = String::from_utf8_lossy(&bytes);
        let line = line.trim();
        if line == "/quit" || line == "/exit" {
            break;
        }
        let outcome = engine.respond(&mut conversation, line);
        println!("\n{}", super::ask::render_plain(&outcome.reply));
        if args.explain {
            println!(
                "{}\n",
                serde_json::to_string(&outcome.explanation).unwrap_or_default()
            );
        }
    }
    println!();
    Ok(ExitCode::SUCCESS)
}
