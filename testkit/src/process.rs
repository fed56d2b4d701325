//! Child processes that announce where they listen on stdout.

use std::{
    io::{BufRead, BufReader},
    process::Child,
    sync::mpsc,
    thread,
    time::Duration,
};

/// Waits (up to 30 s) for `child` to print a line starting with `prefix` on
/// its piped stdout and returns the rest of that line (the address). The rest
/// of its output is drained in the background so the child never blocks on a
/// full pipe. On timeout the child is killed and the test fails, naming `name`.
pub fn wait_for_listen(child: &mut Child, prefix: &'static str, name: &str) -> String {
    let stdout = child.stdout.take().expect("the child's stdout is piped");
    let (ready, address) = mpsc::channel();
    thread::spawn(move || {
        let mut ready = Some(ready);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(address) = line.strip_prefix(prefix)
                && let Some(ready) = ready.take()
            {
                let _ = ready.send(address.trim().to_owned());
            }
        }
    });
    match address.recv_timeout(Duration::from_secs(30)) {
        Ok(address) => address,
        Err(_) => {
            let status = child.try_wait().ok().flatten();
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name} did not start listening within 30 s (exit status: {status:?})");
        }
    }
}
