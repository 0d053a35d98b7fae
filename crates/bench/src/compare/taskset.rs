//! Pinning: the servers to core 0 and the load generators to core 1, with
//! `taskset`, so that the two never compete for a core.

use std::path::Path;
use std::process::{Command, Stdio};

/// `taskset -c CORE` in front of a command, when pinning.
pub(crate) fn command(pin: bool, core: u32, program: &Path) -> Command {
    if pin {
        let mut c = Command::new("taskset");
        c.arg("-c").arg(core.to_string()).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// Whether pinning is possible: two cores or more, and `taskset` runs.
pub(crate) fn works() -> bool {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    cores >= 2
        && Command::new("taskset")
            .args(["-c", "1", "true"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}
