//! Scenarios whose answers are known by hand, conservation, and determinism.

mod common;

use common::*;

/// One depot at N0, one group of 100 at N10 (10 km of 40 km/h county road), one
/// 5 t truck. Hand computation (default items and handling):
/// - cargo: 100 kits × 4 kg + 100 sets × 31 kg = 3.5 t (fits 5 t and 20 m³);
/// - loading 10 min + 4 min/t × 3.5 t = 24 min = 1 440 s;
/// - driving 10 km at 40 km/h = 900 s;
/// - unloading 10 min + 8 min/t × 3.5 t = 38 min = 2 280 s;
/// - relief at 1 440 + 900 + 2 280 = 4 620 s = 1.283 h, for everyone, both kinds.
const ONE_TRUCK: &str = r#"Scenario(
    name: "one depot, one group",
    map: "line.ron",
    start: "2026-07-20 06:00",
    duration: "12h",
    seed: 7,
    depots: [(id: "d", place: "Depot", tier: Government, stock: (initial: 1000, basic: 1000))],
    fleet: [(depot: "d", trucks: 1, capacity_kg: 5000, capacity_m3: 20)],
    impacts: [(at: "0h", area: Node("N10"), people: 100)],
)"#;

fn run_in(dir: &std::path::Path, scenario: &str, name: &str) -> serde_json::Value {
    std::fs::write(dir.join(name), scenario).unwrap();
    let out = format!("out-{name}");
    expect_status(dir, &["run", name, "--out", &out, "--quiet"], 0);
    let text = std::fs::read_to_string(dir.join(&out).join("report.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn one_depot_one_group_known_relief_time() {
    let dir = line_map_dir();
    let r = run_in(dir.path(), ONE_TRUCK, "one.ron");
    let s = &r["score"];
    assert_eq!(s["affected_people"], 100);
    assert_eq!(s["initial_relief_within_target"], 1.0);
    assert_eq!(s["basic_relief_within_target"], 1.0);
    for kind in ["initial_relief_hours", "basic_relief_hours"] {
        for p in ["p50", "p90", "max"] {
            assert_eq!(s[kind][p], 1.283, "{kind}.{p} in {r:#}");
        }
    }
    assert_eq!(s["unmet_people_at_end"], 0);
    assert_eq!(r["reserves"][0]["kits_issued"], 200);
    assert_eq!(r["fleet"]["deliveries"], 1);
    // Out 10 km and back 10 km.
    assert_eq!(r["fleet"]["km_driven"], 20.0);
}

#[test]
fn a_road_closed_ahead_strands_the_group_and_reopening_frees_it() {
    // The only road N5–N6 is closed at 0h and reopens at 3h: nothing can reach
    // N10 until then, the group is counted as unreachable for 3 h, then served.
    let scenario = ONE_TRUCK.replace(
        "impacts:",
        r#"injects: [
        (at: "0h", action: CloseRoads(Edge("N5", "N6"))),
        (at: "3h", action: OpenRoads(Edge("N5", "N6"))),
    ],
    impacts:"#,
    );
    let dir = line_map_dir();
    let r = run_in(dir.path(), &scenario, "closed.ron");
    assert_eq!(r["unreachable"]["groups"], 1);
    assert_eq!(r["unreachable"]["max_hours"], 3.0);
    // Dispatched at 3h: 3 h + 1.283 h.
    assert_eq!(r["score"]["initial_relief_hours"]["max"], 4.283);
}

#[test]
fn a_truck_on_the_road_reroutes_or_waits_when_the_road_ahead_closes() {
    // The truck leaves at 0h24 (1 440 s); at the 0h30 closure it has driven
    // 360 s × 11.1 m/s = 4 km and stands at N4. No route remains, so it waits at
    // N4; the road reopens at 2h and it drives the last 6 km.
    let scenario = ONE_TRUCK.replace(
        "impacts:",
        r#"injects: [
        (at: "30m", action: CloseRoads(Edge("N5", "N6"))),
        (at: "2h", action: OpenRoads(Edge("N5", "N6"))),
    ],
    impacts:"#,
    );
    let dir = line_map_dir();
    let r = run_in(dir.path(), &scenario, "midroute.ron");
    // 7 200 s + 6 km at 40 km/h (540 s) + 2 280 s unloading = 10 020 s = 2.783 h.
    assert_eq!(r["score"]["initial_relief_hours"]["max"], 2.783, "{r:#}");
    let journal = std::fs::read_to_string(dir.path().join("out-midroute.ron/journal.jsonl")).unwrap();
    assert!(journal.contains("\"event\":\"NoRoute\""), "{journal}");
}

#[test]
fn conservation_and_no_one_served_twice() {
    // Scarce stock, several groups, two depots, production and an inject adding stock.
    let scenario = r#"Scenario(
    name: "conservation",
    map: "line.ron",
    start: "2026-07-20 06:00",
    duration: "48h",
    seed: 3,
    depots: [
        (id: "d", place: "Depot", tier: Government, stock: (initial: 150, basic: 40)),
        (id: "f", at: (lat: 36.84, lon: 115.78), tier: Enterprise(lead_time: "5h", initial_per_h: 13.7, basic_per_h: 2.5)),
    ],
    households: (share: 0.2),
    fleet: [(depot: "d", trucks: 3, capacity_kg: 2000, capacity_m3: 10)],
    impacts: [
        (at: "0h", area: Node("N4"), people: 120),
        (at: "1h", area: Node("N9"), people: 80),
        (at: "2h", area: Zone("Centre"), people: 333),
    ],
    injects: [(at: "10h", action: AddStock(depot: "d", stock: (initial: 50, basic: 50)))],
)"#;
    let dir = line_map_dir();
    let r = run_in(dir.path(), scenario, "cons.ron");
    let affected = r["score"]["affected_people"].as_u64().unwrap();
    assert_eq!(affected, 533);
    let mut issued = 0;
    for d in r["reserves"].as_array().unwrap() {
        if d["tier"] == "household" {
            continue;
        }
        let f = |k: &str, i: &str| d[k][i].as_u64().unwrap();
        for item in ["initial", "basic"] {
            let issued_k = d[format!("{item}_issued")].as_u64().unwrap();
            // Ledger: stock_end + issued = start + produced + received.
            assert_eq!(
                f("stock_end", item) + issued_k,
                f("stock_start", item) + f("produced", item) + f("received", item),
                "ledger of {} for {item}",
                d["depot"]
            );
        }
        issued += d["kits_issued"].as_u64().unwrap();
    }
    // Delivered items (from the journal) never exceed issued items, and no group
    // gets more than its people of either kind.
    let journal = std::fs::read_to_string(dir.path().join("out-cons.ron/journal.jsonl")).unwrap();
    let mut per_group: std::collections::BTreeMap<u64, (u64, u64, u64)> = Default::default();
    let mut delivered = 0;
    for line in journal.lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        match e["event"].as_str().unwrap() {
            "Affected" => {
                let g = per_group.entry(e["group"].as_u64().unwrap()).or_default();
                g.0 = e["people"].as_u64().unwrap();
                g.1 += e["household_covered"].as_u64().unwrap();
            }
            "Delivered" => {
                let g = per_group.entry(e["group"].as_u64().unwrap()).or_default();
                let (i, b) = (e["initial"].as_u64().unwrap(), e["basic"].as_u64().unwrap());
                g.1 += i;
                g.2 += b;
                delivered += i + b;
            }
            _ => {}
        }
    }
    assert!(delivered <= issued, "delivered {delivered} > issued {issued}");
    for (g, (people, ini, bas)) in per_group {
        assert!(
            ini <= people && bas <= people,
            "group {g}: {people} people got {ini} kits and {bas} sets"
        );
    }
    let unmet = r["score"]["unmet_people_at_end"].as_u64().unwrap();
    assert!(unmet > 0, "stock is scarce: someone must go without");
}

#[test]
fn same_scenario_twice_gives_identical_bytes() {
    let dir = line_map_dir();
    let scenario = ONE_TRUCK.replace("trucks: 1", "trucks: 2").replace(
        "impacts: [",
        r#"households: (share: 0.3),
    impacts: [(at: "1h", area: Zone("Centre"), people: 900),"#,
    );
    std::fs::write(dir.path().join("det.ron"), &scenario).unwrap();
    for out in ["a", "b"] {
        expect_status(dir.path(), &["run", "det.ron", "--out", out, "--quiet"], 0);
    }
    for f in ["report.json", "journal.jsonl", "timeline.csv", "report.html"] {
        let a = std::fs::read(dir.path().join("a").join(f)).unwrap();
        let b = std::fs::read(dir.path().join("b").join(f)).unwrap();
        assert!(a == b, "{f} differs between two runs");
    }
}

#[test]
fn a_truck_reroutes_around_a_closure_ahead() {
    // 5×2 grid, 1 km spacing, 40 km/h (90 s/km). Depot at N0 (bottom left), group
    // at N4 (bottom right). The truck leaves at 1 440 s along the bottom row; at
    // 1 560 s (1.33 km out, on N1→N2) the edge N3–N4 ahead closes. It finishes
    // N1→N2, then goes up and along the top: N2-N7-N8-N9-N4. Total driving:
    // 2 km (N0→N2) + 1 (up) + 2 (top) + 1 (down) = 6 km = 540 s.
    // Relief: 1 440 + 540 + 2 280 = 4 260 s = 1.183 h.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("grid.ron"),
        tabletop::testkit::grid_city_ron(5, 2, 1000.0),
    )
    .unwrap();
    let scenario = ONE_TRUCK
        .replace("line.ron", "grid.ron")
        .replace("duration: \"12h\",", "duration: \"12h\",\n    step: \"30s\",")
        .replace("Node(\"N10\")", "Node(\"N4\")")
        .replace(
            "impacts:",
            "injects: [(at: \"26m\", action: CloseRoads(Edge(\"N3\", \"N4\")))],\n    impacts:",
        );
    let r = run_in(dir.path(), &scenario, "reroute.ron");
    assert_eq!(r["score"]["initial_relief_hours"]["max"], 1.183, "{r:#}");
    let journal = std::fs::read_to_string(dir.path().join("out-reroute.ron/journal.jsonl")).unwrap();
    assert!(journal.contains("\"event\":\"Rerouted\""), "{journal}");
}

#[test]
fn community_station_hands_out_locally_after_its_delay_at_its_rate() {
    // No trucks at all: only the community station in the group's zone serves.
    // 120 people, delay 1 h, 60 people/h ⇒ initial kits from 1 h; the 120th
    // person at 1 h + 119/60 h (one step's staff time per minute) ≈ 2.98 h.
    let scenario = r#"Scenario(
    name: "community only",
    map: "line.ron",
    start: "2026-07-20 06:00",
    duration: "6h",
    seed: 1,
    depots: [(id: "st", place: "Depot", tier: Community(local_delay: "1h", people_per_h: 60), stock: (initial: 500, basic: 0))],
    fleet: [],
    impacts: [(at: "0h", area: Node("N3"), people: 120)],
)"#;
    let dir = line_map_dir();
    let r = run_in(dir.path(), scenario, "community.ron");
    let h = &r["score"]["initial_relief_hours"];
    assert_eq!(h["p50"], 1.983, "{r:#}");
    assert_eq!(h["max"], 2.983, "{r:#}");
    assert_eq!(r["score"]["unmet_people_at_end"], 120, "the station has no basic sets");
    assert_eq!(r["tiers"][3]["tier"], "community");
    assert_eq!(r["tiers"][3]["initial"], 120);
}

#[test]
fn commercial_stock_waits_for_activation_and_production_for_its_lead_time() {
    // Same geometry as the one-truck case, but the only stock is commercial,
    // activated at 2 h: relief at 2 h + 1.283 h.
    let commercial = ONE_TRUCK.replace("tier: Government", "tier: Commercial(activation: \"2h\")");
    let dir = line_map_dir();
    let r = run_in(dir.path(), &commercial, "commercial.ron");
    assert_eq!(r["score"]["initial_relief_hours"]["max"], 3.283, "{r:#}");
    // Enterprise: nothing in stock, 6 000 kits/h and sets/h from 3 h, i.e. 100 of
    // each in the first 1-minute step; production runs before dispatch in the
    // tick, so the truck loads the same 100 + 100 at 3 h: relief at 3 h + 1.283 h.
    let factory = ONE_TRUCK.replace(
        "tier: Government, stock: (initial: 1000, basic: 1000)",
        "tier: Enterprise(lead_time: \"3h\", initial_per_h: 6000, basic_per_h: 6000)",
    );
    let r = run_in(dir.path(), &factory, "factory.ron");
    assert_eq!(r["score"]["initial_relief_hours"]["max"], 4.283, "{r:#}");
    assert_eq!(
        r["reserves"][0]["produced"]["initial"].as_u64().unwrap() % 100,
        0,
        "6000/h = 100 per minute"
    );
}
