//! Protocol cores: pure functions of `(now, packet, context, state)`.

pub mod v4;
