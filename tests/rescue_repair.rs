//! People trapped in rubble and the teams that free them; damaged roads and
//! the teams that repair them. Known answers on the test line map (11 nodes
//! `N0`–`N10`, 1 km apart, 40 km/h, the place "Depot" at `N0`), and the
//! priority of life safety over hazard control on the bundled old-town fire.

mod common;

use common::*;
use serde_json::Value;

fn events(r: &tabletop::report::RunResult) -> Vec<Value> {
    r.journal_jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn of<'a>(events: &'a [Value], kind: &'a str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

/// Run a scenario on the line map.
fn run_line(text: &str) -> tabletop::report::RunResult {
    let dir = line_map_dir();
    let path = dir.path().join("s.ron");
    std::fs::write(&path, text).unwrap();
    tabletop::run_file(&path, None).unwrap_or_else(|e| panic!("{e}"))
}

fn scenario(extra: &str) -> String {
    format!(
        r#"Scenario(
    name: "t",
    map: "line.ron",
    start: "2026-07-20 06:00",
    duration: "12h",
    seed: 3,
    depots: [(id: "d", place: "Depot", tier: Government, stock: (initial: 1000, basic: 1000))],
    fleet: [(depot: "d", trucks: 2, capacity_kg: 5000, capacity_m3: 20, ready: "0m")],
    {extra}
)"#
    )
}

/// A town team (mobilise 20 min, 2 h per two people) frees 4 people trapped
/// 10 km away (15 min at 40 km/h). Survival is certain for 3 h and nil after:
/// the first two, freed at 20 + 15 + 120 min = 2 h 35 min, live; the second
/// two, freed 2 h (and a step) later, are found dead — a death, not a rescue.
#[test]
fn a_rescue_after_the_survival_window_counts_a_death_not_a_rescue() {
    let r = run_line(&scenario(
        r#"impacts: [(at: "0h", area: Node("N10"), people: 10, trapped: 4)],
    rescue: (trapped_survival: [(0.0, 1.0), (3.0, 1.0), (3.01, 0.0)]),
    teams: [
        (id: "town", kind: Town, base: "Depot"),
        // Divers rescue from water only: they never dig.
        (id: "divers", kind: Volunteer, skills: [Diving], base: "Depot"),
    ],"#,
    ));
    let ev = events(&r);
    let freed = of(&ev, "Freed");
    assert_eq!(freed.len(), 2, "{freed:?}");
    assert_eq!(freed[0]["t"], 1200 + 900 + 7200);
    assert_eq!(
        (freed[0]["alive"].as_u64(), freed[0]["dead"].as_u64()),
        (Some(2), Some(0))
    );
    // Free again at the end of a step, called again at the next (1 min).
    assert_eq!(freed[1]["t"], 1200 + 900 + 7200 + 60 + 7200);
    assert_eq!(
        (freed[1]["alive"].as_u64(), freed[1]["dead"].as_u64()),
        (Some(0), Some(2))
    );
    assert!(freed.iter().all(|e| e["team"] == "town"));
    let t = r.report.people.trapped.as_ref().expect("people were trapped");
    assert_eq!(
        (t.trapped, t.freed_alive, t.found_dead, t.still_trapped_at_end),
        (4, 2, 2, 0)
    );
    // The survivors stay at home and get relief there; the dead do not.
    let town = r.report.people.teams.iter().find(|u| u.id == "town").unwrap();
    assert_eq!((town.trips, town.people), (2, 2));
    let divers = r.report.people.teams.iter().find(|u| u.id == "divers").unwrap();
    assert_eq!(divers.trips, 0);
}

/// With no team that can dig, trapped people stay trapped, and the report
/// says how many the survival curve still expects alive.
#[test]
fn without_a_rescue_team_the_trapped_stay_trapped() {
    let r = run_line(&scenario(
        r#"impacts: [(at: "0h", area: Node("N10"), people: 10, trapped: 4)],
    rescue: (trapped_survival: [(0.0, 1.0), (24.0, 0.5)]),
    teams: [(id: "bus", kind: Bus, base: "Depot")],"#,
    ));
    let t = r.report.people.trapped.as_ref().unwrap();
    assert_eq!((t.trapped, t.freed_alive, t.still_trapped_at_end), (4, 0, 4));
    // 12 h into a curve falling from 1 to 0.5 over 24 h: 0.75 of 4.
    assert!((t.still_trapped_expected_alive - 3.0).abs() < 1e-9, "{t:?}");
}

/// An embankment slip cuts the only road to N10 at 1 h. The repair team
/// (mobilise 30 min) drives 5 km to N5 (7.5 min at 40 km/h) and works 4 h:
/// the segment reopens at 1 h + 30 min + 7.5 min + 4 h. No truck reaches the
/// people beyond it before then.
#[test]
fn a_damaged_road_is_closed_to_everyone_until_a_repair_team_reopens_it() {
    let r = run_line(&scenario(
        r#"impacts: [(at: "1h", area: Node("N10"), people: 100)],
    injects: [(at: "1h", text: "slip", action: DamageRoads(Edge("N5", "N6")))],
    teams: [(id: "road", kind: RoadRepair, base: "Depot")],"#,
    ));
    let ev = events(&r);
    let reopened = 3600 + 1800 + 450 + 4 * 3600;
    let repaired = of(&ev, "RoadRepaired");
    assert_eq!(repaired.len(), 1);
    assert_eq!(repaired[0]["t"], reopened);
    assert_eq!(repaired[0]["team"], "road");
    let delivered = of(&ev, "Delivered");
    assert!(!delivered.is_empty(), "relief gets through after the repair");
    assert!(
        delivered.iter().all(|e| e["t"].as_i64().unwrap() > reopened),
        "a truck crossed the damaged segment"
    );
    let roads = r.report.people.roads.as_ref().expect("a road was damaged");
    assert_eq!((roads.damaged, roads.repaired, roads.still_damaged_at_end), (1, 1, 0));
    assert_eq!(roads.closed_h_median, Some(4.625));
    assert_eq!(roads.by_road[0].road, "X001");
}

/// Without a repair team the road stays damaged: the people beyond it get no
/// relief and the report says so.
#[test]
fn without_a_repair_team_the_damage_stays() {
    let r = run_line(&scenario(
        r#"impacts: [(at: "1h", area: Node("N10"), people: 100)],
    injects: [(at: "1h", text: "slip", action: DamageRoads(Edge("N5", "N6")))],"#,
    ));
    assert!(of(&events(&r), "Delivered").is_empty());
    let roads = r.report.people.roads.as_ref().unwrap();
    assert_eq!((roads.damaged, roads.repaired, roads.still_damaged_at_end), (1, 0, 1));
}

/// Trunk roads are repaired first: one team in the middle of the line (at
/// N5), two damaged segments — a county road 1 km away (N3–N4) and a national
/// road 3 km away (N8–N9). Nearest-first would take the county road; the
/// priority doctrine takes the national road first.
#[test]
fn repair_order_is_by_road_class_under_the_priority_doctrine() {
    let text = scenario(
        r#"injects: [(at: "1h", text: "slips", action: DamageRoads(Edge("N3", "N4"))),
              (at: "1h", text: "slips", action: DamageRoads(Edge("N8", "N9")))],
    teams: [(id: "road", kind: RoadRepair, base: "Depot", work: "1h")],"#,
    );
    let dir = line_map_dir();
    let map = std::fs::read_to_string(dir.path().join("line.ron")).unwrap();
    // Segment k joins N(k) and N(k+1); make segment 8 a national road.
    let parts: Vec<&str> = map.split("class: County").collect();
    assert_eq!(parts.len(), 11, "the line map's 10 segments are county roads");
    let mut edited = String::new();
    for (k, part) in parts.iter().enumerate() {
        edited.push_str(part);
        if k + 1 < parts.len() {
            edited.push_str(if k == 8 { "class: National" } else { "class: County" });
        }
    }
    // Move the depot (the team's base) to N5.
    let place = edited.find("name: \"Depot\"").expect("the line map has a depot");
    let node = place + edited[place..].find("node: 0").expect("the depot is at N0");
    edited.replace_range(node..node + "node: 0".len(), "node: 5");
    std::fs::write(dir.path().join("line.ron"), edited).unwrap();
    std::fs::write(dir.path().join("s.ron"), text).unwrap();
    let r = tabletop::run_file(&dir.path().join("s.ron"), None).unwrap();
    let ev = events(&r);
    let repaired: Vec<i64> = of(&ev, "RoadRepaired")
        .iter()
        .map(|e| e["segment"].as_i64().unwrap())
        .collect();
    assert_eq!(repaired, vec![8, 3], "the national road N8–N9 first");
}

/// Life safety before hazard control: in the old-town fire, people trapped
/// at the moment the fire starts take the nearest idle fire companies first;
/// the others go to the fire, and none of the companies digging was sent to
/// the fire before.
#[test]
fn fire_companies_free_trapped_people_before_they_fight_the_fire() {
    let r = tabletop::run_file(&root().join("scenarios/linqing/old-town-fire.ron"), None).unwrap();
    let ev = events(&r);
    let calls = of(&ev, "TeamCalled");
    let first_dig = calls
        .iter()
        .find(|e| e["hazard"].as_str().unwrap().starts_with("free trapped"))
        .expect("someone digs");
    let t0 = first_dig["t"].as_i64().unwrap();
    let diggers: Vec<&str> = calls
        .iter()
        .filter(|e| e["t"] == t0 && e["hazard"].as_str().unwrap().starts_with("free trapped"))
        .map(|e| e["team"].as_str().unwrap())
        .collect();
    assert!(
        diggers
            .iter()
            .any(|t| t.starts_with("special-service") || t.starts_with("xianfenglu")),
        "{diggers:?}"
    );
    for d in &diggers {
        assert!(
            !calls
                .iter()
                .any(|e| e["team"] == *d && e["hazard"] == "old-town" && e["t"].as_i64().unwrap() <= t0),
            "{d} went to the fire first"
        );
    }
    assert!(
        calls.iter().any(|e| e["hazard"] == "old-town" && e["t"] == t0),
        "the other companies go to the fire at once"
    );
    let t = r.report.people.trapped.as_ref().unwrap();
    assert_eq!(t.trapped, t.freed_alive + t.found_dead + t.still_trapped_at_end);
    assert!(t.freed_alive > 0);
}

/// Fire companies on a long fire rest after their shift: with 3 h shifts and
/// 2 h rests in the old-town fire, companies leave the fire line after 3 h of
/// duty, rest 2 h at their station without a call, and the fire still gets
/// put out by the others.
#[test]
fn fire_companies_rest_after_their_shift_and_fresh_ones_take_over() {
    let text = std::fs::read_to_string(root().join("scenarios/linqing/old-town-fire.ron"))
        .unwrap()
        .replace(
            "map: \"linqing\"",
            &format!("map: {:?}", root().join("assets/maps/linqing.ron")),
        )
        .replace("kind: FireRescue, ", "kind: FireRescue, shift: \"3h\", rest: \"2h\", ");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fire.ron");
    std::fs::write(&path, text).unwrap();
    let r = tabletop::run_file(&path, None).unwrap();
    let ev = events(&r);
    let rests = of(&ev, "TeamResting");
    assert!(!rests.is_empty(), "a 3 h shift on an 11 h fire ends in rest");
    let calls = of(&ev, "TeamCalled");
    for rest in &rests {
        let team = rest["team"].as_str().unwrap();
        let (t, until) = (rest["t"].as_i64().unwrap(), rest["until"].as_i64().unwrap());
        assert_eq!(until - t, 2 * 3600, "{rest}");
        let first = calls
            .iter()
            .filter(|c| c["team"] == team && c["t"].as_i64().unwrap() <= t)
            .map(|c| c["t"].as_i64().unwrap())
            .min()
            .expect("a team rests after it was called");
        assert!(t - first >= 3 * 3600, "{team} rested {t} after a call at {first}");
        assert!(
            !calls
                .iter()
                .any(|c| c["team"] == team && (t..until).contains(&c["t"].as_i64().unwrap())),
            "{team} was called while resting"
        );
    }
    assert!(
        r.report.hazards.fires[0].out_at_h.is_some(),
        "the fire is still put out"
    );
    assert!(r.report.hazards.teams.iter().any(|t| t.rests > 0));
}
