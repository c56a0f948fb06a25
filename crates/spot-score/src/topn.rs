//! Threshold and bounded top-N selection over a stream of scored batches.

use std::collections::BinaryHeap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, RecordBatch, UInt32Array};
use arrow::compute::{concat_batches, take_record_batch};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::error::ArrowError;

/// Which scored rows to keep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreFilter {
    /// Keep rows whose score is ≤ this (Spot's threshold).
    pub threshold: f64,
    /// Keep at most this many rows, the smallest scores (ties: earlier rows first).
    pub max_results: Option<usize>,
}

impl Default for ScoreFilter {
    fn default() -> Self {
        ScoreFilter {
            threshold: 1.0,
            max_results: None,
        }
    }
}

/// A kept row: ordered by score, then by its position in the input.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry {
    score: f64,
    seq: u64,
    part: u32,
    row: u32,
}

impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.score
            .total_cmp(&other.score)
            .then(self.seq.cmp(&other.seq))
    }
}

/// Collects the rows that pass a [`ScoreFilter`] from a stream of batches and returns them
/// sorted by ascending score, with a `score` column appended.
///
/// With a limit N, memory holds about 2N rows whatever the input size: each batch is first cut
/// to its own N best candidates, copied out compactly, and the kept set is compacted when it
/// grows past twice the limit.
#[derive(Debug)]
pub struct TopN {
    filter: ScoreFilter,
    schema: Option<SchemaRef>,
    parts: Vec<RecordBatch>,
    heap: BinaryHeap<Entry>,
    all: Vec<Entry>,
    stored_rows: usize,
}

/// The schema of scored results: `schema`'s fields followed by a nullable Float64 `score`.
pub fn scored_schema(schema: &Schema) -> SchemaRef {
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(Field::new("score", DataType::Float64, true));
    Arc::new(Schema::new(fields))
}

fn with_score(batch: &RecordBatch, scores: ArrayRef) -> Result<RecordBatch, ArrowError> {
    let mut cols = batch.columns().to_vec();
    cols.push(scores);
    RecordBatch::try_new(scored_schema(&batch.schema()), cols)
}

impl TopN {
    /// An empty collector.
    pub fn new(filter: ScoreFilter) -> Self {
        TopN {
            filter,
            schema: None,
            parts: Vec::new(),
            heap: BinaryHeap::new(),
            all: Vec::new(),
            stored_rows: 0,
        }
    }

    /// Rows that passed the filter so far (with a limit: at most the limit).
    pub fn len(&self) -> usize {
        match self.filter.max_results {
            Some(_) => self.heap.len(),
            None => self.all.len(),
        }
    }

    /// Whether no row passed so far.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Offers the rows of `batch` with their `scores` (null = not scored); `first_seq` is the
    /// position of the batch's first row in the whole input, used to break ties.
    pub fn push(
        &mut self,
        batch: &RecordBatch,
        scores: &Float64Array,
        first_seq: u64,
    ) -> Result<(), ArrowError> {
        if self.schema.is_none() {
            self.schema = Some(
                with_score(
                    &batch.slice(0, 0),
                    Arc::new(Float64Array::from(Vec::<f64>::new())),
                )?
                .schema(),
            );
        }
        let limit = self.filter.max_results;
        if limit == Some(0) {
            return Ok(());
        }
        let worst = match limit {
            Some(n) if self.heap.len() >= n => self.heap.peek().copied(),
            _ => None,
        };
        let mut cand: Vec<Entry> = (0..scores.len())
            .filter(|&i| scores.is_valid(i))
            .map(|i| Entry {
                score: scores.value(i),
                seq: first_seq + i as u64,
                part: 0,
                row: i as u32,
            })
            .filter(|e| e.score <= self.filter.threshold)
            .filter(|e| worst.is_none_or(|w| *e < w))
            .collect();
        if let Some(n) = limit
            && cand.len() > n
        {
            cand.select_nth_unstable(n - 1);
            cand.truncate(n);
        }
        if cand.is_empty() {
            return Ok(());
        }
        cand.sort_unstable();
        let idx = UInt32Array::from(cand.iter().map(|e| e.row).collect::<Vec<_>>());
        let part_scores: ArrayRef = Arc::new(Float64Array::from(
            cand.iter().map(|e| e.score).collect::<Vec<_>>(),
        ));
        let part = with_score(&take_record_batch(batch, &idx)?, part_scores)?;
        let part_id = self.parts.len() as u32;
        self.stored_rows += part.num_rows();
        self.parts.push(part);
        for (r, mut e) in cand.into_iter().enumerate() {
            e.part = part_id;
            e.row = r as u32;
            match limit {
                Some(n) => {
                    self.heap.push(e);
                    if self.heap.len() > n {
                        self.heap.pop();
                    }
                }
                None => self.all.push(e),
            }
        }
        if let Some(n) = limit
            && self.stored_rows > 2 * n.max(1024)
        {
            self.compact()?;
        }
        Ok(())
    }

    /// Rewrites the stored rows to only those still kept.
    fn compact(&mut self) -> Result<(), ArrowError> {
        let entries: Vec<Entry> = std::mem::take(&mut self.heap).into_vec();
        let batch = self.gather(&entries)?;
        self.parts = vec![batch];
        self.stored_rows = entries.len();
        self.heap = entries
            .into_iter()
            .enumerate()
            .map(|(r, mut e)| {
                e.part = 0;
                e.row = r as u32;
                e
            })
            .collect();
        Ok(())
    }

    /// One batch with the rows of `entries`, in that order.
    fn gather(&self, entries: &[Entry]) -> Result<RecordBatch, ArrowError> {
        let Some(schema) = &self.schema else {
            return Ok(RecordBatch::new_empty(Arc::new(Schema::empty())));
        };
        let mut offsets = Vec::with_capacity(self.parts.len());
        let mut total = 0u32;
        for p in &self.parts {
            offsets.push(total);
            total += p.num_rows() as u32;
        }
        let all = concat_batches(schema, &self.parts)?;
        let idx = UInt32Array::from(
            entries
                .iter()
                .map(|e| offsets[e.part as usize] + e.row)
                .collect::<Vec<_>>(),
        );
        take_record_batch(&all, &idx)
    }

    /// The kept rows sorted by ascending score (ties in input order), with `score` appended.
    /// An input that offered no batch gives an empty batch with no columns.
    pub fn finish(self) -> Result<RecordBatch, ArrowError> {
        let mut entries = match self.filter.max_results {
            Some(_) => self.heap.clone().into_vec(),
            None => self.all.clone(),
        };
        entries.sort_unstable();
        self.gather(&entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, Int64Array};
    use arrow::datatypes::{Float64Type, Int64Type};

    fn batch(ids: std::ops::Range<i64>) -> RecordBatch {
        RecordBatch::try_from_iter([(
            "id",
            Arc::new(Int64Array::from(ids.collect::<Vec<_>>())) as ArrayRef,
        )])
        .unwrap()
    }

    fn run(filter: ScoreFilter, scores: &[Option<f64>], chunk: usize) -> (Vec<i64>, Vec<f64>) {
        let mut t = TopN::new(filter);
        let mut start = 0;
        for c in scores.chunks(chunk) {
            let b = batch(start as i64..(start + c.len()) as i64);
            t.push(&b, &Float64Array::from(c.to_vec()), start as u64)
                .unwrap();
            start += c.len();
        }
        let out = t.finish().unwrap();
        if out.num_columns() == 0 {
            return (vec![], vec![]);
        }
        let ids = out.column(0).as_primitive::<Int64Type>().values().to_vec();
        let sc = out
            .column(1)
            .as_primitive::<Float64Type>()
            .values()
            .to_vec();
        (ids, sc)
    }

    #[test]
    fn threshold_keeps_less_or_equal_in_ascending_order() {
        let s = [Some(0.5), Some(0.2), Some(0.7), None, Some(0.5)];
        let f = ScoreFilter {
            threshold: 0.5,
            max_results: None,
        };
        assert_eq!(run(f, &s, 2), (vec![1, 0, 4], vec![0.2, 0.5, 0.5]));
    }

    #[test]
    fn threshold_zero_keeps_only_zero_scores() {
        let s = [Some(0.0), Some(1e-300), Some(0.0)];
        let f = ScoreFilter {
            threshold: 0.0,
            max_results: None,
        };
        assert_eq!(run(f, &s, 3).0, vec![0, 2]);
    }

    #[test]
    fn ties_keep_input_order_across_batches() {
        let s = vec![Some(0.1); 10];
        let f = ScoreFilter {
            threshold: 1.0,
            max_results: Some(4),
        };
        for chunk in [1, 3, 10] {
            assert_eq!(run(f, &s, chunk).0, vec![0, 1, 2, 3], "chunk {chunk}");
        }
    }

    #[test]
    fn limit_larger_than_input_and_zero() {
        let s = [Some(0.3), Some(0.1)];
        let f = ScoreFilter {
            threshold: 1.0,
            max_results: Some(100),
        };
        assert_eq!(run(f, &s, 1).0, vec![1, 0]);
        let f = ScoreFilter {
            threshold: 1.0,
            max_results: Some(0),
        };
        assert_eq!(run(f, &s, 1).0, Vec::<i64>::new());
    }

    #[test]
    fn bounded_heap_matches_full_sort_on_many_batches() {
        // Pseudo-random scores with many ties; compaction is exercised (limit 1024 → > 2048 rows).
        let s: Vec<Option<f64>> = (0..20_000u64)
            .map(|i| Some(((i * 7919) % 1000) as f64 / 1000.0))
            .collect();
        let f = ScoreFilter {
            threshold: 0.9,
            max_results: Some(1500),
        };
        let (ids, scores) = run(f, &s, 777);
        let mut expect: Vec<(f64, i64)> = s
            .iter()
            .enumerate()
            .map(|(i, x)| (x.unwrap(), i as i64))
            .filter(|(x, _)| *x <= 0.9)
            .collect();
        expect.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        expect.truncate(1500);
        assert_eq!(ids, expect.iter().map(|e| e.1).collect::<Vec<_>>());
        assert_eq!(scores, expect.iter().map(|e| e.0).collect::<Vec<_>>());
    }
}
