//! Progress and interruption for runs that release the GIL: the GIL is taken back briefly
//! between batches and iterations to report to a Python callback and to check for Ctrl-C.

use std::sync::Mutex;

use pyo3::prelude::*;
use spot_score::Progress;

/// Forwards progress to `callback(event, *args)` (`("stage", name, total)`, `("advance", n)`) and
/// turns a pending KeyboardInterrupt into a cancellation.
pub struct PyProgress {
    callback: Option<Py<PyAny>>,
    raised: Mutex<Option<PyErr>>,
}

impl PyProgress {
    pub fn new(callback: Option<Py<PyAny>>) -> Self {
        PyProgress {
            callback: callback.filter(|c| Python::attach(|py| !c.is_none(py))),
            raised: Mutex::new(None),
        }
    }

    /// The Python error that stopped the run, if any.
    pub fn take_raised(&self) -> Option<PyErr> {
        self.raised.lock().ok().and_then(|mut r| r.take())
    }

    fn record(&self, e: PyErr) {
        if let Ok(mut r) = self.raised.lock() {
            r.get_or_insert(e);
        }
    }

    fn call(&self, f: impl FnOnce(Python<'_>, &Py<PyAny>) -> PyResult<Py<PyAny>>) {
        if let Some(cb) = &self.callback
            && let Err(e) = Python::attach(|py| f(py, cb))
        {
            self.record(e);
        }
    }
}

impl Progress for &PyProgress {
    fn stage(&mut self, name: &'static str, total: Option<u64>) {
        self.call(|py, cb| cb.call1(py, ("stage", name, total)));
    }

    fn advance(&mut self, n: u64) {
        self.call(|py, cb| cb.call1(py, ("advance", n)));
    }

    fn cancelled(&self) -> bool {
        if let Err(e) = Python::attach(|py| py.check_signals()) {
            self.record(e);
        }
        self.raised.lock().map(|r| r.is_some()).unwrap_or(true)
    }
}
