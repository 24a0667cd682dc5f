//! Freeing big structures off the critical path.
//!
//! A command's last steps (printing, writing a release) need not wait while a chart, its
//! values or parsed templates are freed one small allocation at a time: those are handed
//! to a thread of their own, which the process does not wait for when it exits.

/// Drops `value` on a new thread that nobody joins, with a stack of `stack` bytes (deeply
/// nested structures recurse while dropping); drops it here if no thread can be had.
pub(crate) fn drop_detached<T: Send + 'static>(value: T, stack: usize) {
    // On failure `spawn` drops the closure, and with it `value`, right here.
    let _ = std::thread::Builder::new()
        .name("rhelm-free".into())
        .stack_size(stack)
        .spawn(move || drop(value));
}

/// Stack for dropping charts and values: YAML nests at most a few hundred levels.
pub(crate) const DATA_STACK: usize = 8 << 20;
