//! Every kind of bad input is refused with exit status 2 and a message naming
//! the file, line, column, field and what was expected — never a panic.

mod common;

use common::*;

const GOOD: &str = r#"// A good scenario on the test line map.
Scenario(
    name: "good",
    map: "line.ron",
    start: "2026-07-20 06:00",
    duration: "12h",
    seed: 7,
    depots: [
        (id: "d", place: "Depot", tier: Government, stock: (initial: 1000, basic: 1000)),
        (id: "shop", place: "Depot", tier: Commercial(activation: "2h"), stock: (initial: 10)),
    ],
    fleet: [(depot: "d", trucks: 1, capacity_kg: 5000, capacity_m3: 20)],
    impacts: [(at: "0h", area: Node("N10"), people: 100)],
    injects: [(id: "a", at: "1h", text: "road works", action: SlowRoads(Road("X001"), 0.5))],
)
"#;

/// Write `text` as `bad.ron`, validate it, and check exit 2 + every `expect`ed
/// fragment in stderr.
fn refused(text: &str, expect: &[&str]) -> String {
    let dir = line_map_dir();
    std::fs::write(dir.path().join("bad.ron"), text).unwrap();
    for cmd in [vec!["validate", "bad.ron"], vec!["run", "bad.ron", "--out", "o"]] {
        let out = tabletop(dir.path(), &cmd);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let ctx = describe(&cmd, &out);
        assert_eq!(out.status.code(), Some(2), "{ctx}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
            "{ctx}"
        );
        for e in expect {
            assert!(stderr.contains(e), "expected {e:?} in stderr\n{ctx}");
        }
        assert!(
            !dir.path().join("o").exists(),
            "nothing is written for a refused scenario"
        );
    }
    let out = tabletop(dir.path(), &["validate", "bad.ron"]);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn edit(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "fixture does not contain {from:?}");
    GOOD.replacen(from, to, 1)
}

#[test]
fn the_good_fixture_is_accepted() {
    let dir = line_map_dir();
    std::fs::write(dir.path().join("good.ron"), GOOD).unwrap();
    let (stdout, _) = expect_status(dir.path(), &["validate", "good.ron"], 0);
    assert!(stdout.contains("ok: good.ron"));
}

#[test]
fn ron_syntax_error() {
    refused(&edit("seed: 7,", "seed: 7"), &["bad.ron:8:5", "comma"]);
}

#[test]
fn unknown_field() {
    refused(
        &edit("seed: 7,", "seed: 7,\n    sead: 8,"),
        &["bad.ron:8:5", "unknown field `sead`", "expected one of"],
    );
}

#[test]
fn missing_field() {
    refused(&edit("    seed: 7,\n", ""), &["bad.ron:", "missing field `seed`"]);
}

#[test]
fn wrong_type() {
    refused(
        &edit("seed: 7,", "seed: \"seven\","),
        &["bad.ron:7:11", "seed", "expected"],
    );
}

#[test]
fn negative_quantity() {
    refused(
        &edit("people: 100", "people: -100"),
        &["bad.ron:13:", "impacts[0].people"],
    );
}

#[test]
fn absurd_quantity() {
    refused(
        &edit("people: 100", "people: 100000000"),
        &["bad.ron:13:53", "impacts[0].people", "absurd"],
    );
    refused(
        &edit("capacity_kg: 5000", "capacity_kg: 500000"),
        &[
            "bad.ron:12:50",
            "fleet[0].capacity_kg",
            "expected a positive number up to 49000",
        ],
    );
    refused(
        &edit("0.5)", "1.5)"),
        &["bad.ron:14:", "injects[0].action.1", "between 0 and 1"],
    );
}

#[test]
fn unknown_place_node_zone_and_road() {
    let s = refused(
        &edit("place: \"Depot\"", "place: \"Depto\""),
        &[
            "bad.ron:9:26",
            "depots[0].place",
            "\"Depto\" is not a place on the map",
            "hint: did you mean \"Depot\"?",
        ],
    );
    assert!(s.contains("hint"));
    refused(
        &edit("Node(\"N10\")", "Node(\"N99\")"),
        &["bad.ron:13:", "impacts[0].area.0", "\"N99\" is not a node"],
    );
    refused(
        &edit("Node(\"N10\")", "Zone(\"Atlantis\")"),
        &["impacts[0].area.0", "\"Atlantis\" is not a zone"],
    );
    refused(
        &edit("Road(\"X001\")", "Road(\"G999\")"),
        &["injects[0].action.0.0", "no road named \"G999\"", "named roads: X001"],
    );
}

#[test]
fn times_outside_the_run_and_bad_times() {
    refused(
        &edit("at: \"1h\"", "at: \"13h\""),
        &["bad.ron:14:29", "injects[0].at", "outside the run"],
    );
    refused(
        &edit("at: \"1h\"", "at: \"2026-07-19 08:00\""),
        &["injects[0].at", "22.0 h before"],
    );
    refused(
        &edit("at: \"1h\"", "at: \"soon\""),
        &["injects[0].at", "expected a time"],
    );
    refused(
        &edit("duration: \"12h\"", "duration: \"12 hours\""),
        &["bad.ron:6:15", "duration", "expected a duration like"],
    );
    refused(
        &edit("activation: \"2h\"", "activation: \"20h\""),
        &["depots[1].tier.activation", "outside the run"],
    );
}

#[test]
fn duplicate_ids() {
    refused(
        &edit("(id: \"shop\"", "(id: \"d\""),
        &["bad.ron:10:14", "depots[1].id", "duplicate depot id \"d\""],
    );
    let two = edit(
        "injects: [(id: \"a\"",
        "injects: [(id: \"a\", at: \"2h\", action: Note), (id: \"a\"",
    );
    refused(&two, &["injects[1].id", "duplicate inject id \"a\""]);
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let text = edit("place: \"Depot\"", "place: \"Nowhere\"").replace("Node(\"N10\")", "Node(\"N77\")");
    let s = refused(&text, &["depots[0].place", "impacts[0].area.0", "problems found"]);
    assert!(s.lines().filter(|l| l.contains("bad.ron:")).count() >= 2, "{s}");
}

#[test]
fn unreadable_and_missing_files() {
    let dir = line_map_dir();
    let (_, err) = expect_status(dir.path(), &["validate", "nope.ron"], 2);
    assert!(err.contains("cannot read nope.ron"), "{err}");
    std::fs::write(dir.path().join("nomap.ron"), GOOD.replace("line.ron", "atlantis")).unwrap();
    let (_, err) = expect_status(dir.path(), &["validate", "nomap.ron"], 2);
    assert!(err.contains("nomap.ron:4:10: map: no map named \"atlantis\""), "{err}");
}

#[test]
fn layout_errors_point_into_the_layout_file() {
    let dir = line_map_dir();
    std::fs::write(dir.path().join("good.ron"), GOOD).unwrap();
    // A depot far outside the map (lat/lon swapped).
    std::fs::write(
        dir.path().join("off.ron"),
        "Layout(\n    name: \"off\",\n    depots: [\n        (id: \"d\", at: (lat: 115.71, lon: 36.84), tier: Government),\n    ],\n)\n",
    )
    .unwrap();
    let (_, err) = expect_status(dir.path(), &["validate", "good.ron", "--layout", "off.ron"], 2);
    assert!(
        err.contains("off.ron:4:23: depots[0].at:") && err.contains("off the map"),
        "{err}"
    );
    assert!(err.contains("lat and lon are not swapped"), "{err}");
    // A layout without the scenario's fleet depot.
    std::fs::write(
        dir.path().join("other.ron"),
        "Layout(name: \"x\", depots: [(id: \"z\", place: \"Depot\", tier: Government)])\n",
    )
    .unwrap();
    let (_, err) = expect_status(dir.path(), &["run", "good.ron", "--layout", "other.ron"], 2);
    assert!(
        err.contains("good.ron:12:") && err.contains("fleet[0].depot: no depot with id \"d\""),
        "{err}"
    );
    assert!(err.contains("give the layout a `fleet`"), "{err}");
    // A good layout runs.
    std::fs::write(
        dir.path().join("ok.ron"),
        "Layout(name: \"ok\", depots: [(id: \"d\", place: \"Depot\", tier: Government, stock: (initial: 5))])\n",
    )
    .unwrap();
    expect_status(
        dir.path(),
        &["run", "good.ron", "--layout", "ok.ron", "--out", "o", "--quiet"],
        0,
    );
    let report = std::fs::read_to_string(dir.path().join("o/report.json")).unwrap();
    assert!(report.contains("\"layout\": \"ok\""));
}

#[test]
fn failed_run_keeps_earlier_results() {
    let dir = line_map_dir();
    std::fs::write(dir.path().join("good.ron"), GOOD).unwrap();
    expect_status(dir.path(), &["run", "good.ron", "--out", "o", "--quiet"], 0);
    let before = std::fs::read(dir.path().join("o/report.json")).unwrap();
    std::fs::write(dir.path().join("good.ron"), GOOD.replace("seed: 7,", "seed: 7")).unwrap();
    expect_status(dir.path(), &["run", "good.ron", "--out", "o"], 2);
    assert_eq!(std::fs::read(dir.path().join("o/report.json")).unwrap(), before);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("o"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn garbage_files_never_panic() {
    for text in [
        "",
        "(",
        "Scenario(",
        "\u{feff}Scenario()",
        "[1, 2, 3]",
        "Scenario(name: \"x\", map: \"line.ron\", start: 5)",
        "/* unclosed",
        "\"unterminated",
    ] {
        let dir = line_map_dir();
        std::fs::write(dir.path().join("g.ron"), text).unwrap();
        let out = tabletop(dir.path(), &["validate", "g.ron"]);
        let ctx = describe(&["validate", "g.ron"], &out);
        assert_eq!(out.status.code(), Some(2), "{ctx}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("g.ron"), "{ctx}");
    }
}

#[test]
fn bad_hazards_and_weather_are_refused() {
    let with = |hazards: &str| GOOD.replace("    injects:", &format!("    {hazards}\n    injects:"));
    refused(
        &with(r#"hazards: [Breach(id: "b", at: Node("N3"), start: "1h", inflow_m3_s: [("2h", 10), ("1h", 20)])],"#),
        &["hazards[0].inflow_m3_s[1].0", "times must not go back"],
    );
    refused(
        &with(
            r#"hazards: [Release(id: "r", chemical: "kryptonite", at: Place("Depot"), start: "1h", rate_kg_s: 1, duration: "10m")],"#,
        ),
        &[
            "hazards[0].chemical",
            "unknown chemical \"kryptonite\"",
            "known: chlorine",
        ],
    );
    refused(
        &with(r#"weather: (wind_m_s: 3, wind_from_deg: 400),"#),
        &["weather.wind_from_deg", "0 to 360"],
    );
    refused(
        &with(
            r#"hazards: [Release(id: "r", chemical: "chlorine", at: Place("Depot"), start: "1h", rate_kg_s: 1, mass_kg: 50)],"#,
        ),
        &[
            "hazards[0]: a release needs one source",
            "rate_kg_s with duration, or tank, or mass_kg",
        ],
    );
    refused(
        &with(
            r#"hazards: [Release(id: "r", chemical: "phosgene", at: Place("Depot"), start: "1h", tank: (hole_mm: 10, inventory_kg: 100))],"#,
        ),
        &[
            "hazards[0].tank: the chemicals file gives no liquid density for \"phosgene\"",
            "add liquid_density_kg_m3",
        ],
    );
    // The test map has no terrain rasters: a valid breach is refused with a hint.
    refused(
        &with(r#"hazards: [Breach(id: "b", at: Node("N3"), start: "1h", inflow_m3_s: [("0", 10)])],"#),
        &["hazards: hazards need the map's terrain", "NAME-dem.asc"],
    );
}

#[test]
fn bad_teams_spot_fires_and_rain_zones_are_refused() {
    let with = |extra: &str| GOOD.replace("    injects:", &format!("    {extra}\n    injects:"));
    refused(
        &with(
            r#"teams: [(id: "e", kind: FireRescue, base: "Fire Stasion"), (id: "e", kind: Hazmat, base: "Depot", count: 0, rate_m2_per_h: 100)],"#,
        ),
        &[
            "teams[0].base: \"Fire Stasion\" is not a place on the map",
            "teams[1].id: duplicate team id \"e\"",
            "teams[1].count: expected 1 to 1000 teams, found 0",
            "teams[1].rate_m2_per_h: only FireRescue teams put out fires",
        ],
    );
    refused(
        &GOOD.replace(
            r#"action: SlowRoads(Road("X001"), 0.5))"#,
            r#"action: SpotFire("blaze", Node("N3")))"#,
        ),
        &["injects[0].action.0: no fire with id \"blaze\""],
    );
    refused(
        &with(r#"weather: (rain_mm_h: [("0h", 5)], rain_zones: ["Atlantis"]),"#),
        &["weather.rain_zones[0]: \"Atlantis\" is not a zone on the map"],
    );
    refused(
        &GOOD.replace(
            r#"action: SlowRoads(Road("X001"), 0.5))"#,
            r#"action: Rain(mm_h: [("1h", 5), ("0h", 9000)]))"#,
        ),
        &[
            "injects[0].action.mm_h[1].0",
            "times must not go back",
            "injects[0].action.mm_h[1].1",
        ],
    );
}

#[test]
fn bad_evacuation_rescue_medical_and_people_movers_are_refused() {
    let with = |extra: &str| GOOD.replace("    injects:", &format!("    {extra}\n    injects:"));
    refused(
        &with(
            r#"evacuation: Some((refuse_share: 1.5)), rescue: (survival: [(0, 1.0), (5, 0.5), (2, 0.1)]), medical: Some((red_share: 0.7, yellow_share: 0.5)),"#,
        ),
        &[
            "evacuation.refuse_share: expected a number from 0 to 1",
            "the map has no shelters with a usable area",
            "rescue.survival: point 2: hours must increase, found 2 after 5",
            "medical.yellow_share: red_share + yellow_share must be at most 1",
            "the map has no hospitals with beds",
        ],
    );
    refused(
        &with(
            r#"teams: [(id: "a", kind: Ambulance, base: "Depot", water_kmh: 10), (id: "f", kind: FireRescue, base: "Depot", rest: "a while"), (id: "b", kind: Bus, base: "Depot", seats: 0, shift: "0m")],"#,
        ),
        &[
            "teams[0].water_kmh: only Boat teams and Volunteer teams with Diving move on water",
            "teams[1].rest:",
            "teams[2].seats: expected 1 to 200 people per trip, found 0",
            "teams[2].shift: expected a shift longer than zero",
        ],
    );
}

#[test]
fn bad_rescue_teams_trapped_people_and_road_damage_are_refused() {
    let with = |extra: &str| GOOD.replace("    injects:", &format!("    {extra}\n    injects:"));
    refused(
        &with(
            r#"teams: [(id: "v", kind: Volunteer, base: "Depot"), (id: "b", kind: Bus, base: "Depot", skills: [Rope]), (id: "boat", kind: Boat, base: "Depot", work: "1h"), (id: "r", kind: RoadRepair, base: "Depot", seats: 3)], road_damage: Some((flood_depth_m: -1)), rescue: (trapped_survival: [(0, 1.0), (5, 1.5)]),"#,
        ),
        &[
            "teams[0].skills: a volunteer team needs at least one skill",
            "skills: [Diving] (boat rescue)",
            "teams[1].skills: only Volunteer teams list skills",
            "teams[2].work: only Hazmat, rescue",
            "teams[3].seats: only Boat, Bus, Ambulance and rescue teams",
            "road_damage.flood_depth_m",
            "rescue.trapped_survival: point 1",
        ],
    );
    refused(
        &edit(
            r#"impacts: [(at: "0h", area: Node("N10"), people: 100)],"#,
            r#"impacts: [(at: "0h", area: Node("N10"), people: 100, trapped: 101)],"#,
        ),
        &["impacts[0].trapped: expected at most the impact's 100 people, found 101"],
    );
    refused(
        &GOOD.replace(
            r#"action: SlowRoads(Road("X001"), 0.5))"#,
            r#"action: DamageRoads(Road("X999")))"#,
        ),
        &["injects[0].action.0", "X999"],
    );
    refused(
        &with(r#"teams: [(id: "v", kind: Volunteer, skills: [Swimming], base: "Depot")],"#),
        &["Swimming", "Diving", "Rope", "Demolition"],
    );
}
