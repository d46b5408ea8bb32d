//! Named failpoints for the crash tests (CONTRACT I6, L7, K1; see
//! `docs/concurrency.md`).
//!
//! [`failpoint!`](crate::fs::failpoint) marks a step of the install, update and
//! upsert paths by name (`install::after-stage`, `upsert::after-tmp-write`,
//! ...). Without the cargo feature `failpoints` it expands to nothing, so
//! release builds carry none. With it, the points are configured once per
//! process from `FAILPOINTS` (`name=actions;name=actions`), with the
//! actions of the `fail` crate (`panic`, `sleep(ms)`, `pause`, ...) plus
//! `kill`, which sends the process `SIGKILL` at that point: a crash with no
//! unwinding and no cleanup.
//!
//! It lives in `fs`, the lowest layer with a crash point (the atomic
//! replace's), so every layer above may mark one; `lock::failpoint`
//! re-exports it.

/// Marks a named step where a crash test may stop the process. Compiles to
/// nothing without the `failpoints` feature.
#[macro_export]
macro_rules! failpoint {
    ($name:literal) => {
        #[cfg(feature = "failpoints")]
        $crate::fs::failpoint::hit($name);
    };
}

/// Evaluates failpoint `name`, configuring all points from `FAILPOINTS`
/// on first use.
#[cfg(feature = "failpoints")]
pub fn hit(name: &str) {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(configure_from_env);
    fail::fail_point!(name);
}

#[cfg(feature = "failpoints")]
fn configure_from_env() {
    let Ok(spec) = std::env::var("FAILPOINTS") else {
        return;
    };
    for item in spec.split(';').filter(|s| !s.trim().is_empty()) {
        let (name, actions) = item
            .split_once('=')
            .unwrap_or_else(|| panic!("FAILPOINTS item {item:?} is not name=actions"));
        let res = if actions.trim() == "kill" {
            fail::cfg_callback(name.trim(), || {
                let _ = rustix::process::kill_process(
                    rustix::process::getpid(),
                    rustix::process::Signal::KILL,
                );
            })
        } else {
            fail::cfg(name.trim(), actions.trim())
        };
        res.unwrap_or_else(|e| panic!("FAILPOINTS item {item:?}: {e}"));
    }
}
