//! The release record codec: JSON, gzipped, base64 — the `release` value of a Helm Secret
//! or ConfigMap (Kubernetes base64s a Secret's data once more on the wire).
//!
//! Helm counterpart: `pkg/storage/driver/util.go` (`encodeRelease`/`decodeRelease`).
//! Decoding accepts plain JSON too (records from before Helm compressed them), told apart
//! by the gzip magic bytes. This module does not know where records live.
use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use crate::release::Release;

/// The first bytes of a gzip stream (with deflate), as Helm checks them.
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

/// Errors encoding or decoding a record.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The record is not base64.
    #[error("record is not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    /// The gzip stream is corrupt.
    #[error("record is not a valid gzip stream: {0}")]
    Gzip(#[source] std::io::Error),
    /// The JSON does not describe a release.
    #[error("record is not a valid release JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Serializes a release to JSON bytes exactly as Go's `encoding/json` would write them:
/// struct field order, no spaces, and `<`, `>`, `&`, U+2028, U+2029 escaped as `\u003c` etc.
pub fn release_json(release: &Release) -> Result<Vec<u8>, CodecError> {
    let mut json = Vec::with_capacity(16 * 1024);
    let mut serializer = serde_json::Serializer::with_formatter(&mut json, GoFormatter);
    serde::Serialize::serialize(release, &mut serializer)?;
    Ok(json)
}

/// serde_json's compact output plus Go's HTML-safe string escaping.
struct GoFormatter;

impl serde_json::ser::Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let escape = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..i])?;
            writer.write_all(escape.as_bytes())?;
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// Encodes a release as Helm does: Go-style JSON, gzip (best compression), standard base64.
pub fn encode_release(release: &Release) -> Result<String, CodecError> {
    let json = release_json(release)?;
    let mut gz = GzEncoder::new(Vec::with_capacity(json.len() / 4), Compression::best());
    gz.write_all(&json).map_err(CodecError::Gzip)?;
    let compressed = gz.finish().map_err(CodecError::Gzip)?;
    Ok(STANDARD.encode(compressed))
}

/// Decodes a record: base64, then gunzip if it starts with gzip's magic, then JSON.
pub fn decode_release(data: &str) -> Result<Release, CodecError> {
    let bytes = STANDARD.decode(data.trim())?;
    decode_release_bytes(&bytes)
}

/// Decodes a record that is already base64-decoded (gzip or plain JSON bytes).
pub fn decode_release_bytes(bytes: &[u8]) -> Result<Release, CodecError> {
    if bytes.starts_with(&GZIP_MAGIC) {
        let mut json = Vec::with_capacity(bytes.len() * 4);
        GzDecoder::new(bytes)
            .read_to_end(&mut json)
            .map_err(CodecError::Gzip)?;
        Ok(serde_json::from_slice(&json)?)
    } else {
        Ok(serde_json::from_slice(bytes)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::{ApplyMethod, Status};
    use crate::test_support::shared_dir;

    /// The `data.release` of a Secret exported by Helm: base64 (Kubernetes) of the record.
    fn fixture_record(revision: u32) -> String {
        let path = shared_dir().join(format!("helm-releases/guestbook-demo.v{revision}.yaml"));
        let secret: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let outer = secret["data"]["release"].as_str().unwrap();
        String::from_utf8(STANDARD.decode(outer).unwrap()).unwrap()
    }

    /// The JSON inside a fixture record, parsed generically, for field-by-field comparison.
    fn fixture_json(revision: u32) -> serde_json::Value {
        let bytes = STANDARD.decode(fixture_record(revision)).unwrap();
        let mut json = Vec::new();
        GzDecoder::new(&bytes[..]).read_to_end(&mut json).unwrap();
        serde_json::from_slice(&json).unwrap()
    }

    #[test]
    fn helm4_records_decode_with_their_fields() {
        let expected = [
            (1, Status::Superseded, "Install complete", None),
            (2, Status::Deployed, "Upgrade complete", None),
            (3, Status::PendingRollback, "Rollback to 1", Some(1)),
        ];
        for (revision, status, description, rollback) in expected {
            let release = decode_release(&fixture_record(revision)).unwrap();
            let json = fixture_json(revision);
            assert_eq!(release.name, "guestbook-demo");
            assert_eq!(release.namespace, "helm-demo");
            assert_eq!(release.revision, revision);
            assert_eq!(release.info.status, status);
            assert_eq!(release.info.description, description);
            assert_eq!(release.info.rollback_revision, rollback);
            assert_eq!(release.apply_method, Some(ApplyMethod::Csa));
            assert_eq!(release.chart.metadata.name, "guestbook");
            assert_eq!(release.manifest, json["manifest"].as_str().unwrap());
            assert_eq!(
                release.info.first_deployed.unwrap().to_string(),
                json["info"]["first_deployed"].as_str().unwrap()
            );
            assert_eq!(
                serde_json::Value::Object(release.config.clone()),
                json.get("config").cloned().unwrap_or(serde_json::json!({}))
            );
            assert_eq!(
                release.chart.templates.len(),
                json["chart"]["templates"].as_array().unwrap().len()
            );
        }
    }

    #[test]
    fn upgrade_record_keeps_the_user_values() {
        let release = decode_release(&fixture_record(2)).unwrap();
        assert_eq!(release.config["service"]["type"], "NodePort");
        assert_eq!(release.config["redis"]["slaveEnabled"], false);
    }

    #[test]
    fn re_encoded_records_decode_to_the_same_json() {
        for revision in 1..=3 {
            let release = decode_release(&fixture_record(revision)).unwrap();
            let again = decode_release(&encode_release(&release).unwrap()).unwrap();
            assert_eq!(
                serde_json::to_value(&again).unwrap(),
                serde_json::to_value(&release).unwrap()
            );
            // Everything Helm wrote survives, the chart's Helm 4 modtimes included.
            let ours = serde_json::to_value(&release).unwrap();
            let helms = fixture_json(revision);
            assert_eq!(ours, helms, "revision {revision}");
        }
    }

    #[test]
    fn release_json_escapes_html_characters_like_go() {
        let mut release = Release {
            name: "a".into(),
            manifest: "x: \"<b>a & b</b>\u{2028}\"".into(),
            ..Release::default()
        };
        release
            .config
            .insert("k".into(), serde_json::json!("<there>"));
        let json = String::from_utf8(release_json(&release).unwrap()).unwrap();
        assert!(
            json.contains(r#""config":{"k":"\u003cthere\u003e"}"#),
            "{json}"
        );
        assert!(
            json.contains(r#"\"\u003cb\u003ea \u0026 b\u003c/b\u003e\u2028\""#),
            "{json}"
        );
        let back: Release = serde_json::from_slice(json.as_bytes()).unwrap();
        assert_eq!(back.manifest, release.manifest);
    }

    #[test]
    fn helm_record_json_is_reproduced_byte_for_byte() {
        for revision in 1..=3 {
            let bytes = STANDARD.decode(fixture_record(revision)).unwrap();
            let mut helms = Vec::new();
            GzDecoder::new(&bytes[..]).read_to_end(&mut helms).unwrap();
            let helms = String::from_utf8(helms).unwrap();
            let release = decode_release(&fixture_record(revision)).unwrap();
            let ours = String::from_utf8(release_json(&release).unwrap()).unwrap();
            assert_eq!(ours, helms, "revision {revision}");
        }
    }

    #[test]
    fn encoded_records_are_gzip_inside_base64() {
        let release = decode_release(&fixture_record(1)).unwrap();
        let bytes = STANDARD.decode(encode_release(&release).unwrap()).unwrap();
        assert!(bytes.starts_with(&GZIP_MAGIC));
    }

    #[test]
    fn plain_json_records_decode_too() {
        let data = STANDARD.encode(
            r#"{"name":"old","version":4,"info":{"status":"deployed","last_deployed":""}}"#,
        );
        let release = decode_release(&data).unwrap();
        assert_eq!((release.name.as_str(), release.revision), ("old", 4));
        assert_eq!(release.info.status, Status::Deployed);
    }

    #[test]
    fn garbage_is_a_typed_error() {
        assert!(matches!(decode_release("%%%"), Err(CodecError::Base64(_))));
        let truncated = STANDARD.encode([0x1f, 0x8b, 0x08, 0, 0]);
        assert!(matches!(
            decode_release(&truncated),
            Err(CodecError::Gzip(_))
        ));
        let not_release = STANDARD.encode("[1,2]");
        assert!(matches!(
            decode_release(&not_release),
            Err(CodecError::Json(_))
        ));
    }
}
