//! The flow analysis through the library: generate a day, analyse it, print the top 10.
//!
//! `cargo run --example flow_pipeline`

use arrow::util::pretty::print_batches;
use spot::decode::{BatchWriter, FlowReader};
use spot::features::{CorpusBuilder, flow::FlowWords};
use spot::score::{Analysis, AnalysisConfig, ScoreFilter, Summary};
use spot::synth::{FlowDayConfig, flow_day};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join("spot-example");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("day.parquet");
    let day = flow_day(&FlowDayConfig {
        workstations: 50,
        ..FlowDayConfig::default()
    });
    let mut w = BatchWriter::create(&path, &day.batch.schema())?;
    w.write(&day.batch)?;
    w.finish()?;

    let reader = FlowReader::open(&[&path])?;
    let analysis = Analysis::new(
        &FlowWords,
        AnalysisConfig {
            filter: ScoreFilter {
                threshold: 1.0,
                max_results: Some(10),
            },
            ..AnalysisConfig::default()
        },
    );
    let mut summary = Summary::default();
    let mut corpus = CorpusBuilder::new();
    analysis.corpus(
        reader.batches(),
        &mut corpus,
        &mut |_| Ok(()),
        &mut summary,
        &mut (),
    )?;
    let model = analysis.fit(corpus, &mut summary, &mut ())?;
    let top = analysis.score(&model, reader.batches(), &mut summary, &mut ())?;
    let cols: Vec<usize> = [
        "treceived",
        "sip",
        "sport",
        "dip",
        "dport",
        "proto",
        "ibyt",
        "ipkt",
        "attack",
        "score",
    ]
    .iter()
    .map(|c| top.schema().index_of(c))
    .collect::<Result<_, _>>()?;
    print_batches(&[top.project(&cols)?])?;
    println!("{summary}");
    Ok(())
}
