//! The threads that change network namespace: a few long-lived `std::thread`s (never a tokio
//! worker, whose namespace must stay the node's; never `fork`). A job may move its thread into
//! another network namespace (`unshare`, `setns`); when it returns, the thread moves back to the
//! namespace it started in, so every job starts in the node's namespace. A thread that cannot
//! move back retires; with none left, each job gets a fresh thread of its own. A thread per job
//! costs its creation and exit (stack, signal stack, a glibc arena) for each pod sandbox.

use std::fs::File;
use std::os::fd::AsFd as _;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};

use nix::sched::CloneFlags;

use crate::error::{Error, Result};

type Job = Box<dyn FnOnce() + Send>;

/// The thread name (`ps -L`, profiles).
const NAME: &str = "kubelite-netns";

/// Runs `work` on a namespace thread (where it may change the thread's network namespace) and
/// awaits its result.
pub(crate) async fn run<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    if let Err(returned) = pool().send(job) {
        // Every pool thread retired: a thread for this job alone, which then exits.
        std::thread::Builder::new()
            .name(NAME.into())
            .spawn(move || {
                crate::rtnl_priority::raise();
                (returned.0)()
            })
            .map_err(|e| Error::NetnsThread(e.to_string()))?;
    }
    rx.await
        .map_err(|_| Error::NetnsThread("exited without a result".into()))?
}

/// The pool's queue, its threads started on first use: one per CPU, at most four (namespace
/// creation is kernel work that the RTNL lock partly serialises).
fn pool() -> &'static Sender<Job> {
    static POOL: OnceLock<Sender<Job>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        for _ in 0..threads {
            let rx = rx.clone();
            // A thread that fails to start leaves the others (or the fallback) to do the work.
            let _ = std::thread::Builder::new()
                .name(NAME.into())
                .spawn(move || serve(&rx));
        }
        tx
    })
}

/// Runs jobs until the queue closes or the thread cannot return to its own namespace.
fn serve(jobs: &Mutex<Receiver<Job>>) {
    crate::rtnl_priority::raise();
    let Ok(home) = File::open("/proc/thread-self/ns/net") else {
        return;
    };
    loop {
        let job = {
            let Ok(queue) = jobs.lock() else { return };
            match queue.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        job();
        if nix::sched::setns(home.as_fd(), CloneFlags::CLONE_NEWNET).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn results_and_errors_come_back() {
        assert_eq!(run(|| Ok(7)).await.unwrap(), 7);
        let e = run::<()>(|| Err(Error::NetnsThread("x".into()))).await;
        assert!(matches!(e, Err(Error::NetnsThread(m)) if m == "x"));
    }
}
