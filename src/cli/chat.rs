//! `carebot chat`: a conversation with the bot in the terminal, through the
//! same service the chat adapters use, so cases, "agent", "what do you know
//! about me" and "forget me" work here too. The patient is `terminal:<login>`.
//! What `cargo run --release` starts when no chat-platform token is configured.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use carebot::audit::Actor;
use carebot::{Address, Service};

use super::data::{login, open_service, DataArgs, WithoutData};
use super::error::CliError;

#[derive(Debug, Default, Args)]
pub struct ChatArgs {
    /// Show the findings and FAQ candidates behind every reply.
    #[arg(long)]
    explain: bool,
}

/// Shows (and confirms) messages the outbox holds for this terminal, such as
/// a clinician's reply queued while the chat was closed.
fn deliver_waiting(service: &Service, patient: &Address) -> Result<(), CliError> {
    for item in service.store().outbox_for(patient)? {
        println!("\n{}", super::ask::render_plain(&item.message.reply));
        service.store().delivered(item.message.id)?;
    }
    Ok(())
}

pub fn run(dir: &Path, data: &DataArgs, args: &ChatArgs) -> Result<ExitCode, CliError> {
    let service = open_service(dir, data, WithoutData::UserFolder)?;
    // A chat session is a good moment to apply the retention period.
    service.purge(Actor::System)?;
    let engine = service.engine();
    // Ready by the time the first message is typed (words alone until then).
    engine.prepare_in_background();
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
    let patient = Address::new("terminal", login());
    deliver_waiting(&service, &patient)?;
    let stdin = std::io::stdin();
    let mut lines = stdin.lock();
    let mut bytes = Vec::new();
    loop {
        print!("you> ");
        let _ = std::io::stdout().flush();
        bytes.clear();
        if lines.read_until(b'\n', &mut bytes)? == 0 {
            break;
        }
        let line = String::from_utf8_lossy(&bytes);
        let line = line.trim();
        if line == "/quit" || line == "/exit" {
            break;
        }
        let response = service.patient_message(&patient, line)?;
        for reply in response.replies() {
            println!("\n{}", super::ask::render_plain(reply));
        }
        if args.explain {
            println!(
                "{}\n",
                serde_json::to_string(&response.explanation).unwrap_or_default()
            );
        }
        deliver_waiting(&service, &patient)?;
    }
    println!();
    service.store().flush()?;
    Ok(ExitCode::SUCCESS)
}
