//! Link layers: from a frame to its IPv4 or IPv6 packet.

use super::{be16, be32};

/// LINKTYPE_NULL: BSD loopback, 4-byte address family in the capturing host's byte order.
pub const LINKTYPE_NULL: u32 = 0;
/// LINKTYPE_ETHERNET.
pub const LINKTYPE_ETHERNET: u32 = 1;
/// LINKTYPE_RAW (also written as DLT 12 and 14 by some systems).
pub const LINKTYPE_RAW: u32 = 101;
/// LINKTYPE_LOOP: OpenBSD loopback, address family in network byte order.
pub const LINKTYPE_LOOP: u32 = 108;
/// LINKTYPE_LINUX_SLL: Linux cooked capture v1.
pub const LINKTYPE_LINUX_SLL: u32 = 113;
/// LINKTYPE_IPV4.
pub const LINKTYPE_IPV4: u32 = 228;
/// LINKTYPE_IPV6.
pub const LINKTYPE_IPV6: u32 = 229;
/// LINKTYPE_LINUX_SLL2: Linux cooked capture v2.
pub const LINKTYPE_LINUX_SLL2: u32 = 276;

/// Most VLAN tags we peel before giving up (QinQ uses 2).
const MAX_VLAN_TAGS: usize = 8;

/// The network layer a frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network<'a> {
    /// IPv4 packet bytes.
    Ipv4(&'a [u8]),
    /// IPv6 packet bytes.
    Ipv6(&'a [u8]),
}

/// Why a frame has no IP packet for us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkSkip {
    /// A link type we do not decode.
    UnsupportedLinkType,
    /// The frame ends inside the link header.
    Truncated,
    /// A non-IP payload (ARP, LLDP, ...).
    NotIp,
}

fn by_ethertype(ethertype: u16, payload: &[u8]) -> Result<Network<'_>, LinkSkip> {
    match ethertype {
        0x0800 => Ok(Network::Ipv4(payload)),
        0x86dd => Ok(Network::Ipv6(payload)),
        _ => Err(LinkSkip::NotIp),
    }
}

fn by_version(payload: &[u8]) -> Result<Network<'_>, LinkSkip> {
    match payload.first().map(|b| b >> 4) {
        Some(4) => Ok(Network::Ipv4(payload)),
        Some(6) => Ok(Network::Ipv6(payload)),
        Some(_) => Err(LinkSkip::NotIp),
        None => Err(LinkSkip::Truncated),
    }
}

/// BSD address families meaning IPv6 (Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, macOS 30).
fn family(af: u32, payload: &[u8]) -> Result<Network<'_>, LinkSkip> {
    match af {
        2 => Ok(Network::Ipv4(payload)),
        10 | 24 | 28 | 30 => Ok(Network::Ipv6(payload)),
        _ => Err(LinkSkip::NotIp),
    }
}

/// Strips the link header of `data` for `link_type`.
pub fn network(link_type: u32, data: &[u8]) -> Result<Network<'_>, LinkSkip> {
    match link_type {
        LINKTYPE_ETHERNET => {
            let mut ethertype = be16(data, 12).ok_or(LinkSkip::Truncated)?;
            let mut at = 14;
            let mut tags = 0;
            while matches!(ethertype, 0x8100 | 0x88a8 | 0x9100) {
                tags += 1;
                if tags > MAX_VLAN_TAGS {
                    return Err(LinkSkip::NotIp);
                }
                ethertype = be16(data, at + 2).ok_or(LinkSkip::Truncated)?;
                at += 4;
            }
            by_ethertype(ethertype, data.get(at..).ok_or(LinkSkip::Truncated)?)
        }
        LINKTYPE_LINUX_SLL => {
            let proto = be16(data, 14).ok_or(LinkSkip::Truncated)?;
            by_ethertype(proto, data.get(16..).ok_or(LinkSkip::Truncated)?)
        }
        LINKTYPE_LINUX_SLL2 => {
            let proto = be16(data, 0).ok_or(LinkSkip::Truncated)?;
            by_ethertype(proto, data.get(20..).ok_or(LinkSkip::Truncated)?)
        }
        LINKTYPE_RAW | 12 | 14 => by_version(data),
        LINKTYPE_IPV4 => Ok(Network::Ipv4(data)),
        LINKTYPE_IPV6 => Ok(Network::Ipv6(data)),
        LINKTYPE_NULL => {
            let raw = data.get(..4).ok_or(LinkSkip::Truncated)?;
            let le = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
            let be = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
            // The family is small, so whichever reading is small is the right byte order.
            let af = if le < 0x1_0000 { le } else { be };
            family(af, &data[4..])
        }
        LINKTYPE_LOOP => {
            let af = be32(data, 0).ok_or(LinkSkip::Truncated)?;
            family(af, &data[4..])
        }
        _ => Err(LinkSkip::UnsupportedLinkType),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP4: [u8; 1] = [0x45];
    const IP6: [u8; 1] = [0x60];

    #[test]
    fn ethernet_and_vlans() {
        let mut f = vec![0u8; 12];
        f.extend([0x08, 0x00]);
        f.extend(IP4);
        assert_eq!(network(1, &f), Ok(Network::Ipv4(&IP4)));
        let mut q = vec![0u8; 12];
        q.extend([0x88, 0xa8, 0, 1, 0x81, 0x00, 0, 2, 0x86, 0xdd]);
        q.extend(IP6);
        assert_eq!(network(1, &q), Ok(Network::Ipv6(&IP6)));
        let mut arp = vec![0u8; 12];
        arp.extend([0x08, 0x06, 0]);
        assert_eq!(network(1, &arp), Err(LinkSkip::NotIp));
        assert_eq!(network(1, &[0u8; 13]), Err(LinkSkip::Truncated));
        let mut cut = vec![0u8; 12];
        cut.extend([0x81, 0x00, 0]);
        assert_eq!(network(1, &cut), Err(LinkSkip::Truncated));
        let mut many = vec![0u8; 12];
        for _ in 0..10 {
            many.extend([0x81, 0x00, 0, 0]);
        }
        assert_eq!(network(1, &many), Err(LinkSkip::NotIp));
    }

    #[test]
    fn cooked_raw_and_loopback() {
        let mut sll = vec![0u8; 14];
        sll.extend([0x08, 0x00]);
        sll.extend(IP4);
        assert_eq!(network(113, &sll), Ok(Network::Ipv4(&IP4)));
        let mut sll2 = vec![0x86, 0xdd];
        sll2.extend([0u8; 18]);
        sll2.extend(IP6);
        assert_eq!(network(276, &sll2), Ok(Network::Ipv6(&IP6)));
        assert_eq!(network(101, &IP6), Ok(Network::Ipv6(&IP6)));
        assert_eq!(network(101, &[]), Err(LinkSkip::Truncated));
        assert_eq!(network(101, &[0x10]), Err(LinkSkip::NotIp));
        assert_eq!(network(228, &IP4), Ok(Network::Ipv4(&IP4)));
        assert_eq!(network(0, &[2, 0, 0, 0, 0x45]), Ok(Network::Ipv4(&IP4)));
        assert_eq!(network(0, &[0, 0, 0, 30, 0x60]), Ok(Network::Ipv6(&IP6)));
        assert_eq!(network(108, &[0, 0, 0, 24, 0x60]), Ok(Network::Ipv6(&IP6)));
        assert_eq!(network(0, &[7, 0, 0, 0]), Err(LinkSkip::NotIp));
        assert_eq!(network(0, &[2, 0]), Err(LinkSkip::Truncated));
        assert_eq!(network(147, &IP4), Err(LinkSkip::UnsupportedLinkType));
    }
}
