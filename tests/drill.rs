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
