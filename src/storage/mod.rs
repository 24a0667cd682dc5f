//! Release storage: where revisions are recorded, and the `Storage` façade that answers
//! "history", "last", "deployed" and "list" by reading labels first and decoding only the
//! records it needs.
//!
//! Helm counterpart: `pkg/storage/storage.go` and `pkg/storage/driver`. Records are
//! byte-compatible with Helm's (same keys, labels, type and encoding), so `helm` and
//! `rhelm` read each other's releases. Changes from Helm: `last`/`deployed` decode one
//! record (picked by the `version` label) instead of every revision; `history` decodes in
//! parallel; undecodable records are skipped with a `tracing` warning naming the key.
//! This module does not decide state transitions (that is `action`'s job).
pub mod codec;
pub mod configmaps;
pub mod driver;
pub mod keys;
pub mod memory;
pub mod secrets;

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::StreamExt;

pub use codec::{CodecError, decode_release, encode_release};
pub use configmaps::ConfigMapsDriver;
pub use driver::{Driver, Record, RecordBody};
pub use keys::{Labels, RecordInfo, make_key};
pub use memory::MemoryDriver;
pub use secrets::SecretsDriver;

use crate::release::{Release, Status};
use keys::{LABEL_STATUS, release_selector, user_labels};

/// Errors of release storage.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No record with this key (Helm: `release: not found`).
    #[error("release: not found ({key})")]
    NotFound {
        /// Object name.
        key: String,
    },
    /// A record with this key exists already (Helm: `release: already exists`).
    #[error("release: already exists ({key})")]
    Exists {
        /// Object name.
        key: String,
    },
    /// The release has no revision at all.
    #[error("no revision for release {name:?}")]
    NoRevision {
        /// Release name.
        name: String,
    },
    /// The release has no revision with status `deployed`.
    #[error("{name:?} has no deployed releases")]
    NoDeployed {
        /// Release name.
        name: String,
    },
    /// A stored record could not be decoded.
    #[error("decoding release record {key}: {source}")]
    Decode {
        /// Object name.
        key: String,
        /// Why.
        #[source]
        source: CodecError,
    },
    /// A release could not be encoded.
    #[error("encoding release {name:?} revision {revision}: {source}")]
    Encode {
        /// Release name.
        name: String,
        /// Revision.
        revision: u32,
        /// Why.
        #[source]
        source: CodecError,
    },
    /// The Kubernetes API refused or failed a request.
    #[error("{operation} {key}: {source}")]
    Kube {
        /// `get`, `list`, `create`, `update` or `delete`.
        operation: &'static str,
        /// Object name (or label selector for `list`).
        key: String,
        /// The client's error, with the server's status if any.
        #[source]
        source: Box<::kube::Error>,
    },
    /// An all-namespaces driver was asked for a single-namespace operation.
    #[error("the {driver} driver needs a namespace to {operation}; pass --namespace")]
    NamespaceRequired {
        /// Driver name.
        driver: &'static str,
        /// What was attempted.
        operation: &'static str,
    },
    /// A background decode/encode task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(#[source] tokio::task::JoinError),
}

/// Release records through one driver, with Helm's history limit.
#[derive(Clone)]
pub struct Storage {
    driver: Arc<dyn Driver>,
    max_history: usize,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("driver", &self.driver.name())
            .field("max_history", &self.max_history)
            .finish()
    }
}

/// How many records to decode at once: one per core.
fn parallelism() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Decodes one record; labels that are not storage's become the release's user labels.
fn decode_record(record: Record) -> Result<Release, Error> {
    match record.body {
        RecordBody::Decoded(release) => Ok(Arc::unwrap_or_clone(release)),
        RecordBody::Encoded(data) => {
            let mut release = decode_release(&data).map_err(|source| Error::Decode {
                key: record.key,
                source,
            })?;
            release.labels = user_labels(&record.labels);
            Ok(release)
        }
    }
}

/// Decodes one record off the async threads.
async fn decode_one(record: Record) -> Result<Release, Error> {
    match record.body {
        RecordBody::Decoded(_) => decode_record(record),
        RecordBody::Encoded(_) => tokio::task::spawn_blocking(move || decode_record(record))
            .await
            .map_err(Error::Task)?,
    }
}

/// Decodes records in parallel (one per core), skipping undecodable ones with a warning,
/// and returns releases sorted by namespace, name and revision.
async fn decode_all(records: Vec<Record>) -> Vec<Release> {
    let mut releases: Vec<Release> = futures::stream::iter(records)
        .map(|record| {
            let key = record.key.clone();
            async move { (key, decode_one(record).await) }
        })
        .buffer_unordered(parallelism())
        .filter_map(|(key, result)| async move {
            match result {
                Ok(release) => Some(release),
                Err(error) => {
                    tracing::warn!(%key, %error, "skipping release record that cannot be decoded");
                    None
                }
            }
        })
        .collect()
        .await;
    releases.sort_by(|a, b| {
        (a.namespace.as_str(), a.name.as_str(), a.revision).cmp(&(
            b.namespace.as_str(),
            b.name.as_str(),
            b.revision,
        ))
    });
    releases
}

/// Records with their label information; records without usable labels are left out
/// (with a warning), as Helm's own label queries would never find them.
fn with_infos(records: Vec<Record>) -> Vec<(RecordInfo, Record)> {
    records
        .into_iter()
        .filter_map(|r| {
            let info = RecordInfo::from_labels(&r.key, &r.namespace, &r.labels);
            if info.is_none() {
                tracing::warn!(key = %r.key, "skipping release record without name/version labels");
            }
            Some((info?, r))
        })
        .collect()
}

/// `owner=helm`: every release record.
fn owner_selector() -> Labels {
    Labels::from([(keys::LABEL_OWNER.to_string(), keys::OWNER.to_string())])
}

impl Storage {
    /// Storage over `driver`, without a history limit.
    pub fn new(driver: Arc<dyn Driver>) -> Self {
        Storage {
            driver,
            max_history: 0,
        }
    }

    /// Keeps at most `max` revisions per release when creating new ones (0 = unlimited),
    /// as Helm's `--history-max`.
    pub fn with_max_history(mut self, max: usize) -> Self {
        self.max_history = max;
        self
    }

    /// The history limit (0 = unlimited).
    pub fn max_history(&self) -> usize {
        self.max_history
    }

    /// The driver's name (`Secret`, `ConfigMap`, `Memory`).
    pub fn driver_name(&self) -> &'static str {
        self.driver.name()
    }

    /// Revision `revision` of release `name`; [`Error::NotFound`] if absent.
    pub async fn get(&self, name: &str, revision: u32) -> Result<Release, Error> {
        let key = make_key(name, revision);
        match self.driver.get(&key).await? {
            Some(record) => decode_one(record).await,
            None => Err(Error::NotFound { key }),
        }
    }

    /// Records a new revision, first pruning the release's history to make room when a
    /// limit is set; [`Error::Exists`] if the revision is already stored.
    pub async fn create(&self, release: &Release) -> Result<(), Error> {
        if self.max_history > 0 {
            self.prune_history(&release.name, self.max_history - 1)
                .await?;
        }
        let key = make_key(&release.name, release.revision);
        self.driver.create(&key, Arc::new(release.clone())).await
    }

    /// Rewrites a stored revision (status changes); [`Error::NotFound`] if absent.
    pub async fn update(&self, release: &Release) -> Result<(), Error> {
        let key = make_key(&release.name, release.revision);
        self.driver.update(&key, Arc::new(release.clone())).await
    }

    /// Deletes a revision and returns it; [`Error::NotFound`] if absent.
    pub async fn delete(&self, name: &str, revision: u32) -> Result<Release, Error> {
        let record = self.driver.delete(&make_key(name, revision)).await?;
        decode_one(record).await
    }

    /// Label information of every revision of `name`, oldest first, without decoding.
    pub async fn revisions(&self, name: &str) -> Result<Vec<RecordInfo>, Error> {
        let mut infos = self.driver.query_labels(&release_selector(name)).await?;
        infos.sort_by_key(|i| i.revision);
        Ok(infos)
    }

    /// Every revision of `name`, oldest first, decoded in parallel; empty if none.
    pub async fn history(&self, name: &str) -> Result<Vec<Release>, Error> {
        let records = self.driver.query(&release_selector(name)).await?;
        Ok(decode_all(records).await)
    }

    /// The highest revision of `name`, decoding only that record; [`Error::NoRevision`]
    /// if the release has none.
    pub async fn last(&self, name: &str) -> Result<Release, Error> {
        match self.latest_matching(&release_selector(name)).await? {
            Some(release) => Ok(release),
            None => Err(Error::NoRevision {
                name: name.to_string(),
            }),
        }
    }

    /// The highest revision among the records matching `selector`: labels are listed
    /// without payloads, then only that record is fetched and decoded.
    async fn latest_matching(&self, selector: &Labels) -> Result<Option<Release>, Error> {
        let infos = self.driver.query_labels(selector).await?;
        let Some(latest) = infos.into_iter().max_by_key(|i| i.revision) else {
            return Ok(None);
        };
        match self.driver.get(&latest.key).await? {
            Some(record) => decode_one(record).await.map(Some),
            // Deleted between the two requests (a concurrent prune): not found.
            None => Err(Error::NotFound { key: latest.key }),
        }
    }

    /// The highest revision of `name` with status `deployed` (several can be, after
    /// concurrent operations), decoding only that record; [`Error::NoDeployed`] if none.
    pub async fn deployed(&self, name: &str) -> Result<Release, Error> {
        let mut selector = release_selector(name);
        selector.insert(LABEL_STATUS.to_string(), Status::Deployed.to_string());
        match self.latest_matching(&selector).await? {
            Some(release) => Ok(release),
            None => Err(Error::NoDeployed {
                name: name.to_string(),
            }),
        }
    }

    /// Every revision whose labels contain `selector`, decoded in parallel.
    pub async fn query(&self, selector: &Labels) -> Result<Vec<Release>, Error> {
        let mut selector = selector.clone();
        selector.insert(keys::LABEL_OWNER.to_string(), keys::OWNER.to_string());
        let records = self.driver.query(&selector).await?;
        Ok(decode_all(records).await)
    }

    /// The newest revision of each release (per namespace and name), kept if its labels
    /// pass `filter`; only the kept records are decoded. As Helm's `list`, the status
    /// filter applies to the newest revision, so a release whose newest revision is
    /// `pending-rollback` is not listed as `deployed` through an older one. Sorted by name,
    /// then namespace; the driver's namespace (or all) bounds the search.
    pub async fn list_releases(
        &self,
        filter: impl Fn(&RecordInfo) -> bool,
    ) -> Result<Vec<Release>, Error> {
        let records = self.driver.query(&owner_selector()).await?;
        let mut newest: BTreeMap<(String, String), (RecordInfo, Record)> = BTreeMap::new();
        for (info, record) in with_infos(records) {
            let id = (info.name.clone(), info.namespace.clone());
            if newest
                .get(&id)
                .is_none_or(|(kept, _)| kept.revision < info.revision)
            {
                newest.insert(id, (info, record));
            }
        }
        let kept: Vec<Record> = newest
            .into_values()
            .filter(|(info, _)| filter(info))
            .map(|(_, record)| record)
            .collect();
        let mut releases = decode_all(kept).await;
        releases.sort_by(|a, b| (&a.name, &a.namespace).cmp(&(&b.name, &b.namespace)));
        Ok(releases)
    }

    /// Every revision of every release whose labels pass `filter`, decoded in parallel and
    /// sorted by namespace, name and revision (Helm's `list --superseded`, which looks past
    /// the newest revisions).
    pub async fn list_revisions(
        &self,
        filter: impl Fn(&RecordInfo) -> bool,
    ) -> Result<Vec<Release>, Error> {
        let records = self.driver.query(&owner_selector()).await?;
        let kept: Vec<Record> = with_infos(records)
            .into_iter()
            .filter(|(info, _)| filter(info))
            .map(|(_, record)| record)
            .collect();
        Ok(decode_all(kept).await)
    }

    /// Deletes the oldest revisions of `name` until at most `max` remain, never deleting
    /// the latest deployed one (Helm's `removeLeastRecent`). Reads labels only. Returns the
    /// deleted revisions; stops at the first failed delete after trying them all.
    pub async fn prune_history(&self, name: &str, max: usize) -> Result<Vec<u32>, Error> {
        let revisions = self.revisions(name).await?;
        if revisions.len() <= max {
            return Ok(Vec::new());
        }
        let last_deployed = revisions
            .iter()
            .filter(|i| i.status == Status::Deployed)
            .map(|i| i.revision)
            .max();
        let excess = revisions.len() - max;
        let doomed: Vec<u32> = revisions
            .iter()
            .map(|i| i.revision)
            .filter(|rev| Some(*rev) != last_deployed)
            .take(excess)
            .collect();
        let mut deleted = Vec::with_capacity(doomed.len());
        let mut first_error = None;
        for revision in doomed {
            match self.driver.delete(&make_key(name, revision)).await {
                Ok(_) => deleted.push(revision),
                Err(error) => {
                    tracing::debug!(name, revision, %error, "error pruning release record");
                    first_error.get_or_insert(error);
                }
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(deleted),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::Info;

    fn release(name: &str, revision: u32, status: Status) -> Release {
        Release {
            name: name.to_string(),
            revision,
            namespace: "default".to_string(),
            info: Info {
                status,
                description: format!("{name} v{revision}"),
                ..Info::default()
            },
            manifest: format!("---\n# Source: c/templates/cm.yaml\nrevision: {revision}\n"),
            ..Release::default()
        }
    }

    fn memory() -> Storage {
        Storage::new(Arc::new(MemoryDriver::new(Some("default"))))
    }

    async fn with_history(storage: &Storage, name: &str, statuses: &[Status]) {
        for (i, status) in statuses.iter().enumerate() {
            let revision = u32::try_from(i + 1).unwrap();
            storage
                .create(&release(name, revision, *status))
                .await
                .unwrap();
        }
    }

    fn revisions(releases: &[Release]) -> Vec<u32> {
        releases.iter().map(|r| r.revision).collect()
    }

    /// A driver answering queries with fixed, still-encoded records.
    struct FixedRecords(Vec<Record>);

    impl Driver for FixedRecords {
        fn name(&self) -> &'static str {
            "Fixed"
        }
        fn get<'a>(
            &'a self,
            key: &'a str,
        ) -> futures::future::BoxFuture<'a, Result<Option<Record>, Error>> {
            let found = self.0.iter().find(|r| r.key == key).cloned();
            Box::pin(async move { Ok(found) })
        }
        fn query<'a>(
            &'a self,
            selector: &'a Labels,
        ) -> futures::future::BoxFuture<'a, Result<Vec<Record>, Error>> {
            let found = self
                .0
                .iter()
                .filter(|r| keys::matches(&r.labels, selector))
                .cloned()
                .collect();
            Box::pin(async move { Ok(found) })
        }
        fn create<'a>(
            &'a self,
            key: &'a str,
            _: Arc<Release>,
        ) -> futures::future::BoxFuture<'a, Result<(), Error>> {
            Box::pin(async move {
                Err(Error::Exists {
                    key: key.to_string(),
                })
            })
        }
        fn update<'a>(
            &'a self,
            key: &'a str,
            _: Arc<Release>,
        ) -> futures::future::BoxFuture<'a, Result<(), Error>> {
            Box::pin(async move {
                Err(Error::NotFound {
                    key: key.to_string(),
                })
            })
        }
        fn delete<'a>(
            &'a self,
            key: &'a str,
        ) -> futures::future::BoxFuture<'a, Result<Record, Error>> {
            Box::pin(async move {
                Err(Error::NotFound {
                    key: key.to_string(),
                })
            })
        }
    }

    fn encoded(release: &Release, data: Option<&str>) -> Record {
        Record {
            key: make_key(&release.name, release.revision),
            namespace: release.namespace.clone(),
            labels: keys::record_labels(release, keys::LABEL_CREATED_AT, 0),
            body: RecordBody::Encoded(match data {
                Some(text) => text.to_string(),
                None => encode_release(release).unwrap(),
            }),
        }
    }

    #[tokio::test]
    async fn created_revision_reads_back() {
        let storage = memory();
        let mut original = release("web", 1, Status::Deployed);
        original.labels.insert("team".into(), "a".into());
        storage.create(&original).await.unwrap();
        let got = storage.get("web", 1).await.unwrap();
        assert_eq!(
            serde_json::to_value(&got).unwrap(),
            serde_json::to_value(&original).unwrap()
        );
        assert_eq!(got.labels, original.labels);
    }

    #[tokio::test]
    async fn creating_an_existing_revision_fails() {
        let storage = memory();
        storage
            .create(&release("web", 1, Status::Deployed))
            .await
            .unwrap();
        let err = storage
            .create(&release("web", 1, Status::Deployed))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Exists { key } if key == "sh.helm.release.v1.web.v1"));
    }

    #[tokio::test]
    async fn updating_a_missing_revision_fails_and_get_says_not_found() {
        let storage = memory();
        assert!(matches!(
            storage.update(&release("web", 3, Status::Failed)).await,
            Err(Error::NotFound { .. })
        ));
        assert!(matches!(
            storage.get("web", 3).await,
            Err(Error::NotFound { .. })
        ));
    }

    #[tokio::test]
    async fn update_changes_status_label_and_record() {
        let storage = memory();
        storage
            .create(&release("web", 1, Status::PendingInstall))
            .await
            .unwrap();
        storage
            .update(&release("web", 1, Status::Deployed))
            .await
            .unwrap();
        assert_eq!(
            storage.get("web", 1).await.unwrap().info.status,
            Status::Deployed
        );
        assert_eq!(
            storage.revisions("web").await.unwrap()[0].status,
            Status::Deployed
        );
    }

    #[tokio::test]
    async fn history_is_sorted_oldest_first_and_only_for_that_release() {
        let storage = memory();
        with_history(
            &storage,
            "web",
            &[Status::Superseded, Status::Superseded, Status::Deployed],
        )
        .await;
        with_history(&storage, "db", &[Status::Deployed]).await;
        assert_eq!(revisions(&storage.history("web").await.unwrap()), [1, 2, 3]);
        assert!(storage.history("nope").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn last_is_the_highest_revision_whatever_its_status() {
        let storage = memory();
        with_history(
            &storage,
            "web",
            &[
                Status::Superseded,
                Status::Deployed,
                Status::PendingRollback,
            ],
        )
        .await;
        let last = storage.last("web").await.unwrap();
        assert_eq!(
            (last.revision, last.info.status),
            (3, Status::PendingRollback)
        );
        assert!(
            matches!(storage.last("nope").await, Err(Error::NoRevision { name }) if name == "nope")
        );
    }

    #[tokio::test]
    async fn deployed_is_the_highest_deployed_revision() {
        let storage = memory();
        with_history(
            &storage,
            "web",
            &[Status::Deployed, Status::Deployed, Status::Failed],
        )
        .await;
        assert_eq!(storage.deployed("web").await.unwrap().revision, 2);
        with_history(&storage, "db", &[Status::Failed]).await;
        assert!(matches!(
            storage.deployed("db").await,
            Err(Error::NoDeployed { .. })
        ));
    }

    #[tokio::test]
    async fn last_decodes_only_the_newest_record() {
        let newest = release("web", 3, Status::Deployed);
        let driver = FixedRecords(vec![
            encoded(
                &release("web", 1, Status::Superseded),
                Some("not base64 %%"),
            ),
            encoded(&release("web", 2, Status::Superseded), Some("bm90IGpzb24=")),
            encoded(&newest, None),
        ]);
        let storage = Storage::new(Arc::new(driver));
        assert_eq!(storage.last("web").await.unwrap().revision, 3);
        assert_eq!(storage.deployed("web").await.unwrap().revision, 3);
    }

    #[tokio::test]
    async fn an_undecodable_newest_record_is_an_error_naming_its_key() {
        let driver = FixedRecords(vec![
            encoded(&release("web", 1, Status::Deployed), None),
            encoded(&release("web", 2, Status::Failed), Some("bm90IGpzb24=")),
        ]);
        let storage = Storage::new(Arc::new(driver));
        let err = storage.last("web").await.unwrap_err();
        assert!(
            matches!(&err, Error::Decode { key, .. } if key == "sh.helm.release.v1.web.v2"),
            "{err}"
        );
        // History skips the bad record instead of failing.
        assert_eq!(revisions(&storage.history("web").await.unwrap()), [1]);
    }

    #[tokio::test]
    async fn encoded_records_carry_user_labels_into_the_release() {
        let mut original = release("web", 1, Status::Deployed);
        original.labels.insert("team".into(), "a".into());
        let storage = Storage::new(Arc::new(FixedRecords(vec![encoded(&original, None)])));
        let got = storage.get("web", 1).await.unwrap();
        assert_eq!(got.labels, Labels::from([("team".into(), "a".into())]));
    }

    fn names_and_revisions(releases: &[Release]) -> Vec<(&str, u32)> {
        releases
            .iter()
            .map(|r| (r.name.as_str(), r.revision))
            .collect()
    }

    #[tokio::test]
    async fn list_releases_filters_the_newest_revision_of_each_release() {
        let storage = memory();
        with_history(
            &storage,
            "web",
            &[
                Status::Superseded,
                Status::Deployed,
                Status::PendingRollback,
            ],
        )
        .await;
        with_history(&storage, "db", &[Status::Deployed]).await;
        let all = storage.list_releases(|_| true).await.unwrap();
        assert_eq!(names_and_revisions(&all), [("db", 1), ("web", 3)]);
        // web's deployed revision 2 is not its newest: Helm does not list it as deployed.
        let deployed = storage
            .list_releases(|i| i.status == Status::Deployed)
            .await
            .unwrap();
        assert_eq!(names_and_revisions(&deployed), [("db", 1)]);
        let pending = storage
            .list_releases(|i| i.status.is_pending())
            .await
            .unwrap();
        assert_eq!(names_and_revisions(&pending), [("web", 3)]);
    }

    #[tokio::test]
    async fn list_revisions_looks_past_the_newest_revisions() {
        let storage = memory();
        with_history(
            &storage,
            "web",
            &[Status::Superseded, Status::Superseded, Status::Deployed],
        )
        .await;
        with_history(&storage, "db", &[Status::Superseded, Status::Deployed]).await;
        let superseded = storage
            .list_revisions(|i| i.status == Status::Superseded)
            .await
            .unwrap();
        assert_eq!(
            names_and_revisions(&superseded),
            [("db", 1), ("web", 1), ("web", 2)]
        );
    }

    #[tokio::test]
    async fn all_namespaces_list_sees_every_namespace_and_a_namespace_only_its_own() {
        let shared = MemoryDriver::new(Some("a"));
        let a = Storage::new(Arc::new(shared.clone()));
        let b = Storage::new(Arc::new(shared.with_namespace(Some("b"))));
        let all = Storage::new(Arc::new(shared.with_namespace(None)));
        a.create(&release("web", 1, Status::Deployed))
            .await
            .unwrap();
        b.create(&release("web", 1, Status::Deployed))
            .await
            .unwrap();
        b.create(&release("web", 2, Status::Deployed))
            .await
            .unwrap();
        assert_eq!(a.list_releases(|_| true).await.unwrap().len(), 1);
        assert_eq!(revisions(&b.list_releases(|_| true).await.unwrap()), [2]);
        assert_eq!(all.list_releases(|_| true).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn prune_keeps_the_newest_and_the_last_deployed() {
        let storage = memory();
        with_history(
            &storage,
            "web",
            &[
                Status::Superseded,
                Status::Deployed,
                Status::Failed,
                Status::Failed,
                Status::Failed,
            ],
        )
        .await;
        let deleted = storage.prune_history("web", 2).await.unwrap();
        assert_eq!(deleted, [1, 3, 4]);
        assert_eq!(revisions(&storage.history("web").await.unwrap()), [2, 5]);
        assert!(storage.prune_history("web", 2).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn history_limit_makes_room_before_creating() {
        let storage = memory().with_max_history(3);
        with_history(&storage, "web", &[Status::Superseded; 5]).await;
        assert_eq!(revisions(&storage.history("web").await.unwrap()), [3, 4, 5]);
    }

    #[tokio::test]
    async fn delete_returns_the_revision_and_removes_it() {
        let storage = memory();
        with_history(&storage, "web", &[Status::Superseded, Status::Deployed]).await;
        assert_eq!(storage.delete("web", 1).await.unwrap().revision, 1);
        assert_eq!(revisions(&storage.history("web").await.unwrap()), [2]);
        assert!(matches!(
            storage.delete("web", 1).await,
            Err(Error::NotFound { .. })
        ));
    }
}
