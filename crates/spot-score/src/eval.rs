//! Ranking quality against labels: per-attack best rank, recall at the top k %, average
//! precision.

use std::collections::{BTreeMap, HashMap};

/// Quality of one ranking against the labeled records it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Labeled records in the input (ranked or not).
    pub total: usize,
    /// Records labeled as attacks.
    pub positives: usize,
    /// For each attack kind: its records and the best (1-based) rank of one of them, if ranked.
    pub kinds: BTreeMap<String, (usize, Option<usize>)>,
    /// Average precision over the ranking, with every attack record a positive.
    pub average_precision: f64,
}

impl Evaluation {
    /// Scores `ranked` (record ids, best first) against `labels` (record id → attack kind, or
    /// `None` for normal records).
    pub fn new(labels: &HashMap<String, Option<String>>, ranked: &[String]) -> Self {
        let mut kinds: BTreeMap<String, (usize, Option<usize>)> = BTreeMap::new();
        for kind in labels.values().flatten() {
            kinds.entry(kind.clone()).or_insert((0, None)).0 += 1;
        }
        let positives: usize = kinds.values().map(|k| k.0).sum();
        let mut hits = 0usize;
        let mut ap = 0.0;
        for (i, id) in ranked.iter().enumerate() {
            if let Some(Some(kind)) = labels.get(id) {
                hits += 1;
                ap += hits as f64 / (i + 1) as f64;
                let e = kinds.entry(kind.clone()).or_insert((0, None));
                if e.1.is_none() {
                    e.1 = Some(i + 1);
                }
            }
        }
        Evaluation {
            total: labels.len(),
            positives,
            kinds,
            average_precision: if positives > 0 {
                ap / positives as f64
            } else {
                0.0
            },
        }
    }

    /// Attack kinds with a record ranked within the top `fraction` of all records.
    pub fn kinds_within(&self, fraction: f64) -> usize {
        let limit = (fraction * self.total as f64).ceil() as usize;
        self.kinds
            .values()
            .filter(|(_, r)| r.is_some_and(|r| r <= limit))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_ranks_recall_and_average_precision() {
        let mut labels: HashMap<String, Option<String>> =
            (0..100).map(|i| (i.to_string(), None)).collect();
        labels.insert("7".into(), Some("scan".into()));
        labels.insert("8".into(), Some("scan".into()));
        labels.insert("9".into(), Some("beacon".into()));
        let ranked: Vec<String> = ["8", "1", "7", "2"].iter().map(|s| s.to_string()).collect();
        let e = Evaluation::new(&labels, &ranked);
        assert_eq!(e.total, 100);
        assert_eq!(e.positives, 3);
        assert_eq!(e.kinds["scan"], (2, Some(1)));
        assert_eq!(e.kinds["beacon"], (1, None));
        assert!((e.average_precision - (1.0 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        assert_eq!(e.kinds_within(0.01), 1);
        assert_eq!(e.kinds_within(0.0), 0);
    }
}
