//! `spot eval`: ranking quality of a results file against labels.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use arrow::array::{Array, RecordBatch};
use arrow::util::display::array_value_to_string;
use clap::Args;
use spot_score::eval::Evaluation;

#[derive(Args, Debug, Clone)]
pub struct EvalArgs {
    /// Labels: a CSV or Parquet file with a record id column (`row_id` or `id`) and an `attack`
    /// column (empty for normal records), e.g. a day written by `spot generate`.
    #[arg(long)]
    pub labels: PathBuf,
    /// Results of `spot ml ...` (best first) with the same id column (or, for DNS decoded from
    /// captures, `frame_number`).
    pub results: PathBuf,
}

fn read(path: &Path) -> Result<Vec<RecordBatch>> {
    let is_parquet = path.extension().is_some_and(|e| e == "parquet");
    if is_parquet {
        let f = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
        let r =
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)?.build()?;
        Ok(r.collect::<Result<_, _>>()?)
    } else {
        let f = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
        let mut buf = std::io::BufReader::new(f);
        let (inferred, _) = arrow::csv::reader::Format::default()
            .with_header(true)
            .infer_schema(&mut buf, Some(1))?;
        // Ids and labels are compared as text.
        let schema = arrow::datatypes::Schema::new(
            inferred
                .fields()
                .iter()
                .map(|f| {
                    arrow::datatypes::Field::new(f.name(), arrow::datatypes::DataType::Utf8, true)
                })
                .collect::<Vec<_>>(),
        );
        let f = std::fs::File::open(path)?;
        let r = arrow::csv::ReaderBuilder::new(std::sync::Arc::new(schema))
            .with_header(true)
            .build(f)?;
        Ok(r.collect::<Result<_, _>>()?)
    }
}

fn column(b: &RecordBatch, names: &[&str], path: &Path) -> Result<usize> {
    for n in names {
        if let Ok(i) = b.schema().index_of(n) {
            return Ok(i);
        }
    }
    bail!("{}: no column named {}", path.display(), names.join(" or "))
}

fn text(a: &dyn Array, i: usize) -> Result<String> {
    Ok(if a.is_null(i) {
        String::new()
    } else {
        array_value_to_string(a, i)?
    })
}

pub fn run(args: &EvalArgs) -> Result<()> {
    let mut labels: HashMap<String, Option<String>> = HashMap::new();
    for b in read(&args.labels)? {
        let (id, attack) = (
            column(&b, &["row_id", "id"], &args.labels)?,
            column(&b, &["attack"], &args.labels)?,
        );
        for i in 0..b.num_rows() {
            let kind = text(b.column(attack).as_ref(), i)?;
            labels.insert(
                text(b.column(id).as_ref(), i)?,
                (!kind.is_empty()).then_some(kind),
            );
        }
    }
    let mut ranked = Vec::new();
    for b in read(&args.results)? {
        // DNS results from captures carry the frame number the labels are keyed by.
        let id = column(&b, &["row_id", "id", "frame_number"], &args.results)?;
        for i in 0..b.num_rows() {
            ranked.push(text(b.column(id).as_ref(), i)?);
        }
    }
    let e = Evaluation::new(&labels, &ranked);
    println!(
        "records {}, attack records {}, ranked {}",
        e.total,
        e.positives,
        ranked.len()
    );
    println!("average precision {:.4}", e.average_precision);
    for f in [0.001, 0.01, 0.05] {
        println!(
            "attack kinds in the top {}%: {} of {}",
            f * 100.0,
            e.kinds_within(f),
            e.kinds.len()
        );
    }
    for (kind, (n, best)) in &e.kinds {
        match best {
            Some(r) => println!(
                "  {kind:<13} {n:>6} records, best rank {r} (top {:.3}%)",
                100.0 * *r as f64 / e.total as f64
            ),
            None => println!("  {kind:<13} {n:>6} records, not ranked"),
        }
    }
    Ok(())
}
