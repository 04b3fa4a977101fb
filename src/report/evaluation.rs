//! Exercise evaluation the HSEEP way: each scripted inject's expected actions
//! (the Exercise Evaluation Guide's tasks, "hazmat team at the plant within
//! 60 min") checked against the journal, and the after-action report
//! (`aar.md`): timeline of injects and decisions, the scores, the tasks met,
//! late or missed, and an improvement plan table for the team to complete.

use std::collections::HashMap;

use serde::Serialize;

use super::RunResult;
use crate::scenario::time::SimTime;
use crate::scenario::{CheckDef, RunSpec};
use crate::sim::journal::SimEvent;

/// One expected action and how it went.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExpectationOut {
    /// The inject it belongs to.
    pub inject: String,
    /// The task as worded.
    pub task: String,
    /// When the inject was delivered, h (None: never delivered, e.g. skipped).
    pub delivered_h: Option<f64>,
    /// Deadline, h.
    pub due_h: Option<f64>,
    /// When it was first done, h (may be before the delivery of a delayed inject).
    pub done_h: Option<f64>,
    /// "met", "late", "missed" or "not_delivered".
    pub status: &'static str,
}

fn hours(t: SimTime) -> f64 {
    (t.secs() as f64 / 36.0).round() / 100.0
}

/// Check every expected action against the journal.
pub fn evaluate(spec: &RunSpec, events: &[SimEvent]) -> Vec<ExpectationOut> {
    let mut out = Vec::new();
    if spec.injects.iter().all(|i| i.expect.is_empty()) {
        return out;
    }
    let mut group_zone: HashMap<u32, usize> = HashMap::new();
    for e in events {
        match e {
            SimEvent::Affected { group, node, .. } => {
                group_zone.insert(*group, usize::from(spec.city.node_zone[*node as usize]));
            }
            // Evacuees split off by a drill's order keep their home zone.
            SimEvent::SplitOff { group, from, .. } => {
                if let Some(&z) = group_zone.get(from) {
                    group_zone.insert(*group, z);
                }
            }
            _ => {}
        }
    }
    let matches = |check: &CheckDef, e: &SimEvent| -> bool {
        match (check, e) {
            (CheckDef::TeamArrives(h), SimEvent::TeamArrived { hazard, .. }) => hazard == h,
            (CheckDef::ReleaseStopped(h), SimEvent::ReleaseStopped { id, .. }) => id == h,
            (CheckDef::FireOut(h), SimEvent::FireOut { id, .. }) => id == h,
            (
                CheckDef::EvacuationOrdered(z),
                SimEvent::EvacuationOrdered {
                    node, people, refused, ..
                },
            ) => usize::from(spec.city.node_zone[*node as usize]) == *z && people > refused,
            (
                CheckDef::Relief(z),
                SimEvent::Delivered {
                    group, initial, basic, ..
                },
            ) => group_zone.get(group) == Some(z) && initial + basic > 0,
            (CheckDef::Inject(id), SimEvent::Inject { id: got, .. }) => got == id,
            _ => false,
        }
    };
    for inj in &spec.injects {
        let delivered = events.iter().find_map(|e| match e {
            SimEvent::Inject { t, id, .. } if *id == inj.id => Some(*t),
            _ => None,
        });
        for exp in &inj.expect {
            let Some(at) = delivered else {
                out.push(ExpectationOut {
                    inject: inj.id.clone(),
                    task: exp.task.clone(),
                    delivered_h: None,
                    due_h: None,
                    done_h: None,
                    status: "not_delivered",
                });
                continue;
            };
            // Done before the inject came (a delayed inject) counts as done in time.
            let due = at.plus(exp.within);
            let done = events.iter().find(|e| matches(&exp.check, e)).map(SimEvent::time);
            out.push(ExpectationOut {
                inject: inj.id.clone(),
                task: exp.task.clone(),
                delivered_h: Some(hours(at)),
                due_h: Some(hours(due)),
                done_h: done.map(hours),
                status: match done {
                    Some(t) if t <= due => "met",
                    Some(_) => "late",
                    None => "missed",
                },
            });
        }
    }
    out
}

/// Injects delivered and decisions taken, in journal order: (seconds, what).
pub fn injects_and_decisions(journal_jsonl: &str) -> Vec<(i64, String)> {
    journal_jsonl
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|v| {
            let t = v["t"].as_i64().unwrap_or(0);
            let text = |k: &str| v[k].as_str().unwrap_or("").to_string();
            match v["event"].as_str() {
                Some("Inject") => Some((t, format!("inject {}: {}", text("id"), text("text")))),
                Some("Command") => Some((t, format!("decision: {}", text("command")))),
                _ => None,
            }
        })
        .collect()
}

/// Escape a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn h(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{v:.2} h"))
}

/// The after-action report in Markdown.
pub fn aar_markdown(r: &RunResult) -> String {
    let rep = &r.report;
    let mut md = format!(
        "# After-action report: {}{}\n\nMap {} · seed {} · {} h from {} · policy {}\n\n",
        rep.scenario,
        rep.scenario_zh.as_ref().map(|z| format!(" ({z})")).unwrap_or_default(),
        rep.map,
        rep.seed,
        rep.duration_h,
        rep.start,
        rep.dispatch_policy
    );
    let s = &rep.score;
    md += "## Scores\n\n| target | share met |\n| --- | --- |\n";
    md += &format!(
        "| initial relief within {} h | {:.1} % |\n| basic relief within {} h | {:.1} % |\n\n",
        rep.targets.initial_relief_h,
        s.initial_relief_within_target * 100.0,
        rep.targets.basic_relief_h,
        s.basic_relief_within_target * 100.0
    );
    md += "## Timeline of injects and decisions\n\n| time | what |\n| --- | --- |\n";
    for (t, what) in injects_and_decisions(&r.journal_jsonl) {
        md += &format!("| {:.2} h | {} |\n", t as f64 / 3600.0, cell(&what));
    }
    md += "\n## Expected actions (Exercise Evaluation Guide)\n\n";
    if rep.evaluation.is_empty() {
        md += "The scenario's injects carry no expected actions.\n";
    } else {
        md += "| inject | task | delivered | due | done | status |\n| --- | --- | --- | --- | --- | --- |\n";
        for e in &rep.evaluation {
            md += &format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                cell(&e.inject),
                cell(&e.task),
                h(e.delivered_h),
                h(e.due_h),
                h(e.done_h),
                e.status
            );
        }
    }
    md += "\n## Improvement plan\n\nOne row per task late or missed; recommendation, owner and due date are for the evaluators to fill in.\n\n| finding | recommendation | owner | due |\n| --- | --- | --- | --- |\n";
    let mut any = false;
    for e in rep.evaluation.iter().filter(|e| matches!(e.status, "late" | "missed")) {
        any = true;
        let finding = match (e.status, e.done_h, e.due_h) {
            ("late", Some(done), Some(due)) => format!("{}: done {:.2} h late", e.task, done - due),
            _ => format!("{}: not done by the end", e.task),
        };
        md += &format!("| {} |  |  |  |\n", cell(&finding));
    }
    if !any {
        md += "| (no task late or missed) |  |  |  |\n";
    }
    md
}
