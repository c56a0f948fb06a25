//! Progress bars on stderr (hidden when stderr is not a terminal) and Ctrl-C handling.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use spot_score::Progress;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// First Ctrl-C: stop at the next batch or iteration; second: exit at once.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\ninterrupted: stopping (press Ctrl-C again to exit now)");
    });
}

/// Whether Ctrl-C (or SIGTERM) was received.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// indicatif bars for the analysis stages.
pub struct Bars {
    bar: Option<ProgressBar>,
    iterations: bool,
}

impl Bars {
    pub fn new() -> Self {
        Bars {
            bar: None,
            iterations: false,
        }
    }

    /// Also print one line per training iteration with its log-likelihood (`--verbose`).
    pub fn with_iterations(mut self, on: bool) -> Self {
        self.iterations = on;
        self
    }

    pub fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

impl Progress for Bars {
    fn stage(&mut self, name: &'static str, total: Option<u64>) {
        self.finish();
        let bar = match total {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr())
                .with_style(
                    ProgressStyle::with_template(
                        "{prefix:>8} [{bar:40}] {human_pos}/{human_len} ({per_sec}, {eta})",
                    )
                    .expect("valid template")
                    .progress_chars("=> "),
                ),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
                ProgressStyle::with_template(
                    "{prefix:>8} {spinner} {human_pos} records ({per_sec})",
                )
                .expect("valid template"),
            ),
        };
        bar.set_prefix(name);
        bar.enable_steady_tick(Duration::from_millis(200));
        self.bar = Some(bar);
    }

    fn iteration(&mut self, it: &spot_model::Iteration) {
        if !self.iterations {
            return;
        }
        let line = match it.log_likelihood {
            Some(ll) => format!(
                "iteration {}/{}: log-likelihood per token {ll:.6}",
                it.iteration, it.of
            ),
            None => format!("iteration {}/{}", it.iteration, it.of),
        };
        // `suspend` hides the bar while printing; it also prints when the bar is hidden.
        match &self.bar {
            Some(b) => b.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    fn advance(&mut self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    fn cancelled(&self) -> bool {
        INTERRUPTED.load(Ordering::SeqCst)
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.finish();
    }
}
