//! Packaging a loaded chart as a `<name>-<version>.tgz` archive that Helm can load.
//!
//! Helm counterpart: `pkg/chart/v2/util/save.go` (`Save`). The archive holds one top folder
//! named after the chart with `Chart.yaml` (re-written from the metadata, keys sorted as
//! `sigs.k8s.io/yaml` writes them; a v1 chart's dependencies stay in `requirements.yaml`),
//! `Chart.lock` (v2 charts), `values.yaml` as it was loaded, `values.schema.json`,
//! templates, other files, and each subchart expanded under `charts/<name>/`. The gzip
//! header carries Helm's comment and extra field. Signing (`.prov`) is not done.
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::validate::{API_VERSION_V1, API_VERSION_V2, validate_metadata};
use super::{Chart, Error};

/// The gzip "extra" bytes Helm writes into every chart archive.
const HELM_GZIP_EXTRA: &[u8] = b"+aHR0cHM6Ly95b3V0dS5iZS96OVV6MWljandyTQo=";

/// Writes `<dest_dir>/<name>-<version>.tgz` (creating `dest_dir`) and returns its path.
pub fn package_chart(chart: &Chart, dest_dir: &Path) -> Result<PathBuf, Error> {
    let data = archive_chart(chart)?;
    std::fs::create_dir_all(dest_dir).map_err(|source| Error::Io {
        path: dest_dir.to_path_buf(),
        source,
    })?;
    let path = dest_dir.join(format!(
        "{}-{}.tgz",
        chart.metadata.name, chart.metadata.version
    ));
    std::fs::write(&path, data).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// The chart as gzipped tar bytes (see the module docs for the layout).
pub fn archive_chart(chart: &Chart) -> Result<Vec<u8>, Error> {
    let mut md = chart.metadata.clone();
    validate_metadata(&mut md).map_err(|m| Error::Validation(format!("chart validation: {m}")))?;
    let gz = flate2::GzBuilder::new()
        .extra(HELM_GZIP_EXTRA.to_vec())
        .comment("Helm")
        .write(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mtime = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    write_chart(&mut tar, chart, "", mtime)?;
    let gz = tar.into_inner().map_err(archive_err)?;
    gz.finish().map_err(archive_err)
}

fn archive_err(e: std::io::Error) -> Error {
    Error::Archive(format!("writing chart archive: {e}"))
}

fn write_chart<W: Write>(
    tar: &mut tar::Builder<W>,
    chart: &Chart,
    prefix: &str,
    mtime: u64,
) -> Result<(), Error> {
    let name = &chart.metadata.name;
    if name.is_empty() || name.contains('/') || name.contains('\\') || name == "." || name == ".." {
        return Err(Error::Validation(format!(
            "chart.metadata.name {name:?} is invalid"
        )));
    }
    let base = if prefix.is_empty() {
        name.clone()
    } else {
        format!("{prefix}/{name}")
    };
    let mut md = chart.metadata.clone();
    if md.api_version == API_VERSION_V1 {
        md.dependencies.clear();
    }
    put(tar, &format!("{base}/Chart.yaml"), &to_yaml(&md)?, mtime)?;
    if chart.metadata.api_version == API_VERSION_V2
        && let Some(lock) = &chart.lock
    {
        put(tar, &format!("{base}/Chart.lock"), &to_yaml(lock)?, mtime)?;
    }
    match &chart.raw_values {
        Some(raw) => put(tar, &format!("{base}/values.yaml"), raw, mtime)?,
        None if !chart.values.is_empty() => put(
            tar,
            &format!("{base}/values.yaml"),
            &to_yaml(&chart.values)?,
            mtime,
        )?,
        None => {}
    }
    if let Some(schema) = &chart.schema {
        if serde_json::from_slice::<Value>(schema).is_err() {
            return Err(Error::Archive("invalid JSON in values.schema.json".into()));
        }
        put(tar, &format!("{base}/values.schema.json"), schema, mtime)?;
    }
    for file in chart.templates.iter().chain(&chart.files) {
        put(tar, &format!("{base}/{}", file.name), &file.data, mtime)?;
    }
    for sub in &chart.dependencies {
        write_chart(tar, sub, &format!("{base}/charts"), mtime)?;
    }
    Ok(())
}

/// YAML as `sigs.k8s.io/yaml` writes it: through JSON, so map keys come out sorted.
fn to_yaml<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    let json =
        serde_json::to_value(value).map_err(|e| Error::Archive(format!("encoding YAML: {e}")))?;
    Ok(crate::values::to_yaml_string(&json).into_bytes())
}

fn put<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    body: &[u8],
    mtime: u64,
) -> Result<(), Error> {
    let mut header = tar::Header::new_ustar();
    header.set_mode(0o644);
    header.set_size(body.len() as u64);
    header.set_mtime(mtime);
    header.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut header, name, body)
        .map_err(archive_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{ChartFile, load_archive, load_chart};
    use crate::test_support::shared_dir;

    #[test]
    fn a_packaged_chart_loads_back_with_the_same_content() {
        let original = load_chart(shared_dir().join("conformance/wordpress/chart")).unwrap();
        let data = archive_chart(&original).unwrap();
        let back = load_archive(&data).unwrap();
        assert_eq!(back.metadata, original.metadata);
        assert_eq!(back.values, original.values);
        // Archives carry whole-second times of their own: compare names and contents.
        let content = |files: &[ChartFile]| {
            files
                .iter()
                .map(|f| (f.name.clone(), f.data.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(content(&back.templates), content(&original.templates));
        assert_eq!(content(&back.files), content(&original.files));
        assert!(back.templates.iter().all(|f| f.modtime.is_some()));
        assert_eq!(back.schema, original.schema);
        let names = |c: &Chart| {
            c.dependencies
                .iter()
                .map(|d| d.metadata.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&back), names(&original));
        assert_eq!(back.raw_values, original.raw_values);
    }

    #[test]
    fn the_archive_is_named_after_name_and_version_and_has_helms_gzip_header() {
        let tmp = tempfile::tempdir().unwrap();
        let chart = load_chart(shared_dir().join("conformance/guestbook/chart")).unwrap();
        let path = package_chart(&chart, &tmp.path().join("out")).unwrap();
        assert_eq!(path.file_name().unwrap(), "guestbook-0.2.0.tgz");
        let data = std::fs::read(&path).unwrap();
        let gz = flate2::read::GzDecoder::new(&data[..]);
        let header = gz.header().unwrap();
        assert_eq!(header.comment(), Some(&b"Helm"[..]));
        assert_eq!(header.extra(), Some(HELM_GZIP_EXTRA));
    }

    #[test]
    fn strings_that_look_like_other_types_survive_the_round_trip() {
        let mut chart = load_chart(shared_dir().join("conformance/guestbook/chart")).unwrap();
        chart.metadata.app_version = "1.10".into();
        chart.metadata.description = "yes".into();
        chart.metadata.keywords = vec!["on".into(), "0x10".into(), "~".into(), "2021-01-01".into()];
        let back = load_archive(&archive_chart(&chart).unwrap()).unwrap();
        assert_eq!(back.metadata, chart.metadata);
    }

    #[test]
    fn an_invalid_chart_is_not_packaged() {
        let chart = Chart::default();
        assert!(archive_chart(&chart).is_err());
    }
}
