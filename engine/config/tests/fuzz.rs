//! Fuzz-ish robustness test (std only): random, truncated and mutated inputs
//! must never panic — they either load or give a ConfigError with a position.

use std::path::Path;

use xdhcp_config::load_str;

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn corpus() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut out = Vec::new();
    for sub in ["kea4", "kea14", "kea6", "broken"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "json") {
                out.push(std::fs::read_to_string(p).unwrap());
            }
        }
    }
    out.sort();
    out
}

fn check(text: &str) {
    if let Err(e) = load_str(text, "fuzz.json") {
        // Errors must render and carry a plausible position.
        let s = e.to_string();
        assert!(s.starts_with("fuzz.json:"), "{s}");
        assert!(!e.message.is_empty());
    }
}

#[test]
fn truncations_never_panic() {
    for text in corpus() {
        let chars: Vec<char> = text.chars().collect();
        for cut in 0..chars.len() {
            let t: String = chars[..cut].iter().collect();
            check(&t);
        }
    }
}

const PIECES: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "\\",
    "/",
    "*",
    "#",
    "\n",
    " ",
    "0",
    "-1",
    "1e400",
    "99999999999999999999",
    "true",
    "null",
    "\"Dhcp4\"",
    "\"subnet4\"",
    "\"pool\"",
    "\"10.0.0.1\"",
    "\"10.0.0.0/8\"",
    "\"a - b\"",
    "<?include \"x\"?>",
    "/*",
    "*/",
    "//",
    "\\u12",
    "\u{e9}",
    "\t",
    "\"id\"",
    "0",
    "4294967295",
    "\"hw-address\"",
    "\"data\"",
    "\"'x'\"",
    "\"0xzz\"",
];

#[test]
fn mutations_never_panic() {
    let corpus = corpus();
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for round in 0..6000 {
        let base = &corpus[round % corpus.len()];
        let mut chars: Vec<char> = base.chars().collect();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(chars.len() + 1);
            match rng.below(3) {
                0 if at < chars.len() => {
                    chars.remove(at);
                }
                1 => {
                    let piece = PIECES[rng.below(PIECES.len())];
                    for (n, c) in piece.chars().enumerate() {
                        chars.insert(at + n, c);
                    }
                }
                _ if at < chars.len() => {
                    let piece = PIECES[rng.below(PIECES.len())];
                    chars[at] = piece.chars().next().unwrap_or('x');
                }
                _ => {}
            }
        }
        let t: String = chars.into_iter().collect();
        check(&t);
    }
}

#[test]
fn random_inputs_never_panic() {
    let mut rng = XorShift(0x1234_5678_9abc_def1);
    for _ in 0..3000 {
        let len = rng.below(200);
        // Random token soup.
        let mut s = String::new();
        for _ in 0..len {
            s.push_str(PIECES[rng.below(PIECES.len())]);
        }
        check(&s);
        // Random bytes (lossily decoded).
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        check(&String::from_utf8_lossy(&bytes));
    }
    // Pathological nesting.
    check(&"[".repeat(100_000));
    check(&"{\"a\":".repeat(50_000));
    check(&format!("{{\"Dhcp4\":{}}}", "[".repeat(1000)));
}
