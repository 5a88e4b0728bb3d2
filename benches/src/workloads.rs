//! The benchmark matrix: kernels x dtypes x sizes, and the runner that times
//! simdpar (per ISA, per thread count, per alignment) against the Mojo twins
//! in interleaved groups.

use crate::data::{Align, Buf};
use crate::stream::{self, FormChoice, Pattern};
use crate::timing::{Candidate, Stats, TimingConfig, interleaved};
use simdpar::{Element, Isa, MandelbrotGrid, Plain, Threads, par, with_isa};
use simdpar_mojo::{TwinElement, TwinVariant, Twins};
use std::cell::RefCell;
use std::hint::black_box;

pub use simdpar::{Dtype, Kernel};

/// A benchmarked operation: one of the library's kernels, out of place or
/// in place (`scale_inplace`, the in-place STREAM pattern's counterpart).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Op {
    /// The kernel.
    pub kernel: Kernel,
    /// Whether it overwrites its input (only [`Op::SCALE_INPLACE`] is
    /// benchmarked in place).
    pub inplace: bool,
}

impl Op {
    /// `sum(x)`.
    pub const SUM: Op = Op::of(Kernel::Sum);
    /// `row_sums(m, cols, out)`.
    pub const ROW_SUMS: Op = Op::of(Kernel::RowSums);
    /// `out = a + b`.
    pub const ADD: Op = Op::of(Kernel::Add);
    /// `out = a * b`.
    pub const MULTIPLY: Op = Op::of(Kernel::Multiply);
    /// `out = x * x`.
    pub const SQUARE: Op = Op::of(Kernel::Square);
    /// `out = x * q`.
    pub const SCALE: Op = Op::of(Kernel::Scale);
    /// `x *= q`.
    pub const SCALE_INPLACE: Op = Op {
        kernel: Kernel::Scale,
        inplace: true,
    };
    /// `out = leaky_relu(x, alpha)`: `x > 0 ? x : alpha * x` per element.
    pub const LEAKY_RELU: Op = Op::of(Kernel::LeakyRelu);
    /// Mandelbrot iteration counts.
    pub const MANDELBROT: Op = Op::of(Kernel::Mandelbrot);

    /// Every benchmarked operation, in table order: the library's kernels
    /// with `scale_inplace` after `scale`.
    pub const ALL: [Op; 9] = [
        Op::SUM,
        Op::ROW_SUMS,
        Op::ADD,
        Op::MULTIPLY,
        Op::SQUARE,
        Op::SCALE,
        Op::SCALE_INPLACE,
        Op::LEAKY_RELU,
        Op::MANDELBROT,
    ];

    /// The out-of-place form of `kernel`.
    pub const fn of(kernel: Kernel) -> Op {
        Op {
            kernel,
            inplace: false,
        }
    }

    /// Name used in tables, JSON and by the Python helper: the kernel's
    /// name, with `_inplace` for the in-place form.
    pub fn name(self) -> &'static str {
        match self {
            Op::SCALE_INPLACE => "scale_inplace",
            Op { kernel, .. } => kernel.name(),
        }
    }

    /// The STREAM pattern with the same access pattern (None for compute
    /// bound Mandelbrot).
    pub fn pattern(self) -> Option<Pattern> {
        match self {
            Op::SCALE_INPLACE => Some(Pattern::InplaceScale),
            Op { kernel, .. } => match kernel {
                Kernel::Sum | Kernel::RowSums => Some(Pattern::Read),
                Kernel::Add | Kernel::Multiply => Some(Pattern::Triad),
                Kernel::Square | Kernel::Scale | Kernel::LeakyRelu => Some(Pattern::Copy),
                Kernel::Mandelbrot => None,
            },
        }
    }

    /// Whether the Mojo twins have a threaded version of this operation.
    pub fn has_mt_twin(self) -> bool {
        !self.inplace
            && matches!(
                self.kernel,
                Kernel::RowSums | Kernel::Multiply | Kernel::Mandelbrot
            )
    }

    /// Whether the Mojo twins have this operation at all (they have every
    /// kernel, out of place only).
    pub fn has_twin(self) -> bool {
        !self.inplace
    }
}

/// The shape of a workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shape {
    /// `n` elements.
    Elems(usize),
    /// A row-major matrix.
    Matrix {
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
    },
    /// A Mandelbrot image.
    Image {
        /// Pixels per row.
        width: usize,
        /// Rows.
        height: usize,
        /// Iteration cap.
        max_iter: u32,
    },
}

fn short(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{}M", n >> 20)
    } else if n >= 1000 && n.is_multiple_of(1000) && !n.is_multiple_of(1024) {
        if n.is_multiple_of(1_000_000) {
            format!("{}M", n / 1_000_000)
        } else {
            format!("{}K", n / 1000)
        }
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) && n > 4096 {
        format!("{}K", n >> 10)
    } else {
        n.to_string()
    }
}

impl Shape {
    /// Short label: `16K`, `64M`, `1Mx128`, `1024x1024`.
    pub fn label(self) -> String {
        match self {
            Shape::Elems(n) => short(n),
            Shape::Matrix { rows, cols } => format!("{}x{}", short(rows), cols),
            Shape::Image { width, height, .. } => format!("{width}x{height}"),
        }
    }

    /// Elements processed per call (pixels for images).
    pub fn elems(self) -> usize {
        match self {
            Shape::Elems(n) => n,
            Shape::Matrix { rows, cols } => rows * cols,
            Shape::Image { width, height, .. } => width * height,
        }
    }

    /// Memory class by the bytes of the largest input: `cache` (L1/L2),
    /// `l3` or `dram`.
    pub fn class(self, dtype: Dtype) -> &'static str {
        let bytes = self.elems() * dtype.size_bytes();
        if matches!(self, Shape::Image { .. }) {
            "compute"
        } else if bytes <= 1 << 20 {
            "cache"
        } else if bytes <= 16 << 20 {
            "l3"
        } else {
            "dram"
        }
    }
}

/// One benchmarked workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Workload {
    /// The operation.
    pub op: Op,
    /// The dtype.
    pub dtype: Dtype,
    /// The size.
    pub shape: Shape,
}

impl Workload {
    /// The standard workload matrix, shared by `simdpar report` and the
    /// criterion benches: every kernel x dtype at about 16K (L1/L2), 1M (L3)
    /// and 64M (DRAM) elements; row sums 4096x128, 1Mx128, 100Kx1000;
    /// Mandelbrot 1024x1024 with 256 iterations.
    pub fn standard() -> Vec<Workload> {
        let m = 1usize << 20;
        let mut v = Vec::new();
        for dtype in [Dtype::F32, Dtype::F64] {
            for op in Op::ALL {
                let shapes: Vec<Shape> = match op {
                    Op::ROW_SUMS => vec![
                        Shape::Matrix {
                            rows: 4096,
                            cols: 128,
                        },
                        Shape::Matrix { rows: m, cols: 128 },
                        Shape::Matrix {
                            rows: 100_000,
                            cols: 1000,
                        },
                    ],
                    Op::MANDELBROT => vec![Shape::Image {
                        width: 1024,
                        height: 1024,
                        max_iter: 256,
                    }],
                    _ => [16 * 1024, m, 64 * m].map(Shape::Elems).to_vec(),
                };
                v.extend(
                    shapes
                        .into_iter()
                        .map(|shape| Workload { op, dtype, shape }),
                );
            }
        }
        v
    }

    /// Bytes counted per call, STREAM's way (read + written).
    pub fn bytes(&self) -> usize {
        let s = self.dtype.size_bytes();
        match (self.op, self.shape) {
            (Op::SUM, sh) => sh.elems() * s,
            (Op::ROW_SUMS, Shape::Matrix { rows, cols }) => rows * cols * s + rows * s,
            (Op::ADD | Op::MULTIPLY, sh) => 3 * sh.elems() * s,
            (Op::MANDELBROT, sh) => sh.elems() * 4,
            (_, sh) => 2 * sh.elems() * s,
        }
    }

    /// Distinct bytes a call touches, inputs and outputs (the in-place
    /// scale's one array once; a Mandelbrot image's output): what must fit
    /// a cache for the call to run from it.
    pub fn footprint(&self) -> usize {
        match self.op {
            Op::SCALE_INPLACE => self.shape.elems() * self.dtype.size_bytes(),
            _ => self.bytes(),
        }
    }

    /// `kernel dtype shape`, for progress lines.
    pub fn label(&self) -> String {
        format!(
            "{} {} {}",
            self.op.name(),
            self.dtype.name(),
            self.shape.label()
        )
    }
}

/// Who runs a candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Impl {
    /// simdpar as a user calls it: the public `par::*` functions with
    /// [`Threads::Auto`] and no ISA forced, so the library's own plan
    /// (profile or built-in default) picks the ISA and the threads. Its
    /// rows carry `threads: 0` (automatic).
    Default,
    /// simdpar's dispatched API forced to one ISA (`with_isa`).
    Simdpar(Isa),
    /// A Mojo twin variant.
    Mojo(TwinVariant),
    /// The STREAM-like pattern that bounds the kernel, over as many bytes
    /// per array as the kernel's input (timed in the same rounds, so the
    /// fraction of bandwidth survives load bursts).
    Stream(Pattern),
}

impl Impl {
    /// `simdpar:avx2`, `mojo:exact`, `stream:triad`, ...
    pub fn label(self) -> String {
        match self {
            Impl::Default => "simdpar:default".to_string(),
            Impl::Simdpar(i) => format!("simdpar:{}", i.name()),
            Impl::Mojo(v) => format!("mojo:{}", v.name()),
            Impl::Stream(p) => format!("stream:{}", p.name()),
        }
    }
}

/// Doubles per STREAM array for a workload: the bytes of one kernel input.
pub fn stream_elems(w: &Workload) -> usize {
    (w.shape.elems() * w.dtype.size_bytes() / 8).max(1)
}

/// One candidate to time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    /// Implementation.
    pub imp: Impl,
    /// Threads (1 = serial API / serial twin).
    pub threads: usize,
    /// Alignment of every input and output.
    pub align: Align,
}

/// One measured candidate.
#[derive(Clone, Debug)]
pub struct Row {
    /// What ran.
    pub workload: Workload,
    /// How.
    pub spec: Spec,
    /// Seconds per call.
    pub stats: Stats,
}

impl Row {
    /// Bytes counted per call (the STREAM pattern's own for stream rows).
    pub fn bytes(&self) -> usize {
        match self.spec.imp {
            Impl::Stream(p) => p.bytes_per_elem() * stream_elems(&self.workload),
            _ => self.workload.bytes(),
        }
    }

    /// Median GB/s (counted bytes).
    pub fn gbs(&self) -> f64 {
        self.bytes() as f64 / self.stats.median / 1e9
    }

    /// Median elements (pixels) per second.
    pub fn elems_per_s(&self) -> f64 {
        self.workload.shape.elems() as f64 / self.stats.median
    }
}

/// The loaded Mojo twins (any may be missing).
#[derive(Default)]
pub struct TwinSet {
    /// Loaded variants.
    pub loaded: Vec<Twins>,
}

impl TwinSet {
    /// The loaded twin of `v`, if any.
    pub fn get(&self, v: TwinVariant) -> Option<&Twins> {
        self.loaded.iter().find(|t| t.variant() == v)
    }
}

/// The element types the matrix runs on.
pub trait BenchElem: Element + TwinElement + Plain + Send + Sync {}
impl BenchElem for f32 {}
impl BenchElem for f64 {}

struct Inputs<T: Plain> {
    a: Buf<T>,
    b: Buf<T>,
    out: RefCell<Buf<T>>,
    inplace: RefCell<Buf<T>>,
    rows_out: RefCell<Vec<T>>,
}

fn make_inputs<T: BenchElem>(w: &Workload, align: Align) -> Inputs<T> {
    let n = w.shape.elems();
    let io = !matches!(w.op, Op::MANDELBROT);
    let len = |needed: bool| if needed && io { n } else { 0 };
    let binary = matches!(w.op, Op::ADD | Op::MULTIPLY);
    let writes = !matches!(
        w.op,
        Op::SUM | Op::ROW_SUMS | Op::SCALE_INPLACE | Op::MANDELBROT
    );
    let (lo, hi) = if matches!(w.op, Op::SUM | Op::ROW_SUMS) {
        (0.0, 1.0)
    } else {
        (-1.0, 1.0)
    };
    let rows = match w.shape {
        Shape::Matrix { rows, .. } => rows,
        _ => 0,
    };
    Inputs {
        a: Buf::new(len(w.op != Op::SCALE_INPLACE), align, 1, lo, hi),
        b: Buf::new(len(binary), align, 2, lo, hi),
        out: RefCell::new(Buf::new(len(writes), align, 3, 0.0, 1.0)),
        inplace: RefCell::new(Buf::new(
            len(w.op == Op::SCALE_INPLACE),
            align,
            4,
            -1.0,
            1.0,
        )),
        rows_out: RefCell::new(vec![T::ZERO; rows]),
    }
}

fn threads_of(t: usize) -> Threads {
    if t <= 1 {
        Threads::AtMost(1)
    } else {
        Threads::AtMost(t)
    }
}

/// One call of simdpar's dispatched API (on the ISA active on this thread).
fn simdpar_call<T: BenchElem>(w: &Workload, inp: &Inputs<T>, img: &RefCell<Vec<u32>>, th: Threads) {
    let q = T::from_f64(-1.0);
    let alpha = T::from_f64(0.01);
    let r = match (w.op, w.shape) {
        (Op::SUM, _) => {
            black_box(par::sum(inp.a.get(), th));
            Ok(())
        }
        (Op::ROW_SUMS, Shape::Matrix { cols, .. }) => {
            par::row_sums(inp.a.get(), cols, &mut inp.rows_out.borrow_mut(), th)
        }
        (Op::ADD, _) => par::add(inp.a.get(), inp.b.get(), inp.out.borrow_mut().get_mut(), th),
        (Op::MULTIPLY, _) => {
            par::multiply(inp.a.get(), inp.b.get(), inp.out.borrow_mut().get_mut(), th)
        }
        (Op::SQUARE, _) => par::square(inp.a.get(), inp.out.borrow_mut().get_mut(), th),
        (Op::SCALE, _) => par::scale(inp.a.get(), q, inp.out.borrow_mut().get_mut(), th),
        (Op::SCALE_INPLACE, _) => {
            par::scale_inplace(inp.inplace.borrow_mut().get_mut(), q, th);
            Ok(())
        }
        (Op::LEAKY_RELU, _) => {
            par::leaky_relu(inp.a.get(), alpha, inp.out.borrow_mut().get_mut(), th)
        }
        (
            Op::MANDELBROT,
            Shape::Image {
                width,
                height,
                max_iter,
            },
        ) => {
            let mut g = MandelbrotGrid::<T>::new(width, height);
            g.max_iter = max_iter;
            par::mandelbrot(&g, &mut img.borrow_mut(), th)
        }
        _ => Ok(()),
    };
    r.expect("benchmark shapes are valid");
}

/// One call of a Mojo twin (threaded twin when `threads > 1`).
fn mojo_call<T: BenchElem>(
    w: &Workload,
    tw: &Twins,
    inp: &Inputs<T>,
    img: &RefCell<Vec<u32>>,
    threads: usize,
) {
    let q = T::from_f64(-1.0);
    let alpha = T::from_f64(0.01);
    let r = match (w.op, w.shape) {
        (Op::SUM, _) => {
            black_box(tw.sum(inp.a.get()));
            Ok(())
        }
        (Op::ROW_SUMS, Shape::Matrix { cols, .. }) => {
            let mut o = inp.rows_out.borrow_mut();
            if threads > 1 {
                tw.row_sums_mt(inp.a.get(), cols, &mut o, threads)
                    .map(|_| ())
            } else {
                tw.row_sums(inp.a.get(), cols, &mut o)
            }
        }
        (Op::ADD, _) => tw.add(inp.a.get(), inp.b.get(), inp.out.borrow_mut().get_mut()),
        (Op::MULTIPLY, _) => {
            let mut o = inp.out.borrow_mut();
            if threads > 1 {
                tw.multiply_mt(inp.a.get(), inp.b.get(), o.get_mut(), threads)
                    .map(|_| ())
            } else {
                tw.multiply(inp.a.get(), inp.b.get(), o.get_mut())
            }
        }
        (Op::SQUARE, _) => tw.square(inp.a.get(), inp.out.borrow_mut().get_mut()),
        (Op::SCALE, _) => tw.scale(inp.a.get(), q, inp.out.borrow_mut().get_mut()),
        (Op::LEAKY_RELU, _) => tw.leaky_relu(inp.a.get(), alpha, inp.out.borrow_mut().get_mut()),
        (
            Op::MANDELBROT,
            Shape::Image {
                width,
                height,
                max_iter,
            },
        ) => {
            let p = MandelbrotGrid {
                max_iter,
                ..MandelbrotGrid::<T>::new(width, height)
            };
            let mut o = img.borrow_mut();
            if threads > 1 {
                tw.mandelbrot_mt(&p, &mut o, threads).map(|_| ())
            } else {
                tw.mandelbrot(&p, &mut o)
            }
        }
        _ => Ok(()),
    };
    r.expect("benchmark shapes are valid");
}

/// One workload's buffers at one alignment, ready to call any
/// implementation on (shared by the report and the criterion benches).
pub struct Prepared<T: BenchElem> {
    w: Workload,
    inp: Inputs<T>,
    img: RefCell<Vec<u32>>,
    /// The STREAM pattern's form per (pattern, threads) on these buffers.
    stream_forms: RefCell<FormChoice>,
}

impl<T: BenchElem> Prepared<T> {
    /// Allocates and fills the buffers of `w` at `align`.
    pub fn new(w: &Workload, align: Align) -> Self {
        let pixels = if w.op == Op::MANDELBROT {
            w.shape.elems()
        } else {
            0
        };
        Prepared {
            w: *w,
            inp: make_inputs::<T>(w, align),
            img: RefCell::new(vec![0u32; pixels]),
            stream_forms: RefCell::new(FormChoice::default()),
        }
    }

    /// Whether `imp` can run here (a Mojo twin must be loaded and have
    /// this kernel).
    pub fn can_run(&self, imp: Impl, twins: &TwinSet) -> bool {
        match imp {
            Impl::Default => true,
            Impl::Simdpar(isa) => simdpar::is_supported(isa),
            Impl::Mojo(v) => self.w.op.has_twin() && twins.get(v).is_some(),
            Impl::Stream(_) => true,
        }
    }

    /// Calls `imp` `inner` times with `threads` threads (ignored by
    /// [`Impl::Default`], which lets the library choose). simdpar runs in a
    /// [`with_isa`] scope; Mojo uses its threaded twin when `threads > 1`
    /// and the kernel has one. Panics if `imp` cannot run (see
    /// [`Self::can_run`]).
    pub fn run(&self, imp: Impl, threads: usize, twins: &TwinSet, inner: usize) {
        match imp {
            Impl::Default => {
                for _ in 0..inner {
                    simdpar_call::<T>(&self.w, &self.inp, &self.img, Threads::Auto);
                }
            }
            Impl::Simdpar(isa) => {
                let th = threads_of(threads);
                with_isa(isa, || {
                    for _ in 0..inner {
                        simdpar_call::<T>(&self.w, &self.inp, &self.img, th);
                    }
                })
                .expect("only available ISAs are benchmarked");
            }
            Impl::Mojo(v) => {
                let tw = twins.get(v).expect("twin loaded");
                for _ in 0..inner {
                    mojo_call::<T>(&self.w, tw, &self.inp, &self.img, threads);
                }
            }
            Impl::Stream(p) => {
                // The pattern over the kernel's own buffers: the same bytes
                // at the same addresses (two arrays of one size can read
                // several percent apart), the output the kernel writes.
                let inp = &self.inp;
                let pass = |f| match p {
                    Pattern::Read => stream::run(p, f, threads, inp.a.get(), &[], &mut []),
                    Pattern::InplaceScale => stream::run::<T>(
                        p,
                        f,
                        threads,
                        &[],
                        &[],
                        inp.inplace.borrow_mut().get_mut(),
                    ),
                    _ => stream::run(
                        p,
                        f,
                        threads,
                        inp.a.get(),
                        inp.b.get(),
                        inp.out.borrow_mut().get_mut(),
                    ),
                };
                let bytes = self.w.shape.elems() * self.w.dtype.size_bytes();
                let form = self
                    .stream_forms
                    .borrow_mut()
                    .form_for(p, threads, bytes, pass);
                for _ in 0..inner {
                    pass(form);
                }
            }
        }
    }
}

fn run_group<T: BenchElem>(
    w: &Workload,
    specs: &[Spec],
    twins: &TwinSet,
    cfg: &TimingConfig,
) -> Vec<Row> {
    let mut aligns: Vec<Align> = Vec::new();
    for s in specs {
        if !aligns.contains(&s.align) {
            aligns.push(s.align);
        }
    }
    let prepared: Vec<Prepared<T>> = aligns.iter().map(|&a| Prepared::new(w, a)).collect();
    let mut kept = Vec::new();
    let mut cands = Vec::new();
    for s in specs {
        let p = &prepared[aligns.iter().position(|a| *a == s.align).unwrap_or(0)];
        if !p.can_run(s.imp, twins) {
            continue;
        }
        kept.push(*s);
        let spec = *s;
        cands.push(Candidate::new(s.imp.label(), move |inner| {
            p.run(spec.imp, spec.threads, twins, inner)
        }));
    }
    let stats = interleaved(&mut cands, cfg);
    drop(cands);
    kept.into_iter()
        .zip(stats)
        .map(|(spec, stats)| Row {
            workload: *w,
            spec,
            stats,
        })
        .collect()
}

/// Times `specs` on workload `w`, all candidates interleaved.
pub fn measure(w: &Workload, specs: &[Spec], twins: &TwinSet, cfg: &TimingConfig) -> Vec<Row> {
    match w.dtype {
        Dtype::F32 => run_group::<f32>(w, specs, twins, cfg),
        Dtype::F64 => run_group::<f64>(w, specs, twins, cfg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn labels() {
        assert_eq!(Shape::Elems(16 * 1024).label(), "16K");
        assert_eq!(Shape::Elems(64 << 20).label(), "64M");
        assert_eq!(
            Shape::Matrix {
                rows: 4096,
                cols: 128
            }
            .label(),
            "4096x128"
        );
        assert_eq!(
            Shape::Matrix {
                rows: 1 << 20,
                cols: 128
            }
            .label(),
            "1Mx128"
        );
        assert_eq!(
            Shape::Matrix {
                rows: 100_000,
                cols: 1000
            }
            .label(),
            "100Kx1000"
        );
    }

    #[test]
    fn footprint_counts_each_array_once() {
        let w = |op, n| Workload {
            op,
            dtype: Dtype::F32,
            shape: Shape::Elems(n),
        };
        assert_eq!(w(Op::SUM, 1000).footprint(), 4000);
        assert_eq!(w(Op::ADD, 1000).footprint(), 12000);
        assert_eq!(w(Op::SCALE, 1000).footprint(), 8000);
        // In place: one array, though STREAM counts it read and written.
        assert_eq!(w(Op::SCALE_INPLACE, 1000).footprint(), 4000);
        assert_eq!(w(Op::SCALE_INPLACE, 1000).bytes(), 8000);
        let rs = Workload {
            op: Op::ROW_SUMS,
            dtype: Dtype::F64,
            shape: Shape::Matrix { rows: 10, cols: 4 },
        };
        assert_eq!(rs.footprint(), 40 * 8 + 10 * 8);
    }

    #[test]
    fn every_kernel_runs_on_every_isa() {
        let cfg = TimingConfig {
            reps: 1,
            min_sample: Duration::from_micros(1),
        };
        for k in Op::ALL {
            let shape = match k {
                Op::ROW_SUMS => Shape::Matrix { rows: 64, cols: 33 },
                Op::MANDELBROT => Shape::Image {
                    width: 16,
                    height: 8,
                    max_iter: 20,
                },
                _ => Shape::Elems(1000),
            };
            for dtype in [Dtype::F32, Dtype::F64] {
                let w = Workload {
                    op: k,
                    dtype,
                    shape,
                };
                let mut specs: Vec<Spec> = simdpar::available_isas()
                    .into_iter()
                    .flat_map(|i| {
                        [1, 2].map(|threads| Spec {
                            imp: Impl::Simdpar(i),
                            threads,
                            align: Align::Off4,
                        })
                    })
                    .collect();
                specs.push(Spec {
                    imp: Impl::Default,
                    threads: 0,
                    align: Align::Off4,
                });
                let rows = measure(&w, &specs, &TwinSet::default(), &cfg);
                assert_eq!(rows.len(), specs.len());
                assert!(rows.iter().all(|r| r.stats.median > 0.0 && r.gbs() > 0.0));
            }
        }
    }
}
