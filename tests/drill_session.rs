//! The facilitator's console without a window: what the drill window shows
//! (units, groups, scoreboard, log) and does (hold before an inject, deliver,
//! delay, skip; snapshots and branches; review with seeking; the report at the
//! end), driven through the same `Session` the window drives.

mod common;

use std::path::PathBuf;

use common::root;
use tabletop::drill::Command;
use tabletop::drill::session::Session;
use tabletop::drill::view::{self, Activity, ReliefStatus, UnitKind};
use tabletop::scenario::time::SimTime;

fn scenario() -> PathBuf {
    root().join("scenarios/linqing/reserves-stretched.ron")
}

fn open(out: &std::path::Path) -> Session {
    Session::open(&scenario(), None, None, None, 600.0, out).unwrap()
}

/// Run the session's clock as the window does, in slices of real time.
fn run_clock(s: &mut Session, sim_s: f64) {
    let mut left = sim_s;
    while left > 0.0 && !s.paused {
        s.advance(left.min(3600.0), std::time::Duration::from_secs(60)).unwrap();
        left -= 3600.0;
    }
}

#[test]
fn the_clock_holds_before_a_scripted_inject_until_the_facilitator_decides() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    // The first inject ("rain") is due at 0 h: held at once.
    run_clock(&mut s, 600.0);
    let (_, id, _) = s.due.clone().expect("rain is due at the start");
    assert_eq!(id, "rain");
    assert!(s.paused);
    assert_eq!(s.drill.now(), SimTime(0));
    s.deliver_due();
    run_clock(&mut s, 2.0 * 3600.0);
    assert_eq!(
        s.announced.first().map(|a| a.1.as_str()),
        Some("rain"),
        "delivered and announced"
    );
    // The next one, x006-cut at 3 h, is held at 3 h: skip it.
    run_clock(&mut s, 3.0 * 3600.0);
    let (at, id, _) = s.due.clone().expect("x006-cut is due at 3 h");
    assert_eq!((at, id.as_str()), (SimTime(3 * 3600), "x006-cut"));
    s.due = None;
    s.command(Command::Skip(id));
    s.paused = false;
    run_clock(&mut s, 3600.0);
    assert!(s.drill.now() > SimTime(3 * 3600));
    assert!(!s.log.iter().any(|l| l.kind == "Inject" && l.text.contains("x006-cut")));
    assert!(
        s.log
            .iter()
            .any(|l| l.kind == "Command" && l.text.contains("skip inject x006-cut"))
    );
    // A refused command leaves a message and changes nothing.
    let n = s.drill.record().commands.len();
    s.command(Command::Deliver("no-such-inject".into()));
    assert!(matches!(&s.status, Some((false, m)) if m.contains("no pending inject")));
    assert_eq!(s.drill.record().commands.len(), n);
}

#[test]
fn what_the_window_draws_adds_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    s.fast_forward(SimTime(12 * 3600)).unwrap();
    let world = s.drill.world();
    let city = &s.drill.spec().city;
    let groups = view::groups(world);
    assert!(!groups.is_empty());
    // The scoreboard: the city is the sum of its zones.
    let board = view::scoreboard(world);
    let (city_row, zones) = board.split_first().unwrap();
    assert_eq!(city_row.affected, zones.iter().map(|z| z.affected).sum::<u64>());
    assert_eq!(city_row.initial, zones.iter().map(|z| z.initial).sum::<u64>());
    assert_eq!(
        city_row.affected,
        groups.iter().map(|g| u64::from(g.people)).sum::<u64>()
    );
    for z in &board {
        assert!(z.initial_in_time <= z.initial && z.initial <= z.affected);
        assert!(z.basic_in_time <= z.basic && z.basic <= z.affected);
    }
    // Groups: the status follows the ledger and the clock.
    for g in &groups {
        match g.status {
            ReliefStatus::Basic => assert_eq!(g.basic, g.people),
            ReliefStatus::Initial => assert!(g.initial == g.people && g.due_in_s.unwrap() >= 0),
            ReliefStatus::Waiting => assert!(g.due_in_s.unwrap() >= 0),
            ReliefStatus::Overdue => assert!(g.due_in_s.unwrap() < 0),
        }
    }
    // Units: every truck once, on the map, moving ones on a road.
    let mut trails = view::Trails::default();
    let units = view::units(world, &mut trails);
    let trucks: Vec<_> = units.iter().filter(|u| u.kind == UnitKind::Truck).collect();
    assert_eq!(
        trucks.len(),
        s.drill.spec().fleet.iter().map(|f| f.trucks as usize).sum::<usize>()
    );
    let (lo, hi) = city.bounds;
    for u in &units {
        assert!(
            u.xy.x >= lo.x - 1.0 && u.xy.x <= hi.x + 1.0 && u.xy.y >= lo.y - 1.0 && u.xy.y <= hi.y + 1.0,
            "{} off the map",
            u.label
        );
    }
    assert!(
        trucks.iter().any(|u| u.activity != Activity::Idle),
        "trucks are out at 12 h"
    );
    // The log is the journal, line for line.
    assert_eq!(s.log.len(), view::journal_len(world));
}

#[test]
fn the_scoreboard_at_the_end_is_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    s.fast_forward(SimTime(72 * 3600)).unwrap();
    assert!(s.drill.finished());
    let board = view::scoreboard(s.drill.world());
    s.write_report();
    assert!(matches!(&s.status, Some((true, _))), "{:?}", s.status);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap()).unwrap();
    let score = &report["score"];
    assert_eq!(score["affected_people"].as_u64().unwrap(), board[0].affected);
    // The report rounds shares to 6 decimals.
    let close = |a: f64, b: f64| (a - b).abs() <= 5e-7;
    assert!(close(
        score["initial_relief_within_target"].as_f64().unwrap(),
        board[0].initial_share()
    ));
    assert!(close(
        score["basic_relief_within_target"].as_f64().unwrap(),
        board[0].basic_share()
    ));
    for f in ["drill.ron", "aar.md", "journal.jsonl", "report.html"] {
        assert!(dir.path().join(f).exists(), "{f}");
    }
}

#[test]
fn a_snapshot_branches_the_drill_and_each_line_of_play_keeps_its_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    s.fast_forward(SimTime(2 * 3600)).unwrap();
    s.command(Command::Skip("x006-cut".into()));
    s.snapshot();
    let at_snapshot = view::scoreboard(s.drill.world());
    // Line A: the request to the province goes out early.
    s.fast_forward(SimTime(5 * 3600)).unwrap();
    s.command(Command::Deliver("province-request".into()));
    s.fast_forward(SimTime(8 * 3600)).unwrap();
    // Back to the snapshot: line A is kept as a branch.
    s.rewind_to(0);
    assert_eq!(s.drill.now(), SimTime(2 * 3600));
    assert_eq!(s.branches.len(), 1);
    assert_eq!(s.branches[0].record.commands.len(), 2);
    assert_eq!(s.branches[0].left_at, SimTime(8 * 3600));
    // The state is the snapshot's, exactly.
    assert_eq!(view::scoreboard(s.drill.world()), at_snapshot);
    assert_eq!(
        s.drill.record().commands.len(),
        1,
        "only the decisions before the snapshot"
    );
    // Line B: the province convoy is held back instead.
    s.command(Command::Delay("province".into(), "60h".into()));
    assert_eq!(s.drill.record().commands.len(), 2);
    // Both lines run to the end in the background and get a score.
    s.score_branches();
    let t0 = std::time::Instant::now();
    while s.branches[0].score.is_none() && t0.elapsed() < std::time::Duration::from_secs(600) {
        std::thread::sleep(std::time::Duration::from_millis(50));
        s.poll_branches();
    }
    let score = s.branches[0].score.clone().expect("scored").unwrap();
    assert!(score.affected > 0 && (0.0..=1.0).contains(&score.initial_12h));
    // The report folder keeps both lines: the drill and the branch, each replayable.
    s.write_report();
    assert!(matches!(&s.status, Some((true, _))), "{:?}", s.status);
    let aar = std::fs::read_to_string(dir.path().join("aar.md")).unwrap();
    assert!(aar.contains("## Branches") && aar.contains("branch-1.ron"), "{aar}");
    let (again, record) = tabletop::drill::replay(&dir.path().join("branch-1.ron")).unwrap();
    assert_eq!(record.commands.len(), 2);
    assert!((again.report.score.initial_relief_within_target - score.initial_12h).abs() < 1e-9);
}

#[test]
fn a_review_seeks_back_and_forth_to_the_same_states() {
    let dir = tempfile::tempdir().unwrap();
    // A drill with two decisions, written as a record.
    let mut s = open(dir.path());
    s.fast_forward(SimTime(2 * 3600)).unwrap();
    s.command(Command::Skip("x006-cut".into()));
    s.fast_forward(SimTime(6 * 3600)).unwrap();
    s.command(Command::Deliver("province-request".into()));
    s.fast_forward(SimTime(10 * 3600)).unwrap();
    let at_10h = view::scoreboard(s.drill.world());
    s.write_report();
    let record = dir.path().join("drill.ron");
    // Review it: forward to 10 h, back to 4 h, forward to 10 h again.
    let mut r = Session::open(&scenario(), None, Some(&record), None, 0.0, &dir.path().join("review")).unwrap();
    r.seek(SimTime(10 * 3600));
    assert_eq!(view::scoreboard(r.drill.world()), at_10h);
    r.seek(SimTime(4 * 3600));
    assert_eq!(r.drill.now(), SimTime(4 * 3600));
    assert_eq!(
        r.drill.record().commands.len(),
        1,
        "the 2 h decision is replayed, the 6 h one not yet"
    );
    r.seek(SimTime(10 * 3600));
    assert_eq!(view::scoreboard(r.drill.world()), at_10h);
    // Nothing can be decided in a review.
    r.command(Command::Skip("x006-open".into()));
    assert!(matches!(&r.status, Some((false, _))));
}

/// A build without the window says how to get one (and how to run headless).
#[cfg(not(feature = "gui"))]
#[test]
fn without_the_gui_feature_drill_explains_how_to_get_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario();
    let (_, err) = common::expect_status(dir.path(), &["drill", s.to_str().unwrap()], 2);
    assert!(err.contains("--features gui") && err.contains("--script"), "{err}");
}

#[test]
fn an_improvised_inject_goes_in_without_stopping_the_clock() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    s.hold = true;
    s.fast_forward(SimTime(3600)).unwrap();
    s.command(Command::Inject(Box::new(tabletop::scenario::InjectSpec {
        id: Some("slip".into()),
        at: tabletop::scenario::time::TimeSpec("0s".into()),
        text: "Landslip on G308.".into(),
        action: tabletop::scenario::Action::CloseRoads(tabletop::scenario::RoadSel::Road("G308".into())),
        expect: Vec::new(),
    })));
    assert!(
        matches!(&s.status, Some((true, m)) if m.contains("improvised inject slip")),
        "{:?}",
        s.status
    );
    run_clock(&mut s, 600.0);
    assert!(s.due.is_none(), "not held: {:?}", s.due);
    assert!(s.log.iter().any(|l| l.kind == "Inject" && l.text.contains("slip")));
}

/// The facilitator takes a fire station's companies out of service before the
/// fire: none of them is called; the other stations answer. Back in service,
/// they are called again.
#[test]
fn a_team_out_of_service_takes_no_task_until_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let fire = root().join("scenarios/linqing/old-town-fire.ron");
    let mut s = Session::open(&fire, None, None, None, 0.0, dir.path()).unwrap();
    let inject = |action| {
        Command::Inject(Box::new(tabletop::scenario::InjectSpec {
            id: None,
            at: tabletop::scenario::time::TimeSpec("0s".into()),
            text: String::new(),
            action,
            expect: Vec::new(),
        }))
    };
    s.command(inject(tabletop::scenario::Action::TeamOutOfService(
        "special-service".into(),
    )));
    assert!(matches!(&s.status, Some((true, _))), "{:?}", s.status);
    s.fast_forward(SimTime(3 * 3600)).unwrap();
    let called = |s: &Session, who: &str| {
        s.log
            .iter()
            .filter(|l| l.kind == "TeamCalled" && l.text.contains(&format!("team: {who}")))
            .count()
    };
    let out = s.log.iter().filter(|l| l.kind == "TeamService").count();
    assert_eq!(out, 4, "the station's four companies");
    assert_eq!(called(&s, "special-service"), 0);
    assert!(called(&s, "xianfenglu") > 0, "another station answers");
    s.command(inject(tabletop::scenario::Action::TeamInService(
        "special-service-2".into(),
    )));
    s.fast_forward(SimTime(6 * 3600)).unwrap();
    assert!(
        s.log
            .iter()
            .any(|l| l.kind == "TeamService" && l.text.contains("in_service: true"))
    );
    // An unknown team is refused with the ids that exist.
    s.command(inject(tabletop::scenario::Action::TeamOutOfService("nobody".into())));
    assert!(
        matches!(&s.status, Some((false, m)) if m.contains("no team with id") && m.contains("xianfenglu")),
        "{:?}",
        s.status
    );
}
