//! Every nfcapd file of the shared flow data, read natively, equals `nfdump -r FILE -o csv` of
//! the same file read with the nfdump CSV reader: same schema, same rows, every field.

use std::path::{Path, PathBuf};

use arrow::array::{Array, RecordBatch};
use arrow::compute::concat_batches;
use arrow::util::display::array_value_to_string;
use spot_decode::nfcapd::{Compression, NfcapdReader};
use spot_decode::{FlowFormat, FlowReader};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/flow")
        .join(name)
}

fn read(path: &Path) -> RecordBatch {
    let reader = FlowReader::open(&[path]).unwrap().with_batch_size(1000);
    let schema = reader.schema();
    let batches: Vec<RecordBatch> = reader.batches().map(|b| b.unwrap()).collect();
    concat_batches(&schema, &batches).unwrap()
}

/// Compares two batches field by field, naming the first difference.
pub fn assert_same_flows(native: &RecordBatch, csv: &RecordBatch, what: &str) {
    assert_eq!(native.schema(), csv.schema(), "{what}: schema");
    assert_eq!(native.num_rows(), csv.num_rows(), "{what}: row count");
    for (i, field) in csv.schema().fields().iter().enumerate() {
        let (a, b) = (native.column(i), csv.column(i));
        for row in 0..csv.num_rows() {
            let (x, y) = (
                array_value_to_string(a, row).unwrap(),
                array_value_to_string(b, row).unwrap(),
            );
            assert_eq!(x, y, "{what}: row {row}, column {}", field.name());
        }
        assert_eq!(a.as_ref(), b.as_ref(), "{what}: column {}", field.name());
    }
    assert_eq!(native, csv, "{what}");
}

#[test]
fn every_nfcapd_file_equals_its_nfdump_csv() {
    for (name, compression, flows) in [
        ("nfcapd-none", Compression::None, 800),
        ("nfcapd-lzo", Compression::Lzo, 800),
        ("nfcapd-lz4", Compression::Lz4, 800),
        ("nfcapd-bz2", Compression::Bz2, 800),
        ("nfcapd-export-v5", Compression::None, 2398),
        ("nfcapd-export-v9", Compression::None, 2400),
        ("nfcapd-export-v10", Compression::None, 2400),
    ] {
        let path = data(name);
        let reader = FlowReader::open(&[&path]).unwrap();
        assert_eq!(
            reader.files().map(|(_, f)| f).collect::<Vec<_>>(),
            [FlowFormat::Nfcapd]
        );
        let native = read(&path);
        let csv = read(&data(&format!("{name}.nfdump.csv.gz")));
        assert_eq!(native.num_rows(), flows, "{name}");
        assert_same_flows(&native, &csv, name);

        let mut direct = NfcapdReader::open(&path).unwrap();
        assert_eq!(direct.header().compression, compression, "{name}");
        let rows: usize = (&mut direct).map(|b| b.unwrap().num_rows()).sum();
        let stats = direct.stats();
        assert_eq!((rows, stats.flows), (flows, flows as u64), "{name}");
        assert_eq!(stats.corrupt_blocks + stats.malformed_records, 0, "{name}");
        if name.contains("export") {
            // nfcapd writes one exporter info and one exporter statistics record.
            assert_eq!(stats.other_records.get(&7), Some(&1), "{name}");
            assert_eq!(stats.other_records.get(&8), Some(&1), "{name}");
        }
    }
}

#[test]
fn a_folder_of_nfcapd_files_is_walked_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("2026/11/25");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::copy(data("nfcapd-lz4"), sub.join("nfcapd.202611250935")).unwrap();
    std::fs::copy(data("nfcapd-none"), sub.join("nfcapd.202611250940")).unwrap();
    std::fs::copy(data("nfcapd-none"), sub.join("nfcapd.current.4242")).unwrap();
    let reader = FlowReader::open(&[dir.path()]).unwrap();
    assert_eq!(reader.files().count(), 2);
    let rows: usize = reader.batches().map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(rows, 1600);
}

#[test]
fn nfcapd_and_its_csv_mix_in_one_reader() {
    let reader =
        FlowReader::open(&[data("nfcapd-none"), data("nfcapd-none.nfdump.csv.gz")]).unwrap();
    let batches: Vec<RecordBatch> = reader.batches().map(|b| b.unwrap()).collect();
    let all = concat_batches(&reader.schema(), &batches).unwrap();
    assert_eq!(all.num_rows(), 1600);
    assert_eq!(all.slice(0, 800), all.slice(800, 800));
    assert!(all.column(0).null_count() == 0);
}
