//! `map.geojson`: the run on the map for GIS (QGIS opens it as it is). One
//! FeatureCollection in WGS84 (RFC 7946): roads with their state at the end
//! and their peak flood depth, depots with what they issued, shelters with
//! their peak occupancy, other places, and affected groups with their relief
//! times and status against the 12 h / 24 h targets. Each feature's `layer`
//! property says which of these it is, so a GIS can split them.

use serde_json::{Value, json};

use super::RunResult;
use crate::city::routing::EdgeState;
use crate::city::{CityMap, Xy};

/// Degrees to 7 decimals (about 1 cm).
fn deg(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

fn position(city: &CityMap, p: Xy) -> Value {
    let ll = city.projection.to_latlon(p);
    json!([deg(ll.lon), deg(ll.lat)])
}

fn point(city: &CityMap, p: Xy, properties: Value) -> Value {
    json!({
        "type": "Feature",
        "geometry": { "type": "Point", "coordinates": position(city, p) },
        "properties": properties,
    })
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Peak flood depth along a segment (at both ends and every half cell
/// between; a bridge only at its ends), m.
fn peak_depth_along(r: &RunResult, a: Xy, b: Xy, bridge: bool) -> Option<f64> {
    let grid = r.peak_depth.as_ref()?;
    let n = ((a.dist(b) / (grid.dx / 2.0)).ceil() as usize).max(1);
    let deepest = (0..=n)
        .filter(|&k| !bridge || k == 0 || k == n)
        .filter_map(|k| {
            let t = k as f64 / n as f64;
            grid.cell_of(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t)
                .map(|(i, j)| *grid.at(i, j))
        })
        .filter(|d| d.is_finite())
        .fold(0.0, f64::max);
    Some(round2(deepest))
}

/// The GeoJSON text.
pub fn render(r: &RunResult) -> String {
    let city = &r.spec.city;
    let roads = &r.roads_end;
    let mut features = Vec::new();
    for (s, seg) in city.segments.iter().enumerate() {
        let s32 = s as u32;
        let (a, b) = (city.node_xy[seg.a as usize], city.node_xy[seg.b as usize]);
        let (state, factor) = if roads.damaged(s32) {
            ("damaged", None)
        } else if roads.hazard_closed(s32) {
            ("closed by hazard", None)
        } else {
            match roads.get(s32) {
                EdgeState::Open => ("open", None),
                EdgeState::Slowed(f) => ("slowed", Some(f)),
                EdgeState::Closed => ("closed", None),
            }
        };
        features.push(json!({
            "type": "Feature",
            "geometry": { "type": "LineString", "coordinates": [position(city, a), position(city, b)] },
            "properties": {
                "layer": "road",
                "segment": s,
                "name": seg.name,
                "class": format!("{:?}", seg.class),
                "length_m": round2(seg.length_m),
                "speed_kmh": seg.speed_kmh,
                "oneway": seg.oneway,
                "bridge": seg.bridge,
                "tunnel": seg.tunnel,
                "state_at_end": state,
                "speed_factor_at_end": factor,
                "water_depth_at_end_m": round2(roads.depth(s32)),
                "peak_water_depth_m": peak_depth_along(r, a, b, seg.bridge),
            },
        }));
    }
    for (d, out) in r.spec.depots.iter().zip(&r.report.reserves) {
        features.push(point(
            city,
            d.xy,
            json!({
                "layer": "depot",
                "id": d.id,
                "name": d.name,
                "name_zh": d.name_zh,
                "tier": out.tier,
                "initial_issued": out.initial_issued,
                "basic_issued": out.basic_issued,
                "stock_end_initial": out.stock_end.initial,
                "stock_end_basic": out.stock_end.basic,
            }),
        ));
    }
    let shelter_out = r.report.people.evacuation.as_ref().map(|e| &e.shelters);
    for (k, place) in city.places.iter().enumerate() {
        if r.spec.depots.iter().any(|d| d.xy == place.xy) {
            continue;
        }
        let mut props = json!({
            "layer": "place",
            "kind": format!("{:?}", place.kind),
            "name": place.name,
            "name_zh": place.name_zh,
            "usable_m2": place.usable_m2,
            "beds": place.beds,
        });
        let used = r
            .spec
            .evacuation
            .as_ref()
            .and_then(|e| e.shelters.iter().position(|s| s.place == k));
        if let (Some(i), Some(outs)) = (used, shelter_out)
            && let Some(o) = outs.get(i)
        {
            props["layer"] = json!("shelter");
            props["capacity"] = json!(o.capacity);
            props["peak_people"] = json!(o.peak);
            props["m2_per_person_at_peak"] = json!(o.m2_per_person_at_peak);
        }
        features.push(point(city, place.xy, props));
    }
    let targets = &r.spec.targets;
    for g in &r.groups {
        let within = |done: Option<f64>, target: f64| done.is_some_and(|h| h <= target);
        let status = match (g.initial_done_h, g.basic_done_h) {
            (_, Some(_)) => "basic relief",
            (Some(_), None) => "initial relief",
            (None, None) => "waiting",
        };
        features.push(point(
            city,
            city.node_xy[g.node as usize],
            json!({
                "layer": "group",
                "group": g.id,
                "node": city.node_label(g.node),
                "people": g.people,
                "affected_h": round2(g.affected_h),
                "initial_done_h": g.initial_done_h.map(round2),
                "basic_done_h": g.basic_done_h.map(round2),
                "status_at_end": status,
                "initial_within_target": within(g.initial_done_h, targets.initial_relief_h),
                "basic_within_target": within(g.basic_done_h, targets.basic_relief_h),
            }),
        ));
    }
    let collection = json!({
        "type": "FeatureCollection",
        "name": r.report.scenario,
        "features": features,
    });
    let mut text = serde_json::to_string(&collection).expect("invariant: JSON values serialize");
    text.push('\n');
    text
}
