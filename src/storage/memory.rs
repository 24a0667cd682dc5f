//! The in-memory driver: records live in a map for the life of the process. Used by tests
//! and by `--dry-run`-style flows that must not touch the cluster.
//!
//! Helm counterpart: `pkg/storage/driver/memory.go`. Records keep the release decoded
//! (`RecordBody::Decoded`) and carry the same labels as the Secrets driver, so `Storage`
//! behaves the same over either. Clones share the same map.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use futures::future::BoxFuture;

use super::Error;
use super::driver::{Driver, Record, RecordBody};
use super::keys::{LABEL_CREATED_AT, LABEL_MODIFIED_AT, Labels, matches, record_labels};
use crate::release::Release;

type Records = BTreeMap<(String, String), Record>;

/// Records held in memory, keyed by namespace and key.
#[derive(Debug, Clone, Default)]
pub struct MemoryDriver {
    records: Arc<Mutex<Records>>,
    namespace: Option<String>,
}

impl MemoryDriver {
    /// An empty store working in `namespace` (`None` = all namespaces).
    pub fn new(namespace: Option<&str>) -> Self {
        MemoryDriver {
            records: Arc::default(),
            namespace: namespace.map(str::to_string),
        }
    }

    /// The same store, seen from another namespace (or all of them).
    pub fn with_namespace(&self, namespace: Option<&str>) -> Self {
        MemoryDriver {
            records: Arc::clone(&self.records),
            namespace: namespace.map(str::to_string),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Records> {
        // A panic while holding the lock cannot leave the map half-written (every
        // operation is a single insert or remove), so a poisoned lock is still usable.
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where `key` lives: in this driver's namespace, or (all namespaces) wherever it is.
    fn find(&self, records: &Records, key: &str) -> Option<(String, String)> {
        match &self.namespace {
            Some(ns) => Some((ns.clone(), key.to_string())),
            None => records.keys().find(|(_, k)| k == key).cloned(),
        }
    }

    fn namespace_for(&self, release: &Release) -> String {
        match &self.namespace {
            Some(ns) => ns.clone(),
            None => release.namespace.clone(),
        }
    }

    fn record(&self, key: &str, release: Arc<Release>, timestamp_label: &str) -> Record {
        Record {
            key: key.to_string(),
            namespace: self.namespace_for(&release),
            labels: record_labels(&release, timestamp_label, chrono::Utc::now().timestamp()),
            body: RecordBody::Decoded(release),
        }
    }
}

impl Driver for MemoryDriver {
    fn name(&self) -> &'static str {
        "Memory"
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Record>, Error>> {
        let found = {
            let records = self.lock();
            self.find(&records, key)
                .and_then(|id| records.get(&id).cloned())
        };
        Box::pin(async move { Ok(found) })
    }

    fn query<'a>(&'a self, selector: &'a Labels) -> BoxFuture<'a, Result<Vec<Record>, Error>> {
        let found: Vec<Record> = self
            .lock()
            .values()
            .filter(|r| self.namespace.as_ref().is_none_or(|ns| *ns == r.namespace))
            .filter(|r| matches(&r.labels, selector))
            .cloned()
            .collect();
        Box::pin(async move { Ok(found) })
    }

    fn create<'a>(
        &'a self,
        key: &'a str,
        release: Arc<Release>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        let record = self.record(key, release, LABEL_CREATED_AT);
        let id = (record.namespace.clone(), key.to_string());
        let result = match self.lock().entry(id) {
            std::collections::btree_map::Entry::Occupied(_) => Err(Error::Exists {
                key: key.to_string(),
            }),
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(record);
                Ok(())
            }
        };
        Box::pin(async move { result })
    }

    fn update<'a>(
        &'a self,
        key: &'a str,
        release: Arc<Release>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        let record = self.record(key, release, LABEL_MODIFIED_AT);
        let id = (record.namespace.clone(), key.to_string());
        let result = match self.lock().get_mut(&id) {
            Some(slot) => {
                *slot = record;
                Ok(())
            }
            None => Err(Error::NotFound {
                key: key.to_string(),
            }),
        };
        Box::pin(async move { result })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Record, Error>> {
        let result = {
            let mut records = self.lock();
            self.find(&records, key)
                .and_then(|id| records.remove(&id))
                .ok_or_else(|| Error::NotFound {
                    key: key.to_string(),
                })
        };
        Box::pin(async move { result })
    }
}
