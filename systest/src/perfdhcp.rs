//! perfdhcp (-4) runner and output parser. perfdhcp -4 always acts as a relay:
//! its namespace needs an address (the giaddr) and a route to the server, and
//! it binds port 67 itself, so it never shares the server's namespace.

use crate::util::ns_command;
use std::process::Output;

#[derive(Clone, Debug)]
pub struct Perfdhcp {
    pub ns: String,
    /// `-l`: local address (the relay address) or interface.
    pub local: String,
    pub server: String,
    pub rate: u32,
    /// `-p` seconds.
    pub period: u32,
    /// `-n` exchanges.
    pub num: u32,
    /// `-R` clients.
    pub clients: u32,
    /// `-W`: after the last exchange, wait this long (µs) for late replies.
    pub exit_wait_us: u32,
    pub extra: Vec<String>,
}

impl Perfdhcp {
    pub fn new(ns: &str, local: &str, server: &str) -> Perfdhcp {
        Perfdhcp {
            ns: ns.to_string(),
            local: local.to_string(),
            server: server.to_string(),
            rate: 10,
            period: 5,
            num: 10,
            clients: 10,
            exit_wait_us: 1_000_000,
            extra: Vec::new(),
        }
    }

    pub fn args(&self) -> Vec<String> {
        let mut a: Vec<String> = vec![
            "-4".into(),
            "-g".into(),
            "single".into(),
            "-l".into(),
            self.local.clone(),
            "-r".into(),
            self.rate.to_string(),
            "-p".into(),
            self.period.to_string(),
            "-n".into(),
            self.num.to_string(),
            "-R".into(),
            self.clients.to_string(),
            "-W".into(),
            self.exit_wait_us.to_string(),
        ];
        a.extend(self.extra.iter().cloned());
        a.push(self.server.clone());
        a
    }

    /// Runs perfdhcp, hard-bounded by `timeout` (period + 30 s).
    pub fn run(&self) -> PerfResult {
        let t = (self.period + 30).to_string();
        let out: Output = ns_command(&self.ns, "timeout")
            .arg(&t)
            .arg("perfdhcp")
            .args(self.args())
            .output()
            .expect("run perfdhcp");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let mut r = PerfResult::parse(&text);
        r.exit_code = out.status.code();
        r
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exchange {
    pub name: String,
    pub sent: u64,
    pub received: u64,
    pub drops: u64,
    pub orphans: u64,
}

#[derive(Clone, Debug, Default)]
pub struct PerfResult {
    pub exchanges: Vec<Exchange>,
    pub output: String,
    pub exit_code: Option<i32>,
}

impl PerfResult {
    /// Parses the `***Statistics for: X***` blocks.
    pub fn parse(text: &str) -> PerfResult {
        let mut ex: Vec<Exchange> = Vec::new();
        for line in text.lines() {
            let l = line.trim();
            if let Some(n) = l.strip_prefix("***Statistics for:") {
                ex.push(Exchange {
                    name: n.trim().trim_end_matches('*').trim().to_string(),
                    ..Default::default()
                });
                continue;
            }
            let Some(cur) = ex.last_mut() else { continue };
            let Some((k, v)) = l.split_once(':') else {
                continue;
            };
            let Ok(v) = v.trim().parse::<u64>() else {
                continue;
            };
            match k.trim() {
                "sent packets" => cur.sent = v,
                "received packets" => cur.received = v,
                "drops" => cur.drops = v,
                "orphans" => cur.orphans = v,
                _ => {}
            }
        }
        PerfResult {
            exchanges: ex,
            output: text.to_string(),
            exit_code: None,
        }
    }

    pub fn exchange(&self, name: &str) -> Option<&Exchange> {
        self.exchanges.iter().find(|e| e.name == name)
    }
    pub fn discover_offer(&self) -> Exchange {
        self.exchange("DISCOVER-OFFER").cloned().unwrap_or_else(|| {
            panic!(
                "perfdhcp printed no DISCOVER-OFFER statistics:\n{}",
                self.output
            )
        })
    }
    pub fn request_ack(&self) -> Exchange {
        self.exchange("REQUEST-ACK").cloned().unwrap_or_else(|| {
            panic!(
                "perfdhcp printed no REQUEST-ACK statistics:\n{}",
                self.output
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_report() {
        let t = "Running: perfdhcp -4\n***Rate statistics***\nRate: 999.1 4-way exchanges/second, expected rate: 1000\n\n\
                 ***Statistics for: DISCOVER-OFFER***\nsent packets: 10000\nreceived packets: 9990\ndrops: 10\ndrops ratio: 0.1 %\norphans: 0\nrejected leases: 0\n\n\
                 ***Statistics for: REQUEST-ACK***\nsent packets: 9990\nreceived packets: 9990\ndrops: 0\norphans: 1\n";
        let r = PerfResult::parse(t);
        assert_eq!(
            r.discover_offer(),
            Exchange {
                name: "DISCOVER-OFFER".into(),
                sent: 10000,
                received: 9990,
                drops: 10,
                orphans: 0
            }
        );
        assert_eq!(r.request_ack().orphans, 1);
    }
}
