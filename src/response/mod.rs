//! Stage 4: the response. Owns the reserves ("1+4" tiers, [`reserves`]), the
//! trucks ([`trucks`]) and dispatch policies ([`dispatch`]).
//!
//! Systems (all in [`SimTick`]):
//! - `SimSystems::Needs`: `apply_depot_requests` ▶ `produce` ▶ `community_handout`;
//! - `SimSystems::Impacts`: `orders::evacuate_zones` (players' evacuation
//!   orders, before `activate_impacts`);
//! - `SimSystems::Dispatch`: `orders::assign_by_hand` (trucks players send)
//!   ▶ `dispatch_trucks` (also counts unreachable groups; leaves zones under
//!   manual control alone; serves depot priorities first);
//! - `SimSystems::Movement`: `move_trucks`;
//! - `SimSystems::Service`: `apply_deliveries` (hand-over, then the truck heads home).

pub mod dispatch;
pub mod orders;
pub mod reserves;
pub mod trucks;
pub mod units;
pub mod water;

use bevy::prelude::*;

use crate::city::routing::{RoadState, RouteCache, TreeDir, Vehicle, reachable_from};
use crate::people::{AffectedGroup, GroupIndex, Relief, ReliefKind};
use crate::scenario::time::{SimDuration, SimTime};
use crate::scenario::{DispatchPolicyKind, TierDef};
use crate::sim::journal::SimEvent;
use crate::sim::{City, PlayerOrders, SimClock, SimSystems, SimTick, Spec};
use dispatch::{Assignment, Demand, DepotOffer, DispatchPolicy, DispatchView, IdleTruck, TravelTimes};
use reserves::{Items2, Reserves, apply_depot_requests, community_handout, produce};
use trucks::{Ctx, Delivery, Job, Phase, Truck, TruckId, TruckState};

/// The active dispatch policy.
#[derive(Resource)]
pub struct Policy(pub Box<dyn DispatchPolicy>);

/// Build the policy a scenario names.
pub fn policy_for(kind: DispatchPolicyKind) -> Box<dyn DispatchPolicy> {
    match kind {
        DispatchPolicyKind::EarliestDeadlineFirst => Box::new(dispatch::EarliestDeadlineFirst),
        DispatchPolicyKind::NearestFirst => Box::new(dispatch::NearestFirst),
    }
}

/// Truck id → entity.
#[derive(Resource, Debug, Default)]
pub struct TruckIndex(pub Vec<Entity>);

/// Which road nodes some truck depot can reach, for the road-state version it
/// was found on.
#[derive(Resource, Debug, Default)]
pub struct Travel {
    version: Option<u64>,
    /// Per node: reachable by some fleet vehicle from some non-community depot.
    reachable: Vec<bool>,
}

/// Reserves, trucks and dispatch.
pub struct ResponsePlugin;

impl Plugin for ResponsePlugin {
    fn build(&self, app: &mut App) {
        let spec = app.world().resource::<Spec>().0.clone();
        app.insert_resource(Reserves::new(&spec.depots))
            .insert_resource(Policy(policy_for(spec.dispatch)))
            .insert_resource(units::Units::new(&spec))
            .init_resource::<Travel>()
            .add_message::<Delivery>()
            .add_systems(
                SimTick,
                (apply_depot_requests, produce, community_handout)
                    .chain()
                    .in_set(SimSystems::Needs),
            )
            .add_systems(
                SimTick,
                // Life safety, hazard control, relief; repair is the last
                // class inside `dispatch_units` (teams are typed, so only
                // fire-rescue teams are shared across these stages).
                (
                    units::dispatch_units,
                    crate::hazard::sim::dispatch_hazard_teams,
                    orders::assign_by_hand,
                    dispatch_trucks,
                )
                    .chain()
                    .in_set(SimSystems::Dispatch),
            )
            .add_systems(
                SimTick,
                (units::advance_units, trucks::move_trucks)
                    .chain()
                    .in_set(SimSystems::Movement),
            )
            .add_systems(SimTick, apply_deliveries.in_set(SimSystems::Service))
            .add_systems(
                SimTick,
                orders::evacuate_zones
                    .in_set(SimSystems::Impacts)
                    .after(crate::hazard::sim::hazard_effects)
                    .before(crate::people::activate_impacts),
            );
        let mut index = Vec::new();
        for f in &spec.fleet {
            for _ in 0..f.trucks {
                let id = TruckId(index.len() as u32);
                let node = spec.depots[f.depot].node;
                let e = app
                    .world_mut()
                    .spawn((
                        Truck {
                            id,
                            home: f.depot,
                            capacity_kg: f.capacity_kg,
                            capacity_m3: f.capacity_m3,
                            vehicle: f.vehicle,
                            ready: f.ready,
                        },
                        TruckState {
                            phase: Phase::Idle { at: f.depot },
                            cursor_s: 0.0,
                            cargo: Items2::default(),
                            job: None,
                            motion: trucks::Motion {
                                node,
                                dest: node,
                                ..default()
                            },
                            busy_s: 0.0,
                            driven_m: 0.0,
                        },
                    ))
                    .id();
                index.push(e);
            }
        }
        app.insert_resource(TruckIndex(index));
    }
}

/// Vehicles that drive differently, in key order.
fn distinct_vehicles(vehicles: impl Iterator<Item = Vehicle>) -> Vec<Vehicle> {
    let mut v: Vec<Vehicle> = vehicles.collect();
    v.sort_by_key(|x| x.key());
    v.dedup_by_key(|x| x.key());
    v
}

/// Dispatch: count unreachable groups, then let the policy assign idle trucks.
#[allow(clippy::too_many_arguments)]
fn dispatch_trucks(
    clock: Res<SimClock>,
    spec: Res<Spec>,
    city: Res<City>,
    roads: Res<RoadState>,
    mut cache: ResMut<RouteCache>,
    mut travel: ResMut<Travel>,
    mut reserves: ResMut<Reserves>,
    policy: Res<Policy>,
    orders: Res<PlayerOrders>,
    mut groups: Query<(&AffectedGroup, &mut Relief)>,
    index: Res<GroupIndex>,
    mut trucks: Query<(&Truck, &mut TruckState)>,
    truck_index: Res<TruckIndex>,
    mut events: MessageWriter<SimEvent>,
) {
    let now = clock.now;
    // Nothing to do (and no trees to build) while every group has all it needs.
    if !groups
        .iter()
        .any(|(g, r)| r.initial_done < g.present || r.basic_done < g.present)
    {
        return;
    }
    // A group is unreachable when no truck depot can reach it by road: one
    // breadth-first search per kind of vehicle, from all depots at once, each
    // time the roads change.
    if travel.version != Some(roads.version()) {
        let roots: Vec<u32> = reserves
            .depots
            .iter()
            .filter(|d| !matches!(d.def.tier, TierDef::Community { .. }))
            .map(|d| d.def.node)
            .collect();
        let mut reachable = vec![false; city.0.node_count()];
        for v in distinct_vehicles(spec.0.fleet.iter().map(|f| f.vehicle)) {
            let found = reachable_from(&city.0, &roads, &roots, v);
            reachable.iter_mut().zip(found).for_each(|(r, f)| *r |= f);
        }
        travel.reachable = reachable;
        travel.version = Some(roads.version());
    }
    let step = clock.step.secs();
    for (g, mut r) in groups.iter_mut() {
        r.unreachable_now = !travel.reachable[g.node as usize];
        if r.unreachable_now && (r.initial_done < g.present || r.basic_done < g.present) {
            r.unreachable_s += step;
        }
    }

    let mut idle: Vec<IdleTruck> = trucks
        .iter()
        .filter(|(t, s)| t.ready <= now && matches!(s.phase, Phase::Idle { .. }))
        .map(|(t, s)| IdleTruck {
            id: t.id,
            at: match s.phase {
                Phase::Idle { at } => at,
                _ => t.home,
            },
            capacity_kg: t.capacity_kg,
            capacity_m3: t.capacity_m3,
            vehicle: t.vehicle,
        })
        .collect();
    if idle.is_empty() {
        return;
    }
    idle.sort_by_key(|t| t.id);
    let offers = depot_offers(&reserves, now);
    if offers.is_empty() {
        return;
    }
    let targets = &spec.0.targets;
    let mut demands = Vec::new();
    let mut zones = Vec::new();
    for &e in &index.0 {
        let Ok((g, r)) = groups.get(e) else { continue };
        // Groups in zones under manual control get only the trucks players send.
        if r.unreachable_now || g.affected_at > now || orders.manual.contains(&g.zone) {
            continue;
        }
        let open = Items2 {
            initial: u64::from(r.initial_open(g.present)),
            basic: u64::from(r.basic_open(g.present)),
        };
        if open.initial + open.basic == 0 {
            continue;
        }
        let deadline_h = if r.initial_done < g.present {
            targets.initial_relief_h
        } else {
            targets.basic_relief_h
        };
        demands.push(Demand {
            group: g.id,
            node: g.node,
            open,
            deadline: g.affected_at.plus(SimDuration::from_hours(deadline_h)),
        });
        zones.push(g.zone);
    }
    if demands.is_empty() {
        return;
    }
    // Trees the policy looks at: from the depots that can load and the depots
    // where idle trucks stand, for the idle trucks' vehicles (cached per road version).
    let mut roots: Vec<usize> = offers
        .iter()
        .map(|o| o.depot)
        .chain(idle.iter().map(|t| t.at))
        .collect();
    roots.sort_unstable();
    roots.dedup();
    let vehicles = distinct_vehicles(idle.iter().map(|t| t.vehicle));
    let times = travel_times(&city.0, &roads, &mut cache, &reserves, &roots, &vehicles);
    let view = DispatchView {
        now,
        demands: &demands,
        depots: &offers,
        trucks: &idle,
        travel: &times,
        items: &spec.0.items,
        handling: &spec.0.handling,
    };
    let plan = if orders.depot_priority.is_empty() {
        policy.0.plan(&view)
    } else {
        dispatch::plan_with_priorities(&*policy.0, &view, &zones, &orders.depot_priority)
    };
    let mut ctx = Ctx::new(&spec.0, &roads, &mut cache, &mut reserves);
    for a in plan {
        let Ok((truck, mut st)) = trucks.get_mut(truck_index.0[a.truck.0 as usize]) else {
            continue;
        };
        let Ok((_, mut relief)) = groups.get_mut(index.0[a.group.0 as usize]) else {
            continue;
        };
        commit(&a, truck, &mut st, &mut relief, &mut ctx, now);
    }
    events.write_batch(ctx.events);
}

/// Carry out an assignment: promise the stock at the depot and the items to
/// the group, journal the dispatch, and start the truck's job.
fn commit(a: &Assignment, truck: &Truck, st: &mut TruckState, relief: &mut Relief, ctx: &mut Ctx, now: SimTime) {
    let depot = &mut ctx.reserves.depots[a.depot];
    depot.reserved.initial += a.load.initial;
    depot.reserved.basic += a.load.basic;
    relief.initial_en_route += a.load.initial as u32;
    relief.basic_en_route += a.load.basic as u32;
    ctx.events.push(SimEvent::Dispatched {
        t: now,
        truck: a.truck.0,
        depot: depot.def.id.clone(),
        group: a.group.0,
        initial: a.load.initial as u32,
        basic: a.load.basic as u32,
        eta_h: (a.eta_s / 36.0).round() / 100.0,
    });
    trucks::start_job(
        truck,
        st,
        ctx,
        Job {
            group: a.group,
            node: a.node,
            load_at: a.depot,
            planned: a.load,
        },
        now,
    );
}

/// Depots trucks can load at now, with their unpromised stock.
fn depot_offers(reserves: &Reserves, now: SimTime) -> Vec<DepotOffer> {
    reserves
        .depots
        .iter()
        .enumerate()
        .filter(|(_, dep)| dep.loads_trucks(now) && dep.available().initial + dep.available().basic > 0)
        .map(|(d, dep)| DepotOffer {
            depot: d,
            node: dep.def.node,
            available: dep.available(),
        })
        .collect()
}

/// Shortest-path trees from the depots `roots` for `vehicles` (cached per road version).
fn travel_times(
    city: &crate::city::CityMap,
    roads: &RoadState,
    cache: &mut RouteCache,
    reserves: &Reserves,
    roots: &[usize],
    vehicles: &[Vehicle],
) -> TravelTimes {
    let depot_node = |d: usize| reserves.depots[d].def.node;
    cache.prefetch(
        city,
        roads,
        vehicles
            .iter()
            .flat_map(|&v| roots.iter().map(move |&d| (depot_node(d), TreeDir::From, v))),
    );
    let mut times = TravelTimes::default();
    for &v in vehicles {
        for &d in roots {
            let tree = cache.tree(city, roads, depot_node(d), TreeDir::From, v);
            times.from_depot.insert((d, v.key()), tree);
        }
    }
    times
}

/// Service: hand delivered items to groups; the truck then heads home.
#[allow(clippy::too_many_arguments)]
fn apply_deliveries(
    clock: Res<SimClock>,
    spec: Res<Spec>,
    roads: Res<RoadState>,
    mut cache: ResMut<RouteCache>,
    mut reserves: ResMut<Reserves>,
    mut deliveries: ResMut<Messages<Delivery>>,
    mut groups: Query<(&AffectedGroup, &mut Relief)>,
    index: Res<GroupIndex>,
    mut trucks: Query<(&Truck, &mut TruckState)>,
    truck_index: Res<TruckIndex>,
    mut events: MessageWriter<SimEvent>,
) {
    let mut batch: Vec<Delivery> = deliveries.drain().collect();
    if batch.is_empty() {
        return;
    }
    batch.sort_by_key(|d| d.truck);
    let mut ctx = Ctx::new(&spec.0, &roads, &mut cache, &mut reserves);
    let now_s = clock.now.secs() as f64;
    let end_s = clock.step_end().secs() as f64;
    for d in batch {
        let Ok((g, mut relief)) = groups.get_mut(index.0[d.group.0 as usize]) else {
            continue;
        };
        relief.initial_en_route -= d.planned.initial as u32;
        relief.basic_en_route -= d.planned.basic as u32;
        if d.cancelled {
            continue;
        }
        let t = SimTime(d.at_s.round() as i64);
        let used_i = relief.give(ReliefKind::Initial, g.present, d.items.initial as u32, t);
        let used_b = relief.give(ReliefKind::Basic, g.present, d.items.basic as u32, t);
        ctx.events.push(SimEvent::Delivered {
            t,
            truck: Some(d.truck.0),
            depot: ctx.reserves.depots[d.depot].def.id.clone(),
            group: d.group.0,
            initial: used_i,
            basic: used_b,
        });
        let Ok((truck, mut st)) = trucks.get_mut(truck_index.0[d.truck.0 as usize]) else {
            continue;
        };
        st.cargo.initial -= u64::from(used_i);
        st.cargo.basic -= u64::from(used_b);
        st.job = None;
        trucks::head_home(truck, &mut st, &mut ctx);
        trucks::advance(truck, &mut st, &mut ctx, now_s, end_s);
    }
    events.write_batch(ctx.events);
}
