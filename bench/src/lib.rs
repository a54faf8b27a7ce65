//! Benchmark helpers (being written).
