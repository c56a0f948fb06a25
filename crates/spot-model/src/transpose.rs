//! The word-major view of a document-major corpus, for race-free per-word reductions.

use spot_features::Corpus;

/// Token index by word: for each word, the entries (positions in the document-major arrays)
/// holding it, in increasing order, and the document of every entry.
pub(crate) struct Transpose {
    pub(crate) word_ptr: Vec<usize>,
    pub(crate) entries: Vec<u32>,
    pub(crate) entry_doc: Vec<u32>,
}

impl Transpose {
    pub(crate) fn new(corpus: &Corpus) -> Self {
        let words = corpus.entry_words();
        let mut word_ptr = vec![0usize; corpus.num_words() + 1];
        for &w in words {
            word_ptr[w as usize + 1] += 1;
        }
        for i in 0..corpus.num_words() {
            word_ptr[i + 1] += word_ptr[i];
        }
        let mut fill = word_ptr.clone();
        let mut entries = vec![0u32; words.len()];
        for (e, &w) in words.iter().enumerate() {
            entries[fill[w as usize]] = e as u32;
            fill[w as usize] += 1;
        }
        let mut entry_doc = vec![0u32; words.len()];
        for (d, win) in corpus.doc_ptr().windows(2).enumerate() {
            entry_doc[win[0]..win[1]].fill(d as u32);
        }
        Transpose {
            word_ptr,
            entries,
            entry_doc,
        }
    }

    /// Entries of word `w`.
    pub(crate) fn word(&self, w: usize) -> &[u32] {
        &self.entries[self.word_ptr[w]..self.word_ptr[w + 1]]
    }
}
