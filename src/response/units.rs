//! The response's teams as agents: boats, buses, ambulances, rescue teams
//! for people trapped in rubble, and road repair teams.
//!
//! - A **bus** fetches evacuees who wait at home for one
//!   ([`Going::Bus`](crate::people::Going)) and drives them to their shelter.
//! - A **boat** (a flood-rescue team with an assault boat on a trailer) takes
//!   stranded people off flooded homes. The trailer drives by road to a launch
//!   point on the edge of the water; the boat crosses flooded cells only
//!   ([`super::water`]), at its water speed; back at the launch point the
//!   survivors are driven on to their shelter. How many are still alive when
//!   the boat reaches them follows the scenario's survival curve
//!   ([`crate::people::survival`]), drawn per trip (stream `"rescue"`).
//!
//! - A **rescue team** (a fire-rescue company, a town or village team, or
//!   volunteers with rope or demolition skills) drives to people trapped in
//!   collapsed buildings and frees up to `seats` of them per `work` period;
//!   how many are alive follows `rescue.trapped_survival` at the moment they
//!   are freed. Fire-rescue companies belong to the hazards as well
//!   ([`crate::hazard::teams`]): an idle one may be taken here first (life
//!   safety before hazard control) and is handed back where its task ends.
//! - A **road repair team** drives to a damaged segment (washed out by a
//!   flood, or damaged by an inject) once the water has gone from it, works
//!   on it for `work`, and reopens it. Trunk roads are repaired first.
//!
//! Each team is an agent with a state machine:
//!
//! ```text
//! Idle ──call──▶ Trip (mobilise if fresh at base, drive/sail, pick up, carry, unload) ──▶ Idle
//!   │
//!   └── shift over ──▶ Returning (to base) ──▶ Resting ──▶ Idle at base, new shift
//! ```
//!
//! A trip is planned whole when the team is called (times to the pickup, the
//! drop and the moment it is free again) and is not re-planned on the way.
//!
//! Dispatch runs every step over the open tasks — people stranded or trapped
//! and red patients first (life safety), then evacuees waiting for a bus,
//! then yellow patients, then damaged roads — with the scenario's doctrine
//! ([`TeamDispatchKind`]): `Priority` serves tasks in order of priority and
//! waiting time, each by the team that gets there first; `Auction` awards the
//! cheapest (team, task) bid in the whole market, again and again.

use std::collections::{BTreeMap, BTreeSet};

use bevy::prelude::*;
use rand_distr::{Binomial, Distribution};

use super::water::{CellNodes, WaterSearch, launch_points};
use crate::city::CityMap;
use crate::city::SegmentId;
use crate::city::map_schema::RoadClass;
use crate::city::routing::{RoadState, RouteCache, TreeDir};
use crate::hazard::sim::{HazardWorld, NodeWater};
use crate::hazard::teams::TeamState;
use crate::people::medical::{Patients, Triage};
use crate::people::{AffectedGroup, GroupId, GroupIndex};
use crate::scenario::time::{SimDuration, SimTime};
use crate::scenario::{DEFAULT_WALK_KMH, RunSpec, TeamDef, TeamDispatchKind, TeamKind, frees_trapped, rescues_by_boat};
use crate::sim::journal::SimEvent;
use crate::sim::rng::RngStreams;
use crate::sim::{SimClock, Spec};

/// Boarding or unloading a busload, s (planning assumption: 5 min).
pub const BOARD_S: i64 = 300;
/// Launching a boat from its trailer, or landing people at the launch point, s
/// (planning assumption: 10 min).
pub const LAUNCH_S: i64 = 600;
/// An ambulance crew on scene (assess, load), and again handing over at the
/// hospital, s (planning assumption: 10 min; urban EMS on-scene times are
/// typically 10–20 min).
pub const ON_SCENE_S: i64 = 600;

/// What a team is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum UnitTask {
    /// Take stranded people of a group off by boat (life safety).
    Rescue(GroupId),
    /// Bus waiting evacuees of a group to their shelter.
    Evacuate(GroupId),
    /// Take patients (by index into the patients' ledger) to a hospital.
    Transport(u32, Triage),
    /// Free people of a group trapped in collapsed buildings (life safety).
    Extricate(GroupId),
    /// Repair a damaged road segment.
    Repair(SegmentId),
}

impl UnitTask {
    /// The group, for tasks about a group.
    pub fn group(self) -> Option<GroupId> {
        match self {
            UnitTask::Rescue(g) | UnitTask::Evacuate(g) | UnitTask::Extricate(g) => Some(g),
            UnitTask::Transport(..) | UnitTask::Repair(_) => None,
        }
    }

    /// Priority class: lower is served first (life safety: people cut off
    /// or trapped and red patients; then evacuees; then yellow patients; then
    /// road repair). Hazard control and relief come between life safety and
    /// repair, but they are other teams' tasks (see the response's dispatch chain).
    fn class(self) -> u8 {
        match self {
            UnitTask::Rescue(_) | UnitTask::Extricate(_) | UnitTask::Transport(_, Triage::Red) => 0,
            UnitTask::Evacuate(_) => 1,
            UnitTask::Transport(_, Triage::Yellow) => 2,
            UnitTask::Repair(_) => 3,
        }
    }

    /// Whether a team can do it.
    pub fn suits(self, def: &TeamDef) -> bool {
        match self {
            UnitTask::Rescue(_) => rescues_by_boat(def.kind, &def.skills),
            UnitTask::Evacuate(_) => def.kind == TeamKind::Bus,
            UnitTask::Transport(..) => def.kind == TeamKind::Ambulance,
            UnitTask::Extricate(_) => frees_trapped(def.kind, &def.skills),
            UnitTask::Repair(_) => def.kind == TeamKind::RoadRepair,
        }
    }

    /// How the journal names it.
    fn label(self) -> String {
        match self {
            UnitTask::Rescue(g) => format!("rescue {g}"),
            UnitTask::Evacuate(g) => format!("evacuate {g}"),
            UnitTask::Transport(p, t) => format!("{t:?} patients #{p}").to_lowercase(),
            UnitTask::Extricate(g) => format!("free trapped {g}"),
            UnitTask::Repair(s) => format!("repair segment #{s}"),
        }
    }
}

/// A trip planned when the team was called.
#[derive(Debug, Clone, PartialEq)]
pub struct Trip {
    /// Task.
    pub task: UnitTask,
    /// Called.
    pub called_at: SimTime,
    /// Seats promised.
    pub people: u32,
    /// Reaches the people.
    pub pickup_at: SimTime,
    /// Whether the pickup has happened.
    pub picked: bool,
    /// Whether the people have reached their destination.
    pub arrived: bool,
    /// The people reach their destination (shelter, or the landing).
    pub arrive_at: SimTime,
    /// Where the team is free again: the shelter (buses), the launch point
    /// where people land (boats), the hospital (ambulances), the people's
    /// home (rescue teams), the end of the segment (road repair).
    pub landing: u32,
    /// Ambulances: the hospital (index into the run's medical hospitals).
    pub hospital: Option<usize>,
    /// The team is free again.
    pub free_at: SimTime,
}

impl Trip {
    /// A trip for `open` called now, nobody on board yet.
    fn new(ctx: &PlanCtx, open: &Open, pickup_at: SimTime, arrive_at: SimTime, free_at: SimTime, landing: u32) -> Self {
        Trip {
            task: open.task,
            called_at: ctx.now,
            people: 0,
            pickup_at,
            picked: false,
            arrived: false,
            arrive_at,
            landing,
            hospital: None,
            free_at,
        }
    }
}

/// A team's state.
#[derive(Debug, Clone, PartialEq)]
pub enum UnitState {
    /// Waiting at a road node.
    Idle {
        /// Where.
        node: u32,
    },
    /// On a trip.
    Trip(Trip),
    /// Driving home at the end of a shift.
    Returning {
        /// Arrives.
        arrive: SimTime,
    },
    /// Resting after a shift.
    Resting {
        /// Back on duty.
        until: SimTime,
    },
}

/// One boat or bus team.
#[derive(Debug, Clone)]
pub struct Unit {
    /// Definition.
    pub def: TeamDef,
    /// State.
    pub state: UnitState,
    /// Start of the current shift (the first call after a rest).
    pub shift_start: Option<SimTime>,
    /// Trips made.
    pub trips: u32,
    /// People carried (alive).
    pub carried: u32,
    /// Seconds on trips.
    pub busy_s: i64,
    /// Rests taken.
    pub rests: u32,
    /// Fire-rescue companies: index of the same team among the hazards'
    /// teams, which owns it while it is not on a task here.
    pub twin: Option<usize>,
}

/// A damaged road segment and its repair.
#[derive(Debug, Clone, PartialEq)]
pub struct RoadRepair {
    /// Segment.
    pub segment: SegmentId,
    /// Found damaged.
    pub damaged_at: SimTime,
    /// A team is on its way or at work.
    pub assigned: bool,
    /// Reopened, and by which team.
    pub repaired: Option<(SimTime, String)>,
}

/// Repair order: trunk roads first (national roads and expressways, then
/// provincial roads and urban arterials, county roads, then the rest), the
/// usual rule of restoring the main lines before the branches.
fn repair_rank(class: RoadClass) -> u8 {
    match class {
        RoadClass::Expressway | RoadClass::National => 0,
        RoadClass::Provincial | RoadClass::UrbanArterial => 1,
        RoadClass::County => 2,
        RoadClass::Village | RoadClass::UrbanBranch => 3,
    }
}

/// Every boat and bus, and what dispatch remembers between steps.
#[derive(Resource, Debug, Default)]
pub struct Units {
    /// Teams, in scenario order.
    pub units: Vec<Unit>,
    /// Road nodes by terrain cell (built when the first boat needs it).
    cell_nodes: Option<CellNodes>,
    /// Launch points per group: (water version, [(node, metres of water to the people)]).
    launches: BTreeMap<GroupId, (u64, Vec<(u32, f64)>)>,
    search: WaterSearch,
    /// The last dispatch that assigned nothing; skipped while nothing changed.
    idle_key: Option<IdleKey>,
    /// Damaged segments found so far, in the order found.
    pub repairs: Vec<RoadRepair>,
    /// Per segment: its open entry in `repairs`.
    repair_of: BTreeMap<SegmentId, usize>,
    /// Road version when `repairs` was last brought up to date.
    roads_seen: Option<u64>,
}

/// What a dispatch that assigned nothing saw.
#[derive(Debug, Clone, PartialEq)]
struct IdleKey {
    roads: u64,
    water: u64,
    /// Free teams and where they are.
    idle: Vec<(usize, u32)>,
    /// Open tasks and their people.
    open: Vec<(UnitTask, u32)>,
}

impl Units {
    /// The response's teams of a run (all but hazmat; fire-rescue companies
    /// as twins of the hazards' teams, for people trapped in rubble).
    pub fn new(spec: &RunSpec) -> Self {
        let mut units = Vec::new();
        // The hazards' teams are the fire-rescue and hazmat teams, in scenario order.
        let mut hazard_k = 0;
        for def in &spec.teams {
            let twin = match def.kind {
                TeamKind::Hazmat => {
                    hazard_k += 1;
                    continue;
                }
                TeamKind::FireRescue => {
                    hazard_k += 1;
                    Some(hazard_k - 1)
                }
                _ => None,
            };
            units.push(Unit {
                state: UnitState::Idle { node: def.base },
                def: def.clone(),
                shift_start: None,
                trips: 0,
                carried: 0,
                busy_s: 0,
                rests: 0,
                twin,
            });
        }
        Units { units, ..default() }
    }

    /// Bring the damage ledger up to date with the roads: segments damaged
    /// since the last look are entered as found `now`.
    fn note_damage(&mut self, roads: &RoadState, segments: usize, now: SimTime) {
        if self.roads_seen == Some(roads.version()) {
            return;
        }
        self.roads_seen = Some(roads.version());
        for s in 0..segments as SegmentId {
            if roads.damaged(s) && !self.repair_of.contains_key(&s) {
                self.repair_of.insert(s, self.repairs.len());
                self.repairs.push(RoadRepair {
                    segment: s,
                    damaged_at: now,
                    assigned: false,
                    repaired: None,
                });
            }
        }
    }
}

/// An open task.
#[derive(Debug, Clone)]
struct Open {
    task: UnitTask,
    /// People no team is coming for yet.
    people: u32,
    /// Waiting since.
    since: SimTime,
    /// Group's home node.
    home: u32,
    /// Where the people go (shelter node), if known.
    to: Option<u32>,
}

/// What planning needs.
struct PlanCtx<'a> {
    city: &'a CityMap,
    roads: &'a RoadState,
    cache: &'a mut RouteCache,
    now: SimTime,
    /// How fast survivors walk when no road leads from the landing to their shelter, m/s.
    walk_m_s: f64,
}

/// Plan a bus trip: from where it is to the evacuees' home, then to the shelter.
fn plan_bus(ctx: &mut PlanCtx, unit: &Unit, at: u32, open: &Open) -> Option<Trip> {
    let start = ctx.now.plus(mobilisation(unit, at));
    let v = unit.def.vehicle;
    let t1 = ctx
        .cache
        .tree(ctx.city, ctx.roads, at, TreeDir::From, v)
        .time_to(open.home)?;
    let to = open.to?;
    // Trees into the shelter (few) rather than out of every home (many).
    let t2 = ctx
        .cache
        .tree(ctx.city, ctx.roads, to, TreeDir::To, v)
        .time_to(open.home)?;
    let pickup_at = start.plus(secs(t1));
    let arrive_at = pickup_at.plus(SimDuration(BOARD_S)).plus(secs(t2));
    Some(Trip::new(
        ctx,
        open,
        pickup_at,
        arrive_at,
        arrive_at.plus(SimDuration(BOARD_S)),
        to,
    ))
}

/// Plan a boat trip: trailer by road to the best launch point, across the
/// water to the people and back, then the survivors on by road.
fn plan_boat(ctx: &mut PlanCtx, unit: &Unit, at: u32, open: &Open, launches: &[(u32, f64)]) -> Option<Trip> {
    if launches.is_empty() {
        // No water leads to them (yet): no road tree needed to know it.
        return None;
    }
    let start = ctx.now.plus(mobilisation(unit, at));
    let v = unit.def.vehicle;
    let water_m_s = unit.def.water_kmh / 3.6;
    let tree = ctx.cache.tree(ctx.city, ctx.roads, at, TreeDir::From, v);
    let (road_s, water_s, landing) = launches
        .iter()
        .filter_map(|&(l, m)| Some((tree.time_to(l)?, m / water_m_s, l)))
        .min_by(|a, b| (a.0 + a.1).total_cmp(&(b.0 + b.1)).then(a.2.cmp(&b.2)))?;
    let pickup_at = start.plus(secs(road_s + LAUNCH_S as f64 + water_s));
    let landed = pickup_at.plus(secs(water_s)).plus(SimDuration(LAUNCH_S));
    let arrive_at = match open.to {
        Some(to) => {
            let on = ctx.cache.tree(ctx.city, ctx.roads, to, TreeDir::To, v).time_to(landing);
            // Cut off from the shelter by road: they walk the straight line.
            let on = on.unwrap_or_else(|| {
                ctx.city.node_xy[landing as usize].dist(ctx.city.node_xy[to as usize]) / ctx.walk_m_s
            });
            landed.plus(secs(on))
        }
        None => landed,
    };
    Some(Trip::new(ctx, open, pickup_at, arrive_at, landed, landing))
}

/// Plan an ambulance trip: to the patients, then to the hospital with a free
/// bed that is nearest to them.
fn plan_ambulance(ctx: &mut PlanCtx, unit: &Unit, at: u32, open: &Open, hospitals: &[(usize, u32)]) -> Option<Trip> {
    let start = ctx.now.plus(mobilisation(unit, at));
    let v = unit.def.vehicle;
    let t1 = ctx
        .cache
        .tree(ctx.city, ctx.roads, at, TreeDir::From, v)
        .time_to(open.home)?;
    let (t2, h, node) = hospitals
        .iter()
        .filter_map(|&(h, node)| {
            let t = ctx
                .cache
                .tree(ctx.city, ctx.roads, node, TreeDir::To, v)
                .time_to(open.home)?;
            Some((t, h, node))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))?;
    let pickup_at = start.plus(secs(t1));
    let arrive_at = pickup_at.plus(SimDuration(ON_SCENE_S)).plus(secs(t2));
    Some(Trip {
        hospital: Some(h),
        ..Trip::new(
            ctx,
            open,
            pickup_at,
            arrive_at,
            arrive_at.plus(SimDuration(ON_SCENE_S)),
            node,
        )
    })
}

/// Plan a rescue team's trip to trapped people: drive there, free up to its
/// `seats` of them in one `work` period; the team stays there, free again.
fn plan_extricate(ctx: &mut PlanCtx, unit: &Unit, at: u32, open: &Open) -> Option<Trip> {
    let start = ctx.now.plus(mobilisation(unit, at));
    let drive = ctx
        .cache
        .tree(ctx.city, ctx.roads, at, TreeDir::From, unit.def.vehicle)
        .time_to(open.home)?;
    let freed_at = start.plus(secs(drive)).plus(unit.def.work);
    Some(Trip::new(ctx, open, freed_at, freed_at, freed_at, open.home))
}

/// Plan a road repair: drive to the nearer end of the segment (`open.home`
/// and `open.to`), work there for `work`, and reopen it.
fn plan_repair(ctx: &mut PlanCtx, unit: &Unit, at: u32, open: &Open) -> Option<Trip> {
    let start = ctx.now.plus(mobilisation(unit, at));
    let tree = ctx.cache.tree(ctx.city, ctx.roads, at, TreeDir::From, unit.def.vehicle);
    let (drive, end) = [Some(open.home), open.to]
        .into_iter()
        .flatten()
        .filter_map(|n| Some((tree.time_to(n)?, n)))
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))?;
    let on_site = start.plus(secs(drive));
    let done = on_site.plus(unit.def.work);
    Some(Trip::new(ctx, open, on_site, done, done, end))
}

fn secs(s: f64) -> SimDuration {
    SimDuration(s.round() as i64)
}

/// A team called at its base at the start of a shift first mobilises (a
/// fire company on its station every time it turns out).
fn mobilisation(unit: &Unit, at: u32) -> SimDuration {
    let fresh = unit.shift_start.is_none() || unit.twin.is_some();
    if fresh && at == unit.def.base {
        unit.def.mobilise
    } else {
        SimDuration(0)
    }
}

/// Build at once ([`RouteCache::prefetch`]) the road trees that planning
/// every suited (team, task) pair will ask for: first the trees from the
/// idle teams' nodes, then, where those show that the team can reach the
/// people, the trees into the places where the trip ends (shelters,
/// hospitals). This follows the conditions of the `plan_*` functions; were
/// it to miss a tree or add one, planning would only be slower, not
/// different.
fn prefetch_trees(ctx: &mut PlanCtx, units: &Units, idle: &[(usize, u32)], open: &[Open], hospitals: &[(usize, u32)]) {
    // A boat plans no road trip to people no water leads to (yet).
    let launches = |o: &Open| match o.task {
        UnitTask::Rescue(g) => units.launches[&g].1.as_slice(),
        _ => &[],
    };
    let plans_a_trip = |o: &Open| !matches!(o.task, UnitTask::Rescue(_)) || !launches(o).is_empty();
    let suited = |k: usize| {
        let def = &units.units[k].def;
        open.iter().filter(move |o| o.task.suits(def) && plans_a_trip(o))
    };
    let starts = idle
        .iter()
        .filter(|&&(k, _)| suited(k).next().is_some())
        .map(|&(k, at)| (at, TreeDir::From, units.units[k].def.vehicle));
    ctx.cache.prefetch(ctx.city, ctx.roads, starts);
    let mut ends = Vec::new();
    for &(k, at) in idle {
        let v = units.units[k].def.vehicle;
        let Some(from) = ctx.cache.peek(ctx.roads, at, TreeDir::From, v) else {
            continue;
        };
        let mut nodes = BTreeSet::new();
        for o in suited(k) {
            match o.task {
                UnitTask::Evacuate(_) if from.time_to(o.home).is_some() => nodes.extend(o.to),
                UnitTask::Transport(..) if from.time_to(o.home).is_some() => {
                    nodes.extend(hospitals.iter().map(|&(_, node)| node))
                }
                UnitTask::Rescue(_) if launches(o).iter().any(|&(l, _)| from.time_to(l).is_some()) => {
                    nodes.extend(o.to)
                }
                _ => {}
            }
        }
        ends.extend(nodes.into_iter().map(|n| (n, TreeDir::To, v)));
    }
    ctx.cache.prefetch(ctx.city, ctx.roads, ends);
}

/// Bring a group's launch points up to the water version (metres of water
/// from each launch point to the people, in `units.launches`).
fn refresh_launches(
    units: &mut Units,
    hazard: &HazardWorld,
    boat_depth_m: f64,
    water_version: u64,
    group: GroupId,
    home: u32,
) {
    let fresh = units.launches.get(&group).is_some_and(|(v, _)| *v == water_version);
    if !fresh {
        let found = match (
            hazard.flood_depth(),
            hazard.node_cell.get(home as usize).copied().flatten(),
        ) {
            (Some(depth), Some(cell)) => {
                let nodes = units
                    .cell_nodes
                    .get_or_insert_with(|| CellNodes::new(&hazard.node_cell, depth.data.len()));
                let field = units.search.from_cell(depth, boat_depth_m, 1.0, cell);
                launch_points(&field, depth.nx, depth.data.len(), nodes)
            }
            _ => Vec::new(),
        };
        units.launches.insert(group, (water_version, found));
    }
}

/// Dispatch: give idle boats and buses their trips.
#[allow(clippy::too_many_arguments)]
pub fn dispatch_units(
    clock: Res<SimClock>,
    spec: Res<Spec>,
    roads: Res<RoadState>,
    mut cache: ResMut<RouteCache>,
    mut hazard: ResMut<HazardWorld>,
    water: Res<NodeWater>,
    mut units: ResMut<Units>,
    index: Res<GroupIndex>,
    mut groups: Query<&mut AffectedGroup>,
    mut patients: ResMut<Patients>,
    out_of_service: Res<crate::sim::TeamsOutOfService>,
    mut events: MessageWriter<SimEvent>,
) {
    let now = clock.now;
    let city = &spec.0.city;
    units.note_damage(&roads, city.segments.len(), now);
    let free: Vec<(usize, u32)> = units
        .units
        .iter()
        .enumerate()
        .filter(|(_, u)| now >= u.def.available && out_of_service.in_service(&u.def.id))
        .filter_map(|(k, u)| match (u.twin, &u.state) {
            // A fire company is free when the hazards' twin is idle.
            (Some(h), UnitState::Idle { .. }) => match hazard.teams[h].state {
                TeamState::Idle { node } if !hazard.teams[h].shift_over(now) => Some((k, node)),
                _ => None,
            },
            (None, UnitState::Idle { node }) if !shift_over(u, now) => Some((k, *node)),
            _ => None,
        })
        .collect();
    if free.is_empty() {
        return;
    }
    let mut open = Vec::new();
    for &e in &index.0 {
        let Ok(g) = groups.get(e) else { continue };
        if g.awaiting_boat() > 0 {
            open.push(Open {
                task: UnitTask::Rescue(g.id),
                people: g.awaiting_boat(),
                since: g.stranded_at.unwrap_or(now),
                home: g.home,
                to: g.shelter.map(|_| g.node),
            });
        }
        if g.awaiting_rescue_team() > 0 {
            open.push(Open {
                task: UnitTask::Extricate(g.id),
                people: g.awaiting_rescue_team(),
                since: g.trapped_at.unwrap_or(now),
                home: g.home,
                to: None,
            });
        }
        let bus = g.awaiting_bus(now);
        if bus > 0 {
            open.push(Open {
                task: UnitTask::Evacuate(g.id),
                people: bus,
                since: g.depart,
                home: g.home,
                to: Some(g.node),
            });
        }
    }
    for p in &patients.list {
        if p.waiting > p.en_route && p.injured_at <= now {
            open.push(Open {
                task: UnitTask::Transport(p.id, p.triage),
                people: p.waiting - p.en_route,
                since: p.injured_at,
                home: p.node,
                to: None,
            });
        }
    }
    // Damaged segments the water has left, no team on them yet.
    for r in &units.repairs {
        if r.repaired.is_none() && !r.assigned && roads.depth(r.segment) == 0.0 {
            let seg = &city.segments[r.segment as usize];
            open.push(Open {
                task: UnitTask::Repair(r.segment),
                people: 1,
                since: r.damaged_at,
                home: seg.a,
                to: Some(seg.b),
            });
        }
    }
    // Hospitals with a free bed: (index, node).
    let hospitals: Vec<(usize, u32)> = spec.0.medical.as_ref().map_or_else(Vec::new, |m| {
        m.hospitals
            .iter()
            .enumerate()
            .filter(|(h, _)| patients.free(*h) > 0)
            .map(|(h, d)| (h, d.node))
            .collect()
    });
    let idle: Vec<(usize, u32)> = free
        .into_iter()
        .filter(|(k, _)| open.iter().any(|o| o.task.suits(&units.units[*k].def)))
        .collect();
    if idle.is_empty() {
        return;
    }
    let key = IdleKey {
        roads: roads.version(),
        water: water.version,
        idle: idle.clone(),
        open: open.iter().map(|o| (o.task, o.people)).collect(),
    };
    if units.idle_key.as_ref() == Some(&key) {
        return;
    }
    let mut ctx = PlanCtx {
        city,
        roads: &roads,
        cache: &mut cache,
        now,
        walk_m_s: spec
            .0
            .evacuation
            .as_ref()
            .map_or(DEFAULT_WALK_KMH, |e| e.walker.speed_kmh)
            / 3.6,
    };
    let units = &mut *units;
    for o in &open {
        if let UnitTask::Rescue(g) = o.task {
            refresh_launches(units, &hazard, spec.0.rescue.boat_depth_m, water.version, g, o.home);
        }
    }
    prefetch_trees(&mut ctx, units, &idle, &open, &hospitals);
    // Every (team, task) plan that exists, as bids: (seconds to reach the people, team, task index).
    let mut plans: BTreeMap<(usize, usize), Trip> = BTreeMap::new();
    for (t, o) in open.iter().enumerate() {
        let launches: &[(u32, f64)] = match o.task {
            UnitTask::Rescue(g) => &units.launches[&g].1,
            _ => &[],
        };
        for &(k, at) in &idle {
            let unit = &units.units[k];
            if !o.task.suits(&unit.def) {
                continue;
            }
            let trip = match o.task {
                UnitTask::Rescue(_) => plan_boat(&mut ctx, unit, at, o, launches),
                UnitTask::Evacuate(_) => plan_bus(&mut ctx, unit, at, o),
                UnitTask::Transport(..) => plan_ambulance(&mut ctx, unit, at, o, &hospitals),
                UnitTask::Extricate(_) => plan_extricate(&mut ctx, unit, at, o),
                UnitTask::Repair(_) => plan_repair(&mut ctx, unit, at, o),
            };
            if let Some(trip) = trip {
                plans.insert((k, t), trip);
            }
        }
    }
    let reach = |trip: &Trip| trip.pickup_at.secs();
    let mut awarded: Vec<(usize, usize)> = Vec::new();
    let mut left: Vec<u32> = open.iter().map(|o| o.people).collect();
    let mut busy = vec![false; units.units.len()];
    match spec.0.team_dispatch {
        TeamDispatchKind::Priority => {
            let mut order: Vec<usize> = (0..open.len()).collect();
            let rank = |t: usize| match open[t].task {
                UnitTask::Repair(s) => repair_rank(city.segments[s as usize].class),
                _ => 0,
            };
            order.sort_by_key(|&t| (open[t].task.class(), rank(t), open[t].since, open[t].task));
            for t in order {
                while left[t] > 0 {
                    let best = idle
                        .iter()
                        .filter(|(k, _)| !busy[*k])
                        .filter_map(|&(k, _)| plans.get(&(k, t)).map(|p| (reach(p), k)))
                        .min();
                    let Some((_, k)) = best else { break };
                    busy[k] = true;
                    left[t] = left[t].saturating_sub(capacity(&units.units[k].def));
                    awarded.push((k, t));
                }
            }
        }
        TeamDispatchKind::Auction => {
            let mut bids: Vec<(i64, usize, usize)> = plans.iter().map(|(&(k, t), p)| (reach(p), k, t)).collect();
            bids.sort_unstable();
            for (_, k, t) in bids {
                if busy[k] || left[t] == 0 {
                    continue;
                }
                busy[k] = true;
                left[t] = left[t].saturating_sub(capacity(&units.units[k].def));
                awarded.push((k, t));
            }
        }
    }
    if awarded.is_empty() {
        units.idle_key = Some(key);
        return;
    }
    units.idle_key = None;
    // Seats are promised in award order.
    let mut promised: Vec<u32> = vec![0; open.len()];
    for (k, t) in awarded {
        let o = &open[t];
        let Some(mut trip) = plans.remove(&(k, t)) else {
            continue;
        };
        let people = (o.people - promised[t]).min(capacity(&units.units[k].def));
        if people == 0 {
            continue;
        }
        match o.task {
            UnitTask::Rescue(g) | UnitTask::Evacuate(g) | UnitTask::Extricate(g) => {
                let Ok(mut g) = groups.get_mut(index.0[g.0 as usize]) else {
                    continue;
                };
                match o.task {
                    UnitTask::Rescue(_) => g.boat_en_route += people,
                    UnitTask::Evacuate(_) => g.bus_en_route += people,
                    _ => g.rescue_en_route += people,
                }
            }
            UnitTask::Repair(s) => {
                let r = units.repair_of[&s];
                units.repairs[r].assigned = true;
            }
            UnitTask::Transport(p, _) => {
                // Beds are promised here; an earlier award this step may have taken the last.
                let h = trip.hospital.expect("invariant: ambulance trips have a hospital");
                if patients.free(h) < people {
                    continue;
                }
                patients.promised[h] += people;
                patients.list[p as usize].en_route += people;
            }
        }
        promised[t] += people;
        trip.people = people;
        let unit = &mut units.units[k];
        if let Some(h) = unit.twin {
            // Its shift (kept by the hazards) starts with this call if it has not yet.
            hazard.teams[h].state = TeamState::Away;
            hazard.teams[h].shift_start.get_or_insert(now);
        }
        unit.shift_start.get_or_insert(now);
        unit.trips += 1;
        events.write(SimEvent::TeamCalled {
            t: now,
            team: unit.def.id.clone(),
            hazard: o.task.label(),
            eta: trip.pickup_at,
        });
        unit.state = UnitState::Trip(trip);
    }
}

/// People (or tasks, for road repair) a team takes on one trip.
fn capacity(def: &TeamDef) -> u32 {
    def.seats.max(1)
}

/// Whether a team's shift is over (the hazards keep a fire company's shift).
fn shift_over(u: &Unit, now: SimTime) -> bool {
    u.twin.is_none() && u.shift_start.is_some_and(|s| now >= s.plus(u.def.shift))
}

/// Movement: pickups, trips ending, shifts ending, rests ending.
#[allow(clippy::too_many_arguments)]
pub fn advance_units(
    clock: Res<SimClock>,
    spec: Res<Spec>,
    mut roads: ResMut<RoadState>,
    mut cache: ResMut<RouteCache>,
    mut units: ResMut<Units>,
    mut hazard: ResMut<HazardWorld>,
    index: Res<GroupIndex>,
    mut groups: Query<&mut AffectedGroup>,
    mut patients: ResMut<Patients>,
    mut rng: ResMut<RngStreams>,
    mut events: MessageWriter<SimEvent>,
) {
    let now = clock.now;
    let city = &spec.0.city;
    let Units {
        units: list,
        repairs,
        repair_of,
        ..
    } = &mut *units;
    for unit in list.iter_mut() {
        let state = unit.state.clone();
        match state {
            UnitState::Trip(mut trip) => {
                if !trip.picked && trip.pickup_at <= now {
                    trip.picked = true;
                    match trip.task {
                        UnitTask::Transport(p, _) => {
                            let patient = &mut patients.list[p as usize];
                            patient.en_route -= trip.people;
                            let n = trip.people.min(patient.waiting);
                            patient.waiting -= n;
                            let h = trip.hospital.expect("invariant: ambulance trips have a hospital");
                            patient.admitted.push((trip.arrive_at, n, h));
                            unit.carried += n;
                        }
                        UnitTask::Repair(_) => {}
                        UnitTask::Rescue(g) | UnitTask::Evacuate(g) | UnitTask::Extricate(g) => {
                            if let Ok(mut grp) = groups.get_mut(index.0[g.0 as usize]) {
                                let n = pick_up(&mut grp, &trip, &spec.0, &mut rng, &mut patients);
                                unit.carried += n.0;
                                events.write(match trip.task {
                                    UnitTask::Rescue(_) => SimEvent::Rescued {
                                        t: trip.pickup_at,
                                        team: unit.def.id.clone(),
                                        group: g.0,
                                        alive: n.0,
                                        dead: n.1,
                                    },
                                    UnitTask::Extricate(_) => SimEvent::Freed {
                                        t: trip.pickup_at,
                                        team: unit.def.id.clone(),
                                        group: g.0,
                                        alive: n.0,
                                        dead: n.1,
                                    },
                                    _ => SimEvent::PickedUp {
                                        t: trip.pickup_at,
                                        team: unit.def.id.clone(),
                                        group: g.0,
                                        people: n.0,
                                    },
                                });
                            }
                        }
                    }
                }
                if trip.picked && !trip.arrived && trip.arrive_at <= now {
                    trip.arrived = true;
                    if let (UnitTask::Transport(_, triage), Some(h)) = (trip.task, trip.hospital) {
                        let place = spec.0.medical.as_ref().map(|m| m.hospitals[h].place);
                        events.write(SimEvent::Admitted {
                            t: trip.arrive_at,
                            team: unit.def.id.clone(),
                            hospital: place.map_or_else(String::new, |p| city.places[p].name_zh.clone()),
                            people: trip.people,
                            triage: format!("{triage:?}").to_lowercase(),
                        });
                    }
                }
                if trip.picked && trip.free_at <= now {
                    unit.busy_s += trip.free_at.secs() - trip.called_at.secs();
                    unit.state = UnitState::Idle { node: trip.landing };
                    if let UnitTask::Repair(seg) = trip.task {
                        roads.set_damaged(seg, false);
                        if let Some(r) = repair_of.remove(&seg) {
                            repairs[r].repaired = Some((trip.free_at, unit.def.id.clone()));
                        }
                        unit.carried += 1;
                        events.write(SimEvent::RoadRepaired {
                            t: trip.free_at,
                            team: unit.def.id.clone(),
                            segment: seg,
                            road: city.segments[seg as usize].name.clone().unwrap_or_default(),
                        });
                    }
                    if let Some(h) = unit.twin {
                        // Back to the hazards' roster, where it stands.
                        hazard.teams[h].state = TeamState::Idle { node: trip.landing };
                    }
                } else {
                    unit.state = UnitState::Trip(trip);
                }
            }
            UnitState::Returning { arrive } if arrive <= now => start_rest(unit, arrive, &mut events),
            UnitState::Resting { until } if until <= now => {
                unit.state = UnitState::Idle { node: unit.def.base };
                unit.shift_start = None;
            }
            _ => {}
        }
        // A free team whose shift is over goes home to rest.
        if let UnitState::Idle { node } = unit.state
            && shift_over(unit, now)
        {
            let drive = cache
                .tree(city, &roads, unit.def.base, TreeDir::To, unit.def.vehicle)
                .time_to(node)
                .unwrap_or(0.0);
            if drive == 0.0 {
                start_rest(unit, now, &mut events);
            } else {
                unit.state = UnitState::Returning {
                    arrive: now.plus(secs(drive)),
                };
            }
        }
    }
}

/// The team rests from `t` for its rest time.
fn start_rest(unit: &mut Unit, t: SimTime, events: &mut MessageWriter<SimEvent>) {
    let until = t.plus(unit.def.rest);
    unit.state = UnitState::Resting { until };
    unit.rests += 1;
    events.write(SimEvent::TeamResting {
        t,
        team: unit.def.id.clone(),
        until,
    });
}

/// The people a trip takes at its pickup: (alive, dead). Buses take evacuees
/// who are still waiting; boats take stranded people, of whom the survival
/// curve at the hours since they were cut off says how many are alive, and
/// the medical injury share of the survivors waits for an ambulance where the
/// boat lands. (Ambulance pickups are in `advance_units`.)
fn pick_up(
    g: &mut AffectedGroup,
    trip: &Trip,
    spec: &RunSpec,
    rng: &mut RngStreams,
    patients: &mut Patients,
) -> (u32, u32) {
    match trip.task {
        UnitTask::Evacuate(_) => {
            g.bus_en_route -= trip.people;
            let n = trip.people.min(g.waiting);
            g.waiting -= n;
            g.moving.push((trip.arrive_at, n));
            (n, 0)
        }
        UnitTask::Extricate(_) => {
            g.rescue_en_route -= trip.people;
            let n = trip.people.min(g.trapped);
            g.trapped -= n;
            let waited_h = (trip.pickup_at.secs() - g.trapped_at.unwrap_or(trip.pickup_at).secs()) as f64 / 3600.0;
            let alive = survivors(n, spec.rescue.trapped_survival.at(waited_h), rng);
            g.died += n - alive;
            g.died_trapped += n - alive;
            g.freed += alive;
            let injured = match &spec.medical {
                Some(m) if m.injured.rescued > 0.0 => patients.injure(
                    m,
                    rng.stream("medical"),
                    g.home,
                    alive,
                    m.injured.rescued,
                    trip.pickup_at,
                ),
                _ => 0,
            };
            g.hospitalised += injured;
            if g.shelter.is_some() {
                // Their home collapsed: they walk to the shelter reserved for them.
                g.moving.push((trip.pickup_at.plus(secs(g.walk_s)), alive - injured));
            } else {
                // Relief reaches them where they were freed.
                g.present += alive - injured;
            }
            (alive, n - alive)
        }
        UnitTask::Rescue(_) => {
            g.boat_en_route -= trip.people;
            let n = trip.people.min(g.stranded);
            g.stranded -= n;
            let waited_h = (trip.pickup_at.secs() - g.stranded_at.unwrap_or(trip.pickup_at).secs()) as f64 / 3600.0;
            let alive = survivors(n, spec.rescue.survival.at(waited_h), rng);
            g.died += n - alive;
            g.rescued += alive;
            if g.shelter.is_none() && g.node == g.home {
                // No shelter place: they stay where the boat lands them.
                g.node = trip.landing;
            }
            // The injured among them wait for an ambulance at the landing.
            let injured = match &spec.medical {
                Some(m) if m.injured.rescued > 0.0 => patients.injure(
                    m,
                    rng.stream("medical"),
                    trip.landing,
                    alive,
                    m.injured.rescued,
                    trip.free_at,
                ),
                _ => 0,
            };
            g.hospitalised += injured;
            g.moving.push((trip.arrive_at, alive - injured));
            (alive, n - alive)
        }
        UnitTask::Transport(..) | UnitTask::Repair(_) => (0, 0),
    }
}

/// How many of `n` people are alive when each is alive with probability
/// `share` (a binomial draw on stream `"rescue"`).
fn survivors(n: u32, share: f64, rng: &mut RngStreams) -> u32 {
    if share >= 1.0 {
        n
    } else if share <= 0.0 {
        0
    } else {
        Binomial::new(u64::from(n), share).map_or(0, |b| b.sample(rng.stream("rescue")) as u32)
    }
}
