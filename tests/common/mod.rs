//! Helpers for integration tests: run the real binary in a temp dir and print
//! the command, stdout and stderr when an expectation fails.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run `tabletop` with `args` in `dir`.
pub fn tabletop(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tabletop"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the tabletop binary runs")
}

/// Describe a finished command for assertion messages.
pub fn describe(args: &[&str], out: &Output) -> String {
    format!(
        "command: tabletop {}\nstatus: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Run and require exit status `code`; returns (stdout, stderr).
pub fn expect_status(dir: &Path, args: &[&str], code: i32) -> (String, String) {
    let out = tabletop(dir, args);
    assert_eq!(out.status.code(), Some(code), "{}", describe(args, &out));
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A temp dir holding the 11-node test line map as `line.ron` (1 km spacing, 40 km/h).
pub fn line_map_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("line.ron"),
        tabletop::testkit::line_city_ron(11, 1000.0),
    )
    .expect("write map");
    dir
}
