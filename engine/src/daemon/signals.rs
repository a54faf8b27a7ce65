//! Signals as flags plus a wake-up pipe, so the poll loop reacts at once and handlers do
//! nothing but set a flag.

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGUSR1};
use std::io::{self, Read};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct Signals {
    stop: Arc<AtomicBool>,
    reload: Arc<AtomicBool>,
    stats: Arc<AtomicBool>,
    wake_rx: UnixStream,
}

impl Signals {
    pub fn install() -> io::Result<Signals> {
        let (wake_rx, wake_tx) = UnixStream::pair()?;
        wake_rx.set_nonblocking(true)?;
        wake_tx.set_nonblocking(true)?;
        let s = Signals {
            stop: Arc::new(AtomicBool::new(false)),
            reload: Arc::new(AtomicBool::new(false)),
            stats: Arc::new(AtomicBool::new(false)),
            wake_rx,
        };
        for (sig, flag) in [
            (SIGTERM, &s.stop),
            (SIGINT, &s.stop),
            (SIGHUP, &s.reload),
            (SIGUSR1, &s.stats),
        ] {
            signal_hook::flag::register(sig, flag.clone())?;
            signal_hook::low_level::pipe::register(sig, wake_tx.try_clone()?)?;
        }
        Ok(s)
    }

    /// The descriptor that becomes readable when a signal arrives.
    pub fn fd(&self) -> RawFd {
        self.wake_rx.as_raw_fd()
    }

    fn drain(&self) {
        let mut buf = [0u8; 64];
        while matches!((&self.wake_rx).read(&mut buf), Ok(n) if n > 0) {}
    }

    pub fn take_stop(&self) -> bool {
        self.drain();
        self.stop.swap(false, Ordering::SeqCst)
    }

    pub fn take_reload(&self) -> bool {
        self.reload.swap(false, Ordering::SeqCst)
    }

    pub fn take_stats(&self) -> bool {
        self.stats.swap(false, Ordering::SeqCst)
    }
}
