use serde::{Deserialize, Serialize};

/// Hyper-parameters of LDA, with Apache Spot's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LdaConfig {
    /// Number of topics K (Spot: 20).
    pub topics: usize,
    /// Document concentration alpha (Spot: 1.02; EM needs > 1).
    pub alpha: f64,
    /// Topic concentration beta, Spark's eta (Spot: 1.001; EM needs > 1).
    pub beta: f64,
    /// Iterations (Spot: 20).
    pub iterations: usize,
    /// Seed of every random step.
    pub seed: u64,
}

impl Default for LdaConfig {
    fn default() -> Self {
        LdaConfig {
            topics: 20,
            alpha: 1.02,
            beta: 1.001,
            iterations: 20,
            seed: 0,
        }
    }
}
