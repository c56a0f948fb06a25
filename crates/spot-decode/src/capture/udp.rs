//! UDP headers.

use super::be16;

/// A UDP datagram's ports and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Udp<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Payload, as long as the header's length field says (and was captured).
    pub payload: &'a [u8],
}

/// Parses a UDP datagram; `None` if the header is cut or its length is inconsistent.
#[inline]
pub fn parse(b: &[u8]) -> Option<Udp<'_>> {
    let src_port = be16(b, 0)?;
    let dst_port = be16(b, 2)?;
    let len = be16(b, 4)? as usize;
    // Length 0 is used for jumbograms over IPv6: take what is there.
    let payload = if len == 0 {
        b.get(8..)?
    } else if len < 8 {
        return None;
    } else {
        b.get(8..len)?
    };
    Some(Udp {
        src_port,
        dst_port,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udp() {
        let d = [0, 53, 0xc0, 0, 0, 11, 0, 0, b'a', b'b', b'c', 0];
        let u = parse(&d).unwrap();
        assert_eq!(
            (u.src_port, u.dst_port, u.payload),
            (53, 49152, &b"abc"[..])
        );
        assert!(parse(&d[..7]).is_none());
        assert!(parse(&[0, 53, 0, 53, 0, 20, 0, 0]).is_none());
        assert!(parse(&[0, 53, 0, 53, 0, 4, 0, 0]).is_none());
    }
}
