//! Small hand-made cities for tests, doc examples and benches.
//!
//! Every segment is a county road at 40 km/h, so times are easy to compute by hand.

use std::path::Path;

use crate::city::CityMap;
use crate::city::map_schema::*;

const ORIGIN: LatLon = LatLon {
    lat: 36.84,
    lon: 115.71,
};

fn node_at(city_origin: LatLon, x: f64, y: f64, name: Option<String>, people: u32) -> NodeDef {
    let p = crate::city::Projection::new(city_origin).to_latlon(crate::city::Xy { x, y });
    NodeDef {
        lat: p.lat,
        lon: p.lon,
        zone: 0,
        people,
        name,
    }
}

fn edge(a: u32, b: u32, length_m: f64) -> EdgeDef {
    EdgeDef {
        a,
        b,
        class: RoadClass::County,
        length_m,
        speed_kmh: 40.0,
        lanes: 1,
        oneway: false,
        name: Some("X001".into()),
        bridge: false,
        tunnel: false,
    }
}

fn map_file(nodes: Vec<NodeDef>, edges: Vec<EdgeDef>, places: Vec<PlaceDef>) -> MapFile {
    let people = nodes.iter().map(|n| n.people).sum();
    MapFile {
        name: "Testville".into(),
        name_zh: "测试市".into(),
        provenance: "hand-made test map".into(),
        origin: ORIGIN,
        zones: vec![ZoneDef {
            name: "Centre".into(),
            name_zh: "中心镇".into(),
            kind: ZoneKind::Town,
            seat: ORIGIN,
            population: people,
            seat_node: 0,
        }],
        nodes,
        edges,
        places,
        waterways: vec![],
    }
}

/// `n` nodes on a west–east line, `spacing_m` apart; node `i` is named `N{i}`
/// and has 100 residents; a depot place "Depot" sits at node 0.
pub fn line_city(n: u32, spacing_m: f64) -> CityMap {
    let text = line_city_ron(n, spacing_m);
    let file: MapFile = ron::from_str(&text).expect("invariant: testkit maps parse");
    CityMap::from_file(file, Path::new("<testkit>"), &text).expect("invariant: testkit maps are valid")
}

/// A `w`×`h` grid with `spacing_m` between neighbours; node `y*w + x`, named `N{index}`.
pub fn grid_city(w: u32, h: u32, spacing_m: f64) -> CityMap {
    let text = grid_city_ron(w, h, spacing_m);
    let file: MapFile = ron::from_str(&text).expect("invariant: testkit maps parse");
    CityMap::from_file(file, Path::new("<testkit>"), &text).expect("invariant: testkit maps are valid")
}

/// A [`grid_city`] as map-file text.
pub fn grid_city_ron(w: u32, h: u32, spacing_m: f64) -> String {
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            nodes.push(node_at(
                ORIGIN,
                f64::from(x) * spacing_m,
                f64::from(y) * spacing_m,
                Some(format!("N{i}")),
                100,
            ));
            if x > 0 {
                edges.push(edge(i - 1, i, spacing_m));
            }
            if y > 0 {
                edges.push(edge(i - w, i, spacing_m));
            }
        }
    }
    let file = map_file(nodes, edges, vec![depot_place(0)]);
    ron::ser::to_string_pretty(&file, ron::ser::PrettyConfig::default().depth_limit(2))
        .expect("invariant: serializable")
}

fn depot_place(node: u32) -> PlaceDef {
    PlaceDef {
        name: "Depot".into(),
        name_zh: "仓库".into(),
        kind: PlaceKind::Depot,
        at: ORIGIN,
        node,
        usable_m2: None,
        beds: None,
        note: None,
    }
}

/// A [`line_city`] with shelters, as map-file text: for each `(node,
/// usable_m2)` a place of kind `Shelter` named `Shelter{k}` (`避难所{k}`)
/// at that node.
pub fn line_city_with_shelters_ron(n: u32, spacing_m: f64, shelters: &[(u32, f64)]) -> String {
    let nodes: Vec<NodeDef> = (0..n)
        .map(|i| node_at(ORIGIN, f64::from(i) * spacing_m, 0.0, Some(format!("N{i}")), 100))
        .collect();
    let edges = (1..n).map(|i| edge(i - 1, i, spacing_m)).collect();
    let mut places = vec![depot_place(0)];
    for (k, &(node, usable_m2)) in shelters.iter().enumerate() {
        places.push(PlaceDef {
            name: format!("Shelter{k}"),
            name_zh: format!("避难所{k}"),
            kind: PlaceKind::Shelter,
            at: LatLon {
                lat: nodes[node as usize].lat,
                lon: nodes[node as usize].lon,
            },
            node,
            usable_m2: Some(usable_m2),
            beds: None,
            note: None,
        });
    }
    let file = map_file(nodes, edges, places);
    ron::ser::to_string_pretty(&file, ron::ser::PrettyConfig::default().depth_limit(2))
        .expect("invariant: serializable")
}

/// A [`line_city`] as map-file text (for integration tests of the binary).
pub fn line_city_ron(n: u32, spacing_m: f64) -> String {
    let nodes = (0..n)
        .map(|i| node_at(ORIGIN, f64::from(i) * spacing_m, 0.0, Some(format!("N{i}")), 100))
        .collect();
    let edges = (1..n).map(|i| edge(i - 1, i, spacing_m)).collect();
    let file = map_file(nodes, edges, vec![depot_place(0)]);
    ron::ser::to_string_pretty(&file, ron::ser::PrettyConfig::default().depth_limit(2))
        .expect("invariant: serializable")
}
