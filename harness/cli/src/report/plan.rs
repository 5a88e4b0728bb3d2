//! What a report run measures: the workloads, the candidates of each group,
//! the alignment groups and the threshold sweep sizes.

use super::Options;
use simdpar::Isa;
use simdpar_bench::data::Align;
use simdpar_bench::workloads::{Dtype, Impl, Op, Shape, Spec, Workload};
use simdpar_mojo::TwinVariant;

/// The machine facts a plan depends on.
pub struct PlanCtx {
    /// Every ISA this CPU runs.
    pub isas: Vec<Isa>,
    /// The dispatched ISA.
    pub best: Isa,
    /// Threads of "all threads".
    pub threads: usize,
}

/// The workloads of the matrix (the standard one, filtered by `--only`).
pub fn workloads(opts: &Options) -> Vec<Workload> {
    let mut v = Workload::standard();
    v.retain(|w| opts.only.is_empty() || opts.only.iter().any(|k| k == w.op.name()));
    v
}

/// Output sizes (elements) of the non-temporal store sweep.
pub fn nt_sizes() -> Vec<usize> {
    [1usize, 4, 16, 64].iter().map(|m| m << 20).collect()
}

/// Sizes (elements) of the parallel-split sweep.
pub fn par_sizes(full: bool) -> Vec<usize> {
    if full {
        vec![
            16 << 10,
            64 << 10,
            128 << 10,
            256 << 10,
            512 << 10,
            1 << 20,
            4 << 20,
        ]
    } else {
        vec![64 << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20]
    }
}

/// The candidates of one workload's group: simdpar's defaults (threads
/// automatic, no ISA forced; `threads: 0`), every ISA at 1 thread and at
/// all threads (the manual choices the defaults are held against), the
/// bounding STREAM pattern over the same bytes on 1 and all threads (every
/// size: the DRAM and the in-cache goals), and the Mojo twins.
pub fn specs_for(w: &Workload, r: &PlanCtx) -> Vec<Spec> {
    let mut v = Vec::new();
    let spec = |imp, threads| Spec {
        imp,
        threads,
        align: Align::Aligned,
    };
    v.push(spec(Impl::Default, 0));
    for &isa in &r.isas {
        v.push(spec(Impl::Simdpar(isa), 1));
        if r.threads > 1 {
            v.push(spec(Impl::Simdpar(isa), r.threads));
        }
    }
    if let Some(p) = w.op.pattern() {
        v.push(spec(Impl::Stream(p), 1));
        if r.threads > 1 {
            v.push(spec(Impl::Stream(p), r.threads));
        }
    }
    if w.op.has_twin() {
        let mut twins = vec![TwinVariant::Exact, TwinVariant::Fast];
        if r.isas.contains(&Isa::Avx2) {
            twins.push(TwinVariant::Portable);
        }
        if w.dtype == Dtype::F32 {
            twins.push(TwinVariant::Forced16);
        }
        for t in twins {
            v.push(spec(Impl::Mojo(t), 1));
        }
        if w.op.has_mt_twin() && r.threads > 1 {
            v.push(spec(Impl::Mojo(TwinVariant::Exact), r.threads));
            if r.isas.contains(&Isa::Avx2) && r.best != Isa::Avx2 {
                v.push(spec(Impl::Mojo(TwinVariant::Portable), r.threads));
            }
        }
    }
    v
}

/// The alignment groups: `(workload, specs over the three alignments)`.
pub fn alignment(opts: &Options, ctx: &PlanCtx) -> Vec<(Workload, Vec<Spec>)> {
    let m = 1usize << 20;
    let (kernels, sizes, dtypes): (Vec<Op>, Vec<usize>, Vec<Dtype>) = if opts.full {
        (
            vec![
                Op::SUM,
                Op::ADD,
                Op::MULTIPLY,
                Op::SQUARE,
                Op::SCALE,
                Op::SCALE_INPLACE,
                Op::LEAKY_RELU,
            ],
            vec![16 * 1024, m, 64 * m],
            vec![Dtype::F32, Dtype::F64],
        )
    } else {
        (
            vec![Op::SUM, Op::MULTIPLY, Op::SCALE_INPLACE],
            vec![16 * 1024, m],
            vec![Dtype::F32],
        )
    };
    let mut isas = vec![ctx.best];
    if ctx.isas.contains(&Isa::Avx2) && ctx.best != Isa::Avx2 {
        isas.push(Isa::Avx2);
    }
    if opts.full {
        isas = ctx.isas.clone();
    }
    let mut v = Vec::new();
    for dtype in dtypes {
        for &k in &kernels {
            if !opts.only.is_empty() && !opts.only.iter().any(|o| o == k.name()) {
                continue;
            }
            for &n in &sizes {
                if n == 64 * m && dtype == Dtype::F64 {
                    continue;
                }
                let w = Workload {
                    op: k,
                    dtype,
                    shape: Shape::Elems(n),
                };
                let mut specs = Vec::new();
                for align in Align::ALL {
                    for &isa in &isas {
                        specs.push(Spec {
                            imp: Impl::Simdpar(isa),
                            threads: 1,
                            align,
                        });
                    }
                    if k.has_twin() {
                        specs.push(Spec {
                            imp: Impl::Mojo(TwinVariant::Exact),
                            threads: 1,
                            align,
                        });
                    }
                }
                v.push((w, specs));
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_covers_every_kernel_and_dtype() {
        let o = Options::rust_only();
        let w = workloads(&o);
        for op in Op::ALL {
            for d in Dtype::ALL {
                assert!(w.iter().any(|w| w.op == op && w.dtype == d), "{op:?} {d:?}");
            }
        }
        // 7 elementwise-or-sum ops at 3 sizes, row sums at 3 shapes, one
        // Mandelbrot image; for both dtypes.
        assert_eq!(w.len(), 2 * (7 * 3 + 3 + 1));
    }

    #[test]
    fn every_group_with_a_pattern_times_it_on_1_and_all_threads() {
        let ctx = PlanCtx {
            isas: simdpar::available_isas(),
            best: simdpar::best_isa(),
            threads: 2,
        };
        for w in workloads(&Options::rust_only()) {
            let streams: Vec<(Impl, usize)> = specs_for(&w, &ctx)
                .into_iter()
                .filter(|s| matches!(s.imp, Impl::Stream(_)))
                .map(|s| (s.imp, s.threads))
                .collect();
            match w.op.pattern() {
                Some(p) => assert_eq!(streams, [(Impl::Stream(p), 1), (Impl::Stream(p), 2)]),
                None => assert!(streams.is_empty()),
            }
        }
    }
}
