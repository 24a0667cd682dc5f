//! rhelm's own threads: how they get memory, and how big structures are freed off the
//! critical path.
//!
//! A render runs on several threads (loading, parsing ahead, rendering), each with glibc's
//! per-thread arena. Such an arena grows by `mprotect`, one call each time an allocation
//! crosses its end (hundreds of calls per render, each taking the address-space lock that
//! page faults of the other threads need). [`tune_allocator`] and `prepare_worker` make
//! each worker's arena grow once, up front. And a command's last steps (printing, writing a
//! release) need not wait while a chart, its values or parsed templates are freed one
//! small allocation at a time: `drop_detached` hands those to a thread that does only that.

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

/// Drops `value` on the process's one dropping thread, which runs only when no other
/// thread wants a core (it is started on first use); drops it here if no thread can be had.
///
/// One thread, never detached, on purpose: a thread per value, detached when its handle
/// was dropped, crashed rhelm once in the test suite (glibc's `pthread_detach` reads the
/// thread's descriptor after marking it detached, and a thread exiting at that moment
/// unmaps its big stack first: a use after free in glibc).
pub(crate) fn drop_detached<T: Send + 'static>(value: T) {
    match dropper() {
        // A send fails only if the thread is gone; the value then comes back, dropped here.
        Some(sender) => drop(sender.send(Box::new(value))),
        None => drop(value),
    }
}

/// What the dropping thread receives: anything it may drop.
type Garbage = Box<dyn Send>;

/// The dropping thread's queue, once started; its handle is kept in a static (never
/// dropped, so never detached).
fn dropper() -> Option<&'static std::sync::mpsc::Sender<Garbage>> {
    // Dropping a deeply nested template tree recurses: the parse threads' headroom.
    const STACK: usize = 512 << 20;
    static DROPPER: std::sync::OnceLock<
        Option<(
            std::sync::mpsc::Sender<Garbage>,
            std::thread::JoinHandle<()>,
        )>,
    > = std::sync::OnceLock::new();
    let dropper = DROPPER.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel::<Garbage>();
        let thread = std::thread::Builder::new()
            .name("rhelm-free".into())
            .stack_size(STACK)
            .spawn(move || {
                run_when_idle();
                receiver.into_iter().for_each(drop);
            })
            .ok()?;
        Some((sender, thread))
    });
    dropper.as_ref().map(|(sender, _)| sender)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_handed_over_are_dropped_on_the_dropping_thread() {
        struct Reporter(std::sync::mpsc::Sender<Option<String>>);
        impl Drop for Reporter {
            fn drop(&mut self) {
                let name = std::thread::current().name().map(str::to_string);
                self.0.send(name).unwrap();
            }
        }
        let (sender, receiver) = std::sync::mpsc::channel();
        drop_detached(Reporter(sender.clone()));
        drop_detached(Reporter(sender));
        for _ in 0..2 {
            let dropped_on = receiver.recv_timeout(std::time::Duration::from_secs(30));
            assert_eq!(dropped_on.unwrap().as_deref(), Some("rhelm-free"));
        }
    }
}
