//! # spot-model
//!
//! Topic models over IP documents. An engine implements [`TopicModel`]: it fits a
//! [`Corpus`] and returns a [`FittedModel`] holding P(word | topic),
//! P(topic | document) and both vocabularies. Three engines, chosen by
//! [`LdaConfig::optimizer`] through [`Lda`] or used directly:
//!
//! - [`EmLda`] (`em`, the default): the MAP EM of Spark MLlib's `EMLDAOptimizer`, the optimizer
//!   Apache Spot trained with, with Spot's defaults ([`LdaConfig::default`]: 20 topics,
//!   alpha 1.02, beta 1.001, 20 iterations).
//! - [`OnlineLda`] (`online`): online variational Bayes (Hoffman et al. 2010) with the
//!   parameters of Spark's `OnlineLDAOptimizer` ([`OnlineConfig`]).
//! - [`GibbsLda`] (`gibbs`): a collapsed Gibbs sampler (a dense, branch-free sampler up to 128
//!   topics, SparseLDA's bucket decomposition above), the cheapest per iteration on large
//!   corpora.
//!
//! Which engine: `em` reproduces Apache Spot's model (same parameter meaning as Spark, alpha and
//! beta above 1) and costs K operations per distinct (document, word) pair per iteration, twice;
//! `gibbs` costs a few nanoseconds per topic and token up to 128 topics, and about the number of
//! topics a word actually uses per token above, needs no alpha or beta above 1, and is the one to use on large corpora (more
//! iterations, each cheaper); `online` sees a fraction of the documents per iteration, suits
//! corpora too large to sweep often, and can learn an asymmetric alpha. Compare them on your
//! data with [`heldout`].
//!
//! Fitting is multithreaded (rayon) and deterministic: the same corpus, configuration and seed
//! give a bit-identical model at any thread count, because parallel work is split into fixed
//! shards with their own random streams and reduced in a fixed order.
//!
//! A fit can start from a previous model ([`TopicModel::fit_from`], a warm start), documents
//! unseen in training can be folded in ([`FittedModel::infer`], [`FittedModel::fold_in`]),
//! models are saved and loaded in a versioned binary format ([`FittedModel::save`],
//! [`FittedModel::load`], described in [`format`](mod@format)), and [`heldout`] compares engines by the
//! log-likelihood of held-out tokens.
//!
//! ```
//! use spot_features::CorpusBuilder;
//! use spot_model::{EmLda, Lda, LdaConfig, Optimizer, TopicModel};
//! let mut c = CorpusBuilder::new();
//! c.add("10.0.0.1", "443_TCP_9_12_4", 30);
//! c.add("10.0.0.1", "53_UDP_9_7_1", 10);
//! c.add("10.0.0.2", "-1_443_TCP_9_12_4", 30);
//! let corpus = c.build();
//! let model = EmLda::new(LdaConfig { topics: 2, ..LdaConfig::default() }).fit(&corpus, &mut |_| {})?;
//! let p = model.word_prob("443_TCP_9_12_4", "10.0.0.1");
//! assert!(p > 0.0 && p <= 1.0);
//! assert_eq!(model.word_prob("never-seen", "10.0.0.1"), 0.0);
//!
//! // Any engine through its configuration, with the log-likelihood of every iteration
//! // (reported to the progress callback, or collected by `fit_report`).
//! let config = LdaConfig { topics: 2, optimizer: Optimizer::Gibbs, track_likelihood: true, ..LdaConfig::default() };
//! let mut trace = Vec::new();
//! let gibbs = Lda::new(config.clone()).fit(&corpus, &mut |it| trace.extend(it.log_likelihood))?;
//! assert_eq!(trace.len(), 20);
//! assert!(gibbs.word_prob("443_TCP_9_12_4", "10.0.0.1") > 0.0);
//! let report = Lda::new(config).fit_report(&corpus, None)?;
//! assert_eq!(report.log_likelihoods(), trace);
//! assert_eq!(report.model, gibbs);
//! # Ok::<(), spot_model::ModelError>(())
//! ```

// Numeric kernels index several arrays in step; index loops read clearer there than zips.
#![allow(clippy::needless_range_loop)]

/// Declares an engine: a type that holds its hyper-parameters, with `optimizer` always its own,
/// built by `new(config)` or `default()` (Apache Spot's values) and read back by `config()`.
macro_rules! lda_engine {
    ($(#[$doc:meta])* $name:ident, $optimizer:expr, $label:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name {
            config: $crate::LdaConfig,
        }

        impl Default for $name {
            fn default() -> Self {
                $name::new($crate::LdaConfig::default())
            }
        }

        impl $name {
            #[doc = concat!(
                "An engine with these hyper-parameters (`config.optimizer` is set to `",
                $label,
                "`)."
            )]
            pub fn new(mut config: $crate::LdaConfig) -> Self {
                config.optimizer = $optimizer;
                $name { config }
            }

            /// The hyper-parameters.
            pub fn config(&self) -> &$crate::LdaConfig {
                &self.config
            }
        }
    };
}

mod config;
mod em;
mod fitted;
pub mod format;
mod gibbs;
pub mod heldout;
mod likelihood;
mod online;
mod rng;
mod special;
pub mod synthetic;
mod transpose;
mod warm;

pub use config::{LdaConfig, OnlineConfig, Optimizer};
pub use em::EmLda;
pub use fitted::FittedModel;
pub use gibbs::GibbsLda;
pub use online::OnlineLda;

use std::path::PathBuf;

use spot_features::Corpus;

/// Errors of model fitting, loading and saving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A hyper-parameter is out of its engine's domain.
    #[error("invalid model configuration: {0}")]
    InvalidConfig(String),
    /// There is nothing to learn from.
    #[error("the corpus is empty: no valid records to train on")]
    EmptyCorpus,
    /// A warm start from a model that does not fit the configuration.
    #[error("cannot start from this model: {0}")]
    IncompatibleInit(String),
    /// Reading or writing a model file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The model file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file does not start with the model magic bytes.
    #[error("{}: not a spot model file (bad magic bytes)", path.display())]
    NotAModel {
        /// The file.
        path: PathBuf,
    },
    /// The file is a spot model of a format version this build cannot read.
    #[error(
        "{}: model format version {found} is not supported (this build reads version {supported}); \
         retrain or use a matching spot version",
        path.display()
    )]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u32,
        /// The version this build reads and writes.
        supported: u32,
    },
    /// The file is truncated or its content is inconsistent.
    #[error("{}: corrupt model file at byte {offset}: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Byte offset where the problem was found.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
}

/// Progress of a fit, reported after each iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Iteration {
    /// 1-based iteration just finished.
    pub iteration: usize,
    /// Total iterations planned.
    pub of: usize,
    /// Training log-likelihood per token after this iteration, when the configuration asks for
    /// it ([`LdaConfig::track_likelihood`] or a [`LdaConfig::tolerance`]): the mean of
    /// `log Σ_k P(k | d) P(w | k)` over the training tokens with the current point estimates
    /// (for `online`, over the current mini-batch).
    pub log_likelihood: Option<f64>,
}

/// A fitted model with the history of its fit, from [`TopicModel::fit_report`].
#[derive(Debug, Clone)]
pub struct Fit {
    /// The fitted model.
    pub model: FittedModel,
    /// What every iteration reported, in order (fewer than configured when a
    /// [`LdaConfig::tolerance`] stopped the fit early).
    pub iterations: Vec<Iteration>,
}

impl Fit {
    /// The training log-likelihood per token after each iteration, when it was computed
    /// ([`LdaConfig::track_likelihood`] or a tolerance); empty otherwise.
    pub fn log_likelihoods(&self) -> Vec<f64> {
        self.iterations
            .iter()
            .filter_map(|it| it.log_likelihood)
            .collect()
    }
}

/// A topic-model engine.
pub trait TopicModel {
    /// A short name (`em`, `online`, `gibbs`).
    fn name(&self) -> &'static str;

    /// Fits `corpus` from scratch, calling `progress` after every iteration.
    fn fit(
        &self,
        corpus: &Corpus,
        progress: &mut dyn FnMut(Iteration),
    ) -> Result<FittedModel, ModelError> {
        self.fit_from(corpus, None, progress)
    }

    /// Fits `corpus`, starting from `init` when given (a warm start): tokens of words and
    /// documents the initial model knows start from its topics, new ones from fresh random
    /// state. The initial model must have the configured number of topics.
    fn fit_from(
        &self,
        corpus: &Corpus,
        init: Option<&FittedModel>,
        progress: &mut dyn FnMut(Iteration),
    ) -> Result<FittedModel, ModelError>;

    /// [`fit_from`](Self::fit_from), returning the model with what every iteration reported
    /// (the training log-likelihood trace, when the configuration asks for it).
    fn fit_report(&self, corpus: &Corpus, init: Option<&FittedModel>) -> Result<Fit, ModelError> {
        let mut iterations = Vec::new();
        let model = self.fit_from(corpus, init, &mut |it| iterations.push(it))?;
        Ok(Fit { model, iterations })
    }
}

/// The engine named by [`LdaConfig::optimizer`].
#[derive(Debug, Clone, Default)]
pub struct Lda {
    config: LdaConfig,
}

impl Lda {
    /// The engine of `config.optimizer` with these hyper-parameters.
    pub fn new(config: LdaConfig) -> Self {
        Lda { config }
    }
    /// The hyper-parameters.
    pub fn config(&self) -> &LdaConfig {
        &self.config
    }
}

impl TopicModel for Lda {
    fn name(&self) -> &'static str {
        self.config.optimizer.name()
    }

    fn fit_from(
        &self,
        corpus: &Corpus,
        init: Option<&FittedModel>,
        progress: &mut dyn FnMut(Iteration),
    ) -> Result<FittedModel, ModelError> {
        let c = self.config.clone();
        match self.config.optimizer {
            Optimizer::Em => EmLda::new(c).fit_from(corpus, init, progress),
            Optimizer::Online => OnlineLda::new(c).fit_from(corpus, init, progress),
            Optimizer::Gibbs => GibbsLda::new(c).fit_from(corpus, init, progress),
        }
    }
}
