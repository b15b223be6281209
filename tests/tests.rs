mod handoff;
mod handoff_support;
