//! Stage 2 of the pipeline: the city. Owns the map (zones, road graph, named
//! places, waterways) loaded from `assets/maps/*.ron`, the projection to local
//! metres, the road state (open / slowed / closed) and routing.
//!
//! The map is immutable during a run ([`CityMap`], shared behind an `Arc`);
//! what changes is the [`RoadState`](routing::RoadState).

pub mod map_schema;
pub mod routing;
pub mod terrain;
mod terrain_io;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};

pub use map_schema::{LatLon, MapFile, PlaceKind, RoadClass, ZoneKind};

use crate::error::{Diagnostic, Error};
use crate::scenario::locate::SourceIndex;

/// Mean Earth radius, m (IUGG).
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A position in local metres: `x` east, `y` north of the map origin.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Xy {
    /// Metres east.
    pub x: f64,
    /// Metres north.
    pub y: f64,
}

impl Xy {
    /// Straight-line distance, m.
    pub fn dist(self, o: Xy) -> f64 {
        (self.x - o.x).hypot(self.y - o.y)
    }
}

/// Equirectangular projection around an origin. Over a county (±30 km) the
/// distance error is below 0.1 %, far inside the accuracy of the map itself.
#[derive(Debug, Clone, Copy)]
pub struct Projection {
    origin: LatLon,
    cos_lat: f64,
}

impl Projection {
    /// Projection centred on `origin`.
    pub fn new(origin: LatLon) -> Self {
        Projection {
            origin,
            cos_lat: origin.lat.to_radians().cos(),
        }
    }

    /// WGS84 → local metres.
    pub fn to_xy(&self, p: LatLon) -> Xy {
        Xy {
            x: (p.lon - self.origin.lon).to_radians() * self.cos_lat * EARTH_RADIUS_M,
            y: (p.lat - self.origin.lat).to_radians() * EARTH_RADIUS_M,
        }
    }

    /// Local metres → WGS84.
    pub fn to_latlon(&self, p: Xy) -> LatLon {
        LatLon {
            lat: self.origin.lat + (p.y / EARTH_RADIUS_M).to_degrees(),
            lon: self.origin.lon + (p.x / (EARTH_RADIUS_M * self.cos_lat)).to_degrees(),
        }
    }
}

/// Index of a road segment in [`CityMap::segments`] (both directions of a two-way road share it).
pub type SegmentId = u32;

/// A road segment with its static attributes.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Start node.
    pub a: u32,
    /// End node.
    pub b: u32,
    /// Road class.
    pub class: RoadClass,
    /// Length, m.
    pub length_m: f64,
    /// Free-flow speed, km/h.
    pub speed_kmh: f64,
    /// Lanes per direction.
    pub lanes: u8,
    /// One-way from `a` to `b`.
    pub oneway: bool,
    /// Road name, if any.
    pub name: Option<String>,
    /// A bridge (flood water under it does not reach the deck).
    pub bridge: bool,
    /// A tunnel or underpass.
    pub tunnel: bool,
}

/// A zone with its projected seat.
#[derive(Debug, Clone)]
pub struct Zone {
    /// Pinyin name.
    pub name: String,
    /// Chinese name.
    pub name_zh: String,
    /// Subdistrict or town.
    pub kind: ZoneKind,
    /// Seat position.
    pub seat: Xy,
    /// Residents.
    pub population: u32,
    /// Road node at the seat.
    pub seat_node: u32,
}

/// A named place with its projected position.
#[derive(Debug, Clone)]
pub struct Place {
    /// Pinyin / English name.
    pub name: String,
    /// Chinese name.
    pub name_zh: String,
    /// Kind.
    pub kind: PlaceKind,
    /// Position.
    pub xy: Xy,
    /// Road node it is reached from.
    pub node: u32,
    /// Usable area, m² (shelters).
    pub usable_m2: Option<f64>,
    /// Beds (hospitals).
    pub beds: Option<u32>,
    /// Note from the map.
    pub note: Option<String>,
}

/// A loaded, projected, checked map.
#[derive(Debug)]
pub struct CityMap {
    /// Map name (pinyin).
    pub name: String,
    /// Map name (Chinese).
    pub name_zh: String,
    /// Provenance statement.
    pub provenance: String,
    /// The projection used.
    pub projection: Projection,
    /// Zones.
    pub zones: Vec<Zone>,
    /// Node positions, local metres.
    pub node_xy: Vec<Xy>,
    /// Zone of each node.
    pub node_zone: Vec<u16>,
    /// Residents of each node.
    pub node_people: Vec<u32>,
    /// Name of each node, if any.
    pub node_name: Vec<Option<String>>,
    /// Road segments.
    pub segments: Vec<Segment>,
    /// Places.
    pub places: Vec<Place>,
    /// Waterways as projected polylines (name, name_zh, points).
    pub waterways: Vec<(String, String, Vec<Xy>)>,
    /// Directed routing graph: node weight = map node, edge weight = segment.
    pub graph: DiGraph<u32, SegmentId>,
    /// Bounding box of all nodes (min, max), local metres.
    pub bounds: (Xy, Xy),
    names: BTreeMap<String, NameRef>,
    /// `graph` as compressed rows for routing, built once with it.
    adjacency: routing::Adjacency,
}

/// What a user-written name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRef {
    /// A zone index.
    Zone(usize),
    /// A place index.
    Place(usize),
    /// A node index.
    Node(u32),
}

impl CityMap {
    /// Load and check a map file.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read; [`Error::Input`] with every
    /// problem found (syntax, dangling indices, duplicate names, bad lengths).
    pub fn load(path: &Path) -> Result<CityMap, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let file: MapFile = crate::scenario::parse_ron(path, &text)?;
        CityMap::from_file(file, path, &text)
    }

    /// Build from parsed data; `path` and `text` are used for error positions.
    ///
    /// # Errors
    /// [`Error::Input`] listing every inconsistency.
    pub fn from_file(file: MapFile, path: &Path, text: &str) -> Result<CityMap, Error> {
        // (field, message); positions are looked up only if something is wrong.
        let mut found: Vec<(String, String)> = Vec::new();
        let mut bad = |field: String, message: String| found.push((field, message));
        let n_nodes = file.nodes.len() as u32;
        let n_zones = file.zones.len();
        for (i, n) in file.nodes.iter().enumerate() {
            if usize::from(n.zone) >= n_zones {
                bad(
                    format!("nodes[{i}].zone"),
                    format!("zone index {} out of range (the map has {n_zones} zones)", n.zone),
                );
            }
            if !(n.lat.is_finite() && n.lon.is_finite() && n.lat.abs() <= 90.0 && n.lon.abs() <= 180.0) {
                bad(
                    format!("nodes[{i}]"),
                    "expected a WGS84 position (lat within ±90, lon within ±180)".into(),
                );
            }
        }
        for (i, z) in file.zones.iter().enumerate() {
            if z.seat_node >= n_nodes {
                bad(
                    format!("zones[{i}].seat_node"),
                    format!("node index {} out of range ({n_nodes} nodes)", z.seat_node),
                );
            }
        }
        for (i, e) in file.edges.iter().enumerate() {
            if e.a >= n_nodes || e.b >= n_nodes || e.a == e.b {
                bad(
                    format!("edges[{i}]"),
                    format!(
                        "expected two different node indices below {n_nodes}, found {} and {}",
                        e.a, e.b
                    ),
                );
            }
            if !(e.length_m.is_finite() && e.length_m > 0.0) {
                bad(
                    format!("edges[{i}].length_m"),
                    format!("expected a positive length, found {}", e.length_m),
                );
            }
            if !(e.speed_kmh.is_finite() && e.speed_kmh > 0.0 && e.speed_kmh <= 150.0) {
                bad(
                    format!("edges[{i}].speed_kmh"),
                    format!("expected a speed in (0, 150] km/h, found {}", e.speed_kmh),
                );
            }
        }
        for (i, p) in file.places.iter().enumerate() {
            if p.node >= n_nodes {
                bad(
                    format!("places[{i}].node"),
                    format!("node index {} out of range ({n_nodes} nodes)", p.node),
                );
            }
        }
        let mut names = BTreeMap::new();
        {
            let mut add = |name: &str, what: NameRef, field: String| {
                if let Some(prev) = names.insert(name.to_string(), what)
                    && prev != what
                {
                    found.push((field, format!("the name \"{name}\" is used twice")));
                }
            };
            for (i, z) in file.zones.iter().enumerate() {
                add(&z.name, NameRef::Zone(i), format!("zones[{i}].name"));
                add(&z.name_zh, NameRef::Zone(i), format!("zones[{i}].name_zh"));
            }
            for (i, p) in file.places.iter().enumerate() {
                add(&p.name, NameRef::Place(i), format!("places[{i}].name"));
                add(&p.name_zh, NameRef::Place(i), format!("places[{i}].name_zh"));
            }
            for (i, n) in file.nodes.iter().enumerate() {
                if let Some(name) = &n.name {
                    add(name, NameRef::Node(i as u32), format!("nodes[{i}].name"));
                }
            }
        }
        if !found.is_empty() {
            let index = SourceIndex::build(text);
            let problems = found
                .into_iter()
                .map(|(field, message)| Diagnostic::new(path, index.locate(&field), field, message))
                .collect();
            return Err(Error::Input(problems));
        }

        let projection = Projection::new(file.origin);
        let node_xy: Vec<Xy> = file
            .nodes
            .iter()
            .map(|n| projection.to_xy(LatLon { lat: n.lat, lon: n.lon }))
            .collect();
        let mut lo = Xy {
            x: f64::INFINITY,
            y: f64::INFINITY,
        };
        let mut hi = Xy {
            x: f64::NEG_INFINITY,
            y: f64::NEG_INFINITY,
        };
        for p in &node_xy {
            lo.x = lo.x.min(p.x);
            lo.y = lo.y.min(p.y);
            hi.x = hi.x.max(p.x);
            hi.y = hi.y.max(p.y);
        }
        let mut graph = DiGraph::with_capacity(file.nodes.len(), file.edges.len() * 2);
        for i in 0..n_nodes {
            graph.add_node(i);
        }
        let segments: Vec<Segment> = file
            .edges
            .into_iter()
            .map(|e| Segment {
                a: e.a,
                b: e.b,
                class: e.class,
                length_m: e.length_m,
                speed_kmh: e.speed_kmh,
                lanes: e.lanes,
                oneway: e.oneway,
                name: e.name,
                bridge: e.bridge,
                tunnel: e.tunnel,
            })
            .collect();
        for (id, s) in segments.iter().enumerate() {
            graph.add_edge(
                NodeIndex::new(s.a as usize),
                NodeIndex::new(s.b as usize),
                id as SegmentId,
            );
            if !s.oneway {
                graph.add_edge(
                    NodeIndex::new(s.b as usize),
                    NodeIndex::new(s.a as usize),
                    id as SegmentId,
                );
            }
        }
        let zones = file
            .zones
            .into_iter()
            .map(|z| Zone {
                seat: projection.to_xy(z.seat),
                name: z.name,
                name_zh: z.name_zh,
                kind: z.kind,
                population: z.population,
                seat_node: z.seat_node,
            })
            .collect();
        let places = file
            .places
            .into_iter()
            .map(|p| Place {
                xy: projection.to_xy(p.at),
                name: p.name,
                name_zh: p.name_zh,
                kind: p.kind,
                node: p.node,
                usable_m2: p.usable_m2,
                beds: p.beds,
                note: p.note,
            })
            .collect();
        let waterways = file
            .waterways
            .into_iter()
            .map(|w| {
                let pts = w.line.iter().map(|p| projection.to_xy(*p)).collect();
                (w.name, w.name_zh, pts)
            })
            .collect();
        Ok(CityMap {
            name: file.name,
            name_zh: file.name_zh,
            provenance: file.provenance,
            projection,
            zones,
            node_zone: file.nodes.iter().map(|n| n.zone).collect(),
            node_people: file.nodes.iter().map(|n| n.people).collect(),
            node_name: file.nodes.into_iter().map(|n| n.name).collect(),
            node_xy,
            segments,
            places,
            waterways,
            adjacency: routing::Adjacency::new(&graph),
            graph,
            bounds: (lo, hi),
            names,
        })
    }

    /// Number of road nodes.
    pub fn node_count(&self) -> usize {
        self.node_xy.len()
    }

    /// Resolve a zone by pinyin or Chinese name.
    pub fn zone(&self, name: &str) -> Option<usize> {
        match self.names.get(name.trim())? {
            NameRef::Zone(z) => Some(*z),
            _ => None,
        }
    }

    /// Resolve a place by pinyin or Chinese name.
    pub fn place(&self, name: &str) -> Option<usize> {
        match self.names.get(name.trim())? {
            NameRef::Place(p) => Some(*p),
            _ => None,
        }
    }

    /// Resolve a node: a node name, a place (its node), or `"#index"`.
    pub fn node(&self, name: &str) -> Option<u32> {
        let name = name.trim();
        if let Some(idx) = name.strip_prefix('#') {
            return idx.parse::<u32>().ok().filter(|&i| (i as usize) < self.node_count());
        }
        match self.names.get(name)? {
            NameRef::Node(n) => Some(*n),
            NameRef::Place(p) => Some(self.places[*p].node),
            NameRef::Zone(z) => Some(self.zones[*z].seat_node),
        }
    }

    /// Names close to `wanted` (for "did you mean" hints): same prefix or substring.
    pub fn similar_names(&self, wanted: &str, filter: impl Fn(NameRef) -> bool) -> Vec<&str> {
        let w = wanted.trim().to_lowercase();
        let key: String = w.chars().take(2).collect();
        let mut out: Vec<&str> = self
            .names
            .iter()
            .filter(|(_, r)| filter(**r))
            .map(|(n, _)| n.as_str())
            .filter(|n| {
                let l = n.to_lowercase();
                !key.is_empty() && (l.contains(&w) || w.contains(&l) || l.starts_with(&key))
            })
            .take(4)
            .collect();
        out.sort();
        out
    }

    /// The nearest road node to a position and its distance, m. O(nodes).
    pub fn nearest_node(&self, p: Xy) -> Option<(u32, f64)> {
        self.node_xy
            .iter()
            .enumerate()
            .map(|(i, q)| (i as u32, q.dist(p)))
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
    }

    /// Human label of a node: its name, or `#index`.
    pub fn node_label(&self, n: u32) -> String {
        self.node_name
            .get(n as usize)
            .and_then(|o| o.clone())
            .unwrap_or_else(|| format!("#{n}"))
    }

    /// Graph node index of a map node.
    pub fn gnode(n: u32) -> NodeIndex {
        NodeIndex::new(n as usize)
    }

    /// The segment behind a directed graph edge.
    pub fn segment_of(&self, e: EdgeIndex) -> SegmentId {
        self.graph[e]
    }
}

/// Find a map by name: a path ending in `.ron` (relative to `base_dir`), or a
/// name looked up as `assets/maps/NAME.ron` in `base_dir` and its ancestors, then
/// in `$TABLETOP_ASSETS/maps`, then in the crate's own `assets/maps`.
pub fn resolve_map_path(map: &str, base_dir: &Path) -> Option<PathBuf> {
    if map.ends_with(".ron") || map.contains('/') {
        let p = base_dir.join(map);
        return p.exists().then_some(p);
    }
    let file = format!("{map}.ron");
    let mut candidates: Vec<PathBuf> = base_dir
        .ancestors()
        .map(|d| d.join("assets").join("maps").join(&file))
        .collect();
    if let Some(dir) = std::env::var_os("TABLETOP_ASSETS") {
        candidates.push(PathBuf::from(dir).join("maps").join(&file));
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/maps").join(&file));
    candidates.into_iter().find(|p| p.exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_round_trips_and_measures_a_degree() {
        let p = Projection::new(LatLon {
            lat: 36.84,
            lon: 115.71,
        });
        let q = LatLon {
            lat: 36.94,
            lon: 115.81,
        };
        let back = p.to_latlon(p.to_xy(q));
        assert!((back.lat - q.lat).abs() < 1e-9 && (back.lon - q.lon).abs() < 1e-9);
        // 0.1° of latitude ≈ 11.12 km.
        let d = p
            .to_xy(LatLon {
                lat: 36.94,
                lon: 115.71,
            })
            .y;
        assert!((d - 11_119.5).abs() < 5.0, "{d}");
    }
}
