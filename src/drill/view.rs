//! What a drill shows, read from the simulation world without a window: where
//! each unit is and what it is doing, each affected group's relief status, the
//! per-zone scoreboard and the event log. The GUI draws these; the tests check
//! them headless.
//!
//! Trucks and fire/hazmat teams carry their road route, so their markers move
//! along the roads. Boats, buses, ambulances and repair teams plan a trip as
//! stops with times (called, pickup, arrival); between two stops their marker
//! moves in a straight line ([`Trails`] remembers where each trip began).

use std::collections::BTreeMap;

use bevy::prelude::*;
use petgraph::graph::EdgeIndex;

use crate::city::{CityMap, Xy};
use crate::hazard::sim::HazardWorld;
use crate::hazard::teams::TeamState;
use crate::people::medical::Patients;
use crate::people::{AffectedGroup, GroupIndex, Relief};
use crate::response::trucks::{Phase, Truck, TruckState};
use crate::response::units::{UnitState, UnitTask, Units};
use crate::scenario::TeamKind;
use crate::scenario::time::SimTime;
use crate::sim::journal::{Journal, SimEvent};
use crate::sim::{City, SimClock, Spec};

/// What a unit is doing, in the terms of the drill (the state machine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Activity {
    /// Available at its base or where it last finished.
    Idle,
    /// Called, getting ready to leave.
    Mobilising,
    /// On the road (or the water) to a task.
    Travelling,
    /// At work: loading, unloading, rescuing, fighting a fire, repairing.
    Working,
    /// Going home.
    Returning,
    /// Off shift.
    Resting,
}

impl Activity {
    /// Every activity, in legend order.
    pub const ALL: [Activity; 6] = [
        Activity::Idle,
        Activity::Mobilising,
        Activity::Travelling,
        Activity::Working,
        Activity::Returning,
        Activity::Resting,
    ];
}

/// Which kind of unit a marker stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnitKind {
    /// A material truck of the reserve system.
    Truck,
    /// A team (fire-rescue, hazmat, boat, bus, ambulance, road repair, town, volunteer).
    Team(TeamKind),
}

/// Who a marker is, so a click can find the unit again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnitRef {
    /// A truck by number (`Truck #3`).
    Truck(u32),
    /// A response team (boat, bus, ambulance, repair) by index into [`Units`].
    Response(usize),
    /// A fire-rescue or hazmat team by index into the hazards' teams.
    Hazard(usize),
}

/// One unit on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitMark {
    /// Who.
    pub unit: UnitRef,
    /// Kind.
    pub kind: UnitKind,
    /// Name shown on inspection.
    pub label: String,
    /// What it is doing.
    pub activity: Activity,
    /// Where, local metres.
    pub xy: Xy,
    /// One line on its task.
    pub detail: String,
}

/// Where each trip of a response team began (remembered across frames, since a
/// trip stores its stops but not its start).
#[derive(Debug, Clone, Default)]
pub struct Trails {
    last_node: BTreeMap<UnitRef, u32>,
}

/// A group's relief status, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReliefStatus {
    /// Nobody has brought anything yet, and the 12 h deadline has not passed.
    Waiting,
    /// Everyone has initial relief (water, food for the first day).
    Initial,
    /// Everyone has basic living relief.
    Basic,
    /// A deadline has passed with people still short (12 h initial, 24 h basic).
    Overdue,
}

/// One affected group on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupMark {
    /// Group number.
    pub id: u32,
    /// Road node where relief reaches them.
    pub node: u32,
    /// Zone index.
    pub zone: u16,
    /// People relief is for (alive, not in hospital).
    pub people: u32,
    /// Status.
    pub status: ReliefStatus,
    /// Time left to the next deadline still open (negative = overdue), s;
    /// None once basic relief is complete.
    pub due_in_s: Option<i64>,
    /// People with initial relief.
    pub initial: u32,
    /// People with basic relief.
    pub basic: u32,
}

/// The scoreboard of one zone (or of the whole city).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZoneScore {
    /// Zone index (None for the whole city).
    pub zone: Option<u16>,
    /// People affected (alive, not in hospital).
    pub affected: u64,
    /// People who had initial relief within the 12 h target.
    pub initial_in_time: u64,
    /// People who had basic relief within the 24 h target.
    pub basic_in_time: u64,
    /// People with initial relief so far.
    pub initial: u64,
    /// People with basic relief so far.
    pub basic: u64,
    /// The nearest open deadline, s from now (negative = overdue).
    pub next_due_s: Option<i64>,
}

impl ZoneScore {
    /// Share within 12 h so far (of people affected so far); 1 when nobody is affected.
    pub fn initial_share(&self) -> f64 {
        share(self.initial_in_time, self.affected)
    }

    /// Share within 24 h so far.
    pub fn basic_share(&self) -> f64 {
        share(self.basic_in_time, self.affected)
    }
}

fn share(a: u64, b: u64) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// The 12 h / 24 h targets of a run, s.
fn targets(world: &World) -> (i64, i64) {
    let t = &world.resource::<Spec>().0.targets;
    ((t.initial_relief_h * 3600.0) as i64, (t.basic_relief_h * 3600.0) as i64)
}

/// The moment the world stands at (start of the next step).
pub fn now(world: &World) -> SimTime {
    let c = world.resource::<SimClock>();
    SimTime(c.tick as i64 * c.step.secs())
}

/// Every affected group, in id order.
pub fn groups(world: &World) -> Vec<GroupMark> {
    let (t12, t24) = targets(world);
    let now = now(world);
    let index = world.resource::<GroupIndex>();
    index
        .0
        .iter()
        .filter_map(|&e| {
            let g = world.get::<AffectedGroup>(e)?;
            let r = world.get::<Relief>(e)?;
            Some(group_mark(g, r, now, t12, t24))
        })
        .collect()
}

/// A group's status at `now` with targets `t12`, `t24` (s after it was affected).
pub fn group_mark(g: &AffectedGroup, r: &Relief, now: SimTime, t12: i64, t24: i64) -> GroupMark {
    let people = g.for_relief();
    let initial = r.initial_done.min(people);
    let basic = r.basic_done.min(people);
    let since = now.secs() - g.affected_at.secs();
    let status = if basic >= people {
        ReliefStatus::Basic
    } else if (initial < people && since > t12) || since > t24 {
        ReliefStatus::Overdue
    } else if initial >= people {
        ReliefStatus::Initial
    } else {
        ReliefStatus::Waiting
    };
    let due_in_s = if basic >= people {
        None
    } else if initial < people {
        Some(t12 - since)
    } else {
        Some(t24 - since)
    };
    GroupMark {
        id: g.id.0,
        node: g.node,
        zone: g.zone,
        people,
        status,
        due_in_s,
        initial,
        basic,
    }
}

/// People served within `target` s of `affected_at`, from a relief log.
fn within(log: &[(SimTime, u32)], affected_at: SimTime, target: i64, cap: u32) -> u64 {
    let n: u32 = log
        .iter()
        .filter(|(t, _)| t.secs() - affected_at.secs() <= target)
        .map(|(_, n)| n)
        .sum();
    u64::from(n.min(cap))
}

/// The scoreboard: the whole city first, then each zone with affected people,
/// in zone order.
pub fn scoreboard(world: &World) -> Vec<ZoneScore> {
    let (t12, t24) = targets(world);
    let now = now(world);
    let mut city = ZoneScore::default();
    let mut zones: BTreeMap<u16, ZoneScore> = BTreeMap::new();
    for &e in &world.resource::<GroupIndex>().0 {
        let (Some(g), Some(r)) = (world.get::<AffectedGroup>(e), world.get::<Relief>(e)) else {
            continue;
        };
        let m = group_mark(g, r, now, t12, t24);
        let z = zones.entry(g.zone).or_insert_with(|| ZoneScore {
            zone: Some(g.zone),
            ..default()
        });
        for s in [&mut city, z] {
            s.affected += u64::from(m.people);
            s.initial += u64::from(m.initial);
            s.basic += u64::from(m.basic);
            s.initial_in_time += within(&r.initial, g.affected_at, t12, m.people);
            s.basic_in_time += within(&r.basic, g.affected_at, t24, m.people);
            if let Some(d) = m.due_in_s {
                s.next_due_s = Some(s.next_due_s.map_or(d, |x: i64| x.min(d)));
            }
        }
    }
    let mut out = vec![city];
    out.extend(zones.into_values());
    out
}

/// A point `f` (0–1) of the way along a directed graph edge.
fn along(city: &CityMap, e: EdgeIndex, f: f64) -> Xy {
    let Some((a, b)) = city.graph.edge_endpoints(e) else {
        return Xy { x: 0.0, y: 0.0 };
    };
    let (pa, pb) = (
        city.node_xy[city.graph[a] as usize],
        city.node_xy[city.graph[b] as usize],
    );
    let f = f.clamp(0.0, 1.0);
    Xy {
        x: pa.x + (pb.x - pa.x) * f,
        y: pa.y + (pb.y - pa.y) * f,
    }
}

/// The point a share `f` of the way along a route (by length).
fn along_route(city: &CityMap, route: &[EdgeIndex], f: f64) -> Option<Xy> {
    let len = |e: EdgeIndex| city.segments[city.graph[e] as usize].length_m;
    let total: f64 = route.iter().map(|&e| len(e)).sum();
    let mut left = total * f.clamp(0.0, 1.0);
    for &e in route {
        let l = len(e);
        if left <= l || l <= 0.0 {
            return Some(along(city, e, if l > 0.0 { left / l } else { 1.0 }));
        }
        left -= l;
    }
    route.last().map(|&e| along(city, e, 1.0))
}

fn lerp(a: Xy, b: Xy, f: f64) -> Xy {
    let f = f.clamp(0.0, 1.0);
    Xy {
        x: a.x + (b.x - a.x) * f,
        y: a.y + (b.y - a.y) * f,
    }
}

fn fraction(now: SimTime, from: SimTime, to: SimTime) -> f64 {
    let span = (to.secs() - from.secs()) as f64;
    if span <= 0.0 {
        1.0
    } else {
        (now.secs() - from.secs()) as f64 / span
    }
}

/// Every unit: trucks, response teams, fire-rescue and hazmat teams.
pub fn units(world: &World, trails: &mut Trails) -> Vec<UnitMark> {
    let city = world.resource::<City>().0.clone();
    let spec = world.resource::<Spec>().0.clone();
    let now = now(world);
    let node_xy = |n: u32| city.node_xy[n as usize];
    let mut out = Vec::new();
    let mut list: Vec<_> = match world.try_query::<(&Truck, &TruckState)>() {
        Some(mut q) => q.iter(world).collect(),
        None => Vec::new(),
    };
    list.sort_by_key(|(t, _)| t.id);
    for (truck, st) in list {
        let m = &st.motion;
        let xy = match m.route.front() {
            Some(&e) => {
                let l = city.segments[city.graph[e] as usize].length_m;
                along(&city, e, if l > 0.0 { m.progress_m / l } else { 0.0 })
            }
            None => node_xy(m.node),
        };
        let activity = match st.phase {
            Phase::Idle { .. } => Activity::Idle,
            Phase::ToDepot | Phase::Driving => Activity::Travelling,
            Phase::Returning => Activity::Returning,
            Phase::Queued | Phase::Loading { .. } | Phase::Unloading { .. } | Phase::Handover => Activity::Working,
        };
        let depot = &spec.depots[truck.home];
        let detail = match (&st.phase, &st.job) {
            (Phase::Idle { .. }, _) => format!("idle at {}", depot.name),
            (_, Some(job)) => format!(
                "{:?} for {}{}",
                st.phase,
                job.group,
                if m.waiting { " (no route: waiting)" } else { "" }
            ),
            (p, None) => format!("{p:?}"),
        };
        out.push(UnitMark {
            unit: UnitRef::Truck(truck.id.0),
            kind: UnitKind::Truck,
            label: format!("{} ({})", truck.id, depot.name),
            activity,
            xy,
            detail,
        });
    }
    // Response teams: boats, buses, ambulances, road repair, rescue twins.
    if let Some(units) = world.get_resource::<Units>() {
        let index = world.resource::<GroupIndex>();
        let patients = world.get_resource::<Patients>();
        for (k, u) in units.units.iter().enumerate() {
            if u.twin.is_some() && matches!(u.state, UnitState::Idle { .. }) {
                continue; // drawn as a hazard team while not on a rescue here
            }
            let who = UnitRef::Response(k);
            let (activity, xy, detail) = match &u.state {
                UnitState::Idle { node } => {
                    trails.last_node.insert(who, *node);
                    (Activity::Idle, node_xy(*node), "idle".to_string())
                }
                UnitState::Trip(trip) => {
                    let pickup = match trip.task {
                        UnitTask::Rescue(g) | UnitTask::Evacuate(g) | UnitTask::Extricate(g) => index
                            .0
                            .get(g.0 as usize)
                            .and_then(|&e| world.get::<AffectedGroup>(e))
                            .map(|g| g.home),
                        UnitTask::Transport(p, _) => patients
                            .and_then(|ps| ps.list.iter().find(|x| x.id == p))
                            .map(|x| x.node),
                        UnitTask::Repair(s) => Some(city.segments[s as usize].a),
                    }
                    .unwrap_or(trip.landing);
                    let from = trails.last_node.get(&who).copied().unwrap_or(u.def.base);
                    let (activity, xy) = if now < trip.pickup_at {
                        (
                            Activity::Travelling,
                            lerp(
                                node_xy(from),
                                node_xy(pickup),
                                fraction(now, trip.called_at, trip.pickup_at),
                            ),
                        )
                    } else if now < trip.arrive_at {
                        (
                            Activity::Working,
                            lerp(
                                node_xy(pickup),
                                node_xy(trip.landing),
                                fraction(now, trip.pickup_at, trip.arrive_at),
                            ),
                        )
                    } else {
                        (Activity::Working, node_xy(trip.landing))
                    };
                    (activity, xy, task_label(trip.task))
                }
                UnitState::Returning { arrive } => {
                    let from = trails.last_node.get(&who).copied().unwrap_or(u.def.base);
                    (
                        Activity::Returning,
                        node_xy(from),
                        format!("returning to base, arrives {arrive}"),
                    )
                }
                UnitState::Resting { until } => {
                    (Activity::Resting, node_xy(u.def.base), format!("resting until {until}"))
                }
            };
            out.push(UnitMark {
                unit: who,
                kind: UnitKind::Team(u.def.kind),
                label: u.def.id.clone(),
                activity,
                xy,
                detail,
            });
        }
    }
    // Fire-rescue and hazmat teams on hazards.
    if let Some(h) = world.get_resource::<HazardWorld>() {
        for (k, t) in h.teams.iter().enumerate() {
            let who = UnitRef::Hazard(k);
            let (activity, xy, detail) = match &t.state {
                TeamState::Idle { node } => {
                    trails.last_node.insert(who, *node);
                    (Activity::Idle, node_xy(*node), "idle".into())
                }
                TeamState::EnRoute {
                    task,
                    depart,
                    arrive,
                    to,
                    route,
                } => {
                    let xy = if now < *depart {
                        route.first().map_or(node_xy(*to), |&e| along(&city, e, 0.0))
                    } else {
                        along_route(&city, route, fraction(now, *depart, *arrive)).unwrap_or(node_xy(*to))
                    };
                    let a = if now < *depart {
                        Activity::Mobilising
                    } else {
                        Activity::Travelling
                    };
                    (a, xy, format!("{task:?}, arrives {arrive}"))
                }
                TeamState::Working { task, node, since } => {
                    trails.last_node.insert(who, *node);
                    (Activity::Working, node_xy(*node), format!("{task:?} since {since}"))
                }
                TeamState::Returning { arrive } => {
                    let from = trails.last_node.get(&who).copied().unwrap_or(t.def.base);
                    let base = node_xy(t.def.base);
                    (
                        Activity::Returning,
                        lerp(node_xy(from), base, 0.5),
                        format!("returning, arrives {arrive}"),
                    )
                }
                TeamState::Resting { until } => {
                    (Activity::Resting, node_xy(t.def.base), format!("resting until {until}"))
                }
                _ => continue, // away on a response task: drawn there
            };
            out.push(UnitMark {
                unit: who,
                kind: UnitKind::Team(t.def.kind),
                label: t.def.id.clone(),
                activity,
                xy,
                detail,
            });
        }
    }
    out
}

fn task_label(t: UnitTask) -> String {
    match t {
        UnitTask::Rescue(g) => format!("rescue by boat: {g}"),
        UnitTask::Evacuate(g) => format!("evacuate {g}"),
        UnitTask::Transport(p, tr) => format!("{tr:?} patients #{p} to hospital"),
        UnitTask::Extricate(g) => format!("free trapped people: {g}"),
        UnitTask::Repair(s) => format!("repair road segment #{s}"),
    }
}

/// One line of the event log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    /// When.
    pub t: SimTime,
    /// The journal's event name, for the filter (`Inject`, `Command`, `Dispatched`, ...).
    pub kind: String,
    /// The event's fields, `name: value`, in the journal's order.
    pub text: String,
}

/// One journal event as a log line.
pub fn log_line(e: &SimEvent) -> LogLine {
    let mut kind = String::new();
    let mut parts = Vec::new();
    if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(e) {
        for (k, v) in map {
            match (k.as_str(), v) {
                ("event", serde_json::Value::String(s)) => kind = s,
                ("t", _) => {}
                (k, serde_json::Value::String(s)) => parts.push(format!("{k}: {s}")),
                (k, v) => parts.push(format!("{k}: {v}")),
            }
        }
    }
    LogLine {
        t: e.time(),
        kind,
        text: parts.join(" · "),
    }
}

/// The journal from entry `from` on, as log lines (the log grows; the GUI
/// keeps the lines it has and asks only for the new ones).
pub fn log_lines(world: &World, from: usize) -> Vec<LogLine> {
    world
        .get_resource::<Journal>()
        .and_then(|j| j.events.get(from..))
        .unwrap_or_default()
        .iter()
        .map(log_line)
        .collect()
}

/// Entries in the journal so far.
pub fn journal_len(world: &World) -> usize {
    world.get_resource::<Journal>().map_or(0, |j| j.events.len())
}
