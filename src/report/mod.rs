//! Stage 6: the report. Turns a finished run into `report.json`,
//! `timeline.csv`, `journal.jsonl` and `report.html`, and writes them
//! atomically: every file goes to a temporary name first and is renamed into
//! place only when all of them were written, so a failed run never clobbers
//! earlier results.

pub mod evaluation;
pub mod geojson;
pub mod html;
pub mod indicators;
pub mod people;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use bevy::prelude::*;
use serde::Serialize;

use crate::city::routing::{RoadState, RouteCache};
use crate::error::Error;
use crate::people::{AffectedGroup, Relief};
use crate::response::Policy;
use crate::response::reserves::{Items2, Reserves};
use crate::response::trucks::TruckState;
use crate::scenario::RunSpec;
use crate::score::{Hours, ReliefStats, Timeline, TimelineRow, relief_stats, round3};
use crate::sim::RunOutcome;
use crate::sim::journal::Journal;

/// Version of the `report.json` layout.
pub const SCHEMA: u32 = 1;

/// `report.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Layout version.
    pub schema: u32,
    /// tabletop version that wrote it.
    pub tabletop_version: String,
    /// Scenario title.
    pub scenario: String,
    /// Chinese title.
    pub scenario_zh: Option<String>,
    /// Map name.
    pub map: String,
    /// Map provenance.
    pub map_provenance: String,
    /// Layout that replaced the depots, if any.
    pub layout: Option<String>,
    /// Seed.
    pub seed: u64,
    /// Local start.
    pub start: String,
    /// Length, h.
    pub duration_h: f64,
    /// Step, s.
    pub step_s: i64,
    /// Dispatch policy.
    pub dispatch_policy: String,
    /// Targets.
    pub targets: TargetsOut,
    /// Overall score.
    pub score: Score,
    /// Per zone with affected people, in map order.
    pub zones: Vec<ZoneScore>,
    /// Per depot, plus household reserves.
    pub reserves: Vec<ReserveOut>,
    /// Items issued per tier.
    pub tiers: Vec<TierOut>,
    /// Groups no depot could reach for a while.
    pub unreachable: Unreachable,
    /// Truck statistics.
    pub fleet: FleetOut,
    /// Hazard figures (flood water balance, threat zones, ...).
    pub hazards: crate::hazard::sim::HazardReport,
    /// Evacuation, shelters, rescue, boats and buses (left out when none of them happened).
    #[serde(skip_serializing_if = "people::PeopleOut::is_empty")]
    pub people: people::PeopleOut,
    /// The plan's measurable targets beside the run's values.
    pub indicators: Vec<indicators::Indicator>,
    /// Expected actions of the injects, met / late / missed (only when the
    /// scenario has some).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evaluation: Vec<evaluation::ExpectationOut>,
}

/// Targets.
#[derive(Debug, Clone, Serialize)]
pub struct TargetsOut {
    /// h.
    pub initial_relief_h: f64,
    /// h.
    pub basic_relief_h: f64,
}

/// Overall score.
#[derive(Debug, Clone, Serialize)]
pub struct Score {
    /// People affected.
    pub affected_people: u64,
    /// Share with initial relief within target.
    pub initial_relief_within_target: f64,
    /// Share with basic relief within target.
    pub basic_relief_within_target: f64,
    /// Hours to initial relief.
    pub initial_relief_hours: Hours,
    /// Hours to basic relief.
    pub basic_relief_hours: Hours,
    /// People without basic relief at the end.
    pub unmet_people_at_end: u64,
    /// People without initial relief at the end.
    pub unmet_initial_at_end: u64,
    /// People whose initial relief came from household reserves.
    pub household_covered: u64,
}

/// One zone's score.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneScore {
    /// Pinyin name.
    pub name: String,
    /// Chinese name.
    pub name_zh: String,
    /// People affected.
    pub affected_people: u64,
    /// Share within target.
    pub initial_relief_within_target: f64,
    /// Share within target.
    pub basic_relief_within_target: f64,
    /// Hours to initial relief.
    pub initial_relief_hours: Hours,
    /// Hours to basic relief.
    pub basic_relief_hours: Hours,
    /// Without basic relief at the end.
    pub unmet_people_at_end: u64,
}

/// One depot's ledger.
#[derive(Debug, Clone, Serialize)]
pub struct ReserveOut {
    /// Depot id.
    pub depot: String,
    /// Place name.
    pub name: String,
    /// Tier.
    pub tier: String,
    /// Items issued (kits + sets).
    pub kits_issued: u64,
    /// Initial kits issued.
    pub initial_issued: u64,
    /// Basic sets issued.
    pub basic_issued: u64,
    /// Stock at start.
    pub stock_start: Items2,
    /// Produced.
    pub produced: Items2,
    /// Added by injects or returned by trucks.
    pub received: Items2,
    /// Stock at end.
    pub stock_end: Items2,
}

/// Items issued per tier.
#[derive(Debug, Clone, Serialize)]
pub struct TierOut {
    /// Tier.
    pub tier: String,
    /// Initial kits.
    pub initial: u64,
    /// Basic sets.
    pub basic: u64,
}

/// Unreachable groups.
#[derive(Debug, Clone, Serialize)]
pub struct Unreachable {
    /// Groups ever unreachable while in need.
    pub groups: u64,
    /// People in them.
    pub people: u64,
    /// Σ people × hours unreachable.
    pub people_hours: f64,
    /// Longest time a group was unreachable, h.
    pub max_hours: f64,
}

/// Truck statistics.
#[derive(Debug, Clone, Serialize)]
pub struct FleetOut {
    /// Trucks.
    pub trucks: u64,
    /// Deliveries by truck.
    pub deliveries: u64,
    /// km driven.
    pub km_driven: f64,
    /// Share of truck-hours on jobs.
    pub utilisation: f64,
    /// Shortest-path trees computed during the run.
    pub route_trees_computed: u64,
}

/// Per-group data for maps: where, how many, relief status at the end.
#[derive(Debug, Clone, Serialize)]
pub struct GroupOut {
    /// Group id.
    pub id: u32,
    /// Road node.
    pub node: u32,
    /// People.
    pub people: u32,
    /// Affected at, h.
    pub affected_h: f64,
    /// Hours from affected to the last person's initial relief (None if not all served).
    pub initial_done_h: Option<f64>,
    /// Hours from affected to the last person's basic relief (None if not all served).
    pub basic_done_h: Option<f64>,
}

/// Everything the writers need.
pub struct RunResult {
    /// The scenario.
    pub spec: std::sync::Arc<RunSpec>,
    /// `report.json` content.
    pub report: Report,
    /// Groups for maps.
    pub groups: Vec<GroupOut>,
    /// Hourly timeline.
    pub timeline: Vec<TimelineRow>,
    /// JSON lines of the journal.
    pub journal_jsonl: String,
    /// Segment ids closed at the end (by an inject, a fire or a toxic cloud).
    pub closed_segments: Vec<u32>,
    /// Every segment's state at the end (for `map.geojson`).
    pub roads_end: RoadState,
    /// Peak flood depth per terrain cell, if the run had a flood.
    pub peak_depth: Option<crate::hazard::grid::Grid<f64>>,
    /// Peak AEGL tier per cell, one grid per release.
    pub threat_zones: Vec<crate::hazard::grid::Grid<u8>>,
    /// Fire state per cell at the end (1 burning, 2 burnt, 3 put out), if the run had a fire.
    pub fire_states: Option<crate::hazard::grid::Grid<u8>>,
}

/// Hours from affected to each hand-out, with people served. Relief counts
/// for the living: when some who were served later died waiting for a boat,
/// the earliest hand-outs are kept up to the number still alive.
fn samples(g: &AffectedGroup, log: &[(crate::scenario::time::SimTime, u32)]) -> impl Iterator<Item = (f64, u32)> {
    let at = g.affected_at;
    let mut left = g.for_relief();
    log.iter().filter_map(move |(t, n)| {
        let n = (*n).min(left);
        left -= n;
        (n > 0).then(|| ((t.secs() - at.secs()) as f64 / 3600.0, n))
    })
}

#[derive(Default)]
struct Acc {
    people: u64,
    initial: Vec<(f64, u32)>,
    basic: Vec<(f64, u32)>,
}

impl Acc {
    fn stats(&mut self, spec: &RunSpec) -> (ReliefStats, ReliefStats) {
        (
            relief_stats(&mut self.initial, self.people, spec.targets.initial_relief_h),
            relief_stats(&mut self.basic, self.people, spec.targets.basic_relief_h),
        )
    }
}

/// Collect the report from a finished run.
pub fn collect(spec: std::sync::Arc<RunSpec>, outcome: &mut RunOutcome) -> RunResult {
    let world = outcome.app.world_mut();
    let mut q = world.query::<(&AffectedGroup, &Relief)>();
    let mut rows: Vec<(&AffectedGroup, &Relief)> = q.iter(world).collect();
    rows.sort_by_key(|(g, _)| g.id);
    let city = &spec.city;
    let mut all = Acc::default();
    let mut zones: BTreeMap<u16, Acc> = BTreeMap::new();
    let mut household = 0u64;
    let mut unreachable = Unreachable {
        groups: 0,
        people: 0,
        people_hours: 0.0,
        max_hours: 0.0,
    };
    let mut groups = Vec::with_capacity(rows.len());
    for (g, r) in &rows {
        let z = zones.entry(g.zone).or_default();
        for acc in [&mut all, z] {
            acc.people += u64::from(g.for_relief());
            acc.initial.extend(samples(g, &r.initial));
            acc.basic.extend(samples(g, &r.basic));
        }
        household += u64::from(r.household);
        if r.unreachable_s > 0 {
            unreachable.groups += 1;
            unreachable.people += u64::from(g.people);
            let h = r.unreachable_s as f64 / 3600.0;
            unreachable.people_hours += h * f64::from(g.people);
            unreachable.max_hours = unreachable.max_hours.max(h);
        }
        let done = |log: &[(crate::scenario::time::SimTime, u32)], n: u32| {
            (n >= g.for_relief())
                .then(|| {
                    log.iter()
                        .map(|(t, _)| t.hours() - g.affected_at.hours())
                        .fold(0.0, f64::max)
                })
                .map(round3)
        };
        groups.push(GroupOut {
            id: g.id.0,
            node: g.node,
            people: g.people,
            affected_h: round3(g.affected_at.hours()),
            initial_done_h: done(&r.initial, r.initial_done),
            basic_done_h: done(&r.basic, r.basic_done),
        });
    }
    unreachable.people_hours = round3(unreachable.people_hours);
    unreachable.max_hours = round3(unreachable.max_hours);
    let (ini, bas) = all.stats(&spec);
    let score = Score {
        affected_people: all.people,
        initial_relief_within_target: round6(ini.within_target),
        basic_relief_within_target: round6(bas.within_target),
        initial_relief_hours: ini.hours,
        basic_relief_hours: bas.hours,
        unmet_people_at_end: bas.people - bas.served,
        unmet_initial_at_end: ini.people - ini.served,
        household_covered: household,
    };
    let zones: Vec<ZoneScore> = zones
        .into_iter()
        .map(|(z, mut acc)| {
            let (i, b) = acc.stats(&spec);
            let zone = &city.zones[usize::from(z)];
            ZoneScore {
                name: zone.name.clone(),
                name_zh: zone.name_zh.clone(),
                affected_people: acc.people,
                initial_relief_within_target: round6(i.within_target),
                basic_relief_within_target: round6(b.within_target),
                initial_relief_hours: i.hours,
                basic_relief_hours: b.hours,
                unmet_people_at_end: b.people - b.served,
            }
        })
        .collect();

    let reserves = world.resource::<Reserves>();
    let mut out_res: Vec<ReserveOut> = reserves
        .depots
        .iter()
        .map(|d| ReserveOut {
            depot: d.def.id.clone(),
            name: d.def.name.clone(),
            tier: d.def.tier.label().to_string(),
            kits_issued: d.issued.initial + d.issued.basic,
            initial_issued: d.issued.initial,
            basic_issued: d.issued.basic,
            stock_start: d.start,
            produced: d.produced,
            received: d.received,
            stock_end: d.stock,
        })
        .collect();
    out_res.push(ReserveOut {
        depot: "households".into(),
        name: "Household reserves".into(),
        tier: "household".into(),
        kits_issued: household,
        initial_issued: household,
        basic_issued: 0,
        stock_start: Items2::default(),
        produced: Items2::default(),
        received: Items2::default(),
        stock_end: Items2::default(),
    });
    let mut tiers: Vec<TierOut> = Vec::new();
    for tier in ["government", "enterprise", "commercial", "community", "household"] {
        let (i, b) = out_res
            .iter()
            .filter(|r| r.tier == tier)
            .fold((0, 0), |a, r| (a.0 + r.initial_issued, a.1 + r.basic_issued));
        tiers.push(TierOut {
            tier: tier.into(),
            initial: i,
            basic: b,
        });
    }

    let mut tq = world.query::<&TruckState>();
    let trucks: Vec<&TruckState> = tq.iter(world).collect();
    let journal = world.resource::<Journal>();
    let deliveries = journal
        .events
        .iter()
        .filter(|e| matches!(e, crate::sim::journal::SimEvent::Delivered { truck: Some(_), .. }))
        .count() as u64;
    let run_s = spec.end.secs() as f64;
    let fleet = FleetOut {
        trucks: trucks.len() as u64,
        deliveries,
        km_driven: round3(trucks.iter().map(|t| t.driven_m).sum::<f64>() / 1000.0),
        utilisation: if trucks.is_empty() {
            0.0
        } else {
            round6(trucks.iter().map(|t| t.busy_s).sum::<f64>() / (run_s * trucks.len() as f64))
        },
        route_trees_computed: world.resource::<RouteCache>().computed,
    };
    let report = Report {
        schema: SCHEMA,
        tabletop_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: spec.name.clone(),
        scenario_zh: spec.name_zh.clone(),
        map: city.name.clone(),
        map_provenance: city.provenance.clone(),
        layout: spec.layout.clone(),
        seed: spec.seed,
        start: spec.start.format("%Y-%m-%d %H:%M").to_string(),
        duration_h: spec.end.hours(),
        step_s: spec.step.secs(),
        dispatch_policy: world.resource::<Policy>().0.name().to_string(),
        targets: TargetsOut {
            initial_relief_h: spec.targets.initial_relief_h,
            basic_relief_h: spec.targets.basic_relief_h,
        },
        score,
        zones,
        reserves: out_res,
        tiers,
        unreachable,
        fleet,
        hazards: crate::hazard::sim::report(world),
        people: people::collect(&spec, world),
        indicators: Vec::new(),
        evaluation: evaluation::evaluate(&spec, &world.resource::<Journal>().events),
    };
    let mut report = report;
    report.indicators = indicators::indicators(&spec, &report);
    let roads = world.resource::<RoadState>();
    let closed_segments = roads
        .iter()
        .filter(|&(i, s)| s == crate::city::routing::EdgeState::Closed || roads.hazard_closed(i))
        .map(|(i, _)| i)
        .collect();
    RunResult {
        spec: spec.clone(),
        report,
        groups,
        timeline: world.resource::<Timeline>().0.clone(),
        journal_jsonl: world.resource::<Journal>().to_jsonl(),
        closed_segments,
        roads_end: roads.clone(),
        peak_depth: crate::hazard::sim::peak_depth(world),
        threat_zones: crate::hazard::sim::threat_zones(world),
        fire_states: crate::hazard::sim::fire_states(world),
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

impl RunResult {
    /// `report.json` text.
    pub fn report_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.report).expect("invariant: report serializes");
        s.push('\n');
        s
    }

    /// `timeline.csv` text.
    pub fn timeline_csv(&self) -> String {
        let mut s = String::from("hour,affected,served_initial,served_basic,trucks_busy\n");
        for r in &self.timeline {
            s.push_str(&format!(
                "{},{},{},{},{}\n",
                r.hour, r.affected, r.served_initial, r.served_basic, r.trucks_busy
            ));
        }
        s
    }

    /// Every output file: (name, content).
    pub fn files(&self) -> Vec<(&'static str, String)> {
        vec![
            ("report.json", self.report_json()),
            ("timeline.csv", self.timeline_csv()),
            ("journal.jsonl", self.journal_jsonl.clone()),
            ("report.html", html::render(self)),
            ("map.geojson", geojson::render(self)),
        ]
    }

    /// The terminal summary.
    pub fn summary(&self) -> String {
        let r = &self.report;
        let s = &r.score;
        let pct = |x: f64| format!("{:.1} %", x * 100.0);
        let hours = |h: &Hours| {
            let f = |o: Option<f64>| o.map_or("never".to_string(), |v| format!("{v:.1} h"));
            format!("p50 {}, p90 {}, max {}", f(h.p50), f(h.p90), f(h.max))
        };
        let mut out = String::new();
        out.push_str(&format!(
            "{}{}\n",
            r.scenario,
            r.scenario_zh.as_ref().map(|z| format!(" ({z})")).unwrap_or_default()
        ));
        out.push_str(&format!(
            "  map {} · seed {} · {} h from {} · policy {}{}\n",
            r.map,
            r.seed,
            r.duration_h,
            r.start,
            r.dispatch_policy,
            r.layout.as_ref().map(|l| format!(" · layout {l}")).unwrap_or_default()
        ));
        out.push_str(&format!(
            "  affected: {} people ({} covered by household reserves)\n",
            s.affected_people, s.household_covered
        ));
        out.push_str(&format!(
            "  initial relief within {} h: {}   ({})\n",
            r.targets.initial_relief_h,
            pct(s.initial_relief_within_target),
            hours(&s.initial_relief_hours)
        ));
        out.push_str(&format!(
            "  basic relief within {} h:   {}   ({})\n",
            r.targets.basic_relief_h,
            pct(s.basic_relief_within_target),
            hours(&s.basic_relief_hours)
        ));
        out.push_str(&format!(
            "  unmet at end: {} people without basic relief, {} without initial relief\n",
            s.unmet_people_at_end, s.unmet_initial_at_end
        ));
        if r.unreachable.groups > 0 {
            out.push_str(&format!(
                "  unreachable: {} groups ({} people) cut off for up to {:.1} h\n",
                r.unreachable.groups, r.unreachable.people, r.unreachable.max_hours
            ));
        }
        let mut slow: Vec<&ZoneScore> = r.zones.iter().collect();
        slow.sort_by(|a, b| {
            a.basic_relief_within_target
                .total_cmp(&b.basic_relief_within_target)
                .then(
                    a.initial_relief_within_target
                        .total_cmp(&b.initial_relief_within_target),
                )
        });
        if !slow.is_empty() {
            out.push_str("  slowest zones (share within 12 h / 24 h, p90 to basic relief):\n");
            for z in slow.iter().take(5) {
                out.push_str(&format!(
                    "    {:<10} {:>7} people   {:>6} / {:>6}   p90 {}\n",
                    z.name_zh,
                    z.affected_people,
                    pct(z.initial_relief_within_target),
                    pct(z.basic_relief_within_target),
                    z.basic_relief_hours
                        .p90
                        .map_or("never".to_string(), |v| format!("{v:.1} h"))
                ));
            }
        }
        let hz = &r.hazards;
        if let Some(f) = &hz.flood {
            out.push_str(&format!(
                "  flood: peak {} km² flooded, deepest {} m, {} people affected\n",
                f.peak_flooded_area_km2, f.max_depth_m, f.people_affected
            ));
        }
        for f in &hz.fires {
            out.push_str(&format!(
                "  fire {}: {} km² reached, {}, {} people affected\n",
                f.id,
                f.burnt_area_km2,
                f.out_at_h
                    .map_or("still burning at the end".to_string(), |h| format!("out at {h:.1} h")),
                f.people_affected
            ));
        }
        for rel in &hz.releases {
            out.push_str(&format!(
                "  release {}: {} kg, AEGL-2 zone {} km², {} people evacuated{}\n",
                rel.id,
                rel.released_kg,
                rel.threat_zone_km2[1],
                rel.evacuated_people,
                rel.stopped_at_h
                    .map(|h| format!(", stopped at {h:.1} h"))
                    .unwrap_or_default()
            ));
        }
        let p = &r.people;
        let hours = |h: Option<f64>| h.map_or("—".to_string(), |h| format!("{h:.1} h"));
        if let Some(e) = &p.evacuation {
            out.push_str(&format!(
                "  evacuation: {} ordered out, {} walked, {} by bus, {} refused, {} found no shelter place; peak {} in shelters\n",
                e.ordered, e.walked, e.by_bus, e.refused, e.no_shelter, e.peak_sheltered
            ));
        }
        if let Some(x) = &p.rescue {
            out.push_str(&format!(
                "  cut off by water: {} people, {} rescued alive, {} found dead, {} still cut off; median wait for a boat {}\n",
                x.stranded,
                x.rescued_alive,
                x.died_waiting,
                x.still_stranded_at_end,
                hours(x.wait_h_median)
            ));
        }
        if let Some(x) = &p.trapped {
            out.push_str(&format!(
                "  trapped in rubble: {} people, {} freed alive, {} found dead, {} still trapped; median wait for a rescue team {}\n",
                x.trapped,
                x.freed_alive,
                x.found_dead,
                x.still_trapped_at_end,
                hours(x.wait_h_median)
            ));
        }
        if let Some(m) = &p.medical {
            out.push_str(&format!(
                "  injured: {} red ({} admitted, median {} to hospital), {} yellow ({} admitted), {} green treated on the spot\n",
                m.red.injured,
                m.red.admitted,
                hours(m.red.hours_p50),
                m.yellow.injured,
                m.yellow.admitted,
                m.green
            ));
        }
        if let Some(x) = &p.roads {
            out.push_str(&format!(
                "  damaged roads: {} segments, {} repaired, {} still closed; median {} from damage to reopening\n",
                x.damaged,
                x.repaired,
                x.still_damaged_at_end,
                hours(x.closed_h_median)
            ));
        }
        if let Some(e) = &hz.economic_loss {
            out.push_str(&format!(
                "  direct economic loss: {:.1} million yuan{}\n",
                e.total_yuan / 1e6,
                e.share_of_gdp
                    .map(|g| format!(" ({:.3} % of GDP; plan: < 1 % a year)", g * 100.0))
                    .unwrap_or_default()
            ));
        }
        let missed: Vec<&str> = r
            .indicators
            .iter()
            .filter(|i| i.status == indicators::Status::Missed)
            .map(|i| i.name.as_str())
            .collect();
        let met = r
            .indicators
            .iter()
            .filter(|i| i.status == indicators::Status::Met)
            .count();
        out.push_str(&format!(
            "  plan indicators: {met} met, {} missed{}\n",
            missed.len(),
            if missed.is_empty() {
                String::new()
            } else {
                format!(" ({})", missed.join("; "))
            }
        ));
        out.push_str(&format!(
            "  trucks: {} · {} deliveries · {:.0} km · {:.0} % busy\n",
            r.fleet.trucks,
            r.fleet.deliveries,
            r.fleet.km_driven,
            r.fleet.utilisation * 100.0
        ));
        out
    }
}

/// Write files into `dir` atomically: all are written to temporary names and
/// renamed into place only when every write succeeded.
///
/// # Errors
/// [`Error::Write`]; temporary files are removed and existing files are untouched.
pub fn write_atomically(dir: &Path, files: &[(&str, String)]) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut temps: Vec<(PathBuf, PathBuf)> = Vec::new();
    let result = (|| {
        for (name, content) in files {
            let dest = dir.join(name);
            let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
            temps.push((tmp.clone(), dest));
            let mut f = std::fs::File::create(&tmp).map_err(|source| Error::Write {
                path: tmp.clone(),
                source,
            })?;
            f.write_all(content.as_bytes()).map_err(|source| Error::Write {
                path: tmp.clone(),
                source,
            })?;
            f.sync_all().map_err(|source| Error::Write {
                path: tmp.clone(),
                source,
            })?;
        }
        for (tmp, dest) in &temps {
            std::fs::rename(tmp, dest).map_err(|source| Error::Write {
                path: dest.clone(),
                source,
            })?;
        }
        Ok(())
    })();
    if result.is_err() {
        for (tmp, _) in &temps {
            let _ = std::fs::remove_file(tmp);
        }
    }
    result
}
