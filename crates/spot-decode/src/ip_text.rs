//! Addresses as text without the formatting machinery: they are written for every row of the
//! DNS and flow readers.

use std::net::IpAddr;

/// Lowercase hexadecimal digits.
pub(crate) const HEX: &[u8; 16] = b"0123456789abcdef";

/// The two lowercase hexadecimal digits of every byte value, as the little-endian bytes of a
/// `u16` (the high digit first in memory).
const HEX_PAIRS: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = HEX[i >> 4] as u16 | (HEX[i & 15] as u16) << 8;
        i += 1;
    }
    t
};

/// The decimal text of every byte value, each in a 3-byte slot (padded with spaces).
const OCTET_SLOTS: [u8; 768] = {
    let mut t = [b' '; 768];
    let mut i = 0;
    while i < 256 {
        let (h, d, u) = ((i / 100) as u8, (i / 10 % 10) as u8, (i % 10) as u8);
        let at = i * 3;
        if i >= 100 {
            t[at] = b'0' + h;
            t[at + 1] = b'0' + d;
            t[at + 2] = b'0' + u;
        } else if i >= 10 {
            t[at] = b'0' + d;
            t[at + 1] = b'0' + u;
        } else {
            t[at] = b'0' + u;
        }
        i += 1;
    }
    t
};

/// [`OCTET_SLOTS`] as text (all ASCII), so that slices of it are `&str` without a check.
static OCTET_TEXT: &str = match std::str::from_utf8(&OCTET_SLOTS) {
    Ok(s) => s,
    Err(_) => panic!("octet table is ASCII"),
};

/// The decimal text of one byte value.
pub(crate) fn octet(o: u8) -> &'static str {
    let at = o as usize * 3;
    let len = 1 + (o >= 10) as usize + (o >= 100) as usize;
    &OCTET_TEXT[at..at + len]
}

/// The decimal text of every byte value followed by a dot, as the little-endian bytes of the
/// low 32 bits, and the text's length (dot included) in the high 32 bits.
const OCTET_DOT: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let len = 1 + (i >= 10) as usize + (i >= 100) as usize;
        let mut v = (b'.' as u64) << (8 * len);
        let mut k = 0;
        while k < len {
            v |= (OCTET_SLOTS[i * 3 + k] as u64) << (8 * k);
            k += 1;
        }
        t[i] = v | ((len as u64 + 1) << 32);
        i += 1;
    }
    t
};

/// An IPv4 address in dotted decimal as the little-endian bytes of a `u128`, and its length:
/// built in registers, so that it can be stored whole (a copy of text just written byte by
/// byte to memory would stall on its load).
pub(crate) fn ipv4_word(a: std::net::Ipv4Addr) -> (u128, usize) {
    let (mut w, mut bits) = (0u128, 0);
    for o in a.octets() {
        let t = OCTET_DOT[o as usize];
        w |= ((t & 0xffff_ffff) as u128) << bits;
        bits += 8 * (t >> 32);
    }
    // Without the last octet's dot.
    (w, bits as usize / 8 - 1)
}

/// An IPv4 address in dotted decimal: the text is the first `len` bytes of the array (which
/// callers may copy whole, a fixed-size copy, and then count `len`).
pub(crate) fn ipv4_text(a: std::net::Ipv4Addr) -> ([u8; 16], usize) {
    let (w, len) = ipv4_word(a);
    (w.to_le_bytes(), len)
}

/// Appends an IPv4 address in dotted decimal.
#[cfg(test)]
pub(crate) fn push_ipv4_bytes(out: &mut Vec<u8>, a: std::net::Ipv4Addr) {
    let (t, n) = ipv4_text(a);
    // A fixed-size copy (stores, no call to `memcpy` for a variable length), then the length.
    let at = out.len();
    out.extend_from_slice(&t);
    out.truncate(at + n);
}

/// Appends an address in the usual text form; IPv4 without the formatting machinery.
pub(crate) fn push_ip(out: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            out.reserve(15);
            out.push_str(octet(a));
            out.push('.');
            out.push_str(octet(b));
            out.push('.');
            out.push_str(octet(c));
            out.push('.');
            out.push_str(octet(d));
        }
        IpAddr::V6(v6) => push_ipv6(out, v6),
    }
}

/// Appends an IPv6 address as `Ipv6Addr`'s `Display` writes it (see [`ipv6_text`]).
pub(crate) fn push_ipv6(out: &mut String, v6: std::net::Ipv6Addr) {
    let (t, n) = ipv6_text(v6);
    // ASCII by construction.
    out.push_str(std::str::from_utf8(&t[..n]).unwrap_or_default());
}

/// An IPv6 address as `Ipv6Addr`'s `Display` writes it (RFC 5952: lowercase, the first
/// longest run of two or more zero groups as `::`, IPv4-mapped addresses as `::ffff:a.b.c.d`),
/// without the formatting machinery: the text is the first `len` bytes of the array (at most
/// 39), which callers may copy whole. The array has room for the 4-byte stores of hex groups
/// past the text's end.
#[inline]
pub(crate) fn ipv6_text(v6: std::net::Ipv6Addr) -> ([u8; 44], usize) {
    let mut t = [0u8; 44];
    if let Some(v4) = v6.to_ipv4_mapped() {
        t[..7].copy_from_slice(b"::ffff:");
        let (text, len) = ipv4_text(v4);
        t[7..23].copy_from_slice(&text);
        return (t, 7 + len);
    }
    let g = v6.segments();
    let (mut best, mut best_len, mut run, mut run_len) = (0, 0, 0, 0);
    for (i, &x) in g.iter().enumerate() {
        if x == 0 {
            if run_len == 0 {
                run = i;
            }
            run_len += 1;
            if run_len > best_len {
                (best, best_len) = (run, run_len);
            }
        } else {
            run_len = 0;
        }
    }
    // Groups `from..to`, joined by `:`, written at `n`; returns the new end.
    let groups = |t: &mut [u8; 44], mut n: usize, from: usize, to: usize| {
        for (i, &x) in g[from..to].iter().enumerate() {
            if i > 0 {
                t[n] = b':';
                n += 1;
            }
            // Hex digits without leading zeros, at least one: the four digits are formed in
            // a register, the leading zeros shifted out and the rest stored at once (a
            // digit loop of random length mispredicts).
            let digits = ((19 - x.leading_zeros() as usize) / 4).max(1);
            let w =
                HEX_PAIRS[(x >> 8) as usize] as u32 | (HEX_PAIRS[(x & 0xff) as usize] as u32) << 16;
            // A group starts at 38 at most (the text ends by 39), so 4 bytes fit.
            t[n..n + 4].copy_from_slice(&(w >> (8 * (4 - digits))).to_le_bytes());
            n += digits;
        }
        n
    };
    if best_len < 2 {
        let n = groups(&mut t, 0, 0, 8);
        return (t, n);
    }
    let mut n = groups(&mut t, 0, 0, best);
    t[n..n + 2].copy_from_slice(b"::");
    n = groups(&mut t, n + 2, best + best_len, 8);
    (t, n)
}
