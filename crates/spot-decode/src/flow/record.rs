//! One decoded NetFlow record and the batch builder shared by the native readers (nfcapd files,
//! NetFlow v5/v9/IPFIX datagrams).
//!
//! The batches have exactly the columns and values that the `nfdump -o csv` reader produces for
//! the same flows (nfdump 1.7's CSV column set): Spot's flow schema first, then nfdump's other
//! columns as text, formatted the way nfdump prints them. A folder can therefore mix nfcapd files
//! and their CSV exports, and both readers give identical batches.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, OnceLock};

use arrow::array::{
    ArrayRef, Float32Builder, Int32Builder, Int64Builder, RecordBatch, StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::ip_text::push_ip;
use crate::schema::flow_schema;
use crate::time::CivilTime;

/// The header of `nfdump -o csv` (nfdump 1.7), in order.
pub const NFDUMP_CSV_COLUMNS: [&str; 48] = [
    "ts", "te", "td", "sa", "da", "sp", "dp", "pr", "flg", "fwd", "stos", "ipkt", "ibyt", "opkt",
    "obyt", "in", "out", "sas", "das", "smk", "dmk", "dtos", "dir", "nh", "nhb", "svln", "dvln",
    "ismc", "odmc", "idmc", "osmc", "mpls1", "mpls2", "mpls3", "mpls4", "mpls5", "mpls6", "mpls7",
    "mpls8", "mpls9", "mpls10", "cl", "sl", "al", "ra", "eng", "exid", "tr",
];

/// Schema of the batches of the native readers: the [flow schema](crate::flow_schema), then
/// nfdump's columns without a Spot counterpart (`te`, `smk`, `dmk`, `nh`, `nhb`, `svln`, `dvln`,
/// MACs, MPLS labels, latencies, `eng`, `exid`, `tr`) as text.
pub fn nfdump_flow_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    S.get_or_init(|| {
        let mut fields: Vec<Field> = flow_schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        for n in super::nfdump::extras(&NFDUMP_CSV_COLUMNS) {
            fields.push(Field::new(n, DataType::Utf8, true));
        }
        Arc::new(Schema::new(fields))
    })
    .clone()
}

/// One flow as nfdump stores it (fields of its V3 extension elements), independent of where it
/// was read from. Absent elements leave their fields at zero, as nfdump prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRecord {
    /// Flow start, milliseconds since the epoch.
    pub msec_first: u64,
    /// Flow end, milliseconds since the epoch.
    pub msec_last: u64,
    /// When the collector received the flow, milliseconds since the epoch.
    pub msec_received: u64,
    pub src_addr: IpAddr,
    pub dst_addr: IpAddr,
    pub src_port: u16,
    /// Destination port; for ICMP, `type << 8 | code` as nfdump stores it.
    pub dst_port: u16,
    pub proto: u8,
    pub tcp_flags: u8,
    pub fwd_status: u8,
    pub src_tos: u8,
    pub dst_tos: u8,
    pub in_packets: u64,
    pub in_bytes: u64,
    pub out_packets: u64,
    pub out_bytes: u64,
    pub input: u32,
    pub output: u32,
    pub src_as: u32,
    pub dst_as: u32,
    pub src_mask: u8,
    pub dst_mask: u8,
    pub dir: u8,
    pub next_hop: Option<IpAddr>,
    pub bgp_next_hop: Option<IpAddr>,
    pub src_vlan: u32,
    pub dst_vlan: u32,
    /// MAC addresses in the low 48 bits: in-source, out-destination, in-destination, out-source.
    pub macs: [u64; 4],
    pub mpls: [u32; 10],
    /// Client, server and application latency in microseconds.
    pub latency_usec: [u64; 3],
    /// The exporting router (`ra`).
    pub router: Option<IpAddr>,
    pub engine_type: u8,
    pub engine_id: u8,
    /// The collector's id of the exporter (`exid`).
    pub exporter_id: u16,
}

impl Default for FlowRecord {
    fn default() -> Self {
        FlowRecord {
            msec_first: 0,
            msec_last: 0,
            msec_received: 0,
            src_addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            dst_addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            src_port: 0,
            dst_port: 0,
            proto: 0,
            tcp_flags: 0,
            fwd_status: 0,
            src_tos: 0,
            dst_tos: 0,
            in_packets: 0,
            in_bytes: 0,
            out_packets: 0,
            out_bytes: 0,
            input: 0,
            output: 0,
            src_as: 0,
            dst_as: 0,
            src_mask: 0,
            dst_mask: 0,
            dir: 0,
            next_hop: None,
            bgp_next_hop: None,
            src_vlan: 0,
            dst_vlan: 0,
            macs: [0; 4],
            mpls: [0; 10],
            latency_usec: [0; 3],
            router: None,
            engine_type: 0,
            engine_id: 0,
            exporter_id: 0,
        }
    }
}

/// nfdump's short protocol names (its `pr` column); numbers above the table print as numbers.
const PROTO_NAMES: [&str; 138] = [
    "0", "ICMP", "IGMP", "GGP", "IPIP", "ST", "TCP", "CBT", "EGP", "IGP", "BBN", "NVPII", "PUP",
    "ARGUS", "ENCOM", "XNET", "CHAOS", "UDP", "MUX", "DCN", "HMP", "PRM", "XNS", "Trnk1", "Trnk2",
    "Leaf1", "Leaf2", "RDP", "IRTP", "ISO-4", "NETBK", "MFESP", "MEINP", "DCCP", "3PC", "IDPR",
    "XTP", "DDP", "IDPR", "TP++", "IL", "IPv6", "SDRP", "Rte6", "Frag6", "IDRP", "RSVP", "GRE",
    "MHRP", "BNA", "ESP", "AH", "INLSP", "SWIPE", "NARP", "MOBIL", "TLSP", "SKIP", "ICMP6",
    "NOHE6", "OPTS6", "HOST", "CFTP", "NET", "SATNT", "KLAN", "RVD", "IPPC", "FS", "SATM", "VISA",
    "IPCV", "CPNX", "CPHB", "WSN", "PVP", "BSATM", "SUNND", "WBMON", "WBEXP", "ISOIP", "VMTP",
    "SVMTP", "VINES", "TTP", "NSIGP", "DGP", "TCF", "EIGRP", "OSPF", "S-RPC", "LARP", "MTP",
    "AX.25", "OS", "MICP", "SCCSP", "ETHIP", "ENCAP", "99", "GMTP", "IFMP", "PNNI", "PIM", "ARIS",
    "SCPS", "QNX", "A/N", "IPcmp", "SNP", "CpqPP", "IPXIP", "VRRP", "PGM", "0hop", "L2TP", "DDX",
    "IATP", "STP", "SRP", "UTI", "SMP", "SM", "PTP", "ISIS4", "FIRE", "CRTP", "CRUDP", "128",
    "IPLT", "SPS", "PIPE", "SCTP", "FC", "134", "MHEAD", "UDP-L", "MPLS",
];

/// The protocol as nfdump prints it (`TCP`, `UDP`, `ICMP`, ... or the number).
pub fn proto_name(proto: u8) -> std::borrow::Cow<'static, str> {
    match PROTO_NAMES.get(proto as usize) {
        Some(n) => std::borrow::Cow::Borrowed(n),
        None => std::borrow::Cow::Owned(proto.to_string()),
    }
}

/// TCP flags as nfdump prints them: `CEUAPRSF`, a dot for each flag not set.
pub fn flags_string(flags: u8) -> [u8; 8] {
    const NAMES: &[u8; 8] = b"CEUAPRSF";
    let mut s = *b"........";
    for (i, c) in NAMES.iter().enumerate() {
        if flags & (0x80 >> i) != 0 {
            s[i] = *c;
        }
    }
    s
}

/// Milliseconds since the epoch as 'YYYY-MM-DD HH:MM:SS' (UTC) and its parts.
fn civil(msec: u64) -> CivilTime {
    CivilTime::from_unix((msec / 1000) as i64).unwrap_or(CivilTime {
        unix: (msec / 1000) as i64,
        year: 1970,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
    })
}

/// Seconds with three decimals, as nfdump's `%.3f` prints them, read back as `f32`.
fn duration_f32(msec: u64) -> f32 {
    if msec < (1 << 24) {
        // Both operands are exact in f32, so the quotient is the f32 nearest to msec/1000,
        // the same value that parsing nfdump's decimal text gives.
        msec as f32 / 1000.0
    } else {
        format!("{}.{:03}", msec / 1000, msec % 1000)
            .parse()
            .unwrap_or(f32::MAX)
    }
}

/// Builds batches of [`nfdump_flow_schema`] from [`FlowRecord`]s.
pub struct FlowBatchBuilder {
    treceived: StringBuilder,
    unix: Int64Builder,
    parts: [Int32Builder; 6],
    tdur: Float32Builder,
    sip: StringBuilder,
    dip: StringBuilder,
    sport: Int32Builder,
    dport: Int32Builder,
    proto: StringBuilder,
    flag: StringBuilder,
    fwd: Int32Builder,
    stos: Int32Builder,
    counters: [Int64Builder; 4],
    input: Int32Builder,
    output: Int32Builder,
    sas: Int32Builder,
    das: Int32Builder,
    dtos: Int32Builder,
    dir: Int32Builder,
    rip: StringBuilder,
    /// te, smk, dmk, nh, nhb, svln, dvln, 4 MACs, 10 MPLS, cl, sl, al, eng, exid, tr.
    extra: Vec<StringBuilder>,
    rows: usize,
    text: String,
    /// Flows of a block share their seconds: the last formatted time of each kind is reused.
    first_time: TimeCache,
    last_time: TimeCache,
    received_time: TimeCache,
}

/// The civil time and 'YYYY-MM-DD HH:MM:SS' text of the last second asked for.
struct TimeCache {
    secs: Option<u64>,
    time: CivilTime,
    text: String,
}

impl TimeCache {
    fn new() -> Self {
        TimeCache {
            secs: None,
            time: civil(0),
            text: String::with_capacity(19),
        }
    }

    fn get(&mut self, secs: u64) -> CivilTime {
        use std::fmt::Write;
        if self.secs != Some(secs) {
            let t = civil(secs.saturating_mul(1000));
            self.text.clear();
            let _ = write!(
                self.text,
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                t.year, t.month, t.day, t.hour, t.minute, t.second
            );
            self.time = t;
            self.secs = Some(secs);
        }
        self.time
    }
}

impl Default for FlowBatchBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl FlowBatchBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        let extras = nfdump_flow_schema().fields().len() - flow_schema().fields().len();
        FlowBatchBuilder {
            treceived: StringBuilder::new(),
            unix: Int64Builder::new(),
            parts: Default::default(),
            tdur: Float32Builder::new(),
            sip: StringBuilder::new(),
            dip: StringBuilder::new(),
            sport: Int32Builder::new(),
            dport: Int32Builder::new(),
            proto: StringBuilder::new(),
            flag: StringBuilder::new(),
            fwd: Int32Builder::new(),
            stos: Int32Builder::new(),
            counters: Default::default(),
            input: Int32Builder::new(),
            output: Int32Builder::new(),
            sas: Int32Builder::new(),
            das: Int32Builder::new(),
            dtos: Int32Builder::new(),
            dir: Int32Builder::new(),
            rip: StringBuilder::new(),
            extra: (0..extras).map(|_| StringBuilder::new()).collect(),
            rows: 0,
            text: String::with_capacity(64),
            first_time: TimeCache::new(),
            last_time: TimeCache::new(),
            received_time: TimeCache::new(),
        }
    }

    /// Rows appended since the last [`finish`](Self::finish).
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row was appended since the last [`finish`](Self::finish).
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends one flow.
    pub fn append(&mut self, r: &FlowRecord) {
        use std::fmt::Write;
        let t = self.first_time.get(r.msec_first / 1000);
        self.treceived.append_value(&self.first_time.text);
        self.unix.append_value(t.unix);
        for (b, v) in self
            .parts
            .iter_mut()
            .zip([t.year, t.month, t.day, t.hour, t.minute, t.second])
        {
            b.append_value(v);
        }
        self.tdur
            .append_value(duration_f32(r.msec_last.wrapping_sub(r.msec_first)));
        self.push_ip(r.src_addr, Which::Sip);
        self.push_ip(r.dst_addr, Which::Dip);
        self.sport.append_value(r.src_port as i32);
        self.dport.append_value(r.dst_port as i32);
        self.proto.append_value(proto_name(r.proto));
        let f = flags_string(r.tcp_flags);
        self.flag
            .append_value(std::str::from_utf8(&f).unwrap_or("........"));
        self.fwd.append_value(r.fwd_status as i32);
        self.stos.append_value(r.src_tos as i32);
        for (b, v) in
            self.counters
                .iter_mut()
                .zip([r.in_packets, r.in_bytes, r.out_packets, r.out_bytes])
        {
            b.append_value(v as i64);
        }
        // Spot's columns are Int32; nfdump's 32-bit unsigned values keep their bits.
        self.input.append_value(r.input as i32);
        self.output.append_value(r.output as i32);
        self.sas.append_value(r.src_as as i32);
        self.das.append_value(r.dst_as as i32);
        self.dtos.append_value(r.dst_tos as i32);
        self.dir.append_value(r.dir as i32);
        self.push_ip(
            r.router.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            Which::Rip,
        );

        // Extra columns, in nfdump's order; zero values (the common case) take a static text.
        let mut e = 0;
        self.last_time.get(r.msec_last / 1000);
        self.extra[e].append_value(&self.last_time.text);
        e += 1;
        self.put_u64(&mut e, r.src_mask as u64);
        self.put_u64(&mut e, r.dst_mask as u64);
        let zero = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        self.put(&mut e, |s| {
            write_ip(s, r.next_hop.unwrap_or(zero));
            Ok(())
        });
        // nfdump 1.7.1's CSV prints the IP next hop again in place of an IPv6 BGP next hop
        // (a bug); we print the BGP next hop.
        self.put(&mut e, |s| {
            write_ip(s, r.bgp_next_hop.unwrap_or(zero));
            Ok(())
        });
        self.put_u64(&mut e, r.src_vlan as u64);
        self.put_u64(&mut e, r.dst_vlan as u64);
        for mac in r.macs {
            if mac == 0 {
                self.put_str(&mut e, "00:00:00:00:00:00");
            } else {
                let b = mac.to_be_bytes();
                self.put(&mut e, |s| {
                    write!(
                        s,
                        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                        b[2], b[3], b[4], b[5], b[6], b[7]
                    )
                });
            }
        }
        for label in r.mpls {
            if label == 0 {
                self.put_str(&mut e, "0-0-0");
            } else {
                self.put(&mut e, |s| {
                    write!(s, "{}-{}-{}", label >> 4, (label & 0xF) >> 1, label & 1)
                });
            }
        }
        for usec in r.latency_usec {
            if usec == 0 {
                self.put_str(&mut e, "0.000");
            } else {
                // nfdump prints `%9.3f` milliseconds; the CSV reader trims the padding.
                self.put(&mut e, |s| write!(s, "{:.3}", usec as f64 / 1000.0));
            }
        }
        if (r.engine_type, r.engine_id) == (0, 0) {
            self.put_str(&mut e, "0/0");
        } else {
            self.put(&mut e, |s| {
                push_int(s, r.engine_type as u64);
                s.push('/');
                push_int(s, r.engine_id as u64);
                Ok(())
            });
        }
        self.put_u64(&mut e, r.exporter_id as u64);
        self.received_time.get(r.msec_received / 1000);
        self.text.clear();
        self.text.push_str(&self.received_time.text);
        let ms = r.msec_received % 1000;
        self.text.push('.');
        for digit in [ms / 100, ms / 10 % 10, ms % 10] {
            self.text.push(char::from(b'0' + digit as u8));
        }
        self.extra[e].append_value(&self.text);
        self.rows += 1;
    }

    /// Appends the text `f` writes to extra column `*e`, then moves to the next column.
    fn put(&mut self, e: &mut usize, f: impl FnOnce(&mut String) -> std::fmt::Result) {
        self.text.clear();
        let _ = f(&mut self.text);
        self.extra[*e].append_value(&self.text);
        *e += 1;
    }

    /// Appends `v` in decimal to extra column `*e` (zero, the common case, as a static text).
    fn put_u64(&mut self, e: &mut usize, v: u64) {
        if v == 0 {
            self.put_str(e, "0");
        } else {
            self.put(e, |s| {
                push_int(s, v);
                Ok(())
            });
        }
    }

    fn put_str(&mut self, e: &mut usize, v: &str) {
        self.extra[*e].append_value(v);
        *e += 1;
    }

    fn push_ip(&mut self, ip: IpAddr, which: Which) {
        self.text.clear();
        write_ip(&mut self.text, ip);
        let b = match which {
            Which::Sip => &mut self.sip,
            Which::Dip => &mut self.dip,
            Which::Rip => &mut self.rip,
        };
        b.append_value(&self.text);
    }

    /// The rows appended so far as one batch of [`nfdump_flow_schema`]; the builder is empty
    /// afterwards.
    pub fn finish(&mut self) -> RecordBatch {
        let [y, mo, d, h, mi, s] = &mut self.parts;
        let [ipkt, ibyt, opkt, obyt] = &mut self.counters;
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(self.treceived.finish()),
            Arc::new(self.unix.finish()),
            Arc::new(y.finish()),
            Arc::new(mo.finish()),
            Arc::new(d.finish()),
            Arc::new(h.finish()),
            Arc::new(mi.finish()),
            Arc::new(s.finish()),
            Arc::new(self.tdur.finish()),
            Arc::new(self.sip.finish()),
            Arc::new(self.dip.finish()),
            Arc::new(self.sport.finish()),
            Arc::new(self.dport.finish()),
            Arc::new(self.proto.finish()),
            Arc::new(self.flag.finish()),
            Arc::new(self.fwd.finish()),
            Arc::new(self.stos.finish()),
            Arc::new(ipkt.finish()),
            Arc::new(ibyt.finish()),
            Arc::new(opkt.finish()),
            Arc::new(obyt.finish()),
            Arc::new(self.input.finish()),
            Arc::new(self.output.finish()),
            Arc::new(self.sas.finish()),
            Arc::new(self.das.finish()),
            Arc::new(self.dtos.finish()),
            Arc::new(self.dir.finish()),
            Arc::new(self.rip.finish()),
        ];
        cols.extend(
            self.extra
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef),
        );
        self.rows = 0;
        // Column types and lengths are fixed by construction, so this cannot fail.
        RecordBatch::try_new(nfdump_flow_schema(), cols)
            .unwrap_or_else(|_| RecordBatch::new_empty(nfdump_flow_schema()))
    }
}

/// An address as `inet_ntop` (and so nfdump) prints it. Rust's formatting agrees except for
/// IPv4-compatible IPv6 addresses (`::a.b.c.d`), which glibc prints with a dotted quad.
fn write_ip(out: &mut String, ip: IpAddr) {
    if let IpAddr::V6(v6) = ip {
        let s = v6.segments();
        if s[..6] == [0; 6] && s[6] != 0 {
            // nfdump prints IPv4-compatible addresses as `::a.b.c.d`.
            let o = v6.octets();
            out.push_str("::");
            push_ip(out, IpAddr::V4(Ipv4Addr::new(o[12], o[13], o[14], o[15])));
            return;
        }
    }
    push_ip(out, ip);
}

fn push_int(out: &mut String, v: u64) {
    out.push_str(itoa::Buffer::new().format(v));
}

enum Which {
    Sip,
    Dip,
    Rip,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_matches_the_nfdump_csv_reader() {
        let names: Vec<&str> = NFDUMP_CSV_COLUMNS.to_vec();
        let csv = super::super::nfdump::schema_for(std::path::Path::new("x"), &names).unwrap();
        assert_eq!(csv, nfdump_flow_schema());
    }

    #[test]
    fn formats_like_nfdump() {
        assert_eq!(&flags_string(0x1b), b"...AP.SF");
        assert_eq!(&flags_string(0xff), b"CEUAPRSF");
        assert_eq!(proto_name(6), "TCP");
        assert_eq!(proto_name(200), "200");
        assert_eq!(duration_f32(1), "0.001".parse::<f32>().unwrap());
        assert_eq!(
            duration_f32(123_456_789),
            "123456.789".parse::<f32>().unwrap()
        );
        let mut b = FlowBatchBuilder::new();
        let r = FlowRecord {
            msec_first: 1_795_599_592_123,
            msec_last: 1_795_599_593_000,
            msec_received: 1_795_601_097_692,
            proto: 17,
            mpls: [0x12345; 10],
            macs: [0x0011_2233_4455; 4],
            latency_usec: [1500, 0, 0],
            ..Default::default()
        };
        b.append(&r);
        let batch = b.finish();
        assert_eq!(batch.num_rows(), 1);
        let col = |n: &str| {
            let a = batch.column_by_name(n).unwrap();
            arrow::util::display::array_value_to_string(a, 0).unwrap()
        };
        assert_eq!(col("treceived"), "2026-11-25 09:39:52");
        assert_eq!(col("te"), "2026-11-25 09:39:53");
        assert_eq!(col("tr"), "2026-11-25 10:04:57.692");
        assert_eq!(col("tdur"), "0.877");
        assert_eq!(col("proto"), "UDP");
        assert_eq!(col("mpls1"), "4660-2-1");
        assert_eq!(col("ismc"), "00:11:22:33:44:55");
        assert_eq!(col("cl"), "1.500");
        assert_eq!(col("rip"), "0.0.0.0");
        let mut s = String::new();
        write_ip(&mut s, "::102:304".parse().unwrap());
        assert_eq!(s, "::1.2.3.4");
        s.clear();
        write_ip(&mut s, "::1".parse().unwrap());
        assert_eq!(s, "::1");
        s.clear();
        write_ip(&mut s, "::ffff:10.0.0.1".parse().unwrap());
        assert_eq!(s, "::ffff:10.0.0.1");
        assert!(b.is_empty());
    }

    #[test]
    fn fast_text_matches_display() {
        for o in 0..=255u8 {
            let v4 = Ipv4Addr::new(o, 255 - o, o / 3, 10);
            let mut s = String::new();
            write_ip(&mut s, IpAddr::V4(v4));
            assert_eq!(s, v4.to_string());
        }
        for v in [0, 7, 10, 99, 100, 65_535, u32::MAX as u64, u64::MAX] {
            let mut s = String::new();
            push_int(&mut s, v);
            assert_eq!(s, v.to_string());
        }
        let mut b = FlowBatchBuilder::new();
        b.append(&FlowRecord {
            msec_received: 1_795_601_097_002,
            src_mask: 24,
            src_vlan: 4094,
            engine_type: 1,
            engine_id: 22,
            exporter_id: 3,
            ..Default::default()
        });
        let batch = b.finish();
        let col = |n: &str| {
            let a = batch.column_by_name(n).unwrap();
            arrow::util::display::array_value_to_string(a, 0).unwrap()
        };
        assert_eq!(col("tr"), "2026-11-25 10:04:57.002");
        assert_eq!(col("smk"), "24");
        assert_eq!(col("dmk"), "0");
        assert_eq!(col("svln"), "4094");
        assert_eq!(col("eng"), "1/22");
        assert_eq!(col("exid"), "3");
    }
}
