//! Releases: Helm's release record model (revision, status, hooks) and the manifest
//! pipeline from rendered templates to sorted, framed documents.
//!
//! Helm counterpart: `pkg/release/v1` and `pkg/release/v1/util`. Synchronous and
//! side-effect free: storing records is `storage`'s job, applying them `kube`'s.
pub mod hook;
pub mod manifest;
pub mod model;
pub mod status;

pub use hook::{Hook, HookDeletePolicy, HookEvent, HookExecution, HookOutputLogPolicy, HookPhase};
pub use manifest::{Document, KindOrder, SortedManifests};
pub use model::{ApplyMethod, Info, Release, Timestamp};
pub use status::Status;
