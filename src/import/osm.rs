//! Reading OpenStreetMap files: PBF (with the `osmpbf` crate) and XML (with
//! `quick-xml`), into one in-memory [`OsmData`] that keeps only what the import
//! uses.
//!
//! What is kept: every node's position (ways need them), nodes with tags the
//! import reads (hospitals, villages, ...), every way that carries a tag the
//! import reads or no tag at all (untagged ways may be members of boundary or
//! multipolygon relations, which come later in the file), and the relations
//! that are administrative boundaries or multipolygons. Ways whose tags are
//! all of no interest (most buildings) are dropped while reading, which keeps a
//! county extract well under a few hundred MB.

use std::io::BufRead;
use std::path::Path;

use crate::error::{Diagnostic, Error};
use crate::scenario::locate::LineCol;

/// Tag keys the import reads; every other tag is dropped while reading.
const KEPT_KEYS: &[&str] = &[
    "highway",
    "oneway",
    "junction",
    "maxspeed",
    "lanes",
    "bridge",
    "tunnel",
    "name",
    "name:zh",
    "name:en",
    "name:zh-Latn-pinyin",
    "ref",
    "access",
    "motor_vehicle",
    "service",
    "area",
    "amenity",
    "leisure",
    "landuse",
    "natural",
    "water",
    "waterway",
    "man_made",
    "industrial",
    "product",
    "building",
    "boundary",
    "admin_level",
    "type",
    "place",
    "population",
    "beds",
];

/// The tags of one element, only the keys in [`KEPT_KEYS`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tags(Vec<(Box<str>, Box<str>)>);

impl Tags {
    /// Keep `(key, value)` if the import reads that key.
    fn push(&mut self, key: &str, value: &str) {
        if KEPT_KEYS.contains(&key) {
            self.0.push((key.into(), value.into()));
        }
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| &**k == key).map(|(_, v)| &**v)
    }

    /// `key` has exactly `value`.
    pub fn is(&self, key: &str, value: &str) -> bool {
        self.get(key) == Some(value)
    }

    /// No kept tag.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The element's name: `name`, else the English or pinyin name.
    pub fn name(&self) -> Option<&str> {
        self.get("name")
            .or_else(|| self.get("name:en"))
            .or_else(|| self.get("name:zh-Latn-pinyin"))
    }
}

/// Whether a way with these tags (and `had_tags`: it had any tag at all) is
/// worth keeping: it carries something the import reads, or it is untagged and
/// may be a relation member.
fn way_is_kept(tags: &Tags, had_tags: bool) -> bool {
    if !had_tags {
        return true;
    }
    tags.get("highway").is_some()
        || tags.get("amenity").is_some()
        || tags.get("leisure").is_some()
        || tags.get("landuse").is_some()
        || tags.get("natural").is_some()
        || tags.get("waterway").is_some()
        || tags.get("man_made").is_some()
        || tags.get("industrial").is_some()
        || tags.is("building", "warehouse")
        || tags.is("place", "square")
        || tags.get("boundary").is_some()
}

/// Whether a node with these tags is a point of interest for the import.
fn node_is_poi(tags: &Tags) -> bool {
    tags.get("amenity").is_some()
        || tags.get("leisure").is_some()
        || tags.get("place").is_some()
        || tags.get("man_made").is_some()
        || tags.get("industrial").is_some()
        || tags.is("building", "warehouse")
}

/// Whether a relation is kept: administrative boundaries and multipolygons.
fn relation_is_kept(tags: &Tags) -> bool {
    tags.is("type", "boundary") || tags.is("boundary", "administrative") || tags.is("type", "multipolygon")
}

/// A tagged node.
#[derive(Debug, Clone)]
pub struct Poi {
    /// OSM node id.
    pub id: i64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Kept tags.
    pub tags: Tags,
}

/// A way: its node references and kept tags.
#[derive(Debug, Clone)]
pub struct Way {
    /// OSM way id.
    pub id: i64,
    /// Node ids in order.
    pub refs: Vec<i64>,
    /// Kept tags (empty for untagged ways).
    pub tags: Tags,
}

/// What a relation member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    /// A node.
    Node,
    /// A way.
    Way,
    /// A relation.
    Relation,
}

/// A relation member.
#[derive(Debug, Clone)]
pub struct Member {
    /// Node, way or relation.
    pub kind: MemberKind,
    /// Its OSM id.
    pub id: i64,
    /// Its role ("outer", "inner", "admin_centre", ...).
    pub role: Box<str>,
}

/// A relation: its members and kept tags.
#[derive(Debug, Clone)]
pub struct Relation {
    /// OSM relation id.
    pub id: i64,
    /// Members in order.
    pub members: Vec<Member>,
    /// Kept tags.
    pub tags: Tags,
}

/// Everything read from one OSM file.
#[derive(Debug, Default)]
pub struct OsmData {
    /// Every node's position, `(id, lat, lon)`, sorted by id.
    nodes: Vec<(i64, f64, f64)>,
    /// Tagged nodes the import reads.
    pub pois: Vec<Poi>,
    /// Kept ways, in file order.
    pub ways: Vec<Way>,
    /// Kept relations, in file order.
    pub relations: Vec<Relation>,
    /// Ways seen in the file (kept or not).
    pub ways_seen: usize,
}

impl OsmData {
    /// Finish reading: sort node positions by id (files are usually sorted
    /// already, so this is cheap), keeping the last of any duplicate id.
    fn finish(mut self) -> OsmData {
        if !self.nodes.is_sorted_by_key(|n| n.0) {
            self.nodes.sort_by_key(|n| n.0);
        }
        self.nodes.dedup_by_key(|n| n.0);
        self
    }

    /// Position `(lat, lon)` of node `id`, if the file has it.
    pub fn position(&self, id: i64) -> Option<(f64, f64)> {
        self.nodes
            .binary_search_by_key(&id, |n| n.0)
            .ok()
            .map(|k| (self.nodes[k].1, self.nodes[k].2))
    }

    /// Number of nodes read.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// A way by id (ways are kept in file order, which is id order in
    /// well-formed files; falls back to a scan otherwise).
    pub fn way(&self, id: i64) -> Option<&Way> {
        match self.ways.binary_search_by_key(&id, |w| w.id) {
            Ok(k) => Some(&self.ways[k]),
            Err(_) => self.ways.iter().find(|w| w.id == id),
        }
    }

    fn add_node(&mut self, id: i64, lat: f64, lon: f64, tags: Tags) {
        self.nodes.push((id, lat, lon));
        if node_is_poi(&tags) {
            self.pois.push(Poi { id, lat, lon, tags });
        }
    }

    fn add_way(&mut self, id: i64, refs: Vec<i64>, tags: Tags, had_tags: bool) {
        self.ways_seen += 1;
        if way_is_kept(&tags, had_tags) && refs.len() >= 2 {
            self.ways.push(Way { id, refs, tags });
        }
    }

    fn add_relation(&mut self, id: i64, members: Vec<Member>, tags: Tags) {
        if relation_is_kept(&tags) {
            self.relations.push(Relation { id, members, tags });
        }
    }
}

/// Read an OSM file; the format is chosen by the name (`.pbf` → PBF,
/// otherwise XML).
///
/// # Errors
/// [`Error::Io`] if the file cannot be opened; [`Error::Input`] if it is not a
/// well-formed OSM file (truncated PBF, XML that is not OSM), with the line
/// and column for XML.
pub fn read(path: &Path) -> Result<OsmData, Error> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.ends_with(".pbf") {
        read_pbf(path)
    } else {
        read_xml(path)
    }
}

/// Read an OSM PBF file.
///
/// # Errors
/// As [`read`].
pub fn read_pbf(path: &Path) -> Result<OsmData, Error> {
    use osmpbf::{Element, ElementReader};
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let reader = ElementReader::new(std::io::BufReader::new(file));
    let mut data = OsmData::default();
    let mut role_error = None;
    let result = reader.for_each(|element| match element {
        Element::Node(n) => {
            let mut tags = Tags::default();
            n.tags().for_each(|(k, v)| tags.push(k, v));
            data.add_node(n.id(), n.lat(), n.lon(), tags);
        }
        Element::DenseNode(n) => {
            let mut tags = Tags::default();
            n.tags().for_each(|(k, v)| tags.push(k, v));
            data.add_node(n.id(), n.lat(), n.lon(), tags);
        }
        Element::Way(w) => {
            let mut tags = Tags::default();
            let mut had_tags = false;
            w.tags().for_each(|(k, v)| {
                had_tags = true;
                tags.push(k, v);
            });
            data.add_way(w.id(), w.refs().collect(), tags, had_tags);
        }
        Element::Relation(r) => {
            let mut tags = Tags::default();
            r.tags().for_each(|(k, v)| tags.push(k, v));
            if !relation_is_kept(&tags) {
                return;
            }
            let members = r
                .members()
                .map(|m| Member {
                    kind: match m.member_type {
                        osmpbf::RelMemberType::Node => MemberKind::Node,
                        osmpbf::RelMemberType::Way => MemberKind::Way,
                        osmpbf::RelMemberType::Relation => MemberKind::Relation,
                    },
                    id: m.member_id,
                    role: m
                        .role()
                        .unwrap_or_else(|e| {
                            role_error.get_or_insert(e.to_string());
                            ""
                        })
                        .into(),
                })
                .collect();
            data.add_relation(r.id(), members, tags);
        }
    });
    let problem = match (result, role_error) {
        (Err(e), _) => Some(e.to_string()),
        (Ok(()), Some(e)) => Some(e),
        (Ok(()), None) => None,
    };
    if let Some(problem) = problem {
        return Err(Error::one(
            Diagnostic::new(path, None, "", format!("not a complete OSM PBF file: {problem}"))
                .with_hint("download the extract again (a truncated file fails like this), or pass an .osm XML file"),
        ));
    }
    if data.node_count() == 0 {
        return Err(Error::one(Diagnostic::new(
            path,
            None,
            "",
            "the PBF file holds no nodes",
        )));
    }
    Ok(data.finish())
}

/// Read an OSM XML file (`<osm>` with `<node>`, `<way>`, `<relation>`).
///
/// # Errors
/// As [`read`].
pub fn read_xml(path: &Path) -> Result<OsmData, Error> {
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut parser = XmlParser {
        reader: quick_xml::Reader::from_reader(std::io::BufReader::with_capacity(1 << 16, file)),
        path,
    };
    parser.parse()
}

/// The element being read while its children (`tag`, `nd`, `member`) arrive.
enum Open {
    Node {
        id: i64,
        lat: f64,
        lon: f64,
        tags: Tags,
    },
    Way {
        id: i64,
        refs: Vec<i64>,
        tags: Tags,
        had_tags: bool,
    },
    Relation {
        id: i64,
        members: Vec<Member>,
        tags: Tags,
    },
}

struct XmlParser<'p, R: BufRead> {
    reader: quick_xml::Reader<R>,
    path: &'p Path,
}

impl<R: BufRead> XmlParser<'_, R> {
    fn parse(&mut self) -> Result<OsmData, Error> {
        use quick_xml::events::Event;
        let mut data = OsmData::default();
        let mut buf = Vec::new();
        let mut open: Option<Open> = None;
        let mut seen_root = false;
        loop {
            let at = self.reader.buffer_position();
            let event = self
                .reader
                .read_event_into(&mut buf)
                .map_err(|e| self.error(self.reader.buffer_position(), format!("malformed XML: {e}")))?;
            let (element, empty) = match event {
                Event::Start(e) => (e, false),
                Event::Empty(e) => (e, true),
                Event::End(e) => {
                    let qname = e.name();
                    let name: &str = qname.as_ref();
                    if matches!(name, "node" | "way" | "relation") {
                        close(&mut data, open.take());
                    }
                    buf.clear();
                    continue;
                }
                Event::Eof => break,
                _ => {
                    buf.clear();
                    continue;
                }
            };
            let qname = element.name();
            let name: &str = qname.as_ref();
            if !seen_root {
                if name != "osm" {
                    return Err(self.error(
                        at,
                        format!("not an OSM XML file: the root element is <{}>, expected <osm>", name),
                    ));
                }
                seen_root = true;
                buf.clear();
                continue;
            }
            let attrs = self.attributes(&element, at)?;
            let attr = |key: &str| attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
            let number = |key: &str| -> Result<f64, Error> {
                let v = attr(key).ok_or_else(|| self.error(at, format!("<{}> lacks the attribute {key}", name)))?;
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| self.error(at, format!("{key}=\"{v}\" is not a number")))
            };
            let id = || number("id").map(|x| x as i64);
            match name {
                "node" => {
                    close(&mut data, open.take());
                    let (lat, lon) = (number("lat")?, number("lon")?);
                    if lat.abs() > 90.0 || lon.abs() > 180.0 {
                        return Err(self.error(at, format!("node position lat={lat} lon={lon} is not on Earth")));
                    }
                    open = Some(Open::Node {
                        id: id()?,
                        lat,
                        lon,
                        tags: Tags::default(),
                    });
                }
                "way" => {
                    close(&mut data, open.take());
                    open = Some(Open::Way {
                        id: id()?,
                        refs: Vec::new(),
                        tags: Tags::default(),
                        had_tags: false,
                    });
                }
                "relation" => {
                    close(&mut data, open.take());
                    open = Some(Open::Relation {
                        id: id()?,
                        members: Vec::new(),
                        tags: Tags::default(),
                    });
                }
                "tag" => {
                    let (k, v) = (attr("k").unwrap_or(""), attr("v").unwrap_or(""));
                    match &mut open {
                        Some(Open::Node { tags, .. } | Open::Relation { tags, .. }) => tags.push(k, v),
                        Some(Open::Way { tags, had_tags, .. }) => {
                            *had_tags = true;
                            tags.push(k, v);
                        }
                        None => {}
                    }
                }
                "nd" => {
                    if let Some(Open::Way { refs, .. }) = &mut open {
                        refs.push(number("ref")? as i64);
                    }
                }
                "member" => {
                    if let Some(Open::Relation { members, .. }) = &mut open {
                        let kind = match attr("type") {
                            Some("node") => MemberKind::Node,
                            Some("way") => MemberKind::Way,
                            Some("relation") => MemberKind::Relation,
                            other => {
                                return Err(
                                    self.error(at, format!("member type {other:?}: expected node, way or relation"))
                                );
                            }
                        };
                        members.push(Member {
                            kind,
                            id: number("ref")? as i64,
                            role: attr("role").unwrap_or("").into(),
                        });
                    }
                }
                _ => {}
            }
            if empty && matches!(name, "node" | "way" | "relation") {
                close(&mut data, open.take());
            }
            buf.clear();
        }
        close(&mut data, open.take());
        if !seen_root {
            return Err(self.error(0, "not an OSM XML file: no <osm> element".into()));
        }
        Ok(data.finish())
    }

    /// Attributes of an element as owned strings.
    fn attributes(&self, e: &quick_xml::events::BytesStart, at: u64) -> Result<Vec<(String, String)>, Error> {
        let mut out = Vec::new();
        for a in e.attributes() {
            let a = a.map_err(|err| self.error(at, format!("malformed attribute: {err}")))?;
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| self.error(at, format!("malformed attribute value: {err}")))?;
            out.push((a.key.as_ref().to_string(), value.into_owned()));
        }
        Ok(out)
    }

    /// An error at byte `offset` of the file, with its line and column (found
    /// by reading the file again up to there: only on the error path).
    fn error(&self, offset: u64, message: String) -> Error {
        Error::one(Diagnostic::new(self.path, line_col(self.path, offset), "", message))
    }
}

/// Hand a finished element to the data.
fn close(data: &mut OsmData, open: Option<Open>) {
    match open {
        Some(Open::Node { id, lat, lon, tags }) => data.add_node(id, lat, lon, tags),
        Some(Open::Way {
            id,
            refs,
            tags,
            had_tags,
        }) => data.add_way(id, refs, tags, had_tags),
        Some(Open::Relation { id, members, tags }) => data.add_relation(id, members, tags),
        None => {}
    }
}

/// Line and column (1-based, columns in characters) of byte `offset` in a file.
fn line_col(path: &Path, offset: u64) -> Option<LineCol> {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(offset)
        .read_to_end(&mut head)
        .ok()?;
    let text = String::from_utf8_lossy(&head);
    let line = text.matches('\n').count() + 1;
    let col = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some(LineCol { line, col })
}
