//! Loading a chart from a directory or a `.tgz` archive into a [`Chart`].
//!
//! Helm counterpart: `pkg/chart/v2/loader` (`load.go` `LoadFiles`, `directory.go`,
//! `archive.go`) and `internal/ignore`. Files are sorted into `Chart.yaml`, `Chart.lock` /
//! `requirements.lock`, `values.yaml`, `values.schema.json`, `requirements.yaml` (v1),
//! `templates/…`, `charts/…` (subcharts: folders and `.tgz`, loaded recursively; names
//! starting with `_` or `.` are skipped) and everything else (`files`, for `.Files`).
//! `.helmignore` applies to the top directory only; archives are read in memory, their one
//! top folder stripped, and absolute or escaping paths refused. A UTF-8 BOM is dropped from
//! each file. Nothing is written to disk.
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Map, Value};

use super::helmignore::IgnoreRules;
use super::validate::{API_VERSION_V1, validate_metadata};
use super::{Chart, ChartFile, Error, Metadata, ModTime};
use crate::values::yaml;

/// Largest total decompressed size of a chart archive (Helm's `MaxDecompressedChartSize`).
pub const MAX_DECOMPRESSED_CHART_SIZE: u64 = 100 * 1024 * 1024;
/// Largest decompressed size of one file (Helm's `MaxDecompressedFileSize`).
pub const MAX_DECOMPRESSED_FILE_SIZE: u64 = 5 * 1024 * 1024;

const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// Loads a chart from a directory or a `.tgz` file (Helm's `loader.Load`).
pub fn load_chart(path: impl AsRef<Path>) -> Result<Chart, Error> {
    load_chart_then(path, |_| {})
}

/// [`load_chart`], showing `on_read` the chart's files (named from the top chart:
/// `templates/x.yaml`, `charts/sub/templates/y.yaml`) as soon as they are read, while the
/// values files are still being parsed, so that the caller can start work on the others
/// meanwhile. For a directory, `on_read` sees every file but the values files (which are
/// read with their parsing); for an archive, every file. Not called when reading fails.
pub fn load_chart_then(
    path: impl AsRef<Path>,
    on_read: impl FnOnce(&[ChartFile]),
) -> Result<Chart, Error> {
    let path = path.as_ref();
    let meta = std::fs::metadata(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        load_dir_then(path, on_read)
    } else {
        let data = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if !data.starts_with(&[0x1f, 0x8b]) {
            return Err(Error::Archive(format!(
                "file '{}' does not appear to be a gzipped archive; got '{}'",
                path.display(),
                sniff_content_type(&data)
            )));
        }
        let files = archive_files(&data)?;
        on_read(&files);
        load_files(files)
    }
}

/// Loads a chart directory, honouring its `.helmignore` (Helm's `LoadDir`).
pub fn load_dir(dir: &Path) -> Result<Chart, Error> {
    load_dir_then(dir, |_| {})
}

fn load_dir_then(dir: &Path, on_read: impl FnOnce(&[ChartFile])) -> Result<Chart, Error> {
    let ignore_path = dir.join(".helmignore");
    let rules = if ignore_path.is_file() {
        let text = std::fs::read_to_string(&ignore_path).map_err(|source| Error::Io {
            path: ignore_path.clone(),
            source,
        })?;
        IgnoreRules::parse(&text).map_err(|source| Error::Ignore {
            path: ignore_path.clone(),
            source,
        })?
    } else {
        IgnoreRules::defaults()
    };
    let mut found = Vec::new();
    let walked = walk(dir, "", &rules, &mut found);
    let (files, mut parsed) = read_found(&found, walked.is_ok(), on_read)?;
    walked?;
    build_chart(files, "", &mut parsed)
}

/// A file [`walk`] found, still to be read.
struct Found {
    rel: String,
    path: PathBuf,
}

/// Below this many files to read, a second reading thread costs more than it saves.
const PARALLEL_READ_FILES: usize = 64;
/// Files at least this big are mapped rather than read: no copy, no fresh pages, and
/// nothing at all for the parts never looked at (most charts' CRDs, READMEs).
const MAP_FILE_SIZE: u64 = 64 * 1024;

/// Values files parsed while loading, by path from the top chart; successes only.
type ParsedValues = HashMap<String, Map<String, Value>>;

/// Whether `rel` is the `values.yaml` of the top chart or of a subchart folder in it.
fn is_values_path(rel: &str) -> bool {
    path_in_own_chart(rel) == "values.yaml"
}

/// `rel` (a path from the top chart) from the chart folder that holds it: every leading
/// `charts/<sub>/` taken off (`charts/a/charts/b/templates/x.yaml` → `templates/x.yaml`).
pub fn path_in_own_chart(rel: &str) -> &str {
    let mut rest = rel;
    while let Some((sub, inner)) = rest.strip_prefix("charts/").and_then(|r| r.split_once('/'))
        && !sub.is_empty()
    {
        rest = inner;
    }
    rest
}

/// Runs `job` on the items that `next` hands out, one at a time, until none is left, and
/// returns the results: threads sharing one `next` share the items.
fn take_each<T, R>(items: &[T], next: &AtomicUsize, job: impl Fn(&T) -> R) -> Vec<R> {
    let mut done = Vec::new();
    while let Some(item) = items.get(next.fetch_add(1, Ordering::Relaxed)) {
        done.push(job(item));
    }
    done
}

/// A found file and its place among them.
type Numbered<'f> = (usize, &'f Found);

/// Reads the found files and parses the values files among them, and returns the files in
/// order (or the first read error in that order) with the values that parsed. Parsing
/// values files is the longest part of loading, so they are read and parsed on a thread
/// of their own from the start, while the other files are read (on two threads when there
/// are enough); `on_read` then sees those (if all were read and `walked` is true), and this
/// thread helps with the values files left. A values file that does not parse is left
/// out: [`build_chart`] parses it again in its turn, so errors come exactly as in order.
fn read_found(
    found: &[Found],
    walked: bool,
    on_read: impl FnOnce(&[ChartFile]),
) -> Result<(Vec<ChartFile>, ParsedValues), Error> {
    let (values, others): (Vec<Numbered>, Vec<Numbered>) = found
        .iter()
        .enumerate()
        .partition(|(_, f)| is_values_path(&f.rel));
    let (next_value, next_other) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let load_values = || {
        take_each(&values, &next_value, |&(at, f)| {
            let loaded = read_file(&f.path, &f.rel).map(|file| {
                let parsed = yaml::parse_values(&file.text()).ok();
                (file, parsed)
            });
            (at, loaded)
        })
    };
    let read_others = || {
        take_each(&others, &next_other, |&(at, f)| {
            (at, read_file(&f.path, &f.rel))
        })
    };
    let mut slots: Vec<Option<Result<ChartFile, Error>>> = found.iter().map(|_| None).collect();
    let mut parsed = ParsedValues::new();
    std::thread::scope(|scope| {
        let values_helper = std::thread::Builder::new()
            .name("rhelm-values".into())
            .spawn_scoped(scope, move || {
                crate::threads::prepare_worker();
                load_values()
            });
        let reader = (others.len() >= PARALLEL_READ_FILES).then(|| {
            std::thread::Builder::new()
                .name("rhelm-load".into())
                .spawn_scoped(scope, read_others)
        });
        let mut read = read_others();
        // A helper that could not start left its files to this thread.
        if let Some(Ok(handle)) = reader {
            read.extend(join(handle));
        }
        read.sort_unstable_by_key(|&(at, _)| at);
        if walked && read.iter().all(|(_, file)| file.is_ok()) {
            let (at, files): (Vec<usize>, Vec<ChartFile>) = (read.into_iter())
                .filter_map(|(at, file)| Some((at, file.ok()?)))
                .unzip();
            on_read(&files);
            for (at, file) in at.into_iter().zip(files) {
                slots[at] = Some(Ok(file));
            }
        } else {
            for (at, file) in read {
                slots[at] = Some(file);
            }
        }
        let mut loaded = load_values();
        if let Ok(handle) = values_helper {
            loaded.extend(join(handle));
        }
        for (at, result) in loaded {
            slots[at] = Some(result.map(|(file, values)| {
                if let Some(values) = values {
                    parsed.insert(file.name.clone(), values);
                }
                file
            }));
        }
    });
    // Every file was read by one of the threads above.
    let files = slots.into_iter().flatten().collect::<Result<Vec<_>, _>>()?;
    Ok((files, parsed))
}

/// The result of a scoped helper thread (its panic goes on here).
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    match handle.join() {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// The file at `path`, named `rel`: its contents (a UTF-8 BOM dropped) and modification
/// time. Refuses a file larger than Helm's limit.
fn read_file(path: &Path, rel: &str) -> Result<ChartFile, Error> {
    let io_error = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io_error)?;
    let meta = file.metadata().map_err(io_error)?;
    let len = meta.len();
    if len > MAX_DECOMPRESSED_FILE_SIZE {
        return Err(Error::Archive(format!(
            "chart file {rel:?} is larger than the maximum file size {MAX_DECOMPRESSED_FILE_SIZE}"
        )));
    }
    let data = if len < MAP_FILE_SIZE {
        let mut data = Vec::with_capacity(len as usize);
        // Up to the size just read: no extra `read` only to find the end.
        (&mut file)
            .take(len)
            .read_to_end(&mut data)
            .map_err(io_error)?;
        strip_bom(data).into()
    } else {
        // SAFETY: the map is only read, through the `Bytes` that owns it. Like every
        // program that maps files (ripgrep, git), this relies on the file not being
        // truncated or rewritten while the chart is in use: loading a chart that is being
        // written is unreliable anyway, read or mapped.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io_error)?;
        let data = bytes::Bytes::from_owner(map);
        if data.starts_with(UTF8_BOM) {
            data.slice(UTF8_BOM.len()..)
        } else {
            data
        }
    };
    Ok(ChartFile {
        name: rel.to_string(),
        data,
        modtime: meta.modified().ok().map(ModTime::File),
    })
}

/// Recursively finds the files to load in lexical order (Go's `filepath.Walk`), following
/// symlinks. On an error, `out` holds the files found before it.
fn walk(dir: &Path, prefix: &str, rules: &IgnoreRules, out: &mut Vec<Found>) -> Result<(), Error> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    let mut entries: Vec<(String, PathBuf, std::fs::FileType)> = std::fs::read_dir(dir)
        .map_err(io_err(dir))?
        .map(|e| {
            let e = e?;
            Ok((
                e.file_name().to_string_lossy().into_owned(),
                e.path(),
                e.file_type()?,
            ))
        })
        .collect::<Result<_, std::io::Error>>()
        .map_err(io_err(dir))?;
    entries.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    for (name, path, file_type) in entries {
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        // The directory entry tells files and folders apart; only a symbolic link (followed,
        // as Helm does) or an entry of unknown type costs a `stat`. A file's size and time
        // come from the open file when it is read.
        let file_type = if file_type.is_file() || file_type.is_dir() {
            file_type
        } else {
            std::fs::metadata(&path).map_err(io_err(&path))?.file_type()
        };
        if file_type.is_dir() {
            if !rules.ignores(&rel, true) {
                walk(&path, &rel, rules, out)?;
            }
            continue;
        }
        if rules.ignores(&rel, false) {
            continue;
        }
        if !file_type.is_file() {
            return Err(Error::Archive(format!(
                "cannot load irregular file {} as it has file mode type bits set",
                path.display()
            )));
        }
        out.push(Found { rel, path });
    }
    Ok(())
}

/// Loads a gzipped tar chart archive held in memory (Helm's `LoadArchive`).
pub fn load_archive(data: &[u8]) -> Result<Chart, Error> {
    load_files(archive_files(data)?)
}

/// Reads the files of a chart archive, stripping the top folder and refusing unsafe paths.
fn archive_files(data: &[u8]) -> Result<Vec<ChartFile>, Error> {
    let arch = |m: String| Error::Archive(m);
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(data));
    let mut files = Vec::new();
    let mut remaining = MAX_DECOMPRESSED_CHART_SIZE;
    let entries = archive
        .entries()
        .map_err(|e| arch(format!("reading chart archive: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| arch(format!("reading chart archive: {e}")))?;
        let kind = entry.header().entry_type();
        if !(kind.is_file()
            || kind == tar::EntryType::Continuous
            || kind == tar::EntryType::GNUSparse)
        {
            continue;
        }
        let raw_name = String::from_utf8_lossy(&entry.path_bytes()).replace('\\', "/");
        let parts: Vec<&str> = raw_name.split('/').collect();
        let rel = parts[1..].join("/");
        if rel.starts_with('/') {
            return Err(arch("chart illegally contains absolute paths".into()));
        }
        let rel = clean_path(&rel);
        if rel == "." {
            return Err(arch(format!(
                "chart illegally contains content outside the base directory: {raw_name:?}"
            )));
        }
        if rel.starts_with("..") {
            return Err(arch("chart illegally references parent directory".into()));
        }
        let bytes = rel.as_bytes();
        if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
            return Err(arch("chart contains illegally named files".into()));
        }
        if parts[0] == "Chart.yaml" {
            return Err(arch("chart yaml not in base directory".into()));
        }
        let size = entry.header().size().unwrap_or(0);
        if size > remaining {
            return Err(arch(format!(
                "decompressed chart is larger than the maximum size {MAX_DECOMPRESSED_CHART_SIZE}"
            )));
        }
        if size > MAX_DECOMPRESSED_FILE_SIZE {
            return Err(arch(format!(
                "decompressed chart file {rel:?} is larger than the maximum file size {MAX_DECOMPRESSED_FILE_SIZE}"
            )));
        }
        let mut buf = Vec::with_capacity(size as usize);
        (&mut entry)
            .take(MAX_DECOMPRESSED_FILE_SIZE + 1)
            .read_to_end(&mut buf)
            .map_err(|e| arch(format!("reading {rel}: {e}")))?;
        remaining = remaining.saturating_sub(buf.len() as u64);
        let modtime = (entry.header().mtime().ok()).map(|secs| {
            ModTime::File(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        });
        files.push(ChartFile {
            name: rel,
            data: strip_bom(buf).into(),
            modtime,
        });
    }
    if files.is_empty() {
        return Err(arch("no files in chart archive".into()));
    }
    Ok(files)
}

/// Go's `path.Clean` for `/`-separated relative paths.
fn clean_path(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if matches!(out.last(), Some(&last) if last != "..") {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    if out.is_empty() {
        ".".into()
    } else {
        out.join("/")
    }
}

fn strip_bom(mut data: Vec<u8>) -> Vec<u8> {
    if data.starts_with(UTF8_BOM) {
        data.drain(..UTF8_BOM.len());
    }
    data
}

fn sniff_content_type(data: &[u8]) -> &'static str {
    if data.is_empty() || std::str::from_utf8(&data[..data.len().min(512)]).is_ok() {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    }
}

/// Builds a chart from its files (names relative to the chart root), as Helm's `LoadFiles`.
pub fn load_files(files: Vec<ChartFile>) -> Result<Chart, Error> {
    build_chart(files, "", &mut ParsedValues::new())
}

/// [`load_files`] for the chart at `prefix` (`""`, `charts/sub/`, …) of a loaded tree,
/// taking its values from `parsed` when they were parsed while loading.
fn build_chart(
    files: Vec<ChartFile>,
    prefix: &str,
    parsed: &mut ParsedValues,
) -> Result<Chart, Error> {
    let mut chart = Chart::default();
    let mut metadata: Option<Metadata> = None;
    let mut subcharts: BTreeMap<String, Vec<ChartFile>> = BTreeMap::new();
    // Chart.yaml first, whatever the file order (Helm does the same).
    if let Some(file) = files.iter().find(|f| f.name == "Chart.yaml") {
        let doc = parse_yaml_file(file)?;
        let mut md = metadata_from_json(doc, None).map_err(|message| Error::BadFile {
            file: file.name.clone(),
            message,
        })?;
        if md.api_version.is_empty() {
            md.api_version = API_VERSION_V1.to_string();
        }
        metadata = Some(md);
    }
    for file in files {
        match file.name.as_str() {
            "Chart.yaml" => chart.modtime = file.modtime,
            "Chart.lock" | "requirements.lock" => {
                chart.lock = Some(parse_yaml_file(&file)?);
                let is_v1 = metadata
                    .as_ref()
                    .is_some_and(|m| m.api_version == API_VERSION_V1);
                if file.name == "requirements.lock" && is_v1 {
                    chart.files.push(file);
                }
            }
            "values.yaml" => {
                chart.values = match parsed.remove(&format!("{prefix}values.yaml")) {
                    Some(values) => values,
                    None => yaml::parse_values(&file.text()).map_err(|source| Error::Yaml {
                        file: file.name.clone(),
                        source,
                    })?,
                };
                chart.raw_values = Some(file.data);
            }
            "values.schema.json" => {
                chart.schemamodtime = file.modtime;
                chart.schema = Some(file.data.to_vec());
            }
            "requirements.yaml" => {
                let doc = parse_yaml_file(&file)?;
                let base = metadata.take().unwrap_or_default();
                let is_v1 = base.api_version == API_VERSION_V1;
                let md = metadata_from_json(doc, Some(base)).map_err(|message| Error::BadFile {
                    file: file.name.clone(),
                    message,
                })?;
                metadata = Some(md);
                if is_v1 {
                    chart.files.push(file);
                }
            }
            name if name.starts_with("templates/") => chart.templates.push(file),
            name if name.starts_with("charts/") => {
                if name.ends_with(".prov") {
                    chart.files.push(file);
                    continue;
                }
                let rest = &name["charts/".len()..];
                let (sub, inner) = rest.split_once('/').unwrap_or((rest, rest));
                let sub = sub.to_string();
                let inner = inner.to_string();
                subcharts.entry(sub).or_default().push(ChartFile {
                    name: inner,
                    data: file.data,
                    modtime: file.modtime,
                });
            }
            _ => chart.files.push(file),
        }
    }
    let mut md = metadata.ok_or(Error::MissingChartYaml)?;
    validate_metadata(&mut md).map_err(Error::Validation)?;
    chart.metadata = md;
    for (name, files) in subcharts {
        if name.starts_with('_') || name.starts_with('.') {
            continue;
        }
        let wrap = |source: Error| Error::Subchart {
            name: name.clone(),
            parent: chart.metadata.name.clone(),
            source: Box::new(source),
        };
        let sub = if name.ends_with(".tgz") {
            let Some(file) = files.first() else { continue };
            if file.name != name {
                return Err(Error::Archive(format!(
                    "error unpacking subchart tar in {}: expected {}, got {}",
                    chart.metadata.name, name, file.name
                )));
            }
            load_archive(&file.data).map_err(wrap)?
        } else {
            // Files directly in charts/ (not in a folder) are not part of any subchart.
            let inner: Vec<ChartFile> = files.into_iter().filter(|f| f.name != name).collect();
            build_chart(inner, &format!("{prefix}charts/{name}/"), parsed).map_err(wrap)?
        };
        chart.dependencies.push(sub);
    }
    Ok(chart)
}

/// The name in the top chart's `Chart.yaml` among `files` (as [`load_chart_then`] shows
/// them), if there is one.
pub fn top_chart_name(files: &[ChartFile]) -> Option<String> {
    let file = files.iter().find(|f| f.name == "Chart.yaml")?;
    match parse_yaml_file(file).ok()? {
        Value::Object(mut doc) => match doc.remove("name")? {
            Value::String(name) => Some(name),
            _ => None,
        },
        _ => None,
    }
}

fn parse_yaml_file(file: &ChartFile) -> Result<Value, Error> {
    yaml::parse_document(&file.text()).map_err(|source| Error::Yaml {
        file: file.name.clone(),
        source,
    })
}

/// Fills metadata from parsed YAML. Like `sigs.k8s.io/yaml`, scalars given for string fields
/// (`version: 1.0`, `appVersion: 2`) are turned into strings; nulls leave the field as is.
/// `base` carries fields already set (when `requirements.yaml` adds dependencies).
fn metadata_from_json(doc: Value, base: Option<Metadata>) -> Result<Metadata, String> {
    let mut doc = match doc {
        Value::Object(map) => map,
        Value::Null => serde_json::Map::new(),
        other => return Err(format!("cannot unmarshal {other} into chart metadata")),
    };
    const STRING_FIELDS: &[&str] = &[
        "name",
        "home",
        "version",
        "description",
        "icon",
        "apiVersion",
        "condition",
        "tags",
        "appVersion",
        "kubeVersion",
        "type",
    ];
    stringify_fields(&mut doc, STRING_FIELDS);
    for list in ["sources", "keywords"] {
        if let Some(Value::Array(items)) = doc.get_mut(list) {
            items.iter_mut().for_each(stringify_scalar);
        }
    }
    if let Some(Value::Object(ann)) = doc.get_mut("annotations") {
        ann.values_mut().for_each(stringify_scalar);
    }
    if let Some(Value::Array(ms)) = doc.get_mut("maintainers") {
        for m in ms.iter_mut() {
            if let Value::Object(m) = m {
                stringify_fields(m, &["name", "email", "url"]);
            }
        }
    }
    if let Some(Value::Array(deps)) = doc.get_mut("dependencies") {
        for d in deps.iter_mut() {
            if let Value::Object(d) = d {
                stringify_fields(d, &["name", "version", "repository", "condition", "alias"]);
                if let Some(Value::Array(tags)) = d.get_mut("tags") {
                    tags.iter_mut().for_each(stringify_scalar);
                }
            }
        }
    }
    // Overlay onto the existing metadata, as Go unmarshals into an existing struct.
    let mut merged = match base {
        Some(md) => match serde_json::to_value(md) {
            Ok(Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        },
        None => serde_json::Map::new(),
    };
    for (k, v) in doc {
        merged.insert(k, v);
    }
    merged.entry("name").or_insert(Value::String(String::new()));
    merged
        .entry("version")
        .or_insert(Value::String(String::new()));
    serde_json::from_value(Value::Object(merged)).map_err(|e| e.to_string())
}

fn stringify_fields(map: &mut serde_json::Map<String, Value>, fields: &[&str]) {
    for field in fields {
        match map.get_mut(*field) {
            Some(Value::Null) => {
                map.remove(*field);
            }
            Some(v) => stringify_scalar(v),
            None => {}
        }
    }
}

/// Go's conversion of a YAML scalar for a string target (`sigs.k8s.io/yaml` jsonTarget).
fn stringify_scalar(v: &mut Value) {
    match v {
        Value::Bool(b) => *v = Value::String(b.to_string()),
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(0.0);
            let text = if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", f as i64)
            } else {
                format!("{}", f as f32)
            };
            *v = Value::String(text);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    use crate::test_support::write_file as write;

    fn basic_chart(dir: &Path) {
        write(
            dir,
            "Chart.yaml",
            "apiVersion: v2\nname: demo\nversion: 0.1.0\nappVersion: 1.10\n",
        );
        write(dir, "values.yaml", "replicas: 2\nimage:\n  tag: latest\n");
        write(dir, "templates/deploy.yaml", "kind: Deployment\n");
        write(dir, "templates/.hidden", "x");
        write(dir, "README.md", "readme");
        write(dir, "crds/crd.yaml", "kind: CustomResourceDefinition\n");
        write(
            dir,
            "charts/sub/Chart.yaml",
            "apiVersion: v2\nname: sub\nversion: 1.0.0\n",
        );
        write(dir, "charts/sub/values.yaml", "a: 1\n");
        write(dir, "charts/sub/templates/x.yaml", "x");
        write(dir, "charts/_skip/Chart.yaml", "broken: [");
    }

    #[test]
    fn values_paths_are_the_top_charts_and_its_subchart_folders() {
        assert!(is_values_path("values.yaml"));
        assert!(is_values_path("charts/sub/values.yaml"));
        assert!(is_values_path("charts/a/charts/b/values.yaml"));
        assert!(!is_values_path("files/values.yaml"));
        assert!(!is_values_path("charts/values.yaml"));
        assert!(!is_values_path("charts//values.yaml"));
        assert!(!is_values_path("templates/charts/x/values.yaml"));
    }

    /// A chart big enough to be read on two threads.
    fn big_chart(dir: &Path, sub_values: &str) {
        basic_chart(dir);
        let mut values = String::from("replicas: 2\n");
        for i in 0..20_000 {
            values.push_str(&format!("key{i}:\n  nested: value {i}\n"));
        }
        write(dir, "values.yaml", &values);
        write(dir, "charts/sub/values.yaml", sub_values);
        write(
            dir,
            "charts/sub/charts/deeper/Chart.yaml",
            "apiVersion: v2\nname: deeper\nversion: 1.0.0\n",
        );
        write(dir, "charts/sub/charts/deeper/values.yaml", "deep: true\n");
    }

    #[test]
    fn a_big_chart_loads_the_same_on_two_threads_as_from_its_archive() {
        let tmp = tempfile::tempdir().unwrap();
        big_chart(tmp.path(), "a: 1\n");
        let from_dir = load_dir(tmp.path()).unwrap();
        assert_eq!(from_dir.values["key19999"]["nested"], "value 19999");
        assert_eq!(from_dir.dependencies[0].values["a"], 1.0);
        assert_eq!(
            from_dir.dependencies[0].dependencies[0].values["deep"],
            true
        );
        // An archive loads on one thread; both must give the same chart.
        let files: Vec<ChartFile> = from_dir_files(tmp.path());
        let sequential = load_files(files).unwrap();
        assert_eq!(
            serde_json::to_value(&from_dir).unwrap(),
            serde_json::to_value(&sequential).unwrap()
        );
        assert_eq!(from_dir.dependencies.len(), sequential.dependencies.len());
        assert_eq!(
            from_dir.dependencies[0].values,
            sequential.dependencies[0].values
        );
    }

    /// The files of `dir` as one thread reads them.
    fn from_dir_files(dir: &Path) -> Vec<ChartFile> {
        let mut found = Vec::new();
        walk(dir, "", &IgnoreRules::defaults(), &mut found).unwrap();
        found
            .into_iter()
            .map(|f| ChartFile {
                data: std::fs::read(&f.path).unwrap().into(),
                modtime: std::fs::metadata(&f.path)
                    .unwrap()
                    .modified()
                    .ok()
                    .map(ModTime::File),
                name: f.rel,
            })
            .collect()
    }

    #[test]
    fn a_bad_subchart_values_file_of_a_big_chart_fails_as_it_does_alone() {
        let tmp = tempfile::tempdir().unwrap();
        big_chart(tmp.path(), "a: [1\n");
        let error = load_dir(tmp.path()).unwrap_err().to_string();
        let alone = load_files(from_dir_files(tmp.path()))
            .unwrap_err()
            .to_string();
        assert_eq!(error, alone);
        assert!(
            error.contains("sub") && error.contains("values.yaml"),
            "{error}"
        );
    }

    #[test]
    fn a_directory_loads_templates_values_files_and_subcharts() {
        let tmp = tempfile::tempdir().unwrap();
        basic_chart(tmp.path());
        let chart = load_chart(tmp.path()).unwrap();
        assert_eq!(chart.metadata.name, "demo");
        assert_eq!(chart.metadata.app_version, "1.1");
        let templates: Vec<_> = chart.templates.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(templates, ["templates/deploy.yaml"]);
        let files: Vec<_> = chart.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(files, ["README.md", "crds/crd.yaml"]);
        assert_eq!(chart.values["replicas"].as_f64(), Some(2.0));
        assert_eq!(chart.dependencies.len(), 1);
        assert_eq!(chart.dependencies[0].metadata.name, "sub");
        assert_eq!(chart.dependencies[0].templates[0].name, "templates/x.yaml");
    }

    #[test]
    fn files_carry_their_modification_times_as_helm_4_stores_them() {
        let tmp = tempfile::tempdir().unwrap();
        basic_chart(tmp.path());
        let at =
            |secs: u64, nanos: u32| std::time::UNIX_EPOCH + std::time::Duration::new(secs, nanos);
        let set = |name: &str, time| {
            let file = std::fs::File::options()
                .write(true)
                .open(tmp.path().join(name))
                .unwrap();
            file.set_modified(time).unwrap();
        };
        set("Chart.yaml", at(1_700_000_000, 123_400_000));
        set("values.yaml", at(1_700_000_001, 0));
        let chart = load_dir(tmp.path()).unwrap();
        assert_eq!(
            chart.modtime,
            Some(ModTime::File(at(1_700_000_000, 123_400_000)))
        );
        assert!(chart.templates.iter().all(|t| t.modtime.is_some()));
        let json = serde_json::to_value(&chart).unwrap();
        assert_eq!(json["schemamodtime"], "0001-01-01T00:00:00Z");
        // Go's RFC 3339 with trailing zeros of the nanoseconds trimmed.
        let text = json["modtime"].as_str().unwrap();
        assert!(
            text.contains(":20.1234") && !text.contains("12340"),
            "{text}"
        );
    }

    #[test]
    fn helmignore_excludes_matching_files_and_directories() {
        let tmp = tempfile::tempdir().unwrap();
        basic_chart(tmp.path());
        write(tmp.path(), ".helmignore", "*.md\ncrds/\n");
        let chart = load_chart(tmp.path()).unwrap();
        let files: Vec<_> = chart.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(files, [".helmignore"]);
    }

    #[test]
    fn a_missing_chart_yaml_is_reported_with_helms_text() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "values.yaml", "a: 1\n");
        assert_eq!(
            load_chart(tmp.path()).unwrap_err().to_string(),
            "Chart.yaml file is missing"
        );
    }

    #[test]
    fn a_missing_name_fails_validation() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "Chart.yaml", "apiVersion: v2\nversion: 1.0.0\n");
        assert_eq!(
            load_chart(tmp.path()).unwrap_err().to_string(),
            "validation: chart.metadata.name is required"
        );
    }

    #[test]
    fn a_chart_without_api_version_is_v1_and_reads_requirements_yaml() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "Chart.yaml", "name: old\nversion: 1.0.0\n");
        write(
            tmp.path(),
            "requirements.yaml",
            "dependencies:\n- name: sub\n  version: 1.x\n",
        );
        write(
            tmp.path(),
            "charts/sub/Chart.yaml",
            "name: sub\nversion: 1.0.0\n",
        );
        let chart = load_chart(tmp.path()).unwrap();
        assert_eq!(chart.metadata.api_version, "v1");
        assert_eq!(chart.metadata.dependencies[0].name, "sub");
        assert!(chart.files.iter().any(|f| f.name == "requirements.yaml"));
    }

    #[test]
    fn a_broken_subchart_names_itself_and_its_parent() {
        let tmp = tempfile::tempdir().unwrap();
        basic_chart(tmp.path());
        write(tmp.path(), "charts/bad/values.yaml", "a: 1\n");
        let err = load_chart(tmp.path()).unwrap_err().to_string();
        assert_eq!(
            err,
            "error unpacking subchart bad in demo: Chart.yaml file is missing"
        );
    }

    fn tgz(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, text) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            // Write the raw name so tests can build hostile paths the tar crate would refuse.
            let bytes = name.as_bytes();
            header.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
            header.set_cksum();
            builder.append(&header, text.as_bytes()).unwrap();
        }
        let tar = builder.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn an_archive_loads_with_its_top_folder_stripped() {
        let data = tgz(&[
            (
                "demo/Chart.yaml",
                "apiVersion: v2\nname: demo\nversion: 1.0.0\n",
            ),
            ("demo/templates/a.yaml", "a"),
            ("demo/charts/sub-1.0.0.tgz", ""),
        ]);
        let data_sub = tgz(&[(
            "sub/Chart.yaml",
            "apiVersion: v2\nname: sub\nversion: 1.0.0\n",
        )]);
        let outer = tgz(&[
            (
                "demo/Chart.yaml",
                "apiVersion: v2\nname: demo\nversion: 1.0.0\n",
            ),
            ("demo/templates/a.yaml", "a"),
        ]);
        let chart = load_archive(&outer).unwrap();
        assert_eq!(chart.templates[0].name, "templates/a.yaml");
        // The empty nested .tgz is not a gzip stream and fails loudly.
        assert!(load_archive(&data).is_err());
        assert_eq!(load_archive(&data_sub).unwrap().metadata.name, "sub");
    }

    #[test]
    fn archives_with_escaping_paths_are_refused() {
        let data = tgz(&[
            ("demo/../../etc/passwd", "x"),
            ("demo/Chart.yaml", "name: a\nversion: 1.0.0\n"),
        ]);
        assert_eq!(
            load_archive(&data).unwrap_err().to_string(),
            "chart illegally references parent directory"
        );
    }

    #[test]
    fn a_file_that_is_not_gzip_is_not_an_archive() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x.tgz");
        std::fs::write(&path, "hello").unwrap();
        assert!(
            load_chart(&path)
                .unwrap_err()
                .to_string()
                .contains("does not appear to be a gzipped archive")
        );
    }

    #[test]
    fn a_utf8_bom_is_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "Chart.yaml",
            "\u{feff}apiVersion: v2\nname: bom\nversion: 1.0.0\n",
        );
        assert_eq!(load_chart(tmp.path()).unwrap().metadata.name, "bom");
    }

    #[test]
    fn a_big_file_is_loaded_whole_without_its_bom() {
        let tmp = tempfile::tempdir().unwrap();
        basic_chart(tmp.path());
        let body = "x".repeat(MAP_FILE_SIZE as usize * 2);
        write(tmp.path(), "files/big.txt", &format!("\u{feff}{body}"));
        let chart = load_chart(tmp.path()).unwrap();
        let file = chart
            .files
            .iter()
            .find(|f| f.name == "files/big.txt")
            .unwrap();
        assert_eq!(file.data, body.as_bytes());
    }

    #[test]
    fn a_file_over_helms_size_limit_is_refused_by_name() {
        let tmp = tempfile::tempdir().unwrap();
        basic_chart(tmp.path());
        let big = std::fs::File::create(tmp.path().join("templates/big.yaml")).unwrap();
        big.set_len(MAX_DECOMPRESSED_FILE_SIZE + 1).unwrap();
        assert_eq!(
            load_chart(tmp.path()).unwrap_err().to_string(),
            "chart file \"templates/big.yaml\" is larger than the maximum file size 5242880"
        );
    }

    #[test]
    fn symbolic_links_are_followed_and_other_special_files_refused() {
        let tmp = tempfile::tempdir().unwrap();
        basic_chart(tmp.path());
        let elsewhere = tempfile::tempdir().unwrap();
        write(elsewhere.path(), "cm.yaml", "kind: ConfigMap\n");
        write(elsewhere.path(), "more/notes.txt", "hi\n");
        std::os::unix::fs::symlink(
            elsewhere.path().join("cm.yaml"),
            tmp.path().join("templates/linked.yaml"),
        )
        .unwrap();
        std::os::unix::fs::symlink(elsewhere.path().join("more"), tmp.path().join("more")).unwrap();
        let chart = load_chart(tmp.path()).unwrap();
        let linked = chart
            .templates
            .iter()
            .find(|f| f.name == "templates/linked.yaml");
        assert_eq!(linked.unwrap().data, "kind: ConfigMap\n".as_bytes());
        assert!(chart.files.iter().any(|f| f.name == "more/notes.txt"));

        let fifo = tmp.path().join("templates/pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        assert_eq!(
            load_chart(tmp.path()).unwrap_err().to_string(),
            format!(
                "cannot load irregular file {} as it has file mode type bits set",
                fifo.display()
            )
        );
    }

    #[test]
    fn clean_path_resolves_dots_like_go() {
        assert_eq!(clean_path("a/./b/../c"), "a/c");
        assert_eq!(clean_path("../x"), "../x");
        assert_eq!(clean_path(""), ".");
    }
}

#[cfg(test)]
mod conformance_tests {
    use super::*;
    use crate::test_support::shared_dir;

    #[test]
    fn every_conformance_chart_loads_with_its_subcharts() {
        let root = shared_dir().join("conformance");
        let mut count = 0;
        for entry in std::fs::read_dir(&root).unwrap() {
            let dir = entry.unwrap().path().join("chart");
            if !dir.is_dir() {
                continue;
            }
            let chart = load_chart(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            assert!(!chart.templates.is_empty(), "{}", dir.display());
            assert!(!chart.metadata.version.is_empty());
            count += 1;
        }
        assert_eq!(count, 12);
    }
}
