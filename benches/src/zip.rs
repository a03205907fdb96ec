//! A zip archive of one executable file, deflated: the shape of a Lambda deployment package for
//! the provided.al2023 runtime (one `bootstrap`, mode 0755). Written only to be measured, with a
//! fixed timestamp so the same binary always gives the same archive.

use std::io::Write;

use flate2::Compression;
use flate2::write::DeflateEncoder;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_DIRECTORY: u32 = 0x0605_4b50;
/// Zip 2.0: deflate.
const VERSION: u16 = 20;
/// "Made by" Unix, so readers take the high half of the external attributes as the file mode.
const MADE_BY_UNIX: u16 = (3 << 8) | VERSION;
const DEFLATE: u16 = 8;
/// 1980-01-01 00:00 in MS-DOS date and time.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;
/// A regular file, rwxr-xr-x.
const EXECUTABLE_MODE: u32 = 0o100_755;

/// The zip archive holding `contents` as the executable `name`, deflated at zlib's default level
/// (as `zip`, Python's zipfile and cargo-lambda do). Fails for a file or archive above 4 GiB,
/// which would need Zip64 and is far beyond any Lambda package.
pub fn zip_one_executable(name: &str, contents: &[u8]) -> std::io::Result<Vec<u8>> {
    let too_big = |what: &str| std::io::Error::other(format!("{what} is over 4 GiB: Zip64 is not written here"));
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(contents)?;
    let deflated = encoder.finish()?;
    let size = u32::try_from(contents.len()).map_err(|_| too_big(name))?;
    let compressed = u32::try_from(deflated.len()).map_err(|_| too_big(name))?;
    let name_len = u16::try_from(name.len()).map_err(|_| std::io::Error::other("the file name is too long"))?;
    let crc = crc32fast::hash(contents);

    let mut zip = Vec::with_capacity(deflated.len() + 2 * name.len() + 100);
    // Local file header, then the data.
    put32(&mut zip, LOCAL_HEADER);
    for field in [VERSION, 0, DEFLATE, DOS_TIME, DOS_DATE] {
        put16(&mut zip, field);
    }
    for field in [crc, compressed, size] {
        put32(&mut zip, field);
    }
    put16(&mut zip, name_len);
    put16(&mut zip, 0);
    zip.extend_from_slice(name.as_bytes());
    zip.extend_from_slice(&deflated);

    // Central directory: one entry, pointing at the local header at offset 0.
    let directory_start = u32::try_from(zip.len()).map_err(|_| too_big("the archive"))?;
    put32(&mut zip, CENTRAL_HEADER);
    for field in [MADE_BY_UNIX, VERSION, 0, DEFLATE, DOS_TIME, DOS_DATE] {
        put16(&mut zip, field);
    }
    for field in [crc, compressed, size] {
        put32(&mut zip, field);
    }
    // Name length; extra, comment, disk number and internal attributes all empty.
    for field in [name_len, 0, 0, 0, 0] {
        put16(&mut zip, field);
    }
    put32(&mut zip, EXECUTABLE_MODE << 16);
    put32(&mut zip, 0);
    zip.extend_from_slice(name.as_bytes());
    let directory_size = u32::try_from(zip.len()).map_err(|_| too_big("the archive"))? - directory_start;

    // End of central directory: one disk, one entry.
    put32(&mut zip, END_OF_DIRECTORY);
    for field in [0, 0, 1, 1] {
        put16(&mut zip, field);
    }
    put32(&mut zip, directory_size);
    put32(&mut zip, directory_start);
    put16(&mut zip, 0);
    Ok(zip)
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn u16_at(b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([b[at], b[at + 1]])
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }

    /// Reads the archive the way an unzip tool does: from the end record to the central
    /// directory to the local header, then inflates the data and checks its CRC.
    fn unzip(zip: &[u8]) -> (String, u32, Vec<u8>) {
        let end = zip.len() - 22;
        assert_eq!(u32_at(zip, end), END_OF_DIRECTORY);
        assert_eq!(u16_at(zip, end + 10), 1, "one entry");
        let directory = u32_at(zip, end + 16) as usize;
        assert_eq!(u32_at(zip, end + 12) as usize, end - directory, "directory size");
        assert_eq!(u32_at(zip, directory), CENTRAL_HEADER);
        assert_eq!(u16_at(zip, directory + 4) >> 8, 3, "made by Unix");
        let mode = u32_at(zip, directory + 38) >> 16;
        let local = u32_at(zip, directory + 42) as usize;
        assert_eq!(u32_at(zip, local), LOCAL_HEADER);
        assert_eq!(u16_at(zip, local + 8), DEFLATE);
        let crc = u32_at(zip, local + 14);
        let compressed = u32_at(zip, local + 18) as usize;
        let size = u32_at(zip, local + 22) as usize;
        let name_len = u16_at(zip, local + 26) as usize;
        let name = String::from_utf8(zip[local + 30..local + 30 + name_len].to_vec()).unwrap();
        let data = &zip[local + 30 + name_len..local + 30 + name_len + compressed];
        let mut contents = Vec::new();
        flate2::read::DeflateDecoder::new(data)
            .read_to_end(&mut contents)
            .unwrap();
        assert_eq!(contents.len(), size);
        assert_eq!(crc32fast::hash(&contents), crc, "CRC of the inflated data");
        (name, mode, contents)
    }

    #[test]
    fn the_archive_holds_the_file_as_an_executable_bootstrap() {
        let contents: Vec<u8> = (0..200_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let zip = zip_one_executable("bootstrap", &contents).unwrap();
        let (name, mode, unzipped) = unzip(&zip);
        assert_eq!(name, "bootstrap");
        assert_eq!(mode, 0o100_755);
        assert_eq!(unzipped, contents);
        assert!(
            zip.len() < contents.len() / 4,
            "repetitive data deflates: {} bytes",
            zip.len()
        );
    }

    #[test]
    fn the_same_file_always_gives_the_same_archive() {
        let a = zip_one_executable("bootstrap", b"same bytes").unwrap();
        let b = zip_one_executable("bootstrap", b"same bytes").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, zip_one_executable("bootstrap", b"other bytes").unwrap());
    }
}
