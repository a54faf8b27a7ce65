//! The compiled-in option definition table must match Kea's TSV exactly.

use std::path::PathBuf;

use xdhcp_wire::defs::{self, DataType};

#[test]
fn table_matches_kea_tsv() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/kea-compat/data/option-defs/std-option-defs-v4-kea1.4.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); the shared kea-compat folder is required",
            path.display()
        )
    });
    let mut rows = 0;
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let get = |i: usize| cols.get(i).copied().unwrap_or("");
        let space = if get(1) == "vendor-4491 (v4)" {
            "vendor-4491"
        } else {
            get(1)
        };
        let code: u8 = get(3).parse().unwrap();
        let d = defs::find_by_name(space, get(2)).unwrap_or_else(|| panic!("missing {line}"));
        assert_eq!(d.code, code, "{line}");
        assert_eq!(d.space, space, "{line}");
        assert_eq!(d.data_type, DataType::from_name(get(4)).unwrap(), "{line}");
        assert_eq!(d.array, get(5) == "true", "{line}");
        let record: Vec<DataType> = get(6)
            .trim_matches(|c| c == '(' || c == ')')
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| DataType::from_name(s).unwrap())
            .collect();
        assert_eq!(d.record, &record[..], "{line}");
        assert_eq!(d.encapsulates, get(7), "{line}");
        assert_eq!(defs::find_by_code(space, code), Some(d), "{line}");
        rows += 1;
    }
    assert_eq!(rows, defs::all().len());
}
