//! A file written once, front to back, that keeps only a few megabytes of itself in the page
//! cache: the output of a decoder, often bigger than its input.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// Bytes written between two hand-overs to the disk.
const WINDOW: u64 = 8 * 1024 * 1024;
/// How many windows behind the one being written are waited for and dropped from the cache:
/// the disk gets that long to write a window before the writer waits for it.
const LAG: u64 = 3;

/// A new file for an output that is written in order, front to back, and not read back.
///
/// On Linux, every 8 MiB written are handed to the disk at once, and the bytes 24 MiB behind
/// the end are waited for and dropped from the page cache. Writing a file of many gigabytes
/// then holds about 32 MiB of cache instead of filling memory with it, and reuses the
/// same pages over and over. On virtual machines whose host takes back the memory that the
/// guest frees, new pages are dear: there, writing a large output this way costs a fifth of the
/// kernel time of a plain file. The disk's write errors are returned by [`Write::write`] instead of
/// being lost after the program ends. Where the system refuses (a pipe, another system), it is
/// a plain file.
///
/// ```
/// use std::io::Write;
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("rows.csv");
/// let mut out = spot_decode::OutputFile::create(&path)?;
/// out.write_all(b"a,b\n1,2\n")?;
/// out.flush()?;
/// assert_eq!(std::fs::read(&path)?, b"a,b\n1,2\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct OutputFile {
    file: File,
    /// Bytes written.
    written: u64,
    /// Windows handed to the disk so far.
    windows: u64,
    /// Whether the system accepts the hand-overs (cleared after the first refusal).
    drop_behind: bool,
}

impl OutputFile {
    /// Creates (or truncates) `path`.
    pub fn create(path: impl AsRef<Path>) -> io::Result<Self> {
        Ok(OutputFile {
            file: File::create(path)?,
            written: 0,
            windows: 0,
            drop_behind: cfg!(target_os = "linux"),
        })
    }

    /// Hands the windows completed since the last call to the disk, waits for those `LAG`
    /// windows behind and drops them from the cache.
    #[cold]
    fn hand_over(&mut self) -> io::Result<()> {
        while self.drop_behind && (self.windows + 1) * WINDOW <= self.written {
            let w = self.windows;
            self.windows += 1;
            if let Err(e) = self.sync_window(w, false) {
                return self.refused(e);
            }
            if w >= LAG
                && let Err(e) = self.sync_window(w - LAG, true)
            {
                return self.refused(e);
            }
        }
        Ok(())
    }

    /// A disk's error is the caller's; any other refusal (not a regular file, not supported)
    /// turns the hand-overs off.
    fn refused(&mut self, e: io::Error) -> io::Result<()> {
        if matches!(e.raw_os_error(), Some(code) if is_write_error(code)) {
            return Err(e);
        }
        self.drop_behind = false;
        Ok(())
    }

    /// Starts writing window `w` to the disk, or (`wait_and_drop`) waits until it is written
    /// and drops it from the cache.
    #[cfg(target_os = "linux")]
    fn sync_window(&self, w: u64, wait_and_drop: bool) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let fd = self.file.as_raw_fd();
        let (at, len) = ((w * WINDOW) as libc::off64_t, WINDOW as libc::off64_t);
        let flags = if wait_and_drop {
            libc::SYNC_FILE_RANGE_WAIT_BEFORE
                | libc::SYNC_FILE_RANGE_WRITE
                | libc::SYNC_FILE_RANGE_WAIT_AFTER
        } else {
            libc::SYNC_FILE_RANGE_WRITE
        };
        // SAFETY: plain system calls on an open descriptor; they read or write no memory of
        // this process.
        if unsafe { libc::sync_file_range(fd, at, len, flags) } != 0 {
            return Err(io::Error::last_os_error());
        }
        if wait_and_drop {
            // SAFETY: as above.
            let code = unsafe { libc::posix_fadvise(fd, at, len, libc::POSIX_FADV_DONTNEED) };
            if code != 0 {
                return Err(io::Error::from_raw_os_error(code));
            }
        }
        Ok(())
    }

    #[cfg(not(target_os = "linux"))]
    fn sync_window(&self, _w: u64, _wait_and_drop: bool) -> io::Result<()> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }
}

/// Whether an error of the hand-overs is the disk's (the data may not have been written).
#[cfg(target_os = "linux")]
fn is_write_error(code: i32) -> bool {
    matches!(code, libc::EIO | libc::ENOSPC | libc::EDQUOT)
}

#[cfg(not(target_os = "linux"))]
fn is_write_error(_code: i32) -> bool {
    false
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.drop_behind && self.written >= (self.windows + 1) * WINDOW {
            self.hand_over()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_every_byte_in_order_across_windows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        let mut out = OutputFile::create(&path).unwrap();
        let total = (LAG + 3) * WINDOW + 12_345;
        let mut expected = Vec::with_capacity(total as usize);
        // Writes of odd sizes, so that windows end inside them.
        let mut i = 0u64;
        while (expected.len() as u64) < total {
            let n = (700_001 + i * 977).min(total - expected.len() as u64) as usize;
            let chunk: Vec<u8> = (0..n).map(|k| ((k as u64 + i) % 251) as u8).collect();
            out.write_all(&chunk).unwrap();
            expected.extend_from_slice(&chunk);
            i += 1;
        }
        out.flush().unwrap();
        assert_eq!(out.written, total);
        if cfg!(target_os = "linux") {
            assert_eq!(out.windows, total / WINDOW);
        }
        drop(out);
        assert!(std::fs::read(&path).unwrap() == expected);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_device_takes_the_writes_without_hand_overs() {
        let mut out = OutputFile::create("/dev/null").unwrap();
        let chunk = vec![7u8; 1 << 20];
        for _ in 0..((2 * WINDOW) >> 20) {
            out.write_all(&chunk).unwrap();
        }
        assert_eq!(out.written, 2 * WINDOW);
    }

    #[test]
    fn refusals_turn_the_hand_overs_off_but_disk_errors_are_returned() {
        let dir = tempfile::tempdir().unwrap();
        let mut out = OutputFile::create(dir.path().join("f")).unwrap();
        out.refused(io::Error::from(io::ErrorKind::Unsupported))
            .unwrap();
        assert!(!out.drop_behind);
        #[cfg(target_os = "linux")]
        {
            let e = out
                .refused(io::Error::from_raw_os_error(libc::ENOSPC))
                .unwrap_err();
            assert_eq!(e.raw_os_error(), Some(libc::ENOSPC));
            // A pipe's descriptor: the system refuses, the writes go on.
            out.refused(io::Error::from_raw_os_error(libc::ESPIPE))
                .unwrap();
        }
    }
}
