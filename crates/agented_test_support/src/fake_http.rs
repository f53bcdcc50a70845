//! The request side of fake HTTP servers that stand in for services outside this
//! machine (Sentry, an OpenTelemetry collector, a notification receiver): one HTTP/1.1
//! request read whole.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;

/// One request, read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `POST /v1/traces HTTP/1.1`.
    pub line: String,
    /// Its headers, names in lowercase, in order.
    pub headers: Vec<(String, String)>,
    /// Its body (by `Content-Length`).
    pub body: Vec<u8>,
}

impl Request {
    /// The first header named `name` (lowercase).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// The request on `stream`, headers and all.
///
/// # Errors
/// When the connection fails or ends early, or a `Content-Length` is not a number.
pub fn read_whole(stream: &TcpStream) -> std::io::Result<Request> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let (mut length, mut headers) = (0, Vec::new());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap_or((&line, ""));
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
        if name == "content-length" {
            length = value.parse().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        }
        headers.push((name, value));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Request { line: request_line.trim_end().to_owned(), headers, body })
}

/// The request on `stream`: its request line (`POST /v1/traces HTTP/1.1`) and its body.
///
/// # Errors
/// As [`read_whole`].
pub fn read_request(stream: &TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    read_whole(stream).map(|r| (r.line, r.body))
}
