//! Properties of the proxy line parsers and reader: no input panics; every line either parses
//! or is a typed error with its file and line number; written ELFF records read back unchanged.

use std::collections::BTreeMap;

use proptest::prelude::*;
use spot_decode::DecodeError;
use spot_decode::proxy::{
    Col, ElffParser, LineParser, ProxyFormat, ProxyReader, SquidParser, ZeekParser,
};

fn parsers() -> Vec<Box<dyn LineParser>> {
    let mut elff_named = ElffParser::new();
    elff_named
        .parse_line("#Fields: date time c-ip cs-host cs-uri-path cs(User-Agent) sc-bytes")
        .unwrap();
    vec![
        Box::new(ElffParser::new()),
        Box::new(elff_named),
        Box::new(SquidParser::new()),
        Box::new(ZeekParser::new()),
    ]
}

/// Lines that look like log lines often enough to reach deep into the parsers.
fn line_strategy() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("-".to_string()),
        Just("\"".to_string()),
        Just("\"a b\"".to_string()),
        Just("\t".to_string()),
        Just("#Fields:".to_string()),
        Just("{".to_string()),
        Just("2026-11-25".to_string()),
        Just("09:40:06".to_string()),
        Just("1795599606.781".to_string()),
        Just("[25/Nov/2026:09:40:06 +0000]".to_string()),
        Just("TCP_MISS/200".to_string()),
        Just("http://h.example:8080/p?q".to_string()),
        Just("\\x09".to_string()),
        "[0-9]{1,20}",
        "\\PC{0,12}",
    ];
    prop::collection::vec(token, 0..40).prop_map(|t| t.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_line_parses_or_is_a_typed_error(line in line_strategy()) {
        for mut p in parsers() {
            match p.parse_line(&line) {
                Ok(Some(r)) => {
                    // fulluri is set exactly when there is a host.
                    prop_assert_eq!(r.get(Col::FullUri).is_some(), r.get(Col::Host).is_some());
                }
                Ok(None) => {}
                Err(e) => prop_assert!(!e.to_string().is_empty() && !e.kind().is_empty()),
            }
        }
    }

    #[test]
    fn any_text_parses_or_is_a_typed_error(line in "\\PC{0,300}") {
        for mut p in parsers() {
            let _ = p.parse_line(&line);
        }
    }

    #[test]
    fn any_file_is_read_and_every_line_accounted_for(
        lines in prop::collection::vec(prop_oneof![
            line_strategy().prop_map(String::into_bytes),
            prop::collection::vec(any::<u8>(), 0..200),
        ], 0..30),
        fmt in prop_oneof![Just(ProxyFormat::Elff), Just(ProxyFormat::Squid), Just(ProxyFormat::Zeek)],
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let data: Vec<u8> = lines.join(&b'\n');
        std::fs::write(&path, &data).unwrap();
        let reader = ProxyReader::open_as(&[&path], fmt).unwrap().with_max_line_len(150).with_batch_size(7);
        let mut it = reader.batches();
        let rows: usize = (&mut it).map(|b| b.unwrap().num_rows()).sum();
        let stats = it.stats();
        prop_assert_eq!(rows as u64, stats.records);
        prop_assert_eq!(stats.lines, stats.records + stats.directives + stats.skipped_total());
        let by_kind = stats.errors.iter().fold(BTreeMap::new(), |mut m, e| {
            *m.entry(e.error.kind()).or_insert(0u64) += 1;
            m
        });
        prop_assert_eq!(&by_kind, &stats.skipped);
        for e in &stats.errors {
            prop_assert!(e.line >= 1 && e.line <= stats.lines);
            prop_assert_eq!(&e.path, &path);
        }
        // Strict mode stops at the first bad line, naming it.
        let strict = ProxyReader::open_as(&[&path], fmt).unwrap().with_max_line_len(150).with_strict(true);
        let first_err = strict.batches().find_map(Result::err);
        match (first_err, stats.errors.first()) {
            (None, None) => {}
            (Some(DecodeError::BadLine { line, error, .. }), Some(first)) => {
                prop_assert_eq!(line, first.line);
                prop_assert_eq!(&error, &first.error);
            }
            (a, b) => prop_assert!(false, "strict {:?} vs lenient {:?}", a, b),
        }
    }

    #[test]
    fn written_elff_records_read_back(
        host in "[a-z0-9.-]{1,20}",
        path in "/[a-zA-Z0-9/._]{0,20}",
        agent in "[ -~]{1,40}",
        ctype in prop_oneof![Just("text/html; charset=utf-8".to_string()), "[a-z]{1,8}/[a-z]{1,8}"],
        sc in 0i64..1_000_000_000_000,
        cs in 0i64..1_000_000,
        taken in 0i32..1_000_000,
    ) {
        prop_assume!(agent != "-");
        prop_assume!(host != "-");
        let quoted = agent.replace('"', "\"\"");
        let line = format!(
            "2026-11-25 09:40:06 {taken} 10.1.2.3 - - - OBSERVED \"cat\" - 200 TCP_MISS GET \"{ctype}\" http {host} 80 {path} - - \"{quoted}\" 10.9.9.9 {sc} {cs} - - -"
        );
        let mut p = ElffParser::new();
        let r = p.parse_line(&line).unwrap().unwrap();
        prop_assert_eq!(r.get(Col::Host), Some(host.as_str()));
        prop_assert_eq!(r.get(Col::UriPath), Some(path.as_str()));
        prop_assert_eq!(r.get(Col::UserAgent), Some(agent.as_str()));
        prop_assert_eq!(r.get(Col::ResContType), Some(ctype.as_str()));
        prop_assert_eq!(r.get(Col::WebCat), Some("cat"));
        prop_assert_eq!((r.duration, r.scbytes, r.csbytes), (Some(taken), Some(sc), Some(cs)));
        let expect = if path.chars().count() > 1 { format!("{host}{path}") } else { host.clone() };
        prop_assert_eq!(r.get(Col::FullUri), Some(expect.as_str()));
    }
}
