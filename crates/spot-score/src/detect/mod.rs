//! Behavioural detectors: what Apache Spot's topic score misses.
//!
//! A detector sees every batch once in the corpus pass ([`Detector::observe`]), settles which
//! entities it flags ([`Detector::finish`]), then, in the scoring pass, gives each row a strength
//! in `[0, 1]` (0: nothing to say; a firing detector gives at least 0.5) and, for the few rows
//! kept in the results, a human-readable reason. Detectors only read the batches, so the scoring
//! pass can ask them from many threads at once.

pub mod dns;
pub mod flow;
pub mod proxy;

use arrow::array::RecordBatch;
use spot_features::FeatureError;

/// A behavioural detector over one source's batches.
pub trait Detector: Send + Sync {
    /// Short name, shown in the `signals` column.
    fn name(&self) -> &'static str;
    /// Accumulates what it needs from one batch (corpus pass, in input order).
    fn observe(&mut self, batch: &RecordBatch) -> Result<(), FeatureError>;
    /// Decides what to flag once every batch was observed.
    fn finish(&mut self);
    /// What the detector says of every row of `batch`: [`Flag::NONE`] for rows it does not
    /// flag, else a strength in `[0.5, 1]` and the flagged entity the row belongs to.
    fn strengths(&self, batch: &RecordBatch) -> Result<Vec<Flag>, FeatureError>;
    /// Why row `row` of `batch` is flagged, if it is.
    fn reason(&self, batch: &RecordBatch, row: usize) -> Result<Option<String>, FeatureError>;
}

/// A detector's verdict on one row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flag {
    /// 0 when the row is not flagged, else in `[0.5, 1]`.
    pub strength: f64,
    /// The flagged entity (host pair, service...) the row belongs to, unique per detector.
    pub entity: u64,
}

impl Flag {
    /// Not flagged.
    pub const NONE: Flag = Flag {
        strength: 0.0,
        entity: 0,
    };

    /// A flag of `strength` on `entity`.
    pub fn new(strength: f64, entity: u64) -> Self {
        Flag { strength, entity }
    }
}

/// Maps `x ≥ 1` (how far past its threshold a statistic is) to a strength in `[0.5, 1)`.
pub(crate) fn strength(x: f64) -> f64 {
    if x.is_nan() || x < 1.0 {
        return 0.5;
    }
    1.0 - 0.5 / x.sqrt()
}

/// Interned strings (addresses, clients, domains, hosts, user agents): each distinct string gets
/// the next `u32` id.
#[derive(Debug, Default)]
struct Interner {
    ids: rustc_hash::FxHashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.into());
        self.ids.insert(s.into(), i);
        i
    }
    fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }
    fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}

/// Two ids as one map key.
fn pair(a: u32, b: u32) -> u64 {
    ((a as u64) << 32) | b as u64
}
