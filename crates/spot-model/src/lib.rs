//! # spot-model
//!
//! Topic models over IP documents. An engine implements [`TopicModel`]: it fits a
//! [`Corpus`](spot_features::Corpus) and returns a [`FittedModel`] holding P(word | topic),
//! P(topic | document) and both vocabularies. [`EmLda`] is the MAP EM of Spark MLlib's
//! `EMLDAOptimizer`, the optimizer Apache Spot trained with, with Spot's defaults
//! ([`LdaConfig::default`]: 20 topics, alpha 1.02, beta 1.001, 20 iterations).
//!
//! Fitting is multithreaded and deterministic: the same corpus and seed give a bit-identical
//! model at any thread count.
//!
//! ```
//! use spot_features::CorpusBuilder;
//! use spot_model::{EmLda, LdaConfig, TopicModel};
//! let mut c = CorpusBuilder::new();
//! c.add("10.0.0.1", "443_TCP_9_12_4", 30);
//! c.add("10.0.0.1", "53_UDP_9_7_1", 10);
//! c.add("10.0.0.2", "-1_443_TCP_9_12_4", 30);
//! let corpus = c.build();
//! let model = EmLda::new(LdaConfig { topics: 2, ..LdaConfig::default() }).fit(&corpus, &mut |_| {})?;
//! let p = model.word_prob("443_TCP_9_12_4", "10.0.0.1");
//! assert!(p > 0.0 && p <= 1.0);
//! assert_eq!(model.word_prob("never-seen", "10.0.0.1"), 0.0);
//! # Ok::<(), spot_model::ModelError>(())
//! ```

mod config;
mod em;
mod fitted;
mod rng;

pub use config::LdaConfig;
pub use em::EmLda;
pub use fitted::FittedModel;

use spot_features::Corpus;

/// Errors of model fitting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A hyper-parameter is out of its engine's domain.
    #[error("invalid model configuration: {0}")]
    InvalidConfig(String),
    /// There is nothing to learn from.
    #[error("the corpus is empty: no valid records to train on")]
    EmptyCorpus,
}

/// Progress of a fit, reported after each iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Iteration {
    /// 1-based iteration just finished.
    pub iteration: usize,
    /// Total iterations planned.
    pub of: usize,
}

/// A topic-model engine.
pub trait TopicModel {
    /// A short name (`em`, ...).
    fn name(&self) -> &'static str;
    /// Fits `corpus`, calling `progress` after every iteration.
    fn fit(
        &self,
        corpus: &Corpus,
        progress: &mut dyn FnMut(Iteration),
    ) -> Result<FittedModel, ModelError>;
}
