//! Stage 5: scoring. Owns the relief clock — for every affected person, when
//! initial and basic relief arrived, against the targets — the hourly
//! timeline, and the statistics the report prints (share within target,
//! time-to-relief percentiles over people, unmet need).
//!
//! Systems: `record_timeline` in [`SimSystems::Score`] adds a row at each full
//! simulated hour; [`finish`] adds the last row at the end of the run.

use bevy::prelude::*;
use serde::Serialize;

use crate::people::{AffectedGroup, Relief};
use crate::response::trucks::TruckState;
use crate::scenario::time::SimTime;
use crate::sim::{SimClock, SimSystems, SimTick};

/// One row of `timeline.csv`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TimelineRow {
    /// Hours since start.
    pub hour: f64,
    /// People affected so far.
    pub affected: u64,
    /// People with initial relief.
    pub served_initial: u64,
    /// People with basic relief.
    pub served_basic: u64,
    /// Trucks on a job.
    pub trucks_busy: u32,
}

/// The hourly timeline.
#[derive(Resource, Debug, Default)]
pub struct Timeline(pub Vec<TimelineRow>);

/// Timeline recording.
pub struct ScorePlugin;

impl Plugin for ScorePlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Timeline>()
            .add_systems(SimTick, record_timeline.in_set(SimSystems::Score));
    }
}

fn row(at: SimTime, groups: &Query<(&AffectedGroup, &Relief)>, trucks: &Query<&TruckState>) -> TimelineRow {
    let mut r = TimelineRow {
        hour: at.hours(),
        affected: 0,
        served_initial: 0,
        served_basic: 0,
        trucks_busy: 0,
    };
    for (g, rel) in groups.iter() {
        // The living: people who died waiting for a boat leave the count,
        // with any relief they had been given.
        let alive = g.for_relief();
        r.affected += u64::from(alive);
        r.served_initial += u64::from(rel.initial_done.min(alive));
        r.served_basic += u64::from(rel.basic_done.min(alive));
    }
    r.trucks_busy = trucks.iter().filter(|t| t.busy()).count() as u32;
    r
}

/// Score: a row at every full hour (state at the end of the step).
fn record_timeline(
    clock: Res<SimClock>,
    groups: Query<(&AffectedGroup, &Relief)>,
    trucks: Query<&TruckState>,
    mut timeline: ResMut<Timeline>,
) {
    let end = clock.step_end();
    if end.secs() % 3600 == 0 || (end >= clock.end && timeline.0.last().is_none_or(|r| r.hour < end.hours())) {
        timeline.0.push(row(end.min(clock.end), &groups, &trucks));
    }
}

/// End of run: make sure the timeline ends at the end of the run.
pub fn finish(world: &mut World) {
    let end = world.resource::<SimClock>().end;
    let last = world.resource::<Timeline>().0.last().map(|r| r.hour);
    if last.is_none_or(|h| h < end.hours()) {
        let mut state: bevy::ecs::system::SystemState<(Query<(&AffectedGroup, &Relief)>, Query<&TruckState>)> =
            bevy::ecs::system::SystemState::new(world);
        let Ok((groups, trucks)) = state.get(world) else { return };
        let r = row(end, &groups, &trucks);
        world.resource_mut::<Timeline>().0.push(r);
    }
}

/// Time-to-relief statistics over people.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hours {
    /// Median, h (null if more than half were never served).
    pub p50: Option<f64>,
    /// 90th percentile, h (null if more than 10 % were never served).
    pub p90: Option<f64>,
    /// Maximum, h (null if anyone was never served).
    pub max: Option<f64>,
}

/// Relief statistics of one kind for a set of people.
#[derive(Debug, Clone, PartialEq)]
pub struct ReliefStats {
    /// People affected.
    pub people: u64,
    /// People served at all.
    pub served: u64,
    /// Share served within the target (1.0 when nobody was affected).
    pub within_target: f64,
    /// Percentiles.
    pub hours: Hours,
}

/// Statistics from (hours to relief, people) samples, `people` in total, target `target_h`.
///
/// Percentiles are nearest-rank over people: p-th percentile = the smallest time
/// t such that at least ⌈p·N⌉ people were served by t. Unserved people count as
/// never served, so a percentile that falls among them is `None`.
pub fn relief_stats(samples: &mut [(f64, u32)], people: u64, target_h: f64) -> ReliefStats {
    samples.sort_by(|a, b| a.0.total_cmp(&b.0));
    let served: u64 = samples.iter().map(|s| u64::from(s.1)).sum();
    let within: u64 = samples
        .iter()
        .filter(|s| s.0 <= target_h + 1e-9)
        .map(|s| u64::from(s.1))
        .sum();
    let pct = |p: f64| -> Option<f64> {
        if people == 0 {
            return None;
        }
        let rank = ((p * people as f64).ceil() as u64).max(1);
        let mut acc = 0;
        for (h, n) in samples.iter() {
            acc += u64::from(*n);
            if acc >= rank {
                return Some(round3(*h));
            }
        }
        None
    };
    ReliefStats {
        people,
        served,
        within_target: if people == 0 {
            1.0
        } else {
            within as f64 / people as f64
        },
        hours: Hours {
            p50: pct(0.5),
            p90: pct(0.9),
            max: if served == people { pct(1.0) } else { None },
        },
    }
}

/// Round to 3 decimals (reports stay readable and byte-stable).
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank_over_people() {
        // 10 people: 5 at 2 h, 4 at 10 h, 1 never.
        let mut s = vec![(10.0, 4), (2.0, 5)];
        let st = relief_stats(&mut s, 10, 12.0);
        assert_eq!(st.served, 9);
        assert!((st.within_target - 0.9).abs() < 1e-12);
        assert_eq!(st.hours.p50, Some(2.0));
        assert_eq!(st.hours.p90, Some(10.0));
        assert_eq!(st.hours.max, None, "someone was never served");
    }

    #[test]
    fn nobody_affected_is_vacuously_met() {
        let st = relief_stats(&mut [], 0, 12.0);
        assert_eq!(st.within_target, 1.0);
        assert_eq!(
            st.hours,
            Hours {
                p50: None,
                p90: None,
                max: None
            }
        );
    }

    #[test]
    fn target_boundary_counts_as_within() {
        let st = relief_stats(&mut [(12.0, 1), (12.001, 1)], 2, 12.0);
        assert!((st.within_target - 0.5).abs() < 1e-12);
        assert_eq!(st.hours.max, Some(12.001));
    }
}
