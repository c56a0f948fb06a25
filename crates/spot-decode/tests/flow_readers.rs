//! Flow readers on real nfdump output and on files we write ourselves.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, AsArray, Int32Array, RecordBatch, StringArray};
use arrow::compute::concat_batches;
use arrow::datatypes::{Float32Type, Int32Type, Int64Type};
use spot_decode::{BatchWriter, DecodeError, FlowFormat, FlowReader, HiveWriter, flow_schema};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/flow")
        .join(name)
}

fn read_all(reader: &FlowReader) -> RecordBatch {
    let batches: Vec<RecordBatch> = reader.batches().collect::<Result<_, _>>().unwrap();
    concat_batches(&reader.schema(), &batches).unwrap()
}

/// Every mapped field equals nfdump's own text, row by row, for both sample files.
#[test]
fn nfdump_csv_matches_nfdump_field_by_field() {
    for file in ["nfcapd-none.nfdump.csv", "nfcapd-export-v9.nfdump.csv"] {
        let path = data(file);
        let reader = FlowReader::open(&[&path]).unwrap().with_batch_size(333);
        assert_eq!(reader.files().next().unwrap().1, FlowFormat::NfdumpCsv);
        let b = read_all(&reader);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let rows: Vec<Vec<&str>> = lines
            .take_while(|l| !l.starts_with("Summary"))
            .map(|l| l.split(',').collect())
            .collect();
        // nfdump's summary block states the flow count.
        let summary: u64 = text
            .lines()
            .last()
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(rows.len() as u64, summary, "{file}");
        assert_eq!(b.num_rows(), rows.len(), "{file}");
        let raw = |r: &[&str], name: &str| {
            r[header.iter().position(|h| *h == name).unwrap()]
                .trim()
                .to_string()
        };
        let s = |c: &str| b.column_by_name(c).unwrap().as_string::<i32>().clone();
        let i32c = |c: &str| {
            b.column_by_name(c)
                .unwrap()
                .as_primitive::<Int32Type>()
                .clone()
        };
        let i64c = |c: &str| {
            b.column_by_name(c)
                .unwrap()
                .as_primitive::<Int64Type>()
                .clone()
        };
        let (treceived, sip, dip, proto, flag, rip, tr) = (
            s("treceived"),
            s("sip"),
            s("dip"),
            s("proto"),
            s("flag"),
            s("rip"),
            s("tr"),
        );
        let (sport, dport, hour, minute, sec) = (
            i32c("sport"),
            i32c("dport"),
            i32c("trhour"),
            i32c("trminute"),
            i32c("trsec"),
        );
        let (ipkt, ibyt, opkt, obyt, unix) = (
            i64c("ipkt"),
            i64c("ibyt"),
            i64c("opkt"),
            i64c("obyt"),
            i64c("unix_tstamp"),
        );
        let tdur = b
            .column_by_name("tdur")
            .unwrap()
            .as_primitive::<Float32Type>()
            .clone();
        for (i, r) in rows.iter().enumerate() {
            let ts = raw(r, "ts");
            assert_eq!(treceived.value(i), &ts[..19], "{file} row {i}");
            assert_eq!(hour.value(i), ts[11..13].parse::<i32>().unwrap());
            assert_eq!(minute.value(i), ts[14..16].parse::<i32>().unwrap());
            assert_eq!(sec.value(i), ts[17..19].parse::<i32>().unwrap());
            let t = chrono::NaiveDateTime::parse_from_str(&ts[..19], "%Y-%m-%d %H:%M:%S").unwrap();
            assert_eq!(unix.value(i), t.and_utc().timestamp());
            assert_eq!(sip.value(i), raw(r, "sa"));
            assert_eq!(dip.value(i), raw(r, "da"));
            assert_eq!(sport.value(i).to_string(), raw(r, "sp"));
            assert_eq!(dport.value(i).to_string(), raw(r, "dp"));
            assert_eq!(proto.value(i), raw(r, "pr"));
            assert_eq!(flag.value(i), raw(r, "flg"));
            assert_eq!(ipkt.value(i).to_string(), raw(r, "ipkt"));
            assert_eq!(ibyt.value(i).to_string(), raw(r, "ibyt"));
            assert_eq!(opkt.value(i).to_string(), raw(r, "opkt"));
            assert_eq!(obyt.value(i).to_string(), raw(r, "obyt"));
            assert_eq!(tdur.value(i), raw(r, "td").parse::<f32>().unwrap());
            assert_eq!(rip.value(i), raw(r, "ra"));
            assert_eq!(tr.value(i), raw(r, "tr"));
        }
    }
}

fn small_batch() -> RecordBatch {
    let path = data("nfcapd-export-v9.nfdump.csv");
    let reader = FlowReader::open(&[&path]).unwrap();
    let b = read_all(&reader);
    // Keep the Spot columns and add an id, as a user's own table would.
    let spot: Vec<usize> = (0..flow_schema().fields().len()).collect();
    let b = b.project(&spot).unwrap();
    let mut cols = b.columns().to_vec();
    let mut fields: Vec<_> = b.schema().fields().iter().cloned().collect();
    cols.push(Arc::new(Int32Array::from(
        (0..b.num_rows() as i32).collect::<Vec<_>>(),
    )));
    fields.push(Arc::new(arrow::datatypes::Field::new(
        "id",
        arrow::datatypes::DataType::Int32,
        true,
    )));
    RecordBatch::try_new(Arc::new(arrow::datatypes::Schema::new(fields)), cols).unwrap()
}

#[test]
fn spot_csv_and_parquet_round_trip_with_extra_columns() {
    let dir = tempfile::tempdir().unwrap();
    let b = small_batch();
    for name in ["flows.csv", "flows.parquet"] {
        let path = dir.path().join(name);
        let mut w = BatchWriter::create(&path, &b.schema()).unwrap();
        w.write(&b).unwrap();
        assert_eq!(w.finish().unwrap(), b.num_rows() as u64);
        let reader = FlowReader::open(&[&path]).unwrap().with_batch_size(100);
        let back = read_all(&reader);
        assert_eq!(back.num_rows(), b.num_rows(), "{name}");
        // CSV has no types: the extra column comes back as text, with the same values.
        let id = back.column_by_name("id").unwrap();
        let id: Vec<String> = (0..id.len())
            .map(|i| arrow::util::display::array_value_to_string(id, i).unwrap())
            .collect();
        assert_eq!(
            id,
            (0..b.num_rows()).map(|i| i.to_string()).collect::<Vec<_>>()
        );
        for f in flow_schema().fields() {
            assert_eq!(
                back.column_by_name(f.name()).unwrap().as_ref(),
                b.column_by_name(f.name()).unwrap().as_ref(),
                "{name}: {}",
                f.name()
            );
        }
    }
}

#[test]
fn hive_folders_are_read_with_partition_columns() {
    let dir = tempfile::tempdir().unwrap();
    let b = small_batch();
    let mut w = HiveWriter::new(
        dir.path(),
        b.schema(),
        ["tryear", "trmonth", "trday", "trhour"],
    )
    .unwrap();
    w.write(&b.slice(0, 1000)).unwrap();
    w.write(&b.slice(1000, b.num_rows() - 1000)).unwrap();
    w.finish().unwrap();
    let reader = FlowReader::open(&[dir.path()]).unwrap();
    let files: Vec<_> = reader.files().map(|(p, f)| (p.to_path_buf(), f)).collect();
    assert!(!files.is_empty());
    assert!(
        files.iter().all(|(p, f)| *f == FlowFormat::Parquet
            && p.to_string_lossy().contains("/y=2027/m=01/d=14/h="))
    );
    let back = read_all(&reader);
    assert_eq!(back.num_rows(), b.num_rows());
    let names: Vec<String> = back
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(&names[names.len() - 5..], ["id", "y", "m", "d", "h"]);
    let h = back
        .column_by_name("h")
        .unwrap()
        .as_primitive::<Int32Type>();
    let hour = back
        .column_by_name("trhour")
        .unwrap()
        .as_primitive::<Int32Type>();
    assert_eq!(h, hour);
}

#[test]
fn gzip_csv_is_read() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("f.csv");
    let b = small_batch();
    let mut w = BatchWriter::create(&plain, &b.schema()).unwrap();
    w.write(&b).unwrap();
    w.finish().unwrap();
    let gz = dir.path().join("f.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(&std::fs::read(&plain).unwrap()).unwrap();
    enc.finish().unwrap();
    let back = read_all(&FlowReader::open(&[&gz]).unwrap());
    assert_eq!(back, read_all(&FlowReader::open(&[&plain]).unwrap()));
}

#[test]
fn missing_columns_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, "treceived,sip,dip\n2026-01-01 00:00:00,a,b\n").unwrap();
    let err = FlowReader::open(&[&path]).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DecodeError::MissingColumns { .. }));
    assert!(
        msg.contains("bad.csv")
            && msg.contains("ibyt")
            && msg.contains("sport")
            && !msg.contains("missing required column(s): treceived"),
        "{msg}"
    );
}

#[test]
fn inputs_with_different_columns_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let b = small_batch();
    let a_path = dir.path().join("a.csv");
    let mut w = BatchWriter::create(&a_path, &b.schema()).unwrap();
    w.write(&b).unwrap();
    w.finish().unwrap();
    let b_path = dir.path().join("b.csv");
    let spot_only = b
        .project(&(0..flow_schema().fields().len()).collect::<Vec<_>>())
        .unwrap();
    let mut w = BatchWriter::create(&b_path, &spot_only.schema()).unwrap();
    w.write(&spot_only).unwrap();
    w.finish().unwrap();
    let err = FlowReader::open(&[&a_path, &b_path]).unwrap_err();
    assert!(matches!(err, DecodeError::SchemaMismatch { .. }), "{err}");
}

#[test]
fn bad_values_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nf.csv");
    let text = std::fs::read_to_string(data("nfcapd-none.nfdump.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().take(5).map(str::to_string).collect();
    lines[3] = lines[3]
        .replacen(",56290,", ",notaport,", 1)
        .replacen(",53,", ",notaport,", 1);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let reader = FlowReader::open(&[&path]).unwrap();
    let err = reader.batches().find_map(Result::err).expect("an error");
    let msg = err.to_string();
    assert!(
        msg.contains("nf.csv:4:") && msg.contains("expected an integer"),
        "{msg}"
    );

    let path = dir.path().join("short.csv");
    std::fs::write(&path, format!("{}\n1,2,3\n", text.lines().next().unwrap())).unwrap();
    let err = FlowReader::open(&[&path])
        .unwrap()
        .batches()
        .find_map(Result::err)
        .unwrap();
    assert!(
        err.to_string()
            .contains("short.csv:2: expected 48 comma-separated fields"),
        "{err}"
    );

    let err = FlowReader::open(&[dir.path().join("nope.csv")]).unwrap_err();
    assert!(matches!(err, DecodeError::Io { .. }));
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        FlowReader::open(&[empty.path()]).unwrap_err(),
        DecodeError::NoInput { .. }
    ));
}

#[test]
fn unsupported_output_extension_is_an_error() {
    let err = BatchWriter::create("/tmp/out.json", &flow_schema())
        .err()
        .unwrap();
    assert!(err.to_string().contains("unsupported output format"));
    let _ = StringArray::from(vec!["x"]);
}
