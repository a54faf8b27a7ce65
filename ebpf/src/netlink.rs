//! The two rtnetlink requests aya does not offer: read which XDP program an interface runs
//! (and in which mode), and remove a program attached the legacy way (not through a bpf_link),
//! e.g. one left behind by a crashed run on a kernel without XDP links.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

const IFLA_XDP: u16 = 43;
const IFLA_XDP_FD: u16 = 1;
const IFLA_XDP_ATTACHED: u16 = 2;
const IFLA_XDP_FLAGS: u16 = 3;
const IFLA_XDP_PROG_ID: u16 = 4;
const IFLA_XDP_EXPECTED_FD: u16 = 8;
const NLA_F_NESTED: u16 = 1 << 15;
const NLA_TYPE_MASK: u16 = !(1 << 15 | 1 << 14);
const NLM_F_ACK_TLVS: u16 = 0x200;
const NLMSGERR_ATTR_MSG: u16 = 1;

/// XDP flag: skb (generic) mode.
pub(crate) const XDP_FLAGS_SKB_MODE: u32 = 1 << 1;
/// XDP flag: driver (native) mode.
pub(crate) const XDP_FLAGS_DRV_MODE: u32 = 1 << 2;
const XDP_FLAGS_HW_MODE: u32 = 1 << 3;
const XDP_FLAGS_REPLACE: u32 = 1 << 4;

/// A failed rtnetlink request: the errno and, when the kernel gave one, its explanation.
#[derive(Debug)]
pub(crate) struct NlError {
    pub(crate) errno: Option<i32>,
    pub(crate) message: String,
}

impl std::fmt::Display for NlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<io::Error> for NlError {
    fn from(e: io::Error) -> NlError {
        NlError {
            errno: e.raw_os_error(),
            message: e.to_string(),
        }
    }
}

/// Where the kernel runs an interface's XDP program (`IFLA_XDP_ATTACHED`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Attached {
    None,
    Driver,
    Generic,
    Hardware,
    Multi,
}

/// An interface's XDP state as rtnetlink reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct XdpState {
    pub(crate) attached: Attached,
    /// The program's id, 0 when none (or several, with `Multi`).
    pub(crate) prog_id: u32,
}

impl Attached {
    /// The XDP_FLAGS_*_MODE bit that addresses a program in this mode.
    pub(crate) fn mode_flag(self) -> u32 {
        match self {
            Attached::Driver => XDP_FLAGS_DRV_MODE,
            Attached::Generic => XDP_FLAGS_SKB_MODE,
            Attached::Hardware => XDP_FLAGS_HW_MODE,
            Attached::None | Attached::Multi => 0,
        }
    }
}

/// A NETLINK_ROUTE socket of the calling thread's network namespace.
struct Socket(OwnedFd);

impl Socket {
    fn open() -> io::Result<Socket> {
        // SAFETY: plain socket(2) call; the returned fd is checked and then owned.
        let fd = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::NETLINK_ROUTE,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh descriptor that nothing else owns.
        let sock = Socket(unsafe { OwnedFd::from_raw_fd(fd) });
        // Never wait forever on the kernel.
        let timeout = libc::timeval {
            tv_sec: 5,
            tv_usec: 0,
        };
        // SAFETY: the option value is a timeval that lives across the call.
        unsafe {
            libc::setsockopt(
                sock.0.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&timeout as *const libc::timeval).cast(),
                size_of::<libc::timeval>() as libc::socklen_t,
            )
        };
        // Ask for the kernel's error text (extack) and a capped ack; best effort.
        for opt in [libc::NETLINK_EXT_ACK, libc::NETLINK_CAP_ACK] {
            let one: libc::c_int = 1;
            // SAFETY: the option value is a c_int that lives across the call.
            unsafe {
                libc::setsockopt(
                    sock.0.as_raw_fd(),
                    libc::SOL_NETLINK,
                    opt,
                    (&one as *const libc::c_int).cast(),
                    size_of::<libc::c_int>() as libc::socklen_t,
                )
            };
        }
        Ok(sock)
    }

    fn send(&self, msg: &[u8]) -> io::Result<()> {
        // SAFETY: msg is a valid buffer of msg.len() bytes; the kernel is the destination
        // because a netlink socket that is not connected sends to pid 0.
        let n = unsafe { libc::send(self.0.as_raw_fd(), msg.as_ptr().cast(), msg.len(), 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: buf is valid for writes of buf.len() bytes.
        let n = unsafe { libc::recv(self.0.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(n as usize)
    }
}

/// Builds one request: nlmsghdr + ifinfomsg + attributes.
struct Request {
    buf: Vec<u8>,
    nests: Vec<usize>,
}

impl Request {
    fn new(msg_type: u16, flags: u16, ifindex: u32) -> Request {
        let mut buf = Vec::with_capacity(128);
        buf.extend_from_slice(&0u32.to_ne_bytes()); // nlmsg_len, patched in finish()
        buf.extend_from_slice(&msg_type.to_ne_bytes());
        // Always ask for an ack: it ends every exchange, replies or not.
        let flags = flags | (libc::NLM_F_REQUEST | libc::NLM_F_ACK) as u16;
        buf.extend_from_slice(&flags.to_ne_bytes());
        buf.extend_from_slice(&1u32.to_ne_bytes()); // seq
        buf.extend_from_slice(&0u32.to_ne_bytes()); // pid
        // struct ifinfomsg { u8 family, u8 pad, u16 type, i32 index, u32 flags, u32 change }
        buf.extend_from_slice(&[libc::AF_UNSPEC as u8, 0, 0, 0]);
        buf.extend_from_slice(&(ifindex as i32).to_ne_bytes());
        buf.extend_from_slice(&[0; 8]);
        Request {
            buf,
            nests: Vec::new(),
        }
    }

    fn attr(&mut self, kind: u16, payload: &[u8]) {
        let len = 4 + payload.len();
        self.buf.extend_from_slice(&(len as u16).to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(payload);
        self.buf.resize(self.buf.len().next_multiple_of(4), 0);
    }

    fn begin_nest(&mut self, kind: u16) {
        self.nests.push(self.buf.len());
        self.buf.extend_from_slice(&0u16.to_ne_bytes());
        self.buf
            .extend_from_slice(&(kind | NLA_F_NESTED).to_ne_bytes());
    }

    fn end_nest(&mut self) {
        let start = self.nests.pop().expect("end_nest after begin_nest");
        let len = (self.buf.len() - start) as u16;
        self.buf[start..start + 2].copy_from_slice(&len.to_ne_bytes());
    }

    fn finish(mut self) -> Vec<u8> {
        let len = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&len.to_ne_bytes());
        self.buf
    }
}

/// Iterates over netlink attributes (type without flag bits, payload).
fn attrs(mut buf: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        if buf.len() < 4 {
            return None;
        }
        let len = u16::from_ne_bytes([buf[0], buf[1]]) as usize;
        let kind = u16::from_ne_bytes([buf[2], buf[3]]) & NLA_TYPE_MASK;
        if len < 4 || len > buf.len() {
            return None;
        }
        let payload = &buf[4..len];
        buf = &buf[len.next_multiple_of(4).min(buf.len())..];
        Some((kind, payload))
    })
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Sends `req` and reads replies until the ack (or error); `on_msg` sees each reply's type and
/// body (after the nlmsghdr).
fn transact(req: Vec<u8>, mut on_msg: impl FnMut(u16, &[u8])) -> Result<(), NlError> {
    let sock = Socket::open()?;
    sock.send(&req)?;
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        let n = sock.recv(&mut buf)?;
        let mut rest = &buf[..n];
        while rest.len() >= 16 {
            let len = u32_at(rest, 0).unwrap_or(0) as usize;
            if len < 16 || len > rest.len() {
                return Err(NlError {
                    errno: None,
                    message: "truncated netlink message".into(),
                });
            }
            let kind = u16::from_ne_bytes([rest[4], rest[5]]);
            let flags = u16::from_ne_bytes([rest[6], rest[7]]);
            let body = &rest[16..len];
            match kind as libc::c_int {
                libc::NLMSG_ERROR => return ack_result(body, flags),
                libc::NLMSG_DONE => return Ok(()),
                _ => on_msg(kind, body),
            }
            rest = &rest[len.next_multiple_of(4).min(rest.len())..];
        }
    }
}

/// Turns an NLMSG_ERROR body into Ok (a plain ack) or the error, with the kernel's text.
fn ack_result(body: &[u8], flags: u16) -> Result<(), NlError> {
    let errno = u32_at(body, 0).map(|e| e as i32).unwrap_or(-libc::EIO);
    if errno == 0 {
        return Ok(());
    }
    let os = io::Error::from_raw_os_error(-errno);
    // With NETLINK_CAP_ACK the echoed request is just its 16-byte header; the TLVs follow.
    let text = (flags & NLM_F_ACK_TLVS != 0)
        .then(|| body.get(4 + 16..))
        .flatten()
        .and_then(|tlvs| attrs(tlvs).find(|(k, _)| *k == NLMSGERR_ATTR_MSG))
        .map(|(_, msg)| {
            String::from_utf8_lossy(msg)
                .trim_end_matches('\0')
                .to_string()
        });
    let message = match text {
        Some(text) if !text.is_empty() => format!("{os}: {text}"),
        _ => os.to_string(),
    };
    Err(NlError {
        errno: Some(-errno),
        message,
    })
}

/// Reads the XDP state of interface `ifindex` in the calling thread's network namespace.
pub(crate) fn query_xdp(ifindex: u32) -> Result<XdpState, NlError> {
    let req = Request::new(libc::RTM_GETLINK, 0, ifindex).finish();
    let mut state = XdpState {
        attached: Attached::None,
        prog_id: 0,
    };
    transact(req, |kind, body| {
        if kind != libc::RTM_NEWLINK || body.len() < 16 {
            return;
        }
        for (k, payload) in attrs(&body[16..]) {
            if k != IFLA_XDP {
                continue;
            }
            for (k, v) in attrs(payload) {
                match k {
                    IFLA_XDP_ATTACHED => {
                        state.attached = match v.first() {
                            Some(1) => Attached::Driver,
                            Some(2) => Attached::Generic,
                            Some(3) => Attached::Hardware,
                            Some(4) => Attached::Multi,
                            _ => Attached::None,
                        }
                    }
                    IFLA_XDP_PROG_ID => state.prog_id = u32_at(v, 0).unwrap_or(0),
                    _ => {}
                }
            }
        }
    })?;
    Ok(state)
}

/// Removes the legacy-attached XDP program of `ifindex` in mode `mode_flag`, but only if it is
/// still the program behind `expected_prog_fd` (XDP_FLAGS_REPLACE), so a program attached by
/// someone else in the meantime is left alone.
pub(crate) fn detach_legacy(
    ifindex: u32,
    mode_flag: u32,
    expected_prog_fd: RawFd,
) -> Result<(), NlError> {
    let mut req = Request::new(libc::RTM_SETLINK, 0, ifindex);
    req.begin_nest(IFLA_XDP);
    req.attr(IFLA_XDP_FD, &(-1i32).to_ne_bytes());
    req.attr(
        IFLA_XDP_FLAGS,
        &(mode_flag | XDP_FLAGS_REPLACE).to_ne_bytes(),
    );
    req.attr(IFLA_XDP_EXPECTED_FD, &expected_prog_fd.to_ne_bytes());
    req.end_nest();
    transact(req.finish(), |_, _| {})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_nested_attributes() {
        let mut req = Request::new(libc::RTM_SETLINK, 0, 7);
        req.begin_nest(IFLA_XDP);
        req.attr(IFLA_XDP_FD, &(-1i32).to_ne_bytes());
        req.attr(IFLA_XDP_ATTACHED, &[1]);
        req.end_nest();
        let msg = req.finish();
        assert_eq!(u32_at(&msg, 0).unwrap() as usize, msg.len());
        assert_eq!(msg.len() % 4, 0);
        let nested: Vec<_> = attrs(&msg[32..]).collect();
        assert_eq!(nested.len(), 1);
        assert_eq!(nested[0].0, IFLA_XDP);
        let inner: Vec<_> = attrs(nested[0].1).collect();
        assert_eq!(
            inner,
            vec![
                (IFLA_XDP_FD, &(-1i32).to_ne_bytes()[..]),
                (IFLA_XDP_ATTACHED, &[1u8][..])
            ]
        );
    }

    #[test]
    fn error_ack_carries_kernel_text() {
        let mut body = Vec::new();
        body.extend_from_slice(&(-libc::EBUSY).to_ne_bytes());
        body.extend_from_slice(&[0u8; 16]);
        let text = b"XDP program already attached\0";
        body.extend_from_slice(&((4 + text.len()) as u16).to_ne_bytes());
        body.extend_from_slice(&NLMSGERR_ATTR_MSG.to_ne_bytes());
        body.extend_from_slice(text);
        let err = ack_result(&body, NLM_F_ACK_TLVS).unwrap_err();
        assert_eq!(err.errno, Some(libc::EBUSY));
        assert!(
            err.to_string().contains("XDP program already attached"),
            "{err}"
        );
        assert!(ack_result(&0i32.to_ne_bytes(), 0).is_ok());
        let plain = ack_result(&(-libc::EPERM).to_ne_bytes(), 0).unwrap_err();
        assert_eq!(plain.errno, Some(libc::EPERM));
    }

    #[test]
    fn malformed_attributes_stop_iteration() {
        assert_eq!(attrs(&[8, 0, 1, 0]).count(), 0);
        assert_eq!(attrs(&[2, 0, 1, 0]).count(), 0);
        assert_eq!(attrs(&[]).count(), 0);
    }
}
