//! Zeek `dns.log` → the schema of [`DnsReader`](crate::DnsReader) batches
//! ([`dns_capture_schema`]: Apache Spot's DNS columns, then the capture reader's extras).
//!
//! Zeek logs one row per transaction (query and its response); as Apache Spot kept responses,
//! a row becomes a response record: `ip_src`/`src_port` the responder (`id.resp_h`/`id.resp_p`),
//! `ip_dst`/`dst_port` the client (`id.orig_h`/`id.orig_p`), `frame_time`/`unix_tstamp` the
//! response time (`ts` + `rtt`, UTC). A transaction Zeek saw no response for (`rcode` unset) is
//! a query: skipped unless queries are kept, then a query record from client to server.
//!
//! | DNS column | from `dns.log` |
//! |---|---|
//! | `dns_qry_name` | `query` |
//! | `dns_qry_class` | `qclass`, as tshark prints it (`0x0001`) |
//! | `dns_qry_type`, `dns_qry_rcode` | `qtype`, `rcode` |
//! | `dns_a` / `dns_a_all` | the first / every IPv4 address of `answers` (`\|`-joined) |
//! | `dns_aaaa`, `dns_cname` | the IPv6 addresses / the other name-like answers of `answers` |
//! | `dns_min_ttl` | the smallest of `TTLs` |
//! | `dns_id`, `transport`, `dns_ancount` | `trans_id`, `proto`, the number of `answers` |
//! | `frame_len` | **an estimate**: Zeek logs no packet sizes, so it is Ethernet + IP + UDP (TCP + length prefix) + DNS header + question + one compressed record per answer with its data; the words' `log2(frame_len)` bin is usually the same as the capture's |
//! | `frame_number` | null |

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

use super::log::{Row, ZeekLines, parse_num, parse_time};
use super::{Columns, LogBatches, RowMapper};
use crate::dns::{dns_capture_schema, tshark_frame_time};
use crate::error::Result;
use crate::proxy::LineError;

/// The columns of Zeek's `dns.log` (Zeek 4 to 7), in order: the layout of TSV data before any
/// `#fields` directive.
pub const DNS_FIELDS: [&str; 24] = [
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "trans_id",
    "rtt",
    "query",
    "qclass",
    "qclass_name",
    "qtype",
    "qtype_name",
    "rcode",
    "rcode_name",
    "AA",
    "TC",
    "RD",
    "RA",
    "Z",
    "answers",
    "TTLs",
    "rejected",
];

const TS: usize = 0;
const ORIG_H: usize = 1;
const ORIG_P: usize = 2;
const RESP_H: usize = 3;
const RESP_P: usize = 4;
const PROTO: usize = 5;
const TRANS_ID: usize = 6;
const RTT: usize = 7;
const QUERY: usize = 8;
const QCLASS: usize = 9;
const QTYPE: usize = 10;
const RCODE: usize = 11;
const ANSWERS: usize = 12;
const TTLS: usize = 13;

const WANTED: &[&str] = &[
    "ts",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "trans_id",
    "rtt",
    "query",
    "qclass",
    "qtype",
    "rcode",
    "answers",
    "TTLs",
];

/// Estimated frame length of a DNS message carried in Ethernet; see the [module docs](self).
pub fn estimate_frame_len(ipv6: bool, tcp: bool, query: Option<&str>, answers: &[String]) -> i32 {
    let mut len = 14 + if ipv6 { 40 } else { 20 } + if tcp { 22 } else { 8 } + 12;
    if let Some(q) = query {
        len += q.trim_end_matches('.').len() + 2 + 4;
    }
    for a in answers {
        len += 2 + 10;
        len += if a.parse::<Ipv4Addr>().is_ok() {
            4
        } else if a.parse::<Ipv6Addr>().is_ok() {
            16
        } else {
            a.len() + 2
        };
    }
    len.min(i32::MAX as usize) as i32
}

/// Maps `dns.log` rows to DNS records; see the [module docs](self).
pub(crate) struct DnsMapper {
    queries: bool,
    a_all: String,
    aaaa: String,
    cname: String,
}

fn push_joined(out: &mut String, v: &str) {
    if !out.is_empty() {
        out.push('|');
    }
    out.push_str(v);
}

impl RowMapper for DnsMapper {
    fn map(&mut self, row: &Row, out: &mut Columns) -> std::result::Result<bool, LineError> {
        let Some(ts) = row.str(TS) else {
            return Err(LineError::Malformed {
                message: "no `ts` value".into(),
            });
        };
        let (mut sec, mut nsec) = parse_time(ts)?;
        let rcode = parse_num::<i32>(row.str(RCODE), "rcode", "a response code")?;
        let response = rcode.is_some();
        if !response && !self.queries {
            return Ok(false);
        }
        if response && let Some(rtt) = parse_num::<f64>(row.str(RTT), "rtt", "seconds")? {
            let total = nsec as i64 + (rtt.clamp(0.0, 1e6) * 1e9).round() as i64;
            sec += total / 1_000_000_000;
            nsec = (total % 1_000_000_000) as u32;
        }
        let qclass = parse_num::<u16>(row.str(QCLASS), "qclass", "a DNS class")?;
        let qtype = parse_num::<u16>(row.str(QTYPE), "qtype", "a DNS type")?;
        let trans_id = parse_num::<u16>(row.str(TRANS_ID), "trans_id", "a DNS id")?;
        let orig_p = parse_num::<u16>(row.str(ORIG_P), "id.orig_p", "a port number")?;
        let resp_p = parse_num::<u16>(row.str(RESP_P), "id.resp_p", "a port number")?;
        let mut min_ttl: Option<i64> = None;
        for t in row.list(TTLS) {
            let v = parse_num::<f64>(Some(t), "TTLs", "seconds")?.unwrap_or(0.0);
            let v = v.clamp(0.0, u32::MAX as f64) as i64;
            min_ttl = Some(min_ttl.map_or(v, |m| m.min(v)));
        }
        let answers = row.list(ANSWERS);
        self.a_all.clear();
        self.aaaa.clear();
        self.cname.clear();
        let mut first_a = None;
        for a in answers {
            if a.parse::<Ipv4Addr>().is_ok() {
                first_a.get_or_insert(a.as_str());
                push_joined(&mut self.a_all, a);
            } else if a.parse::<Ipv6Addr>().is_ok() {
                push_joined(&mut self.aaaa, a);
            } else if !a.is_empty() && !a.contains(' ') {
                push_joined(&mut self.cname, a);
            }
        }
        let transport = row.str(PROTO).map(|p| p.to_ascii_lowercase());
        let (client, server) = (row.str(ORIG_H), row.str(RESP_H));
        let ipv6 = client.is_some_and(|c| c.contains(':'));
        let query = row.str(QUERY);

        out.str(0, Some(&tshark_frame_time(sec, nsec)));
        out.i64(1, Some(sec));
        out.i32(
            2,
            Some(estimate_frame_len(
                ipv6,
                transport.as_deref() == Some("tcp"),
                query,
                if response { answers } else { &[] },
            )),
        );
        let (src, dst, sport, dport) = if response {
            (server, client, resp_p, orig_p)
        } else {
            (client, server, orig_p, resp_p)
        };
        out.str(3, src);
        out.str(4, dst);
        out.str(5, query);
        out.str(6, qclass.map(|c| format!("0x{c:04x}")).as_deref());
        out.i32(7, qtype.map(i32::from));
        out.i32(8, rcode);
        out.str(9, first_a);
        out.i32(10, sport.map(i32::from));
        out.i32(11, dport.map(i32::from));
        out.str(12, transport.as_deref());
        out.i32(13, trans_id.map(i32::from));
        out.i32(14, Some(response as i32));
        out.i32(15, Some(if response { answers.len() as i32 } else { 0 }));
        for (i, s) in [&self.a_all, &self.aaaa, &self.cname]
            .into_iter()
            .enumerate()
        {
            out.str(16 + i, Some(s.as_str()).filter(|s| !s.is_empty()));
        }
        out.i64(19, min_ttl);
        out.i64(20, None);
        out.end_row();
        Ok(true)
    }
}

/// Streams the transactions of one `dns.log` file (plain or gzip) as batches of
/// [`dns_capture_schema`]; with `queries` false (Apache Spot's choice) transactions without a
/// response are skipped, and counted in the returned iterator's `skipped`.
pub(crate) fn read_dns_log(
    path: &Path,
    batch_size: usize,
    queries: bool,
) -> Result<LogBatches<DnsMapper>> {
    LogBatches::open(
        path,
        ZeekLines::new("dns", WANTED, &DNS_FIELDS, &["answers", "TTLs"]),
        DnsMapper {
            queries,
            a_all: String::new(),
            aaaa: String::new(),
            cname: String::new(),
        },
        dns_capture_schema(),
        batch_size,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_len_estimate() {
        // A query for example.com with one A answer, over UDP/IPv4: 14+20+8+12+17+16 = 87,
        // the size of the real frame.
        assert_eq!(
            estimate_frame_len(false, false, Some("example.com"), &["93.184.216.34".into()]),
            87
        );
        assert_eq!(estimate_frame_len(true, true, None, &[]), 14 + 40 + 22 + 12);
    }

    #[test]
    fn schema_columns_are_where_the_mapper_writes() {
        let s = dns_capture_schema();
        for (i, n) in [
            (0, "frame_time"),
            (2, "frame_len"),
            (9, "dns_a"),
            (10, "src_port"),
            (14, "dns_qr"),
            (16, "dns_a_all"),
            (19, "dns_min_ttl"),
            (20, "frame_number"),
        ] {
            assert_eq!(s.field(i).name(), n);
        }
    }
}
