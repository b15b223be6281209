mod crash;
mod handoff;
mod handoff_cli;
mod handoff_support;
mod store;
