//! IPFIX (RFC 7011): a 16-byte message header, then template (2), options template (3) and data
//! (>= 256) sets. Fields may be variable-length or enterprise-specific (skipped); a template
//! record with no fields withdraws the template (all templates of the set's kind when its id
//! is the set id).

use super::sets::{self, Clock};
use super::template::Field;
use super::{Ctx, DatagramError};

const HEADER_LEN: usize = 16;

fn be16(b: &[u8], o: usize) -> u16 {
    u16::from_be_bytes([b[o], b[o + 1]])
}
fn be32(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

pub(super) fn decode(ctx: &mut Ctx<'_>, d: &[u8]) -> Result<(), DatagramError> {
    if d.len() < HEADER_LEN {
        return Err(ctx.truncated(d.len(), "shorter than the 16-byte IPFIX header"));
    }
    let length = be16(d, 2) as usize;
    let seq = be32(d, 8);
    let domain = be32(d, 12);
    let key = ctx.key(domain);
    ctx.decoder.domain(key, 0)?;
    let mut first_error = None;
    let d = if length < HEADER_LEN || length > d.len() {
        first_error = Some(ctx.malformed(
            2,
            format!("message length {length}, datagram of {} bytes", d.len()),
        ));
        d
    } else {
        &d[..length]
    };
    let (mut records, mut flows) = (0usize, 0usize);
    sets::walk(
        ctx,
        d,
        HEADER_LEN,
        "set",
        &mut first_error,
        |ctx, id, body, at| match id {
            2 => templates(ctx, domain, body, at, false),
            3 => templates(ctx, domain, body, at, true),
            0..=255 => {
                ctx.decoder.stats.skipped_sets += 1;
                Ok(())
            }
            _ => {
                let flows_before = ctx.flows;
                sets::data(ctx, domain, id, body, at, Clock::Ipfix, (0, 0)).map(|n| {
                    records += n;
                    flows += ctx.flows - flows_before;
                })
            }
        },
    );
    // The sequence number counts the data records sent before this message (RFC 7011);
    // some exporters count flow records only, or include this message's.
    let last = ctx.decoder.domains.get(&key).and_then(|d| d.last_sequence);
    let next = [
        seq.wrapping_add(records as u32),
        seq.wrapping_add(flows as u32),
    ];
    let also_ok = last.map(|l| l.wrapping_add(flows as u32));
    ctx.sequence(domain, seq, next, also_ok, 0)?;
    match first_error {
        Some(e) => {
            ctx.exporter_error(domain);
            Err(e)
        }
        None => Ok(()),
    }
}

fn templates(
    ctx: &mut Ctx<'_>,
    domain: u32,
    body: &[u8],
    offset: usize,
    options: bool,
) -> Result<(), DatagramError> {
    let set_id = if options { 3 } else { 2 };
    let mut pos = 0;
    while body.len() - pos >= 4 {
        let tid = be16(body, pos);
        let n = be16(body, pos + 2) as usize;
        if n == 0 {
            let which = (tid != set_id).then_some(tid);
            sets::withdraw(ctx, domain, which, options);
            pos += 4;
            continue;
        }
        let mut p = pos + if options { 6 } else { 4 };
        if options && body.len() < p {
            return Err(ctx.truncated(offset + pos, format!("options template {tid}")));
        }
        if tid < 256 {
            return Err(ctx.malformed(offset + pos, format!("template id {tid} < 256")));
        }
        if n > ctx.decoder.limits.max_fields_per_template {
            return Err(DatagramError::Limit {
                version: 10,
                offset: offset + pos,
                message: format!("template {tid} has {n} fields"),
            });
        }
        let mut fields = Vec::with_capacity(n);
        for _ in 0..n {
            if body.len() < p + 4 {
                return Err(ctx.truncated(offset + p, format!("template {tid} field list")));
            }
            let raw = be16(body, p);
            let len = be16(body, p + 2);
            p += 4;
            let enterprise = raw & 0x8000 != 0;
            if enterprise {
                if body.len() < p + 4 {
                    return Err(ctx.truncated(offset + p, "enterprise number"));
                }
                p += 4;
            }
            fields.push(Field {
                id: raw & 0x7fff,
                len,
                enterprise,
            });
        }
        sets::store(ctx, domain, tid, fields, options, offset + pos)?;
        pos = p;
    }
    Ok(())
}
