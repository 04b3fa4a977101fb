//! The on-disk map format (`assets/maps/*.ron`): plain serde data, nothing else.
//!
//! This file depends on `serde` only, so the map generator in
//! `tools/gen_linqing_map/` includes it verbatim (`#[path = ...]`) and the map it
//! writes always matches what [`crate::city::CityMap`] reads.
//!
//! Positions are WGS84 degrees; the loader projects them to local metres around
//! [`MapFile::origin`]. Node and zone references inside the file are indices into
//! [`MapFile::nodes`] and [`MapFile::zones`].

use serde::{Deserialize, Serialize};

/// A WGS84 position in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatLon {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
}

/// A whole map: zones, road graph, named places and waterways.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapFile {
    /// Map name in pinyin / English, e.g. "Linqing".
    pub name: String,
    /// Map name in Chinese, e.g. "临清市".
    pub name_zh: String,
    /// Where the data comes from and how far to trust it (shown in reports).
    pub provenance: String,
    /// Origin of the local metric projection (usually the city centre).
    pub origin: LatLon,
    /// Administrative zones (subdistricts and towns).
    pub zones: Vec<ZoneDef>,
    /// Road graph nodes; a node's index is its id.
    pub nodes: Vec<NodeDef>,
    /// Road segments between two nodes.
    pub edges: Vec<EdgeDef>,
    /// Named places: depots, shelters, hospitals, ...
    pub places: Vec<PlaceDef>,
    /// Rivers and canals, as polylines (drawn on maps; used by hazards).
    pub waterways: Vec<WaterwayDef>,
}

/// Kind of administrative zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ZoneKind {
    /// Urban subdistrict (街道).
    Subdistrict,
    /// Town or township (镇 / 乡).
    Town,
}

/// An administrative zone.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneDef {
    /// Pinyin name, e.g. "Songlin" (unique; scenarios may use it).
    pub name: String,
    /// Chinese name, e.g. "松林镇" (unique; scenarios may use it).
    pub name_zh: String,
    /// Subdistrict or town.
    pub kind: ZoneKind,
    /// Approximate position of the zone's seat (government office).
    pub seat: LatLon,
    /// Resident population.
    pub population: u32,
    /// Index of the road node at the seat.
    pub seat_node: u32,
}

/// A road graph node (junction, village, or shape point).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeDef {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
    /// Index of the zone the node lies in.
    pub zone: u16,
    /// Residents attached to this node (village or urban block); the sum over a
    /// zone's nodes equals the zone's population.
    #[serde(default)]
    pub people: u32,
    /// Name, for villages and notable junctions (unique when present).
    #[serde(default)]
    pub name: Option<String>,
}

/// Road class; sets the default free-flow speed (see DOMAIN.md, "Roads").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RoadClass {
    /// Expressway (高速公路).
    Expressway,
    /// National road (国道, G...).
    National,
    /// Provincial road (省道, S...).
    Provincial,
    /// County road (县道, X...).
    County,
    /// Township or village road (乡道 / 村道).
    Village,
    /// Urban arterial (城市主干道).
    UrbanArterial,
    /// Urban branch street (城市支路).
    UrbanBranch,
}

impl RoadClass {
    /// Emergency-vehicle free-flow speed, km/h (DOMAIN.md "Roads", planning assumption).
    pub fn default_speed_kmh(self) -> f64 {
        match self {
            RoadClass::Expressway => 80.0,
            RoadClass::National => 60.0,
            RoadClass::Provincial => 50.0,
            RoadClass::County => 40.0,
            RoadClass::Village => 25.0,
            RoadClass::UrbanArterial => 35.0,
            RoadClass::UrbanBranch => 20.0,
        }
    }

    /// Lanes per direction where the data says nothing (approximation).
    pub fn default_lanes(self) -> u8 {
        match self {
            RoadClass::Expressway | RoadClass::National | RoadClass::Provincial | RoadClass::UrbanArterial => 2,
            RoadClass::County | RoadClass::Village | RoadClass::UrbanBranch => 1,
        }
    }
}

/// A road segment. Two-way unless `oneway`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeDef {
    /// Index of the start node.
    pub a: u32,
    /// Index of the end node.
    pub b: u32,
    /// Road class.
    pub class: RoadClass,
    /// Length along the road, metres (at least the straight-line distance).
    pub length_m: f64,
    /// Free-flow speed for emergency vehicles, km/h.
    pub speed_kmh: f64,
    /// Lanes per direction.
    pub lanes: u8,
    /// Only drivable from `a` to `b`.
    #[serde(default)]
    pub oneway: bool,
    /// Road name or number, e.g. "G308" or "青年路".
    #[serde(default)]
    pub name: Option<String>,
    /// A bridge: its deck stands above flood water, so the water under it
    /// does not close it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bridge: bool,
    /// A tunnel or underpass (marked; drawn and exported).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tunnel: bool,
}

/// Kind of named place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PlaceKind {
    /// Government material reserve depot (central or town).
    Depot,
    /// Community reserve station (社区储备站).
    CommunityStation,
    /// Warehouse of a commercial agreement partner (supermarket chain, logistics).
    CommercialWarehouse,
    /// Enterprise with production capacity for relief goods.
    Factory,
    /// Emergency shelter (park, square, school, stadium).
    Shelter,
    /// Hospital.
    Hospital,
    /// Fire station.
    FireStation,
    /// Chemical plant.
    ChemicalPlant,
}

/// A named place attached to a road node.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceDef {
    /// Pinyin / English name (unique).
    pub name: String,
    /// Chinese name (unique).
    pub name_zh: String,
    /// What the place is.
    pub kind: PlaceKind,
    /// Position.
    pub at: LatLon,
    /// Index of the road node it is reached from.
    pub node: u32,
    /// Usable area in m² (shelters).
    #[serde(default)]
    pub usable_m2: Option<f64>,
    /// Beds (hospitals).
    #[serde(default)]
    pub beds: Option<u32>,
    /// A short note: what the place is modelled on.
    #[serde(default)]
    pub note: Option<String>,
}

/// A river or canal drawn as a polyline.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaterwayDef {
    /// Pinyin / English name.
    pub name: String,
    /// Chinese name.
    pub name_zh: String,
    /// Vertices, upstream first.
    pub line: Vec<LatLon>,
}
