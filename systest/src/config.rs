//! Builds Kea-syntax `{"Dhcp4": {...}}` configurations, understood by both
//! xdhcpd and kea-dhcp4.

use std::fmt::Write;

#[derive(Clone, Debug)]
pub struct Subnet {
    pub id: u32,
    pub subnet: String,
    pub pools: Vec<String>,
    pub interface: Option<String>,
    pub relay_addresses: Vec<String>,
    /// (hw-address, ip-address)
    pub reservations: Vec<(String, String)>,
    /// (name, data)
    pub option_data: Vec<(String, String)>,
}

impl Subnet {
    pub fn new(id: u32, subnet: &str) -> Subnet {
        Subnet {
            id,
            subnet: subnet.to_string(),
            pools: Vec::new(),
            interface: None,
            relay_addresses: Vec::new(),
            reservations: Vec::new(),
            option_data: Vec::new(),
        }
    }
    /// Adds a pool, written as `"first - last"`.
    pub fn pool(mut self, first: &str, last: &str) -> Subnet {
        self.pools.push(format!("{first} - {last}"));
        self
    }
    pub fn interface(mut self, ifname: &str) -> Subnet {
        self.interface = Some(ifname.to_string());
        self
    }
    pub fn relay(mut self, addr: &str) -> Subnet {
        self.relay_addresses.push(addr.to_string());
        self
    }
    pub fn reservation(mut self, hw: &str, ip: &str) -> Subnet {
        self.reservations.push((hw.to_string(), ip.to_string()));
        self
    }
    pub fn option(mut self, name: &str, data: &str) -> Subnet {
        self.option_data.push((name.to_string(), data.to_string()));
        self
    }
}

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub interfaces: Vec<String>,
    pub valid_lifetime: u32,
    pub renew_timer: Option<u32>,
    pub rebind_timer: Option<u32>,
    pub subnets: Vec<Subnet>,
    /// `dhcp-socket-type` (`raw`, the default, or `udp`).
    pub socket_type: Option<String>,
    /// xdhcpd's top-level `xdhcp` map, as raw JSON (e.g. `{ "io-mode": "xdp" }`).
    pub xdhcp: Option<String>,
    /// `lease-database.lfc-interval` (seconds); Kea's default when `None`.
    pub lfc_interval: Option<u32>,
}

impl ServerConfig {
    pub fn new(interfaces: &[&str]) -> ServerConfig {
        ServerConfig {
            interfaces: interfaces.iter().map(|s| s.to_string()).collect(),
            valid_lifetime: 3600,
            renew_timer: None,
            rebind_timer: None,
            subnets: Vec::new(),
            socket_type: None,
            xdhcp: None,
            lfc_interval: None,
        }
    }
    /// Sets `lease-database.lfc-interval` (lease file cleanup / compaction, seconds).
    pub fn lfc_interval(mut self, secs: u32) -> ServerConfig {
        self.lfc_interval = Some(secs);
        self
    }
    /// Sets xdhcpd's top-level `xdhcp` map (raw JSON); only xdhcpd understands it.
    pub fn xdhcp(mut self, map: &str) -> ServerConfig {
        self.xdhcp = Some(map.to_string());
        self
    }
    pub fn socket_type(mut self, t: &str) -> ServerConfig {
        self.socket_type = Some(t.to_string());
        self
    }
    pub fn lifetimes(mut self, valid: u32, renew: u32, rebind: u32) -> ServerConfig {
        self.valid_lifetime = valid;
        self.renew_timer = Some(renew);
        self.rebind_timer = Some(rebind);
        self
    }
    pub fn subnet(mut self, s: Subnet) -> ServerConfig {
        self.subnets.push(s);
        self
    }

    /// Renders the JSON. `lease_file` is the memfile `name`; `extra` is raw
    /// JSON members (each `"key": value`) appended inside `Dhcp4`.
    pub fn render(&self, lease_file: &str, extra: &[String]) -> String {
        let mut o = String::new();
        o.push_str("{\n  \"Dhcp4\": {\n");
        let socket_type = match &self.socket_type {
            Some(t) => format!(", \"dhcp-socket-type\": {}", q(t)),
            None => String::new(),
        };
        let _ = writeln!(
            o,
            "    \"interfaces-config\": {{ \"interfaces\": [{}]{socket_type} }},",
            list(&self.interfaces)
        );
        let lfc = match self.lfc_interval {
            Some(n) => format!(", \"lfc-interval\": {n}"),
            None => String::new(),
        };
        let _ = writeln!(
            o,
            "    \"lease-database\": {{ \"type\": \"memfile\", \"name\": {}, \"persist\": true{lfc} }},",
            q(lease_file)
        );
        let _ = writeln!(o, "    \"valid-lifetime\": {},", self.valid_lifetime);
        if let Some(t) = self.renew_timer {
            let _ = writeln!(o, "    \"renew-timer\": {t},");
        }
        if let Some(t) = self.rebind_timer {
            let _ = writeln!(o, "    \"rebind-timer\": {t},");
        }
        for e in extra {
            let _ = writeln!(o, "    {e},");
        }
        o.push_str("    \"subnet4\": [\n");
        let subs: Vec<String> = self.subnets.iter().map(render_subnet).collect();
        o.push_str(&subs.join(",\n"));
        o.push_str("\n    ]\n  }");
        if let Some(x) = &self.xdhcp {
            let _ = write!(o, ",\n  \"xdhcp\": {x}");
        }
        o.push_str("\n}\n");
        o
    }
}

fn render_subnet(s: &Subnet) -> String {
    let mut m = vec![
        format!("\"id\": {}", s.id),
        format!("\"subnet\": {}", q(&s.subnet)),
    ];
    let pools: Vec<String> = s
        .pools
        .iter()
        .map(|p| format!("{{ \"pool\": {} }}", q(p)))
        .collect();
    m.push(format!("\"pools\": [{}]", pools.join(", ")));
    if let Some(i) = &s.interface {
        m.push(format!("\"interface\": {}", q(i)));
    }
    if !s.relay_addresses.is_empty() {
        m.push(format!(
            "\"relay\": {{ \"ip-addresses\": [{}] }}",
            list(&s.relay_addresses)
        ));
    }
    if !s.reservations.is_empty() {
        let r: Vec<String> = s
            .reservations
            .iter()
            .map(|(hw, ip)| format!("{{ \"hw-address\": {}, \"ip-address\": {} }}", q(hw), q(ip)))
            .collect();
        m.push(format!("\"reservations\": [{}]", r.join(", ")));
    }
    if !s.option_data.is_empty() {
        let r: Vec<String> = s
            .option_data
            .iter()
            .map(|(n, d)| format!("{{ \"name\": {}, \"data\": {} }}", q(n), q(d)))
            .collect();
        m.push(format!("\"option-data\": [{}]", r.join(", ")));
    }
    format!("      {{ {} }}", m.join(", "))
}

/// JSON string literal.
pub fn q(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn list(v: &[String]) -> String {
    v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_kea_syntax() {
        let c = ServerConfig::new(&["vs"]).lifetimes(30, 4, 8).subnet(
            Subnet::new(1, "192.0.2.0/24")
                .pool("192.0.2.100", "192.0.2.199")
                .interface("vs")
                .relay("198.51.100.1")
                .reservation("02:00:00:00:00:01", "192.0.2.50")
                .option("routers", "192.0.2.1"),
        );
        let j = c.render("/tmp/x/leases4.csv", &[]);
        assert!(j.contains("\"pool\": \"192.0.2.100 - 192.0.2.199\""));
        assert!(j.contains("\"relay\": { \"ip-addresses\": [\"198.51.100.1\"] }"));
        assert!(j.contains("\"renew-timer\": 4,"));
        assert!(j.contains("\"name\": \"/tmp/x/leases4.csv\""));
        assert_eq!(q("a\"b"), "\"a\\\"b\"");
    }
}
