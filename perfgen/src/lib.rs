//! perfgen: a DHCPv4/DHCPv6 load generator with perfdhcp's flags and report
//! layout, built to saturate a fast server: batched syscalls, packet
//! templates patched in place, an O(1) exchange table indexed by xid, and a
//! sans-I/O core that the tests drive with a simulated clock.

pub mod app;
pub mod chart;
pub mod cli;
pub mod core;
pub mod pacer;
pub mod report;
pub mod run;
pub mod search;
pub mod stats;
pub mod transport;
pub mod v4;
pub mod v6;

#[cfg(test)]
mod tests;
