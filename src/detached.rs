//! Freeing big structures off the critical path.
//!
//! A command's last steps (printing, writing a release) need not wait while a chart, its
//! values or parsed templates are freed one small allocation at a time: those are handed
//! to a thread of their own, which the process does not wait for when it exits.

/// Drops `value` on a new thread that nobody joins and that runs only when no other
/// thread wants a core, with a stack of `stack` bytes (deeply nested structures recurse
/// while dropping); drops it here if no thread can be had.
pub(crate) fn drop_detached<T: Send + 'static>(value: T, stack: usize) {
    // On failure `spawn` drops the closure, and with it `value`, right here.
    let _ = std::thread::Builder::new()
        .name("rhelm-free".into())
        .stack_size(stack)
        .spawn(move || {
            run_when_idle();
            drop(value)
        });
}

/// Puts the calling thread in the idle scheduling class: freeing competed with the
/// threads still printing or storing a release for the two cores of a small machine.
fn run_when_idle() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: a system call on the calling thread (pid 0) with a valid parameter;
        // lowering one's own scheduling class needs no privilege, and a failure only
        // leaves the thread as it was.
        unsafe {
            libc::sched_setscheduler(0, libc::SCHED_IDLE, &param);
        }
    }
}

/// Stack for dropping charts and values: YAML nests at most a few hundred levels.
pub(crate) const DATA_STACK: usize = 8 << 20;
