//! Injured people: START triage, the patients waiting for an ambulance, and
//! hospital beds.
//!
//! When people are affected by a hazard (or taken off a flooded home by
//! boat), a binomial share of them is injured (the scenario's
//! `medical.injured`, stream `"medical"`). Each injured person is triaged by
//! START (Simple Triage And Rapid Treatment, Benson, Koenig & Schultz 1996):
//! immediate (red) and delayed (yellow) patients need a hospital and wait for
//! an ambulance where they are; minor (green) ones are treated on the spot and
//! stay with their group. Each hospital gives disaster patients the
//! scenario's `surge_share` of its beds; a bed is promised when an ambulance
//! is sent, so no hospital takes more than that.

use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};

use crate::scenario::MedicalDef;
use crate::scenario::time::SimTime;

/// START category of a patient who needs a hospital.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Triage {
    /// Immediate: life-threatening, treatable.
    Red,
    /// Delayed: serious, can wait some hours.
    Yellow,
}

/// Patients of one category injured at one place and time.
#[derive(Debug, Clone)]
pub struct Patient {
    /// Index in [`Patients::list`].
    pub id: u32,
    /// Road node where they wait.
    pub node: u32,
    /// Category.
    pub triage: Triage,
    /// When they were injured (or put ashore by a boat).
    pub injured_at: SimTime,
    /// Not yet picked up.
    pub waiting: u32,
    /// Seats on ambulances on their way.
    pub en_route: u32,
    /// Admitted: (time, people, hospital index).
    pub admitted: Vec<(SimTime, u32, usize)>,
}

/// Every patient and every hospital's beds.
#[derive(bevy::prelude::Resource, Debug, Default)]
pub struct Patients {
    /// Patients, in the order they were injured.
    pub list: Vec<Patient>,
    /// Beds for disaster patients per hospital (of the run's medical hospitals).
    pub beds: Vec<u32>,
    /// Beds promised so far per hospital.
    pub promised: Vec<u32>,
    /// Minor (green) injuries treated on the spot.
    pub green: u64,
}

impl Patients {
    /// The ledger for a run's medical section.
    pub fn new(medical: Option<&MedicalDef>) -> Self {
        let beds: Vec<u32> = medical.map_or_else(Vec::new, |m| m.hospitals.iter().map(|h| h.beds).collect());
        Patients {
            promised: vec![0; beds.len()],
            beds,
            ..Default::default()
        }
    }

    /// Beds still free at hospital `h`.
    pub fn free(&self, h: usize) -> u32 {
        self.beds[h] - self.promised[h]
    }

    /// Injure a binomial `share` of `people` at `node` at `at` and triage them;
    /// returns how many (red + yellow) now wait for an ambulance instead of
    /// staying with their group.
    pub fn injure(
        &mut self,
        medical: &MedicalDef,
        rng: &mut ChaCha8Rng,
        node: u32,
        people: u32,
        share: f64,
        at: SimTime,
    ) -> u32 {
        let draw = |n: u32, p: f64, rng: &mut ChaCha8Rng| -> u32 {
            if n == 0 || p <= 0.0 {
                0
            } else if p >= 1.0 {
                n
            } else {
                Binomial::new(u64::from(n), p).map_or(0, |b| b.sample(rng) as u32)
            }
        };
        let injured = draw(people, share, rng);
        let red = draw(injured, medical.red_share, rng);
        // Yellow among those not red, so that the shares hold over all the injured.
        let rest = 1.0 - medical.red_share;
        let yellow = if rest > 0.0 {
            draw(injured - red, medical.yellow_share / rest, rng)
        } else {
            0
        };
        self.green += u64::from(injured - red - yellow);
        for (triage, n) in [(Triage::Red, red), (Triage::Yellow, yellow)] {
            if n > 0 {
                self.list.push(Patient {
                    id: self.list.len() as u32,
                    node,
                    triage,
                    injured_at: at,
                    waiting: n,
                    en_route: 0,
                    admitted: Vec::new(),
                });
            }
        }
        red + yellow
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{HospitalDef, InjuredShares};
    use rand::SeedableRng;

    fn medical(red: f64, yellow: f64) -> MedicalDef {
        MedicalDef {
            injured: InjuredShares::default(),
            red_share: red,
            yellow_share: yellow,
            hospitals: vec![HospitalDef {
                place: 0,
                node: 0,
                beds: 10,
            }],
        }
    }

    #[test]
    fn everyone_injured_is_triaged_once() {
        let m = medical(0.2, 0.3);
        let mut p = Patients::new(Some(&m));
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut to_hospital = 0;
        for k in 0..200 {
            to_hospital += p.injure(&m, &mut rng, k, 1_000, 0.1, SimTime(0));
        }
        let listed: u32 = p.list.iter().map(|x| x.waiting).sum();
        assert_eq!(listed, to_hospital);
        let injured = u64::from(to_hospital) + p.green;
        // 200 000 people × 10 % ≈ 20 000 injured; red ≈ 20 %, yellow ≈ 30 % of them.
        assert!((19_400..20_600).contains(&injured), "{injured}");
        let red: u32 = p
            .list
            .iter()
            .filter(|x| x.triage == Triage::Red)
            .map(|x| x.waiting)
            .sum();
        let share = f64::from(red) / injured as f64;
        assert!((0.18..0.22).contains(&share), "{share}");
        let yellow = f64::from(to_hospital - red) / injured as f64;
        assert!((0.28..0.32).contains(&yellow), "{yellow}");
    }

    #[test]
    fn nobody_or_everyone() {
        let m = medical(1.0, 0.0);
        let mut p = Patients::new(Some(&m));
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(p.injure(&m, &mut rng, 0, 50, 0.0, SimTime(0)), 0);
        assert_eq!(p.injure(&m, &mut rng, 0, 50, 1.0, SimTime(0)), 50);
        assert_eq!(p.list.len(), 1);
        assert_eq!(p.list[0].triage, Triage::Red);
        assert_eq!(p.free(0), 10);
    }
}
