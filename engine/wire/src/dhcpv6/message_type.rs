//! DHCPv6 message types (RFC 8415 §7.3 and the IANA registry).

/// The `msg-type` byte: RFC 8415 §7.3, RFC 5007/5460 (leasequery), RFC 6977
/// (reconfigure relays), RFC 7341 (DHCPv4-over-DHCPv6), RFC 7653 (active
/// leasequery) and RFC 8156 (failover).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
#[allow(missing_docs)] // the names are the RFC names
pub enum MessageType {
    Solicit = 1,
    Advertise = 2,
    Request = 3,
    Confirm = 4,
    Renew = 5,
    Rebind = 6,
    Reply = 7,
    Release = 8,
    Decline = 9,
    Reconfigure = 10,
    InformationRequest = 11,
    RelayForw = 12,
    RelayRepl = 13,
    Leasequery = 14,
    LeasequeryReply = 15,
    LeasequeryDone = 16,
    LeasequeryData = 17,
    ReconfigureRequest = 18,
    ReconfigureReply = 19,
    Dhcpv4Query = 20,
    Dhcpv4Response = 21,
    ActiveLeasequery = 22,
    StartTls = 23,
    BndUpd = 24,
    BndReply = 25,
    PoolReq = 26,
    PoolResp = 27,
    UpdReq = 28,
    UpdReqAll = 29,
    UpdDone = 30,
    Connect = 31,
    ConnectReply = 32,
    Disconnect = 33,
    State = 34,
    Contact = 35,
}

/// Every type, indexed by value - 1.
const ALL: [MessageType; 35] = {
    use MessageType::*;
    [
        Solicit,
        Advertise,
        Request,
        Confirm,
        Renew,
        Rebind,
        Reply,
        Release,
        Decline,
        Reconfigure,
        InformationRequest,
        RelayForw,
        RelayRepl,
        Leasequery,
        LeasequeryReply,
        LeasequeryDone,
        LeasequeryData,
        ReconfigureRequest,
        ReconfigureReply,
        Dhcpv4Query,
        Dhcpv4Response,
        ActiveLeasequery,
        StartTls,
        BndUpd,
        BndReply,
        PoolReq,
        PoolResp,
        UpdReq,
        UpdReqAll,
        UpdDone,
        Connect,
        ConnectReply,
        Disconnect,
        State,
        Contact,
    ]
};

impl MessageType {
    /// Maps a `msg-type` byte; `None` for 0 and unassigned values.
    pub fn from_u8(v: u8) -> Option<MessageType> {
        ALL.get(usize::from(v).checked_sub(1)?).copied()
    }

    /// True for RELAY-FORW and RELAY-REPL, which have the relay header
    /// (RFC 8415 §9) instead of a transaction id.
    pub fn is_relay(self) -> bool {
        matches!(self, MessageType::RelayForw | MessageType::RelayRepl)
    }

    /// The name Kea logs (Pkt6::getName) where it has one, e.g. "SOLICIT".
    pub fn name(self) -> &'static str {
        use MessageType::*;
        match self {
            Solicit => "SOLICIT",
            Advertise => "ADVERTISE",
            Request => "REQUEST",
            Confirm => "CONFIRM",
            Renew => "RENEW",
            Rebind => "REBIND",
            Reply => "REPLY",
            Release => "RELEASE",
            Decline => "DECLINE",
            Reconfigure => "RECONFIGURE",
            InformationRequest => "INFORMATION_REQUEST",
            RelayForw => "RELAY_FORWARD",
            RelayRepl => "RELAY_REPLY",
            Leasequery => "LEASEQUERY",
            LeasequeryReply => "LEASEQUERY_REPLY",
            LeasequeryDone => "LEASEQUERY_DONE",
            LeasequeryData => "LEASEQUERY_DATA",
            ReconfigureRequest => "RECONFIGURE_REQUEST",
            ReconfigureReply => "RECONFIGURE_REPLY",
            Dhcpv4Query => "DHCPV4_QUERY",
            Dhcpv4Response => "DHCPV4_RESPONSE",
            ActiveLeasequery => "ACTIVELEASEQUERY",
            StartTls => "STARTTLS",
            BndUpd => "BNDUPD",
            BndReply => "BNDREPLY",
            PoolReq => "POOLREQ",
            PoolResp => "POOLRESP",
            UpdReq => "UPDREQ",
            UpdReqAll => "UPDREQALL",
            UpdDone => "UPDDONE",
            Connect => "CONNECT",
            ConnectReply => "CONNECTREPLY",
            Disconnect => "DISCONNECT",
            State => "STATE",
            Contact => "CONTACT",
        }
    }
}

impl std::fmt::Display for MessageType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for v in 0..=255u8 {
            match MessageType::from_u8(v) {
                Some(t) => assert_eq!(t as u8, v),
                None => assert!(v == 0 || v > 35),
            }
        }
        assert!(MessageType::RelayForw.is_relay());
        assert!(!MessageType::Reply.is_relay());
        assert_eq!(MessageType::Dhcpv4Query as u8, 20);
        assert_eq!(
            MessageType::InformationRequest.to_string(),
            "INFORMATION_REQUEST"
        );
    }
}
