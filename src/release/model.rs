//! A release revision as Helm stores it: `Release`, `Info`, apply method and Go-style times.
//!
//! Helm counterpart: `pkg/release/v1/release.go` and `info.go`. The serde shape is Helm 4's
//! JSON exactly (field names, `omitempty`/`omitzero` behaviour), and Helm 3 records read
//! too: zero times written as `""` or `"0001-01-01T00:00:00Z"`, no `apply_method`.
//! The chart inside keeps Helm 4's `modtime`/`schemamodtime` fields (see `chart::Chart`).
//! This module does not encode records (see `storage::codec`).
use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::hook::Hook;
use super::status::Status;
use crate::chart::Chart;

/// One revision of a release: the chart, the user's values, the rendered manifest and hooks.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Release {
    /// Release name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// State and timestamps of this revision.
    #[serde(default, deserialize_with = "null_as_default")]
    pub info: Info,
    /// The chart that was released (without subcharts' loaded tree).
    #[serde(default, deserialize_with = "null_as_default")]
    pub chart: Chart,
    /// The values the user supplied (not coalesced with chart defaults).
    #[serde(
        default,
        skip_serializing_if = "Map::is_empty",
        serialize_with = "crate::values::go_json::serialize",
        deserialize_with = "crate::values::go_json::deserialize"
    )]
    pub config: Map<String, Value>,
    /// Rendered non-hook documents, `---\n# Source: <path>\n<doc>\n` blocks.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub manifest: String,
    /// Hooks declared by the chart, in kind order.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub hooks: Vec<Hook>,
    /// Revision number, starting at 1 (Helm's JSON calls it `version`).
    #[serde(rename = "version", default, skip_serializing_if = "is_zero")]
    pub revision: u32,
    /// Namespace the release lives in.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// User labels of the release; stored as storage-object labels, never in the JSON.
    #[serde(skip)]
    pub labels: BTreeMap<String, String>,
    /// How resources were applied; `None` (old records) means client-side apply.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "apply_method_opt"
    )]
    pub apply_method: Option<ApplyMethod>,
}

impl Release {
    /// Sets the status and the description together (Helm's `SetStatus`).
    pub fn set_status(&mut self, status: Status, description: impl Into<String>) {
        self.info.status = status;
        self.info.description = description.into();
    }
}

/// Whether a release's resources were applied client-side or server-side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApplyMethod {
    /// Client-side apply (three-way merge), Helm's historical behaviour.
    Csa,
    /// Server-side apply.
    Ssa,
}

/// State, timestamps and notes of one revision (Helm's `Info`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Info {
    /// When revision 1 of the release was deployed.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time_opt")]
    pub first_deployed: Option<Timestamp>,
    /// When this revision was deployed.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time_opt")]
    pub last_deployed: Option<Timestamp>,
    /// When the release was uninstalled.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time_opt")]
    pub deleted: Option<Timestamp>,
    /// Human-readable log entry (`Install complete`, `Rollback to 1`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Lifecycle state.
    #[serde(default)]
    pub status: Status,
    /// For a rollback revision, the revision it rolled back to.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "zero_as_none"
    )]
    pub rollback_revision: Option<u32>,
    /// Rendered `NOTES.txt`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// Deployed resources by kind, as Helm's `status --show-resources` stores them.
    #[serde(
        default,
        skip_serializing_if = "Map::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub resources: Map<String, Value>,
}

/// A point in time with its UTC offset, written like Go's `time.Time` JSON (RFC 3339 with
/// trailing-zero-trimmed nanoseconds, `Z` for UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<FixedOffset>);

impl Timestamp {
    /// The current time in UTC.
    pub fn now() -> Self {
        Timestamp(Utc::now().fixed_offset())
    }

    /// Parses RFC 3339 text; `None` for Go's zero time or an empty string.
    pub fn parse(text: &str) -> Result<Option<Self>, chrono::ParseError> {
        if text.is_empty() {
            return Ok(None);
        }
        let time = DateTime::parse_from_rfc3339(text)?;
        if is_go_zero_time(time.with_timezone(&Utc)) {
            return Ok(None);
        }
        Ok(Some(Timestamp(time)))
    }
}

/// Go's zero `time.Time`: 0001-01-01T00:00:00Z.
fn is_go_zero_time(time: DateTime<Utc>) -> bool {
    (time.year(), time.month(), time.day()) == (1, 1, 1)
        && (time.hour(), time.minute(), time.second(), time.nanosecond()) == (0, 0, 0, 0)
}

impl fmt::Display for Timestamp {
    /// Go's `time.RFC3339Nano`: `2006-01-02T15:04:05.999999999Z07:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let time = self.0;
        write!(f, "{}", time.format("%Y-%m-%dT%H:%M:%S"))?;
        let nanos = time.nanosecond() % 1_000_000_000;
        if nanos != 0 {
            let digits = format!("{nanos:09}");
            write!(f, ".{}", digits.trim_end_matches('0'))?;
        }
        let offset = time.offset().local_minus_utc();
        if offset == 0 {
            f.write_str("Z")
        } else {
            let sign = if offset < 0 { '-' } else { '+' };
            let abs = offset.abs();
            write!(f, "{sign}{:02}:{:02}", abs / 3600, (abs % 3600) / 60)
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

pub(crate) mod time_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Timestamp;

    pub fn serialize<S: Serializer>(time: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match time {
            Some(time) => s.collect_str(time),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) => Timestamp::parse(&text).map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

pub(crate) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn zero_as_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Ok(Option::<u32>::deserialize(d)?.filter(|n| *n != 0))
}

fn apply_method_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ApplyMethod>, D::Error> {
    match Option::<String>::deserialize(d)?.as_deref() {
        None | Some("") => Ok(None),
        Some("csa") => Ok(Some(ApplyMethod::Csa)),
        Some("ssa") => Ok(Some(ApplyMethod::Ssa)),
        Some(other) => Err(serde::de::Error::custom(format!(
            "unknown apply_method {other:?} (expected \"csa\" or \"ssa\")"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap().unwrap()
    }

    #[test]
    fn timestamps_print_like_go_rfc3339_nano() {
        for text in [
            "2026-11-27T08:16:55.897087525Z",
            "2026-11-27T08:11:36.92796532Z",
            "2026-11-27T08:11:36Z",
            "2020-01-02T03:04:05.5+01:00",
            "2020-01-02T03:04:05.000000001-07:30",
        ] {
            assert_eq!(parse(text).to_string(), text);
        }
    }

    #[test]
    fn trailing_fraction_zeros_are_trimmed() {
        assert_eq!(
            parse("2026-11-27T08:11:36.900Z").to_string(),
            "2026-11-27T08:11:36.9Z"
        );
        assert_eq!(
            parse("2026-11-27T08:11:36.000Z").to_string(),
            "2026-11-27T08:11:36Z"
        );
    }

    #[test]
    fn go_zero_time_and_empty_string_read_as_absent() {
        assert_eq!(Timestamp::parse("0001-01-01T00:00:00Z").unwrap(), None);
        assert_eq!(Timestamp::parse("").unwrap(), None);
    }

    #[test]
    fn helm3_info_with_empty_and_zero_times_reads() {
        let info: Info = serde_json::from_str(
            r#"{"first_deployed":"2020-05-01T10:00:00.1+02:00","last_deployed":"",
                "deleted":"0001-01-01T00:00:00Z","description":"Install complete",
                "status":"deployed"}"#,
        )
        .unwrap();
        assert_eq!(info.status, Status::Deployed);
        assert!(info.first_deployed.is_some());
        assert_eq!(info.last_deployed, None);
        assert_eq!(info.deleted, None);
        let json = serde_json::to_string(&info).unwrap();
        assert_eq!(
            json,
            r#"{"first_deployed":"2020-05-01T10:00:00.1+02:00","description":"Install complete","status":"deployed"}"#
        );
    }

    #[test]
    fn info_serializes_fields_in_helm_order_with_rollback_revision() {
        let info = Info {
            first_deployed: Some(parse("2026-11-27T08:16:55.897087525Z")),
            last_deployed: Some(parse("2026-11-27T08:16:59.119385635Z")),
            description: "Rollback to 1".into(),
            status: Status::PendingRollback,
            rollback_revision: Some(1),
            notes: "hi".into(),
            ..Info::default()
        };
        assert_eq!(
            serde_json::to_string(&info).unwrap(),
            r#"{"first_deployed":"2026-11-27T08:16:55.897087525Z","last_deployed":"2026-11-27T08:16:59.119385635Z","description":"Rollback to 1","status":"pending-rollback","rollback_revision":1,"notes":"hi"}"#
        );
    }

    #[test]
    fn empty_release_fields_are_omitted_like_go_omitempty() {
        let release = Release {
            name: "demo".into(),
            revision: 2,
            ..Release::default()
        };
        let json = serde_json::to_value(&release).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["chart", "info", "name", "version"]);
        assert_eq!(json["version"], 2);
    }

    #[test]
    fn missing_or_empty_apply_method_reads_as_none() {
        let a: Release = serde_json::from_str(r#"{"name":"a","version":1}"#).unwrap();
        let b: Release = serde_json::from_str(r#"{"name":"a","apply_method":""}"#).unwrap();
        let c: Release = serde_json::from_str(r#"{"name":"a","apply_method":"ssa"}"#).unwrap();
        assert_eq!(a.apply_method, None);
        assert_eq!(b.apply_method, None);
        assert_eq!(c.apply_method, Some(ApplyMethod::Ssa));
        assert!(serde_json::from_str::<Release>(r#"{"apply_method":"xsa"}"#).is_err());
    }

    #[test]
    fn set_status_changes_status_and_description() {
        let mut release = Release::default();
        release.set_status(Status::Failed, "Upgrade failed: boom");
        assert_eq!(release.info.status, Status::Failed);
        assert_eq!(release.info.description, "Upgrade failed: boom");
    }
}
