//! [`DnsReader`]: capture files → batches of DNS records, or the same records as CSV text.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use parquet::basic::Encoding;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::message::Parser;
use super::rows::{ArrowRows, CsvRows, FrameTime, MsgFields, Origin, RowSink};
use crate::capture::ip::{self, IpSkip, PROTO_TCP, PROTO_UDP, Reassembler, ReassemblyLimits};
use crate::capture::link::{self, LinkSkip};
use crate::capture::tcp::{self, DnsTcpReassembler, FlowKey, TcpLimits};
use crate::capture::{CaptureReader, Packet, udp};
use crate::error::{DecodeError, Result};
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

/// The columns whose Parquet pages keep min/max statistics: those queries over DNS records
/// filter on (time, addresses, name) and the frame number. For the others (the `frame_time`
/// text, whose order is not the time's, counts, ports, answers) they told a query little and
/// cost a compare per row.
const WITH_STATISTICS: [&str; 5] = [
    "unix_tstamp",
    "ip_src",
    "ip_dst",
    "dns_qry_name",
    extra_columns::FRAME_NUMBER,
];

/// Columns of (almost) unique values, written without a dictionary: for them the dictionary
/// only grew until the writer gave up on it, each row hashed on the way.
const WITHOUT_DICTIONARY: [&str; 3] = [
    "frame_time",
    extra_columns::DNS_ID,
    extra_columns::FRAME_NUMBER,
];

/// Increasing numbers, written as deltas (a few bits per row) instead of a dictionary.
const DELTA_ENCODED: [&str; 2] = ["unix_tstamp", extra_columns::FRAME_NUMBER];

/// Parquet writer properties for [`DnsReader`] batches: pages compressed with `compression`,
/// row groups of [`crate::PARQUET_ROW_GROUP_ROWS`] rows, no dictionary for the columns of
/// unique values (`frame_time`, `dns_id`, `frame_number`), deltas for the increasing numbers
/// (`unix_tstamp`, `frame_number`), and min/max statistics only for the columns queries filter
/// on (`unix_tstamp`, `ip_src`, `ip_dst`, `dns_qry_name`, `frame_number`). The files hold the
/// same values as with the writer's defaults, in less time and space (see `BENCHMARKS.md`).
pub fn dns_parquet_properties(compression: crate::ParquetCompression) -> WriterProperties {
    let mut b = compression.properties();
    for f in dns_capture_schema().fields() {
        let name = f.name().as_str();
        let col = || ColumnPath::from(name);
        if !WITH_STATISTICS.contains(&name) {
            b = b.set_column_statistics_enabled(col(), EnabledStatistics::None);
        }
        if WITHOUT_DICTIONARY.contains(&name) || DELTA_ENCODED.contains(&name) {
            b = b.set_column_dictionary_enabled(col(), false);
        }
        if DELTA_ENCODED.contains(&name) {
            b = b.set_column_encoding(col(), Encoding::DELTA_BINARY_PACKED);
        }
    }
    b.build()
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
    /// A DNS message that could not be parsed: a damaged header, question, record framing
    /// (owner name, type, class, TTL, a data length past the message's end) or data of an A,
    /// AAAA or CNAME record (which the row shows). The data of other record types, which no
    /// column shows (NS, PTR, MX, TXT, SRV, SOA, OPT...), is checked for its bounds only, not
    /// its layout: [`crate::dns::Message::parse`] checks everything.
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
        DnsBatches(Pass::new(self))
    }

    /// Streams every file as CSV text instead of record batches: the chunks, concatenated,
    /// are byte for byte the CSV file that [`crate::BatchWriter`] writes from
    /// [`DnsReader::batches`] (a header line, then one line per record; nothing at all
    /// without records), made without building the batches. Errors come as in
    /// [`DnsReader::batches`].
    ///
    /// ```no_run
    /// use std::io::Write;
    /// let reader = spot_decode::dns::DnsReader::open(&["capture.pcap"])?;
    /// let mut out = std::fs::File::create("dns.csv").unwrap();
    /// for chunk in reader.csv() {
    ///     out.write_all(&chunk?).unwrap();
    /// }
    /// # Ok::<(), spot_decode::DecodeError>(())
    /// ```
    pub fn csv(&self) -> DnsCsv<'_> {
        DnsCsv(Pass::new(self))
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

/// Iterator over the record batches of a [`DnsReader`]; [`DnsBatches::stats`] tells what was
/// read and skipped so far.
pub struct DnsBatches<'a>(Pass<'a, ArrowRows>);

impl DnsBatches<'_> {
    /// Counts so far (complete once the iterator is exhausted).
    pub fn stats(&self) -> &DnsStats {
        &self.0.stats
    }
}

impl Iterator for DnsBatches<'_> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
}

/// Iterator over the records of a [`DnsReader`] as chunks of CSV text (see
/// [`DnsReader::csv`]); [`DnsCsv::stats`] tells what was read and skipped so far.
pub struct DnsCsv<'a>(Pass<'a, CsvRows>);

impl DnsCsv<'_> {
    /// Counts so far (complete once the iterator is exhausted).
    pub fn stats(&self) -> &DnsStats {
        &self.0.stats
    }
}

impl Iterator for DnsCsv<'_> {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
}

/// One pass over the inputs, handing rows to `S`.
struct Pass<'a, S> {
    reader: &'a DnsReader,
    next_file: usize,
    current: Option<FileState>,
    rows: S,
    stats: DnsStats,
    pending_error: Option<DecodeError>,
    scratch: Vec<Vec<u8>>,
    msg: MsgState,
    /// The Zeek `dns.log` being read, if the current file is one.
    zeek: Option<crate::zeek::LogBatches<crate::zeek::dns::DnsMapper>>,
}

impl<'a, S: RowSink> Pass<'a, S> {
    fn new(reader: &'a DnsReader) -> Self {
        Pass {
            reader,
            next_file: 0,
            current: None,
            rows: S::with_capacity(reader.batch_size.min(DEFAULT_BATCH_SIZE)),
            stats: DnsStats::default(),
            pending_error: None,
            scratch: Vec::new(),
            msg: MsgState::default(),
            zeek: None,
        }
    }

    fn finish_file(&mut self) {
        if let Some(f) = self.current.take() {
            self.stats.fragments_expired += f.fragments.dropped_datagrams;
            self.stats.tcp_flows_dropped += f.tcp.counters.flows_evicted + f.tcp.counters.gaps;
        }
    }

    /// The file being read (or last read), for errors.
    fn path(&self) -> &Path {
        self.reader
            .files
            .get(self.next_file.saturating_sub(1))
            .map_or(Path::new(""), |p| p.as_path())
    }

    /// Hands out the rows held.
    fn finish(&mut self) -> Result<S::Out> {
        self.rows
            .finish()
            .map_err(|e| DecodeError::arrow(self.path(), e))
    }

    fn next(&mut self) -> Option<Result<S::Out>> {
        if let Some(e) = self.pending_error.take() {
            return Some(Err(e));
        }
        loop {
            if self.rows.is_full(self.reader.batch_size) {
                return Some(self.finish());
            }
            if let Some(z) = self.zeek.as_mut() {
                if self.rows.len() > 0 {
                    return Some(self.finish());
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
                        return Some(
                            self.rows
                                .convert(b)
                                .map_err(|e| DecodeError::arrow(self.path(), e)),
                        );
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
                    return (self.rows.len() > 0).then(|| self.finish());
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
            // The packets of the current file, until the batch fills or the file ends: the
            // checks above are made once per batch or file, not once per packet.
            let batch_size = self.reader.batch_size;
            let step = loop {
                match state.capture.next_packet() {
                    Ok(Some(pkt)) => {
                        self.stats.packets += 1;
                        let rows_before = self.stats.rows;
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
                        if self.stats.rows != rows_before && self.rows.is_full(batch_size) {
                            break Ok(true);
                        }
                    }
                    Ok(None) => break Ok(false),
                    Err(e) => break Err(e),
                }
            };
            match step {
                Ok(true) => return Some(self.finish()),
                Ok(false) => self.finish_file(),
                Err(e) => {
                    self.finish_file();
                    self.stats.file_errors += 1;
                    if self.rows.len() > 0 {
                        self.pending_error = Some(e);
                        return Some(self.finish());
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

#[allow(clippy::too_many_arguments)]
fn handle_packet<S: RowSink>(
    opts: &DnsReader,
    pkt: &Packet<'_>,
    fragments: &mut Reassembler,
    tcp_state: &mut DnsTcpReassembler,
    scratch: &mut Vec<Vec<u8>>,
    rows: &mut S,
    stats: &mut DnsStats,
    state: &mut MsgState,
) {
    if let Some(u) = ethernet_ipv4_udp(pkt) {
        // Nearly every packet of a DNS capture: Ethernet, IPv4 unfragmented, UDP.
        if u.src_port != opts.dns_port && u.dst_port != opts.dns_port {
            return stats.skip(DnsSkipReason::NotDnsPort);
        }
        let origin = Origin {
            pkt,
            src: IpAddr::V4(u.src.into()),
            dst: IpAddr::V4(u.dst.into()),
            src_port: u.src_port,
            dst_port: u.dst_port,
            tcp: false,
        };
        return message(opts, &origin, u.payload, rows, stats, state);
    }
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
                tcp: false,
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
                tcp: true,
            };
            for m in scratch.iter() {
                message(opts, &origin, m, rows, stats, state);
            }
        }
        _ => stats.skip(DnsSkipReason::NotUdpOrTcp),
    }
}

/// A UDP datagram in an unfragmented IPv4 packet in an untagged Ethernet frame.
struct Udp4<'a> {
    src: [u8; 4],
    dst: [u8; 4],
    src_port: u16,
    dst_port: u16,
    payload: &'a [u8],
}

/// The common case of [`handle_packet`] in one pass over the headers, without the layers'
/// general results: `Some` exactly when the link, IP and UDP parsers would find an
/// unfragmented IPv4 UDP datagram in an untagged Ethernet frame, with the same fields; `None`
/// leaves the packet to them (other links, tags, IPv6, fragments, TCP and every error).
#[inline(always)]
fn ethernet_ipv4_udp<'a>(pkt: &Packet<'a>) -> Option<Udp4<'a>> {
    if pkt.link_type != link::LINKTYPE_ETHERNET {
        return None;
    }
    let d = pkt.data;
    // Ethertype IPv4, version 4.
    if d.get(12..14)? != [0x08, 0x00] {
        return None;
    }
    let ip = &d[14..];
    let first = *ip.first()?;
    let ihl = (first & 0x0f) as usize * 4;
    if first >> 4 != 4 || ihl < 20 || ip.len() < ihl || ip[9] != PROTO_UDP {
        return None;
    }
    let total = u16::from_be_bytes([ip[2], ip[3]]) as usize;
    // More-fragments flag or an offset: a fragment.
    if total < ihl || u16::from_be_bytes([ip[6], ip[7]]) & 0x3fff != 0 {
        return None;
    }
    let udp = ip.get(ihl..total)?;
    let u = udp::parse(udp)?;
    Some(Udp4 {
        src: ip[12..16].try_into().ok()?,
        dst: ip[16..20].try_into().ok()?,
        src_port: u.src_port,
        dst_port: u.dst_port,
        payload: u.payload,
    })
}

/// Per-pass parsing state: the parser's and the row's reusable buffers.
#[derive(Default)]
struct MsgState {
    parser: Parser,
    fields: MsgFields,
}

#[inline]
fn message<S: RowSink>(
    opts: &DnsReader,
    o: &Origin<'_>,
    bytes: &[u8],
    rows: &mut S,
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
    rows.push(
        o,
        &header,
        &state.fields,
        state.parser.first_question_name(),
    );
}

/// Formats `sec.nsec` as tshark's `frame.time` in UTC: `Nov 25, 2026 09:38:00.033394000 UTC`
/// (day of month space-padded to two characters, as tshark does).
pub fn tshark_frame_time(sec: i64, nsec: u32) -> String {
    let mut text = Vec::with_capacity(36);
    FrameTime::default().push(&mut text, sec, nsec);
    // ASCII by construction.
    String::from_utf8_lossy(&text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip_text::{octet, push_ip, push_ipv4_bytes, push_ipv6};

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
        let mut next = crate::dns::xorshift(0x9e37_79b9_7f4a_7c15u64);
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
    fn ipv4_bytes_match_std() {
        for o in 0..=255u8 {
            for ip in [[o, 0, 0, 0], [9, o, 99, 100], [255, 10, o, 1], [1, 2, 3, o]] {
                let ip = std::net::Ipv4Addr::from(ip);
                let mut v = b"x".to_vec();
                push_ipv4_bytes(&mut v, ip);
                assert_eq!(v, format!("x{ip}").as_bytes());
            }
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
    fn parquet_properties_name_real_columns() {
        let schema = dns_capture_schema();
        for name in WITH_STATISTICS
            .iter()
            .chain(&WITHOUT_DICTIONARY)
            .chain(&DELTA_ENCODED)
        {
            assert!(schema.field_with_name(name).is_ok(), "{name}");
        }
        let p = dns_parquet_properties(crate::ParquetCompression::Zstd);
        let col = |n: &str| ColumnPath::from(n);
        assert!(!p.dictionary_enabled(&col("frame_time")));
        assert!(p.dictionary_enabled(&col("dns_qry_name")));
        assert_eq!(
            p.encoding(&col("frame_number")),
            Some(Encoding::DELTA_BINARY_PACKED)
        );
        assert_eq!(p.statistics_enabled(&col("dns_a")), EnabledStatistics::None);
        assert_ne!(
            p.statistics_enabled(&col("ip_dst")),
            EnabledStatistics::None
        );
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
