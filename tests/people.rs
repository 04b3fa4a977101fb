//! Evacuation, shelters, stranding and rescue on the bundled breach drill.
//!
//! Every run here also checks, at every step of every group (a debug
//! assertion in `move_people`), that each person is in exactly one place.

mod common;

use std::path::PathBuf;

use common::*;
use serde_json::Value;

/// The journal's events.
fn journal(r: &tabletop::report::RunResult) -> Vec<Value> {
    r.journal_jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn of<'a>(events: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> {
    events.iter().filter(move |e| e["event"] == kind)
}

const DRILL: &str = "scenarios/linqing/wei-breach-evacuation.ron";

/// The drill with `edit` applied to its text, written next to a copy that
/// names the map by absolute path.
fn variant(dir: &tempfile::TempDir, edit: impl Fn(String) -> String) -> PathBuf {
    let text = std::fs::read_to_string(root().join(DRILL)).unwrap();
    let map = root().join("assets/maps/linqing.ron");
    let text = text.replace("map: \"linqing\"", &format!("map: {:?}", map.display().to_string()));
    let path = dir.path().join("drill.ron");
    std::fs::write(&path, edit(text)).unwrap();
    path
}

#[test]
fn shelters_never_overflow_and_everyone_is_accounted_for() {
    let r = tabletop::run_file(&root().join(DRILL), None).unwrap();
    let p = &r.report.people;
    let e = p.evacuation.as_ref().expect("the drill evacuates");
    assert!(e.ordered >= 50_000, "{}", e.ordered);
    assert_eq!(e.ordered, e.refused + e.no_shelter + e.walked + e.by_bus);
    assert!(e.walked > 0 && e.by_bus > 0);
    for s in &e.shelters {
        assert!(s.reserved <= s.capacity, "{}", s.name);
        assert!(s.peak <= s.reserved, "{}", s.name);
        assert!(s.m2_per_person_at_peak >= 2.5 - 1e-9, "{}", s.name);
    }
    let sheltered: u64 = e.shelters.iter().map(|s| u64::from(s.peak)).sum();
    assert!(e.peak_sheltered <= sheltered);
    let rescue = p.rescue.as_ref().expect("the breach strands people");
    assert_eq!(
        rescue.stranded,
        rescue.rescued_alive + rescue.died_waiting + rescue.still_stranded_at_end
    );
    // What the boats (and the volunteer divers' boats) carried is what was rescued alive.
    let by_boat: u64 = p
        .teams
        .iter()
        .filter(|u| u.kind == "boat" || u.id.starts_with("volunteer-divers"))
        .map(|u| u64::from(u.people))
        .sum();
    assert_eq!(by_boat, rescue.rescued_alive);
    // People trapped in rubble are counted apart from people cut off by water.
    let trapped = p.trapped.as_ref().expect("houses collapse in the drill");
    assert_eq!(trapped.trapped, 65);
    assert_eq!(
        trapped.trapped,
        trapped.freed_alive + trapped.found_dead + trapped.still_trapped_at_end
    );
    let freed: u64 = p
        .teams
        .iter()
        .filter(|u| matches!(u.kind, "fire_rescue" | "town") || u.id.starts_with("volunteer-rope"))
        .map(|u| u64::from(u.people))
        .sum();
    assert_eq!(freed, trapped.freed_alive);
    // The dynamic shelter indicator is measured.
    let dynamic = r.report.indicators.iter().find(|i| i.name.contains("dynamic")).unwrap();
    assert!(dynamic.value.is_some());
}

#[test]
fn teams_rest_after_their_shift_and_take_no_call_while_resting() {
    let r = tabletop::run_file(&root().join(DRILL), None).unwrap();
    let events = journal(&r);
    let rests: Vec<(&str, i64, i64)> = of(&events, "TeamResting")
        .map(|e| {
            (
                e["team"].as_str().unwrap(),
                e["t"].as_i64().unwrap(),
                e["until"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(!rests.is_empty(), "12 h shifts in a 72 h run end");
    for e in of(&events, "TeamCalled") {
        let (team, t) = (e["team"].as_str().unwrap(), e["t"].as_i64().unwrap());
        for (id, from, until) in &rests {
            assert!(
                !(*id == team && t >= *from && t < *until),
                "{team} was called at {t} while resting"
            );
        }
    }
    // A shift runs 12 h from its first call (the drill's default): no team is
    // called later than that in a shift; a rest ends the shift.
    let mut shift_start: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for e in &events {
        let (team, t) = (e["team"].as_str().unwrap_or(""), e["t"].as_i64().unwrap_or(0));
        match e["event"].as_str() {
            Some("TeamResting") => {
                shift_start.remove(team);
            }
            Some("TeamCalled") if team.starts_with("boat-") || team.starts_with("bus-") => {
                let start = *shift_start.entry(team).or_insert(t);
                assert!(
                    t < start + 12 * 3600,
                    "{team} called at {t}, 12 h after its shift began at {start}"
                );
            }
            _ => {}
        }
    }
}

#[test]
fn a_boat_after_the_survival_window_finds_only_the_dead() {
    let dir = tempfile::tempdir().unwrap();
    // Nobody survives 0.16 h (9.6 min) cut off; every boat trip takes longer
    // than that: launching alone takes 10 min, even for a boat already on the water.
    let path = variant(&dir, |t| {
        t.replace(
            "    dispatch: EarliestDeadlineFirst,",
            "    dispatch: EarliestDeadlineFirst,\n    rescue: (survival: [(0, 1.0), (0.16, 0.0)]),",
        )
    });
    let r = tabletop::run_file(&path, None).unwrap();
    let rescue = r.report.people.rescue.as_ref().unwrap();
    assert!(rescue.died_waiting > 0);
    assert_eq!(rescue.rescued_alive, 0, "a late boat counts deaths, not rescues");
    let events = journal(&r);
    assert!(of(&events, "Rescued").count() > 0);
    assert!(of(&events, "Rescued").all(|e| e["alive"] == 0));
}

#[test]
fn without_boats_or_buses_nothing_panics_and_nobody_is_moved_by_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = variant(&dir, |t| {
        let start = t.find("    teams: [").unwrap();
        let end = start + t[start..].find("    ],\n").unwrap() + "    ],\n".len();
        format!("{}{}", &t[..start], &t[end..])
    });
    let r = tabletop::run_file(&path, None).unwrap();
    let p = &r.report.people;
    assert!(p.teams.is_empty());
    let rescue = p.rescue.as_ref().unwrap();
    assert_eq!(rescue.rescued_alive + rescue.died_waiting, 0);
    assert_eq!(rescue.still_stranded_at_end, rescue.stranded);
    let e = p.evacuation.as_ref().unwrap();
    // Walkers still walk; bus evacuees wait (or were cut off).
    assert!(e.walked > 0);
    assert_eq!(of(&journal(&r), "PickedUp").count(), 0);
}

#[test]
fn the_two_doctrines_differ_and_each_is_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let path = variant(&dir, |t| {
        t.replace(
            "    dispatch: EarliestDeadlineFirst,",
            "    dispatch: EarliestDeadlineFirst,\n    team_dispatch: Auction,",
        )
    });
    let a = tabletop::run_file(&path, None).unwrap();
    let b = tabletop::run_file(&path, None).unwrap();
    let json = |r: &tabletop::report::RunResult| serde_json::to_string(&r.report).unwrap();
    assert_eq!(json(&a), json(&b));
    let p = tabletop::run_file(&root().join(DRILL), None).unwrap();
    assert_ne!(
        serde_json::to_string(&a.report.people).unwrap(),
        serde_json::to_string(&p.report.people).unwrap()
    );
}

#[test]
fn the_injured_are_triaged_and_no_hospital_takes_more_than_its_disaster_beds() {
    let r = tabletop::run_file(&root().join(DRILL), None).unwrap();
    let m = r
        .report
        .people
        .medical
        .as_ref()
        .expect("the drill has a medical section");
    assert!(m.red.injured > 0 && m.yellow.injured > 0 && m.green > 0);
    for t in [&m.red, &m.yellow] {
        assert_eq!(t.injured, t.admitted + t.in_ambulance_at_end + t.waiting_at_end);
    }
    for h in &m.hospitals {
        assert!(
            h.admitted <= h.beds,
            "{}: {} patients in {} beds",
            h.name,
            h.admitted,
            h.beds
        );
    }
    // The journal's admissions add up, and red patients are served first.
    let events = journal(&r);
    let admitted: u64 = of(&events, "Admitted").map(|e| e["people"].as_u64().unwrap()).sum();
    assert_eq!(admitted, m.red.admitted + m.yellow.admitted);
    assert!(
        m.red.hours_p50 < m.yellow.hours_p50,
        "{:?} vs {:?}",
        m.red.hours_p50,
        m.yellow.hours_p50
    );
}
