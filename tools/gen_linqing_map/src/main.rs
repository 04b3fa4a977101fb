//! Generator for `assets/maps/linqing.ron`: the approximate, synthetic map of
//! Linqing (临清市, Shandong) that ships with `tabletop`.
//!
//! The map is **not survey data**. It is built from a few public facts (area
//! 950 km², 736 000 residents of whom 230 000 urban on ≈23 km², 4 subdistricts
//! and 12 towns, about 600 administrative villages, the Wei canal on the
//! western border, the Grand Canal through the city; `shared/DOMAIN.md`,
//! "Linqing facts") and from plausible, hand-drawn or random geometry. Every
//! hand-set number below says where it comes from or that it is an
//! approximation.
//!
//! Method, step by step (one function per step):
//!
//! 1. **Geography** ([`Geo::build`]): the Wei canal (卫运河) is a hand-drawn
//!    polyline (south→north) that forms the western boundary, hugs the west
//!    edge of the urban core and swings west north of the city so that every
//!    town seat lies east of it; a hand-drawn eastern outline closes the
//!    polygon at ≈950 km². The urban area is the disc around the centre whose
//!    part inside the boundary measures 23 km² (radius found from a 20 m
//!    raster). Zones: a point in the urban disc belongs to the nearest of the
//!    4 subdistrict seats, any other point to the nearest of the 12 town seats
//!    (Voronoi cells clipped to the boundary).
//! 2. **Urban grid** ([`build_urban_grid`]): a 250 m street grid clipped to the
//!    urban disc; every 4th line (1 km) is a named `UrbanArterial`, the rest
//!    `UrbanBranch`; four old-town branch streets are one-way (in opposite
//!    pairs, so the grid stays strongly connected).
//! 3. **Town seats and development zone** ([`add_town_seats`],
//!    [`build_dev_zone`]): one node per town seat; a 500 m grid of industrial
//!    streets for the economic development zone east/south-east of the core.
//! 4. **Trunk roads** ([`build_trunk_roads`]): national roads G308 (E–W) and
//!    G105 (N–S), provincial roads and county roads, each a list of waypoints
//!    (town seats, urban-grid gates, hand-placed bends) subdivided into shape
//!    nodes every ≈500 m with a gentle, smoothed random sideways jitter. The
//!    county roads link every seat to the city and to its neighbours (a
//!    connected mesh). The G22 expressway crosses the south and touches the
//!    rest of the network only at 3 interchanges.
//! 5. **Junctions** ([`split_crossings`]): where two at-grade rural roads cross,
//!    both are split at a new junction node (the expressway and the urban grid
//!    are left alone: flyovers / not crossed).
//! 6. **Villages** ([`place_villages`]): 600 villages shared among the towns in
//!    proportion to population (capped at 0.9 per km² of zone), placed uniformly at random inside their zone
//!    (from a 200 m zone raster) with a minimum spacing of 800 m (relaxed
//!    slowly if a zone is full) and clearances from roads, the boundary and the
//!    urban disc.
//! 7. **Village roads** ([`link_villages`], [`link_village_neighbours`]): in
//!    order of distance from the trunk network, each village gets a
//!    `Village`-class road to the nearest existing road node (sometimes a
//!    second one in another direction), then 1–2 roads to neighbouring
//!    villages; roads never leave the boundary nor enter the urban disc.
//!    Step 5 runs again to add the new junctions.
//! 8. **People** ([`assign_people`]): each subdistrict's population is split
//!    over its urban grid nodes, each town's over its seat (15 %) and its
//!    villages, with random weights and largest-remainder rounding, so every
//!    zone's node sum equals its population exactly.
//! 9. **Places** ([`build_places`]): depots, community stations, commercial
//!    warehouses, factories, shelters, hospitals, fire stations and chemical
//!    plants; city ones at hand-picked positions, town ones at random spots
//!    near the seat; each attached to the nearest non-expressway road node.
//! 10. **Checks and output** ([`check_map`], [`to_map_file`]): the graph must
//!     be connected and strongly connected, zone sums exact, names unique,
//!     edges valid; then lat/lon are rounded to 6 decimals, lengths (haversine
//!     × a small curvature factor on rural roads) to 0.1 m, and the file is
//!     written as pretty RON with one node / edge / place per line (and parsed
//!     back as a check).
//!
//! Determinism: one `ChaCha8Rng` with a fixed seed, `BTreeMap`/`BTreeSet` only,
//! a fixed order of steps; two runs write the same bytes.
//!
//! Regenerate (from the repository root):
//! `CARGO_TARGET_DIR=/tmp/gen-target cargo run --release --manifest-path tools/gen_linqing_map/Cargo.toml [-- OUTPUT.ron]`

#![forbid(unsafe_code)]
// Zone indices are used with several parallel tables (ZONES, seats, raster cells).
#![allow(clippy::needless_range_loop)]

#[path = "../../../src/city/map_schema.rs"]
mod map_schema;

use map_schema::{
    EdgeDef, LatLon, MapFile, NodeDef, PlaceDef, PlaceKind, RoadClass, WaterwayDef, ZoneDef, ZoneKind,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::f64::consts::PI;
use std::path::PathBuf;

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

/// Seed of the one random generator (any fixed value; changing it changes the map).
const SEED: u64 = 0x4C51_4E47_2025_0001;

/// Projection origin = city centre, ≈36.84 N 115.71 E (DOMAIN.md "Linqing facts"; general knowledge, verify).
const ORIGIN: LatLon = LatLon { lat: 36.84, lon: 115.71 };
/// Mean Earth radius, m: the same constant as the loader (`src/city/mod.rs`).
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Urban built-up area, km² (DOMAIN.md: 23 km² / 230 000 urban residents).
const URBAN_AREA_KM2: f64 = 23.0;
/// Centre of the urban disc, km: between the four subdistrict seats, ≈250 m east of the
/// origin (approximation; the Daxinzhuang seat would fall outside a disc on the origin).
const URBAN_CENTRE_KM: (f64, f64) = (0.25, -0.1);
/// Urban street grid spacing, m (approximation: typical 250–300 m blocks).
const URBAN_GRID_M: f64 = 250.0;
/// Every 4th grid line (1 km) is an arterial (approximation).
const ARTERIAL_EVERY: i32 = 4;
/// Arterials running east–west (constant y = −2, −1, 0, 1, 2 km), south to north.
/// Street names: plausible, approximate (only the subdistricts' road names are known).
const EW_ARTERIALS: [&str; 5] = ["银河路", "温泉路", "新华路", "青年路", "红星路"];
/// Arterials running north–south (constant x = −2, −1, 0, 1, 2 km), west to east (approximate names).
const NS_ARTERIALS: [&str; 5] = ["先锋路", "永青路", "振兴路", "光明路", "大辛庄路"];
/// One-way old-town branch streets: (name, fixed grid index, from, to, vertical?).
/// Traffic runs from `from` to `to` along the street. Names of old-town lanes; alignment approximate.
const ONE_WAY_STREETS: [(&str, i32, i32, i32, bool); 4] = [
    ("考棚街", -2, 0, 4, true),  // x = −500 m, northbound from y = 0 to 1 km
    ("锅市街", -3, 4, 0, true),  // x = −750 m, southbound
    ("竹竿巷", -2, 0, 4, false), // y = −500 m, eastbound from x = 0 to 1 km
    ("马市街", -3, 4, 0, false), // y = −750 m, westbound
];

/// Economic development zone (临清经济开发区) street grid: corners in km and spacing in m.
/// Position east/south-east of the core: approximation.
const DEV_MIN_KM: (f64, f64) = (3.0, -3.5);
const DEV_MAX_KM: (f64, f64) = (5.5, -1.0);
const DEV_GRID_M: f64 = 500.0;
/// Development-zone streets: N–S (west to east) and E–W (north to south); generic numbered names.
const DEV_NS_NAMES: [&str; 6] = ["开发区经一路", "开发区经二路", "开发区经三路", "开发区经四路", "开发区经五路", "开发区经六路"];
const DEV_EW_NAMES: [&str; 6] = ["开发区纬一路", "开发区纬二路", "开发区纬三路", "开发区纬四路", "开发区纬五路", "开发区纬六路"];

/// Number of administrative villages (DOMAIN.md: "about 600").
const VILLAGE_TOTAL: u32 = 600;
/// Minimum spacing between villages, m (approximation; relaxed only if a zone is full).
const VILLAGE_MIN_SPACING_M: f64 = 800.0;
/// Most villages per km² of a town's zone (approximation: what fits at the minimum spacing
/// with the clearances of `village_site_ok`); only binds for small zones.
const VILLAGE_MAX_PER_KM2: f64 = 0.9;
/// Share of a town's residents living at the town seat (approximation).
const TOWN_SEAT_SHARE: f64 = 0.15;
/// Shape-node spacing on rural roads, m (brief: every ≈400–600 m).
const SHAPE_SPACING_M: f64 = 500.0;

/// Wei canal (卫运河), upstream (south-south-west) first, km east/north of the origin.
/// Hand-drawn approximation: the western boundary of the city (the Hebei border); it
/// passes the west edge of the urban core at the old town and swings west north of
/// the city so that the Liugaizi and Panzhuang seats lie east of it.
const WEI_CANAL_KM: [(f64, f64); 19] = [
    (-11.2, -21.4),
    (-12.4, -18.2),
    (-12.4, -14.5),
    (-13.3, -10.5),
    (-12.6, -7.2),
    (-9.6, -4.9),
    (-6.6, -3.4),
    (-4.0, -1.6),
    (-2.55, 0.3),
    (-2.45, 1.1),
    (-3.3, 2.3),
    (-4.6, 2.6),
    (-7.2, 2.7),
    (-10.3, 2.9),
    (-11.2, 6.0),
    (-11.0, 10.0),
    (-9.9, 13.6),
    (-8.4, 16.2),
    (-6.0, 18.2),
];
/// The rest of the city boundary, clockwise from the canal's northern end back to its
/// southern end, km. Approximation tuned so the whole polygon measures ≈950 km².
const OUTLINE_KM: [(f64, f64); 16] = [
    (-2.5, 18.1),
    (2.5, 17.8),
    (7.0, 15.6),
    (11.3, 13.8),
    (14.6, 11.2),
    (16.6, 6.8),
    (17.1, 1.5),
    (17.1, -4.0),
    (18.3, -9.0),
    (17.9, -13.6),
    (15.0, -16.0),
    (10.5, -16.6),
    (6.5, -18.2),
    (3.5, -20.6),
    (0.0, -21.2),
    (-5.0, -21.4),
];
/// Grand Canal (京杭大运河, the Huitong / Yuan canal reach), upstream (south) first, km.
/// Approximation: enters from the south past Weiwan and Daiwan, crosses the urban core
/// and joins the Wei canal at the old town (the junction is appended on the Wei canal).
const GRAND_CANAL_KM: [(f64, f64); 11] = [
    (1.0, -22.3),
    (0.3, -18.0),
    (0.9, -15.0),
    (1.4, -12.0),
    (1.3, -8.6),
    (0.9, -6.0),
    (0.2, -3.6),
    (-0.5, -2.0),
    (-1.2, -0.6),
    (-1.7, 0.4),
    (-2.1, 0.75),
];
/// Where the Grand Canal meets the Wei canal: segment index of `WEI_CANAL_KM` and position on it.
const CANAL_JUNCTION: (usize, f64) = (8, 0.8);

/// A zone as specified: names, kind, seat and resident population.
struct ZoneSpec {
    name: &'static str,
    name_zh: &'static str,
    kind: ZoneKind,
    seat: LatLon,
    population: u32,
}

const fn zone(name: &'static str, name_zh: &'static str, kind: ZoneKind, lat: f64, lon: f64, population: u32) -> ZoneSpec {
    ZoneSpec { name, name_zh, kind, seat: LatLon { lat, lon }, population }
}

/// The 16 zones in file order. Seats: approximate positions of the seats
/// (general knowledge, NOT survey data). Populations: the official totals
/// (230 000 urban, 736 000 in all; DOMAIN.md) split by hand (approximation);
/// towns 33–53 k each.
const ZONES: [ZoneSpec; 16] = [
    zone("Qingnianlu", "青年路街道", ZoneKind::Subdistrict, 36.848, 115.708, 62_000),
    zone("Xinhualu", "新华路街道", ZoneKind::Subdistrict, 36.836, 115.716, 68_000),
    zone("Xianfenglu", "先锋路街道", ZoneKind::Subdistrict, 36.846, 115.690, 52_000),
    zone("Daxinzhuang", "大辛庄街道", ZoneKind::Subdistrict, 36.826, 115.736, 48_000),
    zone("Songlin", "松林镇", ZoneKind::Town, 36.93, 115.83, 48_000),
    zone("Laozhaozhuang", "老赵庄镇", ZoneKind::Town, 36.77, 115.60, 36_000),
    zone("Kangzhuang", "康庄镇", ZoneKind::Town, 36.80, 115.88, 50_000),
    zone("Weiwan", "魏湾镇", ZoneKind::Town, 36.68, 115.71, 41_000),
    zone("Liugaizi", "刘垓子镇", ZoneKind::Town, 36.88, 115.62, 34_000),
    zone("Bachalu", "八岔路镇", ZoneKind::Town, 36.97, 115.73, 39_000),
    zone("Panzhuang", "潘庄镇", ZoneKind::Town, 36.93, 115.65, 38_000),
    zone("Yandian", "烟店镇", ZoneKind::Town, 36.72, 115.80, 53_000),
    zone("Tangyuan", "唐园镇", ZoneKind::Town, 36.87, 115.86, 44_000),
    zone("Jinhaozhuang", "金郝庄镇", ZoneKind::Town, 36.70, 115.62, 33_000),
    zone("Daiwan", "戴湾镇", ZoneKind::Town, 36.76, 115.73, 45_000),
    zone("Shangdian", "尚店镇", ZoneKind::Town, 36.74, 115.88, 45_000),
];
/// Official totals (DOMAIN.md "Linqing facts").
const TOTAL_POPULATION: u32 = 736_000;
const URBAN_POPULATION: u32 = 230_000;

// Zone indices (file order): subdistricts are 0..N_SUBDISTRICTS, then the towns.
const SONGLIN: usize = 4;
const LAOZHAOZHUANG: usize = 5;
const KANGZHUANG: usize = 6;
const WEIWAN: usize = 7;
const LIUGAIZI: usize = 8;
const BACHALU: usize = 9;
const PANZHUANG: usize = 10;
const YANDIAN: usize = 11;
const TANGYUAN: usize = 12;
const JINHAOZHUANG: usize = 13;
const DAIWAN: usize = 14;
const SHANGDIAN: usize = 15;
const N_SUBDISTRICTS: usize = 4;

const PROVENANCE: &str = "Approximate synthetic map of Linqing built from public facts (area 950 km², 736 000 people, \
230 000 urban on about 23 km², 4 subdistricts + 12 towns, ~600 villages, Wei canal on the western border, Grand Canal \
through the city). Town seat positions, the city outline, canal alignments, road alignments, village sites and places \
are plausible approximations, NOT survey data. Road numbers G308, G105 and G22 are real roads in the area but drawn \
approximately; provincial (S...) and county (X...) numbers, street names, village names and the names and capacities of \
places (depots, shelters, hospitals, plants) are made up or approximate. Regenerate with tools/gen_linqing_map.";

// ---------------------------------------------------------------------------
// Plane geometry (local metres, x east, y north)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
struct Xy {
    x: f64,
    y: f64,
}

impl Xy {
    fn add(self, o: Xy) -> Xy {
        Xy { x: self.x + o.x, y: self.y + o.y }
    }
    fn sub(self, o: Xy) -> Xy {
        Xy { x: self.x - o.x, y: self.y - o.y }
    }
    fn mul(self, k: f64) -> Xy {
        Xy { x: self.x * k, y: self.y * k }
    }
    fn len(self) -> f64 {
        self.x.hypot(self.y)
    }
    fn dist(self, o: Xy) -> f64 {
        self.sub(o).len()
    }
    fn lerp(self, o: Xy, t: f64) -> Xy {
        self.add(o.sub(self).mul(t))
    }
    fn cross(self, o: Xy) -> f64 {
        self.x * o.y - self.y * o.x
    }
    fn dot(self, o: Xy) -> f64 {
        self.x * o.x + self.y * o.y
    }
}

/// A point given in kilometres east / north of the origin.
const fn km(x: f64, y: f64) -> Xy {
    Xy { x: x * 1000.0, y: y * 1000.0 }
}

fn km_list(pts: &[(f64, f64)]) -> Vec<Xy> {
    pts.iter().map(|&(x, y)| km(x, y)).collect()
}

/// Distance from `p` to the segment `a`–`b`.
fn point_seg_dist(p: Xy, a: Xy, b: Xy) -> f64 {
    let d = b.sub(a);
    let l2 = d.dot(d);
    let t = if l2 > 0.0 { (p.sub(a).dot(d) / l2).clamp(0.0, 1.0) } else { 0.0 };
    p.dist(a.add(d.mul(t)))
}

/// Proper crossing of segments p1–p2 and q1–q2: parameters (t on p, u on q), both strictly inside (0, 1).
fn seg_intersection(p1: Xy, p2: Xy, q1: Xy, q2: Xy) -> Option<(f64, f64)> {
    let r = p2.sub(p1);
    let s = q2.sub(q1);
    let den = r.cross(s);
    if den.abs() < 1e-9 {
        return None;
    }
    let qp = q1.sub(p1);
    let t = qp.cross(s) / den;
    let u = qp.cross(r) / den;
    (t > 0.0 && t < 1.0 && u > 0.0 && u < 1.0).then_some((t, u))
}

fn point_in_polygon(p: Xy, poly: &[Xy]) -> bool {
    let mut inside = false;
    let mut j = poly.len() - 1;
    for i in 0..poly.len() {
        let (a, b) = (poly[i], poly[j]);
        if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
            inside = !inside;
        }
        j = i;
    }
    inside
}

fn polygon_area(poly: &[Xy]) -> f64 {
    let mut s = 0.0;
    for i in 0..poly.len() {
        s += poly[i].cross(poly[(i + 1) % poly.len()]);
    }
    (s / 2.0).abs()
}

// ---------------------------------------------------------------------------
// Projection (same equirectangular projection as the loader)
// ---------------------------------------------------------------------------

fn to_latlon(p: Xy) -> LatLon {
    let cos_lat = ORIGIN.lat.to_radians().cos();
    LatLon {
        lat: ORIGIN.lat + (p.y / EARTH_RADIUS_M).to_degrees(),
        lon: ORIGIN.lon + (p.x / (EARTH_RADIUS_M * cos_lat)).to_degrees(),
    }
}

fn to_xy(p: LatLon) -> Xy {
    let cos_lat = ORIGIN.lat.to_radians().cos();
    Xy {
        x: (p.lon - ORIGIN.lon).to_radians() * cos_lat * EARTH_RADIUS_M,
        y: (p.lat - ORIGIN.lat).to_radians() * EARTH_RADIUS_M,
    }
}

/// Rounded to a multiple of `step` ≥ 1, or to `1/step` decimals-friendly when `step` < 1
/// (divide, not multiply, so 250.1 stays 250.1 and not 250.10000000000002).
fn round_to(v: f64, step: f64) -> f64 {
    if step >= 1.0 { (v / step).round() * step } else { (v / step).round() / (1.0 / step).round() }
}

/// Position rounded to 6 decimals (≈0.1 m).
fn rounded_latlon(p: Xy) -> LatLon {
    let ll = to_latlon(p);
    LatLon { lat: round6(ll.lat), lon: round6(ll.lon) }
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn haversine_m(a: LatLon, b: LatLon) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dp = p2 - p1;
    let dl = (b.lon - a.lon).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().asin()
}

// ---------------------------------------------------------------------------
// Step 1: geography
// ---------------------------------------------------------------------------

/// City outline, canals, zone seats and the urban disc.
struct Geo {
    boundary: Vec<Xy>,
    wei_canal: Vec<Xy>,
    grand_canal: Vec<Xy>,
    /// Seats of the 16 zones, in zone order.
    seats: Vec<Xy>,
    /// Centre and radius of the urban disc, m.
    urban_centre: Xy,
    urban_r: f64,
    dev_min: Xy,
    dev_max: Xy,
}

impl Geo {
    fn build() -> Geo {
        let wei_canal = km_list(&WEI_CANAL_KM);
        let mut boundary = wei_canal.clone();
        boundary.extend(km_list(&OUTLINE_KM));
        let (seg, t) = CANAL_JUNCTION;
        let mut grand_canal = km_list(&GRAND_CANAL_KM);
        grand_canal.push(wei_canal[seg].lerp(wei_canal[seg + 1], t));
        let seats = ZONES.iter().map(|z| to_xy(z.seat)).collect();
        let mut geo = Geo {
            boundary,
            wei_canal,
            grand_canal,
            seats,
            urban_centre: km(URBAN_CENTRE_KM.0, URBAN_CENTRE_KM.1),
            urban_r: 0.0,
            dev_min: km(DEV_MIN_KM.0, DEV_MIN_KM.1),
            dev_max: km(DEV_MAX_KM.0, DEV_MAX_KM.1),
        };
        geo.urban_r = geo.urban_radius();
        geo.check_seats();
        geo
    }

    /// Radius r such that {|p| ≤ r} ∩ boundary has URBAN_AREA_KM2, from a 20 m raster.
    fn urban_radius(&self) -> f64 {
        let cell = 20.0;
        let half = 3_500.0;
        let n = (2.0 * half / cell) as i32;
        let mut d: Vec<f64> = Vec::new();
        for i in 0..n {
            for j in 0..n {
                let p = Xy { x: -half + (f64::from(i) + 0.5) * cell, y: -half + (f64::from(j) + 0.5) * cell }
                    .add(self.urban_centre);
                if self.inside(p) {
                    d.push(p.dist(self.urban_centre));
                }
            }
        }
        d.sort_by(f64::total_cmp);
        let k = (URBAN_AREA_KM2 * 1e6 / (cell * cell)).round() as usize;
        assert!(k < d.len(), "urban raster too small");
        d[k - 1]
    }

    fn check_seats(&self) {
        for (i, z) in ZONES.iter().enumerate() {
            let s = self.seats[i];
            assert!(self.inside(s), "seat of {} is outside the boundary", z.name);
            // East of the Wei canal: the canal is monotone in y, so compare with its x at the seat's y.
            let canal_x = self
                .wei_canal
                .windows(2)
                .find(|w| (w[0].y <= s.y) == (s.y < w[1].y))
                .map(|w| w[0].x + (w[1].x - w[0].x) * (s.y - w[0].y) / (w[1].y - w[0].y))
                .expect("seat latitude outside the canal's range");
            assert!(s.x > canal_x + 500.0, "seat of {} is not east of the Wei canal", z.name);
            let urban = s.dist(self.urban_centre) <= self.urban_r;
            assert_eq!(urban, z.kind == ZoneKind::Subdistrict, "seat of {} on the wrong side of the urban edge", z.name);
            assert_eq!(usize::from(self.zone_of(s)), i, "seat of {} is not in its own zone", z.name);
        }
        for w in self.wei_canal.windows(2) {
            assert!(w[1].y > w[0].y, "the Wei canal polyline must run south to north");
        }
    }

    fn inside(&self, p: Xy) -> bool {
        point_in_polygon(p, &self.boundary)
    }

    fn boundary_dist(&self, p: Xy) -> f64 {
        let n = self.boundary.len();
        (0..n)
            .map(|i| point_seg_dist(p, self.boundary[i], self.boundary[(i + 1) % n]))
            .fold(f64::INFINITY, f64::min)
    }

    /// Both ends inside and no crossing of the boundary.
    fn segment_inside(&self, a: Xy, b: Xy) -> bool {
        let n = self.boundary.len();
        self.inside(a)
            && self.inside(b)
            && (0..n).all(|i| seg_intersection(a, b, self.boundary[i], self.boundary[(i + 1) % n]).is_none())
    }

    fn in_urban(&self, p: Xy) -> bool {
        p.dist(self.urban_centre) <= self.urban_r && self.inside(p)
    }

    fn in_dev_zone(&self, p: Xy, margin: f64) -> bool {
        p.x >= self.dev_min.x - margin
            && p.x <= self.dev_max.x + margin
            && p.y >= self.dev_min.y - margin
            && p.y <= self.dev_max.y + margin
    }

    /// Zone of a point: nearest subdistrict seat inside the urban disc, else nearest town seat.
    fn zone_of(&self, p: Xy) -> u16 {
        let range = if self.in_urban(p) { 0..N_SUBDISTRICTS } else { N_SUBDISTRICTS..ZONES.len() };
        let mut best = range.start;
        for i in range {
            if p.dist(self.seats[i]) < p.dist(self.seats[best]) {
                best = i;
            }
        }
        best as u16
    }
}

/// Zone raster (200 m cells): cell centres per zone, for sampling and areas.
struct ZoneRaster {
    cell: f64,
    cells: Vec<Vec<Xy>>,
}

impl ZoneRaster {
    fn build(geo: &Geo) -> ZoneRaster {
        let cell = 200.0;
        let (mut lo, mut hi) = (Xy { x: f64::INFINITY, y: f64::INFINITY }, Xy { x: f64::NEG_INFINITY, y: f64::NEG_INFINITY });
        for p in &geo.boundary {
            lo = Xy { x: lo.x.min(p.x), y: lo.y.min(p.y) };
            hi = Xy { x: hi.x.max(p.x), y: hi.y.max(p.y) };
        }
        let mut cells = vec![Vec::new(); ZONES.len()];
        let (nx, ny) = (((hi.x - lo.x) / cell).ceil() as i32, ((hi.y - lo.y) / cell).ceil() as i32);
        for j in 0..ny {
            for i in 0..nx {
                let p = Xy { x: lo.x + (f64::from(i) + 0.5) * cell, y: lo.y + (f64::from(j) + 0.5) * cell };
                if geo.inside(p) {
                    cells[usize::from(geo.zone_of(p))].push(p);
                }
            }
        }
        ZoneRaster { cell, cells }
    }

    fn area_km2(&self, zone: usize) -> f64 {
        self.cells[zone].len() as f64 * self.cell * self.cell / 1e6
    }
}

// ---------------------------------------------------------------------------
// The graph under construction
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum NodeKind {
    /// Urban grid node with 4 grid neighbours.
    UrbanInner,
    /// Urban grid node on the edge of the disc (rural roads may attach here).
    UrbanEdge,
    /// Town seat.
    Seat,
    /// Development-zone street node.
    DevZone,
    /// Shape node or waypoint of a national / provincial / county road.
    Trunk,
    /// Shape node of the expressway (not reachable except at interchanges).
    Expressway,
    /// Junction created where two rural roads cross.
    Junction,
    /// Village.
    Village,
    /// Shape node of a village road.
    VillageRoad,
}

impl NodeKind {
    fn is_urban(self) -> bool {
        matches!(self, NodeKind::UrbanInner | NodeKind::UrbanEdge)
    }
    /// May a new village road end here?
    fn attachable(self) -> bool {
        matches!(
            self,
            NodeKind::UrbanEdge | NodeKind::Seat | NodeKind::DevZone | NodeKind::Trunk | NodeKind::Junction | NodeKind::VillageRoad
        )
    }
}

struct Node {
    p: Xy,
    kind: NodeKind,
    zone: u16,
    people: u32,
    name: Option<String>,
}

struct Edge {
    a: u32,
    b: u32,
    class: RoadClass,
    name: Option<String>,
    oneway: bool,
    /// Road length / straight length (approximation for bends between shape nodes).
    curvature: f64,
}

#[derive(Default)]
struct Graph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    edge_set: BTreeSet<(u32, u32)>,
}

impl Graph {
    fn add_node(&mut self, geo: &Geo, p: Xy, kind: NodeKind, name: Option<String>) -> u32 {
        let zone = geo.zone_of(p);
        self.nodes.push(Node { p, kind, zone, people: 0, name });
        (self.nodes.len() - 1) as u32
    }

    fn pos(&self, i: u32) -> Xy {
        self.nodes[i as usize].p
    }

    fn kind(&self, i: u32) -> NodeKind {
        self.nodes[i as usize].kind
    }

    fn set_name(&mut self, i: u32, name: String) {
        let n = &mut self.nodes[i as usize];
        assert!(n.name.is_none(), "node {i} already named {:?}", n.name);
        n.name = Some(name);
    }

    fn has_edge(&self, a: u32, b: u32) -> bool {
        self.edge_set.contains(&(a.min(b), a.max(b)))
    }

    /// Adds an edge unless one already joins the two nodes; returns whether it was added.
    fn add_edge(&mut self, a: u32, b: u32, class: RoadClass, name: Option<&str>, oneway: bool, curvature: f64) -> bool {
        assert_ne!(a, b, "self loop at node {a}");
        if !self.edge_set.insert((a.min(b), a.max(b))) {
            return false;
        }
        self.edges.push(Edge { a, b, class, name: name.map(str::to_string), oneway, curvature });
        true
    }

    /// Nearest node accepted by `keep`.
    fn nearest(&self, p: Xy, keep: impl Fn(&Node) -> bool) -> u32 {
        let mut best: Option<(f64, u32)> = None;
        for (i, n) in self.nodes.iter().enumerate() {
            if keep(n) {
                let d = n.p.dist(p);
                if best.is_none_or(|(bd, _)| d < bd) {
                    best = Some((d, i as u32));
                }
            }
        }
        best.expect("no node matches").1
    }
}

/// How a road is drawn.
struct RoadStyle {
    class: RoadClass,
    kind: NodeKind,
    /// Target distance between shape nodes, m.
    spacing_m: f64,
    /// Scale of the sideways jitter of shape nodes, m.
    jitter_m: f64,
    /// Range of the curvature factor applied to edge lengths.
    curvature: (f64, f64),
}

const NATIONAL: RoadStyle =
    RoadStyle { class: RoadClass::National, kind: NodeKind::Trunk, spacing_m: SHAPE_SPACING_M, jitter_m: 40.0, curvature: (1.0, 1.02) };
const PROVINCIAL: RoadStyle =
    RoadStyle { class: RoadClass::Provincial, kind: NodeKind::Trunk, spacing_m: SHAPE_SPACING_M, jitter_m: 50.0, curvature: (1.0, 1.03) };
const COUNTY: RoadStyle =
    RoadStyle { class: RoadClass::County, kind: NodeKind::Trunk, spacing_m: SHAPE_SPACING_M, jitter_m: 70.0, curvature: (1.01, 1.05) };
const EXPRESSWAY: RoadStyle =
    RoadStyle { class: RoadClass::Expressway, kind: NodeKind::Expressway, spacing_m: SHAPE_SPACING_M, jitter_m: 20.0, curvature: (1.0, 1.01) };
const VILLAGE_ROAD: RoadStyle =
    RoadStyle { class: RoadClass::Village, kind: NodeKind::VillageRoad, spacing_m: SHAPE_SPACING_M, jitter_m: 35.0, curvature: (1.02, 1.08) };

/// A route waypoint: an existing node or a new one at a position.
#[derive(Clone, Copy)]
enum Wp {
    Node(u32),
    At(Xy),
}

/// Draws a road through `wps`; returns the waypoints' node ids.
fn add_route(g: &mut Graph, geo: &Geo, rng: &mut ChaCha8Rng, wps: &[Wp], style: &RoadStyle, name: Option<&str>) -> Vec<u32> {
    let ids: Vec<u32> = wps
        .iter()
        .map(|w| match *w {
            Wp::Node(i) => i,
            Wp::At(p) => g.add_node(geo, p, style.kind, None),
        })
        .collect();
    for w in ids.windows(2) {
        add_leg(g, geo, rng, w[0], w[1], style, name);
    }
    ids
}

/// One straight leg of a road, subdivided into shape nodes with a smoothed sideways jitter
/// (random walk, tapered to zero at both ends; a shape node never leaves the boundary).
fn add_leg(g: &mut Graph, geo: &Geo, rng: &mut ChaCha8Rng, a: u32, b: u32, style: &RoadStyle, name: Option<&str>) {
    let (pa, pb) = (g.pos(a), g.pos(b));
    let len = pa.dist(pb);
    assert!(len > 1.0, "degenerate leg {a}-{b} ({name:?})");
    assert!(geo.segment_inside(pa, pb), "road {name:?} leaves the city between {pa:?} and {pb:?}");
    let n = ((len / style.spacing_m).round() as usize).max(1);
    let dir = pb.sub(pa).mul(1.0 / len);
    let normal = Xy { x: -dir.y, y: dir.x };
    let mut prev = a;
    let mut offset = 0.0;
    let mut points = Vec::with_capacity(n);
    for i in 1..n {
        let t = i as f64 / n as f64;
        offset = 0.6 * offset + rng_range(rng, -1.0, 1.0) * style.jitter_m;
        let straight = pa.lerp(pb, t);
        let mut p = straight.add(normal.mul(offset * (PI * t).sin()));
        if !geo.inside(p) || geo.boundary_dist(p) < 100.0 || (!style.class_is_urban() && geo.in_urban(p)) {
            p = straight;
        }
        points.push(p);
    }
    for p in points {
        let id = g.add_node(geo, p, style.kind, None);
        let c = rng_range(rng, style.curvature.0, style.curvature.1);
        g.add_edge(prev, id, style.class, name, false, c);
        prev = id;
    }
    let c = rng_range(rng, style.curvature.0, style.curvature.1);
    g.add_edge(prev, b, style.class, name, false, c);
}

impl RoadStyle {
    fn class_is_urban(&self) -> bool {
        matches!(self.class, RoadClass::UrbanArterial | RoadClass::UrbanBranch)
    }
}

/// Uniform in [lo, hi] (lo when the range is empty).
fn rng_range(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    if hi > lo { rng.random_range(lo..hi) } else { lo }
}

// ---------------------------------------------------------------------------
// Step 2: urban grid
// ---------------------------------------------------------------------------

/// Builds the urban street grid; returns the map from grid index (kx, ky) to node.
fn build_urban_grid(g: &mut Graph, geo: &Geo) -> BTreeMap<(i32, i32), u32> {
    let kmax = ((geo.urban_r + geo.urban_centre.len()) / URBAN_GRID_M).ceil() as i32;
    let mut grid = BTreeMap::new();
    for ky in -kmax..=kmax {
        for kx in -kmax..=kmax {
            let p = Xy { x: f64::from(kx) * URBAN_GRID_M, y: f64::from(ky) * URBAN_GRID_M };
            if geo.in_urban(p) && geo.boundary_dist(p) >= 80.0 {
                grid.insert((kx, ky), g.add_node(geo, p, NodeKind::UrbanInner, None));
            }
        }
    }
    // One-way lanes: (grid edge endpoints) -> (name, forward direction a→b).
    type GridStep = ((i32, i32), (i32, i32));
    let mut one_way: BTreeMap<GridStep, &str> = BTreeMap::new();
    for &(name, fixed, from, to, vertical) in &ONE_WAY_STREETS {
        let step = if to > from { 1 } else { -1 };
        let mut k = from;
        while k != to {
            let (a, b) = if vertical { ((fixed, k), (fixed, k + step)) } else { ((k, fixed), (k + step, fixed)) };
            one_way.insert((a, b), name);
            k += step;
        }
    }
    let keys: Vec<(i32, i32)> = grid.keys().copied().collect();
    for (kx, ky) in keys {
        let a = grid[&(kx, ky)];
        for (nb, along_x) in [((kx + 1, ky), true), ((kx, ky + 1), false)] {
            let Some(&b) = grid.get(&nb) else { continue };
            let (fixed, names) = if along_x { (ky, &EW_ARTERIALS) } else { (kx, &NS_ARTERIALS) };
            if fixed % ARTERIAL_EVERY == 0 {
                let name = names[(fixed / ARTERIAL_EVERY + 2) as usize];
                g.add_edge(a, b, RoadClass::UrbanArterial, Some(name), false, 1.0);
            } else if let Some(name) = one_way.get(&((kx, ky), nb)) {
                g.add_edge(a, b, RoadClass::UrbanBranch, Some(name), true, 1.0);
            } else if let Some(name) = one_way.get(&(nb, (kx, ky))) {
                g.add_edge(b, a, RoadClass::UrbanBranch, Some(name), true, 1.0);
            } else {
                g.add_edge(a, b, RoadClass::UrbanBranch, None, false, 1.0);
            }
        }
    }
    for (&(kx, ky), &id) in &grid {
        let full = [(1, 0), (-1, 0), (0, 1), (0, -1)].iter().all(|(dx, dy)| grid.contains_key(&(kx + dx, ky + dy)));
        if !full {
            g.nodes[id as usize].kind = NodeKind::UrbanEdge;
        }
    }
    grid
}

/// A city gate: the end of the arterial on grid line `line` (x = line·250 m when
/// `vertical`, else y = line·250 m) in direction `dir` (+1 north/east, −1 south/west).
fn gate(grid: &BTreeMap<(i32, i32), u32>, vertical: bool, line: i32, dir: i32) -> u32 {
    let on_line = grid.iter().filter(|(k, _)| if vertical { k.0 == line } else { k.1 == line });
    let along = |k: &(i32, i32)| dir * if vertical { k.1 } else { k.0 };
    *on_line.max_by_key(|(k, _)| along(k)).expect("empty grid line").1
}

// ---------------------------------------------------------------------------
// Step 3: seats and the development zone
// ---------------------------------------------------------------------------

/// Seat node of every zone: the nearest grid node for subdistricts, a new node for towns.
fn add_town_seats(g: &mut Graph, geo: &Geo) -> Vec<u32> {
    let mut seat_nodes = Vec::new();
    for (i, z) in ZONES.iter().enumerate() {
        let id = if z.kind == ZoneKind::Subdistrict {
            let id = g.nearest(geo.seats[i], |n| n.kind.is_urban());
            g.set_name(id, format!("{}办事处 ({} seat)", z.name_zh, z.name));
            id
        } else {
            g.add_node(geo, geo.seats[i], NodeKind::Seat, Some(format!("{}驻地 ({} seat)", z.name_zh, z.name)))
        };
        assert_eq!(usize::from(g.nodes[id as usize].zone), i, "seat node of {} not in its zone", z.name);
        seat_nodes.push(id);
    }
    seat_nodes
}

/// Development-zone street grid, linked to the nearest urban-edge nodes; returns (ix, iy) → node,
/// ix from west, iy from north.
fn build_dev_zone(g: &mut Graph, geo: &Geo) -> BTreeMap<(usize, usize), u32> {
    let nx = ((geo.dev_max.x - geo.dev_min.x) / DEV_GRID_M).round() as usize + 1;
    let ny = ((geo.dev_max.y - geo.dev_min.y) / DEV_GRID_M).round() as usize + 1;
    let mut dev = BTreeMap::new();
    for iy in 0..ny {
        for ix in 0..nx {
            let p = Xy { x: geo.dev_min.x + ix as f64 * DEV_GRID_M, y: geo.dev_max.y - iy as f64 * DEV_GRID_M };
            assert!(!geo.in_urban(p), "development zone overlaps the urban disc");
            dev.insert((ix, iy), g.add_node(geo, p, NodeKind::DevZone, None));
        }
    }
    for iy in 0..ny {
        for ix in 0..nx {
            let a = dev[&(ix, iy)];
            if ix + 1 < nx {
                g.add_edge(a, dev[&(ix + 1, iy)], RoadClass::UrbanArterial, Some(DEV_EW_NAMES[iy]), false, 1.0);
            }
            if iy + 1 < ny {
                g.add_edge(a, dev[&(ix, iy + 1)], RoadClass::UrbanArterial, Some(DEV_NS_NAMES[ix]), false, 1.0);
            }
        }
    }
    // Link the western column to the city where an urban-edge node is within 900 m.
    for iy in 0..ny {
        let a = dev[&(0, iy)];
        let pa = g.pos(a);
        let b = g.nearest(pa, |n| n.kind == NodeKind::UrbanEdge);
        if pa.dist(g.pos(b)) <= 900.0 {
            g.add_edge(a, b, RoadClass::UrbanArterial, Some(DEV_EW_NAMES[iy]), false, 1.0);
        }
    }
    dev
}

// ---------------------------------------------------------------------------
// Step 4: trunk roads
// ---------------------------------------------------------------------------

/// National, provincial and county roads and the expressway. Waypoints in km are hand-placed
/// bends (approximation); road numbers other than G308 / G105 / G22 are made up.
fn build_trunk_roads(
    g: &mut Graph,
    geo: &Geo,
    rng: &mut ChaCha8Rng,
    seat: &[u32],
    grid: &BTreeMap<(i32, i32), u32>,
    dev: &BTreeMap<(usize, usize), u32>,
) {
    use Wp::{At, Node as N};
    let at = |x: f64, y: f64| At(km(x, y));
    // City gates: ends of arterials on the edge of the urban disc.
    let a = ARTERIAL_EVERY;
    let gate_n = N(gate(grid, true, 0, 1)); // 振兴路 north end
    let gate_s = N(gate(grid, true, 0, -1)); // 振兴路 south end
    let gate_e = N(gate(grid, false, 0, 1)); // 新华路 east end
    let gate_w = N(gate(grid, false, 0, -1)); // 新华路 west end
    let gate_ne = N(gate(grid, true, 2 * a, 1)); // 大辛庄路 north end
    let gate_nw = N(gate(grid, false, 2 * a, -1)); // 红星路 west end
    let gate_sw = N(gate(grid, true, -2 * a, -1)); // 先锋路 south end
    let s = |z: usize| N(seat[z]);

    // National roads.
    let g105_n = add_route(g, geo, rng, &[at(2.9, 17.3), s(BACHALU), at(1.0, 8.5), gate_n], &NATIONAL, Some("G105"));
    g.set_name(g105_n[0], "G105北出口 (G105 north exit)".into());
    let g105_s = add_route(
        g,
        geo,
        rng,
        &[gate_s, at(1.0, -5.5), s(DAIWAN), at(2.4, -13.0), s(WEIWAN), at(0.3, -20.9)],
        &NATIONAL,
        Some("G105"),
    );
    g.set_name(*g105_s.last().unwrap(), "G105南出口 (G105 south exit)".into());
    let g308_e = add_route(g, geo, rng, &[gate_e, at(7.0, 1.0), s(TANGYUAN), at(16.55, 4.1)], &NATIONAL, Some("G308"));
    g.set_name(*g308_e.last().unwrap(), "G308东出口 (G308 east exit)".into());
    let g308_w = add_route(g, geo, rng, &[gate_w, at(-2.70, 0.0)], &NATIONAL, Some("G308"));
    g.set_name(g308_w[1], "G308卫运河大桥 (G308 Wei Canal bridge)".into());

    // Provincial roads (numbers approximate).
    let s254 = add_route(
        g,
        geo,
        rng,
        &[at(12.0, 12.9), s(SONGLIN), s(TANGYUAN), s(KANGZHUANG), at(15.3, -6.2), s(SHANGDIAN), at(15.3, -14.1)],
        &PROVINCIAL,
        Some("S254"),
    );
    g.set_name(s254[0], "S254北出口 (S254 north exit)".into());
    g.set_name(*s254.last().unwrap(), "S254南出口 (S254 south exit)".into());
    let s315 = add_route(
        g,
        geo,
        rng,
        &[s(LAOZHAOZHUANG), at(-4.5, -8.0), s(DAIWAN), s(YANDIAN), s(SHANGDIAN), at(17.2, -10.8)],
        &PROVINCIAL,
        Some("S315"),
    );
    g.set_name(*s315.last().unwrap(), "S315东出口 (S315 east exit)".into());
    let s329 = add_route(g, geo, rng, &[gate_nw, at(-3.2, 4.2), s(PANZHUANG), at(-5.0, 17.6)], &PROVINCIAL, Some("S329"));
    g.set_name(*s329.last().unwrap(), "S329北出口 (S329 north exit)".into());

    // County roads (numbers made up): every seat to the city and to its neighbours.
    let county: Vec<(&str, Vec<Wp>)> = vec![
        ("X001", vec![gate_ne, at(5.5, 5.5), s(SONGLIN)]),
        ("X002", vec![N(dev[&(5, 2)]), at(10.0, -3.5), s(KANGZHUANG)]),
        ("X003", vec![gate_sw, at(-5.0, -5.0), s(LAOZHAOZHUANG)]),
        ("X004", vec![N(s329[1]), s(LIUGAIZI)]),
        ("X005", vec![s(LAOZHAOZHUANG), at(-9.5, -11.8), s(JINHAOZHUANG)]),
        ("X006", vec![s(JINHAOZHUANG), at(-4.0, -17.0), s(WEIWAN)]),
        ("X007", vec![s(WEIWAN), at(4.0, -15.8), s(YANDIAN)]),
        ("X008", vec![s(SONGLIN), at(6.2, 12.6), s(BACHALU)]),
        ("X009", vec![s(BACHALU), at(-1.8, 12.5), s(PANZHUANG)]),
        ("X010", vec![s(PANZHUANG), at(-6.8, 7.2), s(LIUGAIZI)]),
        ("X011", vec![s(DAIWAN), at(8.5, -7.0), s(KANGZHUANG)]),
        ("X012", vec![s(JINHAOZHUANG), at(-3.5, -12.0), s(DAIWAN)]),
    ];
    let mut county_ids = BTreeMap::new();
    for (name, wps) in &county {
        county_ids.insert(*name, add_route(g, geo, rng, wps, &COUNTY, Some(name)));
    }

    // Expressway G22 (Qingdao–Yinchuan) across the south: joins the network only at
    // 3 interchanges (G105, S254, X003); elsewhere it passes over other roads.
    let ic_g105 = g105_s[1];
    let ic_s254 = s254[4];
    let ic_x003 = county_ids["X003"][1];
    g.set_name(ic_g105, "临清互通 (G22 Linqing interchange)".into());
    g.set_name(ic_s254, "康庄互通 (G22 Kangzhuang interchange)".into());
    g.set_name(ic_x003, "老赵庄互通 (G22 Laozhaozhuang interchange)".into());
    let g22 = add_route(
        g,
        geo,
        rng,
        &[at(17.0, -6.3), N(ic_s254), at(8.0, -5.6), N(ic_g105), N(ic_x003), at(-8.8, -5.8), at(-10.8, -6.2)],
        &EXPRESSWAY,
        Some("G22 青银高速"),
    );
    g.set_name(g22[0], "G22东出口 (G22 east exit)".into());
    g.set_name(*g22.last().unwrap(), "G22卫运河大桥 (G22 Wei Canal bridge)".into());
}

// ---------------------------------------------------------------------------
// Step 5: junctions where rural roads cross
// ---------------------------------------------------------------------------

/// Splits every pair of crossing at-grade roads at a new junction node; returns the number
/// of junctions. The expressway (flyovers) and the urban grid are not split. A crossing
/// closer than 40 m to an end or to another split of the same edge is skipped.
fn split_crossings(g: &mut Graph, geo: &Geo) -> usize {
    const MIN_PIECE_M: f64 = 40.0;
    const CELL_M: f64 = 1_000.0;
    let eligible = |e: &Edge| {
        e.class != RoadClass::Expressway && !(g.kind(e.a).is_urban() && g.kind(e.b).is_urban())
    };
    let mut buckets: BTreeMap<(i64, i64), Vec<usize>> = BTreeMap::new();
    for (i, e) in g.edges.iter().enumerate() {
        if !eligible(e) {
            continue;
        }
        let (pa, pb) = (g.pos(e.a), g.pos(e.b));
        let (x0, x1) = ((pa.x.min(pb.x) / CELL_M).floor() as i64, (pa.x.max(pb.x) / CELL_M).floor() as i64);
        let (y0, y1) = ((pa.y.min(pb.y) / CELL_M).floor() as i64, (pa.y.max(pb.y) / CELL_M).floor() as i64);
        for cx in x0..=x1 {
            for cy in y0..=y1 {
                buckets.entry((cx, cy)).or_default().push(i);
            }
        }
    }
    let mut pairs = BTreeSet::new();
    for list in buckets.values() {
        for (k, &i) in list.iter().enumerate() {
            for &j in &list[k + 1..] {
                pairs.insert((i.min(j), i.max(j)));
            }
        }
    }
    // Edge index -> accepted splits (t along a→b, junction node).
    let mut splits: BTreeMap<usize, Vec<(f64, u32)>> = BTreeMap::new();
    let mut junctions = 0;
    for (i, j) in pairs {
        let (ei, ej) = (&g.edges[i], &g.edges[j]);
        if ei.a == ej.a || ei.a == ej.b || ei.b == ej.a || ei.b == ej.b {
            continue;
        }
        let (p1, p2, q1, q2) = (g.pos(ei.a), g.pos(ei.b), g.pos(ej.a), g.pos(ej.b));
        let Some((t, u)) = seg_intersection(p1, p2, q1, q2) else { continue };
        let (li, lj) = (p1.dist(p2), q1.dist(q2));
        let fits = |t: f64, len: f64, list: Option<&Vec<(f64, u32)>>| {
            t * len >= MIN_PIECE_M
                && (1.0 - t) * len >= MIN_PIECE_M
                && list.is_none_or(|l| l.iter().all(|&(s, _)| (s - t).abs() * len >= MIN_PIECE_M))
        };
        if !fits(t, li, splits.get(&i)) || !fits(u, lj, splits.get(&j)) {
            continue;
        }
        let p = p1.lerp(p2, t);
        let id = g.add_node(geo, p, NodeKind::Junction, None);
        splits.entry(i).or_default().push((t, id));
        splits.entry(j).or_default().push((u, id));
        junctions += 1;
    }
    if junctions == 0 {
        return 0;
    }
    let old = std::mem::take(&mut g.edges);
    for (i, e) in old.into_iter().enumerate() {
        let Some(mut list) = splits.remove(&i) else {
            g.edges.push(e);
            continue;
        };
        list.sort_by(|x, y| x.0.total_cmp(&y.0));
        assert!(g.edge_set.remove(&(e.a.min(e.b), e.a.max(e.b))));
        let mut chain = vec![e.a];
        chain.extend(list.iter().map(|&(_, n)| n));
        chain.push(e.b);
        for w in chain.windows(2) {
            assert!(g.add_edge(w[0], w[1], e.class, e.name.as_deref(), e.oneway, e.curvature), "duplicate after split");
        }
    }
    junctions
}

// ---------------------------------------------------------------------------
// Step 6: villages
// ---------------------------------------------------------------------------

/// Largest-remainder split of `total` in proportion to `weights` (ties: lower index first).
fn apportion(total: u32, weights: &[f64]) -> Vec<u32> {
    let sum: f64 = weights.iter().sum();
    assert!(sum > 0.0 && !weights.is_empty());
    let quotas: Vec<f64> = weights.iter().map(|w| w / sum * f64::from(total)).collect();
    let mut out: Vec<u32> = quotas.iter().map(|q| q.floor() as u32).collect();
    let given: u32 = out.iter().sum();
    assert!(given <= total);
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&i, &j| (quotas[j] - quotas[j].floor()).total_cmp(&(quotas[i] - quotas[i].floor())).then(i.cmp(&j)));
    for &i in order.iter().cycle().take((total - given) as usize) {
        out[i] += 1;
    }
    out
}

/// Villages per town: in proportion to population, except that a town whose Voronoi cell
/// is too small for its share at the minimum spacing gets its cap and the rest is shared
/// among the others (again in proportion to population).
fn village_counts(towns: &[usize], caps: &[u32]) -> Vec<u32> {
    let mut fixed: Vec<Option<u32>> = vec![None; towns.len()];
    loop {
        let left = VILLAGE_TOTAL - fixed.iter().flatten().sum::<u32>();
        let free: Vec<usize> = (0..towns.len()).filter(|&i| fixed[i].is_none()).collect();
        let weights: Vec<f64> = free.iter().map(|&i| f64::from(ZONES[towns[i]].population)).collect();
        let share = apportion(left, &weights);
        let over: Vec<usize> = free.iter().zip(&share).filter(|&(&i, &n)| n > caps[i]).map(|(&i, _)| i).collect();
        if over.is_empty() {
            let mut counts: Vec<u32> = fixed.iter().map(|f| f.unwrap_or(0)).collect();
            for (&i, n) in free.iter().zip(share) {
                counts[i] = n;
            }
            return counts;
        }
        for i in over {
            fixed[i] = Some(caps[i]);
        }
    }
}

/// Places the villages of every town; returns their node ids (zone order, then placement order).
fn place_villages(g: &mut Graph, geo: &Geo, rng: &mut ChaCha8Rng, raster: &ZoneRaster) -> Vec<u32> {
    let towns: Vec<usize> = (N_SUBDISTRICTS..ZONES.len()).collect();
    let caps: Vec<u32> = towns.iter().map(|&z| (raster.area_km2(z) * VILLAGE_MAX_PER_KM2).floor() as u32).collect();
    let counts = village_counts(&towns, &caps);
    let mut villages = Vec::new();
    for (&z, &count) in towns.iter().zip(&counts) {
        let cells = &raster.cells[z];
        let mut spacing = VILLAGE_MIN_SPACING_M;
        let mut fails = 0;
        let mut placed = 0;
        while placed < count {
            let c = cells[rng.random_range(0..cells.len())];
            let half = raster.cell / 2.0;
            let p = c.add(Xy { x: rng_range(rng, -half, half), y: rng_range(rng, -half, half) });
            if village_site_ok(g, geo, p, z, spacing) {
                placed += 1;
                let name = format!("{} 第{}村 ({} V{})", ZONES[z].name_zh, placed, ZONES[z].name, placed);
                villages.push(g.add_node(geo, p, NodeKind::Village, Some(name)));
                fails = 0;
            } else {
                fails += 1;
                if fails > 4_000 {
                    spacing *= 0.92;
                    fails = 0;
                    assert!(spacing > 400.0, "cannot fit {count} villages in {}", ZONES[z].name);
                }
            }
        }
        if spacing < VILLAGE_MIN_SPACING_M {
            println!("note: village spacing in {} relaxed to {spacing:.0} m", ZONES[z].name);
        }
    }
    villages
}

/// Clearances for a village site (approximation): inside its zone, 300 m from the boundary,
/// 500 m outside the urban disc, 400 m from the development zone, `spacing` from other
/// villages, 900 m from a town seat and 250 m from any other node.
fn village_site_ok(g: &Graph, geo: &Geo, p: Xy, zone: usize, spacing: f64) -> bool {
    if usize::from(geo.zone_of(p)) != zone
        || !geo.inside(p)
        || p.dist(geo.urban_centre) < geo.urban_r + 500.0
        || geo.in_dev_zone(p, 400.0)
        || geo.boundary_dist(p) < 300.0
    {
        return false;
    }
    g.nodes.iter().all(|n| {
        let need = match n.kind {
            NodeKind::Village => spacing,
            NodeKind::Seat => 900.0,
            _ => 250.0,
        };
        n.p.dist(p) >= need
    })
}

// ---------------------------------------------------------------------------
// Step 7: village roads
// ---------------------------------------------------------------------------

/// A village road from `a` to a node at `b` is allowed: inside the boundary and clear of
/// the urban disc (except the last 200 m when it ends on an urban-edge node).
fn village_road_ok(geo: &Geo, a: Xy, b: Xy, ends_in_city: bool) -> bool {
    if !geo.segment_inside(a, b) {
        return false;
    }
    let len = a.dist(b);
    if ends_in_city {
        let stop = b.sub(b.sub(a).mul(200.0_f64.min(len) / len));
        point_seg_dist(geo.urban_centre, a, stop) >= geo.urban_r
    } else {
        point_seg_dist(geo.urban_centre, a, b) >= geo.urban_r + 30.0
    }
}

/// Links every village to the road network (nearest attachable node, sometimes a second).
fn link_villages(g: &mut Graph, geo: &Geo, rng: &mut ChaCha8Rng, villages: &[u32]) {
    /// Chance of a second link to the network (approximation).
    const SECOND_LINK_P: f64 = 0.35;
    // Closest villages first, so later ones can attach to earlier village roads.
    let mut order: Vec<(f64, u32)> = villages
        .iter()
        .map(|&v| {
            let p = g.pos(v);
            let d = g.nodes.iter().filter(|n| n.kind.attachable()).map(|n| n.p.dist(p)).fold(f64::INFINITY, f64::min);
            (d, v)
        })
        .collect();
    order.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    for (_, v) in order {
        let pv = g.pos(v);
        let mut cands: Vec<(f64, u32)> = g
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.kind.attachable())
            .map(|(i, n)| (n.p.dist(pv), i as u32))
            .collect();
        cands.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        let ok = |g: &Graph, c: u32| village_road_ok(geo, pv, g.pos(c), g.kind(c) == NodeKind::UrbanEdge);
        let first = cands.iter().find(|&&(_, c)| ok(g, c)).map(|&(_, c)| c).expect("village cannot reach any road");
        add_route(g, geo, rng, &[Wp::Node(v), Wp::Node(first)], &VILLAGE_ROAD, None);
        if rng.random::<f64>() < SECOND_LINK_P {
            let d1 = g.pos(first).sub(pv);
            let second = cands.iter().find(|&&(d, c)| {
                let dc = g.pos(c).sub(pv);
                let cos = d1.dot(dc) / (d1.len() * dc.len());
                (1_000.0..=3_000.0).contains(&d) && cos < 0.5 && ok(g, c)
            });
            if let Some(&(_, c)) = second {
                add_route(g, geo, rng, &[Wp::Node(v), Wp::Node(c)], &VILLAGE_ROAD, None);
            }
        }
    }
}

/// Links each village to 1–2 neighbouring villages within 2.6 km (at most 3 such links per
/// village; no road passing within 200 m of a third village).
fn link_village_neighbours(g: &mut Graph, geo: &Geo, rng: &mut ChaCha8Rng, villages: &[u32]) {
    const MAX_M: f64 = 2_600.0;
    let mut pairs: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut degree = vec![0usize; villages.len()];
    for i in 0..villages.len() {
        let want = if rng.random::<f64>() < 0.45 { 2 } else { 1 };
        let pi = g.pos(villages[i]);
        let mut near: Vec<(f64, usize)> = (0..villages.len())
            .filter(|&j| j != i)
            .map(|j| (g.pos(villages[j]).dist(pi), j))
            .filter(|&(d, _)| d <= MAX_M)
            .collect();
        near.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        for (_, j) in near {
            if degree[i] >= want {
                break;
            }
            if degree[j] >= 3 || pairs.contains(&(i.min(j), i.max(j))) {
                continue;
            }
            let pj = g.pos(villages[j]);
            let clear = villages
                .iter()
                .enumerate()
                .all(|(k, &w)| k == i || k == j || point_seg_dist(g.pos(w), pi, pj) >= 200.0);
            if !clear || !village_road_ok(geo, pi, pj, false) || g.has_edge(villages[i], villages[j]) {
                continue;
            }
            add_route(g, geo, rng, &[Wp::Node(villages[i]), Wp::Node(villages[j])], &VILLAGE_ROAD, None);
            pairs.insert((i.min(j), i.max(j)));
            degree[i] += 1;
            degree[j] += 1;
        }
    }
}

// ---------------------------------------------------------------------------
// Step 8: people
// ---------------------------------------------------------------------------

/// Splits each zone's population over its nodes (see the module doc).
fn assign_people(g: &mut Graph, rng: &mut ChaCha8Rng, seat_nodes: &[u32]) {
    for (z, spec) in ZONES.iter().enumerate() {
        let zone = z as u16;
        if spec.kind == ZoneKind::Subdistrict {
            let ids: Vec<usize> = (0..g.nodes.len()).filter(|&i| g.nodes[i].zone == zone && g.nodes[i].kind.is_urban()).collect();
            let weights: Vec<f64> = ids.iter().map(|_| rng_range(rng, 0.7, 1.3)).collect();
            for (&i, p) in ids.iter().zip(apportion(spec.population, &weights)) {
                g.nodes[i].people = p;
            }
        } else {
            let at_seat = (f64::from(spec.population) * TOWN_SEAT_SHARE).round() as u32;
            g.nodes[seat_nodes[z] as usize].people = at_seat;
            let ids: Vec<usize> =
                (0..g.nodes.len()).filter(|&i| g.nodes[i].zone == zone && g.nodes[i].kind == NodeKind::Village).collect();
            let weights: Vec<f64> = ids.iter().map(|_| rng_range(rng, 0.5, 1.5)).collect();
            for (&i, p) in ids.iter().zip(apportion(spec.population - at_seat, &weights)) {
                g.nodes[i].people = p;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Step 9: places
// ---------------------------------------------------------------------------

struct Place {
    name: String,
    name_zh: String,
    kind: PlaceKind,
    at: Xy,
    usable_m2: Option<f64>,
    beds: Option<u32>,
    note: String,
}

fn place(kind: PlaceKind, name: &str, name_zh: &str, at: Xy, note: &str) -> Place {
    Place { name: name.into(), name_zh: name_zh.into(), kind, at, usable_m2: None, beds: None, note: note.into() }
}

/// A random spot `min_m`–`max_m` from a town seat, inside the town's zone.
fn near_seat(geo: &Geo, rng: &mut ChaCha8Rng, z: usize, min_m: f64, max_m: f64) -> Xy {
    loop {
        let (a, r) = (rng_range(rng, 0.0, 2.0 * PI), rng_range(rng, min_m, max_m));
        let p = geo.seats[z].add(Xy { x: r * a.cos(), y: r * a.sin() });
        if geo.inside(p) && geo.boundary_dist(p) > 200.0 && usize::from(geo.zone_of(p)) == z {
            return p;
        }
    }
}

/// All named places. City positions (km) are hand-picked approximations; town places are
/// put at random spots near the seat. Capacities are plausible approximations.
fn build_places(geo: &Geo, rng: &mut ChaCha8Rng) -> Vec<Place> {
    use PlaceKind::*;
    const APPROX: &str = "approximate";
    let mut out = Vec::new();

    // Government reserves: the central depot near G308 (新华路) on the east side.
    out.push(place(Depot, "Linqing Central Reserve Depot", "临清市应急物资储备中心库", km(2.35, 0.30), "approximate; central government reserve near G308"));
    // Town depots: 6 towns have one today; the other 6 are planned candidate sites (plan: full coverage).
    let with_depot = [SONGLIN, KANGZHUANG, YANDIAN, TANGYUAN, DAIWAN, SHANGDIAN];
    for z in N_SUBDISTRICTS..ZONES.len() {
        let at = near_seat(geo, rng, z, 400.0, 900.0);
        let (zn, zh) = (ZONES[z].name, ZONES[z].name_zh);
        out.push(if with_depot.contains(&z) {
            place(Depot, &format!("{zn} Town Depot"), &format!("{zh}应急物资储备库"), at, "approximate; town reserve depot")
        } else {
            place(Depot, &format!("{zn} Candidate Depot Site"), &format!("{zh}应急物资储备库（规划选址）"), at, "candidate site (planned)")
        });
    }

    // Community reserve stations: one per subdistrict (near its office) and one at each town seat.
    let station_offsets_km = [(0.12, -0.14), (0.12, 0.14), (0.13, -0.17), (-0.12, 0.15)];
    for z in 0..ZONES.len() {
        let at = if z < N_SUBDISTRICTS {
            let (dx, dy) = station_offsets_km[z];
            geo.seats[z].add(km(dx, dy))
        } else {
            near_seat(geo, rng, z, 150.0, 350.0)
        };
        let (zn, zh) = (ZONES[z].name, ZONES[z].name_zh);
        let zh_short = zh.trim_end_matches("街道");
        out.push(place(CommunityStation, &format!("{zn} Community Reserve Station"), &format!("{zh_short}社区储备站"), at, APPROX));
    }

    // Commercial agreement partners.
    out.push(place(CommercialWarehouse, "Linqing Supermarket Distribution Centre", "临清市超市物流配送中心", km(1.6, -2.0), "approximate; supermarket chain under a supply agreement"));
    out.push(place(CommercialWarehouse, "Linqing Logistics Park", "临清物流园", km(0.6, -2.45), "approximate; logistics park near G105"));
    let yd = near_seat(geo, rng, YANDIAN, 500.0, 1_200.0);
    out.push(place(CommercialWarehouse, "Yandian Logistics Warehouse", "烟店物流仓库", yd, "approximate; warehouse by the Yandian bearing market"));

    // Enterprises with production capacity (development zone).
    out.push(place(Factory, "Linqing Canal Food Factory", "临清运河食品厂", km(3.4, -2.7), "fictional enterprise; instant food; approximate site"));
    out.push(place(Factory, "Qingyuan Bottled Water Plant", "清源桶装水厂", km(4.6, -1.3), "fictional enterprise; bottled drinking water; approximate site"));

    // Shelters in the core: (name, name_zh, x km, y km, usable m², note).
    let urban_shelters: [(&str, &str, f64, f64, f64, &str); 21] = [
        ("Canal Culture Square", "运河文化广场", -1.35, 0.05, 45_000.0, "square by the Grand Canal"),
        ("Dazhong Park", "大众公园", 0.2, 1.6, 52_000.0, "park"),
        ("Linqing Sports Centre", "临清市体育中心", 1.5, 1.6, 30_000.0, "stadium"),
        ("People's Square", "人民广场", 0.1, 0.1, 38_000.0, "square"),
        ("Canal Wetland Park", "运河湿地公园", -0.6, -1.6, 58_000.0, "park along the Grand Canal"),
        ("Aotouji Park", "鳌头矶公园", -2.0, 1.1, 15_000.0, "park in the old town"),
        ("Weihe Riverside Park", "卫河滨河公园", -2.2, -0.5, 40_000.0, "park on the Wei canal bank"),
        ("Qingyuan Park", "清源公园", -0.8, 2.0, 28_000.0, "park"),
        ("Development Zone Park", "开发区中央公园", 2.4, -0.8, 35_000.0, "park"),
        ("Century Square", "世纪广场", 1.1, -0.6, 22_000.0, "square"),
        ("Railway Station Square", "临清站站前广场", 2.0, 1.2, 12_000.0, "square"),
        ("Linqing No.1 Middle School", "临清市第一中学", -0.3, -0.5, 11_000.0, "school sports ground"),
        ("Linqing No.2 Middle School", "临清市第二中学", 0.8, 2.1, 9_000.0, "school sports ground"),
        ("Linqing No.3 Middle School", "临清市第三中学", -1.6, 1.7, 8_000.0, "school sports ground"),
        ("Linqing Experimental Senior High School", "临清市实验高级中学", 1.0, -1.8, 10_000.0, "school sports ground"),
        ("Jinghua Middle School", "京华中学", -1.9, -1.4, 7_000.0, "school sports ground"),
        ("Yucai Middle School", "育才中学", 2.1, -0.2, 6_500.0, "school sports ground"),
        ("Qingnianlu Primary School", "青年路小学", -0.4, 1.2, 4_000.0, "school sports ground"),
        ("Xinhualu Primary School", "新华路小学", 0.4, -1.0, 3_500.0, "school sports ground"),
        ("Daxinzhuang Middle School", "大辛庄中学", 1.9, -1.7, 6_000.0, "school sports ground"),
        ("Linqing Vocational Education Centre", "临清市职业教育中心", -1.0, -2.2, 12_000.0, "school sports ground"),
    ];
    for (name, zh, x, y, m2, what) in urban_shelters {
        assert!(geo.in_urban(km(x, y)), "urban shelter {name} outside the urban disc");
        let mut p = place(Shelter, name, zh, km(x, y), &format!("approximate; {what}"));
        p.usable_m2 = Some(m2);
        out.push(p);
    }
    for z in N_SUBDISTRICTS..ZONES.len() {
        let at = near_seat(geo, rng, z, 200.0, 600.0);
        let mut p = place(Shelter, &format!("{} Town Middle School", ZONES[z].name), &format!("{}中学", ZONES[z].name_zh), at, "approximate; school sports ground");
        p.usable_m2 = Some(round_to(rng_range(rng, 4_000.0, 8_000.0), 100.0));
        out.push(p);
    }

    // Hospitals: 4 in the city, a township health centre in each town.
    let city_hospitals: [(&str, &str, f64, f64, u32); 4] = [
        ("Linqing People's Hospital", "临清市人民医院", -0.6, 0.35, 800),
        ("Linqing Hospital of Traditional Chinese Medicine", "临清市中医院", 0.9, 0.9, 450),
        ("Linqing No.2 People's Hospital", "临清市第二人民医院", 1.6, -1.1, 300),
        ("Linqing Maternal and Child Health Hospital", "临清市妇幼保健院", -0.9, -0.8, 120),
    ];
    for (name, zh, x, y, beds) in city_hospitals {
        let mut p = place(Hospital, name, zh, km(x, y), "approximate; bed count approximate");
        p.beds = Some(beds);
        out.push(p);
    }
    for z in N_SUBDISTRICTS..ZONES.len() {
        let at = near_seat(geo, rng, z, 200.0, 600.0);
        let beds = (f64::from(ZONES[z].population) / 1_000.0 + rng_range(rng, -5.0, 5.0)).round().clamp(20.0, 60.0) as u32;
        let mut p = place(Hospital, &format!("{} Township Health Centre", ZONES[z].name), &format!("{}卫生院", ZONES[z].name_zh), at, "approximate; township health centre");
        p.beds = Some(beds);
        out.push(p);
    }

    // Fire stations: 3 in the city, one in each of the two biggest towns.
    out.push(place(FireStation, "Linqing Special Service Fire Station", "临清市特勤消防站", km(0.3, 0.6), APPROX));
    out.push(place(FireStation, "Xianfenglu Fire Station", "先锋路消防站", km(-1.3, -1.2), APPROX));
    out.push(place(FireStation, "Development Zone Fire Station", "开发区消防站", km(3.2, -0.6), APPROX));
    for z in [YANDIAN, KANGZHUANG] {
        let at = near_seat(geo, rng, z, 300.0, 700.0);
        out.push(place(FireStation, &format!("{} Town Fire Station", ZONES[z].name), &format!("{}专职消防站", ZONES[z].name_zh), at, "approximate; full-time town fire brigade"));
    }

    // Chemical plants in the economic development zone (fictional enterprises).
    let plants: [(&str, &str, f64, f64, &str); 5] = [
        ("Linqing Chlor-Alkali Plant", "临清氯碱化工厂", 5.2, -3.3, "fictional; chlor-alkali, liquid chlorine storage; approximate site"),
        ("Linqing Ammonia and Fertiliser Plant", "临清合成氨化肥厂", 4.3, -3.4, "fictional; ammonia synthesis and urea, anhydrous ammonia storage; approximate site"),
        ("Linqing Coatings Plant", "临清涂料厂", 5.3, -1.5, "fictional; solvent-based coatings; approximate site"),
        ("Linqing Fine Chemicals Plant", "临清精细化工厂", 4.9, -2.5, "fictional; fine chemicals; approximate site"),
        ("Linqing Pesticide Formulation Plant", "临清农药制剂厂", 3.3, -3.4, "fictional; pesticide formulation; approximate site"),
    ];
    for (name, zh, x, y, note) in plants {
        out.push(place(ChemicalPlant, name, zh, km(x, y), note));
    }
    out
}

// ---------------------------------------------------------------------------
// Step 10: checks and output
// ---------------------------------------------------------------------------

/// Panics unless the graph is connected, strongly connected, and every zone's node people
/// sum to its population; also checks places, names and edges.
fn check_map(g: &Graph, geo: &Geo, places: &[Place]) {
    let n = g.nodes.len();
    // Undirected and directed reachability from node 0.
    let mut und: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut fwd: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut bwd: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in &g.edges {
        let (a, b) = (e.a as usize, e.b as usize);
        und[a].push(b);
        und[b].push(a);
        fwd[a].push(b);
        bwd[b].push(a);
        if !e.oneway {
            fwd[b].push(a);
            bwd[a].push(b);
        }
    }
    let reach = |adj: &Vec<Vec<usize>>| {
        let mut seen = vec![false; n];
        let mut queue = VecDeque::from([0usize]);
        seen[0] = true;
        while let Some(u) = queue.pop_front() {
            for &v in &adj[u] {
                if !seen[v] {
                    seen[v] = true;
                    queue.push_back(v);
                }
            }
        }
        seen.iter().filter(|&&s| s).count()
    };
    assert_eq!(reach(&und), n, "the road graph is not connected");
    assert_eq!(reach(&fwd), n, "the road graph is not strongly connected (forward)");
    assert_eq!(reach(&bwd), n, "the road graph is not strongly connected (backward)");

    // Populations.
    let mut sums = vec![0u64; ZONES.len()];
    for node in &g.nodes {
        sums[usize::from(node.zone)] += u64::from(node.people);
    }
    for (z, spec) in ZONES.iter().enumerate() {
        assert_eq!(sums[z], u64::from(spec.population), "people of {} do not add up", spec.name);
    }
    let total: u32 = ZONES.iter().map(|z| z.population).sum();
    assert_eq!(total, TOTAL_POPULATION);
    let urban: u32 = ZONES.iter().filter(|z| z.kind == ZoneKind::Subdistrict).map(|z| z.population).sum();
    assert_eq!(urban, URBAN_POPULATION);
    for z in ZONES.iter().filter(|z| z.kind == ZoneKind::Town) {
        assert!((30_000..=55_000).contains(&z.population), "{} population out of range", z.name);
    }

    // Nodes inside, edges valid.
    for (i, node) in g.nodes.iter().enumerate() {
        assert!(geo.inside(node.p), "node {i} outside the boundary");
    }
    let mut keys = BTreeSet::new();
    for e in &g.edges {
        assert_ne!(e.a, e.b);
        assert!(keys.insert((e.a.min(e.b), e.a.max(e.b))), "duplicate edge {}-{}", e.a, e.b);
        assert!(geo.segment_inside(g.pos(e.a), g.pos(e.b)), "edge {}-{} leaves the boundary", e.a, e.b);
    }

    // Names: one namespace for zones, places and nodes (as in the loader).
    let mut names = BTreeSet::new();
    let mut add = |s: &str| assert!(names.insert(s.to_string()), "name used twice: {s}");
    for z in &ZONES {
        add(z.name);
        add(z.name_zh);
    }
    for p in places {
        add(&p.name);
        add(&p.name_zh);
    }
    for node in &g.nodes {
        if let Some(name) = &node.name {
            add(name);
        }
    }

    // Places inside, fire stations ≥ 200 m from chemical plants (GB 51080-2015 §4.1.3).
    for p in places {
        assert!(geo.inside(p.at), "{} outside the boundary", p.name);
    }
    for f in places.iter().filter(|p| p.kind == PlaceKind::FireStation) {
        for c in places.iter().filter(|p| p.kind == PlaceKind::ChemicalPlant) {
            assert!(f.at.dist(c.at) >= 200.0, "{} too close to {}", f.name, c.name);
        }
    }
}

/// Nearest road node a place is reached from (never an expressway shape node).
fn place_node(g: &Graph, p: Xy) -> u32 {
    g.nearest(p, |n| n.kind != NodeKind::Expressway)
}

fn to_map_file(g: &Graph, geo: &Geo, seat_nodes: &[u32], places: &[Place]) -> MapFile {
    let nodes: Vec<NodeDef> = g
        .nodes
        .iter()
        .map(|n| {
            let ll = rounded_latlon(n.p);
            NodeDef { lat: ll.lat, lon: ll.lon, zone: n.zone, people: n.people, name: n.name.clone() }
        })
        .collect();
    let edges = g
        .edges
        .iter()
        .map(|e| {
            let (na, nb) = (&nodes[e.a as usize], &nodes[e.b as usize]);
            let straight = haversine_m(LatLon { lat: na.lat, lon: na.lon }, LatLon { lat: nb.lat, lon: nb.lon });
            let length_m = round_to(straight * e.curvature, 0.1);
            assert!(length_m > 1.0, "edge {}-{} too short ({length_m} m)", e.a, e.b);
            EdgeDef {
                a: e.a,
                b: e.b,
                class: e.class,
                length_m,
                speed_kmh: e.class.default_speed_kmh(),
                lanes: e.class.default_lanes(),
                oneway: e.oneway,
                name: e.name.clone(),
                bridge: false,
                tunnel: false,
            }
        })
        .collect();
    let zones = ZONES
        .iter()
        .zip(seat_nodes)
        .map(|(z, &seat_node)| ZoneDef {
            name: z.name.into(),
            name_zh: z.name_zh.into(),
            kind: z.kind,
            seat: z.seat,
            population: z.population,
            seat_node,
        })
        .collect();
    let places = places
        .iter()
        .map(|p| PlaceDef {
            name: p.name.clone(),
            name_zh: p.name_zh.clone(),
            kind: p.kind,
            at: rounded_latlon(p.at),
            node: place_node(g, p.at),
            usable_m2: p.usable_m2,
            beds: p.beds,
            note: Some(p.note.clone()),
        })
        .collect();
    // The Wei canal runs on beyond the city at both ends: extend it by 2 km each way.
    let w = &geo.wei_canal;
    let (s0, s1) = (w[0], w[1]);
    let (n0, n1) = (w[w.len() - 1], w[w.len() - 2]);
    let mut wei = vec![s0.add(s0.sub(s1).mul(2_000.0 / s0.dist(s1)))];
    wei.extend(w.iter().copied());
    wei.push(n0.add(n0.sub(n1).mul(2_000.0 / n0.dist(n1))));
    let waterways = vec![
        WaterwayDef { name: "Wei Canal".into(), name_zh: "卫运河".into(), line: wei.into_iter().map(rounded_latlon).collect() },
        WaterwayDef {
            name: "Grand Canal".into(),
            name_zh: "京杭大运河".into(),
            line: geo.grand_canal.iter().map(|&p| rounded_latlon(p)).collect(),
        },
    ];
    MapFile {
        name: "Linqing".into(),
        name_zh: "临清市".into(),
        provenance: PROVENANCE.into(),
        origin: ORIGIN,
        zones,
        nodes,
        edges,
        places,
        waterways,
    }
}

fn is_village(n: &NodeDef) -> bool {
    n.name.as_deref().is_some_and(|s| s.contains("村 ("))
}

fn print_summary(file: &MapFile, geo: &Geo, raster: &ZoneRaster, junctions: usize, out: &std::path::Path, bytes: usize) {
    println!("wrote {} ({:.1} KiB)", out.display(), bytes as f64 / 1024.0);
    println!(
        "boundary {:.1} km², urban disc r = {:.0} m ({:.1} km² inside the boundary)",
        polygon_area(&geo.boundary) / 1e6,
        geo.urban_r,
        URBAN_AREA_KM2
    );
    println!("nodes {}, edges {} ({} junctions from crossings)", file.nodes.len(), file.edges.len(), junctions);
    let mut km_by_class: BTreeMap<RoadClass, (usize, f64)> = BTreeMap::new();
    for e in &file.edges {
        let v = km_by_class.entry(e.class).or_default();
        v.0 += 1;
        v.1 += e.length_m / 1000.0;
    }
    for (c, (n, k)) in &km_by_class {
        println!("  {c:?}: {n} edges, {k:.1} km");
    }
    let villages = file.nodes.iter().filter(|n| is_village(n)).count();
    println!("villages {villages}");
    println!("zones:");
    for (i, z) in file.zones.iter().enumerate() {
        let nodes = file.nodes.iter().filter(|n| usize::from(n.zone) == i).count();
        let v = file.nodes.iter().filter(|n| usize::from(n.zone) == i && is_village(n)).count();
        println!(
            "  {:>2} {:<14} {:<6} pop {:>6}  area {:>6.1} km²  nodes {:>4}  villages {:>3}",
            i,
            z.name,
            z.name_zh,
            z.population,
            raster.area_km2(i),
            nodes,
            v
        );
    }
    let mut by_kind: BTreeMap<PlaceKind, usize> = BTreeMap::new();
    for p in &file.places {
        *by_kind.entry(p.kind).or_default() += 1;
    }
    println!("places {}:", file.places.len());
    for (k, n) in &by_kind {
        println!("  {k:?}: {n}");
    }
    let urban_shelter: f64 = file
        .places
        .iter()
        .filter(|p| p.kind == PlaceKind::Shelter && usize::from(file.nodes[p.node as usize].zone) < N_SUBDISTRICTS)
        .filter_map(|p| p.usable_m2)
        .sum();
    println!(
        "urban shelter area {:.0} m² = {:.2} m² per urban resident (plan target 2.5)",
        urban_shelter,
        urban_shelter / f64::from(URBAN_POPULATION)
    );
    let people: u64 = file.nodes.iter().map(|n| u64::from(n.people)).sum();
    println!("total population {people}");
}

fn main() {
    let out: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/maps/linqing.ron"));
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);

    let geo = Geo::build();
    let raster = ZoneRaster::build(&geo);
    let mut g = Graph::default();
    let grid = build_urban_grid(&mut g, &geo);
    let seat_nodes = add_town_seats(&mut g, &geo);
    let dev = build_dev_zone(&mut g, &geo);
    build_trunk_roads(&mut g, &geo, &mut rng, &seat_nodes, &grid, &dev);
    let mut junctions = split_crossings(&mut g, &geo);
    let villages = place_villages(&mut g, &geo, &mut rng, &raster);
    link_villages(&mut g, &geo, &mut rng, &villages);
    link_village_neighbours(&mut g, &geo, &mut rng, &villages);
    junctions += split_crossings(&mut g, &geo);
    assign_people(&mut g, &mut rng, &seat_nodes);
    let places = build_places(&geo, &mut rng);
    check_map(&g, &geo, &places);

    let file = to_map_file(&g, &geo, &seat_nodes, &places);
    let config = ron::ser::PrettyConfig::new().depth_limit(2);
    let mut text = ron::ser::to_string_pretty(&file, config).expect("serialize map");
    text.push('\n');
    // Round trip: the text must parse back into the schema the loader uses.
    let back: MapFile = ron::Options::default().from_str(&text).expect("the written map does not parse");
    assert_eq!((back.nodes.len(), back.edges.len(), back.places.len()), (file.nodes.len(), file.edges.len(), file.places.len()));
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).expect("create output folder");
    }
    std::fs::write(&out, &text).unwrap_or_else(|e| panic!("write {}: {e}", out.display()));
    print_summary(&file, &geo, &raster, junctions, &out, text.len());
}
