//! Python bindings for spot. The module is built with maturin as `spot._spot` and wrapped by the
//! pure-Python package `spot`; logic lives in the Rust crates, never here.

use pyo3::prelude::*;

/// The native module behind the `spot` Python package.
#[pymodule]
fn _spot(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
