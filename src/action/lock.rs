//! The per-release lock: a `coordination.k8s.io/v1` Lease named `rhelm-lock.<release>` in the
//! release namespace, held for the whole of an install, upgrade, rollback or uninstall and
//! renewed in the background while it runs.
//!
//! Helm counterpart: none. Helm infers "an operation is in progress" from a `pending-*` last
//! revision, which stays forever when the process dies (helm#4558). Here a holder that stops
//! renewing loses the lock after its duration (`RHELM_LOCK_DURATION` seconds, default 30), the
//! next operation takes it over (optimistic concurrency on the Lease's `resourceVersion`) and
//! learns that the previous holder died, so it can mark the orphaned revision `failed`.
//!
//! The lock also turns Ctrl-C and SIGTERM into an [`Interruption`] the action can act on
//! (stop applying, record the revision failed, release the lock) instead of dying mid-write.
//! It does not serialize operations that do not take it (Helm itself, older clients).
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::kube::Api;
use ::kube::api::{DeleteParams, PostParams, Preconditions};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{Context, Error};
use crate::kube::Client;
use crate::release::Status;

/// Prefix of the Lease names (`rhelm-lock.<release>`).
pub const LEASE_PREFIX: &str = "rhelm-lock.";
/// Environment variable giving the lease duration in seconds.
pub const LOCK_DURATION_ENV: &str = "RHELM_LOCK_DURATION";
/// Lease duration when [`LOCK_DURATION_ENV`] is unset.
pub const DEFAULT_LOCK_DURATION: Duration = Duration::from_secs(30);
/// Label marking the Leases as rhelm's.
const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "rhelm");

/// Errors of the lock.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Someone else holds a lease that has not expired. Helm's words first, so scripts that
    /// grep for them keep working.
    #[error(
        "another operation (install/upgrade/rollback) is in progress: {holder} has held the lock for {held_for}"
    )]
    Held {
        /// The holder identity (`host/pid/command`).
        holder: String,
        /// How long it has held it, Go-style (`5s`, `1m3s`).
        held_for: String,
    },
    /// Reading or writing the Lease failed.
    #[error("locking release {release:?} (Lease {LEASE_PREFIX}{release}): {}", api_message(.error))]
    Api {
        /// The release.
        release: String,
        /// What the API server said (its message is shown; not chained, as kube-rs's
        /// Display adds a debug dump).
        error: ::kube::Error,
    },
    /// `RHELM_LOCK_DURATION` is not a positive whole number of seconds.
    #[error("invalid {LOCK_DURATION_ENV} {0:?}: expected a positive whole number of seconds")]
    Duration(String),
}

/// Why an operation must stop before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interruption {
    /// SIGINT (Ctrl-C) or SIGTERM arrived.
    Signal,
    /// The lease could not be renewed in time, or another process took it over.
    LockLost,
}

/// A held lock. Call [`ReleaseLock::release`] when the operation ends (on success and on
/// failure); dropping it only stops the renewal, leaving the lease to expire.
pub struct ReleaseLock {
    api: Api<Lease>,
    release: String,
    /// The holder whose expired lease was taken over, if any: its operation died.
    pub took_over_from: Option<String>,
    /// The lease as last written; `None` when Leases are forbidden (no lock, signals only).
    current: Option<Arc<Mutex<Lease>>>,
    renewer: Option<JoinHandle<()>>,
    signals: JoinHandle<()>,
    interruption: watch::Receiver<Option<Interruption>>,
}

/// The lease duration from [`LOCK_DURATION_ENV`], else [`DEFAULT_LOCK_DURATION`].
pub fn lock_duration() -> Result<Duration, LockError> {
    match std::env::var(LOCK_DURATION_ENV) {
        Ok(text) if !text.trim().is_empty() => match text.trim().parse::<u64>() {
            Ok(seconds) if seconds > 0 => Ok(Duration::from_secs(seconds)),
            _ => Err(LockError::Duration(text)),
        },
        _ => Ok(DEFAULT_LOCK_DURATION),
    }
}

/// This process's holder identity: `host/pid/command`.
pub fn holder_identity(command: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".to_string());
    format!("{host}/{}/{command}", std::process::id())
}

/// Takes the lock of `release` in `namespace` for `command` (`install`, `upgrade`, …), or fails
/// at once with [`LockError::Held`] if a live holder has it.
pub async fn acquire(
    client: &Client,
    namespace: &str,
    release: &str,
    command: &str,
) -> Result<ReleaseLock, LockError> {
    let duration = lock_duration()?;
    let api: Api<Lease> = Api::namespaced(client.kube().clone(), namespace);
    let name = format!("{LEASE_PREFIX}{release}");
    let holder = holder_identity(command);
    let api_error = |error| LockError::Api {
        release: release.to_string(),
        error,
    };
    // A few rounds: each lost race re-reads the lease, which then names the winner.
    for _ in 0..5 {
        let now = Timestamp::now();
        let fresh = Lease {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(namespace.to_string()),
                labels: Some([(MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string())].into()),
                ..ObjectMeta::default()
            },
            spec: Some(LeaseSpec {
                holder_identity: Some(holder.clone()),
                lease_duration_seconds: Some(i32::try_from(duration.as_secs()).unwrap_or(i32::MAX)),
                acquire_time: Some(MicroTime(now)),
                renew_time: Some(MicroTime(now)),
                lease_transitions: Some(0),
                ..LeaseSpec::default()
            }),
        };
        match api.create(&PostParams::default(), &fresh).await {
            Ok(created) => return Ok(start(api, release, None, Some(created), duration)),
            Err(e) if status(&e) == Some(409) => {}
            // Allowed to manage releases but not Leases (a Role written for Helm): no lock,
            // Helm's pending-status check only.
            Err(e) if status(&e) == Some(403) => {
                return Ok(start(api, release, None, None, duration));
            }
            Err(e) => return Err(api_error(e)),
        }
        let Some(existing) = api.get_opt(&name).await.map_err(api_error)? else {
            continue; // released meanwhile
        };
        let spec = existing.spec.clone().unwrap_or_default();
        let previous = spec.holder_identity.clone().unwrap_or_default();
        if !is_expired(&spec, now) {
            let since = spec.acquire_time.as_ref().or(spec.renew_time.as_ref());
            return Err(LockError::Held {
                holder: previous,
                held_for: since.map_or_else(|| "an unknown time".into(), |t| go_seconds(now, t)),
            });
        }
        let mut taken = existing;
        taken.spec = Some(LeaseSpec {
            lease_transitions: Some(spec.lease_transitions.unwrap_or(0) + 1),
            ..fresh.spec.unwrap_or_default()
        });
        match api.replace(&name, &PostParams::default(), &taken).await {
            Ok(replaced) => {
                let from = (!previous.is_empty()).then_some(previous);
                return Ok(start(api, release, from, Some(replaced), duration));
            }
            Err(e) if status(&e) == Some(409) => {}
            Err(e) => return Err(api_error(e)),
        }
    }
    Err(LockError::Held {
        holder: "another process".into(),
        held_for: "an unknown time".into(),
    })
}

impl ReleaseLock {
    /// Resolves when the operation must stop: a signal arrived or the lock was lost. Never
    /// resolves otherwise.
    pub async fn interrupted(&self) -> Interruption {
        let mut rx = self.interruption.clone();
        loop {
            if let Some(why) = *rx.borrow_and_update() {
                return why;
            }
            if rx.changed().await.is_err() {
                // Both watchers ended without a reason: nothing will interrupt us.
                std::future::pending::<()>().await;
            }
        }
    }

    /// Stops renewing and deletes the lease, unless another process took it over meanwhile
    /// (the delete is conditional on the lease's `resourceVersion`). Errors are returned as
    /// text for the caller's notes: an unreleased lease only delays the next operation.
    pub async fn release(self) -> Option<String> {
        self.stop();
        let current = self.current.as_ref()?;
        let rv = current
            .lock()
            .ok()
            .and_then(|l| l.metadata.resource_version.clone());
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                resource_version: rv,
                uid: None,
            }),
            ..DeleteParams::default()
        };
        let name = format!("{LEASE_PREFIX}{}", self.release);
        match self.api.delete(&name, &params).await {
            Ok(_) => None,
            Err(e) if matches!(status(&e), Some(404 | 409)) => None,
            Err(e) => Some(format!("releasing the lock {name}: {e}")),
        }
    }
}

impl ReleaseLock {
    /// Whether a Lease is actually held (false when Leases are forbidden).
    pub fn is_held(&self) -> bool {
        self.current.is_some()
    }

    fn stop(&self) {
        if let Some(renewer) = &self.renewer {
            renewer.abort();
        }
        self.signals.abort();
    }
}

impl Drop for ReleaseLock {
    fn drop(&mut self) {
        self.stop();
    }
}

fn start(
    api: Api<Lease>,
    release: &str,
    took_over_from: Option<String>,
    lease: Option<Lease>,
    duration: Duration,
) -> ReleaseLock {
    let (tx, rx) = watch::channel(None);
    let tx = Arc::new(tx);
    let current = lease.map(|l| Arc::new(Mutex::new(l)));
    let renewer = current.as_ref().map(|current| {
        tokio::spawn(renew(
            api.clone(),
            Arc::clone(current),
            duration,
            Arc::clone(&tx),
        ))
    });
    let signals = tokio::spawn(watch_signals(tx));
    ReleaseLock {
        api,
        release: release.to_string(),
        took_over_from,
        current,
        renewer,
        signals,
        interruption: rx,
    }
}

/// Renews the lease every third of its duration; reports [`Interruption::LockLost`] when it
/// was taken over or could not be renewed before expiring.
async fn renew(
    api: Api<Lease>,
    current: Arc<Mutex<Lease>>,
    duration: Duration,
    tx: Arc<watch::Sender<Option<Interruption>>>,
) {
    let period = (duration / 3).max(Duration::from_millis(500));
    let mut last_renewed = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(period).await;
        let Ok(mut lease) = current.lock().map(|l| l.clone()) else {
            return;
        };
        let name = lease.metadata.name.clone().unwrap_or_default();
        if let Some(spec) = lease.spec.as_mut() {
            spec.renew_time = Some(MicroTime(Timestamp::now()));
        }
        match api.replace(&name, &PostParams::default(), &lease).await {
            Ok(renewed) => {
                last_renewed = tokio::time::Instant::now();
                if let Ok(mut slot) = current.lock() {
                    *slot = renewed;
                }
            }
            // Someone replaced (took over) or deleted our lease.
            Err(e) if matches!(status(&e), Some(404 | 409)) => {
                let _ = tx.send(Some(Interruption::LockLost));
                return;
            }
            Err(_) if last_renewed.elapsed() >= duration => {
                let _ = tx.send(Some(Interruption::LockLost));
                return;
            }
            Err(_) => {} // transient: retry next period
        }
    }
}

async fn watch_signals(tx: Arc<watch::Sender<Option<Interruption>>>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
    }
    let _ = tx.send(Some(Interruption::Signal));
}

/// What an operation does when, holding the lock, it finds the last revision pending with no
/// dead rhelm holder to blame (Helm or an old client left it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingPolicy {
    /// Refuse with [`Error::StuckPending`], which names `--recover` (upgrade).
    Refuse,
    /// `--recover`: mark it `failed` ("interrupted: …") and proceed.
    Recover,
    /// Leave it as it is and proceed (install and uninstall check on their own; rollback
    /// is Helm's way out of a stuck release).
    Allow,
}

/// Runs `work` holding the lock of `name`: takes the lock (failing at once if held),
/// settles a pending last revision (always recovered when the lock was taken over from a
/// dead holder, else per `pending`), stops `work` on a signal or a lost lock (recording the
/// revision it created `failed`), and releases the lock whatever happened.
pub(crate) async fn with_lock<T>(
    ctx: &Context,
    name: &str,
    command: &str,
    pending: PendingPolicy,
    notes: &mut Vec<String>,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let lock = acquire(&ctx.client, &ctx.namespace, name, command).await?;
    if !lock.is_held() {
        notes.push(format!(
            "no permission to manage Leases in {:?}: running without the release lock",
            ctx.namespace
        ));
    }
    if let Some(previous) = &lock.took_over_from {
        notes.push(format!(
            "took over the lock of {name:?} from {previous}, whose lease expired"
        ));
    }
    let result = async {
        let before = settle_pending(ctx, name, &lock, pending, notes).await?;
        tokio::select! {
            outcome = work => outcome,
            why = lock.interrupted() => {
                mark_interrupted(ctx, name, before, why, notes).await;
                Err(Error::Interrupted(why))
            }
        }
    }
    .await;
    if let Some(note) = lock.release().await {
        notes.push(note);
    }
    result
}

/// Marks a pending last revision failed when its holder died or `--recover` was given;
/// returns the last revision number (`None` without history).
async fn settle_pending(
    ctx: &Context,
    name: &str,
    lock: &ReleaseLock,
    policy: PendingPolicy,
    notes: &mut Vec<String>,
) -> Result<Option<u32>, Error> {
    let mut last = match ctx.storage.last(name).await {
        Ok(last) => last,
        Err(crate::storage::Error::NotFound { .. } | crate::storage::Error::NoRevision { .. }) => {
            return Ok(None);
        }
        Err(other) => return Err(other.into()),
    };
    if !last.info.status.is_pending() {
        return Ok(Some(last.revision));
    }
    let recover = lock.took_over_from.is_some() || policy == PendingPolicy::Recover;
    if !recover {
        if policy == PendingPolicy::Refuse {
            return Err(Error::StuckPending {
                name: name.to_string(),
                revision: last.revision,
                status: last.info.status,
            });
        }
        return Ok(Some(last.revision));
    }
    let description = format!("interrupted: {}", last.info.description);
    notes.push(format!(
        "marked revision {} ({}) failed: {description}",
        last.revision, last.info.status
    ));
    last.set_status(Status::Failed, description);
    ctx.storage.update(&last).await?;
    Ok(Some(last.revision))
}

/// After an interruption: the revision this operation created, if still pending, becomes
/// `failed`. Best effort; failures become notes.
async fn mark_interrupted(
    ctx: &Context,
    name: &str,
    before: Option<u32>,
    why: Interruption,
    notes: &mut Vec<String>,
) {
    let mut last = match ctx.storage.last(name).await {
        Ok(last) => last,
        Err(_) => return,
    };
    if last.revision <= before.unwrap_or(0) || !last.info.status.is_pending() {
        return;
    }
    last.set_status(Status::Failed, Error::Interrupted(why).to_string());
    if let Err(e) = ctx.storage.update(&last).await {
        notes.push(format!("recording the interrupted revision: {e}"));
    }
}

/// The server's message for API errors (kube-rs's Display adds a debug dump).
fn api_message(error: &::kube::Error) -> String {
    match error {
        ::kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}

fn status(error: &::kube::Error) -> Option<u16> {
    match error {
        ::kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

/// Whether the holder stopped renewing more than its duration ago (or nobody holds it).
fn is_expired(spec: &LeaseSpec, now: Timestamp) -> bool {
    let holder = spec.holder_identity.as_deref().unwrap_or_default();
    let Some(renewed) = spec.renew_time.as_ref().or(spec.acquire_time.as_ref()) else {
        return true;
    };
    let duration_ms = i64::from(spec.lease_duration_seconds.unwrap_or(0)) * 1000;
    holder.is_empty() || now.as_millisecond() - renewed.0.as_millisecond() > duration_ms
}

/// `now - since` in Go's duration style, whole seconds (`5s`, `1m3s`, `2h0m1s`).
fn go_seconds(now: Timestamp, since: &MicroTime) -> String {
    let seconds = ((now.as_millisecond() - since.0.as_millisecond()) / 1000).max(0);
    let (h, m, s) = (seconds / 3600, (seconds / 60) % 60, seconds % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).unwrap()
    }

    fn spec(holder: &str, renewed: i64, duration: i32) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some(holder.to_string()),
            renew_time: Some(MicroTime(at(renewed))),
            acquire_time: Some(MicroTime(at(renewed))),
            lease_duration_seconds: Some(duration),
            ..LeaseSpec::default()
        }
    }

    #[test]
    fn a_lease_renewed_within_its_duration_is_live() {
        assert!(!is_expired(&spec("h/1/upgrade", 0, 3), at(3)));
    }

    #[test]
    fn a_lease_not_renewed_past_its_duration_is_expired() {
        assert!(is_expired(&spec("h/1/upgrade", 0, 3), at(4)));
    }

    #[test]
    fn a_lease_without_holder_or_times_is_free() {
        assert!(is_expired(&spec("", 0, 30), at(1)));
        assert!(is_expired(&LeaseSpec::default(), at(1)));
    }

    #[test]
    fn held_for_is_written_as_a_go_duration() {
        let since = MicroTime(at(0));
        assert_eq!(go_seconds(at(5), &since), "5s");
        assert_eq!(go_seconds(at(63), &since), "1m3s");
        assert_eq!(go_seconds(at(7201), &since), "2h0m1s");
    }

    #[test]
    fn held_error_starts_with_helms_words() {
        let text = LockError::Held {
            holder: "ci/42/upgrade".into(),
            held_for: "5s".into(),
        }
        .to_string();
        assert_eq!(
            text,
            "another operation (install/upgrade/rollback) is in progress: ci/42/upgrade has held the lock for 5s"
        );
    }

    #[test]
    fn holder_identity_names_pid_and_command() {
        let id = holder_identity("rollback");
        assert!(
            id.ends_with(&format!("/{}/rollback", std::process::id())),
            "{id}"
        );
    }
}
