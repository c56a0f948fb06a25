//! Lines of a text log, read in large blocks and handed out in place.
//!
//! Text logs (proxy logs, Zeek logs) are read a block at a time into one buffer and split at
//! `\n` with `memchr`; a line is a slice of that buffer, so reading a line copies nothing and
//! allocates nothing. A line longer than the reader's limit is read past without being held in
//! memory, and reported with its length.

use std::io::{ErrorKind, Read};

/// Bytes asked of the input per read.
const BLOCK: usize = 1 << 20;

/// One line as [`LineReader::next_line`] returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line {
    /// The line's bytes are `buf[start..end]` of [`LineReader::bytes`], without the `\n`.
    Text { start: usize, end: usize },
    /// The line is longer than the limit: its length without the `\n`.
    TooLong(usize),
}

/// Splits a byte stream into lines; see the [module docs](self).
#[derive(Debug)]
pub(crate) struct LineReader {
    buf: Vec<u8>,
    /// Start of the bytes not yet handed out.
    start: usize,
    /// End of the bytes read.
    end: usize,
    /// Where the search for the next `\n` resumes (bytes before it hold none).
    scanned: usize,
    eof: bool,
    /// Bytes of an overlong line read past so far.
    skipping: Option<usize>,
    max: usize,
}

impl LineReader {
    /// A reader of lines up to `max` bytes long (longer ones are [`Line::TooLong`]).
    pub(crate) fn new(max: usize) -> Self {
        LineReader {
            buf: Vec::new(),
            start: 0,
            end: 0,
            scanned: 0,
            eof: false,
            skipping: None,
            max,
        }
    }

    /// The buffer the [`Line::Text`] ranges index.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The next line if it is already in the buffer, without reading: `None` when a read is
    /// needed (then [`next_line`](Self::next_line) reads). The lines it hands out stay where
    /// they are in [`bytes`](Self::bytes) until the next call of `next_line`, which may move
    /// the buffer's contents.
    #[inline]
    pub(crate) fn next_buffered(&mut self) -> Option<Line> {
        match memchr::memchr(b'\n', &self.buf[self.scanned..self.end]) {
            Some(i) => {
                let (start, end) = (self.start, self.scanned + i);
                self.start = end + 1;
                self.scanned = self.start;
                Some(self.finish(start, end))
            }
            None => {
                self.scanned = self.end;
                None
            }
        }
    }

    /// The buffer, where the next line starts in it, and the end of the bytes read: the caller
    /// may find the next line's end itself and hand it out with [`take_line`](Self::take_line).
    #[inline]
    pub(crate) fn unread(&self) -> (&[u8], usize, usize) {
        (&self.buf, self.start, self.end)
    }

    /// Hands out the next line, which ends at the `\n` at `buf[newline]` (the first one after
    /// the line's start, found by the caller in [`unread`](Self::unread)'s bytes), as
    /// [`next_buffered`](Self::next_buffered) would.
    #[inline]
    pub(crate) fn take_line(&mut self, newline: usize) -> Line {
        debug_assert!(newline < self.end && self.buf[newline] == b'\n');
        let start = self.start;
        self.start = newline + 1;
        self.scanned = self.start;
        self.finish(start, newline)
    }

    /// The next line of `input`, or `None` at its end. A last line without `\n` is a line.
    pub(crate) fn next_line(&mut self, input: &mut dyn Read) -> std::io::Result<Option<Line>> {
        loop {
            if let Some(line) = self.next_buffered() {
                return Ok(Some(line));
            }
            if self.eof {
                if self.start == self.end && self.skipping.is_none() {
                    return Ok(None);
                }
                let (start, end) = (self.start, self.end);
                self.start = end;
                self.scanned = end;
                return Ok(Some(self.finish(start, end)));
            }
            let pending = self.end - self.start;
            if self.skipping.is_some() || pending > self.max {
                // An overlong line: count its bytes and drop them.
                *self.skipping.get_or_insert(0) += pending;
                self.start = self.end;
            }
            // Keep the unfinished line at the front, then read after it.
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            self.scanned = self.end;
            if self.buf.len() - self.end < BLOCK {
                self.buf.resize(self.end + BLOCK, 0);
            }
            loop {
                match input.read(&mut self.buf[self.end..]) {
                    Ok(0) => self.eof = true,
                    Ok(n) => self.end += n,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
                break;
            }
        }
    }

    fn finish(&mut self, start: usize, end: usize) -> Line {
        let len = end - start;
        match self.skipping.take() {
            Some(skipped) => Line::TooLong(skipped + len),
            None if len > self.max => Line::TooLong(len),
            None => Line::Text { start, end },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads in pieces of at most `step` bytes, to cross block edges.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(self.1).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn all(data: &[u8], max: usize, step: usize) -> Vec<Result<Vec<u8>, usize>> {
        let mut r = LineReader::new(max);
        let mut input = Trickle(data, step);
        let mut out = Vec::new();
        while let Some(l) = r.next_line(&mut input).unwrap() {
            out.push(match l {
                Line::Text { start, end } => Ok(r.bytes()[start..end].to_vec()),
                Line::TooLong(n) => Err(n),
            });
        }
        out
    }

    #[test]
    fn splits_and_bounds_lines() {
        let data = b"short\nthis line is long\r\n\nend";
        for step in [1, 2, 3, 7, 1 << 21] {
            assert_eq!(
                all(data, 8, step),
                vec![
                    Ok(b"short".to_vec()),
                    Err(18),
                    Ok(Vec::new()),
                    Ok(b"end".to_vec())
                ],
                "step {step}"
            );
        }
        assert_eq!(all(b"", 8, 4), Vec::<Result<Vec<u8>, usize>>::new());
        assert_eq!(all(b"a\n", 8, 4), vec![Ok(b"a".to_vec())]);
        assert_eq!(all(b"0123456789", 8, 4), vec![Err(10)]);
        assert_eq!(all(b"012345678", 8, 4), vec![Err(9)]);
        assert_eq!(all(b"01234567", 8, 4), vec![Ok(b"01234567".to_vec())]);
    }

    #[test]
    fn long_lines_across_blocks() {
        let mut data = vec![b'x'; 3 * BLOCK + 5];
        data.push(b'\n');
        data.extend_from_slice(b"ok\n");
        data.extend(std::iter::repeat_n(b'y', BLOCK + 1));
        assert_eq!(
            all(&data, 1000, 1 << 20),
            vec![Err(3 * BLOCK + 5), Ok(b"ok".to_vec()), Err(BLOCK + 1)]
        );
        let long = all(&data, 4 * BLOCK, 1 << 19);
        assert_eq!(long[0].as_ref().map(Vec::len), Ok(3 * BLOCK + 5));
        assert_eq!(long[2].as_ref().map(Vec::len), Ok(BLOCK + 1));
    }
}
