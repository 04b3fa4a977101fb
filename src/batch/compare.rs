//! `tabletop compare`: depot layouts on the same draws (common random
//! numbers), their scores side by side, and the paired differences from the
//! first layout with 95 % confidence intervals.
//!
//! Pairing removes the variation the layouts share (the same breach, the same
//! failed roads), so a difference shows with far fewer runs than comparing
//! two independent batches would need.

use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use super::run::run_row;
use super::stats::{self, Summary};
use crate::Error;
use crate::scenario::RunSpec;

/// A score compared, and which way is better.
struct Metric {
    column: &'static str,
    label: &'static str,
    higher_is_better: bool,
}

/// The scores the comparison table shows (every score is in `compare.json`).
const METRICS: [Metric; 5] = [
    Metric {
        column: "score.initial_relief_within_target",
        label: "initial relief within target (share)",
        higher_is_better: true,
    },
    Metric {
        column: "score.basic_relief_within_target",
        label: "basic relief within target (share)",
        higher_is_better: true,
    },
    Metric {
        column: "score.initial_relief_hours.p90",
        label: "hours to initial relief, p90",
        higher_is_better: false,
    },
    Metric {
        column: "score.basic_relief_hours.p90",
        label: "hours to basic relief, p90",
        higher_is_better: false,
    },
    Metric {
        column: "score.unmet_people_at_end",
        label: "people without basic relief at the end",
        higher_is_better: false,
    },
];

/// `compare.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Scenario title.
    pub scenario: String,
    /// Runs per layout (draws 0 to runs − 1, the same for every layout).
    pub runs: u64,
    /// Layout names, the first being the reference.
    pub layouts: Vec<String>,
    /// One entry per score.
    pub scores: Vec<ScoreComparison>,
}

/// One score across the layouts.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreComparison {
    /// Column name (as in `runs.csv`).
    pub column: String,
    /// Whether higher is better (None for scores with no better side).
    pub higher_is_better: Option<bool>,
    /// Per layout: its summary.
    pub per_layout: Vec<Option<Summary>>,
    /// Per layout after the first: the paired difference (layout − first).
    pub vs_first: Vec<Option<Paired>>,
}

/// A paired difference.
#[derive(Debug, Clone, Serialize)]
pub struct Paired {
    /// Summary of the differences (mean, 95 % interval of the mean, ...).
    pub difference: Summary,
    /// Share of runs where this layout did strictly better.
    pub better_share: Option<f64>,
    /// "better", "worse" (the interval excludes 0) or "no difference shown".
    pub verdict: &'static str,
}

/// Run every layout on draws `0..runs` and compare. `specs` are the scenario
/// loaded with each layout (the first is the reference).
pub fn compare(
    specs: &[Arc<RunSpec>],
    runs: u64,
    jobs: usize,
    progress: bool,
) -> Result<(Comparison, Vec<Vec<Vec<String>>>, Vec<String>), Error> {
    let pairs: Vec<(usize, u64)> = (0..specs.len()).flat_map(|l| (0..runs).map(move |i| (l, i))).collect();
    let bar = super::run::progress_bar(pairs.len(), progress);
    let pool = super::run::pool(jobs).map_err(|e| Error::Write {
        path: "compare".into(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let rows: Vec<(Vec<String>, Vec<String>)> = pool.install(|| {
        pairs
            .par_iter()
            .with_max_len(1)
            .map(|&(l, i)| {
                let r = run_row(&specs[l], i);
                bar.inc(1);
                r
            })
            .collect()
    });
    bar.finish_and_clear();
    // Layouts with different fleets differ in the truck draws only, so the
    // score columns line up; compare by name.
    let header = rows.first().map(|r| r.0.clone()).unwrap_or_default();
    let per_layout: Vec<Vec<Vec<String>>> = (0..specs.len())
        .map(|l| {
            rows[l * runs as usize..(l + 1) * runs as usize]
                .iter()
                .map(|(h, cells)| {
                    header
                        .iter()
                        .map(|name| {
                            h.iter()
                                .position(|x| x == name)
                                .map(|c| cells[c].clone())
                                .unwrap_or_default()
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let value = |l: usize, i: usize, c: usize| per_layout[l][i].get(c).and_then(|x| x.parse::<f64>().ok());
    let mut scores = Vec::new();
    for (c, name) in header.iter().enumerate() {
        if !name.starts_with("score.") {
            continue;
        }
        let better = METRICS.iter().find(|m| m.column == name).map(|m| m.higher_is_better);
        let summaries = (0..specs.len())
            .map(|l| stats::summarise(&(0..runs as usize).filter_map(|i| value(l, i, c)).collect::<Vec<_>>()))
            .collect();
        let vs_first = (1..specs.len())
            .map(|l| {
                let both: Vec<(f64, f64)> = (0..runs as usize)
                    .filter_map(|i| Some((value(l, i, c)?, value(0, i, c)?)))
                    .collect();
                let diffs: Vec<f64> = both.iter().map(|(a, b)| a - b).collect();
                let difference = stats::summarise(&diffs)?;
                let better_share = better.map(|up| {
                    let k = both.iter().filter(|(a, b)| if up { a > b } else { a < b }).count();
                    k as f64 / both.len() as f64
                });
                let verdict = match better {
                    _ if difference.ci95[0] <= 0.0 && difference.ci95[1] >= 0.0 => "no difference shown",
                    Some(up) if (difference.mean > 0.0) == up => "better",
                    Some(_) => "worse",
                    None => "differs",
                };
                Some(Paired {
                    difference,
                    better_share,
                    verdict,
                })
            })
            .collect();
        scores.push(ScoreComparison {
            column: name.clone(),
            higher_is_better: better,
            per_layout: summaries,
            vs_first,
        });
    }
    let comparison = Comparison {
        scenario: specs[0].name.clone(),
        runs,
        layouts: specs
            .iter()
            .map(|s| s.layout.clone().unwrap_or_else(|| "scenario".into()))
            .collect(),
        scores,
    };
    Ok((comparison, per_layout, header))
}

/// The terminal table: the key scores per layout, and each layout against the first.
pub fn table(c: &Comparison) -> String {
    let mut out = format!(
        "{} · {} runs per layout on the same draws · reference: {}\n",
        c.scenario, c.runs, c.layouts[0]
    );
    for m in &METRICS {
        let Some(s) = c.scores.iter().find(|s| s.column == m.column) else {
            continue;
        };
        out.push_str(&format!(
            "\n  {}{}\n",
            m.label,
            if m.higher_is_better { " ↑" } else { " ↓" }
        ));
        for (l, name) in c.layouts.iter().enumerate() {
            let mean = s.per_layout[l].as_ref().map_or("—".to_string(), |x| {
                format!("{:.3} (p5–p95 {:.3}–{:.3})", x.mean, x.p5, x.p95)
            });
            let vs = if l == 0 {
                String::new()
            } else {
                s.vs_first[l - 1]
                    .as_ref()
                    .map(|p| {
                        format!(
                            "  Δ {:+.3} [{:+.3}, {:+.3}] {}{}",
                            p.difference.mean,
                            p.difference.ci95[0],
                            p.difference.ci95[1],
                            p.verdict,
                            p.better_share
                                .map(|b| format!(", better in {:.0} % of runs", b * 100.0))
                                .unwrap_or_default()
                        )
                    })
                    .unwrap_or_default()
            };
            out.push_str(&format!("    {name:<24} {mean}{vs}\n"));
        }
    }
    out
}

/// Write `compare.json`, `compare.html` and one `runs-<k>.csv` per layout.
///
/// # Errors
/// [`Error::Write`] when the folder cannot be written.
pub fn write(
    out: &Path,
    c: &Comparison,
    rows: &[Vec<Vec<String>>],
    header: &[String],
    html: String,
) -> Result<(), Error> {
    let mut files: Vec<(String, String)> = vec![
        (
            "compare.json".into(),
            format!("{}\n", serde_json::to_string_pretty(c).unwrap_or_default()),
        ),
        ("compare.html".into(), html),
    ];
    for (l, r) in rows.iter().enumerate() {
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        let _ = w.write_record(header);
        for row in r {
            let _ = w.write_record(row);
        }
        let text = w
            .into_inner()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        files.push((format!("runs-{}.csv", l + 1), text));
    }
    let refs: Vec<(&str, String)> = files.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    crate::report::write_atomically(out, &refs)
}

/// `compare.html`: the layouts' maps side by side (draw 0 of each), and box
/// plots of the key scores over the runs.
pub fn html(c: &Comparison, maps: &[String]) -> String {
    use crate::report::html::esc;
    let mut s = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{} — layouts compared</title><style>\
body{{font-family:system-ui,\"Noto Sans CJK SC\",\"Microsoft YaHei\",sans-serif;margin:24px;color:#222;max-width:1400px}}\
.maps{{display:flex;gap:16px;flex-wrap:wrap}} .maps figure{{margin:0}} figcaption{{font-weight:600;margin:4px 0}}\
table{{border-collapse:collapse;margin:8px 0 20px}} td,th{{border-bottom:1px solid #eee;padding:4px 10px;text-align:right}}\
td:first-child,th:first-child{{text-align:left}} .better{{color:#1a7f37}} .worse{{color:#b42318}} .note{{color:#666;font-size:13px}}\
</style></head><body><h1>{} — depot layouts compared</h1>\
<p class=\"note\">{} runs per layout on the same draws (common random numbers); differences are paired, layout minus {}, with 95 % confidence intervals.</p>",
        esc(&c.scenario),
        esc(&c.scenario),
        c.runs,
        esc(&c.layouts[0])
    );
    s.push_str("<h2>Layouts (run 0 of each)</h2><div class=\"maps\">");
    for (name, map) in c.layouts.iter().zip(maps) {
        s.push_str(&format!("<figure><figcaption>{}</figcaption>{map}</figure>", esc(name)));
    }
    s.push_str("</div><h2>Scores</h2>");
    for m in &METRICS {
        let Some(sc) = c.scores.iter().find(|x| x.column == m.column) else {
            continue;
        };
        s.push_str(&format!(
            "<h3>{} {}</h3>{}<table><tr><th>layout</th><th>mean</th><th>95 % CI</th><th>p5 / p50 / p95</th><th>vs {}</th></tr>",
            esc(m.label),
            if m.higher_is_better { "(higher is better)" } else { "(lower is better)" },
            box_svg(&c.layouts, &sc.per_layout),
            esc(&c.layouts[0])
        ));
        for (l, name) in c.layouts.iter().enumerate() {
            let (mean, ci, pct) = sc.per_layout[l].as_ref().map_or_else(
                || ("—".into(), "—".into(), "—".into()),
                |x| {
                    (
                        format!("{:.3}", x.mean),
                        format!("{:.3} – {:.3}", x.ci95[0], x.ci95[1]),
                        format!("{:.3} / {:.3} / {:.3}", x.p5, x.p50, x.p95),
                    )
                },
            );
            let vs = if l == 0 {
                "reference".to_string()
            } else {
                sc.vs_first[l - 1].as_ref().map_or("—".into(), |p| {
                    format!(
                        "<span class=\"{}\">Δ {:+.3} [{:+.3}, {:+.3}] {}</span>",
                        p.verdict, p.difference.mean, p.difference.ci95[0], p.difference.ci95[1], p.verdict
                    )
                })
            };
            s.push_str(&format!(
                "<tr><td>{}</td><td>{mean}</td><td>{ci}</td><td>{pct}</td><td>{vs}</td></tr>",
                esc(name)
            ));
        }
        s.push_str("</table>");
    }
    s.push_str("</body></html>\n");
    s
}

/// Horizontal box plots, one per layout: whiskers p5–p95, box p25–p75, the
/// median as a bar and the mean as a dot.
fn box_svg(layouts: &[String], sums: &[Option<Summary>]) -> String {
    let (w, row, left) = (640.0, 26.0, 170.0);
    let lo = sums.iter().flatten().map(|x| x.p5).fold(f64::INFINITY, f64::min);
    let hi = sums.iter().flatten().map(|x| x.p95).fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        return String::new();
    }
    let span = if hi > lo { hi - lo } else { 1.0 };
    let x = |v: f64| left + (v - lo) / span * (w - left - 20.0);
    let h = row * layouts.len() as f64 + 24.0;
    let mut s = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-size=\"12\">");
    for (k, (name, sum)) in layouts.iter().zip(sums).enumerate() {
        let y = 14.0 + row * k as f64;
        s.push_str(&format!(
            "<text x=\"0\" y=\"{:.1}\">{}</text>",
            y + 4.0,
            crate::report::html::esc(name)
        ));
        if let Some(b) = sum {
            let (q1, q3) = (b.p25, b.p75);
            s.push_str(&format!(
                "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#555\"/>\
<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"12\" fill=\"#9ecae1\" stroke=\"#3182bd\"/>\
<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#08519c\" stroke-width=\"2\"/>\
<circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"#b42318\"/>",
                x(b.p5),
                x(b.p95),
                x(q1),
                y - 6.0,
                (x(q3) - x(q1)).max(1.0),
                x(b.p50),
                x(b.p50),
                y - 6.0,
                y + 6.0,
                x(b.mean)
            ));
        }
    }
    s.push_str(&format!(
        "<text x=\"{left}\" y=\"{:.1}\">{lo:.3}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{hi:.3}</text></svg>",
        h - 2.0,
        w - 20.0,
        h - 2.0
    ));
    s
}
