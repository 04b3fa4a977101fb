//! The simulation wiring: the [`SimTick`] schedule, the [`SimSystems`] chain,
//! the clock, injects, random streams, and the headless runner.
//!
//! One call of the `SimTick` schedule advances the world by one step. Every
//! simulation system lives in exactly one [`SimSystems`] set and the sets run in
//! one chain, single-threaded:
//!
//! ```text
//! Clock ▶ Injects ▶ Hazards ▶ Impacts ▶ Needs ▶ Dispatch ▶ Movement ▶ Service ▶ Score ▶ Journal
//! ```
//!
//! The headless runner ([`run`]) calls the schedule in a plain loop; a GUI calls
//! it N times per frame. Simulation code reads [`SimClock`], never wall time.

pub mod journal;
pub mod rng;

use std::sync::Arc;

use bevy::ecs::schedule::{LogLevel, ScheduleBuildSettings, ScheduleLabel, SingleThreadedExecutor};
use bevy::prelude::*;

use crate::city::CityMap;
use crate::city::routing::{RoadState, RouteCache};
use crate::scenario::time::{SimDuration, SimTime};
use crate::scenario::{ActionDef, ImpactDef, InjectDef, RunSpec};
use journal::{Journal, JournalPlugin, SimEvent};

/// The schedule that advances the simulation by one step.
#[derive(ScheduleLabel, Debug, Clone, PartialEq, Eq, Hash)]
pub struct SimTick;

/// The stages of one tick, run in this order.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub enum SimSystems {
    /// Advance the simulated clock.
    Clock,
    /// Apply scripted (and, in a drill, facilitator) injects that are due.
    Injects,
    /// Advance hazard models (flood, fire, plume) — filled by the hazards stage.
    Hazards,
    /// Turn impacts into affected groups and road states.
    Impacts,
    /// Household cover, production, activation, community hand-outs.
    Needs,
    /// Assign idle trucks to groups.
    Dispatch,
    /// Advance trucks along their timelines (drive, queue, load, unload).
    Movement,
    /// Apply deliveries to groups and return leftovers to stock.
    Service,
    /// Record the hourly timeline.
    Score,
    /// Append this tick's events to the journal.
    Journal,
}

/// Simulated time.
#[derive(Resource, Debug, Clone)]
pub struct SimClock {
    /// Start of the current step.
    pub now: SimTime,
    /// Step length.
    pub step: SimDuration,
    /// End of the run.
    pub end: SimTime,
    /// Steps started so far.
    pub tick: u64,
}

impl SimClock {
    /// End of the current step.
    pub fn step_end(&self) -> SimTime {
        self.now.plus(self.step)
    }
}

/// The checked scenario, shared read-only by all systems.
#[derive(Resource, Clone)]
pub struct Spec(pub Arc<RunSpec>);

/// The map, shared read-only.
#[derive(Resource, Clone)]
pub struct City(pub Arc<CityMap>);

/// Impacts waiting for their time (scripted ones, plus those injects add).
#[derive(Resource, Debug, Default)]
pub struct PendingImpacts(pub Vec<ImpactDef>);

/// Injects not yet delivered, in time order.
#[derive(Resource, Debug, Default)]
pub struct PendingInjects {
    /// Remaining injects, earliest first.
    pub queue: std::collections::VecDeque<InjectDef>,
}

/// Teams taken out of service by injects (by [`crate::scenario::TeamDef::id`]):
/// dispatch gives them no new task.
#[derive(Resource, Debug, Default)]
pub struct TeamsOutOfService(pub std::collections::BTreeSet<String>);

impl TeamsOutOfService {
    /// Whether a team may be given a task.
    pub fn in_service(&self, id: &str) -> bool {
        !self.0.contains(id)
    }
}

/// Depot service changes requested by injects, applied by the response stage.
#[derive(Message, Debug, Clone)]
pub struct DepotRequest {
    /// Depot index.
    pub depot: usize,
    /// New service state, if it changes.
    pub in_service: Option<bool>,
    /// Stock to add.
    pub add: crate::scenario::Stock,
}

/// Players' orders from a drill ([`crate::drill`]): the standing ones (zones
/// ordered out, zones under manual control, depot priorities) and those
/// waiting for the next tick (an evacuation to order now, trucks to send).
///
/// A drill writes it between two ticks; systems of the next tick read it in
/// their own set: `evacuate_zones` (Impacts) takes `evacuate_now`,
/// `assign_by_hand` (Dispatch) takes `assign`, `dispatch_trucks` reads
/// `manual` and `depot_priority`, and `activate_impacts` reads `evacuate`.
/// Without orders it is empty and changes nothing.
#[derive(Resource, Debug, Default, Clone)]
pub struct PlayerOrders {
    /// Zones ordered out: people an impact affects there are evacuated.
    pub evacuate: std::collections::BTreeSet<u16>,
    /// Zones ordered out at this tick: people who stay at home there now are ordered out.
    pub evacuate_now: Vec<u16>,
    /// Zones the automatic dispatch leaves alone (served only by trucks sent by hand).
    pub manual: std::collections::BTreeSet<u16>,
    /// Trucks sent by hand at this tick: (truck number, group number).
    pub assign: Vec<(u32, u32)>,
    /// Depot index → zones whose groups it serves first.
    pub depot_priority: std::collections::BTreeMap<usize, Vec<u16>>,
}

/// Clock, injects and the chain of sets.
pub struct SimPlugin;

impl Plugin for SimPlugin {
    fn build(&self, app: &mut App) {
        let mut schedule = tick_schedule();
        schedule.configure_sets(
            (
                SimSystems::Clock,
                SimSystems::Injects,
                SimSystems::Hazards,
                SimSystems::Impacts,
                SimSystems::Needs,
                SimSystems::Dispatch,
                SimSystems::Movement,
                SimSystems::Service,
                SimSystems::Score,
                SimSystems::Journal,
            )
                .chain(),
        );
        app.add_schedule(schedule)
            .add_message::<DepotRequest>()
            .init_resource::<PendingImpacts>()
            .init_resource::<PendingInjects>()
            .init_resource::<TeamsOutOfService>()
            .init_resource::<PlayerOrders>()
            .add_systems(SimTick, advance_clock.in_set(SimSystems::Clock))
            .add_systems(SimTick, apply_injects.in_set(SimSystems::Injects));
    }
}

/// An empty tick schedule: single-threaded, with Bevy's ambiguity detection
/// at `Error`, so unordered conflicting systems fail the build of the schedule.
pub fn tick_schedule() -> Schedule {
    let mut schedule = Schedule::new(SimTick);
    schedule.set_executor(SingleThreadedExecutor::new());
    schedule.set_build_settings(ScheduleBuildSettings {
        ambiguity_detection: LogLevel::Error,
        ..default()
    });
    schedule
}

/// Clock: `now` = start of this step.
fn advance_clock(mut clock: ResMut<SimClock>) {
    clock.now = SimTime(clock.tick as i64 * clock.step.secs());
    clock.tick += 1;
}

/// Injects: deliver every inject due by the end of this step.
fn apply_injects(
    clock: Res<SimClock>,
    mut pending: ResMut<PendingInjects>,
    mut impacts: ResMut<PendingImpacts>,
    mut roads: ResMut<RoadState>,
    mut depot_requests: MessageWriter<DepotRequest>,
    mut weather: ResMut<crate::hazard::sim::CurrentWeather>,
    mut hazards: MessageWriter<crate::hazard::sim::HazardInject>,
    mut out_of_service: ResMut<TeamsOutOfService>,
    mut events: MessageWriter<SimEvent>,
) {
    while pending.queue.front().is_some_and(|i| i.at <= clock.now) {
        let Some(inj) = pending.queue.pop_front() else { break };
        events.write(SimEvent::Inject {
            t: inj.at,
            id: inj.id.clone(),
            text: inj.text.clone(),
        });
        match inj.action {
            ActionDef::Note => {}
            ActionDef::SetRoads { segments, state } => {
                let changed = segments.iter().filter(|&&s| roads.set(s, state)).count();
                events.write(SimEvent::RoadsChanged {
                    t: inj.at,
                    state: format!("{state:?}"),
                    segments: segments.len(),
                    changed,
                });
            }
            ActionDef::DamageRoads(segments) => {
                let changed = segments.iter().filter(|&&s| roads.set_damaged(s, true)).count();
                events.write(SimEvent::RoadsChanged {
                    t: inj.at,
                    state: "Damaged".into(),
                    segments: segments.len(),
                    changed,
                });
            }
            ActionDef::Impact(mut imp) => {
                imp.at = inj.at;
                impacts.0.push(imp);
            }
            ActionDef::DepotService { depot, in_service } => {
                depot_requests.write(DepotRequest {
                    depot,
                    in_service: Some(in_service),
                    add: Default::default(),
                });
            }
            ActionDef::TeamService { teams, in_service } => {
                for id in teams {
                    let changed = if in_service {
                        out_of_service.0.remove(&id)
                    } else {
                        out_of_service.0.insert(id.clone())
                    };
                    if changed {
                        events.write(SimEvent::TeamService {
                            t: inj.at,
                            team: id,
                            in_service,
                        });
                    }
                }
            }
            ActionDef::AddStock { depot, stock } => {
                depot_requests.write(DepotRequest {
                    depot,
                    in_service: None,
                    add: stock,
                });
            }
            ActionDef::Wind(speed_m_s, from_deg) => {
                weather.wind_m_s = speed_m_s;
                weather.wind_from_deg = from_deg;
                events.write(SimEvent::WindChanged {
                    t: inj.at,
                    speed_m_s,
                    from_deg,
                });
            }
            action @ (ActionDef::Hazard(_) | ActionDef::Rain { .. } | ActionDef::SpotFire { .. }) => {
                hazards.write(crate::hazard::sim::HazardInject(action));
            }
        }
    }
}

/// Build the simulation app for a checked scenario (no renderer, no window).
pub fn build_app(spec: Arc<RunSpec>) -> App {
    let mut app = App::empty();
    app.insert_resource(SimClock {
        now: SimTime::ZERO,
        step: spec.step,
        end: spec.end,
        tick: 0,
    })
    .insert_resource(City(spec.city.clone()))
    .insert_resource({
        let mut roads = RoadState::all_open(spec.city.segments.len());
        for f in &spec.fleet {
            roads.add_depth_threshold(f.vehicle.wading_m);
        }
        roads
    })
    .insert_resource(RouteCache::default())
    .insert_resource(rng::RngStreams::new(spec.seed))
    .insert_resource(PendingImpacts(spec.impacts.clone()))
    .insert_resource(PendingInjects {
        queue: spec.injects.iter().cloned().collect(),
    })
    .insert_resource(Spec(spec));
    app.add_plugins((
        SimPlugin,
        crate::hazard::sim::HazardPlugin,
        crate::people::PeoplePlugin,
        crate::response::ResponsePlugin,
        crate::score::ScorePlugin,
        JournalPlugin,
    ));
    app
}

/// Everything a finished run leaves behind, for the report.
pub struct RunOutcome {
    /// The world at the end of the run.
    pub app: App,
}

impl RunOutcome {
    /// The journal.
    pub fn journal(&self) -> &Journal {
        self.app.world().resource::<Journal>()
    }
}

/// Run a scenario headless from start to end.
pub fn run(spec: Arc<RunSpec>) -> RunOutcome {
    let mut app = build_app(spec);
    // Nothing but the scenario drives this run, so the flood may run ahead
    // of it on a thread of its own (same bits; `hazard::ahead`).
    app.world_mut()
        .resource_mut::<crate::hazard::sim::HazardWorld>()
        .run_ahead = true;
    let steps = {
        let c = app.world().resource::<SimClock>();
        (c.end.secs() + c.step.secs() - 1) / c.step.secs()
    };
    for _ in 0..steps {
        app.world_mut().run_schedule(SimTick);
    }
    crate::score::finish(app.world_mut());
    RunOutcome { app }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bevy's ambiguity detection is at `Error` on the tick schedule: building it
    /// fails if two systems with conflicting access are left unordered.
    #[test]
    fn the_tick_schedule_has_no_ambiguities() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("line.ron"), crate::testkit::line_city_ron(3, 100.0)).unwrap();
        let scenario = r#"Scenario(name: "t", map: "line.ron", start: "2026-07-20 06:00", duration: "1h", seed: 1,
            depots: [(id: "d", place: "Depot", tier: Government)], fleet: [(depot: "d", trucks: 1, capacity_kg: 1000, capacity_m3: 5)])"#;
        let path = dir.path().join("s.ron");
        std::fs::write(&path, scenario).unwrap();
        let spec = Arc::new(crate::scenario::load(&path, None).unwrap());
        let mut app = build_app(spec);
        let world = app.world_mut();
        let result = world.schedule_scope(SimTick, |world, schedule| {
            schedule
                .initialize(world)
                .err()
                .map(|e| e.to_string(schedule.graph(), world))
        });
        assert_eq!(result, None);
    }

    /// The detector is really on: two unordered writers of one resource are refused.
    #[test]
    fn an_ambiguous_schedule_is_refused() {
        #[derive(Resource, Default)]
        struct Counter(u32);
        let mut world = World::new();
        world.init_resource::<Counter>();
        let mut schedule = tick_schedule();
        schedule.add_systems((|mut c: ResMut<Counter>| c.0 += 1, |mut c: ResMut<Counter>| c.0 *= 2));
        assert!(schedule.initialize(&mut world).is_err());
    }
}
