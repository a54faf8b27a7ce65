//! DHCPv6 status codes (RFC 8415 §21.13 and the IANA registry).

/// The code carried in a Status Code option (13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
#[allow(missing_docs)] // the names are the RFC names
pub enum StatusCode {
    Success = 0,
    UnspecFail = 1,
    NoAddrsAvail = 2,
    NoBinding = 3,
    NotOnLink = 4,
    UseMulticast = 5,
    NoPrefixAvail = 6,
    UnknownQueryType = 7,
    MalformedQuery = 8,
    NotConfigured = 9,
    NotAllowed = 10,
    QueryTerminated = 11,
    DataMissing = 12,
    CatchUpComplete = 13,
    NotSupported = 14,
    TlsConnectionRefused = 15,
    AddressInUse = 16,
    ConfigurationConflict = 17,
    MissingBindingInformation = 18,
    OutdatedBindingInformation = 19,
    ServerShuttingDown = 20,
    DnsUpdateNotSupported = 21,
    ExcessiveTimeSkew = 22,
}

const ALL: [StatusCode; 23] = {
    use StatusCode::*;
    [
        Success,
        UnspecFail,
        NoAddrsAvail,
        NoBinding,
        NotOnLink,
        UseMulticast,
        NoPrefixAvail,
        UnknownQueryType,
        MalformedQuery,
        NotConfigured,
        NotAllowed,
        QueryTerminated,
        DataMissing,
        CatchUpComplete,
        NotSupported,
        TlsConnectionRefused,
        AddressInUse,
        ConfigurationConflict,
        MissingBindingInformation,
        OutdatedBindingInformation,
        ServerShuttingDown,
        DnsUpdateNotSupported,
        ExcessiveTimeSkew,
    ]
};

impl StatusCode {
    /// Maps a wire value; `None` for unassigned ones.
    pub fn from_u16(v: u16) -> Option<StatusCode> {
        ALL.get(usize::from(v)).copied()
    }
}

impl From<StatusCode> for u16 {
    fn from(s: StatusCode) -> u16 {
        s as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for v in 0..=100u16 {
            match StatusCode::from_u16(v) {
                Some(s) => assert_eq!(u16::from(s), v),
                None => assert!(v > 22),
            }
        }
        assert_eq!(StatusCode::NoPrefixAvail as u16, 6);
    }
}
