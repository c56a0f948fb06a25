//! Bringing any input's columns to the canonical types of a schema, keeping extra columns.

use std::path::Path;

use arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{Field, Schema, SchemaRef};

use crate::error::{DecodeError, Result};
use crate::schema::canonical_type;

/// The schema `input` has once its canonical columns take their canonical types.
pub(crate) fn canonical_schema(input: &Schema, canonical: &Schema) -> SchemaRef {
    let fields: Vec<Field> = input
        .fields()
        .iter()
        .map(|f| match canonical_type(canonical, f.name()) {
            Some(t) => Field::new(f.name(), t.clone(), true),
            None => f.as_ref().clone().with_nullable(true),
        })
        .collect();
    SchemaRef::new(Schema::new(fields))
}

/// Names of `required` that `input` lacks.
pub(crate) fn check_required(path: &Path, input: &Schema, required: &[&str]) -> Result<()> {
    let missing: Vec<String> = required
        .iter()
        .filter(|r| input.field_with_name(r).is_err())
        .map(|r| r.to_string())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(DecodeError::MissingColumns {
            path: path.to_path_buf(),
            missing,
            found: input.fields().iter().map(|f| f.name().clone()).collect(),
        })
    }
}

/// Casts the columns of `batch` to `target` (same names, same order), failing on any value that
/// does not convert rather than turning it into a null.
pub(crate) fn conform(path: &Path, batch: RecordBatch, target: &SchemaRef) -> Result<RecordBatch> {
    if batch.schema().fields() == target.fields() {
        return Ok(batch);
    }
    let opts = CastOptions {
        safe: false,
        ..Default::default()
    };
    let cols: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .zip(target.fields())
        .map(|(c, f)| {
            if c.data_type() == f.data_type() {
                Ok(c.clone())
            } else {
                cast_with_options(c, f.data_type(), &opts).map_err(|e| DecodeError::arrow(path, e))
            }
        })
        .collect::<Result<_>>()?;
    RecordBatch::try_new_with_options(
        target.clone(),
        cols,
        &RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
    )
    .map_err(|e| DecodeError::arrow(path, e))
}
