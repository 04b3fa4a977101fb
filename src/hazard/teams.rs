//! Teams that act on hazards, as agents: fire-rescue teams suppress fires,
//! hazmat teams stop chemical releases at the source.
//!
//! Each team has a base (a place on the map) and a state machine
//!
//! ```text
//! Idle ──call──▶ EnRoute (mobilising, then driving) ──▶ Working ──task done──▶ Returning ──▶ Idle
//!                                                        │
//!                                                        ├── another fire still burns ──▶ EnRoute
//!                                                        └── shift over ──▶ Returning ──▶ Resting ──▶ Idle
//! ```
//!
//! A shift (default 12 h) counts from the first call at the base until the
//! team is back on standby at its base; when it is over first the team leaves
//! its task (another idle team takes over), drives home and rests (default 8 h).
//!
//! Dispatch (every hazard step, in [`SimSystems::Dispatch`] after the
//! life-safety tasks of [`crate::response::units`] have taken the teams they
//! need; deterministic): every idle fire-rescue team
//! goes to the burning fire it reaches first; each release still leaking gets
//! the idle hazmat team that reaches it first, if none is on it already. The
//! drive is the fastest road route at the moment of the call (hazmat crews are
//! protected and may enter roads a plume or fire has closed); it is not
//! re-planned on the way — a simplification next to the trucks, which re-plan.
//!
//! At a fire a team works from a burning cell near where it arrived and moves
//! along the front to the nearest burning cell not taken by another team
//! whenever nothing burns within its reach ([`fire::plan_suppression`] does
//! the work). At a release the team stops the leak after its work time.
//!
//! [`fire::plan_suppression`]: super::fire::plan_suppression
//! [`SimSystems::Dispatch`]: crate::sim::SimSystems::Dispatch

use petgraph::graph::EdgeIndex;

use super::fire::SuppressionTeam;
use crate::city::CityMap;
use crate::city::routing::{RoadState, RouteCache, TreeDir};
use crate::scenario::time::{SimDuration, SimTime};
use crate::scenario::{TeamDef, TeamKind};

/// How far a fire team works from where it stands, cells (hose lines of about
/// 100–200 m; planning assumption).
pub const FIRE_TEAM_REACH_CELLS: usize = 1;

/// What a team is doing a task for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Task {
    /// Fire, by index into the running fires.
    Fire(usize),
    /// Release, by index into the running releases.
    Release(usize),
}

/// A team's state.
#[derive(Debug, Clone, PartialEq)]
pub enum TeamState {
    /// Waiting at a road node.
    Idle {
        /// Where.
        node: u32,
    },
    /// Called: mobilising until `depart`, then driving until `arrive`.
    EnRoute {
        /// Task.
        task: Task,
        /// Leaves its node.
        depart: SimTime,
        /// Arrives.
        arrive: SimTime,
        /// Destination node.
        to: u32,
        /// Road edges driven, in order (for maps and replays).
        route: Vec<EdgeIndex>,
    },
    /// At work.
    Working {
        /// Task.
        task: Task,
        /// Since.
        since: SimTime,
        /// Road node it works from.
        node: u32,
    },
    /// Driving home.
    Returning {
        /// Arrives at the base.
        arrive: SimTime,
    },
    /// Resting at the base after a shift.
    Resting {
        /// Back on duty.
        until: SimTime,
    },
    /// Away on a life-safety task for the response (a fire-rescue team
    /// freeing people from rubble, see [`crate::response::units`]); idle again
    /// where that task ends.
    Away,
}

/// One team in a run.
#[derive(Debug, Clone)]
pub struct TeamRun {
    /// Definition.
    pub def: TeamDef,
    /// State now.
    pub state: TeamState,
    /// Where a fire team works on the fire grid, with its suppression credit.
    pub suppression: Option<SuppressionTeam>,
    /// Seconds spent working on hazards.
    pub worked_s: i64,
    /// Tasks started.
    pub tasks: u32,
    /// Start of the current shift (its first call).
    pub shift_start: Option<SimTime>,
    /// Rests taken.
    pub rests: u32,
}

impl TeamRun {
    /// A team idle at its base.
    pub fn new(def: TeamDef) -> Self {
        TeamRun {
            state: TeamState::Idle { node: def.base },
            def,
            suppression: None,
            worked_s: 0,
            tasks: 0,
            shift_start: None,
            rests: 0,
        }
    }

    /// Whether its shift is over at `now`.
    pub fn shift_over(&self, now: SimTime) -> bool {
        self.shift_start.is_some_and(|s| now >= s.plus(self.def.shift))
    }

    /// The task it is on, if any.
    pub fn task(&self) -> Option<Task> {
        match self.state {
            TeamState::EnRoute { task, .. } | TeamState::Working { task, .. } => Some(task),
            _ => None,
        }
    }
}

/// A call: send the team to `to` for `task`, if a road leads there.
/// Returns the arrival time.
pub fn call(
    team: &mut TeamRun,
    task: Task,
    to: u32,
    now: SimTime,
    city: &CityMap,
    roads: &RoadState,
    cache: &mut RouteCache,
) -> Option<SimTime> {
    let from = match team.state {
        TeamState::Idle { node } | TeamState::Working { node, .. } => node,
        _ => return None,
    };
    let tree = cache.tree(city, roads, to, TreeDir::To, team.def.vehicle);
    let drive = tree.time_to(from)?;
    let route = tree.path(city, from).unwrap_or_default();
    // A team already out (moving between fires) needs no new turn-out.
    let mobilise = if matches!(team.state, TeamState::Idle { node } if node == team.def.base) {
        team.def.mobilise
    } else {
        SimDuration(0)
    };
    let depart = now.plus(mobilise);
    let arrive = depart.plus(SimDuration(drive.ceil() as i64));
    team.shift_start.get_or_insert(now);
    team.state = TeamState::EnRoute {
        task,
        depart,
        arrive,
        to,
        route,
    };
    team.tasks += 1;
    Some(arrive)
}

/// Send a team home from where it is (or leave it idle there if no road leads home).
pub fn send_home(team: &mut TeamRun, now: SimTime, city: &CityMap, roads: &RoadState, cache: &mut RouteCache) {
    let node = match team.state {
        TeamState::Idle { node } | TeamState::Working { node, .. } => node,
        _ => return,
    };
    team.suppression = None;
    if node == team.def.base {
        team.state = TeamState::Idle { node };
        return;
    }
    let tree = cache.tree(city, roads, team.def.base, TreeDir::To, team.def.vehicle);
    team.state = match tree.time_to(node) {
        Some(t) => TeamState::Returning {
            arrive: now.plus(SimDuration(t.ceil() as i64)),
        },
        None => TeamState::Idle { node },
    };
}

/// The burning cell a fire team should work from: where it stands if fire is
/// within its reach, else the nearest burning cell (squared distance, then
/// grid order). Teams that arrive together therefore work together.
pub fn front_cell(at: (usize, usize), reach: usize, burning: &[(usize, usize)]) -> Option<(usize, usize)> {
    if burning
        .iter()
        .any(|c| c.0.abs_diff(at.0) <= reach && c.1.abs_diff(at.1) <= reach)
    {
        return Some(at);
    }
    let d2 = |c: &(usize, usize)| {
        let (di, dj) = (c.0.abs_diff(at.0), c.1.abs_diff(at.1));
        di * di + dj * dj
    };
    burning.iter().min_by_key(|c| (d2(c), c.1, c.0)).copied()
}

/// Whether a team of `kind` can take a `task`.
pub fn suits(kind: TeamKind, task: Task) -> bool {
    matches!(
        (kind, task),
        (TeamKind::FireRescue, Task::Fire(_)) | (TeamKind::Hazmat, Task::Release(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::city::routing::Vehicle;
    use crate::testkit::line_city;

    fn team(kind: TeamKind) -> TeamRun {
        TeamRun::new(TeamDef {
            id: "t".into(),
            kind,
            base_place: 0,
            base: 0,
            mobilise: SimDuration(120),
            vehicle: Vehicle::dry(36.0),
            rate_m2_per_h: None,
            work: SimDuration(1800),
            seats: 0,
            water_kmh: 10.0,
            shift: SimDuration(12 * 3600),
            rest: SimDuration(8 * 3600),
            skills: Vec::new(),
            available: SimTime::ZERO,
        })
    }

    #[test]
    fn a_call_adds_turn_out_and_drive_and_the_team_comes_home() {
        let city = line_city(3, 1000.0);
        let roads = RoadState::all_open(city.segments.len());
        let mut cache = RouteCache::default();
        let mut t = team(TeamKind::FireRescue);
        let arrive = call(&mut t, Task::Fire(0), 2, SimTime(60), &city, &roads, &mut cache).unwrap();
        assert_eq!(arrive, SimTime(60 + 120 + 200), "2 min turn-out + 2 km at 36 km/h");
        assert_eq!(t.task(), Some(Task::Fire(0)));
        t.state = TeamState::Working {
            task: Task::Fire(0),
            since: arrive,
            node: 2,
        };
        send_home(&mut t, SimTime(1000), &city, &roads, &mut cache);
        assert_eq!(t.state, TeamState::Returning { arrive: SimTime(1200) });
    }

    #[test]
    fn no_road_no_call() {
        let city = line_city(3, 1000.0);
        let mut roads = RoadState::all_open(city.segments.len());
        roads.set_hazard_closed(1, true);
        let mut cache = RouteCache::default();
        let mut fire = team(TeamKind::FireRescue);
        assert!(call(&mut fire, Task::Fire(0), 2, SimTime(0), &city, &roads, &mut cache).is_none());
        assert_eq!(fire.state, TeamState::Idle { node: 0 });
        let mut hazmat = team(TeamKind::Hazmat);
        hazmat.def.vehicle.protected = true;
        assert!(
            call(&mut hazmat, Task::Release(0), 2, SimTime(0), &city, &roads, &mut cache).is_some(),
            "protected crews drive through"
        );
    }

    #[test]
    fn teams_move_to_the_nearest_fire() {
        let burning = [(5, 5), (6, 5), (9, 9)];
        assert_eq!(front_cell((5, 4), 1, &burning), Some((5, 4)), "fire in reach: stay");
        assert_eq!(front_cell((0, 0), 1, &burning), Some((5, 5)));
        assert_eq!(front_cell((12, 12), 1, &burning), Some((9, 9)));
        assert_eq!(front_cell((0, 0), 1, &[]), None);
    }
}
