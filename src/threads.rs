//! rhelm's own threads: how they get memory, and how big structures are freed off the
//! critical path.
//!
//! A render runs on several threads (loading, parsing ahead, rendering), each with glibc's
//! per-thread arena. Such an arena grows by `mprotect`, one call each time an allocation
//! crosses its end (hundreds of calls per render, each taking the address-space lock that
//! page faults of the other threads need). [`tune_allocator`] and `prepare_worker` make
//! each worker's arena grow once, up front. And a command's last steps (printing, writing a
//! release) need not wait while a chart, its values or parsed templates are freed one
//! small allocation at a time: `drop_detached` hands those to a thread of their own.

/// Lets glibc's allocator serve blocks of up to 32 MiB from its arenas and keep freed
/// memory (a process lives for one command): set once, at start.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only changes allocator parameters, before any other thread runs.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, WORKER_ARENA as libc::c_int);
        libc::mallopt(libc::M_TRIM_THRESHOLD, (4 * WORKER_ARENA) as libc::c_int);
    }
}

/// How much of its arena a worker thread makes usable at once.
const WORKER_ARENA: usize = 32 << 20;

/// Called first on a worker thread: one block the size of [`WORKER_ARENA`], allocated and
/// freed, makes the thread's arena usable that far with one system call (its pages are
/// only touched as they are used). Without [`tune_allocator`] the block is mapped and
/// unmapped instead, which costs little.
pub(crate) fn prepare_worker() {
    drop(std::hint::black_box(Vec::<u8>::with_capacity(
        WORKER_ARENA / 2,
    )));
}

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
