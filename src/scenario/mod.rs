//! Stage 1 of the pipeline: scenario files. Owns the RON formats
//! ([`schema`]), reading them with positioned errors, and [`check`], which
//! resolves every name and time against the map into a [`RunSpec`] — or
//! refuses the file with every problem found.

pub mod locate;
pub mod schema;
pub mod time;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDateTime;
use serde::de::DeserializeOwned;

use crate::city::routing::{EdgeState, Vehicle};
use crate::city::{CityMap, NameRef, SegmentId, Xy, resolve_map_path};
use crate::error::{Diagnostic, Error};
use crate::people::survival::SurvivalCurve;
use locate::SourceIndex;
pub use schema::*;
use time::{SimDuration, SimTime, TimeSpec, parse_datetime, parse_duration};

/// Largest number of people, items or trucks a single entry may hold; more is
/// taken as a typo (the whole of Shandong has about 100 million people).
pub const ABSURD_COUNT: u32 = 10_000_000;
/// Heaviest truck payload accepted, kg (Chinese limit for a 6-axle truck is 49 t gross).
pub const MAX_PAYLOAD_KG: f64 = 49_000.0;
/// A depot snapped to a road node farther than this is "off the map", m.
pub const MAX_SNAP_M: f64 = 2_000.0;

/// Parse RON text into `T`, turning syntax and type errors into a [`Diagnostic`]
/// with line, column and field path.
///
/// # Errors
/// [`Error::Input`] with one diagnostic.
pub fn parse_ron<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, Error> {
    // `implicit_some`: optional fields are written plainly (`place: "X"`, not `Some("X")`).
    let options = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    options.from_str(text).map_err(|e| {
        let index = SourceIndex::build(text);
        let at = locate::LineCol {
            line: e.span.start.line.max(1),
            col: e.span.start.col.max(1),
        };
        // serde errors may point just before the value: skip to the next token.
        let mut offset = index.offset_of(text, at);
        while text[offset..].starts_with(|c: char| c.is_whitespace() || c == ':') {
            offset += text[offset..].chars().next().map_or(1, char::len_utf8);
        }
        let at = index.line_col(text, offset);
        let field = index.path_at(offset).unwrap_or("").to_string();
        let message = explain_ron_error(&e.code);
        let hint = match &e.code {
            ron::Error::NoSuchStructField { .. } | ron::Error::MissingStructField { .. } => {
                Some("see docs/scenario-format.md for every field and its default".to_string())
            }
            ron::Error::ExpectedComma | ron::Error::ExpectedStructLikeEnd | ron::Error::ExpectedArrayEnd => {
                Some("check the line above for a missing comma or an unclosed bracket".to_string())
            }
            _ => None,
        };
        let mut d = Diagnostic::new(path, Some(at), field, message);
        d.hint = hint;
        Error::one(d)
    })
}

fn explain_ron_error(code: &ron::Error) -> String {
    match code {
        ron::Error::NoSuchStructField { expected, found, .. } => {
            format!("unknown field `{found}`; expected one of: {}", expected.join(", "))
        }
        ron::Error::MissingStructField { field, outer } => match outer {
            Some(o) => format!("missing field `{field}` in {o}"),
            None => format!("missing field `{field}`"),
        },
        ron::Error::NoSuchEnumVariant { expected, found, .. } => {
            format!("unknown variant `{found}`; expected one of: {}", expected.join(", "))
        }
        ron::Error::InvalidValueForType { expected, found } => {
            format!("expected {expected}, found {found}")
        }
        other => {
            let s = other.to_string();
            let mut c = s.chars();
            match c.next() {
                Some(f) => f.to_lowercase().chain(c).collect(),
                None => s,
            }
        }
    }
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// A reserve tier with its times resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum TierDef {
    /// Government stock, available at once.
    Government,
    /// Production after a lead time.
    Enterprise {
        /// Production starts.
        from: SimTime,
        /// Initial kits per hour.
        initial_per_h: f64,
        /// Basic sets per hour.
        basic_per_h: f64,
    },
    /// Available after activation.
    Commercial {
        /// Activation time.
        from: SimTime,
    },
    /// Local hand-out in one zone.
    Community {
        /// Delay after a group is affected.
        local_delay: SimDuration,
        /// People served per hour.
        people_per_h: f64,
        /// The station's zone.
        zone: u16,
    },
}

impl TierDef {
    /// Tier name as reported: government / enterprise / commercial / community.
    pub fn label(&self) -> &'static str {
        match self {
            TierDef::Government => "government",
            TierDef::Enterprise { .. } => "enterprise",
            TierDef::Commercial { .. } => "commercial",
            TierDef::Community { .. } => "community",
        }
    }
}

/// A depot resolved onto the map.
#[derive(Debug, Clone)]
pub struct DepotDef {
    /// Id from the file.
    pub id: String,
    /// Display name (place name, or the id for a new site).
    pub name: String,
    /// Chinese name if the place has one.
    pub name_zh: Option<String>,
    /// Road node trucks load at.
    pub node: u32,
    /// Position.
    pub xy: Xy,
    /// Tier.
    pub tier: TierDef,
    /// Stock at start.
    pub stock: Stock,
    /// Loading bays.
    pub bays: u32,
}

/// A fleet entry resolved.
#[derive(Debug, Clone)]
pub struct FleetDef {
    /// Home depot index.
    pub depot: usize,
    /// Trucks.
    pub trucks: u32,
    /// Payload, kg.
    pub capacity_kg: f64,
    /// Volume, m³.
    pub capacity_m3: f64,
    /// Top speed and wading depth.
    pub vehicle: Vehicle,
    /// Drivers ready.
    pub ready: SimTime,
}

/// People affected at one time, already split onto road nodes.
#[derive(Debug, Clone)]
pub struct ImpactDef {
    /// When.
    pub at: SimTime,
    /// What the file said (for the journal), e.g. `Zone("潘庄镇")`.
    pub label: String,
    /// (node, people) with people > 0.
    pub groups: Vec<(u32, u32)>,
    /// Whether these people are ordered to a shelter.
    pub evacuate: bool,
    /// Of each group's people, how many are trapped in collapsed buildings
    /// (empty: nobody).
    pub trapped: Vec<u32>,
}

/// Split `trapped` people over groups in proportion to their people (largest
/// remainders, then group order), never more than a group has.
pub fn split_trapped(groups: &[(u32, u32)], trapped: u32) -> Vec<u32> {
    let total: u64 = groups.iter().map(|g| u64::from(g.1)).sum();
    if trapped == 0 || total == 0 {
        return Vec::new();
    }
    let trapped = u64::from(trapped).min(total);
    let mut out: Vec<u32> = groups
        .iter()
        .map(|g| (u64::from(g.1) * trapped / total) as u32)
        .collect();
    let mut left = trapped - out.iter().map(|&t| u64::from(t)).sum::<u64>();
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&k| (std::cmp::Reverse(u64::from(groups[k].1) * trapped % total), k));
    for k in order {
        if left == 0 {
            break;
        }
        if out[k] < groups[k].1 {
            out[k] += 1;
            left -= 1;
        }
    }
    out
}

/// Evacuation resolved.
#[derive(Debug, Clone)]
pub struct EvacuationDef {
    /// Causes that order people out.
    pub on: Vec<EvacuationCause>,
    /// Share who stay at home.
    pub refuse_share: f64,
    /// From being affected to leaving.
    pub delay: SimDuration,
    /// How people walk (speed; deepest water they wade is the rescue's `wade_depth_m`).
    pub walker: Vehicle,
    /// Longest walk; farther, a bus.
    pub walk_max: SimDuration,
    /// The map's shelters with their capacity at the scenario's m² per person.
    pub shelters: Vec<ShelterDef>,
}

/// A shelter and how many people fit.
#[derive(Debug, Clone)]
pub struct ShelterDef {
    /// Place index.
    pub place: usize,
    /// Road node.
    pub node: u32,
    /// Usable area, m².
    pub usable_m2: f64,
    /// People it takes.
    pub capacity: u32,
}

/// Stranding and rescue resolved.
#[derive(Debug, Clone)]
pub struct RescueDef {
    /// Evacuees can no longer walk out above this depth, m.
    pub wade_depth_m: f64,
    /// People at home are stranded above this depth, m.
    pub stranded_depth_m: f64,
    /// Boats need this much water, m.
    pub boat_depth_m: f64,
    /// Share alive by hours stranded.
    pub survival: SurvivalCurve,
    /// Share alive by hours trapped in a collapsed building.
    pub trapped_survival: SurvivalCurve,
}

/// What an inject does, resolved.
#[derive(Debug, Clone)]
pub enum ActionDef {
    /// Nothing.
    Note,
    /// Set these segments to a state.
    SetRoads {
        /// Segments.
        segments: Vec<SegmentId>,
        /// New state.
        state: EdgeState,
    },
    /// People affected.
    Impact(ImpactDef),
    /// Teams in or out of service.
    TeamService {
        /// Team ids (members, as in [`TeamDef::id`]).
        teams: Vec<String>,
        /// In service again (true) or out of service.
        in_service: bool,
    },
    /// Depot in or out of service.
    DepotService {
        /// Depot index.
        depot: usize,
        /// In service after the inject.
        in_service: bool,
    },
    /// Stock arrives.
    AddStock {
        /// Depot index.
        depot: usize,
        /// Items.
        stock: Stock,
    },
    /// The wind changes: speed at 10 m (m/s), direction it blows from (degrees).
    Wind(f64, f64),
    /// A hazard starts (at the inject's time).
    Hazard(HazardDef),
    /// Rain starts: (seconds since the start of the run, mm/h) points.
    Rain {
        /// Intensity.
        mm_h: Vec<(f64, f64)>,
        /// Zone indices it falls on; empty = everywhere.
        zones: Vec<usize>,
    },
    /// Damage these segments (closed until repaired).
    DamageRoads(Vec<SegmentId>),
    /// A new ignition of a running fire.
    SpotFire {
        /// Fire hazard id.
        fire: String,
        /// Position, local metres.
        xy: Xy,
    },
}

/// A team resolved.
#[derive(Debug, Clone)]
pub struct TeamDef {
    /// Id (`id` or `id-k` when the spec had a count).
    pub id: String,
    /// Kind.
    pub kind: TeamKind,
    /// Base place index.
    pub base_place: usize,
    /// Base road node.
    pub base: u32,
    /// Call to departure.
    pub mobilise: SimDuration,
    /// How it drives (hazmat teams are protected: they may enter closed plume zones).
    pub vehicle: Vehicle,
    /// Fire teams: m² of fire put out per hour (None: by fuel).
    pub rate_m2_per_h: Option<f64>,
    /// Hazmat teams: time at the source to stop a release.
    pub work: SimDuration,
    /// Boats and buses: people per trip (0 for other teams).
    pub seats: u32,
    /// Boats: speed on water, km/h.
    pub water_kmh: f64,
    /// Shift length from the first call.
    pub shift: SimDuration,
    /// Rest after a shift.
    pub rest: SimDuration,
    /// Volunteer teams: skills.
    pub skills: Vec<Skill>,
    /// On duty from.
    pub available: SimTime,
}

/// Weather resolved.
#[derive(Debug, Clone)]
pub struct WeatherDef {
    /// Wind at 10 m, m/s.
    pub wind_m_s: f64,
    /// Direction the wind blows from, degrees clockwise from north.
    pub wind_from_deg: f64,
    /// Fixed stability class, or derived from time of day and cloud.
    pub stability: Option<crate::hazard::plume::Stability>,
    /// Cloud, oktas.
    pub cloud_oktas: u8,
    /// Rain: (seconds since start, mm/h).
    pub rain_mm_h: Vec<(f64, f64)>,
    /// Zone indices the rain falls on; empty = everywhere.
    pub rain_zones: Vec<usize>,
}

/// A hazard resolved onto the map.
#[derive(Debug, Clone)]
pub struct HazardDef {
    /// Identifier.
    pub id: String,
    /// Start.
    pub start: SimTime,
    /// Position, local metres.
    pub xy: Xy,
    /// Nearest road node.
    pub node: u32,
    /// What it is.
    pub kind: HazardKind,
}

/// The kinds of hazard.
#[derive(Debug, Clone)]
pub enum HazardKind {
    /// Levee breach: inflow (seconds after the breach, m³/s).
    Breach {
        /// Hydrograph.
        inflow_m3_s: Vec<(f64, f64)>,
    },
    /// Fire.
    Fire,
    /// Toxic release.
    Release {
        /// The chemical.
        chemical: Box<crate::hazard::plume::Chemical>,
        /// How it escapes.
        source: ReleaseSource,
        /// m.
        height_m: f64,
    },
}

/// How a chemical escapes.
#[derive(Debug, Clone, PartialEq)]
pub enum ReleaseSource {
    /// At a steady rate for a time (Gaussian plume).
    Continuous {
        /// kg/s.
        rate_kg_s: f64,
        /// Seconds.
        duration_s: f64,
        /// For a tank leak: how the rate was found (for the report).
        tank: Option<String>,
    },
    /// All at once (Gaussian puff).
    Instant {
        /// kg.
        mass_kg: f64,
    },
}

/// An inject resolved.
#[derive(Debug, Clone)]
pub struct InjectDef {
    /// Id (given, or `inject-N`).
    pub id: String,
    /// Time.
    pub at: SimTime,
    /// Text for the facilitator.
    pub text: String,
    /// Effect.
    pub action: ActionDef,
    /// Expected actions, checked against the journal.
    pub expect: Vec<ExpectDef>,
}

/// An expected action, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectDef {
    /// The task as worded.
    pub task: String,
    /// Time allowed from the inject's delivery.
    pub within: SimDuration,
    /// What shows it done (zones by index).
    pub check: CheckDef,
}

/// [`Check`] with zone names resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckDef {
    /// A team started work on this hazard.
    TeamArrives(String),
    /// This release was stopped.
    ReleaseStopped(String),
    /// This fire was out.
    FireOut(String),
    /// People of this zone were ordered out.
    EvacuationOrdered(usize),
    /// People of this zone received relief.
    Relief(usize),
    /// This inject was delivered.
    Inject(String),
}

/// A checked scenario: everything a run needs, resolved against its map.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// The scenario file.
    pub source: PathBuf,
    /// Title.
    pub name: String,
    /// Chinese title.
    pub name_zh: Option<String>,
    /// Description.
    pub description: String,
    /// The map.
    pub city: Arc<CityMap>,
    /// Map file.
    pub map_path: PathBuf,
    /// Local start time.
    pub start: NaiveDateTime,
    /// End of the run.
    pub end: SimTime,
    /// Step.
    pub step: SimDuration,
    /// Seed.
    pub seed: u64,
    /// Targets.
    pub targets: Targets,
    /// Item sizes.
    pub items: Items,
    /// Handling times.
    pub handling: Handling,
    /// Depots.
    pub depots: Vec<DepotDef>,
    /// Layout name when `--layout` replaced the depots.
    pub layout: Option<String>,
    /// Household reserve share.
    pub households_share: f64,
    /// Fleet.
    pub fleet: Vec<FleetDef>,
    /// Scripted impacts, by time.
    pub impacts: Vec<ImpactDef>,
    /// Injects, by time.
    pub injects: Vec<InjectDef>,
    /// Dispatch policy.
    pub dispatch: DispatchPolicyKind,
    /// Weather.
    pub weather: WeatherDef,
    /// Hazards from the scenario (injects may add more).
    pub hazards: Vec<HazardDef>,
    /// Hazard hand-over interval.
    pub hazard_step: SimDuration,
    /// Terrain and land use, loaded when hazards need them.
    pub terrain: Option<Arc<crate::city::terrain::Terrain>>,
    /// Fire-rescue and hazmat teams.
    pub teams: Vec<TeamDef>,
    /// Values at risk.
    pub economy: EconomySpec,
    /// Evacuation, when the scenario orders one.
    pub evacuation: Option<EvacuationDef>,
    /// Stranding by water and rescue by boat.
    pub rescue: RescueDef,
    /// How boats, buses and ambulances are assigned.
    pub team_dispatch: TeamDispatchKind,
    /// Injuries, triage and hospital beds.
    pub medical: Option<MedicalDef>,
    /// Water depth that damages a road, m (None: floods damage no road).
    pub road_damage_depth_m: Option<f64>,
    /// What is uncertain (checked), for batches.
    pub uncertainty: Option<UncertaintySpec>,
}

/// Medical resolved.
#[derive(Debug, Clone)]
pub struct MedicalDef {
    /// Shares injured by cause.
    pub injured: InjuredShares,
    /// START red share of the injured.
    pub red_share: f64,
    /// START yellow share of the injured.
    pub yellow_share: f64,
    /// The map's hospitals with beds for disaster patients.
    pub hospitals: Vec<HospitalDef>,
}

/// A hospital and the beds it can give disaster patients.
#[derive(Debug, Clone)]
pub struct HospitalDef {
    /// Place index.
    pub place: usize,
    /// Road node.
    pub node: u32,
    /// Beds for disaster patients (surge share of its beds).
    pub beds: u32,
}

/// Read, parse and check a scenario (and an optional layout file that replaces
/// its depots), loading the map it names.
///
/// # Errors
/// [`Error::Io`] for unreadable files; [`Error::Input`] listing every problem.
pub fn load(path: &Path, layout: Option<&Path>) -> Result<RunSpec, Error> {
    let text = read(path)?;
    let scenario: Scenario = parse_ron(path, &text)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let Some(map_path) = resolve_map_path(&scenario.map, base) else {
        let index = SourceIndex::build(&text);
        return Err(Error::one(
            Diagnostic::new(
                path,
                index.locate("map"),
                "map",
                format!("no map named \"{}\"", scenario.map),
            )
            .with_hint(
                "use a name from assets/maps/ (e.g. \"linqing\") or a path ending in .ron, relative to the scenario",
            ),
        ));
    };
    let city = Arc::new(CityMap::load(&map_path)?);
    let layout = read_layout(layout)?;
    let mut spec = check(
        path,
        &text,
        &scenario,
        layout.as_ref().map(|(p, t, l)| (p.as_path(), t.as_str(), l)),
        city,
        map_path,
    )?;
    let needs_terrain = !scenario.hazards.is_empty()
        || !scenario.weather.rain_mm_h.is_empty()
        || scenario
            .injects
            .iter()
            .any(|i| matches!(i.action, Action::Hazard(_) | Action::Rain { .. }));
    if needs_terrain {
        let terrain = crate::city::terrain::Terrain::load_for_map(&spec.map_path).map_err(|e| match e {
            Error::Io { path: p, source } => Error::one(
                Diagnostic::new(
                    path,
                    SourceIndex::build(&text).locate("hazards"),
                    "hazards",
                    format!(
                        "hazards need the map's terrain, but {} cannot be read: {source}",
                        p.display()
                    ),
                )
                .with_hint("terrain rasters live next to the map: assets/maps/NAME-dem.asc and NAME-landuse.asc"),
            ),
            other => other,
        })?;
        check_ignitions(path, &text, &scenario, &spec, &terrain)?;
        spec.terrain = Some(Arc::new(terrain));
    }
    Ok(spec)
}

/// Read and parse a layout file, if one is given: (path, text, layout).
fn read_layout(layout: Option<&Path>) -> Result<Option<(PathBuf, String, LayoutFile)>, Error> {
    layout
        .map(|p| {
            let t = read(p)?;
            let l: LayoutFile = parse_ron(p, &t)?;
            Ok((p.to_path_buf(), t, l))
        })
        .transpose()
}

/// Check one more inject against a scenario (and layout), as if it were the
/// last entry of the scenario's `injects`: a drill's improvised inject gets
/// the same name resolution and checks as a scripted one.
///
/// # Errors
/// [`Error::Input`] with the problems, their fields under `injects[N]` of the
/// scenario (the caller re-labels them); [`Error::Io`] if the files went away.
pub fn check_inject(path: &Path, layout: Option<&Path>, inject: InjectSpec) -> Result<InjectDef, Error> {
    let text = read(path)?;
    let mut scenario: Scenario = parse_ron(path, &text)?;
    let id = inject.id.clone();
    scenario.injects.push(inject);
    let base = path.parent().unwrap_or(Path::new("."));
    let map_path = resolve_map_path(&scenario.map, base)
        .ok_or_else(|| Error::one(Diagnostic::new(path, None, "map", "the scenario's map is gone")))?;
    let city = Arc::new(CityMap::load(&map_path)?);
    let layout = read_layout(layout)?;
    let spec = check(
        path,
        &text,
        &scenario,
        layout.as_ref().map(|(p, t, l)| (p.as_path(), t.as_str(), l)),
        city,
        map_path,
    )?;
    let id = id.unwrap_or_else(|| format!("inject-{}", scenario.injects.len()));
    Ok(spec
        .injects
        .into_iter()
        .find(|i| i.id == id)
        .expect("invariant: a checked scenario keeps every inject it was given"))
}

/// Every fire (scripted, injected or a spot fire) must start near something
/// that burns on the terrain's land use.
fn check_ignitions(
    path: &Path,
    text: &str,
    scenario: &Scenario,
    spec: &RunSpec,
    terrain: &crate::city::terrain::Terrain,
) -> Result<(), Error> {
    let mut c = Checker {
        file: path,
        index: SourceIndex::build(text),
        out: Vec::new(),
    };
    let mut sites: Vec<(String, &Site)> = Vec::new();
    for (k, h) in scenario.hazards.iter().enumerate() {
        if let HazardSpec::Fire { at, .. } = h {
            sites.push((format!("hazards[{k}].at"), at));
        }
    }
    for (k, inj) in scenario.injects.iter().enumerate() {
        match &inj.action {
            Action::Hazard(HazardSpec::Fire { at, .. }) => sites.push((format!("injects[{k}].action.0.at"), at)),
            Action::SpotFire(_, at) => sites.push((format!("injects[{k}].action.1"), at)),
            _ => {}
        }
    }
    for (field, site) in sites {
        let Some((xy, _)) = resolve_site(&mut c, &spec.city, site, &field) else {
            continue;
        };
        if crate::hazard::fires::ignition_cell(&terrain.landuse, xy.x, xy.y).is_none() {
            c.bad_hint(
                &field,
                format!(
                    "nothing within {} m of this point can carry a spreading fire (water, roads, open land, or blocks at least 70 % fire-resistant)",
                    crate::hazard::fires::IGNITION_SEARCH_CELLS as f64 * terrain.landuse.dx
                ),
                "move the ignition onto villages or old-town courtyard houses, fields or grass",
            );
        }
    }
    if c.out.is_empty() {
        Ok(())
    } else {
        Err(Error::Input(c.out))
    }
}

/// Collects diagnostics for one file.
struct Checker<'a> {
    file: &'a Path,
    index: SourceIndex,
    out: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn bad(&mut self, field: &str, message: impl Into<String>) {
        let at = self.index.locate(field);
        self.out.push(Diagnostic::new(self.file, at, field, message));
    }

    fn bad_hint(&mut self, field: &str, message: impl Into<String>, hint: impl Into<String>) {
        let at = self.index.locate(field);
        self.out
            .push(Diagnostic::new(self.file, at, field, message).with_hint(hint));
    }

    fn count(&mut self, field: &str, n: u32, what: &str) {
        if n > ABSURD_COUNT {
            self.bad(field, format!("{n} {what} is absurd; expected at most {ABSURD_COUNT}"));
        }
    }

    fn positive(&mut self, field: &str, v: f64, max: f64, unit: &str) {
        if !(v.is_finite() && v > 0.0 && v <= max) {
            self.bad(
                field,
                format!("expected a positive number up to {max} {unit}, found {v}"),
            );
        }
    }

    fn non_negative(&mut self, field: &str, v: f64, max: f64, unit: &str) {
        if !(v.is_finite() && (0.0..=max).contains(&v)) {
            self.bad(field, format!("expected a number from 0 to {max} {unit}, found {v}"));
        }
    }

    /// Resolve a time and require it within [0, end].
    fn time(&mut self, field: &str, t: &TimeSpec, start: NaiveDateTime, end: SimTime) -> SimTime {
        match t.resolve(start) {
            Ok(st) if st < SimTime::ZERO || st > end => {
                self.bad_hint(
                    field,
                    format!(
                        "time \"{}\" is outside the run ({} after the start; the run lasts {:.1} h)",
                        t.0,
                        fmt_offset(st),
                        end.hours()
                    ),
                    "times are durations from the start (\"2h30m\") or clock times (\"14:00\", \"day 2 06:00\")",
                );
                SimTime::ZERO
            }
            Ok(st) => st,
            Err(msg) => {
                self.bad(field, msg);
                SimTime::ZERO
            }
        }
    }

    /// A time series of `(time, value)` points: times must not go back, values
    /// must lie in [0, `max`]. Returns `(seconds, value)` pairs.
    fn series(
        &mut self,
        field: &str,
        times: &[SimTime],
        values: impl Iterator<Item = f64>,
        max: f64,
        unit: &str,
    ) -> Vec<(f64, f64)> {
        let mut out: Vec<(f64, f64)> = Vec::new();
        for (k, (t, v)) in times.iter().zip(values).enumerate() {
            self.non_negative(&format!("{field}[{k}].1"), v, max, unit);
            if out.last().is_some_and(|&(prev, _)| (t.secs() as f64) < prev) {
                self.bad(&format!("{field}[{k}].0"), "times must not go back");
            }
            out.push((t.secs() as f64, v));
        }
        out
    }

    /// Resolve a place name, or report it (with a "did you mean" hint) at `field`.
    fn place(&mut self, city: &CityMap, name: &str, field: &str) -> Option<usize> {
        let found = city.place(name);
        if found.is_none() {
            let hint = name_hint(city, name, |r| matches!(r, NameRef::Place(_)), "places");
            self.bad_hint(field, format!("\"{name}\" is not a place on the map"), hint);
        }
        found
    }

    /// Resolve a node name (village, place, or `"#index"`), or report it at `field`.
    fn node(&mut self, city: &CityMap, name: &str, field: &str) -> Option<u32> {
        let found = city.node(name);
        if found.is_none() {
            let hint = name_hint(city, name, |r| matches!(r, NameRef::Node(_)), "nodes");
            self.bad_hint(
                field,
                format!("\"{name}\" is not a node on the map (a village name or \"#index\")"),
                hint,
            );
        }
        found
    }

    fn duration(&mut self, field: &str, s: &str) -> SimDuration {
        parse_duration(s).unwrap_or_else(|msg| {
            self.bad(field, msg);
            SimDuration(0)
        })
    }
}

fn fmt_offset(t: SimTime) -> String {
    let h = t.hours();
    if h < 0.0 {
        format!("{:.1} h before", -h)
    } else {
        format!("{h:.1} h")
    }
}

/// A hint for a zone name that is not on the map: similar names, or how to
/// list them.
pub fn zone_hint(city: &CityMap, wanted: &str) -> String {
    name_hint(city, wanted, |r| matches!(r, NameRef::Zone(_)), "zones")
}

fn name_hint(city: &CityMap, wanted: &str, filter: impl Fn(NameRef) -> bool, what: &str) -> String {
    let similar = city.similar_names(wanted, filter);
    if similar.is_empty() {
        format!("run `tabletop map --{what}` to list the names on this map")
    } else {
        format!(
            "did you mean {}?",
            similar
                .iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(" or ")
        )
    }
}

/// Split `people` over a zone's nodes in proportion to residents (largest remainder).
pub fn split_over_zone(city: &CityMap, zone: usize, people: u32) -> Vec<(u32, u32)> {
    let nodes: Vec<(u32, u32)> = city
        .node_zone
        .iter()
        .enumerate()
        .filter(|(i, z)| usize::from(**z) == zone && city.node_people[*i] > 0)
        .map(|(i, _)| (i as u32, city.node_people[i]))
        .collect();
    let total: u64 = nodes.iter().map(|(_, p)| u64::from(*p)).sum();
    if total == 0 {
        return vec![(city.zones[zone].seat_node, people)];
    }
    let mut shares: Vec<(u32, u32, u64)> = nodes
        .iter()
        .map(|&(n, p)| {
            let exact = u64::from(people) * u64::from(p);
            (n, (exact / total) as u32, exact % total)
        })
        .collect();
    let assigned: u32 = shares.iter().map(|s| s.1).sum();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| shares[b].2.cmp(&shares[a].2).then(shares[a].0.cmp(&shares[b].0)));
    for &i in order.iter().take((people - assigned) as usize) {
        shares[i].1 += 1;
    }
    shares.into_iter().filter(|s| s.1 > 0).map(|s| (s.0, s.1)).collect()
}

/// Resolve a scenario against its map. `layout` = (path, text, parsed) replaces the depots.
///
/// # Errors
/// [`Error::Input`] listing every problem in the scenario and the layout.
pub fn check(
    path: &Path,
    text: &str,
    s: &Scenario,
    layout: Option<(&Path, &str, &LayoutFile)>,
    city: Arc<CityMap>,
    map_path: PathBuf,
) -> Result<RunSpec, Error> {
    let mut c = Checker {
        file: path,
        index: SourceIndex::build(text),
        out: Vec::new(),
    };
    let start = parse_datetime(&s.start).unwrap_or_else(|m| {
        c.bad("start", m);
        NaiveDateTime::default()
    });
    let duration = c.duration("duration", &s.duration);
    if (duration.0 < 60 || duration.0 > 30 * 86_400) && parse_duration(&s.duration).is_ok() {
        c.bad(
            "duration",
            format!("expected a run between 1 minute and 30 days, found \"{}\"", s.duration),
        );
    }
    let step = c.duration("step", &s.step);
    if parse_duration(&s.step).is_ok() && !(1..=3_600).contains(&step.0) {
        c.bad(
            "step",
            format!("expected a step between 1 s and 1 h, found \"{}\"", s.step),
        );
    }
    let end = SimTime(duration.0.max(0));
    let t = &s.targets;
    c.positive("targets.initial_relief_h", t.initial_relief_h, 720.0, "h");
    c.positive("targets.basic_relief_h", t.basic_relief_h, 720.0, "h");
    c.positive("targets.shelter_m2_per_person", t.shelter_m2_per_person, 100.0, "m²");
    for (name, it) in [("initial_kit", s.items.initial_kit), ("basic_set", s.items.basic_set)] {
        c.positive(&format!("items.{name}.mass_kg"), it.mass_kg, 1_000.0, "kg");
        c.positive(&format!("items.{name}.volume_m3"), it.volume_m3, 10.0, "m³");
    }
    let h = &s.handling;
    for (f, v) in [
        ("load_fixed_min", h.load_fixed_min),
        ("load_min_per_t", h.load_min_per_t),
        ("unload_fixed_min", h.unload_fixed_min),
        ("unload_min_per_t", h.unload_min_per_t),
    ] {
        c.non_negative(&format!("handling.{f}"), v, 600.0, "min");
    }
    c.non_negative("households.share", s.households.share, 1.0, "(a share)");

    // Depots: from the layout file when given, otherwise from the scenario.
    let (depot_specs, depot_prefix, fleet_specs, fleet_from_layout) = match layout {
        Some((_, _, l)) => (
            &l.depots,
            "depots",
            l.fleet.as_ref().unwrap_or(&s.fleet),
            l.fleet.is_some(),
        ),
        None => (&s.depots, "depots", &s.fleet, false),
    };
    let mut depot_checker = layout.map(|(p, t, _)| Checker {
        file: p,
        index: SourceIndex::build(t),
        out: Vec::new(),
    });
    let depots = {
        let dc = depot_checker.as_mut().unwrap_or(&mut c);
        check_depots(dc, &city, depot_specs, depot_prefix, start, end)
    };
    if depots.is_empty() && depot_specs.is_empty() {
        let dc = depot_checker.as_mut().unwrap_or(&mut c);
        dc.bad("depots", "expected at least one depot");
    }
    let fleet = {
        let fc = if fleet_from_layout {
            depot_checker.as_mut().unwrap_or(&mut c)
        } else {
            &mut c
        };
        check_fleet(
            fc,
            fleet_specs,
            &depots,
            depot_specs,
            start,
            end,
            layout.is_some() && !fleet_from_layout,
        )
    };

    let mut impacts = Vec::new();
    for (i, imp) in s.impacts.iter().enumerate() {
        let f = format!("impacts[{i}]");
        let at = c.time(&format!("{f}.at"), &imp.at, start, end);
        c.count(&format!("{f}.people"), imp.people, "people");
        if imp.people == 0 {
            c.bad(&format!("{f}.people"), "expected at least 1 person");
        }
        if imp.evacuate && s.evacuation.is_none() {
            c.bad_hint(
                &format!("{f}.evacuate"),
                "these people are ordered out, but the scenario has no `evacuation` section",
                "add `evacuation: Some(())` for the defaults (see docs/scenario-format.md, \"Evacuation\")",
            );
        }
        check_trapped(&mut c, &f, imp.trapped, imp.people);
        if let Some(groups) = resolve_area(&mut c, &city, &imp.area, imp.people, &format!("{f}.area")) {
            impacts.push(ImpactDef {
                at,
                label: format!("{:?}", imp.area),
                trapped: split_trapped(&groups, imp.trapped),
                groups,
                evacuate: imp.evacuate,
            });
        }
    }
    impacts.sort_by_key(|i| i.at);

    let mut injects = Vec::new();
    let mut seen_ids = std::collections::BTreeMap::new();
    for (i, inj) in s.injects.iter().enumerate() {
        let f = format!("injects[{i}]");
        let at = c.time(&format!("{f}.at"), &inj.at, start, end);
        let id = inj.id.clone().unwrap_or_else(|| format!("inject-{}", i + 1));
        if let Some(prev) = seen_ids.insert(id.clone(), i) {
            c.bad(
                &format!("{f}.id"),
                format!("duplicate inject id \"{id}\" (also injects[{prev}])"),
            );
        }
        let af = format!("{f}.action");
        let depot_idx = |c: &mut Checker, id: &str, field: &str| -> Option<usize> {
            let found = depots.iter().position(|d| d.id == id);
            if found.is_none() {
                let known: Vec<&str> = depots.iter().map(|d| d.id.as_str()).collect();
                c.bad_hint(
                    field,
                    format!("no depot with id \"{id}\""),
                    format!("depot ids: {}", known.join(", ")),
                );
            }
            found
        };
        let action = match &inj.action {
            Action::Note => Some(ActionDef::Note),
            Action::CloseRoads(sel) => {
                resolve_roads(&mut c, &city, sel, &format!("{af}.0")).map(|segments| ActionDef::SetRoads {
                    segments,
                    state: EdgeState::Closed,
                })
            }
            Action::OpenRoads(sel) => {
                resolve_roads(&mut c, &city, sel, &format!("{af}.0")).map(|segments| ActionDef::SetRoads {
                    segments,
                    state: EdgeState::Open,
                })
            }
            Action::SlowRoads(sel, factor) => {
                if !(factor.is_finite() && *factor > 0.0 && *factor < 1.0) {
                    c.bad_hint(
                        &format!("{af}.1"),
                        format!("expected a speed factor between 0 and 1 (exclusive), found {factor}"),
                        "use CloseRoads to close and OpenRoads to restore",
                    );
                }
                resolve_roads(&mut c, &city, sel, &format!("{af}.0")).map(|segments| ActionDef::SetRoads {
                    segments,
                    state: EdgeState::Slowed(*factor),
                })
            }
            Action::Impact {
                area,
                people,
                evacuate,
                trapped,
            } => {
                c.count(&format!("{af}.people"), *people, "people");
                check_trapped(&mut c, &af, *trapped, *people);
                if *evacuate && s.evacuation.is_none() {
                    c.bad(
                        &format!("{af}.evacuate"),
                        "these people are ordered out, but the scenario has no `evacuation` section",
                    );
                }
                resolve_area(&mut c, &city, area, *people, &format!("{af}.area")).map(|groups| {
                    ActionDef::Impact(ImpactDef {
                        at,
                        label: format!("{area:?}"),
                        trapped: split_trapped(&groups, *trapped),
                        groups,
                        evacuate: *evacuate,
                    })
                })
            }
            Action::DamageRoads(sel) => {
                resolve_roads(&mut c, &city, sel, &format!("{af}.0")).map(ActionDef::DamageRoads)
            }
            Action::DepotOutOfService(d) => {
                depot_idx(&mut c, d, &format!("{af}.0")).map(|depot| ActionDef::DepotService {
                    depot,
                    in_service: false,
                })
            }
            Action::DepotInService(d) => {
                depot_idx(&mut c, d, &format!("{af}.0")).map(|depot| ActionDef::DepotService {
                    depot,
                    in_service: true,
                })
            }
            Action::TeamOutOfService(id) | Action::TeamInService(id) => {
                team_members(&mut c, &s.teams, id, &format!("{af}.0")).map(|teams| ActionDef::TeamService {
                    teams,
                    in_service: matches!(inj.action, Action::TeamInService(_)),
                })
            }
            Action::Wind(speed, from) => {
                c.non_negative(&format!("{af}.0"), *speed, 60.0, "m/s");
                if !(from.is_finite() && (0.0..=360.0).contains(from)) {
                    c.bad(
                        &format!("{af}.1"),
                        format!("expected a direction from 0 to 360 degrees, found {from}"),
                    );
                }
                Some(ActionDef::Wind(*speed, *from))
            }
            // Resolved with the other hazards below.
            Action::Hazard(_) => Some(ActionDef::Note),
            Action::Rain { mm_h, zones } => {
                let times: Vec<SimTime> = (mm_h.iter().enumerate())
                    .map(|(k, (d, _))| SimTime(at.secs() + c.duration(&format!("{af}.mm_h[{k}].0"), d).secs()))
                    .collect();
                let series = c.series(&format!("{af}.mm_h"), &times, mm_h.iter().map(|p| p.1), 500.0, "mm/h");
                if series.is_empty() {
                    c.bad(&format!("{af}.mm_h"), "expected at least one (time, mm/h) point");
                }
                let zones = resolve_zones(&mut c, &city, zones, &format!("{af}.zones"));
                Some(ActionDef::Rain { mm_h: series, zones })
            }
            Action::SpotFire(fire, site) => {
                let known = hazard_specs(s).any(|h| matches!(h, HazardSpec::Fire { id, .. } if id == fire));
                if !known {
                    let fires: Vec<&str> = hazard_specs(s)
                        .filter_map(|h| match h {
                            HazardSpec::Fire { id, .. } => Some(id.as_str()),
                            _ => None,
                        })
                        .collect();
                    c.bad_hint(
                        &format!("{af}.0"),
                        format!("no fire with id \"{fire}\""),
                        if fires.is_empty() {
                            "a spot fire escalates a fire listed in hazards (or started by an inject)".to_string()
                        } else {
                            format!("fires: {}", fires.join(", "))
                        },
                    );
                }
                resolve_site(&mut c, &city, site, &format!("{af}.1"))
                    .map(|(xy, _)| ActionDef::SpotFire { fire: fire.clone(), xy })
            }
            Action::AddStock { depot, stock } => {
                c.count(&format!("{af}.stock.initial"), stock.initial, "kits");
                c.count(&format!("{af}.stock.basic"), stock.basic, "sets");
                depot_idx(&mut c, depot, &format!("{af}.depot"))
                    .map(|depot| ActionDef::AddStock { depot, stock: *stock })
            }
        };
        let mut expect = Vec::new();
        for (k, e) in inj.expect.iter().enumerate() {
            let ef = format!("{f}.expect[{k}]");
            let within = c.duration(&format!("{ef}.within"), &e.within);
            let zone = |c: &mut Checker, name: &str| {
                let z = city.zone(name);
                if z.is_none() {
                    c.bad(&format!("{ef}.check.0"), format!("no zone named \"{name}\" on the map"));
                }
                z
            };
            let check = match &e.check {
                Check::TeamArrives(h) => Some(CheckDef::TeamArrives(h.clone())),
                Check::ReleaseStopped(h) => Some(CheckDef::ReleaseStopped(h.clone())),
                Check::FireOut(h) => Some(CheckDef::FireOut(h.clone())),
                Check::EvacuationOrdered(z) => zone(&mut c, z).map(CheckDef::EvacuationOrdered),
                Check::Relief(z) => zone(&mut c, z).map(CheckDef::Relief),
                Check::Inject(id) => Some(CheckDef::Inject(id.clone())),
            };
            if let Some(check) = check {
                expect.push(ExpectDef {
                    task: e.task.clone(),
                    within,
                    check,
                });
            }
        }
        if let Some(action) = action {
            injects.push(InjectDef {
                id,
                at,
                text: inj.text.clone(),
                action,
                expect,
            });
        }
    }
    injects.sort_by_key(|i| i.at);

    let w = &s.weather;
    c.non_negative("weather.wind_m_s", w.wind_m_s, 60.0, "m/s");
    if !(w.wind_from_deg.is_finite() && (0.0..=360.0).contains(&w.wind_from_deg)) {
        c.bad(
            "weather.wind_from_deg",
            format!("expected a direction from 0 to 360 degrees, found {}", w.wind_from_deg),
        );
    }
    if w.cloud_oktas > 8 {
        c.bad(
            "weather.cloud_oktas",
            format!("expected 0 to 8 oktas, found {}", w.cloud_oktas),
        );
    }
    let rain_times: Vec<SimTime> = (w.rain_mm_h.iter().enumerate())
        .map(|(k, (t, _))| c.time(&format!("weather.rain_mm_h[{k}].0"), t, start, end))
        .collect();
    let rain = c.series(
        "weather.rain_mm_h",
        &rain_times,
        w.rain_mm_h.iter().map(|p| p.1),
        500.0,
        "mm/h",
    );
    let rain_zones = resolve_zones(&mut c, &city, &w.rain_zones, "weather.rain_zones");
    let weather = WeatherDef {
        wind_m_s: w.wind_m_s,
        wind_from_deg: w.wind_from_deg,
        stability: w.stability,
        cloud_oktas: w.cloud_oktas,
        rain_mm_h: rain,
        rain_zones,
    };
    let teams = check_teams(&mut c, &city, &s.teams, start, end);
    let rescue = check_rescue(&mut c, &s.rescue);
    let evacuation = s
        .evacuation
        .as_ref()
        .map(|e| check_evacuation(&mut c, &city, e, &s.targets, &rescue));
    let medical = s.medical.as_ref().map(|m| check_medical(&mut c, &city, m));
    let uncertainty = s.uncertainty.as_ref().map(|u| {
        check_uncertainty(&mut c, u, s);
        u.clone()
    });
    let road_damage_depth_m = s.road_damage.as_ref().map(|d| {
        c.positive("road_damage.flood_depth_m", d.flood_depth_m, 10.0, "m");
        d.flood_depth_m
    });
    let e = &s.economy;
    if let Some(gdp) = e.gdp_yuan {
        c.positive("economy.gdp_yuan", gdp, 1e15, "yuan");
    }
    c.non_negative("economy.building_yuan_per_m2", e.building_yuan_per_m2, 1e6, "yuan/m²");
    c.non_negative("economy.crop_yuan_per_m2", e.crop_yuan_per_m2, 1e4, "yuan/m²");
    let chemicals = if hazard_specs(s).any(|h| matches!(h, HazardSpec::Release { .. })) {
        let base = path.parent().unwrap_or(Path::new("."));
        match crate::hazard::default_chemicals_path(base).map(|p| crate::hazard::load_chemicals_file(&p)) {
            Some(Ok(list)) => list,
            Some(Err(Error::Input(ds))) => {
                c.out.extend(ds);
                Vec::new()
            }
            _ => {
                c.bad(
                    "hazards",
                    "chemical releases need assets/chemicals.ron, which was not found",
                );
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    let mut hazards = Vec::new();
    let mut hazard_ids = std::collections::BTreeMap::new();
    for (k, h) in s.hazards.iter().enumerate() {
        let f = format!("hazards[{k}]");
        if let Some(def) = resolve_hazard(&mut c, &city, h, &f, start, end, &chemicals) {
            if let Some(prev) = hazard_ids.insert(def.id.clone(), k) {
                c.bad(
                    &format!("{f}.id"),
                    format!("duplicate hazard id \"{}\" (also hazards[{prev}])", def.id),
                );
            }
            hazards.push(def);
        }
    }
    for (k, inj) in s.injects.iter().enumerate() {
        if let Action::Hazard(h) = &inj.action {
            let f = format!("injects[{k}].action.0");
            if let Some(mut def) = resolve_hazard(&mut c, &city, h, &f, start, end, &chemicals) {
                let id = inj.id.clone().unwrap_or_else(|| format!("inject-{}", k + 1));
                if let Some(slot) = injects.iter_mut().find(|i| i.id == id) {
                    def.start = slot.at;
                    slot.action = ActionDef::Hazard(def);
                }
            }
        }
    }
    // Expected actions about a hazard name one the scenario has.
    let mut known_hazards: std::collections::BTreeSet<&str> = hazards.iter().map(|h| h.id.as_str()).collect();
    for i in &injects {
        if let ActionDef::Hazard(h) = &i.action {
            known_hazards.insert(h.id.as_str());
        }
    }
    for (k, inj) in s.injects.iter().enumerate() {
        for (e, exp) in inj.expect.iter().enumerate() {
            if let Check::TeamArrives(h) | Check::ReleaseStopped(h) | Check::FireOut(h) = &exp.check
                && !known_hazards.contains(h.as_str())
            {
                let known: Vec<&str> = known_hazards.iter().copied().collect();
                c.bad_hint(
                    &format!("injects[{k}].expect[{e}].check.0"),
                    format!("no hazard with id \"{h}\""),
                    format!(
                        "hazard ids: {}",
                        if known.is_empty() {
                            "none".into()
                        } else {
                            known.join(", ")
                        }
                    ),
                );
            }
        }
    }
    let hazard_step = c.duration("hazard_step", &s.hazard_step);
    if parse_duration(&s.hazard_step).is_ok() && !(60..=3_600).contains(&hazard_step.0) {
        c.bad(
            "hazard_step",
            format!("expected 1 minute to 1 hour, found \"{}\"", s.hazard_step),
        );
    }

    let mut problems = c.out;
    if let Some(dc) = depot_checker {
        problems.extend(dc.out);
    }
    if !problems.is_empty() {
        return Err(Error::Input(problems));
    }
    Ok(RunSpec {
        source: path.to_path_buf(),
        name: s.name.clone(),
        name_zh: s.name_zh.clone(),
        description: s.description.clone(),
        city,
        map_path,
        start,
        end,
        step,
        seed: s.seed,
        targets: s.targets.clone(),
        items: s.items.clone(),
        handling: s.handling.clone(),
        depots,
        layout: layout.map(|(_, _, l)| l.name.clone()),
        households_share: s.households.share,
        fleet,
        impacts,
        injects,
        dispatch: s.dispatch,
        weather,
        hazards,
        hazard_step,
        terrain: None,
        teams,
        economy: s.economy.clone(),
        evacuation,
        rescue,
        team_dispatch: s.team_dispatch,
        medical,
        road_damage_depth_m,
        uncertainty,
    })
}

/// Default walking speed for evacuation planning, km/h (about 1.1 m/s: the
/// mean free walking speed of mixed crowds with elderly people is 1.0–1.3 m/s,
/// Fruin 1971; planning assumption).
pub const DEFAULT_WALK_KMH: f64 = 4.0;

fn check_rescue(c: &mut Checker, r: &RescueSpec) -> RescueDef {
    c.positive("rescue.wade_depth_m", r.wade_depth_m, 5.0, "m");
    c.positive("rescue.stranded_depth_m", r.stranded_depth_m, 10.0, "m");
    c.positive("rescue.boat_depth_m", r.boat_depth_m, 5.0, "m");
    let survival = match SurvivalCurve::new(&r.survival) {
        Ok(curve) => curve,
        Err(msg) => {
            c.bad("rescue.survival", msg);
            SurvivalCurve::default()
        }
    };
    let trapped_survival = match SurvivalCurve::new(&r.trapped_survival) {
        Ok(curve) => curve,
        Err(msg) => {
            c.bad("rescue.trapped_survival", msg);
            SurvivalCurve::default()
        }
    };
    RescueDef {
        wade_depth_m: r.wade_depth_m,
        stranded_depth_m: r.stranded_depth_m,
        boat_depth_m: r.boat_depth_m,
        survival,
        trapped_survival,
    }
}

/// Distributions with sane parameters and ranges; hazards that exist and
/// have what is made uncertain.
fn check_uncertainty(c: &mut Checker, u: &UncertaintySpec, s: &Scenario) {
    let dist = |c: &mut Checker, field: &str, d: &Option<crate::batch::dist::Dist>, lo: f64, hi: f64, what: &str| {
        let Some(d) = d else { return };
        if let Some(msg) = d.problem() {
            c.bad(field, msg);
        } else {
            let (a, b) = d.range();
            if a < lo || b > hi {
                let expected = if hi.is_finite() {
                    format!("expected {what} from {lo} to {hi}")
                } else {
                    format!("expected {what} of {lo} or more")
                };
                c.bad(
                    field,
                    format!(
                        "{expected}; this distribution reaches [{a}, {b}] (bound it, e.g. a Normal with min and max)"
                    ),
                );
            }
        }
    };
    dist(c, "uncertainty.wind_m_s", &u.wind_m_s, 0.0, 60.0, "wind speeds (m/s)");
    dist(
        c,
        "uncertainty.wind_from_deg",
        &u.wind_from_deg,
        0.0,
        360.0,
        "directions (degrees)",
    );
    dist(
        c,
        "uncertainty.rain_scale",
        &u.rain_scale,
        0.0,
        f64::INFINITY,
        "factors",
    );
    dist(
        c,
        "uncertainty.households_share",
        &u.households_share,
        0.0,
        1.0,
        "shares",
    );
    dist(c, "uncertainty.people_scale", &u.people_scale, 0.0, 100.0, "factors");
    c.non_negative("uncertainty.truck_breakdown", u.truck_breakdown, 1.0, "(a probability)");
    c.non_negative(
        "uncertainty.team_unavailable",
        u.team_unavailable,
        1.0,
        "(a probability)",
    );
    for (k, r) in u.road_failures.iter().enumerate() {
        c.non_negative(
            &format!("uncertainty.road_failures[{k}].p"),
            r.p,
            1.0,
            "(a probability)",
        );
    }
    for (k, h) in u.hazards.iter().enumerate() {
        let f = format!("uncertainty.hazards[{k}]");
        let spec = hazard_specs(s).find(|x| hazard_id(x) == h.id);
        match spec {
            None => {
                let ids: Vec<&str> = hazard_specs(s).map(hazard_id).collect();
                c.bad_hint(
                    &format!("{f}.id"),
                    format!("no hazard with id \"{}\"", h.id),
                    format!("hazard ids: {}", ids.join(", ")),
                );
            }
            Some(x) => {
                if h.inflow_scale.is_some() && !matches!(x, HazardSpec::Breach { .. }) {
                    c.bad(&format!("{f}.inflow_scale"), "only breaches have an inflow");
                }
                if h.release_scale.is_some() && !matches!(x, HazardSpec::Release { .. }) {
                    c.bad(&format!("{f}.release_scale"), "only releases have a rate or mass");
                }
            }
        }
        dist(c, &format!("{f}.start_shift_h"), &h.start_shift_h, -1e4, 1e4, "hours");
        dist(
            c,
            &format!("{f}.inflow_scale"),
            &h.inflow_scale,
            0.0,
            f64::INFINITY,
            "factors",
        );
        dist(
            c,
            &format!("{f}.release_scale"),
            &h.release_scale,
            0.0,
            f64::INFINITY,
            "factors",
        );
    }
}

fn hazard_id(h: &HazardSpec) -> &str {
    match h {
        HazardSpec::Breach { id, .. } | HazardSpec::Fire { id, .. } | HazardSpec::Release { id, .. } => id,
    }
}

/// Trapped people are some of an impact's people.
fn check_trapped(c: &mut Checker, field: &str, trapped: u32, people: u32) {
    if trapped > people {
        c.bad(
            &format!("{field}.trapped"),
            format!("expected at most the impact's {people} people, found {trapped}"),
        );
    }
}

fn check_medical(c: &mut Checker, city: &CityMap, m: &MedicalSpec) -> MedicalDef {
    let i = &m.injured;
    for (field, v) in [
        ("medical.injured.flood", i.flood),
        ("medical.injured.chemical", i.chemical),
        ("medical.injured.fire", i.fire),
        ("medical.injured.rescued", i.rescued),
        ("medical.red_share", m.red_share),
        ("medical.yellow_share", m.yellow_share),
        ("medical.surge_share", m.surge_share),
    ] {
        c.non_negative(field, v, 1.0, "(a share)");
    }
    if m.red_share + m.yellow_share > 1.0 {
        c.bad(
            "medical.yellow_share",
            format!(
                "red_share + yellow_share must be at most 1 (the rest are green), found {} + {}",
                m.red_share, m.yellow_share
            ),
        );
    }
    let hospitals: Vec<HospitalDef> = city
        .places
        .iter()
        .enumerate()
        .filter(|(_, p)| p.kind == crate::city::PlaceKind::Hospital)
        .filter_map(|(k, p)| {
            Some(HospitalDef {
                place: k,
                node: p.node,
                beds: (f64::from(p.beds?) * m.surge_share).floor() as u32,
            })
        })
        .collect();
    if hospitals.is_empty() {
        c.bad(
            "medical",
            "the map has no hospitals with beds, so nobody injured could be admitted",
        );
    }
    MedicalDef {
        injured: m.injured.clone(),
        red_share: m.red_share,
        yellow_share: m.yellow_share,
        hospitals,
    }
}

fn check_evacuation(
    c: &mut Checker,
    city: &CityMap,
    e: &EvacuationSpec,
    targets: &Targets,
    rescue: &RescueDef,
) -> EvacuationDef {
    c.non_negative("evacuation.refuse_share", e.refuse_share, 1.0, "(a share)");
    c.positive("evacuation.walk_kmh", e.walk_kmh, 10.0, "km/h");
    let delay = c.duration("evacuation.delay", &e.delay);
    let walk_max = c.duration("evacuation.walk_max", &e.walk_max);
    let m2 = e.m2_per_person.unwrap_or(targets.shelter_m2_per_person);
    c.positive("evacuation.m2_per_person", m2, 100.0, "m²");
    let shelters: Vec<ShelterDef> = city
        .places
        .iter()
        .enumerate()
        .filter(|(_, p)| p.kind == crate::city::PlaceKind::Shelter)
        .filter_map(|(k, p)| {
            let usable = p.usable_m2?;
            Some(ShelterDef {
                place: k,
                node: p.node,
                usable_m2: usable,
                capacity: if m2 > 0.0 { (usable / m2).floor() as u32 } else { 0 },
            })
        })
        .collect();
    if shelters.is_empty() {
        c.bad(
            "evacuation",
            "the map has no shelters with a usable area, so nobody could be evacuated",
        );
    }
    EvacuationDef {
        on: e.on.clone(),
        refuse_share: e.refuse_share,
        delay,
        walker: Vehicle {
            speed_kmh: e.walk_kmh,
            wading_m: rescue.wade_depth_m,
            protected: false,
        },
        walk_max,
        shelters,
    }
}

/// Resolve zone names (pinyin or Chinese) to indices.
fn resolve_zones(c: &mut Checker, city: &CityMap, names: &[String], field: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for (k, name) in names.iter().enumerate() {
        match city.zone(name) {
            Some(z) => out.push(z),
            None => {
                let hint = name_hint(city, name, |r| matches!(r, NameRef::Zone(_)), "zones");
                c.bad_hint(
                    &format!("{field}[{k}]"),
                    format!("\"{name}\" is not a zone on the map"),
                    hint,
                );
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Default time from a call to leaving the base: fire engines 2 min (turn-out
/// time; GB 51080-2015 asks for arrival at the district edge within 5 min of
/// dispatch); hazmat teams 10 min (protective gear); boats and buses 30 min
/// (crews called in, boat hitched); ambulances 3 min (on standby); road repair
/// 30 min (crew and machinery called in); town teams 20 min (local people
/// gathered); volunteers 1 h (called in by phone). All but the fire engines'
/// are planning assumptions.
fn default_mobilise(kind: TeamKind) -> SimDuration {
    match kind {
        TeamKind::FireRescue => SimDuration(120),
        TeamKind::Hazmat => SimDuration(600),
        TeamKind::Boat | TeamKind::Bus | TeamKind::RoadRepair => SimDuration(1_800),
        TeamKind::Ambulance => SimDuration(180),
        TeamKind::Town => SimDuration(1_200),
        TeamKind::Volunteer => SimDuration(3_600),
    }
}

/// Default people per trip: an assault boat (冲锋舟) takes about 8 besides its
/// crew, a volunteer divers' boat 6; a coach 45; an ambulance one stretcher
/// patient; rescue teams free 2 people from rubble per work period (planning
/// assumptions).
fn default_seats(kind: TeamKind, skills: &[Skill]) -> u32 {
    match kind {
        TeamKind::Boat => 8,
        TeamKind::Bus => 45,
        TeamKind::Ambulance => 1,
        TeamKind::FireRescue | TeamKind::Town => 2,
        TeamKind::Volunteer if skills == [Skill::Diving] => 6,
        TeamKind::Volunteer => 2,
        TeamKind::Hazmat | TeamKind::RoadRepair => 0,
    }
}

/// Default time on site for one task, s: hazmat 30 min to stop a release
/// (close a valve or fit a leak-sealing kit in full gear); fire-rescue teams
/// 1 h to free the people of one trip from rubble, town and volunteer teams
/// 2 h (lighter tools); road repair 4 h per segment (fill a washout, lay
/// temporary surface). Planning assumptions.
fn default_work(kind: TeamKind) -> SimDuration {
    match kind {
        TeamKind::Hazmat => SimDuration(DEFAULT_HAZMAT_WORK_S),
        TeamKind::FireRescue => SimDuration(3_600),
        TeamKind::Town | TeamKind::Volunteer => SimDuration(7_200),
        TeamKind::RoadRepair => SimDuration(4 * 3_600),
        TeamKind::Boat | TeamKind::Bus | TeamKind::Ambulance => SimDuration(0),
    }
}

/// Whether a team of `kind` with `skills` frees people trapped in collapsed buildings.
pub fn frees_trapped(kind: TeamKind, skills: &[Skill]) -> bool {
    match kind {
        TeamKind::FireRescue | TeamKind::Town => true,
        TeamKind::Volunteer => skills.iter().any(|s| matches!(s, Skill::Rope | Skill::Demolition)),
        _ => false,
    }
}

/// Whether a team of `kind` with `skills` takes stranded people off by boat.
pub fn rescues_by_boat(kind: TeamKind, skills: &[Skill]) -> bool {
    kind == TeamKind::Boat || (kind == TeamKind::Volunteer && skills.contains(&Skill::Diving))
}

/// Default boat speed through flooded streets and fields, km/h (assault boats
/// make 30+ km/h on open water; among houses, debris and currents about a
/// third of that; planning assumption).
pub const DEFAULT_BOAT_WATER_KMH: f64 = 10.0;

/// Default top speed of a team vehicle on roads, km/h (planning assumption).
pub const DEFAULT_TEAM_SPEED_KMH: f64 = 60.0;

/// Default time a hazmat team needs at the source to stop a release, s: 30 min
/// (planning assumption: close a valve or fit a leak-sealing kit in full gear).
pub const DEFAULT_HAZMAT_WORK_S: i64 = 1_800;

/// Default shift, s: 12 h, the usual rotation of Chinese rescue teams on long
/// operations (planning assumption).
pub const DEFAULT_SHIFT_S: i64 = 12 * 3_600;

/// Default rest after a shift, s: 8 h (planning assumption).
pub const DEFAULT_REST_S: i64 = 8 * 3_600;

fn check_teams(
    c: &mut Checker,
    city: &CityMap,
    specs: &[TeamSpec],
    start: NaiveDateTime,
    end: SimTime,
) -> Vec<TeamDef> {
    let mut out = Vec::new();
    let mut ids = std::collections::BTreeMap::new();
    for (k, t) in specs.iter().enumerate() {
        let f = format!("teams[{k}]");
        if let Some(prev) = ids.insert(t.id.clone(), k) {
            c.bad(
                &format!("{f}.id"),
                format!("duplicate team id \"{}\" (also teams[{prev}])", t.id),
            );
        }
        if t.count == 0 || t.count > 1_000 {
            c.bad(
                &format!("{f}.count"),
                format!("expected 1 to 1000 teams, found {}", t.count),
            );
        }
        let mobilise = match &t.mobilise {
            Some(m) => c.duration(&format!("{f}.mobilise"), m),
            None => default_mobilise(t.kind),
        };
        let speed = t.speed_kmh.unwrap_or(DEFAULT_TEAM_SPEED_KMH);
        c.positive(&format!("{f}.speed_kmh"), speed, 200.0, "km/h");
        if let Some(r) = t.rate_m2_per_h {
            c.positive(&format!("{f}.rate_m2_per_h"), r, 1e7, "m²/h");
            if t.kind != TeamKind::FireRescue {
                c.bad(&format!("{f}.rate_m2_per_h"), "only FireRescue teams put out fires");
            }
        }
        let k = t.kind;
        if k == TeamKind::Volunteer && t.skills.is_empty() {
            c.bad_hint(
                &format!("{f}.skills"),
                "a volunteer team needs at least one skill",
                "skills: [Diving] (boat rescue), [Rope] or [Demolition] (people trapped in rubble)",
            );
        } else if k != TeamKind::Volunteer && !t.skills.is_empty() {
            c.bad(&format!("{f}.skills"), "only Volunteer teams list skills");
        }
        let frees = frees_trapped(k, &t.skills);
        let boats = rescues_by_boat(k, &t.skills);
        let has_work = frees || matches!(k, TeamKind::Hazmat | TeamKind::RoadRepair);
        let work = match &t.work {
            Some(w) => {
                if !has_work {
                    c.bad(
                        &format!("{f}.work"),
                        "only Hazmat, rescue (FireRescue, Town, Volunteer with Rope or Demolition) and RoadRepair teams have work on site",
                    );
                }
                c.duration(&format!("{f}.work"), w)
            }
            None => default_work(k),
        };
        let carries = matches!(k, TeamKind::Boat | TeamKind::Bus | TeamKind::Ambulance) || boats || frees;
        let seats = t.seats.unwrap_or(default_seats(k, &t.skills));
        if t.seats.is_some() && !carries {
            c.bad(
                &format!("{f}.seats"),
                "only Boat, Bus, Ambulance and rescue teams (FireRescue, Town, Volunteer) take people",
            );
        } else if carries && !(1..=200).contains(&seats) {
            c.bad(
                &format!("{f}.seats"),
                format!("expected 1 to 200 people per trip, found {seats}"),
            );
        }
        let water_kmh = t.water_kmh.unwrap_or(DEFAULT_BOAT_WATER_KMH);
        if t.water_kmh.is_some() {
            c.positive(&format!("{f}.water_kmh"), water_kmh, 80.0, "km/h");
            if !boats {
                c.bad(
                    &format!("{f}.water_kmh"),
                    "only Boat teams and Volunteer teams with Diving move on water",
                );
            }
        }
        let shift = match t.shift.as_deref().map(parse_duration) {
            None => SimDuration(DEFAULT_SHIFT_S),
            Some(Ok(d)) if d.0 > 0 => d,
            Some(Ok(d)) => {
                c.bad(&format!("{f}.shift"), "expected a shift longer than zero");
                d
            }
            Some(Err(msg)) => {
                c.bad(&format!("{f}.shift"), msg);
                SimDuration(0)
            }
        };
        let rest = match &t.rest {
            Some(d) => c.duration(&format!("{f}.rest"), d),
            None => SimDuration(DEFAULT_REST_S),
        };
        let available = match &t.available {
            Some(a) => c.time(&format!("{f}.available"), a, start, end),
            None => SimTime::ZERO,
        };
        let Some(place) = c.place(city, &t.base, &format!("{f}.base")) else {
            continue;
        };
        for n in 0..t.count.min(1_000) {
            out.push(TeamDef {
                id: if t.count == 1 {
                    t.id.clone()
                } else {
                    format!("{}-{}", t.id, n + 1)
                },
                kind: t.kind,
                base_place: place,
                base: city.places[place].node,
                mobilise,
                vehicle: Vehicle {
                    speed_kmh: speed,
                    // Fire engines, hazmat trucks and road repair machinery
                    // are heavy vehicles; buses, ambulances, boat trailers and
                    // town and volunteer vehicles wade like relief trucks
                    // (DOMAIN.md, "Flood").
                    wading_m: if matches!(k, TeamKind::FireRescue | TeamKind::Hazmat | TeamKind::RoadRepair) {
                        1.1
                    } else {
                        0.3
                    },
                    protected: k == TeamKind::Hazmat,
                },
                rate_m2_per_h: t.rate_m2_per_h,
                work,
                seats: if carries { seats } else { 0 },
                skills: t.skills.clone(),
                available,
                water_kmh,
                shift,
                rest,
            });
        }
    }
    out
}

/// The members a team id names: all of a `teams` entry (`"xianfenglu"`), or
/// one member of it (`"xianfenglu-2"`).
fn team_members(c: &mut Checker, teams: &[TeamSpec], id: &str, field: &str) -> Option<Vec<String>> {
    for t in teams {
        let members: Vec<String> = if t.count == 1 {
            vec![t.id.clone()]
        } else {
            (1..=t.count).map(|n| format!("{}-{n}", t.id)).collect()
        };
        if t.id == id {
            return Some(members);
        }
        if members.iter().any(|m| m == id) {
            return Some(vec![id.to_string()]);
        }
    }
    let known: Vec<&str> = teams.iter().map(|t| t.id.as_str()).collect();
    c.bad_hint(
        field,
        format!("no team with id \"{id}\""),
        if known.is_empty() {
            "the scenario has no teams".to_string()
        } else {
            format!("team ids: {} (one member: id-1, id-2, ...)", known.join(", "))
        },
    );
    None
}

fn hazard_specs(s: &Scenario) -> impl Iterator<Item = &HazardSpec> {
    s.hazards.iter().chain(s.injects.iter().filter_map(|i| match &i.action {
        Action::Hazard(h) => Some(h),
        _ => None,
    }))
}

fn resolve_site(c: &mut Checker, city: &CityMap, site: &Site, field: &str) -> Option<(Xy, u32)> {
    match site {
        Site::Place(p) => c
            .place(city, p, &format!("{field}.0"))
            .map(|pi| (city.places[pi].xy, city.places[pi].node)),
        Site::Node(n) => c
            .node(city, n, &format!("{field}.0"))
            .map(|node| (city.node_xy[node as usize], node)),
        Site::LatLon(lat, lon) => {
            let xy = city.projection.to_xy(crate::city::LatLon { lat: *lat, lon: *lon });
            match city.nearest_node(xy) {
                Some((n, d)) if d <= MAX_SNAP_M => Some((xy, n)),
                _ => {
                    c.bad_hint(
                        field,
                        format!("({lat}, {lon}) is off the map"),
                        "check that lat and lon are not swapped",
                    );
                    None
                }
            }
        }
    }
}

fn resolve_hazard(
    c: &mut Checker,
    city: &CityMap,
    h: &HazardSpec,
    f: &str,
    start: NaiveDateTime,
    end: SimTime,
    chemicals: &[crate::hazard::plume::Chemical],
) -> Option<HazardDef> {
    match h {
        HazardSpec::Breach {
            id,
            at,
            start: t,
            inflow_m3_s,
        } => {
            let st = c.time(&format!("{f}.start"), t, start, end);
            let site = resolve_site(c, city, at, &format!("{f}.at"));
            let times: Vec<SimTime> = (inflow_m3_s.iter().enumerate())
                .map(|(k, (d, _))| SimTime(c.duration(&format!("{f}.inflow_m3_s[{k}].0"), d).secs()))
                .collect();
            let series = c.series(
                &format!("{f}.inflow_m3_s"),
                &times,
                inflow_m3_s.iter().map(|p| p.1),
                50_000.0,
                "m³/s",
            );
            if series.is_empty() {
                c.bad(&format!("{f}.inflow_m3_s"), "expected at least one (time, m³/s) point");
            }
            let (xy, node) = site?;
            Some(HazardDef {
                id: id.clone(),
                start: st,
                xy,
                node,
                kind: HazardKind::Breach { inflow_m3_s: series },
            })
        }
        HazardSpec::Fire { id, at, start: t } => {
            let st = c.time(&format!("{f}.start"), t, start, end);
            let (xy, node) = resolve_site(c, city, at, &format!("{f}.at"))?;
            Some(HazardDef {
                id: id.clone(),
                start: st,
                xy,
                node,
                kind: HazardKind::Fire,
            })
        }
        HazardSpec::Release {
            id,
            chemical,
            at,
            start: t,
            rate_kg_s,
            duration,
            tank,
            mass_kg,
            height_m,
        } => {
            let st = c.time(&format!("{f}.start"), t, start, end);
            c.non_negative(&format!("{f}.height_m"), *height_m, 500.0, "m");
            let chem = crate::hazard::plume::find_chemical(chemicals, chemical);
            if chem.is_none() && !chemicals.is_empty() {
                let known: Vec<&str> = chemicals.iter().map(|c| c.name.as_str()).collect();
                c.bad_hint(
                    &format!("{f}.chemical"),
                    format!("unknown chemical \"{chemical}\""),
                    format!("known: {}", known.join(", ")),
                );
            }
            let source = match (rate_kg_s, duration, tank, mass_kg) {
                (Some(rate), Some(d), None, None) => {
                    c.positive(&format!("{f}.rate_kg_s"), *rate, 10_000.0, "kg/s");
                    let d = c.duration(&format!("{f}.duration"), d);
                    Some(ReleaseSource::Continuous {
                        rate_kg_s: *rate,
                        duration_s: d.secs() as f64,
                        tank: None,
                    })
                }
                (None, None, Some(tank), None) => {
                    let tf = format!("{f}.tank");
                    c.positive(&format!("{tf}.hole_mm"), tank.hole_mm, 2_000.0, "mm");
                    c.positive(&format!("{tf}.inventory_kg"), tank.inventory_kg, 1e7, "kg");
                    c.non_negative(&format!("{tf}.head_m"), tank.head_m, 50.0, "m");
                    c.non_negative(
                        &format!("{tf}.overpressure_kpa"),
                        tank.overpressure_kpa,
                        10_000.0,
                        "kPa",
                    );
                    let density = tank
                        .liquid_density_kg_m3
                        .or_else(|| chem.and_then(|ch| ch.liquid_density_kg_m3));
                    match density {
                        Some(rho) => c.positive(&format!("{tf}.liquid_density_kg_m3"), rho, 25_000.0, "kg/m³"),
                        None if chem.is_some() => c.bad_hint(
                            &tf,
                            format!("the chemicals file gives no liquid density for \"{chemical}\""),
                            "add liquid_density_kg_m3 to the tank",
                        ),
                        None => {}
                    }
                    let area = std::f64::consts::PI * (tank.hole_mm / 1000.0).powi(2) / 4.0;
                    let rate = crate::hazard::plume::orifice_liquid_rate_kg_s(
                        crate::hazard::plume::DEFAULT_DISCHARGE_COEFFICIENT,
                        area,
                        density.unwrap_or(0.0),
                        tank.head_m,
                        tank.overpressure_kpa * 1000.0,
                    );
                    if density.is_some() && rate <= 0.0 {
                        c.bad(&tf, "no driving pressure: give a head or an overpressure above zero");
                    }
                    (rate > 0.0).then(|| ReleaseSource::Continuous {
                        rate_kg_s: rate,
                        duration_s: tank.inventory_kg / rate,
                        tank: Some(format!(
                            "{:.0} mm hole, {:.1} m head, {:.0} kPa: {:.2} kg/s for {:.0} min (Bernoulli orifice, constant head)",
                            tank.hole_mm,
                            tank.head_m,
                            tank.overpressure_kpa,
                            rate,
                            tank.inventory_kg / rate / 60.0
                        )),
                    })
                }
                (None, None, None, Some(m)) => {
                    c.positive(&format!("{f}.mass_kg"), *m, 1e7, "kg");
                    Some(ReleaseSource::Instant { mass_kg: *m })
                }
                _ => {
                    c.bad_hint(
                        f,
                        "a release needs one source: rate_kg_s with duration, or tank, or mass_kg",
                        "e.g. rate_kg_s: 2.0, duration: \"30m\"  or  tank: (hole_mm: 25, inventory_kg: 20000, overpressure_kpa: 580)  or  mass_kg: 500",
                    );
                    None
                }
            };
            let (xy, node) = resolve_site(c, city, at, &format!("{f}.at"))?;
            Some(HazardDef {
                id: id.clone(),
                start: st,
                xy,
                node,
                kind: HazardKind::Release {
                    chemical: Box::new(chem?.clone()),
                    source: source?,
                    height_m: *height_m,
                },
            })
        }
    }
}

fn check_depots(
    c: &mut Checker,
    city: &CityMap,
    specs: &[DepotSpec],
    prefix: &str,
    start: NaiveDateTime,
    end: SimTime,
) -> Vec<DepotDef> {
    let mut out = Vec::new();
    let mut ids = std::collections::BTreeMap::new();
    for (i, d) in specs.iter().enumerate() {
        let f = format!("{prefix}[{i}]");
        if let Some(prev) = ids.insert(d.id.clone(), i) {
            c.bad(
                &format!("{f}.id"),
                format!("duplicate depot id \"{}\" (also {prefix}[{prev}])", d.id),
            );
        }
        c.count(&format!("{f}.stock.initial"), d.stock.initial, "kits");
        c.count(&format!("{f}.stock.basic"), d.stock.basic, "sets");
        if d.bays == 0 || d.bays > 100 {
            c.bad(
                &format!("{f}.bays"),
                format!("expected 1 to 100 loading bays, found {}", d.bays),
            );
        }
        let located = match (&d.place, &d.at) {
            (Some(p), None) => c.place(city, p, &format!("{f}.place")).map(|pi| {
                let pl = &city.places[pi];
                (pl.node, pl.xy, pl.name.clone(), Some(pl.name_zh.clone()))
            }),
            (None, Some(ll)) => {
                let xy = city.projection.to_xy(*ll);
                match city.nearest_node(xy) {
                    Some((n, dist)) if dist <= MAX_SNAP_M => Some((n, xy, d.id.clone(), None)),
                    Some((_, dist)) => {
                        c.bad_hint(
                            &format!("{f}.at"),
                            format!(
                                "({}, {}) is off the map: the nearest road is {:.1} km away (at most {:.1} km allowed)",
                                ll.lat,
                                ll.lon,
                                dist / 1000.0,
                                MAX_SNAP_M / 1000.0
                            ),
                            "check that lat and lon are not swapped and that the site lies inside the city",
                        );
                        None
                    }
                    None => None,
                }
            }
            _ => {
                c.bad(&f, "expected exactly one of `place` (a named place) or `at` (lat, lon)");
                None
            }
        };
        let tier = match &d.tier {
            Tier::Government => Some(TierDef::Government),
            Tier::Enterprise {
                lead_time,
                initial_per_h,
                basic_per_h,
            } => {
                let from = c.time(&format!("{f}.tier.lead_time"), &TimeSpec(lead_time.clone()), start, end);
                c.non_negative(&format!("{f}.tier.initial_per_h"), *initial_per_h, 1.0e6, "kits/h");
                c.non_negative(&format!("{f}.tier.basic_per_h"), *basic_per_h, 1.0e6, "sets/h");
                Some(TierDef::Enterprise {
                    from,
                    initial_per_h: *initial_per_h,
                    basic_per_h: *basic_per_h,
                })
            }
            Tier::Commercial { activation } => {
                let from = c.time(
                    &format!("{f}.tier.activation"),
                    &TimeSpec(activation.clone()),
                    start,
                    end,
                );
                Some(TierDef::Commercial { from })
            }
            Tier::Community {
                local_delay,
                people_per_h,
            } => {
                let local_delay = c.duration(&format!("{f}.tier.local_delay"), local_delay);
                c.positive(&format!("{f}.tier.people_per_h"), *people_per_h, 1.0e6, "people/h");
                let zone = located.as_ref().map_or(0, |l| city.node_zone[l.0 as usize]);
                Some(TierDef::Community {
                    local_delay,
                    people_per_h: *people_per_h,
                    zone,
                })
            }
        };
        if let (Some((node, xy, name, name_zh)), Some(tier)) = (located, tier) {
            out.push(DepotDef {
                id: d.id.clone(),
                name,
                name_zh,
                node,
                xy,
                tier,
                stock: d.stock,
                bays: d.bays,
            });
        }
    }
    out
}

fn check_fleet(
    c: &mut Checker,
    specs: &[FleetSpec],
    depots: &[DepotDef],
    depot_specs: &[DepotSpec],
    start: NaiveDateTime,
    end: SimTime,
    depots_from_layout: bool,
) -> Vec<FleetDef> {
    let mut out = Vec::new();
    for (i, fl) in specs.iter().enumerate() {
        let f = format!("fleet[{i}]");
        c.count(&format!("{f}.trucks"), fl.trucks, "trucks");
        if fl.trucks > 100_000 {
            c.bad(
                &format!("{f}.trucks"),
                format!("{} trucks is absurd; expected at most 100000", fl.trucks),
            );
        }
        c.positive(&format!("{f}.capacity_kg"), fl.capacity_kg, MAX_PAYLOAD_KG, "kg");
        c.positive(&format!("{f}.capacity_m3"), fl.capacity_m3, 150.0, "m³");
        c.positive(&format!("{f}.speed_kmh"), fl.speed_kmh, 150.0, "km/h");
        if let Some(w) = fl.wading_m {
            c.positive(&format!("{f}.wading_m"), w, 3.0, "m");
        }
        let ready = match &fl.ready {
            Some(t) => c.time(&format!("{f}.ready"), t, start, end),
            None => SimTime::ZERO,
        };
        match depots.iter().position(|d| d.id == fl.depot) {
            Some(depot) => {
                if matches!(depots[depot].tier, TierDef::Community { .. }) {
                    c.bad(
                        &format!("{f}.depot"),
                        format!(
                            "\"{}\" is a community station, which hands out locally without trucks",
                            fl.depot
                        ),
                    );
                }
                out.push(FleetDef {
                    depot,
                    trucks: fl.trucks,
                    capacity_kg: fl.capacity_kg,
                    capacity_m3: fl.capacity_m3,
                    vehicle: Vehicle {
                        speed_kmh: fl.speed_kmh,
                        wading_m: fl.wading_m.unwrap_or_else(|| default_wading_m(fl.capacity_kg)),
                        protected: false,
                    },
                    ready,
                });
            }
            None if depot_specs.iter().any(|d| d.id == fl.depot) => {} // depot itself was refused
            None => {
                let known: Vec<&str> = depot_specs.iter().map(|d| d.id.as_str()).collect();
                let hint = if depots_from_layout {
                    format!(
                        "the layout replaced the scenario's depots; give the layout a `fleet`, or use depot ids from the layout: {}",
                        known.join(", ")
                    )
                } else {
                    format!("depot ids: {}", known.join(", "))
                };
                c.bad_hint(
                    &format!("{f}.depot"),
                    format!("no depot with id \"{}\"", fl.depot),
                    hint,
                );
            }
        }
    }
    out
}

fn resolve_area(c: &mut Checker, city: &CityMap, area: &Area, people: u32, field: &str) -> Option<Vec<(u32, u32)>> {
    match area {
        Area::Zone(z) => match city.zone(z) {
            Some(zi) => {
                let pop = city.zones[zi].population;
                if people > pop {
                    c.bad(
                        field,
                        format!("{people} people affected but {z} has only {pop} residents"),
                    );
                }
                Some(split_over_zone(city, zi, people))
            }
            None => {
                let hint = name_hint(city, z, |r| matches!(r, NameRef::Zone(_)), "zones");
                c.bad_hint(&format!("{field}.0"), format!("\"{z}\" is not a zone on the map"), hint);
                None
            }
        },
        Area::Node(n) => c.node(city, n, &format!("{field}.0")).map(|node| vec![(node, people)]),
        Area::Place(p) => c
            .place(city, p, &format!("{field}.0"))
            .map(|pi| vec![(city.places[pi].node, people)]),
    }
}

fn resolve_roads(c: &mut Checker, city: &CityMap, sel: &RoadSel, field: &str) -> Option<Vec<SegmentId>> {
    let segs: Vec<SegmentId> = match sel {
        RoadSel::Edge(a, b) => {
            let na = c.node(city, a, &format!("{field}.0"));
            let nb = c.node(city, b, &format!("{field}.1"));
            let (na, nb) = (na?, nb?);
            let found: Vec<SegmentId> = city
                .segments
                .iter()
                .enumerate()
                .filter(|(_, s)| (s.a, s.b) == (na, nb) || (s.a, s.b) == (nb, na))
                .map(|(i, _)| i as SegmentId)
                .collect();
            if found.is_empty() {
                c.bad(field, format!("no road joins \"{a}\" and \"{b}\" directly"));
                return None;
            }
            found
        }
        RoadSel::Road(name) | RoadSel::RoadInZone(name, _) => {
            let zone = match sel {
                RoadSel::RoadInZone(_, z) => match city.zone(z) {
                    Some(zi) => Some(zi as u16),
                    None => {
                        c.bad(&format!("{field}.1"), format!("\"{z}\" is not a zone on the map"));
                        return None;
                    }
                },
                _ => None,
            };
            let found: Vec<SegmentId> = city
                .segments
                .iter()
                .enumerate()
                .filter(|(_, s)| s.name.as_deref() == Some(name.as_str()))
                .filter(|(_, s)| {
                    zone.is_none_or(|z| city.node_zone[s.a as usize] == z || city.node_zone[s.b as usize] == z)
                })
                .map(|(i, _)| i as SegmentId)
                .collect();
            if found.is_empty() {
                let mut roads: Vec<&str> = city.segments.iter().filter_map(|s| s.name.as_deref()).collect();
                roads.sort();
                roads.dedup();
                c.bad_hint(
                    &format!("{field}.0"),
                    format!(
                        "no road named \"{name}\"{}",
                        if zone.is_some() { " in that zone" } else { "" }
                    ),
                    format!("named roads: {}", roads.join(", ")),
                );
                return None;
            }
            found
        }
        RoadSel::Near(at, radius) => {
            if !(radius.is_finite() && *radius > 0.0 && *radius <= 50_000.0) {
                c.bad(
                    &format!("{field}.1"),
                    format!("expected a radius in (0, 50000] m, found {radius}"),
                );
                return None;
            }
            let Some(node) = city.node(at) else {
                c.bad(
                    &format!("{field}.0"),
                    format!("\"{at}\" is not a place or node on the map"),
                );
                return None;
            };
            let centre = city.node_xy[node as usize];
            city.segments
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    city.node_xy[s.a as usize].dist(centre) <= *radius
                        || city.node_xy[s.b as usize].dist(centre) <= *radius
                })
                .map(|(i, _)| i as SegmentId)
                .collect()
        }
        RoadSel::Zone(z) => {
            let Some(zi) = city.zone(z) else {
                c.bad(&format!("{field}.0"), format!("\"{z}\" is not a zone on the map"));
                return None;
            };
            city.segments
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    usize::from(city.node_zone[s.a as usize]) == zi && usize::from(city.node_zone[s.b as usize]) == zi
                })
                .map(|(i, _)| i as SegmentId)
                .collect()
        }
    };
    Some(segs)
}
