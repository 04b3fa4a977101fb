//! Batches: the same rows whatever the number of jobs, shards that merge into
//! the whole batch byte for byte, single draws that can be re-run alone,
//! interrupted batches that resume, and bad distributions refused.

mod common;

use std::path::Path;

use common::*;

const SCENARIO: &str = "scenarios/linqing/wei-flood-west.ron";

fn batch(dir: &Path, out: &str, extra: &[&str]) {
    let scenario = root().join(SCENARIO);
    let mut args = vec![
        "batch",
        scenario.to_str().unwrap(),
        "--runs",
        "6",
        "--out",
        out,
        "--quiet",
    ];
    args.extend_from_slice(extra);
    expect_status(dir, &args, 0);
}

fn read(dir: &Path, out: &str, file: &str) -> String {
    std::fs::read_to_string(dir.join(out).join(file)).unwrap_or_else(|e| panic!("{out}/{file}: {e}"))
}

#[test]
fn rows_do_not_depend_on_jobs_and_shards_merge_into_the_whole_batch() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    batch(d, "one", &["--jobs", "1"]);
    batch(d, "two", &["--jobs", "2"]);
    for f in ["runs.csv", "summary.json", "batch.json"] {
        assert_eq!(read(d, "one", f), read(d, "two", f), "{f} differs between 1 and 2 jobs");
    }
    let runs = read(d, "one", "runs.csv");
    assert_eq!(runs.lines().count(), 7, "a header and 6 rows");
    assert!(runs.starts_with("run,households_share,people_scale,roads_failed,trucks_broken_down,score."));
    // The draws differ from run to run.
    let shares: std::collections::BTreeSet<&str> = runs.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
    assert_eq!(shares.len(), 6);

    batch(d, "s0", &["--shard", "0/2"]);
    batch(d, "s1", &["--shard", "1/2"]);
    assert_eq!(read(d, "s0", "runs.csv").lines().count(), 4, "runs 0, 2, 4");
    assert!(read(d, "s1", "batch.json").contains("\"shard\": \"1/2\""));
    expect_status(d, &["merge", "s0", "s1", "--out", "merged"], 0);
    for f in ["runs.csv", "summary.json", "batch.json"] {
        assert_eq!(
            read(d, "one", f),
            read(d, "merged", f),
            "merged {f} differs from the whole batch"
        );
    }
    // A shard missing, or given twice, is refused.
    let (_, err) = expect_status(d, &["merge", "s0", "--out", "bad"], 2);
    assert!(err.contains("run 1 of 6 is in no shard folder given"), "{err}");
    let (_, err) = expect_status(d, &["merge", "s0", "s0", "s1", "--out", "bad"], 2);
    assert!(err.contains("is in two shards"), "{err}");
}

#[test]
fn one_draw_reruns_alone_with_the_same_scores() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    batch(d, "b", &["--jobs", "2"]);
    let runs = read(d, "b", "runs.csv");
    let header: Vec<&str> = runs.lines().next().unwrap().split(',').collect();
    let row3: Vec<&str> = runs.lines().nth(4).unwrap().split(',').collect();
    assert_eq!(row3[0], "3");
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let scenario = root().join(SCENARIO);
    expect_status(
        d,
        &[
            "run",
            scenario.to_str().unwrap(),
            "--draw",
            "3",
            "--out",
            "r3",
            "--quiet",
        ],
        0,
    );
    let report: serde_json::Value = serde_json::from_str(&read(d, "r3", "report.json")).unwrap();
    let score = &report["score"];
    assert_eq!(
        score["initial_relief_within_target"].as_f64().unwrap().to_string(),
        row3[col("score.initial_relief_within_target")]
    );
    assert_eq!(
        score["household_covered"].as_f64().unwrap().to_string(),
        row3[col("score.household_covered")]
    );
}

#[test]
fn an_interrupted_batch_resumes_and_ends_as_if_never_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    batch(d, "whole", &["--jobs", "2"]);
    // What a batch stopped after runs 0, 1 and 4 leaves behind.
    let runs = read(d, "whole", "runs.csv");
    let lines: Vec<&str> = runs.lines().collect();
    std::fs::create_dir_all(d.join("cut")).unwrap();
    let partial = format!("{}\n{}\n{}\n{}\n", lines[0], lines[1], lines[2], lines[5]);
    std::fs::write(d.join("cut/runs.partial.csv"), partial).unwrap();
    let scenario = root().join(SCENARIO);
    let args = [
        "batch",
        scenario.to_str().unwrap(),
        "--runs",
        "6",
        "--out",
        "cut",
        "--quiet",
    ];
    let (_, err) = expect_status(d, &args, 2);
    assert!(err.contains("pass --resume to carry on"), "{err}");
    batch(d, "cut", &["--resume"]);
    for f in ["runs.csv", "summary.json", "batch.json"] {
        assert_eq!(read(d, "whole", f), read(d, "cut", f), "{f} after resuming");
    }
    assert!(!d.join("cut/runs.partial.csv").exists());
}

#[test]
fn bad_distributions_are_refused_with_their_field() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join(SCENARIO))
        .unwrap()
        .replace(
            "map: \"linqing\"",
            &format!("map: {:?}", root().join("assets/maps/linqing.ron")),
        )
        .replace(
            "households_share: Triangular(0.05, 0.15, 0.25),",
            "households_share: Uniform(0.3, 0.1), wind_m_s: Normal(mean: 3, sd: -1), \
             hazards: [(id: \"nope\", start_shift_h: Triangular(0, 5, 2))], rain_scale: Normal(mean: 1, sd: 0.5),",
        )
        .replace("truck_breakdown: 0.05", "truck_breakdown: 1.5");
    std::fs::write(dir.path().join("bad.ron"), text).unwrap();
    let (_, err) = expect_status(dir.path(), &["validate", "bad.ron"], 2);
    for e in [
        "uncertainty.households_share: min 0.3 is greater than max 0.1",
        "uncertainty.wind_m_s: expected a standard deviation above 0, found -1",
        "uncertainty.hazards[0].id: no hazard with id \"nope\"",
        "uncertainty.hazards[0].start_shift_h: mode 5 is outside [0, 2]",
        "uncertainty.rain_scale: expected factors of 0 or more; this distribution reaches [-inf, inf]",
        "uncertainty.truck_breakdown",
    ] {
        assert!(err.contains(e), "expected {e:?} in\n{err}");
    }
    assert!(err.contains("bad.ron:"), "errors name the file and line: {err}");
}

/// The Slurm example runs as two array tasks would, and its shards merge
/// into the whole batch.
#[test]
fn the_slurm_example_runs_shards_that_merge() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let script = root().join("deploy/slurm-batch.sh");
    for k in ["0", "1"] {
        let out = std::process::Command::new("bash")
            .arg(&script)
            .current_dir(d)
            .env("TABLETOP", env!("CARGO_BIN_EXE_tabletop"))
            .env("SCENARIO", root().join(SCENARIO))
            .env("RUNS", "4")
            .env("SHARDS", "2")
            .env("SLURM_ARRAY_TASK_ID", k)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    expect_status(d, &["merge", "results/shard-0", "results/shard-1", "--out", "all"], 0);
    let scenario = root().join(SCENARIO);
    expect_status(
        d,
        &[
            "batch",
            scenario.to_str().unwrap(),
            "--runs",
            "4",
            "--out",
            "whole",
            "--quiet",
        ],
        0,
    );
    assert_eq!(read(d, "all", "runs.csv"), read(d, "whole", "runs.csv"));
    assert_eq!(read(d, "all", "summary.json"), read(d, "whole", "summary.json"));
}

/// Two layouts run on the same draws (every draw but the trucks' is shared),
/// and a layout with more stock at the same sites (every town depot and
/// community station doubled) does better on basic relief.
///
/// Not asserted, because it is false under the current dispatch policy:
/// that more stock never scores worse. Over 40 draws the doubled layout gives
/// initial relief within 12 h to about 3 points fewer people (95 % interval
/// −4.9 to −0.9 points), likely because trucks serving a group top up with
/// basic sets when there are more of them while other groups' kits wait. See
/// docs/batch.md.
#[test]
fn compare_pairs_runs_and_more_stock_improves_basic_relief() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let today = std::fs::read_to_string(root().join("scenarios/layouts/today.ron")).unwrap();
    let more = today
        .replace("name: \"today\"", "name: \"today-doubled\"")
        .replace(
            "stock: (initial: 2000, basic: 1200)",
            "stock: (initial: 4000, basic: 2400)",
        )
        .replace(
            "stock: (initial: 800, basic: 200)",
            "stock: (initial: 1600, basic: 400)",
        );
    assert_ne!(more, today);
    std::fs::write(d.join("today.ron"), &today).unwrap();
    std::fs::write(d.join("more.ron"), &more).unwrap();
    let scenario = root().join(SCENARIO);
    let (stdout, _) = expect_status(
        d,
        &[
            "compare",
            scenario.to_str().unwrap(),
            "--layouts",
            "today.ron",
            "more.ron",
            "--runs",
            "8",
            "--out",
            "cmp",
        ],
        0,
    );
    assert!(stdout.contains("reference: today"), "{stdout}");
    let rows = |f: &str| -> Vec<Vec<String>> {
        read(d, "cmp", f)
            .lines()
            .map(|l| l.split(',').map(String::from).collect())
            .collect()
    };
    let (a, b) = (rows("runs-1.csv"), rows("runs-2.csv"));
    let col = |name: &str| a[0].iter().position(|h| h == name).unwrap();
    let draws = [
        col("households_share"),
        col("people_scale"),
        col("roads_failed"),
        col("trucks_broken_down"),
    ];
    for (ra, rb) in a.iter().zip(&b).skip(1) {
        for c in draws {
            assert_eq!(ra[c], rb[c], "the same draws for both layouts");
        }
    }
    let c: serde_json::Value = serde_json::from_str(&read(d, "cmp", "compare.json")).unwrap();
    let verdict = |column: &str| {
        c["scores"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["column"] == column)
            .unwrap()["vs_first"][0]["verdict"]
            .clone()
    };
    assert_eq!(verdict("score.basic_relief_within_target"), "better");
    assert!(read(d, "cmp", "compare.html").contains("<svg"));
}

/// `site` proposes k new depots from the candidate places, splits the whole
/// budget among them, and writes a layout file that runs.
#[test]
fn site_proposes_a_layout_that_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scenario = root().join(SCENARIO);
    let (stdout, _) = expect_status(
        d,
        &[
            "site",
            scenario.to_str().unwrap(),
            "--k",
            "2",
            "--draws",
            "2",
            "--runs",
            "2",
            "--budget-initial",
            "4000",
            "--budget-basic",
            "2000",
            "--out",
            "s",
        ],
        0,
    );
    assert!(stdout.contains("proposal"), "{stdout}");
    let report: serde_json::Value = serde_json::from_str(&read(d, "s", "site.json")).unwrap();
    let best = &report["proposals"][0];
    let sites = best["sites"].as_array().unwrap();
    assert_eq!(sites.len(), 2);
    assert!(
        sites
            .iter()
            .all(|s| s.as_str().unwrap().contains("Candidate Depot Site")),
        "{sites:?}"
    );
    let stock = best["stock"].as_array().unwrap();
    let sum = |k: usize| stock.iter().map(|s| s[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!((sum(0), sum(1)), (4000, 2000), "the whole budget is split");
    assert!(report["covered_by_existing"].as_u64() <= best["covered_people"].as_u64());
    expect_status(
        d,
        &[
            "run",
            scenario.to_str().unwrap(),
            "--layout",
            "s/proposal.ron",
            "--out",
            "r",
            "--quiet",
        ],
        0,
    );
    // Unknown candidates are refused.
    let (_, err) = expect_status(
        d,
        &[
            "site",
            scenario.to_str().unwrap(),
            "--candidates",
            "Atlantis",
            "--out",
            "x",
        ],
        2,
    );
    assert!(err.contains("\"Atlantis\" is not a place on the map"), "{err}");
}
