//! One text column of a proxy batch under construction: plain UTF-8, or dictionary-encoded.
//!
//! Values are appended as byte slices of lines the reader has already checked to be UTF-8 and
//! split at ASCII bytes, so every value is UTF-8 (the arrays are still validated once per batch
//! when they are built, which costs far less than a check per value).
//!
//! A dictionary column interns each value as it arrives: the Parquet writer then hashes each
//! distinct value of a batch once instead of every row's value, and the reader copies a repeated
//! value never. A column that turns out to hold many distinct values (URIs, times, client
//! addresses) stops hashing for a while and gives every value its own dictionary entry, which
//! costs no more than a plain column.

use std::sync::Arc;

use arrow::array::{ArrayRef, DictionaryArray, Int32Array, NullBufferBuilder, StringArray};
use arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Int32Type};
use arrow::error::ArrowError;

/// The Arrow type of a dictionary-encoded text column.
pub(crate) fn dictionary_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// Batches a dictionary column stops hashing for once a batch had more than [`MAX_HASHED`]
/// distinct values.
const PAUSE_BATCHES: u32 = 16;

/// Distinct values in a batch past which a dictionary column stops hashing for a while.
const MAX_HASHED: usize = 2048;

/// Slots of a dictionary column's lookup table at first; the table doubles whenever it is half
/// full, up to twice [`MAX_HASHED`] slots.
const MIN_SLOTS: usize = 256;

/// Slots a lookup probes before it gives up and adds the value as a new entry. Bounded probes
/// keep every lookup cheap whatever the input (values crafted to collide cost a duplicate
/// dictionary entry each, never a long search); a duplicate entry is legal in an Arrow
/// dictionary, and the Parquet writer merges it with its twin.
const MAX_PROBES: usize = 8;

/// One slot of a dictionary column's lookup table. The entry's place in the dictionary is kept
/// beside its key, so that a lookup reads the slot and then the bytes it compares, without the
/// dictionary's offsets in between (the chain of dependent loads is what a lookup costs).
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// High bits of the value's hash, compared before the bytes.
    tag: u32,
    /// The value's key, or [`Slot::EMPTY`].
    key: i32,
    /// Where the value starts in the dictionary's bytes.
    start: u32,
    /// The value's length in bytes.
    len: u32,
}

impl Slot {
    const EMPTY: i32 = -1;
    const FREE: Slot = Slot {
        tag: 0,
        key: Slot::EMPTY,
        start: 0,
        len: 0,
    };

    /// Whether this slot's entry of `values` is `v`.
    #[inline(always)]
    fn is(&self, values: &[u8], v: &[u8]) -> bool {
        self.len as usize == v.len()
            && values
                .get(self.start as usize..self.start as usize + v.len())
                .is_some_and(|e| same_bytes(e, v))
    }

    /// Whether this slot holds `v` (whose hash has the high bits `tag`) in `values`.
    #[inline(always)]
    fn holds(&self, values: &[u8], tag: u32, v: &[u8]) -> bool {
        self.tag == tag && self.is(values, v)
    }
}

/// `a == b` for slices of equal length, without a call to `memcmp` (values are short, and
/// nearly every comparison is a match).
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n >= 8 {
        let mut i = 0;
        while i + 8 < n {
            if word(a, i) != word(b, i) {
                return false;
            }
            i += 8;
        }
        return word(a, n - 8) == word(b, n - 8);
    }
    if n >= 4 {
        return half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4);
    }
    // Bytes 0, n / 2 and n - 1 are every byte of up to three (`a == b` would call `memcmp`).
    n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1])
}

/// The 8 bytes of `s` at `i` (which must lie within `s`).
#[inline(always)]
fn word(s: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(s[i..i + 8].try_into().unwrap_or([0; 8]))
}

/// The 4 bytes of `s` at `i` (which must lie within `s`).
#[inline(always)]
fn half(s: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(s[i..i + 4].try_into().unwrap_or([0; 4]))
}

/// The two halves of the 128-bit product, folded.
#[inline(always)]
fn fold_mul(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

/// A fast hash of a short value, keyed by `seed`: values of up to 16 bytes are read as two
/// overlapping words, longer ones 16 bytes at a time.
#[inline(always)]
fn hash_bytes(v: &[u8], seed: u64) -> u64 {
    const K0: u64 = 0x243f_6a88_85a3_08d3;
    const K1: u64 = 0x1319_8a2e_0370_7344;
    const K2: u64 = 0xa409_3822_299f_31d0;
    let n = v.len();
    let (a, b) = if n > 16 {
        let mut h = seed;
        let mut i = 0;
        while i + 16 < n {
            h = fold_mul(word(v, i) ^ K0, word(v, i + 8) ^ h);
            i += 16;
        }
        (word(v, n - 16) ^ h, word(v, n - 8))
    } else if n >= 8 {
        (word(v, 0), word(v, n - 8))
    } else if n >= 4 {
        (u64::from(half(v, 0)), u64::from(half(v, n - 4)))
    } else if n > 0 {
        let three = u64::from(v[0]) << 16 | u64::from(v[n / 2]) << 8 | u64::from(v[n - 1]);
        (three, 0)
    } else {
        (0, 0)
    };
    fold_mul(a ^ K1 ^ seed, b ^ K2 ^ n as u64)
}

/// Interning state of a dictionary column.
struct Dict {
    /// Key of each row (0 for a null row).
    keys: Vec<i32>,
    /// Open-addressing table of the distinct values (a power of two of slots, probed
    /// linearly, at most [`MAX_PROBES`] slots per lookup).
    slots: Vec<Slot>,
    /// Keyed at random per process, like the Parquet writer's own dictionaries.
    seed: u64,
    /// The entry of the value appended last (`key` [`Slot::EMPTY`] at the start of a batch):
    /// a value that repeats the row before it is found without hashing.
    last: Slot,
    /// Whether a value is first compared with the row before's (see [`Dict::reset`]).
    check_last: bool,
    /// Values interned in this batch, and how many of them repeated the row before's.
    interned: u32,
    repeats: u32,
    /// Whether values are interned (else each one gets a new entry).
    hashing: bool,
    /// Batch ends left before hashing is tried again.
    paused: u32,
    /// For a time-of-day column, the key of each second of the day in this batch (or
    /// [`Slot::EMPTY`]): a value `HH:MM:SS` is its own perfect hash, so the column is
    /// interned without hashing, even while hashing is paused.
    seconds: Option<Box<[i32]>>,
}

/// Seconds in a day: the keys of [`second_of_day`].
const SECONDS: usize = 86_400;

/// The second of the day of a time written `HH:MM:SS` (`00:00:00` to `23:59:59`); `None` for
/// anything else (which is interned by its hash).
#[inline(always)]
fn second_of_day(v: &[u8]) -> Option<usize> {
    let &[h1, h0, b':', m1, m0, b':', s1, s0] = v else {
        return None;
    };
    let d = |c: u8| usize::from(c.wrapping_sub(b'0'));
    let (h1, h0, m1, m0, s1, s0) = (d(h1), d(h0), d(m1), d(m0), d(s1), d(s0));
    let (h, m, s) = (10 * h1 + h0, 10 * m1 + m0, 10 * s1 + s0);
    (h1 < 10 && h0 < 10 && m1 < 6 && m0 < 10 && s1 < 6 && s0 < 10 && h < 24)
        .then_some(3600 * h + 60 * m + s)
}

impl Dict {
    fn new(rows: usize) -> Self {
        use std::hash::BuildHasher;
        Dict {
            keys: Vec::with_capacity(rows),
            slots: vec![Slot::FREE; MIN_SLOTS],
            seed: std::collections::hash_map::RandomState::new().hash_one(0x5ca1_ab1e_u64),
            last: Slot::FREE,
            check_last: true,
            interned: 0,
            repeats: 0,
            hashing: true,
            paused: 0,
            seconds: None,
        }
    }

    /// The key of `v`, adding it to `values`/`offsets` (the dictionary) if it is new.
    #[inline(always)]
    fn intern(&mut self, values: &mut Vec<u8>, offsets: &mut Vec<i32>, v: &[u8]) -> i32 {
        if let Some(seconds) = &mut self.seconds
            && let Some(i) = second_of_day(v)
        {
            let key = seconds[i];
            if key != Slot::EMPTY {
                return key;
            }
            let key = push_entry(values, offsets, v);
            seconds[i] = key;
            return key;
        }
        if !self.hashing {
            return push_entry(values, offsets, v);
        }
        self.interned += 1;
        let last = self.last;
        if self.check_last && last.key != Slot::EMPTY && last.is(values, v) {
            self.repeats += 1;
            return last.key;
        }
        let h = hash_bytes(v, self.seed);
        let tag = (h >> 32) as u32;
        let mask = self.slots.len() - 1;
        let mut i = h as usize & mask;
        for _ in 0..MAX_PROBES {
            let slot = self.slots[i];
            if slot.key == Slot::EMPTY {
                let slot = new_entry(values, offsets, v, tag);
                self.slots[i] = slot;
                self.last = slot;
                self.grow(values, offsets);
                return slot.key;
            }
            if slot.holds(values, tag, v) {
                // Counted also when the comparison with the row before was skipped: that is
                // how a column shows that the comparison would pay again.
                self.repeats += u32::from(slot.key == last.key);
                self.last = slot;
                return slot.key;
            }
            i = (i + 1) & mask;
        }
        self.last = new_entry(values, offsets, v, tag);
        self.grow(values, offsets);
        self.last.key
    }

    /// After a new entry: doubles the table once it is half full, or stops hashing for this
    /// batch and [`PAUSE_BATCHES`] more once the batch has more than [`MAX_HASHED`] distinct
    /// values (their table would no longer stay in a core's cache, and hashing them costs the
    /// reader what it saves the writer).
    #[inline]
    fn grow(&mut self, values: &[u8], offsets: &[i32]) {
        let distinct = offsets.len() - 1;
        if 2 * distinct <= self.slots.len() {
            return;
        }
        if distinct > MAX_HASHED {
            self.hashing = false;
            // The end of this batch counts one.
            self.paused = PAUSE_BATCHES + 1;
            return;
        }
        let mut slots = vec![Slot::FREE; 2 * self.slots.len()];
        let mask = slots.len() - 1;
        for (key, w) in offsets.windows(2).enumerate() {
            let (start, end) = (w[0] as usize, w[1] as usize);
            let h = hash_bytes(&values[start..end], self.seed);
            let mut i = h as usize & mask;
            for _ in 0..MAX_PROBES {
                if slots[i].key == Slot::EMPTY {
                    slots[i] = Slot {
                        tag: (h >> 32) as u32,
                        key: key as i32,
                        start: start as u32,
                        len: (end - start) as u32,
                    };
                    break;
                }
                i = (i + 1) & mask;
            }
        }
        self.slots = slots;
    }

    /// Readies the table for the next batch, whose dictionary starts empty. A column whose
    /// values repeated the row before's in fewer than a third of this batch's rows skips that
    /// comparison in the next batch: it would mostly fail, and it costs a dependent load of
    /// the dictionary's bytes for every row.
    fn reset(&mut self) {
        self.slots.fill(Slot::FREE);
        if let Some(seconds) = &mut self.seconds {
            seconds.fill(Slot::EMPTY);
        }
        self.last = Slot::FREE;
        if self.interned > 0 {
            self.check_last = 3 * u64::from(self.repeats) >= u64::from(self.interned);
        }
        self.interned = 0;
        self.repeats = 0;
        if !self.hashing {
            self.paused = self.paused.saturating_sub(1);
            self.hashing = self.paused == 0;
        }
    }
}

/// Appends `v` as a new dictionary entry; returns its slot (hash bits `tag`).
#[inline(always)]
fn new_entry(values: &mut Vec<u8>, offsets: &mut Vec<i32>, v: &[u8], tag: u32) -> Slot {
    let start = values.len() as u32;
    Slot {
        tag,
        key: push_entry(values, offsets, v),
        start,
        len: v.len() as u32,
    }
}

/// Appends `v` as a new dictionary entry; returns its key.
#[inline(always)]
fn push_entry(values: &mut Vec<u8>, offsets: &mut Vec<i32>, v: &[u8]) -> i32 {
    let key = (offsets.len() - 1) as i32;
    values.extend_from_slice(v);
    offsets.push(values.len() as i32);
    key
}

/// A text column being built; see the [module docs](self).
pub(crate) struct TextColumn {
    /// The bytes of every value (plain) or of every distinct value (dictionary).
    values: Vec<u8>,
    /// `offsets[i]..offsets[i + 1]` is value `i` of `values`; starts with 0.
    offsets: Vec<i32>,
    nulls: NullBufferBuilder,
    dict: Option<Dict>,
    /// Rows appended.
    rows: usize,
    /// Where a dictionary column assembles a value written in parts.
    scratch: Vec<u8>,
}

impl TextColumn {
    /// An empty column with room for `rows` rows and `bytes` bytes of values.
    pub(crate) fn new(rows: usize, bytes: usize, dictionary: bool) -> Self {
        let dict = dictionary.then(|| Dict::new(rows));
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        TextColumn {
            values: Vec::with_capacity(bytes),
            offsets,
            nulls: NullBufferBuilder::new(rows),
            dict,
            rows: 0,
            scratch: Vec::new(),
        }
    }

    /// Interns values written `HH:MM:SS` by their second of the day (a dictionary column of
    /// times of day; a plain column is left as it is).
    pub(crate) fn with_times_of_day(mut self) -> Self {
        if let Some(d) = &mut self.dict {
            d.seconds = Some(vec![Slot::EMPTY; SECONDS].into_boxed_slice());
        }
        self
    }

    /// Appends a null.
    #[inline]
    pub(crate) fn append_null(&mut self) {
        match &mut self.dict {
            Some(d) => d.keys.push(0),
            None => self.offsets.push(self.values.len() as i32),
        }
        self.nulls.append_null();
        self.rows += 1;
    }

    /// Appends a value (UTF-8 bytes).
    #[inline]
    pub(crate) fn append_value(&mut self, v: &[u8]) {
        match &mut self.dict {
            None => {
                self.values.extend_from_slice(v);
                self.offsets.push(self.values.len() as i32);
            }
            Some(d) => {
                let key = d.intern(&mut self.values, &mut self.offsets, v);
                d.keys.push(key);
            }
        }
        self.nulls.append_non_null();
        self.rows += 1;
    }

    /// Appends the values `buf[start..end]` of `bounds` in turn, an empty value or `-` as a
    /// null (the fields of a block of lines, for one column). Inlined into its one caller, the
    /// block's loop over the columns: a build that left it a call of its own took 2-3 % more
    /// CPU time for the whole decode than one that inlined it (`BENCHMARKS.md`).
    #[inline(always)]
    pub(crate) fn append_fields(&mut self, buf: &[u8], bounds: &[(u32, u32)]) {
        let is_null = |v: &[u8]| v.is_empty() || v == b"-";
        match &mut self.dict {
            None => {
                for &(s, e) in bounds {
                    let v = &buf[s as usize..e as usize];
                    if is_null(v) {
                        self.nulls.append_null();
                    } else {
                        self.values.extend_from_slice(v);
                        self.nulls.append_non_null();
                    }
                    self.offsets.push(self.values.len() as i32);
                }
            }
            Some(d) => {
                for &(s, e) in bounds {
                    let v = &buf[s as usize..e as usize];
                    if is_null(v) {
                        d.keys.push(0);
                        self.nulls.append_null();
                    } else {
                        let key = d.intern(&mut self.values, &mut self.offsets, v);
                        d.keys.push(key);
                        self.nulls.append_non_null();
                    }
                }
            }
        }
        self.rows += bounds.len();
    }

    /// Appends a value, or a null for `None`.
    #[inline]
    pub(crate) fn append_option(&mut self, v: Option<&str>) {
        match v {
            Some(v) => self.append_value(v.as_bytes()),
            None => self.append_null(),
        }
    }

    /// Appends a value written in parts: each part of `parts` in turn (used for `fulluri`, which
    /// is the concatenation of other columns' values).
    #[inline]
    pub(crate) fn append_concat(&mut self, parts: &[&[u8]]) {
        if self.dict.is_none() {
            for p in parts {
                self.values.extend_from_slice(p);
            }
            self.offsets.push(self.values.len() as i32);
            self.nulls.append_non_null();
            self.rows += 1;
            return;
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        for p in parts {
            scratch.extend_from_slice(p);
        }
        self.append_value(&scratch);
        self.scratch = scratch;
    }

    /// The finished column (plain `Utf8`, or `Dictionary(Int32, Utf8)`), leaving an empty
    /// column with room for as many rows and bytes as this one held.
    pub(crate) fn finish(&mut self) -> Result<ArrayRef, ArrowError> {
        let rows = self.rows;
        let bytes = self.values.len() + self.values.len() / 8;
        let values = std::mem::replace(&mut self.values, Vec::with_capacity(bytes));
        let mut offsets = Vec::with_capacity(if self.dict.is_some() {
            self.offsets.len()
        } else {
            rows + 1
        });
        offsets.push(0);
        let offsets = std::mem::replace(&mut self.offsets, offsets);
        let nulls = std::mem::replace(&mut self.nulls, NullBufferBuilder::new(rows)).finish();
        self.rows = 0;
        let strings = |offsets: Vec<i32>, values: Vec<u8>, nulls| {
            StringArray::try_new(
                OffsetBuffer::new(ScalarBuffer::from(offsets)),
                Buffer::from_vec(values),
                nulls,
            )
        };
        match &mut self.dict {
            None => Ok(Arc::new(strings(offsets, values, nulls)?)),
            Some(d) => {
                let mut offsets = offsets;
                if offsets.len() == 1 {
                    // Only nulls: give their keys (0) a value to point to, as some readers of
                    // dictionaries look up null keys too.
                    offsets.push(0);
                }
                let keys = std::mem::replace(&mut d.keys, Vec::with_capacity(rows));
                d.reset();
                let dictionary = strings(offsets, values, None)?;
                let keys = Int32Array::new(ScalarBuffer::from(keys), nulls);
                Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(
                    keys,
                    Arc::new(dictionary),
                )?))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};
    use arrow::compute::cast;

    fn texts(a: &ArrayRef) -> Vec<Option<String>> {
        let a = cast(a, &DataType::Utf8).unwrap();
        a.as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect()
    }

    #[test]
    fn plain_and_dictionary_columns_hold_the_same_values() {
        let rows: Vec<Option<&str>> = vec![
            Some("GET"),
            None,
            Some("POST"),
            Some("GET"),
            Some(""),
            Some("été"),
            None,
            Some("POST"),
        ];
        let mut plain = TextColumn::new(2, 4, false);
        let mut dict = TextColumn::new(2, 4, true);
        for _batch in 0..2 {
            for r in &rows {
                plain.append_option(*r);
                dict.append_option(*r);
            }
            plain.append_concat(&[b"a", b"", b"bc"]);
            dict.append_concat(&[b"a", b"", b"bc"]);
            dict.append_concat(&[b"ab", b"c"]);
            plain.append_value(b"abc");
            let (p, d) = (plain.finish().unwrap(), dict.finish().unwrap());
            assert_eq!(p.data_type(), &DataType::Utf8);
            assert_eq!(d.data_type(), &dictionary_type());
            assert_eq!(texts(&p), texts(&d));
            assert_eq!(texts(&p)[1], None);
            assert_eq!(texts(&p)[8].as_deref(), Some("abc"));
            // GET, POST, "", été, abc: repeated values share one entry.
            assert_eq!(d.as_any_dictionary().values().len(), 5);
        }
    }

    proptest::proptest! {
        #[test]
        fn same_bytes_is_slice_equality(
            a in proptest::collection::vec(0u8..3, 0..40),
            b in proptest::collection::vec(0u8..3, 0..40),
        ) {
            proptest::prop_assert_eq!(same_bytes(&a, &b), a == b);
            proptest::prop_assert!(same_bytes(&a, &a));
        }
    }

    proptest::proptest! {
        /// Whatever the values and however they collide in the table (a seed of 0 and short
        /// values over a tiny alphabet), the dictionary column holds the plain column's values.
        #[test]
        fn interning_keeps_every_value(
            rows in proptest::collection::vec(proptest::option::of("[ab]{0,20}"), 0..400),
            seed in 0u64..4,
        ) {
            let mut plain = TextColumn::new(4, 4, false);
            let mut dict = TextColumn::new(4, 4, true);
            if let Some(d) = dict.dict.as_mut() {
                d.seed = seed;
            }
            for r in &rows {
                plain.append_option(r.as_deref());
                dict.append_option(r.as_deref());
            }
            let (p, d) = (plain.finish().unwrap(), dict.finish().unwrap());
            proptest::prop_assert_eq!(texts(&p), texts(&d));
        }
    }

    #[test]
    fn times_of_day_are_keyed_by_their_second() {
        assert_eq!(second_of_day(b"00:00:00"), Some(0));
        assert_eq!(second_of_day(b"23:59:59"), Some(SECONDS - 1));
        assert_eq!(second_of_day(b"09:40:06"), Some(9 * 3600 + 40 * 60 + 6));
        for v in [
            "24:00:00", "23:60:00", "23:00:60", "1:00:00", "01-00-00", "0a:00:00", "",
        ] {
            assert_eq!(second_of_day(v.as_bytes()), None, "{v}");
        }
        let mut times = TextColumn::new(4, 4, true).with_times_of_day();
        let rows = [
            Some("09:40:06"),
            Some("23:00:60"),
            None,
            Some("09:40:06"),
            Some("x"),
            Some("23:00:60"),
            Some("00:00:00"),
        ];
        for _batch in 0..2 {
            for r in rows {
                times.append_option(r);
            }
            let a = times.finish().unwrap();
            let expected: Vec<Option<String>> = rows.iter().map(|r| r.map(String::from)).collect();
            assert_eq!(texts(&a), expected);
            // 09:40:06, 23:00:60 (hashed), x (hashed), 00:00:00.
            assert_eq!(a.as_any_dictionary().values().len(), 4);
        }
    }

    proptest::proptest! {
        /// Times of day (valid or not, many or few) intern to the values they are.
        #[test]
        fn times_of_day_keep_every_value(
            rows in proptest::collection::vec(
                proptest::option::of("[0-2][0-9]:[0-6][0-9]:[0-6][0-9]|[0-9:]{0,9}"), 0..3000),
        ) {
            let mut plain = TextColumn::new(4, 4, false);
            let mut times = TextColumn::new(4, 4, true).with_times_of_day();
            for r in &rows {
                plain.append_option(r.as_deref());
                times.append_option(r.as_deref());
            }
            let (p, t) = (plain.finish().unwrap(), times.finish().unwrap());
            proptest::prop_assert_eq!(texts(&p), texts(&t));
        }
    }

    #[test]
    fn the_table_grows_and_repeated_values_share_an_entry() {
        let mut dict = TextColumn::new(16, 16, true);
        if let Some(d) = dict.dict.as_mut() {
            d.seed = 7;
        }
        let values: Vec<String> = (0..1500).map(|i| format!("value number {i}")).collect();
        for v in values.iter().chain(&values).chain(values.iter().rev()) {
            dict.append_value(v.as_bytes());
        }
        let a = dict.finish().unwrap();
        let expected: Vec<Option<String>> = values
            .iter()
            .chain(&values)
            .chain(values.iter().rev())
            .cloned()
            .map(Some)
            .collect();
        assert_eq!(texts(&a), expected);
        // Probes are bounded, so a few values may have a twin entry; nearly all are shared.
        let distinct = a.as_any_dictionary().values().len();
        assert!((1500..1530).contains(&distinct), "{distinct}");
    }

    #[test]
    fn the_check_against_the_row_before_follows_the_last_batch() {
        let mut dict = TextColumn::new(16, 16, true);
        let check = |c: &TextColumn| c.dict.as_ref().is_some_and(|d| d.check_last);
        let batch = |c: &mut TextColumn, values: &[&str]| {
            for v in values {
                c.append_value(v.as_bytes());
            }
            let a = c.finish().unwrap();
            let expected: Vec<Option<String>> =
                values.iter().map(|v| Some(v.to_string())).collect();
            assert_eq!(texts(&a), expected);
        };
        assert!(check(&dict));
        // Values that never repeat the row before: the next batch skips the comparison...
        let alternating: Vec<&str> = (0..300).map(|i| ["GET", "POST", "HEAD"][i % 3]).collect();
        batch(&mut dict, &alternating);
        assert!(!check(&dict));
        // ...and still finds every value, and counts the repeats it sees through the table.
        let runs: Vec<&str> = (0..300).map(|i| ["GET", "POST"][i / 100 % 2]).collect();
        batch(&mut dict, &runs);
        assert!(check(&dict));
        batch(&mut dict, &runs);
        assert!(check(&dict));
    }

    #[test]
    fn mostly_distinct_columns_stop_hashing_and_resume() {
        let mut dict = TextColumn::new(16, 16, true);
        // A fixed seed: with a random one, bounded probes gave a few values a twin entry in
        // about one run of ten.
        if let Some(d) = dict.dict.as_mut() {
            d.seed = 7;
        }
        let entries = |c: &mut TextColumn, n: usize, distinct: usize| {
            for i in 0..n {
                c.append_value(format!("v{}", i % distinct).as_bytes());
            }
            let a = c.finish().unwrap();
            assert_eq!(texts(&a)[n - 1], Some(format!("v{}", (n - 1) % distinct)));
            a.as_any_dictionary().values().len()
        };
        // Hashing stops at the value past MAX_HASHED distinct ones.
        assert_eq!(entries(&mut dict, 6000, 3000), 6000);
        // Not hashed: every value is an entry.
        assert_eq!(entries(&mut dict, 4000, 1000), 4000);
        for _ in 1..PAUSE_BATCHES {
            entries(&mut dict, 10, 10);
        }
        // Hashed again (probes are bounded: a value may have a twin entry).
        let distinct = entries(&mut dict, 4000, 1000);
        assert!((1000..1010).contains(&distinct), "{distinct}");
    }
}
