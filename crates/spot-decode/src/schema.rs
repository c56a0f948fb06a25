//! Canonical schemas of the three event kinds, with Apache Spot's column names and types.
//!
//! Readers produce batches whose Spot columns have exactly these types; any other column an
//! input carries (an id, a label, nfdump's extra fields) is kept after them, untouched.

use std::sync::{Arc, OnceLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

fn build(cols: &[(&str, DataType)]) -> SchemaRef {
    Arc::new(Schema::new(
        cols.iter()
            .map(|(name, ty)| Field::new(*name, ty.clone(), true))
            .collect::<Vec<_>>(),
    ))
}

/// Column names of the flow schema, in order.
pub mod flow {
    pub const TRECEIVED: &str = "treceived";
    pub const UNIX_TSTAMP: &str = "unix_tstamp";
    pub const TRYEAR: &str = "tryear";
    pub const TRMONTH: &str = "trmonth";
    pub const TRDAY: &str = "trday";
    pub const TRHOUR: &str = "trhour";
    pub const TRMINUTE: &str = "trminute";
    pub const TRSEC: &str = "trsec";
    pub const TDUR: &str = "tdur";
    pub const SIP: &str = "sip";
    pub const DIP: &str = "dip";
    pub const SPORT: &str = "sport";
    pub const DPORT: &str = "dport";
    pub const PROTO: &str = "proto";
    pub const FLAG: &str = "flag";
    pub const FWD: &str = "fwd";
    pub const STOS: &str = "stos";
    pub const IPKT: &str = "ipkt";
    pub const IBYT: &str = "ibyt";
    pub const OPKT: &str = "opkt";
    pub const OBYT: &str = "obyt";
    pub const INPUT: &str = "input";
    pub const OUTPUT: &str = "output";
    pub const SAS: &str = "sas";
    pub const DAS: &str = "das";
    pub const DTOS: &str = "dtos";
    pub const DIR: &str = "dir";
    pub const RIP: &str = "rip";

    /// The columns the flow analysis reads (Apache Spot's flow input schema); an input without
    /// one of them is rejected with the missing names.
    pub const REQUIRED: &[&str] = &[
        TRECEIVED, TRYEAR, TRMONTH, TRDAY, TRHOUR, TRMINUTE, TRSEC, TDUR, SIP, DIP, SPORT, DPORT,
        PROTO, IPKT, IBYT, OPKT, OBYT,
    ];
}

/// Column names of the proxy schema that the analysis reads.
pub mod proxy {
    pub const P_DATE: &str = "p_date";
    pub const P_TIME: &str = "p_time";
    pub const CLIENTIP: &str = "clientip";
    pub const HOST: &str = "host";
    pub const REQMETHOD: &str = "reqmethod";
    pub const USERAGENT: &str = "useragent";
    pub const RESCONTTYPE: &str = "resconttype";
    pub const RESPCODE: &str = "respcode";
    pub const FULLURI: &str = "fulluri";

    /// The columns the proxy analysis reads (Apache Spot's proxy word inputs).
    pub const REQUIRED: &[&str] = &[
        P_DATE,
        P_TIME,
        CLIENTIP,
        HOST,
        REQMETHOD,
        USERAGENT,
        RESCONTTYPE,
        RESPCODE,
        FULLURI,
    ];
}

/// Apache Spot's flow table: one row per NetFlow record.
pub fn flow_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    S.get_or_init(|| {
        use DataType::*;
        use flow::*;
        build(&[
            (TRECEIVED, Utf8),
            (UNIX_TSTAMP, Int64),
            (TRYEAR, Int32),
            (TRMONTH, Int32),
            (TRDAY, Int32),
            (TRHOUR, Int32),
            (TRMINUTE, Int32),
            (TRSEC, Int32),
            (TDUR, Float32),
            (SIP, Utf8),
            (DIP, Utf8),
            (SPORT, Int32),
            (DPORT, Int32),
            (PROTO, Utf8),
            (FLAG, Utf8),
            (FWD, Int32),
            (STOS, Int32),
            (IPKT, Int64),
            (IBYT, Int64),
            (OPKT, Int64),
            (OBYT, Int64),
            (INPUT, Int32),
            (OUTPUT, Int32),
            (SAS, Int32),
            (DAS, Int32),
            (DTOS, Int32),
            (DIR, Int32),
            (RIP, Utf8),
        ])
    })
    .clone()
}

/// Apache Spot's DNS table: one row per DNS response (as its tshark field list produced).
pub fn dns_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    S.get_or_init(|| {
        use DataType::*;
        build(&[
            ("frame_time", Utf8),
            ("unix_tstamp", Int64),
            ("frame_len", Int32),
            ("ip_src", Utf8),
            ("ip_dst", Utf8),
            ("dns_qry_name", Utf8),
            ("dns_qry_class", Utf8),
            ("dns_qry_type", Int32),
            ("dns_qry_rcode", Int32),
            ("dns_a", Utf8),
        ])
    })
    .clone()
}

/// Apache Spot's proxy table: one row per web request (Blue Coat field set).
pub fn proxy_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    S.get_or_init(|| {
        use DataType::*;
        let mut cols: Vec<(&str, DataType)> = [
            "p_date",
            "p_time",
            "clientip",
            "host",
            "reqmethod",
            "useragent",
            "resconttype",
        ]
        .iter()
        .map(|c| (*c, Utf8))
        .collect();
        cols.push(("duration", Int32));
        for c in [
            "username",
            "authgroup",
            "exceptionid",
            "filterresult",
            "webcat",
            "referer",
            "respcode",
            "action",
            "urischeme",
            "uriport",
            "uripath",
            "uriquery",
            "uriextension",
            "serverip",
        ] {
            cols.push((c, Utf8));
        }
        cols.push(("scbytes", Int64));
        cols.push(("csbytes", Int64));
        for c in ["virusid", "bcappname", "bcappoper", "fulluri"] {
            cols.push((c, Utf8));
        }
        build(&cols)
    })
    .clone()
}

/// The canonical type of `name` in `schema`, if it is one of the schema's columns.
pub(crate) fn canonical_type<'a>(schema: &'a Schema, name: &str) -> Option<&'a DataType> {
    schema
        .fields()
        .iter()
        .find(|f| f.name() == name)
        .map(|f| f.data_type())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_have_spot_column_counts() {
        assert_eq!(flow_schema().fields().len(), 28);
        assert_eq!(dns_schema().fields().len(), 10);
        assert_eq!(proxy_schema().fields().len(), 28);
        for r in flow::REQUIRED {
            assert!(flow_schema().field_with_name(r).is_ok(), "{r}");
        }
    }
}
