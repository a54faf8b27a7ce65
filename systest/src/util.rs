//! Small helpers: commands, polling, temp dirs.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// A process-unique small number (for names).
pub fn next_seq() -> usize {
    SEQ.fetch_add(1, Ordering::SeqCst)
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Finds a program in PATH (plus the sbin folders, which a non-login PATH may lack).
pub fn which(prog: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
        .map(|d| Path::new(d).join(prog))
        .find(|p| p.is_file())
}

/// Runs a command to completion and returns its output (never panics on exit status).
pub fn run<S: AsRef<OsStr>>(prog: &str, args: &[S]) -> Output {
    Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {prog}: {e}"))
}

/// Runs a command and panics with its stderr when it fails; returns stdout.
pub fn must<S: AsRef<OsStr>>(prog: &str, args: &[S]) -> String {
    let out = run(prog, args);
    if !out.status.success() {
        let a: Vec<String> = args
            .iter()
            .map(|s| s.as_ref().to_string_lossy().into_owned())
            .collect();
        panic!(
            "`{prog} {}` failed ({}): {}{}",
            a.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `ip netns exec NS PROG ARGS...` as a Command.
pub fn ns_command(ns: &str, prog: &str) -> Command {
    let mut c = Command::new("ip");
    c.args(["netns", "exec", ns, prog]);
    c.stdin(Stdio::null());
    c
}

/// Polls `f` every 50 ms until it returns Some or the timeout passes.
pub fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends a signal to a pid.
pub fn signal(pid: u32, sig: i32) -> bool {
    // SAFETY: kill(2) with a plain pid and signal number.
    unsafe { libc::kill(pid as libc::pid_t, sig) == 0 }
}

/// A temporary folder removed on drop (kept when XDHCP_SYSTEST_KEEP=1 or when
/// the thread is panicking, so logs of a failed test stay for inspection).
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let path =
            std::env::temp_dir().join(format!("xdt-{}-{}-{tag}", std::process::id(), next_seq()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }
    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn join(&self, p: &str) -> PathBuf {
        self.path.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() || std::env::var("XDHCP_SYSTEST_KEEP").as_deref() == Ok("1") {
            eprintln!("systest: kept {}", self.path.display());
            return;
        }
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Writes an executable shell script.
pub fn write_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, body).expect("write script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod script");
}

/// SIGTERM, then up to 10 s for the process to exit (SIGKILL after); its exit status.
pub fn stop_child(mut child: std::process::Child, name: &str) -> Option<std::process::ExitStatus> {
    signal(child.id(), libc::SIGTERM);
    for _ in 0..200 {
        if let Ok(Some(st)) = child.try_wait() {
            return Some(st);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    eprintln!("systest: {name} ignored SIGTERM for 10 s, killing");
    let _ = child.kill();
    child.wait().ok()
}
