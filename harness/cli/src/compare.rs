//! `simdpar compare A.json B.json ...`: the report of each machine side by
//! side. Per cell (kernel x dtype x shape): the defaults against the best
//! manual choice, against every peer (NumPy, NumKong, the Mojo twin) and
//! the fraction of the machine's STREAM limit (DRAM per thread count, in
//! cache for the defaults), with what each machine's defaults ran and its
//! best manual choice; as Markdown (printed and written) and PNG charts of
//! the defaults against the best manual choice and of the fraction of the
//! limit.
//! Reads older `report.json` files too: missing fields show as `-`, and a
//! file without a `machine` block is identified from its `cpu` block.

mod cells;
mod machine;

use crate::report::bar_chart::{BarChart, render};
use cells::{Cell, CellKey, Ratio, cells_of, limit_label};
use machine::Machine;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

pub use machine::microarch;

/// Options of `simdpar compare`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// `report.json` files, one per machine (e.g. `results/*/report.json`).
    #[arg(required = true, num_args = 1..)]
    files: Vec<PathBuf>,
    /// Where `compare.md` and the PNGs go.
    #[arg(long, default_value = "target/simdpar-compare")]
    out: PathBuf,
}

/// One machine's report, parsed.
struct Run {
    machine: Machine,
    cells: BTreeMap<CellKey, Cell>,
}

/// Reads every file, writes `compare.md` and the charts, prints the
/// Markdown.
pub fn run(args: &Args) -> Result<(), String> {
    let mut runs = Vec::new();
    let mut order: Vec<CellKey> = Vec::new();
    for f in &args.files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let v: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", f.display()))?;
        let cells = cells_of(&v);
        for (k, _) in &cells {
            if !order.contains(k) {
                order.push(k.clone());
            }
        }
        runs.push(Run {
            machine: Machine::from_json(&v),
            cells: cells.into_iter().collect(),
        });
    }
    disambiguate(&mut runs);
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let pngs = charts(&runs, &order, &args.out)?;
    let md = markdown(&runs, &order, &args.files, &pngs);
    let path = args.out.join("compare.md");
    std::fs::write(&path, &md).map_err(|e| format!("{}: {e}", path.display()))?;
    print!("{md}");
    println!("\nwritten: {}", path.display());
    for p in &pngs {
        println!("chart:   {}", args.out.join(p).display());
    }
    Ok(())
}

/// Machines with the same label get their date appended.
fn disambiguate(runs: &mut [Run]) {
    let labels: Vec<String> = runs.iter().map(|r| r.machine.label.clone()).collect();
    for (i, r) in runs.iter_mut().enumerate() {
        if labels.iter().filter(|l| **l == labels[i]).count() > 1 {
            r.machine.label = format!("{} {}", r.machine.label, r.machine.date);
        }
    }
}

fn ratio(r: &Option<Ratio>) -> String {
    match r {
        Some(r) => {
            let flag = if r.pass == Some(false) { " ✗" } else { "" };
            format!("{:.3}{flag}", r.value)
        }
        None => "-".into(),
    }
}

fn limit(c: &Cell) -> String {
    if c.limit.is_empty() {
        return "-".into();
    }
    c.limit
        .iter()
        .map(|(t, r)| {
            let flag = if r.pass == Some(false) { " ✗" } else { "" };
            format!("{:.0}% {}{flag}", 100.0 * r.value, limit_label(*t))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn choice(c: &Cell) -> String {
    match (&c.plan, &c.best) {
        (Some(p), Some(b)) => format!("{p}; best {b}"),
        (Some(p), None) => p.clone(),
        (None, Some(b)) => format!("best {b}"),
        (None, None) => "-".into(),
    }
}

/// What differs between the machines in one cell: a goal met on one and
/// missed on another, or another plan (ISA / threads).
fn differs(cells: &[Option<&Cell>]) -> String {
    let mut what = Vec::new();
    type Get = fn(&Cell) -> Option<&Ratio>;
    let metrics: [(&str, Get); 4] = [
        ("vs best", |c| c.vs_manual.as_ref()),
        ("vs NumPy", |c| c.vs_numpy.as_ref()),
        ("vs NumKong", |c| c.vs_numkong.as_ref()),
        ("vs Mojo", |c| c.vs_mojo.as_ref()),
    ];
    for (name, get) in metrics {
        let passes: Vec<bool> = cells
            .iter()
            .filter_map(|c| c.and_then(get).and_then(|r| r.pass))
            .collect();
        if passes.contains(&true) && passes.contains(&false) {
            what.push(name.to_string());
        }
    }
    let limits: Vec<bool> = cells
        .iter()
        .flatten()
        .flat_map(|c| c.limit.values().filter_map(|r| r.pass))
        .collect();
    if limits.contains(&true) && limits.contains(&false) {
        what.push("limit".into());
    }
    let plans: Vec<&str> = cells
        .iter()
        .filter_map(|c| c.and_then(|c| c.plan.as_deref()))
        .map(|p| p.split(',').next().unwrap_or(p).trim())
        .collect();
    if plans.windows(2).any(|w| w[0] != w[1]) {
        what.push("plan".into());
    }
    what.join(", ")
}

/// The Markdown comparison.
fn markdown(runs: &[Run], order: &[CellKey], files: &[PathBuf], pngs: &[String]) -> String {
    let mut s = String::from("# simdpar across machines\n\n");
    let _ = writeln!(
        s,
        "From {}. Ratios are simdpar's built-in (or tuned) defaults against the other side \
         (above 1: the defaults are faster); `✗` marks a missed goal (0.95 against the best \
         manual choice, 0.97 against a peer, the bandwidth group's target for % of limit).\n",
        files
            .iter()
            .map(|f| format!("`{}`", f.display()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let head: Vec<&str> = runs.iter().map(|r| r.machine.label.as_str()).collect();
    let _ = writeln!(s, "| | {} |", head.join(" | "));
    let _ = writeln!(s, "|---|{}", "---|".repeat(runs.len()));
    type Field = fn(&Machine) -> String;
    let rows: [(&str, Field); 9] = [
        ("CPU", |m| format!("{} {}", m.vendor, m.brand)),
        ("family / model", |m| match (m.family, m.model) {
            (Some(f), Some(mo)) => format!("{f:#x} / {mo:#x}"),
            _ => "-".into(),
        }),
        ("caches", |m| m.caches.clone()),
        ("ISAs", |m| m.isas.join(", ")),
        ("profile", |m| m.profile.clone()),
        ("date", |m| m.date.clone()),
        ("source", |m| m.source.clone()),
        ("goals passed", |m| m.goals.clone()),
        ("label", |m| m.label.clone()),
    ];
    for (name, f) in rows {
        let vals: Vec<String> = runs.iter().map(|r| f(&r.machine)).collect();
        let _ = writeln!(s, "| {name} | {} |", vals.join(" | "));
    }
    s += "\n## Per cell\n\n";
    let mut cols = vec!["cell".to_string()];
    type Col = fn(&Cell) -> String;
    let metrics: [(&str, Col); 6] = [
        ("vs best manual", |c| ratio(&c.vs_manual)),
        ("defaults ran", choice),
        ("vs NumPy", |c| ratio(&c.vs_numpy)),
        ("vs NumKong", |c| ratio(&c.vs_numkong)),
        ("vs Mojo", |c| match &c.twin {
            Some(t) if c.vs_mojo.is_some() => format!("{} ({t})", ratio(&c.vs_mojo)),
            _ => ratio(&c.vs_mojo),
        }),
        ("% of limit", limit),
    ];
    for (name, _) in &metrics {
        for (i, _) in runs.iter().enumerate() {
            cols.push(format!("{name} [{}]", letter(i)));
        }
    }
    cols.push("differs".into());
    let _ = writeln!(
        s,
        "Machines: {}.\n",
        runs.iter()
            .enumerate()
            .map(|(i, r)| format!("[{}] {}", letter(i), r.machine.label))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(s, "| {} |", cols.join(" | "));
    let _ = writeln!(s, "|{}", "---|".repeat(cols.len()));
    for key in order {
        let cells: Vec<Option<&Cell>> = runs.iter().map(|r| r.cells.get(key)).collect();
        let mut row = vec![key.to_string()];
        for (_, f) in &metrics {
            for c in &cells {
                row.push(c.map_or_else(|| "-".to_string(), f));
            }
        }
        row.push(differs(&cells));
        let _ = writeln!(s, "| {} |", row.join(" | "));
    }
    if !pngs.is_empty() {
        s += "\n## Charts\n\n";
        for p in pngs {
            let _ = writeln!(s, "![{p}]({p})\n");
        }
    }
    s
}

/// `A`, `B`, ... for column headers.
fn letter(i: usize) -> char {
    (b'A' + (i % 26) as u8) as char
}

/// One PNG per dtype: every machine's defaults against its best manual
/// choice, per cell.
fn charts(runs: &[Run], order: &[CellKey], dir: &Path) -> Result<Vec<String>, String> {
    let mut files = Vec::new();
    let mut dtypes: Vec<&str> = order.iter().map(|k| k.dtype.as_str()).collect();
    dtypes.dedup();
    dtypes.sort();
    dtypes.dedup();
    for dtype in dtypes {
        let keys: Vec<&CellKey> = order
            .iter()
            .filter(|k| k.dtype == dtype)
            .filter(|k| {
                runs.iter()
                    .any(|r| r.cells.get(*k).is_some_and(|c| c.vs_manual.is_some()))
            })
            .collect();
        if keys.is_empty() {
            continue;
        }
        let chart = BarChart {
            title: format!("defaults / best manual choice, {dtype} (above 1: defaults faster)"),
            y_label: "ratio".into(),
            categories: keys
                .iter()
                .map(|k| format!("{} {}", k.kernel, k.shape))
                .collect(),
            series: runs
                .iter()
                .map(|r| {
                    (
                        r.machine.label.clone(),
                        keys.iter()
                            .map(|k| {
                                r.cells
                                    .get(*k)
                                    .and_then(|c| c.vs_manual.as_ref())
                                    .map(|x| x.value)
                            })
                            .collect(),
                    )
                })
                .collect(),
            hlines: vec![("goal".into(), 0.95)],
            log_y: false,
        };
        let name = format!("compare-defaults-{dtype}.png");
        render(&chart, &dir.join(&name))?;
        files.push(name);
    }
    if let Some(name) = limit_chart(runs, order, dir)? {
        files.push(name);
    }
    Ok(files)
}

/// The fraction of each machine's STREAM limit per cell and thread count,
/// and of the in-cache pattern (cells that have one), if any.
fn limit_chart(runs: &[Run], order: &[CellKey], dir: &Path) -> Result<Option<String>, String> {
    let keys: Vec<&CellKey> = order
        .iter()
        .filter(|k| {
            runs.iter()
                .any(|r| r.cells.get(*k).is_some_and(|c| !c.limit.is_empty()))
        })
        .collect();
    let mut threads: Vec<u64> = runs
        .iter()
        .flat_map(|r| r.cells.values().flat_map(|c| c.limit.keys().copied()))
        .collect();
    threads.sort_unstable();
    threads.dedup();
    if keys.is_empty() {
        return Ok(None);
    }
    let mut series = Vec::new();
    for r in runs {
        for &t in &threads {
            let values: Vec<Option<f64>> = keys
                .iter()
                .map(|k| {
                    r.cells
                        .get(*k)
                        .and_then(|c| c.limit.get(&t))
                        .map(|x| x.value)
                })
                .collect();
            if values.iter().any(Option::is_some) {
                series.push((format!("{} {}", r.machine.label, limit_label(t)), values));
            }
        }
    }
    let chart = BarChart {
        title: "fraction of the STREAM limit (same bytes, same rounds)".into(),
        y_label: "fraction".into(),
        categories: keys
            .iter()
            .map(|k| format!("{} {} {}", k.kernel, k.dtype, k.shape))
            .collect(),
        series,
        hlines: {
            let mut h = vec![("limit".into(), 1.0), ("1-thread goal".into(), 0.9)];
            if threads.contains(&cells::IN_CACHE_KEY) {
                h.push(("in-cache goal".into(), 0.85));
            }
            h
        },
        log_y: false,
    };
    let name = "compare-limit.png".to_string();
    render(&chart, &dir.join(&name))?;
    Ok(Some(name))
}
