//! The built-in sleep program run by `busybox`, `alpine`, `kiamol/ch03-sleep`
//! and other `*/sleep` images when the container gives no command: it does
//! nothing until it is told to stop, then exits at once with status 0.

use std::io;

use crate::shutdown::Shutdown;

/// Sleeps until SIGTERM or SIGINT, then returns `Ok(())`.
///
/// Errors only if the signal handlers cannot be installed.
pub async fn run_sleep() -> io::Result<()> {
    Shutdown::install()?.requested().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::shutdown::Shutdown;

    /// Sends `signal` to this test process.
    fn raise(signal: libc::c_int) {
        // SAFETY: kill(2) with our own pid and a valid signal number has no
        // memory-safety preconditions; tokio's handler is installed first.
        let rc = unsafe { libc::kill(libc::getpid(), signal) };
        assert_eq!(rc, 0);
    }

    #[tokio::test]
    async fn stops_promptly_on_sigterm_and_sigint() {
        // Keeps a handler installed for the whole test, so that raising a
        // signal before `run_sleep` has installed its own cannot kill the
        // test process.
        let _guard = Shutdown::install().unwrap();
        for signal in [libc::SIGTERM, libc::SIGINT] {
            let sleeping = tokio::spawn(super::run_sleep());
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert!(!sleeping.is_finished(), "stopped before signal {signal}");
            // Repeat the signal until it is seen: the spawned task installs
            // its handlers on its first poll, which may not have happened yet.
            let stopped = tokio::time::timeout(Duration::from_secs(5), async {
                while !sleeping.is_finished() {
                    raise(signal);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
            .await;
            assert!(stopped.is_ok(), "sleep ignored signal {signal}");
            sleeping.await.unwrap().unwrap();
        }
    }
}
