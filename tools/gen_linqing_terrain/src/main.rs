//! Generator for `assets/maps/linqing-dem.asc` and
//! `assets/maps/linqing-landuse.asc`: an approximate, synthetic terrain and
//! land-use raster for the bundled Linqing map (`assets/maps/linqing.ron`).
//!
//! The rasters are **not survey data**. They are drawn from the map itself
//! (waterways, roads, zones, villages, places) and from a few general facts
//! about the site (north-west Shandong on the North China Plain, about
//! 30–40 m above sea level, falling gently to the north-east; the Wei canal
//! 卫运河 on the Hebei border and the Grand Canal 京杭大运河 through the city,
//! both between levees; `shared/DOMAIN.md`, "Linqing facts", elevation marked
//! "verify"). Every hand-set number below is an approximation chosen to give
//! the flood and fire models a plausible landscape, and says so.
//!
//! # Grid
//! 100 m square cells in the map's local metres (x east, y north of the map
//! origin, the equirectangular projection of `tabletop::city::Projection`),
//! covering the bounding box of all road nodes plus a 2 km margin, snapped
//! outward to whole cells. `xllcorner`/`yllcorner` in the files are those
//! local metres, so the loader maps a file 1:1 onto a `Grid<f64>`.
//!
//! # Method, step by step
//! 1. **Canals** ([`canal_fields`]): each waterway polyline is extended along
//!    its end segments to the grid edge (except an end that joins another
//!    waterway: the Grand Canal's mouth on the Wei). A cell is channel if its
//!    centre is within half the channel width of the line, or the line passes
//!    through it (so the channel is 4-connected). Levee cells are the ring of
//!    cells touching a channel cell (8-neighbourhood) that are not channel
//!    themselves, so no plain cell touches the water directly.
//! 2. **Land use** ([`land_use`]): by priority Water (channels) > Park (levee
//!    crests: grass embankments; park/square shelters) > Road (national and
//!    provincial roads, the cells the road passes through) > Industrial
//!    (within 260 m of the development-zone streets, 250 m of chemical plants
//!    and factories) > Village in the old town (a disc of 600 m around the
//!    place whose note says "old town": low-rise courtyard houses) >
//!    UrbanBlock (within 150 m of the subdistricts' urban streets) > Village
//!    (a disc of `150 m² × residents` around each village and town-seat node)
//!    > Cropland.
//! 3. **Plain** ([`plain_elevation`]): a planar trend falling 0.25 m/km to the
//!    north-east, 35 m at the map origin (the city), plus four octaves of
//!    value noise (wavelengths 8, 4, 2, 1 km; amplitudes 0.45, 0.25, 0.15,
//!    0.10 m: within ±1 m), plus fills: urban blocks +0.8 m, industrial land
//!    +0.5 m (both blurred over ±200 m), village mounds +0.3 m (±100 m),
//!    national road embankments +0.8 m, provincial +0.6 m (one cell wide).
//! 4. **Channels and levees** ([`carve_canals`]): channel bed = the plain
//!    trend minus the channel depth (Wei 5 m, Grand Canal 4 m), made
//!    non-increasing downstream (running minimum along the line); levee crest
//!    = the plain at that cell plus the levee height (Wei 5 m, Grand Canal 4 m).
//! 5. **Checks** ([`check`]): no NaN; along each canal every 200 m, on both
//!    banks, levee crest > plain > channel bed; each channel is 4-connected
//!    from end to end; no plain cell touches a channel cell; generating twice
//!    gives the same bytes.
//!
//! Determinism: no random number generator state, only a fixed-seed hash
//! ([`SEED`]) for the noise lattice; iteration in index order.
//!
//! Regenerate (from the repository root):
//! `CARGO_TARGET_DIR=/tmp/terrain-target cargo run --release --manifest-path tools/gen_linqing_terrain/Cargo.toml [-- MAP.ron OUT_DIR]`

#![forbid(unsafe_code)]

// The same module tree as the main crate, so `terrain.rs` resolves
// `crate::hazard::grid::Grid` here too. (A `#[path]` on the inline module sets
// the folder its children are read from.)
#[path = "../../../src/hazard"]
mod hazard {
    #[allow(dead_code)]
    pub mod grid;
}
#[path = "../../../src/city"]
mod city {
    pub mod map_schema;
    #[allow(dead_code)]
    pub mod terrain;
}

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use city::map_schema::{LatLon, MapFile, PlaceKind, RoadClass, ZoneKind};
use city::terrain::{AscGrid, LandUse, read_asc, write_asc};
use hazard::grid::Grid;

// ---------------------------------------------------------------------------
// Parameters (all approximations; see the crate doc)
// ---------------------------------------------------------------------------

/// Seed of the noise lattice hash.
const SEED: u64 = 0x4C51_5445_5252_4E31; // "LQTERRN1"
/// Cell size, m.
const CELL_M: f64 = 100.0;
/// Margin around the bounding box of the road nodes, m.
const MARGIN_M: f64 = 2000.0;
/// Mean Earth radius, m (IUGG), as in `src/city/mod.rs`.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Plain elevation at the map origin (the city), m a.s.l. Approximation:
/// DOMAIN.md gives 30–40 m for the county (verify).
const ELEV_ORIGIN_M: f64 = 35.0;
/// Regional fall toward the north-east, m per km (approximation of the
/// Yellow River alluvial fan sloping SW → NE).
const FALL_M_PER_KM: f64 = 0.25;
/// Value-noise octaves: (wavelength m, amplitude m); amplitudes sum to 0.95 m.
const NOISE_OCTAVES: [(f64, f64); 4] = [(8000.0, 0.45), (4000.0, 0.25), (2000.0, 0.15), (1000.0, 0.10)];

/// Fill under urban blocks, m (raised building plots and streets).
const URBAN_FILL_M: f64 = 0.8;
/// Fill under industrial land, m.
const INDUSTRIAL_FILL_M: f64 = 0.5;
/// Village mound (house plots raised above the fields), m.
const VILLAGE_MOUND_M: f64 = 0.3;
/// National road embankment above the plain, m.
const NATIONAL_EMBANKMENT_M: f64 = 0.8;
/// Provincial road embankment above the plain, m.
const PROVINCIAL_EMBANKMENT_M: f64 = 0.6;

/// Urban block: cells within this distance of a subdistrict urban street, m
/// (the urban street grid is 250 m, so this covers it and one cell beyond).
const URBAN_REACH_M: f64 = 150.0;
/// Industrial: cells within this distance of a development-zone street, m
/// (the zone's street grid is 500 m, so block centres are 250 m from a street).
const DEV_REACH_M: f64 = 260.0;
/// Industrial: radius around chemical plants and factories, m.
const PLANT_RADIUS_M: f64 = 250.0;
/// Village land per resident, m² (planning assumption: rural homestead land
/// on the North China Plain is commonly 150–200 m² per person (verify)).
const VILLAGE_M2_PER_PERSON: f64 = 150.0;
/// Village disc radius bounds, m (small villages still fill one cell and
/// their neighbours; town seats are capped).
const VILLAGE_RADIUS_M: (f64, f64) = (150.0, 700.0);
/// Minimum park radius, m (a park or square always covers its own cell).
const PARK_MIN_RADIUS_M: f64 = 50.0;
/// Old town: radius of the disc of low-rise courtyard houses around the place
/// whose note mentions the old town (Linqing's Ming–Qing quarter by the canals
/// near Aotouji), m (approximate).
const OLD_TOWN_RADIUS_M: f64 = 600.0;

/// A canal's cross-section (approximations, not survey data).
struct CanalSpec {
    /// Matched against the waterway's `name` or `name_zh`.
    names: [&'static str; 2],
    /// Channel width, m.
    width_m: f64,
    /// Channel bed below the plain trend, m.
    depth_m: f64,
    /// Levee crest above the plain, m.
    levee_m: f64,
}

/// Wei canal: a wide regulated river (≈150–250 m between banks); Grand
/// Canal: the old canal, ≈60–100 m. Depths 3–6 m, levees 4–6 m.
const CANALS: [CanalSpec; 2] = [
    CanalSpec {
        names: ["Wei Canal", "卫运河"],
        width_m: 200.0,
        depth_m: 5.0,
        levee_m: 5.0,
    },
    CanalSpec {
        names: ["Grand Canal", "京杭大运河"],
        width_m: 80.0,
        depth_m: 4.0,
        levee_m: 4.0,
    },
];
/// Cross-section for a waterway not in [`CANALS`].
const DEFAULT_CANAL: CanalSpec = CanalSpec {
    names: ["", ""],
    width_m: 100.0,
    depth_m: 4.0,
    levee_m: 4.0,
};
/// An end of a waterway within this distance of another waterway joins it
/// (is not extended to the grid edge), m.
const JOIN_M: f64 = 300.0;

// ---------------------------------------------------------------------------
// Geometry
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
struct Xy {
    x: f64,
    y: f64,
}

impl Xy {
    fn dist(self, o: Xy) -> f64 {
        (self.x - o.x).hypot(self.y - o.y)
    }
}

/// The map's projection (mirrors `tabletop::city::Projection`).
struct Projection {
    origin: LatLon,
    cos_lat: f64,
}

impl Projection {
    fn new(origin: LatLon) -> Self {
        Projection {
            origin,
            cos_lat: origin.lat.to_radians().cos(),
        }
    }
    fn to_xy(&self, p: LatLon) -> Xy {
        Xy {
            x: (p.lon - self.origin.lon).to_radians() * self.cos_lat * EARTH_RADIUS_M,
            y: (p.lat - self.origin.lat).to_radians() * EARTH_RADIUS_M,
        }
    }
    fn to_latlon(&self, p: Xy) -> LatLon {
        LatLon {
            lat: self.origin.lat + (p.y / EARTH_RADIUS_M).to_degrees(),
            lon: self.origin.lon + (p.x / (EARTH_RADIUS_M * self.cos_lat)).to_degrees(),
        }
    }
}

/// Distance from `p` to segment `a`–`b` and the parameter t ∈ [0, 1] of the nearest point.
fn seg_dist(p: Xy, a: Xy, b: Xy) -> (f64, f64) {
    let (vx, vy) = (b.x - a.x, b.y - a.y);
    let len2 = vx * vx + vy * vy;
    let t = if len2 > 0.0 {
        (((p.x - a.x) * vx + (p.y - a.y) * vy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let q = Xy {
        x: a.x + t * vx,
        y: a.y + t * vy,
    };
    (p.dist(q), t)
}

/// Distance from `p` to a polyline.
fn polyline_dist(p: Xy, line: &[Xy]) -> f64 {
    match line {
        [] => f64::INFINITY,
        [only] => p.dist(*only),
        _ => line
            .windows(2)
            .map(|w| seg_dist(p, w[0], w[1]).0)
            .fold(f64::INFINITY, f64::min),
    }
}

/// Index range of cells whose centres may lie within `reach` of the box `lo`–`hi`.
fn cell_range<T>(g: &Grid<T>, lo: Xy, hi: Xy, reach: f64) -> Option<(usize, usize, usize, usize)> {
    let to_i = |v: f64, v0: f64, n: usize| ((v - v0) / g.dx - 0.5).clamp(-1.0, n as f64) as i64;
    let i0 = to_i(lo.x - reach, g.x0, g.nx).max(0);
    let i1 = (to_i(hi.x + reach, g.x0, g.nx) + 1).min(g.nx as i64 - 1);
    let j0 = to_i(lo.y - reach, g.y0, g.ny).max(0);
    let j1 = (to_i(hi.y + reach, g.y0, g.ny) + 1).min(g.ny as i64 - 1);
    (i0 <= i1 && j0 <= j1).then_some((i0 as usize, i1 as usize, j0 as usize, j1 as usize))
}

/// Mark every cell whose centre lies within `reach` of segment `a`–`b`.
fn mark_near_segment(mask: &mut Grid<bool>, a: Xy, b: Xy, reach: f64) {
    let lo = Xy {
        x: a.x.min(b.x),
        y: a.y.min(b.y),
    };
    let hi = Xy {
        x: a.x.max(b.x),
        y: a.y.max(b.y),
    };
    let Some((i0, i1, j0, j1)) = cell_range(mask, lo, hi, reach) else {
        return;
    };
    for j in j0..=j1 {
        for i in i0..=i1 {
            let (x, y) = mask.centre(i, j);
            if seg_dist(Xy { x, y }, a, b).0 <= reach {
                *mask.at_mut(i, j) = true;
            }
        }
    }
}

/// Mark the cells segment `a`–`b` passes through, 4-connected: where the line
/// steps diagonally between samples, the side cell nearer the line is added.
fn mark_supercover(mask: &mut Grid<bool>, a: Xy, b: Xy) {
    let (x0, y0, dx, nx, ny) = (mask.x0, mask.y0, mask.dx, mask.nx, mask.ny);
    let steps = ((a.dist(b) / (dx / 8.0)).ceil() as usize).max(1);
    let cell = |p: Xy| (((p.x - x0) / dx).floor() as i64, ((p.y - y0) / dx).floor() as i64);
    let centre = |(i, j): (i64, i64)| Xy {
        x: x0 + (i as f64 + 0.5) * dx,
        y: y0 + (j as f64 + 0.5) * dx,
    };
    let mut set = |(i, j): (i64, i64)| {
        if i >= 0 && j >= 0 && (i as usize) < nx && (j as usize) < ny {
            *mask.at_mut(i as usize, j as usize) = true;
        }
    };
    let mut prev = cell(a);
    set(prev);
    for k in 1..=steps {
        let t = k as f64 / steps as f64;
        let cur = cell(Xy {
            x: a.x + t * (b.x - a.x),
            y: a.y + t * (b.y - a.y),
        });
        if cur != prev {
            if cur.0 != prev.0 && cur.1 != prev.1 {
                let (side_a, side_b) = ((cur.0, prev.1), (prev.0, cur.1));
                let da = seg_dist(centre(side_a), a, b).0;
                let db = seg_dist(centre(side_b), a, b).0;
                set(if da <= db { side_a } else { side_b });
            }
            set(cur);
            prev = cur;
        }
    }
}

/// Mark every cell whose centre lies within `radius` of `c`, and the cell containing `c`.
fn mark_disc(mask: &mut Grid<bool>, c: Xy, radius: f64) {
    if let Some((i, j)) = mask.cell_of(c.x, c.y) {
        *mask.at_mut(i, j) = true;
    }
    mark_near_segment(mask, c, c, radius);
}

/// Box-filter a 0/1 mask with a (2r+1)² window (cells outside the grid count as 0).
fn blur(mask: &Grid<bool>, r: usize) -> Grid<f64> {
    let mut out = Grid::like(mask, 0.0);
    let n = ((2 * r + 1) * (2 * r + 1)) as f64;
    for j in 0..mask.ny {
        for i in 0..mask.nx {
            let mut s = 0usize;
            for jj in j.saturating_sub(r)..=(j + r).min(mask.ny - 1) {
                for ii in i.saturating_sub(r)..=(i + r).min(mask.nx - 1) {
                    s += usize::from(*mask.at(ii, jj));
                }
            }
            *out.at_mut(i, j) = s as f64 / n;
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Noise and trend
// ---------------------------------------------------------------------------

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Lattice value in [−1, 1] for octave `o` at integer point (ix, iy).
fn lattice(o: u64, ix: i64, iy: i64) -> f64 {
    let h = splitmix64(SEED ^ splitmix64(o ^ splitmix64((ix as u64) ^ splitmix64(iy as u64 ^ 0xA5A5))));
    (h >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
}

/// Quintic smoothstep (C² value noise).
fn fade(t: f64) -> f64 {
    t * t * t * (t * (t * 6.0 - 15.0) + 10.0)
}

/// Value noise, m: the sum of [`NOISE_OCTAVES`], each bilinear between lattice values with quintic fade.
fn noise(p: Xy) -> f64 {
    let mut z = 0.0;
    for (o, &(wavelength, amplitude)) in NOISE_OCTAVES.iter().enumerate() {
        // Offset each octave so lattice points do not line up at the origin.
        let u = p.x / wavelength + 0.37 * (o as f64 + 1.0);
        let v = p.y / wavelength + 0.61 * (o as f64 + 1.0);
        let (iu, iv) = (u.floor(), v.floor());
        let (fu, fv) = (fade(u - iu), fade(v - iv));
        let (iu, iv) = (iu as i64, iv as i64);
        let o = o as u64;
        let a = lattice(o, iu, iv) + fu * (lattice(o, iu + 1, iv) - lattice(o, iu, iv));
        let b = lattice(o, iu, iv + 1) + fu * (lattice(o, iu + 1, iv + 1) - lattice(o, iu, iv + 1));
        z += amplitude * (a + fv * (b - a));
    }
    z
}

/// Planar regional trend, m a.s.l.: [`ELEV_ORIGIN_M`] at the origin, falling
/// [`FALL_M_PER_KM`] toward the north-east.
fn trend(p: Xy) -> f64 {
    ELEV_ORIGIN_M - FALL_M_PER_KM / 1000.0 * (p.x + p.y) / std::f64::consts::SQRT_2
}

// ---------------------------------------------------------------------------
// Step 1: canals
// ---------------------------------------------------------------------------

/// One projected waterway with its cross-section and rasterised channel.
struct Canal {
    name: String,
    width_m: f64,
    depth_m: f64,
    levee_m: f64,
    /// The polyline as in the map.
    line: Vec<Xy>,
    /// The polyline extended to the grid edge at free ends.
    extended: Vec<Xy>,
    /// Channel cells.
    channel: Grid<bool>,
    /// Bed elevation per channel cell (NaN elsewhere), m.
    bed: Grid<f64>,
}

/// Extend a polyline along its end segments by `len` at the ends flagged in `extend`.
fn extend_line(line: &[Xy], extend: (bool, bool), len: f64) -> Vec<Xy> {
    let mut out = line.to_vec();
    if line.len() < 2 {
        return out;
    }
    let push_out = |from: Xy, to: Xy| {
        let d = from.dist(to).max(1e-9);
        Xy {
            x: to.x + (to.x - from.x) / d * len,
            y: to.y + (to.y - from.y) / d * len,
        }
    };
    if extend.0 {
        out.insert(0, push_out(line[1], line[0]));
    }
    if extend.1 {
        out.push(push_out(line[line.len() - 2], line[line.len() - 1]));
    }
    out
}

/// Project the waterways, extend free ends, rasterise channels and compute the bed profile.
fn canal_fields(map: &MapFile, proj: &Projection, g: &Grid<f64>) -> Vec<Canal> {
    let lines: Vec<Vec<Xy>> = map
        .waterways
        .iter()
        .map(|w| w.line.iter().map(|&p| proj.to_xy(p)).collect())
        .collect();
    let diag = (g.nx as f64).hypot(g.ny as f64) * g.dx;
    let mut canals = Vec::new();
    for (k, w) in map.waterways.iter().enumerate() {
        let spec = CANALS
            .iter()
            .find(|c| c.names.contains(&w.name.as_str()) || c.names.contains(&w.name_zh.as_str()))
            .unwrap_or_else(|| {
                eprintln!("warning: waterway {:?} has no cross-section; using the default", w.name);
                &DEFAULT_CANAL
            });
        let line = lines[k].clone();
        let joins = |p: Option<&Xy>| {
            p.is_some_and(|&p| {
                lines
                    .iter()
                    .enumerate()
                    .any(|(o, l)| o != k && polyline_dist(p, l) <= JOIN_M)
            })
        };
        let extended = extend_line(&line, (!joins(line.first()), !joins(line.last())), diag);
        let mut channel = Grid::like(g, false);
        for s in extended.windows(2) {
            mark_near_segment(&mut channel, s[0], s[1], spec.width_m / 2.0);
            mark_supercover(&mut channel, s[0], s[1]);
        }
        // Bed profile along the extended line: trend − depth, non-increasing downstream.
        let mut chain = vec![0.0];
        for s in extended.windows(2) {
            chain.push(chain.last().copied().unwrap_or(0.0) + s[0].dist(s[1]));
        }
        let step = 25.0;
        let total = chain.last().copied().unwrap_or(0.0);
        let mut profile = Vec::new();
        let mut running = f64::INFINITY;
        let mut seg = 0;
        let mut s = 0.0;
        while s <= total + step {
            let s_c = s.min(total);
            while seg + 2 < chain.len() && chain[seg + 1] < s_c {
                seg += 1;
            }
            let p = if extended.len() >= 2 {
                let len = (chain[seg + 1] - chain[seg]).max(1e-9);
                let t = ((s_c - chain[seg]) / len).clamp(0.0, 1.0);
                let (a, b) = (extended[seg], extended[seg + 1]);
                Xy {
                    x: a.x + t * (b.x - a.x),
                    y: a.y + t * (b.y - a.y),
                }
            } else {
                extended.first().copied().unwrap_or(Xy { x: 0.0, y: 0.0 })
            };
            running = running.min(trend(p) - spec.depth_m);
            profile.push(running);
            s += step;
        }
        let mut bed = Grid::like(g, f64::NAN);
        for j in 0..g.ny {
            for i in 0..g.nx {
                if !*channel.at(i, j) {
                    continue;
                }
                let (x, y) = g.centre(i, j);
                let p = Xy { x, y };
                // Chainage of the nearest point on the line.
                let mut best = (f64::INFINITY, 0.0);
                for (sidx, w2) in extended.windows(2).enumerate() {
                    let (d, t) = seg_dist(p, w2[0], w2[1]);
                    if d < best.0 {
                        best = (d, chain[sidx] + t * (chain[sidx + 1] - chain[sidx]));
                    }
                }
                let idx = ((best.1 / step).round() as usize).min(profile.len().saturating_sub(1));
                *bed.at_mut(i, j) = profile.get(idx).copied().unwrap_or(trend(p) - spec.depth_m);
            }
        }
        canals.push(Canal {
            name: w.name.clone(),
            width_m: spec.width_m,
            depth_m: spec.depth_m,
            levee_m: spec.levee_m,
            line,
            extended,
            channel,
            bed,
        });
    }
    canals
}

/// Levee cells: not channel, with a channel cell among the 8 neighbours. Value:
/// the highest levee height of the canals it borders (0 = not a levee).
fn levee_heights(canals: &[Canal], water: &Grid<bool>) -> Grid<f64> {
    let mut levee = Grid::like(water, 0.0);
    for j in 0..water.ny {
        for i in 0..water.nx {
            if *water.at(i, j) {
                continue;
            }
            for c in canals {
                let touches = (j.saturating_sub(1)..=(j + 1).min(water.ny - 1))
                    .any(|jj| (i.saturating_sub(1)..=(i + 1).min(water.nx - 1)).any(|ii| *c.channel.at(ii, jj)));
                if touches {
                    let h: &mut f64 = levee.at_mut(i, j);
                    *h = h.max(c.levee_m);
                }
            }
        }
    }
    levee
}

// ---------------------------------------------------------------------------
// Step 2: land use
// ---------------------------------------------------------------------------

/// The masks the land use and the plain are built from.
struct Masks {
    water: Grid<bool>,
    /// Levee height, m (0 = no levee).
    levee: Grid<f64>,
    park: Grid<bool>,
    national: Grid<bool>,
    provincial: Grid<bool>,
    industrial: Grid<bool>,
    urban: Grid<bool>,
    village: Grid<bool>,
    old_town: Grid<bool>,
}

fn build_masks(map: &MapFile, proj: &Projection, g: &Grid<f64>, canals: &[Canal]) -> Masks {
    let xy: Vec<Xy> = map
        .nodes
        .iter()
        .map(|n| proj.to_xy(LatLon { lat: n.lat, lon: n.lon }))
        .collect();
    let in_subdistrict = |n: u32| {
        map.nodes
            .get(n as usize)
            .and_then(|n| map.zones.get(n.zone as usize))
            .is_some_and(|z| z.kind == ZoneKind::Subdistrict)
    };
    let mut water = Grid::like(g, false);
    for c in canals {
        for (w, &ch) in water.data.iter_mut().zip(&c.channel.data) {
            *w |= ch;
        }
    }
    let levee = levee_heights(canals, &water);

    let (mut national, mut provincial) = (Grid::like(g, false), Grid::like(g, false));
    let (mut urban, mut industrial) = (Grid::like(g, false), Grid::like(g, false));
    for e in &map.edges {
        let (Some(&a), Some(&b)) = (xy.get(e.a as usize), xy.get(e.b as usize)) else {
            continue;
        };
        let dev_street = e.name.as_deref().is_some_and(|n| n.starts_with("开发区"));
        match e.class {
            RoadClass::National => mark_supercover(&mut national, a, b),
            RoadClass::Provincial => mark_supercover(&mut provincial, a, b),
            RoadClass::UrbanArterial | RoadClass::UrbanBranch => {
                if dev_street || !(in_subdistrict(e.a) && in_subdistrict(e.b)) {
                    mark_near_segment(&mut industrial, a, b, DEV_REACH_M);
                } else {
                    mark_near_segment(&mut urban, a, b, URBAN_REACH_M);
                }
            }
            _ => {}
        }
    }

    let mut park = Grid::like(g, false);
    let mut old_town = Grid::like(g, false);
    for p in &map.places {
        let at = proj.to_xy(p.at);
        if p.note.as_deref().is_some_and(|n| n.contains("old town")) {
            mark_disc(&mut old_town, at, OLD_TOWN_RADIUS_M);
        }
        match p.kind {
            PlaceKind::ChemicalPlant | PlaceKind::Factory => mark_disc(&mut industrial, at, PLANT_RADIUS_M),
            PlaceKind::Shelter => {
                let text = format!("{} {}", p.name, p.note.as_deref().unwrap_or("")).to_lowercase();
                if text.contains("park") || text.contains("square") {
                    let r = (p.usable_m2.unwrap_or(0.0) / std::f64::consts::PI)
                        .sqrt()
                        .max(PARK_MIN_RADIUS_M);
                    mark_disc(&mut park, at, r);
                }
            }
            _ => {}
        }
    }

    let mut village = Grid::like(g, false);
    for (k, n) in map.nodes.iter().enumerate() {
        let town = map.zones.get(n.zone as usize).is_some_and(|z| z.kind == ZoneKind::Town);
        if town && n.people > 0 {
            let r = (f64::from(n.people) * VILLAGE_M2_PER_PERSON / std::f64::consts::PI)
                .sqrt()
                .clamp(VILLAGE_RADIUS_M.0, VILLAGE_RADIUS_M.1);
            mark_disc(&mut village, xy[k], r);
        }
    }
    Masks {
        water,
        levee,
        park,
        national,
        provincial,
        industrial,
        urban,
        village,
        old_town,
    }
}

/// Land use by the priority in the crate doc.
fn land_use(m: &Masks) -> Grid<LandUse> {
    let mut lu = Grid::like(&m.water, LandUse::Cropland);
    for k in 0..lu.data.len() {
        lu.data[k] = if m.water.data[k] {
            LandUse::Water
        } else if m.levee.data[k] > 0.0 || m.park.data[k] {
            LandUse::Park
        } else if m.national.data[k] || m.provincial.data[k] {
            LandUse::Road
        } else if m.industrial.data[k] {
            LandUse::Industrial
        } else if m.old_town.data[k] && m.urban.data[k] {
            LandUse::Village
        } else if m.urban.data[k] {
            LandUse::UrbanBlock
        } else if m.village.data[k] {
            LandUse::Village
        } else {
            LandUse::Cropland
        };
    }
    lu
}

// ---------------------------------------------------------------------------
// Steps 3–4: elevation
// ---------------------------------------------------------------------------

/// Plain elevation (trend + noise + fills + embankments), everywhere, m.
fn plain_elevation(g: &Grid<f64>, m: &Masks, lu: &Grid<LandUse>) -> Grid<f64> {
    let only = |c: LandUse| Grid {
        data: lu.data.iter().map(|&l| l == c).collect(),
        ..Grid::like(lu, false)
    };
    let urban = blur(&only(LandUse::UrbanBlock), 2);
    let industrial = blur(&only(LandUse::Industrial), 2);
    let village = blur(&only(LandUse::Village), 1);
    let mut z = Grid::like(g, 0.0);
    for j in 0..g.ny {
        for i in 0..g.nx {
            let (x, y) = g.centre(i, j);
            let p = Xy { x, y };
            let k = g.idx(i, j);
            let embankment = if m.national.data[k] {
                NATIONAL_EMBANKMENT_M
            } else if m.provincial.data[k] {
                PROVINCIAL_EMBANKMENT_M
            } else {
                0.0
            };
            z.data[k] = trend(p)
                + noise(p)
                + URBAN_FILL_M * urban.data[k]
                + INDUSTRIAL_FILL_M * industrial.data[k]
                + VILLAGE_MOUND_M * village.data[k]
                + embankment;
        }
    }
    z
}

/// Cut the channels and raise the levees.
fn carve_canals(plain: &Grid<f64>, canals: &[Canal], m: &Masks) -> Grid<f64> {
    let mut z = plain.clone();
    for k in 0..z.data.len() {
        if m.water.data[k] {
            z.data[k] = canals
                .iter()
                .map(|c| c.bed.data[k])
                .filter(|v| !v.is_nan())
                .fold(f64::INFINITY, f64::min);
        } else if m.levee.data[k] > 0.0 {
            z.data[k] = plain.data[k] + m.levee.data[k];
        }
    }
    z
}

// ---------------------------------------------------------------------------
// Step 5: checks and output
// ---------------------------------------------------------------------------

/// Results of the checks along one canal.
struct CanalCheck {
    name: String,
    sections: usize,
    failures: Vec<String>,
    min_crest_over_plain: f64,
    min_plain_over_bed: f64,
    connected: bool,
    channel_cells: usize,
}

/// Check levee crest > plain > bed along each canal, channel connectivity and watertight levees.
fn check(dem: &Grid<f64>, canals: &[Canal], m: &Masks) -> (Vec<CanalCheck>, Vec<String>) {
    let mut general = Vec::new();
    if let Some(k) = dem.data.iter().position(|v| !v.is_finite()) {
        general.push(format!("DEM cell {k} is not finite"));
    }
    // No plain cell is 4-adjacent to a channel cell.
    for j in 0..dem.ny {
        for i in 0..dem.nx {
            let k = dem.idx(i, j);
            if m.water.data[k] || m.levee.data[k] > 0.0 {
                continue;
            }
            let nb = [(i.wrapping_sub(1), j), (i + 1, j), (i, j.wrapping_sub(1)), (i, j + 1)];
            if nb
                .iter()
                .any(|&(a, b)| a < dem.nx && b < dem.ny && m.water.data[dem.idx(a, b)])
            {
                general.push(format!("plain cell ({i}, {j}) touches a channel cell"));
            }
        }
    }
    let in_grid = |p: Xy| dem.cell_of(p.x, p.y);
    let mut out = Vec::new();
    for c in canals {
        let mut chk = CanalCheck {
            name: c.name.clone(),
            sections: 0,
            failures: Vec::new(),
            min_crest_over_plain: f64::INFINITY,
            min_plain_over_bed: f64::INFINITY,
            connected: false,
            channel_cells: c.channel.data.iter().filter(|&&b| b).count(),
        };
        for s in c.line.windows(2) {
            let (a, b) = (s[0], s[1]);
            let len = a.dist(b);
            if len <= 0.0 {
                continue;
            }
            let (ux, uy) = ((b.x - a.x) / len, (b.y - a.y) / len);
            let normal = [(-uy, ux), (uy, -ux)];
            let mut t = 0.0;
            while t < len {
                let p = Xy {
                    x: a.x + ux * t,
                    y: a.y + uy * t,
                };
                t += 200.0;
                let Some((pi, pj)) = in_grid(p) else { continue };
                let k = dem.idx(pi, pj);
                if !c.channel.data[k] {
                    chk.failures
                        .push(format!("({:.0}, {:.0}): the line's own cell is not channel", p.x, p.y));
                    continue;
                }
                let bed = dem.data[k];
                for (nx, ny) in normal {
                    // Walk out: channel → levee → plain (the second non-levee cell beyond).
                    let mut step = 0.0;
                    let mut crest = None;
                    let mut plain = None;
                    let mut stop = false;
                    while step < 1500.0 && plain.is_none() && !stop {
                        step += 20.0;
                        let q = Xy {
                            x: p.x + nx * step,
                            y: p.y + ny * step,
                        };
                        let Some((qi, qj)) = in_grid(q) else {
                            stop = true;
                            continue;
                        };
                        let qk = dem.idx(qi, qj);
                        if m.water.data[qk] {
                            if crest.is_some() || !c.channel.data[qk] {
                                stop = true; // another channel: the confluence
                            }
                        } else if m.levee.data[qk] > 0.0 {
                            crest = Some(crest.map_or(dem.data[qk], |v: f64| v.max(dem.data[qk])));
                        } else if crest.is_some() {
                            // One cell further from the levee toe.
                            let r = Xy {
                                x: q.x + nx * dem.dx,
                                y: q.y + ny * dem.dx,
                            };
                            match in_grid(r) {
                                Some((ri, rj))
                                    if !m.water.data[dem.idx(ri, rj)] && m.levee.data[dem.idx(ri, rj)] == 0.0 =>
                                {
                                    plain = Some(dem.data[dem.idx(ri, rj)]);
                                }
                                _ => stop = true,
                            }
                        } else {
                            chk.failures
                                .push(format!("({:.0}, {:.0}): no levee between channel and plain", q.x, q.y));
                            stop = true;
                        }
                    }
                    let (Some(crest), Some(plain)) = (crest, plain) else {
                        continue;
                    };
                    chk.sections += 1;
                    chk.min_crest_over_plain = chk.min_crest_over_plain.min(crest - plain);
                    chk.min_plain_over_bed = chk.min_plain_over_bed.min(plain - bed);
                    if !(crest > plain && plain > bed) {
                        chk.failures.push(format!(
                            "({:.0}, {:.0}): crest {crest:.2} / plain {plain:.2} / bed {bed:.2} not in order",
                            p.x, p.y
                        ));
                    }
                }
            }
        }
        // 4-connectivity of the channel between the first and last in-grid points of the extended line.
        let pts: Vec<(usize, usize)> = c
            .extended
            .windows(2)
            .flat_map(|s| (0..=100).map(move |k| (s[0], s[1], k as f64 / 100.0)))
            .filter_map(|(a, b, t)| {
                in_grid(Xy {
                    x: a.x + t * (b.x - a.x),
                    y: a.y + t * (b.y - a.y),
                })
            })
            .collect();
        if let (Some(&start), Some(&end)) = (pts.first(), pts.last()) {
            let mut seen = Grid::like(dem, false);
            let mut stack = vec![start];
            *seen.at_mut(start.0, start.1) = true;
            while let Some((i, j)) = stack.pop() {
                for (a, b) in [(i.wrapping_sub(1), j), (i + 1, j), (i, j.wrapping_sub(1)), (i, j + 1)] {
                    if a < dem.nx && b < dem.ny && *c.channel.at(a, b) && !*seen.at(a, b) {
                        *seen.at_mut(a, b) = true;
                        stack.push((a, b));
                    }
                }
            }
            chk.connected = *seen.at(end.0, end.1);
        }
        out.push(chk);
    }
    (out, general)
}

/// Everything the generator produces, as file texts plus what the summary needs.
struct Output {
    dem_text: String,
    landuse_text: String,
    dem: Grid<f64>,
    landuse: Grid<LandUse>,
    masks: Masks,
    canals: Vec<Canal>,
}

fn generate(map: &MapFile) -> Output {
    let proj = Projection::new(map.origin);
    let xy: Vec<Xy> = map
        .nodes
        .iter()
        .map(|n| proj.to_xy(LatLon { lat: n.lat, lon: n.lon }))
        .collect();
    let (mut lo, mut hi) = (
        Xy {
            x: f64::INFINITY,
            y: f64::INFINITY,
        },
        Xy {
            x: f64::NEG_INFINITY,
            y: f64::NEG_INFINITY,
        },
    );
    for p in &xy {
        lo = Xy {
            x: lo.x.min(p.x),
            y: lo.y.min(p.y),
        };
        hi = Xy {
            x: hi.x.max(p.x),
            y: hi.y.max(p.y),
        };
    }
    let x0 = ((lo.x - MARGIN_M) / CELL_M).floor() * CELL_M;
    let y0 = ((lo.y - MARGIN_M) / CELL_M).floor() * CELL_M;
    let nx = ((hi.x + MARGIN_M - x0) / CELL_M).ceil() as usize;
    let ny = ((hi.y + MARGIN_M - y0) / CELL_M).ceil() as usize;
    let g = Grid::filled(nx, ny, CELL_M, x0, y0, 0.0_f64);

    let canals = canal_fields(map, &proj, &g);
    let masks = build_masks(map, &proj, &g, &canals);
    let landuse = land_use(&masks);
    let plain = plain_elevation(&g, &masks, &landuse);
    let mut dem = carve_canals(&plain, &canals, &masks);
    for v in &mut dem.data {
        *v = (*v * 100.0).round() / 100.0;
    }
    let dem_text = write_asc(&AscGrid::from_grid(&dem, None));
    let landuse_text = write_asc(&AscGrid::from_landuse_grid(&landuse));
    Output {
        dem_text,
        landuse_text,
        dem,
        landuse,
        masks,
        canals,
    }
}

fn print_summary(out: &Output, map: &MapFile, checks: &[CanalCheck], dem_path: &Path, lu_path: &Path) {
    let d = &out.dem;
    let proj = Projection::new(map.origin);
    let sw = proj.to_latlon(Xy { x: d.x0, y: d.y0 });
    let ne = proj.to_latlon(Xy {
        x: d.x0 + d.nx as f64 * d.dx,
        y: d.y0 + d.ny as f64 * d.dx,
    });
    println!("Linqing terrain (approximate, synthetic; not survey data)");
    println!(
        "  grid: {} × {} cells of {} m = {} cells; x {} … {} m, y {} … {} m (local metres)",
        d.nx,
        d.ny,
        d.dx,
        d.nx * d.ny,
        d.x0,
        d.x0 + d.nx as f64 * d.dx,
        d.y0,
        d.y0 + d.ny as f64 * d.dx
    );
    println!(
        "  extent: SW {:.5}° N {:.5}° E, NE {:.5}° N {:.5}° E",
        sw.lat, sw.lon, ne.lat, ne.lon
    );
    let stats = |pred: &dyn Fn(usize) -> bool| {
        let v: Vec<f64> = (0..d.data.len()).filter(|&k| pred(k)).map(|k| d.data[k]).collect();
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (min, max, v.iter().sum::<f64>() / v.len().max(1) as f64, v.len())
    };
    let m = &out.masks;
    for (label, pred) in [
        ("all cells", &(|_k: usize| true) as &dyn Fn(usize) -> bool),
        ("plain (not channel/levee)", &|k: usize| {
            !m.water.data[k] && m.levee.data[k] == 0.0
        }),
        ("channel beds", &|k: usize| m.water.data[k]),
        ("levee crests", &|k: usize| m.levee.data[k] > 0.0),
    ] {
        let (min, max, mean, n) = stats(pred);
        println!("  elevation, {label:<26} n = {n:>6}: min {min:.2} m, max {max:.2} m, mean {mean:.2} m");
    }
    let mut counts: BTreeMap<LandUse, usize> = BTreeMap::new();
    for &l in &out.landuse.data {
        *counts.entry(l).or_default() += 1;
    }
    println!("  land use (code class: cells, share, km²):");
    for lu in LandUse::ALL {
        let n = counts.get(&lu).copied().unwrap_or(0);
        println!(
            "    {} {:<10} {:>7} {:>6.2} % {:>7.2} km²",
            lu.code(),
            lu.name(),
            n,
            100.0 * n as f64 / d.data.len() as f64,
            n as f64 * d.dx * d.dx / 1e6
        );
    }
    let proj_nodes = Projection::new(map.origin);
    let (mut on_water, mut on_levee, mut people_water, mut people_levee) = (0, 0, 0u64, 0u64);
    for n in &map.nodes {
        let p = proj_nodes.to_xy(LatLon { lat: n.lat, lon: n.lon });
        if let Some((i, j)) = d.cell_of(p.x, p.y) {
            let k = d.idx(i, j);
            if m.water.data[k] {
                on_water += 1;
                people_water += u64::from(n.people);
            } else if m.levee.data[k] > 0.0 {
                on_levee += 1;
                people_levee += u64::from(n.people);
            }
        }
    }
    println!(
        "  road nodes in channel cells: {on_water} ({people_water} residents); on levee cells: {on_levee} ({people_levee} residents)"
    );
    for c in &out.canals {
        println!(
            "  canal {}: width {} m, bed {} m below trend, levees +{} m; {} channel cells",
            c.name,
            c.width_m,
            c.depth_m,
            c.levee_m,
            c.channel.data.iter().filter(|&&b| b).count()
        );
    }
    for c in checks {
        println!(
            "  check {}: {} bank sections, min crest − plain {:.2} m, min plain − bed {:.2} m, channel 4-connected: {}, {} failures",
            c.name,
            c.sections,
            c.min_crest_over_plain,
            c.min_plain_over_bed,
            c.connected,
            c.failures.len()
        );
        assert_eq!(
            c.channel_cells,
            out.canals
                .iter()
                .find(|k| k.name == c.name)
                .map_or(0, |k| k.channel.data.iter().filter(|&&b| b).count())
        );
    }
    println!("  wrote {} ({} bytes)", dem_path.display(), out.dem_text.len());
    println!("  wrote {} ({} bytes)", lu_path.display(), out.landuse_text.len());
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let map_path = args
        .next()
        .map_or_else(|| root.join("assets/maps/linqing.ron"), PathBuf::from);
    let out_dir = args.next().map_or_else(|| root.join("assets/maps"), PathBuf::from);
    let text = match std::fs::read_to_string(&map_path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", map_path.display());
            return ExitCode::from(2);
        }
    };
    let map: MapFile = match ron::Options::default().from_str(&text) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {}: {e}", map_path.display());
            return ExitCode::from(2);
        }
    };

    let out = generate(&map);
    // Determinism: a second run in the same process gives the same bytes.
    let again = generate(&map);
    let deterministic = again.dem_text == out.dem_text && again.landuse_text == out.landuse_text;

    let (checks, general) = check(&out.dem, &out.canals, &out.masks);
    // Round trip through the reader the simulator uses.
    let dem_back = read_asc(&out.dem_text).map(|a| a.to_grid());
    let lu_back = read_asc(&out.landuse_text)
        .map_err(|e| e.to_string())
        .and_then(|a| a.to_landuse_grid().map_err(|e| e.to_string()));
    let mut problems = general;
    problems.extend(
        checks
            .iter()
            .flat_map(|c| c.failures.iter().map(move |f| format!("{}: {f}", c.name))),
    );
    problems.extend(
        checks
            .iter()
            .filter(|c| !c.connected)
            .map(|c| format!("{}: channel is not 4-connected end to end", c.name)),
    );
    problems.extend(
        checks
            .iter()
            .filter(|c| c.sections == 0)
            .map(|c| format!("{}: no bank sections checked", c.name)),
    );
    if !deterministic {
        problems.push("two runs gave different bytes".into());
    }
    match dem_back {
        Ok(g) if g.data.iter().all(|v| v.is_finite()) && g.nx == out.dem.nx && g.ny == out.dem.ny => {}
        Ok(_) => problems.push("the DEM read back has NaN or the wrong shape".into()),
        Err(e) => problems.push(format!("the DEM does not read back: {e}")),
    }
    match lu_back {
        Ok(g) if g.data == out.landuse.data => {}
        Ok(_) => problems.push("the land use read back differs".into()),
        Err(e) => problems.push(format!("the land use does not read back: {e}")),
    }

    let dem_path = out_dir.join("linqing-dem.asc");
    let lu_path = out_dir.join("linqing-landuse.asc");
    if !problems.is_empty() {
        for p in problems.iter().take(40) {
            eprintln!("check failed: {p}");
        }
        eprintln!("error: {} check(s) failed; nothing written", problems.len());
        return ExitCode::from(1);
    }
    if let Err(e) = std::fs::create_dir_all(&out_dir)
        .and_then(|()| std::fs::write(&dem_path, &out.dem_text))
        .and_then(|()| std::fs::write(&lu_path, &out.landuse_text))
    {
        eprintln!("error: cannot write to {}: {e}", out_dir.display());
        return ExitCode::from(1);
    }
    print_summary(&out, &map, &checks, &dem_path, &lu_path);
    println!("  checks: all passed; deterministic: {deterministic}");
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;
    use city::map_schema::{EdgeDef, NodeDef, WaterwayDef, ZoneDef};

    #[test]
    fn noise_is_bounded_and_repeatable() {
        let total: f64 = NOISE_OCTAVES.iter().map(|o| o.1).sum();
        for k in 0..2000 {
            let p = Xy {
                x: (k as f64 * 137.3) - 90_000.0,
                y: (k as f64 * 71.9) - 40_000.0,
            };
            let z = noise(p);
            assert!(z.abs() <= total + 1e-12, "{z}");
            assert_eq!(z.to_bits(), noise(p).to_bits());
        }
    }

    #[test]
    fn trend_falls_to_the_north_east_at_the_set_rate() {
        let o = Xy { x: 0.0, y: 0.0 };
        assert_eq!(trend(o), ELEV_ORIGIN_M);
        let ne = Xy {
            x: 1000.0 / std::f64::consts::SQRT_2,
            y: 1000.0 / std::f64::consts::SQRT_2,
        };
        assert!((trend(o) - trend(ne) - FALL_M_PER_KM).abs() < 1e-12);
    }

    #[test]
    fn supercover_is_four_connected() {
        let mut m = Grid::filled(50, 50, 100.0, 0.0, 0.0, false);
        mark_supercover(&mut m, Xy { x: 120.0, y: 80.0 }, Xy { x: 4630.0, y: 3170.0 });
        let cells: Vec<(usize, usize)> = (0..m.ny)
            .flat_map(|j| (0..m.nx).map(move |i| (i, j)))
            .filter(|&(i, j)| *m.at(i, j))
            .collect();
        let start = m.cell_of(120.0, 80.0).unwrap();
        let end = m.cell_of(4630.0, 3170.0).unwrap();
        let mut seen = vec![start];
        let mut stack = vec![start];
        while let Some((i, j)) = stack.pop() {
            for c in [(i.wrapping_sub(1), j), (i + 1, j), (i, j.wrapping_sub(1)), (i, j + 1)] {
                if cells.contains(&c) && !seen.contains(&c) {
                    seen.push(c);
                    stack.push(c);
                }
            }
        }
        assert!(seen.contains(&end));
        assert_eq!(seen.len(), cells.len());
    }

    /// A toy map: a N–S canal with a village and a national road east of it.
    fn toy_map() -> MapFile {
        let origin = LatLon {
            lat: 36.84,
            lon: 115.71,
        };
        let proj = Projection::new(origin);
        let ll = |x: f64, y: f64| proj.to_latlon(Xy { x, y });
        let node = |x: f64, y: f64, people: u32| {
            let p = ll(x, y);
            NodeDef {
                lat: p.lat,
                lon: p.lon,
                zone: 0,
                people,
                name: None,
            }
        };
        MapFile {
            name: "Toy".into(),
            name_zh: "玩具".into(),
            provenance: "test".into(),
            origin,
            zones: vec![ZoneDef {
                name: "T".into(),
                name_zh: "T镇".into(),
                kind: ZoneKind::Town,
                seat: ll(0.0, 0.0),
                population: 700,
                seat_node: 0,
            }],
            nodes: vec![
                node(1500.0, -2000.0, 0),
                node(1500.0, 2000.0, 0),
                node(3000.0, 0.0, 700),
                node(-2500.0, 0.0, 0),
            ],
            edges: vec![EdgeDef {
                a: 0,
                b: 1,
                class: RoadClass::National,
                length_m: 4000.0,
                speed_kmh: 60.0,
                lanes: 1,
                oneway: false,
                name: Some("G1".into()),
            }],
            places: vec![],
            waterways: vec![WaterwayDef {
                name: "Wei Canal".into(),
                name_zh: "卫运河".into(),
                line: vec![ll(-300.0, -1500.0), ll(-100.0, 0.0), ll(-400.0, 1500.0)],
            }],
        }
    }

    #[test]
    fn toy_map_has_channel_levees_plain_in_order_and_is_deterministic() {
        let map = toy_map();
        let out = generate(&map);
        let (checks, general) = check(&out.dem, &out.canals, &out.masks);
        assert!(general.is_empty(), "{general:?}");
        assert_eq!(checks.len(), 1);
        assert!(checks[0].connected && checks[0].sections > 10, "{}", checks[0].sections);
        assert!(checks[0].failures.is_empty(), "{:?}", checks[0].failures);
        assert!(out.landuse.data.contains(&LandUse::Water));
        assert!(out.landuse.data.contains(&LandUse::Road));
        assert!(out.landuse.data.contains(&LandUse::Village));
        let again = generate(&map);
        assert_eq!(out.dem_text, again.dem_text);
        assert_eq!(out.landuse_text, again.landuse_text);
        // The files read back with the simulator's reader.
        let dem = read_asc(&out.dem_text).unwrap().to_grid();
        assert!(dem.data.iter().all(|v| v.is_finite()));
        let lu = read_asc(&out.landuse_text).unwrap().to_landuse_grid().unwrap();
        assert_eq!(lu.data, out.landuse.data);
        // West of the canal is plain (Cropland), not water.
        let west = dem.cell_of(-2500.0, 0.0).expect("inside the grid");
        assert_eq!(*lu.at(west.0, west.1), LandUse::Cropland);
    }
}
