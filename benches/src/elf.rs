//! Just enough of the ELF format (64-bit, little-endian: x86_64 and arm64 Linux) to say which
//! machine a binary is for and which bytes it loads into memory when it runs.

use std::ops::Range;

/// The machine an ELF file is for, by its `e_machine`.
pub fn machine(bytes: &[u8]) -> Option<&'static str> {
    if bytes.get(..4)? != b"\x7fELF" {
        return None;
    }
    match u16_at(bytes, 18)? {
        62 => Some("x86_64"),
        183 => Some("arm64"),
        _ => Some("other"),
    }
}

/// The byte ranges of the sections loaded when the program runs (`SHF_ALLOC`: code, read-only
/// data, ...), leaving out debug info and symbol tables, which a running program never reads.
/// `None` if `bytes` is not a 64-bit little-endian ELF file or its section table is cut short.
pub fn allocated_sections(bytes: &[u8]) -> Option<Vec<Range<usize>>> {
    const ELFCLASS64: u8 = 2;
    const ELFDATA2LSB: u8 = 1;
    const SHT_NOBITS: u32 = 8;
    const SHF_ALLOC: u64 = 0x2;
    machine(bytes)?;
    if bytes.get(4) != Some(&ELFCLASS64) || bytes.get(5) != Some(&ELFDATA2LSB) {
        return None;
    }
    let table = usize::try_from(u64_at(bytes, 0x28)?).ok()?;
    let entry = usize::from(u16_at(bytes, 0x3A)?);
    let count = usize::from(u16_at(bytes, 0x3C)?);
    let mut ranges = Vec::new();
    for i in 0..count {
        let header = table.checked_add(i.checked_mul(entry)?)?;
        let kind = u32_at(bytes, header + 4)?;
        let flags = u64_at(bytes, header + 8)?;
        if flags & SHF_ALLOC == 0 || kind == SHT_NOBITS {
            continue;
        }
        let start = usize::try_from(u64_at(bytes, header + 24)?).ok()?;
        let size = usize::try_from(u64_at(bytes, header + 32)?).ok()?;
        let end = start.checked_add(size).filter(|&end| end <= bytes.len())?;
        ranges.push(start..end);
    }
    Some(ranges)
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::contains;

    /// This test's own executable: an ELF file built for the host.
    fn own_binary() -> Vec<u8> {
        std::fs::read(std::env::current_exe().unwrap()).unwrap()
    }

    #[test]
    fn the_host_binary_is_for_the_host_machine() {
        let expected = match std::env::consts::ARCH {
            "x86_64" => "x86_64",
            "aarch64" => "arm64",
            _ => "other",
        };
        assert_eq!(machine(&own_binary()), Some(expected));
        assert_eq!(machine(b"#!/bin/sh\n"), None);
    }

    #[test]
    fn allocated_sections_hold_the_code_and_strings_but_not_the_symbol_table() {
        const MARKER: &str = "elf-test-marker: a string only this test's code holds";
        let bytes = own_binary();
        let ranges = allocated_sections(&bytes).expect("the test binary is a 64-bit ELF file");
        let loaded: Vec<u8> = ranges.iter().flat_map(|r| bytes[r.clone()].iter().copied()).collect();
        // A string the code uses is loaded with it ...
        assert!(contains(&loaded, std::hint::black_box(MARKER).as_bytes()));
        // ... and a function's name is not: only the symbol table, kept in a test binary, has it.
        std::hint::black_box(elf_probe_named_only_in_the_symbol_table as fn())();
        // (Spelled backwards here, so this test's own strings do not hold the name.)
        let symbol: String = "elbat_lobmys_eht_ni_ylno_deman_eborp_fle".chars().rev().collect();
        assert!(
            contains(&bytes, symbol.as_bytes()),
            "the test binary has a symbol table"
        );
        assert!(!contains(&loaded, symbol.as_bytes()));
        assert!(loaded.len() < bytes.len());
    }

    #[test]
    fn a_cut_short_file_is_refused() {
        let bytes = own_binary();
        assert_eq!(allocated_sections(&bytes[..64]), None);
        assert_eq!(allocated_sections(b"not an ELF file at all"), None);
    }

    #[inline(never)]
    fn elf_probe_named_only_in_the_symbol_table() {}
}
