//! Automatic dispatch: which idle truck loads where and serves whom.
//!
//! A policy sees a [`DispatchView`] — open demands, depots with unpromised
//! stock, idle trucks and travel times — and returns [`Assignment`]s. Policies
//! are deterministic: ties break on ids.
//!
//! - [`EarliestDeadlineFirst`] (default): demands in order of their nearest
//!   unmet deadline (12 h for initial relief, then 24 h for basic relief); each
//!   is served by the (truck, depot) pair that would deliver soonest.
//! - [`NearestFirst`]: demands in order of how soon they could be reached,
//!   ignoring deadlines (a baseline for comparing doctrine).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::city::routing::{Tree, Vehicle};
use crate::people::GroupId;
use crate::scenario::time::SimTime;
use crate::scenario::{Handling, Items};

use super::reserves::Items2;
use super::trucks::{TruckId, fill, handling_s};

/// A group with open need.
#[derive(Debug, Clone)]
pub struct Demand {
    /// Group.
    pub group: GroupId,
    /// Its road node.
    pub node: u32,
    /// Items nobody is bringing yet.
    pub open: Items2,
    /// Nearest unmet deadline.
    pub deadline: SimTime,
}

/// A depot trucks can load at now.
#[derive(Debug, Clone)]
pub struct DepotOffer {
    /// Depot index.
    pub depot: usize,
    /// Road node.
    pub node: u32,
    /// Unpromised stock.
    pub available: Items2,
}

/// An idle truck.
#[derive(Debug, Clone)]
pub struct IdleTruck {
    /// Id.
    pub id: TruckId,
    /// Depot index where it is parked.
    pub at: usize,
    /// Payload, kg.
    pub capacity_kg: f64,
    /// Volume, m³.
    pub capacity_m3: f64,
    /// What it can drive.
    pub vehicle: Vehicle,
}

/// Shortest-path trees from every depot, per kind of vehicle.
#[derive(Debug, Default, Clone)]
pub struct TravelTimes {
    /// (depot index, vehicle key) → tree from the depot's node.
    pub from_depot: BTreeMap<(usize, (u64, u64, bool)), Arc<Tree>>,
}

impl TravelTimes {
    /// Seconds from depot `d` to node `n` for `vehicle`.
    pub fn from_depot(&self, d: usize, n: u32, vehicle: Vehicle) -> Option<f64> {
        self.from_depot.get(&(d, vehicle.key()))?.time_to(n)
    }
}

/// Everything a policy may look at.
pub struct DispatchView<'a> {
    /// Now.
    pub now: SimTime,
    /// Open demands, in group id order.
    pub demands: &'a [Demand],
    /// Depots that can load now, in depot order.
    pub depots: &'a [DepotOffer],
    /// Idle trucks, in id order.
    pub trucks: &'a [IdleTruck],
    /// Travel times.
    pub travel: &'a TravelTimes,
    /// Item sizes.
    pub items: &'a Items,
    /// Handling times.
    pub handling: &'a Handling,
}

/// A decision: `truck` loads `load` at `depot` and brings it to `group`.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Truck.
    pub truck: TruckId,
    /// Depot index.
    pub depot: usize,
    /// Group.
    pub group: GroupId,
    /// Group node.
    pub node: u32,
    /// Items.
    pub load: Items2,
    /// Estimated seconds from now to delivery.
    pub eta_s: f64,
}

/// A dispatch doctrine.
pub trait DispatchPolicy: Send + Sync + 'static {
    /// Short name for reports.
    fn name(&self) -> &'static str;
    /// Decide this step's assignments. Must not promise more than `available`
    /// stock, more than a demand's `open` items, or a truck twice.
    fn plan(&self, view: &DispatchView) -> Vec<Assignment>;
}

/// Serve demands (indices into `view.demands`) in the given order, each by
/// the soonest (truck, depot) pair; a demand takes as many trucks as it needs.
/// Both policies use it, and so do trucks sent by hand (a view with one truck
/// and one demand).
pub fn serve_in_order(view: &DispatchView, order: &[usize]) -> Vec<Assignment> {
    let mut avail: Vec<Items2> = view.depots.iter().map(|d| d.available).collect();
    let mut used = vec![false; view.trucks.len()];
    let mut out = Vec::new();
    let h = view.handling;
    for &di in order {
        let d = &view.demands[di];
        let mut open = d.open;
        while open.initial + open.basic > 0 {
            // Best (arrival, depot, truck) over depots with useful stock and idle trucks.
            let mut best: Option<(f64, usize, usize)> = None;
            for (j, dep) in view.depots.iter().enumerate() {
                let a = avail[j];
                if (open.initial == 0 || a.initial == 0) && (open.basic == 0 || a.basic == 0) {
                    continue;
                }
                // Trucks parked at one depot with the same vehicle are
                // interchangeable: try the first of each kind only.
                let mut seen: Vec<(usize, (u64, u64, bool))> = Vec::new();
                for (k, t) in view.trucks.iter().enumerate() {
                    if used[k] || seen.contains(&(t.at, t.vehicle.key())) {
                        continue;
                    }
                    seen.push((t.at, t.vehicle.key()));
                    let Some(to_group) = view.travel.from_depot(dep.depot, d.node, t.vehicle) else {
                        continue;
                    };
                    let to_depot = if t.at == dep.depot {
                        0.0
                    } else {
                        match view.travel.from_depot(t.at, dep.node, t.vehicle) {
                            Some(s) => s,
                            None => continue,
                        }
                    };
                    let load = fill(t.capacity_kg, t.capacity_m3, min2(open, a), view.items);
                    let eta = to_depot + handling_s(load, view.items, h.load_fixed_min, h.load_min_per_t) + to_group;
                    if best.is_none_or(|b| eta < b.0) {
                        best = Some((eta, j, k));
                    }
                }
            }
            let Some((eta, j, k)) = best else { break };
            let t = &view.trucks[k];
            let load = fill(t.capacity_kg, t.capacity_m3, min2(open, avail[j]), view.items);
            if load.initial + load.basic == 0 {
                break;
            }
            used[k] = true;
            avail[j].initial -= load.initial;
            avail[j].basic -= load.basic;
            open.initial -= load.initial;
            open.basic -= load.basic;
            out.push(Assignment {
                truck: t.id,
                depot: view.depots[j].depot,
                group: d.group,
                node: d.node,
                load,
                eta_s: eta,
            });
        }
        if used.iter().all(|u| *u) {
            break;
        }
    }
    out
}

/// Plan with depot priorities: each depot in `priority` (in depot order)
/// first serves, from its own stock, the demands whose zone (`zones[i]` for
/// `view.demands[i]`) it lists — in the policy's order among them; then the
/// policy plans everything left (other trucks, stock and demands) as usual.
pub fn plan_with_priorities(
    policy: &dyn DispatchPolicy,
    view: &DispatchView,
    zones: &[u16],
    priority: &BTreeMap<usize, Vec<u16>>,
) -> Vec<Assignment> {
    let mut demands = view.demands.to_vec();
    let mut depots = view.depots.to_vec();
    let mut trucks = view.trucks.to_vec();
    let mut out = Vec::new();
    for (&depot, listed) in priority {
        let Some(j) = depots.iter().position(|d| d.depot == depot) else {
            continue;
        };
        let first: Vec<Demand> = demands
            .iter()
            .zip(zones)
            .filter(|(d, z)| listed.contains(z) && d.open.initial + d.open.basic > 0)
            .map(|(d, _)| d.clone())
            .collect();
        if first.is_empty() || trucks.is_empty() {
            continue;
        }
        let plan = policy.plan(&DispatchView {
            demands: &first,
            depots: std::slice::from_ref(&depots[j]),
            trucks: &trucks,
            ..*view
        });
        for a in &plan {
            depots[j].available.initial -= a.load.initial;
            depots[j].available.basic -= a.load.basic;
            if let Some(d) = demands.iter_mut().find(|d| d.group == a.group) {
                d.open.initial -= a.load.initial;
                d.open.basic -= a.load.basic;
            }
            trucks.retain(|t| t.id != a.truck);
        }
        out.extend(plan);
    }
    demands.retain(|d| d.open.initial + d.open.basic > 0);
    depots.retain(|d| d.available.initial + d.available.basic > 0);
    if !(demands.is_empty() || depots.is_empty() || trucks.is_empty()) {
        out.extend(policy.plan(&DispatchView {
            demands: &demands,
            depots: &depots,
            trucks: &trucks,
            ..*view
        }));
    }
    out
}

fn min2(a: Items2, b: Items2) -> Items2 {
    Items2 {
        initial: a.initial.min(b.initial),
        basic: a.basic.min(b.basic),
    }
}

/// Earliest deadline first (the default).
#[derive(Debug, Default)]
pub struct EarliestDeadlineFirst;

impl DispatchPolicy for EarliestDeadlineFirst {
    fn name(&self) -> &'static str {
        "earliest-deadline-first"
    }

    fn plan(&self, view: &DispatchView) -> Vec<Assignment> {
        let mut order: Vec<usize> = (0..view.demands.len()).collect();
        order.sort_by_key(|&i| (view.demands[i].deadline, view.demands[i].group));
        serve_in_order(view, &order)
    }
}

/// Nearest first: the group any depot reaches soonest, regardless of deadline.
#[derive(Debug, Default)]
pub struct NearestFirst;

impl DispatchPolicy for NearestFirst {
    fn name(&self) -> &'static str {
        "nearest-first"
    }

    fn plan(&self, view: &DispatchView) -> Vec<Assignment> {
        let vehicles: Vec<Vehicle> = {
            let mut v: Vec<Vehicle> = view.trucks.iter().map(|t| t.vehicle).collect();
            v.sort_by_key(|x| x.key());
            v.dedup_by_key(|x| x.key());
            v
        };
        let reach = |d: &Demand| -> f64 {
            view.depots
                .iter()
                .flat_map(|dep| {
                    vehicles
                        .iter()
                        .filter_map(move |&v| view.travel.from_depot(dep.depot, d.node, v))
                })
                .fold(f64::INFINITY, f64::min)
        };
        let mut keyed: Vec<(f64, GroupId, usize)> = view
            .demands
            .iter()
            .enumerate()
            .map(|(i, d)| (reach(d), d.group, i))
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let order: Vec<usize> = keyed.into_iter().map(|k| k.2).collect();
        serve_in_order(view, &order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::city::routing::{RoadState, TreeDir, Vehicle, shortest_tree};
    use crate::testkit::line_city;

    fn view_fixture() -> (TravelTimes, Vec<DepotOffer>, Vec<IdleTruck>) {
        // Line of 11 nodes, 1 km apart; depots at node 0 and node 10.
        let city = line_city(11, 1000.0);
        let roads = RoadState::all_open(city.segments.len());
        let mut travel = TravelTimes::default();
        for (d, node) in [(0usize, 0u32), (1, 10)] {
            travel.from_depot.insert(
                (d, Vehicle::dry(60.0).key()),
                Arc::new(shortest_tree(
                    &city,
                    &roads,
                    node,
                    TreeDir::From,
                    Vehicle::dry(60.0),
                    None,
                )),
            );
        }
        let depots = vec![
            DepotOffer {
                depot: 0,
                node: 0,
                available: Items2 {
                    initial: 1000,
                    basic: 1000,
                },
            },
            DepotOffer {
                depot: 1,
                node: 10,
                available: Items2 {
                    initial: 1000,
                    basic: 1000,
                },
            },
        ];
        let trucks = vec![
            IdleTruck {
                id: TruckId(0),
                at: 0,
                capacity_kg: 5000.0,
                capacity_m3: 20.0,
                vehicle: Vehicle::dry(60.0),
            },
            IdleTruck {
                id: TruckId(1),
                at: 1,
                capacity_kg: 5000.0,
                capacity_m3: 20.0,
                vehicle: Vehicle::dry(60.0),
            },
        ];
        (travel, depots, trucks)
    }

    #[test]
    fn edf_serves_the_nearest_deadline_from_the_closest_depot() {
        let (travel, depots, trucks) = view_fixture();
        let demands = vec![
            Demand {
                group: GroupId(0),
                node: 2,
                open: Items2 { initial: 100, basic: 0 },
                deadline: SimTime(40_000),
            },
            Demand {
                group: GroupId(1),
                node: 9,
                open: Items2 { initial: 100, basic: 0 },
                deadline: SimTime(10_000),
            },
        ];
        let (items, handling) = (Items::default(), Handling::default());
        let view = DispatchView {
            now: SimTime(0),
            demands: &demands,
            depots: &depots,
            trucks: &trucks,
            travel: &travel,
            items: &items,
            handling: &handling,
        };
        let plan = EarliestDeadlineFirst.plan(&view);
        assert_eq!(plan.len(), 2);
        assert_eq!(
            (plan[0].group, plan[0].truck, plan[0].depot),
            (GroupId(1), TruckId(1), 1),
            "urgent group first, from the depot next to it"
        );
        assert_eq!(
            (plan[1].group, plan[1].truck, plan[1].depot),
            (GroupId(0), TruckId(0), 0)
        );
    }

    #[test]
    fn a_depot_with_priority_serves_its_zones_first() {
        let (travel, mut depots, trucks) = view_fixture();
        // Only the east depot (node 10) has stock, enough for one group.
        depots[0].available = Items2 { initial: 0, basic: 0 };
        depots[1].available = Items2 { initial: 100, basic: 0 };
        let demands = vec![
            Demand {
                group: GroupId(0),
                node: 2,
                open: Items2 { initial: 100, basic: 0 },
                deadline: SimTime(10_000),
            },
            Demand {
                group: GroupId(1),
                node: 9,
                open: Items2 { initial: 100, basic: 0 },
                deadline: SimTime(40_000),
            },
        ];
        let (items, handling) = (Items::default(), Handling::default());
        let view = DispatchView {
            now: SimTime(0),
            demands: &demands,
            depots: &depots,
            trucks: &trucks,
            travel: &travel,
            items: &items,
            handling: &handling,
        };
        // Without priority the earlier deadline (group 0, zone 3) gets the stock.
        let plain = EarliestDeadlineFirst.plan(&view);
        assert_eq!(plain.iter().map(|a| a.group).collect::<Vec<_>>(), vec![GroupId(0)]);
        // With depot 1 serving zone 7 first, group 1 gets it.
        let zones = [3u16, 7];
        let priority = BTreeMap::from([(1usize, vec![7u16])]);
        let plan = plan_with_priorities(&EarliestDeadlineFirst, &view, &zones, &priority);
        assert_eq!(plan.len(), 1);
        assert_eq!((plan[0].group, plan[0].depot), (GroupId(1), 1));
        // A priority for zones with no open demand changes nothing.
        let idle = BTreeMap::from([(1usize, vec![5u16])]);
        assert_eq!(
            plan_with_priorities(&EarliestDeadlineFirst, &view, &zones, &idle),
            plain
        );
    }

    #[test]
    fn never_promises_more_than_stock_or_need() {
        let (travel, mut depots, trucks) = view_fixture();
        depots[0].available = Items2 { initial: 30, basic: 0 };
        depots[1].available = Items2 { initial: 0, basic: 0 };
        let demands = vec![Demand {
            group: GroupId(0),
            node: 2,
            open: Items2 { initial: 100, basic: 5 },
            deadline: SimTime(1),
        }];
        let (items, handling) = (Items::default(), Handling::default());
        let view = DispatchView {
            now: SimTime(0),
            demands: &demands,
            depots: &depots,
            trucks: &trucks,
            travel: &travel,
            items: &items,
            handling: &handling,
        };
        for plan in [EarliestDeadlineFirst.plan(&view), NearestFirst.plan(&view)] {
            let total: u64 = plan.iter().map(|a| a.load.initial).sum();
            assert_eq!(total, 30);
            assert!(plan.iter().all(|a| a.load.basic == 0));
        }
    }
}
