//! # tabletop
//!
//! A tabletop-exercise and disaster-scenario simulator for a city emergency
//! management bureau. The reference city is Linqing (临清市, Shandong); the
//! targets come from its 14th Five-Year Emergency Management Plan: initial
//! relief within 12 h and basic living relief within 24 h of a disaster.
//!
//! ## The pipeline
//! ```text
//! scenario (RON) ──load + check──▶ RunSpec ──build──▶ Bevy world ──SimTick × N──▶ report
//!   scenario::          city::                   sim::            score::, report::
//! ```
//! Every tick runs one chain of system sets (see [`sim::SimSystems`]):
//! `Clock ▶ Injects ▶ Hazards ▶ Impacts ▶ Needs ▶ Dispatch ▶ Movement ▶ Service ▶ Score ▶ Journal`.
//!
//! ## Glossary
//! - **group**: people at one road node affected at one time ([`people::AffectedGroup`]).
//! - **initial relief** (初步救助): first-day water and food, one kit per person; target 12 h.
//! - **basic relief** (基本生活救助): shelter share, bedding, clothing, 3 days' water and food; target 24 h.
//! - **"1+4" tiers**: government reserve + enterprise production capacity + commercial
//!   agreement stock + community reserve stations + household reserves.
//! - **inject**: a scripted event the facilitator delivers (road closed, more people affected, ...).
//! - **layout**: a set of depots and stocks that can replace a scenario's own.
//! - **step**: simulated time per tick (default 1 min); simulated time never reads the wall clock.
//!
//! ## Determinism
//! The same scenario and seed give byte-identical reports: one seeded random
//! stream per purpose ([`sim::rng`]), ordered maps and id-sorted iteration
//! wherever order reaches a result, a single-threaded schedule.
#![warn(missing_docs)]

pub mod batch;
pub mod city;
pub mod drill;
pub mod error;
#[cfg(feature = "gui")]
pub mod gui;
pub mod hazard;
pub mod import;
pub mod people;
pub mod report;
pub mod response;
pub mod scenario;
pub mod score;
pub mod sim;
#[doc(hidden)]
pub mod testkit;

pub use error::{Diagnostic, Error};

use std::path::Path;
use std::sync::Arc;

/// Load, check and run a scenario; collect its report.
///
/// # Errors
/// [`Error::Input`] / [`Error::Io`] when the scenario, layout or map is bad.
pub fn run_file(scenario: &Path, layout: Option<&Path>) -> Result<report::RunResult, Error> {
    let spec = Arc::new(scenario::load(scenario, layout)?);
    Ok(run_spec(spec))
}

/// Run a checked scenario and collect its report.
pub fn run_spec(spec: Arc<scenario::RunSpec>) -> report::RunResult {
    let mut outcome = sim::run(spec.clone());
    report::collect(spec, &mut outcome)
}
