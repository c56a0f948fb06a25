//! Decoded DNS records (CSV, Parquet, Hive folders, as `spot decode dns` writes them) as input,
//! and telling them apart from captures.

use std::io::Read;
use std::path::Path;

use crate::error::{DecodeError, Result};
use crate::flow::FlowReader;

use super::reader::dns_capture_schema;

/// Columns every decoded DNS file must have: the ones Apache Spot's DNS words and validity
/// rules read.
pub const RECORD_REQUIRED: &[&str] = &[
    "frame_time",
    "unix_tstamp",
    "frame_len",
    "ip_dst",
    "dns_qry_name",
    "dns_qry_class",
    "dns_qry_type",
    "dns_qry_rcode",
];

/// What an input path holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsInputKind {
    /// Packet captures (pcap, pcapng, optionally gzip).
    Capture,
    /// Decoded records: CSV (optionally gzip), Parquet, or a folder of them (Hive layout).
    Records,
}

fn is_record_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.ends_with(".csv")
        || name.ends_with(".csv.gz")
        || name.ends_with(".parquet")
        || name.ends_with(".parq")
}

fn folder_has_records(dir: &Path) -> Result<bool> {
    let entries = std::fs::read_dir(dir).map_err(|e| DecodeError::io(dir, e))?;
    for e in entries {
        let p = e.map_err(|e| DecodeError::io(dir, e))?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        if p.is_dir() {
            if folder_has_records(&p)? {
                return Ok(true);
            }
        } else if is_record_name(name) {
            return Ok(true);
        }
    }
    Ok(false)
}

impl DnsInputKind {
    /// Detects what `path` holds: a folder holds records if any file in it is named `.csv`,
    /// `.csv.gz` or `.parquet`; a file by its name, then Zeek's `dns.log` (read with the
    /// captures), else by its first bytes (Parquet's `PAR1` or text are records; pcap, pcapng
    /// and gzip magic numbers are captures).
    pub fn detect(path: &Path) -> Result<Self> {
        let meta = std::fs::metadata(path).map_err(|e| DecodeError::io(path, e))?;
        if meta.is_dir() {
            return Ok(if folder_has_records(path)? {
                DnsInputKind::Records
            } else {
                DnsInputKind::Capture
            });
        }
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(is_record_name)
        {
            return Ok(DnsInputKind::Records);
        }
        // Zeek's dns.log (TSV or JSON lines, maybe gzip) is read by the capture reader; a file
        // that cannot be sniffed (a truncated gzip) is left to the magic numbers below.
        if let Ok(Some(crate::zeek::ZeekLogKind::Dns)) = crate::zeek::sniff(path) {
            return Ok(DnsInputKind::Capture);
        }
        let mut magic = [0u8; 4];
        let mut f = std::fs::File::open(path).map_err(|e| DecodeError::io(path, e))?;
        let mut n = 0;
        while n < 4 {
            match f.read(&mut magic[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) => return Err(DecodeError::io(path, e)),
            }
        }
        let text = n == 4 && magic.iter().all(|b| b.is_ascii_graphic() || *b == b' ');
        Ok(if &magic == b"PAR1" || text {
            DnsInputKind::Records
        } else {
            DnsInputKind::Capture
        })
    }
}

/// Opens decoded DNS records: files or folders of CSV (with a header of column names,
/// optionally gzip), Parquet, or Hive-partitioned Parquet folders. Columns of
/// [`dns_capture_schema`] take its types (so a CSV written by `spot decode dns` reads back as
/// the capture reader's batches), other columns are carried, and every file must have the
/// [`RECORD_REQUIRED`] columns.
///
/// ```no_run
/// let reader = spot_decode::dns::open_dns_records(&["dns.parquet"])?;
/// for batch in reader.batches() {
///     println!("{} DNS records", batch?.num_rows());
/// }
/// # Ok::<(), spot_decode::DecodeError>(())
/// ```
pub fn open_dns_records<P: AsRef<Path>>(paths: &[P]) -> Result<FlowReader> {
    FlowReader::open_other(paths, dns_capture_schema, RECORD_REQUIRED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_records_and_captures() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| DecodeError::io(Path::new("tmp"), e))?;
        let w = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).map(|_| p)
        };
        let io = |e| DecodeError::io(dir.path(), e);
        let csv = w("a.csv", b"frame_time,unix_tstamp\n").map_err(io)?;
        let noext = w("records", b"frame_time,unix_tstamp\n").map_err(io)?;
        let pq = w("x.bin", b"PAR1....").map_err(io)?;
        let pcap = w("c.pcap", &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]).map_err(io)?;
        let gz = w("c.pcap.gz", &[0x1f, 0x8b, 8, 0]).map_err(io)?;
        assert_eq!(DnsInputKind::detect(&csv)?, DnsInputKind::Records);
        assert_eq!(DnsInputKind::detect(&noext)?, DnsInputKind::Records);
        assert_eq!(DnsInputKind::detect(&pq)?, DnsInputKind::Records);
        assert_eq!(DnsInputKind::detect(&pcap)?, DnsInputKind::Capture);
        assert_eq!(DnsInputKind::detect(&gz)?, DnsInputKind::Capture);
        let caps = dir.path().join("caps");
        std::fs::create_dir_all(caps.join("sub")).map_err(io)?;
        std::fs::write(caps.join("sub/x.pcap"), [0xd4, 0xc3, 0xb2, 0xa1]).map_err(io)?;
        assert_eq!(DnsInputKind::detect(&caps)?, DnsInputKind::Capture);
        let hive = dir.path().join("hive/y=2026/m=11");
        std::fs::create_dir_all(&hive).map_err(io)?;
        std::fs::write(hive.join("part-00000.parquet"), b"PAR1").map_err(io)?;
        assert_eq!(
            DnsInputKind::detect(&dir.path().join("hive"))?,
            DnsInputKind::Records
        );
        Ok(())
    }

    #[test]
    fn missing_columns_are_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("d.csv");
        std::fs::write(&p, "frame_time,ip_dst\nx,10.0.0.1\n").expect("write");
        let e = open_dns_records(&[&p]).expect_err("must fail");
        assert!(e.to_string().contains("dns_qry_name"), "{e}");
    }
}
