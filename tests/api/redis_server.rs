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
        cli(self.port, args)
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

/// A port for a cluster node: its cluster bus listens on port + 10000, which must be free too.
fn free_cluster_port() -> u16 {
    loop {
        let port = free_port();
        if port < 55_000 && TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}

/// A Redis Cluster of this test's own: three primaries, each with one replica, made as an operator makes
/// one (`redis-server --cluster-enabled yes`, then `redis-cli --cluster create`).
pub struct OwnCluster {
    /// Every node, primaries first (as `--cluster create` paired them: node i + 3 replicates node i).
    pub nodes: Vec<ClusterNode>,
}

/// One node of an [`OwnCluster`].
pub struct ClusterNode {
    pub port: u16,
    _dir: tempfile::TempDir,
    child: Option<Child>,
}

impl ClusterNode {
    pub fn command(&self, args: &[&str]) -> Result<String, String> {
        cli(self.port, args)
    }

    /// SIGKILL: the node dies at once, as a crashed machine's would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// A field of `INFO replication` (`role`, `master_repl_offset`...).
    pub fn replication(&self, field: &str) -> Option<String> {
        let info = self.command(&["INFO", "replication"]).ok()?;
        info.lines()
            .find_map(|line| line.strip_prefix(&format!("{field}:")))
            .map(|value| value.trim().to_owned())
    }
}

impl Drop for ClusterNode {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One command through redis-cli to the server on `port`, its reply trimmed.
fn cli(port: u16, args: &[&str]) -> Result<String, String> {
    let output = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .map_err(|error| error.to_string())?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

impl OwnCluster {
    /// `None` (after saying so) when there is no redis-server to run.
    pub fn start() -> Option<OwnCluster> {
        let mut nodes = Vec::new();
        for _ in 0..6 {
            let port = free_cluster_port();
            let dir = tempfile::tempdir().expect("dir");
            let spawned = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--cluster-enabled", "yes", "--cluster-node-timeout", "1000"])
                .args(["--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(dir.path())
                .stdout(Stdio::null())
                .spawn();
            let Ok(child) = spawned else {
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED: no redis-server on PATH for a Redis Cluster test"
                );
                return None;
            };
            nodes.push(ClusterNode {
                port,
                _dir: dir,
                child: Some(child),
            });
        }
        let cluster = OwnCluster { nodes };
        for node in &cluster.nodes {
            wait_for(&format!("node {} answers", node.port), || {
                node.command(&["PING"]).is_ok_and(|reply| reply == "PONG")
            });
        }
        let addresses: Vec<String> = cluster
            .nodes
            .iter()
            .map(|node| format!("127.0.0.1:{}", node.port))
            .collect();
        let created = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdout(Stdio::null())
            .status()
            .expect("redis-cli runs");
        assert!(created.success(), "redis-cli --cluster create");
        cluster.wait_until_settled();
        Some(cluster)
    }

    /// Waits until every live node says the cluster is ok and every live replica is linked to its primary.
    pub fn wait_until_settled(&self) {
        wait_for("the cluster to be ok", || {
            self.nodes
                .iter()
                .filter(|node| node.child.is_some())
                .all(|node| {
                    let ok = node
                        .command(&["CLUSTER", "INFO"])
                        .is_ok_and(|info| info.contains("cluster_state:ok"));
                    let linked = node.replication("role").as_deref() == Some("master")
                        || node.replication("master_link_status").as_deref() == Some("up");
                    ok && linked
                })
        });
    }

    /// The live replicas.
    pub fn replicas(&self) -> Vec<&ClusterNode> {
        self.nodes
            .iter()
            .filter(|node| node.child.is_some())
            .filter(|node| node.replication("role").as_deref() == Some("slave"))
            .collect()
    }

    pub fn seed_urls(&self) -> Vec<String> {
        self.nodes.iter().map(ClusterNode::url).collect()
    }

    /// The live nodes that are primaries now.
    pub fn primaries(&self) -> Vec<&ClusterNode> {
        self.nodes
            .iter()
            .filter(|node| node.child.is_some())
            .filter(|node| node.replication("role").as_deref() == Some("master"))
            .collect()
    }
}

/// Waits (up to 30 s) until `done`.
pub fn wait_until(done: impl FnMut() -> bool) {
    wait_for("a condition", done);
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
