//! [`DnsReader`]: capture files → batches of DNS records.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use arrow::array::{ArrayRef, Int32Builder, Int64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use chrono::DateTime;

use super::message::{Header, Parser, RDataRef, RecordRef, Section, Visitor};
use crate::capture::ip::{self, IpSkip, PROTO_TCP, PROTO_UDP, Reassembler, ReassemblyLimits};
use crate::capture::link::{self, LinkSkip};
use crate::capture::tcp::{self, DnsTcpReassembler, FlowKey, TcpLimits};
use crate::capture::{CaptureReader, Packet, udp};
use crate::error::{DecodeError, Result};
use crate::ip_text::{HEX, push_ip};
use crate::schema::dns_schema;

/// Default number of rows per batch.
pub const DEFAULT_BATCH_SIZE: usize = 64 * 1024;

/// Names of the columns that follow Spot's DNS columns, in order.
pub mod extra_columns {
    /// Source port.
    pub const SRC_PORT: &str = "src_port";
    /// Destination port.
    pub const DST_PORT: &str = "dst_port";
    /// `udp` or `tcp`.
    pub const TRANSPORT: &str = "transport";
    /// DNS transaction id.
    pub const DNS_ID: &str = "dns_id";
    /// 1 for responses, 0 for queries.
    pub const DNS_QR: &str = "dns_qr";
    /// Number of answers in the header.
    pub const DNS_ANCOUNT: &str = "dns_ancount";
    /// Every A address of the message (all sections, as tshark's `dns.a`), joined by `|`.
    pub const DNS_A_ALL: &str = "dns_a_all";
    /// Every AAAA address (all sections), joined by `|`.
    pub const DNS_AAAA: &str = "dns_aaaa";
    /// Every CNAME target (all sections), joined by `|`.
    pub const DNS_CNAME: &str = "dns_cname";
    /// Smallest TTL of the answer section; null without answers.
    pub const DNS_MIN_TTL: &str = "dns_min_ttl";
    /// 1-based frame number in its capture file.
    pub const FRAME_NUMBER: &str = "frame_number";
}

/// The schema of [`DnsReader`] batches: [`dns_schema`] then the [`extra_columns`].
pub fn dns_capture_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    S.get_or_init(|| {
        use extra_columns::*;
        let mut fields: Vec<Field> = dns_schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        for (name, ty) in [
            (SRC_PORT, DataType::Int32),
            (DST_PORT, DataType::Int32),
            (TRANSPORT, DataType::Utf8),
            (DNS_ID, DataType::Int32),
            (DNS_QR, DataType::Int32),
            (DNS_ANCOUNT, DataType::Int32),
            (DNS_A_ALL, DataType::Utf8),
            (DNS_AAAA, DataType::Utf8),
            (DNS_CNAME, DataType::Utf8),
            (DNS_MIN_TTL, DataType::Int64),
            (FRAME_NUMBER, DataType::Int64),
        ] {
            fields.push(Field::new(name, ty, true));
        }
        Arc::new(Schema::new(fields))
    })
    .clone()
}

/// Why a packet or message produced no row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DnsSkipReason {
    /// A link type we do not decode.
    UnsupportedLinkType,
    /// Not an IP packet (ARP, LLDP...).
    NotIp,
    /// Cut short by the capture's snap length, or ends inside a header.
    Truncated,
    /// Invalid IP header.
    BadIpHeader,
    /// An IP fragment held until the rest of its datagram arrives.
    FragmentPending,
    /// An IP fragment dropped (oversized, or its datagram timed out or was evicted).
    FragmentDropped,
    /// Encrypted or opaque IP payload (ESP).
    OpaqueIp,
    /// Neither UDP nor TCP.
    NotUdpOrTcp,
    /// UDP or TCP, but neither port is the DNS port.
    NotDnsPort,
    /// A TCP segment that completed no DNS message (handshake, ACK, first part of a message).
    TcpNoMessage,
    /// A DNS message that could not be parsed.
    MalformedDns,
    /// A query, when only responses are kept (told by the header; its body is not parsed).
    Query,
}

impl DnsSkipReason {
    /// All reasons, in report order.
    pub const ALL: [DnsSkipReason; 12] = [
        DnsSkipReason::UnsupportedLinkType,
        DnsSkipReason::NotIp,
        DnsSkipReason::Truncated,
        DnsSkipReason::BadIpHeader,
        DnsSkipReason::FragmentPending,
        DnsSkipReason::FragmentDropped,
        DnsSkipReason::OpaqueIp,
        DnsSkipReason::NotUdpOrTcp,
        DnsSkipReason::NotDnsPort,
        DnsSkipReason::TcpNoMessage,
        DnsSkipReason::MalformedDns,
        DnsSkipReason::Query,
    ];

    /// A short snake_case name for summaries.
    pub fn name(self) -> &'static str {
        match self {
            DnsSkipReason::UnsupportedLinkType => "unsupported_link_type",
            DnsSkipReason::NotIp => "not_ip",
            DnsSkipReason::Truncated => "truncated",
            DnsSkipReason::BadIpHeader => "bad_ip_header",
            DnsSkipReason::FragmentPending => "fragment_pending",
            DnsSkipReason::FragmentDropped => "fragment_dropped",
            DnsSkipReason::OpaqueIp => "opaque_ip",
            DnsSkipReason::NotUdpOrTcp => "not_udp_or_tcp",
            DnsSkipReason::NotDnsPort => "not_dns_port",
            DnsSkipReason::TcpNoMessage => "tcp_no_message",
            DnsSkipReason::MalformedDns => "malformed_dns",
            DnsSkipReason::Query => "query",
        }
    }
}

/// What a [`DnsReader`] pass read and skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DnsStats {
    /// Capture files opened.
    pub files: u64,
    /// Frames read.
    pub packets: u64,
    /// DNS messages parsed.
    pub messages: u64,
    /// Rows produced.
    pub rows: u64,
    /// Capture files that ended with an error (truncated or corrupt).
    pub file_errors: u64,
    /// Incomplete IP datagrams dropped by the fragment reassembler.
    pub fragments_expired: u64,
    /// TCP flows dropped to bound memory, or abandoned at an unfilled gap.
    pub tcp_flows_dropped: u64,
    /// Lines of the Zeek `dns.log` inputs, with the bad lines skipped, by reason.
    pub zeek_lines: crate::proxy::ReadStats,
    skipped: [u64; DnsSkipReason::ALL.len()],
}

impl DnsStats {
    /// Packets or messages skipped for `reason`.
    pub fn skipped(&self, reason: DnsSkipReason) -> u64 {
        self.skipped[reason as usize]
    }
    /// The non-zero skip counts, in report order.
    pub fn skips(&self) -> impl Iterator<Item = (DnsSkipReason, u64)> + '_ {
        DnsSkipReason::ALL
            .iter()
            .map(|r| (*r, self.skipped(*r)))
            .filter(|(_, n)| *n > 0)
    }
    fn skip(&mut self, reason: DnsSkipReason) {
        self.skipped[reason as usize] += 1;
    }
}

/// Streams DNS records from pcap / pcapng files (plain or gzip).
///
/// ```no_run
/// use spot_decode::dns::DnsReader;
/// let reader = DnsReader::open(&["capture.pcap"])?.with_batch_size(8192).with_queries(true);
/// let mut batches = reader.batches();
/// for batch in batches.by_ref() {
///     println!("{} DNS messages", batch?.num_rows());
/// }
/// println!("{:?}", batches.stats());
/// # Ok::<(), spot_decode::DecodeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct DnsReader {
    files: Vec<PathBuf>,
    batch_size: usize,
    dns_port: u16,
    queries: bool,
    tcp_limits: TcpLimits,
    fragment_limits: ReassemblyLimits,
    strict: bool,
}

impl DnsReader {
    /// Finds the capture files under `paths` (files, or folders searched recursively for
    /// `*.pcap`, `*.pcapng`, `*.cap`, optionally `.gz`). Zeek `dns.log` files (`dns*.log`, told
    /// by their content) are read too: see [`crate::zeek::dns`].
    pub fn open<P: AsRef<Path>>(paths: &[P]) -> Result<Self> {
        let mut files = Vec::new();
        for p in paths {
            let p = p.as_ref();
            let meta = std::fs::metadata(p).map_err(|e| DecodeError::io(p, e))?;
            if meta.is_dir() {
                walk(p, &mut files)?;
            } else {
                files.push(p.to_path_buf());
            }
        }
        if files.is_empty() {
            return Err(DecodeError::NoInput {
                paths: paths.iter().map(|p| p.as_ref().to_path_buf()).collect(),
            });
        }
        Ok(DnsReader {
            files,
            batch_size: DEFAULT_BATCH_SIZE,
            dns_port: 53,
            queries: false,
            tcp_limits: TcpLimits::default(),
            fragment_limits: ReassemblyLimits::default(),
            strict: false,
        })
    }

    /// Makes the first bad line of a Zeek `dns.log` an error that ends that file
    /// ([`DecodeError::BadLine`], naming the file and line). By default bad lines are skipped
    /// and counted in [`DnsStats::zeek_lines`].
    pub fn with_strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Rows per batch (default [`DEFAULT_BATCH_SIZE`]).
    pub fn with_batch_size(mut self, n: usize) -> Self {
        self.batch_size = n.max(1);
        self
    }

    /// The UDP/TCP port that carries DNS (default 53).
    pub fn with_dns_port(mut self, port: u16) -> Self {
        self.dns_port = port;
        self
    }

    /// Keep queries too (default: responses only, as Apache Spot).
    pub fn with_queries(mut self, queries: bool) -> Self {
        self.queries = queries;
        self
    }

    /// Limits of DNS-over-TCP reassembly.
    pub fn with_tcp_limits(mut self, limits: TcpLimits) -> Self {
        self.tcp_limits = limits;
        self
    }

    /// Limits of IP fragment reassembly.
    pub fn with_fragment_limits(mut self, limits: ReassemblyLimits) -> Self {
        self.fragment_limits = limits;
        self
    }

    /// The schema of every batch.
    pub fn schema(&self) -> SchemaRef {
        dns_capture_schema()
    }

    /// The input files in reading order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Total size in bytes of the inputs (for progress).
    pub fn total_bytes(&self) -> u64 {
        self.files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum()
    }

    /// Streams every file, in order. A damaged file yields the rows before the damage, then
    /// its error, then reading goes on with the next file.
    pub fn batches(&self) -> DnsBatches<'_> {
        DnsBatches {
            reader: self,
            next_file: 0,
            current: None,
            rows: Rows::new(self.batch_size.min(DEFAULT_BATCH_SIZE)),
            stats: DnsStats::default(),
            pending_error: None,
            scratch: Vec::new(),
            msg: MsgState::default(),
            zeek: None,
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| DecodeError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            let name = name.strip_suffix(".gz").unwrap_or(&name);
            if name.ends_with(".pcap")
                || name.ends_with(".pcapng")
                || name.ends_with(".cap")
                || (name.starts_with("dns.") && name.ends_with(".log"))
            {
                out.push(p);
            }
        }
    }
    Ok(())
}

struct FileState {
    capture: CaptureReader,
    fragments: Reassembler,
    tcp: DnsTcpReassembler,
}

/// Iterator over the batches of a [`DnsReader`]; [`DnsBatches::stats`] tells what was read and
/// skipped so far.
pub struct DnsBatches<'a> {
    reader: &'a DnsReader,
    next_file: usize,
    current: Option<FileState>,
    rows: Rows,
    stats: DnsStats,
    pending_error: Option<DecodeError>,
    scratch: Vec<Vec<u8>>,
    msg: MsgState,
    /// The Zeek `dns.log` being read, if the current file is one.
    zeek: Option<crate::zeek::LogBatches<crate::zeek::dns::DnsMapper>>,
}

impl DnsBatches<'_> {
    /// Counts so far (complete once the iterator is exhausted).
    pub fn stats(&self) -> &DnsStats {
        &self.stats
    }

    fn finish_file(&mut self) {
        if let Some(f) = self.current.take() {
            self.stats.fragments_expired += f.fragments.dropped_datagrams;
            self.stats.tcp_flows_dropped += f.tcp.counters.flows_evicted + f.tcp.counters.gaps;
        }
    }
}

impl Iterator for DnsBatches<'_> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.pending_error.take() {
            return Some(Err(e));
        }
        loop {
            if self.rows.len >= self.reader.batch_size {
                return Some(Ok(self.rows.finish()));
            }
            if let Some(z) = self.zeek.as_mut() {
                if self.rows.len > 0 {
                    return Some(Ok(self.rows.finish()));
                }
                let item = z.next();
                if !matches!(item, Some(Ok(_))) {
                    self.stats.skipped[DnsSkipReason::Query as usize] += z.skipped;
                    self.stats.zeek_lines.merge(z.stats());
                    self.zeek = None;
                }
                match item {
                    Some(Ok(b)) => {
                        self.stats.messages += b.num_rows() as u64;
                        self.stats.rows += b.num_rows() as u64;
                        return Some(Ok(b));
                    }
                    Some(Err(e)) => {
                        self.stats.file_errors += 1;
                        return Some(Err(e));
                    }
                    None => continue,
                }
            }
            let Some(state) = self.current.as_mut() else {
                let Some(path) = self.reader.files.get(self.next_file) else {
                    return (self.rows.len > 0).then(|| Ok(self.rows.finish()));
                };
                self.next_file += 1;
                // Zeek's dns.log, told by its content, next to captures.
                match crate::zeek::sniff(path) {
                    Ok(None) => {}
                    Ok(Some(crate::zeek::ZeekLogKind::Dns)) => {
                        match crate::zeek::dns::read_dns_log(
                            path,
                            self.reader.batch_size,
                            self.reader.queries,
                        ) {
                            Ok(z) => {
                                let z = z.with_strict(self.reader.strict);
                                self.stats.files += 1;
                                self.zeek = Some(z);
                                continue;
                            }
                            Err(e) => {
                                self.stats.file_errors += 1;
                                return Some(Err(e));
                            }
                        }
                    }
                    Ok(Some(other)) => {
                        self.stats.file_errors += 1;
                        return Some(Err(DecodeError::Unsupported {
                            path: path.clone(),
                            message: format!(
                                "a Zeek {other:?} log: DNS records are read from captures or \
                                 Zeek's dns.log"
                            ),
                        }));
                    }
                    Err(e) => {
                        self.stats.file_errors += 1;
                        return Some(Err(e));
                    }
                }
                match CaptureReader::open(path) {
                    Ok(capture) => {
                        self.stats.files += 1;
                        self.current = Some(FileState {
                            capture,
                            fragments: Reassembler::new(self.reader.fragment_limits),
                            tcp: DnsTcpReassembler::new(self.reader.tcp_limits),
                        });
                        continue;
                    }
                    Err(e) => {
                        self.stats.file_errors += 1;
                        return Some(Err(e));
                    }
                }
            };
            match state.capture.next_packet() {
                Ok(Some(pkt)) => {
                    self.stats.packets += 1;
                    handle_packet(
                        self.reader,
                        &pkt,
                        &mut state.fragments,
                        &mut state.tcp,
                        &mut self.scratch,
                        &mut self.rows,
                        &mut self.stats,
                        &mut self.msg,
                    );
                }
                Ok(None) => self.finish_file(),
                Err(e) => {
                    self.finish_file();
                    self.stats.file_errors += 1;
                    if self.rows.len > 0 {
                        self.pending_error = Some(e);
                        return Some(Ok(self.rows.finish()));
                    }
                    return Some(Err(e));
                }
            }
        }
    }
}

fn link_skip(s: LinkSkip) -> DnsSkipReason {
    match s {
        LinkSkip::UnsupportedLinkType => DnsSkipReason::UnsupportedLinkType,
        LinkSkip::Truncated => DnsSkipReason::Truncated,
        LinkSkip::NotIp => DnsSkipReason::NotIp,
    }
}

fn ip_skip(s: IpSkip) -> DnsSkipReason {
    match s {
        IpSkip::Truncated => DnsSkipReason::Truncated,
        IpSkip::BadHeader => DnsSkipReason::BadIpHeader,
        IpSkip::FragmentHeld => DnsSkipReason::FragmentPending,
        IpSkip::FragmentDropped => DnsSkipReason::FragmentDropped,
        IpSkip::Opaque => DnsSkipReason::OpaqueIp,
    }
}

/// Where a DNS message came from.
struct Origin<'p> {
    pkt: &'p Packet<'p>,
    src: IpAddr,
    dst: IpAddr,
    src_port: u16,
    dst_port: u16,
    transport: &'static str,
}

#[allow(clippy::too_many_arguments)]
fn handle_packet(
    opts: &DnsReader,
    pkt: &Packet<'_>,
    fragments: &mut Reassembler,
    tcp_state: &mut DnsTcpReassembler,
    scratch: &mut Vec<Vec<u8>>,
    rows: &mut Rows,
    stats: &mut DnsStats,
    state: &mut MsgState,
) {
    let net = match link::network(pkt.link_type, pkt.data) {
        Ok(n) => n,
        Err(s) => return stats.skip(link_skip(s)),
    };
    let ipp = match ip::parse(net, fragments, pkt.ts_sec) {
        Ok(p) => p,
        Err(s) => return stats.skip(ip_skip(s)),
    };
    let port = opts.dns_port;
    match ipp.protocol {
        PROTO_UDP => {
            let Some(u) = udp::parse(&ipp.payload) else {
                return stats.skip(DnsSkipReason::Truncated);
            };
            if u.src_port != port && u.dst_port != port {
                return stats.skip(DnsSkipReason::NotDnsPort);
            }
            let origin = Origin {
                pkt,
                src: ipp.src,
                dst: ipp.dst,
                src_port: u.src_port,
                dst_port: u.dst_port,
                transport: "udp",
            };
            message(opts, &origin, u.payload, rows, stats, state);
        }
        PROTO_TCP => {
            let Some(seg) = tcp::parse(&ipp.payload) else {
                return stats.skip(DnsSkipReason::Truncated);
            };
            if seg.src_port != port && seg.dst_port != port {
                return stats.skip(DnsSkipReason::NotDnsPort);
            }
            let key = FlowKey {
                src: ipp.src,
                dst: ipp.dst,
                src_port: seg.src_port,
                dst_port: seg.dst_port,
            };
            scratch.clear();
            tcp_state.push(key, &seg, scratch);
            if scratch.is_empty() {
                return stats.skip(DnsSkipReason::TcpNoMessage);
            }
            let origin = Origin {
                pkt,
                src: ipp.src,
                dst: ipp.dst,
                src_port: seg.src_port,
                dst_port: seg.dst_port,
                transport: "tcp",
            };
            for m in scratch.iter() {
                message(opts, &origin, m, rows, stats, state);
            }
        }
        _ => stats.skip(DnsSkipReason::NotUdpOrTcp),
    }
}

/// What one message contributes to its row; buffers are reused from message to message.
#[derive(Default)]
struct MsgFields {
    has_question: bool,
    qname: String,
    qtype: u16,
    qclass: u16,
    first_a: Option<std::net::Ipv4Addr>,
    a_all: String,
    aaaa: String,
    cname: String,
    min_ttl: Option<u32>,
}

impl MsgFields {
    fn clear(&mut self) {
        self.has_question = false;
        self.qname.clear();
        self.first_a = None;
        self.a_all.clear();
        self.aaaa.clear();
        self.cname.clear();
        self.min_ttl = None;
    }
}

impl Visitor for MsgFields {
    // Rows keep the question name and CNAME targets only.
    const ALL_NAMES: bool = false;

    fn question(&mut self, name: &str, qtype: u16, qclass: u16) {
        if !self.has_question {
            self.has_question = true;
            self.qname.push_str(name);
            self.qtype = qtype;
            self.qclass = qclass;
        }
    }

    fn record(&mut self, section: Section, r: &RecordRef<'_>) {
        if section == Section::Answer {
            self.min_ttl = Some(self.min_ttl.map_or(r.ttl, |t| t.min(r.ttl)));
        }
        // Like tshark's dns.a / dns.aaaa / dns.cname: records of every section.
        match r.data {
            RDataRef::A(x) => {
                self.first_a.get_or_insert(x);
                sep(&mut self.a_all);
                push_ip(&mut self.a_all, IpAddr::V4(x));
            }
            RDataRef::Aaaa(x) => {
                sep(&mut self.aaaa);
                push_ip(&mut self.aaaa, IpAddr::V6(x));
            }
            RDataRef::Cname(x) => {
                sep(&mut self.cname);
                self.cname.push_str(x);
            }
            _ => {}
        }
    }
}

/// Per-pass parsing state: the parser's and the row's reusable buffers.
#[derive(Default)]
struct MsgState {
    parser: Parser,
    fields: MsgFields,
}

fn message(
    opts: &DnsReader,
    o: &Origin<'_>,
    bytes: &[u8],
    rows: &mut Rows,
    stats: &mut DnsStats,
    state: &mut MsgState,
) {
    // The QR bit is in the header: queries are dropped before parsing when only responses
    // are kept.
    if !opts.queries && bytes.len() >= 12 && bytes[2] & 0x80 == 0 {
        stats.messages += 1;
        return stats.skip(DnsSkipReason::Query);
    }
    state.fields.clear();
    let header = match state.parser.visit(bytes, &mut state.fields) {
        Ok(h) => h,
        Err(_) => return stats.skip(DnsSkipReason::MalformedDns),
    };
    stats.messages += 1;
    if !header.is_response() && !opts.queries {
        return stats.skip(DnsSkipReason::Query);
    }
    stats.rows += 1;
    rows.push(o, &header, &state.fields);
}

/// Formats `sec.nsec` as tshark's `frame.time` in UTC: `Nov 25, 2026 09:38:00.033394000 UTC`
/// (day of month space-padded to two characters, as tshark does).
pub fn tshark_frame_time(sec: i64, nsec: u32) -> String {
    let mut s = String::new();
    let mut cache = (i64::MIN, String::new());
    write_frame_time(&mut s, sec, nsec, &mut cache);
    s
}

fn write_frame_time(out: &mut String, sec: i64, nsec: u32, cache: &mut (i64, String)) {
    if cache.0 != sec || cache.1.is_empty() {
        cache.0 = sec;
        cache.1.clear();
        match DateTime::from_timestamp(sec, 0) {
            Some(dt) => {
                let _ = write!(cache.1, "{}", dt.format("%b %e, %Y %H:%M:%S"));
            }
            None => cache.1.push_str("Jan  1, 1970 00:00:00"),
        }
    }
    out.push_str(&cache.1);
    out.push('.');
    let mut digits = [b'0'; 9];
    let mut v = nsec.min(999_999_999);
    for d in digits.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.extend(digits.iter().map(|&d| d as char));
    out.push_str(" UTC");
}

/// Column builders of one batch.
struct Rows {
    len: usize,
    /// Rows per batch the builders are sized for.
    cap: usize,
    frame_time: StringBuilder,
    unix_tstamp: Int64Builder,
    frame_len: Int32Builder,
    ip_src: StringBuilder,
    ip_dst: StringBuilder,
    qry_name: StringBuilder,
    qry_class: StringBuilder,
    qry_type: Int32Builder,
    qry_rcode: Int32Builder,
    dns_a: StringBuilder,
    src_port: Int32Builder,
    dst_port: Int32Builder,
    transport: StringBuilder,
    dns_id: Int32Builder,
    dns_qr: Int32Builder,
    ancount: Int32Builder,
    a_all: StringBuilder,
    aaaa: StringBuilder,
    cname: StringBuilder,
    min_ttl: Int64Builder,
    frame_number: Int64Builder,
    buf: String,
    time_cache: (i64, String),
}

impl Rows {
    fn new(cap: usize) -> Self {
        let s = || StringBuilder::with_capacity(cap, cap * 16);
        let i32b = || Int32Builder::with_capacity(cap);
        let i64b = || Int64Builder::with_capacity(cap);
        Rows {
            len: 0,
            cap,
            frame_time: StringBuilder::with_capacity(cap, cap * 36),
            unix_tstamp: i64b(),
            frame_len: i32b(),
            ip_src: s(),
            ip_dst: s(),
            qry_name: StringBuilder::with_capacity(cap, cap * 24),
            qry_class: s(),
            qry_type: i32b(),
            qry_rcode: i32b(),
            dns_a: s(),
            src_port: i32b(),
            dst_port: i32b(),
            transport: s(),
            dns_id: i32b(),
            dns_qr: i32b(),
            ancount: i32b(),
            a_all: s(),
            aaaa: s(),
            cname: s(),
            min_ttl: i64b(),
            frame_number: i64b(),
            buf: String::with_capacity(64),
            time_cache: (i64::MIN, String::new()),
        }
    }

    fn push(&mut self, o: &Origin<'_>, header: &Header, m: &MsgFields) {
        self.len += 1;
        let pkt = o.pkt;
        self.buf.clear();
        write_frame_time(&mut self.buf, pkt.ts_sec, pkt.ts_nsec, &mut self.time_cache);
        self.frame_time.append_value(&self.buf);
        self.unix_tstamp.append_value(pkt.ts_sec);
        self.frame_len.append_value(pkt.orig_len as i32);
        self.buf.clear();
        push_ip(&mut self.buf, o.src);
        self.ip_src.append_value(&self.buf);
        self.buf.clear();
        push_ip(&mut self.buf, o.dst);
        self.ip_dst.append_value(&self.buf);
        if m.has_question {
            self.qry_name.append_value(&m.qname);
            self.buf.clear();
            self.buf.push_str("0x");
            for shift in [12, 8, 4, 0] {
                self.buf
                    .push(HEX[((m.qclass >> shift) & 15) as usize] as char);
            }
            self.qry_class.append_value(&self.buf);
            self.qry_type.append_value(m.qtype as i32);
        } else {
            self.qry_name.append_null();
            self.qry_class.append_null();
            self.qry_type.append_null();
        }
        let response = header.is_response();
        // tshark shows the rcode of responses only.
        self.qry_rcode
            .append_option(response.then_some(header.rcode() as i32));
        match m.first_a {
            Some(a) => {
                self.buf.clear();
                push_ip(&mut self.buf, IpAddr::V4(a));
                self.dns_a.append_value(&self.buf);
            }
            None => self.dns_a.append_null(),
        }
        self.src_port.append_value(o.src_port as i32);
        self.dst_port.append_value(o.dst_port as i32);
        self.transport.append_value(o.transport);
        self.dns_id.append_value(header.id as i32);
        self.dns_qr.append_value(response as i32);
        self.ancount.append_value(header.ancount as i32);
        for (b, s) in [
            (&mut self.a_all, &m.a_all),
            (&mut self.aaaa, &m.aaaa),
            (&mut self.cname, &m.cname),
        ] {
            if s.is_empty() {
                b.append_null();
            } else {
                b.append_value(s);
            }
        }
        self.min_ttl.append_option(m.min_ttl.map(i64::from));
        self.frame_number.append_value(pkt.frame_number as i64);
    }

    fn finish(&mut self) -> RecordBatch {
        self.len = 0;
        let cols: Vec<ArrayRef> = vec![
            Arc::new(self.frame_time.finish()),
            Arc::new(self.unix_tstamp.finish()),
            Arc::new(self.frame_len.finish()),
            Arc::new(self.ip_src.finish()),
            Arc::new(self.ip_dst.finish()),
            Arc::new(self.qry_name.finish()),
            Arc::new(self.qry_class.finish()),
            Arc::new(self.qry_type.finish()),
            Arc::new(self.qry_rcode.finish()),
            Arc::new(self.dns_a.finish()),
            Arc::new(self.src_port.finish()),
            Arc::new(self.dst_port.finish()),
            Arc::new(self.transport.finish()),
            Arc::new(self.dns_id.finish()),
            Arc::new(self.dns_qr.finish()),
            Arc::new(self.ancount.finish()),
            Arc::new(self.a_all.finish()),
            Arc::new(self.aaaa.finish()),
            Arc::new(self.cname.finish()),
            Arc::new(self.min_ttl.finish()),
            Arc::new(self.frame_number.finish()),
        ];
        // Finished builders start again from nothing and would grow by doubling: size them
        // for a whole batch once instead.
        let time_cache = std::mem::take(&mut self.time_cache);
        *self = Rows::new(self.cap);
        self.time_cache = time_cache;
        // The columns match the schema by construction.
        RecordBatch::try_new(dns_capture_schema(), cols)
            .unwrap_or_else(|_| RecordBatch::new_empty(dns_capture_schema()))
    }
}

/// Separates joined values with `|`, as tshark's aggregator in the reference files.
fn sep(out: &mut String) {
    if !out.is_empty() {
        out.push('|');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip_text::{octet, push_ipv6};

    #[test]
    fn frame_time_matches_tshark() {
        assert_eq!(
            tshark_frame_time(1_795_599_592, 741_815_000),
            "Nov 25, 2026 09:39:52.741815000 UTC"
        );
        assert_eq!(
            tshark_frame_time(1_794_000_000, 5),
            "Nov  6, 2026 21:20:00.000000005 UTC"
        );
    }

    #[test]
    fn ipv6_text_matches_std() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let r = next();
            // Mostly zero groups, so that every run layout shows up.
            let g: [u16; 8] = std::array::from_fn(|i| {
                if (r >> (i * 2)) & 3 == 0 {
                    (r >> (16 + i * 6)) as u16 & 0x1ff
                } else {
                    0
                }
            });
            let ip = std::net::Ipv6Addr::from(g);
            let mut s = String::new();
            push_ipv6(&mut s, ip);
            assert_eq!(s, ip.to_string());
        }
        for text in [
            "::",
            "::1",
            "1::",
            "::ffff:1.2.3.4",
            "::1.2.3.4",
            "1:0:0:2:0:0:0:3",
            "1:0:0:2::3",
        ] {
            let ip: std::net::Ipv6Addr = text.parse().unwrap();
            let mut s = String::new();
            push_ipv6(&mut s, ip);
            assert_eq!(s, ip.to_string());
        }
    }

    #[test]
    fn every_octet() {
        for o in 0..=255u8 {
            assert_eq!(octet(o), o.to_string());
        }
    }

    #[test]
    fn ip_text() {
        for ip in ["0.0.0.0", "10.0.100.255", "127.0.0.1", "::1", "fd00::11"] {
            let mut s = String::new();
            push_ip(&mut s, ip.parse().unwrap());
            assert_eq!(s, ip);
        }
    }

    #[test]
    fn schema_starts_with_spot_columns() {
        let s = dns_capture_schema();
        let spot = dns_schema();
        for (i, f) in spot.fields().iter().enumerate() {
            assert_eq!(s.field(i), f.as_ref());
        }
        assert_eq!(s.fields().len(), spot.fields().len() + 11);
    }
}
