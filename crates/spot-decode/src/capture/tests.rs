//! Tests of the container readers on files built here.

use std::io::{Cursor, Write};

use super::*;

/// A classic pcap file with the given packets `(sec, frac, data)`.
pub(crate) fn pcap_file(big: bool, nanos: bool, link: u32, pkts: &[(u32, u32, &[u8])]) -> Vec<u8> {
    let w32 = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let w16 = |v: u16| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut f = Vec::new();
    f.extend(w32(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
    f.extend(w16(2));
    f.extend(w16(4));
    f.extend([0u8; 8]);
    f.extend(w32(65535));
    f.extend(w32(link));
    for (s, frac, d) in pkts {
        f.extend(w32(*s));
        f.extend(w32(*frac));
        f.extend(w32(d.len() as u32));
        f.extend(w32(d.len() as u32 + 10));
        f.extend(*d);
    }
    f
}

fn block(big: bool, btype: u32, body: &[u8]) -> Vec<u8> {
    let w32 = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut padded = body.to_vec();
    while !padded.len().is_multiple_of(4) {
        padded.push(0);
    }
    let len = padded.len() as u32 + 12;
    let mut b = Vec::new();
    b.extend(w32(btype));
    b.extend(w32(len));
    b.extend(padded);
    b.extend(w32(len));
    b
}

/// A pcapng section: SHB, one IDB per `(link, tsresol)`, then the given raw blocks.
pub(crate) fn pcapng_section(
    big: bool,
    ifaces: &[(u16, Option<u8>)],
    blocks: &[(u32, Vec<u8>)],
) -> Vec<u8> {
    let w32 = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let w16 = |v: u16| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut shb = Vec::new();
    shb.extend(w32(0x1A2B_3C4D));
    shb.extend(w16(1));
    shb.extend(w16(0));
    shb.extend([0xff; 8]);
    let mut out = block(big, 0x0A0D_0D0A, &shb);
    for (link, res) in ifaces {
        let mut idb = Vec::new();
        idb.extend(w16(*link));
        idb.extend(w16(0));
        idb.extend(w32(0));
        if let Some(r) = res {
            idb.extend(w16(9));
            idb.extend(w16(1));
            idb.extend([*r, 0, 0, 0]);
            idb.extend([0u8; 4]);
        }
        out.extend(block(big, 1, &idb));
    }
    for (t, body) in blocks {
        out.extend(block(big, *t, body));
    }
    out
}

pub(crate) fn epb(big: bool, iface: u32, ts: u64, data: &[u8]) -> (u32, Vec<u8>) {
    let w32 = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut b = Vec::new();
    b.extend(w32(iface));
    b.extend(w32((ts >> 32) as u32));
    b.extend(w32(ts as u32));
    b.extend(w32(data.len() as u32));
    b.extend(w32(data.len() as u32));
    b.extend(data);
    (6, b)
}

/// (frame, sec, nsec, orig_len, link_type, data) of each packet.
type Summary = (u64, i64, u32, u32, u32, Vec<u8>);

fn read_all(mut r: CaptureReader) -> Result<Vec<Summary>> {
    let mut v = Vec::new();
    while let Some(p) = r.next_packet()? {
        v.push((
            p.frame_number,
            p.ts_sec,
            p.ts_nsec,
            p.orig_len,
            p.link_type,
            p.data.to_vec(),
        ));
    }
    Ok(v)
}

/// Reads `file` streamed and, written to disk, as [`CaptureReader::open`] does (mapped,
/// unless compressed): both must give the same packets, or the same error.
fn all(file: Vec<u8>) -> Result<Vec<Summary>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.pcap");
    std::fs::write(&path, &file).unwrap();
    let streamed = CaptureReader::new(Cursor::new(file.clone()), &path).and_then(read_all);
    let opened = CaptureReader::open(&path).and_then(|r| {
        assert_eq!(
            r.is_mapped(),
            !file.starts_with(&[0x1f, 0x8b]),
            "plain files are mapped"
        );
        read_all(r)
    });
    match (&streamed, &opened) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("streamed {streamed:?}, mapped {opened:?}"),
    }
    streamed
}

#[test]
fn pcap_all_variants() {
    for big in [false, true] {
        for nanos in [false, true] {
            let f = pcap_file(big, nanos, 113, &[(5, 7, b"ab"), (6, 0, b"")]);
            let got = all(f).unwrap();
            let ns = if nanos { 7 } else { 7000 };
            assert_eq!(
                got[0],
                (1, 5, ns, 12, 113, b"ab".to_vec()),
                "big={big} nanos={nanos}"
            );
            assert_eq!(got[1].0, 2);
            assert_eq!(got.len(), 2);
        }
    }
}

#[test]
fn gzip_is_detected() {
    let f = pcap_file(false, false, 1, &[(5, 7, b"ab")]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&f).unwrap();
    let got = all(gz.finish().unwrap()).unwrap();
    assert_eq!(got.len(), 1);
}

#[test]
fn truncated_and_corrupt_files_report_offset_and_frame() {
    let f = pcap_file(false, false, 1, &[(5, 7, b"abcd"), (6, 0, b"efgh")]);
    let mut r = CaptureReader::new(Cursor::new(f[..f.len() - 2].to_vec()), "cut.pcap").unwrap();
    assert!(r.next_packet().unwrap().is_some());
    let e = r.next_packet().unwrap_err().to_string();
    assert_eq!(
        e,
        "cut.pcap: byte offset 60, frame 2: file truncated: expected 4 bytes, found 2"
    );
    assert!(r.next_packet().unwrap().is_none());
    let mut bad = pcap_file(false, false, 1, &[(5, 7, b"abcd")]);
    bad[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
    let e = all(bad).unwrap_err().to_string();
    assert!(e.contains("frame 1") && e.contains("implausible"), "{e}");
    // The same, cut inside a header and inside a packet, mapped or streamed.
    for cut in [2, 4, 6, 12, 19] {
        let e = all(f[..f.len() - cut].to_vec()).unwrap_err().to_string();
        assert!(e.contains("frame 2: file truncated"), "{e}");
    }
    let e = CaptureReader::new(Cursor::new(b"hello world".to_vec()), "x").unwrap_err();
    assert!(e.to_string().contains("not a pcap"), "{e}");
    assert!(CaptureReader::new(Cursor::new(Vec::new()), "x").is_err());
}

#[test]
fn pcapng_sections_interfaces_and_blocks() {
    for big in [false, true] {
        let w32 = |v: u32| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut spb = Vec::new();
        spb.extend(w32(3));
        spb.extend(b"xyz");
        let mut opb = Vec::new();
        opb.extend(if big {
            1u16.to_be_bytes()
        } else {
            1u16.to_le_bytes()
        });
        opb.extend([0, 0]);
        opb.extend(w32(0));
        opb.extend(w32(2_000_000_001));
        opb.extend(w32(1));
        opb.extend(w32(1));
        opb.push(b'o');
        let s1 = pcapng_section(
            big,
            &[(1, None), (101, Some(9))],
            &[
                epb(big, 0, 1_500_000, b"first"),
                (0x0BAD, vec![1, 2, 3, 4]),
                epb(big, 1, 3_000_000_005, b"second"),
                (3, spb),
                (2, opb),
            ],
        );
        // A second section in the other byte order, with a binary resolution.
        let s2 = pcapng_section(
            !big,
            &[(276, Some(0x8a))],
            &[epb(!big, 0, 1024 * 7 + 256, b"third")],
        );
        let mut f = s1;
        f.extend(s2);
        let got = all(f).unwrap();
        let summary: Vec<_> = got
            .iter()
            .map(|p| (p.0, p.1, p.2, p.4, p.5.clone()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, 1, 500_000_000, 1, b"first".to_vec()),
                (2, 3, 5, 101, b"second".to_vec()),
                (3, 0, 0, 1, b"xyz".to_vec()),
                (4, 2, 1, 101, b"o".to_vec()),
                (5, 7, 250_000_000, 276, b"third".to_vec()),
            ],
            "big={big}"
        );
    }
}

#[test]
fn pcapng_errors() {
    let mut f = pcapng_section(false, &[(1, None)], &[epb(false, 3, 0, b"x")]);
    let e = all(f.clone()).unwrap_err().to_string();
    assert!(e.contains("unknown interface 3"), "{e}");
    // Bad trailing length.
    let n = f.len();
    f[n - 1] = 0x7f;
    assert!(all(f).unwrap_err().to_string().contains("trailing length"));
}

#[test]
fn mapped_files_drop_the_pages_behind_and_read_the_same() {
    // Many steps of the mapped reader's page release, packets straddling each step.
    let payloads: Vec<Vec<u8>> = (0..3000u32)
        .map(|i| (0..(i * 37 % 1500)).map(|k| (k ^ i) as u8).collect())
        .collect();
    let pkts: Vec<(u32, u32, &[u8])> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| (i as u32, 999_999, p.as_slice()))
        .collect();
    let f = pcap_file(true, false, 1, &pkts);
    assert!(f.len() > 20 * RELEASE_STEP);
    let got = all(f.clone()).unwrap();
    assert_eq!(got.len(), 3000);
    assert_eq!(got[2999].5, payloads[2999]);
    // Damage near the end: the packets before it, then the error, either way.
    let mut bad = f;
    let n = bad.len();
    bad.truncate(n - 3);
    assert!(all(bad).unwrap_err().to_string().contains("frame 3000"));
}
