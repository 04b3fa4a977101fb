//! The Linqing plan's measurable targets beside the run's values
//! (`../shared/DOMAIN.md`, "Targets from the Linqing plan"; the plan, section
//! 二(三), and its indicator table).
//!
//! Each row says met / missed / not applicable and where the value comes from.
//! Yearly targets (deaths, economic loss) are compared with a single event's
//! figure, and the row says so.

use serde::Serialize;

use super::Report;
use crate::city::map_schema::{PlaceKind, ZoneKind};
use crate::scenario::RunSpec;

/// Whether a target is met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The value meets the target.
    Met,
    /// It does not.
    Missed,
    /// The run says nothing about it (no such hazard, or not modelled yet).
    NotApplicable,
}

/// One target of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    /// What is measured.
    pub name: String,
    /// The plan's target (a share, m² per person, deaths per million, ...).
    pub target: f64,
    /// `at_least` or `below`.
    pub sense: &'static str,
    /// The run's value, when there is one.
    pub value: Option<f64>,
    /// Unit of target and value.
    pub unit: &'static str,
    /// Met, missed or not applicable.
    pub status: Status,
    /// Where the value comes from.
    pub source: String,
}

/// Share at or above which "everybody" counts as reached (rounding of people shares).
const ALL: f64 = 0.999_5;

fn row(
    name: &str,
    target: f64,
    at_least: bool,
    value: Option<f64>,
    unit: &'static str,
    source: impl Into<String>,
) -> Indicator {
    let status = match value {
        None => Status::NotApplicable,
        Some(v) if (at_least && v >= target) || (!at_least && v < target) => Status::Met,
        Some(_) => Status::Missed,
    };
    Indicator {
        name: name.to_string(),
        target,
        sense: if at_least { "at_least" } else { "below" },
        value,
        unit,
        status,
        source: source.into(),
    }
}

/// The plan's indicators for a finished run.
pub fn indicators(spec: &RunSpec, report: &Report) -> Vec<Indicator> {
    let s = &report.score;
    let city = &spec.city;
    let mut out = Vec::new();
    let affected = s.affected_people > 0;
    let share = |v: f64| affected.then_some(if v >= ALL { 1.0 } else { (v * 1e4).round() / 1e4 });
    out.push(row(
        &format!(
            "affected people with initial relief within {} h",
            report.targets.initial_relief_h
        ),
        1.0,
        true,
        share(s.initial_relief_within_target),
        "share",
        "score.initial_relief_within_target",
    ));
    out.push(row(
        &format!(
            "affected people with basic living relief within {} h",
            report.targets.basic_relief_h
        ),
        1.0,
        true,
        share(s.basic_relief_within_target),
        "share",
        "score.basic_relief_within_target",
    ));
    let shelter_m2: f64 = city
        .places
        .iter()
        .filter(|p| p.kind == PlaceKind::Shelter)
        .filter_map(|p| p.usable_m2)
        .sum();
    let urban: f64 = city
        .zones
        .iter()
        .filter(|z| z.kind == ZoneKind::Subdistrict)
        .map(|z| f64::from(z.population))
        .sum();
    out.push(row(
        "emergency shelter area per urban resident (static)",
        spec.targets.shelter_m2_per_person,
        true,
        (urban > 0.0).then(|| (shelter_m2 / urban * 100.0).round() / 100.0),
        "m² per person",
        format!(
            "usable m² of the map's {} shelters over the subdistricts' {} residents",
            city.places.iter().filter(|p| p.kind == PlaceKind::Shelter).count(),
            urban
        ),
    ));
    let dynamic = super::people::dynamic_m2_per_person(&report.people);
    out.push(row(
        "shelter area per sheltered person at peak (dynamic)",
        spec.targets.shelter_m2_per_person,
        true,
        dynamic,
        "m² per person",
        match (&spec.evacuation, dynamic) {
            (None, _) => "the scenario orders no evacuation",
            (Some(_), None) => "nobody reached a shelter in the run",
            (Some(_), Some(_)) => {
                "people.evacuation.shelters: usable m² over the peak occupants of the most crowded shelter"
            }
        },
    ));
    let deaths = report.hazards.expected_deaths.as_ref();
    out.push(row(
        "disaster deaths per million people (plan: per year)",
        0.5,
        false,
        deaths.map(|d| d.per_million),
        "per million",
        if deaths.is_some() {
            "hazards.expected_deaths.per_million: this event alone, if nobody had left (an upper bound)"
        } else {
            "no hazard model ran (declared impacts carry no deaths)"
        },
    ));
    let loss = report.hazards.economic_loss.as_ref();
    out.push(row(
        "direct economic loss as a share of GDP (plan: per year)",
        0.01,
        false,
        loss.and_then(|e| e.share_of_gdp),
        "share",
        match loss {
            Some(e) if e.share_of_gdp.is_some() => "hazards.economic_loss.share_of_gdp: this event alone".to_string(),
            Some(_) => "the scenario gives no economy.gdp_yuan".to_string(),
            None => "no flood or fire in the run".to_string(),
        },
    ));
    let people: f64 = city.node_people.iter().map(|&p| f64::from(p)).sum();
    let fire_deaths = deaths.filter(|_| !report.hazards.fires.is_empty()).map(|d| d.fire);
    out.push(row(
        "fire deaths per 100 000 people (plan: per year)",
        0.25,
        false,
        fire_deaths
            .filter(|_| people > 0.0)
            .map(|d| (d / people * 1e5 * 1000.0).round() / 1000.0),
        "per 100 000",
        if fire_deaths.is_some() {
            "hazards.expected_deaths.fire: this event alone, if nobody had left (an upper bound)"
        } else {
            "no fire in the run"
        },
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_compare_in_the_right_sense() {
        assert_eq!(row("a", 1.0, true, Some(1.0), "share", "").status, Status::Met);
        assert_eq!(row("a", 1.0, true, Some(0.98), "share", "").status, Status::Missed);
        assert_eq!(row("a", 0.5, false, Some(0.49), "x", "").status, Status::Met);
        assert_eq!(row("a", 0.5, false, Some(0.5), "x", "").status, Status::Missed);
        assert_eq!(row("a", 0.5, false, None, "x", "").status, Status::NotApplicable);
        let json = serde_json::to_string(&row("a", 0.5, false, None, "x", "s")).unwrap();
        assert!(json.contains("\"status\":\"not_applicable\""), "{json}");
    }
}
