//! What an echo run measured: its report, the JSON line the comparison
//! reads back from each load-generator process, and the summary line.

use serde_json::json;

use crate::stats::{finite_or_null, human};

/// What a run measured.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Echoes completed in the measured window.
    pub messages: u64,
    /// Length of the measured window in seconds.
    pub seconds: f64,
    /// Echoes per second.
    pub msgs_per_sec: f64,
    /// Payload megabytes (10^6) per second, one direction.
    pub mb_per_sec: f64,
    /// Round-trip percentiles in microseconds.
    pub p50_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Server CPU time per echo in microseconds (NaN without a PID).
    pub server_cpu_us_per_msg: f64,
    /// The part of it spent in user space: the library and the runtime.
    pub server_user_us_per_msg: f64,
    /// The part of it spent in the kernel: system calls and TCP.
    pub server_sys_us_per_msg: f64,
    /// Server CPU use over the window, in cores (1.0: one core busy).
    pub server_cpu_cores: f64,
    /// The load generator's own CPU use over the window, in cores.
    pub client_cpu_cores: f64,
}

impl Report {
    /// One JSON object (the comparison reads it back).
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "messages": self.messages,
            "seconds": self.seconds,
            "msgs_per_sec": self.msgs_per_sec,
            "mb_per_sec": self.mb_per_sec,
            "p50_us": self.p50_us,
            "p99_us": self.p99_us,
            "p999_us": self.p999_us,
            "server_cpu_us_per_msg": finite_or_null(self.server_cpu_us_per_msg),
            "server_user_us_per_msg": finite_or_null(self.server_user_us_per_msg),
            "server_sys_us_per_msg": finite_or_null(self.server_sys_us_per_msg),
            "server_cpu_cores": finite_or_null(self.server_cpu_cores),
            "client_cpu_cores": self.client_cpu_cores,
        })
    }

    /// Reads back [`Report::to_json`].
    pub fn from_json(v: &serde_json::Value) -> Self {
        let f = |k: &str| {
            v.get(k)
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(f64::NAN)
        };
        Self {
            messages: v
                .get("messages")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0),
            seconds: f("seconds"),
            msgs_per_sec: f("msgs_per_sec"),
            mb_per_sec: f("mb_per_sec"),
            p50_us: f("p50_us"),
            p99_us: f("p99_us"),
            p999_us: f("p999_us"),
            server_cpu_us_per_msg: f("server_cpu_us_per_msg"),
            server_user_us_per_msg: f("server_user_us_per_msg"),
            server_sys_us_per_msg: f("server_sys_us_per_msg"),
            server_cpu_cores: f("server_cpu_cores"),
            client_cpu_cores: f("client_cpu_cores"),
        }
    }

    /// The human-readable summary.
    pub fn summary(&self) -> String {
        format!(
            "{} msgs/s  {:.1} MB/s  rtt p50 {:.1} µs  p99 {:.1} µs  p999 {:.1} µs  \
             server {:.2} µs CPU/echo ({:.2} user + {:.2} kernel; {:.2} cores)  client {:.2} cores  ({} echoes in {:.2} s)",
            human(self.msgs_per_sec),
            self.mb_per_sec,
            self.p50_us,
            self.p99_us,
            self.p999_us,
            self.server_cpu_us_per_msg,
            self.server_user_us_per_msg,
            self.server_sys_us_per_msg,
            self.server_cpu_cores,
            self.client_cpu_cores,
            self.messages,
            self.seconds,
        )
    }
}
