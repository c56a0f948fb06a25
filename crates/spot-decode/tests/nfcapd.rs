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

/// The blocks of an uncompressed nfcapd file compressed again with `compress`, and the header's
/// compression field and appendix offset set to match. nfdump 1.7.1 (the version that wrote the
/// shared files) cannot write ZSTD files, so this is how a ZSTD file is made for the tests: its
/// blocks are what nfdump's ZSTD writer stores (one Zstandard frame per block, the block header's
/// size being the compressed size).
fn recompress(plain: &[u8], compression_id: u8, compress: impl Fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let u32_at = |o: usize| u32::from_le_bytes(plain[o..o + 4].try_into().unwrap());
    let appendix_offset = u64::from_le_bytes(plain[24..32].try_into().unwrap()) as usize;
    assert_eq!(plain[16], 0, "source file must be uncompressed");
    let mut out = plain[..40].to_vec();
    out[16] = compression_id;
    let mut pos = 40;
    while pos + 12 <= plain.len() {
        let size = u32_at(pos + 4) as usize;
        if pos == appendix_offset {
            let new = out.len() as u64;
            out[24..32].copy_from_slice(&new.to_le_bytes());
        }
        let body = compress(&plain[pos + 12..pos + 12 + size]);
        out.extend_from_slice(&plain[pos..pos + 4]);
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&plain[pos + 8..pos + 12]);
        out.extend_from_slice(&body);
        pos += 12 + size;
    }
    assert_eq!(pos, plain.len(), "trailing bytes in the source file");
    out
}

#[test]
fn zstd_file_made_from_the_uncompressed_one_decodes_identically() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["nfcapd-none", "nfcapd-export-v10"] {
        let plain = std::fs::read(data(name)).unwrap();
        let zst = recompress(&plain, 4, |b| zstd::bulk::compress(b, 3).unwrap());
        assert!(
            zst.len() < plain.len() / 2,
            "{name}: blocks were not compressed"
        );
        let path = dir.path().join(format!("{name}-zstd"));
        std::fs::write(&path, &zst).unwrap();

        let mut direct = NfcapdReader::open(&path).unwrap();
        assert_eq!(direct.header().compression, Compression::Zstd);
        let batches: Vec<RecordBatch> = (&mut direct).map(|b| b.unwrap()).collect();
        let stats = direct.stats();
        assert_eq!(stats.corrupt_blocks + stats.malformed_records, 0, "{name}");

        let native = read(&path);
        assert_same_flows(&native, &read(&data(name)), &format!("{name} zstd vs none"));
        let csv = read(&data(&format!("{name}.nfdump.csv.gz")));
        assert_same_flows(&native, &csv, &format!("{name} zstd vs nfdump csv"));
        assert_eq!(
            batches.iter().map(|b| b.num_rows()).sum::<usize>(),
            native.num_rows()
        );
    }
}

#[test]
fn lz4_file_made_the_same_way_decodes_identically() {
    // The method checked where a real file exists: the reader's LZ4 path equals nfdump on
    // nfdump's own LZ4 file (above), and on the LZ4 file made like the ZSTD one.
    let plain = std::fs::read(data("nfcapd-none")).unwrap();
    let lz4 = recompress(&plain, 3, lz4_flex::block::compress);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nfcapd-lz4-made");
    std::fs::write(&path, &lz4).unwrap();
    assert_same_flows(
        &read(&path),
        &read(&data("nfcapd-none")),
        "made lz4 vs none",
    );
    assert_same_flows(
        &read(&path),
        &read(&data("nfcapd-none.nfdump.csv.gz")),
        "made lz4 vs nfdump csv",
    );
}
