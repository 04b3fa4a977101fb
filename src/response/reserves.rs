//! The "1+4" reserves: stock ledgers per depot and how each tier behaves.
//!
//! - government (central and town depots): stock available at once;
//! - enterprise production capacity: produces items per hour after a lead time;
//! - commercial agreement stock: available to trucks after activation;
//! - community reserve stations: hand out in their own zone, without trucks,
//!   from `local_delay` after a group is affected, at `people_per_h`;
//! - household reserves: handled when a group appears (see `people`).
//!
//! Ledger invariant (tested): for every depot,
//! `stock + issued = start + produced + received`, where `received` counts
//! stock added by injects and leftovers trucks bring back.

use bevy::prelude::*;

use crate::people::{AffectedGroup, GroupId, Relief, ReliefKind};
use crate::scenario::time::{SimDuration, SimTime};
use crate::scenario::{DepotDef, Stock, TierDef};
use crate::sim::journal::SimEvent;
use crate::sim::{DepotRequest, SimClock, Spec};

/// Counts of both items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Items2 {
    /// Initial kits.
    pub initial: u64,
    /// Basic sets.
    pub basic: u64,
}

impl Items2 {
    /// From a scenario stock.
    pub fn from_stock(s: Stock) -> Self {
        Items2 {
            initial: u64::from(s.initial),
            basic: u64::from(s.basic),
        }
    }
}

/// One depot's live state.
#[derive(Debug, Clone)]
pub struct DepotState {
    /// Static definition.
    pub def: DepotDef,
    /// On the shelf now.
    pub stock: Items2,
    /// Promised to trucks that have not loaded yet.
    pub reserved: Items2,
    /// Issued (loaded onto trucks or handed out locally).
    pub issued: Items2,
    /// Produced (enterprise tier).
    pub produced: Items2,
    /// Added by injects or brought back by trucks.
    pub received: Items2,
    /// Stock at the start.
    pub start: Items2,
    /// Issuing now.
    pub in_service: bool,
    /// Trucks loading now.
    pub bays_busy: u32,
    /// Fractional production / hand-out capacity carried between steps.
    pub carry: (f64, f64),
}

impl DepotState {
    /// Whether trucks can load here at `now` (community stations never).
    pub fn loads_trucks(&self, now: SimTime) -> bool {
        self.in_service
            && match self.def.tier {
                TierDef::Government | TierDef::Enterprise { .. } => true,
                TierDef::Commercial { from } => now >= from,
                TierDef::Community { .. } => false,
            }
    }

    /// Stock not promised to anyone.
    pub fn available(&self) -> Items2 {
        Items2 {
            initial: self.stock.initial - self.reserved.initial,
            basic: self.stock.basic - self.reserved.basic,
        }
    }
}

/// All depots, indexed like [`crate::scenario::RunSpec::depots`].
#[derive(Resource, Debug, Clone)]
pub struct Reserves {
    /// Depots.
    pub depots: Vec<DepotState>,
}

impl Reserves {
    /// Fresh ledgers from the scenario's depots.
    pub fn new(defs: &[DepotDef]) -> Self {
        Reserves {
            depots: defs
                .iter()
                .map(|d| DepotState {
                    def: d.clone(),
                    stock: Items2::from_stock(d.stock),
                    reserved: Items2::default(),
                    issued: Items2::default(),
                    produced: Items2::default(),
                    received: Items2::default(),
                    start: Items2::from_stock(d.stock),
                    in_service: true,
                    bays_busy: 0,
                    carry: (0.0, 0.0),
                })
                .collect(),
        }
    }
}

/// Needs: apply depot requests from injects (service state, added stock).
pub fn apply_depot_requests(
    clock: Res<SimClock>,
    mut requests: ResMut<Messages<DepotRequest>>,
    mut reserves: ResMut<Reserves>,
    mut events: MessageWriter<SimEvent>,
) {
    for r in requests.drain() {
        let d = &mut reserves.depots[r.depot];
        if let Some(s) = r.in_service {
            d.in_service = s;
        }
        let add = Items2::from_stock(r.add);
        d.stock.initial += add.initial;
        d.stock.basic += add.basic;
        d.received.initial += add.initial;
        d.received.basic += add.basic;
        events.write(SimEvent::DepotChanged {
            t: clock.now,
            depot: d.def.id.clone(),
            in_service: d.in_service,
            added_initial: r.add.initial,
            added_basic: r.add.basic,
        });
    }
}

/// Needs: enterprise production after the lead time.
pub fn produce(clock: Res<SimClock>, mut reserves: ResMut<Reserves>) {
    let step_h = clock.step.hours();
    for d in &mut reserves.depots {
        let TierDef::Enterprise {
            from,
            initial_per_h,
            basic_per_h,
        } = d.def.tier
        else {
            continue;
        };
        if clock.now < from || !d.in_service {
            continue;
        }
        d.carry.0 += initial_per_h * step_h;
        d.carry.1 += basic_per_h * step_h;
        let (ni, nb) = (d.carry.0.floor(), d.carry.1.floor());
        d.carry.0 -= ni;
        d.carry.1 -= nb;
        d.stock.initial += ni as u64;
        d.stock.basic += nb as u64;
        d.produced.initial += ni as u64;
        d.produced.basic += nb as u64;
    }
}

/// Needs: community stations hand out in their zone, earliest deadline first.
pub fn community_handout(
    clock: Res<SimClock>,
    spec: Res<Spec>,
    mut reserves: ResMut<Reserves>,
    mut groups: Query<(Entity, &AffectedGroup, &mut Relief)>,
    mut events: MessageWriter<SimEvent>,
) {
    let step_h = clock.step.hours();
    let t = &spec.0.targets;
    for d in &mut reserves.depots {
        let TierDef::Community {
            local_delay,
            people_per_h,
            zone,
        } = d.def.tier
        else {
            continue;
        };
        if !d.in_service || (d.stock.initial == 0 && d.stock.basic == 0) {
            d.carry.0 = 0.0;
            continue;
        }
        let mut eligible: Vec<(SimTime, GroupId, Entity)> = groups
            .iter()
            .filter(|(_, g, r)| {
                spec.0.city.node_zone[g.node as usize] == zone
                    && g.affected_at.plus(local_delay) <= clock.now
                    && (r.initial_done < g.present || r.basic_done < g.present)
            })
            .map(|(e, g, r)| {
                let deadline_h = if r.initial_done < g.present {
                    t.initial_relief_h
                } else {
                    t.basic_relief_h
                };
                (g.affected_at.plus(SimDuration::from_hours(deadline_h)), g.id, e)
            })
            .collect();
        if eligible.is_empty() {
            continue;
        }
        eligible.sort();
        d.carry.0 += people_per_h * step_h;
        for (_, gid, entity) in eligible {
            let Ok((_, g, mut r)) = groups.get_mut(entity) else {
                continue;
            };
            let mut handed = (0u32, 0u32);
            for kind in [ReliefKind::Initial, ReliefKind::Basic] {
                let (stock, done) = match kind {
                    ReliefKind::Initial => (d.stock.initial - d.reserved.initial, r.initial_done),
                    ReliefKind::Basic => (d.stock.basic - d.reserved.basic, r.basic_done),
                };
                let want = u64::from(g.present.saturating_sub(done))
                    .min(stock)
                    .min(d.carry.0.floor() as u64) as u32;
                let used = r.give(kind, g.present, want, clock.now);
                d.carry.0 -= f64::from(used);
                match kind {
                    ReliefKind::Initial => {
                        d.stock.initial -= u64::from(used);
                        d.issued.initial += u64::from(used);
                        handed.0 = used;
                    }
                    ReliefKind::Basic => {
                        d.stock.basic -= u64::from(used);
                        d.issued.basic += u64::from(used);
                        handed.1 = used;
                    }
                }
            }
            if handed != (0, 0) {
                events.write(SimEvent::Delivered {
                    t: clock.now,
                    truck: None,
                    depot: d.def.id.clone(),
                    group: gid.0,
                    initial: handed.0,
                    basic: handed.1,
                });
            }
            if d.carry.0 < 1.0 {
                break;
            }
        }
        // Staff time not used this step is not banked beyond one person.
        d.carry.0 = d.carry.0.min(1.0);
    }
}
