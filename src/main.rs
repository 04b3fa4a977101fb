//! The `tabletop` command line. Parses arguments and calls the library.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};

/// Tabletop exercises and disaster scenarios for a city emergency management bureau.
///
/// Runs RON scenario files over a city road graph (bundled: Linqing, Shandong)
/// and scores relief against the plan's targets: initial relief within 12 h and
/// basic living relief within 24 h.
#[derive(Parser, Debug)]
#[command(
    name = "tabletop",
    version,
    after_help = "EXIT STATUS:\n  0  success\n  1  a run failed (e.g. the output folder could not be written)\n  2  bad input: a scenario, layout or map file was refused, or bad arguments\n  130  a batch was interrupted (Ctrl-C); its finished rows are kept\n\nEXAMPLES:\n  tabletop run scenarios/linqing/wei-flood-west.ron --out out/\n  tabletop run scenarios/linqing/wei-flood-west.ron --layout scenarios/layouts/more-town-depots.ron --out out/more\n  tabletop validate scenarios/linqing/*.ron\n  tabletop batch scenarios/linqing/wei-flood-west.ron --runs 200 --out batch/\n  tabletop run scenarios/linqing/wei-flood-west.ron --draw 137 --out out/137\n  tabletop map --places"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario headless and write a report folder.
    Run(RunArgs),
    /// Run a scenario many times with the draws of its `uncertainty` section,
    /// in parallel; write runs.csv (one row per run) and summary.json.
    Batch(BatchArgs),
    /// Combine the folders of a sharded batch (`batch --shard K/N`) into one.
    Merge(MergeArgs),
    /// Propose where to put K new town depots and how to split a stock budget
    /// among them (capacitated maximal covering, then simulation); writes a
    /// layout file that `compare` and `run --layout` take.
    Site(SiteArgs),
    /// Run depot layouts on the same draws and compare their scores (paired
    /// differences from the first layout, with 95 % confidence intervals).
    Compare(CompareArgs),
    /// Check scenario files without running them (exit status 2 if any is refused).
    Validate(ValidateArgs),
    /// List what is on a map: zones, places, named roads.
    Map(MapArgs),
    /// Run a drill: in the drill window (a build with `--features gui`), or
    /// headless from a script of commands (--script: deliver, delay or skip
    /// scripted injects, improvised injects, players' orders); writes the
    /// report folder and drill.ron, the record `replay` and `drill --review` take.
    Drill(DrillArgs),
    /// Re-run a drill from its record (drill.ron): the same report, byte for byte.
    Replay(ReplayArgs),
    /// Bring a city in from open data: a map (and terrain) the scenarios can name.
    #[command(subcommand)]
    Import(ImportSource),
    /// Toxic threat-zone calculator: downwind distances to AEGL-1/2/3, or the
    /// concentration at a point, for a chemical release (Gaussian plume).
    Plume(PlumeArgs),
}

#[derive(Args, Debug)]
struct PlumeArgs {
    /// Chemical: name, Chinese name or CAS number (from assets/chemicals.ron).
    #[arg(long)]
    chemical: String,
    /// Release rate, kg/s.
    #[arg(long, value_name = "KG_S")]
    rate: f64,
    /// Release duration, e.g. 10m or 1h (default: continuous).
    #[arg(long, value_name = "DURATION")]
    duration: Option<String>,
    /// Wind speed at 10 m, m/s.
    #[arg(long, value_name = "M_S")]
    wind: f64,
    /// Pasquill–Gifford stability class, A (very unstable) to F (very stable).
    #[arg(long, value_parser = parse_stability)]
    stability: tabletop::hazard::plume::Stability,
    /// Use Briggs urban dispersion (default rural).
    #[arg(long)]
    urban: bool,
    /// Release height above ground, m.
    #[arg(long, default_value_t = 0.0, value_name = "M")]
    height: f64,
    /// Print the ground-level concentration at X,Y: X m downwind, Y m crosswind.
    #[arg(long, value_name = "X,Y", value_parser = parse_xy, allow_hyphen_values = true)]
    at: Option<(f64, f64)>,
    /// Compare with the 10-minute or the 60-minute AEGLs.
    #[arg(long, default_value = "60", value_parser = ["10", "60"])]
    aegl_minutes: String,
    /// Chemicals file (default: assets/chemicals.ron).
    #[arg(long, value_name = "FILE")]
    chemicals: Option<PathBuf>,
}

fn parse_stability(s: &str) -> Result<tabletop::hazard::plume::Stability, String> {
    use tabletop::hazard::plume::Stability::*;
    match s.trim().to_ascii_uppercase().as_str() {
        "A" => Ok(A),
        "B" => Ok(B),
        "C" => Ok(C),
        "D" => Ok(D),
        "E" => Ok(E),
        "F" => Ok(F),
        _ => Err(format!("expected a stability class A, B, C, D, E or F, found \"{s}\"")),
    }
}

fn parse_jobs(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!("expected a number of jobs from 1 to 1024, found \"{s}\"")),
    }
}

fn parse_xy(s: &str) -> Result<(f64, f64), String> {
    let err = || format!("expected X,Y in metres (downwind, crosswind), e.g. 1000,0; found \"{s}\"");
    let (x, y) = s.split_once(',').ok_or_else(err)?;
    let x: f64 = x.trim().parse().map_err(|_| err())?;
    let y: f64 = y.trim().parse().map_err(|_| err())?;
    if x.is_finite() && y.is_finite() {
        Ok((x, y))
    } else {
        Err(err())
    }
}

#[derive(Args, Debug)]
struct LayoutArg {
    /// A depot layout file whose depots (and fleet, if it has one) replace the scenario's.
    #[arg(long, value_name = "LAYOUT.ron")]
    layout: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// The scenario file.
    #[arg(value_name = "SCENARIO.ron")]
    scenario: PathBuf,
    #[command(flatten)]
    layout: LayoutArg,
    /// Folder for report.json, timeline.csv, journal.jsonl, report.html and map.geojson (written atomically).
    #[arg(long, short, value_name = "DIR", default_value = "out")]
    out: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    /// Run draw I of a batch (its uncertain parameters and seed), as `batch` runs it.
    #[arg(long, value_name = "I")]
    draw: Option<u64>,
}

#[derive(Args, Debug)]
struct BatchArgs {
    /// The scenario file.
    #[arg(value_name = "SCENARIO.ron")]
    scenario: PathBuf,
    #[command(flatten)]
    layout: LayoutArg,
    /// Runs in the batch (draws 0 to N−1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    runs: u64,
    /// Runs at once (default: the number of CPU cores).
    #[arg(long, value_name = "N", value_parser = parse_jobs)]
    jobs: Option<usize>,
    /// Folder for runs.csv, summary.json and batch.json.
    #[arg(long, short, value_name = "DIR", default_value = "batch")]
    out: PathBuf,
    /// Carry on an interrupted batch in the same folder.
    #[arg(long)]
    resume: bool,
    /// Run only shard K of N (draws i with i mod N = K); combine with `merge`.
    #[arg(long, value_name = "K/N", value_parser = tabletop::batch::run::Shard::parse)]
    shard: Option<tabletop::batch::run::Shard>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args, Debug)]
struct CompareArgs {
    /// The scenario file.
    #[arg(value_name = "SCENARIO.ron")]
    scenario: PathBuf,
    /// Layout files; the first is the reference.
    #[arg(long, value_name = "LAYOUT.ron", num_args = 2.., required = true)]
    layouts: Vec<PathBuf>,
    /// Runs per layout (draws 0 to N−1, the same for every layout).
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    runs: u64,
    /// Runs at once (default: the number of CPU cores).
    #[arg(long, value_name = "N", value_parser = parse_jobs)]
    jobs: Option<usize>,
    /// Folder for compare.json, compare.html and runs-K.csv.
    #[arg(long, short, value_name = "DIR", default_value = "compare")]
    out: PathBuf,
    /// No progress bar, no table.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args, Debug)]
struct SiteArgs {
    /// The scenario file.
    #[arg(value_name = "SCENARIO.ron")]
    scenario: PathBuf,
    /// New depots to place.
    #[arg(long, value_name = "K", default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=20))]
    k: u64,
    /// Candidate places, comma-separated (default: every depot place of the
    /// map that is not a depot of the scenario, e.g. the candidate sites).
    #[arg(long, value_name = "PLACES", value_delimiter = ',')]
    candidates: Vec<String>,
    /// A site covers the people it reaches by road within this time.
    #[arg(long, value_name = "DURATION", default_value = "30m")]
    within: String,
    /// Initial-relief kits to split among the new depots.
    #[arg(long, value_name = "N", default_value_t = 6000)]
    budget_initial: u64,
    /// Basic-relief sets to split among the new depots.
    #[arg(long, value_name = "N", default_value_t = 3600)]
    budget_basic: u64,
    /// Most initial kits one new depot can hold (default: the whole budget).
    #[arg(long, value_name = "N")]
    site_capacity: Option<u64>,
    /// Draws of the scenario whose affected people make the demand.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    draws: u64,
    /// Runs per proposal in the simulation stage.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
    runs: u64,
    /// Runs at once (default: the number of CPU cores).
    #[arg(long, value_name = "N", value_parser = parse_jobs)]
    jobs: Option<usize>,
    /// Folder for proposal.ron (a layout file) and site.json.
    #[arg(long, short, value_name = "DIR", default_value = "site")]
    out: PathBuf,
}

#[derive(Args, Debug)]
struct MergeArgs {
    /// Shard folders (each with batch.json and runs.csv).
    #[arg(value_name = "DIR", required = true)]
    dirs: Vec<PathBuf>,
    /// Folder for the merged runs.csv, summary.json and batch.json.
    #[arg(long, short, value_name = "DIR")]
    out: PathBuf,
}

#[derive(Args, Debug)]
struct ValidateArgs {
    /// Scenario files.
    #[arg(value_name = "SCENARIO.ron", required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    layout: LayoutArg,
}

#[derive(Args, Debug)]
struct DrillArgs {
    /// The scenario file (not needed with --review, which takes it from the record).
    #[arg(value_name = "SCENARIO.ron", required_unless_present = "review")]
    scenario: Option<PathBuf>,
    #[command(flatten)]
    layout: LayoutArg,
    /// Run headless from a script of commands with their times:
    /// `Script(commands: [(at: "6h", command: Skip("x006-cut")), ...])`.
    /// Without it the drill window opens (a build with `--features gui`).
    #[arg(long, value_name = "SCRIPT.ron")]
    script: Option<PathBuf>,
    /// Open a finished drill's record (drill.ron) in the window, with a time
    /// slider and its decisions marked.
    #[arg(long, value_name = "DRILL.ron", conflicts_with = "script")]
    review: Option<PathBuf>,
    /// Render the window at --at to this PNG, check the picture (not blank,
    /// depots drawn in their colours where the map puts them) and exit.
    #[arg(long, value_name = "PNG", conflicts_with = "script")]
    screenshot: Option<PathBuf>,
    /// Start the window at this simulated time (e.g. "6h"); with --screenshot,
    /// the moment rendered.
    #[arg(long, value_name = "DURATION")]
    at: Option<String>,
    /// Interface language of the window: zh or en.
    #[arg(long, default_value = "zh", value_name = "zh|en")]
    lang: String,
    /// Simulated seconds per real second to start with (0 starts paused).
    #[arg(long, default_value_t = 0.0, value_name = "X")]
    speed: f64,
    /// Close the window after this many real seconds (for measurements).
    #[arg(long, value_name = "SECONDS")]
    exit_after: Option<f64>,
    /// Print frame times (simulation + UI systems) when the window closes.
    #[arg(long)]
    frame_stats: bool,
    /// Let scripted injects go in when due instead of stopping the clock for
    /// the facilitator.
    #[arg(long)]
    no_hold: bool,
    /// Folder for the report files and drill.ron (written atomically).
    #[arg(long, short, value_name = "DIR", default_value = "out")]
    out: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args, Debug)]
struct ReplayArgs {
    /// A drill's record (drill.ron in its report folder).
    #[arg(value_name = "DRILL.ron")]
    record: PathBuf,
    /// Folder for the report files (written atomically).
    #[arg(long, short, value_name = "DIR", default_value = "out")]
    out: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Subcommand, Debug)]
enum ImportSource {
    /// From OpenStreetMap: drivable roads (split at junctions, one-way rules,
    /// speeds, lanes, bridges; the largest strongly connected part), hospitals,
    /// fire stations, candidate shelters and depots, chemical works, rivers and
    /// administrative boundaries; optional elevation and population rasters.
    Osm(ImportOsmArgs),
}

#[derive(Args, Debug)]
struct ImportOsmArgs {
    /// OSM file: .osm.pbf or .osm (XML).
    #[arg(value_name = "OSM_FILE")]
    file: PathBuf,
    /// The map file to write, e.g. assets/maps/NAME.ron (terrain rasters go
    /// next to it as NAME-dem.asc and NAME-landuse.asc).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Only what lies in this box: WEST,SOUTH,EAST,NORTH in degrees.
    #[arg(long, value_name = "W,S,E,N", allow_hyphen_values = true)]
    bbox: Option<tabletop::import::BBox>,
    /// Map name (default: the output file's name).
    #[arg(long)]
    name: Option<String>,
    /// Chinese map name (default: the name).
    #[arg(long)]
    name_zh: Option<String>,
    /// Elevation raster in WGS84 degrees (ESRI ASCII grid .asc or GeoTIFF .tif),
    /// e.g. SRTM or Copernicus DEM; resampled to the map's grid. Floods and
    /// fires need it.
    #[arg(long, value_name = "FILE")]
    elevation: Option<PathBuf>,
    /// Population by zone: CSV lines `zone,people` (zone by name or Chinese name).
    #[arg(long, value_name = "FILE", conflicts_with = "population_raster")]
    population_csv: Option<PathBuf>,
    /// Population raster in WGS84 degrees (people per cell, as WorldPop
    /// publishes): each cell's people go to the nearest road node.
    #[arg(long, value_name = "FILE")]
    population_raster: Option<PathBuf>,
    /// Administrative level of the zones (default: the finest level with at
    /// least two boundaries over the roads; 8 is towns and subdistricts in China).
    #[arg(long, value_name = "N")]
    admin_level: Option<u8>,
    /// Terrain cell size, m.
    #[arg(long, default_value_t = 100.0, value_name = "M")]
    cell_m: f64,
    /// Longest road edge, m: longer ways keep shape points as nodes (floods are
    /// read along straight edges).
    #[arg(long, default_value_t = 500.0, value_name = "M")]
    max_edge_m: f64,
}

#[derive(Args, Debug)]
struct MapArgs {
    /// Map name or file.
    #[arg(default_value = "linqing")]
    map: String,
    /// List zones.
    #[arg(long)]
    zones: bool,
    /// List named places.
    #[arg(long)]
    places: bool,
    /// List named roads.
    #[arg(long)]
    roads: bool,
}

/// `writeln!` into a String (infallible).
macro_rules! outln {
    ($buf:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($buf, $($arg)*);
    }};
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::from(e.exit_code())
        }
    }
}

fn dispatch(cli: Cli) -> Result<(), tabletop::Error> {
    match cli.command {
        Command::Run(a) => {
            let t0 = Instant::now();
            let spec = tabletop::scenario::load(&a.scenario, a.layout.layout.as_deref())?;
            let spec = match a.draw {
                Some(i) => tabletop::batch::draw::apply(&spec, i).0,
                None => spec,
            };
            let result = tabletop::run_spec(std::sync::Arc::new(spec));
            tabletop::report::write_atomically(&a.out, &result.files())?;
            if !a.quiet {
                print!("{}", result.summary());
                println!(
                    "  report: {} (report.json, timeline.csv, journal.jsonl, report.html, map.geojson) · {:.2} s",
                    a.out.display(),
                    t0.elapsed().as_secs_f64()
                );
            }
            Ok(())
        }
        Command::Batch(a) => {
            let t0 = Instant::now();
            let spec = std::sync::Arc::new(tabletop::scenario::load(&a.scenario, a.layout.layout.as_deref())?);
            let stop: &'static std::sync::atomic::AtomicBool =
                Box::leak(Box::new(std::sync::atomic::AtomicBool::new(false)));
            // Ctrl-C: finish the runs under way, keep their rows, stop.
            let _ = ctrlc::set_handler(move || {
                stop.store(true, std::sync::atomic::Ordering::SeqCst);
                eprintln!("\nstopping after the runs under way (their rows are kept)...");
            });
            let opts = tabletop::batch::run::Options {
                runs: a.runs,
                jobs: a
                    .jobs
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
                shard: a.shard,
                resume: a.resume,
                progress: !a.quiet,
            };
            match tabletop::batch::run::run_batch(spec, &a.out, &opts, stop)? {
                tabletop::batch::run::Outcome::Done { runs } => {
                    if !a.quiet {
                        println!(
                            "{runs} runs in {:.1} s with {} jobs: {} (runs.csv, summary.json, batch.json)",
                            t0.elapsed().as_secs_f64(),
                            opts.jobs,
                            a.out.display()
                        );
                    }
                    Ok(())
                }
                tabletop::batch::run::Outcome::Interrupted { done, of } => {
                    eprintln!(
                        "interrupted: {done} of {of} runs done, kept in {}; run the same command with --resume to carry on",
                        a.out.join("runs.partial.csv").display()
                    );
                    Err(tabletop::Error::Interrupted)
                }
            }
        }
        Command::Compare(a) => {
            let t0 = Instant::now();
            let mut specs = Vec::new();
            let mut problems = Vec::new();
            for l in &a.layouts {
                match tabletop::scenario::load(&a.scenario, Some(l)) {
                    Ok(s) => specs.push(std::sync::Arc::new(s)),
                    Err(tabletop::Error::Input(ds)) => problems.extend(ds),
                    Err(e) => return Err(e),
                }
            }
            if !problems.is_empty() {
                return Err(tabletop::Error::Input(problems));
            }
            let jobs = a
                .jobs
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            let (c, rows, header) = tabletop::batch::compare::compare(&specs, a.runs, jobs, !a.quiet)?;
            let maps: Vec<String> = specs
                .iter()
                .map(|s| {
                    let (drawn, _) = tabletop::batch::draw::apply(s, 0);
                    let r = tabletop::run_spec(std::sync::Arc::new(drawn));
                    tabletop::report::html::map_svg(&r, 440.0)
                })
                .collect();
            let html = tabletop::batch::compare::html(&c, &maps);
            tabletop::batch::compare::write(&a.out, &c, &rows, &header, html)?;
            if !a.quiet {
                print!("{}", tabletop::batch::compare::table(&c));
                println!(
                    "\n  {} runs in {:.1} s: {} (compare.json, compare.html, runs-K.csv)",
                    a.runs * specs.len() as u64,
                    t0.elapsed().as_secs_f64(),
                    a.out.display()
                );
            }
            Ok(())
        }
        Command::Site(a) => site(a),
        Command::Merge(a) => {
            let n = tabletop::batch::run::merge(&a.dirs, &a.out)?;
            println!(
                "{n} runs merged: {} (runs.csv, summary.json, batch.json)",
                a.out.display()
            );
            Ok(())
        }
        Command::Validate(a) => {
            let mut problems = Vec::new();
            for f in &a.files {
                match tabletop::scenario::load(f, a.layout.layout.as_deref()) {
                    Ok(spec) => println!(
                        "ok: {} ({} depots, {} trucks, {} impacts, {} injects)",
                        f.display(),
                        spec.depots.len(),
                        spec.fleet.iter().map(|x| x.trucks).sum::<u32>(),
                        spec.impacts.len(),
                        spec.injects.len()
                    ),
                    Err(tabletop::Error::Input(ds)) => problems.extend(ds),
                    Err(e) => return Err(e),
                }
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(tabletop::Error::Input(problems))
            }
        }
        Command::Plume(a) => {
            let cwd = std::env::current_dir().unwrap_or_default();
            let path = match a.chemicals {
                Some(p) => p,
                None => tabletop::hazard::default_chemicals_path(&cwd).ok_or_else(|| {
                    tabletop::Error::one(tabletop::Diagnostic::new(
                        std::path::Path::new("assets/chemicals.ron"),
                        None,
                        "",
                        "no chemicals file found; pass --chemicals FILE",
                    ))
                })?,
            };
            let chemicals = tabletop::hazard::load_chemicals_file(&path)?;
            let duration_s = match &a.duration {
                Some(d) => tabletop::scenario::time::parse_duration(d)
                    .map_err(|m| {
                        tabletop::Error::one(tabletop::Diagnostic::new(
                            std::path::Path::new("command line"),
                            None,
                            "--duration",
                            m,
                        ))
                    })?
                    .secs() as f64,
                None => f64::INFINITY,
            };
            let query = tabletop::hazard::calc::PlumeQuery {
                chemical: a.chemical,
                rate_kg_s: a.rate,
                duration_s,
                wind_m_s: a.wind,
                stability: a.stability,
                urban: a.urban,
                height_m: a.height,
                at: a.at,
                aegl: if a.aegl_minutes == "10" {
                    tabletop::hazard::plume::AeglDuration::Min10
                } else {
                    tabletop::hazard::plume::AeglDuration::Min60
                },
            };
            print_ignoring_broken_pipe(&tabletop::hazard::calc::answer(&query, &chemicals)?);
            Ok(())
        }
        Command::Drill(a) => {
            let Some(script) = &a.script else {
                return open_window(&a);
            };
            let Some(scenario) = &a.scenario else {
                return Err(cli_error("SCENARIO.ron", "a scenario file is needed with --script"));
            };
            let (result, record) = tabletop::drill::run_script(scenario, a.layout.layout.as_deref(), script)?;
            let mut files = result.files();
            files.push(("drill.ron", tabletop::drill::record_ron(&record)));
            files.push(("aar.md", tabletop::report::evaluation::aar_markdown(&result)));
            tabletop::report::write_atomically(&a.out, &files)?;
            if !a.quiet {
                print!("{}", result.summary());
                println!(
                    "  {} commands; replay with: tabletop replay {}",
                    record.commands.len(),
                    a.out.join("drill.ron").display()
                );
            }
            Ok(())
        }
        Command::Replay(a) => {
            let (result, record) = tabletop::drill::replay(&a.record)?;
            let mut files = result.files();
            files.push(("drill.ron", tabletop::drill::record_ron(&record)));
            files.push(("aar.md", tabletop::report::evaluation::aar_markdown(&result)));
            tabletop::report::write_atomically(&a.out, &files)?;
            if !a.quiet {
                print!("{}", result.summary());
            }
            Ok(())
        }
        Command::Import(ImportSource::Osm(a)) => {
            if !(a.cell_m.is_finite() && (10.0..=1000.0).contains(&a.cell_m)) {
                return Err(cli_error(
                    "--cell-m",
                    format!("expected 10 to 1000 m, found {}", a.cell_m),
                ));
            }
            if !(a.max_edge_m.is_finite() && a.max_edge_m >= 50.0) {
                return Err(cli_error(
                    "--max-edge-m",
                    format!("expected at least 50 m, found {}", a.max_edge_m),
                ));
            }
            let name = a.name.clone().unwrap_or_else(|| {
                a.out
                    .file_stem()
                    .map_or("imported".into(), |s| s.to_string_lossy().into_owned())
            });
            let imported = tabletop::import::import(&tabletop::import::ImportOptions {
                input: a.file,
                bbox: a.bbox,
                name,
                name_zh: a.name_zh,
                elevation: a.elevation,
                population_csv: a.population_csv,
                population_raster: a.population_raster,
                admin_level: a.admin_level,
                cell_m: a.cell_m,
                max_edge_m: a.max_edge_m,
            })?;
            tabletop::import::write(&imported, &a.out)?;
            println!("{}", imported.summary);
            println!("wrote {}", a.out.display());
            Ok(())
        }
        Command::Map(a) => {
            let path = tabletop::city::resolve_map_path(&a.map, &std::env::current_dir().unwrap_or_default())
                .ok_or_else(|| {
                    tabletop::Error::one(tabletop::Diagnostic::new(
                        std::path::Path::new(&a.map),
                        None,
                        "",
                        "no such map (looked in assets/maps/)",
                    ))
                })?;
            let city = tabletop::city::CityMap::load(&path)?;
            let all = !(a.zones || a.places || a.roads);
            let mut buf = String::new();
            outln!(
                buf,
                "{} ({}): {} nodes, {} road segments, {} places",
                city.name,
                city.name_zh,
                city.node_count(),
                city.segments.len(),
                city.places.len()
            );
            outln!(buf, "{}", city.provenance);
            if all || a.zones {
                outln!(buf, "\nzones:");
                for z in &city.zones {
                    outln!(
                        buf,
                        "  {:<8} {:<14} {:?}  {} people",
                        z.name_zh,
                        z.name,
                        z.kind,
                        z.population
                    );
                }
            }
            if all || a.places {
                outln!(buf, "\nplaces:");
                for p in &city.places {
                    outln!(buf, "  {:<18?} {}  /  {}", p.kind, p.name_zh, p.name);
                }
            }
            if all || a.roads {
                let mut roads: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> = Default::default();
                for s in &city.segments {
                    if let Some(name) = s.name.as_deref() {
                        let zones = roads.entry(name).or_default();
                        for n in [s.a, s.b] {
                            zones.insert(city.zones[usize::from(city.node_zone[n as usize])].name_zh.as_str());
                        }
                    }
                }
                outln!(buf, "\nnamed roads (and the zones they cross):");
                for (name, zones) in roads {
                    outln!(
                        buf,
                        "  {:<10} {}",
                        name,
                        zones.into_iter().collect::<Vec<_>>().join(" ")
                    );
                }
            }
            print_ignoring_broken_pipe(&buf);
            Ok(())
        }
    }
}

fn cli_error(field: &str, message: impl Into<String>) -> tabletop::Error {
    tabletop::Error::one(tabletop::Diagnostic::new(
        std::path::Path::new("command line"),
        None,
        field,
        message,
    ))
}

/// `tabletop site`: both stages, then `proposal.ron` and `site.json`.
fn site(a: SiteArgs) -> Result<(), tabletop::Error> {
    use tabletop::city::PlaceKind;
    let t0 = Instant::now();
    let spec = std::sync::Arc::new(tabletop::scenario::load(&a.scenario, None)?);
    let city = &spec.city;
    let candidates: Vec<usize> = if a.candidates.is_empty() {
        (0..city.places.len())
            .filter(|&p| {
                city.places[p].kind == PlaceKind::Depot && !spec.depots.iter().any(|d| d.node == city.places[p].node)
            })
            .collect()
    } else {
        let mut out = Vec::new();
        for name in &a.candidates {
            let found = city
                .places
                .iter()
                .position(|p| p.name == name.trim() || p.name_zh == name.trim())
                .ok_or_else(|| {
                    cli_error(
                        "--candidates",
                        format!(
                            "\"{}\" is not a place on the map (see `tabletop map --places`)",
                            name.trim()
                        ),
                    )
                })?;
            out.push(found);
        }
        out
    };
    if candidates.len() < a.k as usize {
        return Err(cli_error(
            "--k",
            format!(
                "{} new depots asked for, but only {} candidate places",
                a.k,
                candidates.len()
            ),
        ));
    }
    let within = tabletop::scenario::time::parse_duration(&a.within).map_err(|m| cli_error("--within", m))?;
    let opts = tabletop::batch::site::SiteOptions {
        k: a.k as usize,
        candidates,
        within_s: within.secs() as f64,
        budget: (a.budget_initial, a.budget_basic),
        site_capacity: a.site_capacity.unwrap_or(a.budget_initial),
        draws: a.draws,
        runs: a.runs,
        jobs: a
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
    };
    let (report, chosen) = tabletop::batch::site::site(&spec, &opts);
    // The proposal: the scenario's depots and the new ones, as a layout file.
    let text = std::fs::read_to_string(&a.scenario).map_err(|source| tabletop::Error::Io {
        path: a.scenario.clone(),
        source,
    })?;
    let scenario: tabletop::scenario::Scenario = tabletop::scenario::parse_ron(&a.scenario, &text)?;
    let mut depots = scenario.depots.clone();
    for (k, (p, initial, basic)) in chosen.iter().enumerate() {
        depots.push(tabletop::scenario::DepotSpec {
            id: format!("new-{}", k + 1),
            place: Some(city.places[*p].name.clone()),
            at: None,
            tier: tabletop::scenario::Tier::Government,
            stock: tabletop::scenario::Stock {
                initial: *initial as u32,
                basic: *basic as u32,
            },
            bays: 4,
        });
    }
    let best = report.proposals.first();
    let layout = tabletop::scenario::LayoutFile {
        name: format!(
            "{}-site-{}",
            a.scenario.file_stem().unwrap_or_default().to_string_lossy(),
            a.k
        ),
        description: format!(
            "Proposed by `tabletop site` for \"{}\": the scenario's depots and {} new ones ({}).",
            spec.name,
            chosen.len(),
            best.map(|p| p.sites.join(", ")).unwrap_or_default()
        ),
        depots,
        fleet: None,
    };
    let ron = ron::ser::to_string_pretty(&layout, ron::ser::PrettyConfig::default().depth_limit(2))
        .map_err(|e| cli_error("proposal.ron", e.to_string()))?;
    let json = serde_json::to_string_pretty(&report).map_err(|e| cli_error("site.json", e.to_string()))?;
    tabletop::report::write_atomically(
        &a.out,
        &[
            (
                "proposal.ron",
                format!("// Written by tabletop site; run it with --layout.\n{ron}\n"),
            ),
            ("site.json", format!("{json}\n")),
        ],
    )?;
    println!(
        "{}: {} people affected on average over {} draws; existing depots cover {} within {}",
        report.scenario, report.demand_people, a.draws, report.covered_by_existing, a.within
    );
    if let Some(b) = report.baseline_initial_within_target {
        println!(
            "  as it is: initial relief within target {:.1} % (mean of {} runs)",
            b * 100.0,
            a.runs
        );
    }
    for (k, p) in report.proposals.iter().enumerate() {
        println!(
            "  {} {}: covers {} people; initial relief within target {}; basic {}",
            if k == 0 { "proposal" } else { "  alternative" },
            p.sites.join(" + "),
            p.covered_people,
            p.initial_within_target
                .map_or("—".into(), |v| format!("{:.1} %", v * 100.0)),
            p.basic_within_target
                .map_or("—".into(), |v| format!("{:.1} %", v * 100.0))
        );
    }
    println!(
        "  {:.1} s: {} (proposal.ron, site.json)",
        t0.elapsed().as_secs_f64(),
        a.out.display()
    );
    Ok(())
}

/// Print to stdout; a closed pipe (`tabletop map | head`) is not an error.
fn print_ignoring_broken_pipe(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// The drill window (a build with the `gui` feature).
#[cfg(feature = "gui")]
fn open_window(a: &DrillArgs) -> Result<(), tabletop::Error> {
    let at = match &a.at {
        Some(s) => Some(tabletop::scenario::time::SimTime(
            tabletop::scenario::time::parse_duration(s)
                .map_err(|m| cli_error("--at", m.to_string()))?
                .secs(),
        )),
        None => None,
    };
    if a.screenshot.is_some() && a.review.is_none() && a.scenario.is_none() {
        return Err(cli_error("SCENARIO.ron", "a scenario file is needed"));
    }
    let lang = a.lang.parse().map_err(|m: String| cli_error("--lang", m))?;
    if !(a.speed.is_finite() && a.speed >= 0.0) {
        return Err(cli_error("--speed", format!("expected 0 or more, found {}", a.speed)));
    }
    let exit_after = match a.exit_after {
        Some(s) if s.is_finite() && s > 0.0 => Some(std::time::Duration::from_secs_f64(s)),
        Some(s) => {
            return Err(cli_error(
                "--exit-after",
                format!("expected a positive number of seconds, found {s}"),
            ));
        }
        None => None,
    };
    tabletop::gui::run(tabletop::gui::GuiOptions {
        scenario: a.scenario.clone().unwrap_or_default(),
        layout: a.layout.layout.clone(),
        review: a.review.clone(),
        screenshot: a.screenshot.clone(),
        at,
        out: a.out.clone(),
        lang,
        speed: a.speed,
        exit_after,
        frame_stats: a.frame_stats,
        no_hold: a.no_hold,
    })
}

/// Without the `gui` feature there is no window: say how to get one.
#[cfg(not(feature = "gui"))]
fn open_window(_: &DrillArgs) -> Result<(), tabletop::Error> {
    Err(cli_error(
        "--script",
        "this build has no drill window: give a script (--script SCRIPT.ron) to run the drill headless, \
         or build with the window: cargo run --release --features gui -- drill SCENARIO.ron \
         (README, \"The drill window\", lists the system packages it needs)",
    ))
}
