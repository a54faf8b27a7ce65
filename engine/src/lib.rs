//! xdhcp engine: the sans-I/O protocol core (`core`), thin I/O backends (`io`) and the
//! daemon that joins them (`daemon`). See docs/ARCHITECTURE.md for the rooms and the
//! data path.

pub mod core;
pub mod daemon;
pub mod io;
pub mod logging;
