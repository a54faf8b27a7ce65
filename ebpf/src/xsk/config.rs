//! Sizes of an AF_XDP socket's UMEM and rings, checked against what the kernel accepts and
//! what the frame bookkeeping needs before anything is created.

use super::XskError;

/// The kernel's smallest UMEM chunk (XDP_UMEM_MIN_CHUNK_SIZE).
const MIN_FRAME_SIZE: u32 = 2048;
/// Frames are at most one page in aligned mode.
const MAX_FRAME_SIZE: u32 = 4096;
/// A UMEM larger than this is surely a mistake (and would pin that much memory).
const MAX_UMEM_BYTES: u64 = 1 << 32;

/// Sizes of one socket's UMEM and rings.
///
/// The first `fill_size` frames are the RX frames, the remaining `frames - fill_size` the TX
/// frames; the fill ring can then always take back every RX frame, and the TX and completion
/// rings every TX frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XskConfig {
    /// Frames in the UMEM.
    pub frames: u32,
    /// Bytes per frame: a power of two, 2048 or 4096. RX data starts 256 bytes in
    /// (XDP_PACKET_HEADROOM), so 2048 holds frames up to 1792 bytes.
    pub frame_size: u32,
    /// RX ring entries (power of two).
    pub rx_size: u32,
    /// TX ring entries (power of two, at least the TX frame count).
    pub tx_size: u32,
    /// Fill ring entries (power of two); also the number of RX frames.
    pub fill_size: u32,
    /// Completion ring entries (power of two, at least the TX frame count).
    pub comp_size: u32,
}

impl Default for XskConfig {
    /// 4096 frames of 2048 bytes (8 MiB): 2048 for RX, 2048 for TX; rings of 2048.
    fn default() -> Self {
        XskConfig {
            frames: 4096,
            frame_size: 2048,
            rx_size: 2048,
            tx_size: 2048,
            fill_size: 2048,
            comp_size: 2048,
        }
    }
}

impl XskConfig {
    /// RX frames: those that cycle through the fill ring.
    pub fn rx_frames(&self) -> u32 {
        self.fill_size
    }

    /// TX frames: the rest.
    pub fn tx_frames(&self) -> u32 {
        self.frames.saturating_sub(self.fill_size)
    }

    /// Checks the sizes; the error names the offending field.
    pub fn validate(&self) -> Result<(), XskError> {
        let bad = |why: String| Err(XskError::InvalidConfig(why));
        for (name, v) in [
            ("rx_size", self.rx_size),
            ("tx_size", self.tx_size),
            ("fill_size", self.fill_size),
            ("comp_size", self.comp_size),
        ] {
            if !v.is_power_of_two() {
                return bad(format!("{name} = {v} must be a power of two (and not 0)"));
            }
        }
        if !self.frame_size.is_power_of_two()
            || !(MIN_FRAME_SIZE..=MAX_FRAME_SIZE).contains(&self.frame_size)
        {
            return bad(format!(
                "frame_size = {} must be a power of two in {MIN_FRAME_SIZE}..={MAX_FRAME_SIZE}",
                self.frame_size
            ));
        }
        if self.frames <= self.fill_size {
            return bad(format!(
                "frames = {} leaves no TX frame: it must exceed fill_size = {}",
                self.frames, self.fill_size
            ));
        }
        let tx = self.tx_frames();
        if tx > self.tx_size || tx > self.comp_size {
            return bad(format!(
                "{tx} TX frames (frames - fill_size) exceed tx_size = {} or comp_size = {}; \
                 raise those or lower frames",
                self.tx_size, self.comp_size
            ));
        }
        let bytes = u64::from(self.frames) * u64::from(self.frame_size);
        if bytes > MAX_UMEM_BYTES {
            return bad(format!(
                "the UMEM would be {bytes} bytes, more than {MAX_UMEM_BYTES}"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(c: XskConfig) -> String {
        c.validate().unwrap_err().to_string()
    }

    #[test]
    fn default_is_valid_and_split_in_halves() {
        let c = XskConfig::default();
        c.validate().unwrap();
        assert_eq!((c.rx_frames(), c.tx_frames()), (2048, 2048));
    }

    #[test]
    fn rejects_what_the_kernel_or_the_bookkeeping_cannot_take() {
        let d = XskConfig::default();
        assert!(err(XskConfig { rx_size: 1000, ..d }).contains("rx_size"));
        assert!(err(XskConfig { comp_size: 0, ..d }).contains("comp_size"));
        assert!(
            err(XskConfig {
                frame_size: 1024,
                ..d
            })
            .contains("frame_size")
        );
        assert!(
            err(XskConfig {
                frame_size: 3000,
                ..d
            })
            .contains("frame_size")
        );
        assert!(
            err(XskConfig {
                frame_size: 8192,
                ..d
            })
            .contains("frame_size")
        );
        assert!(err(XskConfig { frames: 2048, ..d }).contains("no TX frame"));
        assert!(err(XskConfig { frames: 8192, ..d }).contains("TX frames"));
        assert!(err(XskConfig { tx_size: 1024, ..d }).contains("tx_size"));
        let huge = XskConfig {
            frames: u32::MAX,
            frame_size: 4096,
            fill_size: 1 << 31,
            tx_size: 1 << 31,
            comp_size: 1 << 31,
            ..d
        };
        assert!(err(huge).contains("UMEM"));
        XskConfig {
            frames: 64,
            frame_size: 4096,
            rx_size: 32,
            tx_size: 32,
            fill_size: 32,
            comp_size: 32,
        }
        .validate()
        .unwrap();
    }
}
