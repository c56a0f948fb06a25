//! The default ranking: Apache Spot's topic score combined with behavioural detectors.
//!
//! Every scored row gets a combined suspicion in `[0, 1]`: the strongest detector that flags it
//! (a firing detector gives at least 0.5), or else a topic signal below 0.5 that grows as the
//! event gets rarer: with a [`TopicCalibration`] (what [`Analysis`](crate::Analysis) learns when
//! it fits), `0.5 · min(1, −log10(rarity) / 6)` of the size-aware probability; without one,
//! `0.5 · min(1, −log10(p) / 12)` of Spot's probability (a word or host never seen scores the
//! full 0.5). Analysts triage entities, not rows: the n-th row of one flagged entity (a scan's
//! thousand probes) has its strength above 0.5 divided by `1 + n / 10`, so the first rows of every
//! flagged entity come before the bulk of any single one. Rows are ranked by decreasing
//! suspicion, ties in input order; among rows no detector flags, the order is exactly Spot's. The output adds `rank`, `spot_score` (Spot's own
//! probability), `signals` (detectors that fired) and a human-readable `reason`, and `score` is
//! the combined suspicion (higher is more suspicious).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use rustc_hash::{FxHashMap, FxHashSet};
use spot_features::{FeatureError, WordCreator};
use spot_model::FittedModel;

use crate::analysis::AnalysisError;
use crate::calibrate::TopicCalibration;
use crate::detect::{Detector, Flag};
use crate::score::score_words;

/// The topic part of the combined suspicion, in `[0, 0.5]`, decreasing in Spot's probability.
pub fn topic_signal(p: f64) -> f64 {
    if p <= 0.0 {
        return 0.5;
    }
    0.5 * (-p.log10() / 12.0).clamp(0.0, 1.0)
}

/// What the detectors and the topic model say of one valid row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowSignal {
    topic: f64,
    /// The strongest detector flag: (detector index, entity, strength).
    flag: Option<(usize, u64, f64)>,
}

/// The calibrated topic signal of every row, or `None` for invalid rows.
pub(crate) fn calibrated_signals(
    cal: &TopicCalibration,
    model: &FittedModel,
    words: &spot_features::Words,
) -> Vec<Option<f64>> {
    cal.row_probs(model, words)
        .into_iter()
        .map(|p| p.map(|p| cal.signal(p)))
        .collect()
}

/// Signals of every row of a batch; `None` where Spot's score is null (invalid rows). The topic
/// part is `topic[i]` when given, else [`topic_signal`] of Spot's score.
pub(crate) fn row_signals(
    spot: &Float64Array,
    topic: Option<&[Option<f64>]>,
    batch: &RecordBatch,
    detectors: &[Box<dyn Detector>],
    dismissed: &FxHashSet<(usize, u64)>,
) -> Result<Vec<Option<RowSignal>>, FeatureError> {
    let flags: Vec<Vec<Flag>> = detectors
        .iter()
        .map(|d| d.strengths(batch))
        .collect::<Result<_, _>>()?;
    Ok((0..spot.len())
        .map(|i| {
            spot.is_valid(i).then(|| {
                let mut best: Option<(usize, u64, f64)> = None;
                for (d, f) in flags.iter().enumerate() {
                    let f = f[i];
                    if f.strength > 0.0
                        && best.is_none_or(|b| f.strength > b.2)
                        && !dismissed.contains(&(d, f.entity))
                    {
                        best = Some((d, f.entity, f.strength));
                    }
                }
                RowSignal {
                    topic: topic
                        .and_then(|t| t[i])
                        .unwrap_or_else(|| topic_signal(spot.value(i))),
                    flag: best,
                }
            })
        })
        .collect())
}

/// Counts rows seen per flagged entity, in input order, to spread the ranking over entities.
#[derive(Debug, Default)]
pub(crate) struct Occurrences {
    seen: FxHashMap<(usize, u64), u64>,
}

impl Occurrences {
    /// Ascending sort keys (`1 − suspicion`) of a batch's rows, in input order.
    pub(crate) fn keys(&mut self, signals: &[Option<RowSignal>]) -> Float64Array {
        signals
            .iter()
            .map(|s| {
                s.map(|s| {
                    let det = match s.flag {
                        Some((d, e, strength)) => {
                            let n = self.seen.entry((d, e)).or_insert(0);
                            let decayed = 0.5 + (strength - 0.5) / (1.0 + *n as f64 / 10.0);
                            *n += 1;
                            decayed
                        }
                        None => 0.0,
                    };
                    1.0 - det.max(s.topic)
                })
            })
            .collect()
    }
}

/// Turns the kept rows (sorted by key, with the key as `score`) into the combined output.
pub(crate) fn explain(
    kept: RecordBatch,
    creator: &dyn WordCreator,
    model: &FittedModel,
    detectors: &[Box<dyn Detector>],
    cal: Option<&TopicCalibration>,
    dismissed: &FxHashSet<(usize, u64)>,
) -> Result<RecordBatch, AnalysisError> {
    let n = kept.num_rows();
    let key_idx = kept.num_columns() - 1;
    let input = kept.project(&(0..key_idx).collect::<Vec<_>>())?;
    let keys = kept
        .column(key_idx)
        .as_any()
        .downcast_ref::<Float64Array>()
        .cloned()
        .unwrap_or_else(|| Float64Array::from(vec![1.0; n]));
    let words = creator.words(&input)?;
    let spot = score_words(model, &words);
    // Dismissed findings neither fire nor explain.
    let strengths: Vec<Vec<f64>> = detectors
        .iter()
        .enumerate()
        .map(|(d, det)| {
            Ok(det
                .strengths(&input)?
                .iter()
                .map(|f| {
                    if dismissed.contains(&(d, f.entity)) {
                        0.0
                    } else {
                        f.strength
                    }
                })
                .collect())
        })
        .collect::<Result<_, FeatureError>>()?;
    let mut signals = Vec::with_capacity(n);
    let mut reasons = Vec::with_capacity(n);
    #[allow(clippy::needless_range_loop)] // `i` indexes every detector's strengths
    for i in 0..n {
        let fired: Vec<usize> = (0..detectors.len())
            .filter(|&d| strengths[d][i] > 0.0)
            .collect();
        signals.push(
            fired
                .iter()
                .map(|&d| detectors[d].name())
                .collect::<Vec<_>>()
                .join(","),
        );
        let strongest = fired
            .iter()
            .copied()
            .max_by(|&a, &b| strengths[a][i].total_cmp(&strengths[b][i]).then(b.cmp(&a)));
        let reason = match strongest {
            Some(d) => detectors[d].reason(&input, i)?,
            None => None,
        };
        reasons.push(reason.unwrap_or_else(|| topic_reason(&words, model, cal, i, spot.value(i))));
    }
    let mut fields: Vec<Field> = input
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let mut cols: Vec<ArrayRef> = input.columns().to_vec();
    let mut add = |name: &str, ty: DataType, col: ArrayRef| {
        fields.push(Field::new(name, ty, true));
        cols.push(col);
    };
    add(
        "score",
        DataType::Float64,
        Arc::new(Float64Array::from_iter_values(
            keys.values().iter().map(|k| 1.0 - k),
        )),
    );
    add(
        "rank",
        DataType::Int64,
        Arc::new(Int64Array::from_iter_values(1..=n as i64)),
    );
    add("spot_score", DataType::Float64, Arc::new(spot));
    add(
        "signals",
        DataType::Utf8,
        Arc::new(StringArray::from(signals)),
    );
    add(
        "reason",
        DataType::Utf8,
        Arc::new(StringArray::from(reasons)),
    );
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)?)
}

/// "rare for its host": the (document, word) pair with the lowest probability, and how rare
/// that is among the training events when the scores are calibrated.
fn topic_reason(
    words: &spot_features::Words,
    model: &FittedModel,
    cal: Option<&TopicCalibration>,
    i: usize,
    p: f64,
) -> String {
    let mut worst: Option<(f64, &str, &str)> = None;
    for (docs, ws) in &words.pairs {
        if docs.is_valid(i) && ws.is_valid(i) {
            let q = match cal {
                Some(c) => c.prob(model, ws.value(i), docs.value(i)),
                None => model.word_prob(ws.value(i), docs.value(i)),
            };
            if worst.is_none_or(|w| q < w.0) {
                worst = Some((q, docs.value(i), ws.value(i)));
            }
        }
    }
    match (worst, cal) {
        (Some((q, doc, word)), Some(c)) => {
            let r = c.rarity(q);
            format!(
                "rare for its host: word {word} of {doc}, rarer than {:.3}% of the training events (probability {q:.2e}; Apache Spot's score {p:.2e})",
                100.0 * (1.0 - r)
            )
        }
        (Some((_, doc, word)), None) => format!(
            "rare for its host: word {word} of {doc} has probability {p:.2e} (Apache Spot's score)"
        ),
        (None, _) => format!("Apache Spot's score {p:.2e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_signal_is_monotone_and_bounded() {
        assert_eq!(topic_signal(0.0), 0.5);
        assert_eq!(topic_signal(1.0), 0.0);
        assert!(topic_signal(1e-6) > topic_signal(1e-3));
        assert!(topic_signal(1e-30) <= 0.5);
    }
}
