//! Players' orders in a drill: ordering a zone out, and sending a truck by
//! hand. (Manual zones and depot priorities are read by `dispatch_trucks`.)
//!
//! A drill ([`crate::drill`]) puts orders in [`PlayerOrders`] between two
//! ticks; the next tick carries them out in the set they belong to:
//! - [`evacuate_zones`] (`SimSystems::Impacts`, before `activate_impacts`):
//!   people of the zone who stay at home are ordered out with the scenario's
//!   evacuation rules ([`evacuation::order`]). The group keeps those who
//!   refuse or find no place; each shelter's share leaves it as a new group
//!   (journal: `EvacuationOrdered`, `SplitOff`, `Evacuating`), affected at
//!   the same time as before. Relief already handed out is shared between
//!   the parts ([`split_relief`]); trucks bringing more than those left at
//!   home can use are called off (`Cancelled`; a loaded one takes its cargo
//!   back to its depot) — the evacuees are served at the shelter once they
//!   are there.
//! - [`assign_by_hand`] (`SimSystems::Dispatch`, before `dispatch_trucks`):
//!   an idle truck is sent to a group, loading at its own depot when that
//!   has what the group needs, or else at the depot the dispatcher would
//!   choose for it ([`plan_by_hand`]); the job is the dispatcher's own.

use bevy::prelude::*;

use super::dispatch::{Assignment, Demand, DispatchView, IdleTruck, serve_in_order};
use super::reserves::{Items2, Reserves};
use super::trucks::{Ctx, Phase, Truck, TruckState, recall};
use super::{TruckIndex, commit, depot_offers, travel_times};
use crate::city::routing::{RoadState, RouteCache};
use crate::people::evacuation::{self, OrderCtx, Shelters};
use crate::people::{AffectedGroup, Going, GroupId, GroupIndex, Relief};
use crate::scenario::RunSpec;
use crate::scenario::time::SimTime;
use crate::sim::journal::SimEvent;
use crate::sim::rng::RngStreams;
use crate::sim::{PlayerOrders, SimClock, Spec};

/// What a phase means, for a refusal.
fn doing(phase: &Phase) -> &'static str {
    match phase {
        Phase::Idle { .. } => "idle",
        Phase::ToDepot => "driving to a depot to load",
        Phase::Queued => "queued to load",
        Phase::Loading { .. } => "loading",
        Phase::Driving => "driving to its group",
        Phase::Unloading { .. } | Phase::Handover => "unloading",
        Phase::Returning => "returning to its depot",
    }
}

/// The job a truck sent by hand to a group would get now: loading at its own
/// depot when that can load the group's open items, otherwise at the depot
/// the dispatcher would choose for it (soonest delivery).
///
/// # Errors
/// A sentence saying why not: the truck is busy or its crew not ready, the
/// group has nobody there to serve or all it needs (or trucks bringing it),
/// no depot can load what it needs, or none of those can reach it by road.
#[allow(clippy::too_many_arguments)]
pub fn plan_by_hand(
    now: SimTime,
    spec: &RunSpec,
    roads: &RoadState,
    cache: &mut RouteCache,
    reserves: &Reserves,
    truck: &Truck,
    st: &TruckState,
    group: &AffectedGroup,
    relief: &Relief,
) -> Result<Assignment, String> {
    let Phase::Idle { at } = st.phase else {
        return Err(format!(
            "{} is busy ({}): only an idle truck can be sent",
            truck.id,
            doing(&st.phase)
        ));
    };
    if truck.ready > now {
        return Err(format!("{}'s crew is not ready until {}", truck.id, truck.ready));
    }
    if group.present == 0 {
        return Err(format!(
            "nobody of {} is where relief can reach them now (on their way to a shelter, waiting for a boat or a rescue team, or gone)",
            group.id
        ));
    }
    let open = Items2 {
        initial: u64::from(relief.initial_open(group.present)),
        basic: u64::from(relief.basic_open(group.present)),
    };
    if open.initial + open.basic == 0 {
        return Err(format!(
            "{} is fully served: everyone there has relief, or a truck is bringing it",
            group.id
        ));
    }
    let offers = depot_offers(reserves, now);
    let useful = |a: Items2| (open.initial > 0 && a.initial > 0) || (open.basic > 0 && a.basic > 0);
    if !offers.iter().any(|o| useful(o.available)) {
        return Err(format!(
            "no depot that can load a truck now has the items {} needs",
            group.id
        ));
    }
    let mut roots: Vec<usize> = offers.iter().map(|o| o.depot).chain([at]).collect();
    roots.sort_unstable();
    roots.dedup();
    let times = travel_times(&spec.city, roads, cache, reserves, &roots, &[truck.vehicle]);
    let idle = [IdleTruck {
        id: truck.id,
        at,
        capacity_kg: truck.capacity_kg,
        capacity_m3: truck.capacity_m3,
        vehicle: truck.vehicle,
    }];
    let demand = [Demand {
        group: group.id,
        node: group.node,
        open,
        deadline: now,
    }];
    let own: Vec<_> = offers.iter().filter(|o| o.depot == at).cloned().collect();
    for depots in [own, offers] {
        let view = DispatchView {
            now,
            demands: &demand,
            depots: &depots,
            trucks: &idle,
            travel: &times,
            items: &spec.items,
            handling: &spec.handling,
        };
        if let Some(a) = serve_in_order(&view, &[0]).into_iter().next() {
            return Ok(a);
        }
    }
    Err(format!(
        "{} cannot reach {} by road from a depot with the items it needs (roads closed or under water)",
        truck.id, group.id
    ))
}

/// Check that truck number `truck` can be sent to group number `group` now
/// (a drill's `Assign` command, refused at once when it cannot).
///
/// # Errors
/// A sentence naming what is wrong: an unknown truck or group, or any reason
/// of [`plan_by_hand`].
pub fn check_assignment(world: &mut World, truck: u32, group: u32, now: SimTime) -> Result<Assignment, String> {
    let trucks = &world.resource::<TruckIndex>().0;
    let te = match trucks.get(truck as usize) {
        Some(&e) => e,
        None if trucks.is_empty() => return Err("this scenario has no trucks".into()),
        None => {
            return Err(format!(
                "no Truck #{truck}: the fleet has trucks #0 to #{}",
                trucks.len() - 1
            ));
        }
    };
    let groups = &world.resource::<GroupIndex>().0;
    let ge = match groups.get(group as usize) {
        Some(&e) => e,
        None if groups.is_empty() => return Err(format!("no Group #{group}: nobody is affected yet")),
        None => {
            return Err(format!(
                "no Group #{group}: the groups so far are #0 to #{}",
                groups.len() - 1
            ));
        }
    };
    let (t, st) = (
        world
            .get::<Truck>(te)
            .cloned()
            .expect("invariant: indexed trucks exist"),
        world
            .get::<TruckState>(te)
            .cloned()
            .expect("invariant: indexed trucks exist"),
    );
    let (g, r) = (
        world
            .get::<AffectedGroup>(ge)
            .cloned()
            .expect("invariant: indexed groups exist"),
        world
            .get::<Relief>(ge)
            .cloned()
            .expect("invariant: indexed groups exist"),
    );
    let spec = world.resource::<Spec>().0.clone();
    world.resource_scope(|world, mut cache: Mut<RouteCache>| {
        plan_by_hand(
            now,
            &spec,
            world.resource::<RoadState>(),
            &mut cache,
            world.resource::<Reserves>(),
            &t,
            &st,
            &g,
            &r,
        )
    })
}

/// Dispatch (before `dispatch_trucks`): send the trucks players assigned.
/// An order that no longer holds (the depot went out of service in this
/// step's injects, say) is dropped with a `Command` line in the journal.
#[allow(clippy::too_many_arguments)]
pub fn assign_by_hand(
    clock: Res<SimClock>,
    spec: Res<Spec>,
    roads: Res<RoadState>,
    mut cache: ResMut<RouteCache>,
    mut reserves: ResMut<Reserves>,
    mut orders: ResMut<PlayerOrders>,
    mut groups: Query<(&AffectedGroup, &mut Relief)>,
    index: Res<GroupIndex>,
    mut trucks: Query<(&Truck, &mut TruckState)>,
    truck_index: Res<TruckIndex>,
    mut events: MessageWriter<SimEvent>,
) {
    if orders.assign.is_empty() {
        return;
    }
    let now = clock.now;
    for (t, g) in std::mem::take(&mut orders.assign) {
        let (Some(&te), Some(&ge)) = (truck_index.0.get(t as usize), index.0.get(g as usize)) else {
            continue;
        };
        let (Ok((truck, mut st)), Ok((group, mut relief))) = (trucks.get_mut(te), groups.get_mut(ge)) else {
            continue;
        };
        match plan_by_hand(now, &spec.0, &roads, &mut cache, &reserves, truck, &st, group, &relief) {
            Ok(a) => {
                let mut ctx = Ctx::new(&spec.0, &roads, &mut cache, &mut reserves);
                commit(&a, truck, &mut st, &mut relief, &mut ctx, now);
                events.write_batch(ctx.events);
            }
            Err(why) => {
                events.write(SimEvent::Command {
                    t: now,
                    command: format!("Truck #{t} not sent to Group #{g}: {why}"),
                });
            }
        }
    }
}

/// How a group's relief ledger is shared when evacuees leave it.
#[derive(Debug, Clone)]
pub struct ReliefSplit {
    /// Each evacuee group's ledger, in the order of `movers`.
    pub movers: Vec<Relief>,
    /// For each load on its way (in the order given): whether it still goes
    /// to those who stay (false: the truck is called off).
    pub keep: Vec<bool>,
}

/// Share a group's relief between those who stay (`stay`: the people relief
/// is still for once the evacuees are gone) and evacuee groups of `movers`
/// people each; `relief` is left with the stayers' part.
///
/// Loads on their way (`loads`, in truck order) keep going to the group
/// while those who stay can use them; the others are called off (evacuees
/// are served at their shelter once they have arrived there, by the
/// dispatcher). Relief already handed out goes with the people who got it,
/// assumed spread evenly: the stayers keep their share (but no more than
/// their room beside the loads still coming), the evacuees take the rest,
/// each group within its size; hand-outs are moved latest first (household
/// cover, the earliest, last). Afterwards, for every part and kind, `done +
/// en_route ≤ people` (if it held before), and the parts' `done`, logs and
/// household cover add up to the group's before.
pub fn split_relief(relief: &mut Relief, stay: u32, movers: &[u32], loads: &[Items2]) -> ReliefSplit {
    let mut out: Vec<Relief> = movers.iter().map(|_| Relief::default()).collect();
    // Loads first: they are on their way to the group's node.
    let listed = loads
        .iter()
        .fold((0u32, 0u32), |a, l| (a.0 + l.initial as u32, a.1 + l.basic as u32));
    let mut en = (
        relief.initial_en_route.saturating_sub(listed.0),
        relief.basic_en_route.saturating_sub(listed.1),
    );
    let mut keep = Vec::with_capacity(loads.len());
    for l in loads {
        let (li, lb) = (l.initial as u32, l.basic as u32);
        let fits = en.0 + li <= stay && en.1 + lb <= stay;
        if fits {
            en = (en.0 + li, en.1 + lb);
        }
        keep.push(fits);
    }
    relief.initial_en_route = en.0;
    relief.basic_en_route = en.1;
    let leaving: u32 = movers.iter().sum();
    let total = u64::from(stay) + u64::from(leaving);
    for kind in [0, 1] {
        let (done, en) = if kind == 0 {
            (relief.initial_done, en.0)
        } else {
            (relief.basic_done, en.1)
        };
        // The stayers' even share, within their room, and no less than what
        // the evacuees cannot take.
        let even = (u64::from(done) * u64::from(stay) / total.max(1)) as u32;
        let kept = even
            .min(stay.saturating_sub(en))
            .max(done.saturating_sub(leaving))
            .min(done);
        let want = done - kept;
        let mut left = want;
        let mut shares = vec![0u32; movers.len()];
        for (k, &m) in movers.iter().enumerate() {
            let even = (u64::from(want) * u64::from(m)).div_ceil(u64::from(leaving.max(1))) as u32;
            shares[k] = even.min(m).min(left);
            left -= shares[k];
        }
        for (k, &m) in movers.iter().enumerate() {
            let more = (m - shares[k]).min(left);
            shares[k] += more;
            left -= more;
        }
        let log = if kind == 0 {
            &mut relief.initial
        } else {
            &mut relief.basic
        };
        for (k, &n) in shares.iter().enumerate() {
            let taken = take_latest(log, n);
            if kind == 0 {
                out[k].initial_done = n;
                out[k].initial = taken;
                // Household cover is the log's first entry, taken last.
                let left = log.first().map_or(0, |e| e.1).min(relief.household);
                out[k].household = relief.household - left;
                relief.household = left;
            } else {
                out[k].basic_done = n;
                out[k].basic = taken;
            }
        }
        let moved: u32 = shares.iter().sum();
        if kind == 0 {
            relief.initial_done -= moved;
        } else {
            relief.basic_done -= moved;
        }
    }
    ReliefSplit { movers: out, keep }
}

/// Take `n` people's hand-outs off the end of a log (latest first), keeping
/// the order of what is taken.
fn take_latest(log: &mut Vec<(SimTime, u32)>, mut n: u32) -> Vec<(SimTime, u32)> {
    let mut taken = Vec::new();
    while n > 0 {
        let Some(last) = log.last_mut() else { break };
        let k = last.1.min(n);
        taken.push((last.0, k));
        last.1 -= k;
        n -= k;
        if last.1 == 0 {
            log.pop();
        }
    }
    taken.reverse();
    taken
}

/// Impacts (before `activate_impacts`): order out the people who stay at home
/// in the zones players ordered out at this tick.
#[allow(clippy::too_many_arguments)]
pub fn evacuate_zones(
    mut commands: Commands,
    clock: Res<SimClock>,
    spec: Res<Spec>,
    roads: Res<RoadState>,
    mut cache: ResMut<RouteCache>,
    mut shelters: ResMut<Shelters>,
    mut reserves: ResMut<Reserves>,
    mut orders: ResMut<PlayerOrders>,
    mut index: ResMut<GroupIndex>,
    mut rng: ResMut<RngStreams>,
    mut groups: Query<(&mut AffectedGroup, &mut Relief)>,
    mut trucks: Query<(&Truck, &mut TruckState)>,
    mut events: MessageWriter<SimEvent>,
) {
    if orders.evacuate_now.is_empty() {
        return;
    }
    let zones = std::mem::take(&mut orders.evacuate_now);
    let Some(evac) = spec.0.evacuation.as_ref() else {
        return;
    };
    let city = &spec.0.city;
    let now = clock.now;
    for zone in zones {
        for gi in 0..index.0.len() {
            let Ok((mut g, mut relief)) = groups.get_mut(index.0[gi]) else {
                continue;
            };
            if g.zone != zone || g.going != Going::Stay || g.node != g.home || g.present == 0 || g.shelter.is_some() {
                continue;
            }
            let mut ctx = OrderCtx {
                city,
                roads: &roads,
                cache: &mut cache,
                evac,
                shelters: &mut shelters,
                rng: rng.stream("evacuation"),
            };
            let (parts, ev) = evacuation::order(&mut ctx, g.home, zone, g.present, now, index.0.len() as u32);
            events.write(ev);
            let mut movers: Vec<AffectedGroup> = parts.into_iter().filter(|p| p.going != Going::Stay).collect();
            if movers.is_empty() {
                continue;
            }
            let leaving: u32 = movers.iter().map(|m| m.people).sum();
            g.people -= leaving;
            g.present -= leaving;
            // Trucks on their way to this group and not yet unloading, in id order.
            let mut coming: Vec<(super::trucks::TruckId, Items2)> = trucks
                .iter()
                .filter(|(_, st)| {
                    matches!(
                        st.phase,
                        Phase::ToDepot | Phase::Queued | Phase::Loading { .. } | Phase::Driving
                    ) && st.job.as_ref().is_some_and(|j| j.group == g.id)
                })
                .map(|(t, st)| (t.id, st.job.as_ref().map_or_else(Items2::default, |j| j.planned)))
                .collect();
            coming.sort_by_key(|c| c.0);
            let loads: Vec<Items2> = coming.iter().map(|c| c.1).collect();
            let sizes: Vec<u32> = movers.iter().map(|m| m.people).collect();
            let split = split_relief(&mut relief, g.for_relief(), &sizes, &loads);
            let from = g.id;
            let affected_at = g.affected_at;
            for (m, r) in movers.iter_mut().zip(split.movers) {
                m.id = GroupId(index.0.len() as u32);
                m.affected_at = affected_at;
                events.write(SimEvent::SplitOff {
                    t: now,
                    group: m.id.0,
                    from: from.0,
                    people: m.people,
                });
                if let Some(s) = m.shelter {
                    events.write(SimEvent::Evacuating {
                        t: now,
                        group: m.id.0,
                        shelter: city.places[shelters.defs[s].place].name_zh.clone(),
                        people: m.people,
                        mode: if m.going == Going::Walk { "walk" } else { "bus" }.into(),
                    });
                }
                let e = commands.spawn((m.clone(), r)).id();
                index.0.push(e);
            }
            // Loads those at home cannot use are called off.
            let mut ctx = Ctx {
                city,
                roads: &roads,
                cache: &mut cache,
                reserves: &mut reserves,
                items: &spec.0.items,
                handling: &spec.0.handling,
                events: Vec::new(),
                deliveries: Vec::new(),
            };
            for ((id, _), keep) in coming.iter().zip(split.keep) {
                if keep {
                    continue;
                }
                if let Some((truck, mut st)) = trucks.iter_mut().find(|(t, _)| t.id == *id) {
                    recall(truck, &mut st, &mut ctx, "its group left for a shelter");
                }
            }
            events.write_batch(ctx.events);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relief(done: u32, en_route: u32) -> Relief {
        Relief {
            household: 0,
            initial: if done > 0 { vec![(SimTime(0), done)] } else { Vec::new() },
            initial_done: done,
            initial_en_route: en_route,
            ..Relief::default()
        }
    }

    #[test]
    fn relief_given_goes_with_people_and_loads_nobody_home_needs_are_called_off() {
        // 500 people, 100 served, trucks bringing 360 and 40: 50 stay, 450 leave.
        let mut r = relief(100, 400);
        let loads = [Items2 { initial: 360, basic: 0 }, Items2 { initial: 40, basic: 0 }];
        let split = split_relief(&mut r, 50, &[450], &loads);
        assert_eq!(split.keep, vec![false, true], "the stayers can use 40 kits, not 360");
        let m = &split.movers[0];
        // The stayers keep 10 (their 50 minus the 40 coming), the evacuees take 90.
        assert_eq!((r.initial_done, r.initial_en_route), (10, 40));
        assert_eq!((m.initial_done, m.initial_en_route), (90, 0));
        assert_eq!(r.initial, vec![(SimTime(0), 10)]);
        assert_eq!(m.initial, vec![(SimTime(0), 90)]);
    }

    #[test]
    fn a_load_the_stayers_can_use_keeps_going_to_them() {
        let mut r = relief(0, 30);
        let split = split_relief(&mut r, 40, &[60], &[Items2 { initial: 30, basic: 0 }]);
        assert_eq!(split.keep, vec![true]);
        assert_eq!(r.initial_en_route, 30);
        assert_eq!(split.movers[0].initial_en_route, 0);
    }

    #[test]
    fn hand_outs_are_shared_evenly_latest_first_with_household_cover_earliest() {
        let mut r = Relief {
            household: 20,
            initial: vec![(SimTime(0), 20), (SimTime(3600), 30), (SimTime(7200), 50)],
            initial_done: 100,
            basic: vec![(SimTime(7200), 10)],
            basic_done: 10,
            ..Relief::default()
        };
        // 200 people: 100 stay, two shelters take 60 and 40.
        let split = split_relief(&mut r, 100, &[60, 40], &[]);
        let (a, b) = (&split.movers[0], &split.movers[1]);
        assert_eq!(r.initial_done + a.initial_done + b.initial_done, 100);
        assert_eq!(r.initial_done, 50);
        assert_eq!((a.initial_done, b.initial_done), (30, 20));
        assert_eq!(a.initial, vec![(SimTime(7200), 30)]);
        assert_eq!(b.initial, vec![(SimTime(7200), 20)]);
        assert_eq!(r.household + a.household + b.household, 20);
        assert_eq!(r.basic_done + a.basic_done + b.basic_done, 10);
        for (x, n) in [(&r, 100), (a, 60), (b, 40)] {
            let logged: u32 = x.initial.iter().map(|e| e.1).sum();
            assert_eq!(logged, x.initial_done);
            assert!(x.initial_done + x.initial_en_route <= n);
            assert!(x.household <= x.initial_done);
        }
    }
}
