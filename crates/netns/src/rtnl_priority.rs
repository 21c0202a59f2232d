//! The CPU priority of the threads that hold the kernel's RTNL lock: the netlink IO thread and
//! the namespace threads. The kernel does their work (creating a namespace, registering links)
//! inside their system calls, under that global lock, one sandbox after another; on a busy node
//! a thread preempted there holds up every other sandbox's netlink work. So they run a little
//! ahead of the rest of the agent (nice -5): they are preempted less, and a sandbox's network,
//! which its containers wait for, is done sooner. Without the privilege to raise a priority
//! (an unprivileged agent) they keep the default.

/// The nice value of those threads.
const NICE: i32 = -5;

/// Raises the calling thread's priority (on Linux a nice value belongs to a thread).
pub(crate) fn raise() {
    let _ = rustix::process::setpriority_process(None, NICE);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The calling thread's nice value.
    fn nice() -> i32 {
        rustix::process::getpriority_process(None).expect("getpriority")
    }

    #[tokio::test]
    async fn namespace_threads_run_ahead() {
        // Tests run as root, which may raise a priority.
        let before = nice();
        let on_pool = crate::ns_threads::run(|| Ok(nice())).await.unwrap();
        assert_eq!(on_pool, NICE);
        assert_eq!(nice(), before, "the caller keeps its own priority");
    }

    #[tokio::test]
    async fn the_netlink_thread_runs_ahead() {
        let runtime = crate::netlink::io_runtime().unwrap();
        let on_netlink = runtime.spawn(async { nice() }).await.unwrap();
        assert_eq!(on_netlink, NICE);
    }
}
