//! Stage 4: people. Owns affected groups — people at one road node affected
//! at one time — and their relief ledger: who got initial relief and basic
//! relief, when, and from which tier.
//!
//! Systems, in [`SimSystems::Impacts`]: `activate_impacts` spawns groups for
//! every due impact — household reserves cover a binomially drawn share of
//! their people at once (stream `"households"`), and people ordered out are
//! split into those who stay and evacuee groups bound for shelters
//! ([`evacuation`]); `move_people` then moves evacuees, lands arrivals and
//! strands people whom the water cuts off ([`survival`] says how many a boat
//! still finds alive).

pub mod evacuation;
pub mod medical;
pub mod survival;

use std::fmt;

use bevy::prelude::*;
use rand_distr::{Binomial, Distribution};

use crate::city::routing::{RoadState, RouteCache};
use crate::scenario::time::SimTime;
use crate::sim::journal::SimEvent;
use crate::sim::rng::RngStreams;
use crate::sim::{City, PendingImpacts, PlayerOrders, SimClock, SimSystems, SimTick, Spec};

/// Stable id of an affected group; prints as "Group #12".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupId(pub u32);

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Group #{}", self.0)
    }
}

/// How a group goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Going {
    /// Stays at home (not ordered out, refused, or no shelter place).
    Stay,
    /// Walks to its shelter.
    Walk,
    /// Waits at home for a bus to its shelter.
    Bus,
}

/// People affected at one time, from one home node, who stay or go together.
///
/// Every person is in exactly one place: `people = waiting + stranded +
/// trapped + in_transit() + present + died + hospitalised` (checked at every
/// step in debug builds). Relief reaches only the
/// `present` ones, at `node`: home for those who stay, the shelter for evacuees.
#[derive(Component, Debug, Clone)]
pub struct AffectedGroup {
    /// Id.
    pub id: GroupId,
    /// Road node where relief reaches them: home, or their shelter.
    pub node: u32,
    /// Home road node.
    pub home: u32,
    /// Zone index (of home).
    pub zone: u16,
    /// Number of people.
    pub people: u32,
    /// When they were affected.
    pub affected_at: SimTime,
    /// Stay, walk or bus.
    pub going: Going,
    /// Shelter index (into the evacuation's shelters), for evacuees and rescued people.
    pub shelter: Option<usize>,
    /// When evacuees leave home.
    pub depart: SimTime,
    /// Walk from home to the shelter, s.
    pub walk_s: f64,
    /// Evacuees still at home, not yet gone and not cut off.
    pub waiting: u32,
    /// People cut off by water at home, waiting for a boat.
    pub stranded: u32,
    /// When they were cut off.
    pub stranded_at: Option<SimTime>,
    /// On their way to `node`: (arrival, people).
    pub moving: Vec<(SimTime, u32)>,
    /// At `node` now.
    pub present: u32,
    /// Died waiting for rescue.
    pub died: u32,
    /// Taken off alive by boats.
    pub rescued: u32,
    /// Of those, injured and waiting for (or taken by) an ambulance instead of going on with the group.
    pub hospitalised: u32,
    /// Seats on buses on their way for `waiting` people.
    pub bus_en_route: u32,
    /// Seats on boats on their way for `stranded` people.
    pub boat_en_route: u32,
    /// People trapped in collapsed buildings at home, waiting for a rescue team.
    pub trapped: u32,
    /// When they were trapped.
    pub trapped_at: Option<SimTime>,
    /// Freed alive from rubble.
    pub freed: u32,
    /// Of `died`, found dead in rubble.
    pub died_trapped: u32,
    /// Places in rescue teams' next work periods for `trapped` people.
    pub rescue_en_route: u32,
}

impl AffectedGroup {
    /// People who stay at home (relief reaches them there).
    pub fn at_home(id: GroupId, node: u32, zone: u16, people: u32, at: SimTime) -> Self {
        AffectedGroup {
            id,
            node,
            home: node,
            zone,
            people,
            affected_at: at,
            going: Going::Stay,
            shelter: None,
            depart: at,
            walk_s: 0.0,
            waiting: 0,
            stranded: 0,
            stranded_at: None,
            moving: Vec::new(),
            present: people,
            died: 0,
            rescued: 0,
            hospitalised: 0,
            bus_en_route: 0,
            boat_en_route: 0,
            trapped: 0,
            trapped_at: None,
            freed: 0,
            died_trapped: 0,
            rescue_en_route: 0,
        }
    }

    /// People trapped in collapsed buildings at home (relief reaches the
    /// survivors there once they are freed).
    pub fn trapped_at_home(id: GroupId, node: u32, zone: u16, people: u32, at: SimTime) -> Self {
        AffectedGroup {
            present: 0,
            trapped: people,
            trapped_at: Some(at),
            ..AffectedGroup::at_home(id, node, zone, people, at)
        }
    }

    /// People relief is for: alive and not gone to hospital.
    pub fn for_relief(&self) -> u32 {
        self.people - self.died - self.hospitalised
    }

    /// People on their way.
    pub fn in_transit(&self) -> u32 {
        self.moving.iter().map(|m| m.1).sum()
    }

    /// Sum over every place a person can be (equals `people`).
    pub fn accounted(&self) -> u32 {
        self.waiting + self.stranded + self.trapped + self.in_transit() + self.present + self.died + self.hospitalised
    }

    /// Trapped people no rescue team is coming for yet.
    pub fn awaiting_rescue_team(&self) -> u32 {
        self.trapped - self.rescue_en_route
    }

    /// Evacuees a bus could come for now.
    pub fn awaiting_bus(&self, now: SimTime) -> u32 {
        if self.going == Going::Bus && self.depart <= now {
            self.waiting - self.bus_en_route
        } else {
            0
        }
    }

    /// Stranded people no boat is coming for yet.
    pub fn awaiting_boat(&self) -> u32 {
        self.stranded - self.boat_en_route
    }
}

/// Which kind of relief.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReliefKind {
    /// Initial relief (first-day water and food), target 12 h.
    Initial,
    /// Basic living relief, target 24 h.
    Basic,
}

/// A group's relief ledger. Invariant: `done + en_route ≤ need` for each kind.
#[derive(Component, Debug, Clone, Default)]
pub struct Relief {
    /// People whose initial relief came from household reserves (at `affected_at`).
    pub household: u32,
    /// Initial relief handed out: (time, people).
    pub initial: Vec<(SimTime, u32)>,
    /// Basic relief handed out: (time, people).
    pub basic: Vec<(SimTime, u32)>,
    /// People with initial relief so far (household included).
    pub initial_done: u32,
    /// People with basic relief so far.
    pub basic_done: u32,
    /// Kits on trucks heading here.
    pub initial_en_route: u32,
    /// Sets on trucks heading here.
    pub basic_en_route: u32,
    /// Seconds during which the group had open need and no depot could reach it.
    pub unreachable_s: i64,
    /// Whether it is unreachable right now.
    pub unreachable_now: bool,
}

impl Relief {
    /// People still needing initial relief that nobody is bringing.
    pub fn initial_open(&self, people: u32) -> u32 {
        people.saturating_sub(self.initial_done + self.initial_en_route)
    }

    /// People still needing basic relief that nobody is bringing.
    pub fn basic_open(&self, people: u32) -> u32 {
        people.saturating_sub(self.basic_done + self.basic_en_route)
    }

    /// Hand out up to `n` items of `kind` at `t` to a group with `people`
    /// present; returns how many were used.
    pub fn give(&mut self, kind: ReliefKind, people: u32, n: u32, t: SimTime) -> u32 {
        let (done, log) = match kind {
            ReliefKind::Initial => (&mut self.initial_done, &mut self.initial),
            ReliefKind::Basic => (&mut self.basic_done, &mut self.basic),
        };
        let used = n.min(people.saturating_sub(*done));
        if used > 0 {
            *done += used;
            log.push((t, used));
        }
        used
    }
}

/// Group id → entity, in id order.
#[derive(Resource, Debug, Default)]
pub struct GroupIndex(pub Vec<Entity>);

/// Affected groups, household reserves, evacuation and stranding.
///
/// Systems, in [`SimSystems::Impacts`]: `activate_impacts` ▶ `move_people`.
pub struct PeoplePlugin;

impl Plugin for PeoplePlugin {
    fn build(&self, app: &mut App) {
        let spec = app.world().resource::<Spec>().0.clone();
        app.init_resource::<GroupIndex>()
            .insert_resource(evacuation::Shelters::new(spec.evacuation.as_ref()))
            .insert_resource(medical::Patients::new(spec.medical.as_ref()))
            .add_systems(
                SimTick,
                (activate_impacts, evacuation::move_people)
                    .chain()
                    .in_set(SimSystems::Impacts),
            );
    }
}

/// Impacts: spawn groups for every impact due by now; people ordered out (by
/// the impact, or because players ordered their zone out: [`PlayerOrders`])
/// get shelters (see [`evacuation::order`]).
#[allow(clippy::too_many_arguments)]
pub fn activate_impacts(
    mut commands: Commands,
    clock: Res<SimClock>,
    spec: Res<Spec>,
    city: Res<City>,
    roads: Res<RoadState>,
    mut cache: ResMut<RouteCache>,
    mut shelters: ResMut<evacuation::Shelters>,
    mut patients: ResMut<medical::Patients>,
    mut pending: ResMut<PendingImpacts>,
    orders: Res<PlayerOrders>,
    mut index: ResMut<GroupIndex>,
    mut rng: ResMut<RngStreams>,
    mut events: MessageWriter<SimEvent>,
) {
    if !pending.0.iter().any(|i| i.at <= clock.now) {
        return;
    }
    let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut pending.0)
        .into_iter()
        .partition(|i| i.at <= clock.now);
    pending.0 = later;
    let share = spec.0.households_share;
    for imp in due {
        for (gi, (node, people)) in imp.groups.into_iter().enumerate() {
            let zone = city.0.node_zone[node as usize];
            // People trapped in rubble form a group of their own: they wait
            // for a rescue team, not for an evacuation order or a truck.
            let trapped = imp.trapped.get(gi).copied().unwrap_or(0);
            let people = people - trapped;
            if trapped > 0 {
                let mut group =
                    AffectedGroup::trapped_at_home(GroupId(index.0.len() as u32), node, zone, trapped, imp.at);
                // Their homes have collapsed: with an evacuation in the
                // scenario, survivors walk to the nearest shelter with room.
                if let Some(evac) = spec.0.evacuation.as_ref()
                    && let Some(s) = shelters.reserve_nearest(&city.0, &roads, &mut cache, evac.walker, node, trapped)
                {
                    let at = shelters.defs[s].node;
                    group.shelter = Some(s);
                    group.node = at;
                    group.walk_s = cache
                        .tree(&city.0, &roads, at, crate::city::routing::TreeDir::To, evac.walker)
                        .time_to(node)
                        .unwrap_or_else(|| {
                            city.0.node_xy[node as usize].dist(city.0.node_xy[at as usize])
                                / (evac.walker.speed_kmh / 3.6)
                        });
                }
                events.write(SimEvent::Affected {
                    t: imp.at,
                    group: group.id.0,
                    node,
                    zone: city.0.zones[usize::from(zone)].name_zh.clone(),
                    people: trapped,
                    household_covered: 0,
                });
                let e = commands.spawn((group, Relief::default())).id();
                index.0.push(e);
            }
            // The injured who need a hospital wait for an ambulance, apart from their group.
            let injured_share = spec.0.medical.as_ref().map_or(0.0, |m| match imp.label.as_str() {
                "flood" => m.injured.flood,
                "chemical" => m.injured.chemical,
                "fire" => m.injured.fire,
                _ => 0.0,
            });
            let people = match spec.0.medical.as_ref() {
                Some(m) if injured_share > 0.0 => {
                    people - patients.injure(m, rng.stream("medical"), node, people, injured_share, imp.at)
                }
                _ => people,
            };
            if people == 0 {
                continue;
            }
            let groups = match spec.0.evacuation.as_ref() {
                Some(evac) if imp.evacuate || orders.evacuate.contains(&zone) => {
                    let mut ctx = evacuation::OrderCtx {
                        city: &city.0,
                        roads: &roads,
                        cache: &mut cache,
                        evac,
                        shelters: &mut shelters,
                        rng: rng.stream("evacuation"),
                    };
                    let (groups, ev) = evacuation::order(&mut ctx, node, zone, people, imp.at, index.0.len() as u32);
                    events.write(ev);
                    groups
                }
                _ => vec![AffectedGroup::at_home(
                    GroupId(index.0.len() as u32),
                    node,
                    zone,
                    people,
                    imp.at,
                )],
            };
            for group in groups {
                let household = if share > 0.0 {
                    Binomial::new(u64::from(group.people), share)
                        .map(|b| b.sample(rng.stream("households")) as u32)
                        .unwrap_or(0)
                } else {
                    0
                };
                let mut relief = Relief { household, ..default() };
                if household > 0 {
                    relief.initial_done = household;
                    relief.initial.push((imp.at, household));
                }
                events.write(SimEvent::Affected {
                    t: imp.at,
                    group: group.id.0,
                    node: group.home,
                    zone: city.0.zones[usize::from(zone)].name_zh.clone(),
                    people: group.people,
                    household_covered: household,
                });
                if let Some(s) = group.shelter {
                    events.write(SimEvent::Evacuating {
                        t: imp.at,
                        group: group.id.0,
                        shelter: city.0.places[shelters.defs[s].place].name_zh.clone(),
                        people: group.people,
                        mode: if group.going == Going::Walk { "walk" } else { "bus" }.into(),
                    });
                }
                let e = commands.spawn((group, relief)).id();
                index.0.push(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn give_never_serves_anyone_twice() {
        let mut r = Relief::default();
        assert_eq!(r.give(ReliefKind::Initial, 10, 7, SimTime(5)), 7);
        assert_eq!(r.give(ReliefKind::Initial, 10, 7, SimTime(9)), 3);
        assert_eq!(r.give(ReliefKind::Initial, 10, 7, SimTime(9)), 0);
        assert_eq!(r.initial_done, 10);
        assert_eq!(r.initial, vec![(SimTime(5), 7), (SimTime(9), 3)]);
    }
}
