//! Zero-copy wire formats for xdhcp (being written).
#![forbid(unsafe_code)]
