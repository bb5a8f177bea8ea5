//! CRC-32 (IEEE 802.3, the polynomial of zlib and of S3's `CRC32` checksum).
//!
//! Our own rather than `crc32fast`: that crate's portable path carries a 16 KiB
//! lookup table in the wasm's data, and table bytes barely compress (16 KiB of
//! the brotli bundle). Here the same table is computed on first use instead
//! (16 × 256 words, microseconds) and the bytes are taken sixteen at a time
//! ("slicing-by-16"): a profile of a 1 GiB upload showed the checksum as the
//! renderer's busiest function, and sixteen at a time beats eight in wasm.

use std::sync::OnceLock;

/// Reversed IEEE polynomial.
const POLYNOMIAL: u32 = 0xEDB8_8320;

type Tables = [[u32; 256]; 16];

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Box<Tables>> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut t = Box::new([[0u32; 256]; 16]);
        for n in 0..256u32 {
            let mut c = n;
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    POLYNOMIAL ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            t[0][n as usize] = c;
        }
        for n in 0..256 {
            for k in 1..16 {
                let previous = t[k - 1][n];
                t[k][n] = (previous >> 8) ^ t[0][(previous & 0xff) as usize];
            }
        }
        t
    })
}

/// A running CRC-32 over bytes that arrive in pieces.
#[derive(Clone, Copy, Debug)]
pub struct Crc32 {
    /// The register, kept inverted as the algorithm defines it.
    state: u32,
}

impl Default for Crc32 {
    fn default() -> Self {
        Crc32 { state: !0 }
    }
}

impl Crc32 {
    /// Feeds the next `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        let t = tables();
        let mut c = self.state;
        let mut sixteens = bytes.chunks_exact(16);
        for b in &mut sixteens {
            let low = c ^ u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            c = t[15][(low & 0xff) as usize]
                ^ t[14][((low >> 8) & 0xff) as usize]
                ^ t[13][((low >> 16) & 0xff) as usize]
                ^ t[12][(low >> 24) as usize]
                ^ t[11][b[4] as usize]
                ^ t[10][b[5] as usize]
                ^ t[9][b[6] as usize]
                ^ t[8][b[7] as usize]
                ^ t[7][b[8] as usize]
                ^ t[6][b[9] as usize]
                ^ t[5][b[10] as usize]
                ^ t[4][b[11] as usize]
                ^ t[3][b[12] as usize]
                ^ t[2][b[13] as usize]
                ^ t[1][b[14] as usize]
                ^ t[0][b[15] as usize];
        }
        for &b in sixteens.remainder() {
            c = (c >> 8) ^ t[0][((c ^ b as u32) & 0xff) as usize];
        }
        self.state = c;
    }

    /// The CRC-32 of everything fed so far.
    pub fn value(&self) -> u32 {
        !self.state
    }
}

/// The CRC-32 of `bytes` in one go.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = Crc32::default();
    crc.update(bytes);
    crc.value()
}
