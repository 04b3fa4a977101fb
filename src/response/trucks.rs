//! Material trucks as agents.
//!
//! State machine (one [`Phase`] at a time):
//! ```text
//! Idle ──dispatch──▶ [ToDepot ▶] Queued ▶ Loading ▶ Driving ▶ Unloading ▶ Returning ▶ Idle
//!                         any drive leg ──no route──▶ Waiting ──road reopens──▶ same leg
//! ```
//! Each truck keeps its own clock (`cursor_s`, seconds): within a step it may
//! finish loading, drive, arrive and start unloading at exact sub-step times,
//! so relief times do not depend on the step length. The step only limits when
//! the dispatcher can react.

use std::collections::VecDeque;
use std::fmt;

use bevy::prelude::*;
use petgraph::graph::EdgeIndex;

use crate::city::CityMap;
use crate::city::routing::{RoadState, RouteCache, TreeDir, Vehicle, route, traverse_s};
use crate::people::GroupId;
use crate::scenario::time::SimTime;
use crate::scenario::{Handling, Items};
use crate::sim::journal::SimEvent;
use crate::sim::{SimClock, Spec};

use super::reserves::{Items2, Reserves};

/// Stable truck id; prints as "Truck #3".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TruckId(pub u32);

impl fmt::Display for TruckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Truck #{}", self.0)
    }
}

/// A truck's fixed attributes.
#[derive(Component, Debug, Clone)]
pub struct Truck {
    /// Id.
    pub id: TruckId,
    /// Home depot index.
    pub home: usize,
    /// Payload, kg.
    pub capacity_kg: f64,
    /// Volume, m³.
    pub capacity_m3: f64,
    /// Top speed and wading depth.
    pub vehicle: Vehicle,
    /// Drivers ready from.
    pub ready: SimTime,
}

/// What the truck is doing.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Parked at a depot, available.
    Idle {
        /// Depot index.
        at: usize,
    },
    /// Driving to another depot to load.
    ToDepot,
    /// Waiting for a free loading bay.
    Queued,
    /// Loading until the given second.
    Loading {
        /// Seconds since start.
        until: f64,
    },
    /// Driving loaded to the group.
    Driving,
    /// Unloading and handing out until the given second.
    Unloading {
        /// Seconds since start.
        until: f64,
    },
    /// Unloaded; the `Service` set hands the items to the group.
    Handover,
    /// Driving back to the home depot.
    Returning,
}

/// A job: load at a depot, bring items to a group.
#[derive(Debug, Clone)]
pub struct Job {
    /// Group served.
    pub group: GroupId,
    /// Group's road node.
    pub node: u32,
    /// Depot to load at.
    pub load_at: usize,
    /// Items promised (reserved at the depot, en route at the group).
    pub planned: Items2,
}

/// Where on the road a truck is.
#[derive(Debug, Clone, Default)]
pub struct Motion {
    /// Last node passed (or the node it stands at).
    pub node: u32,
    /// Remaining directed edges, the first one being driven.
    pub route: VecDeque<EdgeIndex>,
    /// Metres done on the first edge.
    pub progress_m: f64,
    /// Destination node.
    pub dest: u32,
    /// Road-state version the route was planned on.
    pub version: u64,
    /// No route exists; waiting for a road to change.
    pub waiting: bool,
}

/// A truck's changing state.
#[derive(Component, Debug, Clone)]
pub struct TruckState {
    /// Phase.
    pub phase: Phase,
    /// The truck's own clock, seconds since start.
    pub cursor_s: f64,
    /// Items on board.
    pub cargo: Items2,
    /// Current job.
    pub job: Option<Job>,
    /// Position.
    pub motion: Motion,
    /// Seconds spent on jobs (not idle), for utilisation.
    pub busy_s: f64,
    /// Distance driven, m.
    pub driven_m: f64,
}

impl TruckState {
    /// Whether the truck is on a job.
    pub fn busy(&self) -> bool {
        !matches!(self.phase, Phase::Idle { .. })
    }
}

/// A delivery made this step, applied to the group by the `Service` set.
#[derive(Message, Debug, Clone)]
pub struct Delivery {
    /// Truck.
    pub truck: TruckId,
    /// Depot the items came from.
    pub depot: usize,
    /// Group.
    pub group: GroupId,
    /// Exact time, seconds.
    pub at_s: f64,
    /// Items offered.
    pub items: Items2,
    /// Items that had been promised to the group (released from en route).
    pub planned: Items2,
    /// The job was cancelled before loading: only release the promise.
    pub cancelled: bool,
}

/// Minutes to load or unload `cargo` (fixed + per tonne).
pub fn handling_s(cargo: Items2, items: &Items, fixed_min: f64, per_t_min: f64) -> f64 {
    let tonnes = cargo_mass_kg(cargo, items) / 1000.0;
    (fixed_min + per_t_min * tonnes) * 60.0
}

/// Mass of a cargo, kg.
pub fn cargo_mass_kg(cargo: Items2, items: &Items) -> f64 {
    cargo.initial as f64 * items.initial_kit.mass_kg + cargo.basic as f64 * items.basic_set.mass_kg
}

/// Most items of each kind a truck can take, initial kits first, within
/// `want` and the limits of mass and volume.
pub fn fill(capacity_kg: f64, capacity_m3: f64, want: Items2, items: &Items) -> Items2 {
    let (ik, bs) = (items.initial_kit, items.basic_set);
    let fit = |kg: f64, m3: f64, unit_kg: f64, unit_m3: f64| -> u64 {
        ((kg / unit_kg).min(m3 / unit_m3) + 1e-9).floor().max(0.0) as u64
    };
    let initial = want
        .initial
        .min(fit(capacity_kg, capacity_m3, ik.mass_kg, ik.volume_m3));
    let kg = capacity_kg - initial as f64 * ik.mass_kg;
    let m3 = capacity_m3 - initial as f64 * ik.volume_m3;
    let basic = want.basic.min(fit(kg, m3, bs.mass_kg, bs.volume_m3));
    Items2 { initial, basic }
}

/// Everything `advance` needs from the world.
pub struct Ctx<'a> {
    /// Map.
    pub city: &'a CityMap,
    /// Road state.
    pub roads: &'a RoadState,
    /// Tree cache.
    pub cache: &'a mut RouteCache,
    /// Depots.
    pub reserves: &'a mut Reserves,
    /// Item sizes.
    pub items: &'a Items,
    /// Handling times.
    pub handling: &'a Handling,
    /// Journal.
    pub events: Vec<SimEvent>,
    /// Deliveries made.
    pub deliveries: Vec<Delivery>,
}

impl<'a> Ctx<'a> {
    /// A context over a run's map, roads, cache and depots, with nothing
    /// journaled or delivered yet.
    pub fn new(
        spec: &'a crate::scenario::RunSpec,
        roads: &'a RoadState,
        cache: &'a mut RouteCache,
        reserves: &'a mut Reserves,
    ) -> Self {
        Ctx {
            city: &spec.city,
            roads,
            cache,
            reserves,
            items: &spec.items,
            handling: &spec.handling,
            events: Vec::new(),
            deliveries: Vec::new(),
        }
    }
}

fn t_of(s: f64) -> SimTime {
    SimTime(s.round() as i64)
}

/// Plan a drive from the truck's node to `dest`; `Waiting` if no route.
fn plan(truck: &Truck, st: &mut TruckState, ctx: &mut Ctx, dest: u32, depot_tree: Option<(u32, TreeDir)>) {
    let from = st.motion.node;
    let found = match depot_tree {
        Some((root, dir)) => {
            let tree = ctx.cache.tree(ctx.city, ctx.roads, root, dir, truck.vehicle);
            let target = if dir == TreeDir::From { dest } else { from };
            tree.path(ctx.city, target)
        }
        None => route(ctx.city, ctx.roads, from, dest, truck.vehicle).map(|r| r.0),
    };
    st.motion.dest = dest;
    st.motion.version = ctx.roads.version();
    st.motion.progress_m = 0.0;
    match found {
        Some(edges) => {
            st.motion.route = edges.into();
            st.motion.waiting = false;
        }
        None => {
            st.motion.route.clear();
            if !st.motion.waiting {
                ctx.events.push(SimEvent::NoRoute {
                    t: t_of(st.cursor_s),
                    truck: truck.id.0,
                    node: from,
                    dest,
                });
            }
            st.motion.waiting = true;
        }
    }
}

/// Re-plan if the roads changed and an edge ahead can no longer be driven by
/// this truck — closed, or under water deeper than it wades (or a wait may be over).
fn check_route(truck: &Truck, st: &mut TruckState, ctx: &mut Ctx) {
    if st.motion.version == ctx.roads.version() {
        return;
    }
    if st.motion.waiting {
        plan(truck, st, ctx, st.motion.dest, None);
        return;
    }
    // The edge being driven is finished whatever happens; check the rest.
    let skip = usize::from(st.motion.progress_m > 0.0);
    let blocked = st
        .motion
        .route
        .iter()
        .skip(skip)
        .any(|e| traverse_s(ctx.city, ctx.roads, ctx.city.segment_of(*e), truck.vehicle).is_none());
    st.motion.version = ctx.roads.version();
    if !blocked {
        return;
    }
    let dest = st.motion.dest;
    if skip == 1 {
        let current = st.motion.route[0];
        let progress = st.motion.progress_m;
        let (_, end) = ctx
            .city
            .graph
            .edge_endpoints(current)
            .expect("invariant: route edges exist");
        let saved_node = st.motion.node;
        st.motion.node = end.index() as u32;
        plan(truck, st, ctx, dest, None);
        st.motion.node = saved_node;
        // Finish the current edge either way. With no route beyond it, `drive`
        // re-plans (and waits if still cut off) when the edge is done.
        st.motion.route.push_front(current);
        st.motion.progress_m = progress;
        st.motion.waiting = false;
    } else {
        plan(truck, st, ctx, dest, None);
    }
    if !st.motion.waiting {
        ctx.events.push(SimEvent::Rerouted {
            t: t_of(st.cursor_s),
            truck: truck.id.0,
        });
    }
}

/// Drive until `end_s` or arrival. Returns true on arrival at `dest`.
fn drive(truck: &Truck, st: &mut TruckState, ctx: &mut Ctx, end_s: f64) -> bool {
    check_route(truck, st, ctx);
    loop {
        if st.motion.waiting {
            st.cursor_s = end_s;
            return false;
        }
        let Some(&e) = st.motion.route.front() else {
            if st.motion.node == st.motion.dest {
                return true;
            }
            // Finished a kept edge after a closure: plan the rest now.
            plan(truck, st, ctx, st.motion.dest, None);
            if st.motion.waiting || st.motion.route.is_empty() {
                return !st.motion.waiting && st.motion.node == st.motion.dest;
            }
            continue;
        };
        if st.cursor_s >= end_s {
            return false;
        }
        let seg = ctx.city.segment_of(e);
        let Some(full_s) = crate::city::routing::traverse_s(ctx.city, ctx.roads, seg, truck.vehicle) else {
            // Closed under us at a node boundary: re-plan from here.
            plan(truck, st, ctx, st.motion.dest, None);
            continue;
        };
        let len = ctx.city.segments[seg as usize].length_m;
        let speed = len / full_s; // m/s
        let left_m = len - st.motion.progress_m;
        let need_s = left_m / speed;
        if st.cursor_s + need_s <= end_s {
            st.cursor_s += need_s;
            st.driven_m += left_m;
            st.motion.progress_m = 0.0;
            st.motion.route.pop_front();
            let (_, to) = ctx.city.graph.edge_endpoints(e).expect("invariant: route edges exist");
            st.motion.node = to.index() as u32;
        } else {
            let d = speed * (end_s - st.cursor_s);
            st.motion.progress_m += d;
            st.driven_m += d;
            st.cursor_s = end_s;
            return false;
        }
    }
}

/// Advance one truck's timeline to `end_s`.
pub fn advance(truck: &Truck, st: &mut TruckState, ctx: &mut Ctx, now_s: f64, end_s: f64) {
    if !st.busy() {
        return;
    }
    st.cursor_s = st.cursor_s.max(now_s);
    let start = st.cursor_s;
    let mut guard = 0;
    while st.cursor_s < end_s {
        guard += 1;
        if guard > 64 {
            break; // invariant: a step has finitely many phase changes; never spin
        }
        let Some(job) = st.job.clone() else {
            if matches!(st.phase, Phase::Returning) {
                if drive(truck, st, ctx, end_s) {
                    arrive_home(truck, st, ctx);
                }
                break;
            }
            st.phase = Phase::Idle { at: truck.home };
            break;
        };
        match st.phase {
            Phase::Idle { .. } => break,
            Phase::ToDepot => {
                if !drive(truck, st, ctx, end_s) {
                    break;
                }
                st.phase = Phase::Queued;
            }
            Phase::Queued => {
                let depot = &mut ctx.reserves.depots[job.load_at];
                if !depot.in_service {
                    cancel(truck, st, ctx, "depot out of service before loading");
                    continue;
                }
                if depot.bays_busy >= depot.def.bays {
                    st.cursor_s = end_s;
                    break;
                }
                depot.bays_busy += 1;
                // Take the promised items off the shelf.
                depot.reserved.initial -= job.planned.initial;
                depot.reserved.basic -= job.planned.basic;
                depot.stock.initial -= job.planned.initial;
                depot.stock.basic -= job.planned.basic;
                depot.issued.initial += job.planned.initial;
                depot.issued.basic += job.planned.basic;
                st.cargo = job.planned;
                let h = ctx.handling;
                let until = st.cursor_s + handling_s(job.planned, ctx.items, h.load_fixed_min, h.load_min_per_t);
                st.phase = Phase::Loading { until };
            }
            Phase::Loading { until } => {
                if until > end_s {
                    st.cursor_s = end_s;
                    break;
                }
                st.cursor_s = until;
                let depot = &mut ctx.reserves.depots[job.load_at];
                depot.bays_busy -= 1;
                ctx.events.push(SimEvent::Loaded {
                    t: t_of(until),
                    truck: truck.id.0,
                    depot: depot.def.id.clone(),
                    initial: st.cargo.initial as u32,
                    basic: st.cargo.basic as u32,
                });
                let root = depot.def.node;
                st.phase = Phase::Driving;
                plan(truck, st, ctx, job.node, Some((root, TreeDir::From)));
            }
            Phase::Driving => {
                if !drive(truck, st, ctx, end_s) {
                    break;
                }
                let h = ctx.handling;
                let until = st.cursor_s + handling_s(st.cargo, ctx.items, h.unload_fixed_min, h.unload_min_per_t);
                st.phase = Phase::Unloading { until };
            }
            Phase::Unloading { until } => {
                if until > end_s {
                    st.cursor_s = end_s;
                    break;
                }
                st.cursor_s = until;
                ctx.deliveries.push(Delivery {
                    truck: truck.id,
                    depot: job.load_at,
                    group: job.group,
                    at_s: until,
                    items: st.cargo,
                    planned: job.planned,
                    cancelled: false,
                });
                // The Service set hands the items over and sends the truck home.
                st.phase = Phase::Handover;
                break;
            }
            Phase::Handover | Phase::Returning => break,
        }
    }
    st.busy_s += st.cursor_s - start;
}

/// Give an idle truck a job at `now`: queue at its depot, or drive to the depot to load.
pub fn start_job(truck: &Truck, st: &mut TruckState, ctx: &mut Ctx, job: Job, now: SimTime) {
    let at = match st.phase {
        Phase::Idle { at } => at,
        _ => truck.home,
    };
    st.cursor_s = now.secs() as f64;
    let load_at = job.load_at;
    st.job = Some(job);
    let node = ctx.reserves.depots[load_at].def.node;
    if at == load_at {
        st.phase = Phase::Queued;
        st.motion.node = node;
    } else {
        st.phase = Phase::ToDepot;
        plan(truck, st, ctx, node, Some((node, TreeDir::To)));
    }
}

/// Call a truck off its job before it unloads (its group's people left): a
/// truck not yet loaded releases the stock promised at its depot, one loading
/// frees its bay, and a loaded one brings its cargo back to its home depot.
/// The group's promise (en route) is the caller's to release. Returns false
/// (and changes nothing) once the truck is unloading or has unloaded.
pub fn recall(truck: &Truck, st: &mut TruckState, ctx: &mut Ctx, reason: &str) -> bool {
    let Some(job) = st.job.as_ref() else { return false };
    let depot = &mut ctx.reserves.depots[job.load_at];
    match st.phase {
        Phase::ToDepot | Phase::Queued => {
            depot.reserved.initial -= job.planned.initial;
            depot.reserved.basic -= job.planned.basic;
        }
        Phase::Loading { .. } => depot.bays_busy -= 1,
        Phase::Driving => {}
        _ => return false,
    }
    st.job = None;
    ctx.events.push(SimEvent::Cancelled {
        t: t_of(st.cursor_s),
        truck: truck.id.0,
        reason: reason.to_string(),
    });
    head_home(truck, st, ctx);
    true
}

pub(super) fn head_home(truck: &Truck, st: &mut TruckState, ctx: &mut Ctx) {
    st.phase = Phase::Returning;
    let home = ctx.reserves.depots[truck.home].def.node;
    plan(truck, st, ctx, home, Some((home, TreeDir::To)));
}

fn arrive_home(truck: &Truck, st: &mut TruckState, ctx: &mut Ctx) {
    let depot = &mut ctx.reserves.depots[truck.home];
    let back = st.cargo;
    depot.stock.initial += back.initial;
    depot.stock.basic += back.basic;
    depot.received.initial += back.initial;
    depot.received.basic += back.basic;
    st.cargo = Items2::default();
    ctx.events.push(SimEvent::Returned {
        t: t_of(st.cursor_s),
        truck: truck.id.0,
        depot: depot.def.id.clone(),
        initial: back.initial as u32,
        basic: back.basic as u32,
    });
    st.phase = Phase::Idle { at: truck.home };
}

/// Drop a job before loading: release the depot's reservation; the group's
/// en-route count is released by the Service set through a zero delivery.
fn cancel(truck: &Truck, st: &mut TruckState, ctx: &mut Ctx, reason: &str) {
    let Some(job) = st.job.take() else { return };
    let depot = &mut ctx.reserves.depots[job.load_at];
    depot.reserved.initial -= job.planned.initial;
    depot.reserved.basic -= job.planned.basic;
    ctx.deliveries.push(Delivery {
        truck: truck.id,
        depot: job.load_at,
        group: job.group,
        at_s: st.cursor_s,
        items: Items2::default(),
        planned: job.planned,
        cancelled: true,
    });
    ctx.events.push(SimEvent::Cancelled {
        t: t_of(st.cursor_s),
        truck: truck.id.0,
        reason: reason.to_string(),
    });
    head_home(truck, st, ctx);
}

/// Movement: advance every truck, in id order, to the end of the step.
pub fn move_trucks(
    clock: Res<SimClock>,
    spec: Res<Spec>,
    roads: Res<RoadState>,
    mut cache: ResMut<RouteCache>,
    mut reserves: ResMut<Reserves>,
    mut trucks: Query<(&Truck, &mut TruckState)>,
    mut deliveries: MessageWriter<Delivery>,
    mut events: MessageWriter<SimEvent>,
) {
    let mut ctx = Ctx::new(&spec.0, &roads, &mut cache, &mut reserves);
    let now_s = clock.now.secs() as f64;
    let end_s = clock.step_end().secs() as f64;
    let mut order: Vec<(TruckId, Mut<TruckState>, &Truck)> = trucks.iter_mut().map(|(t, s)| (t.id, s, t)).collect();
    order.sort_by_key(|(id, _, _)| *id);
    for (_, mut st, truck) in order {
        if st.busy() {
            advance(truck, &mut st, &mut ctx, now_s, end_s);
        }
    }
    events.write_batch(ctx.events);
    deliveries.write_batch(ctx.deliveries);
}
