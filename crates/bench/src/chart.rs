//! SVG charts from the raw results of `ws-bench fanout-compare --json`:
//! one grouped bar chart per figure (a group per setup, a bar per server,
//! the median of the repeats), written as plain SVG text.
//!
//! Why no plotting crate: a bar chart is rectangles, lines and labels, a
//! hundred lines of SVG; `plotters` without its font features cannot lay
//! out text, and with them it brings a font stack into a benchmark crate.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::stats::{human, median};

/// One chart: a figure of each run and how to label it.
struct Figure {
    file: &'static str,
    title: &'static str,
    key: &'static str,
    scale: f64,
}

const FIGURES: [Figure; 4] = [
    Figure {
        file: "fanout-deliveries.svg",
        title: "Deliveries per second (median; higher is better)",
        key: "deliveries_per_sec",
        scale: 1.0,
    },
    Figure {
        file: "fanout-cpu.svg",
        title: "Server CPU per delivery, µs (median; lower is better)",
        key: "cpu_us_per_delivery",
        scale: 1.0,
    },
    Figure {
        file: "fanout-p99.svg",
        title: "Delivery latency p99, ms (median; lower is better)",
        key: "p99_us",
        scale: 1e-3,
    },
    Figure {
        file: "fanout-fill.svg",
        title: "Room fill time, s (median; lower is better)",
        key: "fill_s",
        scale: 1.0,
    },
];

const COLOURS: [&str; 6] = [
    "#1b6ac9", "#e8833a", "#3a9e5c", "#c4443b", "#8c62b5", "#7a7a7a",
];

/// Writes every chart of `results` (the JSON of `fanout-compare`) into `dir`.
///
/// # Errors
/// The directory cannot be written.
pub fn fanout(results: &Value, dir: &Path) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let servers: Vec<&str> = results["servers"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let setups = results["setups"].as_array().cloned().unwrap_or_default();
    let mut written = Vec::new();
    for figure in &FIGURES {
        let groups: Vec<(String, Vec<f64>)> = setups
            .iter()
            .map(|setup| {
                let values = servers
                    .iter()
                    .map(|s| {
                        let runs = setup["servers"][s]["runs"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default();
                        median(
                            &runs
                                .iter()
                                .map(|r| r[figure.key].as_f64().unwrap_or(f64::NAN) * figure.scale)
                                .collect::<Vec<_>>(),
                        )
                    })
                    .collect();
                (setup["name"].as_str().unwrap_or("?").to_owned(), values)
            })
            .collect();
        let svg = bars(figure.title, &servers, &groups);
        std::fs::write(dir.join(figure.file), svg)?;
        written.push(figure.file.to_owned());
    }
    Ok(written)
}

/// A grouped bar chart as SVG text.
fn bars(title: &str, servers: &[&str], groups: &[(String, Vec<f64>)]) -> String {
    let (width, height, left, top, bottom) = (760.0, 360.0, 70.0, 40.0, 70.0);
    let plot_h = height - top - bottom;
    let max = groups
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let group_w = (width - left - 20.0) / groups.len().max(1) as f64;
    let bar_w = group_w * 0.8 / servers.len().max(1) as f64;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        out,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        out,
        r#"<text x="{}" y="22" font-size="15" text-anchor="middle">{}</text>"#,
        width / 2.0,
        escape(title)
    );
    for tick in 0..=4 {
        let v = max * f64::from(tick) / 4.0;
        let y = top + plot_h * (1.0 - f64::from(tick) / 4.0);
        let _ = writeln!(
            out,
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#dddddd"/>"##,
            width - 20.0
        );
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            left - 6.0,
            y + 4.0,
            label(v)
        );
    }
    for (g, (name, values)) in groups.iter().enumerate() {
        let x0 = left + group_w * g as f64 + group_w * 0.1;
        for (i, v) in values.iter().enumerate() {
            if !v.is_finite() {
                continue;
            }
            let h = plot_h * v / max;
            let _ = writeln!(
                out,
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                x0 + bar_w * i as f64,
                top + plot_h - h,
                bar_w * 0.92,
                COLOURS[i % COLOURS.len()],
                escape(servers[i]),
                label(*v)
            );
        }
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x0 + group_w * 0.4,
            top + plot_h + 16.0,
            escape(name)
        );
    }
    for (i, s) in servers.iter().enumerate() {
        let x = left + 120.0 * i as f64;
        let y = height - 22.0;
        let _ = writeln!(
            out,
            r#"<rect x="{x}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{y}">{}</text>"#,
            y - 9.0,
            COLOURS[i % COLOURS.len()],
            x + 14.0,
            escape(s)
        );
    }
    out.push_str("</svg>\n");
    out
}

fn label(v: f64) -> String {
    if v >= 1e4 {
        human(v)
    } else if v >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bar_per_finite_value() {
        let svg = bars(
            "t <1>",
            &["a", "b"],
            &[
                ("s".to_owned(), vec![2.0, f64::NAN]),
                ("u".to_owned(), vec![1.0, 4.0]),
            ],
        );
        assert_eq!(svg.matches("<title>").count(), 3);
        assert!(svg.contains("t &lt;1&gt;"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    }
}
