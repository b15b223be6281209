//! The `carebot` binary: parses the command line and runs the chosen command.
//! Everything else lives in the `carebot` library and in `src/cli/`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
