//! Zeek `conn.log` → the [flow schema](crate::flow_schema), then Zeek's own columns.
//!
//! | flow column | from `conn.log` |
//! |---|---|
//! | `treceived`, `unix_tstamp`, `tryear` … `trsec` | `ts` (UTC, second precision) |
//! | `tdur` | `duration` (0 when unset) |
//! | `sip`, `sport` / `dip`, `dport` | `id.orig_h`, `id.orig_p` / `id.resp_h`, `id.resp_p`; for ICMP, `sport` 0 and `dport` = type·256 + code (Zeek logs type and code as the ports), as nfdump stores them |
//! | `proto` | `proto` upper-cased (`TCP`, `UDP`, `ICMP`), as nfdump prints it |
//! | `flag` | TCP flags seen in `history` (`S` SYN, `H` SYN+ACK, `A` ACK, `D` data → PSH, `F` FIN, `R` RST, either direction), nfdump's `........` layout |
//! | `ipkt`, `ibyt` / `opkt`, `obyt` | `orig_pkts`, `orig_ip_bytes` / `resp_pkts`, `resp_ip_bytes` (IP-level bytes, like NetFlow; 0 when unset) |
//! | `fwd`, `stos`, `input`, `output`, `sas`, `das`, `dtos`, `dir` | 0 (Zeek does not see them) |
//! | `rip` | null (no exporter) |
//!
//! Extra columns, after the flow schema's: [`EXTRA_COLUMNS`].

use std::path::Path;
use std::sync::{Arc, OnceLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::log::{Row, ZeekLines, parse_num, parse_time};
use super::{Columns, LogBatches, RowMapper};
use crate::error::Result;
use crate::flow::flags_string;
use crate::proxy::LineError;
use crate::schema::flow_schema;
use crate::time::CivilTime;

/// The columns of Zeek's `conn.log` (Zeek 4 to 7), in order: the layout of TSV data before any
/// `#fields` directive.
pub const CONN_FIELDS: [&str; 21] = [
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "service",
    "duration",
    "orig_bytes",
    "resp_bytes",
    "conn_state",
    "local_orig",
    "local_resp",
    "missed_bytes",
    "history",
    "orig_pkts",
    "orig_ip_bytes",
    "resp_pkts",
    "resp_ip_bytes",
    "tunnel_parents",
];

/// Zeek columns kept after the flow schema's: `uid`, `service`, `conn_state`, `history` (text)
/// and `orig_bytes`, `resp_bytes` (payload bytes, Int64).
pub const EXTRA_COLUMNS: [&str; 6] = [
    "uid",
    "service",
    "conn_state",
    "history",
    "orig_bytes",
    "resp_bytes",
];

// Indices into WANTED.
const TS: usize = 0;
const UID: usize = 1;
const ORIG_H: usize = 2;
const ORIG_P: usize = 3;
const RESP_H: usize = 4;
const RESP_P: usize = 5;
const PROTO: usize = 6;
const SERVICE: usize = 7;
const DURATION: usize = 8;
const ORIG_BYTES: usize = 9;
const RESP_BYTES: usize = 10;
const CONN_STATE: usize = 11;
const HISTORY: usize = 12;
const ORIG_PKTS: usize = 13;
const ORIG_IP_BYTES: usize = 14;
const RESP_PKTS: usize = 15;
const RESP_IP_BYTES: usize = 16;

const WANTED: &[&str] = &[
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "service",
    "duration",
    "orig_bytes",
    "resp_bytes",
    "conn_state",
    "history",
    "orig_pkts",
    "orig_ip_bytes",
    "resp_pkts",
    "resp_ip_bytes",
];

/// Schema of the batches read from `conn.log`: the flow schema, then [`EXTRA_COLUMNS`].
pub fn conn_flow_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    S.get_or_init(|| {
        let mut fields: Vec<Field> = flow_schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        for (i, n) in EXTRA_COLUMNS.iter().enumerate() {
            let ty = if i < 4 {
                DataType::Utf8
            } else {
                DataType::Int64
            };
            fields.push(Field::new(*n, ty, true));
        }
        Arc::new(Schema::new(fields))
    })
    .clone()
}

/// TCP flags (nfdump's bit layout) of a Zeek connection `history`.
pub fn history_flags(history: &str) -> u8 {
    const FIN: u8 = 0x01;
    const SYN: u8 = 0x02;
    const RST: u8 = 0x04;
    const PSH: u8 = 0x08;
    const ACK: u8 = 0x10;
    history.bytes().fold(0, |f, c| {
        f | match c.to_ascii_uppercase() {
            b'S' => SYN,
            b'H' => SYN | ACK,
            b'A' => ACK,
            b'D' => PSH,
            b'F' => FIN,
            b'R' => RST,
            _ => 0,
        }
    })
}

pub(crate) struct ConnMapper {
    text: String,
}

fn port(row: &Row, i: usize, name: &'static str) -> std::result::Result<i32, LineError> {
    Ok(parse_num::<u16>(row.str(i), name, "a port number")?.unwrap_or(0) as i32)
}

fn count(row: &Row, i: usize, name: &'static str) -> std::result::Result<Option<i64>, LineError> {
    parse_num::<i64>(row.str(i), name, "a count")
}

impl RowMapper for ConnMapper {
    fn map(&mut self, row: &Row, out: &mut Columns) -> std::result::Result<bool, LineError> {
        let Some(ts) = row.str(TS) else {
            return Err(LineError::Malformed {
                message: "no `ts` value".into(),
            });
        };
        let (secs, _) = parse_time(ts)?;
        let t = CivilTime::from_unix(secs).ok_or_else(|| LineError::InvalidValue {
            column: "ts",
            expected: "a time between years -262143 and 262142",
            value: ts.to_string(),
        })?;
        let duration = parse_num::<f64>(row.str(DURATION), "duration", "seconds")?.unwrap_or(0.0);
        let proto = row.str(PROTO).unwrap_or("").to_ascii_uppercase();
        let (mut sport, mut dport) = (
            port(row, ORIG_P, "id.orig_p")?,
            port(row, RESP_P, "id.resp_p")?,
        );
        if proto == "ICMP" {
            (sport, dport) = (0, sport * 256 + dport);
        }
        let flags = if proto == "TCP" {
            history_flags(row.str(HISTORY).unwrap_or(""))
        } else {
            0
        };
        let counters = [
            count(row, ORIG_PKTS, "orig_pkts")?,
            count(row, ORIG_IP_BYTES, "orig_ip_bytes")?,
            count(row, RESP_PKTS, "resp_pkts")?,
            count(row, RESP_IP_BYTES, "resp_ip_bytes")?,
        ];
        let payload = [
            count(row, ORIG_BYTES, "orig_bytes")?,
            count(row, RESP_BYTES, "resp_bytes")?,
        ];

        // Every value is known to be valid: append the row.
        self.text.clear();
        use std::fmt::Write;
        let _ = write!(
            self.text,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            t.year, t.month, t.day, t.hour, t.minute, t.second
        );
        out.str(0, Some(&self.text));
        out.i64(1, Some(t.unix));
        for (i, v) in [t.year, t.month, t.day, t.hour, t.minute, t.second]
            .into_iter()
            .enumerate()
        {
            out.i32(2 + i, Some(v));
        }
        out.f32(8, Some(duration as f32));
        out.str(9, row.str(ORIG_H));
        out.str(10, row.str(RESP_H));
        out.i32(11, Some(sport));
        out.i32(12, Some(dport));
        out.str(
            13,
            Some(&proto).filter(|p| !p.is_empty()).map(|p| p.as_str()),
        );
        let f = flags_string(flags);
        out.str(14, Some(std::str::from_utf8(&f).unwrap_or("........")));
        out.i32(15, Some(0)); // fwd
        out.i32(16, Some(0)); // stos
        for (i, v) in counters.into_iter().enumerate() {
            out.i64(17 + i, Some(v.unwrap_or(0)));
        }
        for i in 21..27 {
            out.i32(i, Some(0)); // input, output, sas, das, dtos, dir
        }
        out.str(27, None); // rip
        out.str(28, row.str(UID));
        let service = row.list(SERVICE).join(",");
        out.str(29, Some(service.as_str()).filter(|s| !s.is_empty()));
        out.str(30, row.str(CONN_STATE));
        out.str(31, row.str(HISTORY));
        out.i64(32, payload[0]);
        out.i64(33, payload[1]);
        out.end_row();
        Ok(true)
    }
}

/// Streams the connections of one `conn.log` file (plain or gzip) as batches of
/// [`conn_flow_schema`]; the first bad line ends it with [`DecodeError::BadLine`] naming the
/// file and line ([`FlowReader`](crate::FlowReader) skips and counts bad lines instead).
///
/// [`DecodeError::BadLine`]: crate::DecodeError::BadLine
pub fn read_conn_log(
    path: &Path,
    batch_size: usize,
) -> Result<impl Iterator<Item = Result<arrow::array::RecordBatch>> + Send + use<>> {
    Ok(conn_log_batches(path, batch_size)?.with_strict(true))
}

/// The batches of one `conn.log`, bad lines skipped and counted (see [`LogBatches::stats`]).
pub(crate) fn conn_log_batches(path: &Path, batch_size: usize) -> Result<LogBatches<ConnMapper>> {
    LogBatches::open(
        path,
        ZeekLines::new("conn", WANTED, &CONN_FIELDS, &["service"]),
        ConnMapper {
            text: String::new(),
        },
        conn_flow_schema(),
        batch_size,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::flags_string;

    #[test]
    fn history_to_nfdump_flags() {
        let s = |h| String::from_utf8(flags_string(history_flags(h)).to_vec()).unwrap();
        assert_eq!(s("ShADadFf"), "...AP.SF");
        assert_eq!(s("Sr"), ".....RS.");
        assert_eq!(s("S"), "......S.");
        assert_eq!(s(""), "........");
    }

    #[test]
    fn schema_is_flow_then_extras() {
        let s = conn_flow_schema();
        assert_eq!(s.fields().len(), flow_schema().fields().len() + 6);
        assert_eq!(s.field(28).name(), "uid");
        assert_eq!(s.field(33).name(), "resp_bytes");
        assert_eq!(s.field(27).name(), "rip");
    }
}
