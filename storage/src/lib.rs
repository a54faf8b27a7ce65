//! Lease storage (being written).
