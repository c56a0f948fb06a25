//! Addresses as text without the formatting machinery: they are written for every row of the
//! DNS and flow readers.

use std::fmt::Write as _;
use std::net::IpAddr;

/// Lowercase hexadecimal digits.
pub(crate) const HEX: &[u8; 16] = b"0123456789abcdef";

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

/// An IPv4 address in dotted decimal: the text is the first `len` bytes of the array (which
/// callers may copy whole, a fixed-size copy, and then count `len`).
pub(crate) fn ipv4_text(a: std::net::Ipv4Addr) -> ([u8; 16], usize) {
    // Each octet's 3-byte slot is copied whole, then the cursor moves past its digits; the
    // last slot and dot land inside the 16 bytes.
    let mut t = [0u8; 16];
    let mut n = 0;
    for o in a.octets() {
        let at = o as usize * 3;
        t[n..n + 3].copy_from_slice(&OCTET_SLOTS[at..at + 3]);
        n += 1 + (o >= 10) as usize + (o >= 100) as usize;
        t[n] = b'.';
        n += 1;
    }
    (t, n - 1)
}

/// Appends an IPv4 address in dotted decimal.
pub(crate) fn push_ipv4_bytes(out: &mut Vec<u8>, a: std::net::Ipv4Addr) {
    let (t, n) = ipv4_text(a);
    out.extend_from_slice(&t[..n]);
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

/// Appends an IPv6 address as `Ipv6Addr`'s `Display` writes it (RFC 5952: lowercase, the
/// first longest run of two or more zero groups as `::`), without the formatting machinery.
pub(crate) fn push_ipv6(out: &mut String, v6: std::net::Ipv6Addr) {
    let g = v6.segments();
    if v6.to_ipv4_mapped().is_some() {
        // `::ffff:a.b.c.d`: rare, left to the standard library.
        let _ = write!(out, "{v6}");
        return;
    }
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
    let push_group = |out: &mut String, x: u16| {
        let mut started = false;
        for shift in [12, 8, 4, 0] {
            let d = (x >> shift) & 15;
            if d != 0 || started || shift == 0 {
                started = true;
                out.push(HEX[d as usize] as char);
            }
        }
    };
    if best_len < 2 {
        for (i, &x) in g.iter().enumerate() {
            if i > 0 {
                out.push(':');
            }
            push_group(out, x);
        }
        return;
    }
    for (i, &x) in g[..best].iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        push_group(out, x);
    }
    out.push_str("::");
    for (i, &x) in g[best + best_len..].iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        push_group(out, x);
    }
}
