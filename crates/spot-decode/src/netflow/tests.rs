use proptest::prelude::*;

use super::*;

const EXPORTER: &str = "192.0.2.7";
const NOW: u64 = 1_795_601_100_452;

fn set(id: u16, body: &[u8]) -> Vec<u8> {
    let mut s = id.to_be_bytes().to_vec();
    s.extend_from_slice(&((body.len() + 4) as u16).to_be_bytes());
    s.extend_from_slice(body);
    s
}

fn ipfix(domain: u32, seq: u32, sets: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = sets.concat();
    let mut m = 10u16.to_be_bytes().to_vec();
    m.extend_from_slice(&((body.len() + 16) as u16).to_be_bytes());
    m.extend_from_slice(&1_795_601_100u32.to_be_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(&domain.to_be_bytes());
    m.extend_from_slice(&body);
    m
}

fn v9(source_id: u32, seq: u32, sets: &[Vec<u8>]) -> Vec<u8> {
    let mut m = 9u16.to_be_bytes().to_vec();
    m.extend_from_slice(&(sets.len() as u16).to_be_bytes());
    m.extend_from_slice(&10_000u32.to_be_bytes()); // uptime
    m.extend_from_slice(&1_795_601_100u32.to_be_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(&source_id.to_be_bytes());
    m.extend_from_slice(&sets.concat());
    m
}

/// A template record: id, then (element, length) pairs; enterprise elements carry a number.
fn template(tid: u16, fields: &[(u16, u16)]) -> Vec<u8> {
    let mut t = tid.to_be_bytes().to_vec();
    t.extend_from_slice(&(fields.len() as u16).to_be_bytes());
    for (id, len) in fields {
        t.extend_from_slice(&id.to_be_bytes());
        t.extend_from_slice(&len.to_be_bytes());
        if id & 0x8000 != 0 {
            t.extend_from_slice(&9u32.to_be_bytes());
        }
    }
    t
}

fn decode(d: &mut NetflowDecoder, msg: &[u8]) -> (Vec<FlowRecord>, Result<usize, DatagramError>) {
    let mut flows = Vec::new();
    let r = d.decode(EXPORTER.parse().unwrap(), NOW, msg, &mut |f| {
        flows.push(f.clone())
    });
    (flows, r)
}

/// IPFIX fields of the flows below: addresses, ports, proto, counters, absolute times, a
/// variable-length field and an enterprise field.
const FLOW_FIELDS: &[(u16, u16)] = &[
    (8, 4),
    (12, 4),
    (7, 2),
    (11, 2),
    (4, 1),
    (2, 4),
    (1, 8),
    (152, 8),
    (153, 8),
    (82, 0xffff),
    (0x8000 | 100, 2),
];

fn flow_record(i: u8) -> Vec<u8> {
    let mut r = vec![10, 0, 0, i, 10, 0, 1, 1];
    r.extend_from_slice(&40000u16.to_be_bytes());
    r.extend_from_slice(&443u16.to_be_bytes());
    r.push(6);
    r.extend_from_slice(&5u32.to_be_bytes());
    r.extend_from_slice(&1500u64.to_be_bytes());
    r.extend_from_slice(&(NOW - 2000).to_be_bytes());
    r.extend_from_slice(&(NOW - 500).to_be_bytes());
    r.extend_from_slice(&[4, b'e', b't', b'h', b'0']);
    r.extend_from_slice(&[0xaa, 0xbb]);
    r
}

#[test]
fn ipfix_variable_length_and_enterprise_fields() {
    let mut d = NetflowDecoder::new();
    let msg = ipfix(
        7,
        0,
        &[
            set(2, &template(300, FLOW_FIELDS)),
            set(300, &[flow_record(1), flow_record(2), vec![0, 0]].concat()),
        ],
    );
    let (flows, r) = decode(&mut d, &msg);
    assert_eq!(r, Ok(2));
    let f = &flows[1];
    assert_eq!(f.src_addr.to_string(), "10.0.0.2");
    assert_eq!((f.src_port, f.dst_port, f.proto), (40000, 443, 6));
    assert_eq!((f.in_packets, f.in_bytes), (5, 1500));
    assert_eq!(
        (f.msec_first, f.msec_last, f.msec_received),
        (NOW - 2000, NOW - 500, NOW)
    );
    assert_eq!(f.router.unwrap().to_string(), EXPORTER);
    assert_eq!(f.exporter_id, 1);
    let s = d.stats();
    assert_eq!(s.skipped_fields.get(&82), Some(&1));
    assert_eq!(s.skipped_fields.get(&(0x8000 | 100)), Some(&1));
}

fn decode_at(
    d: &mut NetflowDecoder,
    now: u64,
    msg: &[u8],
) -> (Vec<FlowRecord>, Result<usize, DatagramError>) {
    let mut flows = Vec::new();
    let r = d.decode(EXPORTER.parse().unwrap(), now, msg, &mut |f| {
        flows.push(f.clone())
    });
    (flows, r)
}

#[test]
fn records_before_their_template_are_held_then_decoded() {
    let mut d = NetflowDecoder::new();
    let data = set(300, &flow_record(1));
    let (flows, r) = decode_at(&mut d, NOW, &ipfix(7, 0, std::slice::from_ref(&data)));
    assert_eq!((flows.len(), r), (0, Ok(0)));
    assert_eq!((d.stats().held.held, d.stats().held.waiting), (1, 1));
    // The template arrives later, alone: the held set decodes then, with its own receive time.
    let (flows, r) = decode_at(
        &mut d,
        NOW + 5000,
        &ipfix(7, 1, &[set(2, &template(300, FLOW_FIELDS))]),
    );
    assert_eq!((flows.len(), r), (1, Ok(1)));
    assert_eq!(flows[0].src_addr.to_string(), "10.0.0.1");
    assert_eq!(flows[0].msec_received, NOW);
    let (flows, _) = decode(&mut d, &ipfix(7, 2, std::slice::from_ref(&data)));
    assert_eq!(flows.len(), 1);
    // Another observation domain of the same exporter has its own templates.
    let (flows, _) = decode(&mut d, &ipfix(8, 0, std::slice::from_ref(&data)));
    assert_eq!(flows.len(), 0);
    let h = &d.stats().held;
    assert_eq!((h.held, h.decoded, h.waiting), (2, 1, 1));
    assert_eq!(d.stats().missing_template, 0);
    // At the end of the input, what still waits is dropped and counted.
    d.drop_held();
    let s = d.stats();
    assert_eq!((s.held.never_templated, s.held.waiting), (1, 0));
    assert_eq!((s.missing_template, s.flows), (1, 2));
}

#[test]
fn v9_sets_before_their_template_keep_their_datagrams_clock() {
    let mut d = NetflowDecoder::new();
    let fields = [(8, 4), (12, 4), (4, 1), (2, 4), (1, 4), (22, 4), (21, 4)];
    let mut rec = vec![10, 0, 0, 1, 10, 0, 0, 2, 17];
    for v in [1u32, 84, 9_000, 9_500] {
        rec.extend_from_slice(&v.to_be_bytes());
    }
    // Uptime 10 s in both datagrams, but the second is sent 60 s later (another boot time if
    // the held set took the template datagram's clock).
    let early = v9(3, 0, &[set(260, &rec), set(261, &rec)]);
    let mut late = v9(3, 1, &[set(0, &template(260, &fields))]);
    late[8..12].copy_from_slice(&1_795_601_160u32.to_be_bytes());
    assert_eq!(decode(&mut d, &early).0.len(), 0);
    let (flows, r) = decode(&mut d, &late);
    assert_eq!((flows.len(), r), (1, Ok(1)));
    let boot = 1_795_601_100_000 - 10_000;
    assert_eq!(
        (flows[0].msec_first, flows[0].msec_last),
        (boot + 9_000, boot + 9_500)
    );
    assert_eq!(d.stats().held.waiting, 1, "template 261 never came");
}

#[test]
fn held_sets_are_capped_per_template_in_total_and_in_time() {
    let limits = Limits {
        max_held_sets_per_template: 2,
        max_held_sets: 3,
        max_held_bytes: 10_000,
        held_timeout_msec: 60_000,
        ..Limits::default()
    };
    let mut d = NetflowDecoder::with_limits(limits);
    let rec = |i| set(300, &flow_record(i));
    // Three sets for template 300: the oldest makes room for the third.
    for i in 1..=3 {
        decode(&mut d, &ipfix(7, 0, &[rec(i)])).1.unwrap();
    }
    let h = d.stats().held.clone();
    assert_eq!((h.held, h.over_template_cap, h.waiting), (3, 1, 2));
    // Two more templates' sets: one fits the total of 3, the other is refused.
    decode(&mut d, &ipfix(7, 0, &[set(301, &flow_record(4))]))
        .1
        .unwrap();
    decode(&mut d, &ipfix(7, 0, &[set(302, &flow_record(5))]))
        .1
        .unwrap();
    let h = d.stats().held.clone();
    assert_eq!((h.held, h.over_total_cap, h.waiting), (4, 1, 3));
    // Template 300 arrives: its two newest sets decode (records 2 and 3).
    let (flows, _) = decode(&mut d, &ipfix(7, 0, &[set(2, &template(300, FLOW_FIELDS))]));
    let src: Vec<String> = flows.iter().map(|f| f.src_addr.to_string()).collect();
    assert_eq!(src, ["10.0.0.2", "10.0.0.3"]);
    // A minute and more later, the set of template 301 has expired.
    decode_at(&mut d, NOW + 61_000, &ipfix(7, 0, &[]))
        .1
        .unwrap();
    let (flows, _) = decode_at(
        &mut d,
        NOW + 62_000,
        &ipfix(7, 0, &[set(2, &template(301, FLOW_FIELDS))]),
    );
    assert!(flows.is_empty());
    let s = d.stats();
    assert_eq!((s.held.expired, s.held.decoded, s.held.waiting), (1, 2, 0));
    assert_eq!(s.missing_template, 3);

    // The byte cap: one set of 1,000 bytes does not fit in 500.
    let mut d = NetflowDecoder::with_limits(Limits {
        max_held_bytes: 500,
        ..Limits::default()
    });
    decode(&mut d, &ipfix(7, 0, &[set(300, &[0u8; 1000])]))
        .1
        .unwrap();
    assert_eq!(d.stats().held.over_total_cap, 1);
    // Holding disabled: dropped at once.
    let mut d = NetflowDecoder::with_limits(Limits {
        max_held_sets_per_template: 0,
        ..Limits::default()
    });
    decode(&mut d, &ipfix(7, 0, &[rec(1)])).1.unwrap();
    assert_eq!(
        (d.stats().held.not_held, d.stats().missing_template),
        (1, 1)
    );
}

#[test]
fn ipfix_template_withdrawal() {
    let mut d = NetflowDecoder::new();
    let data = set(300, &flow_record(1));
    decode(&mut d, &ipfix(7, 0, &[set(2, &template(300, FLOW_FIELDS))]))
        .1
        .unwrap();
    // Withdraw template 300 (a template record with no fields).
    decode(&mut d, &ipfix(7, 0, &[set(2, &template(300, &[]))]))
        .1
        .unwrap();
    let (flows, _) = decode(&mut d, &ipfix(7, 0, std::slice::from_ref(&data)));
    assert!(flows.is_empty());
    // Refresh, then withdraw all data templates (template id = set id 2).
    decode(&mut d, &ipfix(7, 0, &[set(2, &template(300, FLOW_FIELDS))]))
        .1
        .unwrap();
    assert_eq!(
        decode(&mut d, &ipfix(7, 0, std::slice::from_ref(&data)))
            .0
            .len(),
        1
    );
    decode(&mut d, &ipfix(7, 0, &[set(2, &template(2, &[]))]))
        .1
        .unwrap();
    assert!(decode(&mut d, &ipfix(7, 0, &[data])).0.is_empty());
    assert_eq!(d.stats().templates_withdrawn, 2);
}

#[test]
fn ipfix_options_give_system_init_time_and_sampling() {
    let mut d = NetflowDecoder::new();
    // Options template 400: scope #149 (observation domain), then #160, #305, #306.
    let mut ot = 400u16.to_be_bytes().to_vec();
    ot.extend_from_slice(&4u16.to_be_bytes());
    ot.extend_from_slice(&1u16.to_be_bytes());
    for (id, len) in [(149u16, 4u16), (160, 8), (305, 4), (306, 4)] {
        ot.extend_from_slice(&id.to_be_bytes());
        ot.extend_from_slice(&len.to_be_bytes());
    }
    let mut od = 7u32.to_be_bytes().to_vec();
    od.extend_from_slice(&(NOW - 100_000).to_be_bytes());
    od.extend_from_slice(&1u32.to_be_bytes());
    od.extend_from_slice(&9u32.to_be_bytes());
    // Flows with times relative to the system init time.
    let t = template(
        301,
        &[(8, 4), (12, 4), (4, 1), (2, 4), (1, 4), (22, 4), (21, 4)],
    );
    let mut rec = vec![10, 0, 0, 1, 10, 0, 0, 2, 17];
    rec.extend_from_slice(&2u32.to_be_bytes());
    rec.extend_from_slice(&100u32.to_be_bytes());
    rec.extend_from_slice(&1_000u32.to_be_bytes());
    rec.extend_from_slice(&3_000u32.to_be_bytes());
    let msg = ipfix(
        7,
        0,
        &[set(3, &ot), set(256 + 144, &od), set(2, &t), set(301, &rec)],
    );
    let (flows, r) = decode(&mut d, &msg);
    assert_eq!(r, Ok(1));
    let f = &flows[0];
    assert_eq!(
        (f.msec_first, f.msec_last),
        (NOW - 100_000 + 1_000, NOW - 100_000 + 3_000)
    );
    // 1 packet sampled out of every 10: counts scaled by 10.
    assert_eq!((f.in_packets, f.in_bytes), (20, 1000));
    assert_eq!(d.stats().options_records, 1);
}

#[test]
fn v9_uptime_times_icmp_and_sequence_gaps() {
    let mut d = NetflowDecoder::new();
    let t = set(
        0,
        &template(
            260,
            &[
                (8, 4),
                (12, 4),
                (4, 1),
                (32, 2),
                (2, 4),
                (1, 4),
                (22, 4),
                (21, 4),
            ],
        ),
    );
    let mut rec = vec![10, 0, 0, 1, 10, 0, 0, 2, 1, 8, 0];
    for v in [1u32, 84, 9_000, 9_500] {
        rec.extend_from_slice(&v.to_be_bytes());
    }
    let (flows, r) = decode(&mut d, &v9(0x0102, 5, &[t, set(260, &rec)]));
    assert_eq!(r, Ok(1));
    let f = &flows[0];
    let boot = 1_795_601_100_000 - 10_000;
    assert_eq!((f.msec_first, f.msec_last), (boot + 9_000, boot + 9_500));
    assert_eq!((f.src_port, f.dst_port), (0, 0x0800));
    assert_eq!((f.engine_type, f.engine_id), (1, 2));
    decode(&mut d, &v9(0x0102, 6, &[])).1.unwrap();
    decode(&mut d, &v9(0x0102, 9, &[])).1.unwrap();
    let e = &d.stats().exporters[&1];
    assert_eq!((e.datagrams, e.sequence_failures, e.lost), (3, 1, 2));
}

#[test]
fn v5_example_decodes() {
    let mut d = NetflowDecoder::new();
    let (flows, r) = decode(&mut d, &example_v5_datagram());
    assert_eq!(r, Ok(1));
    let f = &flows[0];
    let boot = 1_795_601_100_452 - 60_000;
    assert_eq!((f.msec_first, f.msec_last), (boot + 50_000, boot + 59_000));
    assert_eq!(
        (f.src_port, f.dst_port, f.proto, f.tcp_flags),
        (50000, 80, 6, 0x1b)
    );
    assert_eq!(
        (f.input, f.output, f.in_packets, f.in_bytes),
        (1, 2, 3, 180)
    );
    let mut short = example_v5_datagram();
    short.truncate(40);
    assert!(matches!(
        decode(&mut d, &short).1,
        Err(DatagramError::Truncated { .. })
    ));
}

#[test]
fn template_poisoning_is_capped() {
    let limits = Limits {
        max_exporters: 2,
        max_templates_per_exporter: 2,
        max_fields_per_template: 4,
        ..Limits::default()
    };
    let mut d = NetflowDecoder::with_limits(limits);
    let many: Vec<u8> = (300..310).flat_map(|t| template(t, &[(1, 4)])).collect();
    let (_, r) = decode(&mut d, &ipfix(1, 0, &[set(2, &many)]));
    assert!(matches!(r, Err(DatagramError::Limit { .. })));
    assert_eq!(d.stats().templates, 2);
    let wide = template(311, &[(1, 4); 5]);
    assert!(matches!(
        decode(&mut d, &ipfix(2, 0, &[set(2, &wide)])).1,
        Err(DatagramError::Limit { .. })
    ));
    assert!(matches!(
        decode(&mut d, &ipfix(3, 0, &[])).1,
        Err(DatagramError::Limit { .. })
    ));
    assert!(d.stats().errors >= 3);
}

#[test]
fn unsupported_versions_and_garbage_are_errors() {
    let mut d = NetflowDecoder::new();
    assert!(matches!(
        decode(&mut d, &[0, 7, 0, 0]).1,
        Err(DatagramError::UnsupportedVersion { version: 7 })
    ));
    assert!(decode(&mut d, &[]).1.is_err());
    assert!(decode(&mut d, &[0, 10, 0, 40, 0, 0]).1.is_err());
    let bad_set = ipfix(1, 0, &[vec![1, 44, 0, 2]]);
    assert!(matches!(
        decode(&mut d, &bad_set).1,
        Err(DatagramError::Malformed { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn random_datagrams_never_panic(
        version in prop::sample::select(vec![5u16, 9, 10]),
        tail in prop::collection::vec(any::<u8>(), 0..1500),
    ) {
        let mut d = NetflowDecoder::new();
        let mut msg = version.to_be_bytes().to_vec();
        msg.extend_from_slice(&tail);
        let _ = decode(&mut d, &msg);
        let _ = decode(&mut d, &msg);
    }

    #[test]
    fn random_sets_after_valid_headers_never_panic(
        sets in prop::collection::vec(
            (prop::sample::select(vec![0u16, 1, 2, 3, 256, 300, 301]),
             prop::collection::vec(any::<u8>(), 0..200)),
            0..8),
    ) {
        let mut d = NetflowDecoder::new();
        let sets: Vec<Vec<u8>> = sets.iter().map(|(id, b)| set(*id, b)).collect();
        for _ in 0..2 {
            let _ = decode(&mut d, &ipfix(1, 0, &sets));
            let _ = decode(&mut d, &v9(1, 0, &sets));
        }
    }
}
