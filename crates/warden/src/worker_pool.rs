//! The threads `warden serve` runs guests on.
//!
//! A guest call is synchronous and may block in a host wait (a sleep, an
//! outgoing request), so every request in flight needs a thread of its own.
//! tokio's `spawn_blocking` pool gave that, but it starts a new thread
//! whenever no thread is idle *at the instant of the spawn*: under a steady
//! 64-connection load it grew to ~190 threads for 64 requests in flight,
//! and retired idle ones after 10 s only to start new ones. Every new
//! thread touched glibc malloc arenas and caches afresh, and the server's
//! RSS kept climbing (≈ 4 MiB a minute at 17k requests/s, with a 4 MiB live
//! heap).
//!
//! This pool starts a thread only when the jobs waiting outnumber the idle
//! threads, so it holds as many threads as the peak of requests in flight,
//! and keeps them for [`IDLE_EXIT`] before letting them go.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How long a thread waits for work before it exits.
pub const IDLE_EXIT: Duration = Duration::from_secs(60);

type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    /// Threads waiting for a job.
    idle: usize,
    threads: usize,
}

/// A growable pool of named worker threads (see the module docs).
#[derive(Clone)]
pub struct WorkerPool {
    inner: Arc<(Mutex<State>, Condvar)>,
    name: &'static str,
    /// The runtime every worker enters: host calls start body pumps and
    /// timers on it, as they could on tokio's own blocking threads.
    runtime: tokio::runtime::Handle,
}

impl WorkerPool {
    pub fn new(name: &'static str, runtime: tokio::runtime::Handle) -> WorkerPool {
        WorkerPool {
            inner: Arc::default(),
            name,
            runtime,
        }
    }

    /// Runs `job` on a pool thread; the result arrives on the returned
    /// channel (closed without a value if the job panicked).
    pub fn run<R: Send + 'static>(
        &self,
        job: impl FnOnce() -> R + Send + 'static,
    ) -> tokio::sync::oneshot::Receiver<R> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(Box::new(move || {
            let _ = tx.send(job());
        }));
        rx
    }

    fn submit(&self, job: Job) {
        let (lock, wake) = &*self.inner;
        let mut state = lock.lock().unwrap_or_else(|e| e.into_inner());
        state.queue.push_back(job);
        // Each queued job needs an idle thread of its own; a thread that
        // wakes takes itself off `idle` and a job off `queue` together.
        if state.queue.len() <= state.idle {
            wake.notify_one();
            return;
        }
        state.threads += 1;
        drop(state);
        let pool = self.clone();
        let spawned = std::thread::Builder::new()
            .name(self.name.into())
            .spawn(move || pool.work());
        if let Err(e) = spawned {
            // Out of threads: the queued job runs when a thread frees up.
            tracing::error!(target: "warden::serve", "cannot start a worker thread: {e}");
            lock.lock().unwrap_or_else(|e| e.into_inner()).threads -= 1;
        }
    }

    fn work(&self) {
        let _runtime = self.runtime.enter();
        let (lock, wake) = &*self.inner;
        let mut state = lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(job) = state.queue.pop_front() {
                drop(state);
                // A panicking job must not take the thread's bookkeeping
                // with it (its result channel just closes).
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                state = lock.lock().unwrap_or_else(|e| e.into_inner());
                continue;
            }
            state.idle += 1;
            let (woken, timeout) = wake
                .wait_timeout(state, IDLE_EXIT)
                .unwrap_or_else(|e| e.into_inner());
            state = woken;
            state.idle -= 1;
            if timeout.timed_out() && state.queue.is_empty() {
                state.threads -= 1;
                return;
            }
        }
    }

    /// Threads alive now.
    #[cfg(test)]
    pub fn threads(&self) -> usize {
        self.inner
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .threads
    }

    /// Waits until every thread waits for work (a thread that has sent its
    /// result is still finishing its job for a moment).
    #[cfg(test)]
    fn wait_all_idle(&self) {
        loop {
            {
                let s = self.inner.0.lock().unwrap_or_else(|e| e.into_inner());
                if s.idle == s.threads && s.queue.is_empty() {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn threads_follow_the_jobs_in_flight_not_the_jobs_submitted() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let pool = WorkerPool::new("test-worker", rt.handle().clone());
        // 1000 short jobs, at most 4 in flight at a time.
        for _ in 0..250 {
            let rxs: Vec<_> = (0..4).map(|i| pool.run(move || i * 2)).collect();
            for (i, rx) in rxs.into_iter().enumerate() {
                assert_eq!(rt.block_on(rx).unwrap(), i * 2);
            }
            pool.wait_all_idle();
        }
        assert_eq!(pool.threads(), 4);
    }

    #[test]
    fn blocked_jobs_do_not_hold_up_others() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let pool = WorkerPool::new("test-worker", rt.handle().clone());
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = Arc::new(Mutex::new(gate));
        let blocked: Vec<_> = (0..8)
            .map(|_| {
                let gate = gate.clone();
                pool.run(move || gate.lock().unwrap().recv().ok())
            })
            .collect();
        // Eight jobs block (one in recv, seven on the mutex); a ninth still runs.
        assert_eq!(rt.block_on(pool.run(|| 42)), Ok(42));
        for _ in 0..8 {
            release.send(()).unwrap();
        }
        for rx in blocked {
            assert_eq!(rt.block_on(rx).unwrap(), Some(()));
        }
        assert_eq!(pool.threads(), 9);
    }

    #[test]
    fn a_panicking_job_closes_its_channel_and_the_thread_lives_on() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let pool = WorkerPool::new("test-worker", rt.handle().clone());
        let ran = Arc::new(AtomicUsize::new(0));
        assert!(rt
            .block_on(pool.run(|| -> u8 { panic!("job panics") }))
            .is_err());
        pool.wait_all_idle();
        let r = ran.clone();
        rt.block_on(pool.run(move || r.fetch_add(1, Ordering::SeqCst)))
            .unwrap();
        assert_eq!((ran.load(Ordering::SeqCst), pool.threads()), (1, 1));
    }

    #[test]
    fn workers_run_inside_the_runtime() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let pool = WorkerPool::new("test-worker", rt.handle().clone());
        let inside = pool.run(|| tokio::runtime::Handle::try_current().is_ok());
        assert_eq!(rt.block_on(inside), Ok(true));
    }
}
