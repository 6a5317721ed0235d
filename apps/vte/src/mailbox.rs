//! The embedded platform's mail catcher: an SMTP server on loopback that accepts every message
//! the notifications service sends and writes it, as it arrived, to `<dir>/<n>.eml`, the way
//! developers use MailHog or Mailpit. It speaks the protocol's core (RFC 5321: HELO/EHLO, MAIL,
//! RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT), so a real SMTP client (lettre) talks to it
//! unchanged. Set `notifications.smtp.*` to use a real relay instead. The emails hold people's
//! names and addresses: the directory and every message are readable by this user only.

use std::io::{self, Write as _};
use std::net::SocketAddr;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Largest message accepted (the notifications service's emails are a few KiB).
const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;

/// A message the mail catcher accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// When the client finished sending it.
    pub at: std::time::Instant,
    /// Where it was written.
    pub path: PathBuf,
    /// The message as sent (headers and body).
    pub message: Arc<Vec<u8>>,
}

/// A running mail catcher.
#[derive(Debug, Clone)]
pub struct Mailbox {
    addr: SocketAddr,
    dir: PathBuf,
    received: Arc<AtomicU64>,
    arrivals: tokio::sync::broadcast::Sender<Received>,
}

impl Mailbox {
    /// Listens on `addr` (port 0: any) and stores messages in `dir` until `stop`.
    pub async fn start(addr: SocketAddr, dir: &Path, stop: CancellationToken) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        let listener = TcpListener::bind(addr).await?;
        let mailbox = Self {
            addr: listener.local_addr()?,
            dir: dir.to_owned(),
            received: Arc::new(AtomicU64::new(count_messages(dir))),
            arrivals: tokio::sync::broadcast::channel(1024).0,
        };
        let server = mailbox.clone();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    () = stop.cancelled() => return,
                    accepted = listener.accept() => accepted,
                };
                match accepted {
                    Ok((stream, _)) => {
                        let server = server.clone();
                        tokio::spawn(async move {
                            if let Err(error) = server.session(stream).await {
                                tracing::debug!(%error, "mailbox session ended");
                            }
                        });
                    }
                    Err(error) => tracing::warn!(%error, "mailbox: accept failed"),
                }
            }
        });
        Ok(mailbox)
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where messages are written.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every message accepted from now on, as it arrives (tests, benchmarks).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Received> {
        self.arrivals.subscribe()
    }

    /// How many messages it holds.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::SeqCst)
    }

    async fn session(&self, stream: TcpStream) -> io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 vte-mailbox ESMTP ready\r\n").await?;
        let mut line = String::new();
        let mut recipients = 0usize;
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_ascii_uppercase();
            let reply: &[u8] = if command.starts_with("EHLO") {
                b"250-vte-mailbox\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            } else if command.starts_with("HELO") {
                b"250 vte-mailbox\r\n"
            } else if command.starts_with("MAIL FROM:") {
                recipients = 0;
                b"250 OK\r\n"
            } else if command.starts_with("RCPT TO:") {
                recipients += 1;
                b"250 OK\r\n"
            } else if command == "DATA" {
                if recipients == 0 {
                    b"503 RCPT first\r\n"
                } else {
                    write
                        .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    let message = read_data(&mut lines).await?;
                    let at = std::time::Instant::now();
                    let path = self.store(&message)?;
                    // Nobody listening is the usual case.
                    let _ = self.arrivals.send(Received {
                        at,
                        path,
                        message: Arc::new(message),
                    });
                    recipients = 0;
                    b"250 OK: queued\r\n"
                }
            } else if command == "RSET" {
                recipients = 0;
                b"250 OK\r\n"
            } else if command == "NOOP" {
                b"250 OK\r\n"
            } else if command == "QUIT" {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            } else {
                b"502 Command not implemented\r\n"
            };
            write.write_all(reply).await?;
        }
    }

    fn store(&self, message: &[u8]) -> io::Result<PathBuf> {
        let n = self.received.fetch_add(1, Ordering::SeqCst) + 1;
        let name = format!(
            "{}-{n:06}.eml",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f")
        );
        let partial = self.dir.join(format!(".{name}.part"));
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&partial)?
            .write_all(message)?;
        let path = self.dir.join(name);
        std::fs::rename(partial, &path)?;
        Ok(path)
    }
}

/// Reads a DATA section up to the lone dot, undoing dot-stuffing.
async fn read_data<R: AsyncBufReadExt + Unpin>(lines: &mut R) -> io::Result<Vec<u8>> {
    let mut message = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if lines.read_until(b'\n', &mut line).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the client left in the middle of DATA",
            ));
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(message);
        }
        let content = line.strip_prefix(b".").unwrap_or(&line);
        if message.len() + content.len() > MAX_MESSAGE_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "message too large",
            ));
        }
        message.extend_from_slice(content);
    }
}

fn count_messages(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "eml"))
                .count() as u64
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn emails_are_kept_readable_by_this_user_only() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("mail");
        let stop = CancellationToken::new();
        let mailbox = Mailbox::start(SocketAddr::from(([127, 0, 0, 1], 0)), &dir, stop.clone())
            .await
            .unwrap();
        let mut arrivals = mailbox.subscribe();

        let stream = TcpStream::connect(mailbox.addr).await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        let mut expect = async |code: &str| {
            let line = lines.next_line().await.unwrap().unwrap();
            assert!(line.starts_with(code), "{line}");
        };
        expect("220").await;
        for (command, code) in [
            ("HELO test\r\n", "250"),
            ("MAIL FROM:<notifications@vte-france.fr>\r\n", "250"),
            ("RCPT TO:<lea@example.org>\r\n", "250"),
            ("DATA\r\n", "354"),
            ("Subject: bienvenue\r\n\r\nBonjour Léa\r\n.\r\n", "250"),
        ] {
            write.write_all(command.as_bytes()).await.unwrap();
            expect(code).await;
        }
        let received = arrivals.recv().await.unwrap();
        stop.cancel();

        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&received.path), 0o600);
    }
}
