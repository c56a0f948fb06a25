//! DNS from packet captures: the message parser ([`message`]) and [`DnsReader`], which turns
//! pcap / pcapng files into record batches of Apache Spot's DNS table plus extra columns; and
//! records already decoded, read back from CSV, Parquet or Hive folders ([`open_dns_records`]),
//! with [`DnsInputKind::detect`] to tell the two apart.
//!
//! ```
//! use spot_decode::dns::Message;
//! // A response: id 0x1234, QR + RD + RA, one question, one A answer (compressed name).
//! let mut m = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
//! m.extend(b"\x07example\x03com\x00\x00\x01\x00\x01");
//! m.extend([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34]);
//! let msg = Message::parse(&m)?;
//! assert_eq!(msg.questions[0].name, "example.com");
//! assert!(msg.header.is_response());
//! # Ok::<(), spot_decode::dns::DnsError>(())
//! ```

pub mod message;
mod reader;
mod records;
mod rows;

/// A xorshift generator of `u64`s from `seed` (nonzero): random damage and values for the
/// tests, the same on every run.
#[cfg(test)]
pub(crate) fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

pub use message::{
    DnsError, Header, Message, Parser, Question, RData, RDataRef, Record, RecordRef, Section,
    Visitor,
};
pub use reader::{
    DEFAULT_BATCH_SIZE, DnsBatches, DnsCsv, DnsReader, DnsSkipReason, DnsStats, dns_capture_schema,
    dns_parquet_properties, extra_columns, tshark_frame_time,
};
pub use records::{DnsInputKind, RECORD_REQUIRED, open_dns_records};
