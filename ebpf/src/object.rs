//! The compiled XDP program, embedded so that the binary carries it and never reads it from
//! disk at run time.

/// Keeps the embedded bytes 8-byte aligned: aya parses the ELF in place and BPF instructions
/// are 8 bytes each, so an unaligned buffer would be rejected or misread.
#[repr(C, align(8))]
struct Aligned<T: ?Sized>(T);

const ALIGNED: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/xdp_dhcp.o")));

/// The BPF ELF object compiled from `src/bpf/xdp_dhcp.c`: program `xdp_dhcp` in section
/// `xdp`, maps `xsks`, `steer_ports` and `counters`. Aligned to 8 bytes.
pub const XDP_DHCP_OBJECT: &[u8] = &ALIGNED.0;

#[cfg(test)]
mod tests {
    use super::XDP_DHCP_OBJECT;

    fn u16_at(b: &[u8], at: usize) -> usize {
        u16::from_le_bytes(b[at..at + 2].try_into().unwrap()) as usize
    }
    fn u32_at(b: &[u8], at: usize) -> usize {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize
    }
    fn u64_at(b: &[u8], at: usize) -> usize {
        u64::from_le_bytes(b[at..at + 8].try_into().unwrap()) as usize
    }
    fn cstr(b: &[u8], at: usize) -> &str {
        let end = b[at..].iter().position(|&c| c == 0).unwrap();
        std::str::from_utf8(&b[at..at + end]).unwrap()
    }

    /// (name, type, offset, size) of every section header.
    fn sections(elf: &[u8]) -> Vec<(String, usize, usize, usize)> {
        let shoff = u64_at(elf, 0x28);
        let shentsize = u16_at(elf, 0x3a);
        let shnum = u16_at(elf, 0x3c);
        let shstrndx = u16_at(elf, 0x3e);
        let hdr = |i: usize| shoff + i * shentsize;
        let strtab = u64_at(elf, hdr(shstrndx) + 0x18);
        (0..shnum)
            .map(|i| {
                let h = hdr(i);
                let name = cstr(elf, strtab + u32_at(elf, h)).to_string();
                (
                    name,
                    u32_at(elf, h + 4),
                    u64_at(elf, h + 0x18),
                    u64_at(elf, h + 0x20),
                )
            })
            .collect()
    }

    #[test]
    fn object_is_aligned_bpf_elf64() {
        let elf = XDP_DHCP_OBJECT;
        assert_eq!(elf.as_ptr() as usize % 8, 0, "aya wants 8-byte alignment");
        assert_eq!(&elf[..4], b"\x7fELF");
        assert_eq!(elf[4], 2, "ELFCLASS64");
        assert_eq!(elf[5], 1, "little endian");
        assert_eq!(u16_at(elf, 0x10), 1, "ET_REL");
        assert_eq!(u16_at(elf, 0x12), 247, "EM_BPF");
    }

    #[test]
    fn object_has_the_program_and_the_three_maps() {
        let elf = XDP_DHCP_OBJECT;
        let secs = sections(elf);
        let names: Vec<&str> = secs.iter().map(|s| s.0.as_str()).collect();
        for want in ["xdp", ".maps", "license", ".BTF"] {
            assert!(names.contains(&want), "missing section {want} in {names:?}");
        }
        let xdp = secs.iter().position(|s| s.0 == "xdp").unwrap();
        assert!(
            secs[xdp].3 > 0 && secs[xdp].3 & 7 == 0,
            "xdp holds whole instructions"
        );
        let maps = secs.iter().position(|s| s.0 == ".maps").unwrap();

        // Symbols: .symtab (type 2) entries of 24 bytes, names in the linked string table.
        let symtab = secs.iter().find(|s| s.1 == 2).expect(".symtab");
        let strtab = secs.iter().find(|s| s.0 == ".strtab").expect(".strtab");
        let mut in_maps = Vec::new();
        let mut programs = Vec::new();
        for i in 0..symtab.3 / 24 {
            let at = symtab.2 + i * 24;
            let name = cstr(elf, strtab.2 + u32_at(elf, at)).to_string();
            let shndx = u16_at(elf, at + 6);
            if shndx == maps {
                in_maps.push(name);
            } else if shndx == xdp && elf[at + 4] & 0xf == 2 {
                programs.push(name);
            }
        }
        in_maps.sort();
        assert_eq!(in_maps, ["counters", "steer_ports", "xsks"]);
        assert_eq!(programs, [crate::loader::PROGRAM_NAME]);
    }
}
