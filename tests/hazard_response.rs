//! Hazards in whole runs on the Linqing map: fire teams contain fires, hazmat
//! teams stop releases, burning blocks close roads and displace residents,
//! rain falls only where the scenario says, and the economic loss adds up.

mod common;

use common::*;
use tabletop::report::RunResult;

/// A small Linqing scenario around `body` (hazards, teams, weather, injects ...).
fn scenario(duration: &str, body: &str) -> String {
    format!(
        r#"Scenario(
    name: "test",
    map: "linqing",
    start: "2026-04-18 23:00",
    duration: "{duration}",
    seed: 5,
    depots: [(id: "central", place: "Linqing Central Reserve Depot", tier: Government, stock: (initial: 20000, basic: 20000))],
    fleet: [(depot: "central", trucks: 8, capacity_kg: 5000, capacity_m3: 24)],
    economy: (gdp_yuan: 45e9),
    {body}
)
"#
    )
}

fn run(text: &str) -> RunResult {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.ron");
    std::fs::write(&path, text).unwrap();
    tabletop::run_file(&path, None).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

const OLD_TOWN_FIRE: &str = r#"weather: (wind_m_s: 6, wind_from_deg: 315),
    hazards: [Fire(id: "f", at: LatLon(36.8488, 115.6895), start: "10m")],"#;

#[test]
fn a_fire_with_enough_teams_is_contained_and_stays_out_and_without_them_grows() {
    let free = run(&scenario("12h", OLD_TOWN_FIRE));
    let f = &free.report.hazards.fires[0];
    assert!(f.model.contains("Hamada"), "{f:?}");
    assert_eq!(f.cells_put_out, 0);
    assert!(
        f.burnt_area_km2 >= 0.2,
        "unchecked it spreads through the old town: {f:?}"
    );
    assert!(f.people_affected > 0 && f.expected_deaths_if_not_evacuated > 0.0);

    let teams = r#"teams: [(id: "e", kind: FireRescue, base: "Linqing Special Service Fire Station", count: 12,
                   rate_m2_per_h: 20000)],"#;
    let fought = run(&scenario("12h", &format!("{OLD_TOWN_FIRE}\n    {teams}")));
    let g = &fought.report.hazards.fires[0];
    assert!(g.cells_put_out > 0, "{g:?}");
    let out = g.out_at_h.expect("contained");
    assert!(out < 3.0, "{g:?}");
    assert!(g.burnt_area_km2 < f.burnt_area_km2 / 2.0, "{g:?} vs {f:?}");
    // It stays out: one FireOut and no ignition after it.
    assert_eq!(fought.journal_jsonl.matches("\"event\":\"FireOut\"").count(), 1);
    let teams = &fought.report.hazards.teams;
    assert_eq!(teams.len(), 12);
    assert!(teams.iter().all(|t| t.tasks == 1 && t.worked_h > 0.0));
    assert!(fought.journal_jsonl.contains("\"event\":\"TeamHome\""), "teams go home");
}

#[test]
fn a_burning_block_closes_its_roads_and_its_residents_need_relief() {
    let r = run(&scenario("2h", OLD_TOWN_FIRE));
    assert!(r.report.hazards.fires[0].out_at_h.is_none(), "still burning at the end");
    assert!(!r.closed_segments.is_empty(), "roads through burning cells are closed");
    let f = &r.report.hazards.fires[0];
    assert_eq!(r.report.score.affected_people, f.people_affected);
    assert!(r.journal_jsonl.contains("\"event\":\"Affected\""));
}

#[test]
fn a_spot_fire_escalates_the_fire() {
    let base = run(&scenario("90m", OLD_TOWN_FIRE));
    let spot = run(&scenario(
        "90m",
        &format!(
            r#"{OLD_TOWN_FIRE}
    injects: [(at: "20m", text: "embers", action: SpotFire("f", LatLon(36.8462, 115.6918)))],"#
        ),
    ));
    assert!(spot.journal_jsonl.contains("\"kind\":\"spot fire\""));
    assert!(spot.report.hazards.fires[0].burnt_area_km2 > base.report.hazards.fires[0].burnt_area_km2);
}

const RELEASE: &str = r#"weather: (wind_m_s: 3, wind_from_deg: 112, cloud_oktas: 2),
    hazards: [Release(id: "cl2", chemical: "chlorine", at: Place("Linqing Chlor-Alkali Plant"), start: "10m",
                      rate_kg_s: 2.0, duration: "3h")],"#;

#[test]
fn a_hazmat_team_stops_a_release_after_its_work_time() {
    let free = run(&scenario("6h", RELEASE));
    let r0 = &free.report.hazards.releases[0];
    assert!(r0.stopped_at_h.is_none());
    assert!((r0.released_kg - 2.0 * 3.0 * 3600.0).abs() < 1e-6, "{r0:?}");

    let team =
        r#"teams: [(id: "hz", kind: Hazmat, base: "Development Zone Fire Station", mobilise: "10m", work: "20m")],"#;
    let fought = run(&scenario("6h", &format!("{RELEASE}\n    {team}")));
    let r1 = &fought.report.hazards.releases[0];
    assert_eq!(r1.stopped_by.as_deref(), Some("hz"));
    let stopped = r1.stopped_at_h.unwrap();
    // Called at the start (10 min), 10 min to turn out, a drive, 20 min at work.
    assert!(stopped > (10.0 + 10.0 + 20.0) / 60.0 && stopped < 2.0, "{r1:?}");
    let expected_kg = 2.0 * (stopped - 10.0 / 60.0) * 3600.0;
    assert!((r1.released_kg - expected_kg).abs() < 2.0 * 1.0 + 1e-6, "{r1:?}");
    assert!(r1.released_kg < r0.released_kg);
    assert!(r1.expected_casualties_if_not_evacuated <= r0.expected_casualties_if_not_evacuated);
    assert!(fought.journal_jsonl.contains("\"event\":\"ReleaseStopped\""));
}

/// Load a scenario text (kept on disk for the run's lifetime) to get its spec.
fn load(text: &str) -> tabletop::scenario::RunSpec {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.ron");
    std::fs::write(&p, text).unwrap();
    tabletop::scenario::load(&p, None).unwrap()
}

#[test]
fn rain_on_one_zone_brings_exactly_its_volume() {
    let text = scenario(
        "3h",
        r#"weather: (rain_mm_h: [("0h", 10), ("2h", 10), ("2h", 0)], rain_zones: ["新华路街道"]),"#,
    );
    let r = run(&text);
    let flood = r.report.hazards.flood.as_ref().expect("rain makes a flood model");
    let spec = load(&text);
    let terrain = spec.terrain.as_ref().unwrap();
    let zones = tabletop::hazard::sim::zone_cells(&spec.city, &terrain.dem);
    let z = spec.city.zone("新华路街道").unwrap() as u16;
    let cells = zones.data.iter().filter(|&&v| v == z).count() as f64;
    assert!(cells > 100.0, "the zone covers {cells} cells");
    let expected = cells * zones.cell_area() * 0.010 * 2.0;
    assert!(
        (flood.volume_in_m3 - expected).abs() <= 1e-6 * expected + 1.0,
        "{} vs {expected}",
        flood.volume_in_m3
    );
    assert!(flood.balance_relative_error < 1e-6);
    let e = r.report.hazards.economic_loss.as_ref().unwrap();
    assert!((e.total_yuan - (e.flood_yuan + e.fire_yuan)).abs() <= 1.0);
    assert_eq!(e.share_of_gdp, Some((e.total_yuan / 45e9 * 1e6).round() / 1e6));
}

#[test]
fn a_fire_where_nothing_burns_is_refused_with_its_position() {
    use tabletop::city::terrain::LandUse;
    let spec = load(&scenario("3h", r#"weather: (rain_mm_h: [("0h", 1)]),"#));
    let lu = &spec.terrain.as_ref().unwrap().landuse;
    // A cell with nothing that carries a spreading fire within 3 cells
    // (modern town blocks, industry, roads, water).
    let inert = |l: &LandUse| {
        matches!(
            l,
            LandUse::Water | LandUse::Road | LandUse::UrbanBlock | LandUse::Industrial
        )
    };
    let (i, j) = (3..lu.ny - 3)
        .flat_map(|j| (3..lu.nx - 3).map(move |i| (i, j)))
        .find(|&(i, j)| (j - 3..=j + 3).all(|b| (i - 3..=i + 3).all(|a| inert(lu.at(a, b)))))
        .expect("the town has a fire-resistant core");
    let (x, y) = lu.centre(i, j);
    let p = spec.city.projection.to_latlon(tabletop::city::Xy { x, y });
    let dir = tempfile::tempdir().unwrap();
    let text = scenario(
        "3h",
        &format!(
            r#"hazards: [Fire(id: "f", at: LatLon({}, {}), start: "10m")],"#,
            p.lat, p.lon
        ),
    );
    std::fs::write(dir.path().join("s.ron"), &text).unwrap();
    let (_, err) = expect_status(dir.path(), &["validate", "s.ron"], 2);
    assert!(err.contains("s.ron:10:") && err.contains("hazards[0].at"), "{err}");
    assert!(err.contains("can carry a spreading fire"), "{err}");
}

#[test]
fn a_tank_leak_runs_at_the_orifice_rate_until_the_tank_is_empty() {
    let text = scenario(
        "6h",
        r#"weather: (wind_m_s: 3, wind_from_deg: 112, cloud_oktas: 2),
    hazards: [Release(id: "t", chemical: "chlorine", at: Place("Linqing Chlor-Alkali Plant"), start: "10m",
                      tank: (hole_mm: 25, inventory_kg: 5000, head_m: 1, overpressure_kpa: 580))],"#,
    );
    let r = run(&text);
    let rel = &r.report.hazards.releases[0];
    // Bernoulli: Cd·A·√(2ρ(ΔP + ρgh)), Cd 0.61, liquid chlorine 1410 kg/m³.
    let area = std::f64::consts::PI * 0.025_f64.powi(2) / 4.0;
    let rate = 0.61 * area * (2.0_f64 * 1410.0 * (580e3 + 1410.0 * 9.80665 * 1.0)).sqrt();
    assert!(rel.source.contains(&format!("{rate:.2} kg/s")), "{rel:?}");
    assert!((rel.released_kg - 5000.0).abs() < 1e-3, "the whole inventory: {rel:?}");
    assert!(rel.evacuated_people > 0 && rel.threat_zone_km2[1] > 0.0, "{rel:?}");
}

#[test]
fn an_instantaneous_release_is_a_puff_that_passes() {
    let text = scenario(
        "6h",
        r#"weather: (wind_m_s: 3, wind_from_deg: 112, cloud_oktas: 2),
    hazards: [Release(id: "p", chemical: "chlorine", at: Place("Linqing Chlor-Alkali Plant"), start: "10m", mass_kg: 2000)],
    teams: [(id: "hz", kind: Hazmat, base: "Development Zone Fire Station")],"#,
    );
    let r = run(&text);
    let rel = &r.report.hazards.releases[0];
    assert!(rel.source.contains("puff"), "{rel:?}");
    assert_eq!(rel.released_kg, 2000.0);
    let [a1, a2, a3] = rel.threat_zone_km2;
    assert!(a1 >= a2 && a2 >= a3 && a2 > 0.0, "{rel:?}");
    assert!(rel.evacuated_people > 0, "{rel:?}");
    assert!(rel.stopped_by.is_none(), "nothing to stop: {rel:?}");
    assert!(!r.journal_jsonl.contains("TeamCalled"), "no hazmat call for a puff");
    // After the puff has gone, no road stays closed by it.
    assert!(r.closed_segments.is_empty());
}

#[test]
fn the_plan_indicators_sit_beside_the_run() {
    use tabletop::report::indicators::Status;
    let r = run(&scenario("12h", OLD_TOWN_FIRE));
    let find = |name: &str| {
        r.report
            .indicators
            .iter()
            .find(|i| i.name.contains(name))
            .unwrap_or_else(|| panic!("{name}: {:?}", r.report.indicators))
    };
    let fire = find("fire deaths per 100 000");
    let d = r.report.hazards.expected_deaths.as_ref().unwrap();
    let people: f64 = r.spec.city.node_people.iter().map(|&p| f64::from(p)).sum();
    assert!((fire.value.unwrap() - d.fire / people * 1e5).abs() < 1e-3, "{fire:?}");
    assert_eq!(fire.status, Status::Missed, "{fire:?}");
    let shelter = find("(static)");
    let m2: f64 = r.spec.city.places.iter().filter_map(|p| p.usable_m2).sum();
    let urban: f64 = r
        .spec
        .city
        .zones
        .iter()
        .filter(|z| z.kind == tabletop::city::ZoneKind::Subdistrict)
        .map(|z| f64::from(z.population))
        .sum();
    assert!((shelter.value.unwrap() - m2 / urban).abs() < 0.01, "{shelter:?}");
    assert_eq!(find("(dynamic)").status, Status::NotApplicable);
    // Without hazards, deaths and losses are not applicable.
    let plain = run(&scenario(
        "3h",
        r#"impacts: [(at: "0h", area: Zone("新华路街道"), people: 500)],"#,
    ));
    let deaths = plain
        .report
        .indicators
        .iter()
        .find(|i| i.name.contains("deaths per million"))
        .unwrap();
    assert_eq!(deaths.status, Status::NotApplicable);
    assert!(r.report_json().contains("\"indicators\""));
}

/// A truck never plans or starts a road deeper than it can wade: after every
/// step of the levee breach, each truck's route ahead (the segment it is
/// already on excepted: it finishes that one) is drivable for it, or it waits.
#[test]
fn no_truck_heads_into_water_deeper_than_it_can_wade() {
    use bevy::prelude::*;
    use tabletop::city::routing::{RoadState, traverse_s};
    use tabletop::response::trucks::{Truck, TruckState};
    use tabletop::sim::{SimSystems, SimTick, Spec};

    #[derive(Resource, Default)]
    struct Seen {
        checked: u64,
        wet_routes: u64,
    }

    fn check(spec: Res<Spec>, roads: Res<RoadState>, trucks: Query<(&Truck, &TruckState)>, mut seen: ResMut<Seen>) {
        let city = &spec.0.city;
        for (truck, st) in &trucks {
            let m = &st.motion;
            if m.waiting {
                continue;
            }
            let skip = usize::from(m.progress_m > 0.0);
            for &e in m.route.iter().skip(skip) {
                let s = city.segment_of(e);
                seen.checked += 1;
                if roads.depth(s) > 0.0 {
                    seen.wet_routes += 1;
                }
                assert!(
                    traverse_s(city, &roads, s, truck.vehicle).is_some(),
                    "{} plans segment {s} under {} m of water (wades {} m)",
                    truck.id,
                    roads.depth(s),
                    truck.vehicle.wading_m
                );
            }
        }
    }

    let spec = std::sync::Arc::new(
        tabletop::scenario::load(&root().join("scenarios/linqing/wei-levee-breach.ron"), None).unwrap(),
    );
    let mut app = tabletop::sim::build_app(spec);
    app.init_resource::<Seen>()
        .add_systems(SimTick, check.after(SimSystems::Journal));
    let steps = {
        let c = app.world().resource::<tabletop::sim::SimClock>();
        c.end.secs() / c.step.secs()
    };
    for _ in 0..steps {
        app.world_mut().run_schedule(SimTick);
    }
    let seen = app.world().resource::<Seen>();
    assert!(seen.checked > 10_000, "trucks drove: {}", seen.checked);
    assert!(seen.wet_routes > 0, "some routes run through shallow water");
}
