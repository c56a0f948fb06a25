//! The training log-likelihood every engine reports, and the tolerance test on it.

use rayon::prelude::*;
use spot_features::Corpus;

/// Per-token log-likelihood of the corpus tokens (of `docs`, or all documents) under point
/// estimates: `Σ n_dw log Σ_k θ_dk φ_wk / Σ n_dw`, with θ rows (documents × K) and φ columns
/// (words × K) normalized. Tokens of probability 0 are skipped. Reduced in document order, so
/// the value does not depend on the thread count.
pub(crate) fn per_token(
    corpus: &Corpus,
    docs: Option<&[u32]>,
    theta: &[f64],
    phi: &[f64],
    k: usize,
) -> f64 {
    let one = |d: usize| -> (f64, f64) {
        let (ws, cs) = corpus.doc(d);
        let th = &theta[d * k..(d + 1) * k];
        let mut ll = 0.0;
        let mut n = 0.0;
        for (&w, &c) in ws.iter().zip(cs) {
            let ph = &phi[w as usize * k..(w as usize + 1) * k];
            let p: f64 = th.iter().zip(ph).map(|(a, b)| a * b).sum();
            if p > 0.0 {
                ll += c * p.ln();
                n += c;
            }
        }
        (ll, n)
    };
    let parts: Vec<(f64, f64)> = match docs {
        Some(ds) => ds.par_iter().map(|&d| one(d as usize)).collect(),
        None => (0..corpus.num_docs()).into_par_iter().map(one).collect(),
    };
    let (ll, n) = parts
        .iter()
        .fold((0.0, 0.0), |(a, b), (c, d)| (a + c, b + d));
    if n > 0.0 { ll / n } else { 0.0 }
}

/// Stops a fit once the relative change of the log-likelihood falls below a tolerance.
pub(crate) struct Convergence {
    tolerance: Option<f64>,
    last: Option<f64>,
}

impl Convergence {
    pub(crate) fn new(tolerance: Option<f64>) -> Self {
        Convergence {
            tolerance,
            last: None,
        }
    }

    /// Records this iteration's value; true when the fit should stop.
    pub(crate) fn converged(&mut self, ll: Option<f64>) -> bool {
        let (Some(tol), Some(ll)) = (self.tolerance, ll) else {
            return false;
        };
        let done = match self.last {
            Some(last) => (ll - last).abs() <= tol * last.abs().max(f64::MIN_POSITIVE),
            None => false,
        };
        self.last = Some(ll);
        done
    }
}
