use arrow::array::{Array, Float64Array};
use spot_features::Words;
use spot_model::FittedModel;

/// Spot's score of every row of a batch from its words: the minimum over the row's (document,
/// word) pairs of Σ_k P(word | k)·P(k | document); null for invalid rows.
pub fn score_words(model: &FittedModel, words: &Words) -> Float64Array {
    let n = words.invalid.len();
    let mut out: Vec<Option<f64>> = Vec::with_capacity(n);
    for i in 0..n {
        if words.invalid[i].is_some() {
            out.push(None);
            continue;
        }
        let mut best = f64::INFINITY;
        for (docs, ws) in &words.pairs {
            let p = if docs.is_valid(i) && ws.is_valid(i) {
                model.word_prob(ws.value(i), docs.value(i))
            } else {
                0.0
            };
            best = best.min(p);
        }
        out.push(Some(if best.is_finite() { best } else { 0.0 }));
    }
    Float64Array::from(out)
}
