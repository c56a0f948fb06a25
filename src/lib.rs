//! # spot
//!
//! Finds the few suspicious events among network records: Apache Spot's suspicious-connects
//! analysis (decode → words → LDA topic model → scores), in Rust, on Arrow record batches.
//!
//! This crate re-exports the layers, each a crate of its own with one job:
//!
//! | layer | crate | job |
//! |---|---|---|
//! | [`decode`] | `spot-decode` | files → Arrow batches with Spot's schemas |
//! | [`features`] | `spot-features` | batches → words → IP documents |
//! | [`model`] | `spot-model` | documents → topics (LDA engines) |
//! | [`score`] | `spot-score` | model + batches → scores, threshold, top-N |
//! | [`synth`] | `spot-synth` | seeded synthetic days with labeled attacks |
//!
//! A complete flow analysis in a few lines:
//!
//! ```
//! use spot::decode::FlowReader;
//! use spot::features::{CorpusBuilder, flow::FlowWords};
//! use spot::score::{Analysis, AnalysisConfig, ScoreFilter, Summary};
//! use spot::synth::{FlowDayConfig, flow_day};
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("day.parquet");
//! // A small synthetic day, written as Parquet.
//! let day = flow_day(&FlowDayConfig { workstations: 10, ..FlowDayConfig::default() });
//! let mut w = spot::decode::BatchWriter::create(&path, &day.batch.schema())?;
//! w.write(&day.batch)?;
//! w.finish()?;
//!
//! let reader = FlowReader::open(&[&path])?;
//! let config = AnalysisConfig {
//!     filter: ScoreFilter { threshold: 1.0, max_results: Some(20) },
//!     ..AnalysisConfig::default()
//! };
//! let analysis = Analysis::new(&FlowWords, config);
//! let (mut summary, mut corpus) = (Summary::default(), CorpusBuilder::new());
//! analysis.corpus(reader.batches(), &mut corpus, &mut |_| Ok(()), &mut summary, &mut ())?;
//! let model = analysis.fit(corpus, &mut summary, &mut ())?;
//! let top = analysis.score(&model, reader.batches(), &mut summary, &mut ())?;
//! assert_eq!(top.num_rows(), 20);
//! println!("{summary}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use spot_decode as decode;
pub use spot_features as features;
pub use spot_model as model;
pub use spot_score as score;
pub use spot_synth as synth;
