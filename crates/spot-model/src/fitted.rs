use std::hash::BuildHasher;
use std::sync::OnceLock;

use hashbrown::HashTable;
use rayon::prelude::*;
use rustc_hash::FxBuildHasher;
use spot_features::Corpus;

use crate::{LdaConfig, Optimizer};

/// A fitted topic model: P(word | topic) for every word, P(topic | document) for every document,
/// with both vocabularies and the hyper-parameters that produced it.
///
/// Probabilities follow Apache Spot's reading of Spark's models: a topic's word distribution is
/// its column of word-topic weights normalized to sum to one (EM: expected counts; online:
/// lambda; Gibbs: counts + beta), a document's topic mixture its row of document-topic weights
/// normalized (EM: expected counts; online: gamma; Gibbs: counts + alpha).
#[derive(Debug, Clone)]
pub struct FittedModel {
    config: LdaConfig,
    doc_names: Vec<String>,
    word_names: Vec<String>,
    /// Name → id, built on the first lookup by name (a model loaded to be scored by ids, or
    /// sent elsewhere, never pays for it).
    doc_index: OnceLock<NameIndex>,
    word_index: OnceLock<NameIndex>,
    /// documents × topics, row-major.
    doc_topic: Vec<f64>,
    /// words × topics, row-major: `word_topic[w * K + k]` = P(w | k).
    word_topic: Vec<f64>,
    /// The document concentration per topic at the end of training (alpha, learned by the
    /// online optimizer when asked to).
    doc_concentration: Vec<f64>,
}

impl PartialEq for FittedModel {
    fn eq(&self, other: &Self) -> bool {
        self.config == other.config
            && self.doc_names == other.doc_names
            && self.word_names == other.word_names
            && self.doc_topic == other.doc_topic
            && self.word_topic == other.word_topic
            && self.doc_concentration == other.doc_concentration
    }
}

fn name_hash(name: &str) -> u64 {
    FxBuildHasher.hash_one(name)
}

/// Name → id over a list of names it does not own: a table of ids found by the names' hashes
/// (4 bytes and a control byte per name, no copy of the names; 10⁷ host names would otherwise
/// mean 10⁷ more strings).
#[derive(Debug, Clone, Default)]
struct NameIndex {
    table: HashTable<u32>,
}

impl NameIndex {
    /// The index of `names` (hashes computed in parallel; a repeated name keeps its first id).
    fn new(names: &[String]) -> Self {
        let hashes: Vec<u64> = names.par_iter().map(|n| name_hash(n)).collect();
        let mut table = HashTable::with_capacity(names.len());
        for (i, &h) in hashes.iter().enumerate() {
            let name = &names[i];
            if table
                .find(h, |&j: &u32| names[j as usize] == *name)
                .is_none()
            {
                table.insert_unique(h, i as u32, |&j| hashes[j as usize]);
            }
        }
        NameIndex { table }
    }

    fn get(&self, names: &[String], name: &str) -> Option<u32> {
        self.table
            .find(name_hash(name), |&j| names[j as usize] == name)
            .copied()
    }

    /// Adds `names[id]` (already pushed onto `names`).
    fn push(&mut self, names: &[String], id: u32) {
        let h = name_hash(&names[id as usize]);
        self.table
            .insert_unique(h, id, |&j| name_hash(&names[j as usize]));
    }
}

/// Rows of a row-major matrix with `k` columns, each normalized to sum to one (zero rows stay).
pub(crate) fn normalize_rows(m: &mut [f64], k: usize) {
    m.par_chunks_mut(k).for_each(|row| {
        let s: f64 = row.iter().sum();
        if s > 0.0 {
            row.iter_mut().for_each(|x| *x /= s);
        }
    });
}

/// Columns of a row-major matrix with `k` columns, each normalized to sum to one. Column sums
/// are accumulated sequentially in row order, so they do not depend on the thread count.
pub(crate) fn normalize_columns(m: &mut [f64], k: usize) {
    let mut col = vec![0.0f64; k];
    for row in m.chunks(k) {
        for (c, x) in col.iter_mut().zip(row) {
            *c += x;
        }
    }
    m.par_chunks_mut(k).for_each(|row| {
        for (x, c) in row.iter_mut().zip(&col) {
            if *c > 0.0 {
                *x /= c;
            }
        }
    });
}

/// A row-normalized copy.
pub(crate) fn normalized_rows(m: &[f64], k: usize) -> Vec<f64> {
    let mut m = m.to_vec();
    normalize_rows(&mut m, k);
    m
}

/// A column-normalized copy.
pub(crate) fn normalized_columns(m: &[f64], k: usize) -> Vec<f64> {
    let mut m = m.to_vec();
    normalize_columns(&mut m, k);
    m
}

impl FittedModel {
    /// Builds a model from raw soft counts (documents × topics and words × topics, row-major).
    ///
    /// # Panics
    /// If a matrix does not have `names × config.topics` entries.
    pub fn from_counts(
        config: LdaConfig,
        doc_names: Vec<String>,
        word_names: Vec<String>,
        mut doc_topic: Vec<f64>,
        mut word_topic: Vec<f64>,
    ) -> Self {
        let k = config.topics;
        assert_eq!(doc_topic.len(), doc_names.len() * k, "documents × topics");
        assert_eq!(word_topic.len(), word_names.len() * k, "words × topics");
        normalize_rows(&mut doc_topic, k);
        normalize_columns(&mut word_topic, k);
        let alpha = vec![config.alpha; k];
        Self::from_parts(config, doc_names, word_names, doc_topic, word_topic, alpha)
    }

    /// A model from already normalized parts (sizes checked by the caller).
    pub(crate) fn from_parts(
        config: LdaConfig,
        doc_names: Vec<String>,
        word_names: Vec<String>,
        doc_topic: Vec<f64>,
        word_topic: Vec<f64>,
        doc_concentration: Vec<f64>,
    ) -> Self {
        FittedModel {
            doc_index: OnceLock::new(),
            word_index: OnceLock::new(),
            config,
            doc_names,
            word_names,
            doc_topic,
            word_topic,
            doc_concentration,
        }
    }

    /// Replaces the per-topic document concentration (the online optimizer's learned alpha).
    pub(crate) fn with_doc_concentration(mut self, alpha: Vec<f64>) -> Self {
        debug_assert_eq!(alpha.len(), self.config.topics);
        self.doc_concentration = alpha;
        self
    }

    /// Rebuilds a model from its probabilities as read back from [`doc_topics`](Self::doc_topics)
    /// and [`word_topics`](Self::word_topics) (documents × topics and words × topics,
    /// row-major), without normalizing again, so a model sent elsewhere scores bit-identically.
    pub fn from_probabilities(
        config: LdaConfig,
        doc_names: Vec<String>,
        word_names: Vec<String>,
        doc_topic: Vec<f64>,
        word_topic: Vec<f64>,
    ) -> Result<Self, crate::ModelError> {
        let k = config.topics;
        let config_alpha = config.alpha;
        if doc_topic.len() != doc_names.len() * k || word_topic.len() != word_names.len() * k {
            return Err(crate::ModelError::InvalidConfig(format!(
                "{} documents and {} words with {k} topics need {} and {} probabilities, found {} and {}",
                doc_names.len(),
                word_names.len(),
                doc_names.len() * k,
                word_names.len() * k,
                doc_topic.len(),
                word_topic.len()
            )));
        }
        Ok(FittedModel {
            doc_index: OnceLock::new(),
            word_index: OnceLock::new(),
            config,
            doc_names,
            word_names,
            doc_concentration: vec![config_alpha; k],
            doc_topic,
            word_topic,
        })
    }

    /// The hyper-parameters the model was fitted with.
    pub fn config(&self) -> &LdaConfig {
        &self.config
    }
    /// The engine that fitted the model.
    pub fn optimizer(&self) -> Optimizer {
        self.config.optimizer
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
    /// Id of a document, if it was in training (or folded in).
    pub fn doc_id(&self, doc: &str) -> Option<u32> {
        self.doc_index
            .get_or_init(|| NameIndex::new(&self.doc_names))
            .get(&self.doc_names, doc)
    }
    /// Id of a word, if it was in training.
    pub fn word_id(&self, word: &str) -> Option<u32> {
        self.word_index
            .get_or_init(|| NameIndex::new(&self.word_names))
            .get(&self.word_names, word)
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
    /// The whole documents × topics matrix, row-major.
    pub fn doc_topic_matrix(&self) -> &[f64] {
        &self.doc_topic
    }
    /// The whole words × topics matrix, row-major (each column sums to one).
    pub fn word_topic_matrix(&self) -> &[f64] {
        &self.word_topic
    }
    /// The document concentration, one value per topic: `alpha` everywhere unless the online
    /// optimizer learned it.
    pub fn doc_concentration(&self) -> &[f64] {
        &self.doc_concentration
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

    /// P(topic | document) for a document not seen in training, from its (word id, count)
    /// pairs, by fold-in: the topics stay fixed and the document's mixture is fitted by at most
    /// `iterations` EM steps (stopping when no probability moves by more than 1e-9).
    ///
    /// The prior follows the engine, so that a copy of a training document gets nearly its
    /// training mixture: for `em`, MAP with Dirichlet(alpha) and the mixture read as Spark's
    /// normalized expected counts; for `online` and `gibbs`, the mixture is
    /// `(alpha + expected counts)` normalized. Word ids out of range are ignored; a document
    /// with no known word gets the prior's mean.
    pub fn infer(&self, words: &[(u32, f64)], iterations: usize) -> Vec<f64> {
        let k = self.config.topics;
        let em = self.config.optimizer == Optimizer::Em;
        let prior: Vec<f64> = if em {
            vec![(self.config.alpha - 1.0).max(0.0); k]
        } else {
            self.doc_concentration.clone()
        };
        let words: Vec<(&[f64], f64)> = words
            .iter()
            .filter(|(w, c)| (*w as usize) < self.num_words() && *c > 0.0)
            .map(|&(w, c)| (self.word_topics(w as usize), c))
            .collect();
        let mut theta = vec![1.0 / k as f64; k];
        let mut n = vec![0.0; k];
        for _ in 0..iterations.max(1) {
            n.iter_mut().for_each(|x| *x = 0.0);
            for (phi, c) in &words {
                let norm: f64 = phi.iter().zip(&theta).map(|(p, t)| p * t).sum();
                if norm > 0.0 {
                    let s = c / norm;
                    for j in 0..k {
                        n[j] += phi[j] * theta[j] * s;
                    }
                }
            }
            let total: f64 = n.iter().zip(&prior).map(|(a, b)| a + b).sum();
            let mut change: f64 = 0.0;
            for j in 0..k {
                let t = if total > 0.0 {
                    (n[j] + prior[j]) / total
                } else {
                    1.0 / k as f64
                };
                change = change.max((t - theta[j]).abs());
                theta[j] = t;
            }
            if change < 1e-9 {
                break;
            }
        }
        if em {
            let s: f64 = n.iter().sum();
            if s > 0.0 {
                return n.iter().map(|x| x / s).collect();
            }
        }
        theta
    }

    /// Adds the documents of `corpus` this model does not know, with mixtures inferred by
    /// [`infer`](Self::infer) (words are matched by name; words the model does not know are
    /// ignored), so that they can be scored like training documents. Returns how many
    /// documents were added. Documents already in the model keep their training mixture.
    pub fn fold_in(&mut self, corpus: &Corpus, iterations: usize) -> usize {
        let word_map: Vec<Option<u32>> = corpus
            .word_names()
            .iter()
            .map(|w| self.word_id(w))
            .collect();
        let new_docs: Vec<usize> = (0..corpus.num_docs())
            .filter(|&d| self.doc_id(&corpus.doc_names()[d]).is_none())
            .collect();
        let rows: Vec<Vec<f64>> = new_docs
            .par_iter()
            .map(|&d| {
                let (ws, cs) = corpus.doc(d);
                let words: Vec<(u32, f64)> = ws
                    .iter()
                    .zip(cs)
                    .filter_map(|(&w, &c)| word_map[w as usize].map(|w| (w, c)))
                    .collect();
                self.infer(&words, iterations)
            })
            .collect();
        for (&d, row) in new_docs.iter().zip(rows) {
            self.doc_names.push(corpus.doc_names()[d].clone());
            // An index not built yet will be built from the names, these included.
            if let Some(index) = self.doc_index.get_mut() {
                index.push(&self.doc_names, self.doc_names.len() as u32 - 1);
            }
            self.doc_topic.extend(row);
        }
        new_docs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_index_finds_every_name_and_only_those() {
        let mut names: Vec<String> = (0..5000)
            .map(|i| format!("10.0.{}.{}", i / 256, i % 256))
            .collect();
        let mut index = NameIndex::new(&names);
        for (i, n) in names.iter().enumerate() {
            assert_eq!(index.get(&names, n), Some(i as u32));
        }
        assert_eq!(index.get(&names, "10.0.200.1"), None);
        assert_eq!(index.get(&names, ""), None);
        names.push("new-host".into());
        index.push(&names, 5000);
        assert_eq!(index.get(&names, "new-host"), Some(5000));
        assert_eq!(index.get(&names, "10.0.0.7"), Some(7));
        let repeated: Vec<String> = vec!["a".into(), "b".into(), "a".into()];
        assert_eq!(NameIndex::new(&repeated).get(&repeated, "a"), Some(0));
    }

    #[test]
    fn from_probabilities_round_trips_bit_identically() {
        let cfg = LdaConfig {
            topics: 2,
            ..LdaConfig::default()
        };
        let m = FittedModel::from_counts(
            cfg.clone(),
            vec!["a".into(), "b".into()],
            vec!["x".into(), "y".into(), "z".into()],
            vec![0.3, 0.7, 1.1, 2.9],
            vec![0.1, 0.2, 0.7, 0.3, 0.9, 0.4],
        );
        let docs: Vec<f64> = (0..m.num_docs())
            .flat_map(|d| m.doc_topics(d).to_vec())
            .collect();
        let words: Vec<f64> = (0..m.num_words())
            .flat_map(|w| m.word_topics(w).to_vec())
            .collect();
        let back = FittedModel::from_probabilities(
            cfg.clone(),
            m.doc_names().to_vec(),
            m.word_names().to_vec(),
            docs,
            words,
        )
        .unwrap();
        assert_eq!(back, m);
        assert!(
            FittedModel::from_probabilities(cfg, vec!["a".into()], vec![], vec![1.0], vec![])
                .is_err()
        );
    }
}
