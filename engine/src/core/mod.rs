//! Protocol cores: pure functions of `(now, packet, context, state)`.

pub mod v4;
pub mod v6;
