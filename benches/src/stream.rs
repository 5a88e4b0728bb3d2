//! A STREAM-like memory bandwidth bench: the physical limit each DRAM-sized
//! kernel is compared with. The loops are the kernels' bandwidth probes
//! ([`simdpar::simdpar_kernels::bandwidth`], written once over the kernels' SIMD
//! layer) on `f64` arrays, on 1 and on all threads, counted STREAM's way
//! (bytes read + bytes written, no write-allocate traffic). Every pattern
//! runs in every [`Form`] this CPU has (vector width x interleaved streams
//! x prefetch for the read, x cached or non-temporal stores for the
//! others) and keeps the fastest, so each pattern is the fastest way this
//! bench knows to move those bytes on this machine: a kernel measured
//! above it is a measurement to investigate, not a kernel beating memory.
//! [`measure`] runs the patterns on DRAM-sized arrays, [`measure_in_cache`]
//! on arrays that fill about half of each cache level ([`Level`]), so that
//! in-cache kernels have a limit too. Inside a workload's group the
//! pattern runs on the kernel's own buffers ([`run`], [`FormChoice`]):
//! the same bytes at the same addresses, timed in the same rounds.

mod form;
mod level;

pub use form::{Form, levels};
pub use level::Level;
pub use simdpar::simdpar_kernels::bandwidth::Streams;

use crate::data::{Align, Buf};
use crate::timing::{
    Calibration, Candidate, Order, Schedule, Stats, TimingConfig, interleaved, run_rounds,
};
use simdpar::simdpar_kernels::bandwidth;
use simdpar::simdpar_kernels::plan::Caches;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Every form per (pattern, level, threads), fastest first, as the last
/// [`measure`] or [`measure_in_cache`] in this process ranked them
/// (medians of their interleaved rounds): a DRAM-sized pass
/// ([`FormChoice`]) races only the leaders on its own arrays, where a
/// race of all of them would cost seconds.
type FormTable = HashMap<(Pattern, Level, usize), Vec<Form>>;
static MEASURED: Mutex<Option<FormTable>> = Mutex::new(None);

/// How many of the standalone table's fastest forms a DRAM-sized pass
/// races on its own arrays.
const DRAM_LEADERS: usize = 3;

fn measured_forms(pattern: Pattern, level: Level, threads: usize) -> Option<Vec<Form>> {
    MEASURED
        .lock()
        .ok()?
        .as_ref()?
        .get(&(pattern, level, threads))
        .cloned()
}

/// The access patterns, and the kernels they bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pattern {
    /// `s += a[i]` (8 B per element): reductions.
    Read,
    /// `c[i] = a[i]` (16 B): unary out-of-place kernels.
    Copy,
    /// `a[i] = b[i] + q * c[i]` (24 B): binary kernels.
    Triad,
    /// `a[i] = q * a[i]` (16 B): in-place kernels.
    InplaceScale,
}

impl Pattern {
    /// All patterns in table order.
    pub const ALL: [Pattern; 4] = [
        Pattern::Read,
        Pattern::Copy,
        Pattern::Triad,
        Pattern::InplaceScale,
    ];

    /// Name used in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Read => "read",
            Pattern::Copy => "copy",
            Pattern::Triad => "triad",
            Pattern::InplaceScale => "inplace_scale",
        }
    }

    /// Whether the pattern stores (and so has a non-temporal form).
    pub fn stores(self) -> bool {
        self != Pattern::Read
    }

    /// The forms (vector width x streams x prefetch or store form)
    /// measured for this pattern on this CPU.
    pub fn forms(self) -> Vec<Form> {
        Form::all(self.stores())
    }

    /// Distinct bytes one element touches (what must fit a cache): the
    /// bytes counted ([`Self::bytes_per_elem`]) except for the in-place
    /// scale, which reads and writes the same 8.
    pub fn footprint_per_elem(self) -> usize {
        match self {
            Pattern::Read | Pattern::InplaceScale => 8,
            Pattern::Copy => 16,
            Pattern::Triad => 24,
        }
    }

    /// The level a pass over arrays of `n` doubles on `threads` threads
    /// runs from on a CPU with `caches`.
    pub fn level(self, n: usize, threads: usize, caches: &Caches) -> Level {
        Level::of(n.saturating_mul(self.footprint_per_elem()), threads, caches)
    }

    /// Bytes counted per element.
    pub fn bytes_per_elem(self) -> usize {
        match self {
            Pattern::Read => 8,
            Pattern::Copy | Pattern::InplaceScale => 16,
            Pattern::Triad => 24,
        }
    }
}

/// One measured bandwidth.
#[derive(Clone, Debug)]
pub struct StreamResult {
    /// The pattern.
    pub pattern: Pattern,
    /// Threads used.
    pub threads: usize,
    /// Elements per array.
    pub n: usize,
    /// The level the pass ran from (its bytes touched against this CPU's
    /// caches at this thread count).
    pub level: Level,
    /// The fastest form (lowest median), the one reported.
    pub form: Form,
    /// Timing of one pass in that form.
    pub stats: Stats,
    /// The other forms measured and their timings, fastest first.
    pub others: Vec<(Form, Stats)>,
}

impl StreamResult {
    /// Median bandwidth in GB/s (10^9 bytes).
    pub fn gbs(&self) -> f64 {
        (self.n * self.pattern.bytes_per_elem()) as f64 / self.stats.median / 1e9
    }

    /// Best-sample bandwidth in GB/s.
    pub fn best_gbs(&self) -> f64 {
        (self.n * self.pattern.bytes_per_elem()) as f64 / self.stats.min / 1e9
    }

    /// Median bandwidth of every other form measured, fastest first.
    pub fn others_gbs(&self) -> Vec<(Form, f64)> {
        let bytes = (self.n * self.pattern.bytes_per_elem()) as f64;
        self.others
            .iter()
            .map(|(f, s)| (*f, bytes / s.median / 1e9))
            .collect()
    }
}

/// The arrays of the STREAM-like bench.
pub struct StreamBufs {
    /// Doubles per array.
    n: usize,
    a: Buf<f64>,
    b: Buf<f64>,
    c: Buf<f64>,
    out: Buf<f64>,
    /// The fastest form per (pattern, threads), found by [`Self::pass`].
    chosen: FormChoice,
}

impl StreamBufs {
    /// Four arrays of `n` doubles, every page written.
    pub fn new(n: usize) -> Self {
        Self::with_arrays(n, [true; 4])
    }

    /// Only the arrays `pattern` touches, of `n` doubles each (the others
    /// empty): the pattern's own bytes and no more, for sizes that must fit
    /// a cache. Running another pattern on them is a bug (it finds empty
    /// arrays).
    pub fn for_pattern(n: usize, pattern: Pattern) -> Self {
        Self::with_arrays(
            n,
            match pattern {
                Pattern::Read => [true, false, false, false],
                Pattern::Copy => [true, false, false, true],
                Pattern::Triad => [false, true, true, true],
                Pattern::InplaceScale => [false, false, false, true],
            },
        )
    }

    /// Arrays a, b, c, out of `n` doubles where `used` says, else empty.
    fn with_arrays(n: usize, used: [bool; 4]) -> Self {
        let len = |i: usize| if used[i] { n } else { 0 };
        StreamBufs {
            n,
            a: Buf::new(len(0), Align::Aligned, 11, 0.5, 1.5),
            b: Buf::new(len(1), Align::Aligned, 12, 0.5, 1.5),
            c: Buf::new(len(2), Align::Aligned, 13, 0.5, 1.5),
            out: Buf::new(len(3), Align::Aligned, 14, 0.0, 1.0),
            chosen: FormChoice::default(),
        }
    }

    /// Doubles per array.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the arrays are empty.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// One pass of `pattern` in its fastest form at this thread count for
    /// these arrays ([`FormChoice`], chosen on the first call).
    pub fn pass(&mut self, pattern: Pattern, threads: usize) {
        let mut chosen = std::mem::take(&mut self.chosen);
        let form = chosen.form(pattern, threads, self.n, |f| {
            self.pass_with(pattern, f, threads)
        });
        self.chosen = chosen;
        self.pass_with(pattern, form, threads);
    }

    /// One pass of `pattern` in `form` on `threads` threads ([`run`]):
    /// the read sums `a`, the copy writes `a` to `out`, the triad
    /// `out = b + 0.5 * c`, the in-place scale negates `out`.
    pub fn pass_with(&mut self, pattern: Pattern, form: Form, threads: usize) {
        let (x, y) = match pattern {
            Pattern::Triad => (self.b.get(), self.c.get()),
            _ => (self.a.get(), self.b.get()),
        };
        run(pattern, form, threads, x, y, self.out.get_mut());
    }
}

/// The fastest form of each (pattern, threads) for one set of arrays,
/// chosen on the first pass: in cache every form, timed on these very
/// arrays ([`fastest_form`], cheap there); beyond the LLC the
/// [`DRAM_LEADERS`] fastest forms of the standalone table this process
/// measured ([`measure`]), timed on these arrays the same way (a pass
/// lasts tens of milliseconds; where nothing was measured, every form).
/// In cache the winner depends on the exact bytes, not only on the level:
/// at half the LLC (16 MiB) on the 2-vCPU Zen 4 VM non-temporal copy and
/// triad won, while the same patterns over the 8 MiB of a 1M-element map
/// ran twice as fast with cached stores. Beyond the LLC two arrays of one
/// size read up to 7% apart (their pages), so the form is raced on the
/// arrays the pattern will run on.
#[derive(Default)]
pub struct FormChoice {
    chosen: HashMap<(Pattern, usize), Form>,
}

impl FormChoice {
    /// The form of `pattern` on `threads` threads for arrays of `elems`
    /// elements of `elem_bytes` bytes (the pattern's footprint decides the
    /// level), racing candidates with `pass` on the first call.
    pub fn form_for(
        &mut self,
        pattern: Pattern,
        threads: usize,
        bytes_per_array: usize,
        pass: impl FnMut(Form),
    ) -> Form {
        let t = threads.max(1);
        if let Some(f) = self.chosen.get(&(pattern, t)) {
            return *f;
        }
        let level = pattern.level(bytes_per_array.div_ceil(8), t, &Caches::this_cpu());
        let forms = (level == Level::Dram)
            .then(|| {
                measured_forms(pattern, level, t).or_else(|| measured_forms(pattern, level, 1))
            })
            .flatten()
            .map(|v| v.into_iter().take(DRAM_LEADERS).collect())
            .unwrap_or_else(|| pattern.forms());
        let f = fastest_form(&forms, pass);
        self.chosen.insert((pattern, t), f);
        f
    }

    /// [`Self::form_for`] for arrays of `n` doubles.
    fn form(&mut self, pattern: Pattern, threads: usize, n: usize, pass: impl FnMut(Form)) -> Form {
        self.form_for(pattern, threads, n * 8, pass)
    }
}

/// The form with the fastest of six samples among `forms`, each form's
/// sample about 1 ms of passes (at least one; the count from each form's
/// first, untimed call) after one untimed pass, so that no form is timed
/// on the lines the form before it left out of the cache (non-temporal
/// stores evict the output: in the forms' order, the cached form after an
/// NT one then ran cold and NT won on LLC-sized arrays where cached stores
/// are twice as fast), after a round that warms up. Until 2026-12-06 each
/// sample ran one pass whatever its count, so a form whose first call was
/// quick looked that many times faster: in cache the race picked forms at
/// half the speed of the best (the in-place scale of 16K f32 at 115
/// against 220 GB/s), and kernels stood "above" such patterns.
pub fn fastest_form(forms: &[Form], pass: impl FnMut(Form)) -> Form {
    if forms.len() < 2 {
        return forms[0];
    }
    // Seven rounds in the forms' order; round 0 warms up (page faults,
    // caches) and is not counted. In cache one pass lasts microseconds,
    // so a sample makes many.
    let pass = RefCell::new(pass);
    let mut cands: Vec<Candidate<'_>> = forms
        .iter()
        .map(|&f| {
            let pass = &pass;
            Candidate::new(format!("{f:?}"), move |calls| {
                for _ in 0..calls {
                    (pass.borrow_mut())(f);
                }
            })
        })
        .collect();
    let schedule = Schedule {
        order: Order::Listed,
        calibration: Calibration::FirstCall {
            sample: Duration::from_millis(1),
            max_calls: 100_000,
        },
        min_rounds: 7,
        max_rounds: 7,
        budget: Duration::ZERO,
        prime: true,
    };
    let best: Vec<f64> = run_rounds(&mut cands, &schedule)
        .iter()
        .map(|s| s.rounds[1..].iter().copied().fold(f64::INFINITY, f64::min))
        .collect();
    let i = (0..forms.len())
        .min_by(|&a, &b| best[a].total_cmp(&best[b]))
        .unwrap_or(0);
    forms[i]
}

/// One pass of `pattern` in `form` on `threads` threads over arrays of any
/// element type (the first `n` elements, `n` the shortest array the
/// pattern touches): the read sums `x`, the copy writes `x` to `out`, the
/// triad `out = x + 0.5 * y`, the in-place scale negates `out` (its values
/// stay finite and normal forever). Serial on the calling thread for one,
/// else cut and scheduled exactly as simdpar's parallel kernels are
/// ([`bandwidth::piece_len`], [`bandwidth::on_threads`]: the kernels'
/// pool, whose helpers stay ready between calls), so a kernel and its
/// pattern run their threads alike. Panics if `form.width` is not one of
/// [`levels`] (the forms of [`Pattern::forms`] all are).
pub fn run<T: simdpar::Element>(
    pattern: Pattern,
    form: Form,
    threads: usize,
    x: &[T],
    y: &[T],
    out: &mut [T],
) {
    let n = match pattern {
        Pattern::Read => x.len(),
        Pattern::Copy => x.len().min(out.len()),
        Pattern::Triad => x.len().min(y.len()).min(out.len()),
        Pattern::InplaceScale => out.len(),
    };
    let (xn, yn, on) = (n.min(x.len()), n.min(y.len()), n.min(out.len()));
    let (x, y, out) = (&x[..xn], &y[..yn], &mut out[..on]);
    let chunk = bandwidth::piece_len(n, threads);
    let (isa, streams, store) = (form.width, form.streams, form.store);
    let half = T::from_f64(0.5);
    let minus_one = T::from_f64(-1.0);
    let read = |a: &[T]| bandwidth::read(a, isa, streams, form.fetch()).expect(RUNS_HERE);
    let copy = |a: &[T], o: &mut [T]| bandwidth::copy(a, o, isa, streams, store).expect(RUNS_HERE);
    let triad = |o: &mut [T], b: &[T], c: &[T]| {
        bandwidth::triad(b, c, half, o, isa, streams, store).expect(RUNS_HERE)
    };
    let scale =
        |v: &mut [T]| bandwidth::scale_inplace(v, minus_one, isa, streams, store).expect(RUNS_HERE);
    if threads <= 1 {
        // On the calling thread, as a one-thread kernel runs: no pieces
        // to collect (an L1-sized pass lasts about 100 ns).
        match pattern {
            Pattern::Read => {
                std::hint::black_box(read(x));
            }
            Pattern::Copy => copy(x, out),
            Pattern::Triad => triad(out, x, y),
            Pattern::InplaceScale => scale(out),
        }
        return;
    }
    let t = threads;
    match pattern {
        Pattern::Read => bandwidth::on_threads(x.chunks(chunk).collect(), t, |a| {
            std::hint::black_box(read(a));
        }),
        Pattern::Copy => {
            let items = out.chunks_mut(chunk).zip(x.chunks(chunk)).collect();
            bandwidth::on_threads(items, t, |(o, a)| copy(a, o))
        }
        Pattern::Triad => {
            let items = out
                .chunks_mut(chunk)
                .zip(x.chunks(chunk).zip(y.chunks(chunk)))
                .collect();
            bandwidth::on_threads(items, t, |(o, (b, c))| triad(o, b, c))
        }
        Pattern::InplaceScale => bandwidth::on_threads(out.chunks_mut(chunk).collect(), t, scale),
    }
}

/// Why a form's ISA runs here: forms come from [`levels`].
const RUNS_HERE: &str = "a STREAM form runs an ISA of `levels()`";

/// Measures every pattern with 1 and with `max_threads` threads on arrays
/// of `n` doubles (the DRAM table: one set of arrays shared by every
/// pattern), every form of each (interleaved rounds), and keeps per
/// pattern and thread count the form with the lowest median.
pub fn measure(n: usize, max_threads: usize, cfg: &TimingConfig) -> Vec<StreamResult> {
    let bufs = RefCell::new(StreamBufs::new(n));
    let mut thread_counts = vec![1];
    if max_threads > 1 {
        thread_counts.push(max_threads);
    }
    let caches = Caches::this_cpu();
    let runs: Vec<Run<'_>> = thread_counts
        .iter()
        .flat_map(|&t| Pattern::ALL.map(|p| (p, t)))
        .map(|(pattern, threads)| Run {
            pattern,
            threads,
            level: pattern.level(n, threads, &caches),
            bufs: &bufs,
        })
        .collect();
    time_forms(&runs, cfg)
}

/// What one in-cache STREAM table measures: per cache level of `caches`
/// (L1, L2, last-level), every pattern on the thread counts of
/// [`Level::thread_counts`], each on its own arrays of
/// [`Level::elems_for`] doubles. `(level, pattern, threads, n)`, in
/// table order.
pub fn in_cache_plan(caches: &Caches, max_threads: usize) -> Vec<(Level, Pattern, usize, usize)> {
    let mut v = Vec::new();
    for level in Level::IN_CACHE {
        for t in level.thread_counts(max_threads) {
            for p in Pattern::ALL {
                if let Some(n) = level.elems_for(p, t, caches) {
                    v.push((level, p, t, n));
                }
            }
        }
    }
    v
}

/// Measures every pattern at each cache level of this CPU ([`in_cache_plan`]
/// on [`Caches::this_cpu`]), every form of each, one interleaved group per
/// level with the report's calibration of calls per sample (an in-cache
/// pass lasts microseconds, so a sample makes many), and keeps per
/// pattern, level and thread count the form with the lowest median.
/// `step` is told each level before it runs.
pub fn measure_in_cache(
    max_threads: usize,
    cfg: &TimingConfig,
    mut step: impl FnMut(Level),
) -> Vec<StreamResult> {
    let plan = in_cache_plan(&Caches::this_cpu(), max_threads);
    let mut out = Vec::new();
    for level in Level::IN_CACHE {
        let mine: Vec<_> = plan.iter().filter(|x| x.0 == level).collect();
        if mine.is_empty() {
            continue;
        }
        step(level);
        let bufs: Vec<RefCell<StreamBufs>> = mine
            .iter()
            .map(|&&(_, p, _, n)| RefCell::new(StreamBufs::for_pattern(n, p)))
            .collect();
        let runs: Vec<Run<'_>> = mine
            .iter()
            .zip(&bufs)
            .map(|(&&(level, pattern, threads, _), bufs)| Run {
                pattern,
                threads,
                level,
                bufs,
            })
            .collect();
        out.extend(time_forms(&runs, cfg));
    }
    out
}

/// One pattern at one thread count on its arrays, for [`time_forms`].
struct Run<'a> {
    pattern: Pattern,
    threads: usize,
    level: Level,
    bufs: &'a RefCell<StreamBufs>,
}

/// Times every form of every run in one interleaved group, keeps the
/// fastest form of each run (lowest median) and records it in
/// [`MEASURED`] for [`StreamBufs::pass`].
fn time_forms(runs: &[Run<'_>], cfg: &TimingConfig) -> Vec<StreamResult> {
    let mut cands = Vec::new();
    let mut keys = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        let (pat, t, bufs) = (r.pattern, r.threads, r.bufs);
        for form in pat.forms() {
            keys.push((i, form));
            cands.push(Candidate::new(
                format!("{}-{}-{t}", pat.name(), form.name()),
                move |inner| {
                    let mut b = bufs.borrow_mut();
                    for _ in 0..inner {
                        b.pass_with(pat, form, t);
                    }
                },
            ));
        }
    }
    let stats = interleaved(&mut cands, cfg);
    drop(cands);
    let mut per_run: Vec<Vec<(Form, Stats)>> = vec![Vec::new(); runs.len()];
    for ((i, form), s) in keys.into_iter().zip(stats) {
        per_run[i].push((form, s));
    }
    let mut out = Vec::new();
    for (r, mut forms) in runs.iter().zip(per_run) {
        forms.sort_by(|a, b| a.1.median.total_cmp(&b.1.median));
        let mut forms = forms.into_iter();
        let Some((form, stats)) = forms.next() else {
            continue;
        };
        let n = r.bufs.borrow().len();
        out.push(StreamResult {
            pattern: r.pattern,
            threads: r.threads,
            n,
            level: r.level,
            form,
            stats,
            others: forms.collect(),
        });
    }
    if let Ok(mut m) = MEASURED.lock() {
        let table = m.get_or_insert_with(HashMap::new);
        for r in &out {
            let ranked = std::iter::once(r.form)
                .chain(r.others.iter().map(|x| x.0))
                .collect();
            table.insert((r.pattern, r.level, r.threads), ranked);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use simdpar::simdpar_kernels::bandwidth::Store;

    #[test]
    fn passes_compute_what_they_say_in_every_form() {
        for store in Pattern::Copy.forms() {
            for threads in [1, 3] {
                let mut b = StreamBufs::new(1001);
                let a = b.a.get().to_vec();
                b.pass_with(Pattern::Copy, store, threads);
                assert_eq!(b.out.get(), &a[..], "copy {store:?} t{threads}");
                b.pass_with(Pattern::InplaceScale, store, threads);
                let want: Vec<f64> = a.iter().map(|x| -x).collect();
                assert_eq!(b.out.get(), &want[..], "scale {store:?} t{threads}");
                b.pass_with(Pattern::Triad, store, threads);
                let (bb, cc) = (b.b.get().to_vec(), b.c.get().to_vec());
                for i in 0..1001 {
                    assert_eq!(b.out.get()[i], bb[i] + 0.5 * cc[i], "triad {store:?} {i}");
                }
            }
        }
    }

    #[test]
    fn several_threads_cut_the_arrays_as_the_kernels_do() {
        // One thread: the whole array; several: the kernels' pieces, a
        // whole number of cache lines each, every element covered.
        assert_eq!(bandwidth::piece_len(10_000, 1), 10_000);
        let c = bandwidth::piece_len(1 << 22, 2);
        assert_eq!(c % 64, 0);
        assert!(c < 1 << 21 && (1usize << 22).div_ceil(c) >= 16, "{c}");
        let mut b = StreamBufs::new(3 * 64 * 1024 + 5);
        let a = b.a.get().to_vec();
        b.pass_with(Pattern::Copy, Pattern::Copy.forms()[0], 2);
        assert_eq!(b.out.get(), &a[..]);
    }

    /// The race makes every calibrated call (a sample of `k` calls runs `k`
    /// passes: a candidate that ran one pass per sample made forms with a
    /// fast first call look `k` times faster) and keeps the faster form,
    /// whichever comes first; the slower one's first call is the fastest.
    #[test]
    fn the_form_race_times_every_pass_and_keeps_the_faster_form() {
        let forms = Pattern::Read.forms();
        let (slow, fast) = (forms[0], forms[1]);
        let spin = |d: Duration| {
            let t = std::time::Instant::now();
            while t.elapsed() < d {
                std::hint::spin_loop();
            }
        };
        let calls = RefCell::new(HashMap::<Form, usize>::new());
        let chosen = fastest_form(&[slow, fast], |f| {
            let mut c = calls.borrow_mut();
            let k = c.entry(f).or_insert(0);
            *k += 1;
            // The slow form's first call is quick (its count per sample
            // comes out large); every later call takes 60 us against 20.
            let us = if f == slow && *k > 1 { 60 } else { 20 };
            drop(c);
            spin(Duration::from_micros(us));
        });
        assert_eq!(chosen, fast);
        let c = calls.borrow();
        // Six timed samples of about 1 ms: dozens of passes each.
        assert!(c[&fast] > 6 * 10, "{c:?}");
        assert!(c[&slow] > 6 * 10, "{c:?}");
    }

    #[test]
    fn pass_picks_a_form_once_per_pattern_and_threads() {
        let mut b = StreamBufs::new(4096);
        b.pass(Pattern::Copy, 1);
        b.pass(Pattern::Read, 1);
        assert_eq!(
            b.chosen.chosen.get(&(Pattern::Read, 1)).map(|f| f.store),
            Some(Store::Cached)
        );
        assert!(b.chosen.chosen.contains_key(&(Pattern::Copy, 1)));
        assert_eq!(b.chosen.chosen.len(), 2);
    }

    #[test]
    fn a_pattern_s_own_arrays_hold_its_bytes_only() {
        for p in Pattern::ALL {
            let mut b = StreamBufs::for_pattern(1000, p);
            assert_eq!(b.len(), 1000);
            let held = [&b.a, &b.b, &b.c, &b.out]
                .iter()
                .map(|x| x.get().len())
                .sum::<usize>();
            // Distinct bytes: the footprint, 8 per array.
            assert_eq!(held * 8, 1000 * p.footprint_per_elem(), "{p:?}");
            for form in p.forms() {
                b.pass_with(p, form, 1);
            }
        }
        let mut b = StreamBufs::for_pattern(1000, Pattern::Copy);
        let a = b.a.get().to_vec();
        b.pass_with(Pattern::Copy, Pattern::Copy.forms()[0], 2);
        assert_eq!(b.out.get(), &a[..]);
    }

    #[test]
    fn in_cache_plan_follows_the_caches() {
        let zen4 = Caches {
            l1d: 32 << 10,
            l2: 1 << 20,
            llc: 32 << 20,
        };
        let plan = in_cache_plan(&zen4, 2);
        // L1 on one thread, L2 and LLC on 1 and 2: 5 x 4 patterns.
        assert_eq!(plan.len(), 20);
        let find = |l, p, t| {
            plan.iter()
                .find(|x| (x.0, x.1, x.2) == (l, p, t))
                .map(|x| x.3)
        };
        assert_eq!(find(Level::L1, Pattern::Read, 1), Some(2048));
        assert_eq!(find(Level::L1, Pattern::Read, 2), None);
        assert_eq!(find(Level::L2, Pattern::Triad, 2), Some(43648));
        assert_eq!(find(Level::Llc, Pattern::Copy, 1), Some(1 << 20));
        for &(level, p, t, n) in &plan {
            assert_eq!(p.level(n, t, &zen4), level, "{p:?} t{t}");
        }
        // A CPU with twice the caches gets twice the arrays.
        let big = Caches {
            l1d: 64 << 10,
            l2: 2 << 20,
            llc: 64 << 20,
        };
        let (b, z) = (in_cache_plan(&big, 1), in_cache_plan(&zen4, 1));
        assert_eq!(b.len(), 12);
        for (b, z) in b.iter().zip(&z) {
            // Equal up to the rounding to 64 doubles.
            assert!(b.3 >= 2 * z.3 && b.3 < 2 * z.3 + 128, "{b:?} {z:?}");
        }
    }

    #[test]
    fn measure_in_cache_keeps_the_fastest_form_per_level() {
        let cfg = TimingConfig {
            reps: 2,
            min_sample: std::time::Duration::from_micros(50),
        };
        let mut steps = Vec::new();
        let r = measure_in_cache(2, &cfg, |l| steps.push(l));
        assert_eq!(steps, Level::IN_CACHE.to_vec());
        assert_eq!(r.len(), in_cache_plan(&Caches::this_cpu(), 2).len());
        for x in &r {
            assert_ne!(x.level, Level::Dram);
            assert_eq!(x.others.len() + 1, x.pattern.forms().len());
            assert!(x.others.iter().all(|(_, o)| x.stats.median <= o.median));
            assert!(x.gbs() > 0.0);
        }
    }

    #[test]
    fn measure_small() {
        let cfg = TimingConfig {
            reps: 2,
            min_sample: std::time::Duration::from_micros(50),
        };
        let r = measure(10_000, 2, &cfg);
        assert_eq!(r.len(), 8);
        assert!(r.iter().all(|r| r.gbs() > 0.0));
        for x in &r {
            // Every form measured once, the kept one the fastest.
            assert_eq!(x.others.len() + 1, x.pattern.forms().len());
            for (f, o) in &x.others {
                assert!(x.stats.median <= o.median);
                assert_ne!(*f, x.form);
            }
            if !x.pattern.stores() {
                assert_eq!(x.form.store, Store::Cached);
            }
        }
    }
}
