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
