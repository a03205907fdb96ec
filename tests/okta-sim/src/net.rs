//! The listening socket, with a switch per connection to cut it: before the response (the client sees
//! the connection close with no answer) or just after the headers (the body stops short). This is how
//! the `drop_share` fault looks to a client.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// How a connection is to be cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Close without writing a byte of the response.
    BeforeResponse,
    /// Write the status line, the headers and a few bytes of the body, then close.
    MidBody,
}

/// Body bytes let through before a `MidBody` cut.
const BODY_BYTES_BEFORE_CUT: usize = 8;
const HEAD_END: &[u8; 4] = b"\r\n\r\n";

#[derive(Debug, Default)]
struct CutSwitch(AtomicU8);

impl CutSwitch {
    fn get(&self) -> Option<Cut> {
        match self.0.load(Ordering::Acquire) {
            1 => Some(Cut::BeforeResponse),
            2 => Some(Cut::MidBody),
            _ => None,
        }
    }
}

/// Handed to each request (as `ConnectInfo`): the switch to cut the connection it came on.
#[derive(Debug, Clone)]
pub struct ConnTap {
    switch: Arc<CutSwitch>,
}

impl ConnTap {
    pub fn cut(&self, how: Cut) {
        let code = match how {
            Cut::BeforeResponse => 1,
            Cut::MidBody => 2,
        };
        self.switch.0.store(code, Ordering::Release);
    }
}

impl Connected<IncomingStream<'_, SimListener>> for ConnTap {
    fn connect_info(stream: IncomingStream<'_, SimListener>) -> Self {
        stream.remote_addr().clone()
    }
}

pub struct SimListener {
    inner: TcpListener,
}

impl SimListener {
    pub fn new(inner: TcpListener) -> SimListener {
        SimListener { inner }
    }
}

impl Listener for SimListener {
    type Io = CuttableStream;
    type Addr = ConnTap;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    let switch = Arc::new(CutSwitch::default());
                    let io = CuttableStream {
                        inner: stream,
                        switch: switch.clone(),
                        head_matched: 0,
                        body_left: None,
                    };
                    return (io, ConnTap { switch });
                }
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()?;
        Ok(ConnTap { switch: Arc::default() })
    }
}

/// A TCP stream that refuses to write once its connection's switch says so.
pub struct CuttableStream {
    inner: TcpStream,
    switch: Arc<CutSwitch>,
    /// How many bytes of "\r\n\r\n" the written bytes currently end with.
    head_matched: usize,
    /// Body bytes still allowed after the head, once the head has been written under a `MidBody` cut.
    body_left: Option<usize>,
}

impl CuttableStream {
    /// How much of `buf` may be written now (0: the connection must close).
    fn allowance(&self, buf: &[u8]) -> usize {
        match self.switch.get() {
            None => buf.len(),
            Some(Cut::BeforeResponse) => 0,
            Some(Cut::MidBody) => {
                if let Some(left) = self.body_left {
                    return left.min(buf.len());
                }
                let mut matched = self.head_matched;
                for (i, byte) in buf.iter().enumerate() {
                    matched = advance(matched, *byte);
                    if matched == HEAD_END.len() {
                        return (i + 1 + BODY_BYTES_BEFORE_CUT).min(buf.len());
                    }
                }
                buf.len()
            }
        }
    }

    fn record_written(&mut self, written: &[u8]) {
        if self.switch.get() != Some(Cut::MidBody) {
            return;
        }
        for byte in written {
            match self.body_left.as_mut() {
                Some(left) => *left = left.saturating_sub(1),
                None => {
                    self.head_matched = advance(self.head_matched, *byte);
                    if self.head_matched == HEAD_END.len() {
                        self.body_left = Some(BODY_BYTES_BEFORE_CUT);
                    }
                }
            }
        }
    }
}

fn advance(matched: usize, byte: u8) -> usize {
    if byte == HEAD_END[matched] {
        matched + 1
    } else if byte == HEAD_END[0] {
        1
    } else {
        0
    }
}

impl AsyncRead for CuttableStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CuttableStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let allowed = this.allowance(buf);
        if allowed == 0 && !buf.is_empty() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "okta-sim fault: connection dropped",
            )));
        }
        match Pin::new(&mut this.inner).poll_write(cx, &buf[..allowed]) {
            Poll::Ready(Ok(n)) => {
                this.record_written(&buf[..n]);
                Poll::Ready(Ok(n))
            }
            other => other,
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
