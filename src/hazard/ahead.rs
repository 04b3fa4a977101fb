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
//!
//! While the run is busy, the flood's row kernels run serially on its thread,
//! leaving the other core to the rest of the run. While the run waits for a
//! frame (`FloodAhead::receive` raises a flag, checked before each
//! internal step), the flood splits them over rayon's pool, so a run that is
//! mostly flood still has both cores on it: `storm-ammonia.ron`, where the
//! storm's flood is nearly all the work, took a median of 2.88 s with serial
//! kernels only and 1.86 s with split ones (8 interleaved runs each on a
//! 2-core host), `wei-levee-breach.ron` 0.72 s and 0.60 s,
//! `wei-breach-evacuation.ron` 1.01 s and 1.00 s. Three of those 26
//! flood-heavy runs were slower (storm-ammonia up to 2.8 s), with both of
//! rayon's workers spinning between the three short passes of each step; 48
//! consecutive runs afterwards had none. A batch's runs, on a rayon pool of
//! their own that has the cores, keep the kernels serial.

use std::ops::Range;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
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
    /// Raised while the run's thread waits for the flood.
    run_waits: Arc<AtomicBool>,
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
        let run_waits = Arc::new(AtomicBool::new(false));
        // A serial model stays serial, and so does the flood of a run on a
        // rayon pool (a batch's): the pool's other runs have the cores.
        let split_when = (parallel && rayon::current_thread_index().is_none()).then(|| Arc::clone(&run_waits));
        thread::Builder::new()
            .name("flood".into())
            .spawn(move || run_ahead(model, &stops, split_when.as_deref(), &to_run))
            .expect("the OS refused a thread for the flood");
        FloodAhead {
            from_flood: Mutex::new(from_flood),
            run_waits,
            parallel,
            until_s,
        }
    }

    /// The next frame, or the model once the frames are done, waiting for
    /// it with the flag raised that lets the flood use both cores. A panic
    /// on the flood's thread is raised here, on the caller's.
    fn receive(&self) -> Result<Frame, Box<FloodModel>> {
        let from_flood = self.from_flood.lock().unwrap_or_else(|e| e.into_inner());
        let message = from_flood.try_recv().or_else(|_| {
            self.run_waits.store(true, Ordering::Relaxed);
            let message = from_flood.recv();
            self.run_waits.store(false, Ordering::Relaxed);
            message
        });
        match message.expect("invariant: the flood's thread sends its model back") {
            Message::Frame(frame) => Ok(frame),
            Message::Model(outcome) => Err(outcome.unwrap_or_else(|panic| panic::resume_unwind(panic))),
        }
    }

    /// The frame of the next hazard step before [`Self::until_s`], waiting
    /// for it.
    pub fn next_frame(&self) -> Frame {
        self.receive()
            .unwrap_or_else(|_| panic!("invariant: the flood sends a frame for each hazard step before its last"))
    }

    /// Take the model back at [`Self::until_s`], handing every frame not yet
    /// taken to `frame` first (in order).
    pub fn take_model(self, mut frame: impl FnMut(Frame)) -> FloodModel {
        loop {
            match self.receive() {
                Ok(f) => frame(f),
                Err(mut model) => {
                    model.set_parallel(self.parallel);
                    return *model;
                }
            }
        }
    }
}

/// The flood's thread: advance through `stops`, send a frame at each but the
/// last and the model at the last. Stops quietly when the run is gone.
fn run_ahead(mut model: FloodModel, stops: &[f64], split_when: Option<&AtomicBool>, to_run: &SyncSender<Message>) {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        for &at_s in &stops[..stops.len() - 1] {
            advance(&mut model, at_s, split_when);
            let rows = model.take_changed_rows();
            let nx = model.depth_m().nx;
            let depth_m = model.depth_m().data[rows.start * nx..rows.end * nx].to_vec();
            if to_run.send(Message::Frame(Frame { at_s, rows, depth_m })).is_err() {
                return None;
            }
        }
        advance(&mut model, stops[stops.len() - 1], split_when);
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

/// Advance `model` to `until_s`, its row kernels split over rayon's pool
/// while `split_when` is raised and serial while it is not, checked before
/// each internal step. Same bits as `model.advance(until_s)`.
fn advance(model: &mut FloodModel, until_s: f64, split_when: Option<&AtomicBool>) {
    let Some(run_waits) = split_when else {
        model.advance(until_s);
        return;
    };
    loop {
        let split = run_waits.load(Ordering::Relaxed);
        model.set_parallel(split);
        let stats = model.advance_while(until_s, || run_waits.load(Ordering::Relaxed) == split);
        if stats.steps == 0 {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hazard::flood::{Breach, FloodParams, PerCell};
    use crate::hazard::grid::Grid;

    /// 30 × 40 cells of 100 m falling gently east, a breach near the west edge.
    fn breach_model() -> FloodModel {
        let (nx, ny, dx) = (30, 40, 100.0);
        let mut terrain = Grid::filled(nx, ny, dx, 0.0, 0.0, 0.0);
        for j in 0..ny {
            for i in 0..nx {
                terrain.data[j * nx + i] = 20.0 - 0.001 * (i as f64 * dx) + 0.2 * ((j as f64) / 3.0).sin();
            }
        }
        let mut m = FloodModel::new(terrain, PerCell::Uniform(0.05), FloodParams::default()).unwrap();
        m.add_breach(Breach {
            x_m: 350.0,
            y_m: 2_050.0,
            hydrograph: vec![(0.0, 0.0), (1_800.0, 80.0), (7_200.0, 80.0), (9_000.0, 0.0)],
        })
        .unwrap();
        m
    }

    #[test]
    fn each_frame_holds_the_depths_a_serial_run_has_at_its_hazard_step() {
        // More stops than frames may wait, so the flood also waits for the run.
        let stops: Vec<f64> = (1..=FRAMES_AHEAD + 10).map(|k| k as f64 * 150.0).collect();
        let mut serial = breach_model();
        let mut ahead_model = breach_model();
        let mut depth = ahead_model.depth_m().clone();
        ahead_model.take_changed_rows();
        let ahead = FloodAhead::start(ahead_model, stops.clone());
        assert_eq!(ahead.until_s, stops[stops.len() - 1]);
        // Let the flood fill its queue before the run takes anything.
        thread::sleep(std::time::Duration::from_millis(50));
        for &t in &stops[..stops.len() - 1] {
            let frame = ahead.next_frame();
            assert_eq!(frame.at_s, t);
            let cells = frame.rows.start * depth.nx..frame.rows.end * depth.nx;
            depth.data[cells].copy_from_slice(&frame.depth_m);
            serial.advance(t);
            assert!(
                depth
                    .data
                    .iter()
                    .zip(&serial.depth_m().data)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "at {t} s the depths kept from the frames differ from the serial run's"
            );
        }
        let mut back = ahead.take_model(|_| panic!("every frame was taken"));
        serial.advance(stops[stops.len() - 1]);
        assert_eq!(back.elapsed_s(), serial.elapsed_s());
        assert_eq!(back.depth_m().data, serial.depth_m().data);
        assert!(serial.max_depth_m() > 0.1, "the breach flooded something");
        // The model goes on from where it came back, like the serial one.
        back.advance(12_000.0);
        serial.advance(12_000.0);
        assert_eq!(back.depth_m().data, serial.depth_m().data);
    }

    #[test]
    fn frames_not_taken_are_handed_over_with_the_model() {
        let stops = vec![300.0, 600.0, 900.0];
        let ahead = FloodAhead::start(breach_model(), stops);
        let mut seen = Vec::new();
        let model = ahead.take_model(|f| seen.push(f.at_s));
        assert_eq!(seen, [300.0, 600.0]);
        assert_eq!(model.elapsed_s(), 900.0);
    }
}
