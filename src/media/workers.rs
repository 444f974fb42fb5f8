//! The threads images are made on (README "Media", `MEDIA_WORKERS` and `MEDIA_WORKER_NICE`): threads of their
//! own rather than tokio's blocking pool, so that they can run at a lower scheduling priority than the threads
//! answering requests. Making an image is seconds of pure CPU; in Linux's idle class (the default) a worker
//! runs only on a core no other thread of the machine wants, the database's and Redis's included, and the
//! images take what the readers leave.

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};

type Job = Box<dyn FnOnce() + Send>;

/// How the image threads are scheduled beside everything else on the machine (`MEDIA_WORKER_NICE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerPriority {
    /// Linux's idle class (`SCHED_IDLE`): a worker gets a core only when no other thread wants it, and
    /// gives it up the moment one wakes. At nice 19 a woken request thread, or the PostgreSQL and Redis
    /// processes a counted view waits on, still shared the core with a worker now and then (reads beside
    /// uploads fell to about 0.88x of their rate on PostgreSQL + Redis; in this class they keep it).
    Idle,
    /// A niceness: 0 (the process's own priority: images share the cores equally with requests) to 19.
    Nice(i32),
}

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
    /// Starts `count` threads (at least one) scheduled at `priority`.
    pub fn start(count: usize, priority: WorkerPriority) -> std::io::Result<Workers> {
        let count = count.max(1);
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for number in 0..count {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("media-worker-{number}"))
                .spawn(move || {
                    lower_priority(priority);
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

/// Linux keeps a scheduling class and a niceness per thread: this one's, lowered to `priority`. A failure (a
/// sandbox refusing it) leaves the thread at the process's own priority, which is only slower for readers,
/// never wrong.
#[cfg(target_os = "linux")]
fn lower_priority(priority: WorkerPriority) {
    use thread_priority::{NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy};
    let lowered = match priority {
        WorkerPriority::Nice(0) => Ok(()),
        WorkerPriority::Nice(nice) => {
            rustix::process::setpriority_process(Some(rustix::thread::gettid()), nice)
                .map_err(|error| error.to_string())
        }
        WorkerPriority::Idle => thread_priority::set_thread_priority_and_policy(
            thread_priority::thread_native_id(),
            ThreadPriority::Min,
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle),
        )
        .map_err(|error| format!("{error:?}")),
    };
    if let Err(error) = lowered {
        tracing::warn!(%error, ?priority, "an image worker keeps the process's priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority(_priority: WorkerPriority) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_answer_and_a_panic_is_an_error_not_a_lost_thread() {
        let workers = Workers::start(1, WorkerPriority::Nice(19)).unwrap();
        assert_eq!(workers.run(|| 6 * 7).await.unwrap(), 42);
        let panicked = workers.run(|| -> u32 { panic!("a bad image") }).await;
        assert!(panicked.is_err());
        // The one thread survived the panic: it still takes jobs.
        assert_eq!(workers.run(|| "still here").await.unwrap(), "still here");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn workers_run_at_the_niceness_asked_for() {
        let workers = Workers::start(2, WorkerPriority::Nice(19)).unwrap();
        let seen = workers
            .run(|| rustix::process::getpriority_process(Some(rustix::thread::gettid())))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(seen, 19);
        let own = rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap();
        assert_ne!(own, 19, "the calling thread keeps its priority");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn idle_workers_are_in_the_idle_class_and_the_caller_is_not() {
        use thread_priority::{NormalThreadSchedulePolicy, ThreadSchedulePolicy};
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        let workers = Workers::start(1, WorkerPriority::Idle).unwrap();
        let seen = workers
            .run(thread_priority::thread_schedule_policy)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(seen, idle);
        assert_ne!(thread_priority::thread_schedule_policy().unwrap(), idle);
    }
}
