//! The flood runs ahead of a whole run on a thread of its own
//! (`hazard::ahead`); a drill steps without that. Both must give the same
//! files, byte for byte, also when a breach or rain starts mid-run.

mod common;

use common::*;

/// `run` (flood ahead) and a drill without commands (flood in step) agree
/// on the bundled `scenario` with `edit` (from, to) made to its text.
fn same_files(scenario: &str, edit: (&str, &str)) {
    let text = std::fs::read_to_string(root().join("scenarios/linqing").join(scenario)).unwrap();
    assert!(text.contains(edit.0), "{scenario} has {}", edit.0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(scenario);
    std::fs::write(&path, text.replacen(edit.0, edit.1, 1)).unwrap();
    let ahead = tabletop::run_file(&path, None).unwrap();
    let (in_step, _) = tabletop::drill::Drill::start(&path, None).unwrap().finish();
    for ((name, a), (_, b)) in ahead.files().into_iter().zip(in_step.files()) {
        assert!(a == b, "{scenario}: {name} differs between the two runs");
    }
}

#[test]
fn a_breach_that_starts_mid_run_gives_the_same_files() {
    // Between two hazard steps (every 5 min): the step that ends at 4 h 05
    // already has water from the breach, so the flood must not run ahead
    // from 4 h without it.
    same_files("wei-levee-breach.ron", ("start: \"4h\"", "start: \"4h2m\""));
}

#[test]
fn rain_and_a_rain_inject_give_the_same_files() {
    // Rain from the start, and a second band injected between two hazard steps.
    same_files("storm-ammonia.ron", ("at: \"7h\"", "at: \"7h1m\""));
}
