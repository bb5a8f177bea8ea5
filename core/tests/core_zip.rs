#![cfg(not(target_arch = "wasm32"))]
//! Host tests of the streaming zip writer (`cubby_core::zip`): fixed vectors of
//! its records, and its archives read back by Python's `zipfile` and tested by
//! `unzip -t` (Info-ZIP), two readers written independently of it, including
//! Zip64 archives (65,536 entries; an entry started as 4 GiB or more).

use cubby_core::crc32::crc32;
use cubby_core::zip::{dos_date_time, entry_name, ZipWriter};
use std::path::PathBuf;
use std::process::Command;

/// 2024-02-29T13:45:30Z.
const LEAP_DAY: u64 = 1_709_214_330;

/// An archive of `files` (name, data, modified), each data split in two
/// chunks to show that pieces are summed; `expected` overrides the expected
/// size of every file.
fn archive(files: &[(&str, &[u8], Option<u64>)], expected: Option<u64>) -> Vec<u8> {
    let mut zip = ZipWriter::new();
    let mut out = Vec::new();
    for (name, data, modified) in files {
        let size = expected.unwrap_or(data.len() as u64);
        out.extend(zip.start_file(name, *modified, size).unwrap());
        let (a, b) = data.split_at(data.len() / 2);
        for chunk in [a, b] {
            zip.file_data(chunk).unwrap();
            out.extend_from_slice(chunk);
        }
        out.extend(zip.finish_file().unwrap());
        assert_eq!(zip.bytes_written(), out.len() as u64);
    }
    out.extend(zip.finish().unwrap());
    out
}

fn temp_zip(name: &str, bytes: &[u8]) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("cubby-core-zip-{}-{name}.zip", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Python's reading of the archive: per entry, one line of name (JSON), hex of
/// the data, the DOS date and time, the flag bits, whether it is a folder; and
/// `testzip()`'s verdict (every CRC checked) last.
fn python_read(path: &PathBuf) -> String {
    let script = r#"
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for i in z.infolist():
        print(json.dumps(i.filename), z.read(i).hex(), list(i.date_time), i.flag_bits, i.is_dir())
    print("testzip", z.testzip())
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "zipfile refused the archive: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `unzip -t`'s verdict, when Info-ZIP's unzip is installed (Debian's is).
fn unzip_test(path: &PathBuf) {
    match Command::new("unzip").arg("-tqq").arg(path).output() {
        Ok(out) => assert!(
            out.status.success(),
            "unzip -t refused the archive: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) => eprintln!("unzip not installed: only zipfile read the archive"),
    }
}

#[test]
fn one_file_has_these_records() {
    let bytes = archive(&[("a.txt", b"hi", Some(LEAP_DAY))], None);
    let (time, date) = dos_date_time(LEAP_DAY);
    assert_eq!(
        (time, date),
        (13 << 11 | 45 << 5 | 15, 44 << 9 | 2 << 5 | 29)
    );
    let mut local = vec![0x50, 0x4b, 3, 4, 20, 0, 0x08, 0x08, 0, 0];
    local.extend(time.to_le_bytes());
    local.extend(date.to_le_bytes());
    local.extend([0; 12]); // CRC and sizes: in the data descriptor
    local.extend([5, 0, 9, 0]);
    local.extend(b"a.txt");
    local.extend([0x55, 0x54, 5, 0, 1]);
    local.extend((LEAP_DAY as u32).to_le_bytes());
    assert_eq!(&bytes[..local.len()], &local[..]);
    let rest = &bytes[local.len()..];
    assert_eq!(&rest[..2], b"hi");
    let mut descriptor = vec![0x50, 0x4b, 7, 8];
    descriptor.extend(crc32(b"hi").to_le_bytes());
    descriptor.extend([2, 0, 0, 0, 2, 0, 0, 0]);
    assert_eq!(&rest[2..18], &descriptor[..]);
    let central_at = (local.len() + 18) as u32;
    // The end record: one entry, the central directory's size and offset.
    let end = &bytes[bytes.len() - 22..];
    let central_size = (bytes.len() - 22) as u32 - central_at;
    let mut expected_end = vec![0x50, 0x4b, 5, 6, 0, 0, 0, 0, 1, 0, 1, 0];
    expected_end.extend(central_size.to_le_bytes());
    expected_end.extend(central_at.to_le_bytes());
    expected_end.extend([0, 0]);
    assert_eq!(end, &expected_end[..]);
    assert_eq!(&bytes[central_at as usize..][..4], &[0x50, 0x4b, 1, 2]);
}

#[test]
fn zipfile_reads_names_data_and_dates_exactly() {
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let files: [(&str, &[u8], Option<u64>); 5] = [
        ("notes 12:30 + more.txt", b"plus and colon", Some(LEAP_DAY)),
        (
            "Fotos/Ünïcödé 日本 🎉.txt",
            "grüße".as_bytes(),
            Some(LEAP_DAY),
        ),
        ("Fotos/deeper/empty", b"", Some(0)),
        ("Fotos/deeper/big.bin", &big, None),
        ("a+b/c d.txt", b"x", Some(4_102_444_800)),
    ];
    let mut zip = ZipWriter::new();
    let mut bytes = Vec::new();
    bytes.extend(zip.add_folder("Empty folder", Some(LEAP_DAY)).unwrap());
    for (name, data, modified) in files {
        bytes.extend(zip.start_file(name, modified, data.len() as u64).unwrap());
        for chunk in data.chunks(65_536) {
            zip.file_data(chunk).unwrap();
            bytes.extend_from_slice(chunk);
        }
        bytes.extend(zip.finish_file().unwrap());
    }
    bytes.extend(zip.finish().unwrap());
    let path = temp_zip("names", &bytes);
    let read = python_read(&path);
    let lines: Vec<&str> = read.lines().collect();
    assert_eq!(
        lines[0],
        "\"Empty folder/\"  [2024, 2, 29, 13, 45, 30] 2056 True"
    );
    for (line, (name, data, modified)) in lines[1..6].iter().zip(files) {
        let date = match modified {
            Some(LEAP_DAY) => "[2024, 2, 29, 13, 45, 30]",
            Some(0) | None => "[1980, 1, 1, 0, 0, 0]",
            // 2100-01-01: past DOS's 2107 it would be capped.
            Some(_) => "[2100, 1, 1, 0, 0, 0]",
        };
        let json_name: String = name
            .chars()
            .map(|c| {
                if c.is_ascii() {
                    c.to_string()
                } else {
                    c.encode_utf16(&mut [0; 2])
                        .iter()
                        .map(|u| format!("\\u{u:04x}"))
                        .collect()
                }
            })
            .collect();
        let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
        // 2056: bits 3 (data descriptor) and 11 (UTF-8).
        assert_eq!(*line, format!("\"{json_name}\" {hex} {date} 2056 False"));
    }
    assert_eq!(lines[6], "testzip None");
    unzip_test(&path);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn zip64_when_the_entries_reach_65535() {
    let mut zip = ZipWriter::new();
    let mut bytes = Vec::new();
    for i in 0..65_536u32 {
        bytes.extend(zip.start_file(&format!("{i}"), None, 0).unwrap());
        bytes.extend(zip.finish_file().unwrap());
    }
    bytes.extend(zip.finish().unwrap());
    // The end record says "see Zip64" with all ones; the locator precedes it.
    let end = &bytes[bytes.len() - 22..];
    assert_eq!(&end[8..12], &[0xff; 4]);
    assert_eq!(&bytes[bytes.len() - 42..][..4], &[0x50, 0x4b, 6, 7]);
    let path = temp_zip("many", &bytes);
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); \
             n = z.namelist(); print(len(n), n[0], n[-1], z.testzip())",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "65536 0 65535 None\n",
        "{out:?}"
    );
    unzip_test(&path);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn zip64_entry_when_expected_at_4_gib() {
    let five_gib = 5 << 30;
    let bytes = archive(
        &[
            ("small.txt", b"before", Some(LEAP_DAY)),
            ("huge.bin", b"pretend this is 5 GiB", Some(LEAP_DAY)),
        ],
        Some(five_gib),
    );
    // The local header: version 4.5, sizes all ones, a Zip64 field of two zero sizes.
    assert_eq!(&bytes[4..6], &[45, 0]);
    assert_eq!(&bytes[18..26], &[0xff; 8]);
    assert_eq!(&bytes[30 + 9..][..4], &[1, 0, 16, 0]);
    let path = temp_zip("zip64-entry", &bytes);
    let read = python_read(&path);
    assert!(read.contains(&format!(
        "\"huge.bin\" {} ",
        b"pretend this is 5 GiB"
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )));
    assert!(read.ends_with("testzip None\n"), "{read}");
    unzip_test(&path);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn data_past_4_gib_in_a_small_entry_is_refused() {
    let mut zip = ZipWriter::new();
    zip.start_file("grew", None, 10).unwrap();
    zip.file_data(b"0123456789").unwrap();
    // Refused before it is read: the zeroed pages are never touched.
    let chunk = vec![0u8; (4 << 30) - 10];
    let err = zip.file_data(&chunk).unwrap_err();
    assert!(err.to_string().contains("grew past 4 GiB"), "{err}");
}

#[test]
fn calls_out_of_order_are_refused() {
    let mut zip = ZipWriter::new();
    assert!(zip.file_data(b"x").is_err());
    assert!(zip.finish_file().is_err());
    zip.start_file("a", None, 1).unwrap();
    assert!(zip.start_file("b", None, 1).is_err());
    assert!(zip.finish().is_err());
    let mut zip = ZipWriter::new();
    assert!(zip.start_file(&"n".repeat(65_536), None, 0).is_err());
}

#[test]
fn entry_names_keep_names_and_never_leave_the_folder() {
    assert_eq!(entry_name("a b/ü+c 12:30.txt"), "a b/ü+c 12:30.txt");
    assert_eq!(entry_name("../x"), "_../x");
    assert_eq!(entry_name("a/./b//c/.."), "a/_./b/_/c/_..");
    assert_eq!(entry_name("/abs"), "_/abs");
    assert_eq!(entry_name("c:\\win\\x"), "c__win_x");
    assert_eq!(entry_name("d:/x"), "d_/x");
}

#[test]
fn dos_times_are_capped_to_their_range() {
    assert_eq!(dos_date_time(0), (0, 1 << 5 | 1));
    assert_eq!(
        dos_date_time(u64::MAX),
        (23 << 11 | 59 << 5 | 29, 127 << 9 | 12 << 5 | 31)
    );
    // Odd seconds round down to two-second steps.
    assert_eq!(dos_date_time(315_532_801).0, 0);
}
