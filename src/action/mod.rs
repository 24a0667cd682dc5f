//! Actions: one operation per file (install, upgrade, rollback, uninstall, and the
//! read-only queries), orchestrating chart loading, values, rendering, storage and the
//! cluster. Each action plans first and then executes, so failures found while planning
//! (bad chart, bad values, render errors, ownership conflicts) leave no release record.
//!
//! Helm counterpart: `pkg/action`. Actions return data and typed errors; the CLI prints.
pub mod context;
pub mod crds;
pub mod create;
pub mod dependency;
pub mod deploy;
pub mod diff;
pub mod hooks;
pub mod install;
pub mod lint;
pub mod lock;
pub mod names;
pub mod package;
pub mod query;
pub mod render;
pub mod rollback;
pub mod show;
pub mod template;
pub mod uninstall;
pub mod upgrade;
pub mod wait;

pub use context::{Context, Settings};

/// Errors of the actions. `Display` is the text Helm prints after `Error: `.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No record of this release (Helm's `driver.ErrReleaseNotFound`).
    #[error("release: not found")]
    ReleaseNotFound,
    /// The release has no deployed revision to upgrade from.
    #[error("{0:?} has no deployed releases")]
    NoDeployedReleases(String),
    /// Another operation left the last revision pending.
    #[error("another operation (install/upgrade/rollback) is in progress")]
    Pending,
    /// The last revision is pending and no rhelm lock covers it (Helm or a dead client left
    /// it); `--recover` marks it failed and proceeds.
    #[error(
        "another operation (install/upgrade/rollback) is in progress: revision {revision} of {name:?} is {status} and no rhelm lock is held (left by Helm or by a client that died); if nothing else is operating on the release, retry with --recover to mark it failed and proceed"
    )]
    StuckPending {
        /// The release.
        name: String,
        /// Its pending revision.
        revision: u32,
        /// The pending status.
        status: crate::release::Status,
    },
    /// The release lock could not be taken (another operation holds it) or kept.
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    /// The operation stopped on a signal or because its lock was lost.
    #[error("{}", match .0 {
        lock::Interruption::Signal => "interrupted by signal",
        lock::Interruption::LockLost => "interrupted: the release lock was lost (not renewed in time or taken over)",
    })]
    Interrupted(lock::Interruption),
    /// Install of a name that has history.
    #[error("cannot reuse a name that is still in use")]
    NameInUse,
    /// A release name breaking Helm's rule.
    #[error("{0}")]
    InvalidName(String),
    /// Rollback to a revision that does not exist.
    #[error("release has no {0} version")]
    NoSuchRevision(u32),
    /// Library charts only provide definitions.
    #[error(
        "validation: chart.metadata.type must be application, library charts are not installable"
    )]
    LibraryChart,
    /// A bad `--timeout` or similar option.
    #[error("{0}")]
    InvalidOption(String),
    /// Loading the chart failed.
    #[error(transparent)]
    Chart(#[from] crate::chart::Error),
    /// Reading or merging values failed.
    #[error(transparent)]
    Values(#[from] crate::values::Error),
    /// Rendering templates failed.
    #[error(transparent)]
    Render(#[from] crate::engine::Error),
    /// Splitting or sorting the rendered manifest failed.
    #[error(transparent)]
    Manifest(#[from] crate::release::manifest::Error),
    /// Talking to the cluster failed.
    #[error(transparent)]
    Kube(#[from] crate::kube::Error),
    /// Reading or writing release records failed.
    #[error(transparent)]
    Storage(#[from] crate::storage::Error),
    /// The operation failed and rollback-on-failure undid it (Helm's text).
    #[error("{0}")]
    RolledBack(String),
    /// A hook failed.
    #[error("{0}")]
    Hook(String),
    /// Deleting objects failed for some of them.
    #[error("{0}")]
    Delete(String),
}

impl Error {
    /// Advice for the user beyond Helm's message (printed on a `hint:` line).
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Error::Kube(error) => error.hint(),
            Error::Pending => Some(
                "wait for the other operation to finish; if it died, its pending revision blocks the release",
            ),
            _ => None,
        }
    }

    /// Storage's "not found" errors map to Helm's `release: not found`.
    fn from_lookup(error: crate::storage::Error) -> Self {
        match error {
            crate::storage::Error::NotFound { .. } | crate::storage::Error::NoRevision { .. } => {
                Error::ReleaseNotFound
            }
            other => Error::Storage(other),
        }
    }
}
