//! Stage 4: people. Owns affected groups — people at one road node affected
//! at one time — and their relief ledger: who got initial relief and basic
//! relief, when, and from which tier.
//!
//! Systems: `activate_impacts` in [`SimSystems::Impacts`] spawns a group for
//! every due impact; household reserves cover a binomially drawn share of its
//! people at once (stream `"households"`).

use std::fmt;

use bevy::prelude::*;
use rand_distr::{Binomial, Distribution};

use crate::scenario::time::SimTime;
use crate::sim::journal::SimEvent;
use crate::sim::rng::RngStreams;
use crate::sim::{City, PendingImpacts, SimClock, SimSystems, SimTick, Spec};

/// Stable id of an affected group; prints as "Group #12".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupId(pub u32);

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Group #{}", self.0)
    }
}

/// People at one road node affected at one time.
#[derive(Component, Debug, Clone)]
pub struct AffectedGroup {
    /// Id.
    pub id: GroupId,
    /// Road node where they are.
    pub node: u32,
    /// Zone index.
    pub zone: u16,
    /// Number of people.
    pub people: u32,
    /// When they were affected.
    pub affected_at: SimTime,
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

    /// Hand out up to `n` items of `kind` at `t`; returns how many were used.
    pub fn give(&mut self, kind: ReliefKind, people: u32, n: u32, t: SimTime) -> u32 {
        let (done, log) = match kind {
            ReliefKind::Initial => (&mut self.initial_done, &mut self.initial),
            ReliefKind::Basic => (&mut self.basic_done, &mut self.basic),
        };
        let used = n.min(people - *done);
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

/// Affected groups and household reserves.
///
/// Systems: `activate_impacts` in [`SimSystems::Impacts`].
pub struct PeoplePlugin;

impl Plugin for PeoplePlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<GroupIndex>()
            .add_systems(SimTick, activate_impacts.in_set(SimSystems::Impacts));
    }
}

/// Impacts: spawn a group for every impact due by now.
pub fn activate_impacts(
    mut commands: Commands,
    clock: Res<SimClock>,
    spec: Res<Spec>,
    city: Res<City>,
    mut pending: ResMut<PendingImpacts>,
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
        for (node, people) in imp.groups {
            let id = GroupId(index.0.len() as u32);
            let zone = city.0.node_zone[node as usize];
            let household = if share > 0.0 {
                Binomial::new(u64::from(people), share)
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
            let group = AffectedGroup {
                id,
                node,
                zone,
                people,
                affected_at: imp.at,
            };
            let e = commands.spawn((group, relief)).id();
            index.0.push(e);
            events.write(SimEvent::Affected {
                t: imp.at,
                group: id.0,
                node,
                zone: city.0.zones[usize::from(zone)].name_zh.clone(),
                people,
                household_covered: household,
            });
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
