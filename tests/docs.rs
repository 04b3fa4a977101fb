//! The examples in `docs/scenario-format.md` are valid and run.

mod common;

use common::*;

fn ron_blocks(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in md.lines() {
        match (&mut cur, line.trim_start()) {
            (None, "```ron") => cur = Some(String::new()),
            (Some(_), "```") => out.push(cur.take().unwrap_or_default()),
            (Some(buf), _) => {
                buf.push_str(line);
                buf.push('\n');
            }
            _ => {}
        }
    }
    out
}

#[test]
fn the_annotated_example_and_the_layout_example_run() {
    let md = std::fs::read_to_string(root().join("docs/scenario-format.md")).unwrap();
    let (scripts, blocks): (Vec<String>, Vec<String>) =
        ron_blocks(&md).into_iter().partition(|b| b.starts_with("Script("));
    assert_eq!(blocks.len(), 2, "one scenario and one layout example");
    assert_eq!(scripts.len(), 1, "one drill script example");
    let script: Result<tabletop::drill::Script, _> = ron::from_str(&scripts[0]);
    assert!(script.is_ok(), "the drill script example parses: {script:?}");
    let dir = tempfile::tempdir().unwrap();
    // Next to the bundled scenarios so that `map: "linqing"` resolves the same way.
    let scenario = dir.path().join("example.ron");
    let layout = dir.path().join("layout.ron");
    std::fs::write(&scenario, &blocks[0]).unwrap();
    std::fs::write(&layout, &blocks[1]).unwrap();
    let s = scenario.to_str().unwrap();
    let l = layout.to_str().unwrap();
    let (stdout, _) = expect_status(dir.path(), &["validate", s], 0);
    assert!(
        stdout.contains("5 depots, 30 trucks, 3 impacts, 10 injects"),
        "{stdout}"
    );
    expect_status(dir.path(), &["run", s, "--out", "o", "--quiet"], 0);
    expect_status(dir.path(), &["run", s, "--layout", l, "--out", "o2", "--quiet"], 0);
}
