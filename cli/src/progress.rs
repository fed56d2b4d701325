//! Progress on stderr for long reads: a byte counter, hidden when stderr is not a terminal
//! (indicatif's default), so scripts and pipes see clean output.

use indicatif::{ProgressBar, ProgressStyle};

/// A running count of bytes read, with throughput.
pub(crate) fn bytes(message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new_spinner().with_message(message);
    // The template is a constant that parses; fall back to the default style if it ever did not.
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}: {bytes} ({bytes_per_sec})") {
        bar.set_style(style);
    }
    bar
}
