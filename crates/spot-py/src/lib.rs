//! Python bindings for spot. The module is built with maturin as `spot._spot` and wrapped by the
//! pure-Python package `spot`; logic lives in the Rust crates, never here: these modules convert
//! Arrow data and errors at the boundary, release the GIL around library calls and forward
//! progress and Ctrl-C.

use pyo3::prelude::*;

mod arrow_io;
mod dns;
mod errors;
mod eval;
mod flow;
mod model;
mod progress;
mod proxy;
mod summary;
mod words;

/// The native module behind the `spot` Python package.
#[pymodule]
fn _spot(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    m.add_class::<arrow_io::ArrowStream>()?;
    m.add_class::<summary::Summary>()?;
    m.add_class::<model::Model>()?;
    m.add_function(wrap_pyfunction!(arrow_io::_roundtrip, m)?)?;
    m.add_function(wrap_pyfunction!(flow::read_flows, m)?)?;
    m.add_function(wrap_pyfunction!(flow::flow_words, m)?)?;
    m.add_function(wrap_pyfunction!(flow::word_counts, m)?)?;
    m.add_function(wrap_pyfunction!(flow::word_columns, m)?)?;
    m.add_function(wrap_pyfunction!(flow::read_flow_feedback_table, m)?)?;
    m.add_function(wrap_pyfunction!(flow::demo_flows, m)?)?;
    m.add_function(wrap_pyfunction!(dns::read_dns, m)?)?;
    m.add_function(wrap_pyfunction!(dns::dns_words, m)?)?;
    m.add_function(wrap_pyfunction!(dns::read_dns_feedback_table, m)?)?;
    m.add_function(wrap_pyfunction!(proxy::read_proxy, m)?)?;
    m.add_function(wrap_pyfunction!(proxy::proxy_words, m)?)?;
    m.add_function(wrap_pyfunction!(proxy::read_proxy_feedback_table, m)?)?;
    m.add_function(wrap_pyfunction!(eval::evaluate, m)?)?;
    Ok(())
}
