//! Areas from OSM: closed ways and multipolygon / boundary relations (rings
//! joined from their member ways), in the map's local metres, and the land-use
//! raster painted from them.

use geo::{Area as _, Centroid as _, Contains as _, Coord, LineString, Point, Polygon};

use super::osm::{MemberKind, OsmData, Relation, Tags};
use crate::city::terrain::LandUse;
use crate::city::{LatLon, Projection, Xy};
use crate::hazard::grid::Grid;

/// An area: outer rings minus inner rings, in local metres.
#[derive(Debug, Clone)]
pub struct Area {
    /// Outer rings.
    pub outers: Vec<Polygon<f64>>,
    /// Holes.
    pub inners: Vec<Polygon<f64>>,
}

impl Area {
    /// Area, m².
    pub fn m2(&self) -> f64 {
        let sum = |ps: &[Polygon<f64>]| ps.iter().map(|p| p.unsigned_area()).sum::<f64>();
        (sum(&self.outers) - sum(&self.inners)).max(0.0)
    }

    /// Whether a point lies inside.
    pub fn contains(&self, p: Xy) -> bool {
        let pt = Point::new(p.x, p.y);
        self.outers.iter().any(|o| o.contains(&pt)) && !self.inners.iter().any(|i| i.contains(&pt))
    }

    /// Centroid of the largest outer ring.
    pub fn centroid(&self) -> Option<Xy> {
        let largest = self
            .outers
            .iter()
            .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))?;
        largest.centroid().map(|c| Xy { x: c.x(), y: c.y() })
    }

    /// Bounding box `(min, max)`.
    pub fn bounds(&self) -> (Xy, Xy) {
        let mut lo = Xy {
            x: f64::INFINITY,
            y: f64::INFINITY,
        };
        let mut hi = Xy {
            x: f64::NEG_INFINITY,
            y: f64::NEG_INFINITY,
        };
        for c in self.outers.iter().flat_map(|p| p.exterior().coords()) {
            lo.x = lo.x.min(c.x);
            lo.y = lo.y.min(c.y);
            hi.x = hi.x.max(c.x);
            hi.y = hi.y.max(c.y);
        }
        (lo, hi)
    }
}

/// Project a list of node ids to a ring; None if a node is missing.
fn ring(osm: &OsmData, refs: &[i64], projection: &Projection) -> Option<Polygon<f64>> {
    let coords: Option<Vec<Coord<f64>>> = refs
        .iter()
        .map(|&id| {
            osm.position(id).map(|(lat, lon)| {
                let p = projection.to_xy(LatLon { lat, lon });
                Coord { x: p.x, y: p.y }
            })
        })
        .collect();
    let coords = coords?;
    (coords.len() >= 4).then(|| Polygon::new(LineString::new(coords), vec![]))
}

/// A closed way as an area.
pub fn way_area(osm: &OsmData, refs: &[i64], projection: &Projection) -> Option<Area> {
    if refs.len() < 4 || refs.first() != refs.last() {
        return None;
    }
    Some(Area {
        outers: vec![ring(osm, refs, projection)?],
        inners: vec![],
    })
}

/// Join member ways into closed rings, end to end (either direction). Ways
/// that close no ring (an extract cut through the boundary) are left out.
fn join_rings(mut parts: Vec<Vec<i64>>) -> Vec<Vec<i64>> {
    let mut rings = Vec::new();
    while let Some(mut current) = parts.pop() {
        while current.first() != current.last() {
            let end = *current.last().expect("invariant: parts have two or more nodes");
            let Some(k) = parts
                .iter()
                .position(|p| p.first() == Some(&end) || p.last() == Some(&end))
            else {
                break;
            };
            let mut next = parts.swap_remove(k);
            if next.first() != Some(&end) {
                next.reverse();
            }
            current.extend_from_slice(&next[1..]);
        }
        if current.len() >= 4 && current.first() == current.last() {
            rings.push(current);
        }
    }
    rings
}

/// A multipolygon or boundary relation as an area (None if no ring closes).
pub fn relation_area(osm: &OsmData, relation: &Relation, projection: &Projection) -> Option<Area> {
    let mut outer = Vec::new();
    let mut inner = Vec::new();
    for m in relation.members.iter().filter(|m| m.kind == MemberKind::Way) {
        let Some(way) = osm.way(m.id) else { continue };
        match &*m.role {
            "inner" => inner.push(way.refs.clone()),
            "outer" | "" => outer.push(way.refs.clone()),
            _ => {}
        }
    }
    let outers: Vec<_> = join_rings(outer)
        .iter()
        .filter_map(|r| ring(osm, r, projection))
        .collect();
    let inners: Vec<_> = join_rings(inner)
        .iter()
        .filter_map(|r| ring(osm, r, projection))
        .collect();
    (!outers.is_empty()).then_some(Area { outers, inners })
}

/// Every area in the file whose tags pass `keep`: closed ways and
/// multipolygon relations, with their tags and OSM reference ("w123" / "r45").
pub fn tagged_areas<'a>(
    osm: &'a OsmData,
    projection: &Projection,
    keep: impl Fn(&Tags) -> bool,
) -> Vec<(String, &'a Tags, Area)> {
    let mut out = Vec::new();
    for w in &osm.ways {
        if keep(&w.tags)
            && let Some(a) = way_area(osm, &w.refs, projection)
        {
            out.push((format!("w{}", w.id), &w.tags, a));
        }
    }
    for r in osm.relations.iter().filter(|r| r.tags.is("type", "multipolygon")) {
        if keep(&r.tags)
            && let Some(a) = relation_area(osm, r, projection)
        {
            out.push((format!("r{}", r.id), &r.tags, a));
        }
    }
    out
}

/// The land-use class an OSM area stands for, if any; `urban` says whether a
/// residential area lies in a town or city (otherwise it is a village).
fn landuse_of(tags: &Tags, urban: bool) -> Option<LandUse> {
    let water = tags.is("natural", "water")
        || tags.is("waterway", "riverbank")
        || matches!(tags.get("landuse"), Some("reservoir" | "basin"));
    if water {
        return Some(LandUse::Water);
    }
    if tags.get("industrial").is_some() || tags.is("landuse", "industrial") {
        return Some(LandUse::Industrial);
    }
    match tags.get("landuse") {
        Some("residential") => return Some(if urban { LandUse::UrbanBlock } else { LandUse::Village }),
        Some("commercial" | "retail") => return Some(LandUse::UrbanBlock),
        Some(
            "farmland" | "farmyard" | "orchard" | "meadow" | "greenhouse_horticulture" | "vineyard" | "plant_nursery",
        ) => return Some(LandUse::Cropland),
        Some("forest" | "grass" | "recreation_ground" | "village_green") => return Some(LandUse::Park),
        _ => {}
    }
    if matches!(tags.get("leisure"), Some("park" | "garden"))
        || matches!(tags.get("natural"), Some("wood" | "scrub" | "grassland"))
    {
        return Some(LandUse::Park);
    }
    None
}

/// Paint order: later classes win where areas overlap (a pond in a park is
/// water, a park in town is park).
fn paint_rank(lu: LandUse) -> u8 {
    match lu {
        LandUse::Cropland => 0,
        LandUse::Village => 1,
        LandUse::UrbanBlock => 2,
        LandUse::Industrial => 3,
        LandUse::Park => 4,
        LandUse::Road => 5,
        LandUse::Water => 6,
    }
}

/// The land-use raster: cropland where OSM says nothing (the North China
/// plain), then every land-use area painted on the cells whose centre it
/// contains, and rivers and canals drawn as lines one cell wide. `urban(p)`
/// tells residential land in a town from a village.
pub fn landuse_grid(
    osm: &OsmData,
    projection: &Projection,
    shape: (usize, usize, f64, f64, f64),
    urban: &dyn Fn(Xy) -> bool,
) -> Grid<LandUse> {
    let (nx, ny, dx, x0, y0) = shape;
    let mut grid = Grid::filled(nx, ny, dx, x0, y0, LandUse::Cropland);
    let mut areas: Vec<(LandUse, Area)> = tagged_areas(osm, projection, |t| landuse_of(t, false).is_some())
        .into_iter()
        .filter_map(|(_, tags, area)| {
            let town = area.centroid().is_some_and(urban);
            landuse_of(tags, town).map(|lu| (lu, area))
        })
        .collect();
    areas.sort_by_key(|(lu, _)| paint_rank(*lu));
    let cell = |v: f64, v0: f64, n: usize| (((v - v0) / dx).floor().max(0.0) as usize).min(n.saturating_sub(1));
    for (lu, area) in &areas {
        let (lo, hi) = area.bounds();
        if hi.x < x0 || hi.y < y0 || lo.x > x0 + nx as f64 * dx || lo.y > y0 + ny as f64 * dx {
            continue;
        }
        for j in cell(lo.y, y0, ny)..=cell(hi.y, y0, ny) {
            for i in cell(lo.x, x0, nx)..=cell(hi.x, x0, nx) {
                let centre = Xy {
                    x: x0 + (i as f64 + 0.5) * dx,
                    y: y0 + (j as f64 + 0.5) * dx,
                };
                if area.contains(centre) {
                    let k = grid.idx(i, j);
                    grid.data[k] = *lu;
                }
            }
        }
    }
    for w in osm
        .ways
        .iter()
        .filter(|w| matches!(w.tags.get("waterway"), Some("river" | "canal")))
    {
        let pts: Vec<Xy> = w
            .refs
            .iter()
            .filter_map(|&id| osm.position(id))
            .map(|(lat, lon)| projection.to_xy(LatLon { lat, lon }))
            .collect();
        for seg in pts.windows(2) {
            let steps = ((seg[0].dist(seg[1]) / (dx / 2.0)).ceil() as usize).max(1);
            for k in 0..=steps {
                let t = k as f64 / steps as f64;
                let (x, y) = (
                    seg[0].x + (seg[1].x - seg[0].x) * t,
                    seg[0].y + (seg[1].y - seg[0].y) * t,
                );
                if let Some((i, j)) = grid.cell_of(x, y) {
                    let k = grid.idx(i, j);
                    grid.data[k] = LandUse::Water;
                }
            }
        }
    }
    grid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rings_join_in_either_direction() {
        let rings = join_rings(vec![vec![1, 2, 3], vec![5, 4, 3], vec![5, 6, 1], vec![7, 8]]);
        assert_eq!(rings.len(), 1);
        let r = &rings[0];
        assert_eq!(r.first(), r.last());
        assert_eq!(r.len(), 7, "six distinct nodes and the closing one: {r:?}");
    }
}
