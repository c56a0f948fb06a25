//! Arrow across the language boundary through the Arrow PyCapsule interface: buffers are shared,
//! never copied, in both directions.

use std::ffi::CString;

use arrow::array::{RecordBatch, RecordBatchIterator, RecordBatchReader, StructArray};
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::ffi::{FFI_ArrowArray, FFI_ArrowSchema, from_ffi};
use arrow::ffi_stream::{FFI_ArrowArrayStream, RecordBatchStreamReader};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::errors::arrow_err;

/// Record batches with their schema, imported from or exported to Python.
#[derive(Debug, Clone)]
pub struct Batches {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

impl Batches {
    /// The batches as the `Result` iterator the analysis passes take.
    pub fn iter(&self) -> impl Iterator<Item = Result<RecordBatch, spot_decode::DecodeError>> + '_ {
        self.batches.iter().cloned().map(Ok)
    }
}

/// Imports any object exporting `__arrow_c_stream__` (pyarrow Table/RecordBatchReader, polars
/// DataFrame, DuckDB relation, ...) or `__arrow_c_array__` (a pyarrow RecordBatch).
pub fn import(obj: &Bound<'_, PyAny>) -> PyResult<Batches> {
    if obj.hasattr("__arrow_c_stream__")? {
        let capsule = obj.call_method0("__arrow_c_stream__")?;
        let capsule = capsule.cast::<PyCapsule>()?;
        let ptr = capsule.pointer_checked(Some(c"arrow_array_stream"))?;
        // SAFETY: the capsule holds an ArrowArrayStream (checked by name); `from_raw` moves it
        // out and marks the original released, as the PyCapsule protocol requires.
        let stream = unsafe { FFI_ArrowArrayStream::from_raw(ptr.as_ptr().cast()) };
        let reader = RecordBatchStreamReader::try_new(stream).map_err(arrow_err)?;
        let schema = reader.schema();
        let batches = reader
            .collect::<Result<Vec<_>, ArrowError>>()
            .map_err(arrow_err)?;
        return Ok(Batches { schema, batches });
    }
    if obj.hasattr("__arrow_c_array__")? {
        let pair = obj.call_method0("__arrow_c_array__")?;
        let (schema_capsule, array_capsule): (Bound<'_, PyCapsule>, Bound<'_, PyCapsule>) =
            pair.extract()?;
        let schema_ptr = schema_capsule.pointer_checked(Some(c"arrow_schema"))?;
        let array_ptr = array_capsule.pointer_checked(Some(c"arrow_array"))?;
        // SAFETY: names checked; the array is moved out of its capsule, the schema borrowed.
        let data = unsafe {
            let array = FFI_ArrowArray::from_raw(array_ptr.as_ptr().cast());
            let schema = &*(schema_ptr.as_ptr() as *const FFI_ArrowSchema);
            from_ffi(array, schema)
        }
        .map_err(arrow_err)?;
        let batch = RecordBatch::from(StructArray::from(data));
        return Ok(Batches {
            schema: batch.schema(),
            batches: vec![batch],
        });
    }
    Err(PyTypeError::new_err(format!(
        "expected Arrow data (an object with __arrow_c_stream__ or __arrow_c_array__, such as a \
         pyarrow.Table or polars.DataFrame), found {}",
        obj.get_type().name()?
    )))
}

/// Record batches offered to Python through `__arrow_c_stream__`; `pyarrow.table(stream)` wraps
/// the same buffers.
#[pyclass(module = "spot._spot", frozen)]
pub struct ArrowStream {
    inner: Batches,
}

impl From<Batches> for ArrowStream {
    fn from(inner: Batches) -> Self {
        ArrowStream { inner }
    }
}

impl ArrowStream {
    /// One batch as a stream.
    pub fn one(batch: RecordBatch) -> Self {
        ArrowStream {
            inner: Batches {
                schema: batch.schema(),
                batches: vec![batch],
            },
        }
    }
}

#[pymethods]
impl ArrowStream {
    /// Exports the batches as an `ArrowArrayStream` capsule (the schema is offered as is; a
    /// requested schema is left to the consumer to cast to).
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let reader: Box<dyn RecordBatchReader + Send> = Box::new(RecordBatchIterator::new(
            self.inner.batches.clone().into_iter().map(Ok),
            self.inner.schema.clone(),
        ));
        let stream = FFI_ArrowArrayStream::new(reader);
        let name = CString::new("arrow_array_stream").expect("no NUL in a literal");
        PyCapsule::new(py, stream, Some(name))
    }

    fn __len__(&self) -> usize {
        self.inner.batches.iter().map(|b| b.num_rows()).sum()
    }

    fn __repr__(&self) -> String {
        format!(
            "ArrowStream({} rows, {} batches, columns: {})",
            self.__len__(),
            self.inner.batches.len(),
            self.inner
                .schema
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// Imports then exports `data` unchanged: proves from Python that neither side copies.
#[pyfunction]
pub fn _roundtrip(data: &Bound<'_, PyAny>) -> PyResult<ArrowStream> {
    Ok(import(data)?.into())
}
