//! Word creation of every source as tables: the input's columns with one word column per
//! (document, word) pair and `invalid_reason`, or the (document, word, count) corpus. One
//! implementation over [`WordCreator`] serves flows, DNS and proxy records.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use spot_features::domain::TopDomains;
use spot_features::{Corpus, CorpusBuilder, WordCreator};
use spot_score::{Analysis, AnalysisConfig};

use crate::arrow_io::{ArrowStream, Batches};
use crate::errors::{analysis_err, arrow_err, feature_err};
use crate::progress::PyProgress;

/// `schema` with one utf8 column per word of `creator`, then `invalid_reason`.
fn words_schema(schema: &Schema, creator: &dyn WordCreator) -> SchemaRef {
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    for (_, name) in creator.pair_names() {
        fields.push(Field::new(*name, DataType::Utf8, true));
    }
    fields.push(Field::new("invalid_reason", DataType::Utf8, true));
    Arc::new(Schema::new(fields))
}

/// The input's columns (shared, not copied), then the words of each row and `invalid_reason`.
pub fn words_table(
    py: Python<'_>,
    creator: &dyn WordCreator,
    input: &Batches,
) -> PyResult<ArrowStream> {
    let schema = words_schema(&input.schema, creator);
    let mut out = Vec::with_capacity(input.batches.len());
    for b in &input.batches {
        let words = py.detach(|| creator.words(b)).map_err(feature_err)?;
        let mut cols: Vec<ArrayRef> = b.columns().to_vec();
        for (_, ws) in &words.pairs {
            cols.push(Arc::new(ws.clone()));
        }
        cols.push(Arc::new(
            words
                .invalid
                .iter()
                .map(|r| r.map(|r| r.name()))
                .collect::<StringArray>(),
        ));
        let batch_schema = words_schema(&b.schema(), creator);
        out.push(RecordBatch::try_new(batch_schema, cols).map_err(arrow_err)?);
        py.check_signals()?;
    }
    let schema = out.first().map_or(schema, |b| b.schema());
    Ok(Batches {
        schema,
        batches: out,
    }
    .into())
}

/// Pass 1 of the analysis on `input`: the corpus of its valid rows.
pub fn corpus_of(
    py: Python<'_>,
    creator: &dyn WordCreator,
    input: &Batches,
) -> PyResult<CorpusBuilder> {
    let progress = PyProgress::new(None);
    py.detach(|| {
        let analysis = Analysis::new(creator, AnalysisConfig::default());
        let mut corpus = CorpusBuilder::new();
        let mut summary = spot_score::Summary::default();
        let mut progress = &progress;
        analysis
            .corpus(
                input.iter(),
                &mut corpus,
                &mut |_| Ok(()),
                &mut summary,
                &mut progress,
            )
            .map(|_| corpus)
    })
    .map_err(|e| analysis_err(e, progress.take_raised()))
}

/// A corpus as `doc`, `word`, `count` rows.
pub fn corpus_table(corpus: &Corpus) -> PyResult<ArrowStream> {
    let (mut docs, mut words, mut counts) = (Vec::new(), Vec::new(), Vec::new());
    for d in 0..corpus.num_docs() {
        let (ws, cs) = corpus.doc(d);
        for (w, c) in ws.iter().zip(cs) {
            docs.push(corpus.doc_names()[d].as_str());
            words.push(corpus.word_names()[*w as usize].as_str());
            counts.push(*c as i64);
        }
    }
    let batch = RecordBatch::try_from_iter([
        ("doc", Arc::new(StringArray::from(docs)) as ArrayRef),
        ("word", Arc::new(StringArray::from(words)) as ArrayRef),
        ("count", Arc::new(Int64Array::from(counts)) as ArrayRef),
    ])
    .map_err(arrow_err)?;
    Ok(ArrowStream::one(batch))
}

/// The top-domains argument of the DNS and proxy functions: `None` (Spot's empty list), a path
/// to a `rank,domain` CSV (or one domain per line), or a list of domain names.
pub fn top_domains(arg: Option<&Bound<'_, PyAny>>) -> PyResult<TopDomains> {
    let Some(arg) = arg.filter(|a| !a.is_none()) else {
        return Ok(TopDomains::default());
    };
    if let Ok(path) = arg.extract::<PathBuf>() {
        return TopDomains::from_csv_path(&path).map_err(feature_err);
    }
    if let Ok(names) = arg.extract::<Vec<String>>() {
        return Ok(TopDomains::from_names(names));
    }
    Err(PyTypeError::new_err(format!(
        "top_domains: expected a path or a list of domain names, found {}",
        arg.get_type().name()?
    )))
}
