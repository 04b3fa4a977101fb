//! The `tabletop plume` calculator, run as a user would.

mod common;

use common::*;

#[test]
fn the_documented_command_line_prints_the_three_threat_zones() {
    let args = [
        "plume",
        "--chemical",
        "chlorine",
        "--rate",
        "2.0",
        "--duration",
        "10m",
        "--wind",
        "3",
        "--stability",
        "D",
    ];
    let (out, _) = expect_status(&root(), &args, 0);
    for needle in ["AEGL-3", "AEGL-2", "AEGL-1", "1.43 km", "Dense gases"] {
        assert!(out.contains(needle), "{needle} missing:\n{out}");
    }
}

#[test]
fn a_point_gives_the_concentration_in_mg_and_ppm() {
    let args = [
        "plume",
        "--chemical",
        "chlorine",
        "--rate",
        "2.0",
        "--duration",
        "10m",
        "--wind",
        "3",
        "--stability",
        "D",
        "--at",
        "1000,0",
    ];
    let (out, _) = expect_status(&root(), &args, 0);
    assert!(
        out.contains("mg/m³") && out.contains("ppm") && out.contains("AEGL-2 (60 min) 2 ppm: EXCEEDED"),
        "{out}"
    );
    // Upwind is clean.
    let args = [
        "plume",
        "--chemical",
        "氯气",
        "--rate",
        "2",
        "--wind",
        "3",
        "--stability",
        "F",
        "--urban",
        "--at",
        "-500,0",
    ];
    let (out, _) = expect_status(&root(), &args, 0);
    assert!(out.contains("0.0000 mg/m³"), "{out}");
}

#[test]
fn bad_arguments_are_refused_with_status_2() {
    let dir = root();
    for (args, needle) in [
        (
            vec![
                "plume",
                "--chemical",
                "bromine",
                "--rate",
                "2",
                "--wind",
                "3",
                "--stability",
                "D",
            ],
            "unknown chemical \"bromine\"",
        ),
        (
            vec![
                "plume",
                "--chemical",
                "chlorine",
                "--rate",
                "-2",
                "--wind",
                "3",
                "--stability",
                "D",
            ],
            "--rate",
        ),
        (
            vec![
                "plume",
                "--chemical",
                "chlorine",
                "--rate",
                "2",
                "--wind",
                "3",
                "--stability",
                "G",
            ],
            "stability class",
        ),
        (
            vec![
                "plume",
                "--chemical",
                "chlorine",
                "--rate",
                "2",
                "--wind",
                "3",
                "--stability",
                "D",
                "--at",
                "1000",
            ],
            "expected X,Y",
        ),
        (
            vec![
                "plume",
                "--chemical",
                "chlorine",
                "--rate",
                "2",
                "--wind",
                "3",
                "--stability",
                "D",
                "--duration",
                "soon",
            ],
            "expected a duration",
        ),
    ] {
        let out = tabletop(&dir, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}", describe(&args, &out));
        assert!(err.contains(needle), "{}", describe(&args, &out));
    }
}
