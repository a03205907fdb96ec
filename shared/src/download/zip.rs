//! A zip archive written as a stream: each entry is deflated as its bytes arrive, its CRC and sizes follow it in a
//! data descriptor, and the central directory comes last, so nothing is held in memory and the output needs no
//! seeking. Without Zip64: an entry or an archive over 4 GiB is refused with an error.

use std::io::{self, Write};

use flate2::Compression;
use flate2::write::DeflateEncoder;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_DIRECTORY: u32 = 0x0605_4b50;
/// Zip 2.0: deflate and data descriptors.
const VERSION: u16 = 20;
const MADE_BY_UNIX: u16 = (3 << 8) | VERSION;
/// Bit 3: sizes and CRC in the data descriptor; bit 11: the name is UTF-8.
const FLAGS: u16 = (1 << 3) | (1 << 11);
const DEFLATE: u16 = 8;
/// 1980-01-01 00:00 in MS-DOS date and time: the same bytes give the same archive.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;
/// A regular file, rw-r--r--.
const FILE_MODE: u32 = 0o100_644;

/// Counts the bytes written through it.
struct Counting<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

struct Entry {
    name: String,
    offset: u64,
    crc: u32,
    compressed: u64,
    size: u64,
}

struct Open<W: Write> {
    encoder: DeflateEncoder<Counting<W>>,
    hasher: crc32fast::Hasher,
    size: u64,
    data_start: u64,
}

/// A zip archive being written to `W`.
pub struct ZipWriter<W: Write> {
    out: Option<Counting<W>>,
    open: Option<(String, u64, Open<W>)>,
    entries: Vec<Entry>,
}

fn too_big(what: &str) -> io::Error {
    io::Error::other(format!(
        "{what} is over 4 GiB, which needs Zip64; download fewer categories at a time"
    ))
}

fn u32_of(value: u64, what: &str) -> io::Result<u32> {
    u32::try_from(value).map_err(|_| too_big(what))
}

impl<W: Write> ZipWriter<W> {
    pub fn new(out: W) -> Self {
        ZipWriter {
            out: Some(Counting { inner: out, written: 0 }),
            open: None,
            entries: Vec::new(),
        }
    }

    /// Starts the entry `name`; what is written next is its content, until the next entry or [`Self::finish`].
    pub fn start(&mut self, name: &str) -> io::Result<()> {
        self.close_entry()?;
        let mut out = self.out.take().expect("the archive's writer");
        let offset = out.written;
        let name_len = u16::try_from(name.len()).map_err(|_| io::Error::other("a file name over 65535 bytes"))?;
        let mut header = Vec::with_capacity(30 + name.len());
        put32(&mut header, LOCAL_HEADER);
        for field in [VERSION, FLAGS, DEFLATE, DOS_TIME, DOS_DATE] {
            put16(&mut header, field);
        }
        for field in [0, 0, 0] {
            put32(&mut header, field);
        }
        put16(&mut header, name_len);
        put16(&mut header, 0);
        header.extend_from_slice(name.as_bytes());
        out.write_all(&header)?;
        let data_start = out.written;
        self.open = Some((
            name.to_owned(),
            offset,
            Open {
                encoder: DeflateEncoder::new(out, Compression::default()),
                hasher: crc32fast::Hasher::new(),
                size: 0,
                data_start,
            },
        ));
        Ok(())
    }

    fn close_entry(&mut self) -> io::Result<()> {
        let Some((name, offset, open)) = self.open.take() else {
            return Ok(());
        };
        let mut out = open.encoder.finish()?;
        let compressed = out.written - open.data_start;
        let crc = open.hasher.finalize();
        let mut descriptor = Vec::with_capacity(16);
        put32(&mut descriptor, DATA_DESCRIPTOR);
        put32(&mut descriptor, crc);
        put32(&mut descriptor, u32_of(compressed, &name)?);
        put32(&mut descriptor, u32_of(open.size, &name)?);
        out.write_all(&descriptor)?;
        self.out = Some(out);
        self.entries.push(Entry {
            name,
            offset,
            crc,
            compressed,
            size: open.size,
        });
        Ok(())
    }

    /// Ends the last entry and writes the central directory; returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.close_entry()?;
        let mut out = self.out.take().expect("the archive's writer");
        let directory_start = out.written;
        for entry in &self.entries {
            let mut header = Vec::with_capacity(46 + entry.name.len());
            put32(&mut header, CENTRAL_HEADER);
            for field in [MADE_BY_UNIX, VERSION, FLAGS, DEFLATE, DOS_TIME, DOS_DATE] {
                put16(&mut header, field);
            }
            put32(&mut header, entry.crc);
            put32(&mut header, u32_of(entry.compressed, &entry.name)?);
            put32(&mut header, u32_of(entry.size, &entry.name)?);
            for field in [entry.name.len() as u16, 0, 0, 0, 0] {
                put16(&mut header, field);
            }
            put32(&mut header, FILE_MODE << 16);
            put32(&mut header, u32_of(entry.offset, "the archive")?);
            header.extend_from_slice(entry.name.as_bytes());
            out.write_all(&header)?;
        }
        let directory_size = out.written - directory_start;
        let count = u16::try_from(self.entries.len()).map_err(|_| io::Error::other("over 65535 files in a zip"))?;
        let mut end = Vec::with_capacity(22);
        put32(&mut end, END_OF_DIRECTORY);
        for field in [0, 0, count, count] {
            put16(&mut end, field);
        }
        put32(&mut end, u32_of(directory_size, "the archive")?);
        put32(&mut end, u32_of(directory_start, "the archive")?);
        put16(&mut end, 0);
        out.write_all(&end)?;
        out.flush()?;
        Ok(out.inner)
    }
}

impl<W: Write> Write for ZipWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (_, _, open) = self
            .open
            .as_mut()
            .ok_or_else(|| io::Error::other("zip: content written before an entry was started"))?;
        let n = open.encoder.write(buf)?;
        open.hasher.update(&buf[..n]);
        open.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.open.as_mut() {
            Some((_, _, open)) => open.encoder.flush(),
            None => Ok(()),
        }
    }
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_zipfile_reads_every_entry_back() {
        let mut zip = ZipWriter::new(Vec::new());
        zip.start("users.csv").unwrap();
        for n in 0..2000 {
            writeln!(zip, "user{n},someone{n}@example.com").unwrap();
        }
        zip.start("empty.json").unwrap();
        zip.start("groups.json").unwrap();
        zip.write_all("{\"name\": \"Ünïcode\"}".as_bytes()).unwrap();
        let bytes = zip.finish().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.zip");
        std::fs::write(&path, &bytes).unwrap();
        // An independent reader: Python's zipfile checks each CRC as it reads.
        let script = "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\n\
                      for i in z.infolist(): print(i.filename, len(z.read(i)))";
        let out = std::process::Command::new("python3")
            .args(["-c", script])
            .arg(&path)
            .output()
            .expect("python3 runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let expected: usize = (0..2000)
            .map(|n| format!("user{n},someone{n}@example.com\n").len())
            .sum();
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            format!(
                "users.csv {expected}\nempty.json 0\ngroups.json {}\n",
                "{\"name\": \"Ünïcode\"}".len()
            )
        );
    }
}
