//! The NetFlow datagrams softflowd exported (captured in `exports-vN.pcap`) decode to the flows
//! that nfcapd stored from them: `nfcapd-export-vN.nfdump.csv`, field by field, except the
//! receive time `tr` (nfcapd's clock, not the capture's).

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use arrow::util::display::array_value_to_string;
use spot_decode::FlowReader;
use spot_decode::flow::FlowBatchBuilder;
use spot_decode::netflow::NetflowDecoder;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/flow")
        .join(name)
}

/// UDP payloads of a classic little-endian pcap of Ethernet frames: (source, msec, payload).
/// Just enough for these captures.
fn udp_payloads(path: &Path) -> Vec<(IpAddr, u64, Vec<u8>)> {
    let b = std::fs::read(path).unwrap();
    let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
    assert_eq!(u32_at(0), 0xa1b2_c3d4, "microsecond little-endian pcap");
    assert_eq!(u32_at(20), 1, "Ethernet link type");
    let mut out = Vec::new();
    let mut pos = 24;
    while pos + 16 <= b.len() {
        let (secs, usecs, caplen) = (u32_at(pos) as u64, u32_at(pos + 4) as u64, u32_at(pos + 8));
        let frame = &b[pos + 16..pos + 16 + caplen as usize];
        pos += 16 + caplen as usize;
        let ethertype = u16::from_be_bytes([frame[12], frame[13]]);
        let ip = &frame[14..];
        let (src, udp): (IpAddr, &[u8]) = match ethertype {
            0x0800 if ip[9] == 17 => {
                let ihl = (ip[0] & 15) as usize * 4;
                let a: [u8; 4] = ip[12..16].try_into().unwrap();
                (a.into(), &ip[ihl..])
            }
            0x86dd if ip[6] == 17 => {
                let a: [u8; 16] = ip[8..24].try_into().unwrap();
                (a.into(), &ip[40..])
            }
            _ => continue,
        };
        let len = u16::from_be_bytes([udp[4], udp[5]]) as usize;
        out.push((src, secs * 1000 + usecs / 1000, udp[8..len].to_vec()));
    }
    out
}

fn decode_pcap(name: &str) -> (RecordBatch, NetflowDecoder) {
    let mut decoder = NetflowDecoder::new();
    let mut builder = FlowBatchBuilder::new();
    for (src, msec, payload) in udp_payloads(&data(name)) {
        decoder
            .decode(src, msec, &payload, &mut |f| builder.append(f))
            .unwrap();
    }
    (builder.finish(), decoder)
}

fn read_csv(name: &str) -> RecordBatch {
    let reader = FlowReader::open(&[data(name)]).unwrap();
    let batches: Vec<RecordBatch> = reader.batches().map(|b| b.unwrap()).collect();
    concat_batches(&reader.schema(), &batches).unwrap()
}

fn cell(b: &RecordBatch, col: &str, row: usize) -> String {
    array_value_to_string(b.column_by_name(col).unwrap(), row).unwrap()
}

/// Compares every column but those in `skip`.
fn assert_same(ours: &RecordBatch, nfdump: &RecordBatch, skip: &[&str], what: &str) {
    assert_eq!(ours.schema(), nfdump.schema(), "{what}");
    assert_eq!(ours.num_rows(), nfdump.num_rows(), "{what}: rows");
    for f in nfdump.schema().fields() {
        if skip.contains(&f.name().as_str()) {
            continue;
        }
        for row in 0..nfdump.num_rows() {
            assert_eq!(
                cell(ours, f.name(), row),
                cell(nfdump, f.name(), row),
                "{what}: row {row}, column {}",
                f.name()
            );
        }
    }
}

#[test]
fn netflow_v5_datagrams_equal_nfcapd() {
    let (ours, decoder) = decode_pcap("exports-v5.pcap");
    let nfdump = read_csv("nfcapd-export-v5.nfdump.csv.gz");
    assert_same(&ours, &nfdump, &["tr"], "v5");
    let s = decoder.stats();
    assert_eq!((s.datagrams, s.flows, s.errors), (81, 2398, 0));
    let exporter = &s.exporters[&1];
    assert_eq!((exporter.datagrams, exporter.sequence_failures), (81, 0));
}

#[test]
fn netflow_v9_datagrams_equal_nfcapd() {
    let (ours, decoder) = decode_pcap("exports-v9.pcap");
    let nfdump = read_csv("nfcapd-export-v9.nfdump.csv.gz");
    assert_same(&ours, &nfdump, &["tr"], "v9");
    let s = decoder.stats();
    assert_eq!((s.flows, s.errors, s.missing_template), (2400, 0, 0));
    assert!(s.templates >= 3 && s.options_templates == 1, "{s:?}");
    assert_eq!(s.exporters[&1].sequence_failures, 0);
}

/// nfdump 1.7.1 reads IPFIX's flowStartSysUpTime (#22) as the flow's end and
/// flowEndSysUpTime (#21) as its start: its `ts` and `te` are swapped and its duration wraps
/// below zero. We decode them the right way round; the test checks the swap exactly.
#[test]
fn ipfix_datagrams_equal_nfcapd_but_for_its_swapped_sysuptime_times() {
    let (ours, decoder) = decode_pcap("exports-v10.pcap");
    let nfdump = read_csv("nfcapd-export-v10.nfdump.csv.gz");
    let times = [
        "treceived",
        "unix_tstamp",
        "tryear",
        "trmonth",
        "trday",
        "trhour",
        "trminute",
        "trsec",
        "tdur",
        "te",
        "tr",
    ];
    assert_same(&ours, &nfdump, &times, "ipfix");
    for row in 0..nfdump.num_rows() {
        assert_eq!(
            cell(&ours, "treceived", row),
            cell(&nfdump, "te", row),
            "row {row}"
        );
        assert_eq!(
            cell(&ours, "te", row),
            cell(&nfdump, "treceived", row),
            "row {row}"
        );
        let (d_ours, d_nfdump): (f32, f32) = (
            cell(&ours, "tdur", row).parse().unwrap(),
            cell(&nfdump, "tdur", row).parse().unwrap(),
        );
        assert!((0.0..1000.0).contains(&d_ours), "row {row}: {d_ours}");
        if d_ours > 0.0 {
            assert!(
                d_nfdump > 1e16,
                "row {row}: nfdump's duration wraps: {d_nfdump}"
            );
        } else {
            assert_eq!(d_nfdump, 0.0, "row {row}");
        }
    }
    let s = decoder.stats();
    assert_eq!((s.flows, s.errors, s.missing_template), (2400, 0, 0));
    assert!(s.options_records > 0);
    assert_eq!(s.exporters[&1].sequence_failures, 0);
}

#[test]
fn capture_flows_reads_the_pcaps_with_the_capture_reader() {
    for (pcap, csv) in [
        ("exports-v5.pcap", "nfcapd-export-v5.nfdump.csv.gz"),
        ("exports-v9.pcap", "nfcapd-export-v9.nfdump.csv.gz"),
    ] {
        let mut flows = spot_decode::netflow::capture::CaptureFlows::open(data(pcap))
            .unwrap()
            .with_batch_size(500);
        let batches: Vec<RecordBatch> = (&mut flows).map(|b| b.unwrap()).collect();
        let ours = concat_batches(&spot_decode::flow::nfdump_flow_schema(), &batches).unwrap();
        assert_same(&ours, &read_csv(csv), &["tr"], pcap);
        assert_eq!(flows.stats().not_netflow, 0);
        assert_eq!(ours, decode_pcap(pcap).0, "{pcap}");
    }
}

/// Rows as strings, sorted: the same flows in any order compare equal.
fn sorted_rows(b: &RecordBatch) -> Vec<String> {
    let mut rows: Vec<String> = (0..b.num_rows())
        .map(|row| {
            b.schema()
                .fields()
                .iter()
                .map(|f| cell(b, f.name(), row))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    rows.sort();
    rows
}

/// The exporter's first datagram (its templates) delayed behind the next four, as after a
/// collector restart or UDP reordering: the data sets that came first are held, decoded when the
/// templates arrive, and give exactly the flows of the capture in order (receive time included).
#[test]
fn data_before_templates_is_held_and_decoded_the_same() {
    for pcap in ["exports-v9.pcap", "exports-v10.pcap"] {
        let (in_order, _) = decode_pcap(pcap);
        let mut datagrams = udp_payloads(&data(pcap));
        let first = datagrams.remove(0);
        datagrams.insert(4, first);
        let mut decoder = NetflowDecoder::new();
        let mut builder = FlowBatchBuilder::new();
        for (src, msec, payload) in &datagrams {
            decoder
                .decode(*src, *msec, payload, &mut |f| builder.append(f))
                .unwrap();
        }
        let reordered = builder.finish();
        let s = decoder.stats();
        assert!(
            s.held.held >= 4 && s.held.decoded == s.held.held,
            "{pcap}: {s:?}"
        );
        assert_eq!((s.missing_template, s.held.waiting), (0, 0), "{pcap}");
        assert_eq!(sorted_rows(&reordered), sorted_rows(&in_order), "{pcap}");
    }
}
