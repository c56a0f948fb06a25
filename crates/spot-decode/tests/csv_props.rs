//! No input, however mangled, makes the flow readers panic: they yield batches or typed errors.

use proptest::prelude::*;
use spot_decode::FlowReader;

const NFDUMP_HEADER: &str = "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,cl,sl,al,ra,eng,exid,tr";

fn drain(path: &std::path::Path) {
    if let Ok(r) = FlowReader::open(&[path]) {
        for b in r.batches() {
            if b.is_err() {
                break;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        std::fs::write(&p, &bytes).unwrap();
        drain(&p);
    }

    #[test]
    fn arbitrary_nfdump_lines_never_panic(lines in proptest::collection::vec("[0-9a-zA-Z.:, -]{0,300}", 0..20)) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nf.csv");
        std::fs::write(&p, format!("{NFDUMP_HEADER}\n{}\n", lines.join("\n"))).unwrap();
        drain(&p);
    }

    #[test]
    fn arbitrary_spot_csv_rows_never_panic(lines in proptest::collection::vec("[0-9a-z.:, -]{0,200}", 0..20)) {
        let header = spot_decode::flow_schema().fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>().join(",");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("spot.csv");
        std::fs::write(&p, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
        drain(&p);
    }
}
