//! Concurrency of the install path (CONTRACT K1-K6).

#[path = "../support/mod.rs"]
mod support;

mod processes;
