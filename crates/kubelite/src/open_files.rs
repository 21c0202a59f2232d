//! Open files of a long-running node process (`up`, `agent`), set up at start while it has one
//! thread: the soft limit is raised to the hard one (as Go's runtime does for kubelet and
//! containerd; the zygote and the Pods inherit it, as containers inherit containerd's), and the
//! descriptor table is grown once to [`RESERVED`] slots. Grown later, in a process with
//! threads, the kernel waits for an RCU grace period (milliseconds) each time the table
//! doubles, stalling whichever thread opened the file: in a burst of Pods, the API server's
//! accept loop or an agent worker.

use std::fs::File;

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Descriptor slots reserved up front (8 bytes each in the kernel): `kubelite up` running 100
/// Pods holds about 180 descriptors, and more while it starts them.
const RESERVED: u64 = 1024;

/// Raises the soft limit and grows the table. Must run before any thread starts; failures
/// leave things as they were (the process still works, with the old limit or table).
pub fn prepare() {
    let limit = getrlimit(Resource::Nofile);
    let soft = match (limit.current, limit.maximum) {
        (Some(soft), Some(hard)) if soft < hard => {
            let raised = Rlimit {
                current: Some(hard),
                maximum: Some(hard),
            };
            match setrlimit(Resource::Nofile, raised) {
                Ok(()) => hard,
                Err(_) => soft,
            }
        }
        (Some(soft), _) => soft,
        (None, _) => RESERVED,
    };
    let highest = soft.min(RESERVED).saturating_sub(1);
    if let (Ok(any), Ok(highest)) = (File::open("/dev/null"), i32::try_from(highest)) {
        // A descriptor at the top of the range grows the table to hold it; closing it (the
        // drop) leaves the table as it is.
        drop(rustix::io::fcntl_dupfd_cloexec(&any, highest));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `FDSize` of `/proc/self/status`: the slots in this process's descriptor table.
    fn table_slots() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("FDSize:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap()
    }

    #[test]
    fn raises_the_soft_limit_and_reserves_the_table() {
        prepare();
        let limit = getrlimit(Resource::Nofile);
        assert_eq!(limit.current, limit.maximum);
        let soft = limit.current.unwrap_or(u64::MAX);
        assert!(
            table_slots() >= soft.min(RESERVED),
            "{} slots, soft limit {soft}",
            table_slots()
        );
    }
}
