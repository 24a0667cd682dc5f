//! Storage keys and labels: how a release revision is named and tagged in the cluster.
//!
//! Helm counterpart: `makeKey` in `pkg/storage/storage.go` and the labels set in
//! `pkg/storage/driver/secrets.go` / `labels.go`. Labels are what lets `Storage` pick the
//! record to decode without decoding the others.
use std::collections::BTreeMap;

use crate::release::{Release, Status};

/// Prefix of every record's object name.
pub const STORAGE_TYPE: &str = "sh.helm.release.v1";
/// The `type` of a release Secret.
pub const SECRET_TYPE: &str = "helm.sh/release.v1";
/// Key of the record inside the object's data.
pub const DATA_KEY: &str = "release";
/// Label: release name.
pub const LABEL_NAME: &str = "name";
/// Label: always [`OWNER`].
pub const LABEL_OWNER: &str = "owner";
/// Label: revision status.
pub const LABEL_STATUS: &str = "status";
/// Label: revision number.
pub const LABEL_VERSION: &str = "version";
/// Label: Unix seconds of creation (set on create only).
pub const LABEL_CREATED_AT: &str = "createdAt";
/// Label: Unix seconds of last update (set on update only; replaces `createdAt`, as in Helm).
pub const LABEL_MODIFIED_AT: &str = "modifiedAt";
/// Value of the owner label.
pub const OWNER: &str = "helm";

/// Labels that storage manages; every other label on a record is a user label of the release.
pub const SYSTEM_LABELS: [&str; 6] = [
    LABEL_NAME,
    LABEL_OWNER,
    LABEL_STATUS,
    LABEL_VERSION,
    LABEL_CREATED_AT,
    LABEL_MODIFIED_AT,
];

/// Label sets, sorted by key.
pub type Labels = BTreeMap<String, String>;

/// The object name of a revision: `sh.helm.release.v1.<name>.v<revision>`.
pub fn make_key(name: &str, revision: u32) -> String {
    format!("{STORAGE_TYPE}.{name}.v{revision}")
}

/// The revision number at the end of a key (`….v12` → 12).
pub fn revision_from_key(key: &str) -> Option<u32> {
    key.rsplit_once(".v")?.1.parse().ok()
}

/// Selector labels for every revision of a release: `owner=helm,name=<name>`.
pub fn release_selector(name: &str) -> Labels {
    Labels::from([
        (LABEL_OWNER.to_string(), OWNER.to_string()),
        (LABEL_NAME.to_string(), name.to_string()),
    ])
}

/// Labels of a stored revision: the release's user labels, then the system labels, plus
/// `timestamp_label` (`createdAt` or `modifiedAt`) set to `unix_seconds`.
pub fn record_labels(release: &Release, timestamp_label: &str, unix_seconds: i64) -> Labels {
    let mut labels: Labels = release
        .labels
        .iter()
        .filter(|(k, _)| !SYSTEM_LABELS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    labels.insert(timestamp_label.to_string(), unix_seconds.to_string());
    labels.insert(LABEL_NAME.to_string(), release.name.clone());
    labels.insert(LABEL_OWNER.to_string(), OWNER.to_string());
    labels.insert(LABEL_STATUS.to_string(), release.info.status.to_string());
    labels.insert(LABEL_VERSION.to_string(), release.revision.to_string());
    labels
}

/// The user labels among a record's labels (Helm's `filterSystemLabels`).
pub fn user_labels(labels: &Labels) -> Labels {
    labels
        .iter()
        .filter(|(k, _)| !SYSTEM_LABELS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Whether `labels` contain every pair of `selector`.
pub fn matches(labels: &Labels, selector: &Labels) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// A selector as Kubernetes' `labelSelector` text (`k=v,k2=v2`).
pub fn selector_string(selector: &Labels) -> String {
    selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// What the labels say about a record, read without decoding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordInfo {
    /// Object name (`sh.helm.release.v1.<name>.v<revision>`).
    pub key: String,
    /// Namespace of the object.
    pub namespace: String,
    /// Release name.
    pub name: String,
    /// Revision number.
    pub revision: u32,
    /// Status label (`Unknown` if missing or unreadable).
    pub status: Status,
}

impl RecordInfo {
    /// Reads the labels; the revision falls back to the key's suffix. `None` if neither the
    /// name label nor a revision can be found.
    pub fn from_labels(key: &str, namespace: &str, labels: &Labels) -> Option<Self> {
        let name = labels.get(LABEL_NAME)?.clone();
        let revision = labels
            .get(LABEL_VERSION)
            .and_then(|v| v.parse().ok())
            .or_else(|| revision_from_key(key))?;
        let status = labels
            .get(LABEL_STATUS)
            .and_then(|s| s.parse().ok())
            .unwrap_or_default();
        Some(RecordInfo {
            key: key.to_string(),
            namespace: namespace.to_string(),
            name,
            revision,
            status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_helms_naming() {
        assert_eq!(
            make_key("guestbook-demo", 3),
            "sh.helm.release.v1.guestbook-demo.v3"
        );
        assert_eq!(revision_from_key("sh.helm.release.v1.a.v12"), Some(12));
        assert_eq!(revision_from_key("sh.helm.release.v1.a.vx"), None);
    }

    #[test]
    fn record_labels_put_system_labels_over_user_labels() {
        let mut release = Release {
            name: "demo".into(),
            revision: 4,
            ..Release::default()
        };
        release.info.status = Status::PendingUpgrade;
        release.labels.insert("team".into(), "web".into());
        release.labels.insert("owner".into(), "mallory".into());
        let labels = record_labels(&release, LABEL_CREATED_AT, 1_795_767_419);
        assert_eq!(labels["owner"], "helm");
        assert_eq!(labels["status"], "pending-upgrade");
        assert_eq!(labels["version"], "4");
        assert_eq!(labels["createdAt"], "1795767419");
        assert_eq!(
            user_labels(&labels),
            Labels::from([("team".into(), "web".into())])
        );
    }

    #[test]
    fn record_info_reads_labels_and_falls_back_to_the_key() {
        let labels = Labels::from([
            ("name".into(), "demo".into()),
            ("status".into(), "superseded".into()),
        ]);
        let info = RecordInfo::from_labels("sh.helm.release.v1.demo.v7", "ns", &labels).unwrap();
        assert_eq!((info.revision, info.status), (7, Status::Superseded));
        assert_eq!(RecordInfo::from_labels("x", "ns", &labels), None);
    }

    #[test]
    fn selector_matches_subsets_and_prints_like_kubernetes() {
        let selector = release_selector("demo");
        assert_eq!(selector_string(&selector), "name=demo,owner=helm");
        let mut labels = selector.clone();
        labels.insert("status".into(), "deployed".into());
        assert!(matches(&labels, &selector));
        assert!(!matches(&selector, &labels));
    }
}
