//! A TCP relay on a loopback port, standing for what sits between the API and a server in production (a
//! managed endpoint, a DNS name, a network): it can be cut, re-pointed at another server, or stalled
//! (bytes held, connections left open, as a hung network does).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct TcpProxy {
    pub port: u16,
    target: Arc<Mutex<SocketAddr>>,
    cut: Arc<AtomicBool>,
    stalled: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
    /// Per relayed connection, by the local port of its leg to the target (what the target sees as the
    /// client's port): its own stall.
    legs: Arc<Mutex<std::collections::HashMap<u16, Arc<AtomicBool>>>>,
    /// Bytes still relayed toward the target before everything is cut (a network that fails in the middle
    /// of a transfer); negative: no limit.
    budget: Arc<AtomicI64>,
}

impl TcpProxy {
    pub fn start(target: SocketAddr) -> TcpProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let proxy = TcpProxy {
            port,
            target: Arc::new(Mutex::new(target)),
            cut: Arc::default(),
            stalled: Arc::default(),
            connections: Arc::default(),
            legs: Arc::default(),
            budget: Arc::new(AtomicI64::new(-1)),
        };
        let (target, cut, stalled, connections, legs, budget) = (
            proxy.target.clone(),
            proxy.cut.clone(),
            proxy.stalled.clone(),
            proxy.connections.clone(),
            proxy.legs.clone(),
            proxy.budget.clone(),
        );
        std::thread::spawn(move || {
            for inbound in listener.incoming().flatten() {
                if cut.load(Ordering::SeqCst) {
                    continue; // dropped: the client sees the connection close
                }
                let to = *target.lock().expect("the target");
                let Ok(outbound) = TcpStream::connect(to) else {
                    continue;
                };
                let own: Arc<AtomicBool> = Arc::default();
                if let (Ok(address), Ok(mut legs)) = (outbound.local_addr(), legs.lock()) {
                    legs.insert(address.port(), own.clone());
                }
                let pairs = [
                    (inbound.try_clone(), outbound.try_clone()),
                    (outbound.try_clone(), inbound.try_clone()),
                ];
                if let Ok(mut held) = connections.lock() {
                    held.extend([inbound, outbound]);
                }
                for (toward_target, pair) in [true, false].into_iter().zip(pairs) {
                    if let (Ok(from), Ok(to)) = pair {
                        let (stalled, own) = (stalled.clone(), own.clone());
                        let budget = toward_target.then(|| Cutter {
                            budget: budget.clone(),
                            cut: cut.clone(),
                            connections: connections.clone(),
                        });
                        std::thread::spawn(move || pump(from, to, &stalled, &own, budget.as_ref()));
                    }
                }
            }
        });
        proxy
    }

    /// Drops every connection and refuses new ones.
    pub fn cut(&self) {
        cut_all(&self.cut, &self.connections);
    }

    /// Relays `bytes` more toward the target, then cuts everything as [`TcpProxy::cut`] does: a transfer
    /// broken in its middle.
    pub fn cut_after(&self, bytes: i64) {
        self.budget.store(bytes, Ordering::SeqCst);
    }

    pub fn restore(&self) {
        self.budget.store(-1, Ordering::SeqCst);
        self.cut.store(false, Ordering::SeqCst);
    }

    /// New connections go to `target`; open ones stay where they are.
    pub fn point_to(&self, target: SocketAddr) {
        *self.target.lock().expect("the target") = target;
    }

    /// Holds every byte in both directions, closing nothing.
    pub fn stall(&self) {
        self.stalled.store(true, Ordering::SeqCst);
    }

    pub fn resume(&self) {
        self.stalled.store(false, Ordering::SeqCst);
    }

    /// Holds every byte of the one connection whose leg to the target leaves from `port`, closing nothing
    /// (a network path that died silently under one connection). False when no such connection exists.
    pub fn stall_connection_from(&self, port: u16) -> bool {
        let legs = self.legs.lock().expect("the legs");
        legs.get(&port)
            .map(|own| own.store(true, Ordering::SeqCst))
            .is_some()
    }
}

fn cut_all(cut: &AtomicBool, connections: &Mutex<Vec<TcpStream>>) {
    cut.store(true, Ordering::SeqCst);
    if let Ok(mut held) = connections.lock() {
        for stream in held.drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

/// What a pump toward the target needs to cut everything once the byte budget is spent.
struct Cutter {
    budget: Arc<AtomicI64>,
    cut: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
}

fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    stalled: &AtomicBool,
    own: &AtomicBool,
    cutter: Option<&Cutter>,
) {
    let mut buffer = [0_u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        if let Some(cutter) = cutter {
            let size = i64::try_from(read).unwrap_or(i64::MAX);
            let left = cutter.budget.load(Ordering::SeqCst);
            if left >= 0 {
                if left < size {
                    cutter.budget.store(0, Ordering::SeqCst);
                    cut_all(&cutter.cut, &cutter.connections);
                    break;
                }
                cutter.budget.fetch_sub(size, Ordering::SeqCst);
            }
        }
        while stalled.load(Ordering::SeqCst) || own.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(5));
        }
        if to.write_all(&buffer[..read]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
}
