//! LZO1X decompression (the codec of `nfcapd -z` blocks), safe on untrusted input.
//!
//! The only permissively licensed Rust LZO crate indexes out of bounds on corrupt input, so this
//! small decoder follows the LZO1X bitstream description instead: every length, distance and
//! literal run is checked against the input left and the output bound before it is used.

/// Why a block did not decompress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LzoError {
    /// The input ended inside an instruction.
    Truncated,
    /// A match points before the start of the output.
    BadDistance,
    /// The output would exceed the bound given.
    OutputTooLarge,
}

impl std::fmt::Display for LzoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LzoError::Truncated => "LZO stream ends inside an instruction",
            LzoError::BadDistance => "LZO match refers before the start of the output",
            LzoError::OutputTooLarge => "LZO output exceeds the block size limit",
        })
    }
}

struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Input<'_> {
    fn byte(&mut self) -> Result<u8, LzoError> {
        let b = *self.data.get(self.pos).ok_or(LzoError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }
    fn le16(&mut self) -> Result<usize, LzoError> {
        let lo = self.byte()? as usize;
        let hi = self.byte()? as usize;
        Ok(lo | (hi << 8))
    }
    /// A length continued by zero bytes (each worth 255) and a final non-zero byte.
    fn long_len(&mut self, base: usize) -> Result<usize, LzoError> {
        let mut n = base;
        loop {
            let b = self.byte()?;
            if b != 0 {
                return Ok(n + b as usize);
            }
            n = n.checked_add(255).ok_or(LzoError::OutputTooLarge)?;
        }
    }
    fn take(&mut self, n: usize) -> Result<&[u8], LzoError> {
        let end = self.pos.checked_add(n).ok_or(LzoError::Truncated)?;
        let s = self.data.get(self.pos..end).ok_or(LzoError::Truncated)?;
        self.pos = end;
        Ok(s)
    }
}

fn literals(inp: &mut Input<'_>, out: &mut Vec<u8>, n: usize, max: usize) -> Result<(), LzoError> {
    if out.len() + n > max {
        return Err(LzoError::OutputTooLarge);
    }
    out.extend_from_slice(inp.take(n)?);
    Ok(())
}

fn copy_match(out: &mut Vec<u8>, dist: usize, len: usize, max: usize) -> Result<(), LzoError> {
    if dist == 0 || dist > out.len() {
        return Err(LzoError::BadDistance);
    }
    if out.len() + len > max {
        return Err(LzoError::OutputTooLarge);
    }
    let start = out.len() - dist;
    if dist >= len {
        out.extend_from_within(start..start + len);
    } else {
        // Overlapping copy repeats the last `dist` bytes.
        for i in 0..len {
            let b = out[start + i];
            out.push(b);
        }
    }
    Ok(())
}

/// Decompresses one LZO1X stream into `out` (cleared first), writing at most `max` bytes.
pub(crate) fn decompress(input: &[u8], out: &mut Vec<u8>, max: usize) -> Result<(), LzoError> {
    out.clear();
    let mut inp = Input {
        data: input,
        pos: 0,
    };
    // `state`: literals copied by the previous instruction (0..3), or 4 after a long run.
    let mut state: usize;
    let first = *input.first().ok_or(LzoError::Truncated)?;
    if first > 17 {
        inp.pos = 1;
        let n = first as usize - 17;
        literals(&mut inp, out, n, max)?;
        state = if n < 4 { n } else { 4 };
    } else {
        state = 0;
    }
    loop {
        let op = inp.byte()? as usize;
        let (dist, len, next);
        if op >= 64 {
            // Short match within 2 KiB: length 3..8, distance from 3 bits and one byte.
            let h = inp.byte()? as usize;
            dist = (h << 3) + ((op >> 2) & 7) + 1;
            len = if op >= 128 {
                5 + ((op >> 5) & 3)
            } else {
                3 + ((op >> 5) & 1)
            };
            next = op & 3;
        } else if op >= 32 {
            // Match within 16 KiB.
            let l = op & 31;
            len = 2 + if l == 0 { inp.long_len(31)? } else { l };
            let d = inp.le16()?;
            dist = (d >> 2) + 1;
            next = d & 3;
        } else if op >= 16 {
            // Match within 16..48 KiB, or the end marker.
            let l = op & 7;
            len = 2 + if l == 0 { inp.long_len(7)? } else { l };
            let d = inp.le16()?;
            let far = ((op & 8) << 11) + (d >> 2);
            if far == 0 {
                return Ok(());
            }
            dist = far + 16384;
            next = d & 3;
        } else if state == 0 {
            // Literal run of 4 or more bytes.
            let n = 3 + if op == 0 { inp.long_len(15)? } else { op };
            literals(&mut inp, out, n, max)?;
            state = 4;
            continue;
        } else {
            let h = inp.byte()? as usize;
            if state < 4 {
                dist = (h << 2) + (op >> 2) + 1;
                len = 2;
            } else {
                dist = (h << 2) + (op >> 2) + 2049;
                len = 3;
            }
            next = op & 3;
        }
        copy_match(out, dist, len, max)?;
        literals(&mut inp, out, next, max)?;
        state = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn roundtrip(data: &[u8]) {
        let packed = lzokay_native::compress(data).expect("compress");
        let mut out = Vec::new();
        decompress(&packed, &mut out, data.len()).unwrap_or_else(|e| {
            panic!(
                "{e} for {} bytes, packed {:?}",
                data.len(),
                &packed[..packed.len().min(40)]
            )
        });
        assert_eq!(out, data);
    }

    #[test]
    fn decodes_what_an_lzo1x_compressor_writes() {
        roundtrip(b"a");
        roundtrip(b"abcabcabcabcabcabcabcabcabcabcabcabcabcabc");
        let text: Vec<u8> = (0..100_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        roundtrip(&text);
        let long_runs: Vec<u8> = std::iter::repeat_n(0u8, 70_000)
            .chain((0..5000u32).map(|i| (i * 7 % 13) as u8))
            .collect();
        roundtrip(&long_runs);
    }

    #[test]
    fn output_bound_is_enforced() {
        let data = vec![7u8; 10_000];
        let packed = lzokay_native::compress(&data).expect("compress");
        let mut out = Vec::new();
        assert_eq!(
            decompress(&packed, &mut out, 100),
            Err(LzoError::OutputTooLarge)
        );
    }

    proptest! {
        #[test]
        fn roundtrips(data in proptest::collection::vec(0u8..8, 1..4000)) {
            roundtrip(&data);
        }

        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..600)) {
            let mut out = Vec::new();
            let _ = decompress(&data, &mut out, 1 << 16);
            prop_assert!(out.len() <= 1 << 16);
        }
    }
}
