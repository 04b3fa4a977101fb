//! Simulated time: seconds since the start of a run, and the two ways a
//! scenario writes a moment — a duration from the start (`"2h30m"`) or a clock
//! time (`"2026-07-20 14:00"`, `"14:00"`, `"day 2 06:30"`).

use std::fmt;

use chrono::{Duration as ChronoDuration, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

/// A moment of simulated time: whole seconds since the start of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct SimTime(pub i64);

impl SimTime {
    /// The start of the run.
    pub const ZERO: SimTime = SimTime(0);

    /// From hours (rounded to the nearest second).
    pub fn from_hours(h: f64) -> SimTime {
        SimTime((h * 3600.0).round() as i64)
    }

    /// From minutes.
    pub const fn from_minutes(m: i64) -> SimTime {
        SimTime(m * 60)
    }

    /// Seconds since start.
    pub const fn secs(self) -> i64 {
        self.0
    }

    /// Hours since start.
    pub fn hours(self) -> f64 {
        self.0 as f64 / 3600.0
    }

    /// This moment plus `d`.
    pub const fn plus(self, d: SimDuration) -> SimTime {
        SimTime(self.0 + d.0)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        write!(f, "T+{:02}:{:02}", s / 3600, (s % 3600) / 60)
    }
}

/// A span of simulated time in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct SimDuration(pub i64);

impl SimDuration {
    /// From minutes.
    pub const fn from_minutes(m: i64) -> SimDuration {
        SimDuration(m * 60)
    }

    /// From hours (rounded to the nearest second).
    pub fn from_hours(h: f64) -> SimDuration {
        SimDuration((h * 3600.0).round() as i64)
    }

    /// Seconds.
    pub const fn secs(self) -> i64 {
        self.0
    }

    /// Hours.
    pub fn hours(self) -> f64 {
        self.0 as f64 / 3600.0
    }
}

/// Parse a duration such as `"2h30m"`, `"90m"`, `"1d6h"`, `"45s"`, `"1.5h"` or `"0"`.
///
/// # Errors
/// A message saying what was expected, for the caller to place in the file.
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    let s = text.trim().trim_start_matches('+');
    if s == "0" {
        return Ok(SimDuration(0));
    }
    let expected = || format!("expected a duration like \"2h30m\", \"90m\", \"1d6h\" or \"45s\", found \"{text}\"");
    if s.is_empty() {
        return Err(expected());
    }
    let mut total = 0.0_f64;
    let mut number = String::new();
    let mut seen_unit = false;
    for c in s.chars() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let unit_s = match c {
            'd' => 86_400.0,
            'h' => 3_600.0,
            'm' => 60.0,
            's' => 1.0,
            ' ' if number.is_empty() => continue,
            _ => return Err(expected()),
        };
        let n: f64 = number.parse().map_err(|_| expected())?;
        total += n * unit_s;
        number.clear();
        seen_unit = true;
    }
    if !number.is_empty() || !seen_unit {
        return Err(expected());
    }
    if total > 366.0 * 86_400.0 {
        return Err(format!(
            "duration \"{text}\" is longer than a year; expected hours or days"
        ));
    }
    Ok(SimDuration(total.round() as i64))
}

/// Parse the scenario's start, e.g. `"2026-07-20 06:00"` or `"2026-07-20T06:00:00"`.
///
/// # Errors
/// A message saying what was expected.
pub fn parse_datetime(text: &str) -> Result<NaiveDateTime, String> {
    let t = text.trim();
    for fmt in [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, fmt) {
            return Ok(dt);
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d.and_time(NaiveTime::MIN));
    }
    Err(format!(
        "expected a local date and time like \"2026-07-20 06:00\", found \"{text}\""
    ))
}

/// A moment as written in a scenario: a duration from the start, or a clock time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TimeSpec(pub String);

impl TimeSpec {
    /// Resolve against the run's start.
    ///
    /// Accepted forms: a duration (`"2h30m"`, `"+90m"`), a full date-time
    /// (`"2026-07-20 14:00"`), a clock time (`"14:00"`: the first time the clock
    /// shows it at or after the start) or `"day N HH:MM"` (day 1 is the start day).
    ///
    /// # Errors
    /// A message saying what was expected; the caller adds file, line and field.
    pub fn resolve(&self, start: NaiveDateTime) -> Result<SimTime, String> {
        let s = self.0.trim();
        if let Ok(d) = parse_duration(s) {
            return Ok(SimTime(d.0));
        }
        if let Ok(dt) = parse_datetime(s) {
            return Ok(SimTime((dt - start).num_seconds()));
        }
        if let Some(rest) = s.strip_prefix("day ") {
            let mut parts = rest.split_whitespace();
            let day: Option<i64> = parts.next().and_then(|d| d.parse().ok());
            let clock = parts.next().and_then(|c| NaiveTime::parse_from_str(c, "%H:%M").ok());
            if let (Some(day), Some(clock), None) = (day, clock, parts.next())
                && day >= 1
            {
                let dt = start.date().and_time(clock) + ChronoDuration::days(day - 1);
                return Ok(SimTime((dt - start).num_seconds()));
            }
        }
        if let Ok(clock) = NaiveTime::parse_from_str(s, "%H:%M") {
            let mut dt = start.date().and_time(clock);
            if dt < start {
                dt += ChronoDuration::days(1);
            }
            return Ok(SimTime((dt - start).num_seconds()));
        }
        Err(format!(
            "expected a time: a duration from the start like \"2h30m\", or a clock time like \"14:00\", \"day 2 06:30\" or \"2026-07-20 14:00\"; found \"{}\"",
            self.0
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> NaiveDateTime {
        parse_datetime("2026-07-20 06:00").unwrap()
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2h30m"), Ok(SimDuration(9_000)));
        assert_eq!(parse_duration("90m"), Ok(SimDuration(5_400)));
        assert_eq!(parse_duration("1d6h"), Ok(SimDuration(108_000)));
        assert_eq!(parse_duration("1.5h"), Ok(SimDuration(5_400)));
        assert_eq!(parse_duration("0"), Ok(SimDuration(0)));
        assert_eq!(parse_duration("+45s"), Ok(SimDuration(45)));
        for bad in ["", "h", "2x", "2h30", "-2h", "abc", "400d"] {
            assert!(parse_duration(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn clock_times_resolve_against_the_start() {
        let t = |s: &str| TimeSpec(s.into()).resolve(start());
        assert_eq!(t("2h"), Ok(SimTime(7_200)));
        assert_eq!(t("08:00"), Ok(SimTime(7_200)));
        assert_eq!(t("05:00"), Ok(SimTime(23 * 3_600)), "before the start ⇒ next day");
        assert_eq!(t("day 2 06:00"), Ok(SimTime(86_400)));
        assert_eq!(t("2026-07-21 06:30"), Ok(SimTime(88_200)));
        assert_eq!(t("2026-07-19 06:00"), Ok(SimTime(-86_400)), "caller checks the range");
        assert!(t("tomorrow").is_err());
        assert!(t("day 0 06:00").is_err());
    }

    #[test]
    fn display_is_hours_and_minutes() {
        assert_eq!(SimTime(9_000 + 59).to_string(), "T+02:30");
        assert_eq!(SimTime(100 * 3600).to_string(), "T+100:00");
    }
}
