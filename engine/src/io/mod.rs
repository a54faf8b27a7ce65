//! Thin I/O backends: sockets and interfaces, no protocol logic.

pub mod afxdp;
pub mod iface;
pub mod iface6;
pub mod packet;
pub mod udp;
pub mod udp6;
