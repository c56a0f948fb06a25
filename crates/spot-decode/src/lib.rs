//! # spot-decode
//!
//! Readers and writers for network telemetry, yielding Arrow [`RecordBatch`]es with Apache Spot's
//! column names: flows (Spot CSV, `nfdump -o csv`, nfdump's binary nfcapd files read natively
//! ([`nfcapd`]), NetFlow v5/v9/IPFIX datagrams ([`netflow`], with a UDP collector), Parquet and
//! Hive-partitioned folders), DNS from packet captures ([`capture`]: pcap / pcapng / gzip;
//! [`dns`]: the message parser and [`DnsReader`]), with the canonical schemas of flow, DNS and
//! proxy events.
//!
//! Every reader streams: memory is bounded by the batch size, not the input size. Errors are
//! typed ([`DecodeError`]) and name the file and line.
//!
//! ```
//! use spot_decode::{FlowReader, flow_schema};
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("flows.csv");
//! let header = flow_schema().fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>().join(",");
//! std::fs::write(&path, format!("{header}\n2026-11-25 09:39:52,1795599592,2026,11,25,9,39,52,0.5,\
//! 10.0.0.1,10.0.0.2,51234,443,TCP,.AP.SF,0,0,12,4800,10,9000,0,0,0,0,0,0,10.0.0.254\n"))?;
//! let reader = FlowReader::open(&[&path])?;
//! let rows: usize = reader.batches().map(|b| b.map(|b| b.num_rows())).sum::<Result<_, _>>()?;
//! assert_eq!(rows, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`RecordBatch`]: arrow::array::RecordBatch

mod canonical;
pub mod capture;
mod csv_writer;
pub mod dns;
mod error;
pub mod flow;
mod ip_text;
mod lines;
pub mod netflow;
pub mod nfcapd;
mod output_file;
pub mod proxy;
pub mod schema;
pub mod time;
mod write;
pub mod zeek;

pub use dns::DnsReader;
pub use error::{DecodeError, Result};
pub use flow::{FlowFormat, FlowReader};
pub use output_file::OutputFile;
pub use proxy::{ProxyFormat, ProxyReader};
pub use schema::{dns_schema, flow_schema, proxy_schema};
pub use write::{
    BatchWriter, HiveWriter, OutputFormat, PARQUET_ROW_GROUP_ROWS, ParquetCompression,
};
