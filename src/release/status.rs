//! The state of one release revision, as stored in its record and its `status` label.
//!
//! Helm counterpart: `pkg/release/common/status.go` (a string type there; an enum here so
//! the compiler checks every state transition). Wire strings are kebab-case, exactly Helm's.
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a release revision is in its lifecycle.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Unknown state (also what an empty status string in an old record reads as).
    #[default]
    #[serde(alias = "")]
    Unknown,
    /// The revision is the one currently deployed.
    Deployed,
    /// The release was uninstalled with `--keep-history`.
    Uninstalled,
    /// A later revision replaced this one.
    Superseded,
    /// Installing, upgrading or rolling back to this revision failed.
    Failed,
    /// An uninstall is in progress.
    Uninstalling,
    /// An install is in progress.
    PendingInstall,
    /// An upgrade is in progress.
    PendingUpgrade,
    /// A rollback is in progress.
    PendingRollback,
}

/// Every status, in Helm's declaration order.
pub const ALL_STATUSES: [Status; 9] = [
    Status::Unknown,
    Status::Deployed,
    Status::Uninstalled,
    Status::Superseded,
    Status::Failed,
    Status::Uninstalling,
    Status::PendingInstall,
    Status::PendingUpgrade,
    Status::PendingRollback,
];

impl Status {
    /// The wire string (`pending-install`), as used in records and labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unknown => "unknown",
            Status::Deployed => "deployed",
            Status::Uninstalled => "uninstalled",
            Status::Superseded => "superseded",
            Status::Failed => "failed",
            Status::Uninstalling => "uninstalling",
            Status::PendingInstall => "pending-install",
            Status::PendingUpgrade => "pending-upgrade",
            Status::PendingRollback => "pending-rollback",
        }
    }

    /// Whether an operation on the release is in flight (Helm's `IsPending`): another
    /// install, upgrade or rollback must not start.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Status::PendingInstall | Status::PendingUpgrade | Status::PendingRollback
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status string that is not one of Helm's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown release status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ALL_STATUSES
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| UnknownStatus(text.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_wire_string() {
        for status in ALL_STATUSES {
            assert_eq!(status.as_str().parse::<Status>(), Ok(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(serde_json::from_str::<Status>(&json).unwrap(), status);
        }
    }

    #[test]
    fn pending_states_are_the_three_in_flight_operations() {
        let pending: Vec<Status> = ALL_STATUSES
            .into_iter()
            .filter(|s| s.is_pending())
            .collect();
        assert_eq!(
            pending,
            [
                Status::PendingInstall,
                Status::PendingUpgrade,
                Status::PendingRollback
            ]
        );
    }

    #[test]
    fn empty_status_string_reads_as_unknown() {
        assert_eq!(
            serde_json::from_str::<Status>("\"\"").unwrap(),
            Status::Unknown
        );
    }

    #[test]
    fn unknown_status_text_is_rejected_by_parse() {
        assert_eq!(
            "DEPLOYED".parse::<Status>(),
            Err(UnknownStatus("DEPLOYED".to_string()))
        );
    }
}
