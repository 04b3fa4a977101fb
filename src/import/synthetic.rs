//! A synthetic county extract in OSM XML, for the import benchmark when no
//! real extract is at hand: the mix of a real one (most nodes belong to
//! buildings, which the import drops; village streets with shape points every
//! 25 m; an arterial grid; parks, schools, hospitals, warehouses; two
//! administrative boundaries). Deterministic: the same size gives the same file.

use std::io::{self, Write};

/// Grid spacing of village streets, m.
const STREET_M: f64 = 250.0;
/// Spacing of shape points along streets, m.
const SHAPE_M: f64 = 25.0;
/// Every eighth street is an arterial (primary / secondary).
const ARTERIAL_EVERY: usize = 8;
/// Buildings per street block.
const BUILDINGS_PER_BLOCK: usize = 6;

/// Write a synthetic extract of about `target_nodes` nodes (the county side
/// grows with the square root). Returns the number of nodes written.
///
/// # Errors
/// Any write error.
pub fn write_county(out: &mut impl Write, target_nodes: usize) -> io::Result<usize> {
    // Nodes per km² ≈ streets (2 directions × 4 lines/km × 40 points/km = 320)
    // + buildings (16 blocks/km² × 6 × 4 = 384) ≈ 704.
    let side_km = (target_nodes as f64 / 704.0).sqrt().max(1.0);
    let lines = (side_km * 1000.0 / STREET_M).round() as usize + 1;
    let per_line = (((lines - 1) as f64 * STREET_M) / SHAPE_M).round() as usize + 1;
    let (lat0, lon0): (f64, f64) = (36.70, 115.55);
    let m_lat = 1.0 / 111_195.0;
    let m_lon = m_lat / lat0.to_radians().cos();
    let pos = |x: f64, y: f64| (lat0 + y * m_lat, lon0 + x * m_lon);
    writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
    writeln!(out, "<osm version=\"0.6\" generator=\"tabletop synthetic\">")?;
    let mut id: i64 = 0;
    let mut node = |out: &mut dyn Write, x: f64, y: f64, tags: &[(&str, &str)]| -> io::Result<i64> {
        id += 1;
        let (lat, lon) = pos(x, y);
        if tags.is_empty() {
            writeln!(out, " <node id=\"{id}\" lat=\"{lat:.7}\" lon=\"{lon:.7}\"/>")?;
        } else {
            writeln!(out, " <node id=\"{id}\" lat=\"{lat:.7}\" lon=\"{lon:.7}\">")?;
            for (k, v) in tags {
                writeln!(out, "  <tag k=\"{k}\" v=\"{v}\"/>")?;
            }
            writeln!(out, " </node>")?;
        }
        Ok(id)
    };
    // Street grid: horizontal line h, point k is at (k·25 m, h·250 m); vertical
    // lines share the crossing nodes.
    let mut h_ids = vec![vec![0i64; per_line]; lines];
    let step = (STREET_M / SHAPE_M) as usize;
    for (h, row) in h_ids.iter_mut().enumerate() {
        for (k, slot) in row.iter_mut().enumerate() {
            *slot = node(out, k as f64 * SHAPE_M, h as f64 * STREET_M, &[])?;
        }
    }
    let mut v_ids = vec![vec![0i64; per_line]; lines];
    for (v, col) in v_ids.iter_mut().enumerate() {
        for (k, slot) in col.iter_mut().enumerate() {
            *slot = if k % step == 0 {
                h_ids[k / step][v * step]
            } else {
                node(out, v as f64 * STREET_M, k as f64 * SHAPE_M, &[])?
            };
        }
    }
    // Buildings: small squares inside each block, and landmark polygons.
    let mut buildings: Vec<[i64; 4]> = Vec::new();
    let mut landmarks: Vec<([i64; 4], &[(&str, &str)])> = Vec::new();
    const KINDS: [&[(&str, &str)]; 5] = [
        &[("leisure", "park")],
        &[("amenity", "school")],
        &[("amenity", "hospital")],
        &[("building", "warehouse")],
        &[("landuse", "residential")],
    ];
    for by in 0..lines - 1 {
        for bx in 0..lines - 1 {
            let (x0, y0) = (bx as f64 * STREET_M, by as f64 * STREET_M);
            for b in 0..BUILDINGS_PER_BLOCK {
                let (x, y) = (x0 + 30.0 + (b % 3) as f64 * 70.0, y0 + 40.0 + (b / 3) as f64 * 110.0);
                let mut sq = [0; 4];
                for (c, slot) in sq.iter_mut().enumerate() {
                    let (dx, dy) = [(0.0, 0.0), (20.0, 0.0), (20.0, 12.0), (0.0, 12.0)][c];
                    *slot = node(out, x + dx, y + dy, &[])?;
                }
                buildings.push(sq);
            }
            if (bx * 7 + by * 13) % 50 == 0 {
                let mut sq = [0; 4];
                for (c, slot) in sq.iter_mut().enumerate() {
                    let (dx, dy) = [(10.0, 10.0), (240.0, 10.0), (240.0, 30.0), (10.0, 30.0)][c];
                    *slot = node(out, x0 + dx, y0 + dy, &[])?;
                }
                landmarks.push((sq, KINDS[(bx + by) % KINDS.len()]));
            }
        }
    }
    // Boundary corners: two halves of the county.
    let side = (lines - 1) as f64 * STREET_M;
    let corners: Vec<i64> = [
        (-50.0, -50.0),
        (side / 2.0, -50.0),
        (side + 50.0, -50.0),
        (side + 50.0, side + 50.0),
        (side / 2.0, side + 50.0),
        (-50.0, side + 50.0),
    ]
    .iter()
    .map(|&(x, y)| node(out, x, y, &[]))
    .collect::<io::Result<_>>()?;
    let centre_w = node(out, side / 4.0, side / 2.0, &[("place", "town"), ("name", "西镇")])?;
    let centre_e = node(
        out,
        3.0 * side / 4.0,
        side / 2.0,
        &[("place", "town"), ("name", "东镇")],
    )?;
    let nodes = id as usize;

    let mut way_id: i64 = 0;
    let mut way = |out: &mut dyn Write, refs: &[i64], tags: &[(&str, &str)]| -> io::Result<i64> {
        way_id += 1;
        writeln!(out, " <way id=\"{way_id}\">")?;
        for r in refs {
            writeln!(out, "  <nd ref=\"{r}\"/>")?;
        }
        for (k, v) in tags {
            writeln!(out, "  <tag k=\"{k}\" v=\"{v}\"/>")?;
        }
        writeln!(out, " </way>")?;
        Ok(way_id)
    };
    for (i, ids) in h_ids.iter().chain(v_ids.iter()).enumerate() {
        let class = match (i % lines) % ARTERIAL_EVERY {
            0 if (i % lines).is_multiple_of(2 * ARTERIAL_EVERY) => "primary",
            0 => "secondary",
            _ => "residential",
        };
        // One way per block edge, as mappers split streets.
        for chunk in ids.windows(step + 1).step_by(step) {
            way(out, chunk, &[("highway", class)])?;
        }
    }
    for b in &buildings {
        way(out, &[b[0], b[1], b[2], b[3], b[0]], &[("building", "yes")])?;
    }
    for (sq, tags) in &landmarks {
        way(out, &[sq[0], sq[1], sq[2], sq[3], sq[0]], tags)?;
    }
    // Two halves sharing the middle edge, as neighbouring towns share a border.
    let south_west = way(out, &[corners[0], corners[1]], &[])?;
    let south_east = way(out, &[corners[1], corners[2]], &[])?;
    let east = way(out, &[corners[2], corners[3], corners[4]], &[])?;
    let middle = way(out, &[corners[1], corners[4]], &[])?;
    let north_west = way(out, &[corners[4], corners[5], corners[0]], &[])?;
    for (rid, name, members, centre) in [
        (1, "西镇", [south_west, middle, north_west], centre_w),
        (2, "东镇", [south_east, east, middle], centre_e),
    ] {
        writeln!(out, " <relation id=\"{rid}\">")?;
        for w in members {
            writeln!(out, "  <member type=\"way\" ref=\"{w}\" role=\"outer\"/>")?;
        }
        writeln!(out, "  <member type=\"node\" ref=\"{centre}\" role=\"admin_centre\"/>")?;
        for (k, v) in [
            ("type", "boundary"),
            ("boundary", "administrative"),
            ("admin_level", "8"),
            ("name", name),
        ] {
            writeln!(out, "  <tag k=\"{k}\" v=\"{v}\"/>")?;
        }
        writeln!(out, " </relation>")?;
    }
    writeln!(out, "</osm>")?;
    Ok(nodes)
}
