//! DHCPv4 option codes (RFC 2132 and later), named after Kea 1.4's option
//! definitions (generated from the defs table), plus a few short aliases.

/// Pad (RFC 2132 §3.1): one byte, no length.
pub const PAD: u8 = 0;
/// End (RFC 2132 §3.2): one byte, terminates an option area.
pub const END: u8 = 255;
/// `subnet-mask`
pub const SUBNET_MASK: u8 = 1;
/// `time-offset`
pub const TIME_OFFSET: u8 = 2;
/// `routers`
pub const ROUTERS: u8 = 3;
/// `time-servers`
pub const TIME_SERVERS: u8 = 4;
/// `name-servers`
pub const NAME_SERVERS: u8 = 5;
/// `domain-name-servers`
pub const DOMAIN_NAME_SERVERS: u8 = 6;
/// `log-servers`
pub const LOG_SERVERS: u8 = 7;
/// `cookie-servers`
pub const COOKIE_SERVERS: u8 = 8;
/// `lpr-servers`
pub const LPR_SERVERS: u8 = 9;
/// `impress-servers`
pub const IMPRESS_SERVERS: u8 = 10;
/// `resource-location-servers`
pub const RESOURCE_LOCATION_SERVERS: u8 = 11;
/// `host-name`
pub const HOST_NAME: u8 = 12;
/// `boot-size`
pub const BOOT_SIZE: u8 = 13;
/// `merit-dump`
pub const MERIT_DUMP: u8 = 14;
/// `domain-name`
pub const DOMAIN_NAME: u8 = 15;
/// `swap-server`
pub const SWAP_SERVER: u8 = 16;
/// `root-path`
pub const ROOT_PATH: u8 = 17;
/// `extensions-path`
pub const EXTENSIONS_PATH: u8 = 18;
/// `ip-forwarding`
pub const IP_FORWARDING: u8 = 19;
/// `non-local-source-routing`
pub const NON_LOCAL_SOURCE_ROUTING: u8 = 20;
/// `policy-filter`
pub const POLICY_FILTER: u8 = 21;
/// `max-dgram-reassembly`
pub const MAX_DGRAM_REASSEMBLY: u8 = 22;
/// `default-ip-ttl`
pub const DEFAULT_IP_TTL: u8 = 23;
/// `path-mtu-aging-timeout`
pub const PATH_MTU_AGING_TIMEOUT: u8 = 24;
/// `path-mtu-plateau-table`
pub const PATH_MTU_PLATEAU_TABLE: u8 = 25;
/// `interface-mtu`
pub const INTERFACE_MTU: u8 = 26;
/// `all-subnets-local`
pub const ALL_SUBNETS_LOCAL: u8 = 27;
/// `broadcast-address`
pub const BROADCAST_ADDRESS: u8 = 28;
/// `perform-mask-discovery`
pub const PERFORM_MASK_DISCOVERY: u8 = 29;
/// `mask-supplier`
pub const MASK_SUPPLIER: u8 = 30;
/// `router-discovery`
pub const ROUTER_DISCOVERY: u8 = 31;
/// `router-solicitation-address`
pub const ROUTER_SOLICITATION_ADDRESS: u8 = 32;
/// `static-routes`
pub const STATIC_ROUTES: u8 = 33;
/// `trailer-encapsulation`
pub const TRAILER_ENCAPSULATION: u8 = 34;
/// `arp-cache-timeout`
pub const ARP_CACHE_TIMEOUT: u8 = 35;
/// `ieee802-3-encapsulation`
pub const IEEE802_3_ENCAPSULATION: u8 = 36;
/// `default-tcp-ttl`
pub const DEFAULT_TCP_TTL: u8 = 37;
/// `tcp-keepalive-interval`
pub const TCP_KEEPALIVE_INTERVAL: u8 = 38;
/// `tcp-keepalive-garbage`
pub const TCP_KEEPALIVE_GARBAGE: u8 = 39;
/// `nis-domain`
pub const NIS_DOMAIN: u8 = 40;
/// `nis-servers`
pub const NIS_SERVERS: u8 = 41;
/// `ntp-servers`
pub const NTP_SERVERS: u8 = 42;
/// `netbios-name-servers`
pub const NETBIOS_NAME_SERVERS: u8 = 44;
/// `netbios-dd-server`
pub const NETBIOS_DD_SERVER: u8 = 45;
/// `netbios-node-type`
pub const NETBIOS_NODE_TYPE: u8 = 46;
/// `netbios-scope`
pub const NETBIOS_SCOPE: u8 = 47;
/// `font-servers`
pub const FONT_SERVERS: u8 = 48;
/// `x-display-manager`
pub const X_DISPLAY_MANAGER: u8 = 49;
/// `dhcp-requested-address`
pub const DHCP_REQUESTED_ADDRESS: u8 = 50;
/// `dhcp-lease-time`
pub const DHCP_LEASE_TIME: u8 = 51;
/// `dhcp-option-overload`
pub const DHCP_OPTION_OVERLOAD: u8 = 52;
/// `dhcp-message-type`
pub const DHCP_MESSAGE_TYPE: u8 = 53;
/// `dhcp-server-identifier`
pub const DHCP_SERVER_IDENTIFIER: u8 = 54;
/// `dhcp-parameter-request-list`
pub const DHCP_PARAMETER_REQUEST_LIST: u8 = 55;
/// `dhcp-message`
pub const DHCP_MESSAGE: u8 = 56;
/// `dhcp-max-message-size`
pub const DHCP_MAX_MESSAGE_SIZE: u8 = 57;
/// `dhcp-renewal-time`
pub const DHCP_RENEWAL_TIME: u8 = 58;
/// `dhcp-rebinding-time`
pub const DHCP_REBINDING_TIME: u8 = 59;
/// `vendor-class-identifier`
pub const VENDOR_CLASS_IDENTIFIER: u8 = 60;
/// `dhcp-client-identifier`
pub const DHCP_CLIENT_IDENTIFIER: u8 = 61;
/// `nwip-domain-name`
pub const NWIP_DOMAIN_NAME: u8 = 62;
/// `nwip-suboptions`
pub const NWIP_SUBOPTIONS: u8 = 63;
/// `nisplus-domain-name`
pub const NISPLUS_DOMAIN_NAME: u8 = 64;
/// `nisplus-servers`
pub const NISPLUS_SERVERS: u8 = 65;
/// `tftp-server-name`
pub const TFTP_SERVER_NAME: u8 = 66;
/// `boot-file-name`
pub const BOOT_FILE_NAME: u8 = 67;
/// `mobile-ip-home-agent`
pub const MOBILE_IP_HOME_AGENT: u8 = 68;
/// `smtp-server`
pub const SMTP_SERVER: u8 = 69;
/// `pop-server`
pub const POP_SERVER: u8 = 70;
/// `nntp-server`
pub const NNTP_SERVER: u8 = 71;
/// `www-server`
pub const WWW_SERVER: u8 = 72;
/// `finger-server`
pub const FINGER_SERVER: u8 = 73;
/// `irc-server`
pub const IRC_SERVER: u8 = 74;
/// `streettalk-server`
pub const STREETTALK_SERVER: u8 = 75;
/// `streettalk-directory-assistance-server`
pub const STREETTALK_DIRECTORY_ASSISTANCE_SERVER: u8 = 76;
/// `user-class`
pub const USER_CLASS: u8 = 77;
/// `slp-directory-agent`
pub const SLP_DIRECTORY_AGENT: u8 = 78;
/// `slp-service-scope`
pub const SLP_SERVICE_SCOPE: u8 = 79;
/// `fqdn`
pub const FQDN: u8 = 81;
/// `dhcp-agent-options`
pub const DHCP_AGENT_OPTIONS: u8 = 82;
/// `nds-servers`
pub const NDS_SERVERS: u8 = 85;
/// `nds-tree-name`
pub const NDS_TREE_NAME: u8 = 86;
/// `nds-context`
pub const NDS_CONTEXT: u8 = 87;
/// `bcms-controller-names`
pub const BCMS_CONTROLLER_NAMES: u8 = 88;
/// `bcms-controller-address`
pub const BCMS_CONTROLLER_ADDRESS: u8 = 89;
/// `authenticate`
pub const AUTHENTICATE: u8 = 90;
/// `client-last-transaction-time`
pub const CLIENT_LAST_TRANSACTION_TIME: u8 = 91;
/// `associated-ip`
pub const ASSOCIATED_IP: u8 = 92;
/// `client-system`
pub const CLIENT_SYSTEM: u8 = 93;
/// `client-ndi`
pub const CLIENT_NDI: u8 = 94;
/// `uuid-guid`
pub const UUID_GUID: u8 = 97;
/// `uap-servers`
pub const UAP_SERVERS: u8 = 98;
/// `geoconf-civic`
pub const GEOCONF_CIVIC: u8 = 99;
/// `pcode`
pub const PCODE: u8 = 100;
/// `tcode`
pub const TCODE: u8 = 101;
/// `netinfo-server-address`
pub const NETINFO_SERVER_ADDRESS: u8 = 112;
/// `netinfo-server-tag`
pub const NETINFO_SERVER_TAG: u8 = 113;
/// `default-url`
pub const DEFAULT_URL: u8 = 114;
/// `auto-config`
pub const AUTO_CONFIG: u8 = 116;
/// `name-service-search`
pub const NAME_SERVICE_SEARCH: u8 = 117;
/// `subnet-selection`
pub const SUBNET_SELECTION: u8 = 118;
/// `domain-search`
pub const DOMAIN_SEARCH: u8 = 119;
/// `vivco-suboptions`
pub const VIVCO_SUBOPTIONS: u8 = 124;
/// `vivso-suboptions`
pub const VIVSO_SUBOPTIONS: u8 = 125;
/// `pana-agent`
pub const PANA_AGENT: u8 = 136;
/// `v4-lost`
pub const V4_LOST: u8 = 137;
/// `capwap-ac-v4`
pub const CAPWAP_AC_V4: u8 = 138;
/// `sip-ua-cs-domains`
pub const SIP_UA_CS_DOMAINS: u8 = 141;
/// `rdnss-selection`
pub const RDNSS_SELECTION: u8 = 146;
/// `v4-portparams`
pub const V4_PORTPARAMS: u8 = 159;
/// `v4-captive-portal`
pub const V4_CAPTIVE_PORTAL: u8 = 160;
/// `option-6rd`
pub const OPTION_6RD: u8 = 212;
/// `v4-access-domain`
pub const V4_ACCESS_DOMAIN: u8 = 213;
/// `vendor-encapsulated-options`
pub const VENDOR_ENCAPSULATED_OPTIONS: u8 = 43;

/// Rapid commit (RFC 4039); not in Kea 1.4's table.
pub const RAPID_COMMIT: u8 = 80;
/// Classless static route (RFC 3442); not in Kea 1.4's table.
pub const CLASSLESS_STATIC_ROUTE: u8 = 121;

// Short aliases for the options the server touches on every packet.
/// Alias of [`DHCP_REQUESTED_ADDRESS`].
pub const REQUESTED_IP: u8 = DHCP_REQUESTED_ADDRESS;
/// Alias of [`DHCP_LEASE_TIME`].
pub const LEASE_TIME: u8 = DHCP_LEASE_TIME;
/// Alias of [`DHCP_OPTION_OVERLOAD`].
pub const OVERLOAD: u8 = DHCP_OPTION_OVERLOAD;
/// Alias of [`DHCP_MESSAGE_TYPE`].
pub const MESSAGE_TYPE: u8 = DHCP_MESSAGE_TYPE;
/// Alias of [`DHCP_SERVER_IDENTIFIER`].
pub const SERVER_ID: u8 = DHCP_SERVER_IDENTIFIER;
/// Alias of [`DHCP_PARAMETER_REQUEST_LIST`].
pub const PARAMETER_REQUEST_LIST: u8 = DHCP_PARAMETER_REQUEST_LIST;
/// Alias of [`DHCP_MESSAGE`].
pub const MESSAGE: u8 = DHCP_MESSAGE;
/// Alias of [`DHCP_MAX_MESSAGE_SIZE`].
pub const MAX_MESSAGE_SIZE: u8 = DHCP_MAX_MESSAGE_SIZE;
/// Alias of [`DHCP_RENEWAL_TIME`].
pub const RENEWAL_TIME: u8 = DHCP_RENEWAL_TIME;
/// Alias of [`DHCP_REBINDING_TIME`].
pub const REBINDING_TIME: u8 = DHCP_REBINDING_TIME;
/// Alias of [`DHCP_CLIENT_IDENTIFIER`].
pub const CLIENT_ID: u8 = DHCP_CLIENT_IDENTIFIER;
/// Alias of [`DHCP_AGENT_OPTIONS`] (RFC 3046).
pub const RELAY_AGENT_INFO: u8 = DHCP_AGENT_OPTIONS;
/// Alias of [`VENDOR_CLASS_IDENTIFIER`].
pub const VENDOR_CLASS: u8 = VENDOR_CLASS_IDENTIFIER;
