//! Write a synthetic county extract (OSM XML) for the import benchmark:
//! `cargo run --release --example synthetic_osm -- 1000000 /tmp/county.osm`,
//! then `osmium cat /tmp/county.osm -o /tmp/county.osm.pbf` for the PBF.

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let nodes: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1_000_000);
    let path = args.next().unwrap_or_else(|| "county.osm".into());
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let written = tabletop::import::synthetic::write_county(&mut out, nodes)?;
    std::io::Write::flush(&mut out)?;
    eprintln!("wrote {path}: {written} nodes");
    Ok(())
}
