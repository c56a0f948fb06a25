//! The entity view: ranked results grouped by host pair and by host.
//!
//! Analysts triage entities, not single records: a scan is one finding, not a thousand rows.
//! [`entity_view`] folds a ranking (either mode) into one row per entity with how many of its
//! records were kept, its best rank, its highest score (the most suspicious: in the combined
//! mode the highest `score`, in Apache Spot's mode the lowest probability), the detectors that
//! fired on any of its rows, the reason of its best-ranked row and when it was first and last
//! seen. Entities are listed by best rank.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch, StringArray, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Int64Type, Schema};
use arrow::error::ArrowError;

/// Which columns name the entities of a source.
#[derive(Debug, Clone, Copy)]
pub struct EntitySpec<'a> {
    /// The two columns of a pair (e.g. `sip`, `dip`; `ip_dst`, `dns_qry_name`).
    pub pair: (&'a str, &'a str),
    /// Whether `a → b` and `b → a` are one pair (flows: a request and its reply).
    pub unordered: bool,
    /// Columns whose values are hosts, each grouped on its own (e.g. `sip` and `dip`).
    pub hosts: &'a [&'a str],
    /// A Unix-seconds column for first and last seen, if the source has one.
    pub time: Option<&'a str>,
}

impl EntitySpec<'static> {
    /// Flows: unordered `sip`/`dip` pairs and both hosts.
    pub const FLOW: EntitySpec<'static> = EntitySpec {
        pair: ("sip", "dip"),
        unordered: true,
        hosts: &["sip", "dip"],
        time: Some("unix_tstamp"),
    };
}

#[derive(Debug)]
struct Group {
    rows: u64,
    best: usize,
    best_rank: i64,
    score: f64,
    signals: BTreeSet<String>,
    first: Option<i64>,
    last: Option<i64>,
}

fn strings<'b>(batch: &'b RecordBatch, name: &str) -> Result<&'b StringArray, ArrowError> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_string_opt::<i32>())
        .ok_or_else(|| ArrowError::SchemaError(format!("results have no text column `{name}`")))
}

/// Groups `results` (as written by the analysis: sorted by rank) into entities; see the
/// [module docs](self). The output columns are `level` (`pair` or `host`), `entity`, `rows`,
/// `best_rank`, `score`, `signals`, `reason`, `first_seen` and `last_seen`.
pub fn entity_view(results: &RecordBatch, spec: &EntitySpec) -> Result<RecordBatch, ArrowError> {
    let n = results.num_rows();
    let a = strings(results, spec.pair.0)?;
    let b = strings(results, spec.pair.1)?;
    let hosts: Vec<&StringArray> = spec
        .hosts
        .iter()
        .map(|h| strings(results, h))
        .collect::<Result<_, _>>()?;
    let rank = results
        .column_by_name("rank")
        .and_then(|c| c.as_primitive_opt::<Int64Type>());
    let score = results
        .column_by_name("score")
        .and_then(|c| c.as_any().downcast_ref::<Float64Array>())
        .ok_or_else(|| ArrowError::SchemaError("results have no `score` column".into()))?;
    // Combined results carry `signals`; there a higher score is more suspicious.
    let signals = results
        .column_by_name("signals")
        .and_then(|c| c.as_string_opt::<i32>());
    let combined = signals.is_some();
    let reason = results
        .column_by_name("reason")
        .and_then(|c| c.as_string_opt::<i32>());
    let time = spec
        .time
        .and_then(|t| results.column_by_name(t))
        .and_then(|c| c.as_primitive_opt::<Int64Type>());

    let mut order: Vec<(String, String)> = Vec::new();
    let mut groups: HashMap<(String, String), Group> = HashMap::new();
    let mut add = |level: &str, key: String, i: usize| {
        let k = (level.to_string(), key);
        let r = rank.map_or(i as i64 + 1, |r| r.value(i));
        let s = score.value(i);
        let t = time.and_then(|t| t.is_valid(i).then(|| t.value(i)));
        let g = groups.entry(k.clone()).or_insert_with(|| {
            order.push(k);
            Group {
                rows: 0,
                best: i,
                best_rank: r,
                score: s,
                signals: BTreeSet::new(),
                first: None,
                last: None,
            }
        });
        g.rows += 1;
        if r < g.best_rank {
            g.best_rank = r;
            g.best = i;
        }
        if (combined && s > g.score) || (!combined && s < g.score) {
            g.score = s;
        }
        if let Some(sig) = signals
            && sig.is_valid(i)
        {
            g.signals.extend(
                sig.value(i)
                    .split(',')
                    .filter(|x| !x.is_empty())
                    .map(String::from),
            );
        }
        if let Some(t) = t {
            g.first = Some(g.first.map_or(t, |f| f.min(t)));
            g.last = Some(g.last.map_or(t, |l| l.max(t)));
        }
    };
    for i in 0..n {
        if a.is_null(i) || b.is_null(i) {
            continue;
        }
        let (x, y) = (a.value(i), b.value(i));
        let key = if spec.unordered && y < x {
            format!("{y} <-> {x}")
        } else if spec.unordered {
            format!("{x} <-> {y}")
        } else {
            format!("{x} -> {y}")
        };
        add("pair", key, i);
        let mut seen: Vec<&str> = Vec::new();
        for h in &hosts {
            if h.is_valid(i) && !seen.contains(&h.value(i)) {
                seen.push(h.value(i));
                add("host", h.value(i).to_string(), i);
            }
        }
    }
    let mut rows: Vec<(&(String, String), &Group)> =
        order.iter().map(|k| (k, &groups[k])).collect();
    rows.sort_by(|x, y| {
        x.1.best_rank
            .cmp(&y.1.best_rank)
            .then_with(|| y.0.0.cmp(&x.0.0))
            .then_with(|| x.0.1.cmp(&y.0.1))
    });
    type Key = (String, String);
    let col = |f: &dyn Fn(&Key, &Group) -> Option<String>| -> ArrayRef {
        Arc::new(StringArray::from(
            rows.iter().map(|(k, g)| f(k, g)).collect::<Vec<_>>(),
        ))
    };
    let schema = Schema::new(vec![
        Field::new("level", DataType::Utf8, false),
        Field::new("entity", DataType::Utf8, false),
        Field::new("rows", DataType::UInt64, false),
        Field::new("best_rank", DataType::Int64, false),
        Field::new("score", DataType::Float64, false),
        Field::new("signals", DataType::Utf8, false),
        Field::new("reason", DataType::Utf8, true),
        Field::new("first_seen", DataType::Int64, true),
        Field::new("last_seen", DataType::Int64, true),
    ]);
    let columns: Vec<ArrayRef> = vec![
        col(&|k, _| Some(k.0.clone())),
        col(&|k, _| Some(k.1.clone())),
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.1.rows))),
        Arc::new(Int64Array::from_iter_values(
            rows.iter().map(|r| r.1.best_rank),
        )),
        Arc::new(Float64Array::from_iter_values(
            rows.iter().map(|r| r.1.score),
        )),
        col(&|_, g| Some(g.signals.iter().cloned().collect::<Vec<_>>().join(","))),
        col(&|_, g| reason.and_then(|r| r.is_valid(g.best).then(|| r.value(g.best).to_string()))),
        Arc::new(Int64Array::from(
            rows.iter().map(|r| r.1.first).collect::<Vec<_>>(),
        )),
        Arc::new(Int64Array::from(
            rows.iter().map(|r| r.1.last).collect::<Vec<_>>(),
        )),
    ];
    RecordBatch::try_new(Arc::new(schema), columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results() -> RecordBatch {
        let s = |v: &[&str]| -> ArrayRef { Arc::new(StringArray::from(v.to_vec())) };
        RecordBatch::try_from_iter([
            (
                "unix_tstamp",
                Arc::new(Int64Array::from(vec![50, 10, 30, 20])) as ArrayRef,
            ),
            ("sip", s(&["10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.3"])),
            ("dip", s(&["10.0.0.2", "10.0.0.1", "10.0.0.9", "10.0.0.1"])),
            (
                "score",
                Arc::new(Float64Array::from(vec![0.9, 0.8, 0.7, 0.2])) as ArrayRef,
            ),
            (
                "rank",
                Arc::new(Int64Array::from(vec![1, 2, 3, 4])) as ArrayRef,
            ),
            ("signals", s(&["scan", "scan", "beacon", ""])),
            ("reason", s(&["r1", "r2", "r3", "r4"])),
        ])
        .unwrap()
    }

    #[test]
    fn groups_pairs_both_ways_and_hosts() {
        let v = entity_view(&results(), &EntitySpec::FLOW).unwrap();
        let level = v.column(0).as_string::<i32>();
        let entity = v.column(1).as_string::<i32>();
        let rows = v.column(2).as_primitive::<arrow::datatypes::UInt64Type>();
        let signals = v.column(5).as_string::<i32>();
        let got: Vec<(String, String, u64, String)> = (0..v.num_rows())
            .map(|i| {
                (
                    level.value(i).into(),
                    entity.value(i).into(),
                    rows.value(i),
                    signals.value(i).into(),
                )
            })
            .collect();
        assert_eq!(
            got[0],
            (
                "pair".into(),
                "10.0.0.1 <-> 10.0.0.2".into(),
                2,
                "scan".into()
            )
        );
        assert_eq!(
            got[1],
            ("host".into(), "10.0.0.1".into(), 4, "beacon,scan".into())
        );
        assert_eq!(got[2], ("host".into(), "10.0.0.2".into(), 2, "scan".into()));
        assert_eq!(v.num_rows(), 3 + 2 + 2);
        // The host 10.0.0.1: first and last seen over its four rows, reason of rank 1.
        assert_eq!(v.column(6).as_string::<i32>().value(1), "r1");
        assert_eq!(v.column(7).as_primitive::<Int64Type>().value(1), 10);
        assert_eq!(v.column(8).as_primitive::<Int64Type>().value(1), 50);
    }

    #[test]
    fn spot_mode_keeps_the_lowest_probability() {
        let r = results().project(&[0, 1, 2, 3]).unwrap();
        let v = entity_view(&r, &EntitySpec::FLOW).unwrap();
        let score = v.column(4).as_primitive::<arrow::datatypes::Float64Type>();
        // Pair 10.0.0.1 <-> 10.0.0.2: rows 1 and 2 (0.9, 0.8): the lowest is kept.
        assert_eq!(score.value(0), 0.8);
        assert_eq!(v.column(5).as_string::<i32>().value(0), "");
    }

    #[test]
    fn missing_columns_are_named() {
        let r = results().project(&[0, 1, 3]).unwrap();
        let e = entity_view(&r, &EntitySpec::FLOW).unwrap_err();
        assert!(e.to_string().contains("`dip`"), "{e}");
    }
}
