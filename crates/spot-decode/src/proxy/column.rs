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

/// A distinct value of a dictionary column: its key, and where its bytes lie.
#[derive(Debug, Clone, Copy)]
struct Entry {
    key: i32,
    start: u32,
    len: u32,
}

/// `a == b` for slices of equal length, without a call to `memcmp` (values are short, and
/// nearly every comparison is a match).
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().unwrap_or([0; 8]));
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
        let half =
            |s: &[u8], i: usize| u32::from_le_bytes(s[i..i + 4].try_into().unwrap_or([0; 4]));
        return half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4);
    }
    a == b
}

/// Interning state of a dictionary column.
struct Dict {
    /// Key of each row (0 for a null row).
    keys: Vec<i32>,
    /// The distinct values, found by their hashes.
    table: hashbrown::HashTable<Entry>,
    /// Keyed at random per process, like the Parquet writer's own dictionaries, so that crafted
    /// log lines cannot make lookups slow.
    state: ahash::RandomState,
    /// Whether values are interned (else each one gets a new entry).
    hashing: bool,
    /// Batches left before hashing is tried again.
    paused: u32,
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
        let dict = dictionary.then(|| Dict {
            keys: Vec::with_capacity(rows),
            table: hashbrown::HashTable::new(),
            state: ahash::RandomState::new(),
            hashing: true,
            paused: 0,
        });
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
                let key = if d.hashing {
                    let values = &self.values;
                    let hash = d.state.hash_one(v);
                    // The entry holds where its value lies, so that a lookup reads the table
                    // and the value's bytes only.
                    match d.table.find(hash, |e| {
                        e.len as usize == v.len()
                            && same_bytes(&values[e.start as usize..][..v.len()], v)
                    }) {
                        Some(e) => e.key,
                        None => {
                            let entry = Entry {
                                key: (self.offsets.len() - 1) as i32,
                                start: self.values.len() as u32,
                                len: v.len() as u32,
                            };
                            self.values.extend_from_slice(v);
                            self.offsets.push(self.values.len() as i32);
                            let state = &d.state;
                            let values = &self.values;
                            d.table.insert_unique(hash, entry, |e| {
                                state.hash_one(&values[e.start as usize..][..e.len as usize])
                            });
                            entry.key
                        }
                    }
                } else {
                    self.values.extend_from_slice(v);
                    self.offsets.push(self.values.len() as i32);
                    (self.offsets.len() - 2) as i32
                };
                d.keys.push(key);
            }
        }
        self.nulls.append_non_null();
        self.rows += 1;
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
                let distinct = offsets.len() - 1;
                let keys = std::mem::replace(&mut d.keys, Vec::with_capacity(rows));
                d.table.clear();
                if d.hashing {
                    // Many distinct values: their table no longer fits in a core's cache, and
                    // hashing them costs the reader what it saves the writer.
                    if distinct > MAX_HASHED {
                        d.hashing = false;
                        d.paused = PAUSE_BATCHES;
                    }
                } else {
                    d.paused = d.paused.saturating_sub(1);
                    d.hashing = d.paused == 0;
                }
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

    #[test]
    fn mostly_distinct_columns_stop_hashing_and_resume() {
        let mut dict = TextColumn::new(16, 16, true);
        let distinct = |c: &mut TextColumn, n: usize| {
            for i in 0..n {
                c.append_value(format!("v{}", i % 3000).as_bytes());
            }
            let a = c.finish().unwrap();
            assert_eq!(texts(&a)[n - 1], Some(format!("v{}", (n - 1) % 3000)));
            a.as_any_dictionary().values().len()
        };
        assert_eq!(distinct(&mut dict, 3000), 3000);
        // Not hashed: every value is an entry.
        assert_eq!(distinct(&mut dict, 6000), 6000);
        for _ in 1..PAUSE_BATCHES {
            distinct(&mut dict, 10);
        }
        assert_eq!(distinct(&mut dict, 6000), 3000);
    }
}
