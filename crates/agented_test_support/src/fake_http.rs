//! The request side of fake HTTP servers that stand in for services outside this
//! machine (Sentry, an OpenTelemetry collector): one HTTP/1.1 request read whole.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;

/// The request on `stream`: its request line (`POST /v1/traces HTTP/1.1`) and its body
/// (by `Content-Length`).
///
/// # Errors
/// When the connection fails or ends early, or a `Content-Length` is not a number.
pub fn read_request(stream: &TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok((request_line.trim_end().to_owned(), body))
}
