//! Decodes proxy logs (Blue Coat ELFF, Squid, Zeek http.log; plain or gzip) and prints what was
//! read; with `--out FILE.parquet|FILE.csv` also writes the records.
//!
//! ```text
//! cargo run --release --example proxy_decode -- [--format elff|squid|zeek] [--strict] [--dictionary] [--out FILE] LOG...
//! ```
//!
//! `--dictionary` reads text columns dictionary-encoded, as `spot decode proxy` does when it
//! writes Parquet.

use std::time::Instant;

use spot_decode::BatchWriter;
use spot_decode::proxy::{ProxyFormat, ProxyReader};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut format: Option<ProxyFormat> = None;
    let mut out = None;
    let mut strict = false;
    let mut dictionary = false;
    let mut inputs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--format" => format = Some(args.next().ok_or("--format needs a value")?.parse()?),
            "--out" => out = Some(args.next().ok_or("--out needs a value")?),
            "--strict" => strict = true,
            "--dictionary" => dictionary = true,
            _ => inputs.push(a),
        }
    }
    if inputs.is_empty() {
        return Err(
            "usage: proxy_decode [--format elff|squid|zeek] [--strict] [--dictionary] [--out FILE] \
             LOG..."
                .into(),
        );
    }
    let start = Instant::now();
    let reader = match format {
        Some(f) => ProxyReader::open_as(&inputs, f)?,
        None => ProxyReader::open(&inputs)?,
    }
    .with_strict(strict)
    .with_dictionary_encoding(dictionary);
    let bytes = reader.total_bytes();
    let mut writer = match &out {
        // Dictionary-encoded batches are written as the plain text columns they hold.
        Some(p) => Some(BatchWriter::create(p, &reader.text_schema())?),
        None => None,
    };
    let mut batches = reader.batches();
    let mut rows = 0usize;
    for b in &mut batches {
        let b = b?;
        rows += b.num_rows();
        if let Some(w) = writer.as_mut() {
            w.write(&b)?;
        }
    }
    if let Some(w) = writer {
        w.finish()?;
    }
    let secs = start.elapsed().as_secs_f64();
    let stats = batches.stats();
    println!(
        "{rows} records, {} lines, {} directives, {} skipped {:?} in {secs:.3} s ({:.1} MB/s)",
        stats.lines,
        stats.directives,
        stats.skipped_total(),
        stats.skipped,
        bytes as f64 / 1e6 / secs
    );
    for e in stats.errors.iter().take(5) {
        eprintln!("{}:{}: {}", e.path.display(), e.line, e.error);
    }
    Ok(())
}
