//! Closing a forked process's inherited descriptors before it becomes something else (an
//! exec'd program, a built-in container).

/// Closes descriptors `first..=last`: close_range(2), or one by one below 1024 on kernels
/// before 5.9. Only for a process that uses none of them afterwards (a fresh fork).
pub(crate) fn close_range(first: u32, last: u32) {
    // SAFETY: close_range(2); the caller uses none of these descriptors afterwards.
    let rc = unsafe { libc::syscall(libc::SYS_close_range, first, last, 0u32) };
    if rc != 0 {
        for fd in first..=last.min(1023) {
            // SAFETY: as above, descriptor by descriptor.
            unsafe { libc::close(fd as i32) };
        }
    }
}
