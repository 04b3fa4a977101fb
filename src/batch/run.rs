//! `tabletop batch`: many runs of one scenario in parallel (one Bevy world per
//! run, rayon), their rows in `runs.csv` and a summary in `summary.json`.
//!
//! Rows are appended to `runs.partial.csv` as runs finish, so an interrupted
//! batch keeps them and `--resume` carries on. When every run of the batch
//! (or of its shard) is done, the rows are sorted by run and `runs.csv`,
//! `summary.json` and `batch.json` are written atomically; the partial file
//! goes. The output is the same whatever the number of jobs, and merging the
//! shards of a batch ([`merge`]) gives the same files as running it whole.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::draw;
use super::stats::{self, Probability, Summary};
use crate::Error;
use crate::report::indicators::Status;
use crate::scenario::RunSpec;

/// Shard `k` of `n`: the runs `i` with `i % n == k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which (0-based).
    pub k: u64,
    /// Of how many.
    pub n: u64,
}

impl Shard {
    /// Parse `K/N`.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let err = || format!("expected K/N with 0 ≤ K < N (e.g. 0/4), found \"{s}\"");
        let (k, n) = s.split_once('/').ok_or_else(err)?;
        let (k, n): (u64, u64) = (
            k.trim().parse().map_err(|_| err())?,
            n.trim().parse().map_err(|_| err())?,
        );
        if n == 0 || k >= n {
            return Err(err());
        }
        Ok(Shard { k, n })
    }

    fn has(self, i: u64) -> bool {
        i % self.n == self.k
    }
}

/// How to run a batch.
#[derive(Debug, Clone)]
pub struct Options {
    /// Runs in the whole batch.
    pub runs: u64,
    /// Worker threads.
    pub jobs: usize,
    /// Only this shard's runs.
    pub shard: Option<Shard>,
    /// Carry on from `runs.partial.csv`.
    pub resume: bool,
    /// Draw a progress bar on a terminal.
    pub progress: bool,
}

/// What a batch folder says about itself (`batch.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchMeta {
    /// Scenario title.
    pub scenario: String,
    /// Scenario seed.
    pub seed: u64,
    /// Layout name, if `--layout` replaced the depots.
    pub layout: Option<String>,
    /// Runs in the whole batch.
    pub runs: u64,
    /// `K/N` for a shard, none for a whole batch.
    pub shard: Option<String>,
}

/// The summary of a batch (`summary.json`).
#[derive(Debug, Clone, Serialize)]
pub struct BatchSummary {
    /// What was run.
    pub batch: BatchMeta,
    /// Runs summarised.
    pub runs_done: usize,
    /// Every numeric column (draws, scores, indicator values).
    pub columns: Vec<Column>,
    /// For each of the plan's targets: the probability that a run meets it.
    pub targets: Vec<Target>,
}

/// One column's summary.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    /// Column name in `runs.csv`.
    pub name: String,
    /// Its summary (none when no run has a value).
    pub summary: Option<Summary>,
}

/// One target's probability of being met.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// Indicator name.
    pub name: String,
    /// Share of runs (with a verdict) where it was met.
    pub met: Option<Probability>,
}

/// How a batch ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Every run done; files written.
    Done {
        /// Runs in this batch (or shard).
        runs: usize,
    },
    /// Stopped (Ctrl-C): rows so far are kept in `runs.partial.csv`.
    Interrupted {
        /// Runs done.
        done: usize,
        /// Runs in this batch (or shard).
        of: usize,
    },
}

/// Prefix of the columns that say whether a target was met (1, 0, or empty
/// when it does not apply).
const MET: &str = "met: ";
/// Prefix of indicator value columns.
const VALUE: &str = "value: ";

/// One run's row: the column names and the cells (empty = no value).
pub fn run_row(spec: &RunSpec, i: u64) -> (Vec<String>, Vec<String>) {
    let names = spec.uncertainty.as_ref().map(draw::draw_names).unwrap_or_default();
    let (drawn, draws) = draw::apply(spec, i);
    let result = crate::run_spec(Arc::new(drawn));
    let mut header = vec!["run".to_string()];
    let mut cells = vec![i.to_string()];
    for (n, v) in names.iter().zip(&draws) {
        header.push(n.clone());
        cells.push(num(*v));
    }
    let score = serde_json::to_value(&result.report.score).unwrap_or_default();
    flatten("score", &score, &mut header, &mut cells);
    for ind in &result.report.indicators {
        header.push(format!("{VALUE}{}", ind.name));
        cells.push(ind.value.map(num).unwrap_or_default());
    }
    for ind in &result.report.indicators {
        header.push(format!("{MET}{}", ind.name));
        cells.push(match ind.status {
            Status::Met => "1".into(),
            Status::Missed => "0".into(),
            Status::NotApplicable => String::new(),
        });
    }
    (header, cells)
}

/// A progress bar for `n` runs (rate and time left), or a hidden one.
pub fn progress_bar(n: usize, show: bool) -> indicatif::ProgressBar {
    let bar = if show {
        indicatif::ProgressBar::new(n as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] {pos}/{len} runs · {per_sec} · {eta} left",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// A pool of `jobs` worker threads (at least one).
pub fn pool(jobs: usize) -> Result<rayon::ThreadPool, rayon::ThreadPoolBuildError> {
    rayon::ThreadPoolBuilder::new().num_threads(jobs.max(1)).build()
}

/// Shortest text that reads back as the same number.
fn num(v: f64) -> String {
    format!("{v}")
}

/// Numbers in a JSON value as `prefix.path` columns, in key order.
fn flatten(prefix: &str, v: &serde_json::Value, header: &mut Vec<String>, cells: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                flatten(&format!("{prefix}.{k}"), x, header, cells);
            }
        }
        serde_json::Value::Number(n) => {
            header.push(prefix.to_string());
            cells.push(n.as_f64().map(num).unwrap_or_default());
        }
        serde_json::Value::Null => {
            header.push(prefix.to_string());
            cells.push(String::new());
        }
        _ => {}
    }
}

fn write_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}

fn read_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::one(crate::Diagnostic::new(path, None, "", e.to_string()))
}

/// Read a CSV of rows: (header, rows).
fn read_rows(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>), Error> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .map_err(|e| read_err(path, e))?;
    let header: Vec<String> = r
        .headers()
        .map_err(|e| read_err(path, e))?
        .iter()
        .map(String::from)
        .collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| {
            read_err(
                path,
                format!("{e} (a row cut short when the batch stopped? delete it and --resume)"),
            )
        })?;
        rows.push(rec.iter().map(String::from).collect());
    }
    Ok((header, rows))
}

fn csv_text(header: &[String], rows: &[Vec<String>]) -> Result<String, Error> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(header)
        .map_err(|e| write_err(Path::new("runs.csv"), e))?;
    for r in rows {
        w.write_record(r).map_err(|e| write_err(Path::new("runs.csv"), e))?;
    }
    let bytes = w.into_inner().map_err(|e| write_err(Path::new("runs.csv"), e))?;
    String::from_utf8(bytes).map_err(|e| write_err(Path::new("runs.csv"), e))
}

fn run_of(row: &[String]) -> u64 {
    row.first().and_then(|c| c.parse().ok()).unwrap_or(u64::MAX)
}

/// Run a batch into `out`. `stop` is checked before each run starts (Ctrl-C).
///
/// # Errors
/// [`Error::Write`] when the folder cannot be written; [`Error::Input`] when
/// a partial file is in the way (without `--resume`) or does not fit.
pub fn run_batch(spec: Arc<RunSpec>, out: &Path, opts: &Options, stop: &AtomicBool) -> Result<Outcome, Error> {
    std::fs::create_dir_all(out).map_err(|e| write_err(out, e))?;
    let partial = out.join("runs.partial.csv");
    let mine: Vec<u64> = (0..opts.runs)
        .filter(|&i| opts.shard.is_none_or(|s| s.has(i)))
        .collect();
    let mut done: BTreeSet<u64> = BTreeSet::new();
    let mut header: Option<Vec<String>> = None;
    if partial.exists() {
        if !opts.resume {
            return Err(read_err(
                &partial,
                "an interrupted batch left its rows here: pass --resume to carry on, or choose another --out",
            ));
        }
        let (h, rows) = read_rows(&partial)?;
        done.extend(rows.iter().map(|r| run_of(r)));
        header = Some(h);
    }
    let todo: Vec<u64> = mine.iter().copied().filter(|i| !done.contains(i)).collect();
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&partial)
        .map_err(|e| write_err(&partial, e))?;
    let writer = Mutex::new((csv::WriterBuilder::new().has_headers(false).from_writer(file), header));
    let bar = progress_bar(todo.len(), opts.progress);
    let pool = pool(opts.jobs).map_err(|e| write_err(out, e))?;
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    pool.install(|| {
        todo.par_iter().with_max_len(1).for_each(|&i| {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let (h, cells) = run_row(&spec, i);
            let mut guard = writer.lock().unwrap_or_else(|p| p.into_inner());
            let (w, header) = &mut *guard;
            let write = || -> Result<(), Error> {
                match header {
                    None => {
                        w.write_record(&h).map_err(|e| write_err(&partial, e))?;
                        *header = Some(h);
                    }
                    Some(known) if *known != h => {
                        return Err(read_err(
                            &partial,
                            "its columns differ from this batch's (another scenario or version?); use another --out",
                        ));
                    }
                    Some(_) => {}
                }
                w.write_record(&cells).map_err(|e| write_err(&partial, e))?;
                w.flush().map_err(|e| write_err(&partial, e))
            };
            if let Err(e) = write() {
                stop.store(true, Ordering::SeqCst);
                failure.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(e);
            }
            bar.inc(1);
        });
    });
    bar.finish_and_clear();
    drop(writer);
    if let Some(e) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let (header, rows) = read_rows(&partial)?;
    let got: BTreeSet<u64> = rows.iter().map(|r| run_of(r)).collect();
    if mine.iter().any(|i| !got.contains(i)) {
        return Ok(Outcome::Interrupted {
            done: got.len(),
            of: mine.len(),
        });
    }
    let meta = BatchMeta {
        scenario: spec.name.clone(),
        seed: spec.seed,
        layout: spec.layout.clone(),
        runs: opts.runs,
        shard: opts.shard.map(|s| format!("{}/{}", s.k, s.n)),
    };
    finish(out, &meta, header, rows)?;
    std::fs::remove_file(&partial).map_err(|e| write_err(&partial, e))?;
    Ok(Outcome::Done { runs: mine.len() })
}

/// Sort rows by run and write `runs.csv`, `summary.json` and `batch.json`.
fn finish(out: &Path, meta: &BatchMeta, header: Vec<String>, mut rows: Vec<Vec<String>>) -> Result<(), Error> {
    rows.sort_by_key(|r| run_of(r));
    rows.dedup_by_key(|r| run_of(r));
    let summary = summarise(meta.clone(), &header, &rows);
    crate::report::write_atomically(
        out,
        &[
            ("runs.csv", csv_text(&header, &rows)?),
            ("summary.json", to_json(&summary)),
            ("batch.json", to_json(meta)),
        ],
    )
}

/// Pretty JSON with a final newline.
fn to_json<T: Serialize>(v: &T) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// The summary of rows under `header`.
pub fn summarise(batch: BatchMeta, header: &[String], rows: &[Vec<String>]) -> BatchSummary {
    let mut columns = Vec::new();
    let mut targets = Vec::new();
    for (c, name) in header.iter().enumerate().skip(1) {
        let values: Vec<f64> = rows
            .iter()
            .filter_map(|r| r.get(c).and_then(|x| x.parse::<f64>().ok()))
            .collect();
        if let Some(t) = name.strip_prefix(MET) {
            let met = values.iter().filter(|&&v| v == 1.0).count();
            targets.push(Target {
                name: t.to_string(),
                met: stats::probability(met, values.len()),
            });
        } else {
            columns.push(Column {
                name: name.clone(),
                summary: stats::summarise(&values),
            });
        }
    }
    BatchSummary {
        batch,
        runs_done: rows.len(),
        columns,
        targets,
    }
}

/// Combine shard folders into `out`: the same `runs.csv`, `summary.json` and
/// `batch.json` as the whole batch run on one machine.
///
/// # Errors
/// [`Error::Input`] when the folders are not the shards of one batch (other
/// scenario, seed or size, other columns, a run twice or missing).
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<usize, Error> {
    let mut meta: Option<BatchMeta> = None;
    let mut header: Option<Vec<String>> = None;
    let mut rows: Vec<Vec<String>> = Vec::new();
    for d in dirs {
        let mpath = d.join("batch.json");
        let text = std::fs::read_to_string(&mpath).map_err(|e| read_err(&mpath, format!("cannot read it: {e}")))?;
        let m: BatchMeta = serde_json::from_str(&text).map_err(|e| read_err(&mpath, e))?;
        match &meta {
            None => meta = Some(m.clone()),
            Some(first)
                if (&first.scenario, first.seed, &first.layout, first.runs)
                    != (&m.scenario, m.seed, &m.layout, m.runs) =>
            {
                return Err(read_err(
                    &mpath,
                    format!(
                        "not a shard of the same batch as {} (scenario, seed, layout and runs must match)",
                        dirs[0].display()
                    ),
                ));
            }
            Some(_) => {}
        }
        let rpath = d.join("runs.csv");
        let (h, r) = read_rows(&rpath)?;
        match &header {
            None => header = Some(h),
            Some(first) if *first != h => {
                return Err(read_err(&rpath, "its columns differ from the first shard's"));
            }
            Some(_) => {}
        }
        rows.extend(r);
    }
    let (Some(mut meta), Some(header)) = (meta, header) else {
        return Err(read_err(Path::new("merge"), "no shard folders given"));
    };
    let mut seen = BTreeSet::new();
    for r in &rows {
        let i = run_of(r);
        if !seen.insert(i) {
            return Err(read_err(out, format!("run {i} is in two shards")));
        }
    }
    if let Some(missing) = (0..meta.runs).find(|i| !seen.contains(i)) {
        return Err(read_err(
            out,
            format!("run {missing} of {} is in no shard folder given", meta.runs),
        ));
    }
    meta.shard = None;
    let n = rows.len();
    finish(out, &meta, header, rows)?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_split() {
        assert_eq!(Shard::parse("1/4"), Ok(Shard { k: 1, n: 4 }));
        assert!(Shard::parse("4/4").is_err());
        assert!(Shard::parse("x").unwrap_err().contains("K/N"));
        let s = Shard { k: 1, n: 3 };
        assert_eq!((0..10).filter(|&i| s.has(i)).collect::<Vec<_>>(), vec![1, 4, 7]);
    }
}
