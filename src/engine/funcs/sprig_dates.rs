//! Sprig's date functions and a Go `time.Time` value for templates.
//!
//! Helm counterpart: Masterminds/sprig v3 `date.go` and Go's `time` package (`Format`
//! reference layouts like `2006-01-02T15:04:05Z07:00`, `Duration.String`,
//! `ParseDuration`). Without a time-zone database only `UTC`, `Local` and fixed
//! offsets are known; other zone names fall back to UTC, as Sprig does for unknown zones.
use std::collections::HashMap;
use std::rc::Rc;

use chrono::{
    DateTime, Datelike, FixedOffset, Local, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike,
    Utc,
};

use super::super::value::{Func, FuncError, IntType, Object, Value};
use super::{FuncResult, args, args_min, int_arg, str_arg, string_value, wrong_type};

/// Registers the date functions.
pub fn register(m: &mut HashMap<&'static str, Func>) {
    let fs: &[(&'static str, Func)] = &[
        ("now", now),
        ("date", date),
        ("date_in_zone", date_in_zone),
        ("dateInZone", date_in_zone),
        ("date_modify", date_modify),
        ("dateModify", date_modify),
        ("mustDateModify", must_date_modify),
        ("must_date_modify", must_date_modify),
        ("ago", ago),
        ("duration", duration),
        ("durationRound", duration_round),
        ("htmlDate", html_date),
        ("htmlDateInZone", html_date_in_zone),
        ("toDate", to_date),
        ("mustToDate", must_to_date),
        ("unixEpoch", unix_epoch),
        ("mustToDuration", must_to_duration),
        ("durationSeconds", duration_seconds),
        ("durationMilliseconds", duration_milliseconds),
        ("durationMicroseconds", duration_microseconds),
        ("durationNanoseconds", duration_nanoseconds),
        ("durationMinutes", duration_minutes),
        ("durationHours", duration_hours),
        ("durationDays", duration_days),
        ("durationWeeks", duration_weeks),
        ("durationRoundTo", duration_round_to),
        ("durationTruncateTo", duration_truncate_to),
    ];
    m.extend(fs.iter().copied());
}

/// Go's `time.Time`: an instant with its zone (offset and abbreviation).
#[derive(Clone, Debug)]
pub struct GoTime {
    /// The instant in its zone.
    pub at: DateTime<FixedOffset>,
    /// The zone abbreviation Go prints for `MST` (`UTC`, or empty for unnamed offsets).
    pub zone: String,
}

impl GoTime {
    /// The current time in the local zone.
    pub fn now() -> GoTime {
        let at = Local::now().fixed_offset();
        GoTime::in_local(at)
    }

    fn in_local(at: DateTime<FixedOffset>) -> GoTime {
        let zone = if at.offset().local_minus_utc() == 0 {
            "UTC".to_string()
        } else {
            String::new()
        };
        GoTime { at, zone }
    }

    fn in_zone(&self, zone: &str) -> GoTime {
        match zone {
            "Local" => GoTime::in_local(self.at.with_timezone(&Local).fixed_offset()),
            _ => {
                let at = self.at.with_timezone(&Utc.fix());
                GoTime {
                    at,
                    zone: "UTC".into(),
                }
            }
        }
    }

    fn unix(&self) -> i64 {
        self.at.timestamp()
    }

    /// Go's `Time.Format(layout)`.
    pub fn format(&self, layout: &str) -> String {
        format_go(&self.at, &self.zone, layout)
    }
}

const GO_STRING_LAYOUT: &str = "2006-01-02 15:04:05.999999999 -0700 MST";

impl Object for GoTime {
    fn type_name(&self) -> &str {
        "time.Time"
    }

    fn field(&self, name: &str) -> Option<Value> {
        let t = &self.at;
        Some(match name {
            "Unix" => Value::int64(self.unix()),
            "UnixNano" => Value::int64(t.timestamp_nanos_opt().unwrap_or_default()),
            "UnixMilli" => Value::int64(t.timestamp_millis()),
            "Year" => Value::Int(i64::from(t.year())),
            "Month" => string_value(MONTHS[t.month0() as usize]),
            "Day" => Value::Int(i64::from(t.day())),
            "Hour" => Value::Int(i64::from(t.hour())),
            "Minute" => Value::Int(i64::from(t.minute())),
            "Second" => Value::Int(i64::from(t.second())),
            "Nanosecond" => Value::Int(i64::from(t.nanosecond())),
            "YearDay" => Value::Int(i64::from(t.ordinal())),
            "Weekday" => string_value(DAYS[t.weekday().num_days_from_sunday() as usize]),
            "UTC" => Value::Object(Rc::new(self.in_zone("UTC"))),
            "Local" => Value::Object(Rc::new(self.in_zone("Local"))),
            "String" => string_value(self.display()),
            "IsZero" => Value::Bool(t.timestamp() == -62135596800 && t.nanosecond() == 0),
            _ => return None,
        })
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        Some(match (name, args) {
            ("Format", [Value::String(layout)]) => Ok(string_value(self.format(layout))),
            ("Format", [other]) => Err(wrong_type("string", other)),
            ("Add", [arg]) => {
                // `Add(d time.Duration)`: a literal converts, a duration passes, and any
                // other typed value (an `int64` from Sprig's math) is refused, as in Go.
                let ns = match arg {
                    Value::Int(ns) => *ns,
                    Value::Object(o) if o.type_name() == "time.Duration" => o
                        .field("Nanoseconds")
                        .and_then(|n| n.as_integer())
                        .unwrap_or(0),
                    other => return Some(Err(wrong_type("time.Duration", other))),
                };
                Ok(Value::Object(Rc::new(GoTime {
                    at: self.at + chrono::Duration::nanoseconds(ns),
                    zone: self.zone.clone(),
                })))
            }
            ("AddDate", [y, mo, d]) => {
                // `AddDate(years, months, days int)`: an `int64` is refused, as in Go.
                let (y, mo, d) = match (int_arg(y), int_arg(mo), int_arg(d)) {
                    (Ok(y), Ok(mo), Ok(d)) => (y, mo, d),
                    (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return Some(Err(e)),
                };
                let months =
                    i64::from(self.at.year()) * 12 + i64::from(self.at.month0()) + y * 12 + mo;
                let (ny, nm) = (
                    months.div_euclid(12) as i32,
                    months.rem_euclid(12) as u32 + 1,
                );
                let base = NaiveDate::from_ymd_opt(ny, nm, 1)
                    .map(|first| first + chrono::Duration::days(i64::from(self.at.day()) - 1 + d));
                match base.and_then(|day| {
                    day.and_time(self.at.time())
                        .and_local_timezone(*self.at.offset())
                        .single()
                }) {
                    Some(at) => Ok(Value::Object(Rc::new(GoTime {
                        at,
                        zone: self.zone.clone(),
                    }))),
                    None => Err(FuncError("time out of range".into())),
                }
            }
            ("In", _) | ("Sub", _) | ("Before", _) | ("After", _) | ("Equal", _) => {
                let other = match args.first() {
                    Some(Value::Object(o)) if o.type_name() == "time.Time" => o.field("UnixNano"),
                    _ => None,
                };
                let mine = self.at.timestamp_nanos_opt().unwrap_or_default();
                match (name, other) {
                    ("Sub", Some(Value::TypedInt(_, o))) => Ok(duration_value(mine - o)),
                    ("Before", Some(Value::TypedInt(_, o))) => Ok(Value::Bool(mine < o)),
                    ("After", Some(Value::TypedInt(_, o))) => Ok(Value::Bool(mine > o)),
                    ("Equal", Some(Value::TypedInt(_, o))) => Ok(Value::Bool(mine == o)),
                    _ => return None,
                }
            }
            _ => return None,
        })
    }

    fn display(&self) -> String {
        self.format(GO_STRING_LAYOUT)
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// One element of a Go layout.
#[derive(Debug, PartialEq, Clone)]
enum Tok {
    Lit(String),
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    TZ,
    /// Numeric zone: (`Z` for UTC?, with colons, with seconds, hours only).
    Zone {
        z: bool,
        colon: bool,
        seconds: bool,
        hours_only: bool,
    },
    /// Fractional seconds: (digits, trailing zeros trimmed `9`s, separator).
    Frac {
        digits: usize,
        trim: bool,
        sep: char,
    },
}

fn tokenize(layout: &str) -> Vec<Tok> {
    let b = layout.as_bytes();
    let mut toks = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    let starts = |i: usize, s: &str| layout.get(i..).is_some_and(|r| r.starts_with(s));
    while i < b.len() {
        let (tok, len): (Option<Tok>, usize) = match b[i] {
            b'J' if starts(i, "January") => (Some(Tok::LongMonth), 7),
            b'J' if starts(i, "Jan") => (Some(Tok::Month), 3),
            b'M' if starts(i, "Monday") => (Some(Tok::LongWeekDay), 6),
            b'M' if starts(i, "Mon") => (Some(Tok::WeekDay), 3),
            b'M' if starts(i, "MST") => (Some(Tok::TZ), 3),
            b'0' if starts(i, "002") => (Some(Tok::ZeroYearDay), 3),
            b'0' if i + 1 < b.len() && (b'1'..=b'6').contains(&b[i + 1]) => (
                Some(match b[i + 1] {
                    b'1' => Tok::ZeroMonth,
                    b'2' => Tok::ZeroDay,
                    b'3' => Tok::ZeroHour12,
                    b'4' => Tok::ZeroMinute,
                    b'5' => Tok::ZeroSecond,
                    _ => Tok::Year,
                }),
                2,
            ),
            b'1' if starts(i, "15") => (Some(Tok::Hour), 2),
            b'1' => (Some(Tok::NumMonth), 1),
            b'2' if starts(i, "2006") => (Some(Tok::LongYear), 4),
            b'2' => (Some(Tok::Day), 1),
            b'_' if starts(i, "_2006") => {
                lit.push('_');
                (Some(Tok::LongYear), 5)
            }
            b'_' if starts(i, "__2") => (Some(Tok::UnderYearDay), 3),
            b'_' if starts(i, "_2") => (Some(Tok::UnderDay), 2),
            b'3' => (Some(Tok::Hour12), 1),
            b'4' => (Some(Tok::Minute), 1),
            b'5' => (Some(Tok::Second), 1),
            b'P' if starts(i, "PM") => (Some(Tok::PM), 2),
            b'p' if starts(i, "pm") => (Some(Tok::Pm), 2),
            b'-' | b'Z' => {
                let z = b[i] == b'Z';
                let rest = &layout[i + 1..];
                let forms: [(&str, bool, bool, bool); 5] = [
                    ("070000", false, true, false),
                    ("07:00:00", true, true, false),
                    ("0700", false, false, false),
                    ("07:00", true, false, false),
                    ("07", false, false, true),
                ];
                match forms.iter().find(|(f, ..)| rest.starts_with(f)) {
                    Some((f, colon, seconds, hours_only)) => (
                        Some(Tok::Zone {
                            z,
                            colon: *colon,
                            seconds: *seconds,
                            hours_only: *hours_only,
                        }),
                        1 + f.len(),
                    ),
                    None => (None, 1),
                }
            }
            b'.' | b',' if i + 1 < b.len() && (b[i + 1] == b'0' || b[i + 1] == b'9') => {
                let d = b[i + 1];
                let mut j = i + 1;
                while j < b.len() && b[j] == d {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    (None, 1)
                } else {
                    (
                        Some(Tok::Frac {
                            digits: j - i - 1,
                            trim: d == b'9',
                            sep: b[i] as char,
                        }),
                        j - i,
                    )
                }
            }
            _ => (None, 1),
        };
        match tok {
            Some(t) => {
                if !lit.is_empty() {
                    toks.push(Tok::Lit(std::mem::take(&mut lit)));
                }
                toks.push(t);
                i += len;
            }
            None => {
                let ch = layout[i..].chars().next().unwrap_or(' ');
                lit.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    if !lit.is_empty() {
        toks.push(Tok::Lit(lit));
    }
    toks
}

fn format_go(t: &DateTime<FixedOffset>, zone: &str, layout: &str) -> String {
    let mut out = String::new();
    let hour12 = |h: u32| if h.is_multiple_of(12) { 12 } else { h % 12 };
    for tok in tokenize(layout) {
        match tok {
            Tok::Lit(s) => out.push_str(&s),
            Tok::LongMonth => out.push_str(MONTHS[t.month0() as usize]),
            Tok::Month => out.push_str(&MONTHS[t.month0() as usize][..3]),
            Tok::NumMonth => out.push_str(&t.month().to_string()),
            Tok::ZeroMonth => out.push_str(&format!("{:02}", t.month())),
            Tok::LongWeekDay => out.push_str(DAYS[t.weekday().num_days_from_sunday() as usize]),
            Tok::WeekDay => out.push_str(&DAYS[t.weekday().num_days_from_sunday() as usize][..3]),
            Tok::Day => out.push_str(&t.day().to_string()),
            Tok::UnderDay => out.push_str(&format!("{:>2}", t.day())),
            Tok::ZeroDay => out.push_str(&format!("{:02}", t.day())),
            Tok::UnderYearDay => out.push_str(&format!("{:>3}", t.ordinal())),
            Tok::ZeroYearDay => out.push_str(&format!("{:03}", t.ordinal())),
            Tok::Hour => out.push_str(&format!("{:02}", t.hour())),
            Tok::Hour12 => out.push_str(&hour12(t.hour()).to_string()),
            Tok::ZeroHour12 => out.push_str(&format!("{:02}", hour12(t.hour()))),
            Tok::Minute => out.push_str(&t.minute().to_string()),
            Tok::ZeroMinute => out.push_str(&format!("{:02}", t.minute())),
            Tok::Second => out.push_str(&t.second().to_string()),
            Tok::ZeroSecond => out.push_str(&format!("{:02}", t.second())),
            Tok::LongYear => out.push_str(&format!("{:04}", t.year())),
            Tok::Year => out.push_str(&format!("{:02}", t.year().rem_euclid(100))),
            Tok::PM => out.push_str(if t.hour() >= 12 { "PM" } else { "AM" }),
            Tok::Pm => out.push_str(if t.hour() >= 12 { "pm" } else { "am" }),
            Tok::TZ => {
                if zone.is_empty() {
                    let off = t.offset().local_minus_utc();
                    let (sign, a) = if off < 0 { ('-', -off) } else { ('+', off) };
                    out.push_str(&format!("{sign}{:02}{:02}", a / 3600, a % 3600 / 60));
                } else {
                    out.push_str(zone);
                }
            }
            Tok::Zone {
                z,
                colon,
                seconds,
                hours_only,
            } => {
                let off = t.offset().local_minus_utc();
                if z && off == 0 {
                    out.push('Z');
                    continue;
                }
                let (sign, a) = if off < 0 { ('-', -off) } else { ('+', off) };
                out.push(sign);
                out.push_str(&format!("{:02}", a / 3600));
                if !hours_only {
                    if colon {
                        out.push(':');
                    }
                    out.push_str(&format!("{:02}", a % 3600 / 60));
                }
                if seconds {
                    if colon {
                        out.push(':');
                    }
                    out.push_str(&format!("{:02}", a % 60));
                }
            }
            Tok::Frac { digits, trim, sep } => {
                let ns = format!("{:09}", t.nanosecond());
                let mut frac = ns[..digits.min(9)].to_string();
                if trim {
                    frac = frac.trim_end_matches('0').to_string();
                    if frac.is_empty() {
                        continue;
                    }
                }
                out.push(sep);
                out.push_str(&frac);
            }
        }
    }
    out
}

/// Converts a Go layout to a chrono format string for parsing.
fn chrono_format(layout: &str) -> (String, bool, bool) {
    let mut f = String::new();
    let mut has_zone = false;
    let mut has_time = false;
    for tok in tokenize(layout) {
        let piece = match tok {
            Tok::Lit(s) => s.replace('%', "%%"),
            Tok::LongMonth => "%B".into(),
            Tok::Month => "%b".into(),
            Tok::NumMonth | Tok::ZeroMonth => "%m".into(),
            Tok::LongWeekDay => "%A".into(),
            Tok::WeekDay => "%a".into(),
            Tok::Day | Tok::ZeroDay | Tok::UnderDay => "%d".into(),
            Tok::UnderYearDay | Tok::ZeroYearDay => "%j".into(),
            Tok::Hour => {
                has_time = true;
                "%H".into()
            }
            Tok::Hour12 | Tok::ZeroHour12 => {
                has_time = true;
                "%I".into()
            }
            Tok::Minute | Tok::ZeroMinute => "%M".into(),
            Tok::Second | Tok::ZeroSecond => "%S".into(),
            Tok::LongYear => "%Y".into(),
            Tok::Year => "%y".into(),
            Tok::PM | Tok::Pm => "%p".into(),
            Tok::TZ => "%Z".into(),
            Tok::Zone { colon, .. } => {
                has_zone = true;
                if colon { "%:z".into() } else { "%z".into() }
            }
            Tok::Frac { .. } => "%.f".into(),
        };
        f.push_str(&piece);
    }
    (f, has_zone, has_time)
}

/// Go's `time.ParseInLocation(layout, value, time.Local)` (common layouts).
pub fn parse_go_time(layout: &str, value: &str) -> Result<GoTime, FuncError> {
    let err = || {
        FuncError(format!(
            "parsing time {value:?} as {layout:?}: cannot parse {value:?} as {layout:?}"
        ))
    };
    let (fmt, has_zone, has_time) = chrono_format(layout);
    let value_z = if has_zone {
        value.replace('Z', "+00:00")
    } else {
        value.to_string()
    };
    if has_zone {
        let fmt_z = fmt.replace("%z", "%:z");
        let at = DateTime::parse_from_str(&value_z, &fmt_z)
            .or_else(|_| DateTime::parse_from_str(value, &fmt))
            .map_err(|_| err())?;
        let zone = if at.offset().local_minus_utc() == 0 {
            "UTC".to_string()
        } else {
            String::new()
        };
        return Ok(GoTime { at, zone });
    }
    let naive = if has_time {
        NaiveDateTime::parse_from_str(value, &fmt).map_err(|_| err())?
    } else {
        NaiveDate::parse_from_str(value, &fmt)
            .map_err(|_| err())?
            .and_hms_opt(0, 0, 0)
            .ok_or_else(err)?
    };
    let at = Local
        .from_local_datetime(&naive)
        .earliest()
        .ok_or_else(err)?
        .fixed_offset();
    Ok(GoTime::in_local(at))
}

/// The zero `time.Time` (`0001-01-01 00:00:00 +0000 UTC`).
fn zero_time() -> GoTime {
    let at = NaiveDate::from_ymd_opt(1, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| Utc.fix().from_utc_datetime(&n))
        .unwrap_or_else(|| Utc::now().fixed_offset());
    GoTime {
        at,
        zone: "UTC".into(),
    }
}

fn time_value(t: GoTime) -> Value {
    Value::Object(Rc::new(t))
}

/// A `time.Time` argument as Sprig's date functions accept it (time, or unix seconds);
/// anything else means "now".
fn time_arg(v: &Value) -> GoTime {
    match v {
        Value::Object(o) if o.type_name() == "time.Time" => {
            let nanos = o
                .field("UnixNano")
                .and_then(|n| n.as_integer())
                .unwrap_or(0);
            let t = DateTime::from_timestamp_nanos(nanos).fixed_offset();
            let display = o.display();
            let local = display.ends_with(" UTC") || display.is_empty();
            if local {
                GoTime::in_local(t)
            } else {
                GoTime::in_local(t.with_timezone(&Local).fixed_offset())
            }
        }
        // Sprig's `date` takes `int`, `int32` and `int64` seconds; other types mean now.
        Value::Int(secs) | Value::TypedInt(IntType::Int64, secs) => {
            DateTime::from_timestamp(*secs, 0)
                .map(|t| GoTime::in_local(t.with_timezone(&Local).fixed_offset()))
                .unwrap_or_else(GoTime::now)
        }
        _ => GoTime::now(),
    }
}

/// A typed `time.Time` parameter.
fn strict_time_arg(v: &Value) -> Result<GoTime, FuncError> {
    match v {
        Value::Object(o) if o.type_name() == "time.Time" => Ok(time_arg(v)),
        other => Err(wrong_type("time.Time", other)),
    }
}

fn now(a: &[Value]) -> FuncResult {
    args::<0>("now", a)?;
    Ok(time_value(GoTime::now()))
}

fn date(a: &[Value]) -> FuncResult {
    let [f, d] = args::<2>("date", a)?;
    Ok(string_value(
        time_arg(d).in_zone("Local").format(str_arg(f)?),
    ))
}

fn date_in_zone(a: &[Value]) -> FuncResult {
    let [f, d, z] = args::<3>("dateInZone", a)?;
    Ok(string_value(
        time_arg(d).in_zone(str_arg(z)?).format(str_arg(f)?),
    ))
}

fn html_date(a: &[Value]) -> FuncResult {
    let [d] = args::<1>("htmlDate", a)?;
    Ok(string_value(
        time_arg(d).in_zone("Local").format("2006-01-02"),
    ))
}

fn html_date_in_zone(a: &[Value]) -> FuncResult {
    let [d, z] = args::<2>("htmlDateInZone", a)?;
    Ok(string_value(
        time_arg(d).in_zone(str_arg(z)?).format("2006-01-02"),
    ))
}

/// Go's `time.ParseDuration`, in nanoseconds.
pub fn parse_go_duration(s: &str) -> Result<i64, FuncError> {
    let err = || {
        FuncError(format!(
            "time: invalid duration {}",
            super::super::gofmt::quote(s)
        ))
    };
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(err());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_end];
        if num.is_empty() || num == "." {
            return Err(err());
        }
        let n: f64 = num.parse().map_err(|_| err())?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_end];
        let mult = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => {
                return Err(FuncError(format!(
                    "time: missing unit in duration {}",
                    super::super::gofmt::quote(s)
                )));
            }
            _ => {
                return Err(FuncError(format!(
                    "time: unknown unit {} in duration {}",
                    super::super::gofmt::quote(unit),
                    super::super::gofmt::quote(s)
                )));
            }
        };
        total += n * mult;
        rest = &rest[unit_end..];
    }
    if total > i64::MAX as f64 {
        return Err(err());
    }
    let ns = total.round() as i64;
    Ok(if neg { -ns } else { ns })
}

fn frac(v: u64, prec: u32) -> (String, u64) {
    let mut digits = String::new();
    let mut v = v;
    let mut print = false;
    for _ in 0..prec {
        let d = v % 10;
        print = print || d != 0;
        if print {
            digits.insert(0, char::from(b'0' + d as u8));
        }
        v /= 10;
    }
    if print {
        digits.insert(0, '.');
    }
    (digits, v)
}

/// Go's `time.Duration.String`.
pub fn format_go_duration(d: i64) -> String {
    let neg = d < 0;
    let u = d.unsigned_abs();
    let mut out;
    if u < 1_000_000_000 {
        if u == 0 {
            return "0s".into();
        }
        let (prec, unit) = if u < 1_000 {
            (0, "ns")
        } else if u < 1_000_000 {
            (3, "µs")
        } else {
            (6, "ms")
        };
        let (f, whole) = frac(u, prec);
        out = format!("{whole}{f}{unit}");
    } else {
        let (f, secs) = frac(u, 9);
        out = format!("{}{f}s", secs % 60);
        let mins = secs / 60;
        if mins > 0 {
            out = format!("{}m{out}", mins % 60);
            let hours = mins / 60;
            if hours > 0 {
                out = format!("{hours}h{out}");
            }
        }
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

fn modify(name: &str, a: &[Value]) -> Result<Value, FuncError> {
    let [f, d] = args::<2>(name, a)?;
    let t = strict_time_arg(d)?;
    let ns = parse_go_duration(str_arg(f)?)?;
    Ok(time_value(GoTime {
        at: t.at + chrono::Duration::nanoseconds(ns),
        zone: t.zone,
    }))
}

fn date_modify(a: &[Value]) -> FuncResult {
    match modify("dateModify", a) {
        Err(e) if !super::is_argument_error(&e) => Ok(a[1].clone()),
        other => other,
    }
}

fn must_date_modify(a: &[Value]) -> FuncResult {
    modify("mustDateModify", a)
}

fn ago(a: &[Value]) -> FuncResult {
    let [d] = args::<1>("ago", a)?;
    let t = time_arg(d);
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default()
        - t.at.timestamp_nanos_opt().unwrap_or_default();
    let rounded = ((nanos as f64) / 1e9).round() as i64 * 1_000_000_000;
    Ok(string_value(format_go_duration(rounded)))
}

fn duration(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("duration", a)?;
    // Sprig's `duration` converts only `string` and `int64`: an `int` is 0 seconds.
    let n: i64 = match v {
        Value::String(s) => s.parse().unwrap_or(0),
        Value::TypedInt(IntType::Int64, n) => *n,
        _ => 0,
    };
    Ok(string_value(format_go_duration(
        n.saturating_mul(1_000_000_000),
    )))
}

fn duration_round(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("durationRound", a)?;
    let d: i64 = match v {
        Value::String(s) => parse_go_duration(s).unwrap_or(0),
        // Only `int64` nanoseconds: an `int` (and a `time.Duration`) round to 0s.
        Value::TypedInt(IntType::Int64, n) => *n,
        Value::Object(o) if o.type_name() == "time.Time" => {
            let t = time_arg(v);
            Utc::now().timestamp_nanos_opt().unwrap_or_default()
                - t.at.timestamp_nanos_opt().unwrap_or_default()
        }
        _ => 0,
    };
    let u = d.unsigned_abs();
    const HOUR: u64 = 3_600_000_000_000;
    let units: [(u64, &str); 6] = [
        (HOUR * 24 * 365, "y"),
        (HOUR * 24 * 30, "mo"),
        (HOUR * 24, "d"),
        (HOUR, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
    ];
    for (size, suffix) in units {
        if u > size {
            return Ok(string_value(format!("{}{suffix}", u / size)));
        }
    }
    Ok(string_value("0s"))
}

fn to_date(a: &[Value]) -> FuncResult {
    let [f, s] = args::<2>("toDate", a)?;
    Ok(time_value(
        parse_go_time(str_arg(f)?, str_arg(s)?).unwrap_or_else(|_| zero_time()),
    ))
}

fn must_to_date(a: &[Value]) -> FuncResult {
    let [f, s] = args::<2>("mustToDate", a)?;
    Ok(time_value(parse_go_time(str_arg(f)?, str_arg(s)?)?))
}

fn unix_epoch(a: &[Value]) -> FuncResult {
    args_min("unixEpoch", a, 1)?;
    let [d] = args::<1>("unixEpoch", a)?;
    Ok(string_value(strict_time_arg(d)?.unix().to_string()))
}

/// Go's `time.Duration` (nanoseconds), printed as `1h2m3s`.
#[derive(Clone, Copy, Debug)]
pub struct GoDuration(pub i64);

impl Object for GoDuration {
    fn type_name(&self) -> &str {
        "time.Duration"
    }

    fn field(&self, name: &str) -> Option<Value> {
        let d = self.0;
        Some(match name {
            "Nanoseconds" => Value::int64(d),
            "Microseconds" => Value::int64(d / 1_000),
            "Milliseconds" => Value::int64(d / 1_000_000),
            "Seconds" => Value::Float(d as f64 / 1e9),
            "Minutes" => Value::Float(d as f64 / 60e9),
            "Hours" => Value::Float(d as f64 / 3600e9),
            "String" => string_value(format_go_duration(d)),
            _ => return None,
        })
    }

    fn call(&self, _name: &str, _args: &[Value]) -> Option<Result<Value, FuncError>> {
        None
    }

    fn display(&self) -> String {
        format_go_duration(self.0)
    }
}

/// Helm 4's `asDuration`: durations, Go duration strings, or numbers of seconds.
fn as_duration(v: &Value) -> Result<i64, FuncError> {
    match v {
        Value::Object(o) if o.type_name() == "time.Duration" => {
            match o.field("Nanoseconds").and_then(|n| n.as_integer()) {
                Some(n) => Ok(n),
                None => Err(FuncError("invalid duration".into())),
            }
        }
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Err(FuncError("empty duration".into()));
            }
            if let Ok(d) = parse_go_duration(t) {
                return Ok(d);
            }
            match super::conv::parse_go_float(t) {
                Some(f) => Ok((f * 1e9) as i64),
                None => Err(FuncError(format!(
                    "could not parse duration {}",
                    super::super::gofmt::quote(s)
                ))),
            }
        }
        Value::Nil => Err(FuncError("invalid duration".into())),
        Value::Int(n) | Value::TypedInt(_, n) => Ok(n.saturating_mul(1_000_000_000)),
        Value::Float(f) => Ok((f * 1e9) as i64),
        other => Err(FuncError(format!(
            "unsupported duration type {}",
            other.type_name()
        ))),
    }
}

fn duration_value(ns: i64) -> Value {
    Value::Object(Rc::new(GoDuration(ns)))
}

fn must_to_duration(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("mustToDuration", a)?;
    Ok(duration_value(as_duration(v)?))
}

fn duration_float(name: &str, a: &[Value], unit: f64) -> FuncResult {
    let [v] = args::<1>(name, a)?;
    Ok(Value::Float(
        as_duration(v).map_or(0.0, |d| d as f64 / unit),
    ))
}

fn duration_int(name: &str, a: &[Value], unit: i64) -> FuncResult {
    let [v] = args::<1>(name, a)?;
    Ok(Value::int64(as_duration(v).map_or(0, |d| d / unit)))
}

fn duration_seconds(a: &[Value]) -> FuncResult {
    duration_float("durationSeconds", a, 1e9)
}

fn duration_minutes(a: &[Value]) -> FuncResult {
    duration_float("durationMinutes", a, 60e9)
}

fn duration_hours(a: &[Value]) -> FuncResult {
    duration_float("durationHours", a, 3600e9)
}

fn duration_days(a: &[Value]) -> FuncResult {
    duration_float("durationDays", a, 86400e9)
}

fn duration_weeks(a: &[Value]) -> FuncResult {
    duration_float("durationWeeks", a, 7.0 * 86400e9)
}

fn duration_milliseconds(a: &[Value]) -> FuncResult {
    duration_int("durationMilliseconds", a, 1_000_000)
}

fn duration_microseconds(a: &[Value]) -> FuncResult {
    duration_int("durationMicroseconds", a, 1_000)
}

fn duration_nanoseconds(a: &[Value]) -> FuncResult {
    duration_int("durationNanoseconds", a, 1)
}

/// Go's `Duration.Round(m)`: halves away from zero.
fn round_duration(d: i64, m: i64) -> i64 {
    if m <= 0 {
        return d;
    }
    let r = d % m;
    if d < 0 {
        let r = -r;
        if r + r < m {
            d + r
        } else {
            d.saturating_sub(m - r)
        }
    } else if r + r < m {
        d - r
    } else {
        d.saturating_add(m - r)
    }
}

fn duration_round_to(a: &[Value]) -> FuncResult {
    let [v, m] = args::<2>("durationRoundTo", a)?;
    let Ok(d) = as_duration(v) else {
        return Ok(duration_value(0));
    };
    Ok(duration_value(match as_duration(m) {
        Ok(m) => round_duration(d, m),
        Err(_) => d,
    }))
}

fn duration_truncate_to(a: &[Value]) -> FuncResult {
    let [v, m] = args::<2>("durationTruncateTo", a)?;
    let Ok(d) = as_duration(v) else {
        return Ok(duration_value(0));
    };
    Ok(duration_value(match as_duration(m) {
        Ok(m) if m > 0 => d - d % m,
        _ => d,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(s: &str) -> GoTime {
        let at = DateTime::parse_from_rfc3339(s).unwrap();
        let zone = if at.offset().local_minus_utc() == 0 {
            "UTC".into()
        } else {
            String::new()
        };
        GoTime { at, zone }
    }

    #[test]
    fn format_follows_go_reference_layouts() {
        let t = fixed("2024-03-05T07:08:09.120Z");
        assert_eq!(t.format("2006-01-02"), "2024-03-05");
        assert_eq!(
            t.format("2006-01-02T15:04:05Z07:00"),
            "2024-03-05T07:08:09Z"
        );
        assert_eq!(t.format("Jan _2 3:04PM"), "Mar  5 7:08AM");
        assert_eq!(
            t.format("Monday, 02-Jan-06 15:04:05 MST"),
            "Tuesday, 05-Mar-24 07:08:09 UTC"
        );
        assert_eq!(t.format("15:04:05.000"), "07:08:09.120");
        assert_eq!(t.format("15:04:05.999"), "07:08:09.12");
        assert_eq!(t.display(), "2024-03-05 07:08:09.12 +0000 UTC");
        let z = fixed("2024-03-05T07:08:09+05:30");
        assert_eq!(
            z.format("2006-01-02T15:04:05-0700"),
            "2024-03-05T07:08:09+0530"
        );
        assert_eq!(z.format("Z07:00"), "+05:30");
    }

    #[test]
    fn helm_duration_helpers_accept_strings_and_seconds() {
        let fmt = |v: Value| super::super::super::gofmt::format_value(&v);
        assert_eq!(
            fmt(must_to_duration(&[Value::string("1h30m")]).unwrap()),
            "1h30m0s"
        );
        assert_eq!(fmt(must_to_duration(&[Value::Int(90)]).unwrap()), "1m30s");
        assert_eq!(
            fmt(duration_seconds(&[Value::string("2.5")]).unwrap()),
            "2.5"
        );
        assert_eq!(
            fmt(duration_minutes(&[Value::string("90s")]).unwrap()),
            "1.5"
        );
        assert_eq!(
            fmt(duration_milliseconds(&[Value::string("1.5s")]).unwrap()),
            "1500"
        );
        assert_eq!(
            fmt(duration_seconds(&[Value::string("nope")]).unwrap()),
            "0"
        );
        assert_eq!(
            fmt(duration_round_to(&[Value::string("2h13m"), Value::string("30m")]).unwrap()),
            "2h0m0s"
        );
        assert_eq!(
            fmt(duration_truncate_to(&[Value::string("2h59m"), Value::string("1h")]).unwrap()),
            "2h0m0s"
        );
        assert!(must_to_duration(&[Value::Nil]).is_err());
    }

    #[test]
    fn times_and_durations_marshal_like_go_json() {
        let t = Value::Object(Rc::new(fixed("2024-03-05T07:08:09.5Z")));
        let d = must_to_duration(&[Value::string("1s")]).unwrap();
        let l = Value::list(vec![t, d]);
        let json =
            super::super::json::encode_json(&l, super::super::json::JsonStyle::COMPACT).unwrap();
        assert_eq!(json, "[\"2024-03-05T07:08:09.5Z\",1000000000]");
    }

    #[test]
    fn durations_print_and_parse_like_go() {
        assert_eq!(format_go_duration(0), "0s");
        assert_eq!(format_go_duration(90_000_000_000), "1m30s");
        assert_eq!(format_go_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(format_go_duration(1_500_000), "1.5ms");
        assert_eq!(format_go_duration(-2_500_000_000), "-2.5s");
        assert_eq!(parse_go_duration("1h30m").unwrap(), 5_400_000_000_000);
        assert_eq!(parse_go_duration("-1.5h").unwrap(), -5_400_000_000_000);
        assert!(parse_go_duration("5x").is_err());
        assert!(parse_go_duration("5").is_err());
    }

    #[test]
    fn sprig_date_functions() {
        let t = Value::Object(Rc::new(fixed("2024-03-05T07:08:09Z")));
        let fmt = |v: Value| super::super::super::gofmt::format_value(&v);
        assert_eq!(
            fmt(date_in_zone(&[
                Value::string("2006-01-02 15:04"),
                t.clone(),
                Value::string("UTC")
            ])
            .unwrap()),
            "2024-03-05 07:08"
        );
        assert_eq!(
            fmt(unix_epoch(std::slice::from_ref(&t)).unwrap()),
            "1709622489"
        );
        let m = date_modify(&[Value::string("-1h"), t.clone()]).unwrap();
        assert_eq!(fmt(unix_epoch(&[m]).unwrap()), "1709618889");
        assert_eq!(fmt(duration(&[Value::int64(95)]).unwrap()), "1m35s");
        assert_eq!(fmt(duration(&[Value::string("95")]).unwrap()), "1m35s");
        assert_eq!(
            fmt(duration_round(&[Value::string("2h10m")]).unwrap()),
            "2h"
        );
        assert_eq!(
            fmt(duration_round(&[Value::string("3600s")]).unwrap()),
            "60m"
        );
        assert_eq!(
            fmt(
                date_in_zone(&[Value::string("2006"), Value::Int(0), Value::string("UTC")])
                    .unwrap()
            ),
            "1970"
        );
        let parsed = to_date(&[
            Value::string("2006-01-02T15:04:05Z07:00"),
            Value::string("2024-03-05T07:08:09Z"),
        ])
        .unwrap();
        assert_eq!(fmt(unix_epoch(&[parsed]).unwrap()), "1709622489");
        assert!(must_to_date(&[Value::string("2006-01-02"), Value::string("nope")]).is_err());
        let Err(e) = unix_epoch(&[Value::string("x")]) else {
            panic!("accepted a string")
        };
        assert_eq!(e.0, "wrong type for value; expected time.Time; got string");
    }

    #[test]
    fn duration_and_duration_round_take_only_int64_numbers() {
        // Sprig switches on the dynamic type: a Go `int` (a literal, `len`) falls to 0s.
        let fmt = |v: Value| super::super::super::gofmt::format_value(&v);
        assert_eq!(fmt(duration(&[Value::Int(95)]).unwrap()), "0s");
        assert_eq!(fmt(duration(&[Value::Float(95.0)]).unwrap()), "0s");
        let hour = 3_600_000_000_000;
        assert_eq!(fmt(duration_round(&[Value::Int(hour)]).unwrap()), "0s");
        assert_eq!(
            fmt(duration_round(&[Value::int64(hour + 1)]).unwrap()),
            "1h"
        );
        assert_eq!(fmt(duration_round(&[duration_value(hour)]).unwrap()), "0s");
    }

    #[test]
    fn date_takes_int_and_int64_seconds_but_not_other_integers() {
        let year = |v: Value| {
            let t = date_in_zone(&[Value::string("2006"), v, Value::string("UTC")]);
            super::super::super::gofmt::format_value(&t.unwrap())
        };
        assert_eq!(year(Value::Int(0)), "1970");
        assert_eq!(year(Value::int64(0)), "1970");
        assert_ne!(year(Value::uint8(0)), "1970");
    }

    #[test]
    fn time_methods_check_their_go_parameter_types() {
        let t = fixed("2024-03-05T07:08:09Z");
        let day = |v: &Value| match v {
            Value::Object(o) => o.field("Day"),
            _ => None,
        };
        let next = t.call("AddDate", &[Value::Int(0), Value::Int(0), Value::Int(1)]);
        assert!(matches!(
            next.as_ref().map(|r| r.as_ref().map(day)),
            Some(Ok(Some(Value::Int(6))))
        ));
        let refused = t.call("AddDate", &[Value::Int(0), Value::Int(0), Value::int64(1)]);
        assert_eq!(
            refused.map(|r| r.map(|_| ())),
            Some(Err(FuncError(
                "wrong type for value; expected int; got int64".into()
            )))
        );
        let hour = duration_value(3_600_000_000_000);
        let later = t
            .call("Add", &[hour])
            .and_then(Result::ok)
            .map(|v| v.type_name());
        assert_eq!(later.as_deref(), Some("time.Time"));
        let refused = t.call("Add", &[Value::int64(1)]);
        assert_eq!(
            refused.map(|r| r.map(|_| ())),
            Some(Err(FuncError(
                "wrong type for value; expected time.Duration; got int64".into()
            )))
        );
        let since = t.call(
            "Sub",
            &[Value::Object(Rc::new(fixed("2024-03-05T07:08:08Z")))],
        );
        let shown = since
            .and_then(Result::ok)
            .map(|v| super::super::super::gofmt::format_value(&v));
        assert_eq!(shown.as_deref(), Some("1s"));
    }
}
