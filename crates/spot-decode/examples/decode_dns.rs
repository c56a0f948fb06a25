//! Decodes DNS from capture files and writes the records to CSV or Parquet (by extension), or
//! only counts them; prints the throughput and the skip counts.
//!
//! ```text
//! cargo run --release -p spot-decode --example decode_dns -- capture.pcap [--out dns.csv] [--queries] [--batch-size ROWS]
//! ```

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use spot_decode::dns::{DnsReader, dns_parquet_properties};
use spot_decode::{BatchWriter, OutputFormat, ParquetCompression};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut inputs = Vec::new();
    let mut out = None;
    let mut queries = false;
    let mut batch_size = spot_decode::dns::DEFAULT_BATCH_SIZE;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = args.next(),
            "--queries" => queries = true,
            "--batch-size" => batch_size = args.next().ok_or("--batch-size ROWS")?.parse()?,
            _ => inputs.push(a),
        }
    }
    let reader = DnsReader::open(&inputs)?
        .with_queries(queries)
        .with_batch_size(batch_size);
    let bytes = reader.total_bytes();
    let start = Instant::now();
    let st = match out {
        // CSV is written straight from the parsed messages.
        Some(p) if OutputFormat::from_path(Path::new(&p))? == OutputFormat::Csv => {
            let mut file = spot_decode::OutputFile::create(&p)?;
            let mut chunks = reader.csv();
            for text in chunks.by_ref() {
                file.write_all(&text?)?;
            }
            chunks.stats().clone()
        }
        out => {
            let mut writer = match &out {
                Some(p) => Some(BatchWriter::create_with_properties(
                    p,
                    &reader.schema(),
                    dns_parquet_properties(ParquetCompression::Zstd),
                )?),
                None => None,
            };
            let mut batches = reader.batches();
            for b in batches.by_ref() {
                let b = b?;
                if let Some(w) = writer.as_mut() {
                    w.write(&b)?;
                }
            }
            if let Some(w) = writer {
                w.finish()?;
            }
            batches.stats().clone()
        }
    };
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "{} packets, {} DNS messages, {} rows in {:.2} s: {:.0} MB/s",
        st.packets,
        st.messages,
        st.rows,
        secs,
        bytes as f64 / 1e6 / secs
    );
    for (reason, n) in st.skips() {
        eprintln!("  skipped {:>10} {}", n, reason.name());
    }
    Ok(())
}
