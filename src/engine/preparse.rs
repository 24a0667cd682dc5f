//! Parsing a chart's templates ahead of its render, while the caller still loads the
//! chart (values files, dependencies, values coalescing).
//!
//! Parsing the templates is a large part of a render's work and needs nothing but the
//! template files and their names, so [`Preparse::start`] begins it on a thread of its own
//! as soon as the files are read. A render then takes each template's trees from here,
//! but only when they are exactly what it would parse itself: same name, same bytes (the
//! same shared buffer), same function table. Anything else (a subchart renamed by an
//! alias, a folder named unlike its chart, `--enable-dns` decided later) is parsed again
//! by the render as usual, so using a `Preparse` never changes a result or an error.
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread::JoinHandle;

use bytes::Bytes;

use super::parse::{FuncTable, ParseError, SendTrees, TreeSet, TreeText};
use super::render::function_table;

/// Deeply nested actions recurse in the parser: the render thread's headroom.
const STACK: usize = 512 << 20;
/// At most this many threads parse ahead (the render thread joins them at the end). One:
/// the loading goes on beside it on two threads, and a second one only slowed that down.
const MAX_THREADS: usize = 1;

/// Templates being parsed on threads of their own; see the module documentation.
pub struct Preparse {
    queue: Arc<Queue>,
    helpers: Mutex<Vec<JoinHandle<()>>>,
    enable_dns: bool,
}

impl std::fmt::Debug for Preparse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Preparse")
            .field("templates", &self.queue.jobs.len())
            .field("enable_dns", &self.enable_dns)
            .finish()
    }
}

/// One template to parse: its name in a render and its bytes.
struct Job {
    name: String,
    data: Bytes,
}

/// What a job gave: its trees (or its parse error).
type Parsed = Result<SendTrees, ParseError>;

/// The jobs, shared by the threads that take them one at a time.
struct Queue {
    jobs: Vec<Job>,
    funcs: FuncTable,
    next: AtomicUsize,
    done: Mutex<Vec<Option<Parsed>>>,
    /// Once the render knows them, the only names worth parsing (disabled subcharts' are not).
    wanted: OnceLock<HashSet<String>>,
}

impl Queue {
    /// Parses jobs until none is left to take.
    fn run(&self) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = self.jobs.get(i) else {
                return;
            };
            if self
                .wanted
                .get()
                .is_some_and(|wanted| !wanted.contains(&job.name))
            {
                continue;
            }
            let text = TreeText::shared(&job.data)
                .unwrap_or_else(|| TreeText::copied(&crate::chart::text_of(&job.data)));
            let parsed = SendTrees::parse_text(&job.name, text, &self.funcs);
            let mut done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
            done[i] = Some(parsed);
        }
    }
}

impl Drop for Preparse {
    /// A render that never came (an earlier error): no job is started any more, and the
    /// helper is waited for (one template's parse at most). Dropping its handle instead
    /// would detach it, which glibc can get wrong for a thread exiting at that moment.
    fn drop(&mut self) {
        let _ = self.queue.wanted.set(HashSet::new());
        let helpers = std::mem::take(
            self.helpers
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for helper in helpers {
            let _ = helper.join();
        }
    }
}

/// The result of a parse ahead for one template, as [`Preparse::finish`] hands it over.
pub struct Ready {
    /// The bytes that were parsed (compare with `Bytes::as_ptr` and `len`).
    pub data: Bytes,
    /// The trees, or the parse error, exactly as [`super::parse::parse`] gave them.
    pub parsed: Result<TreeSet, ParseError>,
}

impl Preparse {
    /// Starts parsing `templates` (each a render name, `<chart>/templates/x.yaml`, and the
    /// file's bytes) on a thread of its own, with the function table of a render with
    /// `--enable-dns` as given. Returns at once; with no thread to be had, nothing is
    /// parsed ahead ([`Preparse::finish`] then parses what is wanted).
    pub fn start(templates: Vec<(String, Bytes)>, enable_dns: bool) -> Preparse {
        let jobs: Vec<Job> = templates
            .into_iter()
            .map(|(name, data)| Job { name, data })
            .collect();
        let mut done = Vec::new();
        done.resize_with(jobs.len(), || None);
        let queue = Arc::new(Queue {
            jobs,
            funcs: function_table(enable_dns).0,
            next: AtomicUsize::new(0),
            done: Mutex::new(done),
            wanted: OnceLock::new(),
        });
        // (Not asking `available_parallelism`, which reads cgroup files: the one helper
        // is worth having on any machine, since the loading goes on meanwhile.)
        let threads = MAX_THREADS.min(queue.jobs.len());
        let helpers = (0..threads)
            .filter_map(|_| {
                let queue = Arc::clone(&queue);
                std::thread::Builder::new()
                    .name("rhelm-preparse".into())
                    .stack_size(STACK)
                    .spawn(move || {
                        crate::threads::prepare_worker();
                        queue.run()
                    })
                    .ok()
            })
            .collect();
        Preparse {
            queue,
            helpers: Mutex::new(helpers),
            enable_dns,
        }
    }

    /// Whether this was started for a render with `--enable-dns` set as `enable_dns`.
    pub fn enable_dns(&self) -> bool {
        self.enable_dns
    }

    /// Helps parse what is left of the `wanted` templates (no other is started from now
    /// on), waits for the other thread, and hands over every result by name (each once: a
    /// second call finds them taken).
    pub fn finish<'n>(&self, wanted: impl IntoIterator<Item = &'n str>) -> HashMap<String, Ready> {
        let wanted = wanted.into_iter().map(str::to_string).collect();
        // Set only once: a second call wants what the first one did not take, if anything.
        let _ = self.queue.wanted.set(wanted);
        self.queue.run();
        let helpers =
            std::mem::take(&mut *self.helpers.lock().unwrap_or_else(PoisonError::into_inner));
        for helper in helpers {
            if let Err(panic) = helper.join() {
                std::panic::resume_unwind(panic);
            }
        }
        let mut done = self
            .queue
            .done
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut ready = HashMap::with_capacity(done.len());
        for (job, slot) in self.queue.jobs.iter().zip(done.iter_mut()) {
            if let Some(parsed) = slot.take() {
                ready.insert(
                    job.name.clone(),
                    Ready {
                        data: job.data.clone(),
                        parsed: parsed.map(SendTrees::into_inner),
                    },
                );
            }
        }
        ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parse_ahead_dropped_unused_stops_and_waits_for_its_helper() {
        let text =
            "{{ range .Values.items }}{{ include \"x\" . | nindent 4 }}{{ end }}\n".repeat(200);
        let templates = (0..2000)
            .map(|i| (format!("c/templates/t{i}.yaml"), Bytes::from(text.clone())))
            .collect();
        let preparse = Preparse::start(templates, false);
        let queue = Arc::clone(&preparse.queue);
        drop(preparse);
        // The helper's own handle on the queue is gone: it ended before the drop returned.
        assert_eq!(Arc::strong_count(&queue), 1);
        let done = queue.done.lock().unwrap();
        assert!(done.iter().filter(|d| d.is_some()).count() < 2000);
    }
}
