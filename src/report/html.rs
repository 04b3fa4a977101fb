//! `report.html`: one self-contained page (no scripts, no external files) with
//! the score, an SVG map of roads, depots and affected groups coloured by
//! relief status, the coverage-over-time chart with the target lines, and the
//! zone and reserve tables.

use std::fmt::Write;

use crate::city::{PlaceKind, RoadClass, Xy};
use crate::score::Hours;

use super::RunResult;

/// Escape text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STATUS_COLOURS: [(&str, &str); 4] = [
    ("basic relief within target", "#1a9850"),
    ("initial relief only, or basic late", "#fdae61"),
    ("initial relief late", "#f46d43"),
    ("not fully served", "#a50026"),
];

/// Map in SVG: roads by class, waterways, depots, closed roads, groups by status.
pub fn map_svg(r: &RunResult, width: f64) -> String {
    let (lo, hi) = r.spec.city.bounds;
    map_svg_window(r, width, lo, hi, 800.0)
}

/// The window around the local hazards (fire cells and toxic threat zones)
/// with a 1 km margin, at least 3 km wide; None when there are none or they
/// cover more than half the map anyway.
pub fn hazard_window(r: &RunResult) -> Option<(Xy, Xy)> {
    let mut lo = Xy {
        x: f64::INFINITY,
        y: f64::INFINITY,
    };
    let mut hi = Xy {
        x: f64::NEG_INFINITY,
        y: f64::NEG_INFINITY,
    };
    let mut grow = |g: &crate::hazard::grid::Grid<u8>| {
        for j in 0..g.ny {
            for i in 0..g.nx {
                if g.data[g.idx(i, j)] != 0 {
                    let (x0, y0) = (g.x0 + i as f64 * g.dx, g.y0 + j as f64 * g.dx);
                    lo = Xy {
                        x: lo.x.min(x0),
                        y: lo.y.min(y0),
                    };
                    hi = Xy {
                        x: hi.x.max(x0 + g.dx),
                        y: hi.y.max(y0 + g.dx),
                    };
                }
            }
        }
    };
    r.fire_states.iter().for_each(&mut grow);
    r.threat_zones.iter().for_each(&mut grow);
    if !lo.x.is_finite() {
        return None;
    }
    let (clo, chi) = r.spec.city.bounds;
    let margin = 1000.0;
    let (cx, cy) = ((lo.x + hi.x) / 2.0, (lo.y + hi.y) / 2.0);
    let half = ((hi.x - lo.x).max(hi.y - lo.y) / 2.0 + margin).max(1500.0);
    if 2.0 * half > (chi.x - clo.x).max(chi.y - clo.y) / 2.0 {
        return None;
    }
    Some((
        Xy {
            x: cx - half,
            y: cy - half,
        },
        Xy {
            x: cx + half,
            y: cy + half,
        },
    ))
}

/// The map of the window `lo`–`hi` (local metres) plus `pad` metres around it.
pub fn map_svg_window(r: &RunResult, width: f64, lo: Xy, hi: Xy, pad: f64) -> String {
    let city = &r.spec.city;
    let (w_m, h_m) = (hi.x - lo.x + 2.0 * pad, hi.y - lo.y + 2.0 * pad);
    let scale = width / w_m;
    let height = h_m * scale;
    let px = |p: Xy| ((p.x - lo.x + pad) * scale, (hi.y + pad - p.y) * scale);
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" role="img" aria-label="map"><rect width="100%" height="100%" fill="#f7f7f2"/>"##
    );
    for (_, _, line) in &city.waterways {
        let pts: Vec<String> = line
            .iter()
            .map(|p| {
                let (x, y) = px(*p);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = write!(
            s,
            r##"<polyline points="{}" fill="none" stroke="#74add1" stroke-width="3" stroke-linejoin="round"/>"##,
            pts.join(" ")
        );
    }
    if let Some(depth) = &r.peak_depth {
        let classes = depth
            .data
            .iter()
            .map(|&d| DEPTH_CLASSES.iter().rposition(|(lo, _)| d >= *lo))
            .collect();
        s.push_str(&class_cells(depth, classes, &DEPTH_CLASSES.map(|c| c.1), &px, scale));
    }
    if let Some(fire) = &r.fire_states {
        let classes = fire.data.iter().map(|&v| (v > 0).then(|| usize::from(v) - 1)).collect();
        s.push_str(&class_cells(fire, classes, &FIRE_COLOURS, &px, scale));
    }
    for zones in &r.threat_zones {
        let classes = zones
            .data
            .iter()
            .map(|&t| (t > 0).then(|| usize::from(t) - 1))
            .collect();
        s.push_str(&class_cells(zones, classes, &AEGL_COLOURS, &px, scale));
    }
    let classes: [(&[RoadClass], &str, f64); 4] = [
        (&[RoadClass::Village], "#c8c8c0", 0.6),
        (&[RoadClass::UrbanBranch], "#b0b0a8", 0.6),
        (&[RoadClass::County, RoadClass::UrbanArterial], "#8c8c84", 1.1),
        (
            &[RoadClass::Provincial, RoadClass::National, RoadClass::Expressway],
            "#d95f0e",
            1.8,
        ),
    ];
    for (cls, colour, w) in classes {
        let mut d = String::new();
        for seg in city.segments.iter().filter(|sg| cls.contains(&sg.class)) {
            let (x1, y1) = px(city.node_xy[seg.a as usize]);
            let (x2, y2) = px(city.node_xy[seg.b as usize]);
            let _ = write!(d, "M{x1:.1} {y1:.1}L{x2:.1} {y2:.1}");
        }
        let _ = write!(s, r#"<path d="{d}" stroke="{colour}" stroke-width="{w}" fill="none"/>"#);
    }
    if !r.closed_segments.is_empty() {
        let mut d = String::new();
        for &sid in &r.closed_segments {
            let seg = &city.segments[sid as usize];
            let (x1, y1) = px(city.node_xy[seg.a as usize]);
            let (x2, y2) = px(city.node_xy[seg.b as usize]);
            let _ = write!(d, "M{x1:.1} {y1:.1}L{x2:.1} {y2:.1}");
        }
        let _ = write!(
            s,
            r##"<path d="{d}" stroke="#000" stroke-width="2.5" stroke-dasharray="4 2" fill="none"><title>closed at end of run</title></path>"##
        );
    }
    for z in &city.zones {
        let (x, y) = px(z.seat);
        let _ = write!(
            s,
            r##"<text x="{x:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#555">{} {}</text>"##,
            y - 8.0,
            esc(&z.name_zh),
            esc(&z.name)
        );
    }
    let target_i = r.report.targets.initial_relief_h;
    let target_b = r.report.targets.basic_relief_h;
    for g in &r.groups {
        let (x, y) = px(city.node_xy[g.node as usize]);
        let colour = match (g.initial_done_h, g.basic_done_h) {
            (_, Some(b)) if b <= target_b => STATUS_COLOURS[0].1,
            (Some(i), _) if i <= target_i => STATUS_COLOURS[1].1,
            (Some(_), _) => STATUS_COLOURS[2].1,
            _ => STATUS_COLOURS[3].1,
        };
        let radius = (f64::from(g.people).sqrt() * 0.12).clamp(1.5, 9.0);
        let f = |o: Option<f64>| o.map_or("not all served".to_string(), |h| format!("{h:.1} h"));
        let _ = write!(
            s,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="{radius:.1}" fill="{colour}" fill-opacity="0.8" stroke="#fff" stroke-width="0.4"><title>Group #{} · {} people · {} · initial {} · basic {}</title></circle>"##,
            g.id,
            g.people,
            esc(&city.node_label(g.node)),
            f(g.initial_done_h),
            f(g.basic_done_h)
        );
    }
    for d in &r.spec.depots {
        let (x, y) = px(d.xy);
        let tier = d.tier.label();
        let colour = match tier {
            "government" => "#2c7bb6",
            "enterprise" => "#7b3294",
            "commercial" => "#008837",
            _ => "#4d4d4d",
        };
        let size = if tier == "community" { 5.0 } else { 8.0 };
        let _ = write!(
            s,
            r##"<rect x="{:.1}" y="{:.1}" width="{size}" height="{size}" fill="{colour}" stroke="#fff" stroke-width="1"><title>{} ({}, {})</title></rect>"##,
            x - size / 2.0,
            y - size / 2.0,
            esc(&d.name),
            esc(&d.id),
            tier
        );
    }
    for p in city.places.iter().filter(|p| p.kind == PlaceKind::Shelter) {
        let (x, y) = px(p.xy);
        let _ = write!(
            s,
            r##"<path d="M{x:.1} {:.1}l3 5h-6z" fill="#6a51a3"><title>{} (shelter)</title></path>"##,
            y - 3.0,
            esc(&p.name_zh)
        );
    }
    // Scale bar: the largest of 5 km, 1 km, 500 m that fits a fifth of the width.
    let bar_m = [5000.0, 1000.0, 500.0, 100.0]
        .into_iter()
        .find(|&m| m <= w_m / 5.0)
        .unwrap_or(100.0);
    let label = if bar_m >= 1000.0 {
        format!("{} km", bar_m / 1000.0)
    } else {
        format!("{bar_m} m")
    };
    let bar = bar_m * scale;
    let _ = write!(
        s,
        r##"<g transform="translate(16 {:.0})"><rect width="{bar:.1}" height="4" fill="#333"/><text y="-4" font-size="11">{label}</text></g></svg>"##,
        height - 16.0
    );
    s
}

/// Depth classes for flood overlays: (lower bound m, colour).
const DEPTH_CLASSES: [(f64, &str); 4] = [(0.05, "#c6dbef"), (0.3, "#6baed6"), (1.0, "#2171b5"), (2.0, "#08306b")];

/// AEGL-1 / 2 / 3 threat-zone colours (yellow, orange, red, as in ALOHA).
const AEGL_COLOURS: [&str; 3] = ["#fee08b", "#fc8d59", "#d73027"];

/// Fire colours: burning, burnt out, put out by teams.
const FIRE_COLOURS: [&str; 3] = ["#ff3b00", "#3d2b1f", "#8c96a0"];

/// Cells of a raster as SVG rectangles coloured by class, one rectangle per run
/// of same-class cells in a row (`None` = not drawn).
fn class_cells<T>(
    grid: &crate::hazard::grid::Grid<T>,
    classes: Vec<Option<usize>>,
    colours: &[&str],
    px: &dyn Fn(Xy) -> (f64, f64),
    scale: f64,
) -> String {
    let mut s = String::from(r#"<g fill-opacity="0.7">"#);
    let cell = grid.dx * scale;
    for j in 0..grid.ny {
        let mut i = 0;
        while i < grid.nx {
            let Some(c) = classes[grid.idx(i, j)] else {
                i += 1;
                continue;
            };
            let start = i;
            while i < grid.nx && classes[grid.idx(i, j)] == Some(c) {
                i += 1;
            }
            let (x, y) = px(Xy {
                x: grid.x0 + start as f64 * grid.dx,
                y: grid.y0 + (j + 1) as f64 * grid.dx,
            });
            let _ = write!(
                s,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{:.2}" height="{cell:.2}" fill="{}"/>"#,
                (i - start) as f64 * cell,
                colours[c]
            );
        }
    }
    s.push_str("</g>");
    s
}

/// Coverage chart: share of affected people with initial / basic relief over time.
pub fn coverage_svg(r: &RunResult) -> String {
    let (w, h, ml, mb, mt, mr) = (760.0, 300.0, 48.0, 36.0, 12.0, 12.0);
    let max_h = r.report.duration_h.max(1.0);
    let x = |hour: f64| ml + hour / max_h * (w - ml - mr);
    let y = |share: f64| mt + (1.0 - share) * (h - mt - mb);
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="coverage over time">"#
    );
    for i in 0..=4 {
        let share = f64::from(i) / 4.0;
        let _ = write!(
            s,
            r##"<line x1="{ml}" x2="{}" y1="{:.1}" y2="{:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end">{}%</text>"##,
            w - mr,
            y(share),
            y(share),
            ml - 4.0,
            y(share) + 4.0,
            i * 25
        );
    }
    let mut tick = 0.0;
    let every = if max_h > 48.0 { 12.0 } else { 6.0 };
    while tick <= max_h + 1e-9 {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle">{tick} h</text>"#,
            x(tick),
            h - mb + 16.0
        );
        tick += every;
    }
    for (target, label) in [
        (r.report.targets.initial_relief_h, "12 h target"),
        (r.report.targets.basic_relief_h, "24 h target"),
    ] {
        if target <= max_h {
            let label = label
                .replace("12", &format!("{target}"))
                .replace("24", &format!("{target}"));
            let _ = write!(
                s,
                r##"<line x1="{0:.1}" x2="{0:.1}" y1="{mt}" y2="{1}" stroke="#333" stroke-dasharray="5 3"/><text x="{2:.1}" y="{3}" font-size="11">{label}</text>"##,
                x(target),
                h - mb,
                x(target) + 4.0,
                mt + 12.0
            );
        }
    }
    for (pick, colour, name) in [(0usize, "#fdae61", "initial relief"), (1, "#1a9850", "basic relief")] {
        let pts: Vec<String> = std::iter::once((0.0, 0.0))
            .chain(r.timeline.iter().map(|row| {
                let served = if pick == 0 {
                    row.served_initial
                } else {
                    row.served_basic
                };
                let share = if row.affected == 0 {
                    0.0
                } else {
                    served as f64 / row.affected as f64
                };
                (row.hour, share)
            }))
            .map(|(hh, sh)| format!("{:.1},{:.1}", x(hh), y(sh)))
            .collect();
        let _ = write!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2.5"><title>{name}</title></polyline>"#,
            pts.join(" ")
        );
    }
    let _ = write!(
        s,
        r##"<rect x="{0}" y="{1}" width="12" height="3" fill="#fdae61"/><text x="{2}" y="{3}" font-size="11">initial relief</text><rect x="{4}" y="{1}" width="12" height="3" fill="#1a9850"/><text x="{5}" y="{3}" font-size="11">basic relief</text></svg>"##,
        w - 250.0,
        h - mb + 26.0,
        w - 234.0,
        h - mb + 30.0,
        w - 140.0,
        w - 124.0
    );
    s
}

fn hours_cell(h: &Hours) -> String {
    let f = |o: Option<f64>| o.map_or("never".to_string(), |v| format!("{v:.1}"));
    format!("{} / {} / {}", f(h.p50), f(h.p90), f(h.max))
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

fn hazards_html(h: &crate::hazard::sim::HazardReport) -> String {
    let mut s = String::new();
    if h.flood.is_none() && h.releases.is_empty() && h.fires.is_empty() {
        return s;
    }
    s.push_str("<h2>Hazards</h2>");
    if let Some(f) = &h.flood {
        let _ = write!(
            s,
            "<table><tr><th>flood</th><th>value</th></tr><tr><td>peak flooded area (≥ 10 cm)</td><td>{} km²</td></tr><tr><td>deepest water</td><td>{} m</td></tr><tr><td>water in (breach + rain)</td><td>{:.0} m³</td></tr><tr><td>water out (drainage + edges)</td><td>{:.0} m³</td></tr><tr><td>water on the grid at the end</td><td>{:.0} m³</td></tr><tr><td>water balance error</td><td>{:.1e}</td></tr><tr><td>people affected by water</td><td>{}</td></tr><tr><td>expected deaths if nobody left</td><td>{:.1}</td></tr></table>",
            f.peak_flooded_area_km2,
            f.max_depth_m,
            f.volume_in_m3,
            f.volume_out_m3,
            f.volume_on_grid_m3,
            f.balance_relative_error,
            f.people_affected,
            f.expected_deaths_if_not_evacuated
        );
        s.push_str(r#"<div class="legend">peak depth: "#);
        for (k, (lo, c)) in DEPTH_CLASSES.iter().enumerate() {
            let hi = DEPTH_CLASSES
                .get(k + 1)
                .map_or("+".to_string(), |(h, _)| format!("–{h}"));
            let _ = write!(
                s,
                r#"<span><i style="background:{c};border-radius:0"></i>{lo}{hi} m</span>"#
            );
        }
        s.push_str("</div>");
    }
    if !h.releases.is_empty() {
        s.push_str(r#"<div class="legend">peak threat zones (60 min): "#);
        for (k, c) in AEGL_COLOURS.iter().enumerate() {
            let _ = write!(
                s,
                r#"<span><i style="background:{c};border-radius:0"></i>AEGL-{}</span>"#,
                k + 1
            );
        }
        s.push_str("</div>");
    }
    for r in &h.releases {
        let stopped = match (&r.stopped_at_h, &r.stopped_by) {
            (Some(t), Some(team)) => format!("at {t:.1} h by {}", esc(team)),
            _ => "no (ran its course)".to_string(),
        };
        let _ = write!(
            s,
            "<table><tr><th>release {}</th><th>value</th></tr><tr><td>chemical</td><td>{}</td></tr><tr><td>source</td><td>{}</td></tr><tr><td>released</td><td>{} kg</td></tr><tr><td>stopped by a hazmat team</td><td>{}</td></tr><tr><td>AEGL-1 / 2 / 3 (60 min) zone, peak</td><td>{} / {} / {} km²</td></tr><tr><td>people evacuated (inside AEGL-2)</td><td>{}</td></tr><tr><td>expected casualties if people stayed outdoors</td><td>{:.1}</td></tr></table><p class=\"note\">{}</p>",
            esc(&r.id),
            esc(&r.chemical),
            esc(&r.source),
            r.released_kg,
            stopped,
            r.threat_zone_km2[0],
            r.threat_zone_km2[1],
            r.threat_zone_km2[2],
            r.evacuated_people,
            r.expected_casualties_if_not_evacuated,
            esc(&r.note)
        );
    }
    if !h.fires.is_empty() {
        s.push_str(r#"<div class="legend">fire at the end: "#);
        for (c, label) in FIRE_COLOURS.iter().zip(["burning", "burnt out", "put out by teams"]) {
            let _ = write!(
                s,
                r#"<span><i style="background:{c};border-radius:0"></i>{label}</span>"#
            );
        }
        s.push_str("</div>");
    }
    for f in &h.fires {
        let _ = write!(
            s,
            "<table><tr><th>fire {}</th><th>value</th></tr><tr><td>model</td><td>{}</td></tr><tr><td>area reached</td><td>{} km²</td></tr><tr><td>building footprint reached</td><td>{:.0} m²</td></tr><tr><td>out</td><td>{}</td></tr><tr><td>cells put out by teams</td><td>{}</td></tr><tr><td>people whose block burnt</td><td>{}</td></tr><tr><td>expected deaths if nobody left in time</td><td>{:.1}</td></tr></table>",
            esc(&f.id),
            esc(&f.model),
            f.burnt_area_km2,
            f.building_footprint_m2,
            f.out_at_h
                .map_or("still burning at the end".to_string(), |h| format!("at {h:.1} h")),
            f.cells_put_out,
            f.people_affected,
            f.expected_deaths_if_not_evacuated
        );
    }
    if !h.teams.is_empty() {
        s.push_str("<table><tr><th>team</th><th>kind</th><th>calls</th><th>hours at work</th></tr>");
        for t in &h.teams {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td></tr>",
                esc(&t.id),
                esc(&t.kind),
                t.tasks,
                t.worked_h
            );
        }
        s.push_str("</table>");
    }
    if let Some(d) = &h.expected_deaths {
        let _ = write!(
            s,
            "<table><tr><th>expected deaths if nobody left</th><th>people</th></tr><tr><td>flood</td><td>{:.1}</td></tr><tr><td>fire</td><td>{:.1}</td></tr><tr><td>toxic release</td><td>{:.1}</td></tr><tr><td>total</td><td>{:.1}</td></tr><tr><td>per million residents</td><td>{:.2} (plan: &lt; 0.5 a year; an upper bound before evacuation and rescue)</td></tr></table>",
            d.flood, d.fire, d.chemical, d.total, d.per_million
        );
    }
    if let Some(e) = &h.economic_loss {
        let share = e.share_of_gdp.map_or("— (no GDP in the scenario)".to_string(), |g| {
            format!(
                "{:.3} % ({} the plan's < 1 % a year)",
                g * 100.0,
                if g < e.target_share_of_gdp { "within" } else { "over" }
            )
        });
        let _ = write!(
            s,
            "<table><tr><th>direct economic loss</th><th>million yuan</th></tr><tr><td>flood</td><td>{:.1}</td></tr><tr><td>fire</td><td>{:.1}</td></tr><tr><td>total</td><td>{:.1}</td></tr><tr><td>share of GDP</td><td>{}</td></tr></table><p class=\"note\">{}</p>",
            e.flood_yuan / 1e6,
            e.fire_yuan / 1e6,
            e.total_yuan / 1e6,
            share,
            esc(&e.note)
        );
    }
    s
}

fn indicators_rows(rows: &[crate::report::indicators::Indicator]) -> String {
    use crate::report::indicators::Status;
    let fmt = |v: f64, unit: &str| match unit {
        "share" if v >= 0.01 || v == 0.0 => format!("{:.1} %", v * 100.0),
        "share" => format!("{:.3} %", v * 100.0),
        _ => format!("{v} {unit}"),
    };
    let mut s = String::new();
    for i in rows {
        let (class, status) = match i.status {
            Status::Met => ("ok", "met"),
            Status::Missed => ("bad", "missed"),
            Status::NotApplicable => ("", "not applicable"),
        };
        let _ = write!(
            s,
            r#"<tr><td>{}</td><td>{} {}</td><td>{}</td><td class="{class}">{status}</td><td class="note">{}</td></tr>"#,
            esc(&i.name),
            if i.sense == "below" { "&lt;" } else { "≥" },
            fmt(i.target, i.unit),
            i.value.map_or("—".to_string(), |v| fmt(v, i.unit)),
            esc(&i.source)
        );
    }
    s
}

/// The whole page.
pub fn render(r: &RunResult) -> String {
    let rep = &r.report;
    let sc = &rep.score;
    let mut zones = String::new();
    for z in &rep.zones {
        let _ = write!(
            zones,
            "<tr><td>{} {}</td><td>{}</td><td class=\"{}\">{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&z.name_zh),
            esc(&z.name),
            z.affected_people,
            if z.initial_relief_within_target >= 0.999_5 {
                "ok"
            } else {
                "bad"
            },
            pct(z.initial_relief_within_target),
            if z.basic_relief_within_target >= 0.999_5 {
                "ok"
            } else {
                "bad"
            },
            pct(z.basic_relief_within_target),
            hours_cell(&z.initial_relief_hours),
            hours_cell(&z.basic_relief_hours),
            z.unmet_people_at_end
        );
    }
    let mut reserves = String::new();
    for d in &rep.reserves {
        let _ = write!(
            reserves,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} / {}</td><td>{} / {}</td></tr>",
            esc(&d.depot),
            esc(&d.name),
            d.tier,
            d.initial_issued,
            d.basic_issued,
            d.stock_start.initial,
            d.stock_start.basic,
            d.stock_end.initial,
            d.stock_end.basic
        );
    }
    let legend: String = STATUS_COLOURS
        .iter()
        .map(|(name, c)| format!(r#"<span><i style="background:{c}"></i>{name}</span>"#))
        .collect();
    format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title} — tabletop report</title>
<style>
body{{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px;color:#222;max-width:1200px}}
h1{{margin-bottom:0}} .sub{{color:#666;margin-top:4px}}
.cards{{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}}
.card{{border:1px solid #ddd;border-radius:8px;padding:10px 14px;min-width:170px}}
.card b{{font-size:26px;display:block}} .ok{{color:#1a7f37}} .bad{{color:#b42318}}
table{{border-collapse:collapse;margin:8px 0 20px}} td,th{{border-bottom:1px solid #eee;padding:4px 10px;text-align:right}}
td:first-child,th:first-child,td:nth-child(2){{text-align:left}}
.legend span{{margin-right:14px;font-size:13px}} .legend i{{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:4px}}
.note{{color:#666;font-size:13px}}
</style></head><body>
<h1>{title}</h1>
<p class="sub">{desc}</p>
<p class="sub">map {map} · seed {seed} · start {start} · {dur} h · step {step} s · policy {policy}{layout}</p>
<div class="cards">
<div class="card">affected<b>{affected}</b>people</div>
<div class="card">initial relief ≤ {ti} h<b class="{ci}">{pi}</b>p50/p90/max h: {hi}</div>
<div class="card">basic relief ≤ {tb} h<b class="{cb}">{pb}</b>p50/p90/max h: {hb}</div>
<div class="card">unmet at end<b class="{cu}">{unmet}</b>without basic relief</div>
</div>
<h2>Map</h2>
<div class="legend">{legend}<span>■ depots (blue government, purple enterprise, green commercial, grey community) · ▲ shelters · dashed black: closed roads</span></div>
{map_svg}
{closeup}
<h2>Coverage over time</h2>
{chart}
<h2>The plan's indicators</h2>
<table><tr><th>indicator</th><th>target</th><th>this run</th><th>status</th><th>source</th></tr>{indicators}</table>
{evaluation}<h2>Zones</h2>
<table><tr><th>zone</th><th>affected</th><th>initial ≤ {ti} h</th><th>basic ≤ {tb} h</th><th>initial p50/p90/max h</th><th>basic p50/p90/max h</th><th>unmet</th></tr>{zones}</table>
<h2>Reserves ("1+4")</h2>
<table><tr><th>depot</th><th>name</th><th>tier</th><th>initial kits issued</th><th>basic sets issued</th><th>stock at start (kits / sets)</th><th>stock at end</th></tr>{reserves}</table>
{hazards}
{people}
<p class="note">Unreachable: {ug} groups ({up} people), up to {uh} h cut off. Trucks: {trucks}, {deliv} deliveries, {km} km, {util} busy.</p>
<p class="note">{prov}</p>
</body></html>
"#,
        title = esc(&format!(
            "{}{}",
            rep.scenario,
            rep.scenario_zh.as_ref().map(|z| format!(" · {z}")).unwrap_or_default()
        )),
        desc = esc(&r.spec.description),
        map = esc(&rep.map),
        seed = rep.seed,
        start = rep.start,
        dur = rep.duration_h,
        step = rep.step_s,
        policy = rep.dispatch_policy,
        layout = rep
            .layout
            .as_ref()
            .map(|l| format!(" · layout {}", esc(l)))
            .unwrap_or_default(),
        affected = sc.affected_people,
        ti = rep.targets.initial_relief_h,
        tb = rep.targets.basic_relief_h,
        pi = pct(sc.initial_relief_within_target),
        pb = pct(sc.basic_relief_within_target),
        ci = if sc.initial_relief_within_target >= 0.999_5 {
            "ok"
        } else {
            "bad"
        },
        cb = if sc.basic_relief_within_target >= 0.999_5 {
            "ok"
        } else {
            "bad"
        },
        cu = if sc.unmet_people_at_end == 0 { "ok" } else { "bad" },
        hi = hours_cell(&sc.initial_relief_hours),
        hb = hours_cell(&sc.basic_relief_hours),
        unmet = sc.unmet_people_at_end,
        map_svg = map_svg(r, 1100.0),
        closeup = hazard_window(r).map_or(String::new(), |(lo, hi)| format!(
            "<h2>Hazard close-up</h2>{}",
            map_svg_window(r, 700.0, lo, hi, 0.0)
        )),
        chart = coverage_svg(r),
        indicators = indicators_rows(&rep.indicators),
        evaluation = evaluation_html(r),
        ug = rep.unreachable.groups,
        up = rep.unreachable.people,
        uh = rep.unreachable.max_hours,
        trucks = rep.fleet.trucks,
        deliv = rep.fleet.deliveries,
        km = rep.fleet.km_driven,
        util = pct(rep.fleet.utilisation),
        prov = esc(&rep.map_provenance),
        hazards = hazards_html(&rep.hazards),
        people = people_html(&rep.people),
    )
}

/// The exercise evaluation (expected actions) and the timeline of injects and
/// decisions beside it: only for scenarios with expected actions or drills
/// with commands.
fn evaluation_html(r: &RunResult) -> String {
    let rep = &r.report;
    let timeline = super::evaluation::injects_and_decisions(&r.journal_jsonl);
    let decided = timeline.iter().any(|(_, w)| w.starts_with("decision"));
    if rep.evaluation.is_empty() && !decided {
        return String::new();
    }
    let mut s = String::from("<h2>After action: expected actions and the timeline</h2>");
    if !rep.evaluation.is_empty() {
        s.push_str(
            "<table><tr><th>inject</th><th>task</th><th>delivered</th><th>due</th><th>done</th><th>status</th></tr>",
        );
        let h = |x: Option<f64>| x.map_or("—".to_string(), |v| format!("{v:.2} h"));
        for e in &rep.evaluation {
            let class = match e.status {
                "met" => "ok",
                "late" | "missed" => "bad",
                _ => "",
            };
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td></tr>",
                esc(&e.inject),
                esc(&e.task),
                h(e.delivered_h),
                h(e.due_h),
                h(e.done_h),
                e.status
            );
        }
        s.push_str("</table>");
    }
    s.push_str("<table><tr><th>time</th><th>inject or decision</th></tr>");
    for (t, what) in &timeline {
        let _ = write!(s, "<tr><td>{:.2} h</td><td>{}</td></tr>", *t as f64 / 3600.0, esc(what));
    }
    s.push_str("</table>");
    s
}

/// Evacuation, shelters, rescue and the boats and buses.
fn people_html(p: &super::people::PeopleOut) -> String {
    if p.is_empty() {
        return String::new();
    }
    let mut s = String::from("<h2>People: evacuation, rescue, the injured and damaged roads</h2>");
    if let Some(e) = &p.evacuation {
        let _ = write!(
            s,
            "<table><tr><th>evacuation</th><th>people</th></tr><tr><td>ordered out</td><td>{}</td></tr><tr><td>refused and stayed</td><td>{}</td></tr><tr><td>no shelter place, stayed</td><td>{}</td></tr><tr><td>walked</td><td>{}</td></tr><tr><td>by bus</td><td>{}</td></tr><tr><td>still waiting at home at the end</td><td>{}</td></tr><tr><td>in shelters at the end</td><td>{}</td></tr><tr><td>in shelters at the peak</td><td>{}</td></tr></table>",
            e.ordered,
            e.refused,
            e.no_shelter,
            e.walked,
            e.by_bus,
            e.still_waiting_at_end,
            e.sheltered_at_end,
            e.peak_sheltered
        );
        s.push_str("<table><tr><th>shelter</th><th>名称</th><th>usable m²</th><th>places</th><th>promised</th><th>peak</th><th>m² per person at peak</th></tr>");
        for sh in &e.shelters {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{:.0}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td></tr>",
                esc(&sh.name),
                esc(&sh.name_zh),
                sh.usable_m2,
                sh.capacity,
                sh.reserved,
                sh.peak,
                sh.m2_per_person_at_peak
            );
        }
        s.push_str("</table>");
    }
    if let Some(r) = &p.rescue {
        let h = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.1} h"));
        let _ = write!(
            s,
            "<table><tr><th>cut off by water</th><th>value</th></tr><tr><td>people stranded</td><td>{}</td></tr><tr><td>taken off alive by boat</td><td>{}</td></tr><tr><td>found dead (survival curve)</td><td>{}</td></tr><tr><td>still stranded at the end</td><td>{} (expected alive {:.0})</td></tr><tr><td>wait for a boat: median / worst</td><td>{} / {}</td></tr></table>",
            r.stranded,
            r.rescued_alive,
            r.died_waiting,
            r.still_stranded_at_end,
            r.still_stranded_expected_alive,
            h(r.wait_h_median),
            h(r.wait_h_max)
        );
    }
    if let Some(r) = &p.trapped {
        let h = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.1} h"));
        let _ = write!(
            s,
            "<table><tr><th>trapped in collapsed buildings</th><th>value</th></tr><tr><td>people trapped</td><td>{}</td></tr><tr><td>freed alive</td><td>{}</td></tr><tr><td>found dead (survival curve)</td><td>{}</td></tr><tr><td>still trapped at the end</td><td>{} (expected alive {:.0})</td></tr><tr><td>wait for a rescue team: median / worst</td><td>{} / {}</td></tr></table>",
            r.trapped,
            r.freed_alive,
            r.found_dead,
            r.still_trapped_at_end,
            r.still_trapped_expected_alive,
            h(r.wait_h_median),
            h(r.wait_h_max)
        );
    }
    if let Some(m) = &p.medical {
        let h = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.1} h"));
        s.push_str("<table><tr><th>injured (START)</th><th>injured</th><th>admitted</th><th>in an ambulance at the end</th><th>waiting at the end</th><th>admitted within 1 h</th><th>hours to hospital: median / worst</th></tr>");
        for (label, t) in [("immediate (red)", &m.red), ("delayed (yellow)", &m.yellow)] {
            let _ = write!(
                s,
                "<tr><td>{label}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1} %</td><td>{} / {}</td></tr>",
                t.injured,
                t.admitted,
                t.in_ambulance_at_end,
                t.waiting_at_end,
                t.within_1h * 100.0,
                h(t.hours_p50),
                h(t.hours_max)
            );
        }
        let _ = write!(
            s,
            "<tr><td>minor (green), treated on the spot</td><td>{}</td><td></td><td></td><td></td><td></td><td></td></tr></table>",
            m.green
        );
        s.push_str("<table><tr><th>hospital</th><th>名称</th><th>disaster beds</th><th>admitted</th></tr>");
        for x in &m.hospitals {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&x.name),
                esc(&x.name_zh),
                x.beds,
                x.admitted
            );
        }
        s.push_str("</table>");
    }
    if let Some(r) = &p.roads {
        let h = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.1} h"));
        let _ = write!(
            s,
            "<table><tr><th>damaged roads</th><th>segments</th></tr><tr><td>damaged</td><td>{}</td></tr><tr><td>repaired</td><td>{}</td></tr><tr><td>still damaged at the end</td><td>{}</td></tr><tr><td>closed from damage to reopening: median / worst</td><td>{} / {}</td></tr></table>",
            r.damaged,
            r.repaired,
            r.still_damaged_at_end,
            h(r.closed_h_median),
            h(r.closed_h_max)
        );
        s.push_str("<table><tr><th>road</th><th>segments damaged</th><th>repaired</th><th>last reopened</th></tr>");
        for b in &r.by_road {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                if b.road.is_empty() {
                    "(unnamed)".to_string()
                } else {
                    esc(&b.road)
                },
                b.damaged,
                b.repaired,
                b.last_reopened_h.map_or("—".to_string(), |v| format!("hour {v:.1}"))
            );
        }
        s.push_str("</table>");
    }
    if !p.teams.is_empty() {
        // One row per team entry of the scenario (`id-1`, `id-2`, ... together).
        s.push_str("<table><tr><th>response teams</th><th>kind</th><th>teams</th><th>trips</th><th>people carried or freed / segments repaired</th><th>hours busy</th><th>rests</th><th>at the end</th></tr>");
        let base = |id: &str| -> String {
            match id.rsplit_once('-') {
                Some((b, n)) if !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) => b.to_string(),
                _ => id.to_string(),
            }
        };
        let mut k = 0;
        while k < p.teams.len() {
            let name = base(&p.teams[k].id);
            let kind = p.teams[k].kind;
            let rows: Vec<_> = p.teams[k..]
                .iter()
                .take_while(|u| u.kind == kind && base(&u.id) == name)
                .collect();
            let mut states: Vec<(&str, usize)> = Vec::new();
            for u in &rows {
                match states.iter_mut().find(|(st, _)| *st == u.state_at_end) {
                    Some((_, n)) => *n += 1,
                    None => states.push((u.state_at_end, 1)),
                }
            }
            let at_end: Vec<String> = states.iter().map(|(st, n)| format!("{n} {st}")).collect();
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td><td>{}</td></tr>",
                esc(&name),
                kind,
                rows.len(),
                rows.iter().map(|u| u.trips).sum::<u32>(),
                rows.iter().map(|u| u.people).sum::<u32>(),
                rows.iter().map(|u| u.busy_h).sum::<f64>(),
                rows.iter().map(|u| u.rests).sum::<u32>(),
                at_end.join(", ")
            );
            k += rows.len();
        }
        s.push_str("</table><p class=\"note\">Per team in <code>report.json</code> → <code>people.teams</code>.</p>");
    }
    s
}
