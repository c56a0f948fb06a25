use serde::{Deserialize, Serialize};

/// Which inference algorithm fits the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Optimizer {
    /// MAP EM as Spark MLlib's `EMLDAOptimizer` (Apache Spot's default): alpha and beta > 1.
    #[default]
    Em,
    /// Online variational Bayes (Hoffman et al. 2010) as Spark's `OnlineLDAOptimizer`.
    Online,
    /// Collapsed Gibbs sampling (dense up to 128 topics, SparseLDA's buckets above).
    Gibbs,
}

impl Optimizer {
    /// The name used on the command line and in model files (`em`, `online`, `gibbs`).
    pub fn name(self) -> &'static str {
        match self {
            Optimizer::Em => "em",
            Optimizer::Online => "online",
            Optimizer::Gibbs => "gibbs",
        }
    }
    /// The optimizer called `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "em" => Some(Optimizer::Em),
            "online" => Some(Optimizer::Online),
            "gibbs" => Some(Optimizer::Gibbs),
            _ => None,
        }
    }
}

impl std::fmt::Display for Optimizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Optimizer {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Optimizer::from_name(s)
            .ok_or_else(|| format!("unknown optimizer {s:?}: expected em, online or gibbs"))
    }
}

/// Parameters of the online variational Bayes optimizer, with Spark MLlib's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OnlineConfig {
    /// Learning-rate offset tau0 (Spark: 1024); down-weights early iterations.
    pub tau0: f64,
    /// Learning-rate decay kappa in (0.5, 1] (Spark: 0.51).
    pub kappa: f64,
    /// Fraction of the documents sampled in each mini-batch, in (0, 1] (Spark: 0.05).
    pub mini_batch_fraction: f64,
    /// Learn an asymmetric document concentration alpha during training (Spark: false).
    pub optimize_alpha: bool,
}

impl Default for OnlineConfig {
    fn default() -> Self {
        OnlineConfig {
            tau0: 1024.0,
            kappa: 0.51,
            mini_batch_fraction: 0.05,
            optimize_alpha: false,
        }
    }
}

/// Hyper-parameters of LDA, with Apache Spot's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LdaConfig {
    /// Number of topics K (Spot: 20).
    pub topics: usize,
    /// Document concentration alpha (Spot: 1.02; EM needs > 1, the other engines > 0).
    pub alpha: f64,
    /// Topic concentration beta, Spark's eta (Spot: 1.001; EM needs > 1, the other engines > 0).
    pub beta: f64,
    /// Iterations (Spot: 20). For `online`, one mini-batch per iteration; for `gibbs`, one
    /// sweep over all tokens.
    pub iterations: usize,
    /// Seed of every random step.
    pub seed: u64,
    /// Inference algorithm (default `em`, as Spot).
    pub optimizer: Optimizer,
    /// Stop early once the relative change of the training log-likelihood between two
    /// iterations falls below this value. `None` (default) runs all iterations.
    pub tolerance: Option<f64>,
    /// Compute the training log-likelihood after every iteration and report it in
    /// [`Iteration::log_likelihood`](crate::Iteration::log_likelihood), even without a
    /// tolerance. It costs about one pass over the corpus per iteration.
    pub track_likelihood: bool,
    /// Parameters of the `online` optimizer.
    pub online: OnlineConfig,
    /// Number of document shards of the `gibbs` sampler (default 32). Shards are the unit of
    /// parallel work; the result depends on this number, never on the thread count.
    pub shards: usize,
    /// Where the `gibbs` sampler keeps its per-token state between sweeps. `None` (default):
    /// in memory, 2 bytes per token and 8 per (document, word) entry. A folder: in an
    /// anonymous temporary file there (deleted when the fit ends), read and written back one
    /// block of at most about 2^18 tokens at a time, so the sampler's memory stays flat in the
    /// number of documents (two copies of the word-topic counts, the model's document-topic
    /// counts, and one block per running thread), for about one sequential read of the state
    /// per sweep. The model is the same either way.
    #[serde(skip)]
    pub spill_dir: Option<std::path::PathBuf>,
}

impl Default for LdaConfig {
    fn default() -> Self {
        LdaConfig {
            topics: 20,
            alpha: 1.02,
            beta: 1.001,
            iterations: 20,
            seed: 0,
            optimizer: Optimizer::Em,
            tolerance: None,
            track_likelihood: false,
            online: OnlineConfig::default(),
            shards: 32,
            spill_dir: None,
        }
    }
}

impl LdaConfig {
    /// Whether engines compute the log-likelihood after each iteration.
    pub(crate) fn wants_likelihood(&self) -> bool {
        self.tolerance.is_some() || self.track_likelihood
    }

    /// Checks the parameters common to all engines and those of the selected one.
    pub(crate) fn validate(&self) -> Result<(), crate::ModelError> {
        use crate::ModelError::InvalidConfig;
        if self.topics == 0 || self.topics > u16::MAX as usize {
            return Err(InvalidConfig(format!(
                "topics must be between 1 and {}, got {}",
                u16::MAX,
                self.topics
            )));
        }
        match self.optimizer {
            Optimizer::Em => {
                if self.alpha.is_nan() || self.alpha <= 1.0 {
                    return Err(InvalidConfig(format!(
                        "the EM optimizer needs alpha > 1 (Spark's docConcentration), got {}",
                        self.alpha
                    )));
                }
                if self.beta.is_nan() || self.beta <= 1.0 {
                    return Err(InvalidConfig(format!(
                        "the EM optimizer needs beta > 1 (Spark's topicConcentration), got {}",
                        self.beta
                    )));
                }
            }
            Optimizer::Online | Optimizer::Gibbs => {
                if !self.alpha.is_finite() || self.alpha <= 0.0 {
                    return Err(InvalidConfig(format!(
                        "alpha must be positive, got {}",
                        self.alpha
                    )));
                }
                if !self.beta.is_finite() || self.beta <= 0.0 {
                    return Err(InvalidConfig(format!(
                        "beta must be positive, got {}",
                        self.beta
                    )));
                }
            }
        }
        if self.optimizer == Optimizer::Online {
            let o = &self.online;
            if o.tau0.is_nan() || o.tau0 <= 0.0 {
                return Err(InvalidConfig(format!(
                    "tau0 must be positive, got {}",
                    o.tau0
                )));
            }
            if o.kappa.is_nan() || o.kappa <= 0.5 || o.kappa > 1.0 {
                return Err(InvalidConfig(format!(
                    "kappa must be in (0.5, 1], got {}",
                    o.kappa
                )));
            }
            if o.mini_batch_fraction.is_nan()
                || o.mini_batch_fraction <= 0.0
                || o.mini_batch_fraction > 1.0
            {
                return Err(InvalidConfig(format!(
                    "mini_batch_fraction must be in (0, 1], got {}",
                    o.mini_batch_fraction
                )));
            }
        }
        if self.optimizer == Optimizer::Gibbs && self.shards == 0 {
            return Err(InvalidConfig("shards must be at least 1".into()));
        }
        if let Some(t) = self.tolerance
            && (t.is_nan() || t < 0.0)
        {
            return Err(InvalidConfig(format!(
                "tolerance must be non-negative, got {t}"
            )));
        }
        Ok(())
    }
}
