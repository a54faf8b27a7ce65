//! xdhcp engine (being written).
