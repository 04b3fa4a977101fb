//! The flood model running ahead on threads of its own.
//!
//! A flood step is the largest single cost of a run with water (a three-day
//! levee breach takes about 11 000 internal steps), and it depends on nothing
//! the rest of the run does between two hazard steps: only on its own state
//! and its inputs (breaches, rain). So at hazard step `t` the model can be
//! sent to advance to the next hazard step `t + Δ` on other threads while
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
//!
//! The model runs on a thread pool of the flood's own, one thread per core.
//! A run of its own splits the model's row kernels between them
//! ([`FloodModel::set_parallel`]): while the rest of the run is busy the
//! flood gets what the OS gives it, and while the run waits for it at a
//! hazard step it has every core. (The runs of a batch keep the kernels on
//! one thread: see [`FloodAhead::start`].)
//!
//! Not rayon's global pool: a batch runs its scenarios as tasks there, and a
//! task blocked in [`FloodAhead::join`] must not hold a worker its own flood
//! needs. The flood's tasks wait on nothing but each other, so a pool of its
//! own cannot deadlock.

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Mutex, OnceLock};
use std::thread;

use super::flood::FloodModel;

/// What comes back from the pool: the model, or the panic that stopped it.
type Outcome = thread::Result<FloodModel>;

/// A flood model advancing to `until_s` on the flood's pool.
#[derive(Debug)]
pub struct FloodAhead {
    /// In a mutex only because a resource must be `Sync` and a receiver is not.
    back: Mutex<Receiver<Outcome>>,
    /// Whether the model ran its row kernels on rayon's pool before it left.
    parallel: bool,
    /// Where the model will stand, s since the start of the run.
    pub until_s: f64,
}

impl FloodAhead {
    /// Start advancing `model` to `until_s` on the flood's pool. A run of its
    /// own splits the row kernels between the pool's threads; a run that is
    /// itself a task on a rayon pool (one of a batch, whose runs already keep
    /// every core busy) keeps them on one thread, since splitting them there
    /// only adds waits: a batch of four levee breaches, two at a time, took
    /// 17–18 s split against 9–11 s unsplit. Bit-identical either way
    /// ([`FloodModel::set_parallel`]).
    pub fn start(mut model: FloodModel, until_s: f64) -> Self {
        let parallel = model.params().parallel;
        model.set_parallel(rayon::current_thread_index().is_none());
        let (tx, back) = sync_channel(1);
        pool().spawn(move || {
            let outcome = panic::catch_unwind(AssertUnwindSafe(move || {
                model.advance(until_s);
                model
            }));
            // The receiver is gone only if the run itself is unwinding.
            let _ = tx.send(outcome);
        });
        FloodAhead {
            back: Mutex::new(back),
            parallel,
            until_s,
        }
    }

    /// Wait for the model and take it back (its row kernels where they ran
    /// before). A panic on the flood's pool is raised here, on the caller's
    /// thread.
    pub fn join(self) -> FloodModel {
        let back = self.back.into_inner().unwrap_or_else(|e| e.into_inner());
        let outcome = back.recv().expect("invariant: the flood's pool sends every model back");
        let mut model = outcome.unwrap_or_else(|e| panic::resume_unwind(e));
        model.set_parallel(self.parallel);
        model
    }
}

/// The flood's own thread pool, one thread per core, built on first use.
fn pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        let cores = thread::available_parallelism().map_or(1, |n| n.get());
        rayon::ThreadPoolBuilder::new()
            .num_threads(cores)
            .thread_name(|i| format!("flood-{i}"))
            .build()
            .expect("the OS refused threads for the flood")
    })
}
