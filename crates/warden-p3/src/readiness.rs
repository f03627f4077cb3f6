//! Waiting inside tokio for a socket to be ready: tokio's `AsyncFd` on Unix
//! (the reactor's epoll or kqueue), and on Windows, where tokio has no
//! `AsyncFd`, [`AsyncFd`] of the same shape that asks `WSAPoll` without
//! waiting and, when the socket is not ready, asks again a millisecond
//! later (docs/compat.md, Windows).

#[cfg(unix)]
pub use tokio::io::unix::AsyncFd;

#[cfg(windows)]
pub use polled::AsyncFd;

#[cfg(windows)]
mod polled {
    use std::io;
    use std::task::{Context, Poll};
    use std::time::Duration;
    use tokio::io::Interest;
    use warden_kernel::poll::ready_now;
    use warden_kernel::sys::{borrow, AsFd};

    /// How long a waiter sleeps between two looks at a socket.
    const POLL_EVERY: Duration = Duration::from_millis(1);

    /// A socket and the means to wait until it is ready.
    pub struct AsyncFd<T: AsFd> {
        inner: T,
    }

    /// Why registering failed: never, here; the shape of tokio's.
    pub struct AsyncFdRegisterError<T>(T, io::Error);

    impl<T> AsyncFdRegisterError<T> {
        pub fn into_parts(self) -> (T, io::Error) {
            (self.0, self.1)
        }
    }

    /// The socket was not ready after all.
    pub struct TryIoError(());

    /// Readiness seen; [`try_io`](ReadyGuard::try_io) tries the call.
    pub struct ReadyGuard<'a, T: AsFd> {
        fd: &'a AsyncFd<T>,
    }

    impl<T: AsFd> ReadyGuard<'_, T> {
        /// Runs `f`; a `WouldBlock` from it means not ready after all.
        pub fn try_io<R>(
            &mut self,
            f: impl FnOnce(&AsyncFd<T>) -> io::Result<R>,
        ) -> Result<io::Result<R>, TryIoError> {
            match f(self.fd) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Err(TryIoError(())),
                r => Ok(r),
            }
        }

        /// Nothing is remembered between looks, so nothing to clear.
        pub fn clear_ready(&mut self) {}
    }

    impl<T: AsFd> AsyncFd<T> {
        /// # Safety
        /// None needed here; `unsafe` for the shape of tokio's, whose
        /// reactor must not see the descriptor change under it.
        pub unsafe fn register(inner: T) -> Result<Self, AsyncFdRegisterError<T>> {
            Ok(AsyncFd { inner })
        }

        pub fn get_ref(&self) -> &T {
            &self.inner
        }

        fn poll_ready(
            &self,
            cx: &mut Context<'_>,
            read: bool,
        ) -> Poll<io::Result<ReadyGuard<'_, T>>> {
            match ready_now(borrow(&self.inner), read).map_err(io::Error::other) {
                Ok(true) => Poll::Ready(Ok(ReadyGuard { fd: self })),
                Err(e) => Poll::Ready(Err(e)),
                Ok(false) => {
                    // Look again shortly: one short-lived timer task per
                    // waiting socket.
                    let waker = cx.waker().clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(POLL_EVERY).await;
                        waker.wake();
                    });
                    Poll::Pending
                }
            }
        }

        pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<ReadyGuard<'_, T>>> {
            self.poll_ready(cx, true)
        }

        pub fn poll_write_ready(
            &self,
            cx: &mut Context<'_>,
        ) -> Poll<io::Result<ReadyGuard<'_, T>>> {
            self.poll_ready(cx, false)
        }

        pub async fn writable(&self) -> io::Result<ReadyGuard<'_, T>> {
            std::future::poll_fn(|cx| self.poll_write_ready(cx)).await
        }

        /// Readable, or an error pending (`WSAPoll` reports both as input).
        pub async fn ready(&self, interest: Interest) -> io::Result<ReadyGuard<'_, T>> {
            let read = !interest.is_writable();
            std::future::poll_fn(|cx| self.poll_ready(cx, read)).await
        }
    }
}
