//! Who runs a job: the owner name a runner holds a job's lease under.
//!
//! On AWS the runner is a Step Functions execution, named by its execution name. Embedded, it is this process:
//! `local_<pid>_<start>_<random>_<host>`, which is also a valid execution name (letters, digits, `-` and `_`).
//! A lease whose owner is a process of this machine that no longer runs is as good as expired: a backup killed
//! with SIGKILL is taken over at once by the next `oktavault backup`, not ten minutes later.

use std::sync::OnceLock;

const LOCAL: &str = "local";

/// This process's runner name (the same for the whole process).
pub fn local_runner() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let pid = std::process::id();
        let start = process_start(pid).unwrap_or(0);
        let host = sanitized_host();
        format!("{LOCAL}_{pid}_{start}_{}_{host}", crate::ids::random_suffix())
    })
}

/// True only when `owner` is provably a process of this machine that has ended (or a different process now
/// holds its pid): its lease may be taken over before it expires. Any other owner (an execution on AWS, a process
/// of another machine, or this platform cannot tell) is `false`.
pub fn is_dead_local_runner(owner: &str) -> bool {
    let mut parts = owner.splitn(5, '_');
    let (Some(LOCAL), Some(pid), Some(start), Some(_), Some(host)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let (Ok(pid), Ok(start)) = (pid.parse::<u32>(), start.parse::<u64>()) else {
        return false;
    };
    if host != sanitized_host() || !cfg!(target_os = "linux") {
        return false;
    }
    process_start(pid) != Some(start)
}

/// The start time of process `pid` (field 22 of `/proc/<pid>/stat`, clock ticks since boot), or `None` when no
/// such process runs.
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19)?.parse().ok()
}

fn sanitized_host() -> String {
    let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_default();
    let host: String = raw
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' })
        .take(32)
        .collect();
    if host.is_empty() { "host".to_owned() } else { host }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_valid_execution_name() {
        let me = local_runner();
        assert!(!is_dead_local_runner(me), "{me}");
        assert!(me.len() <= 80, "{me}");
        assert!(
            me.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{me}"
        );
    }

    #[test]
    fn an_ended_process_of_this_machine_is_dead_and_others_are_not_known_to_be() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let ended = format!("{LOCAL}_{pid}_12345_abcd_{}", sanitized_host());
        assert!(is_dead_local_runner(&ended), "{ended}");
        // A live pid with another start time is another process: the runner that held the lease is gone.
        let reused = format!("{LOCAL}_{}_1_abcd_{}", std::process::id(), sanitized_host());
        assert!(is_dead_local_runner(&reused));
        assert!(!is_dead_local_runner(&format!("{LOCAL}_{pid}_12345_abcd_other-host")));
        assert!(!is_dead_local_runner("backup-2026-11-28-acme"), "an AWS execution");
        assert!(!is_dead_local_runner("local_notapid_1_a_h"));
    }
}
