//! Feeds arbitrary bytes, as the body of a Zeek `conn.log` (TSV or JSON lines), to
//! `FlowReader`: bad lines are counted and skipped, never an error and never a panic; every
//! line is a record, a directive or a counted bad line; in strict mode the first bad line is
//! an error naming the file and line.
#![no_main]

#[path = "../common/zeek_log.rs"]
mod zeek_log;

use libfuzzer_sys::fuzz_target;
use spot_decode::FlowReader;

fuzz_target!(|data: &[u8]| {
    let path = zeek_log::write_log("conn.log", "#separator \\x09\n#path\tconn\n", data);
    let reader = FlowReader::open(&[&path]).expect("a conn.log with a #path header");
    let mut batches = reader.batches();
    let mut rows = 0u64;
    for b in batches.by_ref() {
        let b = b.expect("bad lines are skipped, not errors");
        assert_eq!(b.schema(), reader.schema());
        rows += b.num_rows() as u64;
    }
    let stats = batches.zeek_lines().clone();
    drop(batches);
    assert_eq!(stats.records, rows);
    assert_eq!(
        stats.lines,
        stats.records + stats.directives + stats.skipped_total()
    );
    let strict = reader.with_strict(true);
    let errors: Vec<_> = strict.batches().filter_map(|b| b.err()).collect();
    assert_eq!(errors.len(), usize::from(stats.skipped_total() > 0));
    for e in &errors {
        zeek_log::check_strict_error(e, &path);
    }
});
