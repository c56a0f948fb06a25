//! Apache Spot's flow words and validity rules.
//!
//! A flow becomes two words, one for its source IP's document and one for its destination IP's:
//! `PORT_proto_hour_b_p` where `b = ceil(log2(ibyt + 1))`, `p = ceil(log2(ipkt + 1))`, and PORT
//! and the `-1_` prefix follow Spot's port rules (see [`flow_words`]).

use std::fmt::Write as _;

use arrow::array::{
    Array, ArrayRef, AsArray, Int32Array, Int64Array, RecordBatch, StringArray, StringBuilder,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int32Type, Int64Type};
use spot_decode::schema::flow as col;

use crate::FeatureError;
use crate::words::{InvalidReason, WordCreator, Words};

/// Port code for flows where both ports are ≤ 1024.
pub const LOW_TO_LOW: i32 = 111111;
/// Port code for flows where both ports are > 1024.
pub const HIGH_TO_HIGH: i32 = 333333;

/// Apache Spot's `MathUtils.ceilLog2`: `ceil(log10(x) / log10(2))`, computed in doubles as Spot
/// did, so the bins match Spot's exactly (0 for x = 1).
pub fn ceil_log2(x: f64) -> i32 {
    (x.log10() / 2f64.log10()).ceil() as i32
}

/// The source and destination words of one flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowWordPair {
    /// Word added to the source IP's document.
    pub src: String,
    /// Word added to the destination IP's document.
    pub dst: String,
}

/// Apache Spot's `FlowWordCreator.flowWords`.
///
/// | ports | base word port | source word | destination word |
/// |---|---|---|---|
/// | both 0 | `0` | base | base |
/// | dport 0 < sport | sport | `-1_`+base | base |
/// | sport 0 < dport | dport | base | `-1_`+base |
/// | both ≤ 1024 | `111111` | base | base |
/// | sport ≤ 1024 < dport | sport | `-1_`+base | base |
/// | dport ≤ 1024 < sport | dport | base | `-1_`+base |
/// | both > 1024 | `333333` | base | base |
pub fn flow_words(
    hour: i32,
    sport: i32,
    dport: i32,
    proto: &str,
    ibyt: i64,
    ipkt: i64,
) -> FlowWordPair {
    let mut src = String::new();
    let mut dst = String::new();
    write_flow_words(hour, sport, dport, proto, ibyt, ipkt, &mut src, &mut dst);
    FlowWordPair { src, dst }
}

/// Which side gets the `-1_` prefix.
#[derive(Clone, Copy)]
enum Prefix {
    None,
    Src,
    Dst,
}

/// Like [`flow_words`], appending into reusable buffers (cleared first).
#[allow(clippy::too_many_arguments)]
pub fn write_flow_words(
    hour: i32,
    sport: i32,
    dport: i32,
    proto: &str,
    ibyt: i64,
    ipkt: i64,
    src: &mut String,
    dst: &mut String,
) {
    let b = ceil_log2(ibyt as f64 + 1.0);
    let p = ceil_log2(ipkt as f64 + 1.0);
    let (port, prefix) = if dport == 0 && sport == 0 {
        (0, Prefix::None)
    } else if dport == 0 && sport > 0 {
        (sport, Prefix::Src)
    } else if sport == 0 && dport > 0 {
        (dport, Prefix::Dst)
    } else if sport <= 1024 && dport <= 1024 {
        (LOW_TO_LOW, Prefix::None)
    } else if sport <= 1024 && dport > 1024 {
        (sport, Prefix::Src)
    } else if sport > 1024 && dport <= 1024 {
        (dport, Prefix::Dst)
    } else {
        (HIGH_TO_HIGH, Prefix::None)
    };
    src.clear();
    dst.clear();
    match prefix {
        Prefix::Src => src.push_str("-1_"),
        Prefix::Dst => dst.push_str("-1_"),
        Prefix::None => {}
    }
    // Writing into a String cannot fail.
    let _ = write!(src, "{port}_{proto}_{hour}_{b}_{p}");
    let _ = write!(dst, "{port}_{proto}_{hour}_{b}_{p}");
}

/// Apache Spot's validity rules for one flow. `None` means valid.
#[allow(clippy::too_many_arguments)]
pub fn flow_invalid_reason(
    treceived_null: bool,
    hour: Option<i32>,
    minute: Option<i32>,
    second: Option<i32>,
    sip: Option<&str>,
    dip: Option<&str>,
    sport: Option<i32>,
    dport: Option<i32>,
    proto: Option<&str>,
    ibyt: Option<i64>,
    ipkt: Option<i64>,
) -> Option<InvalidReason> {
    let in_range = |v: Option<i32>, hi: i32| matches!(v, Some(x) if (0..=hi).contains(&x));
    let ip_ok = |v: Option<&str>| matches!(v, Some(s) if !s.is_empty());
    let non_neg32 = |v: Option<i32>| matches!(v, Some(x) if x >= 0);
    let non_neg64 = |v: Option<i64>| matches!(v, Some(x) if x >= 0);
    if treceived_null {
        Some(InvalidReason::NullTime)
    } else if !in_range(hour, 23) {
        Some(InvalidReason::HourOutOfRange)
    } else if !in_range(minute, 59) {
        Some(InvalidReason::MinuteOutOfRange)
    } else if !in_range(second, 59) {
        Some(InvalidReason::SecondOutOfRange)
    } else if !ip_ok(sip) || !ip_ok(dip) {
        Some(InvalidReason::NullIp)
    } else if !non_neg32(sport) || !non_neg32(dport) {
        Some(InvalidReason::BadPort)
    } else if !non_neg64(ibyt) {
        Some(InvalidReason::BadBytes)
    } else if !non_neg64(ipkt) {
        Some(InvalidReason::BadPackets)
    } else if proto.is_none() {
        Some(InvalidReason::NullProtocol)
    } else {
        None
    }
}

/// The columns of a flow batch that words and detectors read, in their canonical types (cast
/// when an input carries another type).
pub struct FlowColumns {
    treceived: ArrayRef,
    unix_tstamp: Option<ArrayRef>,
    hour: ArrayRef,
    minute: ArrayRef,
    second: ArrayRef,
    sip: ArrayRef,
    dip: ArrayRef,
    sport: ArrayRef,
    dport: ArrayRef,
    proto: ArrayRef,
    ibyt: ArrayRef,
    ipkt: ArrayRef,
}

fn typed(batch: &RecordBatch, name: &str, ty: DataType) -> Result<ArrayRef, FeatureError> {
    let c = batch
        .column_by_name(name)
        .ok_or_else(|| FeatureError::Column {
            column: name.to_string(),
            message: "missing".into(),
        })?;
    if *c.data_type() == ty {
        Ok(c.clone())
    } else {
        cast(c, &ty).map_err(|e| FeatureError::Column {
            column: name.to_string(),
            message: format!("cannot be read as {ty}: {e}"),
        })
    }
}

impl FlowColumns {
    /// Reads the flow columns of `batch`; `unix_tstamp` is optional.
    pub fn new(batch: &RecordBatch) -> Result<Self, FeatureError> {
        Ok(FlowColumns {
            treceived: typed(batch, col::TRECEIVED, DataType::Utf8)?,
            unix_tstamp: match batch.column_by_name(col::UNIX_TSTAMP) {
                Some(_) => Some(typed(batch, col::UNIX_TSTAMP, DataType::Int64)?),
                None => None,
            },
            hour: typed(batch, col::TRHOUR, DataType::Int32)?,
            minute: typed(batch, col::TRMINUTE, DataType::Int32)?,
            second: typed(batch, col::TRSEC, DataType::Int32)?,
            sip: typed(batch, col::SIP, DataType::Utf8)?,
            dip: typed(batch, col::DIP, DataType::Utf8)?,
            sport: typed(batch, col::SPORT, DataType::Int32)?,
            dport: typed(batch, col::DPORT, DataType::Int32)?,
            proto: typed(batch, col::PROTO, DataType::Utf8)?,
            ibyt: typed(batch, col::IBYT, DataType::Int64)?,
            ipkt: typed(batch, col::IPKT, DataType::Int64)?,
        })
    }
    /// `unix_tstamp`, if the batch has it.
    pub fn unix_tstamp(&self) -> Option<&Int64Array> {
        self.unix_tstamp
            .as_ref()
            .map(|a| a.as_primitive::<Int64Type>())
    }
    /// `trhour`.
    pub fn hour(&self) -> &Int32Array {
        self.hour.as_primitive::<Int32Type>()
    }
    /// `trminute`.
    pub fn minute(&self) -> &Int32Array {
        self.minute.as_primitive::<Int32Type>()
    }
    /// `trsec`.
    pub fn second(&self) -> &Int32Array {
        self.second.as_primitive::<Int32Type>()
    }
    /// `sip`.
    pub fn sip(&self) -> &StringArray {
        self.sip.as_string::<i32>()
    }
    /// `dip`.
    pub fn dip(&self) -> &StringArray {
        self.dip.as_string::<i32>()
    }
    /// `sport`.
    pub fn sport(&self) -> &Int32Array {
        self.sport.as_primitive::<Int32Type>()
    }
    /// `dport`.
    pub fn dport(&self) -> &Int32Array {
        self.dport.as_primitive::<Int32Type>()
    }
    /// `proto`.
    pub fn proto(&self) -> &StringArray {
        self.proto.as_string::<i32>()
    }
    /// `ibyt`.
    pub fn ibyt(&self) -> &Int64Array {
        self.ibyt.as_primitive::<Int64Type>()
    }
    /// `ipkt`.
    pub fn ipkt(&self) -> &Int64Array {
        self.ipkt.as_primitive::<Int64Type>()
    }
}

/// The flow [`WordCreator`]: documents `sip` and `dip`.
#[derive(Debug, Clone, Copy, Default)]
pub struct FlowWords;

const REQUIRED: &[&str] = &[
    col::TRECEIVED,
    col::TRHOUR,
    col::TRMINUTE,
    col::TRSEC,
    col::SIP,
    col::DIP,
    col::SPORT,
    col::DPORT,
    col::PROTO,
    col::IBYT,
    col::IPKT,
];

impl WordCreator for FlowWords {
    fn required_columns(&self) -> &[&str] {
        REQUIRED
    }

    fn pair_names(&self) -> &[(&str, &str)] {
        &[(col::SIP, "src_word"), (col::DIP, "dst_word")]
    }

    fn words(&self, batch: &RecordBatch) -> Result<Words, FeatureError> {
        let n = batch.num_rows();
        let c = FlowColumns::new(batch)?;
        let treceived = &c.treceived;
        let (hour, minute, second) = (c.hour(), c.minute(), c.second());
        let (sport, dport) = (c.sport(), c.dport());
        let (ibyt, ipkt) = (c.ibyt(), c.ipkt());
        let (sip, dip, proto) = (c.sip(), c.dip(), c.proto());
        let opt_i32 = |a: &Int32Array, i: usize| a.is_valid(i).then(|| a.value(i));
        let opt_i64 = |a: &Int64Array, i: usize| a.is_valid(i).then(|| a.value(i));
        fn opt_str(a: &StringArray, i: usize) -> Option<&str> {
            a.is_valid(i).then(|| a.value(i))
        }

        let mut invalid = Vec::with_capacity(n);
        let mut src_b = StringBuilder::with_capacity(n, n * 20);
        let mut dst_b = StringBuilder::with_capacity(n, n * 22);
        let mut sdoc = StringBuilder::with_capacity(n, n * 12);
        let mut ddoc = StringBuilder::with_capacity(n, n * 12);
        let (mut sw, mut dw) = (String::with_capacity(32), String::with_capacity(32));
        for i in 0..n {
            let reason = flow_invalid_reason(
                treceived.is_null(i),
                opt_i32(hour, i),
                opt_i32(minute, i),
                opt_i32(second, i),
                opt_str(sip, i),
                opt_str(dip, i),
                opt_i32(sport, i),
                opt_i32(dport, i),
                opt_str(proto, i),
                opt_i64(ibyt, i),
                opt_i64(ipkt, i),
            );
            invalid.push(reason);
            if reason.is_some() {
                src_b.append_null();
                dst_b.append_null();
                sdoc.append_null();
                ddoc.append_null();
                continue;
            }
            write_flow_words(
                hour.value(i),
                sport.value(i),
                dport.value(i),
                proto.value(i),
                ibyt.value(i),
                ipkt.value(i),
                &mut sw,
                &mut dw,
            );
            src_b.append_value(&sw);
            dst_b.append_value(&dw);
            sdoc.append_value(sip.value(i));
            ddoc.append_value(dip.value(i));
        }
        Ok(Words {
            invalid,
            pairs: vec![
                (sdoc.finish(), src_b.finish()),
                (ddoc.finish(), dst_b.finish()),
            ],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(sport: i32, dport: i32) -> (String, String) {
        let p = flow_words(7, sport, dport, "TCP", 0, 0);
        (p.src, p.dst)
    }

    #[test]
    fn both_ports_zero() {
        assert_eq!(w(0, 0), ("0_TCP_7_0_0".into(), "0_TCP_7_0_0".into()));
    }

    #[test]
    fn dport_zero_sport_positive() {
        assert_eq!(w(80, 0), ("-1_80_TCP_7_0_0".into(), "80_TCP_7_0_0".into()));
        assert_eq!(
            w(5000, 0),
            ("-1_5000_TCP_7_0_0".into(), "5000_TCP_7_0_0".into())
        );
    }

    #[test]
    fn sport_zero_dport_positive() {
        assert_eq!(
            w(0, 443),
            ("443_TCP_7_0_0".into(), "-1_443_TCP_7_0_0".into())
        );
        assert_eq!(
            w(0, 8080),
            ("8080_TCP_7_0_0".into(), "-1_8080_TCP_7_0_0".into())
        );
    }

    #[test]
    fn both_low() {
        assert_eq!(
            w(53, 123),
            ("111111_TCP_7_0_0".into(), "111111_TCP_7_0_0".into())
        );
        // 1024 counts as low.
        assert_eq!(
            w(1024, 1024),
            ("111111_TCP_7_0_0".into(), "111111_TCP_7_0_0".into())
        );
    }

    #[test]
    fn sport_low_dport_high() {
        assert_eq!(
            w(443, 51234),
            ("-1_443_TCP_7_0_0".into(), "443_TCP_7_0_0".into())
        );
        assert_eq!(
            w(1024, 1025),
            ("-1_1024_TCP_7_0_0".into(), "1024_TCP_7_0_0".into())
        );
    }

    #[test]
    fn sport_high_dport_low() {
        assert_eq!(
            w(51234, 22),
            ("22_TCP_7_0_0".into(), "-1_22_TCP_7_0_0".into())
        );
        assert_eq!(
            w(1025, 1024),
            ("1024_TCP_7_0_0".into(), "-1_1024_TCP_7_0_0".into())
        );
    }

    #[test]
    fn both_high() {
        assert_eq!(
            w(40000, 50000),
            ("333333_TCP_7_0_0".into(), "333333_TCP_7_0_0".into())
        );
    }

    #[test]
    fn log2_bins() {
        // ceil(log2(x + 1)): 0 → 0, 1 → 1, 2 → 2, 3 → 2, 4 → 3, 7 → 3, 8 → 4.
        let bins: Vec<i32> = [0i64, 1, 2, 3, 4, 7, 8, 255, 256, 1023, 1024]
            .iter()
            .map(|&x| ceil_log2(x as f64 + 1.0))
            .collect();
        assert_eq!(bins, vec![0, 1, 2, 2, 3, 3, 4, 8, 9, 10, 11]);
        // Exact powers of two land on their exponent.
        for e in 0..62 {
            assert_eq!(ceil_log2((1u64 << e) as f64), e, "2^{e}");
        }
        let p = flow_words(23, 0, 0, "UDP", 1500, 1);
        assert_eq!(p.src, "0_UDP_23_11_1");
    }

    #[test]
    fn proto_is_kept_as_given() {
        assert_eq!(flow_words(0, 0, 0, "ICMP", 0, 0).src, "0_ICMP_0_0_0");
        assert_eq!(flow_words(0, 0, 0, "47", 0, 0).src, "0_47_0_0_0");
    }

    #[test]
    fn validity_rules() {
        let ok = |h, m, s, sp, dp, b, p| {
            flow_invalid_reason(
                false,
                h,
                m,
                s,
                Some("10.0.0.1"),
                Some("10.0.0.2"),
                sp,
                dp,
                Some("TCP"),
                b,
                p,
            )
        };
        assert_eq!(
            ok(
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(0)
            ),
            None
        );
        assert_eq!(
            ok(
                Some(23),
                Some(59),
                Some(59),
                Some(1),
                Some(1),
                Some(1),
                Some(1)
            ),
            None
        );
        use InvalidReason::*;
        assert_eq!(
            ok(
                Some(24),
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(0)
            ),
            Some(HourOutOfRange)
        );
        assert_eq!(
            ok(
                Some(-1),
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(0)
            ),
            Some(HourOutOfRange)
        );
        assert_eq!(
            ok(None, Some(0), Some(0), Some(0), Some(0), Some(0), Some(0)),
            Some(HourOutOfRange)
        );
        assert_eq!(
            ok(
                Some(0),
                Some(60),
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(0)
            ),
            Some(MinuteOutOfRange)
        );
        assert_eq!(
            ok(
                Some(0),
                Some(0),
                Some(60),
                Some(0),
                Some(0),
                Some(0),
                Some(0)
            ),
            Some(SecondOutOfRange)
        );
        assert_eq!(
            ok(
                Some(0),
                Some(0),
                Some(-1),
                Some(0),
                Some(0),
                Some(0),
                Some(0)
            ),
            Some(SecondOutOfRange)
        );
        assert_eq!(
            ok(
                Some(0),
                Some(0),
                Some(0),
                Some(-1),
                Some(0),
                Some(0),
                Some(0)
            ),
            Some(BadPort)
        );
        assert_eq!(
            ok(Some(0), Some(0), Some(0), Some(0), None, Some(0), Some(0)),
            Some(BadPort)
        );
        assert_eq!(
            ok(
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(-5),
                Some(0)
            ),
            Some(BadBytes)
        );
        assert_eq!(
            ok(
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(-5)
            ),
            Some(BadPackets)
        );
        let z = Some(0);
        assert_eq!(
            flow_invalid_reason(
                true,
                z,
                z,
                z,
                Some("a"),
                Some("b"),
                z,
                z,
                Some("TCP"),
                Some(0),
                Some(0)
            ),
            Some(NullTime)
        );
        assert_eq!(
            flow_invalid_reason(
                false,
                z,
                z,
                z,
                None,
                Some("b"),
                z,
                z,
                Some("TCP"),
                Some(0),
                Some(0)
            ),
            Some(NullIp)
        );
        assert_eq!(
            flow_invalid_reason(
                false,
                z,
                z,
                z,
                Some("a"),
                Some(""),
                z,
                z,
                Some("TCP"),
                Some(0),
                Some(0)
            ),
            Some(NullIp)
        );
        assert_eq!(
            flow_invalid_reason(
                false,
                z,
                z,
                z,
                Some("a"),
                Some("b"),
                z,
                z,
                None,
                Some(0),
                Some(0)
            ),
            Some(NullProtocol)
        );
    }
}
