//! The contract between a source's records and the model: words per row.

use std::fmt;

use arrow::array::{RecordBatch, StringArray};

use crate::FeatureError;

/// Why a record was left out of training and scoring (Apache Spot's validity rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum InvalidReason {
    /// The time column is null.
    NullTime,
    /// Hour outside 0–23.
    HourOutOfRange,
    /// Minute outside 0–59.
    MinuteOutOfRange,
    /// Second outside 0–59.
    SecondOutOfRange,
    /// A document (IP) column is null or empty.
    NullIp,
    /// A port is null or negative.
    BadPort,
    /// A byte count is null or negative.
    BadBytes,
    /// A packet count is null or negative.
    BadPackets,
    /// The protocol is null.
    NullProtocol,
    /// DNS: `unix_tstamp` is null or negative.
    BadTimestamp,
    /// DNS: `frame_len` is null or negative.
    BadFrameLength,
    /// DNS: the query name is null, empty, `-` or `(empty)`.
    BadQueryName,
    /// DNS: query class, type and response code are all missing.
    NoQueryFields,
    /// The date column is null or empty (proxy `p_date`).
    NullDate,
    /// The host column is null or empty (proxy `host`).
    NullHost,
    /// The full URI is null or empty (proxy `fulluri`).
    NullUri,
    /// Spot's word creation failed on the row (its `word_error`: an unreadable hour, a time
    /// without an hour, a user agent missing from the counts).
    WordError,
}

impl InvalidReason {
    /// All reasons, in report order.
    pub const ALL: [InvalidReason; 17] = [
        InvalidReason::NullTime,
        InvalidReason::HourOutOfRange,
        InvalidReason::MinuteOutOfRange,
        InvalidReason::SecondOutOfRange,
        InvalidReason::NullIp,
        InvalidReason::BadPort,
        InvalidReason::BadBytes,
        InvalidReason::BadPackets,
        InvalidReason::NullProtocol,
        InvalidReason::BadTimestamp,
        InvalidReason::BadFrameLength,
        InvalidReason::BadQueryName,
        InvalidReason::NoQueryFields,
        InvalidReason::NullDate,
        InvalidReason::NullHost,
        InvalidReason::NullUri,
        InvalidReason::WordError,
    ];

    /// A short snake_case name, used in summaries.
    pub fn name(self) -> &'static str {
        match self {
            InvalidReason::NullTime => "null_time",
            InvalidReason::HourOutOfRange => "hour_out_of_range",
            InvalidReason::MinuteOutOfRange => "minute_out_of_range",
            InvalidReason::SecondOutOfRange => "second_out_of_range",
            InvalidReason::NullIp => "null_ip",
            InvalidReason::BadPort => "bad_port",
            InvalidReason::BadBytes => "bad_bytes",
            InvalidReason::BadPackets => "bad_packets",
            InvalidReason::NullProtocol => "null_protocol",
            InvalidReason::BadTimestamp => "bad_timestamp",
            InvalidReason::BadFrameLength => "bad_frame_length",
            InvalidReason::BadQueryName => "bad_query_name",
            InvalidReason::NoQueryFields => "no_query_fields",
            InvalidReason::NullDate => "null_date",
            InvalidReason::NullHost => "null_host",
            InvalidReason::NullUri => "null_uri",
            InvalidReason::WordError => "word_error",
        }
    }
}

impl fmt::Display for InvalidReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Counts of invalid records by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvalidCounts {
    counts: [u64; InvalidReason::ALL.len()],
}

impl InvalidCounts {
    /// Adds one record with `reason`.
    pub fn add(&mut self, reason: InvalidReason) {
        self.counts[reason as usize] += 1;
    }
    /// Adds all counts of `other`.
    pub fn merge(&mut self, other: &InvalidCounts) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
    }
    /// Records with `reason`.
    pub fn get(&self, reason: InvalidReason) -> u64 {
        self.counts[reason as usize]
    }
    /// All invalid records.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
    /// The non-zero counts, in report order.
    pub fn iter(&self) -> impl Iterator<Item = (InvalidReason, u64)> + '_ {
        InvalidReason::ALL
            .iter()
            .map(|r| (*r, self.get(*r)))
            .filter(|(_, n)| *n > 0)
    }
}

/// The words of one batch.
///
/// `pairs` holds, for every (document column, word column) a source defines, the document of
/// each row and the word it adds to that document; both are null on invalid rows. A flow has two
/// pairs (source IP with its source word, destination IP with its destination word); DNS and
/// proxy records have one.
#[derive(Debug, Clone)]
pub struct Words {
    /// `Some(reason)` for rows that fail the source's validity rules.
    pub invalid: Vec<Option<InvalidReason>>,
    /// (documents, words) per pair, each as long as the batch.
    pub pairs: Vec<(StringArray, StringArray)>,
}

impl Words {
    /// Counts of invalid rows by reason.
    pub fn invalid_counts(&self) -> InvalidCounts {
        let mut c = InvalidCounts::default();
        for r in self.invalid.iter().flatten() {
            c.add(*r);
        }
        c
    }

    /// Number of valid rows.
    pub fn valid_rows(&self) -> usize {
        self.invalid.iter().filter(|r| r.is_none()).count()
    }
}

/// A source's word creation: Apache Spot's rules for one kind of event.
pub trait WordCreator: Send + Sync {
    /// Columns the creator reads.
    fn required_columns(&self) -> &[&str];
    /// Names of the (document, word) pairs, e.g. `[("sip", "src_word"), ("dip", "dst_word")]`.
    fn pair_names(&self) -> &[(&str, &str)];
    /// Validity and words of every row of `batch`.
    fn words(&self, batch: &RecordBatch) -> Result<Words, FeatureError>;
}
