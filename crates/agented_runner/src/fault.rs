//! Fault injection for the crash tests: in a debug build, the environment
//! variable `AGENTED_TEST_FAULT` names a point where the server kills itself
//! with SIGKILL. Release builds compile every point to nothing.

/// Right after a run's process is spawned, before its process group is stored.
pub const AFTER_SPAWN: &str = "after_spawn";

/// Dies here when the tests asked for `point`. The pause first gives the
/// process just started time to start children of its own.
pub fn point(point: &str) {
    #[cfg(debug_assertions)]
    if std::env::var("AGENTED_TEST_FAULT").is_ok_and(|asked| asked == point) {
        tracing::warn!(point, "fault injection: the server kills itself");
        std::thread::sleep(std::time::Duration::from_millis(300));
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
    }
    #[cfg(not(debug_assertions))]
    let _ = point;
}
