//! The three proxy logs Squid wrote for the same 300 requests (native format, Blue Coat field
//! order without and with ELFF directives) must decode to the same requests; Zeek TSV and JSON
//! renderings of the same requests must agree too.

use std::io::Write;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::{Int32Type, Int64Type};
use spot_decode::DecodeError;
use spot_decode::proxy::{LineError, ProxyFormat, ProxyReader};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/proxy")
        .join(name)
}

/// All batches of `paths` as one, and the read's stats.
fn read(reader: &ProxyReader) -> (RecordBatch, spot_decode::proxy::ReadStats) {
    let mut it = reader.batches();
    let batches: Vec<RecordBatch> = (&mut it).collect::<Result<_, _>>().unwrap();
    let stats = it.stats().clone();
    (concat_batches(&reader.schema(), &batches).unwrap(), stats)
}

fn read_path(p: &Path) -> RecordBatch {
    let (b, stats) = read(&ProxyReader::open(&[p]).unwrap().with_batch_size(64));
    assert_eq!(stats.skipped_total(), 0, "{:?}", stats.errors);
    b
}

fn strings(b: &RecordBatch, col: &str) -> Vec<Option<String>> {
    b.column_by_name(col)
        .unwrap()
        .as_string::<i32>()
        .iter()
        .map(|v| v.map(str::to_string))
        .collect()
}

fn ints(b: &RecordBatch, col: &str) -> Vec<Option<i64>> {
    b.column_by_name(col)
        .unwrap()
        .as_primitive::<Int64Type>()
        .iter()
        .collect()
}

#[test]
fn formats_are_detected() {
    let r = ProxyReader::open(&[
        data("squid-access.log"),
        data("bluecoat-style.log"),
        data("bluecoat-elff.log"),
        data("zeek-http.log"),
        data("zeek-http.json"),
    ])
    .unwrap();
    let formats: Vec<ProxyFormat> = r.files().map(|(_, f)| f).collect();
    assert_eq!(
        formats,
        [
            ProxyFormat::Squid,
            ProxyFormat::Elff,
            ProxyFormat::Elff,
            ProxyFormat::Zeek,
            ProxyFormat::Zeek
        ]
    );
}

#[test]
fn squid_and_bluecoat_logs_agree_request_by_request() {
    let squid = read_path(&data("squid-access.log"));
    let elff = read_path(&data("bluecoat-style.log"));
    assert_eq!(squid.num_rows(), 300);
    assert_eq!(elff.num_rows(), 300);
    for col in [
        "clientip",
        "reqmethod",
        "host",
        "respcode",
        "p_date",
        "p_time",
        "uriport",
        "urischeme",
        "serverip",
        "resconttype",
    ] {
        assert_eq!(strings(&squid, col), strings(&elff, col), "column {col}");
    }
    assert_eq!(ints(&squid, "scbytes"), ints(&elff, "scbytes"));
    // Squid's native log strips query strings (`strip_query_terms`), its Blue Coat-order log
    // writes them inside `cs-uri-path`: the paths agree up to the `?`.
    let cut = |v: Vec<Option<String>>| -> Vec<Option<String>> {
        v.into_iter()
            .map(|p| p.map(|p| p.split('?').next().unwrap_or("").to_string()))
            .collect()
    };
    assert_eq!(
        cut(strings(&squid, "uripath")),
        cut(strings(&elff, "uripath"))
    );
    // Byte counts and durations are real values, not all null.
    assert!(ints(&elff, "csbytes").iter().all(|v| v.is_some()));
    let dur = elff
        .column_by_name("duration")
        .unwrap()
        .as_primitive::<Int32Type>();
    let sdur = squid
        .column_by_name("duration")
        .unwrap()
        .as_primitive::<Int32Type>();
    assert_eq!(dur, sdur);
    // Spot's fulluri rule on the ELFF log: host, path if longer than 1, query if longer than 1.
    let full = strings(&elff, "fulluri");
    let paths = strings(&elff, "uripath");
    for (f, p) in full.iter().zip(&paths) {
        let p = p.as_deref().unwrap_or("");
        let expect = if p.len() > 1 {
            format!("127.0.0.1{p}")
        } else {
            "127.0.0.1".to_string()
        };
        assert_eq!(f.as_deref(), Some(expect.as_str()));
    }
    let methods = strings(&elff, "reqmethod");
    for m in ["GET", "POST", "HEAD"] {
        assert!(methods.iter().any(|v| v.as_deref() == Some(m)), "{m}");
    }
    assert!(
        strings(&elff, "respcode")
            .iter()
            .any(|v| v.as_deref() == Some("404"))
    );
    assert_eq!(
        strings(&elff, "useragent")
            .iter()
            .flatten()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        6
    );
}

#[test]
fn elff_with_and_without_directives_is_identical() {
    let plain = read_path(&data("bluecoat-style.log"));
    let (directed, stats) = read(&ProxyReader::open(&[data("bluecoat-elff.log")]).unwrap());
    assert_eq!(plain, directed);
    assert_eq!(stats.directives, 6);
    assert_eq!(stats.records, 300);
}

#[test]
fn fields_directive_may_reorder_columns_mid_file() {
    let text = std::fs::read_to_string(data("bluecoat-elff.log")).unwrap();
    let mut out = String::new();
    let mut fields: Vec<String> = Vec::new();
    let mut n = 0;
    for line in text.lines() {
        if let Some(f) = line.strip_prefix("#Fields: ") {
            fields = f.split(' ').map(str::to_string).collect();
            out.push_str(line);
            out.push('\n');
            continue;
        }
        if line.starts_with('#') {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        n += 1;
        if n == 150 {
            // From here on the fields come in reverse order.
            let rev: Vec<String> = fields.iter().rev().cloned().collect();
            out.push_str(&format!("#Fields: {}\n", rev.join(" ")));
        }
        if n >= 150 {
            let mut v = Vec::new();
            let mut rest = line;
            while !rest.is_empty() {
                rest = rest.trim_start();
                if rest.starts_with('"') {
                    let end = rest[1..].find('"').unwrap() + 2;
                    v.push(&rest[..end]);
                    rest = &rest[end..];
                } else {
                    let end = rest.find(' ').unwrap_or(rest.len());
                    v.push(&rest[..end]);
                    rest = &rest[end..];
                }
            }
            assert_eq!(v.len(), 27);
            v.reverse();
            out.push_str(&v.join("\t"));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("reordered.log");
    std::fs::write(&p, out).unwrap();
    assert_eq!(read_path(&p), read_path(&data("bluecoat-style.log")));
}

#[test]
fn gzip_and_crlf_read_alike() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(data("bluecoat-elff.log")).unwrap();
    let crlf = dir.path().join("crlf.log");
    std::fs::write(&crlf, text.replace('\n', "\r\n")).unwrap();
    let gz = dir.path().join("elff.log.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap();
    let want = read_path(&data("bluecoat-style.log"));
    assert_eq!(read_path(&crlf), want);
    assert_eq!(read_path(&gz), want);
}

#[test]
fn zeek_tsv_and_json_agree() {
    let tsv = read_path(&data("zeek-http.log"));
    let json = read_path(&data("zeek-http.json"));
    assert_eq!(tsv.num_rows(), 5);
    assert_eq!(tsv, json);
    assert_eq!(
        strings(&tsv, "fulluri"),
        [
            Some("www.example.com".to_string()),
            Some("www.example.com/search?q=a\tb&lang=en".to_string()),
            Some("upload.example.org/api/v1/upload".to_string()),
            None,
            Some("cdn.example.net/static/app.js".to_string()),
        ]
    );
    assert_eq!(
        strings(&tsv, "resconttype")[1].as_deref(),
        Some("application/json")
    );
    assert_eq!(ints(&tsv, "csbytes")[2], Some(48213));
    assert_eq!(strings(&tsv, "username")[2].as_deref(), Some("alice"));
}

#[test]
fn bad_lines_are_counted_with_their_line_numbers_or_fatal_when_strict() {
    let text = std::fs::read_to_string(data("bluecoat-elff.log")).unwrap();
    let mut lines: Vec<Vec<u8>> = text.lines().map(|l| l.as_bytes().to_vec()).collect();
    // Line numbers are 1-based; the directives take lines 1-6.
    lines[9] = b"2026-11-25 09:40:06 1 127.0.0.1 \"unbalanced".to_vec();
    lines[19] = b"2026-11-25 09:40:06 1 127.0.0.1".to_vec();
    lines[29] = {
        let mut l = lines[29].clone();
        l[25] = 0xff;
        l
    };
    lines[39] = format!("2026-11-25 {}", "x".repeat(100_000)).into_bytes();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.log");
    std::fs::write(&p, lines.join(&b'\n')).unwrap();

    let (b, stats) = read(&ProxyReader::open(&[&p]).unwrap());
    assert_eq!(b.num_rows(), 296);
    assert_eq!(stats.skipped_total(), 4);
    let found: Vec<(u64, &str)> = stats
        .errors
        .iter()
        .map(|e| (e.line, e.error.kind()))
        .collect();
    assert_eq!(
        found,
        [
            (10, "unbalanced_quote"),
            (20, "field_count"),
            (30, "invalid_utf8"),
            (40, "too_long")
        ]
    );
    assert!(matches!(
        stats.errors[1].error,
        LineError::FieldCount {
            expected: 27,
            found: 4
        }
    ));

    let strict = ProxyReader::open(&[&p]).unwrap().with_strict(true);
    let err = strict.batches().find_map(Result::err).unwrap();
    match &err {
        DecodeError::BadLine { path, line, error } => {
            assert_eq!(path, &p);
            assert_eq!(*line, 10);
            assert!(matches!(error, LineError::UnbalancedQuote { .. }));
        }
        other => panic!("{other}"),
    }
    assert!(
        err.to_string()
            .contains("bad.log:10: field 5: opening quote"),
        "{err}"
    );
}

#[test]
fn forced_format_and_unknown_content() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("what.txt");
    std::fs::write(&p, "hello world\n").unwrap();
    assert!(matches!(
        ProxyReader::open(&[&p]),
        Err(DecodeError::Malformed { line: 1, .. })
    ));
    let r = ProxyReader::open_as(&[&p], ProxyFormat::Squid).unwrap();
    let (b, stats) = read(&r);
    assert_eq!(b.num_rows(), 0);
    assert_eq!(stats.skipped_total(), 1);
    // Forcing a format re-labels every file.
    let r = ProxyReader::open(&[data("bluecoat-style.log")])
        .unwrap()
        .with_format(ProxyFormat::Zeek);
    assert!(r.files().all(|(_, f)| f == ProxyFormat::Zeek));
    let (b, stats) = read(&r);
    assert_eq!(b.num_rows(), 0);
    assert_eq!(stats.skipped_total(), 300);
}

#[test]
fn elff_fields_without_a_proxy_column_are_carried_through() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("extra.log");
    std::fs::write(
        &p,
        "#Software: SGOS 6.7.5.3\r\n\
         #Fields: date time c-ip cs-host cs-method x-cs-client-ip-country cs-uri-path cs(X-Forwarded-For) sc-status\r\n\
         2026-11-25 09:40:06 10.0.0.5 example.com GET \"United States\" /a 198.51.100.7 200\r\n\
         2026-11-25 09:40:07 10.0.0.6 example.org POST - /b - 404\r\n\
         #Fields: date time c-ip cs-host cs-method cs-uri-path sc-status cs(X-Forwarded-For)\r\n\
         2026-11-25 09:40:08 10.0.0.7 example.net GET /c 301 203.0.113.9\r\n",
    )
    .unwrap();
    let reader = ProxyReader::open(&[&p]).unwrap();
    assert_eq!(
        reader.extra_columns(),
        ["x-cs-client-ip-country", "cs(X-Forwarded-For)"]
    );
    let (b, stats) = read(&reader);
    assert_eq!(stats.skipped_total(), 0, "{:?}", stats.errors);
    assert_eq!(b.num_columns(), 30);
    assert_eq!(b.schema().field(28).name(), "x-cs-client-ip-country");
    let col = |name: &str| {
        let a = b.column_by_name(name).unwrap().as_string::<i32>().clone();
        (0..3)
            .map(|i| a.is_valid(i).then(|| a.value(i).to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        col("x-cs-client-ip-country"),
        [Some("United States".to_string()), None, None]
    );
    assert_eq!(
        col("cs(X-Forwarded-For)"),
        [
            Some("198.51.100.7".to_string()),
            None,
            Some("203.0.113.9".to_string())
        ]
    );
    assert_eq!(
        col("host"),
        ["example.com", "example.org", "example.net"].map(|s| Some(s.to_string()))
    );
    // The shared files have no extra fields: the plain proxy schema.
    let plain = ProxyReader::open(&[data("bluecoat-elff.log")]).unwrap();
    assert!(plain.extra_columns().is_empty());
    assert_eq!(plain.schema(), spot_decode::proxy_schema());
}

/// Dictionary-encoded batches hold the same values, and a Parquet file written from them under
/// the text schema reads back as the plain batches.
#[test]
fn dictionary_encoded_batches_write_the_same_parquet() {
    use parquet::arrow::ArrowWriter;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use spot_decode::proxy::proxy_parquet_properties;
    let dir = tempfile::tempdir().unwrap();
    let extra = dir.path().join("extra.log");
    std::fs::write(
        &extra,
        "#Fields: date time c-ip cs-host x-country cs-uri-path cs-uri-query\n\
         2026-11-25 09:40:06 10.0.0.5 example.com \"United States\" /a ?x=\"\"1\"\"\n\
         2026-11-25 09:40:07 10.0.0.6 example.com - / -\n\
         2026-11-25 09:40:08 10.0.0.6 - \"United States\" /a ?\n",
    )
    .unwrap();
    for (path, batch_size) in [
        (data("bluecoat-elff.log"), 64),
        (data("bluecoat-style.log"), 1000),
        (data("squid-access.log"), 7),
        (data("zeek-http.log"), 3),
        (extra, 2),
    ] {
        let open = || {
            ProxyReader::open(&[&path])
                .unwrap()
                .with_batch_size(batch_size)
        };
        let (plain, _) = read(&open());
        let dict_reader = open().with_dictionary_encoding(true);
        assert_eq!(dict_reader.text_schema(), open().schema());
        let (dict, _) = read(&dict_reader);
        assert_eq!(
            dict.column_by_name("host").unwrap().data_type(),
            &arrow::datatypes::DataType::Dictionary(
                Box::new(arrow::datatypes::DataType::Int32),
                Box::new(arrow::datatypes::DataType::Utf8)
            )
        );
        for (name, (p, d)) in plain
            .schema()
            .fields()
            .iter()
            .map(|f| f.name())
            .zip(plain.columns().iter().zip(dict.columns()))
        {
            let d = arrow::compute::cast(d, p.data_type()).unwrap();
            assert_eq!(p.to_data(), d.to_data(), "{} {name}", path.display());
        }
        let file = dir.path().join("out.parquet");
        let schema = dict_reader.text_schema();
        let mut w = ArrowWriter::try_new(
            std::fs::File::create(&file).unwrap(),
            schema.clone(),
            Some(proxy_parquet_properties(&schema)),
        )
        .unwrap();
        for b in dict_reader.batches() {
            w.write(&b.unwrap()).unwrap();
        }
        w.close().unwrap();
        let back: Vec<RecordBatch> =
            ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&file).unwrap())
                .unwrap()
                .build()
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
        assert_eq!(
            concat_batches(&schema, &back).unwrap(),
            plain,
            "{}",
            path.display()
        );
    }
}
