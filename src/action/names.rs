//! Release-name rules and Go duration parsing shared by the actions.
//!
//! Helm counterpart: `pkg/chart/common/util` `ValidateReleaseName` and Go's `time.ParseDuration`.
use std::time::Duration;

/// Helm's limit on release names (so that generated object names fit in 63 characters).
pub const MAX_RELEASE_NAME_LEN: usize = 53;

/// Checks a release name against Helm's rule: a lowercase RFC 1123 DNS subdomain-like
/// name of at most 53 characters. Returns Helm's message on failure.
pub fn validate_release_name(name: &str) -> Result<(), String> {
    let valid_chars = !name.is_empty()
        && name.split('.').all(|label| {
            let bytes = label.as_bytes();
            !bytes.is_empty()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
                && bytes[0] != b'-'
                && bytes[bytes.len() - 1] != b'-'
        });
    if name.is_empty() || name.len() > MAX_RELEASE_NAME_LEN || !valid_chars {
        // Helm's exact text, which scripts and CI logs grep for.
        return Err(format!(
            "release name {name:?}: invalid release name, must match regex ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ and the length must not be longer than {MAX_RELEASE_NAME_LEN}"
        ));
    }
    Ok(())
}

/// Parses a Go duration (`5m0s`, `300ms`, `1h30m`, `90s`, `0`).
pub fn parse_go_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("time: invalid duration {text:?}");
    let s = text.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if number_len == 0 {
            return Err(bad());
        }
        let number: f64 = rest[..number_len].parse().map_err(|_| bad())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds_per_unit = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += number * seconds_per_unit;
        rest = &rest[unit_len..];
    }
    Ok(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_names_follow_helms_rule() {
        assert!(validate_release_name("guestbook-demo").is_ok());
        assert!(validate_release_name("a.b-1").is_ok());
        assert!(validate_release_name("Guestbook").is_err());
        assert!(validate_release_name("-x").is_err());
        assert!(validate_release_name("x_y").is_err());
        assert!(validate_release_name("").is_err());
        assert!(validate_release_name(&"a".repeat(53)).is_ok());
        assert!(validate_release_name(&"a".repeat(54)).is_err());
    }

    #[test]
    fn go_durations_parse_like_go() {
        assert_eq!(parse_go_duration("5m0s"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_go_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_go_duration("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_go_duration("0"), Ok(Duration::ZERO));
        assert!(parse_go_duration("5x").is_err());
        assert!(parse_go_duration("m").is_err());
    }
}
