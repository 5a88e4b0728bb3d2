//! The defaults' goals: simdpar's defaults (threads automatic, no ISA forced)
//! against every manual choice and every peer, and the thread scaling the
//! parallel runtime promises. Every ratio is a median of per-round ratios
//! of candidates timed in the same interleaved group (or, for NumPy and
//! NumKong, in the same Python process).

use super::{Goal, goal};
use crate::report::Results;
use simdpar::{Plan, Threads};
use simdpar_bench::timing::{Stats, held_out_best, paired_ratio, paired_speedup_ratio};
use simdpar_bench::workloads::{Impl, Op, Row, Shape, Workload};
use simdpar_mojo::TwinVariant;

/// Defaults >= this fraction of the best manual choice.
pub const VS_MANUAL: f64 = 0.95;
/// Defaults >= this fraction of each peer, and 2 threads >= this fraction
/// of 1 thread.
pub const VS_PEER: f64 = 0.97;
/// Mandelbrot on all threads >= this multiple of one thread.
pub const MANDEL_SCALING: f64 = 1.8;
/// A DRAM-sized kernel's all-threads/1-thread speedup >= this fraction of
/// the STREAM pattern's own. The pattern is the limit, so a kernel at the
/// memory limit on one thread and on all measures 1.00 plus noise: on the
/// 2-vCPU Zen 5 such ties read 0.98-1.02 from run to run, so a bar of 1.00
/// failed half of the best kernels at random. The same 3% measurement
/// tolerance as "never slower on 2 threads" ([`VS_PEER`]); the runtime
/// failures this goal exists for (2 threads at 0.3-0.8x of 1) stay far
/// below it.
pub const DRAM_SCALING: f64 = 0.97;

/// The `len` [`simdpar::plan`] takes for a workload (work, pixels x
/// iterations, for Mandelbrot).
pub fn plan_len(w: &Workload) -> usize {
    match w.shape {
        Shape::Image { max_iter, .. } => w.shape.elems() * max_iter as usize,
        s => s.elems(),
    }
}

/// What the library plans for `w` with automatic threads, in this process.
pub fn plan_of(w: &Workload) -> Plan {
    simdpar::plan(w.op.kernel, w.dtype, plan_len(w), Threads::Auto)
}

/// The default row of `w`.
pub fn default_row<'a>(r: &'a Results, w: &Workload) -> Option<&'a Row> {
    r.find(w, Impl::Default, 0)
}

/// Every manual choice measured for `w` (an ISA forced, 1 or all threads).
pub fn manual_rows<'a>(r: &'a Results, w: &Workload) -> Vec<&'a Row> {
    r.rows
        .iter()
        .filter(|x| x.workload == *w && matches!(x.spec.imp, Impl::Simdpar(_)))
        .filter(|x| x.spec.align == simdpar_bench::data::Align::Aligned)
        .collect()
}

/// The fastest manual choice of `w` and its time over the defaults' (a
/// median of per-round ratios), cross-fitted as
/// [`simdpar_bench::timing::held_out_best`] describes: each round measures
/// the choice picked on the rounds of the other parity.
pub fn best_manual<'a>(r: &'a Results, w: &Workload) -> Option<(&'a Row, f64)> {
    let def = default_row(r, w)?;
    let rows = manual_rows(r, w);
    let stats: Vec<&Stats> = rows.iter().map(|x| &x.stats).collect();
    let (i, ratio) = held_out_best(&stats, &def.stats)?;
    Some((rows[i], ratio))
}

/// `manual/isa/tN` for a manual row.
pub fn manual_label(x: &Row) -> String {
    match x.spec.imp {
        Impl::Simdpar(i) => format!("{} {}T", i.name(), x.spec.threads),
        other => other.label(),
    }
}

fn id(kind: &str, w: &Workload) -> String {
    format!(
        "{kind}/{}/{}/{}",
        w.op.name(),
        w.dtype.name(),
        w.shape.label()
    )
}

fn cell(w: &Workload) -> String {
    format!("{} {} {}", w.op.name(), w.dtype.name(), w.shape.label())
}

/// Adds every goal of the defaults: against manual choices, Mojo and the
/// Python peers, and the thread and DRAM scaling.
pub(super) fn goals(r: &Results, out: &mut Vec<Goal>) {
    for w in r.workloads() {
        vs_manual(r, &w, out);
        vs_mojo(r, &w, out);
        for peer in ["numpy", "numkong"] {
            vs_python_peer(r, &w, peer, out);
        }
        if r.threads > 1 {
            two_vs_one(r, &w, out);
            dram_scaling(r, &w, out);
        }
    }
}

fn vs_manual(r: &Results, w: &Workload, out: &mut Vec<Goal>) {
    let d = default_row(r, w);
    let best = best_manual(r, w);
    let p = plan_of(w);
    let (measured, detail) = match (d, best) {
        (Some(d), Some((b, ratio))) => (
            Some(ratio),
            format!(
                "best manual {} {:.4} ms, defaults {:.4} ms (plan: {} {}T, {}); median of per-round ratios, each round measuring the best manual choice picked on the other half of the rounds",
                manual_label(b),
                b.stats.median * 1e3,
                d.stats.median * 1e3,
                p.isa.name(),
                p.threads,
                p.reason
            ),
        ),
        _ => (None, "defaults or manual choices not measured".to_string()),
    };
    out.push(goal(
        id("defaults_vs_manual", w),
        "defaults_vs_manual",
        w,
        0,
        format!(
            "{}: defaults >= {VS_MANUAL}x the best manual choice (every ISA x 1/{} threads)",
            cell(w),
            r.threads
        ),
        measured,
        VS_MANUAL,
        detail,
    ));
}

fn vs_mojo(r: &Results, w: &Workload, out: &mut Vec<Goal>) {
    if !w.op.has_twin() {
        return;
    }
    let Some(d) = default_row(r, w) else {
        return;
    };
    // The exact twin (same bits as simdpar), its threaded form too where
    // it has one: the faster of the two is the peer (picked held out, as
    // the best manual choice is).
    let twins: Vec<&Row> = [1, r.threads]
        .iter()
        .filter_map(|&t| r.find(w, Impl::Mojo(TwinVariant::Exact), t))
        .collect();
    let stats: Vec<&Stats> = twins.iter().map(|x| &x.stats).collect();
    let (measured, detail) = match held_out_best(&stats, &d.stats) {
        Some((i, ratio)) => (
            Some(ratio),
            format!(
                "mojo:exact {}T {:.4} ms, defaults {:.4} ms; median of per-round ratios, each round measuring the faster twin picked on the other half of the rounds",
                twins[i].spec.threads,
                twins[i].stats.median * 1e3,
                d.stats.median * 1e3
            ),
        ),
        None => (None, "Mojo twin not measured (see the Mojo notes)".into()),
    };
    out.push(goal(
        id("defaults_vs_mojo", w),
        "defaults_vs_mojo",
        w,
        0,
        format!("{}: defaults >= {VS_PEER}x the Mojo twin", cell(w)),
        measured,
        VS_PEER,
        detail,
    ));
}

fn vs_python_peer(r: &Results, w: &Workload, peer: &str, out: &mut Vec<Goal>) {
    let (k, dt, s) = (w.op.name(), w.dtype.name(), w.shape.label());
    let peer_row = r.py.row(k, dt, &s, peer, 1);
    if peer_row.is_none() && peer == "numkong" && r.py.numkong.is_some() {
        // NumKong has no such kernel (leaky_relu, mandelbrot): no goal.
        return;
    }
    let measured = r.py.paired_methods(k, dt, &s, (peer, 1), ("simdpar-py", 0));
    let detail = match (peer_row, r.py.row(k, dt, &s, "simdpar-py", 0)) {
        (Some(p), Some(d)) => format!(
            "{peer} {:.4} ms, simdpar defaults through Python {:.4} ms; median of per-round ratios",
            p.median * 1e3,
            d.median * 1e3
        ),
        (None, _) => format!("{peer} not measured (see the Python notes)"),
        (_, None) => "simdpar defaults through Python not measured (see the Python notes)".into(),
    };
    let group = if peer == "numpy" {
        "defaults_vs_numpy"
    } else {
        "defaults_vs_numkong"
    };
    out.push(goal(
        id(group, w),
        group,
        w,
        0,
        format!("{}: defaults >= {VS_PEER}x {peer}", cell(w)),
        measured,
        VS_PEER,
        detail,
    ));
}

/// 2 threads against 1 on the ISA the plan picks (Mandelbrot: >= 1.8x).
fn two_vs_one(r: &Results, w: &Workload, out: &mut Vec<Goal>) {
    let isa = plan_of(w).isa;
    let one = r.find(w, Impl::Simdpar(isa), 1);
    let all = r.find(w, Impl::Simdpar(isa), r.threads);
    let mandel = w.op == Op::MANDELBROT;
    let target = if mandel { MANDEL_SCALING } else { VS_PEER };
    let t = r.threads;
    let (measured, detail) = match (one, all) {
        (Some(a), Some(b)) => (
            Some(paired_ratio(&a.stats, &b.stats)),
            format!(
                "{} 1T {:.4} ms, {t}T {:.4} ms; median of per-round ratios",
                isa.name(),
                a.stats.median * 1e3,
                b.stats.median * 1e3
            ),
        ),
        _ => (None, format!("{} 1T or {t}T not measured", isa.name())),
    };
    let what = if mandel {
        format!("{}: {t} threads >= {MANDEL_SCALING}x 1 thread", cell(w))
    } else {
        format!(
            "{}: {t} threads never slower than 1 (>= {VS_PEER}x)",
            cell(w)
        )
    };
    out.push(goal(
        id("threads", w),
        "threads",
        w,
        t,
        what,
        measured,
        target,
        detail,
    ));
}

/// DRAM-sized kernels: their all-threads/1-thread speedup against the
/// STREAM pattern's own, both timed in the same group.
fn dram_scaling(r: &Results, w: &Workload, out: &mut Vec<Goal>) {
    let Some(p) = w.op.pattern() else {
        return;
    };
    if w.shape.class(w.dtype) != "dram" {
        return;
    }
    let isa = plan_of(w).isa;
    let t = r.threads;
    let k = (
        r.find(w, Impl::Simdpar(isa), 1),
        r.find(w, Impl::Simdpar(isa), t),
    );
    let s = (r.find(w, Impl::Stream(p), 1), r.find(w, Impl::Stream(p), t));
    let (measured, detail) = match (k, s) {
        ((Some(k1), Some(kt)), (Some(s1), Some(st))) => {
            let ks = paired_ratio(&k1.stats, &kt.stats);
            let ss = paired_ratio(&s1.stats, &st.stats);
            (
                Some(paired_speedup_ratio(
                    &k1.stats, &kt.stats, &s1.stats, &st.stats,
                )),
                format!(
                    "kernel ({}) {t}T/1T speedup {ks:.2}x, STREAM {} {t}T/1T {ss:.2}x (same group; \
                     measured: median over rounds of the kernel's speedup / STREAM's)",
                    isa.name(),
                    p.name()
                ),
            )
        }
        _ => (None, "kernel or STREAM rows not measured".to_string()),
    };
    out.push(goal(
        id("dram_scaling", w),
        "dram_scaling",
        w,
        t,
        format!(
            "{}: {t}T/1T speedup >= {DRAM_SCALING}x STREAM {}'s own {t}T/1T speedup",
            cell(w),
            p.name()
        ),
        measured,
        DRAM_SCALING,
        detail,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::goals::testing::{results, row};
    use simdpar_bench::stream::Pattern;
    use simdpar_bench::workloads::Dtype;

    fn find<'a>(goals: &'a [Goal], id: &str) -> &'a Goal {
        goals
            .iter()
            .find(|g| g.id == id)
            .unwrap_or_else(|| panic!("no goal {id}"))
    }

    #[test]
    fn defaults_are_held_against_the_fastest_manual_choice_by_paired_rounds() {
        let w = Workload {
            op: Op::ADD,
            dtype: Dtype::F32,
            shape: Shape::Elems(1 << 20),
        };
        let isas = simdpar::available_isas();
        let mut rows = vec![row(w, Impl::Default, 0, &[1.0, 1.0, 1.0])];
        // The last ISA at 1 thread is the fastest manual choice: per-round
        // ratios 0.94, 1.3, 0.9 (median 0.94, below the 0.95 goal).
        for (i, &isa) in isas.iter().enumerate() {
            if i + 1 == isas.len() {
                rows.push(row(w, Impl::Simdpar(isa), 1, &[0.94, 1.3, 0.9]));
            } else {
                rows.push(row(w, Impl::Simdpar(isa), 1, &[3.0, 3.0, 3.0]));
            }
            rows.push(row(w, Impl::Simdpar(isa), 2, &[2.0, 2.0, 2.0]));
        }
        let r = results(rows);
        let mut goals = Vec::new();
        super::goals(&r, &mut goals);
        let g = find(&goals, "defaults_vs_manual/add/f32/1M");
        assert_eq!(g.measured, Some(0.94));
        assert_eq!(g.pass, Some(false));
        let last = isas[isas.len() - 1].name();
        assert!(g.detail.contains(&format!("{last} 1T")), "{}", g.detail);
        // 2 threads (2.0) against 1 thread (3.0, or 0.94 for the last ISA)
        // on the ISA the plan picks.
        let t = find(&goals, "threads/add/f32/1M");
        let want = if plan_of(&w).isa == isas[isas.len() - 1] {
            0.47
        } else {
            1.5
        };
        assert!((t.measured.unwrap() - want).abs() < 1e-12, "{t:?}");
        // No peer measured: those goals are not measured, never passed.
        let np = find(&goals, "defaults_vs_numpy/add/f32/1M");
        assert_eq!(np.pass, None);
    }

    #[test]
    fn mandelbrot_scaling_and_dram_scaling_against_stream() {
        let img = Workload {
            op: Op::MANDELBROT,
            dtype: Dtype::F64,
            shape: Shape::Image {
                width: 64,
                height: 64,
                max_iter: 100,
            },
        };
        let dram = Workload {
            op: Op::SUM,
            dtype: Dtype::F32,
            shape: Shape::Elems(64 << 20),
        };
        let mut rows = Vec::new();
        for &isa in &simdpar::available_isas() {
            rows.push(row(img, Impl::Simdpar(isa), 1, &[3.0]));
            rows.push(row(img, Impl::Simdpar(isa), 2, &[2.0]));
            rows.push(row(dram, Impl::Simdpar(isa), 1, &[2.0, 2.0]));
            rows.push(row(dram, Impl::Simdpar(isa), 2, &[1.0, 1.0]));
        }
        rows.push(row(dram, Impl::Stream(Pattern::Read), 1, &[2.0, 2.0]));
        rows.push(row(dram, Impl::Stream(Pattern::Read), 2, &[1.25, 1.25]));
        let r = results(rows);
        let mut goals = Vec::new();
        super::goals(&r, &mut goals);
        let m = find(&goals, "threads/mandelbrot/f64/64x64");
        assert_eq!(
            (m.measured, m.target, m.pass),
            (Some(1.5), 1.8, Some(false))
        );
        // Kernel 2.0x against STREAM's own 1.6x: 1.25, passes.
        let d = find(&goals, "dram_scaling/sum/f32/64M");
        assert_eq!((d.measured, d.pass), (Some(1.25), Some(true)));
        // Kernel 1.5x against STREAM's 1.6x: 0.9375, fails; a tie at the
        // memory limit (1.6x against 1.6x, 1.00) passes.
        for (k2, want) in [(4.0 / 3.0, false), (1.25, true)] {
            let rows: Vec<Row> = r
                .rows
                .iter()
                .map(|x| {
                    let mut x = x.clone();
                    if x.workload == dram
                        && matches!(x.spec.imp, Impl::Simdpar(_))
                        && x.spec.threads == 2
                    {
                        x = row(dram, x.spec.imp, 2, &[k2, k2]);
                    }
                    x
                })
                .collect();
            let mut goals = Vec::new();
            super::goals(&results(rows), &mut goals);
            let d = find(&goals, "dram_scaling/sum/f32/64M");
            assert_eq!((d.target, d.pass), (DRAM_SCALING, Some(want)), "{d:?}");
        }
    }
}
