//! Latency recording and the summaries the reports print.

use std::time::Duration;

/// Round-trip times of one connection (or of a whole run, once merged), in
/// nanoseconds. Kept exactly rather than bucketed: a few million `u32`s is
/// a few MiB, and exact percentiles need no explaining.
#[derive(Clone, Debug, Default)]
pub struct Latencies {
    samples: Vec<u32>,
}

impl Latencies {
    /// Records one sample (saturating at about 4.3 s).
    pub fn record(&mut self, d: Duration) {
        self.samples
            .push(u32::try_from(d.as_nanos()).unwrap_or(u32::MAX));
    }

    /// Adds another recording's samples.
    pub fn merge(&mut self, other: Self) {
        self.samples.extend(other.samples);
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Sorts the samples so that [`Latencies::quantile_us`] can read them.
    pub fn sort(&mut self) {
        self.samples.sort_unstable();
    }

    /// The `q` quantile (0.5, 0.99, 0.999) in microseconds, after
    /// [`Latencies::sort`] (nearest rank).
    // A rank between 1 and `len`, computed in floating point on purpose.
    #[allow(clippy::cast_possible_truncation)]
    pub fn quantile_us(&self, q: f64) -> f64 {
        if self.samples.is_empty() {
            return 0.0;
        }
        let n = self.samples.len();
        let rank = (q * n as f64).ceil().max(1.0) as usize;
        f64::from(self.samples[rank.min(n) - 1]) / 1000.0
    }
}

/// The median of some measurements (the mean of the middle two for an even
/// count); `NaN` for none.
pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        f64::midpoint(v[n / 2 - 1], v[n / 2])
    }
}

/// Formats a count with a k/M suffix for the tables.
pub fn human(x: f64) -> String {
    if x.is_nan() {
        "–".to_owned()
    } else if x >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if x >= 1e4 {
        format!("{:.1}k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

/// A figure of a report's JSON: NaN (not measured, say without a server
/// PID) becomes `null`, which JSON can hold and NaN it cannot.
pub fn finite_or_null(x: f64) -> serde_json::Value {
    if x.is_finite() {
        serde_json::json!(x)
    } else {
        serde_json::Value::Null
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_nearest_rank() {
        let mut l = Latencies::default();
        for us in 1..=1000 {
            l.record(Duration::from_micros(us));
        }
        l.sort();
        assert_eq!(l.quantile_us(0.5), 500.0);
        assert_eq!(l.quantile_us(0.99), 990.0);
        assert_eq!(l.quantile_us(0.999), 999.0);
        assert_eq!(l.quantile_us(1.0), 1000.0);
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
