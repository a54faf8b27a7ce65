//! The server DUID (RFC 8415 §11) from `server-id`, kept across restarts the way Kea
//! keeps it: `<data-directory>/kea-dhcp6-serverid` holds the DUID as colon-separated hex
//! (`00:01:00:01:...`). As Kea's DUID factory does, the stored DUID fills in whatever the
//! configuration leaves unset (identifier, time, hardware type, enterprise number) when
//! it is of the configured type; a DUID of another type, or one that contradicts an
//! explicit setting, is replaced and the file rewritten.

use crate::io::iface6::{self, Interface6};
use std::path::{Path, PathBuf};
use xdhcp_config::{Dhcp6Config, DuidType, ServerIdConfig};

/// Kea's server DUID file name.
pub const SERVERID_FILE: &str = "kea-dhcp6-serverid";
/// Where the file goes when neither `data-directory` nor a lease file names a folder.
const DEFAULT_DIR: &str = "/var/lib/xdhcp";
/// DUID-LLT time counts seconds from 2000-01-01 00:00 UTC.
const DUID_EPOCH: u64 = 946_684_800;
/// ISC's enterprise number, Kea's default for DUID-EN.
const ISC_ENTERPRISE: u32 = 2495;
const HTYPE_ETHER: u16 = 1;

/// `<data-directory or the lease file's directory>/kea-dhcp6-serverid`.
pub fn server_id_path(cfg: &Dhcp6Config) -> PathBuf {
    let dir = cfg
        .data_directory
        .clone()
        .or_else(|| {
            cfg.lease_database
                .name
                .as_ref()
                .and_then(|n| n.parent())
                .filter(|p| !p.as_os_str().is_empty())
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DIR));
    dir.join(SERVERID_FILE)
}

/// Colon hex (`00:01:...`), Kea's text form of a DUID.
pub fn to_text(duid: &[u8]) -> String {
    duid.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Parses Kea's DUID text (colon hex; whitespace and line ends ignored).
pub fn from_text(text: &str) -> Option<Vec<u8>> {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() {
        return None;
    }
    let v: Option<Vec<u8>> = t
        .split(':')
        .map(|p| {
            (!p.is_empty() && p.len() <= 2)
                .then(|| u8::from_str_radix(p, 16).ok())
                .flatten()
        })
        .collect();
    v.filter(|d| (3..=130).contains(&d.len()))
}

/// The parts of a DUID, as far as its type is known.
#[derive(Debug, Default, PartialEq, Eq)]
struct Parts {
    kind: Option<DuidType>,
    htype: Option<u16>,
    time: Option<u32>,
    enterprise: Option<u32>,
    identifier: Vec<u8>,
}

fn parts(duid: &[u8]) -> Parts {
    let u16_at = |i: usize| u16::from_be_bytes([duid[i], duid[i + 1]]);
    let u32_at = |i: usize| u32::from_be_bytes([duid[i], duid[i + 1], duid[i + 2], duid[i + 3]]);
    if duid.len() < 2 {
        return Parts::default();
    }
    match u16_at(0) {
        1 if duid.len() > 8 => Parts {
            kind: Some(DuidType::Llt),
            htype: Some(u16_at(2)),
            time: Some(u32_at(4)),
            enterprise: None,
            identifier: duid[8..].to_vec(),
        },
        2 if duid.len() > 6 => Parts {
            kind: Some(DuidType::En),
            htype: None,
            time: None,
            enterprise: Some(u32_at(2)),
            identifier: duid[6..].to_vec(),
        },
        3 if duid.len() > 4 => Parts {
            kind: Some(DuidType::Ll),
            htype: Some(u16_at(2)),
            time: None,
            enterprise: None,
            identifier: duid[4..].to_vec(),
        },
        _ => Parts::default(),
    }
}

/// Builds the DUID from `server-id`, with `stored` (the file's DUID) filling in what the
/// configuration leaves unset when it is of the same type. `now` is Unix seconds;
/// `pick_mac` supplies a link-layer address when neither gives one.
fn build(
    sid: &ServerIdConfig,
    stored: Option<&[u8]>,
    now: u64,
    pick_mac: impl FnOnce() -> (u16, Vec<u8>),
) -> Vec<u8> {
    let old = stored.map(parts).unwrap_or_default();
    let same = old.kind == Some(sid.kind);
    let old_id = (same && !old.identifier.is_empty()).then_some(old.identifier);
    let mut duid = Vec::with_capacity(20);
    match sid.kind {
        DuidType::Llt | DuidType::Ll => {
            let (htype, ll) = match (&sid.identifier, old_id) {
                (Some(id), _) => (sid.htype.unwrap_or(HTYPE_ETHER), id.clone()),
                (None, Some(id)) => (
                    sid.htype
                        .or(old.htype.filter(|_| same))
                        .unwrap_or(HTYPE_ETHER),
                    id,
                ),
                (None, None) => {
                    let (h, mac) = pick_mac();
                    (sid.htype.unwrap_or(h), mac)
                }
            };
            if sid.kind == DuidType::Llt {
                let time = sid
                    .time
                    .or(old.time.filter(|_| same))
                    .unwrap_or(now.saturating_sub(DUID_EPOCH) as u32);
                duid.extend_from_slice(&1u16.to_be_bytes());
                duid.extend_from_slice(&htype.to_be_bytes());
                duid.extend_from_slice(&time.to_be_bytes());
            } else {
                duid.extend_from_slice(&3u16.to_be_bytes());
                duid.extend_from_slice(&htype.to_be_bytes());
            }
            duid.extend_from_slice(&ll);
        }
        DuidType::En => {
            let enterprise = sid
                .enterprise_id
                .or(old.enterprise.filter(|_| same))
                .unwrap_or(ISC_ENTERPRISE);
            let id = sid
                .identifier
                .clone()
                .or(old_id)
                .unwrap_or_else(|| random_bytes(6));
            duid.extend_from_slice(&2u16.to_be_bytes());
            duid.extend_from_slice(&enterprise.to_be_bytes());
            duid.extend_from_slice(&id);
        }
    }
    duid
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    // SAFETY: getrandom writes at most `n` bytes into the buffer we own.
    let got = unsafe { libc::getrandom(v.as_mut_ptr().cast(), n, 0) };
    if got != n as isize {
        // Not expected on Linux; the time and pid still make it unlikely to collide.
        let seed = crate::daemon::unix_now() ^ (u64::from(std::process::id()) << 32);
        for (i, b) in v.iter_mut().enumerate() {
            *b = (seed >> ((i % 8) * 8)) as u8 ^ (i as u8).wrapping_mul(0x9d);
        }
    }
    v
}

/// The hardware address for DUID-LLT/LL: the first configured interface with a real
/// MAC, else any other non-loopback one (lowest index), else a random local MAC.
fn pick_mac(cfg: &Dhcp6Config) -> (u16, Vec<u8>) {
    let ifaces = iface6::list().unwrap_or_default();
    let usable = |i: &&Interface6| !i.loopback && i.mac != [0; 6];
    let named = cfg
        .interfaces
        .iter()
        .filter_map(|s| ifaces.values().filter(usable).find(|i| i.name == s.name));
    if let Some(i) = named.chain(ifaces.values().filter(usable)).next() {
        return (HTYPE_ETHER, i.mac.to_vec());
    }
    let mut mac = random_bytes(6);
    mac[0] = (mac[0] & 0xfe) | 0x02;
    (HTYPE_ETHER, mac)
}

/// The server DUID for this configuration: built from `server-id`, reusing and updating
/// the stored one when `persist` is on. Returns the DUID and a note for the log.
pub fn server_duid(cfg: &Dhcp6Config, now: u64) -> (Vec<u8>, String) {
    let sid = &cfg.server_id;
    if !sid.persist {
        let duid = build(sid, None, now, || pick_mac(cfg));
        return (duid, "not stored (server-id/persist: false)".into());
    }
    let path = server_id_path(cfg);
    let stored = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| from_text(&t));
    let duid = build(sid, stored.as_deref(), now, || pick_mac(cfg));
    if stored.as_deref() == Some(&duid[..]) {
        return (duid, format!("from {}", path.display()));
    }
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&path, format!("{}\n", to_text(&duid))));
    let note = match written {
        Ok(()) => format!("generated, stored in {}", path.display()),
        Err(e) => {
            log::warn!(
                "cannot store the server DUID in {}: {e}; it changes at the next start",
                path.display()
            );
            "generated, not stored".into()
        }
    };
    (duid, note)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [2, 0, 0, 0, 0, 9];
    const NOW: u64 = DUID_EPOCH + 0x1234_5678;

    fn mac() -> (u16, Vec<u8>) {
        (HTYPE_ETHER, MAC.to_vec())
    }

    fn sid(kind: DuidType) -> ServerIdConfig {
        ServerIdConfig {
            kind,
            ..ServerIdConfig::default()
        }
    }

    #[test]
    fn llt_layout_follows_rfc_8415() {
        let d = build(&sid(DuidType::Llt), None, NOW, mac);
        assert_eq!(d, [0, 1, 0, 1, 0x12, 0x34, 0x56, 0x78, 2, 0, 0, 0, 0, 9]);
    }

    #[test]
    fn ll_and_en_layouts() {
        assert_eq!(
            build(&sid(DuidType::Ll), None, NOW, mac),
            [0, 3, 0, 1, 2, 0, 0, 0, 0, 9]
        );
        let mut s = sid(DuidType::En);
        s.identifier = Some(vec![0xab, 0xcd]);
        assert_eq!(
            build(&s, None, NOW, mac),
            [0, 2, 0, 0, 0x09, 0xbf, 0xab, 0xcd]
        );
        s.enterprise_id = Some(7);
        assert_eq!(build(&s, None, NOW, mac), [0, 2, 0, 0, 0, 7, 0xab, 0xcd]);
        // No identifier: six random bytes.
        assert_eq!(build(&sid(DuidType::En), None, NOW, mac).len(), 12);
    }

    #[test]
    fn stored_duid_of_the_same_type_is_reused() {
        let stored = [0, 1, 0, 1, 0, 0, 0, 5, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff];
        let d = build(&sid(DuidType::Llt), Some(&stored), NOW + 100, || {
            panic!("no MAC lookup when the stored DUID has one")
        });
        assert_eq!(d, stored);
        // An explicit time overrides the stored one, the rest is kept.
        let mut s = sid(DuidType::Llt);
        s.time = Some(9);
        let d = build(&s, Some(&stored), NOW, mac);
        assert_eq!(&d[4..8], &[0, 0, 0, 9]);
        assert_eq!(&d[8..], &stored[8..]);
        // Another type: a fresh DUID.
        let d = build(&sid(DuidType::Ll), Some(&stored), NOW, mac);
        assert_eq!(d, [0, 3, 0, 1, 2, 0, 0, 0, 0, 9]);
    }

    #[test]
    fn text_round_trip() {
        let d = vec![0, 1, 0, 1, 0x2a, 0xff, 0, 1, 2, 3];
        assert_eq!(to_text(&d), "00:01:00:01:2a:ff:00:01:02:03");
        assert_eq!(from_text(&format!("{}\n", to_text(&d))), Some(d));
        assert_eq!(from_text("zz:01:02"), None);
        assert_eq!(from_text(""), None);
    }

    #[test]
    fn persisted_across_calls() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = Dhcp6Config {
            data_directory: Some(dir.path().to_path_buf()),
            ..Dhcp6Config::default()
        };
        let (a, _) = server_duid(&cfg, NOW);
        let text = std::fs::read_to_string(dir.path().join(SERVERID_FILE)).unwrap();
        assert_eq!(from_text(&text).as_deref(), Some(&a[..]));
        let (b, note) = server_duid(&cfg, NOW + 1000);
        assert_eq!(a, b);
        assert!(note.starts_with("from "), "{note}");
    }
}
