//! The routable road graph from OSM ways: drivable `highway=*` ways, split at
//! shared nodes, one-way rules, speeds, lanes, bridges and tunnels, and only
//! the largest strongly connected component kept.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};

use super::osm::{OsmData, Tags};
use crate::city::map_schema::{EdgeDef, RoadClass};
use crate::city::{LatLon, Projection};

/// OSM `highway` values emergency vehicles drive on, and their base kind.
/// Footways, paths, cycleways, steps, tracks and roads under construction are
/// left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Highway {
    Motorway,
    Trunk,
    Primary,
    Secondary,
    Tertiary,
    Minor,
}

fn highway(tags: &Tags) -> Option<Highway> {
    let h = tags.get("highway")?;
    let kind = match h.strip_suffix("_link").unwrap_or(h) {
        "motorway" => Highway::Motorway,
        "trunk" => Highway::Trunk,
        "primary" => Highway::Primary,
        "secondary" => Highway::Secondary,
        "tertiary" => Highway::Tertiary,
        "unclassified" | "residential" | "living_street" | "road" => Highway::Minor,
        "service" => match tags.get("service") {
            Some("parking_aisle" | "driveway" | "drive-through") => return None,
            _ => Highway::Minor,
        },
        _ => return None,
    };
    let closed = |k: &str| matches!(tags.get(k), Some("no" | "private" | "agricultural" | "forestry"));
    if tags.is("area", "yes") || tags.is("access", "no") || closed("motor_vehicle") {
        return None;
    }
    Some(kind)
}

/// Road class from the OSM kind and whether the road runs through built-up
/// land (the Chinese classes: primary roads outside towns are provincial
/// roads, inside they are urban arterials).
fn road_class(kind: Highway, urban: bool) -> RoadClass {
    match (kind, urban) {
        (Highway::Motorway, _) => RoadClass::Expressway,
        (Highway::Trunk, _) => RoadClass::National,
        (Highway::Primary | Highway::Secondary | Highway::Tertiary, true) => RoadClass::UrbanArterial,
        (Highway::Minor, true) => RoadClass::UrbanBranch,
        (Highway::Primary, false) => RoadClass::Provincial,
        (Highway::Secondary, false) => RoadClass::County,
        (Highway::Tertiary | Highway::Minor, false) => RoadClass::Village,
    }
}

/// Direction rule of a way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Oneway {
    No,
    Forward,
    Backward,
}

fn oneway(tags: &Tags, kind: Highway) -> Option<Oneway> {
    match tags.get("oneway") {
        Some("yes" | "true" | "1") => Some(Oneway::Forward),
        Some("-1" | "reverse") => Some(Oneway::Backward),
        Some("no" | "false" | "0") => Some(Oneway::No),
        // Changes direction by time of day: not usable for planning.
        Some("reversible" | "alternating") => None,
        _ => {
            let roundabout = matches!(tags.get("junction"), Some("roundabout" | "circular"));
            let motorway = kind == Highway::Motorway && !tags.get("highway").is_some_and(|h| h.ends_with("_link"));
            Some(if roundabout || motorway {
                Oneway::Forward
            } else {
                Oneway::No
            })
        }
    }
}

/// `maxspeed` in km/h: "50", "50 km/h", "30 mph"; None for zone codes
/// ("CN:urban"), "none", "walk" and anything else.
pub fn parse_maxspeed(v: &str) -> Option<f64> {
    let v = v.trim();
    let (number, factor) = match v.strip_suffix("mph") {
        Some(n) => (n, 1.609_344),
        None => (
            v.strip_suffix("km/h").or_else(|| v.strip_suffix("kmh")).unwrap_or(v),
            1.0,
        ),
    };
    let x: f64 = number.trim().parse().ok()?;
    (x.is_finite() && x > 0.0).then_some(x * factor)
}

/// A graph node: an OSM node where roads meet or end (or a shape point kept
/// to bound edge lengths).
#[derive(Debug, Clone, Copy)]
pub struct RoadNode {
    /// OSM node id.
    pub osm_id: i64,
    /// Position.
    pub at: LatLon,
}

/// What was dropped while building the graph, and why.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dropped {
    /// Drivable ways with a reversible / alternating direction.
    pub reversible_ways: usize,
    /// Way pieces that refer to nodes missing from the file (cut at the gap).
    pub missing_nodes: usize,
    /// Graph nodes outside the largest strongly connected component.
    pub disconnected_nodes: usize,
    /// Edges outside it.
    pub disconnected_edges: usize,
    /// Their length, km.
    pub disconnected_km: f64,
}

/// The routable road graph.
#[derive(Debug, Clone, Default)]
pub struct Roads {
    /// Graph nodes.
    pub nodes: Vec<RoadNode>,
    /// Edges, as the map file holds them.
    pub edges: Vec<EdgeDef>,
    /// What was dropped.
    pub dropped: Dropped,
}

/// Build the road graph.
///
/// `inside(lat, lon)`: whether a position is within the import's box (nodes
/// outside cut ways). `urban(lat, lon)`: whether a road through that position
/// runs in built-up land (sets the class). `max_edge_m`: shape points are kept
/// as graph nodes so that no edge is longer than this (floods are read along
/// straight edges).
pub fn build(
    osm: &OsmData,
    projection: &Projection,
    inside: &dyn Fn(f64, f64) -> bool,
    urban: &dyn Fn(f64, f64) -> bool,
    max_edge_m: f64,
) -> Roads {
    let mut dropped = Dropped::default();
    // Drivable ways cut into pieces of consecutive known nodes inside the box.
    let mut pieces: Vec<(usize, Highway, Oneway, Vec<(i64, f64, f64)>)> = Vec::new();
    for (w, way) in osm.ways.iter().enumerate() {
        let Some(kind) = highway(&way.tags) else { continue };
        let Some(dir) = oneway(&way.tags, kind) else {
            dropped.reversible_ways += 1;
            continue;
        };
        let mut piece: Vec<(i64, f64, f64)> = Vec::new();
        for &id in &way.refs {
            match osm.position(id) {
                Some((lat, lon)) if inside(lat, lon) => {
                    if piece.last().is_none_or(|p| p.0 != id) {
                        piece.push((id, lat, lon));
                    }
                }
                found => {
                    if found.is_none() {
                        dropped.missing_nodes += 1;
                    }
                    if piece.len() >= 2 {
                        pieces.push((w, kind, dir, std::mem::take(&mut piece)));
                    }
                    piece.clear();
                }
            }
        }
        if piece.len() >= 2 {
            pieces.push((w, kind, dir, piece));
        }
    }

    // A node is a junction where it is used twice (by two ways, or twice by one).
    let mut uses: HashMap<i64, u32> = HashMap::new();
    for (_, _, _, piece) in &pieces {
        for (k, p) in piece.iter().enumerate() {
            let ends = if k == 0 || k + 1 == piece.len() { 2 } else { 1 };
            *uses.entry(p.0).or_default() += ends;
        }
    }
    let mut index: HashMap<i64, u32> = HashMap::new();
    let mut nodes: Vec<RoadNode> = Vec::new();
    let mut node_of = |id: i64, lat: f64, lon: f64| -> u32 {
        *index.entry(id).or_insert_with(|| {
            nodes.push(RoadNode {
                osm_id: id,
                at: LatLon { lat, lon },
            });
            (nodes.len() - 1) as u32
        })
    };
    let mut edges: Vec<EdgeDef> = Vec::new();
    for (w, kind, dir, piece) in &pieces {
        let tags = &osm.ways[*w].tags;
        let mid = piece[piece.len() / 2];
        let class = road_class(*kind, urban(mid.1, mid.2));
        let speed = tags
            .get("maxspeed")
            .and_then(parse_maxspeed)
            .map_or(class.default_speed_kmh(), |m| m.min(class.default_speed_kmh()));
        let total_lanes: Option<u8> = tags.get("lanes").and_then(|l| l.trim().parse().ok()).filter(|&l| l > 0);
        let lanes = match (total_lanes, *dir) {
            (Some(l), Oneway::No) => (l / 2).max(1),
            (Some(l), _) => l,
            (None, _) => class.default_lanes(),
        };
        let flag = |k: &str| tags.get(k).is_some_and(|v| v != "no");
        let name = tags.get("ref").or_else(|| tags.name()).map(str::to_string);
        let xy: Vec<_> = piece
            .iter()
            .map(|p| projection.to_xy(LatLon { lat: p.1, lon: p.2 }))
            .collect();
        // Cut points: junctions, both ends, and shape points that keep edges short.
        let mut cuts = vec![0];
        let mut run = 0.0;
        for k in 1..piece.len() {
            run += xy[k - 1].dist(xy[k]);
            let last = k + 1 == piece.len();
            if last || uses[&piece[k].0] >= 2 || run >= max_edge_m {
                cuts.push(k);
                run = 0.0;
            }
        }
        // A piece that closes on itself gets a cut in its middle.
        let mut k = 1;
        while k < cuts.len() {
            let (from, to) = (cuts[k - 1], cuts[k]);
            if piece[from].0 == piece[to].0 && to - from >= 2 {
                cuts.insert(k, (from + to) / 2);
            } else {
                k += 1;
            }
        }
        for pair in cuts.windows(2) {
            let (from, to) = (pair[0], pair[1]);
            if piece[from].0 == piece[to].0 {
                continue;
            }
            let length_m: f64 = (from..to).map(|k| xy[k].dist(xy[k + 1])).sum();
            let (mut a, mut b) = (
                node_of(piece[from].0, piece[from].1, piece[from].2),
                node_of(piece[to].0, piece[to].1, piece[to].2),
            );
            if *dir == Oneway::Backward {
                std::mem::swap(&mut a, &mut b);
            }
            edges.push(EdgeDef {
                a,
                b,
                class,
                // Decimetres, as surveyed lengths go.
                length_m: (length_m * 10.0).round().max(1.0) / 10.0,
                speed_kmh: speed,
                lanes,
                oneway: *dir != Oneway::No,
                name: name.clone(),
                bridge: flag("bridge"),
                tunnel: flag("tunnel"),
            });
        }
    }
    keep_largest_component(Roads { nodes, edges, dropped })
}

/// Keep the largest strongly connected component (every node reaches every
/// other by legal driving) and renumber.
fn keep_largest_component(roads: Roads) -> Roads {
    let Roads {
        nodes,
        edges,
        mut dropped,
    } = roads;
    let mut g: DiGraph<(), ()> = DiGraph::with_capacity(nodes.len(), edges.len() * 2);
    for _ in &nodes {
        g.add_node(());
    }
    for e in &edges {
        g.add_edge(NodeIndex::new(e.a as usize), NodeIndex::new(e.b as usize), ());
        if !e.oneway {
            g.add_edge(NodeIndex::new(e.b as usize), NodeIndex::new(e.a as usize), ());
        }
    }
    let components = petgraph::algo::tarjan_scc(&g);
    // Largest by node count; ties to the one holding the smallest OSM id (stable).
    let best = components
        .iter()
        .max_by_key(|c| {
            let min_id = c.iter().map(|n| nodes[n.index()].osm_id).min().unwrap_or(i64::MAX);
            (c.len(), std::cmp::Reverse(min_id))
        })
        .cloned()
        .unwrap_or_default();
    let mut keep = vec![false; nodes.len()];
    for n in &best {
        keep[n.index()] = true;
    }
    let mut new_index = vec![u32::MAX; nodes.len()];
    let mut kept_nodes = Vec::with_capacity(best.len());
    for (i, n) in nodes.into_iter().enumerate() {
        if keep[i] {
            new_index[i] = kept_nodes.len() as u32;
            kept_nodes.push(n);
        } else {
            dropped.disconnected_nodes += 1;
        }
    }
    let mut kept_edges = Vec::with_capacity(edges.len());
    for mut e in edges {
        if keep[e.a as usize] && keep[e.b as usize] {
            e.a = new_index[e.a as usize];
            e.b = new_index[e.b as usize];
            kept_edges.push(e);
        } else {
            dropped.disconnected_edges += 1;
            dropped.disconnected_km += e.length_m / 1000.0;
        }
    }
    Roads {
        nodes: kept_nodes,
        edges: kept_edges,
        dropped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maxspeed_forms() {
        assert_eq!(parse_maxspeed("50"), Some(50.0));
        assert_eq!(parse_maxspeed("60 km/h"), Some(60.0));
        assert!((parse_maxspeed("30 mph").unwrap() - 48.28).abs() < 0.01);
        assert_eq!(parse_maxspeed("CN:urban"), None);
        assert_eq!(parse_maxspeed("none"), None);
    }

    #[test]
    fn classes_follow_built_up_land() {
        assert_eq!(road_class(Highway::Primary, false), RoadClass::Provincial);
        assert_eq!(road_class(Highway::Primary, true), RoadClass::UrbanArterial);
        assert_eq!(road_class(Highway::Minor, true), RoadClass::UrbanBranch);
        assert_eq!(road_class(Highway::Motorway, true), RoadClass::Expressway);
    }
}
