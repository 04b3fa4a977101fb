//! The flood model running ahead on a thread of its own.
//!
//! A flood step is the largest single cost of a run with water (a three-day
//! levee breach takes about 11 000 internal steps), and it depends on nothing
//! the rest of the run does: only on its own state and its inputs (breaches,
//! rain). So once a hazard step has read the model, the model can be sent
//! through every later hazard step up to the next change of its inputs on a
//! thread of its own, while trucks, teams and people move through the ticks
//! on the run's thread. At each of those hazard steps the run takes a
//! [`Frame`]: the depth rows the flood changed since the last one. At the
//! last it takes the model back ([`FloodAhead::take_model`]) exactly where a
//! serial run would have advanced it.
//!
//! Same bits as a serial run, provided that nothing changes the flood's
//! inputs before the last of those hazard steps. [`super::sim`] only lists
//! hazard steps by which no scripted breach or rain is due, and only in whole
//! runs (a drill can inject a breach at any moment). Readers between hazard
//! steps see the depths of the last one, kept aside and updated from the
//! frames ([`super::sim::HazardWorld::flood_depth`]).
//!
//! The flood keeps at most [`FRAMES_AHEAD`] frames ahead of the run: enough
//! to bank time while the response is busy (the first day and a half of a
//! levee breach) and spend it when the response quietens, and at most 64
//! copies of the grid's depths (77 MB on Linqing's 348 × 428 cells) when the
//! response is the slower side. With 8 frames a three-day breach run
//! (`wei-breach-evacuation.ron`) waited for its flood longer: in 12
//! interleaved runs of each on a busy 2-core host, a median of 4.3 s against
//! 3.6 s with no practical bound (1 000 frames).
//! Its row kernels run serially on its thread: splitting them between cores
//! costs two thread wake-ups per pass and step, which measured slower than
//! leaving the second core to the rest of the run.

use std::ops::Range;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

use super::flood::FloodModel;

/// Frames the flood may be ahead of the run before it waits.
pub const FRAMES_AHEAD: usize = 64;

/// The depths of the flood at one hazard step: the rows it changed since
/// the frame before (or since the model left the run).
#[derive(Debug)]
pub struct Frame {
    /// The hazard step, s since the start of the run.
    pub at_s: f64,
    /// Rows of the grid in `depth_m`.
    pub rows: Range<usize>,
    /// Depths of those rows, row-major, m.
    pub depth_m: Vec<f64>,
}

/// What the flood's thread sends: a frame per hazard step, then the model
/// (or the panic that stopped it), boxed to keep messages small.
enum Message {
    Frame(Frame),
    Model(thread::Result<Box<FloodModel>>),
}

/// A flood model advancing through hazard steps on a thread of its own.
#[derive(Debug)]
pub struct FloodAhead {
    /// In a mutex only because a resource must be `Sync` and a receiver is not.
    from_flood: Mutex<Receiver<Message>>,
    /// Whether the model ran its row kernels on rayon's pool before it left.
    parallel: bool,
    /// The last hazard step, where the model comes back, s since the start.
    pub until_s: f64,
}

impl FloodAhead {
    /// Start advancing `model` through `stops` (hazard-step times, s,
    /// increasing; at least one) on a thread of its own: a [`Frame`] at each
    /// but the last, the model at the last.
    pub fn start(mut model: FloodModel, stops: Vec<f64>) -> Self {
        assert!(
            !stops.is_empty(),
            "invariant: the flood runs ahead to at least one hazard step"
        );
        let until_s = stops[stops.len() - 1];
        let parallel = model.params().parallel;
        model.set_parallel(false);
        let (to_run, from_flood) = sync_channel(FRAMES_AHEAD);
        thread::Builder::new()
            .name("flood".into())
            .spawn(move || run_ahead(model, &stops, &to_run))
            .expect("the OS refused a thread for the flood");
        FloodAhead {
            from_flood: Mutex::new(from_flood),
            parallel,
            until_s,
        }
    }

    /// The next message, waiting for it. A panic on the flood's thread is
    /// raised here, on the caller's.
    fn receive(&self) -> Message {
        let from_flood = self.from_flood.lock().unwrap_or_else(|e| e.into_inner());
        match from_flood
            .recv()
            .expect("invariant: the flood's thread sends its model back")
        {
            Message::Model(Err(panic)) => panic::resume_unwind(panic),
            message => message,
        }
    }

    /// The frame of the next hazard step before [`Self::until_s`], waiting
    /// for it.
    pub fn next_frame(&self) -> Frame {
        match self.receive() {
            Message::Frame(frame) => frame,
            Message::Model(_) => panic!("invariant: the flood sends a frame for each hazard step before its last"),
        }
    }

    /// Take the model back at [`Self::until_s`], handing every frame not yet
    /// taken to `frame` first (in order).
    pub fn take_model(self, mut frame: impl FnMut(Frame)) -> FloodModel {
        loop {
            match self.receive() {
                Message::Frame(f) => frame(f),
                Message::Model(outcome) => {
                    let mut model = *outcome.unwrap_or_else(|e| panic::resume_unwind(e));
                    model.set_parallel(self.parallel);
                    return model;
                }
            }
        }
    }
}

/// The flood's thread: advance through `stops`, send a frame at each but the
/// last and the model at the last. Stops quietly when the run is gone.
fn run_ahead(mut model: FloodModel, stops: &[f64], to_run: &SyncSender<Message>) {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        for &at_s in &stops[..stops.len() - 1] {
            model.advance(at_s);
            let rows = model.take_changed_rows();
            let nx = model.depth_m().nx;
            let depth_m = model.depth_m().data[rows.start * nx..rows.end * nx].to_vec();
            if to_run.send(Message::Frame(Frame { at_s, rows, depth_m })).is_err() {
                return None;
            }
        }
        model.advance(stops[stops.len() - 1]);
        Some(model)
    }));
    let message = match outcome {
        Ok(Some(model)) => Message::Model(Ok(Box::new(model))),
        Ok(None) => return,
        Err(panic) => Message::Model(Err(panic)),
    };
    // The receiver is gone only if the run itself is unwinding.
    let _ = to_run.send(message);
}
