//! The drill's command layer without a window: a script of facilitator
//! commands drives a run; the journal records them; `replay` gives the same
//! files byte for byte; bad commands get errors that point into the script.

mod common;

use common::{expect_status, root};

const SCRIPT: &str = r#"Script(commands: [
    // The facilitator drops the washed-out county road and holds the provincial convoy back.
    (at: "2h", command: Skip("x006-cut")),
    (at: "2h", command: Delay("province", "60h")),
    // An improvised inject: the national road through the west is closed by a landslip.
    (at: "5h30m", command: Inject((id: Some("g308-slip"), at: "0h", text: "Landslip on G308.", action: CloseRoads(Road("G308"))))),
    // The request to the province goes out early.
    (at: "6h", command: Deliver("province-request")),
])"#;

fn scenario() -> std::path::PathBuf {
    root().join("scenarios/linqing/reserves-stretched.ron")
}

#[test]
fn a_scripted_drill_is_journaled_and_replays_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("script.ron"), SCRIPT).unwrap();
    let s = scenario();
    expect_status(
        d,
        &[
            "drill",
            s.to_str().unwrap(),
            "--script",
            "script.ron",
            "--out",
            "drill",
            "--quiet",
        ],
        0,
    );
    let journal = std::fs::read_to_string(d.join("drill/journal.jsonl")).unwrap();
    let events: Vec<serde_json::Value> = journal.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let commands: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] == "Command").collect();
    assert_eq!(commands.len(), 4);
    assert_eq!(commands[0]["t"], 7200);
    assert_eq!(commands[2]["t"], 19800);
    let inject = |id: &str| events.iter().find(|e| e["event"] == "Inject" && e["id"] == id);
    assert!(inject("x006-cut").is_none(), "skipped");
    assert_eq!(
        inject("g308-slip").unwrap()["t"],
        19800,
        "improvised, delivered at once"
    );
    assert_eq!(
        inject("province-request").unwrap()["t"],
        21600,
        "delivered early (scripted at 12 h)"
    );
    assert_eq!(inject("province").unwrap()["t"], 216000, "delayed from 40 h to 60 h");
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "RoadsChanged" && e["t"] == 19800 && e["state"] == "Closed")
    );

    // Replay from the record, from another folder: every file identical.
    let other = tempfile::tempdir().unwrap();
    let record = d.join("drill/drill.ron");
    expect_status(
        other.path(),
        &["replay", record.to_str().unwrap(), "--out", "again", "--quiet"],
        0,
    );
    for f in [
        "report.json",
        "timeline.csv",
        "journal.jsonl",
        "report.html",
        "map.geojson",
        "drill.ron",
    ] {
        let a = std::fs::read(d.join("drill").join(f)).unwrap();
        let b = std::fs::read(other.path().join("again").join(f)).unwrap();
        assert!(a == b, "{f} differs between the drill and its replay");
    }

    // Without commands the run is the plain run.
    std::fs::write(d.join("empty.ron"), "Script(commands: [])").unwrap();
    expect_status(
        d,
        &[
            "drill",
            s.to_str().unwrap(),
            "--script",
            "empty.ron",
            "--out",
            "empty",
            "--quiet",
        ],
        0,
    );
    expect_status(d, &["run", s.to_str().unwrap(), "--out", "plain", "--quiet"], 0);
    for f in ["report.json", "journal.jsonl"] {
        assert_eq!(
            std::fs::read(d.join("empty").join(f)).unwrap(),
            std::fs::read(d.join("plain").join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn refused_commands_point_into_the_script() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = scenario();
    let cases = [
        (
            "Script(commands: [\n  (at: \"1h\", command: Skip(\"no-such\")),\n])",
            "script.ron:2:",
            "no pending inject \"no-such\"",
        ),
        (
            "Script(commands: [\n  (at: \"50h\", command: Delay(\"province\", \"45h\")),\n])",
            "commands[0].command",
            "before now",
        ),
        (
            "Script(commands: [\n  (at: \"1h\", command: Inject((at: \"0h\", action: CloseRoads(Road(\"G999\"))))),\n])",
            "commands[0].command.action",
            "G999",
        ),
        (
            "Script(commands: [\n  (at: \"2h\", command: Skip(\"x006-cut\")),\n  (at: \"1h\", command: Skip(\"province\")),\n])",
            "commands[1].at",
            "time order",
        ),
    ];
    for (script, place, what) in cases {
        std::fs::write(d.join("script.ron"), script).unwrap();
        let (_, err) = expect_status(
            d,
            &["drill", s.to_str().unwrap(), "--script", "script.ron", "--out", "o"],
            2,
        );
        assert!(err.contains(place) && err.contains(what), "{script}\n→ {err}");
    }
    assert!(!d.join("o").exists(), "a refused drill writes nothing");
}

#[test]
fn a_changed_scenario_is_not_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let copy = d.join("scenario.ron");
    std::fs::copy(scenario(), &copy).unwrap();
    std::fs::write(
        d.join("script.ron"),
        "Script(commands: [(at: \"1h\", command: Skip(\"x006-cut\"))])",
    )
    .unwrap();
    expect_status(
        d,
        &[
            "drill",
            "scenario.ron",
            "--script",
            "script.ron",
            "--out",
            "o",
            "--quiet",
        ],
        0,
    );
    let text = std::fs::read_to_string(&copy)
        .unwrap()
        .replace("seed: 724", "seed: 725");
    std::fs::write(&copy, text).unwrap();
    let (_, err) = expect_status(d, &["replay", "o/drill.ron", "--out", "r"], 2);
    assert!(err.contains("has changed since the drill"), "{err}");
}

/// The chlorine drill's expected actions: met, late and met in the plain run;
/// a facilitator who skips the alarm leaves them undelivered; the after-action
/// report lists the late task in its improvement plan.
#[test]
fn expected_actions_are_evaluated_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let chlorine = root().join("scenarios/linqing/chlorine-release.ron");
    let c = chlorine.to_str().unwrap();
    let evaluation = |out: &str| -> Vec<serde_json::Value> {
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join(out).join("report.json")).unwrap()).unwrap();
        r["evaluation"].as_array().unwrap().clone()
    };
    expect_status(d, &["run", c, "--out", "plain", "--quiet"], 0);
    let plain = evaluation("plain");
    let status: Vec<&str> = plain.iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["met", "late", "met"]);
    // The alarm at 35 min; the team started work at 2863 s; the leak stopped at 4063 s.
    assert_eq!(plain[0]["delivered_h"], 0.58);
    assert_eq!(plain[0]["done_h"], 0.8);
    assert_eq!(plain[1]["due_h"], 1.08);
    assert_eq!(plain[1]["done_h"], 1.13);
    let html = std::fs::read_to_string(d.join("plain/report.html")).unwrap();
    assert!(html.contains("After action") && html.contains("Leak stopped within 30 min"));

    std::fs::write(
        d.join("skip.ron"),
        "Script(commands: [(at: \"10m\", command: Skip(\"alarm\"))])",
    )
    .unwrap();
    expect_status(d, &["drill", c, "--script", "skip.ron", "--out", "skip", "--quiet"], 0);
    assert!(evaluation("skip").iter().all(|e| e["status"] == "not_delivered"));

    std::fs::write(
        d.join("late.ron"),
        "Script(commands: [(at: \"10m\", command: Delay(\"alarm\", \"2h\"))])",
    )
    .unwrap();
    expect_status(d, &["drill", c, "--script", "late.ron", "--out", "late", "--quiet"], 0);
    let late = evaluation("late");
    assert_eq!(late[0]["delivered_h"], 2.0);
    assert_eq!(
        late[1]["status"], "met",
        "the leak was stopped before the delayed alarm came"
    );
    let aar = std::fs::read_to_string(d.join("skip/aar.md")).unwrap();
    assert!(aar.contains("| 0.17 h | decision: skip inject alarm |"), "{aar}");
    let aar = std::fs::read_to_string(d.join("late").join("aar.md")).unwrap();
    assert!(
        aar.contains("## Improvement plan") && aar.contains("(no task late or missed)"),
        "{aar}"
    );

    std::fs::write(d.join("none.ron"), "Script(commands: [])").unwrap();
    expect_status(d, &["drill", c, "--script", "none.ron", "--out", "none", "--quiet"], 0);
    let aar = std::fs::read_to_string(d.join("none/aar.md")).unwrap();
    assert!(
        aar.contains("| Leak stopped within 30 min of the alarm: done 0.05 h late |  |  |  |"),
        "{aar}"
    );

    // Expected actions are checked like everything else in a scenario.
    let text = std::fs::read_to_string(&chlorine)
        .unwrap()
        .replace("TeamArrives(\"cl2-line\")", "TeamArrives(\"cl2-lime\")")
        .replace("Relief(\"新华路街道\")", "Relief(\"新华街道\")");
    std::fs::write(d.join("bad.ron"), text).unwrap();
    let (_, err) = expect_status(d, &["validate", "bad.ron"], 2);
    assert!(
        err.contains("expect[0].check.0: no hazard with id \"cl2-lime\""),
        "{err}"
    );
    assert!(err.contains("expect[2].check.0: no zone named \"新华街道\""), "{err}");
}

// ---- Players' commands (issue #5): evacuate a zone, manual and automatic
// zones, trucks sent by hand, depot priorities. ----

use tabletop::drill::{Command, Drill};
use tabletop::people::evacuation::Shelters;
use tabletop::people::{AffectedGroup, GroupIndex, Relief};
use tabletop::sim::journal::{Journal, SimEvent};

/// An 11-node line (1 km apart, 40 km/h), a depot at N0 with 10 000 kits and
/// three trucks of 100 kits each (400 kg), a shelter for 150 at N3; 200
/// people affected at N5 and 100 at N8 at the start. `evacuation` is the
/// scenario's evacuation section (or none).
fn players_scenario(dir: &std::path::Path, evacuation: &str) -> std::path::PathBuf {
    std::fs::write(
        dir.join("line.ron"),
        tabletop::testkit::line_city_with_shelters_ron(11, 1000.0, &[(3, 375.0)]),
    )
    .unwrap();
    let path = dir.join("players.ron");
    std::fs::write(
        &path,
        format!(
            r#"// Players' commands on a line town.
Scenario(name: "players", map: "line.ron", start: "2026-07-20 06:00", duration: "12h", seed: 5,
    depots: [(id: "d", place: "Depot", tier: Government, stock: (initial: 10000, basic: 0))],
    fleet: [(depot: "d", trucks: 3, capacity_kg: 400, capacity_m3: 10)],
    impacts: [(at: "0h", area: Node("N5"), people: 200), (at: "0h", area: Node("N8"), people: 100)],
    {evacuation}
)"#
        ),
    )
    .unwrap();
    path
}

const WITH_EVACUATION: &str = r#"evacuation: Some((refuse_share: 0.0, delay: "30m")),"#;

fn give(drill: &mut Drill, command: Command) {
    drill
        .apply(command, (std::path::Path::new("test"), "", "command"))
        .unwrap();
}

fn groups(drill: &Drill) -> Vec<(AffectedGroup, Relief)> {
    let w = drill.world();
    w.resource::<GroupIndex>()
        .0
        .iter()
        .map(|&e| {
            (
                w.get::<AffectedGroup>(e).unwrap().clone(),
                w.get::<Relief>(e).unwrap().clone(),
            )
        })
        .collect()
}

fn events(drill: &Drill) -> Vec<SimEvent> {
    drill.world().resource::<Journal>().events.clone()
}

/// Every person in one place; nobody promised more relief than they can take.
fn assert_ledgers(drill: &Drill) {
    for (g, r) in groups(drill) {
        assert_eq!(g.accounted(), g.people, "{}", g.id);
        assert!(r.initial_done + r.initial_en_route <= g.for_relief(), "{}: {r:?}", g.id);
        assert!(r.basic_done + r.basic_en_route <= g.for_relief(), "{}: {r:?}", g.id);
        assert_eq!(r.initial.iter().map(|e| e.1).sum::<u32>(), r.initial_done, "{}", g.id);
        assert!(r.household <= r.initial_done, "{}", g.id);
    }
}

#[test]
fn evacuating_a_zone_orders_out_who_stays_and_keeps_the_ledgers() {
    let dir = tempfile::tempdir().unwrap();
    let s = players_scenario(dir.path(), WITH_EVACUATION);
    let mut drill = Drill::start(&s, None).unwrap();
    // Trucks leave at the start; at 5 min they are still loading for the groups.
    drill.run_until(tabletop::scenario::time::SimTime(300));
    let before = groups(&drill);
    assert_eq!(before.len(), 2);
    let household: u32 = before.iter().map(|(_, r)| r.household).sum();
    let done: u32 = before.iter().map(|(_, r)| r.initial_done).sum();
    let coming: u32 = before.iter().map(|(_, r)| r.initial_en_route).sum();
    give(&mut drill, Command::Evacuate("中心镇".into()));
    drill.step();
    assert_ledgers(&drill);
    let after = groups(&drill);
    // N5's 200: 150 places at the shelter, 50 stay; N8's 100 find no place.
    let summary: Vec<(u32, u32, u32, Option<usize>)> = after
        .iter()
        .map(|(g, _)| (g.id.0, g.home, g.people, g.shelter))
        .collect();
    assert_eq!(summary, vec![(0, 5, 50, None), (1, 8, 100, None), (2, 5, 150, Some(0))]);
    assert_eq!(
        after[2].0.affected_at, after[0].0.affected_at,
        "affected when they were"
    );
    // Relief already given and on its way is shared, not lost or doubled.
    assert_eq!(after.iter().map(|(_, r)| r.household).sum::<u32>(), household);
    assert_eq!(after.iter().map(|(_, r)| r.initial_done).sum::<u32>(), done);
    assert!(after.iter().map(|(_, r)| r.initial_en_route).sum::<u32>() <= coming);
    let ev = events(&drill);
    let ordered: Vec<(i64, u32, u32, u32)> = ev
        .iter()
        .filter_map(|e| match e {
            SimEvent::EvacuationOrdered {
                t,
                node,
                people,
                no_shelter,
                ..
            } => Some((t.secs(), *node, *people, *no_shelter)),
            _ => None,
        })
        .collect();
    assert_eq!(ordered, vec![(300, 5, 200, 50), (300, 8, 100, 100)]);
    assert!(ev.iter().any(|e| matches!(
        e,
        SimEvent::SplitOff {
            group: 2,
            from: 0,
            people: 150,
            ..
        }
    )));
    // A truck loading for N5 with more than the 50 left there can use is called off.
    assert!(
        ev.iter()
            .any(|e| matches!(e, SimEvent::Cancelled { reason, .. } if reason == "its group left for a shelter")),
        "{ev:#?}"
    );
    // 30 min to leave, 30 min to walk 2 km: the shelter fills, never beyond its 150.
    drill.run_until(tabletop::scenario::time::SimTime(3 * 3600));
    let shelters = drill.world().resource::<Shelters>();
    assert_eq!(shelters.occupied, vec![150]);
    assert_eq!(shelters.peak, vec![150]);
    assert_ledgers(&drill);
    let (result, _) = drill.finish();
    assert_eq!(result.report.score.affected_people, 300, "nobody lost or counted twice");
}

#[test]
fn people_affected_in_an_evacuated_zone_are_ordered_out() {
    let dir = tempfile::tempdir().unwrap();
    let s = players_scenario(dir.path(), WITH_EVACUATION);
    let mut drill = Drill::start(&s, None).unwrap();
    // Before the first step: the impacts at 0 h find their zone ordered out.
    give(&mut drill, Command::Evacuate("Centre".into()));
    drill.step();
    let g = groups(&drill);
    assert!(g.iter().any(|(g, _)| g.shelter == Some(0) && g.people == 150));
    assert_eq!(g.iter().map(|(g, _)| g.people).sum::<u32>(), 300);
    assert!(!events(&drill).iter().any(|e| matches!(e, SimEvent::SplitOff { .. })));
    assert_ledgers(&drill);
}

#[test]
fn a_manual_zone_gets_only_the_trucks_players_send() {
    let dir = tempfile::tempdir().unwrap();
    let s = players_scenario(dir.path(), "");
    let mut drill = Drill::start(&s, None).unwrap();
    give(&mut drill, Command::Manual("Centre".into()));
    assert_eq!(drill.manual_zones(), vec![0]);
    drill.run_until(tabletop::scenario::time::SimTime(3600));
    let dispatched = |drill: &Drill| -> Vec<(i64, u32, u32)> {
        events(drill)
            .iter()
            .filter_map(|e| match e {
                SimEvent::Dispatched { t, truck, group, .. } => Some((t.secs(), *truck, *group)),
                _ => None,
            })
            .collect()
    };
    assert!(dispatched(&drill).is_empty(), "no automatic dispatch to a manual zone");
    give(&mut drill, Command::Assign(2, 1));
    drill.run_until(tabletop::scenario::time::SimTime(7200));
    assert_eq!(
        dispatched(&drill),
        vec![(3600, 2, 1)],
        "that truck, to that group, and no other"
    );
    assert!(events(&drill).iter().any(|e| matches!(
        e,
        SimEvent::Delivered {
            truck: Some(2),
            group: 1,
            ..
        }
    )));
    give(&mut drill, Command::Auto("中心镇".into()));
    assert!(drill.manual_zones().is_empty());
    drill.step();
    let after: Vec<(i64, u32, u32)> = dispatched(&drill).into_iter().filter(|d| d.0 == 7200).collect();
    assert!(!after.is_empty(), "served again once handed back");
    assert!(after.iter().any(|d| d.2 == 0));
    assert_ledgers(&drill);
}

#[test]
fn refused_players_commands_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let s = players_scenario(dir.path(), WITH_EVACUATION);
    let mut drill = Drill::start(&s, None).unwrap();
    give(&mut drill, Command::Manual("Centre".into()));
    drill.step();
    let text = "Script(commands: [\n  (at: \"1m\", command: Evacuate(\"Centr\")),\n])";
    let refuse = |drill: &mut Drill, c: Command| -> String {
        drill
            .apply(c, (std::path::Path::new("script.ron"), text, "commands[0].command"))
            .unwrap_err()
            .to_string()
    };
    let e = refuse(&mut drill, Command::Evacuate("Centr".into()));
    assert!(
        e.contains("\"Centr\" is not a zone on the map") && e.contains("hint:"),
        "{e}"
    );
    assert!(
        e.contains("script.ron:2:") && e.contains("commands[0].command.0"),
        "{e}"
    );
    give(&mut drill, Command::Assign(0, 0));
    give(&mut drill, Command::Assign(1, 1));
    drill.step();
    let e = refuse(&mut drill, Command::Assign(0, 1));
    assert!(e.contains("Truck #0 is busy"), "{e}");
    // Truck #1 brings Group #1 all the kits it still needs, and no depot has basic sets.
    let e = refuse(&mut drill, Command::Assign(2, 1));
    assert!(
        e.contains("no depot that can load a truck now has the items Group #1 needs"),
        "{e}"
    );
    assert!(refuse(&mut drill, Command::Assign(7, 1)).contains("no Truck #7: the fleet has trucks #0 to #2"));
    assert!(refuse(&mut drill, Command::Assign(2, 9)).contains("no Group #9"));
    assert!(refuse(&mut drill, Command::Manual("中心镇".into())).contains("already under manual control"));
    let e = refuse(&mut drill, Command::DepotPriority("x".into(), vec![]));
    assert!(
        e.contains("no depot with id \"x\"") && e.contains("the depots are: d"),
        "{e}"
    );

    let plain = players_scenario(dir.path(), "");
    let mut drill = Drill::start(&plain, None).unwrap();
    let e = refuse(&mut drill, Command::Evacuate("Centre".into()));
    assert!(e.contains("no `evacuation` section"), "{e}");
}

const PLAYERS_SCRIPT: &str = r#"Script(commands: [
    (at: "0h", command: Manual("中心镇")),
    (at: "5m", command: Assign(1, 0)),
    (at: "10m", command: DepotPriority("d", ["Centre"])),
    (at: "20m", command: Evacuate("Centre")),
    (at: "30m", command: Auto("Centre")),
])"#;

#[test]
fn a_drill_with_players_commands_replays_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = players_scenario(d, WITH_EVACUATION);
    std::fs::write(d.join("script.ron"), PLAYERS_SCRIPT).unwrap();
    expect_status(
        d,
        &[
            "drill",
            s.to_str().unwrap(),
            "--script",
            "script.ron",
            "--out",
            "drill",
            "--quiet",
        ],
        0,
    );
    let journal = std::fs::read_to_string(d.join("drill/journal.jsonl")).unwrap();
    let commands: Vec<serde_json::Value> = journal
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["event"] == "Command")
        .collect();
    let said: Vec<&str> = commands.iter().map(|c| c["command"].as_str().unwrap()).collect();
    assert_eq!(
        said,
        [
            "take 中心镇 (Centre) under manual control (no automatic dispatch)",
            "send Truck #1 to Group #0 by hand (loading at d)",
            "depot d serves 中心镇 (Centre) first",
            "order the evacuation of 中心镇 (Centre)",
            "hand 中心镇 (Centre) back to the automatic dispatch",
        ]
    );
    assert!(
        journal.contains("\"event\":\"EvacuationOrdered\",\"t\":1200"),
        "{journal}"
    );
    let other = tempfile::tempdir().unwrap();
    let record = d.join("drill/drill.ron");
    expect_status(
        other.path(),
        &["replay", record.to_str().unwrap(), "--out", "again", "--quiet"],
        0,
    );
    for f in ["report.json", "timeline.csv", "journal.jsonl", "drill.ron"] {
        let a = std::fs::read(d.join("drill").join(f)).unwrap();
        let b = std::fs::read(other.path().join("again").join(f)).unwrap();
        assert!(a == b, "{f} differs between the drill and its replay");
    }

    // Bad input names the script's line and field.
    std::fs::write(
        d.join("bad.ron"),
        "Script(commands: [\n  (at: \"0h\", command: Manual(\"Centre\")),\n  (at: \"5m\", command: Assign(1, 0)),\n  (at: \"6m\", command: Assign(1, 1)),\n])",
    )
    .unwrap();
    let (_, err) = expect_status(
        d,
        &["drill", s.to_str().unwrap(), "--script", "bad.ron", "--out", "o"],
        2,
    );
    assert!(
        err.contains("bad.ron:4:") && err.contains("commands[2].command") && err.contains("Truck #1 is busy"),
        "{err}"
    );
    std::fs::write(
        d.join("bad.ron"),
        "Script(commands: [\n  (at: \"5m\", command: Evacuate(\"Nowhere\")),\n])",
    )
    .unwrap();
    let (_, err) = expect_status(
        d,
        &["drill", s.to_str().unwrap(), "--script", "bad.ron", "--out", "o"],
        2,
    );
    assert!(
        err.contains("bad.ron:2:")
            && err.contains("commands[0].command.0")
            && err.contains("\"Nowhere\" is not a zone"),
        "{err}"
    );
}
