//! A drill session: what the facilitator's console keeps around a [`Drill`].
//! Free of any window, so the tests drive it exactly as the GUI does.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::view::{LogLine, Trails};
use super::{Command, Drill, DrillRecord, Entry};
use crate::error::Error;
use crate::scenario::time::SimTime;

/// Speeds the clock offers: simulated seconds per real second.
pub const SPEEDS: [f64; 4] = [1.0, 10.0, 60.0, 600.0];

/// A saved moment of the drill: go back to it and decide differently.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Name shown.
    pub name: String,
    /// When.
    pub at: SimTime,
    /// Commands given up to then.
    pub commands: Vec<Entry>,
}

/// A line of play, kept when the facilitator rewinds to a snapshot.
#[derive(Debug)]
pub struct Branch {
    /// Name shown.
    pub name: String,
    /// Its record (the commands of that line of play).
    pub record: DrillRecord,
    /// Where it was left.
    pub left_at: SimTime,
    /// Its score, once run to the end in the background.
    pub score: Option<Result<BranchScore, String>>,
    /// The background run, while it lasts.
    pub pending: Option<std::sync::mpsc::Receiver<Result<BranchScore, String>>>,
}

/// The headline figures of a line of play run to its end.
#[derive(Debug, Clone)]
pub struct BranchScore {
    /// Share of people with initial relief within 12 h.
    pub initial_12h: f64,
    /// Share with basic relief within 24 h.
    pub basic_24h: f64,
    /// People affected.
    pub affected: u64,
    /// Deaths.
    pub deaths: u64,
    /// Expectations met / all.
    pub expectations: (usize, usize),
}

/// An evaluator's comment, written to the after-action report.
#[derive(Debug, Clone)]
pub struct Comment {
    /// When (simulated).
    pub at: SimTime,
    /// Text.
    pub text: String,
}

/// A drill as a facilitator runs it: the clock (paused, speed, held before a
/// scripted inject comes due), the MSEL decisions, snapshots and the branches
/// they lead to, a review's replay with seeking, evaluators' comments, the
/// event log, and the report at the end. The drill window shows one; the
/// tests drive one without a window. Not `Send` (the sim `App` inside is not).
pub struct Session {
    /// The drill.
    pub drill: Drill,
    /// Scenario and layout files.
    pub scenario: PathBuf,
    /// Layout file.
    pub layout: Option<PathBuf>,
    /// Where unit trips began (for markers).
    pub trails: Trails,
    /// Review mode: the record being replayed and the next command in it.
    pub review: Option<(PathBuf, DrillRecord)>,
    review_next: usize,
    /// Clock.
    pub paused: bool,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// Stop the clock when a scripted inject comes due (the facilitator then
    /// delivers, delays or skips it); when false, injects go in as scripted.
    pub hold: bool,
    carry_s: f64,
    /// Injects the facilitator let through (delivered when due).
    acked: Vec<String>,
    /// Inject due now, waiting for deliver / delay / skip.
    pub due: Option<(SimTime, String, String)>,
    /// Injects delivered, for the banner the facilitator reads out: (time, id, text).
    pub announced: Vec<(SimTime, String, String)>,
    /// Of those, how many the facilitator has seen (read out, or delivered
    /// before the session opened or before a rewind).
    pub banner_seen: usize,
    /// Snapshots.
    pub snapshots: Vec<Snapshot>,
    /// Earlier lines of play.
    pub branches: Vec<Branch>,
    /// Event log so far.
    pub log: Vec<LogLine>,
    /// Evaluator comments.
    pub comments: Vec<Comment>,
    /// Last message for the status line (errors from refused commands, files written).
    pub status: Option<(bool, String)>,
    /// Sim tick the map was last drawn at (None = redraw).
    pub drawn_tick: Option<u64>,
    /// Bumped on every rebuild of the drill (markers must be re-made).
    pub generation: u64,
    /// Where the report goes.
    pub out: PathBuf,
}

impl Session {
    /// Open a drill: a new one on `scenario` (and `layout`), or with
    /// `review`, a finished one from its record. The session stands at
    /// `at` (the start if None), paused when `speed` is 0.
    ///
    /// # Errors
    /// As [`Drill::start`] and [`super::read_record`].
    pub fn open(
        scenario: &Path,
        layout: Option<&Path>,
        review: Option<&Path>,
        at: Option<SimTime>,
        speed: f64,
        out: &Path,
    ) -> Result<Session, Error> {
        let (scenario, layout, review) = match review {
            Some(path) => {
                let record = super::read_record(path)?;
                (
                    record.scenario.clone(),
                    record.layout.clone(),
                    Some((path.to_path_buf(), record)),
                )
            }
            None => (scenario.to_path_buf(), layout.map(Path::to_path_buf), None),
        };
        let drill = Drill::start(&scenario, layout.as_deref())?;
        let comments = review
            .as_ref()
            .map(|(_, r)| {
                r.comments
                    .iter()
                    .map(|c| Comment {
                        at: SimTime(c.at_s),
                        text: c.text.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut host = Session {
            drill,
            scenario,
            layout,
            trails: Trails::default(),
            review,
            review_next: 0,
            paused: speed <= 0.0,
            speed: if speed > 0.0 { speed } else { 60.0 },
            hold: true,
            carry_s: 0.0,
            acked: Vec::new(),
            due: None,
            announced: Vec::new(),
            banner_seen: 0,
            snapshots: Vec::new(),
            branches: Vec::new(),
            log: Vec::new(),
            comments,
            status: None,
            drawn_tick: None,
            generation: 0,
            out: out.to_path_buf(),
        };
        if let Some(at) = at {
            host.fast_forward(at)?;
            host.banner_seen = host.announced.len();
        }
        Ok(host)
    }

    /// The world's tick (changes whenever the sim moved).
    pub fn tick(&self) -> u64 {
        self.drill.world().resource::<crate::sim::SimClock>().tick
    }

    /// Step once, applying a review's recorded commands when their time comes.
    pub fn step_once(&mut self) -> Result<bool, Error> {
        self.apply_recorded()?;
        let moved = self.drill.step();
        self.pull_log();
        Ok(moved)
    }

    /// In review: the recorded commands due now.
    fn apply_recorded(&mut self) -> Result<(), Error> {
        let Some((path, record)) = &self.review else {
            return Ok(());
        };
        let now = self.drill.now();
        while let Some(e) = record.commands.get(self.review_next) {
            if SimTime(e.at_s) > now {
                break;
            }
            let field = format!("commands[{}]", self.review_next);
            self.drill.apply(e.command.clone(), (path, "", &field))?;
            self.review_next += 1;
        }
        Ok(())
    }

    /// Append the journal's new events to the log; announce delivered injects.
    fn pull_log(&mut self) {
        let from = self.log.len();
        let new = super::view::log_lines(self.drill.world(), from);
        for l in &new {
            if l.kind == "Inject" {
                let id = l.text.split(" · ").find_map(|p| p.strip_prefix("id: ")).unwrap_or("");
                let text = l.text.split(" · ").find_map(|p| p.strip_prefix("text: ")).unwrap_or("");
                self.announced.push((l.t, id.to_string(), text.to_string()));
            }
        }
        self.log.extend(new);
    }

    /// Run (without drawing) to `t`, stopping nowhere.
    pub fn fast_forward(&mut self, t: SimTime) -> Result<(), Error> {
        while self.drill.now() < t {
            if !self.step_once()? {
                break;
            }
        }
        Ok(())
    }

    /// Advance by up to `sim_s` simulated seconds within `budget` of real time.
    /// Stops before a scripted inject comes due (live drill), so the
    /// facilitator can deliver, delay or skip it.
    pub fn advance(&mut self, sim_s: f64, budget: Duration) -> Result<(), Error> {
        let step = self.drill.spec().step.secs() as f64;
        self.carry_s = (self.carry_s + sim_s).min(step * 4.0 + sim_s);
        let started = Instant::now();
        while self.carry_s >= step && !self.drill.finished() {
            if self.review.is_none()
                && self.hold
                && let Some((at, id, text)) = self.drill.pending_injects().into_iter().next()
                && at <= self.drill.now()
                && !self.acked.contains(&id)
            {
                self.due = Some((at, id, text));
                self.paused = true;
                self.carry_s = 0.0;
                return Ok(());
            }
            self.step_once()?;
            self.carry_s -= step;
            if started.elapsed() > budget {
                self.carry_s = self.carry_s.min(step);
                break;
            }
        }
        if self.drill.finished() {
            self.paused = true;
        }
        Ok(())
    }

    /// Give a command now (from the window). An inject it delivers now (an
    /// improvised one, or a scripted one delivered early) goes in without
    /// stopping the clock again.
    pub fn command(&mut self, command: Command) {
        if self.review.is_some() {
            self.status = Some((false, "review: nothing can be decided in a finished drill".into()));
            return;
        }
        let before: Vec<(SimTime, String)> = self.drill.pending_injects().into_iter().map(|p| (p.0, p.1)).collect();
        let now = self.drill.now();
        match self.drill.apply(command, (Path::new("drill window"), "", "command")) {
            Ok(said) => {
                // New now (improvised) or moved to now (delivered early).
                for (at, id, _) in self.drill.pending_injects() {
                    if at <= now && !before.contains(&(at, id.clone())) {
                        self.acked.push(id);
                    }
                }
                self.status = Some((true, format!("{} {said}", self.drill.now())));
                self.drawn_tick = None;
            }
            Err(e) => self.status = Some((false, e.to_string())),
        }
    }

    /// Let the inject due now go in (as scripted).
    pub fn deliver_due(&mut self) {
        if let Some((_, id, _)) = self.due.take() {
            self.acked.push(id);
            self.paused = false;
        }
    }

    /// Save the moment.
    pub fn snapshot(&mut self) {
        let at = self.drill.now();
        self.snapshots.push(Snapshot {
            name: format!("S{} @ {at}", self.snapshots.len() + 1),
            at,
            commands: self.drill.record().commands,
        });
    }

    /// Keep the current line of play as a branch and go back to snapshot `k`.
    pub fn rewind_to(&mut self, k: usize) {
        let Some(snap) = self.snapshots.get(k).cloned() else {
            return;
        };
        let record = self.drill.record();
        let name = format!("B{} (left @ {})", self.branches.len() + 1, self.drill.now());
        let left_at = self.drill.now();
        self.branches.push(Branch {
            name,
            record,
            left_at,
            score: None,
            pending: None,
        });
        match self.rebuild(&snap.commands, snap.at) {
            Ok(()) => self.status = Some((true, format!("back at {} ({})", snap.at, snap.name))),
            Err(e) => self.status = Some((false, e.to_string())),
        }
    }

    /// Start the drill again and replay `commands` up to `until`.
    fn rebuild(&mut self, commands: &[Entry], until: SimTime) -> Result<(), Error> {
        self.drill = Drill::start(&self.scenario, self.layout.as_deref())?;
        self.trails = Trails::default();
        self.log.clear();
        self.announced.clear();
        self.review_next = 0;
        self.due = None;
        self.acked.clear();
        self.carry_s = 0.0;
        self.paused = true;
        for (k, e) in commands.iter().enumerate() {
            self.fast_forward(SimTime(e.at_s))?;
            let field = format!("commands[{k}]");
            self.drill
                .apply(e.command.clone(), (Path::new("snapshot"), "", &field))?;
        }
        self.fast_forward(until)?;
        self.pull_log();
        self.banner_seen = self.announced.len();
        self.drawn_tick = None;
        self.generation += 1;
        Ok(())
    }

    /// Review: jump to `t` (back means replaying from the start; the
    /// record's commands are applied again at their times).
    pub fn seek(&mut self, t: SimTime) {
        let result = if t < self.drill.now() {
            self.rebuild(&[], t)
        } else {
            self.fast_forward(t)
        };
        if let Err(e) = result {
            self.status = Some((false, e.to_string()));
        }
        self.drawn_tick = None;
    }

    /// Run every branch without a score (and the current line) to its end in
    /// the background.
    pub fn score_branches(&mut self) {
        for b in &mut self.branches {
            if b.score.is_none() && b.pending.is_none() {
                let (tx, rx) = std::sync::mpsc::channel();
                let record = b.record.clone();
                std::thread::spawn(move || {
                    let _ = tx.send(score_record(&record));
                });
                b.pending = Some(rx);
            }
        }
    }

    /// Collect finished background runs.
    pub fn poll_branches(&mut self) {
        for b in &mut self.branches {
            if let Some(rx) = &b.pending
                && let Ok(s) = rx.try_recv()
            {
                b.score = Some(s);
                b.pending = None;
            }
        }
    }

    /// End the drill: run to the end and write the report folder (report
    /// files, drill.ron, aar.md with the evaluators' comments).
    pub fn write_report(&mut self) {
        let mut record = self.drill.record();
        record.comments = self
            .comments
            .iter()
            .map(|c| super::CommentEntry {
                at_s: c.at.secs(),
                text: c.text.clone(),
            })
            .collect();
        let result = (|| -> Result<PathBuf, Error> {
            let (result, _) = super::finish_record(&record)?;
            let mut files: Vec<(&str, String)> = result.files();
            files.push(("drill.ron", super::record_ron(&record)));
            let mut aar = crate::report::evaluation::aar_markdown(&result);
            aar.push_str(&comments_markdown(&self.comments));
            aar.push_str(&branches_markdown(&self.branches));
            files.push(("aar.md", aar));
            // Each line of play left at a rewind, as a record `replay` and
            // `drill --review` take.
            let branch_files: Vec<(String, String)> = self
                .branches
                .iter()
                .enumerate()
                .map(|(k, b)| (format!("branch-{}.ron", k + 1), super::record_ron(&b.record)))
                .collect();
            for (name, text) in &branch_files {
                files.push((name.as_str(), text.clone()));
            }
            crate::report::write_atomically(&self.out, &files)?;
            Ok(self.out.clone())
        })();
        self.status = Some(match result {
            Ok(dir) => (true, format!("report written to {}", dir.display())),
            Err(e) => (false, e.to_string()),
        });
    }
}

/// The branches as a Markdown section: each line of play left at a rewind,
/// with its score where it was run to the end.
pub fn branches_markdown(branches: &[Branch]) -> String {
    if branches.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "\n## Branches\n\nLines of play left when the drill went back to a snapshot (records: `branch-N.ron`).\n\n| branch | left at | decisions | initial relief ≤ 12 h | basic relief ≤ 24 h | deaths |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for (k, b) in branches.iter().enumerate() {
        let (i, bb, d) = match &b.score {
            Some(Ok(x)) => (
                format!("{:.1} %", x.initial_12h * 100.0),
                format!("{:.1} %", x.basic_24h * 100.0),
                x.deaths.to_string(),
            ),
            _ => ("not run".into(), "not run".into(), "–".into()),
        };
        s.push_str(&format!(
            "| {} (`branch-{}.ron`) | {} | {} | {i} | {bb} | {d} |\n",
            b.name,
            k + 1,
            b.left_at,
            b.record.commands.len()
        ));
    }
    s
}

/// Evaluators' comments as a Markdown section.
pub fn comments_markdown(comments: &[Comment]) -> String {
    if comments.is_empty() {
        return String::new();
    }
    let mut s = String::from("\n## Evaluator comments\n\n| time | comment |\n| --- | --- |\n");
    for c in comments {
        s.push_str(&format!(
            "| {} | {} |\n",
            c.at,
            c.text.replace('|', "\\|").replace('\n', " ")
        ));
    }
    s
}

/// A record run to the end: its headline figures.
fn score_record(record: &DrillRecord) -> Result<BranchScore, String> {
    let (r, _) = super::finish_record(record).map_err(|e| e.to_string())?;
    let s = &r.report.score;
    let p = &r.report.people;
    let deaths = p.rescue.as_ref().map_or(0, |x| x.died_waiting) + p.trapped.as_ref().map_or(0, |x| x.found_dead);
    let met = r.report.evaluation.iter().filter(|e| e.status == "met").count();
    Ok(BranchScore {
        initial_12h: s.initial_relief_within_target,
        basic_24h: s.basic_relief_within_target,
        affected: s.affected_people,
        deaths,
        expectations: (met, r.report.evaluation.len()),
    })
}
