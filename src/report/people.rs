//! The report's people section: evacuation and shelters, stranding and
//! rescue, people trapped in rubble, the injured, damaged roads and their
//! repair, and the response's teams.

use bevy::prelude::*;
use serde::Serialize;

use crate::people::evacuation::Shelters;
use crate::people::medical::{Patients, Triage};
use crate::people::{AffectedGroup, Going};
use crate::response::units::{RoadRepair, UnitState, Units};
use crate::scenario::{MedicalDef, RunSpec, TeamKind};
use crate::score::round3;
use crate::sim::journal::{Journal, SimEvent};

/// Evacuation, rescue and the teams that moved people (empty parts are left out).
#[derive(Debug, Clone, Serialize, Default)]
pub struct PeopleOut {
    /// People ordered to shelters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evacuation: Option<EvacuationOut>,
    /// People cut off by water.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rescue: Option<RescueOut>,
    /// People trapped in collapsed buildings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trapped: Option<TrappedOut>,
    /// Injured people and hospitals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medical: Option<MedicalOut>,
    /// Damaged roads and their repair.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roads: Option<RoadsOut>,
    /// The response's teams (boats, buses, ambulances, rescue and repair
    /// teams; fire-rescue companies only if they freed trapped people).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<UnitOut>,
}

/// Injured people, by START category, and the hospitals that took them.
#[derive(Debug, Clone, Serialize)]
pub struct MedicalOut {
    /// Immediate (red) patients.
    pub red: TriageOut,
    /// Delayed (yellow) patients.
    pub yellow: TriageOut,
    /// Minor (green) injuries treated on the spot.
    pub green: u64,
    /// Hospitals that took patients.
    pub hospitals: Vec<HospitalOut>,
}

/// Patients of one category.
#[derive(Debug, Clone, Serialize)]
pub struct TriageOut {
    /// Injured.
    pub injured: u64,
    /// Admitted to a hospital.
    pub admitted: u64,
    /// Still waiting for an ambulance at the end.
    pub waiting_at_end: u64,
    /// In an ambulance at the end.
    pub in_ambulance_at_end: u64,
    /// Share of the injured admitted within the hour after injury (the "golden
    /// hour" of trauma care, Cowley 1975).
    pub within_1h: f64,
    /// Hours from injury to admission over admitted patients: median.
    pub hours_p50: Option<f64>,
    /// Worst.
    pub hours_max: Option<f64>,
}

/// One hospital's disaster beds.
#[derive(Debug, Clone, Serialize)]
pub struct HospitalOut {
    /// Name.
    pub name: String,
    /// Chinese name.
    pub name_zh: String,
    /// Beds for disaster patients.
    pub beds: u32,
    /// Patients admitted.
    pub admitted: u32,
}

impl PeopleOut {
    /// Nothing to say (runs without evacuation, stranding or boats and buses).
    pub fn is_empty(&self) -> bool {
        self.evacuation.is_none()
            && self.rescue.is_none()
            && self.trapped.is_none()
            && self.medical.is_none()
            && self.roads.is_none()
            && self.teams.is_empty()
    }
}

/// Evacuation figures.
#[derive(Debug, Clone, Serialize)]
pub struct EvacuationOut {
    /// People ordered out.
    pub ordered: u64,
    /// Refused and stayed.
    pub refused: u64,
    /// Found no shelter place and stayed.
    pub no_shelter: u64,
    /// Walked.
    pub walked: u64,
    /// Went (or were to go) by bus.
    pub by_bus: u64,
    /// In shelters at the end.
    pub sheltered_at_end: u64,
    /// Evacuees still at home waiting at the end (not stranded).
    pub still_waiting_at_end: u64,
    /// Most people in shelters at once.
    pub peak_sheltered: u64,
    /// Shelters that took people.
    pub shelters: Vec<ShelterOut>,
}

/// One shelter that took people.
#[derive(Debug, Clone, Serialize)]
pub struct ShelterOut {
    /// Name.
    pub name: String,
    /// Chinese name.
    pub name_zh: String,
    /// Usable area, m².
    pub usable_m2: f64,
    /// Places at the scenario's m² per person.
    pub capacity: u32,
    /// Places promised.
    pub reserved: u32,
    /// Most people inside at once.
    pub peak: u32,
    /// Usable m² per person at the peak.
    pub m2_per_person_at_peak: f64,
}

/// Stranding and rescue figures.
#[derive(Debug, Clone, Serialize)]
pub struct RescueOut {
    /// People ever cut off.
    pub stranded: u64,
    /// Taken off alive.
    pub rescued_alive: u64,
    /// Found dead by the boats (survival curve).
    pub died_waiting: u64,
    /// Still cut off at the end.
    pub still_stranded_at_end: u64,
    /// Of those, expected alive at the end by the survival curve.
    pub still_stranded_expected_alive: f64,
    /// Hours from being cut off to the boat, over people reached: median and worst.
    pub wait_h_median: Option<f64>,
    /// Worst.
    pub wait_h_max: Option<f64>,
}

/// People trapped in collapsed buildings.
#[derive(Debug, Clone, Serialize)]
pub struct TrappedOut {
    /// People trapped.
    pub trapped: u64,
    /// Freed alive.
    pub freed_alive: u64,
    /// Found dead (survival curve at the moment they were reached).
    pub found_dead: u64,
    /// Still trapped at the end.
    pub still_trapped_at_end: u64,
    /// Of those, expected alive at the end by the survival curve.
    pub still_trapped_expected_alive: f64,
    /// Hours from being trapped to being freed, over people reached: median.
    pub wait_h_median: Option<f64>,
    /// Worst.
    pub wait_h_max: Option<f64>,
}

/// Damaged road segments and their repair.
#[derive(Debug, Clone, Serialize)]
pub struct RoadsOut {
    /// Segments damaged.
    pub damaged: u64,
    /// Repaired before the end.
    pub repaired: u64,
    /// Still damaged at the end.
    pub still_damaged_at_end: u64,
    /// Hours from damage to reopening over repaired segments: median.
    pub closed_h_median: Option<f64>,
    /// Worst.
    pub closed_h_max: Option<f64>,
    /// Per named road (unnamed segments as ""), in map order of first damage.
    pub by_road: Vec<RoadDamageOut>,
}

/// One road's damage.
#[derive(Debug, Clone, Serialize)]
pub struct RoadDamageOut {
    /// Road name.
    pub road: String,
    /// Segments damaged.
    pub damaged: u64,
    /// Repaired.
    pub repaired: u64,
    /// Hours after the start when its last repaired segment reopened.
    pub last_reopened_h: Option<f64>,
}

/// One response team.
#[derive(Debug, Clone, Serialize)]
pub struct UnitOut {
    /// Team id.
    pub id: String,
    /// "boat", "bus", "ambulance", "fire_rescue", "town", "volunteer" or "road_repair".
    pub kind: &'static str,
    /// Trips.
    pub trips: u32,
    /// People carried (or freed) alive; road segments repaired.
    pub people: u32,
    /// Hours on trips.
    pub busy_h: f64,
    /// Rests taken after shifts.
    pub rests: u32,
    /// State at the end.
    pub state_at_end: &'static str,
}

/// The section for a finished run.
pub fn collect(spec: &RunSpec, world: &mut World) -> PeopleOut {
    let mut q = world.query::<&AffectedGroup>();
    let mut groups: Vec<&AffectedGroup> = q.iter(world).collect();
    groups.sort_by_key(|g| g.id);
    let end = spec.end;
    let shelters = world.resource::<Shelters>();
    let evacuation = spec.evacuation.as_ref().map(|_| {
        let people = |going: Going| -> u64 {
            groups
                .iter()
                .filter(|g| g.going == going)
                .map(|g| u64::from(g.people))
                .sum()
        };
        EvacuationOut {
            ordered: shelters.ordered,
            refused: shelters.refused,
            no_shelter: shelters.no_shelter,
            walked: people(Going::Walk),
            by_bus: people(Going::Bus),
            sheltered_at_end: shelters.occupied.iter().map(|&o| u64::from(o)).sum(),
            // Only evacuees wait: people who stay have nowhere to go.
            still_waiting_at_end: groups.iter().map(|g| u64::from(g.waiting)).sum(),
            peak_sheltered: shelters.peak_total,
            shelters: shelters
                .defs
                .iter()
                .enumerate()
                .filter(|(s, _)| shelters.reserved[*s] > 0)
                .map(|(s, d)| {
                    let place = &spec.city.places[d.place];
                    ShelterOut {
                        name: place.name.clone(),
                        name_zh: place.name_zh.clone(),
                        usable_m2: d.usable_m2,
                        capacity: d.capacity,
                        reserved: shelters.reserved[s],
                        peak: shelters.peak[s],
                        m2_per_person_at_peak: if shelters.peak[s] > 0 {
                            (d.usable_m2 / f64::from(shelters.peak[s]) * 100.0).round() / 100.0
                        } else {
                            0.0
                        },
                    }
                })
                .collect(),
        }
    });
    let stranded_ever: u64 = groups
        .iter()
        .map(|g| u64::from(g.stranded + g.died - g.died_trapped + g.rescued))
        .sum();
    let rescue = (stranded_ever > 0).then(|| {
        // Waits of the people boats reached, from the journal's rescues.
        let mut waits: Vec<(f64, u32)> = Vec::new();
        for e in &world.resource::<Journal>().events {
            if let SimEvent::Rescued {
                t, group, alive, dead, ..
            } = e
                && let Some(g) = groups.get(*group as usize)
                && let Some(s) = g.stranded_at
            {
                waits.push(((t.secs() - s.secs()) as f64 / 3600.0, alive + dead));
            }
        }
        let (median, max) = weighted_median_max(waits);
        let still: Vec<&&AffectedGroup> = groups.iter().filter(|g| g.stranded > 0).collect();
        RescueOut {
            stranded: stranded_ever,
            rescued_alive: groups.iter().map(|g| u64::from(g.rescued)).sum(),
            died_waiting: groups.iter().map(|g| u64::from(g.died - g.died_trapped)).sum(),
            still_stranded_at_end: still.iter().map(|g| u64::from(g.stranded)).sum(),
            still_stranded_expected_alive: round3(
                still
                    .iter()
                    .map(|g| {
                        let h = g.stranded_at.map_or(0.0, |s| (end.secs() - s.secs()) as f64 / 3600.0);
                        f64::from(g.stranded) * spec.rescue.survival.at(h)
                    })
                    .sum::<f64>()
                    + 0.0,
            ),
            wait_h_median: median,
            wait_h_max: max,
        }
    });
    let trapped_ever: u64 = groups
        .iter()
        .map(|g| u64::from(g.trapped + g.freed + g.died_trapped))
        .sum();
    let trapped = (trapped_ever > 0).then(|| {
        let mut waits: Vec<(f64, u32)> = Vec::new();
        for e in &world.resource::<Journal>().events {
            if let SimEvent::Freed {
                t, group, alive, dead, ..
            } = e
                && let Some(g) = groups.get(*group as usize)
                && let Some(s) = g.trapped_at
            {
                waits.push(((t.secs() - s.secs()) as f64 / 3600.0, alive + dead));
            }
        }
        let (median, max) = weighted_median_max(waits);
        let still: Vec<&&AffectedGroup> = groups.iter().filter(|g| g.trapped > 0).collect();
        TrappedOut {
            trapped: trapped_ever,
            freed_alive: groups.iter().map(|g| u64::from(g.freed)).sum(),
            found_dead: groups.iter().map(|g| u64::from(g.died_trapped)).sum(),
            still_trapped_at_end: still.iter().map(|g| u64::from(g.trapped)).sum(),
            still_trapped_expected_alive: round3(
                still
                    .iter()
                    .map(|g| {
                        let h = g.trapped_at.map_or(0.0, |s| (end.secs() - s.secs()) as f64 / 3600.0);
                        f64::from(g.trapped) * spec.rescue.trapped_survival.at(h)
                    })
                    .sum::<f64>()
                    + 0.0,
            ),
            wait_h_median: median,
            wait_h_max: max,
        }
    });
    let roads = roads_out(spec, &world.resource::<Units>().repairs);
    let teams = world
        .resource::<Units>()
        .units
        .iter()
        .filter(|u| u.twin.is_none() || u.trips > 0)
        .map(|u| UnitOut {
            id: u.def.id.clone(),
            kind: kind_label(u.def.kind),
            trips: u.trips,
            people: u.carried,
            busy_h: round3(u.busy_s as f64 / 3600.0),
            rests: u.rests,
            state_at_end: match u.state {
                UnitState::Idle { .. } => "idle",
                UnitState::Trip(_) => "on a trip",
                UnitState::Returning { .. } => "returning",
                UnitState::Resting { .. } => "resting",
            },
        })
        .collect();
    let medical = spec
        .medical
        .as_ref()
        .map(|m| medical(m, world.resource::<Patients>(), spec));
    PeopleOut {
        evacuation,
        rescue,
        trapped,
        medical,
        roads,
        teams,
    }
}

/// How the report names a team kind.
fn kind_label(kind: TeamKind) -> &'static str {
    match kind {
        TeamKind::Boat => "boat",
        TeamKind::Bus => "bus",
        TeamKind::Ambulance => "ambulance",
        TeamKind::FireRescue => "fire_rescue",
        TeamKind::Hazmat => "hazmat",
        TeamKind::RoadRepair => "road_repair",
        TeamKind::Town => "town",
        TeamKind::Volunteer => "volunteer",
    }
}

/// Median and worst of (hours, people) weighted by people.
fn weighted_median_max(mut waits: Vec<(f64, u32)>) -> (Option<f64>, Option<f64>) {
    waits.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: u64 = waits.iter().map(|w| u64::from(w.1)).sum();
    let mut acc = 0;
    let median = waits.iter().find(|w| {
        acc += u64::from(w.1);
        acc * 2 >= total
    });
    (median.map(|w| round3(w.0)), waits.last().map(|w| round3(w.0)))
}

/// Damaged roads and their repair (None when no road was damaged).
fn roads_out(spec: &RunSpec, repairs: &[RoadRepair]) -> Option<RoadsOut> {
    if repairs.is_empty() {
        return None;
    }
    let end = spec.end;
    let done = |r: &RoadRepair| r.repaired.as_ref().filter(|(t, _)| *t <= end).map(|(t, _)| *t);
    let hours: Vec<(f64, u32)> = repairs
        .iter()
        .filter_map(|r| Some(((done(r)?.secs() - r.damaged_at.secs()) as f64 / 3600.0, 1)))
        .collect();
    let repaired = hours.len() as u64;
    let (median, max) = weighted_median_max(hours);
    let mut by_road: Vec<RoadDamageOut> = Vec::new();
    for r in repairs {
        let name = spec.city.segments[r.segment as usize].name.clone().unwrap_or_default();
        let k = match by_road.iter().position(|b| b.road == name) {
            Some(k) => k,
            None => {
                by_road.push(RoadDamageOut {
                    road: name,
                    damaged: 0,
                    repaired: 0,
                    last_reopened_h: None,
                });
                by_road.len() - 1
            }
        };
        let b = &mut by_road[k];
        b.damaged += 1;
        if let Some(t) = done(r) {
            b.repaired += 1;
            let h = round3(t.secs() as f64 / 3600.0);
            b.last_reopened_h = Some(b.last_reopened_h.map_or(h, |x: f64| x.max(h)));
        }
    }
    Some(RoadsOut {
        damaged: repairs.len() as u64,
        repaired,
        still_damaged_at_end: repairs.len() as u64 - repaired,
        closed_h_median: median,
        closed_h_max: max,
        by_road,
    })
}

fn medical(m: &MedicalDef, p: &Patients, spec: &RunSpec) -> MedicalOut {
    let triage = |which: Triage| -> TriageOut {
        let list: Vec<_> = p.list.iter().filter(|x| x.triage == which).collect();
        let carried = || list.iter().flat_map(|x| x.admitted.iter().map(move |a| (x, a)));
        let mut hours: Vec<(f64, u32)> = carried()
            .filter(|(_, (t, _, _))| *t <= spec.end)
            .map(|(x, (t, n, _))| ((t.secs() - x.injured_at.secs()) as f64 / 3600.0, *n))
            .collect();
        hours.sort_by(|a, b| a.0.total_cmp(&b.0));
        let admitted: u64 = hours.iter().map(|h| u64::from(h.1)).sum();
        let in_ambulance: u64 = carried()
            .filter(|(_, (t, _, _))| *t > spec.end)
            .map(|(_, (_, n, _))| u64::from(*n))
            .sum();
        let waiting: u64 = list.iter().map(|x| u64::from(x.waiting)).sum();
        let injured = admitted + in_ambulance + waiting;
        let within: u64 = hours.iter().filter(|h| h.0 <= 1.0).map(|h| u64::from(h.1)).sum();
        let mut acc = 0;
        let median = hours.iter().find(|h| {
            acc += u64::from(h.1);
            acc * 2 >= admitted
        });
        TriageOut {
            injured,
            admitted,
            waiting_at_end: waiting,
            in_ambulance_at_end: in_ambulance,
            within_1h: if injured == 0 {
                1.0
            } else {
                (within as f64 / injured as f64 * 1e4).round() / 1e4
            },
            hours_p50: median.map(|h| round3(h.0)),
            hours_max: hours.last().map(|h| round3(h.0)),
        }
    };
    let mut admitted = vec![0u32; m.hospitals.len()];
    for (_, n, h) in p.list.iter().flat_map(|x| x.admitted.iter()) {
        admitted[*h] += n;
    }
    MedicalOut {
        red: triage(Triage::Red),
        yellow: triage(Triage::Yellow),
        green: p.green,
        hospitals: m
            .hospitals
            .iter()
            .zip(&admitted)
            .filter(|(_, n)| **n > 0)
            .map(|(h, n)| HospitalOut {
                name: spec.city.places[h.place].name.clone(),
                name_zh: spec.city.places[h.place].name_zh.clone(),
                beds: h.beds,
                admitted: *n,
            })
            .collect(),
    }
}

/// Usable m² per sheltered person at the peak in the most crowded shelter
/// (None when nobody was sheltered).
pub fn dynamic_m2_per_person(p: &PeopleOut) -> Option<f64> {
    p.evacuation
        .as_ref()?
        .shelters
        .iter()
        .filter(|s| s.peak > 0)
        .map(|s| s.m2_per_person_at_peak)
        .min_by(f64::total_cmp)
}
