//! The report's people section: evacuation and shelters, stranding and
//! rescue, and the boats and buses that moved people.

use bevy::prelude::*;
use serde::Serialize;

use crate::people::evacuation::Shelters;
use crate::people::medical::{Patients, Triage};
use crate::people::{AffectedGroup, Going};
use crate::response::units::{UnitState, Units};
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
    /// Injured people and hospitals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medical: Option<MedicalOut>,
    /// Boats, buses and ambulances.
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
        self.evacuation.is_none() && self.rescue.is_none() && self.medical.is_none() && self.teams.is_empty()
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

/// One boat or bus team.
#[derive(Debug, Clone, Serialize)]
pub struct UnitOut {
    /// Team id.
    pub id: String,
    /// "boat" or "bus".
    pub kind: &'static str,
    /// Trips.
    pub trips: u32,
    /// People carried alive.
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
    let stranded_ever: u64 = groups.iter().map(|g| u64::from(g.stranded + g.died + g.rescued)).sum();
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
        waits.sort_by(|a, b| a.0.total_cmp(&b.0));
        let reached: u32 = waits.iter().map(|w| w.1).sum();
        let mut acc = 0;
        let median = waits.iter().find(|w| {
            acc += w.1;
            acc * 2 >= reached
        });
        let still: Vec<&&AffectedGroup> = groups.iter().filter(|g| g.stranded > 0).collect();
        RescueOut {
            stranded: stranded_ever,
            rescued_alive: groups.iter().map(|g| u64::from(g.rescued)).sum(),
            died_waiting: groups.iter().map(|g| u64::from(g.died)).sum(),
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
            wait_h_median: median.map(|w| round3(w.0)),
            wait_h_max: waits.last().map(|w| round3(w.0)),
        }
    });
    let teams = world
        .resource::<Units>()
        .units
        .iter()
        .map(|u| UnitOut {
            id: u.def.id.clone(),
            kind: match u.def.kind {
                TeamKind::Boat => "boat",
                TeamKind::Bus => "bus",
                _ => "ambulance",
            },
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
        medical,
        teams,
    }
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
