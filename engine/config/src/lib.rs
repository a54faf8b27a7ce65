//! Kea configuration loading (being written).
