//! Run `i` of a batch: draw what the scenario's `uncertainty` section leaves
//! open and apply it to the checked scenario.
//!
//! Two streams come from (scenario seed, `i`): one for the draws here, and
//! the run's own seed (households, evacuation refusals, survival, ...), so
//! every run differs in both and any run can be repeated alone
//! (`tabletop run S.ron --draw i`).
//!
//! Each kind of draw has a stream of its own — hazards (as listed: start
//! shift, inflow scale, release scale), wind, rain, households, road failures
//! (by class as listed, every segment of the class in map order), trucks (per
//! fleet entry), teams, affected people — so that two depot layouts run on the same draws of
//! everything but their own fleets (common random numbers for `compare`).
//! Draws are recorded under the names [`draw_names`] gives.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};

use crate::scenario::time::SimTime;
use crate::scenario::{ActionDef, HazardDef, HazardKind, InjectDef, ReleaseSource, RunSpec, UncertaintySpec};

/// SplitMix64 (Steele, Lea & Flood 2014): a well-mixed 64-bit hash of `x`.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Seed of stream `which` of run `i` of a batch on a scenario with `seed`.
pub fn stream_seed(seed: u64, i: u64, which: u64) -> u64 {
    splitmix64(splitmix64(splitmix64(seed) ^ i) ^ which)
}

/// The names of the draws a run records, in order (`runs.csv` columns).
pub fn draw_names(u: &UncertaintySpec) -> Vec<String> {
    let mut out = Vec::new();
    for h in &u.hazards {
        for (name, d) in [
            ("start_shift_h", &h.start_shift_h),
            ("inflow_scale", &h.inflow_scale),
            ("release_scale", &h.release_scale),
        ] {
            if d.is_some() {
                out.push(format!("hazard.{}.{name}", h.id));
            }
        }
    }
    for (name, d) in [
        ("wind_m_s", &u.wind_m_s),
        ("wind_from_deg", &u.wind_from_deg),
        ("rain_scale", &u.rain_scale),
        ("households_share", &u.households_share),
        ("people_scale", &u.people_scale),
    ] {
        if d.is_some() {
            out.push(name.to_string());
        }
    }
    if !u.road_failures.is_empty() {
        out.push("roads_failed".into());
    }
    if u.truck_breakdown > 0.0 {
        out.push("trucks_broken_down".into());
    }
    if u.team_unavailable > 0.0 {
        out.push("teams_unavailable".into());
    }
    out
}

/// Run `i` of a batch: the scenario with its draws applied, and the draws
/// (in [`draw_names`] order). Without an `uncertainty` section only the
/// run's seed changes.
pub fn apply(spec: &RunSpec, i: u64) -> (RunSpec, Vec<f64>) {
    let mut out = spec.clone();
    out.seed = stream_seed(spec.seed, i, 2);
    let Some(u) = spec.uncertainty.as_ref() else {
        return (out, Vec::new());
    };
    let stream = |k: u64| ChaCha8Rng::seed_from_u64(stream_seed(spec.seed, i, 10 + k));
    let mut draws = Vec::new();
    let mut rng = stream(0);
    let end = spec.end;
    for h in &u.hazards {
        let shift = h.start_shift_h.as_ref().map(|d| d.sample(&mut rng));
        let inflow = h.inflow_scale.as_ref().map(|d| d.sample(&mut rng));
        let release = h.release_scale.as_ref().map(|d| d.sample(&mut rng));
        draws.extend([shift, inflow, release].into_iter().flatten());
        let scale = |def: &mut HazardDef| match &mut def.kind {
            HazardKind::Breach { inflow_m3_s } => {
                if let Some(f) = inflow {
                    inflow_m3_s.iter_mut().for_each(|p| p.1 *= f);
                }
            }
            HazardKind::Release { source, .. } => match (source, release) {
                (ReleaseSource::Continuous { rate_kg_s, .. }, Some(f)) => *rate_kg_s *= f,
                (ReleaseSource::Instant { mass_kg }, Some(f)) => *mass_kg *= f,
                _ => {}
            },
            HazardKind::Fire => {}
        };
        for def in out.hazards.iter_mut().filter(|d| d.id == h.id) {
            if let Some(s) = shift {
                let t = (def.start.secs() as f64 + s * 3600.0).round() as i64;
                def.start = SimTime(t.clamp(0, end.secs()));
            }
            scale(def);
        }
        // A hazard an inject starts keeps the inject's time.
        for inj in &mut out.injects {
            if let ActionDef::Hazard(def) = &mut inj.action
                && def.id == h.id
            {
                scale(def);
            }
        }
    }
    let mut rng = stream(1);
    if let Some(d) = &u.wind_m_s {
        out.weather.wind_m_s = d.sample(&mut rng);
        draws.push(out.weather.wind_m_s);
    }
    if let Some(d) = &u.wind_from_deg {
        out.weather.wind_from_deg = d.sample(&mut rng).rem_euclid(360.0);
        draws.push(out.weather.wind_from_deg);
    }
    let mut rng = stream(2);
    if let Some(d) = &u.rain_scale {
        let f = d.sample(&mut rng);
        draws.push(f);
        out.weather.rain_mm_h.iter_mut().for_each(|p| p.1 *= f);
        for inj in &mut out.injects {
            if let ActionDef::Rain { mm_h, .. } = &mut inj.action {
                mm_h.iter_mut().for_each(|p| p.1 *= f);
            }
        }
    }
    let mut rng = stream(3);
    if let Some(d) = &u.households_share {
        out.households_share = d.sample(&mut rng).clamp(0.0, 1.0);
        draws.push(out.households_share);
    }
    let mut rng = stream(7);
    if let Some(d) = &u.people_scale {
        let f = d.sample(&mut rng);
        draws.push(f);
        out.impacts.iter_mut().for_each(|imp| scale_people(imp, f));
        for inj in &mut out.injects {
            if let ActionDef::Impact(imp) = &mut inj.action {
                scale_people(imp, f);
            }
        }
    }
    let mut rng = stream(4);
    if !u.road_failures.is_empty() {
        let mut failed = Vec::new();
        for r in &u.road_failures {
            for (s, seg) in spec.city.segments.iter().enumerate() {
                if seg.class == r.class && rng.random::<f64>() < r.p {
                    failed.push(s as u32);
                }
            }
        }
        failed.sort_unstable();
        failed.dedup();
        draws.push(failed.len() as f64);
        if !failed.is_empty() {
            out.injects.insert(
                0,
                InjectDef {
                    id: "uncertainty-road-failures".into(),
                    at: SimTime::ZERO,
                    text: format!("{} road segments failed (drawn)", failed.len()),
                    action: ActionDef::DamageRoads(failed),
                    expect: Vec::new(),
                },
            );
        }
    }
    let mut rng = stream(5);
    if u.truck_breakdown > 0.0 {
        let mut broken = 0;
        for f in &mut out.fleet {
            let n = Binomial::new(u64::from(f.trucks), u.truck_breakdown).map_or(0, |b| b.sample(&mut rng) as u32);
            f.trucks -= n;
            broken += n;
        }
        draws.push(f64::from(broken));
    }
    let mut rng = stream(6);
    if u.team_unavailable > 0.0 {
        let before = out.teams.len();
        out.teams.retain(|_| rng.random::<f64>() >= u.team_unavailable);
        draws.push((before - out.teams.len()) as f64);
    }
    // Keep the hazards in start order, as the checked scenario has them.
    out.hazards.sort_by_key(|h| h.start);
    (out, draws)
}

/// Multiply an impact's people (and its trapped people) by `f`, rounding;
/// groups left with nobody are dropped.
fn scale_people(imp: &mut crate::scenario::ImpactDef, f: f64) {
    let mut groups = Vec::new();
    let mut trapped = Vec::new();
    for (k, &(node, people)) in imp.groups.iter().enumerate() {
        let n = (f64::from(people) * f).round() as u32;
        if n == 0 {
            continue;
        }
        groups.push((node, n));
        if let Some(&t) = imp.trapped.get(k) {
            trapped.push(((f64::from(t) * f).round() as u32).min(n));
        }
    }
    imp.groups = groups;
    imp.trapped = trapped;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_by_run_and_by_purpose() {
        let a = stream_seed(7, 0, 1);
        assert_ne!(a, stream_seed(7, 1, 1));
        assert_ne!(a, stream_seed(7, 0, 2));
        assert_ne!(a, stream_seed(8, 0, 1));
        assert_eq!(a, stream_seed(7, 0, 1));
    }

    #[test]
    fn scaling_people_keeps_trapped_within_the_group_and_drops_empty_groups() {
        let mut imp = crate::scenario::ImpactDef {
            at: SimTime::ZERO,
            label: String::new(),
            groups: vec![(1, 10), (2, 1), (3, 4)],
            evacuate: false,
            trapped: vec![2, 1, 4],
        };
        scale_people(&mut imp, 0.4);
        assert_eq!(imp.groups, vec![(1, 4), (3, 2)]);
        assert_eq!(imp.trapped, vec![1, 2]);
    }
}
