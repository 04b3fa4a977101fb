//! The flood model running ahead on a thread of its own.
//!
//! A flood step is the largest single cost of a run with water (a three-day
//! levee breach takes about 11 000 internal steps), and it depends on nothing
//! the rest of the run does between two hazard steps: only on its own state
//! and its inputs (breaches, rain). So at hazard step `t` the model can be
//! sent to advance to the next hazard step `t + Δ` on another thread while
//! trucks, teams and people move through the ticks in between; at `t + Δ`
//! the run takes it back ([`FloodAhead::join`]) exactly where a serial run
//! would have advanced it.
//!
//! Same bits as a serial run, provided that nothing changes the flood's
//! inputs between `t` and `t + Δ`. [`super::sim`] sends the model ahead only
//! when no scripted breach or rain is due by `t + Δ`, and only in whole runs
//! (a drill can inject a breach at any moment). Readers between hazard steps
//! see the depths of step `t`, kept aside when the model leaves
//! ([`super::sim::HazardWorld::flood_depth`]).

use std::thread::JoinHandle;

use super::flood::FloodModel;

/// A flood model advancing to `until_s` on a thread of its own.
#[derive(Debug)]
pub struct FloodAhead {
    handle: JoinHandle<FloodModel>,
    /// Whether the model ran its row kernels on rayon's pool before it left.
    parallel: bool,
    /// Where the model will stand, s since the start of the run.
    pub until_s: f64,
}

impl FloodAhead {
    /// Start advancing `model` to `until_s` on a new thread. The model's row
    /// kernels run serially there: the other core has the rest of the run to
    /// do (bit-identical either way, see [`FloodModel::set_parallel`]).
    pub fn start(mut model: FloodModel, until_s: f64) -> Self {
        let parallel = model.params().parallel;
        model.set_parallel(false);
        let handle = std::thread::Builder::new()
            .name("flood".into())
            .spawn(move || {
                model.advance(until_s);
                model
            })
            .expect("the OS refused a thread for the flood");
        FloodAhead {
            handle,
            parallel,
            until_s,
        }
    }

    /// Wait for the model and take it back (its row kernels where they ran
    /// before). A panic on the flood thread is raised here, on the caller's.
    pub fn join(self) -> FloodModel {
        let mut model = self.handle.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        model.set_parallel(self.parallel);
        model
    }
}
