//! fake-bot's interactive mode, when its standard input is a terminal (a
//! session): it prints a banner with its pid, folder and first prompt, then
//! answers each line typed (`you said: …`), reprints its size on SIGWINCH
//! (`[size COLSxROWS]`), starts a sleeping grandchild on `/spawn` (`grandchild
//! pid=P`), prints numbered lines without end on `/flood`, and exits on `/quit`
//! (`bye`) or at the end of input.

use std::io::Write;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::signal::unix::{SignalKind, signal};

/// The terminal's size as `stty` reads it (`ROWS COLS`), as `COLSxROWS`.
fn size() -> String {
    let out = std::process::Command::new("stty").arg("size").stdin(std::process::Stdio::inherit()).output();
    let text = out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()).unwrap_or_default();
    match text.split_once(' ') {
        Some((rows, cols)) => format!("{cols}x{rows}"),
        None => "unknown".to_owned(),
    }
}

fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "{text}");
    let _ = out.flush();
}

/// Runs the conversation; the exit code.
pub async fn run(name: &str, args: &[String]) -> i32 {
    let Ok(mut winch) = signal(SignalKind::window_change()) else { return 4 };
    let folder = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default();
    say(&format!("{name} interactive (fake-bot) pid={} in {folder}\n", std::process::id()));
    if !args.is_empty() {
        say(&format!("first prompt: {}\n", args.join(" ")));
    }
    say(&format!("[size {}]\n> ", size()));
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        tokio::select! {
            line = lines.next_line() => match line {
                Ok(Some(line)) => match line.trim() {
                    "/quit" => {
                        say("bye\n");
                        return 0;
                    }
                    "/spawn" => {
                        let me = std::env::current_exe().unwrap_or_default();
                        match std::process::Command::new(me).arg("--grandchild").spawn() {
                            Ok(child) => say(&format!("grandchild pid={}\n> ", child.id())),
                            Err(e) => say(&format!("spawn failed: {e}\n> ")),
                        }
                    }
                    "/flood" => {
                        for n in 0_u64.. {
                            say(&format!("flood line {n}\n"));
                        }
                    }
                    "" => say("> "),
                    text => say(&format!("you said: {text}\n> ")),
                },
                Ok(None) | Err(_) => return 0,
            },
            _ = winch.recv() => say(&format!("\n[size {}]\n> ", size())),
        }
    }
}
