//! IP documents as sparse word counts, with interned vocabularies.

use arrow::array::Array;
use rustc_hash::FxHashMap;

use crate::words::Words;

/// Accumulates (document, word, count) triples.
///
/// Ids are assigned in order of appearance while building; [`CorpusBuilder::build`] renumbers
/// documents and words in lexicographic order, so the corpus does not depend on the order in
/// which batches were added (and so neither does a seeded model).
#[derive(Debug, Default, Clone)]
pub struct CorpusBuilder {
    docs: FxHashMap<Box<str>, u32>,
    doc_names: Vec<Box<str>>,
    words: FxHashMap<Box<str>, u32>,
    word_names: Vec<Box<str>>,
    counts: FxHashMap<(u32, u32), u64>,
}

fn intern(map: &mut FxHashMap<Box<str>, u32>, names: &mut Vec<Box<str>>, s: &str) -> u32 {
    if let Some(&id) = map.get(s) {
        return id;
    }
    let id = names.len() as u32;
    names.push(s.into());
    map.insert(s.into(), id);
    id
}

impl CorpusBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `count` occurrences of `word` to `doc`.
    pub fn add(&mut self, doc: &str, word: &str, count: u64) {
        if count == 0 {
            return;
        }
        let d = intern(&mut self.docs, &mut self.doc_names, doc);
        let w = intern(&mut self.words, &mut self.word_names, word);
        *self.counts.entry((d, w)).or_insert(0) += count;
    }

    /// Adds one occurrence of every (document, word) pair of every valid row.
    pub fn add_words(&mut self, words: &Words) {
        for (docs, ws) in &words.pairs {
            for (i, reason) in words.invalid.iter().enumerate() {
                if reason.is_none() && docs.is_valid(i) && ws.is_valid(i) {
                    self.add(docs.value(i), ws.value(i), 1);
                }
            }
        }
    }

    /// Adds everything `other` holds.
    pub fn merge(&mut self, other: CorpusBuilder) {
        for (&(d, w), &c) in &other.counts {
            self.add(
                &other.doc_names[d as usize],
                &other.word_names[w as usize],
                c,
            );
        }
    }

    /// Number of distinct (document, word) pairs so far.
    pub fn nnz(&self) -> usize {
        self.counts.len()
    }

    /// Freezes the counts into a [`Corpus`] with sorted vocabularies.
    pub fn build(self) -> Corpus {
        let order = |names: &[Box<str>]| -> (Vec<String>, Vec<u32>) {
            let mut idx: Vec<u32> = (0..names.len() as u32).collect();
            idx.sort_unstable_by(|&a, &b| names[a as usize].cmp(&names[b as usize]));
            let mut remap = vec![0u32; names.len()];
            for (new, &old) in idx.iter().enumerate() {
                remap[old as usize] = new as u32;
            }
            let sorted = idx.iter().map(|&i| names[i as usize].to_string()).collect();
            (sorted, remap)
        };
        let (doc_names, doc_map) = order(&self.doc_names);
        let (word_names, word_map) = order(&self.word_names);
        let mut triples: Vec<(u32, u32, u64)> = self
            .counts
            .into_iter()
            .map(|((d, w), c)| (doc_map[d as usize], word_map[w as usize], c))
            .collect();
        triples.sort_unstable();
        Corpus::from_sorted(doc_names, word_names, &triples)
    }
}

/// Documents × words counts in compressed sparse rows, with the names of both.
#[derive(Debug, Clone, PartialEq)]
pub struct Corpus {
    doc_names: Vec<String>,
    word_names: Vec<String>,
    doc_ptr: Vec<usize>,
    word_ids: Vec<u32>,
    counts: Vec<f64>,
}

impl Corpus {
    fn from_sorted(doc_names: Vec<String>, word_names: Vec<String>, t: &[(u32, u32, u64)]) -> Self {
        let mut doc_ptr = vec![0usize; doc_names.len() + 1];
        for &(d, _, _) in t {
            doc_ptr[d as usize + 1] += 1;
        }
        for i in 0..doc_names.len() {
            doc_ptr[i + 1] += doc_ptr[i];
        }
        Corpus {
            doc_names,
            word_names,
            doc_ptr,
            word_ids: t.iter().map(|x| x.1).collect(),
            counts: t.iter().map(|x| x.2 as f64).collect(),
        }
    }

    /// A corpus from (document, word, count) triples over the given names; duplicates add up.
    /// Triples naming an id out of range are ignored.
    pub fn from_triplets(
        doc_names: Vec<String>,
        word_names: Vec<String>,
        triplets: impl IntoIterator<Item = (u32, u32, u64)>,
    ) -> Self {
        let mut t: Vec<(u32, u32, u64)> = triplets
            .into_iter()
            .filter(|&(d, w, c)| {
                (d as usize) < doc_names.len() && (w as usize) < word_names.len() && c > 0
            })
            .collect();
        t.sort_unstable();
        let mut merged: Vec<(u32, u32, u64)> = Vec::with_capacity(t.len());
        for x in t {
            match merged.last_mut() {
                Some(last) if last.0 == x.0 && last.1 == x.1 => last.2 += x.2,
                _ => merged.push(x),
            }
        }
        Self::from_sorted(doc_names, word_names, &merged)
    }

    /// Number of documents.
    pub fn num_docs(&self) -> usize {
        self.doc_names.len()
    }
    /// Vocabulary size.
    pub fn num_words(&self) -> usize {
        self.word_names.len()
    }
    /// Number of non-zero (document, word) entries.
    pub fn nnz(&self) -> usize {
        self.word_ids.len()
    }
    /// Sum of all counts.
    pub fn total_tokens(&self) -> f64 {
        self.counts.iter().sum()
    }
    /// Document names (IPs), sorted.
    pub fn doc_names(&self) -> &[String] {
        &self.doc_names
    }
    /// Words, sorted.
    pub fn word_names(&self) -> &[String] {
        &self.word_names
    }
    /// Word ids and counts of document `d`.
    pub fn doc(&self, d: usize) -> (&[u32], &[f64]) {
        let r = self.doc_ptr[d]..self.doc_ptr[d + 1];
        (&self.word_ids[r.clone()], &self.counts[r])
    }
    /// Offsets of each document's entries (length `num_docs() + 1`).
    pub fn doc_ptr(&self) -> &[usize] {
        &self.doc_ptr
    }
    /// Word id of every entry, document by document.
    pub fn entry_words(&self) -> &[u32] {
        &self.word_ids
    }
    /// Count of every entry, document by document.
    pub fn entry_counts(&self) -> &[f64] {
        &self.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_is_independent_of_insertion_order() {
        let mut a = CorpusBuilder::new();
        a.add("10.0.0.2", "w2", 1);
        a.add("10.0.0.1", "w1", 2);
        a.add("10.0.0.2", "w1", 1);
        a.add("10.0.0.2", "w2", 3);
        let mut b = CorpusBuilder::new();
        b.add("10.0.0.2", "w2", 4);
        b.add("10.0.0.2", "w1", 1);
        b.add("10.0.0.1", "w1", 2);
        let (a, b) = (a.build(), b.build());
        assert_eq!(a, b);
        assert_eq!(a.doc_names(), ["10.0.0.1", "10.0.0.2"]);
        assert_eq!(a.word_names(), ["w1", "w2"]);
        assert_eq!(a.doc(1), (&[0u32, 1][..], &[1.0, 4.0][..]));
        assert_eq!(a.total_tokens(), 7.0);
    }

    #[test]
    fn merge_adds_counts() {
        let mut a = CorpusBuilder::new();
        a.add("d", "w", 1);
        let mut b = CorpusBuilder::new();
        b.add("d", "w", 2);
        b.add("e", "w", 0);
        a.merge(b);
        let c = a.build();
        assert_eq!(c.nnz(), 1);
        assert_eq!(c.doc(0).1, &[3.0]);
    }
}
