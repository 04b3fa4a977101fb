//! The drill's command layer: a run driven step by step, into which the
//! facilitator's decisions go as [`Command`]s, each recorded with the
//! simulated time it took effect. The GUI (a later stage) and the headless
//! `tabletop drill --script` both drive a [`Drill`]; `tabletop replay` re-runs
//! a drill from its record ([`DrillRecord`], `drill.ron`) and gives the same
//! report, byte for byte.
//!
//! Time: between two ticks the world stands at the start of the next step.
//! A command given there takes effect at that moment ([`Drill::now`]); the
//! replay applies it at the same tick, so the two runs cannot differ.
//!
//! Facilitator's commands manage the MSEL (deliver, delay, skip a scripted
//! inject) and add improvised injects in the scenario's own inject syntax
//! (close a road, add a fire or a breach, shift the wind, take a depot out of
//! service, ...).
//!
//! Players' commands (issue #5) are the human decisions of the response:
//! - `Evacuate(zone)`: order a zone out. People who stay at home there now
//!   (not those already ordered out, stranded or trapped) are ordered out
//!   with the scenario's evacuation rules (refusals, delay, walk or bus,
//!   shelters nearest first and never beyond capacity); the journal gets an
//!   `EvacuationOrdered` per home node, which the exercise evaluation's
//!   `EvacuationOrdered(zone)` check sees. People affected in the zone later
//!   are ordered out as if their impact said `evacuate: true`. Each
//!   shelter's share leaves its group as a new group (`SplitOff`), affected
//!   when they were; relief already handed out is shared between the parts,
//!   and trucks bringing more than those left at home can use are called
//!   off (`Cancelled`; a loaded one takes its cargo back to its depot): the
//!   dispatcher serves the evacuees at their shelter once they are there.
//!   Refused without an `evacuation` section.
//! - `Manual(zone)` / `Auto(zone)`: take a zone out of the automatic
//!   dispatch (its groups get only the trucks players send; a group belongs
//!   to the zone of its home, evacuees too) and hand it back. Community
//!   stations still hand out in their zone: they are people on the spot,
//!   not trucks.
//! - `Assign(truck, group)`: send an idle truck to a group now. It loads at
//!   its own depot if that has what the group needs, otherwise at the depot
//!   the dispatcher would choose for it, and then behaves like any
//!   dispatched truck. Refused when the truck is unknown, busy or not ready,
//!   the group unknown, fully served or with nobody there to serve, or no
//!   depot with what it needs reaches it.
//! - `DepotPriority(depot, [zones])`: a depot's stock goes first to groups
//!   in those zones (the policy's order among them); `[]` ends it.
//!
//! A command changes nothing at once: it goes into [`PlayerOrders`], which
//! the systems of the next tick read in their own set (evacuations in
//! `Impacts`, trucks by hand in `Dispatch`), so a replay applies it at the
//! same tick. Zones are named as in scenarios (pinyin or Chinese); a name
//! not on the map is refused with a hint.

pub mod session;
pub mod view;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bevy::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Diagnostic, Error};
use crate::report::RunResult;
use crate::scenario::locate::SourceIndex;
use crate::scenario::time::{SimDuration, SimTime, TimeSpec, parse_duration};
use crate::scenario::{InjectDef, InjectSpec, RunSpec};
use crate::sim::journal::SimEvent;
use crate::sim::{PendingInjects, PlayerOrders, SimClock, SimTick};

/// A decision taken in the drill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Deliver a scripted inject now (ahead of its time, or after a delay).
    Deliver(String),
    /// Hold a scripted inject back until a later time (a duration from the
    /// start, like an inject's `at`).
    Delay(String, String),
    /// Drop a scripted inject.
    Skip(String),
    /// A new inject made up on the spot, in the scenario's inject syntax; its
    /// `at` is ignored (it is delivered now).
    Inject(Box<InjectSpec>),
    /// Order a zone (pinyin or Chinese name) out: people who stay at home
    /// there now leave for shelters, and so will people affected there from
    /// now on. Needs the scenario's `evacuation` section.
    Evacuate(String),
    /// Take a zone out of the automatic dispatch: its groups get only the
    /// trucks players send (`Assign`).
    Manual(String),
    /// Hand a zone under manual control back to the automatic dispatch.
    Auto(String),
    /// Send an idle truck (its number: `Truck #3` is 3) to a group (`Group
    /// #12` is 12) now, loading at its own depot, or else where the
    /// dispatcher would load it.
    Assign(u32, u32),
    /// A depot (by id) serves groups in the listed zones first; an empty
    /// list ends its priority.
    DepotPriority(String, Vec<String>),
}

/// A command with the moment it took effect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Seconds since the start.
    pub at_s: i64,
    /// The command.
    pub command: Command,
}

/// Everything needed to run a drill again: `drill.ron`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillRecord {
    /// The scenario file.
    pub scenario: PathBuf,
    /// The layout file, if one replaced the depots.
    #[serde(default)]
    pub layout: Option<PathBuf>,
    /// FNV-1a hash of the scenario text when the drill ran: a replay of a
    /// changed scenario is refused.
    pub scenario_hash: String,
    /// The commands in the order they were given.
    pub commands: Vec<Entry>,
    /// Evaluators' comments made during the drill (the drill window), for
    /// the after-action report; they change nothing in the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<CommentEntry>,
}

/// An evaluator's comment with the simulated moment it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommentEntry {
    /// Seconds since the start.
    pub at_s: i64,
    /// The comment.
    pub text: String,
}

/// A script of commands for a headless drill: `(at: "6h", command: Skip("x006-cut"))`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// Commands, each with the time (from the start) it is given.
    pub commands: Vec<ScriptEntry>,
}

/// One scripted command.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptEntry {
    /// When, from the start: `"6h"`, `"90m"`.
    pub at: String,
    /// What.
    pub command: Command,
}

/// FNV-1a, 64 bit, as hex: a fingerprint of a file's text.
fn fingerprint(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// A run in progress, driven from outside.
pub struct Drill {
    app: App,
    spec: Arc<RunSpec>,
    scenario: PathBuf,
    layout: Option<PathBuf>,
    scenario_hash: String,
    log: Vec<Entry>,
    steps: u64,
}

impl Drill {
    /// Load a scenario (and layout) and stand at its start.
    ///
    /// # Errors
    /// As [`crate::scenario::load`].
    pub fn start(scenario: &Path, layout: Option<&Path>) -> Result<Drill, Error> {
        let spec = Arc::new(crate::scenario::load(scenario, layout)?);
        let text = std::fs::read_to_string(scenario).map_err(|source| Error::Io {
            path: scenario.to_path_buf(),
            source,
        })?;
        // Absolute paths, so that the record replays from any folder.
        let absolute = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let app = crate::sim::build_app(spec.clone());
        let steps = {
            let c = app.world().resource::<SimClock>();
            ((c.end.secs() + c.step.secs() - 1) / c.step.secs()) as u64
        };
        Ok(Drill {
            app,
            spec,
            scenario: absolute(scenario),
            layout: layout.map(absolute),
            scenario_hash: fingerprint(&text),
            log: Vec::new(),
            steps,
        })
    }

    /// The checked scenario.
    pub fn spec(&self) -> &Arc<RunSpec> {
        &self.spec
    }

    /// The world (for a GUI to draw).
    pub fn world(&self) -> &World {
        self.app.world()
    }

    /// The moment the next step starts: where a command given now takes effect.
    pub fn now(&self) -> SimTime {
        let c = self.app.world().resource::<SimClock>();
        SimTime(c.tick as i64 * c.step.secs())
    }

    /// Whether the run has reached its end.
    pub fn finished(&self) -> bool {
        self.app.world().resource::<SimClock>().tick >= self.steps
    }

    /// Advance one step; false once the run has ended.
    pub fn step(&mut self) -> bool {
        if self.finished() {
            return false;
        }
        self.app.world_mut().run_schedule(SimTick);
        true
    }

    /// Advance until the next step would start at or after `t` (or the end).
    pub fn run_until(&mut self, t: SimTime) {
        while self.now() < t && self.step() {}
    }

    /// Zones under manual control now (indices into the map's zones), in order.
    pub fn manual_zones(&self) -> Vec<usize> {
        let orders = self.app.world().resource::<PlayerOrders>();
        orders.manual.iter().map(|&z| usize::from(z)).collect()
    }

    /// Scripted injects not yet delivered: (time, id, text), earliest first.
    pub fn pending_injects(&self) -> Vec<(SimTime, String, String)> {
        let p = self.app.world().resource::<PendingInjects>();
        p.queue.iter().map(|i| (i.at, i.id.clone(), i.text.clone())).collect()
    }

    /// When the next inject is due ("run to the next inject").
    pub fn next_inject_at(&self) -> Option<SimTime> {
        self.app
            .world()
            .resource::<PendingInjects>()
            .queue
            .front()
            .map(|i| i.at)
    }

    /// Give a command now; returns how the journal words it. `field` and
    /// `source` say where it came from, for errors (a script file and its
    /// field path, or "command line").
    ///
    /// # Errors
    /// [`Error::Input`] if the command names no pending inject, delays to the
    /// past, or its improvised inject does not check against the scenario;
    /// names a zone or depot not in the scenario (with a hint); orders an
    /// evacuation in a scenario without one; takes a zone under manual
    /// control twice or hands back one that is not; or sends a truck that is
    /// unknown, busy or cannot serve the group (unknown, fully served, out of
    /// reach, or no depot with what it needs).
    pub fn apply(&mut self, command: Command, source: (&Path, &str, &str)) -> Result<String, Error> {
        let now = self.now();
        let (file, text, field) = source;
        let refuse = |message: String| {
            Error::one(Diagnostic::new(
                file,
                SourceIndex::build(text).locate(field),
                field,
                message,
            ))
        };
        // A zone name at `field.sub`, or an error pointing there.
        let city = self.spec.city.clone();
        let zone_at = |name: &str, sub: &str| -> Result<u16, Error> {
            match city.zone(name) {
                Some(z) => Ok(z as u16),
                None => {
                    let f = format!("{field}.{sub}");
                    Err(Error::one(
                        Diagnostic::new(
                            file,
                            SourceIndex::build(text).locate(&f),
                            f,
                            format!("\"{name}\" is not a zone on the map"),
                        )
                        .with_hint(crate::scenario::zone_hint(&city, name)),
                    ))
                }
            }
        };
        let zone_name = |z: u16| {
            let zone = &city.zones[usize::from(z)];
            format!("{} ({})", zone.name_zh, zone.name)
        };
        let describe = match &command {
            Command::Deliver(id) => {
                let inj = self.take_pending(id).ok_or_else(|| refuse(self.no_such_inject(id)))?;
                self.queue(InjectDef { at: now, ..inj });
                format!("deliver inject {id} now")
            }
            Command::Delay(id, until) => {
                let until = parse_duration(until).map_err(|m| refuse(m.to_string()))?;
                let until = SimTime(until.secs());
                if until < now {
                    return Err(refuse(format!("cannot delay to {until}, which is before now ({now})")));
                }
                let inj = self.take_pending(id).ok_or_else(|| refuse(self.no_such_inject(id)))?;
                self.queue(InjectDef { at: until, ..inj });
                format!("delay inject {id} to {until}")
            }
            Command::Skip(id) => {
                self.take_pending(id).ok_or_else(|| refuse(self.no_such_inject(id)))?;
                format!("skip inject {id}")
            }
            Command::Inject(spec) => {
                let mut spec = (**spec).clone();
                spec.at = TimeSpec(format!("{}s", now.secs()));
                let id = spec
                    .id
                    .clone()
                    .unwrap_or_else(|| format!("improvised-{}", self.log.len() + 1));
                spec.id = Some(id.clone());
                let needs_terrain = matches!(
                    spec.action,
                    crate::scenario::Action::Hazard(_) | crate::scenario::Action::Rain { .. }
                );
                if needs_terrain && self.spec.terrain.is_none() {
                    return Err(refuse(
                        "this scenario runs without hazards, so its terrain is not loaded: add the hazard to the scenario file instead".into(),
                    ));
                }
                let def =
                    crate::scenario::check_inject(&self.scenario, self.layout.as_deref(), spec).map_err(
                        |e| match e {
                            Error::Input(ds) => Error::Input(
                                ds.into_iter()
                                    .map(|d| {
                                        let inner = d.field.split_once('.').map_or("", |(_, rest)| rest);
                                        let f = if inner.is_empty() {
                                            field.to_string()
                                        } else {
                                            format!("{field}.{inner}")
                                        };
                                        Diagnostic {
                                            hint: d.hint,
                                            ..Diagnostic::new(file, SourceIndex::build(text).locate(&f), f, d.message)
                                        }
                                    })
                                    .collect(),
                            ),
                            other => other,
                        },
                    )?;
                self.queue(def);
                format!("improvised inject {id}")
            }
            Command::Evacuate(name) => {
                let z = zone_at(name, "0")?;
                if self.spec.evacuation.is_none() {
                    return Err(Error::one(
                        Diagnostic::new(
                            file,
                            SourceIndex::build(text).locate(field),
                            field,
                            "this scenario has no `evacuation` section, so there are no shelters to order people to",
                        )
                        .with_hint("add `evacuation: Some(())` to the scenario (see docs/scenario-format.md)"),
                    ));
                }
                let mut orders = self.app.world_mut().resource_mut::<PlayerOrders>();
                orders.evacuate.insert(z);
                orders.evacuate_now.push(z);
                format!("order the evacuation of {}", zone_name(z))
            }
            Command::Manual(name) => {
                let z = zone_at(name, "0")?;
                let mut orders = self.app.world_mut().resource_mut::<PlayerOrders>();
                if !orders.manual.insert(z) {
                    return Err(refuse(format!("{} is already under manual control", zone_name(z))));
                }
                format!("take {} under manual control (no automatic dispatch)", zone_name(z))
            }
            Command::Auto(name) => {
                let z = zone_at(name, "0")?;
                let mut orders = self.app.world_mut().resource_mut::<PlayerOrders>();
                if !orders.manual.remove(&z) {
                    return Err(refuse(format!(
                        "{} is not under manual control: the automatic dispatch serves it already",
                        zone_name(z)
                    )));
                }
                format!("hand {} back to the automatic dispatch", zone_name(z))
            }
            Command::Assign(truck, group) => {
                let a = crate::response::orders::check_assignment(self.app.world_mut(), *truck, *group, now)
                    .map_err(refuse)?;
                self.app
                    .world_mut()
                    .resource_mut::<PlayerOrders>()
                    .assign
                    .push((*truck, *group));
                format!(
                    "send Truck #{truck} to Group #{group} by hand (loading at {})",
                    self.spec.depots[a.depot].id
                )
            }
            Command::DepotPriority(depot, zones) => {
                let Some(d) = self.spec.depots.iter().position(|x| x.id == *depot) else {
                    let f = format!("{field}.0");
                    let ids: Vec<&str> = self.spec.depots.iter().map(|x| x.id.as_str()).collect();
                    return Err(Error::one(
                        Diagnostic::new(
                            file,
                            SourceIndex::build(text).locate(&f),
                            f,
                            format!("no depot with id \"{depot}\""),
                        )
                        .with_hint(format!("the depots are: {}", ids.join(", "))),
                    ));
                };
                let mut list = Vec::new();
                for (k, name) in zones.iter().enumerate() {
                    let z = zone_at(name, &format!("1[{k}]"))?;
                    if !list.contains(&z) {
                        list.push(z);
                    }
                }
                let names: Vec<String> = list.iter().map(|&z| zone_name(z)).collect();
                let mut orders = self.app.world_mut().resource_mut::<PlayerOrders>();
                if list.is_empty() {
                    orders.depot_priority.remove(&d);
                    format!("depot {depot} serves no zone first")
                } else {
                    orders.depot_priority.insert(d, list);
                    format!("depot {depot} serves {} first", names.join(", "))
                }
            }
        };
        self.app.world_mut().write_message(SimEvent::Command {
            t: now,
            command: describe.clone(),
        });
        self.log.push(Entry {
            at_s: now.secs(),
            command,
        });
        Ok(describe)
    }

    fn no_such_inject(&self, id: &str) -> String {
        let pending: Vec<String> = self.pending_injects().into_iter().map(|(_, id, _)| id).collect();
        format!(
            "no pending inject \"{id}\" (delivered or skipped already, or never scripted); pending: {}",
            if pending.is_empty() {
                "none".into()
            } else {
                pending.join(", ")
            }
        )
    }

    fn take_pending(&mut self, id: &str) -> Option<InjectDef> {
        let mut p = self.app.world_mut().resource_mut::<PendingInjects>();
        let k = p.queue.iter().position(|i| i.id == id)?;
        p.queue.remove(k)
    }

    /// Put an inject in the queue after every inject due no later.
    fn queue(&mut self, inj: InjectDef) {
        let mut p = self.app.world_mut().resource_mut::<PendingInjects>();
        let k = p.queue.iter().position(|i| i.at > inj.at).unwrap_or(p.queue.len());
        p.queue.insert(k, inj);
    }

    /// The record `tabletop replay` needs.
    pub fn record(&self) -> DrillRecord {
        DrillRecord {
            scenario: self.scenario.clone(),
            layout: self.layout.clone(),
            scenario_hash: self.scenario_hash.clone(),
            commands: self.log.clone(),
            comments: Vec::new(),
        }
    }

    /// Run to the end and collect the report.
    pub fn finish(mut self) -> (RunResult, DrillRecord) {
        while self.step() {}
        let record = self.record();
        crate::score::finish(self.app.world_mut());
        let mut outcome = crate::sim::RunOutcome { app: self.app };
        (crate::report::collect(self.spec, &mut outcome), record)
    }
}

/// Run a scenario with a script of commands (a headless drill).
///
/// # Errors
/// [`Error::Input`] for a malformed script or a command that is refused (with
/// the script's line and column).
pub fn run_script(
    scenario: &Path,
    layout: Option<&Path>,
    script_path: &Path,
) -> Result<(RunResult, DrillRecord), Error> {
    let text = std::fs::read_to_string(script_path).map_err(|source| Error::Io {
        path: script_path.to_path_buf(),
        source,
    })?;
    let script: Script = crate::scenario::parse_ron(script_path, &text)?;
    let mut drill = Drill::start(scenario, layout)?;
    let mut last = SimDuration(0);
    for (k, entry) in script.commands.into_iter().enumerate() {
        let field = format!("commands[{k}]");
        let at = parse_duration(&entry.at).map_err(|m| {
            let f = format!("{field}.at");
            Error::one(Diagnostic::new(script_path, SourceIndex::build(&text).locate(&f), f, m))
        })?;
        if at < last {
            let f = format!("{field}.at");
            return Err(Error::one(Diagnostic::new(
                script_path,
                SourceIndex::build(&text).locate(&f),
                f,
                format!(
                    "commands must be in time order: {} comes after {}",
                    entry.at,
                    SimTime(last.secs())
                ),
            )));
        }
        last = at;
        drill.run_until(SimTime(at.secs()));
        drill.apply(entry.command, (script_path, &text, &format!("{field}.command")))?;
    }
    Ok(drill.finish())
}

/// Re-run a drill from its record: the same scenario, the same commands at
/// the same ticks, hence the same report.
///
/// # Errors
/// [`Error::Input`] if the record is malformed, the scenario changed since the
/// drill, or a command no longer applies.
pub fn replay(record_path: &Path) -> Result<(RunResult, DrillRecord), Error> {
    let text = std::fs::read_to_string(record_path).map_err(|source| Error::Io {
        path: record_path.to_path_buf(),
        source,
    })?;
    let record = read_record(record_path)?;
    let (result, mut out) = run_record(&record, (record_path, &text))?;
    out.comments = record.comments;
    Ok((result, out))
}

/// Read a drill record (`drill.ron`) and check that its scenario has not
/// changed since the drill.
///
/// # Errors
/// [`Error::Input`] if the record is malformed or the scenario changed.
pub fn read_record(record_path: &Path) -> Result<DrillRecord, Error> {
    let text = std::fs::read_to_string(record_path).map_err(|source| Error::Io {
        path: record_path.to_path_buf(),
        source,
    })?;
    let record: DrillRecord = crate::scenario::parse_ron(record_path, &text)?;
    let scenario_text = std::fs::read_to_string(&record.scenario).map_err(|source| Error::Io {
        path: record.scenario.clone(),
        source,
    })?;
    if fingerprint(&scenario_text) != record.scenario_hash {
        return Err(Error::one(
            Diagnostic::new(
                record_path,
                SourceIndex::build(&text).locate("scenario_hash"),
                "scenario_hash",
                format!(
                    "{} has changed since the drill, so a replay would not be the drill",
                    record.scenario.display()
                ),
            )
            .with_hint("restore the scenario as it was (e.g. from version control)"),
        ));
    }
    Ok(record)
}

/// Run a record held in memory (a branch of a drill) to the end.
///
/// # Errors
/// As [`replay`].
pub fn finish_record(record: &DrillRecord) -> Result<(RunResult, DrillRecord), Error> {
    run_record(record, (Path::new("drill record"), ""))
}

fn run_record(record: &DrillRecord, (record_path, text): (&Path, &str)) -> Result<(RunResult, DrillRecord), Error> {
    let mut drill = Drill::start(&record.scenario, record.layout.as_deref())?;
    for (k, entry) in record.commands.iter().enumerate() {
        drill.run_until(SimTime(entry.at_s));
        if drill.now() != SimTime(entry.at_s) {
            let f = format!("commands[{k}].at_s");
            return Err(Error::one(Diagnostic::new(
                record_path,
                SourceIndex::build(text).locate(&f),
                f,
                format!("{} s is not the start of a step of this scenario", entry.at_s),
            )));
        }
        drill.apply(
            entry.command.clone(),
            (record_path, text, &format!("commands[{k}].command")),
        )?;
    }
    Ok(drill.finish())
}

/// `drill.ron` text.
pub fn record_ron(record: &DrillRecord) -> String {
    let mut s = ron::ser::to_string_pretty(record, ron::ser::PrettyConfig::new().depth_limit(3))
        .expect("invariant: a drill record serializes");
    s.push('\n');
    s
}
