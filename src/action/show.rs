//! `show`: a chart's definition, default values, README and CRDs, as `helm show` prints them.
//!
//! Helm counterpart: `pkg/action/show.go`. `Chart.yaml` is re-marshalled from the loaded
//! metadata (sigs.k8s.io/yaml: keys sorted), `values.yaml` is printed as written (comments
//! kept), the README is the first top-level `README.md`/`README.txt`/`README` (any case),
//! and CRDs are the `crds/` files of the chart and of its subcharts. `--jsonpath` is not
//! supported.
use super::Error;
use crate::chart::Chart;
use crate::engine::Value as EngineValue;

/// What `show` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShowKind {
    /// Everything, sections separated by `---`.
    All,
    /// `Chart.yaml`.
    Chart,
    /// `values.yaml`.
    Values,
    /// The README.
    Readme,
    /// The CRDs.
    Crds,
}

/// README names Helm recognises, compared case-insensitively.
const README_NAMES: &[&str] = &["readme.md", "readme.txt", "readme"];

/// The text `helm show <kind>` prints for `chart`.
pub fn show(chart: &Chart, kind: ShowKind) -> Result<String, Error> {
    let all = kind == ShowKind::All;
    let mut out = String::new();
    if matches!(kind, ShowKind::Chart | ShowKind::All) {
        out.push_str(&chart_yaml(chart)?);
        out.push('\n');
    }
    if matches!(kind, ShowKind::Values | ShowKind::All)
        && let Some(raw) = &chart.raw_values
    {
        if all {
            out.push_str("---\n");
        }
        out.push_str(&String::from_utf8_lossy(raw));
        out.push('\n');
    }
    if matches!(kind, ShowKind::Readme | ShowKind::All)
        && let Some(readme) = chart
            .files
            .iter()
            .find(|f| README_NAMES.iter().any(|n| f.name.eq_ignore_ascii_case(n)))
    {
        if all {
            out.push_str("---\n");
        }
        out.push_str(&String::from_utf8_lossy(&readme.data));
        out.push('\n');
    }
    if matches!(kind, ShowKind::Crds | ShowKind::All) {
        let crds: Vec<&[u8]> = chart.crd_objects().iter().map(|crd| crd.data).collect();
        if let Some(first) = crds.first()
            && all
            && !first.starts_with(b"---")
        {
            out.push_str("---\n");
        }
        for crd in crds {
            out.push_str(&String::from_utf8_lossy(crd));
            out.push('\n');
        }
    }
    Ok(out)
}

/// `Chart.yaml` as sigs.k8s.io/yaml marshals the metadata (with its final newline).
pub fn chart_yaml(chart: &Chart) -> Result<String, Error> {
    let json = serde_json::to_value(&chart.metadata)
        .map_err(|e| Error::InvalidOption(format!("encoding Chart.yaml: {e}")))?;
    let text = crate::engine::funcs::yaml::to_yaml_string(&EngineValue::from_json(&json))
        .map_err(|e| Error::InvalidOption(format!("encoding Chart.yaml: {e}")))?;
    Ok(format!("{text}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{ChartFile, Metadata};

    fn chart() -> Chart {
        Chart {
            metadata: Metadata {
                api_version: "v2".into(),
                name: "demo".into(),
                version: "0.1.0".into(),
                description: "A demo".into(),
                ..Metadata::default()
            },
            raw_values: Some(bytes::Bytes::from_static(b"# comment\nreplicas: 1\n")),
            files: vec![
                ChartFile::new("ReadMe.md", b"# Demo".to_vec()),
                ChartFile::new("crds/a.yaml", b"kind: CustomResourceDefinition".to_vec()),
                ChartFile::new("crds/notes.txt", b"not a crd".to_vec()),
            ],
            ..Chart::default()
        }
    }

    #[test]
    fn show_chart_prints_sorted_keys_and_a_blank_line() {
        let text = show(&chart(), ShowKind::Chart).unwrap();
        assert_eq!(
            text,
            "apiVersion: v2\ndescription: A demo\nname: demo\nversion: 0.1.0\n\n"
        );
    }

    #[test]
    fn show_values_keeps_comments() {
        let text = show(&chart(), ShowKind::Values).unwrap();
        assert_eq!(text, "# comment\nreplicas: 1\n\n");
    }

    #[test]
    fn show_all_separates_sections_and_skips_non_manifest_crd_files() {
        let text = show(&chart(), ShowKind::All).unwrap();
        assert!(text.ends_with("---\n# Demo\n---\nkind: CustomResourceDefinition\n"));
        assert!(!text.contains("not a crd"));
    }

    #[test]
    fn subchart_crds_follow_the_parents() {
        let mut parent = chart();
        let mut sub = chart();
        sub.files = vec![ChartFile::new("crds/b.yml", b"sub".to_vec())];
        parent.dependencies.push(sub);
        let crds: Vec<&[u8]> = parent.crd_objects().iter().map(|crd| crd.data).collect();
        assert_eq!(
            crds,
            vec![&b"kind: CustomResourceDefinition"[..], &b"sub"[..]]
        );
    }
}
