//! NetFlow v5, v9 and IPFIX (RFC 7011) export datagrams decoded to [`FlowRecord`]s, the way
//! nfdump 1.7's `nfcapd` stores them (so the flows equal `nfdump -r FILE -o csv` of a file
//! collected from the same datagrams, apart from the receive time).
//!
//! [`NetflowDecoder`] keeps the state exporters build up across datagrams: templates keyed by
//! (exporter address, source id / observation domain, template id), options data (sampling,
//! IPFIX system init time), sequence numbers. Untrusted input is bounded by [`Limits`]: caps on
//! exporters, templates per exporter and fields per template, so template poisoning cannot
//! exhaust memory. Data sets that arrive before their template (an exporter's first datagrams
//! after a collector restart, or reordered UDP) are held, bounded per template, in count, in
//! bytes and in time, and decoded when the template arrives; what could not be held or timed
//! out is counted by reason ([`HeldStats`]) and in [`NetflowStats::missing_template`].
//!
//! ```
//! use spot_decode::flow::FlowBatchBuilder;
//! use spot_decode::netflow::NetflowDecoder;
//! # let datagram = spot_decode::netflow::example_v5_datagram();
//! let mut decoder = NetflowDecoder::new();
//! let mut batch = FlowBatchBuilder::new();
//! let exporter = "192.0.2.1".parse().unwrap();
//! let received_msec = 1_795_601_100_452;
//! decoder.decode(exporter, received_msec, &datagram, &mut |flow| batch.append(flow))?;
//! assert_eq!(batch.finish().num_rows(), 1);
//! # Ok::<(), spot_decode::netflow::DatagramError>(())
//! ```

pub mod capture;
pub mod collector;
mod ipfix;
mod sets;
mod template;
mod v5;
mod v9;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::IpAddr;

use crate::flow::FlowRecord;
use sets::Clock;
use template::{Pending, Template};

/// Why a datagram (or the rest of it) could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DatagramError {
    /// The version field is not 5, 9 or 10.
    #[error("unsupported NetFlow version {version} (expected 5, 9 or 10)")]
    UnsupportedVersion { version: u16 },
    /// The datagram is shorter than its headers say.
    #[error("NetFlow v{version} datagram truncated at byte {offset}: {message}")]
    Truncated {
        version: u16,
        offset: usize,
        message: String,
    },
    /// A header, set or template is inconsistent.
    #[error("NetFlow v{version} datagram malformed at byte {offset}: {message}")]
    Malformed {
        version: u16,
        offset: usize,
        message: String,
    },
    /// A cap of [`Limits`] was reached; the template or exporter was not stored.
    #[error("NetFlow v{version} datagram at byte {offset}: limit reached: {message}")]
    Limit {
        version: u16,
        offset: usize,
        message: String,
    },
}

/// Caps on the state untrusted exporters can make the decoder keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Exporters (address, version, source id / observation domain) tracked at once.
    pub max_exporters: usize,
    /// Templates (data and options) per exporter.
    pub max_templates_per_exporter: usize,
    /// Fields per template.
    pub max_fields_per_template: usize,
    /// Data sets held while waiting for the same template (exporter, domain, template id);
    /// the oldest is dropped for a newer one. 0 disables holding: such sets are dropped at once.
    pub max_held_sets_per_template: usize,
    /// Data sets held in all, waiting for any template; a set over the cap is dropped.
    pub max_held_sets: usize,
    /// Bytes of held data sets in all; a set over the cap is dropped.
    pub max_held_bytes: usize,
    /// How long a set is held, in milliseconds of receive time, before it is dropped.
    pub held_timeout_msec: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_exporters: 4096,
            max_templates_per_exporter: 1024,
            max_fields_per_template: 256,
            max_held_sets_per_template: 64,
            max_held_sets: 4096,
            max_held_bytes: 8 << 20,
            held_timeout_msec: 5 * 60 * 1000,
        }
    }
}

/// What became of data sets that arrived before their template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeldStats {
    /// Sets held on arrival because their template was unknown.
    pub held: u64,
    /// Held sets decoded when their template arrived.
    pub decoded: u64,
    /// Dropped: held longer than [`Limits::held_timeout_msec`].
    pub expired: u64,
    /// Dropped: the oldest set of a template that had [`Limits::max_held_sets_per_template`].
    pub over_template_cap: u64,
    /// Dropped on arrival: [`Limits::max_held_sets`] or [`Limits::max_held_bytes`] reached.
    pub over_total_cap: u64,
    /// Dropped at the end of the input ([`NetflowDecoder::drop_held`]) with no template.
    pub never_templated: u64,
    /// Dropped on arrival because holding is disabled (`max_held_sets_per_template` 0).
    pub not_held: u64,
    /// Sets held now.
    pub waiting: u64,
}

/// Counters of one exporter (address, version, source id / observation domain).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExporterStats {
    /// The collector's id of this exporter (nfdump's `exid`), from 1 in order of appearance.
    pub sysid: u16,
    pub version: u16,
    pub address: Option<IpAddr>,
    pub domain: u32,
    pub datagrams: u64,
    pub flows: u64,
    /// Sequence numbers that did not follow the previous datagram's.
    pub sequence_failures: u64,
    /// Flows (v5, IPFIX) or datagrams (v9) the sequence numbers say were lost on the way.
    pub lost: u64,
    /// Datagrams that failed to decode, entirely or in part.
    pub errors: u64,
}

/// What the decoder has seen beyond the flows it returned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetflowStats {
    pub datagrams: u64,
    pub flows: u64,
    pub errors: u64,
    pub templates: u64,
    pub options_templates: u64,
    pub templates_withdrawn: u64,
    /// Data sets dropped because their template did not arrive in time: the sum of the drop
    /// reasons of [`NetflowStats::held`].
    pub missing_template: u64,
    /// Data sets that arrived before their template, by outcome.
    pub held: HeldStats,
    /// Option data records applied (sampling, system init time).
    pub options_records: u64,
    /// Sets with a reserved id, skipped.
    pub skipped_sets: u64,
    /// Fields of data templates with no column (enterprise-specific, NAT, payload...), by
    /// element id (enterprise fields under id 0x8000 | id).
    pub skipped_fields: BTreeMap<u16, u64>,
    /// Per exporter, by sysid.
    pub exporters: BTreeMap<u16, ExporterStats>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct DomainKey {
    addr: IpAddr,
    version: u16,
    domain: u32,
}

#[derive(Debug, Default)]
struct Domain {
    sysid: u16,
    templates: HashMap<u16, std::sync::Arc<Template>>,
    /// Absolute time of the exporter's boot (IPFIX options #160), msec.
    sys_init_msec: Option<u64>,
    /// (packet interval, space interval) in nfdump's terms; scaling applies when space > 0.
    sampling: Option<(u64, u64)>,
    last_sequence: Option<u32>,
    /// What the next sequence number should be, given the last datagram.
    expected_sequence: Option<[u32; 2]>,
}

/// A data set waiting for its template, with what its datagram said about time and engine.
#[derive(Debug)]
struct HeldSet {
    body: Vec<u8>,
    received_msec: u64,
    offset: usize,
    clock: Clock,
    engine: (u8, u8),
}

/// Data sets waiting for their template, by (exporter, domain, template id).
#[derive(Debug, Default)]
struct Held {
    sets: HashMap<(DomainKey, u16), VecDeque<HeldSet>>,
    count: usize,
    bytes: usize,
    /// Receive time at which to look for expired sets next.
    next_expiry: u64,
}

/// Decodes NetFlow v5/v9/IPFIX datagrams; see the [module docs](self).
#[derive(Debug)]
pub struct NetflowDecoder {
    domains: HashMap<DomainKey, Domain>,
    limits: Limits,
    next_sysid: u16,
    stats: NetflowStats,
    held: Held,
}

impl Default for NetflowDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl NetflowDecoder {
    /// A decoder with the default [`Limits`].
    pub fn new() -> Self {
        Self::with_limits(Limits::default())
    }

    /// A decoder with the given caps.
    pub fn with_limits(limits: Limits) -> Self {
        NetflowDecoder {
            domains: HashMap::new(),
            limits,
            next_sysid: 1,
            stats: NetflowStats::default(),
            held: Held::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &NetflowStats {
        &self.stats
    }

    /// Drops every held data set (their template never came), counting them as
    /// [`HeldStats::never_templated`]: call it at the end of a finite input.
    pub fn drop_held(&mut self) {
        let n = self.held.count as u64;
        self.held = Held::default();
        self.stats.held.never_templated += n;
        self.stats.missing_template += n;
        self.stats.held.waiting = 0;
    }

    /// Drops held sets received more than the timeout before `now_msec`.
    fn expire_held(&mut self, now_msec: u64) {
        if self.held.count == 0 || now_msec < self.held.next_expiry {
            return;
        }
        // Look again in a second at the earliest: expiry is coarse, holding is bounded anyway.
        self.held.next_expiry = now_msec.saturating_add(1000);
        let cutoff = now_msec.saturating_sub(self.limits.held_timeout_msec);
        let (mut sets, mut bytes) = (0usize, 0usize);
        self.held.sets.retain(|_, q| {
            while q.front().is_some_and(|h| h.received_msec < cutoff) {
                if let Some(h) = q.pop_front() {
                    sets += 1;
                    bytes += h.body.len();
                }
            }
            !q.is_empty()
        });
        self.held.count -= sets;
        self.held.bytes -= bytes;
        self.stats.held.expired += sets as u64;
        self.stats.missing_template += sets as u64;
        self.stats.held.waiting = self.held.count as u64;
    }

    /// Decodes one datagram received from `exporter` at `received_msec` (milliseconds since
    /// the epoch), calling `emit` for each flow. Returns the number of flows. On error, the
    /// flows decoded before the problem have been emitted and the error is counted.
    pub fn decode(
        &mut self,
        exporter: IpAddr,
        received_msec: u64,
        datagram: &[u8],
        emit: &mut dyn FnMut(&FlowRecord),
    ) -> Result<usize, DatagramError> {
        self.stats.datagrams += 1;
        self.expire_held(received_msec);
        let version = match datagram {
            [a, b, ..] => u16::from_be_bytes([*a, *b]),
            _ => {
                self.stats.errors += 1;
                return Err(DatagramError::Truncated {
                    version: 0,
                    offset: 0,
                    message: "no version field".into(),
                });
            }
        };
        let mut ctx = Ctx {
            decoder: self,
            exporter,
            received_msec,
            version,
            flows: 0,
            emit,
            ready: Vec::new(),
        };
        let r = match version {
            5 => v5::decode(&mut ctx, datagram),
            9 => v9::decode(&mut ctx, datagram),
            10 => ipfix::decode(&mut ctx, datagram),
            _ => Err(DatagramError::UnsupportedVersion { version }),
        };
        sets::decode_ready(&mut ctx);
        let flows = ctx.flows;
        self.stats.flows += flows as u64;
        if r.is_err() {
            self.stats.errors += 1;
        }
        r.map(|()| flows)
    }

    fn domain(&mut self, key: DomainKey, offset: usize) -> Result<&mut Domain, DatagramError> {
        if !self.domains.contains_key(&key) {
            if self.domains.len() >= self.limits.max_exporters {
                return Err(DatagramError::Limit {
                    version: key.version,
                    offset,
                    message: format!(
                        "{} exporters tracked already; {} ignored",
                        self.limits.max_exporters, key.addr
                    ),
                });
            }
            let sysid = self.next_sysid;
            self.next_sysid = self.next_sysid.wrapping_add(1).max(1);
            self.stats.exporters.insert(
                sysid,
                ExporterStats {
                    sysid,
                    version: key.version,
                    address: Some(key.addr),
                    domain: key.domain,
                    ..Default::default()
                },
            );
            self.domains.insert(
                key,
                Domain {
                    sysid,
                    ..Default::default()
                },
            );
        }
        self.domains
            .get_mut(&key)
            .ok_or_else(|| DatagramError::Malformed {
                version: key.version,
                offset,
                message: "exporter state vanished".into(),
            })
    }
}

/// Everything one datagram's decoding needs.
struct Ctx<'a> {
    decoder: &'a mut NetflowDecoder,
    exporter: IpAddr,
    received_msec: u64,
    version: u16,
    flows: usize,
    emit: &'a mut dyn FnMut(&FlowRecord),
    /// Templates that arrived with held sets waiting: (key, domain, template id, options).
    ready: Vec<(DomainKey, u32, u16, bool)>,
}

impl Ctx<'_> {
    fn truncated(&self, offset: usize, message: impl Into<String>) -> DatagramError {
        DatagramError::Truncated {
            version: self.version,
            offset,
            message: message.into(),
        }
    }
    fn malformed(&self, offset: usize, message: impl Into<String>) -> DatagramError {
        DatagramError::Malformed {
            version: self.version,
            offset,
            message: message.into(),
        }
    }

    fn key(&self, domain: u32) -> DomainKey {
        DomainKey {
            addr: self.exporter,
            version: self.version,
            domain,
        }
    }

    /// Registers the datagram with its exporter's counters and checks its sequence number
    /// against what the previous datagram announced (`next`, kept for the following one) or
    /// `also_ok` (exporters that count the records of the current message, like softflowd).
    fn sequence(
        &mut self,
        domain: u32,
        seq: u32,
        next: [u32; 2],
        also_ok: Option<u32>,
        offset: usize,
    ) -> Result<(), DatagramError> {
        let key = self.key(domain);
        let d = self.decoder.domain(key, offset)?;
        let (sysid, expected) = (d.sysid, d.expected_sequence);
        d.last_sequence = Some(seq);
        d.expected_sequence = Some(next);
        if let Some(s) = self.decoder.stats.exporters.get_mut(&sysid) {
            s.datagrams += 1;
            if let Some(e) = expected
                && !e.contains(&seq)
                && also_ok != Some(seq)
            {
                s.sequence_failures += 1;
                let gap = seq.wrapping_sub(e[0]);
                if gap < 1 << 31 {
                    s.lost += gap as u64;
                }
            }
        }
        Ok(())
    }

    fn exporter_error(&mut self, domain: u32) {
        let key = self.key(domain);
        if let Some(d) = self.decoder.domains.get(&key)
            && let Some(s) = self.decoder.stats.exporters.get_mut(&d.sysid)
        {
            s.errors += 1;
        }
    }

    fn emit(&mut self, sysid: u16, r: &FlowRecord) {
        self.flows += 1;
        if let Some(s) = self.decoder.stats.exporters.get_mut(&sysid) {
            s.flows += 1;
        }
        (self.emit)(r);
    }
}

/// ICMP type and code go to the destination port (`type << 8 | code`), as nfdump stores them:
/// from #32/#139, else from #176..#179, else (v9) zero; a type/code some exporters put in the
/// source port, byte-swapped, moves over first.
fn finish_icmp(r: &mut FlowRecord, p: &Pending, v9: bool) {
    if r.proto != 1 && r.proto != 58 {
        return;
    }
    if r.src_port != 0 {
        r.dst_port = r.src_port.swap_bytes();
        r.src_port = 0;
    }
    if let Some(tc) = p.icmp_type_code.filter(|v| *v != 0) {
        r.dst_port = tc as u16;
    } else if p.icmp_type.is_some() || p.icmp_code.is_some() {
        r.dst_port =
            ((p.icmp_type.unwrap_or(0) as u16) << 8) | (p.icmp_code.unwrap_or(0) as u16 & 0xff);
    } else if v9 {
        r.dst_port = 0;
    }
}

fn scale(r: &mut FlowRecord, sampling: Option<(u64, u64)>) {
    if let Some((packet, space)) = sampling
        && space > 0
        && packet > 0
    {
        let total = packet + space;
        r.in_packets = r.in_packets.saturating_mul(total) / packet;
        r.in_bytes = r.in_bytes.saturating_mul(total) / packet;
        r.out_packets = r.out_packets.saturating_mul(total) / packet;
        r.out_bytes = r.out_bytes.saturating_mul(total) / packet;
    }
}

/// A NetFlow v5 datagram with one TCP flow, for examples and tests.
#[doc(hidden)]
pub fn example_v5_datagram() -> Vec<u8> {
    let mut d = Vec::new();
    d.extend_from_slice(&5u16.to_be_bytes());
    d.extend_from_slice(&1u16.to_be_bytes());
    d.extend_from_slice(&60_000u32.to_be_bytes()); // sysUptime
    d.extend_from_slice(&1_795_601_100u32.to_be_bytes());
    d.extend_from_slice(&452_354_000u32.to_be_bytes());
    d.extend_from_slice(&0u32.to_be_bytes()); // sequence
    d.extend_from_slice(&[0, 0, 0, 0]); // engine, sampling
    d.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2, 0, 0, 0, 0]); // src, dst, next hop
    d.extend_from_slice(&[0, 1, 0, 2]); // input, output
    d.extend_from_slice(&3u32.to_be_bytes()); // packets
    d.extend_from_slice(&180u32.to_be_bytes()); // bytes
    d.extend_from_slice(&50_000u32.to_be_bytes()); // first
    d.extend_from_slice(&59_000u32.to_be_bytes()); // last
    d.extend_from_slice(&[0xc3, 0x50, 0, 80, 0, 0x1b, 6, 0]); // ports, pad, flags, proto, tos
    d.extend_from_slice(&[0, 0, 0, 0, 24, 16, 0, 0]); // AS, masks, pad
    d
}

#[cfg(test)]
mod tests;
