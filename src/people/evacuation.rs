//! Evacuation to shelters, and people cut off by water.
//!
//! When people are ordered out (a hazard cause the scenario's `evacuation.on`
//! names, or a declared impact with `evacuate: true`):
//! 1. a binomial share `refuse_share` refuses and stays at home (stream
//!    `"evacuation"`);
//! 2. the others are given shelter places, nearest shelter on foot first; a
//!    shelter takes people until its usable area at `m2_per_person` is used
//!    up, and the rest go to the next one. Places are reserved at the order,
//!    so no shelter ever holds more than its capacity. Whoever finds no place
//!    stays home;
//! 3. each shelter's share becomes its own group that leaves home after
//!    `delay`: on foot when the walk is at most `walk_max`, otherwise by bus
//!    (the response's buses fetch them).
//!
//! Every step, [`move_people`] lands arrivals, starts walkers, and strands
//! people the water cuts off: evacuees still at home once the water there
//! reaches `rescue.wade_depth_m`, and people who stayed once it reaches
//! `rescue.stranded_depth_m`. Stranded people wait for a boat; survivors go
//! to a shelter place reserved when they were cut off (or, with none left, to
//! wherever the boat lands them).

use bevy::prelude::*;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};

use super::{AffectedGroup, Going, GroupId, GroupIndex};
use crate::city::CityMap;
use crate::city::routing::{RoadState, RouteCache, TreeDir, Vehicle};
use crate::hazard::sim::NodeWater;
use crate::scenario::time::{SimDuration, SimTime};
use crate::scenario::{EvacuationDef, ShelterDef};
use crate::sim::journal::SimEvent;
use crate::sim::{SimClock, Spec};

/// The shelters' ledger.
#[derive(Resource, Debug, Default)]
pub struct Shelters {
    /// The shelters (empty without evacuation).
    pub defs: Vec<ShelterDef>,
    /// Places promised to groups.
    pub reserved: Vec<u32>,
    /// People inside now.
    pub occupied: Vec<u32>,
    /// Most people inside at once.
    pub peak: Vec<u32>,
    /// Most people inside all shelters at once.
    pub peak_total: u64,
    /// People ordered out.
    pub ordered: u64,
    /// Of whom refused.
    pub refused: u64,
    /// Of whom found no place.
    pub no_shelter: u64,
}

impl Shelters {
    /// The ledger for a run's evacuation.
    pub fn new(evac: Option<&EvacuationDef>) -> Self {
        let defs = evac.map(|e| e.shelters.clone()).unwrap_or_default();
        let n = defs.len();
        Shelters {
            defs,
            reserved: vec![0; n],
            occupied: vec![0; n],
            peak: vec![0; n],
            ..default()
        }
    }

    /// Places left at shelter `s`.
    pub fn free(&self, s: usize) -> u32 {
        self.defs[s].capacity - self.reserved[s]
    }

    /// Shelters with places left, nearest to `home` on foot first: (seconds on
    /// foot, shelter); shelters out of reach on foot come last, nearest in a
    /// straight line first, with no walking time.
    fn by_walk(
        &self,
        city: &CityMap,
        roads: &RoadState,
        cache: &mut RouteCache,
        walker: Vehicle,
        home: u32,
    ) -> Vec<(Option<f64>, usize)> {
        let with_room = (0..self.defs.len()).filter(|&s| self.free(s) > 0);
        cache.prefetch(city, roads, with_room.map(|s| (self.defs[s].node, TreeDir::To, walker)));
        let mut on_foot = Vec::new();
        let mut cut_off = Vec::new();
        for s in 0..self.defs.len() {
            if self.free(s) == 0 {
                continue;
            }
            let node = self.defs[s].node;
            let tree = cache.tree(city, roads, node, TreeDir::To, walker);
            match tree.time_to(home) {
                Some(t) => on_foot.push((t, s)),
                None => {
                    let d = city.node_xy[home as usize].dist(city.node_xy[node as usize]);
                    cut_off.push((d, s));
                }
            }
        }
        on_foot.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        cut_off.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        on_foot
            .into_iter()
            .map(|(t, s)| (Some(t), s))
            .chain(cut_off.into_iter().map(|(_, s)| (None, s)))
            .collect()
    }

    /// Reserve `n` places at the nearest shelter to `home` on foot that has
    /// room for all of them (a stranded group's survivors), if any.
    pub fn reserve_nearest(
        &mut self,
        city: &CityMap,
        roads: &RoadState,
        cache: &mut RouteCache,
        walker: Vehicle,
        home: u32,
        n: u32,
    ) -> Option<usize> {
        let (_, s) = self
            .by_walk(city, roads, cache, walker, home)
            .into_iter()
            .find(|&(_, s)| self.free(s) >= n)?;
        self.reserved[s] += n;
        Some(s)
    }
}

/// What [`order`] needs.
pub struct OrderCtx<'a> {
    /// Map.
    pub city: &'a CityMap,
    /// Roads now.
    pub roads: &'a RoadState,
    /// Route trees.
    pub cache: &'a mut RouteCache,
    /// The scenario's evacuation.
    pub evac: &'a EvacuationDef,
    /// Ledger.
    pub shelters: &'a mut Shelters,
    /// Stream `"evacuation"`.
    pub rng: &'a mut ChaCha8Rng,
}

/// Order `people` at `home` out at `at`: the groups to spawn (ids from
/// `first_id`: those who stay first, then one per shelter) and the journal event.
pub fn order(
    ctx: &mut OrderCtx,
    home: u32,
    zone: u16,
    people: u32,
    at: SimTime,
    first_id: u32,
) -> (Vec<AffectedGroup>, SimEvent) {
    let evac = ctx.evac;
    let refused = if evac.refuse_share > 0.0 {
        Binomial::new(u64::from(people), evac.refuse_share)
            .map(|b| b.sample(ctx.rng) as u32)
            .unwrap_or(0)
    } else {
        0
    };
    let mut left = people - refused;
    let mut going = Vec::new();
    let nearest = ctx.shelters.by_walk(ctx.city, ctx.roads, ctx.cache, evac.walker, home);
    for (walk_s, s) in nearest {
        if left == 0 {
            break;
        }
        let n = left.min(ctx.shelters.free(s));
        ctx.shelters.reserved[s] += n;
        left -= n;
        going.push((s, n, walk_s));
    }
    let stay = refused + left;
    ctx.shelters.ordered += u64::from(people);
    ctx.shelters.refused += u64::from(refused);
    ctx.shelters.no_shelter += u64::from(left);
    let mut out = Vec::new();
    let mut id = first_id;
    if stay > 0 {
        out.push(AffectedGroup::at_home(GroupId(id), home, zone, stay, at));
        id += 1;
    }
    let depart = at.plus(evac.delay);
    for (s, n, walk_s) in going {
        let walk = walk_s.is_some_and(|t| t <= evac.walk_max.secs() as f64);
        let mut g = AffectedGroup::at_home(GroupId(id), home, zone, n, at);
        g.node = ctx.shelters.defs[s].node;
        g.shelter = Some(s);
        g.going = if walk { Going::Walk } else { Going::Bus };
        g.depart = depart;
        g.walk_s = walk_s.unwrap_or(0.0);
        g.waiting = n;
        g.present = 0;
        out.push(g);
        id += 1;
    }
    let ev = SimEvent::EvacuationOrdered {
        t: at,
        node: home,
        people,
        refused,
        no_shelter: left,
    };
    (out, ev)
}

/// Impacts (after `activate_impacts`): arrivals land, walkers leave, the water
/// strands people; shelter occupancy is counted.
#[allow(clippy::too_many_arguments)]
pub fn move_people(
    clock: Res<SimClock>,
    spec: Res<Spec>,
    water: Res<NodeWater>,
    roads: Res<RoadState>,
    mut cache: ResMut<RouteCache>,
    mut shelters: ResMut<Shelters>,
    index: Res<GroupIndex>,
    mut groups: Query<&mut AffectedGroup>,
    mut events: MessageWriter<SimEvent>,
) {
    let now = clock.now;
    let rescue = &spec.0.rescue;
    let shelters = &mut *shelters;
    shelters.occupied.iter_mut().for_each(|o| *o = 0);
    for &e in &index.0 {
        let Ok(mut g) = groups.get_mut(e) else { continue };
        // Arrivals.
        if g.moving.iter().any(|m| m.0 <= now) {
            let (arrived, still): (Vec<_>, Vec<_>) = g.moving.drain(..).partition(|m| m.0 <= now);
            g.moving = still;
            g.present += arrived.iter().map(|m| m.1).sum::<u32>();
        }
        let depth = water.at(g.home);
        // Walkers leave when the time comes, unless the water got there first.
        if g.going == Going::Walk && g.waiting > 0 && g.depart <= now && depth < rescue.wade_depth_m {
            let n = g.waiting;
            let arrive = g.depart.plus(SimDuration(g.walk_s.round() as i64));
            g.moving.push((arrive.max(now), n));
            g.waiting = 0;
        }
        // Cut off: evacuees still at home (but those a bus is already coming
        // for), and people who stayed once the water is too deep to live with.
        let mut cut = 0;
        if depth >= rescue.wade_depth_m && g.waiting > g.bus_en_route {
            cut += g.waiting - g.bus_en_route;
            g.waiting = g.bus_en_route;
        }
        if g.going == Going::Stay && g.node == g.home && g.present > 0 && depth >= rescue.stranded_depth_m {
            cut += g.present;
            g.present = 0;
            if let Some(evac) = spec.0.evacuation.as_ref()
                && let Some(s) = shelters.reserve_nearest(&spec.0.city, &roads, &mut cache, evac.walker, g.home, cut)
            {
                g.shelter = Some(s);
                g.node = shelters.defs[s].node;
            }
        }
        if cut > 0 {
            g.stranded += cut;
            if g.stranded_at.is_none() {
                g.stranded_at = Some(now);
            }
            events.write(SimEvent::Stranded {
                t: now,
                group: g.id.0,
                people: cut,
            });
        }
        debug_assert_eq!(
            g.accounted(),
            g.people,
            "invariant: everyone of {} is in one place",
            g.id
        );
        // A group with a shelter is always at it (`node` is set with `shelter`).
        if let Some(s) = g.shelter {
            shelters.occupied[s] += g.present;
        }
    }
    let mut total = 0;
    for (s, &o) in shelters.occupied.iter().enumerate() {
        shelters.peak[s] = shelters.peak[s].max(o);
        total += u64::from(o);
    }
    shelters.peak_total = shelters.peak_total.max(total);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn evac(shelters: Vec<ShelterDef>) -> EvacuationDef {
        EvacuationDef {
            on: Vec::new(),
            refuse_share: 0.0,
            delay: SimDuration(600),
            walker: Vehicle {
                speed_kmh: 4.0,
                wading_m: 0.5,
                protected: false,
            },
            walk_max: SimDuration(2_700),
            shelters,
        }
    }

    #[test]
    fn shelters_fill_nearest_first_and_never_beyond_capacity() {
        // A line of 5 nodes 1 km apart; shelters at nodes 1 (40 places) and 4 (100).
        let city = crate::testkit::line_city(5, 1_000.0);
        let shelter = |node, capacity| ShelterDef {
            place: 0,
            node,
            usable_m2: f64::from(capacity) * 2.5,
            capacity,
        };
        let e = evac(vec![shelter(4, 100), shelter(1, 40)]);
        let roads = RoadState::all_open(city.segments.len());
        let mut cache = RouteCache::default();
        let mut ledger = Shelters::new(Some(&e));
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut ctx = OrderCtx {
            city: &city,
            roads: &roads,
            cache: &mut cache,
            evac: &e,
            shelters: &mut ledger,
            rng: &mut rng,
        };
        let (groups, _) = order(&mut ctx, 0, 0, 170, SimTime(0), 0);
        // 30 find no place and stay; 40 walk 1 km to the nearer shelter; 100
        // go 4 km, beyond the 45 min walk, so by bus.
        let summary: Vec<(Going, Option<usize>, u32)> = groups.iter().map(|g| (g.going, g.shelter, g.people)).collect();
        assert_eq!(
            summary,
            vec![
                (Going::Stay, None, 30),
                (Going::Walk, Some(1), 40),
                (Going::Bus, Some(0), 100)
            ]
        );
        assert_eq!(ledger.reserved, vec![100, 40]);
        assert_eq!(ledger.no_shelter, 30);
        for g in &groups {
            assert_eq!(g.accounted(), g.people);
        }
        assert!((groups[1].walk_s - 900.0).abs() < 1.0, "1 km at 4 km/h");
    }
}
