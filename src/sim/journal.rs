//! The journal: every fact of a run, in order, as it will be written to
//! `journal.jsonl`. Systems write [`SimEvent`] messages; the `Journal` set
//! drains them once per tick, sorted by time within the tick.

use bevy::prelude::*;
use serde::Serialize;

use super::{SimSystems, SimTick};
use crate::scenario::time::SimTime;

/// One fact. `t` is the moment it happened (seconds since start).
#[derive(Message, Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "event")]
pub enum SimEvent {
    /// A team was taken out of service, or put back.
    TeamService {
        /// Time.
        t: SimTime,
        /// Team id.
        team: String,
        /// In service after the change.
        in_service: bool,
    },
    /// An inject was delivered.
    Inject {
        /// Time.
        t: SimTime,
        /// Inject id.
        id: String,
        /// Facilitator text.
        text: String,
    },
    /// A hazard started.
    HazardStarted {
        /// Time.
        t: SimTime,
        /// Hazard id.
        id: String,
        /// Kind.
        kind: String,
    },
    /// The wind changed.
    WindChanged {
        /// Time.
        t: SimTime,
        /// Speed at 10 m, m/s.
        speed_m_s: f64,
        /// Direction it blows from, degrees.
        from_deg: f64,
    },
    /// Road states changed.
    RoadsChanged {
        /// Time.
        t: SimTime,
        /// New state.
        state: String,
        /// Segments selected.
        segments: usize,
        /// Segments whose state actually changed.
        changed: usize,
    },
    /// People became affected.
    Affected {
        /// Time.
        t: SimTime,
        /// Group id.
        group: u32,
        /// Road node.
        node: u32,
        /// Zone name.
        zone: String,
        /// People.
        people: u32,
        /// Of whom covered by household reserves.
        household_covered: u32,
    },
    /// A truck was given a job.
    Dispatched {
        /// Time.
        t: SimTime,
        /// Truck id.
        truck: u32,
        /// Depot to load at.
        depot: String,
        /// Group served.
        group: u32,
        /// Kits planned.
        initial: u32,
        /// Sets planned.
        basic: u32,
        /// Estimated hours from now to delivery.
        eta_h: f64,
    },
    /// A truck finished loading.
    Loaded {
        /// Time.
        t: SimTime,
        /// Truck.
        truck: u32,
        /// Depot.
        depot: String,
        /// Kits.
        initial: u32,
        /// Sets.
        basic: u32,
    },
    /// Relief handed to a group.
    Delivered {
        /// Time.
        t: SimTime,
        /// Truck, or none for a community station.
        truck: Option<u32>,
        /// Source depot id.
        depot: String,
        /// Group.
        group: u32,
        /// Kits handed out.
        initial: u32,
        /// Sets handed out.
        basic: u32,
    },
    /// A truck arrived back at its home depot.
    Returned {
        /// Time.
        t: SimTime,
        /// Truck.
        truck: u32,
        /// Depot.
        depot: String,
        /// Kits brought back.
        initial: u32,
        /// Sets brought back.
        basic: u32,
    },
    /// A truck changed route because a road ahead closed.
    Rerouted {
        /// Time.
        t: SimTime,
        /// Truck.
        truck: u32,
    },
    /// A truck has no route and waits for a road to reopen.
    NoRoute {
        /// Time.
        t: SimTime,
        /// Truck.
        truck: u32,
        /// Node it waits at.
        node: u32,
        /// Where it wanted to go.
        dest: u32,
    },
    /// A depot job was cancelled (depot out of service before loading).
    Cancelled {
        /// Time.
        t: SimTime,
        /// Truck.
        truck: u32,
        /// Reason.
        reason: String,
    },
    /// A depot changed service state or received stock.
    DepotChanged {
        /// Time.
        t: SimTime,
        /// Depot id.
        depot: String,
        /// In service after the change.
        in_service: bool,
        /// Kits added.
        added_initial: u32,
        /// Sets added.
        added_basic: u32,
    },
    /// A team was called to a hazard.
    TeamCalled {
        /// Time.
        t: SimTime,
        /// Team id.
        team: String,
        /// Hazard id.
        hazard: String,
        /// Expected arrival.
        eta: SimTime,
    },
    /// A team reached its hazard and started work.
    TeamArrived {
        /// Time.
        t: SimTime,
        /// Team id.
        team: String,
        /// Hazard id.
        hazard: String,
    },
    /// A team was back at its base.
    TeamHome {
        /// Time.
        t: SimTime,
        /// Team id.
        team: String,
    },
    /// A hazmat team stopped a release.
    ReleaseStopped {
        /// Time.
        t: SimTime,
        /// Hazard id.
        id: String,
        /// Team id.
        team: String,
    },
    /// A fire had nothing left burning.
    FireOut {
        /// Time.
        t: SimTime,
        /// Hazard id.
        id: String,
        /// Ground area the fire reached, km².
        area_km2: f64,
    },
    /// People were ordered out of a home node.
    EvacuationOrdered {
        /// Time.
        t: SimTime,
        /// Home road node.
        node: u32,
        /// People ordered out.
        people: u32,
        /// Of whom refused and stayed.
        refused: u32,
        /// Of whom found no shelter place and stayed.
        no_shelter: u32,
    },
    /// A group of evacuees was given a shelter.
    Evacuating {
        /// Time.
        t: SimTime,
        /// Group id.
        group: u32,
        /// Shelter name.
        shelter: String,
        /// People.
        people: u32,
        /// "walk" or "bus".
        mode: String,
    },
    /// Part of a group left it as a group of its own (evacuees ordered out
    /// after they were affected, by a drill's `Evacuate` command).
    SplitOff {
        /// Time.
        t: SimTime,
        /// The new group's id.
        group: u32,
        /// The group they left.
        from: u32,
        /// People.
        people: u32,
    },
    /// People were cut off by water at home and need a boat.
    Stranded {
        /// Time.
        t: SimTime,
        /// Group id.
        group: u32,
        /// People.
        people: u32,
    },
    /// A bus picked up evacuees.
    PickedUp {
        /// Time.
        t: SimTime,
        /// Team id.
        team: String,
        /// Group id.
        group: u32,
        /// People.
        people: u32,
    },
    /// A boat reached stranded people.
    Rescued {
        /// Time.
        t: SimTime,
        /// Team id.
        team: String,
        /// Group id.
        group: u32,
        /// Taken off alive.
        alive: u32,
        /// Found dead (survival curve).
        dead: u32,
    },
    /// A rescue team freed people trapped in a collapsed building.
    Freed {
        /// Time.
        t: SimTime,
        /// Team id.
        team: String,
        /// Group id.
        group: u32,
        /// Freed alive.
        alive: u32,
        /// Found dead (survival curve).
        dead: u32,
    },
    /// A road repair team reopened a damaged segment.
    RoadRepaired {
        /// Time.
        t: SimTime,
        /// Team id.
        team: String,
        /// Segment index.
        segment: u32,
        /// Road name, if any.
        road: String,
    },
    /// An ambulance brought patients to a hospital.
    Admitted {
        /// Time.
        t: SimTime,
        /// Team id.
        team: String,
        /// Hospital name.
        hospital: String,
        /// Patients.
        people: u32,
        /// START category: "red" or "yellow".
        triage: String,
    },
    /// A team's shift ended: it rests.
    TeamResting {
        /// Time.
        t: SimTime,
        /// Team id.
        team: String,
        /// Back on duty.
        until: SimTime,
    },
    /// A drill command (facilitator or player) took effect.
    Command {
        /// Time.
        t: SimTime,
        /// What was decided.
        command: String,
    },
    /// Rain began (an inject).
    RainStarted {
        /// Time.
        t: SimTime,
        /// Peak intensity, mm/h.
        peak_mm_h: f64,
        /// Zones (empty = everywhere).
        zones: Vec<String>,
    },
}

impl SimEvent {
    /// When it happened.
    pub fn time(&self) -> SimTime {
        match self {
            SimEvent::Inject { t, .. }
            | SimEvent::Command { t, .. }
            | SimEvent::RoadsChanged { t, .. }
            | SimEvent::HazardStarted { t, .. }
            | SimEvent::WindChanged { t, .. }
            | SimEvent::Affected { t, .. }
            | SimEvent::Dispatched { t, .. }
            | SimEvent::Loaded { t, .. }
            | SimEvent::Delivered { t, .. }
            | SimEvent::Returned { t, .. }
            | SimEvent::Rerouted { t, .. }
            | SimEvent::NoRoute { t, .. }
            | SimEvent::Cancelled { t, .. }
            | SimEvent::DepotChanged { t, .. }
            | SimEvent::TeamCalled { t, .. }
            | SimEvent::TeamArrived { t, .. }
            | SimEvent::TeamHome { t, .. }
            | SimEvent::ReleaseStopped { t, .. }
            | SimEvent::FireOut { t, .. }
            | SimEvent::EvacuationOrdered { t, .. }
            | SimEvent::Evacuating { t, .. }
            | SimEvent::SplitOff { t, .. }
            | SimEvent::Stranded { t, .. }
            | SimEvent::PickedUp { t, .. }
            | SimEvent::Rescued { t, .. }
            | SimEvent::Freed { t, .. }
            | SimEvent::RoadRepaired { t, .. }
            | SimEvent::TeamResting { t, .. }
            | SimEvent::Admitted { t, .. }
            | SimEvent::RainStarted { t, .. }
            | SimEvent::TeamService { t, .. } => *t,
        }
    }
}

/// Every event of the run so far, in time order.
#[derive(Resource, Debug, Default)]
pub struct Journal {
    /// Events.
    pub events: Vec<SimEvent>,
}

impl Journal {
    /// The journal as JSON lines.
    pub fn to_jsonl(&self) -> String {
        let mut s = String::with_capacity(self.events.len() * 120);
        for e in &self.events {
            s.push_str(&serde_json::to_string(e).expect("invariant: events serialize"));
            s.push('\n');
        }
        s
    }
}

/// Collects events into the [`Journal`].
///
/// Systems: `collect_events` in [`SimSystems::Journal`].
pub struct JournalPlugin;

impl Plugin for JournalPlugin {
    fn build(&self, app: &mut App) {
        app.add_message::<SimEvent>()
            .init_resource::<Journal>()
            .add_systems(SimTick, collect_events.in_set(SimSystems::Journal));
    }
}

/// Journal: drain this tick's events, stable-sorted by time.
fn collect_events(mut messages: ResMut<Messages<SimEvent>>, mut journal: ResMut<Journal>) {
    let mut batch: Vec<SimEvent> = messages.drain().collect();
    batch.sort_by_key(SimEvent::time);
    journal.events.extend(batch);
}
