//! CPU priority of request handling. Events are best effort in Kubernetes: their recorders drop
//! them when a queue is full, kubelet writes them at a limited rate, and nothing waits for one.
//! So writes of Events are handled on a thread of their own at the lowest CPU priority (nice
//! 19): they use the CPU that the writes of Pods, Nodes and the rest leave idle and do not
//! delay them (in a burst of Pods on a small node, Events are four writes in ten). On an idle
//! server an Event is written at once; under load it waits its turn, and is never starved (a
//! nice value still gets a share of the CPU, unlike `SCHED_IDLE`). Reads of Events (`kubectl
//! get events`, watches) keep the normal priority.

use std::sync::OnceLock;

use ::http::Method;

use crate::route::Route;

/// Whether a `method` request on `route` is a best-effort write, handled at low priority.
pub(crate) fn is_best_effort(route: &Route, method: &Method) -> bool {
    let Route::Resource(path) = route else {
        return false;
    };
    let events = path.resource.group.is_empty() && path.resource.plural == "events";
    let write = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    events && write
}

/// The runtime of the low-priority thread, started on first use; `None` if it could not be
/// (best-effort writes are then handled like the others).
pub(crate) fn low_priority_runtime() -> Option<&'static tokio::runtime::Handle> {
    static LOW: OnceLock<Option<tokio::runtime::Handle>> = OnceLock::new();
    LOW.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        let handle = runtime.handle().clone();
        std::thread::Builder::new()
            .name("kubelite-api-low".into())
            .spawn(move || {
                // On Linux a nice value belongs to the thread that sets it (and the threads it
                // starts).
                if let Err(e) = rustix::process::setpriority_process(None, LOW_PRIORITY_NICE) {
                    tracing::warn!("cannot lower the priority of Event writes: {e}");
                }
                runtime.block_on(std::future::pending::<()>())
            })
            .ok()?;
        Some(handle)
    })
    .as_ref()
}

/// The nice value best-effort writes are handled at: the lowest priority.
const LOW_PRIORITY_NICE: i32 = 19;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::route;

    #[test]
    fn event_writes_are_best_effort_and_nothing_else_is() {
        for (path, method, expected) in [
            ("/api/v1/namespaces/default/events", Method::POST, true),
            ("/api/v1/namespaces/default/events/e1", Method::PATCH, true),
            ("/api/v1/namespaces/default/events/e1", Method::PUT, true),
            ("/api/v1/namespaces/default/events/e1", Method::DELETE, true),
            ("/api/v1/namespaces/default/events", Method::DELETE, true),
            ("/api/v1/namespaces/default/events", Method::GET, false),
            ("/api/v1/events", Method::GET, false),
            ("/api/v1/namespaces/default/pods", Method::POST, false),
            (
                "/api/v1/namespaces/default/pods/p/status",
                Method::PATCH,
                false,
            ),
            ("/api/v1/nodes/n", Method::PUT, false),
            ("/version", Method::POST, false),
        ] {
            assert_eq!(
                is_best_effort(&route(path), &method),
                expected,
                "{method} {path}"
            );
        }
    }

    #[test]
    fn the_low_priority_thread_runs_at_nice_19() {
        let runtime = low_priority_runtime().expect("runtime");
        let nice = futures::executor::block_on(
            runtime.spawn(async { rustix::process::getpriority_process(None) }),
        )
        .expect("task")
        .expect("getpriority");
        assert_eq!(nice, LOW_PRIORITY_NICE);
    }
}
