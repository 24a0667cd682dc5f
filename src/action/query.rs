//! Read-only actions: `history`, `list`, `status` and `get`.
//!
//! Helm counterpart: `pkg/action/{history,list,status,get,get_values}.go`.
use regex::Regex;
use serde_json::{Map, Value};

use super::{Context, Error};
use crate::release::{Release, Status};

/// The revisions of `name`, oldest first, at most the newest `max`.
pub async fn history(ctx: &Context, name: &str, max: usize) -> Result<Vec<Release>, Error> {
    super::names::validate_release_name(name).map_err(Error::InvalidName)?;
    let mut revisions = ctx
        .storage
        .history(name)
        .await
        .map_err(Error::from_lookup)?;
    if revisions.is_empty() {
        return Err(Error::ReleaseNotFound);
    }
    revisions.sort_by_key(|r| r.revision);
    let skip = revisions.len().saturating_sub(max);
    Ok(revisions.split_off(skip))
}

/// A revision of `name`: the given one, or the latest.
pub async fn get(ctx: &Context, name: &str, revision: Option<u32>) -> Result<Release, Error> {
    super::names::validate_release_name(name).map_err(Error::InvalidName)?;
    match revision.filter(|r| *r > 0) {
        Some(revision) => ctx
            .storage
            .get(name, revision)
            .await
            .map_err(Error::from_lookup),
        None => ctx.storage.last(name).await.map_err(Error::from_lookup),
    }
}

/// The values to show for `get values`: the user-supplied ones, or with `all` the chart's
/// defaults coalesced with them (Helm's `--all`).
pub fn release_values(release: &Release, all: bool) -> Result<Map<String, Value>, Error> {
    if all {
        Ok(crate::chart::coalesce_values(
            &release.chart,
            &release.config,
        )?)
    } else {
        Ok(release.config.clone())
    }
}

/// Options of [`list`].
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// `-A`.
    pub all_namespaces: bool,
    /// Statuses to show; empty = deployed and failed (Helm's default).
    pub states: Vec<Status>,
    /// `-a`: every status.
    pub all: bool,
    /// `-f`: a regular expression on the name.
    pub filter: Option<String>,
    /// `-d`: sort by last deployment time instead of name.
    pub by_date: bool,
    /// `-r`.
    pub reverse: bool,
    /// `-m` (0 = no limit).
    pub max: usize,
    /// `--offset`.
    pub offset: usize,
}

/// The newest revision of each release whose status is selected, sorted and paged.
pub async fn list(ctx: &Context, options: &ListOptions) -> Result<Vec<Release>, Error> {
    let filter = match &options.filter {
        Some(pattern) => Some(
            Regex::new(pattern)
                .map_err(|e| Error::InvalidOption(format!("invalid --filter {pattern:?}: {e}")))?,
        ),
        None => None,
    };
    let states: Vec<Status> = if options.states.is_empty() {
        vec![Status::Deployed, Status::Failed]
    } else {
        options.states.clone()
    };
    let storage = if options.all_namespaces {
        ctx.storage_all_namespaces()
    } else {
        ctx.storage.clone()
    };
    let name_matches = |name: &str| filter.as_ref().is_none_or(|re| re.is_match(name));
    let mut releases = if !options.all && states == [Status::Superseded] {
        // Superseded revisions are never the latest: Helm lists every one of them.
        let selector = crate::storage::Labels::from([
            ("owner".to_string(), "helm".to_string()),
            (
                "status".to_string(),
                Status::Superseded.as_str().to_string(),
            ),
        ]);
        let mut all = storage.query(&selector).await?;
        all.retain(|r| name_matches(&r.name));
        all
    } else {
        // Helm filters by state only after keeping the latest revision of each release,
        // so a release whose last revision is pending is not shown as deployed.
        let mut latest = storage
            .list_releases(|info| name_matches(&info.name))
            .await?;
        latest.retain(|r| options.all || states.contains(&r.info.status));
        latest
    };
    if options.by_date {
        releases.sort_by_key(|r| r.info.last_deployed);
    } else {
        releases.sort_by(|a, b| a.name.cmp(&b.name));
    }
    if options.reverse {
        releases.reverse();
    }
    let releases = releases.into_iter().skip(options.offset);
    Ok(if options.max > 0 {
        releases.take(options.max).collect()
    } else {
        releases.collect()
    })
}
