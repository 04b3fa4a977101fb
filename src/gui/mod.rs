//! The drill window (feature `gui`): Bevy rendering and egui panels around a
//! [`Drill`]. The simulation is the headless one, untouched: the window owns a
//! `Drill` (its own sim `App`, the same plugins and `SimTick` schedule) and
//! calls its step; everything here only draws, takes input and turns the
//! facilitator's and players' decisions into drill [`Command`]s.
//!
//! ```text
//!   winit frame ─▶ advance (N sim steps, by speed, paused before due injects)
//!               ─▶ map::sync (only when the sim moved: markers, overlays, road states)
//!               ─▶ map::camera / map::pick (pan, zoom, click to inspect or to place an inject)
//!               ─▶ panels::ui (egui: clock, MSEL, commands, scoreboard, log, branches)
//! ```
//!
//! Modes: a live drill; `--review drill.ron` (a finished drill with a time
//! slider, the decisions marked, nothing new can be decided); and
//! `--screenshot PNG --at 6h` (render once at that time, check the picture,
//! exit).

mod fonts;
mod i18n;
mod map;
mod panels;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::window::{PresentMode, WindowResolution};
use bevy_egui::{EguiPlugin, EguiPrimaryContextPass};

use crate::drill::session::Session;
use crate::error::Error;
use crate::scenario::time::SimTime;

pub use i18n::Lang;

/// How the window is opened (from the command line).
#[derive(Debug, Clone)]
pub struct GuiOptions {
    /// Scenario file (for a review: taken from the record).
    pub scenario: PathBuf,
    /// Layout file replacing the depots.
    pub layout: Option<PathBuf>,
    /// Review a finished drill from its record instead of running a new one.
    pub review: Option<PathBuf>,
    /// Render the map to this PNG and exit.
    pub screenshot: Option<PathBuf>,
    /// Simulated time to start at (and to screenshot at).
    pub at: Option<SimTime>,
    /// Folder the drill's report and record go to when it ends.
    pub out: PathBuf,
    /// Interface language.
    pub lang: Lang,
    /// Simulated seconds per real second to start with (0 = paused).
    pub speed: f64,
    /// Close the window after this much real time (for measurements).
    pub exit_after: Option<Duration>,
    /// Print frame-time statistics at exit.
    pub frame_stats: bool,
    /// Let scripted injects go in when due instead of stopping the clock.
    pub no_hold: bool,
}

/// Frame timing: time spent in the simulation and in the UI systems.
#[derive(Resource, Default)]
pub struct FrameStats {
    /// Per frame: (simulation, map sync + UI), ms.
    pub frames: Vec<(f32, f32)>,
    /// The same, kept for after the window closes (the app's world is gone then).
    sink: std::sync::Arc<std::sync::Mutex<Vec<(f32, f32)>>>,
    /// This frame's UI time so far.
    ui_ms: f32,
    sim_ms: f32,
}

impl FrameStats {
    /// Percentile `q` (0–1) of sim + UI time, ms.
    pub fn percentile(&self, q: f64) -> f32 {
        let mut v: Vec<f32> = self.frames.iter().map(|(a, b)| a + b).collect();
        if v.is_empty() {
            return 0.0;
        }
        v.sort_by(f32::total_cmp);
        v[((v.len() - 1) as f64 * q).round() as usize]
    }

    /// Last frame's (sim, ui) ms.
    pub fn last(&self) -> (f32, f32) {
        self.frames.last().copied().unwrap_or_default()
    }
}

/// Options the systems read.
#[derive(Resource, Clone)]
struct Opts(GuiOptions);

/// Real time since the window opened (for `--exit-after`).
#[derive(Resource)]
struct Opened(Instant);

/// Open the window and run until it is closed.
///
/// # Errors
/// As [`Drill::start`] for the scenario; [`Error::Input`] for a bad record.
pub fn run(opts: GuiOptions) -> Result<(), Error> {
    // winit panics without a display; say what to do instead.
    if cfg!(all(unix, not(target_os = "macos")))
        && ["DISPLAY", "WAYLAND_DISPLAY", "WAYLAND_SOCKET"]
            .iter()
            .all(|v| std::env::var_os(v).is_none_or(|s| s.is_empty()))
    {
        return Err(Error::Window(
            "no display (DISPLAY and WAYLAND_DISPLAY are not set); on a machine without a screen run it \
             under a virtual one: xvfb-run -a -s \"-screen 0 1600x900x24\" tabletop drill ...; \
             or run the drill headless with --script"
                .into(),
        ));
    }
    let mut host = Session::open(
        &opts.scenario,
        opts.layout.as_deref(),
        opts.review.as_deref(),
        opts.at,
        opts.speed,
        &opts.out,
    )?;
    host.hold = !opts.no_hold;
    let font = fonts::find_cjk();
    if font.is_none() {
        eprintln!("{}", fonts::MISSING);
    }
    let title = format!(
        "tabletop — {}{}",
        host.drill.spec().name,
        if host.review.is_some() { " (review)" } else { "" }
    );
    let sink = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title,
                    resolution: WindowResolution::new(1600, 900),
                    present_mode: PresentMode::AutoVsync,
                    ..default()
                }),
                ..default()
            })
            .set(bevy::log::LogPlugin {
                filter: "wgpu=error,naga=warn,bevy_render=warn,bevy_winit=warn,tabletop=info".into(),
                ..default()
            }),
    )
    .add_plugins(EguiPlugin::default())
    .insert_resource(bevy_egui::EguiGlobalSettings {
        auto_create_primary_context: false,
        ..default()
    })
    .insert_resource(ClearColor(Color::srgb_u8(0xf7, 0xf7, 0xf2)))
    .insert_resource(Opts(opts.clone()))
    .insert_resource(Opened(Instant::now()))
    .insert_resource(fonts::CjkFont(font))
    .insert_resource(i18n::UiLang(opts.lang))
    .insert_resource(FrameStats {
        sink: sink.clone(),
        ..default()
    })
    .insert_non_send(host)
    .add_systems(Startup, map::setup)
    .add_systems(
        Update,
        (
            advance,
            map::camera,
            map::pick,
            map::sync,
            map::scale_markers,
            finish_frame,
        )
            .chain(),
    )
    .add_systems(EguiPrimaryContextPass, (fonts::install, panels::ui).chain());
    if opts.screenshot.is_some() {
        app.add_systems(Update, screenshot.after(finish_frame));
    }
    if opts.exit_after.is_some() {
        app.add_systems(Update, exit_after.after(finish_frame));
    }
    let exit = app.run();
    if opts.frame_stats {
        let frames = sink.lock().map(|f| f.clone()).unwrap_or_default();
        print_frame_stats(&FrameStats { frames, ..default() }, &opts);
    }
    match exit {
        AppExit::Success => Ok(()),
        AppExit::Error(code) => Err(Error::Window(format!("exit code {code} (see the messages above)"))),
    }
}

fn print_frame_stats(stats: &FrameStats, opts: &GuiOptions) {
    let n = stats.frames.len();
    let skip = n.min(10);
    let tail = FrameStats {
        frames: stats.frames[skip..].to_vec(),
        ..default()
    };
    let max = tail.frames.iter().map(|(a, b)| a + b).fold(0.0f32, f32::max);
    let sim: f32 = tail.frames.iter().map(|f| f.0).sum::<f32>() / tail.frames.len().max(1) as f32;
    let ui: f32 = tail.frames.iter().map(|f| f.1).sum::<f32>() / tail.frames.len().max(1) as f32;
    println!(
        "frame time in simulation + UI systems over {} frames at {}× (first {skip} skipped): p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms; mean sim {:.2} ms, mean UI {:.2} ms",
        tail.frames.len(),
        opts.speed,
        tail.percentile(0.5),
        tail.percentile(0.95),
        max,
        sim,
        ui
    );
}

/// The clock: advance the drill by real time × speed, within a budget.
fn advance(mut host: NonSendMut<Session>, time: Res<Time>, mut stats: ResMut<FrameStats>, opts: Res<Opts>) {
    let started = Instant::now();
    host.poll_branches();
    if !host.paused && opts.0.screenshot.is_none() {
        let sim_s = time.delta_secs_f64() * host.speed;
        if let Err(e) = host.advance(sim_s, Duration::from_millis(12)) {
            host.status = Some((false, e.to_string()));
            host.paused = true;
        }
    }
    stats.sim_ms = started.elapsed().as_secs_f32() * 1000.0;
    stats.ui_ms = 0.0;
}

/// Time spent in the UI systems of this frame (map sync, picking, egui).
pub(crate) fn add_ui_time(stats: &mut FrameStats, since: Instant) {
    stats.ui_ms += since.elapsed().as_secs_f32() * 1000.0;
}

fn finish_frame(mut stats: ResMut<FrameStats>) {
    let (s, u) = (stats.sim_ms, stats.ui_ms);
    stats.frames.push((s, u));
    if let Ok(mut sink) = stats.sink.lock() {
        sink.push((s, u));
    }
}

fn exit_after(opened: Res<Opened>, opts: Res<Opts>, mut exit: MessageWriter<AppExit>) {
    if opts.0.exit_after.is_some_and(|d| opened.0.elapsed() >= d) {
        exit.write(AppExit::Success);
    }
}

/// Screenshot mode: let a few frames pass (meshes and the font reach the
/// GPU), capture the window, check it and exit.
fn screenshot(
    mut commands: Commands,
    mut frames: Local<u32>,
    opts: Res<Opts>,
    probe: Res<map::Probe>,
    mut exit: MessageWriter<AppExit>,
) {
    *frames += 1;
    let Some(path) = opts.0.screenshot.clone() else { return };
    if *frames == 40 {
        let probe = probe.clone();
        commands
            .spawn(bevy::render::view::screenshot::Screenshot::primary_window())
            .observe(
                move |captured: On<bevy::render::view::screenshot::ScreenshotCaptured>,
                      mut exit: MessageWriter<AppExit>| {
                    let code = match save_and_check(&captured.image, &path, &probe) {
                        Ok(report) => {
                            println!("{report}");
                            AppExit::Success
                        }
                        Err(e) => {
                            eprintln!("error: {e}");
                            AppExit::error()
                        }
                    };
                    exit.write(code);
                },
            );
    }
    if *frames > 600 {
        eprintln!("error: no screenshot after 600 frames");
        exit.write(AppExit::error());
    }
}

/// Write the picture (atomically) and check it: not blank, and the probed
/// features (depots) have their colour where the map puts them.
fn save_and_check(image: &Image, path: &Path, probe: &map::Probe) -> Result<String, String> {
    let dynamic = image
        .clone()
        .try_into_dynamic()
        .map_err(|e| format!("cannot read the screenshot: {e}"))?;
    let rgb = dynamic.to_rgb8();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().map_or("screenshot".into(), |n| n.to_string_lossy())
    ));
    rgb.save_with_format(&tmp, image::ImageFormat::Png)
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (w, h) = rgb.dimensions();
    let mut colours = std::collections::BTreeSet::new();
    for p in rgb.pixels().step_by(7) {
        colours.insert(p.0);
    }
    let mut report = format!(
        "screenshot {} ({w}×{h}, {} distinct colours sampled)",
        path.display(),
        colours.len()
    );
    if colours.len() < 8 {
        return Err(format!("{report}: the picture is blank"));
    }
    let scale = w as f32 / probe.window_w.max(1.0);
    let mut found = 0;
    for (name, x, y, want) in &probe.points {
        let (px, py) = ((x * scale).round() as u32, (y * scale).round() as u32);
        if px >= w || py >= h {
            continue;
        }
        let got = rgb.get_pixel(px, py).0;
        let close = got.iter().zip(want).all(|(a, b)| a.abs_diff(*b) <= 24);
        report.push_str(&format!(
            "\n  {name} at ({px}, {py}): #{:02x}{:02x}{:02x}, expected #{:02x}{:02x}{:02x}: {}",
            got[0],
            got[1],
            got[2],
            want[0],
            want[1],
            want[2],
            if close { "ok" } else { "MISMATCH" }
        ));
        if close {
            found += 1;
        }
    }
    if probe.points.is_empty() {
        return Err(format!("{report}: no depot is on screen to check"));
    }
    if found * 2 < probe.points.len() {
        return Err(format!("{report}\nmost depots are not drawn where the map puts them"));
    }
    Ok(report)
}
