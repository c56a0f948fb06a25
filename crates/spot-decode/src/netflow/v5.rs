//! NetFlow v5: a 24-byte header and fixed 48-byte records.

use std::net::{IpAddr, Ipv4Addr};

use super::{Ctx, DatagramError};
use crate::flow::FlowRecord;

const HEADER_LEN: usize = 24;
const RECORD_LEN: usize = 48;

fn be16(b: &[u8], o: usize) -> u16 {
    u16::from_be_bytes([b[o], b[o + 1]])
}
fn be32(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
fn v4(b: &[u8], o: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(b[o], b[o + 1], b[o + 2], b[o + 3]))
}

pub(super) fn decode(ctx: &mut Ctx<'_>, d: &[u8]) -> Result<(), DatagramError> {
    if d.len() < HEADER_LEN {
        return Err(ctx.truncated(d.len(), "shorter than the 24-byte v5 header"));
    }
    let count = be16(d, 2) as usize;
    let need = HEADER_LEN + count * RECORD_LEN;
    let engine_tag = be16(d, 20);
    if d.len() < need {
        ctx.decoder.domain(ctx.key(engine_tag as u32), 0)?;
        ctx.exporter_error(engine_tag as u32);
        return Err(ctx.truncated(
            d.len(),
            format!("header announces {count} records ({need} bytes)"),
        ));
    }
    let uptime = be32(d, 4) as u64;
    let secs = be32(d, 8) as u64;
    let nsecs = be32(d, 12) as u64;
    let seq = be32(d, 16);
    let next = seq.wrapping_add(count as u32);
    ctx.sequence(engine_tag as u32, seq, [next, next], None, 0)?;
    let sysid = ctx.decoder.domains[&ctx.key(engine_tag as u32)].sysid;
    let boot = (secs * 1000 + nsecs / 1_000_000).wrapping_sub(uptime);
    // Header sampling: 2 bits mode, 14 bits interval; nfdump scales from interval 3 up.
    let interval = (be16(d, 22) & 0x3fff) as u64;
    let router = Some(ctx.exporter);
    for i in 0..count {
        let r = &d[HEADER_LEN + i * RECORD_LEN..HEADER_LEN + (i + 1) * RECORD_LEN];
        let first = be32(r, 24) as u64;
        let last = be32(r, 28) as u64;
        let (mut start, mut end) = if first > last {
            // The uptime counter wrapped between the flow's start and end.
            (
                boot.wrapping_sub(1 << 32).wrapping_add(first),
                boot.wrapping_add(last),
            )
        } else {
            (boot.wrapping_add(first), boot.wrapping_add(last))
        };
        if last > uptime && last - uptime > 100_000 {
            // The counter wrapped after the flow ended but before it was exported.
            start = start.wrapping_sub(1 << 32);
            end = end.wrapping_sub(1 << 32);
        }
        let mut f = FlowRecord {
            msec_first: start,
            msec_last: end,
            msec_received: ctx.received_msec,
            src_addr: v4(r, 0),
            dst_addr: v4(r, 4),
            next_hop: (be32(r, 8) != 0).then(|| v4(r, 8)),
            input: be16(r, 12) as u32,
            output: be16(r, 14) as u32,
            in_packets: be32(r, 16) as u64,
            in_bytes: be32(r, 20) as u64,
            src_port: be16(r, 32),
            dst_port: be16(r, 34),
            tcp_flags: r[37],
            proto: r[38],
            src_tos: r[39],
            src_as: be16(r, 40) as u32,
            dst_as: be16(r, 42) as u32,
            // nfdump does not keep v5's prefix masks.
            router,
            engine_type: (engine_tag >> 8) as u8,
            engine_id: engine_tag as u8,
            exporter_id: sysid,
            ..FlowRecord::default()
        };
        if interval > 2 {
            f.in_packets = f.in_packets.saturating_mul(interval);
            f.in_bytes = f.in_bytes.saturating_mul(interval);
        }
        if f.proto == 1 && f.src_port != 0 {
            f.dst_port = f.src_port.swap_bytes();
            f.src_port = 0;
        }
        ctx.emit(sysid, &f);
    }
    Ok(())
}
