//! redis-server processes of a test's own, on free loopback ports: stopped, paused, killed and restarted as
//! production Redis can be, without touching the shared one.

use std::io::Write;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// How the server keeps its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// AOF with `appendfsync always`: a SIGTERM loses nothing.
    AppendEveryWrite,
    /// No AOF; an RDB file only when the test says `SAVE` (and loaded again at start).
    SnapshotsOnly,
}

/// A redis-server of this test's own.
pub struct OwnRedis {
    pub port: u16,
    dir: tempfile::TempDir,
    persistence: Persistence,
    child: Option<Child>,
}

impl OwnRedis {
    /// `None` (after saying so) when there is no redis-server to run.
    pub fn start(persistence: Persistence) -> Option<OwnRedis> {
        let mut redis = OwnRedis {
            port: free_port(),
            dir: tempfile::tempdir().expect("dir"),
            persistence,
            child: None,
        };
        redis.spawn().then_some(redis)
    }

    pub fn spawn(&mut self) -> bool {
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", ""])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null());
        match self.persistence {
            Persistence::AppendEveryWrite => {
                command.args(["--appendonly", "yes", "--appendfsync", "always"]);
            }
            Persistence::SnapshotsOnly => {
                command.args(["--appendonly", "no", "--dbfilename", "dump.rdb"]);
            }
        }
        let Ok(child) = command.spawn() else {
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: no redis-server on PATH for a Redis fault test"
            );
            return false;
        };
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.command(&["PING"]).is_ok_and(|reply| reply == "PONG") {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not start on port {}", self.port);
    }

    /// Sends a signal (`TERM`, `KILL`, `STOP`, `CONT`) to the server.
    pub fn signal(&self, name: &str) {
        if let Some(child) = &self.child {
            let status = Command::new("kill")
                .arg(format!("-{name}"))
                .arg(child.id().to_string())
                .status()
                .expect("kill runs");
            assert!(status.success(), "kill -{name}");
        }
    }

    /// SIGTERM: Redis finishes writing its append-only file and exits.
    pub fn stop(&mut self) {
        self.signal("TERM");
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }

    /// SIGKILL: Redis dies with whatever it had not written.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// One command through redis-cli, its reply trimmed.
    pub fn command(&self, args: &[&str]) -> Result<String, String> {
        let output = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .map_err(|error| error.to_string())?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-CONT", &child.id().to_string()])
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
