//! `tabletop import osm` on a hand-written fixture (tests/fixtures/osm/small-town.osm,
//! and the same data as PBF): expected counts, routes that respect one-way streets and
//! the roundabout, places, zones, rasters, a round trip into a run, and bad files.

mod common;

use std::path::{Path, PathBuf};

use common::{expect_status, root};
use tabletop::city::routing::{RoadState, Vehicle, route};
use tabletop::city::{CityMap, LatLon, PlaceKind, RoadClass, ZoneKind};
use tabletop::import::{ImportOptions, Imported, PopulationSource, import};

/// Fixture grid: node (x, y) sits at lat 36.85 + 0.002·y, lon 115.70 + 0.002·x.
fn fixture_latlon(x: f64, y: f64) -> LatLon {
    LatLon {
        lat: 36.85 + 0.002 * y,
        lon: 115.70 + 0.002 * x,
    }
}

fn fixture(ext: &str) -> PathBuf {
    root().join("tests/fixtures/osm").join(format!("small-town.{ext}"))
}

fn options(input: PathBuf) -> ImportOptions {
    ImportOptions {
        input,
        bbox: None,
        name: "small".into(),
        name_zh: Some("小城".into()),
        elevation: None,
        population_csv: None,
        population_raster: None,
        admin_level: None,
        cell_m: 100.0,
        max_edge_m: 500.0,
    }
}

/// Import, write into `dir`, and load the result as the simulation does.
fn import_and_load(opts: &ImportOptions, dir: &Path) -> (Imported, CityMap) {
    let imported = import(opts).expect("fixture imports");
    let out = dir.join("small.ron");
    tabletop::import::write(&imported, &out).expect("map written");
    let city = CityMap::load(&out).expect("written map loads");
    (imported, city)
}

/// The graph node at a fixture grid position.
fn node_at(city: &CityMap, x: f64, y: f64) -> u32 {
    let (n, d) = city.nearest_node(city.projection.to_xy(fixture_latlon(x, y))).unwrap();
    assert!(d < 1.0, "no node at ({x}, {y}): nearest is {d:.1} m away");
    n
}

#[test]
fn fixture_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (imported, city) = import_and_load(&options(fixture("osm")), dir.path());
    let s = &imported.summary;
    // Junctions and ends: 1 2 3 4 5 8 10 12 13; 6, 7, 9 and 11 are shape points.
    assert_eq!((s.nodes, s.edges), (9, 11), "{s}");
    assert_eq!(
        s.oneway_edges, 3,
        "the one-way lane and the two halves of the roundabout"
    );
    assert_eq!((s.bridges, s.tunnels), (1, 0));
    // "Lost Lane" is joined only by a footway.
    assert_eq!((s.dropped.disconnected_nodes, s.dropped.disconnected_edges), (2, 1));
    assert_eq!(city.node_count(), 9);
    assert_eq!(city.segments.len(), 11);

    let count = |k: PlaceKind| city.places.iter().filter(|p| p.kind == k).count();
    assert_eq!(count(PlaceKind::Hospital), 1);
    assert_eq!(count(PlaceKind::FireStation), 1);
    assert_eq!(
        count(PlaceKind::Shelter),
        1,
        "the park; the school is a point without an area"
    );
    assert_eq!(
        count(PlaceKind::CommercialWarehouse),
        1,
        "the warehouse, not the plain building"
    );
    let hospital = &city.places[city.place("人民医院").unwrap()];
    assert_eq!(hospital.beds, Some(300));
    assert_eq!(hospital.name, "People's Hospital");
    // The park: 0.002° of longitude by 0.001° of latitude at 36.85° N.
    let park = &city.places[city.place("Canal Park").unwrap()];
    let expected_m2 = (0.002f64.to_radians() * 36.85f64.to_radians().cos() * 6_371_008.8)
        * (0.001f64.to_radians() * 6_371_008.8)
        * 0.6;
    let usable = park.usable_m2.unwrap();
    assert!(
        (usable - expected_m2).abs() < 0.01 * expected_m2,
        "{usable} vs {expected_m2}"
    );
    assert_eq!(city.waterways.len(), 1);
}

#[test]
fn pbf_and_xml_give_the_same_map() {
    let xml = import(&options(fixture("osm"))).unwrap();
    let pbf = import(&options(fixture("osm.pbf"))).unwrap();
    let ron = |i: &Imported| ron::to_string(&i.map).unwrap();
    // Only the provenance names the file.
    let (mut a, mut b) = (xml.map.clone(), pbf.map.clone());
    a.provenance.clear();
    b.provenance.clear();
    assert_eq!(ron::to_string(&a).unwrap(), ron::to_string(&b).unwrap());
    assert_ne!(ron(&xml), "");
}

#[test]
fn routes_respect_one_way_streets_and_the_roundabout() {
    let dir = tempfile::tempdir().unwrap();
    let (_, city) = import_and_load(&options(fixture("osm")), dir.path());
    let roads = RoadState::all_open(city.segments.len());
    let car = Vehicle::dry(80.0);
    let (n3, n8) = (node_at(&city, 2.0, 0.0), node_at(&city, 2.0, 1.0));
    let lane = city
        .segments
        .iter()
        .find(|s| s.name.as_deref() == Some("One Way Lane"))
        .unwrap();
    assert!(lane.oneway && (lane.a, lane.b) == (n3, n8));
    assert_eq!(lane.class, RoadClass::UrbanBranch, "a residential street in town");
    let (_, up) = route(&city, &roads, n3, n8, car).unwrap();
    assert!(
        (up - lane.length_m / (20.0 / 3.6)).abs() < 1e-6,
        "straight up the lane: {up}"
    );
    let (_, down) = route(&city, &roads, n8, n3, car).unwrap();
    assert!(down > up + 30.0, "back down goes round the block: {down} vs {up}");

    // The roundabout turns counter-clockwise: 5 → (9) → 10 and 10 → (11) → 5, both one-way.
    let (n5, n10) = (node_at(&city, 4.0, 0.0), node_at(&city, 6.0, 0.0));
    let ring: Vec<_> = city
        .segments
        .iter()
        .filter(|s| [s.a, s.b].contains(&n5) && [s.a, s.b].contains(&n10))
        .collect();
    assert_eq!(ring.len(), 2);
    assert!(ring.iter().all(|s| s.oneway));
    assert!(ring.iter().any(|s| (s.a, s.b) == (n5, n10)) && ring.iter().any(|s| (s.a, s.b) == (n10, n5)));

    // The bridge keeps its ref and flag; the road beyond it has 4 lanes in total (2 each way).
    let bridge = city.segments.iter().find(|s| s.bridge).unwrap();
    assert_eq!(bridge.name.as_deref(), Some("S254"));
    let beyond = city
        .segments
        .iter()
        .find(|s| s.name.as_deref() == Some("S254") && !s.bridge)
        .unwrap();
    assert_eq!(beyond.lanes, 2);
    // maxspeed 60 on Main Road, but an urban arterial is planned at 35 km/h (the lower).
    let main = city
        .segments
        .iter()
        .find(|s| s.name.as_deref() == Some("Main Road"))
        .unwrap();
    assert_eq!(main.speed_kmh, 35.0);
}

#[test]
fn zones_from_boundaries_with_a_shared_edge() {
    let dir = tempfile::tempdir().unwrap();
    let (imported, city) = import_and_load(&options(fixture("osm")), dir.path());
    assert_eq!(imported.summary.admin_level, Some(8));
    assert_eq!(city.zones.len(), 2);
    let west = city.zones.iter().position(|z| z.name_zh == "西街道").unwrap();
    let east = city.zones.iter().position(|z| z.name_zh == "东镇").unwrap();
    assert_eq!(city.zones[west].kind, ZoneKind::Subdistrict);
    assert_eq!(city.zones[east].kind, ZoneKind::Town);
    assert_eq!(city.zones[west].name, "West Subdistrict");
    // The boundary runs at x = 3.5: nodes west of it are in the west zone.
    for (x, zone) in [(0.0, west), (3.0, west), (4.0, east), (8.0, east)] {
        assert_eq!(
            usize::from(city.node_zone[node_at(&city, x, 0.0) as usize]),
            zone,
            "node at x = {x}"
        );
    }
    // Population from the boundaries' tags, spread over each zone's nodes.
    assert_eq!(imported.summary.population_source, PopulationSource::Tags);
    assert_eq!(city.zones[west].population, 3000);
    assert_eq!(city.zones[east].population, 1000);
    // The village name lands on the nearest road node.
    assert!(city.node("东村").is_some());
}

#[test]
fn population_csv_and_raster() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("people.csv");
    std::fs::write(&csv, "zone,people\n西街道,5000\nEast Town,2500\n").unwrap();
    let mut opts = options(fixture("osm"));
    opts.population_csv = Some(csv.clone());
    let (_, city) = import_and_load(&opts, dir.path());
    let total: u64 = (0..city.node_count()).map(|n| u64::from(city.node_people[n])).sum();
    assert_eq!(total, 7500);
    assert_eq!(city.zones.iter().map(|z| z.population).sum::<u32>(), 7500);

    // An unknown zone: an error with the line, never a guess.
    std::fs::write(&csv, "zone,people\nNowhere,10\n").unwrap();
    let err = import(&opts).unwrap_err().to_string();
    assert!(err.contains("people.csv:2") && err.contains("Nowhere"), "{err}");

    // A WorldPop-like raster: 4 × 3 cells of 0.005° holding 1 … 12 people: all 78 land on nodes.
    let asc = dir.path().join("pop.asc");
    let mut text =
        "ncols 4\nnrows 3\nxllcorner 115.695\nyllcorner 36.843\ncellsize 0.005\nNODATA_value -9999\n".to_string();
    for row in 0..3 {
        let line: Vec<String> = (0..4).map(|c| (row * 4 + c + 1).to_string()).collect();
        text += &(line.join(" ") + "\n");
    }
    std::fs::write(&asc, text).unwrap();
    let mut opts = options(fixture("osm"));
    opts.population_raster = Some(asc);
    let (imported, city) = import_and_load(&opts, dir.path());
    let total: u64 = (0..city.node_count()).map(|n| u64::from(city.node_people[n])).sum();
    assert_eq!(total, 78, "{}", imported.summary);
}

#[test]
fn elevation_is_resampled_onto_the_map_grid() {
    let dir = tempfile::tempdir().unwrap();
    // A tilted plane z = 30 + 1000·(lon − 115.69) − 500·(lat − 36.84): bilinear sampling is exact on it.
    let (west, south, cell, n) = (115.68, 36.82, 0.001, 60);
    let mut text = format!("ncols {n}\nnrows {n}\nxllcorner {west}\nyllcorner {south}\ncellsize {cell}\n");
    for r in (0..n).rev() {
        let lat = south + (r as f64 + 0.5) * cell;
        let row: Vec<String> = (0..n)
            .map(|c| {
                let lon = west + (c as f64 + 0.5) * cell;
                format!("{:.6}", 30.0 + 1000.0 * (lon - 115.69) - 500.0 * (lat - 36.84))
            })
            .collect();
        text += &(row.join(" ") + "\n");
    }
    let dem_path = dir.path().join("dem.asc");
    std::fs::write(&dem_path, text).unwrap();
    let mut opts = options(fixture("osm"));
    opts.elevation = Some(dem_path.clone());
    let (imported, city) = import_and_load(&opts, dir.path());
    let terrain = tabletop::city::terrain::Terrain::load_for_map(&dir.path().join("small.ron")).unwrap();
    let (dem, landuse) = (&terrain.dem, &terrain.landuse);
    assert_eq!(imported.summary.terrain, Some((dem.nx, dem.ny, 100.0)));
    for (i, j) in [(0, 0), (dem.nx / 2, dem.ny / 2), (dem.nx - 1, dem.ny - 1)] {
        let ll = city.projection.to_latlon(tabletop::city::Xy {
            x: dem.x0 + (i as f64 + 0.5) * dem.dx,
            y: dem.y0 + (j as f64 + 0.5) * dem.dx,
        });
        let expected = 30.0 + 1000.0 * (ll.lon - 115.69) - 500.0 * (ll.lat - 36.84);
        assert!(
            (dem.at(i, j) - expected).abs() < 0.01,
            "cell ({i}, {j}): {} vs {expected}",
            dem.at(i, j)
        );
    }
    // The river is water on the land-use grid.
    let river = city.projection.to_xy(fixture_latlon(6.5, 0.0));
    let (i, j) = landuse.cell_of(river.x, river.y).unwrap();
    assert_eq!(*landuse.at(i, j), tabletop::city::terrain::LandUse::Water);

    // A raster that does not cover the map is refused with both extents.
    let mut small = String::from("ncols 2\nnrows 2\nxllcorner 115.70\nyllcorner 36.85\ncellsize 0.001\n1 2\n3 4\n");
    small.push('\n');
    std::fs::write(&dem_path, small).unwrap();
    let err = import(&opts).unwrap_err().to_string();
    assert!(
        err.contains("elevation missing") && err.contains("the map needs"),
        "{err}"
    );
}

#[test]
fn round_trip_import_then_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fixture = fixture("osm.pbf");
    expect_status(
        d,
        &[
            "import",
            "osm",
            fixture.to_str().unwrap(),
            "--out",
            "maps/small.ron",
            "--name",
            "Small",
        ],
        0,
    );
    let scenario = r#"Scenario(
    name: "imported map",
    map: "maps/small.ron",
    start: "2026-07-20 06:00",
    duration: "12h",
    seed: 1,
    depots: [(id: "store", place: "Grain Store", tier: Commercial(activation: "1h"), stock: (initial: 1000, basic: 1000))],
    fleet: [(depot: "store", trucks: 2, capacity_kg: 5000, capacity_m3: 20)],
    impacts: [(at: "0h", area: Zone("东镇"), people: 300), (at: "0h", area: Node("东村"), people: 50)],
)"#;
    std::fs::write(d.join("s.ron"), scenario).unwrap();
    expect_status(d, &["run", "s.ron", "--out", "out", "--quiet"], 0);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/report.json")).unwrap()).unwrap();
    assert_eq!(report["score"]["affected_people"], 350);
    assert_eq!(
        report["score"]["initial_relief_within_target"], 1.0,
        "{}",
        report["score"]
    );

    // The run on the map for GIS: every road with its flags, the depot, the groups.
    let geo: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/map.geojson")).unwrap()).unwrap();
    assert_eq!(geo["type"], "FeatureCollection");
    let layer = |name: &str| -> Vec<&serde_json::Value> {
        geo["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["properties"]["layer"] == name)
            .collect()
    };
    let roads = layer("road");
    assert_eq!(roads.len(), 11);
    assert_eq!(roads.iter().filter(|f| f["properties"]["bridge"] == true).count(), 1);
    assert!(roads.iter().all(|f| f["properties"]["state_at_end"] == "open"));
    let depots = layer("depot");
    assert_eq!(depots.len(), 1);
    assert_eq!(depots[0]["properties"]["id"], "store");
    let groups = layer("group");
    let people: u64 = groups.iter().map(|g| g["properties"]["people"].as_u64().unwrap()).sum();
    assert_eq!(people, 350);
    assert!(groups.iter().all(|g| g["properties"]["initial_within_target"] == true));
    // Coordinates are [lon, lat] inside the fixture.
    for f in geo["features"].as_array().unwrap() {
        let c = &f["geometry"]["coordinates"];
        let first = if c[0].is_array() { &c[0] } else { c };
        let (lon, lat) = (first[0].as_f64().unwrap(), first[1].as_f64().unwrap());
        assert!((115.69..115.72).contains(&lon) && (36.84..36.86).contains(&lat), "{f}");
    }
}

#[test]
fn bad_files_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A PBF cut short.
    let bytes = std::fs::read(fixture("osm.pbf")).unwrap();
    std::fs::write(d.join("cut.osm.pbf"), &bytes[..bytes.len() / 2]).unwrap();
    let (_, err) = expect_status(d, &["import", "osm", "cut.osm.pbf", "--out", "m.ron"], 2);
    assert!(
        err.contains("cut.osm.pbf") && err.contains("not a complete OSM PBF file"),
        "{err}"
    );
    // XML that is not OSM.
    std::fs::write(d.join("page.osm"), "<?xml version=\"1.0\"?>\n<html><body/></html>\n").unwrap();
    let (_, err) = expect_status(d, &["import", "osm", "page.osm", "--out", "m.ron"], 2);
    assert!(
        err.contains("page.osm:2:1") && err.contains("root element is <html>"),
        "{err}"
    );
    // Broken XML inside an OSM file: the line of the fault.
    std::fs::write(
        d.join("broken.osm"),
        "<osm>\n  <node id=\"1\" lat=\"x\" lon=\"2\"/>\n</osm>\n",
    )
    .unwrap();
    let (_, err) = expect_status(d, &["import", "osm", "broken.osm", "--out", "m.ron"], 2);
    assert!(
        err.contains("broken.osm:2:3") && err.contains("lat=\"x\" is not a number"),
        "{err}"
    );
    // A box with no roads.
    let xml = fixture("osm");
    let (_, err) = expect_status(
        d,
        &[
            "import",
            "osm",
            xml.to_str().unwrap(),
            "--out",
            "m.ron",
            "--bbox",
            "10,10,11,11",
        ],
        2,
    );
    assert!(err.contains("no roads") && err.contains("10,10,11,11"), "{err}");
    // A bbox the wrong way round is refused by the argument parser.
    let (_, err) = expect_status(
        d,
        &[
            "import",
            "osm",
            xml.to_str().unwrap(),
            "--out",
            "m.ron",
            "--bbox",
            "116,37,115,36",
        ],
        2,
    );
    assert!(err.contains("WEST < EAST"), "{err}");
    // Nothing was written by any of these.
    assert!(!d.join("m.ron").exists());
}

#[test]
fn a_box_cuts_the_map() {
    let mut opts = options(fixture("osm"));
    // Only the western part (x ≤ 3.2): the roundabout, bridge and east side are left out.
    let east = fixture_latlon(3.2, 3.0);
    let west = fixture_latlon(-0.5, -4.0);
    opts.bbox = Some(
        format!("{},{},{},{}", west.lon, west.lat, east.lon, east.lat)
            .parse()
            .unwrap(),
    );
    let imported = import(&opts).unwrap();
    assert_eq!(imported.summary.bridges, 0);
    assert!(imported.map.nodes.iter().all(|n| n.lon <= east.lon));
    assert_eq!(
        imported.summary.zones, 1,
        "only the west boundary is over the roads left"
    );
}
