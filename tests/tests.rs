mod crash;
mod handoff;
mod handoff_support;
mod store;
