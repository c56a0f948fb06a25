use rustc_hash::FxHashMap;

use crate::LdaConfig;

/// A fitted topic model: P(word | topic) for every word, P(topic | document) for every document,
/// with both vocabularies and the hyper-parameters that produced it.
///
/// Probabilities follow Apache Spot's reading of Spark's EM model: a topic's word distribution is
/// its column of word-topic counts normalized to sum to one, a document's topic mixture its
/// topic counts normalized.
#[derive(Debug, Clone)]
pub struct FittedModel {
    config: LdaConfig,
    doc_names: Vec<String>,
    word_names: Vec<String>,
    doc_index: FxHashMap<String, u32>,
    word_index: FxHashMap<String, u32>,
    /// documents × topics, row-major.
    doc_topic: Vec<f64>,
    /// words × topics, row-major: `word_topic[w * K + k]` = P(w | k).
    word_topic: Vec<f64>,
}

impl PartialEq for FittedModel {
    fn eq(&self, other: &Self) -> bool {
        self.config == other.config
            && self.doc_names == other.doc_names
            && self.word_names == other.word_names
            && self.doc_topic == other.doc_topic
            && self.word_topic == other.word_topic
    }
}

fn index(names: &[String]) -> FxHashMap<String, u32> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), i as u32))
        .collect()
}

impl FittedModel {
    /// Builds a model from raw soft counts (documents × topics and words × topics, row-major).
    pub fn from_counts(
        config: LdaConfig,
        doc_names: Vec<String>,
        word_names: Vec<String>,
        mut doc_topic: Vec<f64>,
        mut word_topic: Vec<f64>,
    ) -> Self {
        let k = config.topics;
        for row in doc_topic.chunks_mut(k) {
            let s: f64 = row.iter().sum();
            if s > 0.0 {
                row.iter_mut().for_each(|x| *x /= s);
            }
        }
        let mut col = vec![0.0f64; k];
        for row in word_topic.chunks(k) {
            for (c, x) in col.iter_mut().zip(row) {
                *c += x;
            }
        }
        for row in word_topic.chunks_mut(k) {
            for (x, c) in row.iter_mut().zip(&col) {
                if *c > 0.0 {
                    *x /= c;
                }
            }
        }
        FittedModel {
            doc_index: index(&doc_names),
            word_index: index(&word_names),
            config,
            doc_names,
            word_names,
            doc_topic,
            word_topic,
        }
    }

    /// The hyper-parameters the model was fitted with.
    pub fn config(&self) -> &LdaConfig {
        &self.config
    }
    /// Number of topics.
    pub fn num_topics(&self) -> usize {
        self.config.topics
    }
    /// Number of documents.
    pub fn num_docs(&self) -> usize {
        self.doc_names.len()
    }
    /// Vocabulary size.
    pub fn num_words(&self) -> usize {
        self.word_names.len()
    }
    /// Document names, by id.
    pub fn doc_names(&self) -> &[String] {
        &self.doc_names
    }
    /// Words, by id.
    pub fn word_names(&self) -> &[String] {
        &self.word_names
    }
    /// Id of a document, if it was in training.
    pub fn doc_id(&self, doc: &str) -> Option<u32> {
        self.doc_index.get(doc).copied()
    }
    /// Id of a word, if it was in training.
    pub fn word_id(&self, word: &str) -> Option<u32> {
        self.word_index.get(word).copied()
    }
    /// P(topic | document `d`), one value per topic.
    pub fn doc_topics(&self, d: usize) -> &[f64] {
        let k = self.config.topics;
        &self.doc_topic[d * k..(d + 1) * k]
    }
    /// P(word `w` | topic), one value per topic.
    pub fn word_topics(&self, w: usize) -> &[f64] {
        let k = self.config.topics;
        &self.word_topic[w * k..(w + 1) * k]
    }
    /// Apache Spot's score of a word for a document: Σ_k P(word | k) · P(k | document).
    pub fn prob_ids(&self, w: u32, d: u32) -> f64 {
        self.word_topics(w as usize)
            .iter()
            .zip(self.doc_topics(d as usize))
            .map(|(a, b)| a * b)
            .sum()
    }
    /// [`prob_ids`](Self::prob_ids) by name; 0 for a word or document not seen in training, as
    /// in Spot.
    pub fn word_prob(&self, word: &str, doc: &str) -> f64 {
        match (self.word_id(word), self.doc_id(doc)) {
            (Some(w), Some(d)) => self.prob_ids(w, d),
            _ => 0.0,
        }
    }
}
