//! NetFlow v9 (RFC 3954): a 20-byte header, then template (0), options template (1) and data
//! (>= 256) flowsets.

use super::sets::{self, Clock};
use super::template::Field;
use super::{Ctx, DatagramError};

const HEADER_LEN: usize = 20;

fn be16(b: &[u8], o: usize) -> u16 {
    u16::from_be_bytes([b[o], b[o + 1]])
}
fn be32(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

pub(super) fn decode(ctx: &mut Ctx<'_>, d: &[u8]) -> Result<(), DatagramError> {
    if d.len() < HEADER_LEN {
        return Err(ctx.truncated(d.len(), "shorter than the 20-byte v9 header"));
    }
    let uptime = be32(d, 4) as u64;
    let secs = be32(d, 8) as u64;
    let seq = be32(d, 12);
    let source_id = be32(d, 16);
    let next = seq.wrapping_add(1);
    ctx.sequence(source_id, seq, [next, next], None, 0)?;
    let clock = Clock::V9 {
        boot_msec: (secs * 1000).wrapping_sub(uptime),
    };
    // nfdump takes the engine type and id from the source id's low 16 bits.
    let engine = ((source_id >> 8) as u8, source_id as u8);
    let mut first_error = None;
    sets::walk(
        ctx,
        d,
        HEADER_LEN,
        "flowset",
        &mut first_error,
        |ctx, id, body, at| match id {
            0 => templates(ctx, source_id, body, at),
            1 => options_templates(ctx, source_id, body, at),
            2..=255 => {
                ctx.decoder.stats.skipped_sets += 1;
                Ok(())
            }
            _ => sets::data(ctx, source_id, id, body, at, clock, engine).map(|_| ()),
        },
    );
    match first_error {
        Some(e) => {
            ctx.exporter_error(source_id);
            Err(e)
        }
        None => Ok(()),
    }
}

fn fields(b: &[u8], n: usize) -> Vec<Field> {
    (0..n)
        .map(|i| Field {
            id: be16(b, 4 * i),
            len: be16(b, 4 * i + 2),
            enterprise: false,
        })
        .collect()
}

fn templates(
    ctx: &mut Ctx<'_>,
    domain: u32,
    body: &[u8],
    offset: usize,
) -> Result<(), DatagramError> {
    let mut pos = 0;
    while body.len() - pos >= 4 {
        let tid = be16(body, pos);
        let n = be16(body, pos + 2) as usize;
        let end = pos + 4 + 4 * n;
        if end > body.len() {
            return Err(ctx.truncated(offset + pos, format!("template {tid} with {n} fields")));
        }
        if tid < 256 {
            return Err(ctx.malformed(offset + pos, format!("template id {tid} < 256")));
        }
        sets::store(
            ctx,
            domain,
            tid,
            fields(&body[pos + 4..end], n),
            false,
            offset + pos,
        )?;
        pos = end;
    }
    Ok(())
}

fn options_templates(
    ctx: &mut Ctx<'_>,
    domain: u32,
    body: &[u8],
    offset: usize,
) -> Result<(), DatagramError> {
    let mut pos = 0;
    // Each: template id, scope length and option length in bytes, then the fields; padding
    // may follow the last one.
    while body.len() - pos >= 10 {
        let tid = be16(body, pos);
        let scope = be16(body, pos + 2) as usize;
        let opts = be16(body, pos + 4) as usize;
        let n = (scope + opts) / 4;
        let end = pos + 6 + 4 * n;
        if end > body.len() {
            return Err(ctx.truncated(offset + pos, format!("options template {tid}")));
        }
        if tid < 256 {
            return Err(ctx.malformed(offset + pos, format!("options template id {tid} < 256")));
        }
        sets::store(
            ctx,
            domain,
            tid,
            fields(&body[pos + 6..end], n),
            true,
            offset + pos,
        )?;
        pos = end;
    }
    Ok(())
}
