//! # spot-score
//!
//! Apache Spot's scoring over Arrow batches and the two-pass analysis that ties the layers
//! together.
//!
//! - [`score_words`]: P(word | document) = Σ_k P(word | k)·P(k | document) for every (document,
//!   word) pair of a row, and the row's score is the minimum over its pairs (for a flow: its
//!   source and destination); a word or document not seen in training scores 0, as in Spot.
//! - [`TopN`]: keeps rows with score ≤ threshold and, with a limit, only the N smallest, with a
//!   bounded heap (never sorting all rows), ties broken by input order.
//! - [`Analysis`]: corpus pass → model → scoring pass, with counts in a [`Summary`].
//!
//! ```
//! use arrow::array::{Float64Array, Int32Array, RecordBatch};
//! use spot_score::{ScoreFilter, TopN};
//! let batch = RecordBatch::try_from_iter([("id", std::sync::Arc::new(Int32Array::from(vec![1, 2, 3])) as _)])?;
//! let mut top = TopN::new(ScoreFilter { threshold: 0.5, max_results: Some(1) });
//! top.push(&batch, &Float64Array::from(vec![0.4, 0.1, 0.9]), 0)?;
//! let out = top.finish()?;
//! assert_eq!(out.num_rows(), 1); // only the 0.1 row: 0.4 is beyond N, 0.9 above threshold
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod analysis;
pub mod calibrate;
pub mod combined;
pub mod detect;
pub mod entities;
pub mod eval;
mod score;
mod topn;

pub use analysis::{Analysis, AnalysisConfig, AnalysisError, Progress, Summary};
pub use score::score_words;
pub use topn::{ScoreFilter, TopN, scored_schema};
