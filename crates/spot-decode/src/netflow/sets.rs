//! Template and data sets, shared by NetFlow v9 and IPFIX.

use std::sync::Arc;

use super::template::{self, Field, Pending, Template};
use super::{Ctx, DatagramError, DomainKey, HeldSet, finish_icmp, scale};
use crate::flow::FlowRecord;

/// How a version turns a record's times into absolute milliseconds.
#[derive(Debug, Clone, Copy)]
pub(super) enum Clock {
    /// v9: relative times count from the exporter's boot, `unix_secs * 1000 - sysUptime`.
    V9 { boot_msec: u64 },
    /// IPFIX: absolute times, or relative to the system init time (#160) announced in options
    /// data or in the record itself.
    Ipfix,
}

pub(super) fn is_mapped(id: u16) -> bool {
    let mut r = FlowRecord::default();
    let mut p = Pending::default();
    template::apply(id, &[0; 4], &mut r, &mut p) || template::apply(id, &[0; 16], &mut r, &mut p)
}

/// Walks the sets (v9: flowsets) of message `d` from byte `start`: each set's id, body and the
/// body's offset go to `each`. A set header claiming fewer than 4 or more than the remaining
/// bytes ends the walk. An error in one set does not stop the following ones; the first error,
/// of the walk or of `each`, is kept in `first_error`. `what` names a set in messages.
pub(super) fn walk<'a>(
    ctx: &mut Ctx<'a>,
    d: &[u8],
    start: usize,
    what: &str,
    first_error: &mut Option<DatagramError>,
    mut each: impl FnMut(&mut Ctx<'a>, u16, &[u8], usize) -> Result<(), DatagramError>,
) {
    let mut pos = start;
    while d.len() - pos >= 4 {
        let id = u16::from_be_bytes([d[pos], d[pos + 1]]);
        let len = u16::from_be_bytes([d[pos + 2], d[pos + 3]]) as usize;
        if len < 4 {
            first_error.get_or_insert(ctx.malformed(pos, format!("{what} length {len} < 4")));
            return;
        }
        if pos + len > d.len() {
            let left = d.len() - pos;
            first_error.get_or_insert(
                ctx.truncated(pos, format!("{what} {id} of {len} bytes, {left} left")),
            );
            return;
        }
        if let Err(e) = each(ctx, id, &d[pos + 4..pos + len], pos + 4) {
            first_error.get_or_insert(e);
        }
        pos += len;
    }
}

/// Stores (or refreshes) template `tid` of the exporter's `domain`.
pub(super) fn store(
    ctx: &mut Ctx<'_>,
    domain: u32,
    tid: u16,
    fields: Vec<Field>,
    options: bool,
    offset: usize,
) -> Result<(), DatagramError> {
    let limits = ctx.decoder.limits;
    if fields.len() > limits.max_fields_per_template {
        return Err(DatagramError::Limit {
            version: ctx.version,
            offset,
            message: format!(
                "template {tid} has {} fields, more than {}",
                fields.len(),
                limits.max_fields_per_template
            ),
        });
    }
    let key = ctx.key(domain);
    let d = ctx.decoder.domain(key, offset)?;
    if !d.templates.contains_key(&tid) && d.templates.len() >= limits.max_templates_per_exporter {
        return Err(DatagramError::Limit {
            version: ctx.version,
            offset,
            message: format!(
                "exporter has {} templates already; template {tid} ignored",
                limits.max_templates_per_exporter
            ),
        });
    }
    let t = Template::new(fields, options);
    let new = d.templates.get(&tid).is_none_or(|old| **old != t);
    d.templates.insert(tid, Arc::new(t.clone()));
    if new {
        let stats = &mut ctx.decoder.stats;
        if options {
            stats.options_templates += 1;
        } else {
            stats.templates += 1;
            for f in &t.fields {
                if f.enterprise {
                    *stats.skipped_fields.entry(0x8000 | f.id).or_default() += 1;
                } else if !is_mapped(f.id) {
                    *stats.skipped_fields.entry(f.id).or_default() += 1;
                }
            }
        }
    }
    if ctx.decoder.held.sets.contains_key(&(key, tid)) {
        // Decoded once the whole datagram is read: options data later in it (system init
        // time, sampling) must apply to the held flows too.
        ctx.ready.push((key, domain, tid, options));
    }
    Ok(())
}

/// Decodes the sets held for the templates this datagram brought (options templates first).
pub(super) fn decode_ready(ctx: &mut Ctx<'_>) {
    let mut ready = std::mem::take(&mut ctx.ready);
    ready.sort_by_key(|r| !r.3);
    for (key, domain, tid, _) in ready {
        decode_held(ctx, key, domain, tid);
    }
}

/// Keeps a data set whose template `tid` is not known yet, within the [`super::Limits`].
fn hold(ctx: &mut Ctx<'_>, key: DomainKey, tid: u16, set: HeldSet) {
    let limits = ctx.decoder.limits;
    let (held, stats) = (&mut ctx.decoder.held, &mut ctx.decoder.stats);
    if limits.max_held_sets_per_template == 0 {
        stats.held.not_held += 1;
        stats.missing_template += 1;
        return;
    }
    let queue = held.sets.get(&(key, tid));
    let full = queue.is_some_and(|q| q.len() >= limits.max_held_sets_per_template);
    // A full queue makes room by dropping its oldest set; otherwise the totals must allow one more.
    let freed = if full {
        queue.and_then(|q| q.front()).map_or(0, |h| h.body.len())
    } else {
        0
    };
    if (!full && held.count >= limits.max_held_sets)
        || held.bytes - freed + set.body.len() > limits.max_held_bytes
    {
        stats.held.over_total_cap += 1;
        stats.missing_template += 1;
        return;
    }
    let q = held.sets.entry((key, tid)).or_default();
    if full && let Some(old) = q.pop_front() {
        held.count -= 1;
        held.bytes -= old.body.len();
        stats.held.over_template_cap += 1;
        stats.missing_template += 1;
    }
    held.count += 1;
    held.bytes += set.body.len();
    if held.count == 1 {
        held.next_expiry = set.received_msec.saturating_add(limits.held_timeout_msec);
    }
    q.push_back(set);
    stats.held.held += 1;
    stats.held.waiting = held.count as u64;
}

/// Decodes the sets held for template `tid`, now that it has arrived, with the receive time
/// and clock of the datagram each came in.
fn decode_held(ctx: &mut Ctx<'_>, key: DomainKey, domain: u32, tid: u16) {
    let Some(queue) = ctx.decoder.held.sets.remove(&(key, tid)) else {
        return;
    };
    let received = ctx.received_msec;
    for h in queue {
        let held = &mut ctx.decoder.held;
        held.count -= 1;
        held.bytes -= h.body.len();
        ctx.decoder.stats.held.decoded += 1;
        ctx.received_msec = h.received_msec;
        let r = data(ctx, domain, tid, &h.body, h.offset, h.clock, h.engine);
        ctx.received_msec = received;
        if r.is_err() {
            // The error belongs to an earlier datagram: counted, not returned with this one.
            ctx.decoder.stats.errors += 1;
            ctx.exporter_error(domain);
        }
    }
    ctx.decoder.stats.held.waiting = ctx.decoder.held.count as u64;
}

/// Withdraws template `tid`, or every template of the kind when `tid` is `None`.
pub(super) fn withdraw(ctx: &mut Ctx<'_>, domain: u32, tid: Option<u16>, options: bool) {
    let key = ctx.key(domain);
    if let Some(d) = ctx.decoder.domains.get_mut(&key) {
        let before = d.templates.len();
        match tid {
            Some(t) => {
                d.templates.remove(&t);
            }
            None => d.templates.retain(|_, t| t.options != options),
        }
        ctx.decoder.stats.templates_withdrawn += (before - d.templates.len()) as u64;
    }
}

/// Decodes the records of data set `tid`; returns how many records it held.
pub(super) fn data(
    ctx: &mut Ctx<'_>,
    domain: u32,
    tid: u16,
    body: &[u8],
    offset: usize,
    clock: Clock,
    engine: (u8, u8),
) -> Result<usize, DatagramError> {
    let key = ctx.key(domain);
    let Some((sysid, t)) = ctx
        .decoder
        .domains
        .get(&key)
        .and_then(|d| Some((d.sysid, d.templates.get(&tid).cloned()?)))
    else {
        let set = HeldSet {
            body: body.to_vec(),
            received_msec: ctx.received_msec,
            offset,
            clock,
            engine,
        };
        hold(ctx, key, tid, set);
        return Ok(0);
    };
    let mut pos = 0;
    let mut records = 0;
    while body.len() - pos >= t.min_len.max(1) {
        let mut r = FlowRecord {
            msec_received: ctx.received_msec,
            router: Some(ctx.exporter),
            engine_type: engine.0,
            engine_id: engine.1,
            exporter_id: sysid,
            ..FlowRecord::default()
        };
        let mut p = Pending::default();
        let used = template::walk_record(&t, &body[pos..], |f, v| {
            if !f.enterprise {
                template::apply(f.id, v, &mut r, &mut p);
            }
        });
        let Some(used) = used.filter(|n| *n > 0) else {
            if body.len() - pos < 4 {
                break; // padding
            }
            return Err(ctx.malformed(
                offset + pos,
                format!("record of template {tid} runs past the end of its set"),
            ));
        };
        pos += used;
        records += 1;
        if t.options {
            ctx.decoder.stats.options_records += 1;
            options_record(ctx, &key, &p);
            continue;
        }
        finish(ctx, &key, &mut r, &p, clock);
        ctx.emit(sysid, &r);
    }
    Ok(records)
}

/// Exporter metadata from an options record: sampling and system init time.
fn options_record(ctx: &mut Ctx<'_>, key: &super::DomainKey, p: &Pending) {
    let Some(d) = ctx.decoder.domains.get_mut(key) else {
        return;
    };
    if let Some(t) = p.sys_init_msec {
        d.sys_init_msec = Some(t);
    }
    if p.packet_interval.is_some() || p.packet_space.is_some() {
        let (mut packet, mut space) = (p.packet_interval.unwrap_or(0), p.packet_space.unwrap_or(0));
        if packet == 0 {
            packet = 1;
            space = space.saturating_sub(1);
        }
        d.sampling = Some((packet, space));
    } else if let Some(interval) = p.sampling_interval {
        d.sampling = Some((1, interval.saturating_sub(1)));
    }
}

fn finish(ctx: &Ctx<'_>, key: &super::DomainKey, r: &mut FlowRecord, p: &Pending, clock: Clock) {
    let d = &ctx.decoder.domains[key];
    if let Some(t) = p.engine_type.filter(|v| *v != 0) {
        r.engine_type = t as u8;
    }
    if let Some(t) = p.engine_id.filter(|v| *v != 0) {
        r.engine_id = t as u8;
    }
    // Absolute times first (#152/#153, #150/#151 in seconds).
    if let Some(s) = p.sec_first {
        r.msec_first = s.saturating_mul(1000);
    }
    if let Some(s) = p.sec_last {
        r.msec_last = s.saturating_mul(1000);
    }
    if let Some(m) = p.msec_first {
        r.msec_first = m;
    }
    if let Some(m) = p.msec_last {
        r.msec_last = m;
    }
    match clock {
        Clock::V9 { boot_msec } => {
            if let Some(last) = p.sysup_last.filter(|v| *v != 0) {
                let first = p.sysup_first.unwrap_or(0);
                r.msec_first = if first > last {
                    // Uptime wrapped between the flow's start and end.
                    boot_msec.wrapping_sub(1 << 32).wrapping_add(first)
                } else {
                    boot_msec.wrapping_add(first)
                };
                r.msec_last = boot_msec.wrapping_add(last);
            }
        }
        Clock::Ipfix => {
            if r.msec_first != 0
                && r.msec_last == 0
                && let Some(dur) = p.duration_msec
            {
                r.msec_last = r.msec_first.wrapping_add(dur);
            }
            if let Some(first) = p.sysup_first
                && let Some(base) = p.sys_init_msec.or(d.sys_init_msec)
            {
                r.msec_first = base.wrapping_add(first);
                r.msec_last = base.wrapping_add(p.sysup_last.unwrap_or(first));
            }
        }
    }
    finish_icmp(r, p, matches!(clock, Clock::V9 { .. }));
    scale(r, d.sampling);
}
