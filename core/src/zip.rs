//! A streaming zip writer for stored (uncompressed) entries: headers and
//! records as byte chunks, the entries' data passed through unchanged by the
//! caller, nothing held but the central directory. PKWARE's APPNOTE.TXT 6.3.10
//! is the specification followed (section numbers below are its).
//!
//! Hand-written, after looking at the crates that write zips (2026-11-30):
//! `zip` (2.x; streaming only from 4.x) and `async_zip` both depend on
//! `crc32fast`, whose 16 KiB table costs 16 KB brotli in the wasm (the reason
//! `crc32` is our own), and bring compression crates besides; `rawzip` 0.5
//! (no dependencies, data descriptors and Zip64) rewrites names: it takes every
//! `:` for a drive letter and keeps only what follows the last one (so
//! `12:30 notes.txt` becomes `30 notes.txt`), and its way around that writes
//! names without the UTF-8 flag. A bucket's names are kept exactly here, and
//! the stored-only writer is a few hundred lines over the core's CRC-32.
//!
//! The shape of an archive: for each entry a local file header (sizes and CRC
//! zero, general purpose bit 3 set: they follow the data in a data descriptor,
//! 4.3.9, since they are known only once the data has streamed), the data, the
//! data descriptor; then the central directory, and the end of central
//! directory record, preceded by the Zip64 end of central directory record and
//! locator (4.3.14, 4.3.15) when the entries number 65,535 or more or the
//! central directory starts or ends past 4 GiB. An entry is Zip64 (4.5.3: an
//! extra field with 8-byte sizes in both headers, 8-byte sizes in its data
//! descriptor) when its expected size, given before its data, is 4 GiB or more;
//! its local header's offset past 4 GiB goes into a Zip64 extra field in the
//! central directory only. Names are UTF-8 with the language encoding flag
//! (bit 11, appendix D). Times: the DOS date and time (4.4.6) of the UTC
//! time, and the extended timestamp extra field (0x5455, 4.6.1 of Info-ZIP's
//! extra field list) with the exact Unix time, which unzip and 7-Zip prefer.

use crate::crc32::Crc32;
use std::fmt;
use time::OffsetDateTime;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const END: u32 = 0x0605_4b50;

/// Bit 3: CRC and sizes in the data descriptor; bit 11: the name is UTF-8.
const FLAGS: u16 = 1 << 3 | 1 << 11;
/// 2.0: folders and data descriptors (4.4.3.2); 4.5: Zip64.
const VERSION_DEFAULT: u16 = 20;
const VERSION_ZIP64: u16 = 45;
/// The 32-bit fields' ceiling: at or above it the value lives in Zip64 fields.
const MAX32: u64 = 0xFFFF_FFFF;
/// The 16-bit entry counts' ceiling (4.4.21).
const MAX16: u64 = 0xFFFF;
const EXTRA_ZIP64: u16 = 0x0001;
const EXTRA_TIMESTAMP: u16 = 0x5455;
/// External attributes of a folder entry: MS-DOS's directory bit.
const DOS_DIRECTORY: u32 = 0x10;

/// Why a zip could not be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZipError {
    kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    /// A name over the 65,535 bytes a header can hold.
    NameTooLong(String),
    /// An entry's data reached 4 GiB though it was started as smaller.
    GrewPastExpected(String),
    /// A call out of order (a file started while another is open, data with no
    /// file open, the archive finished with a file open).
    OutOfOrder,
}

impl fmt::Display for ZipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::NameTooLong(name) => write!(f, "the name {name:?} is too long for a zip"),
            Kind::GrewPastExpected(name) => {
                write!(f, "{name:?} grew past 4 GiB while it was being zipped")
            }
            Kind::OutOfOrder => f.write_str("zip entries written out of order"),
        }
    }
}

impl std::error::Error for ZipError {}

/// What the central directory keeps of one entry.
#[derive(Debug)]
struct Entry {
    name: String,
    modified: Option<u64>,
    folder: bool,
    zip64: bool,
    crc: u32,
    size: u64,
    offset: u64,
}

/// The file whose data is streaming.
#[derive(Debug)]
struct Open {
    entry: Entry,
    crc: Crc32,
}

/// An archive being written: call [`ZipWriter::start_file`], feed the file's
/// data to [`ZipWriter::file_data`] and send it on unchanged, then
/// [`ZipWriter::finish_file`]; [`ZipWriter::add_folder`] for an empty folder;
/// [`ZipWriter::finish`] at the end. Each call returns the bytes to send next,
/// in order; the archive is those bytes and the data, interleaved as called.
#[derive(Debug, Default)]
pub struct ZipWriter {
    /// Bytes of the archive so far (returned or passed through).
    written: u64,
    entries: Vec<Entry>,
    open: Option<Open>,
}

impl ZipWriter {
    /// An empty archive.
    pub fn new() -> ZipWriter {
        ZipWriter::default()
    }

    /// The archive's length so far, in bytes.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// Starts a file entry named `name` (a path with `/` between folders, as
    /// [`entry_name`] makes it), last modified at `modified` (epoch seconds),
    /// whose data is expected to be `expected_size` bytes: at 4 GiB or more the
    /// entry is written Zip64. Returns its local file header.
    ///
    /// # Errors
    ///
    /// A name over 65,535 bytes; a file already open.
    pub fn start_file(
        &mut self,
        name: &str,
        modified: Option<u64>,
        expected_size: u64,
    ) -> Result<Vec<u8>, ZipError> {
        let entry = self.new_entry(name, modified, false, expected_size >= MAX32)?;
        let header = local_header(&entry);
        self.written += header.len() as u64;
        self.open = Some(Open {
            entry,
            crc: Crc32::default(),
        });
        Ok(header)
    }

    /// Takes the next piece of the open file's data into its CRC-32 and size.
    /// The caller sends `chunk` on itself, unchanged, after the bytes returned
    /// so far.
    ///
    /// # Errors
    ///
    /// No file open; the data reaching 4 GiB in an entry started smaller.
    pub fn file_data(&mut self, chunk: &[u8]) -> Result<(), ZipError> {
        let open = self.open.as_mut().ok_or(ZipError {
            kind: Kind::OutOfOrder,
        })?;
        let size = open.entry.size + chunk.len() as u64;
        if !open.entry.zip64 && size >= MAX32 {
            return Err(ZipError {
                kind: Kind::GrewPastExpected(open.entry.name.clone()),
            });
        }
        open.crc.update(chunk);
        open.entry.size = size;
        self.written += chunk.len() as u64;
        Ok(())
    }

    /// Ends the open file: returns its data descriptor.
    ///
    /// # Errors
    ///
    /// No file open.
    pub fn finish_file(&mut self) -> Result<Vec<u8>, ZipError> {
        let Open { mut entry, crc } = self.open.take().ok_or(ZipError {
            kind: Kind::OutOfOrder,
        })?;
        entry.crc = crc.value();
        let mut out = Vec::with_capacity(24);
        put32(&mut out, DATA_DESCRIPTOR);
        put32(&mut out, entry.crc);
        if entry.zip64 {
            put64(&mut out, entry.size);
            put64(&mut out, entry.size);
        } else {
            put32(&mut out, entry.size as u32);
            put32(&mut out, entry.size as u32);
        }
        self.written += out.len() as u64;
        self.entries.push(entry);
        Ok(out)
    }

    /// A folder entry (`name` ends with `/`, added if missing), for a folder
    /// with nothing in it: the others come with their files' paths. Returns its
    /// local file header and (empty) data descriptor.
    ///
    /// # Errors
    ///
    /// A name over 65,535 bytes; a file open.
    pub fn add_folder(&mut self, name: &str, modified: Option<u64>) -> Result<Vec<u8>, ZipError> {
        let name = if name.ends_with('/') {
            name.to_string()
        } else {
            format!("{name}/")
        };
        let entry = self.new_entry(&name, modified, true, false)?;
        let header = local_header(&entry);
        self.written += header.len() as u64;
        self.open = Some(Open {
            entry,
            crc: Crc32::default(),
        });
        let mut out = header;
        out.extend(self.finish_file()?);
        Ok(out)
    }

    /// Ends the archive: returns the central directory and the end records.
    ///
    /// # Errors
    ///
    /// A file still open.
    pub fn finish(self) -> Result<Vec<u8>, ZipError> {
        if self.open.is_some() {
            return Err(ZipError {
                kind: Kind::OutOfOrder,
            });
        }
        let start = self.written;
        let mut out = Vec::new();
        for entry in &self.entries {
            central_header(&mut out, entry);
        }
        let size = out.len() as u64;
        let count = self.entries.len() as u64;
        if count >= MAX16 || start >= MAX32 || start + size >= MAX32 {
            let record = start + size;
            // 4.3.14: the record's size counts what follows this field.
            put32(&mut out, ZIP64_END);
            put64(&mut out, 44);
            put16(&mut out, VERSION_ZIP64);
            put16(&mut out, VERSION_ZIP64);
            put32(&mut out, 0);
            put32(&mut out, 0);
            put64(&mut out, count);
            put64(&mut out, count);
            put64(&mut out, size);
            put64(&mut out, start);
            put32(&mut out, ZIP64_LOCATOR);
            put32(&mut out, 0);
            put64(&mut out, record);
            put32(&mut out, 1);
        }
        put32(&mut out, END);
        put32(&mut out, 0);
        put16(&mut out, count.min(MAX16) as u16);
        put16(&mut out, count.min(MAX16) as u16);
        put32(&mut out, size.min(MAX32) as u32);
        put32(&mut out, start.min(MAX32) as u32);
        put16(&mut out, 0);
        Ok(out)
    }

    fn new_entry(
        &self,
        name: &str,
        modified: Option<u64>,
        folder: bool,
        zip64: bool,
    ) -> Result<Entry, ZipError> {
        if self.open.is_some() {
            return Err(ZipError {
                kind: Kind::OutOfOrder,
            });
        }
        if name.len() > MAX16 as usize {
            return Err(ZipError {
                kind: Kind::NameTooLong(name.to_string()),
            });
        }
        Ok(Entry {
            name: name.to_string(),
            modified,
            folder,
            zip64,
            crc: 0,
            size: 0,
            offset: self.written,
        })
    }
}

/// The path an object gets in the zip: `relative` (its key below the folder
/// being zipped) with every segment a zip tool would take for a way out of the
/// folder it unzips into made plain (4.4.17.1: forward slashes, no drive,
/// relative): an empty, `.` or `..` segment becomes `_`, `_.` or `_..`, a `\`
/// becomes `_`, and a `:` in the first segment (which Windows tools read as a
/// drive) becomes `_`. Other names are kept exactly, Unicode included.
pub fn entry_name(relative: &str) -> String {
    let segments: Vec<String> = relative
        .split('/')
        .enumerate()
        .map(|(i, segment)| {
            let segment = segment.replace('\\', "_");
            let segment = if i == 0 {
                segment.replace(':', "_")
            } else {
                segment
            };
            match segment.as_str() {
                "" => "_".to_string(),
                "." | ".." => format!("_{segment}"),
                _ => segment,
            }
        })
        .collect();
    segments.join("/")
}

/// The DOS date and time (4.4.6) of epoch seconds, as `(time, date)`: two-second
/// steps, years 1980 to 2107 (earlier is 1980-01-01, later 2107-12-31 23:59:58).
pub fn dos_date_time(epoch_seconds: u64) -> (u16, u16) {
    let when = i64::try_from(epoch_seconds)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok());
    match when {
        Some(t) if t.year() < 1980 => (0, 1 << 5 | 1),
        Some(t) if t.year() <= 2107 => {
            let time = (t.hour() as u16) << 11 | (t.minute() as u16) << 5 | (t.second() as u16 / 2);
            let date = ((t.year() - 1980) as u16) << 9 | (t.month() as u16) << 5 | t.day() as u16;
            (time, date)
        }
        _ => (23 << 11 | 59 << 5 | 29, 127 << 9 | 12 << 5 | 31),
    }
}

fn local_header(entry: &Entry) -> Vec<u8> {
    let extra = extra_fields(entry, true);
    let mut out = Vec::with_capacity(30 + entry.name.len() + extra.len());
    put32(&mut out, LOCAL_HEADER);
    put16(&mut out, version(entry));
    put16(&mut out, FLAGS);
    put16(&mut out, 0);
    put_date_time(&mut out, entry.modified);
    put32(&mut out, 0);
    // 4.4.9: with a Zip64 extra field the sizes here are all ones, and its
    // sizes (zero here, like these) are the ones that count.
    let size = if entry.zip64 { MAX32 as u32 } else { 0 };
    put32(&mut out, size);
    put32(&mut out, size);
    put16(&mut out, entry.name.len() as u16);
    put16(&mut out, extra.len() as u16);
    out.extend_from_slice(entry.name.as_bytes());
    out.extend(extra);
    out
}

fn central_header(out: &mut Vec<u8>, entry: &Entry) {
    let extra = extra_fields(entry, false);
    put32(out, CENTRAL_HEADER);
    // Version made by: MS-DOS attributes (upper byte 0), spec 6.3.
    put16(out, 63);
    put16(out, version(entry));
    put16(out, FLAGS);
    put16(out, 0);
    put_date_time(out, entry.modified);
    put32(out, entry.crc);
    let size = if entry.zip64 {
        MAX32 as u32
    } else {
        entry.size as u32
    };
    put32(out, size);
    put32(out, size);
    put16(out, entry.name.len() as u16);
    put16(out, extra.len() as u16);
    put16(out, 0); // comment length
    put16(out, 0); // disk number
    put16(out, 0); // internal attributes
    put32(out, if entry.folder { DOS_DIRECTORY } else { 0 });
    put32(out, entry.offset.min(MAX32) as u32);
    out.extend_from_slice(entry.name.as_bytes());
    out.extend(extra);
}

/// The Zip64 field (4.5.3: in the local header both sizes; in the central
/// directory those of the 32-bit fields that hold all ones, in the order
/// uncompressed size, compressed size, offset) and the extended timestamp.
fn extra_fields(entry: &Entry, local: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut zip64 = Vec::new();
    if entry.zip64 {
        put64(&mut zip64, entry.size);
        put64(&mut zip64, entry.size);
    }
    if !local && entry.offset >= MAX32 {
        put64(&mut zip64, entry.offset);
    }
    if !zip64.is_empty() {
        put16(&mut out, EXTRA_ZIP64);
        put16(&mut out, zip64.len() as u16);
        out.extend(zip64);
    }
    if let Some(seconds) = entry.modified.and_then(|s| u32::try_from(s).ok()) {
        // Flags: bit 0, the modification time follows (the only time given).
        put16(&mut out, EXTRA_TIMESTAMP);
        put16(&mut out, 5);
        out.push(1);
        put32(&mut out, seconds);
    }
    out
}

fn version(entry: &Entry) -> u16 {
    if entry.zip64 || entry.offset >= MAX32 {
        VERSION_ZIP64
    } else {
        VERSION_DEFAULT
    }
}

fn put_date_time(out: &mut Vec<u8>, modified: Option<u64>) {
    // No date known: 1980-01-01 00:00, the DOS epoch.
    let (time, date) = modified.map_or((0, 1 << 5 | 1), dos_date_time);
    put16(out, time);
    put16(out, date);
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}
