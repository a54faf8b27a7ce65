//! Protocol cores: pure functions of `(now, packet, context, state)`.

mod reclaim;
pub mod v4;
pub mod v6;
