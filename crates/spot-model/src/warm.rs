//! Warm starts: initial token-topic responsibilities taken from a previous model.

use spot_features::Corpus;

use crate::{FittedModel, ModelError, rng};

/// Maps a corpus onto a previous model and gives every token its initial topic
/// responsibilities: `∝ P(w | k) · P(k | d)` for a word and a document the model knows,
/// `∝ P(w | k)` for a new document, `∝ P(k | d)` for a new word, random for both new.
pub(crate) struct Warm<'a> {
    model: &'a FittedModel,
    words: Vec<Option<u32>>,
    docs: Vec<Option<u32>>,
    seed: u64,
}

impl<'a> Warm<'a> {
    pub(crate) fn new(
        model: &'a FittedModel,
        corpus: &Corpus,
        topics: usize,
        seed: u64,
    ) -> Result<Self, ModelError> {
        if model.num_topics() != topics {
            return Err(ModelError::IncompatibleInit(format!(
                "the initial model has {} topics, the configuration asks for {topics}",
                model.num_topics()
            )));
        }
        Ok(Warm {
            model,
            words: corpus
                .word_names()
                .iter()
                .map(|w| model.word_id(w))
                .collect(),
            docs: corpus.doc_names().iter().map(|d| model.doc_id(d)).collect(),
            seed: rng::derive(seed, 0x7761_726d),
        })
    }

    /// Fills `g` with the normalized responsibilities of entry `e` (document `d`, word `w`).
    pub(crate) fn fill(&self, d: usize, w: usize, e: usize, g: &mut [f64]) {
        let phi = self.words[w].map(|w| self.model.word_topics(w as usize));
        let theta = self.docs[d].map(|d| self.model.doc_topics(d as usize));
        for (j, x) in g.iter_mut().enumerate() {
            *x = match (phi, theta) {
                (Some(p), Some(t)) => p[j] * t[j],
                (Some(p), None) => p[j],
                (None, Some(t)) => t[j],
                (None, None) => 0.0,
            };
        }
        let s: f64 = g.iter().sum();
        if s > 0.0 && s.is_finite() {
            g.iter_mut().for_each(|x| *x /= s);
        } else {
            for (j, x) in g.iter_mut().enumerate() {
                *x = rng::uniform(self.seed, e as u64, j as u64) + 1e-3;
            }
            let s: f64 = g.iter().sum();
            g.iter_mut().for_each(|x| *x /= s);
        }
    }
}
