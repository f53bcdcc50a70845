//! A minimal blocking HTTP/1.1 client for the benchmarks: JSON requests with
//! the admin key, and a reader of Server-Sent Events. Nothing to install and
//! no async runtime, so what is measured is the server, not the client.

use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// Where the server listens and the key to send.
#[derive(Clone)]
pub struct Api {
    pub addr: String,
    pub key: String,
}

fn head(api: &Api, method: &str, path: &str, body: &str, extra: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nX-API-Key: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
        api.addr,
        api.key,
        body.len()
    )
}

/// Reads the status line and headers; returns the status and whether the body is chunked.
fn read_head(reader: &mut impl BufRead) -> Result<(u16, bool)> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status = line.split_whitespace().nth(1).context("no status line")?.parse()?;
    let mut chunked = false;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            return Ok((status, chunked));
        }
        if l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.to_ascii_lowercase().contains("chunked") {
            chunked = true;
        }
    }
}

/// Reads one chunk of a chunked body; `None` at the end.
fn read_chunk(reader: &mut impl BufRead) -> Result<Option<Vec<u8>>> {
    let mut size = String::new();
    if reader.read_line(&mut size)? == 0 {
        return Ok(None);
    }
    let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)?;
    if size == 0 {
        return Ok(None);
    }
    let mut chunk = vec![0; size + 2];
    reader.read_exact(&mut chunk)?;
    chunk.truncate(size);
    Ok(Some(chunk))
}

impl Api {
    /// Whether `/health/readiness` answers 200.
    #[must_use]
    pub fn ready(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(&self.addr) else { return false };
        let request = format!("GET /health/readiness HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.addr);
        if stream.write_all(request.as_bytes()).is_err() {
            return false;
        }
        let mut head = [0_u8; 12];
        stream.read_exact(&mut head).is_ok() && head.ends_with(b"200")
    }

    /// `http://ADDR` followed by `path`.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends a request and returns the status and the JSON body (`null` when empty).
    pub fn call(&self, method: &str, path: &str, body: Option<&serde_json::Value>) -> Result<(u16, serde_json::Value)> {
        let body = body.map(ToString::to_string).unwrap_or_default();
        let mut stream = TcpStream::connect(&self.addr)?;
        stream.write_all(head(self, method, path, &body, "").as_bytes())?;
        let mut reader = BufReader::new(stream);
        let (status, chunked) = read_head(&mut reader)?;
        let mut bytes = Vec::new();
        if chunked {
            while let Some(chunk) = read_chunk(&mut reader)? {
                bytes.extend(chunk);
            }
        } else {
            reader.read_to_end(&mut bytes)?;
        }
        let value = if bytes.is_empty() { serde_json::Value::Null } else { serde_json::from_slice(&bytes)? };
        Ok((status, value))
    }

    /// Like [`Api::call`], failing unless the status is `expect`.
    pub fn expect(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
        expect: u16,
    ) -> Result<serde_json::Value> {
        let (status, value) = self.call(method, path, body)?;
        if status != expect {
            bail!("{method} {path}: {status} {value}");
        }
        Ok(value)
    }

    /// Opens an execution's event stream.
    pub fn events(&self, execution: &str) -> Result<Events> {
        let mut stream = TcpStream::connect(&self.addr)?;
        let path = format!("/admin/executions/{execution}/stream");
        stream.write_all(head(self, "GET", &path, "", "Accept: text/event-stream\r\n").as_bytes())?;
        let mut reader = BufReader::new(stream);
        let (status, chunked) = read_head(&mut reader)?;
        if status != 200 || !chunked {
            bail!("GET {path}: {status}");
        }
        Ok(Events { reader, buffer: String::new() })
    }
}

/// One Server-Sent Event.
pub struct Event {
    pub name: String,
    pub data: serde_json::Value,
}

/// The events of one stream, in order.
pub struct Events {
    reader: BufReader<TcpStream>,
    buffer: String,
}

impl Events {
    /// The next named event (comments skipped); `None` when the stream ends.
    pub fn next_event(&mut self) -> Result<Option<Event>> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut name = None;
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = Some(v.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if let Some(name) = name {
                    return Ok(Some(Event { name, data: serde_json::from_str(&data).unwrap_or_default() }));
                }
                continue;
            }
            match read_chunk(&mut self.reader)? {
                Some(chunk) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                None => return Ok(None),
            }
        }
    }
}
