//! The scenario and layout file formats: plain serde data, as written by users.
//!
//! Everything here mirrors the RON text one to one (see `docs/scenario-format.md`);
//! names, times and references stay strings until [`super::check`] resolves them
//! against the map and reports every problem with its line and column.

use serde::{Deserialize, Serialize};

use super::time::TimeSpec;
use crate::batch::dist::Dist;
use crate::city::map_schema::{LatLon, RoadClass};

/// One scenario file: all the input to a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short title shown in reports.
    pub name: String,
    /// Chinese title.
    #[serde(default)]
    pub name_zh: Option<String>,
    /// What the drill is about (shown in reports).
    #[serde(default)]
    pub description: String,
    /// Map name (`"linqing"` → `assets/maps/linqing.ron`) or a path ending in `.ron`
    /// relative to the scenario file.
    pub map: String,
    /// Local date and time at which the run starts, e.g. `"2026-07-20 06:00"`.
    pub start: String,
    /// Length of the run, e.g. `"72h"`.
    pub duration: String,
    /// Simulation step (default `"1m"`).
    #[serde(default = "default_step")]
    pub step: String,
    /// Seed of every random stream of the run.
    pub seed: u64,
    /// Relief targets (default: the Linqing plan's 12 h / 24 h / 2.5 m²).
    #[serde(default)]
    pub targets: Targets,
    /// What one person's relief consists of (default: DOMAIN.md planning kits).
    #[serde(default)]
    pub items: Items,
    /// Truck loading and unloading times.
    #[serde(default)]
    pub handling: Handling,
    /// Reserve depots of every "1+4" tier (may be replaced by `--layout`).
    pub depots: Vec<DepotSpec>,
    /// Household reserves (the "+4" tier kept at home).
    #[serde(default)]
    pub households: Households,
    /// Trucks, by home depot.
    pub fleet: Vec<FleetSpec>,
    /// People affected at given times.
    #[serde(default)]
    pub impacts: Vec<ImpactSpec>,
    /// Scripted injects (the master scenario events list).
    #[serde(default)]
    pub injects: Vec<InjectSpec>,
    /// Automatic dispatch policy.
    #[serde(default)]
    pub dispatch: DispatchPolicyKind,
    /// Weather: wind for plumes and fires, rain for floods.
    #[serde(default)]
    pub weather: WeatherSpec,
    /// Hazards that unfold during the run (levee breaches, fires, chemical releases).
    #[serde(default)]
    pub hazards: Vec<HazardSpec>,
    /// How often hazard models hand their state to roads and people (default `"5m"`).
    #[serde(default = "default_hazard_step")]
    pub hazard_step: String,
    /// Fire-rescue and hazmat teams that act on the hazards.
    #[serde(default)]
    pub teams: Vec<TeamSpec>,
    /// Values at risk, for the direct economic loss and its share of GDP.
    #[serde(default)]
    pub economy: EconomySpec,
    /// Evacuation of affected people to shelters (nobody leaves home when absent).
    #[serde(default)]
    pub evacuation: Option<EvacuationSpec>,
    /// People stranded by water and their rescue by boat.
    #[serde(default)]
    pub rescue: RescueSpec,
    /// How boats, buses and ambulances are assigned to their tasks (default `Priority`).
    #[serde(default)]
    pub team_dispatch: TeamDispatchKind,
    /// Injured people, triage and hospital beds (nobody is injured when absent).
    #[serde(default)]
    pub medical: Option<MedicalSpec>,
    /// Roads that floods damage (they stay closed, after the water has gone,
    /// until a `RoadRepair` team has repaired them); see also the
    /// `DamageRoads` inject.
    #[serde(default)]
    pub road_damage: Option<RoadDamageSpec>,
    /// What is uncertain: distributions drawn afresh for each run of a batch
    /// (`tabletop batch`, or `tabletop run --draw I` for one of them).
    #[serde(default)]
    pub uncertainty: Option<UncertaintySpec>,
}

/// Injured people: how many, how urgent, and how many hospital beds they may
/// take (see `docs/scenario-format.md`, "Medical").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MedicalSpec {
    /// Share of people injured, by what happened to them.
    pub injured: InjuredShares,
    /// Share of the injured triaged immediate (START red): they go to hospital first.
    pub red_share: f64,
    /// Share of the injured triaged delayed (START yellow): they go to hospital next.
    /// The rest are minor (green) and are treated where they are.
    pub yellow_share: f64,
    /// Share of each hospital's beds that can be cleared for disaster patients.
    pub surge_share: f64,
}

impl Default for MedicalSpec {
    fn default() -> Self {
        MedicalSpec {
            injured: InjuredShares::default(),
            red_share: 0.2,
            yellow_share: 0.3,
            surge_share: 0.2,
        }
    }
}

/// Share of people injured, by cause (planning assumptions; all 0 unless given).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InjuredShares {
    /// People reached by flood water at home.
    pub flood: f64,
    /// People inside an AEGL-2 footprint.
    pub chemical: f64,
    /// People whose block burnt.
    pub fire: f64,
    /// People taken off alive by boat.
    pub rescued: f64,
}

/// Who is ordered out, and how they go (see `docs/scenario-format.md`, "Evacuation").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvacuationSpec {
    /// Causes that order people out: `Flood`, `Chemical`, `Fire` (declared
    /// impacts leave when they say `evacuate: true`).
    pub on: Vec<EvacuationCause>,
    /// Share of people who refuse to leave and stay at home (0–1).
    pub refuse_share: f64,
    /// From being affected to leaving home (warning and preparation), e.g. `"1h"`.
    pub delay: String,
    /// Walking speed, km/h.
    pub walk_kmh: f64,
    /// People walk when the shelter is at most this far on foot; farther, they wait for a bus.
    pub walk_max: String,
    /// Usable shelter area each person takes, m² (default: the targets' `shelter_m2_per_person`).
    pub m2_per_person: Option<f64>,
}

impl Default for EvacuationSpec {
    fn default() -> Self {
        EvacuationSpec {
            on: vec![EvacuationCause::Flood, EvacuationCause::Chemical, EvacuationCause::Fire],
            refuse_share: 0.1,
            delay: "1h".into(),
            walk_kmh: super::DEFAULT_WALK_KMH,
            walk_max: "45m".into(),
            m2_per_person: None,
        }
    }
}

/// What made people leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EvacuationCause {
    /// Water at home (the flood model's affected depth).
    Flood,
    /// Inside the AEGL-2 footprint of a release.
    Chemical,
    /// Home in a burning block.
    Fire,
}

/// People stranded by water, and how long they survive waiting for a boat.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RescueSpec {
    /// Evacuees still at home when the water there reaches this depth can no longer walk out, m.
    pub wade_depth_m: f64,
    /// People who stayed at home are stranded when the water there reaches this depth, m.
    pub stranded_depth_m: f64,
    /// Shallowest water a rescue boat can use, m.
    pub boat_depth_m: f64,
    /// Share of stranded people still alive by hours since they were stranded:
    /// `[(hours, share), ...]`, piecewise linear, hours increasing, shares not
    /// increasing; after the last point the share stays at its last value.
    pub survival: Vec<(f64, f64)>,
    /// The same for people trapped in collapsed buildings, by hours since
    /// they were trapped (default: the Tangshan 1976 series).
    pub trapped_survival: Vec<(f64, f64)>,
}

impl Default for RescueSpec {
    fn default() -> Self {
        RescueSpec {
            wade_depth_m: 0.5,
            stranded_depth_m: 1.0,
            boat_depth_m: 0.3,
            survival: crate::people::survival::TANGSHAN_1976.to_vec(),
            trapped_survival: crate::people::survival::TANGSHAN_1976.to_vec(),
        }
    }
}

/// What is uncertain in a scenario. Run `i` of a batch draws every entry
/// from a stream seeded by (the scenario's seed, `i`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UncertaintySpec {
    /// Per hazard (by id): its start, breach inflow, release size.
    pub hazards: Vec<HazardUncertainty>,
    /// Wind speed at 10 m, m/s (replaces the weather's).
    pub wind_m_s: Option<Dist>,
    /// Direction the wind blows from, degrees (replaces the weather's).
    pub wind_from_deg: Option<Dist>,
    /// Factor on every rain intensity (the weather's and rain injects').
    pub rain_scale: Option<Dist>,
    /// Each segment of a road class fails (damaged from the start) with a probability.
    pub road_failures: Vec<RoadFailure>,
    /// Each truck is broken down for the whole run with this probability.
    pub truck_breakdown: f64,
    /// Each team is unavailable for the whole run with this probability.
    pub team_unavailable: f64,
    /// Household reserve share (replaces `households.share`).
    pub households_share: Option<Dist>,
    /// Factor on the people of every declared impact (scripted and injected;
    /// hazards find their own people).
    pub people_scale: Option<Dist>,
}

/// What is uncertain about one hazard.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HazardUncertainty {
    /// Hazard id (from `hazards`).
    pub id: String,
    /// Hours added to its start (may be negative; the start stays inside the run).
    #[serde(default)]
    pub start_shift_h: Option<Dist>,
    /// Breaches: factor on the inflow hydrograph.
    #[serde(default)]
    pub inflow_scale: Option<Dist>,
    /// Releases: factor on the release rate (or the mass of an instant release).
    #[serde(default)]
    pub release_scale: Option<Dist>,
}

/// Failure probability of every segment of one road class.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoadFailure {
    /// Road class.
    pub class: RoadClass,
    /// Probability a segment fails, 0–1.
    pub p: f64,
}

/// Road damage by floods.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoadDamageSpec {
    /// A segment whose water reached this depth, m, is damaged (surface and
    /// embankment washed out): it stays closed after the water has gone until
    /// a `RoadRepair` team has worked on it.
    pub flood_depth_m: f64,
}

/// How boats and buses are assigned (a doctrine planners can compare).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TeamDispatchKind {
    /// Tasks in order of priority (life safety first), then of waiting time;
    /// each gets the free team that arrives first.
    #[default]
    Priority,
    /// Every free team bids its arrival time on every task it can do; the
    /// cheapest bid in the whole market wins, again and again (a sequential
    /// single-item auction: faster overall, blind to who waited longest).
    Auction,
}

/// A team (or several identical teams) at a base.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamSpec {
    /// Identifier (unique); several teams are numbered `id-1`, `id-2`, ...
    pub id: String,
    /// What the team does.
    pub kind: TeamKind,
    /// Base: a named place (e.g. a fire station).
    pub base: String,
    /// Number of identical teams (default 1).
    #[serde(default = "default_one")]
    pub count: u32,
    /// Time from the call to leaving the base (default: fire 2m, hazmat 10m).
    #[serde(default)]
    pub mobilise: Option<String>,
    /// Top speed on roads, km/h (default 60).
    #[serde(default)]
    pub speed_kmh: Option<f64>,
    /// Fire teams: area of fire put out per hour, m² (default by fuel: see the
    /// scenario-format docs).
    #[serde(default)]
    pub rate_m2_per_h: Option<f64>,
    /// Time a task takes on site: hazmat teams, to stop a release (default
    /// `"30m"`); rescue teams (fire-rescue, town, volunteers), to free the
    /// people of one trip from rubble (default fire-rescue `"1h"`, town and
    /// volunteers `"2h"`); road repair teams, to repair one segment (default `"4h"`).
    #[serde(default)]
    pub work: Option<String>,
    /// Boats, buses and ambulances: people carried per trip (default: boat 8,
    /// bus 45, ambulance 1); rescue teams: people freed from rubble per `work`
    /// (default 2).
    #[serde(default)]
    pub seats: Option<u32>,
    /// Boats: speed on flood water, km/h (default 10).
    #[serde(default)]
    pub water_kmh: Option<f64>,
    /// Length of a shift from the first call (default `"12h"`); a team whose
    /// shift has run out finishes its task, goes home and rests.
    #[serde(default)]
    pub shift: Option<String>,
    /// Rest after a shift (default `"8h"`).
    #[serde(default)]
    pub rest: Option<String>,
    /// Volunteer teams: what they can do (at least one).
    #[serde(default)]
    pub skills: Vec<Skill>,
    /// On duty from this time (default: the start): reinforcements from
    /// neighbouring counties, or crews called in for a second shift.
    #[serde(default)]
    pub available: Option<TimeSpec>,
}

fn default_one() -> u32 {
    1
}

/// The kinds of team that act on hazards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TeamKind {
    /// Comprehensive fire-rescue team (fire engine company): suppresses fires.
    FireRescue,
    /// Hazardous-chemicals team in protective gear: stops releases at the source.
    Hazmat,
    /// Flood-rescue team with an assault boat on a trailer: takes stranded
    /// people off flooded homes.
    Boat,
    /// Evacuation bus: carries evacuees from home to their shelter.
    Bus,
    /// Ambulance: carries injured people to a hospital with a free bed.
    Ambulance,
    /// Road repair team (道路抢险): reopens damaged road segments, one after
    /// another, main roads first.
    RoadRepair,
    /// Town or village emergency team (乡镇/村 基层应急队伍): frees people
    /// trapped in collapsed buildings near home, with light tools.
    Town,
    /// Volunteer rescue team; what it can do comes from its `skills`.
    Volunteer,
}

/// Special skills of a volunteer team (the plan asks for more divers, rope
/// and demolition specialists among volunteers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Skill {
    /// Divers with a boat: take stranded people off flooded homes, like a `Boat` team.
    Diving,
    /// Rope rescue: free people trapped in collapsed buildings.
    Rope,
    /// Demolition and breaching: free people trapped in collapsed buildings.
    Demolition,
}

/// Values at risk (all optional: without `gdp_yuan` no share of GDP is given).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EconomySpec {
    /// City GDP, yuan per year.
    pub gdp_yuan: Option<f64>,
    /// Replacement value of buildings and contents per m² of building footprint, yuan.
    pub building_yuan_per_m2: f64,
    /// Value of a standing crop per m² of cropland, yuan.
    pub crop_yuan_per_m2: f64,
}

impl Default for EconomySpec {
    /// Planning assumptions (verify): buildings 3 000 yuan per m² of footprint
    /// (two storeys of brick-concrete housing at ≈ 1 500 yuan/m² of floor with
    /// contents); crops 2 yuan/m² (a wheat or maize season of ≈ 7.5 t/ha at
    /// ≈ 2.6 yuan/kg).
    fn default() -> Self {
        EconomySpec {
            gdp_yuan: None,
            building_yuan_per_m2: 3_000.0,
            crop_yuan_per_m2: 2.0,
        }
    }
}

fn default_hazard_step() -> String {
    "5m".to_string()
}

/// Weather over the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WeatherSpec {
    /// Wind speed at 10 m, m/s.
    pub wind_m_s: f64,
    /// Direction the wind blows from, degrees clockwise from north (45 = north-east wind).
    pub wind_from_deg: f64,
    /// Pasquill–Gifford stability class; when absent it follows from wind, time of day
    /// and cloud (Turner's table).
    pub stability: Option<crate::hazard::plume::Stability>,
    /// Cloud cover, oktas (0–8).
    pub cloud_oktas: u8,
    /// Rain intensity over time: (time, mm/h) points, linear in between, 0 outside.
    pub rain_mm_h: Vec<(TimeSpec, f64)>,
    /// Zones the rain falls on (names); empty = everywhere.
    pub rain_zones: Vec<String>,
}

impl Default for WeatherSpec {
    fn default() -> Self {
        WeatherSpec {
            wind_m_s: 2.0,
            wind_from_deg: 0.0,
            stability: None,
            cloud_oktas: 4,
            rain_mm_h: Vec::new(),
            rain_zones: Vec::new(),
        }
    }
}

/// Where a hazard starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Site {
    /// A named place.
    Place(String),
    /// A road node (name or `"#index"`).
    Node(String),
    /// A position.
    LatLon(f64, f64),
}

/// A hazard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum HazardSpec {
    /// A levee breach: water enters the floodplain at `at` following a hydrograph.
    Breach {
        /// Identifier.
        id: String,
        /// Where the water enters.
        at: Site,
        /// When the levee fails.
        start: TimeSpec,
        /// Inflow hydrograph: (time after the breach, m³/s) points, linear in between.
        inflow_m3_s: Vec<(String, f64)>,
    },
    /// A fire starting at `at`: urban blocks burn by the Hamada model, fields by the
    /// cellular automaton.
    Fire {
        /// Identifier.
        id: String,
        /// Ignition point.
        at: Site,
        /// Ignition time.
        start: TimeSpec,
    },
    /// A release of a toxic chemical: continuous (`rate_kg_s` and `duration`,
    /// Gaussian plume), from a tank through a hole (`tank`, orifice flow, then a
    /// plume), or instantaneous (`mass_kg`, Gaussian puff).
    Release {
        /// Identifier.
        id: String,
        /// Chemical name, Chinese name or CAS number (from `assets/chemicals.ron`).
        chemical: String,
        /// Source.
        at: Site,
        /// Start of the release.
        start: TimeSpec,
        /// Release rate, kg/s (with `duration`).
        #[serde(default)]
        rate_kg_s: Option<f64>,
        /// Duration, e.g. `"30m"` (with `rate_kg_s`).
        #[serde(default)]
        duration: Option<String>,
        /// A leak from a tank of liquefied gas: the rate follows from the hole.
        #[serde(default)]
        tank: Option<TankSpec>,
        /// An instantaneous release of this mass, kg (a tank rupture).
        #[serde(default)]
        mass_kg: Option<f64>,
        /// Release height, m.
        #[serde(default)]
        height_m: f64,
    },
}

/// A tank leaking liquid through a hole in its wall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TankSpec {
    /// Hole diameter, mm.
    pub hole_mm: f64,
    /// Liquid in the tank, kg (the leak lasts until it is gone, or a team stops it).
    pub inventory_kg: f64,
    /// Liquid height above the hole, m (default 1).
    #[serde(default = "default_head")]
    pub head_m: f64,
    /// Gauge pressure of the vapour space, kPa (for a liquefied gas: its vapour
    /// pressure minus 1 atm, e.g. chlorine ≈ 580, ammonia ≈ 760 at 20 °C).
    #[serde(default)]
    pub overpressure_kpa: f64,
    /// Liquid density, kg/m³ (default from the chemicals file).
    #[serde(default)]
    pub liquid_density_kg_m3: Option<f64>,
}

fn default_head() -> f64 {
    1.0
}

fn default_step() -> String {
    "1m".to_string()
}

/// Relief targets of the plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Targets {
    /// Hours from being affected to initial relief (plan: 12).
    pub initial_relief_h: f64,
    /// Hours from being affected to basic living relief (plan: 24).
    pub basic_relief_h: f64,
    /// Shelter area per resident, m² (plan: 2.5).
    pub shelter_m2_per_person: f64,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            initial_relief_h: 12.0,
            basic_relief_h: 24.0,
            shelter_m2_per_person: 2.5,
        }
    }
}

/// Size of one unit of each relief item.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Items {
    /// Initial-relief kit for one person: first-day water and food.
    pub initial_kit: ItemSpec,
    /// Basic-relief set for one person: shelter share, bedding, clothing, 3 days' water and food.
    pub basic_set: ItemSpec,
}

impl Default for Items {
    /// Planning assumptions from DOMAIN.md ("Relief"): an initial kit is 3 L
    /// water + 0.6 kg instant food + packaging ≈ 4 kg, 0.006 m³; a basic set is a
    /// quarter of a 12 m² tent (≈ 10 kg), a quilt (3 kg), a folding bed (7 kg) and
    /// 3 days of water and food (≈ 11 kg) ≈ 31 kg, 0.12 m³.
    fn default() -> Self {
        Items {
            initial_kit: ItemSpec {
                mass_kg: 4.0,
                volume_m3: 0.006,
            },
            basic_set: ItemSpec {
                mass_kg: 31.0,
                volume_m3: 0.12,
            },
        }
    }
}

/// Mass and volume of one item.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemSpec {
    /// Mass, kg.
    pub mass_kg: f64,
    /// Volume, m³.
    pub volume_m3: f64,
}

/// Handling times at depots and at delivery points (planning assumptions).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Handling {
    /// Fixed time to load a truck, minutes (paperwork, positioning).
    pub load_fixed_min: f64,
    /// Loading time per tonne, minutes (forklift).
    pub load_min_per_t: f64,
    /// Fixed time to unload at a delivery point, minutes.
    pub unload_fixed_min: f64,
    /// Unloading and hand-out time per tonne, minutes (by hand).
    pub unload_min_per_t: f64,
}

impl Default for Handling {
    fn default() -> Self {
        Handling {
            load_fixed_min: 10.0,
            load_min_per_t: 4.0,
            unload_fixed_min: 10.0,
            unload_min_per_t: 8.0,
        }
    }
}

/// A reserve site of one of the "1+4" tiers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepotSpec {
    /// Identifier used by the fleet and injects (unique).
    pub id: String,
    /// A named place on the map (pinyin or Chinese name) ...
    #[serde(default)]
    pub place: Option<String>,
    /// ... or a position (a new site), snapped to the nearest road node.
    #[serde(default)]
    pub at: Option<LatLon>,
    /// Reserve tier and its behaviour.
    pub tier: Tier,
    /// Stock at the start of the run.
    #[serde(default)]
    pub stock: Stock,
    /// Trucks that can load at once (default 4).
    #[serde(default = "default_bays")]
    pub bays: u32,
}

fn default_bays() -> u32 {
    4
}

/// The "1+4" reserve tiers, each with its own behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Tier {
    /// Government reserve (central depot or town depot): stock available at once.
    Government,
    /// Enterprise production capacity: produces items after a lead time.
    Enterprise {
        /// Time from the start of the run until production starts, e.g. `"6h"`.
        lead_time: String,
        /// Initial kits produced per hour.
        #[serde(default)]
        initial_per_h: f64,
        /// Basic sets produced per hour.
        #[serde(default)]
        basic_per_h: f64,
    },
    /// Commercial agreement stock: available after the agreement is activated.
    Commercial {
        /// Activation delay from the start of the run, e.g. `"4h"`.
        activation: String,
    },
    /// Community reserve station: hands out its stock in its own zone, without trucks.
    Community {
        /// Delay from a group being affected to the station handing out, e.g. `"1h"`.
        local_delay: String,
        /// People the station's staff can serve per hour.
        people_per_h: f64,
    },
}

/// Counts of items in stock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Stock {
    /// Initial-relief kits.
    pub initial: u32,
    /// Basic-relief sets.
    pub basic: u32,
}

/// Household reserves: the share of households whose own supplies give them
/// initial relief when they are affected.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Households {
    /// Share of people covered, 0–1.
    pub share: f64,
}

/// A group of identical trucks based at one depot.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetSpec {
    /// Home depot id.
    pub depot: String,
    /// Number of trucks.
    pub trucks: u32,
    /// Payload, kg.
    pub capacity_kg: f64,
    /// Cargo volume, m³.
    pub capacity_m3: f64,
    /// Top speed, km/h (roads may be slower).
    #[serde(default = "default_truck_speed")]
    pub speed_kmh: f64,
    /// When the drivers are ready, e.g. `"1h"` (default at once).
    #[serde(default)]
    pub ready: Option<TimeSpec>,
    /// Deepest water the trucks can drive through, m (default by payload: see
    /// [`default_wading_m`]).
    #[serde(default)]
    pub wading_m: Option<f64>,
}

/// Default wading depth for a truck of `payload_kg`: light trucks (≤ 4.5 t
/// payload) 0.7 m, heavier ones 1.1 m — the lower ends of the still-water
/// limits for light and heavy vehicles in Contreras-Jara et al. (2018)
/// (DOMAIN.md, "Flood").
pub fn default_wading_m(payload_kg: f64) -> f64 {
    if payload_kg <= 4_500.0 { 0.7 } else { 1.1 }
}

fn default_truck_speed() -> f64 {
    80.0
}

/// Where people are affected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Area {
    /// A whole zone (pinyin or Chinese name): people split over its villages and blocks
    /// in proportion to residents.
    Zone(String),
    /// One road node by name (villages) or `"#index"`.
    Node(String),
    /// The node of a named place.
    Place(String),
}

/// People affected at a time.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImpactSpec {
    /// When they are affected.
    pub at: TimeSpec,
    /// Where.
    pub area: Area,
    /// How many people.
    pub people: u32,
    /// Whether they are ordered to a shelter (needs an `evacuation` section).
    #[serde(default)]
    pub evacuate: bool,
    /// Of the people, how many are trapped in collapsed buildings and need a
    /// rescue team (fire-rescue, town, or volunteers with rope or demolition skills).
    #[serde(default)]
    pub trapped: u32,
}

/// A scripted inject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InjectSpec {
    /// Identifier (unique when given).
    #[serde(default)]
    pub id: Option<String>,
    /// When it is delivered.
    pub at: TimeSpec,
    /// What the facilitator reads out.
    #[serde(default)]
    pub text: String,
    /// What it changes in the simulation.
    pub action: Action,
    /// Expected actions (HSEEP Exercise Evaluation Guide): what the response
    /// should achieve within a time of this inject's delivery.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expect: Vec<ExpectSpec>,
}

/// An expected action: "hazmat team at the plant within 60 min".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectSpec {
    /// The task as the evaluation guide words it.
    pub task: String,
    /// Time allowed from the inject's delivery, e.g. "30m".
    pub within: String,
    /// What in the journal shows it done.
    pub check: Check,
}

/// What shows an expected action done (the first such event counts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Check {
    /// A team reached the hazard with this id and started work.
    TeamArrives(String),
    /// The release with this hazard id was stopped.
    ReleaseStopped(String),
    /// The fire with this hazard id was out.
    FireOut(String),
    /// People in this zone were ordered out.
    EvacuationOrdered(String),
    /// Affected people in this zone received relief (initial or basic).
    Relief(String),
    /// The inject with this id was delivered (a decision recorded as an inject in a drill).
    Inject(String),
}

/// What an inject changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Action {
    /// Only a message; changes nothing.
    Note,
    /// Close roads.
    CloseRoads(RoadSel),
    /// Reopen roads (to normal speed).
    OpenRoads(RoadSel),
    /// Slow roads to a factor (0–1) of their speed.
    SlowRoads(RoadSel, f64),
    /// More people affected.
    Impact {
        /// Where.
        area: Area,
        /// How many.
        people: u32,
        /// Whether they are ordered to a shelter.
        #[serde(default)]
        evacuate: bool,
        /// Of them, trapped in collapsed buildings.
        #[serde(default)]
        trapped: u32,
    },
    /// Damage roads: closed to every vehicle until a `RoadRepair` team has repaired them.
    DamageRoads(RoadSel),
    /// A depot stops issuing (by depot id).
    DepotOutOfService(String),
    /// A depot resumes issuing.
    DepotInService(String),
    /// A team stops taking tasks (its id in `teams`: all its members; or one
    /// member, `"id-2"`); one on a task finishes it first.
    TeamOutOfService(String),
    /// A team takes tasks again.
    TeamInService(String),
    /// The wind changes (speed m/s at 10 m, direction it blows from, degrees).
    Wind(f64, f64),
    /// A new hazard starts now (its own `start` is ignored).
    Hazard(HazardSpec),
    /// Rain starts now: (time after the inject, mm/h) points, on the zones
    /// listed (empty = everywhere).
    Rain {
        /// Intensity over time after the inject.
        mm_h: Vec<(String, f64)>,
        /// Zones it falls on; empty = everywhere.
        #[serde(default)]
        zones: Vec<String>,
    },
    /// A running fire escalates: a new ignition (spot fire) at a site (fire id, site).
    SpotFire(String, Site),
    /// Stock arrives at a depot (e.g. from the provincial reserve).
    AddStock {
        /// Depot id.
        depot: String,
        /// Items added.
        stock: Stock,
    },
}

/// Which roads an inject acts on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RoadSel {
    /// The segment(s) between two adjacent nodes (names or `"#index"`).
    Edge(String, String),
    /// Every segment of a named road, e.g. `"G308"`.
    Road(String),
    /// Every segment of a named road inside one zone.
    RoadInZone(String, String),
    /// Every segment with an end within `radius_m` of a place or node.
    Near(String, f64),
    /// Every segment with both ends in a zone.
    Zone(String),
}

/// Built-in dispatch policies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DispatchPolicyKind {
    /// Serve the group whose 12 h / 24 h deadline is nearest, from the depot that can reach it soonest.
    #[default]
    EarliestDeadlineFirst,
    /// Serve the group that can be reached soonest, whatever its deadline (a baseline).
    NearestFirst,
}

/// A depot layout file: replaces a scenario's depots (and optionally its fleet).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Layout")]
pub struct LayoutFile {
    /// Layout name.
    pub name: String,
    /// What the layout represents.
    #[serde(default)]
    pub description: String,
    /// The depots.
    pub depots: Vec<DepotSpec>,
    /// Trucks; when absent the scenario's fleet is kept (its depots must exist here).
    #[serde(default)]
    pub fleet: Option<Vec<FleetSpec>>,
}
