//! perfgen (being written).
