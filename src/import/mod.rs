//! `tabletop import osm`: a map (and terrain) for any city from open data.
//!
//! ```text
//! FILE.osm.pbf / FILE.osm ──osm::read──▶ OsmData ──roads::build──▶ routable graph (largest SCC)
//!                                            │
//!                 areas (closed ways, multipolygons) ──▶ land use raster, zones, places
//!                                            │
//!      elevation / population rasters, population CSV ──▶ MapFile + NAME-dem.asc + NAME-landuse.asc
//! ```
//!
//! The result is checked by loading it as a [`CityMap`] before anything is
//! written, so an import never leaves a map the scenarios cannot use.

pub mod areas;
pub mod osm;
pub mod raster;
pub mod roads;
pub mod synthetic;

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use geo::Simplify as _;
use rstar::RTree;
use rstar::primitives::GeomWithData;

use crate::city::map_schema::{MapFile, NodeDef, PlaceDef, WaterwayDef, ZoneDef};
use crate::city::terrain::{AscGrid, LandUse, write_asc};
use crate::city::{CityMap, LatLon, PlaceKind, Projection, RoadClass, Xy, ZoneKind};
use crate::error::{Diagnostic, Error};
use crate::hazard::grid::Grid;
use areas::Area;
use osm::{OsmData, Tags};

/// A longitude/latitude box: west, south, east, north (degrees).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    /// West edge, degrees east.
    pub west: f64,
    /// South edge, degrees north.
    pub south: f64,
    /// East edge.
    pub east: f64,
    /// North edge.
    pub north: f64,
}

impl BBox {
    /// Whether a position lies inside.
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        (self.south..=self.north).contains(&lat) && (self.west..=self.east).contains(&lon)
    }
}

impl std::str::FromStr for BBox {
    type Err = String;

    /// "WEST,SOUTH,EAST,NORTH" in degrees (the order of osmium and Overpass `bbox`).
    fn from_str(s: &str) -> Result<Self, String> {
        let v: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("expected WEST,SOUTH,EAST,NORTH in degrees, found \"{s}\""))?;
        let [west, south, east, north] = v[..] else {
            return Err(format!(
                "expected four numbers WEST,SOUTH,EAST,NORTH, found {}",
                v.len()
            ));
        };
        if !(west < east && south < north && west >= -180.0 && east <= 180.0 && south >= -90.0 && north <= 90.0) {
            return Err(format!(
                "expected WEST < EAST within ±180 and SOUTH < NORTH within ±90, found {s}"
            ));
        }
        Ok(BBox {
            west,
            south,
            east,
            north,
        })
    }
}

/// What to import and how.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The OSM file (`.osm.pbf` or `.osm` XML).
    pub input: PathBuf,
    /// Only what lies in this box (default: everything in the file).
    pub bbox: Option<BBox>,
    /// Map name (default: the output file's stem).
    pub name: String,
    /// Chinese map name (default: the name).
    pub name_zh: Option<String>,
    /// Elevation raster (ESRI ASCII grid or GeoTIFF, WGS84 degrees).
    pub elevation: Option<PathBuf>,
    /// Population by zone: CSV `zone,people`.
    pub population_csv: Option<PathBuf>,
    /// Population raster: people per cell (WorldPop), WGS84 degrees.
    pub population_raster: Option<PathBuf>,
    /// Administrative level of the zones (default: the finest level with two
    /// or more boundaries over the roads).
    pub admin_level: Option<u8>,
    /// Terrain cell size, m.
    pub cell_m: f64,
    /// Longest edge, m: shape points are kept as nodes beyond this.
    pub max_edge_m: f64,
}

/// Usable share of a candidate shelter's area: the open ground people can
/// stay on (planning assumption after GB 51143-2015's "effective area", which
/// leaves out buildings, water and dense planting; see docs/import.md).
fn usable_share(kind: ShelterKind) -> f64 {
    match kind {
        ShelterKind::School => 0.3,
        ShelterKind::Park => 0.6,
        ShelterKind::Square => 0.9,
        ShelterKind::Stadium => 0.7,
    }
}

/// What a candidate shelter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum ShelterKind {
    School,
    Park,
    Square,
    Stadium,
}

/// Warehouses smaller than this are sheds, not depot candidates, m².
const MIN_WAREHOUSE_M2: f64 = 1000.0;

/// A place=city / town node makes residential land within this radius urban, m.
const CITY_RADIUS_M: f64 = 4000.0;
/// Likewise for place=town.
const TOWN_RADIUS_M: f64 = 1500.0;

/// Margin of the terrain grid around the roads, m.
const GRID_MARGIN_M: f64 = 1000.0;

/// A village or town name is given to the nearest road node within this distance, m.
const NODE_NAME_RADIUS_M: f64 = 1000.0;

/// Where the population came from.
#[derive(Debug, Clone, PartialEq)]
pub enum PopulationSource {
    /// A population raster, apportioned to the nearest road node.
    Raster(PathBuf),
    /// A CSV by zone, spread over each zone's nodes.
    Csv(PathBuf),
    /// `population=*` tags on the boundaries.
    Tags,
    /// None: every node has 0 people (impacts, which draw from residents, cannot be placed).
    None,
}

/// What the import found, kept and dropped.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The OSM file.
    pub input: PathBuf,
    /// Nodes and ways read.
    pub osm_nodes: usize,
    /// Ways read (kept or not).
    pub osm_ways: usize,
    /// Graph nodes and edges.
    pub nodes: usize,
    /// Graph edges.
    pub edges: usize,
    /// One-way edges.
    pub oneway_edges: usize,
    /// Bridge edges.
    pub bridges: usize,
    /// Tunnel edges.
    pub tunnels: usize,
    /// Road length by class, km.
    pub km_by_class: BTreeMap<RoadClass, f64>,
    /// What the road graph dropped.
    pub dropped: roads::Dropped,
    /// Zones and the admin level they come from (None: one zone for the map).
    pub zones: usize,
    /// Admin level used.
    pub admin_level: Option<u8>,
    /// Places by kind.
    pub places: BTreeMap<PlaceKind, usize>,
    /// Usable shelter area, m².
    pub shelter_m2: f64,
    /// Waterways.
    pub waterways: usize,
    /// Candidates left out, with the reason.
    pub skipped: BTreeMap<&'static str, usize>,
    /// Total population and where it came from.
    pub population: u64,
    /// Source of the population.
    pub population_source: PopulationSource,
    /// Terrain grid (columns, rows, cell m) when an elevation raster was given.
    pub terrain: Option<(usize, usize, f64)>,
}

/// An imported map, not yet written.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The map.
    pub map: MapFile,
    /// Elevation and land use on one grid, when an elevation raster was given.
    pub terrain: Option<(Grid<f64>, Grid<LandUse>)>,
    /// The summary to print.
    pub summary: Summary,
}

fn input_error(path: &Path, message: impl Into<String>) -> Error {
    Error::one(Diagnostic::new(path, None, "", message.into()))
}

/// Import an OSM file into a map.
///
/// # Errors
/// [`Error::Io`] for unreadable files; [`Error::Input`] for malformed files,
/// a box with no roads, rasters that do not cover the map, unknown zones in
/// the population CSV.
pub fn import(opts: &ImportOptions) -> Result<Imported, Error> {
    let osm = osm::read(&opts.input)?;
    let inside = |lat: f64, lon: f64| opts.bbox.is_none_or(|b| b.contains(lat, lon));

    // The extent of the drivable roads sets the origin and the grid.
    let (mut lo, mut hi) = ((f64::INFINITY, f64::INFINITY), (f64::NEG_INFINITY, f64::NEG_INFINITY));
    for w in osm.ways.iter().filter(|w| w.tags.get("highway").is_some()) {
        for (lat, lon) in w
            .refs
            .iter()
            .filter_map(|&id| osm.position(id))
            .filter(|p| inside(p.0, p.1))
        {
            lo = (lo.0.min(lat), lo.1.min(lon));
            hi = (hi.0.max(lat), hi.1.max(lon));
        }
    }
    if !lo.0.is_finite() {
        let where_ = opts.bbox.map_or(String::new(), |b| {
            format!(" within the box {},{},{},{}", b.west, b.south, b.east, b.north)
        });
        return Err(Error::one(
            Diagnostic::new(
                &opts.input,
                None,
                "",
                format!("no roads (highway=*) in the file{where_}"),
            )
            .with_hint("check the --bbox order: WEST,SOUTH,EAST,NORTH in degrees"),
        ));
    }
    let origin = LatLon {
        lat: (lo.0 + hi.0) / 2.0,
        lon: (lo.1 + hi.1) / 2.0,
    };
    let projection = Projection::new(origin);
    let (sw, ne) = (
        projection.to_xy(LatLon { lat: lo.0, lon: lo.1 }),
        projection.to_xy(LatLon { lat: hi.0, lon: hi.1 }),
    );
    let dx = opts.cell_m;
    let x0 = ((sw.x - GRID_MARGIN_M) / dx).floor() * dx;
    let y0 = ((sw.y - GRID_MARGIN_M) / dx).floor() * dx;
    let nx = ((ne.x + GRID_MARGIN_M - x0) / dx).ceil() as usize;
    let ny = ((ne.y + GRID_MARGIN_M - y0) / dx).ceil() as usize;

    // Towns and cities: residential land near them is urban.
    let centres: Vec<(Xy, f64)> = osm
        .pois
        .iter()
        .filter_map(|p| {
            let r = match p.tags.get("place")? {
                "city" => CITY_RADIUS_M,
                "town" => TOWN_RADIUS_M,
                _ => return None,
            };
            Some((projection.to_xy(LatLon { lat: p.lat, lon: p.lon }), r))
        })
        .collect();
    let near_town = |p: Xy| centres.iter().any(|(c, r)| c.dist(p) <= *r);
    let landuse = areas::landuse_grid(&osm, &projection, (nx, ny, dx, x0, y0), &near_town);
    let urban_road = |lat: f64, lon: f64| {
        let p = projection.to_xy(LatLon { lat, lon });
        near_town(p)
            || landuse
                .cell_of(p.x, p.y)
                .is_some_and(|(i, j)| matches!(landuse.at(i, j), LandUse::UrbanBlock | LandUse::Industrial))
    };
    let roads = roads::build(&osm, &projection, &inside, &urban_road, opts.max_edge_m);
    if roads.nodes.is_empty() {
        return Err(input_error(
            &opts.input,
            "no drivable roads (motorway … residential, service) left after filtering",
        ));
    }
    let node_xy: Vec<Xy> = roads.nodes.iter().map(|n| projection.to_xy(n.at)).collect();
    let index = NodeIndex::new(&node_xy);

    let mut names = Names::default();
    let mut skipped: BTreeMap<&'static str, usize> = BTreeMap::new();
    let (mut zones, admin_level) = zones(&osm, &projection, opts, &index, &mut names);
    let node_zone = assign_zones(&zones, &node_xy);
    let (places, shelter_m2) = places(&osm, &projection, &index, &node_xy, &inside, &mut names, &mut skipped);
    let node_names = node_names(&osm, &projection, &index, &node_xy, &inside, &mut names, &mut skipped);
    let waterways = waterways(&osm, &inside);

    // People per node.
    let (node_people, population_source) = if let Some(path) = &opts.population_raster {
        let r = raster::read(path)?;
        let mut sums = vec![0.0; node_xy.len()];
        let (gx0, gy0, gx1, gy1) = (x0, y0, x0 + nx as f64 * dx, y0 + ny as f64 * dx);
        for (lat, lon, people) in r.cells().filter(|c| c.2 > 0.0) {
            let p = projection.to_xy(LatLon { lat, lon });
            if (gx0..gx1).contains(&p.x) && (gy0..gy1).contains(&p.y) {
                sums[index.nearest(p) as usize] += people;
            }
        }
        let total = sums.iter().sum::<f64>().round() as u64;
        (apportion(total, &sums), PopulationSource::Raster(path.clone()))
    } else {
        let (by_zone, source) = match &opts.population_csv {
            Some(path) => (read_population_csv(path, &zones)?, PopulationSource::Csv(path.clone())),
            None => {
                let tagged: Vec<u64> = zones.iter().map(|z| z.population).collect();
                let source = if tagged.iter().any(|&p| p > 0) {
                    PopulationSource::Tags
                } else {
                    PopulationSource::None
                };
                (tagged, source)
            }
        };
        (spread_by_zone(&by_zone, &node_zone, &roads), source)
    };
    for z in &mut zones {
        z.population = 0;
    }
    for (n, &p) in node_people.iter().enumerate() {
        zones[node_zone[n] as usize].population += u64::from(p);
    }

    let terrain = match &opts.elevation {
        Some(path) => Some((elevation_grid(path, &projection, &landuse)?, landuse)),
        None => None,
    };

    let mut summary = Summary {
        input: opts.input.clone(),
        osm_nodes: osm.node_count(),
        osm_ways: osm.ways_seen,
        nodes: roads.nodes.len(),
        edges: roads.edges.len(),
        oneway_edges: roads.edges.iter().filter(|e| e.oneway).count(),
        bridges: roads.edges.iter().filter(|e| e.bridge).count(),
        tunnels: roads.edges.iter().filter(|e| e.tunnel).count(),
        km_by_class: BTreeMap::new(),
        dropped: roads.dropped.clone(),
        zones: zones.len(),
        admin_level,
        places: BTreeMap::new(),
        shelter_m2,
        waterways: waterways.len(),
        skipped,
        population: node_people.iter().map(|&p| u64::from(p)).sum(),
        population_source,
        terrain: terrain.as_ref().map(|(dem, _)| (dem.nx, dem.ny, dem.dx)),
    };
    for e in &roads.edges {
        *summary.km_by_class.entry(e.class).or_default() += e.length_m / 1000.0;
    }
    for p in &places {
        *summary.places.entry(p.kind).or_default() += 1;
    }

    let source_name = opts
        .input
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    let map = MapFile {
        name: opts.name.clone(),
        name_zh: opts.name_zh.clone().unwrap_or_else(|| opts.name.clone()),
        provenance: format!(
            "Imported from {source_name} by `tabletop import osm`{}. Road graph, places and zones © OpenStreetMap contributors (ODbL 1.0). Shelter areas: polygon area × a usable share (docs/import.md); population: {}.",
            opts.bbox.map_or(String::new(), |b| format!(
                " (box {},{},{},{})",
                b.west, b.south, b.east, b.north
            )),
            match &summary.population_source {
                PopulationSource::Raster(p) => format!("raster {}", file_name(p)),
                PopulationSource::Csv(p) => format!("by zone from {}", file_name(p)),
                PopulationSource::Tags => "population tags of the boundaries".into(),
                PopulationSource::None => "none given".into(),
            }
        ),
        origin,
        zones: zones
            .iter()
            .map(|z| ZoneDef {
                name: z.name.clone(),
                name_zh: z.name_zh.clone(),
                kind: z.kind,
                seat: {
                    let ll = projection.to_latlon(z.seat);
                    LatLon {
                        lat: round7(ll.lat),
                        lon: round7(ll.lon),
                    }
                },
                population: u32::try_from(z.population).unwrap_or(u32::MAX),
                seat_node: z.seat_node,
            })
            .collect(),
        nodes: roads
            .nodes
            .iter()
            .enumerate()
            .map(|(n, node)| NodeDef {
                lat: round7(node.at.lat),
                lon: round7(node.at.lon),
                zone: node_zone[n],
                people: node_people[n],
                name: node_names.get(&(n as u32)).cloned(),
            })
            .collect(),
        edges: roads.edges,
        places,
        waterways,
    };
    Ok(Imported { map, terrain, summary })
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned())
}

/// Degrees to 7 decimals (about 1 cm), as OSM stores them.
fn round7(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

/// Write the map (and its terrain rasters next to it) atomically, after
/// checking that it loads.
///
/// # Errors
/// [`Error::Input`] if the map would not load (a bug in the import, reported
/// rather than written); [`Error::Write`] if a file cannot be written.
pub fn write(imported: &Imported, out: &Path) -> Result<(), Error> {
    // One line per node, edge and place, as the bundled map.
    let mut text = ron::ser::to_string_pretty(&imported.map, ron::ser::PrettyConfig::new().depth_limit(2))
        .map_err(|e| input_error(out, format!("cannot serialise the map: {e}")))?;
    text.push('\n');
    CityMap::from_file(imported.map.clone(), out, &text)?;
    let stem = out
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| input_error(out, "expected an output file name like assets/maps/NAME.ron"))?;
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let ron_name = format!("{stem}.ron");
    let mut files = vec![(ron_name.as_str(), text.clone())];
    let (dem_name, lu_name) = (format!("{stem}-dem.asc"), format!("{stem}-landuse.asc"));
    if let Some((dem, landuse)) = &imported.terrain {
        files.push((dem_name.as_str(), write_asc(&AscGrid::from_grid(dem, None))));
        files.push((lu_name.as_str(), write_asc(&AscGrid::from_landuse_grid(landuse))));
    }
    crate::report::write_atomically(dir, &files)
}

/// Nearest road node queries.
struct NodeIndex(RTree<GeomWithData<[f64; 2], u32>>);

impl NodeIndex {
    fn new(xy: &[Xy]) -> Self {
        NodeIndex(RTree::bulk_load(
            xy.iter()
                .enumerate()
                .map(|(i, p)| GeomWithData::new([p.x, p.y], i as u32))
                .collect(),
        ))
    }

    /// Whether any node lies inside an area.
    fn any_inside(&self, area: &Area) -> bool {
        let (lo, hi) = area.bounds();
        self.0
            .locate_in_envelope(&rstar::AABB::from_corners([lo.x, lo.y], [hi.x, hi.y]))
            .any(|n| {
                area.contains(Xy {
                    x: n.geom()[0],
                    y: n.geom()[1],
                })
            })
    }

    /// The nearest node (ties: the lower index, so the result is deterministic).
    fn nearest(&self, p: Xy) -> u32 {
        let mut best: Option<(f64, u32)> = None;
        for n in self.0.nearest_neighbor_iter_with_distance_2(&[p.x, p.y]) {
            match best {
                Some((d, _)) if n.1 > d => break,
                Some((d, i)) if n.1 == d && i < n.0.data => {}
                _ => best = Some((n.1, n.0.data)),
            }
        }
        best.expect("invariant: the index holds at least one node").1
    }
}

/// Names already used on the map (zones, places and nodes share one namespace).
#[derive(Default)]
struct Names(HashSet<String>);

impl Names {
    /// Claim a (pinyin/English, Chinese) pair; if either is taken, both get
    /// the OSM reference appended.
    fn claim(&mut self, name: &str, name_zh: &str, osm_ref: &str) -> (String, String) {
        let (mut a, mut b) = (name.to_string(), name_zh.to_string());
        if self.0.contains(&a) || self.0.contains(&b) {
            a = format!("{name} ({osm_ref})");
            b = format!("{name_zh} ({osm_ref})");
        }
        self.0.insert(a.clone());
        self.0.insert(b.clone());
        (a, b)
    }

    /// Claim a single name only if it is free.
    fn claim_if_free(&mut self, name: &str) -> bool {
        self.0.insert(name.to_string())
    }
}

/// English (or pinyin) and Chinese names from tags; None if unnamed. The
/// English name is `name:en`, else the pinyin, else `name` where `name:zh`
/// differs from it (a map outside China), else the Chinese name.
fn names_of(tags: &Tags) -> Option<(String, String)> {
    let zh = tags.get("name:zh").or_else(|| tags.get("name"))?;
    let en = tags
        .get("name:en")
        .or_else(|| tags.get("name:zh-Latn-pinyin"))
        .or_else(|| tags.get("name"))
        .unwrap_or(zh);
    Some((en.to_string(), zh.to_string()))
}

/// A zone under construction.
struct ZoneBuild {
    name: String,
    name_zh: String,
    kind: ZoneKind,
    area: Option<Area>,
    seat: Xy,
    seat_node: u32,
    population: u64,
}

/// Zones from `boundary=administrative` relations at one admin level, or one
/// zone for the whole map where the file has none.
fn zones(
    osm: &OsmData,
    projection: &Projection,
    opts: &ImportOptions,
    index: &NodeIndex,
    names: &mut Names,
) -> (Vec<ZoneBuild>, Option<u8>) {
    // Boundaries over at least one road node, by level.
    let mut by_level: BTreeMap<u8, Vec<(&osm::Relation, Area, Xy)>> = BTreeMap::new();
    for r in osm.relations.iter().filter(|r| r.tags.is("boundary", "administrative")) {
        let Some(level) = r.tags.get("admin_level").and_then(|l| l.parse::<u8>().ok()) else {
            continue;
        };
        if opts.admin_level.is_some_and(|l| l != level) {
            continue;
        }
        let Some(area) = areas::relation_area(osm, r, projection) else {
            continue;
        };
        let seat = r
            .members
            .iter()
            .filter(|m| m.kind == osm::MemberKind::Node && matches!(&*m.role, "admin_centre" | "label"))
            .find_map(|m| osm.position(m.id))
            .map(|(lat, lon)| projection.to_xy(LatLon { lat, lon }))
            .or_else(|| area.centroid());
        let Some(seat) = seat else { continue };
        // Simplified outlines (20 m) keep node assignment fast.
        let area = Area {
            outers: area.outers.iter().map(|p| p.simplify(20.0)).collect(),
            inners: area.inners.iter().map(|p| p.simplify(20.0)).collect(),
        };
        if index.any_inside(&area) {
            by_level.entry(level).or_default().push((r, area, seat));
        }
    }
    let chosen = match opts.admin_level {
        Some(l) => by_level.remove_entry(&l),
        None => {
            let finest = by_level.iter().rev().find(|(_, z)| z.len() >= 2).map(|(l, _)| *l);
            match finest {
                Some(l) => by_level.remove_entry(&l),
                None => by_level.pop_first(),
            }
        }
    };
    let Some((level, mut found)) = chosen else {
        let centre = Xy::default(); // the map origin: the middle of the roads

        let zh = opts.name_zh.clone().unwrap_or_else(|| opts.name.clone());
        let (name, name_zh) = names.claim(&opts.name, &zh, "zone");
        return (
            vec![ZoneBuild {
                name,
                name_zh,
                kind: ZoneKind::Town,
                area: None,
                seat: centre,
                seat_node: index.nearest(centre),
                population: 0,
            }],
            None,
        );
    };
    found.sort_by_key(|(r, _, _)| r.id);
    let zones = found
        .into_iter()
        .map(|(r, area, seat)| {
            let (en, zh) = names_of(&r.tags).unwrap_or_else(|| (format!("zone r{}", r.id), format!("区域 r{}", r.id)));
            let (name, name_zh) = names.claim(&en, &zh, &format!("r{}", r.id));
            let kind = if name_zh.ends_with("街道") || r.tags.is("place", "suburb") {
                ZoneKind::Subdistrict
            } else {
                ZoneKind::Town
            };
            ZoneBuild {
                name,
                name_zh,
                kind,
                seat_node: index.nearest(seat),
                seat,
                population: r
                    .tags
                    .get("population")
                    .and_then(|p| p.trim().parse().ok())
                    .unwrap_or(0),
                area: Some(area),
            }
        })
        .collect();
    (zones, Some(level))
}

/// The zone of each node: the boundary that contains it, else the zone with
/// the nearest seat (nodes just outside the imported boundaries).
fn assign_zones(zones: &[ZoneBuild], node_xy: &[Xy]) -> Vec<u16> {
    let bounds: Vec<Option<(Xy, Xy)>> = zones.iter().map(|z| z.area.as_ref().map(Area::bounds)).collect();
    node_xy
        .iter()
        .map(|&p| {
            let within = zones.iter().enumerate().position(|(k, z)| {
                bounds[k].is_some_and(|(lo, hi)| p.x >= lo.x && p.x <= hi.x && p.y >= lo.y && p.y <= hi.y)
                    && z.area.as_ref().is_some_and(|a| a.contains(p))
            });
            within.unwrap_or_else(|| {
                zones
                    .iter()
                    .enumerate()
                    .min_by(|a, b| a.1.seat.dist(p).total_cmp(&b.1.seat.dist(p)))
                    .map_or(0, |(k, _)| k)
            }) as u16
        })
        .collect()
}

/// What kind of place an OSM element is, for the import.
enum Candidate {
    Place(PlaceKind),
    Shelter(ShelterKind),
    Warehouse,
}

fn candidate(tags: &Tags) -> Option<Candidate> {
    match tags.get("amenity") {
        Some("hospital") => return Some(Candidate::Place(PlaceKind::Hospital)),
        Some("fire_station") => return Some(Candidate::Place(PlaceKind::FireStation)),
        Some("school" | "college" | "university") => return Some(Candidate::Shelter(ShelterKind::School)),
        _ => {}
    }
    let chemical = tags.is("industrial", "chemical")
        || (tags.is("man_made", "works") && tags.get("product").is_some_and(|p| p.contains("chemical")));
    if chemical {
        return Some(Candidate::Place(PlaceKind::ChemicalPlant));
    }
    match tags.get("leisure") {
        Some("park") => return Some(Candidate::Shelter(ShelterKind::Park)),
        Some("stadium") => return Some(Candidate::Shelter(ShelterKind::Stadium)),
        _ => {}
    }
    if tags.is("place", "square") || (tags.is("highway", "pedestrian") && tags.is("area", "yes")) {
        return Some(Candidate::Shelter(ShelterKind::Square));
    }
    if tags.is("building", "warehouse") || tags.is("industrial", "warehouse") {
        return Some(Candidate::Warehouse);
    }
    None
}

/// Hospitals, fire stations, candidate shelters (with usable area from the
/// polygon), warehouses (candidate depots) and chemical plants, each attached
/// to its nearest road node. Returns the places and the total usable shelter area.
fn places(
    osm: &OsmData,
    projection: &Projection,
    index: &NodeIndex,
    node_xy: &[Xy],
    inside: &dyn Fn(f64, f64) -> bool,
    names: &mut Names,
    skipped: &mut BTreeMap<&'static str, usize>,
) -> (Vec<PlaceDef>, f64) {
    // (osm ref, tags, position, area m²)
    let mut found: Vec<(String, &Tags, Xy, Option<f64>)> = Vec::new();
    for p in &osm.pois {
        if candidate(&p.tags).is_some() && inside(p.lat, p.lon) {
            found.push((
                format!("n{}", p.id),
                &p.tags,
                projection.to_xy(LatLon { lat: p.lat, lon: p.lon }),
                None,
            ));
        }
    }
    for (osm_ref, tags, area) in areas::tagged_areas(osm, projection, |t| candidate(t).is_some()) {
        if let Some(c) = area.centroid() {
            let ll = projection.to_latlon(c);
            if inside(ll.lat, ll.lon) {
                found.push((osm_ref, tags, c, Some(area.m2())));
            }
        }
    }
    let mut out = Vec::new();
    let mut shelter_m2 = 0.0;
    for (osm_ref, tags, at, area) in found {
        let (kind, usable, label) = match candidate(tags).expect("invariant: filtered above") {
            Candidate::Place(kind) => (kind, None, kind_label(kind)),
            Candidate::Shelter(s) => {
                let Some(a) = area else {
                    *skipped
                        .entry("shelter candidates mapped as points (no area)")
                        .or_default() += 1;
                    continue;
                };
                (PlaceKind::Shelter, Some((a * usable_share(s)).round()), "shelter")
            }
            Candidate::Warehouse => {
                if area.is_none_or(|a| a < MIN_WAREHOUSE_M2) {
                    *skipped
                        .entry("warehouses under 1000 m² or mapped as points")
                        .or_default() += 1;
                    continue;
                }
                (PlaceKind::CommercialWarehouse, None, "warehouse")
            }
        };
        let (en, zh) = names_of(tags).unwrap_or_else(|| (format!("{label} {osm_ref}"), format!("{label} {osm_ref}")));
        let (name, name_zh) = names.claim(&en, &zh, &osm_ref);
        shelter_m2 += usable.unwrap_or(0.0);
        let node = index.nearest(at);
        let ll = projection.to_latlon(at);
        out.push(PlaceDef {
            name,
            name_zh,
            kind,
            at: LatLon {
                lat: round7(ll.lat),
                lon: round7(ll.lon),
            },
            node,
            usable_m2: usable,
            beds: if kind == PlaceKind::Hospital {
                tags.get("beds").and_then(|b| b.trim().parse().ok())
            } else {
                None
            },
            note: Some(format!(
                "OSM {osm_ref}{}; {:.0} m to the road",
                area.map_or(String::new(), |a| format!(", {a:.0} m² polygon")),
                at.dist(node_xy[node as usize])
            )),
        });
    }
    (out, shelter_m2)
}

fn kind_label(kind: PlaceKind) -> &'static str {
    match kind {
        PlaceKind::Hospital => "hospital",
        PlaceKind::FireStation => "fire station",
        PlaceKind::ChemicalPlant => "chemical plant",
        PlaceKind::Shelter => "shelter",
        PlaceKind::CommercialWarehouse => "warehouse",
        PlaceKind::Depot => "depot",
        PlaceKind::CommunityStation => "community station",
        PlaceKind::Factory => "factory",
    }
}

/// Village, town and suburb names on their nearest road node (within 1 km),
/// so scenarios can name a village; names already used are left out.
fn node_names(
    osm: &OsmData,
    projection: &Projection,
    index: &NodeIndex,
    node_xy: &[Xy],
    inside: &dyn Fn(f64, f64) -> bool,
    names: &mut Names,
    skipped: &mut BTreeMap<&'static str, usize>,
) -> BTreeMap<u32, String> {
    let mut out = BTreeMap::new();
    for p in osm.pois.iter().filter(|p| inside(p.lat, p.lon)) {
        if !matches!(
            p.tags.get("place"),
            Some("village" | "hamlet" | "town" | "suburb" | "neighbourhood")
        ) {
            continue;
        }
        let Some((_, zh)) = names_of(&p.tags) else { continue };
        let at = projection.to_xy(LatLon { lat: p.lat, lon: p.lon });
        let node = index.nearest(at);
        if at.dist(node_xy[node as usize]) > NODE_NAME_RADIUS_M || out.contains_key(&node) || !names.claim_if_free(&zh)
        {
            *skipped
                .entry("place names far from roads, on a named node, or used twice")
                .or_default() += 1;
            continue;
        }
        out.insert(node, zh);
    }
    out
}

/// Rivers and canals as polylines (the parts inside the box).
fn waterways(osm: &OsmData, inside: &dyn Fn(f64, f64) -> bool) -> Vec<WaterwayDef> {
    osm.ways
        .iter()
        .filter(|w| matches!(w.tags.get("waterway"), Some("river" | "canal")))
        .filter_map(|w| {
            let line: Vec<LatLon> = w
                .refs
                .iter()
                .filter_map(|&id| osm.position(id))
                .filter(|p| inside(p.0, p.1))
                .map(|(lat, lon)| LatLon {
                    lat: round7(lat),
                    lon: round7(lon),
                })
                .collect();
            let (name, name_zh) =
                names_of(&w.tags).unwrap_or_else(|| (format!("waterway w{}", w.id), format!("水道 w{}", w.id)));
            (line.len() >= 2).then_some(WaterwayDef { name, name_zh, line })
        })
        .collect()
}

/// Split `total` into integers proportional to `weights` (largest remainder;
/// ties to the lower index). All-zero weights split evenly.
pub fn apportion(total: u64, weights: &[f64]) -> Vec<u32> {
    if weights.is_empty() {
        return Vec::new();
    }
    let sum: f64 = weights.iter().sum();
    let w: Vec<f64> = if sum > 0.0 {
        weights.iter().map(|x| x / sum).collect()
    } else {
        vec![1.0 / weights.len() as f64; weights.len()]
    };
    let exact: Vec<f64> = w.iter().map(|x| x * total as f64).collect();
    let mut out: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let given: u64 = out.iter().sum();
    let mut order: Vec<usize> = (0..exact.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    for &k in order.iter().take(total.saturating_sub(given) as usize) {
        out[k] += 1;
    }
    out.into_iter().map(|x| u32::try_from(x).unwrap_or(u32::MAX)).collect()
}

/// People of each zone spread over its nodes in proportion to the length of
/// local roads (village roads, urban streets) that meet there: where people
/// live along streets, not on expressways.
fn spread_by_zone(by_zone: &[u64], node_zone: &[u16], roads: &roads::Roads) -> Vec<u32> {
    let mut weight = vec![0.0; node_zone.len()];
    for e in &roads.edges {
        if matches!(
            e.class,
            RoadClass::Village | RoadClass::UrbanBranch | RoadClass::UrbanArterial
        ) {
            weight[e.a as usize] += e.length_m / 2.0;
            weight[e.b as usize] += e.length_m / 2.0;
        }
    }
    let mut people = vec![0; node_zone.len()];
    for (z, &total) in by_zone.iter().enumerate() {
        let members: Vec<usize> = (0..node_zone.len())
            .filter(|&n| usize::from(node_zone[n]) == z)
            .collect();
        let w: Vec<f64> = members.iter().map(|&n| weight[n]).collect();
        for (&n, p) in members.iter().zip(apportion(total, &w)) {
            people[n] = p;
        }
    }
    people
}

/// Population by zone from a CSV: `zone,people` per line (a header line is
/// allowed); zones by name or Chinese name.
fn read_population_csv(path: &Path, zones: &[ZoneBuild]) -> Result<Vec<u64>, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut by_zone = vec![0u64; zones.len()];
    let mut problems = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    for (k, record) in reader.records().enumerate() {
        let line = k + 1;
        let at = |col: usize| Some(crate::scenario::locate::LineCol { line, col });
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(Diagnostic::new(path, at(1), "", format!("unreadable CSV line: {e}")));
                continue;
            }
        };
        let (Some(zone), Some(people)) = (record.get(0), record.get(1)) else {
            problems.push(Diagnostic::new(path, at(1), "", "expected two columns: zone,people"));
            continue;
        };
        let Ok(n) = people.parse::<u64>() else {
            if line == 1 {
                continue; // a header
            }
            let col = zone.chars().count() + 2;
            problems.push(Diagnostic::new(
                path,
                at(col),
                "people",
                format!("expected a whole number of people, found \"{people}\""),
            ));
            continue;
        };
        match zones.iter().position(|z| z.name == zone || z.name_zh == zone) {
            Some(z) => by_zone[z] += n,
            None => problems.push(
                Diagnostic::new(
                    path,
                    at(1),
                    "zone",
                    format!("no zone named \"{zone}\" on the imported map"),
                )
                .with_hint(format!(
                    "zones: {}",
                    zones.iter().map(|z| z.name_zh.as_str()).collect::<Vec<_>>().join(", ")
                )),
            ),
        }
    }
    if problems.is_empty() {
        Ok(by_zone)
    } else {
        Err(Error::Input(problems))
    }
}

/// Elevation on the land-use grid, bilinear from the raster.
fn elevation_grid(path: &Path, projection: &Projection, shape: &Grid<LandUse>) -> Result<Grid<f64>, Error> {
    let r = raster::read(path)?;
    let mut dem = Grid::like(shape, f64::NAN);
    let mut missing = 0usize;
    for j in 0..dem.ny {
        for i in 0..dem.nx {
            let c = Xy {
                x: dem.x0 + (i as f64 + 0.5) * dem.dx,
                y: dem.y0 + (j as f64 + 0.5) * dem.dx,
            };
            let ll = projection.to_latlon(c);
            let k = dem.idx(i, j);
            match r.sample(ll.lat, ll.lon) {
                Some(z) => dem.data[k] = (z * 100.0).round() / 100.0,
                None => missing += 1,
            }
        }
    }
    if missing > 0 {
        let (sw, ne) = (
            projection.to_latlon(Xy { x: dem.x0, y: dem.y0 }),
            projection.to_latlon(Xy {
                x: dem.x0 + dem.nx as f64 * dem.dx,
                y: dem.y0 + dem.ny as f64 * dem.dx,
            }),
        );
        return Err(Error::one(
            Diagnostic::new(
                path,
                None,
                "",
                format!(
                    "elevation missing at {missing} of {} cells of the map's grid: the raster covers {} but the map needs lon {:.4}…{:.4}, lat {:.4}…{:.4} without gaps",
                    dem.data.len(),
                    r.extent(),
                    sw.lon,
                    ne.lon,
                    sw.lat,
                    ne.lat
                ),
            )
            .with_hint("use a raster that covers the map with a margin, with voids filled (e.g. gdal_fillnodata)"),
        ));
    }
    Ok(dem)
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Imported {}", self.input.display())?;
        writeln!(f, "  OSM: {} nodes, {} ways read", self.osm_nodes, self.osm_ways)?;
        writeln!(
            f,
            "  roads: {} nodes, {} edges ({} one-way, {} bridges, {} tunnels)",
            self.nodes, self.edges, self.oneway_edges, self.bridges, self.tunnels
        )?;
        let km: Vec<String> = self
            .km_by_class
            .iter()
            .map(|(c, km)| format!("{c:?} {km:.1}"))
            .collect();
        writeln!(f, "    km by class: {}", km.join(", "))?;
        let d = &self.dropped;
        writeln!(
            f,
            "  dropped: {} nodes / {} edges ({:.1} km) outside the largest strongly connected component; {} reversible ways; {} way pieces cut at nodes missing from the file",
            d.disconnected_nodes, d.disconnected_edges, d.disconnected_km, d.reversible_ways, d.missing_nodes
        )?;
        match self.admin_level {
            Some(l) => writeln!(f, "  zones: {} (boundary=administrative, admin_level {l})", self.zones)?,
            None => writeln!(
                f,
                "  zones: 1 (no administrative boundaries over the roads: one zone for the map)"
            )?,
        }
        let places: Vec<String> = self
            .places
            .iter()
            .map(|(k, n)| format!("{n} {}", kind_label(*k)))
            .collect();
        writeln!(
            f,
            "  places: {}{}; {} waterways",
            if places.is_empty() {
                "none".into()
            } else {
                places.join(", ")
            },
            if self.shelter_m2 > 0.0 {
                format!(" ({:.0} m² usable shelter area)", self.shelter_m2)
            } else {
                String::new()
            },
            self.waterways
        )?;
        for (why, n) in &self.skipped {
            writeln!(f, "  skipped: {n} {why}")?;
        }
        let source = match &self.population_source {
            PopulationSource::Raster(p) => format!("raster {}", p.display()),
            PopulationSource::Csv(p) => format!("CSV {}", p.display()),
            PopulationSource::Tags => "population tags of the boundaries".into(),
            PopulationSource::None => {
                "none given: impacts draw from residents, so give --population-csv or --population-raster".into()
            }
        };
        writeln!(f, "  population: {} ({source})", self.population)?;
        match self.terrain {
            Some((nx, ny, dx)) => write!(f, "  terrain: {nx} × {ny} cells of {dx} m (elevation and land use)"),
            None => write!(f, "  terrain: none (no --elevation): floods and fires need it"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_keeps_the_total() {
        assert_eq!(apportion(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(apportion(7, &[0.0, 0.0]), vec![4, 3]);
        assert_eq!(apportion(100, &[0.5, 0.25, 0.25]).iter().sum::<u32>(), 100);
    }

    #[test]
    fn bbox_parses_and_refuses() {
        let b: BBox = "115.5,36.6,116.0,37.0".parse().unwrap();
        assert!(b.contains(36.8, 115.7));
        assert!("116,36,115,37".parse::<BBox>().is_err());
        assert!("1,2,3".parse::<BBox>().is_err());
    }
}
