//! The compiled-in DHCPv6 option definition table must match Kea's TSV.

use std::path::PathBuf;

use xdhcp_wire::defs6::{self, DataType};

#[test]
fn table_matches_kea_tsv() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/kea-compat/data/option-defs/std-option-defs-v6-kea1.4.tsv");
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
        let space = match get(1) {
            "vendor-4491 (v6)" => "vendor-4491",
            "(ISC vendor 2495 v6)" => "vendor-2495",
            s => s,
        };
        let code: u16 = get(3).parse().unwrap();
        let d = defs6::find_by_name(space, get(2)).unwrap_or_else(|| panic!("missing {line}"));
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
        assert_eq!(defs6::find_by_code(space, code), Some(d), "{line}");
        // The code constants agree with the table for the dhcp6 space.
        rows += 1;
    }
    assert_eq!(rows, defs6::all().len());
    use xdhcp_wire::dhcpv6::code;
    for (c, name) in [
        (code::CLIENTID, "clientid"),
        (code::IA_PD, "ia-pd"),
        (code::IAPREFIX, "iaprefix"),
        (code::RSOO, "rsoo"),
        (code::S46_CONT_LW, "s46-cont-lw"),
    ] {
        assert_eq!(defs6::find_by_code("dhcp6", c).unwrap().name, name);
    }
    assert_eq!((code::S46_RULE, code::S46_BR, code::S46_DMR), (89, 90, 91));
    assert_eq!((code::S46_V4V6BIND, code::S46_PORTPARAMS), (92, 93));
}
