//! Resource use of this process, for the bench drivers (`lda_bench`, `model_io`), read from
//! Linux's `/proc/self`; elsewhere the values are unknown.

/// Peak resident memory of this process in MiB (`VmHWM`), or "-" where unknown.
pub fn peak_rss_mib() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or_else(|| "-".to_string(), |kb| format!("{:.0}", kb / 1024.0))
}

/// User + system CPU seconds used so far by every thread of this process (`utime + stime` of
/// `/proc/self/stat`, in the kernel's fixed 100 ticks per second), or `None` where unknown.
/// The difference of two readings is the CPU time of the work between them, which stays fair
/// on a shared machine where wall time does not.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis,
    // where field 3 (state) is the first; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// CPU seconds since `start` (a [`cpu_seconds`] reading) formatted for a result row, or "-".
pub fn cpu_since(start: Option<f64>) -> String {
    match (start, cpu_seconds()) {
        (Some(a), Some(b)) => format!("{:.2}", b - a),
        _ => "-".to_string(),
    }
}

fn status_kb(field: &str) -> Option<f64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
}

/// Resident memory of this process now and at its peak since the last
/// [`reset_peak_rss`], in MiB (`VmRSS`, `VmHWM`), where known.
pub fn rss_now_and_peak_mib() -> Option<(f64, f64)> {
    Some((status_kb("VmRSS:")? / 1024.0, status_kb("VmHWM:")? / 1024.0))
}

/// Resets the peak resident memory (`VmHWM`) to the current one (Linux: `5` written to
/// `/proc/self/clear_refs`), so that a later reading is the peak of the work in between.
/// False where that is not possible.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
