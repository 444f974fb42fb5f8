//! The threads images are made on (README "Media", `MEDIA_WORKERS` and `MEDIA_WORKER_NICE`): threads of their
//! own rather than tokio's blocking pool, so that they can run at a lower scheduling priority than the threads
//! answering requests. Making an image is seconds of pure CPU; at nice 19 the kernel gives a core to a request
//! thread the moment one wants it, and the images take what the readers leave.

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of low-priority threads taking jobs in order. The threads end when this is dropped.
pub struct Workers {
    jobs: Mutex<Sender<Job>>,
    count: usize,
}

/// The job ended without an answer: it panicked (the thread lives on).
#[derive(Debug, thiserror::Error)]
#[error("an image worker failed while making an image")]
pub struct WorkerFailed;

impl Workers {
    /// Starts `count` threads (at least one) at niceness `nice` (0 to 19; 0 leaves them as they are).
    pub fn start(count: usize, nice: i32) -> std::io::Result<Workers> {
        let count = count.max(1);
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for number in 0..count {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("media-worker-{number}"))
                .spawn(move || {
                    lower_priority(nice);
                    work(&receiver);
                })?;
        }
        Ok(Workers {
            jobs: Mutex::new(sender),
            count,
        })
    }

    /// How many images are made at once.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Runs `job` on a worker when one is free, and answers what it returns.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, WorkerFailed> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // A dropped answer is a request that went away: nothing to tell.
            if let Ok(value) = panic::catch_unwind(AssertUnwindSafe(job)) {
                let _ = answer.send(value);
            }
        });
        self.jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(job)
            .map_err(|_| WorkerFailed)?;
        answered.await.map_err(|_| WorkerFailed)
    }
}

fn work(jobs: &Mutex<Receiver<Job>>) {
    loop {
        // The lock is held only while waiting for the next job, never while one runs.
        let next = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match next {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// Linux keeps a niceness per thread: this one's, raised to `nice`. A failure (a sandbox refusing it) leaves
/// the thread at the process's own priority, which is only slower for readers, never wrong.
#[cfg(target_os = "linux")]
fn lower_priority(nice: i32) {
    if nice > 0 {
        let this_thread = rustix::thread::gettid();
        if let Err(error) = rustix::process::setpriority_process(Some(this_thread), nice) {
            tracing::warn!(%error, nice, "an image worker keeps the process's priority");
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority(_nice: i32) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_answer_and_a_panic_is_an_error_not_a_lost_thread() {
        let workers = Workers::start(1, 19).unwrap();
        assert_eq!(workers.run(|| 6 * 7).await.unwrap(), 42);
        let panicked = workers.run(|| -> u32 { panic!("a bad image") }).await;
        assert!(panicked.is_err());
        // The one thread survived the panic: it still takes jobs.
        assert_eq!(workers.run(|| "still here").await.unwrap(), "still here");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn workers_run_at_the_niceness_asked_for() {
        let workers = Workers::start(2, 19).unwrap();
        let seen = workers
            .run(|| rustix::process::getpriority_process(Some(rustix::thread::gettid())))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(seen, 19);
        let own = rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap();
        assert_ne!(own, 19, "the calling thread keeps its priority");
    }
}
