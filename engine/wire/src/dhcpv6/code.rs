//! DHCPv6 option codes, named after Kea 1.4's option definitions (generated
//! from the defs6 table: the `dhcp6` space plus the softwire46 (RFC 7598)
//! options that live in its container spaces), and the status codes.

pub use super::status::StatusCode;

/// `clientid`
pub const CLIENTID: u16 = 1;
/// `serverid`
pub const SERVERID: u16 = 2;
/// `ia-na`
pub const IA_NA: u16 = 3;
/// `ia-ta`
pub const IA_TA: u16 = 4;
/// `iaaddr`
pub const IAADDR: u16 = 5;
/// `oro`
pub const ORO: u16 = 6;
/// `preference`
pub const PREFERENCE: u16 = 7;
/// `elapsed-time`
pub const ELAPSED_TIME: u16 = 8;
/// `relay-msg`
pub const RELAY_MSG: u16 = 9;
/// `auth`
pub const AUTH: u16 = 11;
/// `unicast`
pub const UNICAST: u16 = 12;
/// `status-code`
pub const STATUS_CODE: u16 = 13;
/// `rapid-commit`
pub const RAPID_COMMIT: u16 = 14;
/// `user-class`
pub const USER_CLASS: u16 = 15;
/// `vendor-class`
pub const VENDOR_CLASS: u16 = 16;
/// `vendor-opts`
pub const VENDOR_OPTS: u16 = 17;
/// `interface-id`
pub const INTERFACE_ID: u16 = 18;
/// `reconf-msg`
pub const RECONF_MSG: u16 = 19;
/// `reconf-accept`
pub const RECONF_ACCEPT: u16 = 20;
/// `sip-server-dns`
pub const SIP_SERVER_DNS: u16 = 21;
/// `sip-server-addr`
pub const SIP_SERVER_ADDR: u16 = 22;
/// `dns-servers`
pub const DNS_SERVERS: u16 = 23;
/// `domain-search`
pub const DOMAIN_SEARCH: u16 = 24;
/// `ia-pd`
pub const IA_PD: u16 = 25;
/// `iaprefix`
pub const IAPREFIX: u16 = 26;
/// `nis-servers`
pub const NIS_SERVERS: u16 = 27;
/// `nisp-servers`
pub const NISP_SERVERS: u16 = 28;
/// `nis-domain-name`
pub const NIS_DOMAIN_NAME: u16 = 29;
/// `nisp-domain-name`
pub const NISP_DOMAIN_NAME: u16 = 30;
/// `sntp-servers`
pub const SNTP_SERVERS: u16 = 31;
/// `information-refresh-time`
pub const INFORMATION_REFRESH_TIME: u16 = 32;
/// `bcmcs-server-dns`
pub const BCMCS_SERVER_DNS: u16 = 33;
/// `bcmcs-server-addr`
pub const BCMCS_SERVER_ADDR: u16 = 34;
/// `geoconf-civic`
pub const GEOCONF_CIVIC: u16 = 36;
/// `remote-id`
pub const REMOTE_ID: u16 = 37;
/// `subscriber-id`
pub const SUBSCRIBER_ID: u16 = 38;
/// `client-fqdn`
pub const CLIENT_FQDN: u16 = 39;
/// `pana-agent`
pub const PANA_AGENT: u16 = 40;
/// `new-posix-timezone`
pub const NEW_POSIX_TIMEZONE: u16 = 41;
/// `new-tzdb-timezone`
pub const NEW_TZDB_TIMEZONE: u16 = 42;
/// `ero`
pub const ERO: u16 = 43;
/// `lq-query`
pub const LQ_QUERY: u16 = 44;
/// `client-data`
pub const CLIENT_DATA: u16 = 45;
/// `clt-time`
pub const CLT_TIME: u16 = 46;
/// `lq-relay-data`
pub const LQ_RELAY_DATA: u16 = 47;
/// `lq-client-link`
pub const LQ_CLIENT_LINK: u16 = 48;
/// `v6-lost`
pub const V6_LOST: u16 = 51;
/// `capwap-ac-v6`
pub const CAPWAP_AC_V6: u16 = 52;
/// `relay-id`
pub const RELAY_ID: u16 = 53;
/// `v6-access-domain`
pub const V6_ACCESS_DOMAIN: u16 = 57;
/// `sip-ua-cs-list`
pub const SIP_UA_CS_LIST: u16 = 58;
/// `bootfile-url`
pub const BOOTFILE_URL: u16 = 59;
/// `bootfile-param`
pub const BOOTFILE_PARAM: u16 = 60;
/// `client-arch-type`
pub const CLIENT_ARCH_TYPE: u16 = 61;
/// `nii`
pub const NII: u16 = 62;
/// `aftr-name`
pub const AFTR_NAME: u16 = 64;
/// `erp-local-domain-name`
pub const ERP_LOCAL_DOMAIN_NAME: u16 = 65;
/// `rsoo`
pub const RSOO: u16 = 66;
/// `pd-exclude`
pub const PD_EXCLUDE: u16 = 67;
/// `rdnss-selection`
pub const RDNSS_SELECTION: u16 = 74;
/// `client-linklayer-addr`
pub const CLIENT_LINKLAYER_ADDR: u16 = 79;
/// `link-address`
pub const LINK_ADDRESS: u16 = 80;
/// `solmax-rt`
pub const SOLMAX_RT: u16 = 82;
/// `inf-max-rt`
pub const INF_MAX_RT: u16 = 83;
/// `dhcpv4-message`
pub const DHCPV4_MESSAGE: u16 = 87;
/// `dhcp4o6-server-addr`
pub const DHCP4O6_SERVER_ADDR: u16 = 88;
/// `s46-rule` (in `s46-cont-mape-options`)
pub const S46_RULE: u16 = 89;
/// `s46-br` (in `s46-cont-mape-options`)
pub const S46_BR: u16 = 90;
/// `s46-dmr` (in `s46-cont-mapt-options`)
pub const S46_DMR: u16 = 91;
/// `s46-v4v6bind` (in `s46-cont-lw-options`)
pub const S46_V4V6BIND: u16 = 92;
/// `s46-portparams` (in `s46-rule-options`)
pub const S46_PORTPARAMS: u16 = 93;
/// `s46-cont-mape`
pub const S46_CONT_MAPE: u16 = 94;
/// `s46-cont-mapt`
pub const S46_CONT_MAPT: u16 = 95;
/// `s46-cont-lw`
pub const S46_CONT_LW: u16 = 96;
/// `v6-captive-portal`
pub const V6_CAPTIVE_PORTAL: u16 = 103;
/// `relay-source-port`
pub const RELAY_SOURCE_PORT: u16 = 135;
/// `ipv6-address-andsf`
pub const IPV6_ADDRESS_ANDSF: u16 = 143;
/// `public-key`
pub const PUBLIC_KEY: u16 = 701;
/// `certificate`
pub const CERTIFICATE: u16 = 702;
/// `signature`
pub const SIGNATURE: u16 = 703;
/// `timestamp`
pub const TIMESTAMP: u16 = 704;
