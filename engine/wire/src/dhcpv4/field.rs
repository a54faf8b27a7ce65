//! Offsets of the fixed BOOTP/DHCP header fields (RFC 2131 §2, figure 1),
//! named once so no magic numbers appear elsewhere.

/// Message op code (1 = BOOTREQUEST, 2 = BOOTREPLY).
pub const OP: usize = 0;
/// Hardware address type.
pub const HTYPE: usize = 1;
/// Hardware address length.
pub const HLEN: usize = 2;
/// Relay hops.
pub const HOPS: usize = 3;
/// Transaction id.
pub const XID: usize = 4;
/// Seconds since the client began.
pub const SECS: usize = 8;
/// Flags (bit 15 = broadcast).
pub const FLAGS: usize = 10;
/// Client IP address.
pub const CIADDR: usize = 12;
/// "Your" (offered) IP address.
pub const YIADDR: usize = 16;
/// Next server IP address.
pub const SIADDR: usize = 20;
/// Relay agent IP address.
pub const GIADDR: usize = 24;
/// Client hardware address.
pub const CHADDR: usize = 28;
/// Length of `chaddr`.
pub const CHADDR_LEN: usize = 16;
/// Server host name (or overloaded options).
pub const SNAME: usize = 44;
/// Length of `sname`.
pub const SNAME_LEN: usize = 64;
/// Boot file name (or overloaded options).
pub const FILE: usize = 108;
/// Length of `file`.
pub const FILE_LEN: usize = 128;
/// Magic cookie.
pub const MAGIC: usize = 236;
/// Start of the variable `options` field.
pub const OPTIONS: usize = 240;
