//! Typed, in-process access to the Mojo twins of the simdpar kernels.

use crate::cache::{Artifact, BuildRequest, Cache, FpMode, Source};
use crate::error::MojoError;
use crate::loader::Library;

/// The Mojo source of every twin (compiled through the cache on demand).
pub const TWINS_SOURCE: &str = include_str!("../mojo/simdpar_twins.mojo");
/// The name the twins source is compiled under (diagnostics use it).
pub const TWINS_SOURCE_NAME: &str = "simdpar_twins.mojo";
/// The twins C ABI version this crate expects (`spm_abi_version()`).
pub const TWINS_ABI_VERSION: i64 = 1;
/// The compile-time define that forces the f32 vector width.
pub const DEFINE_F32_WIDTH: &str = "SIMDPAR_F32_WIDTH";

/// The portable `--target-cpu` for this architecture (`x86-64-v3` on
/// x86-64: AVX2 + FMA; `None` elsewhere, meaning the host CPU).
pub fn portable_cpu() -> Option<&'static str> {
    if cfg!(target_arch = "x86_64") {
        Some("x86-64-v3")
    } else {
        None
    }
}

/// The compiled variants of the twins source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TwinVariant {
    /// Host CPU, native vector width, `contract=off`: bitwise parity with Rust.
    Exact,
    /// Host CPU, native vector width, `contract=fast` (the compiler default):
    /// multiply-add pairs may be fused into FMAs.
    Fast,
    /// Portable CPU ([`portable_cpu`]), native width of that CPU, `contract=off`.
    Portable,
    /// Portable CPU, `contract=off`, f32 vectors forced to 16 lanes
    /// (`-D SIMDPAR_F32_WIDTH=16`): on AVX2 each op splits into two 256-bit ops.
    Forced16,
}

impl TwinVariant {
    /// Every variant, in report order.
    pub const ALL: [TwinVariant; 4] = [
        TwinVariant::Exact,
        TwinVariant::Fast,
        TwinVariant::Portable,
        TwinVariant::Forced16,
    ];

    /// Short name used in reports (`exact`, `fast`, `portable`, `forced16`).
    pub fn name(self) -> &'static str {
        match self {
            TwinVariant::Exact => "exact",
            TwinVariant::Fast => "fast",
            TwinVariant::Portable => "portable",
            TwinVariant::Forced16 => "forced16",
        }
    }

    /// Parses [`TwinVariant::name`].
    pub fn from_name(name: &str) -> Option<TwinVariant> {
        TwinVariant::ALL.into_iter().find(|v| v.name() == name)
    }

    /// The floating-point mode this variant is built with.
    pub fn fp_mode(self) -> FpMode {
        match self {
            TwinVariant::Fast => FpMode::ContractFast,
            _ => FpMode::ContractOff,
        }
    }

    /// Whether elementwise kernels and mandelbrot are bitwise-identical to Rust.
    pub fn is_exact(self) -> bool {
        self.fp_mode() == FpMode::ContractOff
    }

    /// The cache request that builds this variant.
    pub fn request(self) -> BuildRequest {
        let req = BuildRequest::shared_lib(Source::Inline {
            name: TWINS_SOURCE_NAME.to_string(),
            text: TWINS_SOURCE.to_string(),
        })
        .fp_mode(self.fp_mode());
        let req = match (self, portable_cpu()) {
            (TwinVariant::Portable | TwinVariant::Forced16, Some(cpu)) => req.target_cpu(cpu),
            _ => req,
        };
        match self {
            TwinVariant::Forced16 => req.define(DEFINE_F32_WIDTH, "16"),
            _ => req,
        }
    }
}

/// C signatures of the exported twins (`Int` = `isize`, `UInt32` = `u32`).
mod sig {
    pub type Sum<T> = unsafe extern "C" fn(*const T, isize) -> T;
    pub type RowSums<T> = unsafe extern "C" fn(*const T, isize, *mut T, isize);
    pub type RowSumsMt<T> = unsafe extern "C" fn(*const T, isize, *mut T, isize, isize) -> isize;
    pub type Binary<T> = unsafe extern "C" fn(*const T, *const T, *mut T, isize);
    pub type BinaryMt<T> = unsafe extern "C" fn(*const T, *const T, *mut T, isize, isize) -> isize;
    pub type Unary<T> = unsafe extern "C" fn(*const T, *mut T, isize);
    pub type UnaryScalar<T> = unsafe extern "C" fn(*const T, T, *mut T, isize);
    pub type Mandel<T> = unsafe extern "C" fn(*mut u32, isize, isize, u32, T, T, T, T);
    pub type MandelMt<T> =
        unsafe extern "C" fn(*mut u32, isize, isize, u32, T, T, T, T, isize) -> isize;
    pub type Width = unsafe extern "C" fn() -> isize;
}

mod sealed {
    /// The function table of one element type.
    #[derive(Debug, Clone, Copy)]
    pub struct Fns<T> {
        pub sum: super::sig::Sum<T>,
        pub row_sums: super::sig::RowSums<T>,
        pub row_sums_mt: super::sig::RowSumsMt<T>,
        pub add: super::sig::Binary<T>,
        pub multiply: super::sig::Binary<T>,
        pub multiply_mt: super::sig::BinaryMt<T>,
        pub square: super::sig::Unary<T>,
        pub scale: super::sig::UnaryScalar<T>,
        pub leaky_relu: super::sig::UnaryScalar<T>,
        pub mandelbrot: super::sig::Mandel<T>,
        pub mandelbrot_mt: super::sig::MandelMt<T>,
        pub width: usize,
    }

    /// Selects the table of an element type.
    pub trait Sealed: Sized {
        fn fns(t: &super::Twins) -> &Fns<Self>;
    }
}

/// Element types the twins are compiled for (`f32`, `f64`); sealed.
pub trait TwinElement: sealed::Sealed + Copy + Send + Sync + 'static {
    /// `"f32"` or `"f64"`, the suffix of the exported symbols.
    const NAME: &'static str;
}

impl sealed::Sealed for f32 {
    fn fns(t: &Twins) -> &sealed::Fns<f32> {
        &t.f32
    }
}
impl TwinElement for f32 {
    const NAME: &'static str = "f32";
}
impl sealed::Sealed for f64 {
    fn fns(t: &Twins) -> &sealed::Fns<f64> {
        &t.f64
    }
}
impl TwinElement for f64 {
    const NAME: &'static str = "f64";
}

/// The Mandelbrot image the twins compute is simdpar's own
/// [`MandelbrotGrid`](simdpar_kernels::MandelbrotGrid): one definition, so
/// the twins' counts compare with the kernels' pixel for pixel.
pub use simdpar_kernels::MandelbrotGrid;

/// One loaded variant of the twins library, callable on Rust slices.
///
/// Threaded entry points take `threads` (0: one per online CPU) and return
/// how many threads ran; the twins fork and join pthreads per call.
#[derive(Debug)]
pub struct Twins {
    variant: TwinVariant,
    artifact: Artifact,
    f32: sealed::Fns<f32>,
    f64: sealed::Fns<f64>,
    _lib: Library,
}

fn load_fns<T: TwinElement>(lib: &Library) -> Result<sealed::Fns<T>, MojoError> {
    /// Looks up `spm_<kernel>_<dtype>` with the type of the `Fns` field it fills.
    macro_rules! sym {
        ($kernel:literal) => {
            // SAFETY: every `Fns` field type is the Rust spelling of the
            // exported Mojo signature in mojo/simdpar_twins.mojo, pinned by
            // the ABI version check in `Twins::from_artifact`; the pointer is
            // stored in `Twins` next to the `Library` that keeps it valid.
            unsafe { lib.symbol(&format!("spm_{}_{}", $kernel, T::NAME)) }?
        };
    }
    let width: sig::Width = sym!("simd_width");
    // SAFETY: `spm_simd_width_*` takes no arguments and returns a constant.
    let width = unsafe { width() };
    Ok(sealed::Fns {
        sum: sym!("sum"),
        row_sums: sym!("row_sums"),
        row_sums_mt: sym!("row_sums_mt"),
        add: sym!("add"),
        multiply: sym!("multiply"),
        multiply_mt: sym!("multiply_mt"),
        square: sym!("square"),
        scale: sym!("scale"),
        leaky_relu: sym!("leaky_relu"),
        mandelbrot: sym!("mandelbrot"),
        mandelbrot_mt: sym!("mandelbrot_mt"),
        width: usize::try_from(width).unwrap_or(0),
    })
}

fn same_len(what: &str, a: usize, b: usize) -> Result<(), MojoError> {
    if a == b {
        Ok(())
    } else {
        Err(MojoError::InvalidArgument(format!(
            "{what}: lengths differ ({a} vs {b})"
        )))
    }
}

/// Slice lengths never exceed `isize::MAX`, so this conversion is lossless.
fn ilen(n: usize) -> isize {
    n as isize
}

impl Twins {
    /// Builds (or finds) `variant` in `cache` and loads it.
    pub fn load(cache: &Cache, variant: TwinVariant) -> Result<Twins, MojoError> {
        let artifact = cache.build(&variant.request())?;
        Twins::from_artifact(artifact, variant)
    }

    /// Loads an already-built twins artifact (checked against this CPU), checks
    /// its ABI version and resolves every symbol.
    pub fn from_artifact(artifact: Artifact, variant: TwinVariant) -> Result<Twins, MojoError> {
        let lib = artifact.load()?;
        // SAFETY: `spm_abi_version` is `() -> Int` in every ABI version.
        let abi: sig::Width = unsafe { lib.symbol("spm_abi_version") }?;
        // SAFETY: takes no arguments, returns a constant.
        let found = unsafe { abi() } as i64;
        if found != TWINS_ABI_VERSION {
            return Err(MojoError::AbiMismatch {
                path: lib.path().to_path_buf(),
                expected: TWINS_ABI_VERSION,
                found,
            });
        }
        Ok(Twins {
            variant,
            f32: load_fns(&lib)?,
            f64: load_fns(&lib)?,
            artifact,
            _lib: lib,
        })
    }

    /// The variant.
    pub fn variant(&self) -> TwinVariant {
        self.variant
    }

    /// The artifact (path, manifest, cache outcome).
    pub fn artifact(&self) -> &Artifact {
        &self.artifact
    }

    /// Vector lanes the twin uses for `T` (from the compiled code).
    pub fn simd_width<T: TwinElement>(&self) -> usize {
        T::fns(self).width
    }

    /// Sum of `x` (4 vector accumulators; order differs from the Rust kernel).
    pub fn sum<T: TwinElement>(&self, x: &[T]) -> T {
        // SAFETY: reads x[0..len], a live slice.
        unsafe { (T::fns(self).sum)(x.as_ptr(), ilen(x.len())) }
    }

    /// `out[r] = sum(matrix[r*cols .. (r+1)*cols])`, rows = `out.len()`.
    pub fn row_sums<T: TwinElement>(
        &self,
        matrix: &[T],
        cols: usize,
        out: &mut [T],
    ) -> Result<(), MojoError> {
        check_matrix(matrix.len(), cols, out.len())?;
        // SAFETY: matrix holds rows*cols elements and out holds rows, checked above.
        unsafe {
            (T::fns(self).row_sums)(
                matrix.as_ptr(),
                ilen(cols),
                out.as_mut_ptr(),
                ilen(out.len()),
            )
        };
        Ok(())
    }

    /// Threaded [`Twins::row_sums`] (rows split in contiguous chunks);
    /// returns the number of threads that ran.
    pub fn row_sums_mt<T: TwinElement>(
        &self,
        matrix: &[T],
        cols: usize,
        out: &mut [T],
        threads: usize,
    ) -> Result<usize, MojoError> {
        check_matrix(matrix.len(), cols, out.len())?;
        // SAFETY: as in `row_sums`; threads only touch disjoint rows of `out`
        // and are joined before the call returns.
        let used = unsafe {
            (T::fns(self).row_sums_mt)(
                matrix.as_ptr(),
                ilen(cols),
                out.as_mut_ptr(),
                ilen(out.len()),
                ilen(threads),
            )
        };
        Ok(used.max(0) as usize)
    }

    /// `out[i] = a[i] + b[i]`.
    pub fn add<T: TwinElement>(&self, a: &[T], b: &[T], out: &mut [T]) -> Result<(), MojoError> {
        self.binary(T::fns(self).add, "add", a, b, out)
    }

    /// `out[i] = a[i] * b[i]`.
    pub fn multiply<T: TwinElement>(
        &self,
        a: &[T],
        b: &[T],
        out: &mut [T],
    ) -> Result<(), MojoError> {
        self.binary(T::fns(self).multiply, "multiply", a, b, out)
    }

    /// Threaded [`Twins::multiply`] (16384-element blocks); returns the
    /// number of threads that ran.
    pub fn multiply_mt<T: TwinElement>(
        &self,
        a: &[T],
        b: &[T],
        out: &mut [T],
        threads: usize,
    ) -> Result<usize, MojoError> {
        same_len("multiply_mt", a.len(), out.len())?;
        same_len("multiply_mt", b.len(), out.len())?;
        // SAFETY: all three slices hold out.len() elements; threads write
        // disjoint blocks of `out` and are joined before the call returns.
        let used = unsafe {
            (T::fns(self).multiply_mt)(
                a.as_ptr(),
                b.as_ptr(),
                out.as_mut_ptr(),
                ilen(out.len()),
                ilen(threads),
            )
        };
        Ok(used.max(0) as usize)
    }

    /// `out[i] = x[i] * x[i]`.
    pub fn square<T: TwinElement>(&self, x: &[T], out: &mut [T]) -> Result<(), MojoError> {
        same_len("square", x.len(), out.len())?;
        // SAFETY: both slices hold out.len() elements.
        unsafe { (T::fns(self).square)(x.as_ptr(), out.as_mut_ptr(), ilen(out.len())) };
        Ok(())
    }

    /// `out[i] = x[i] * factor`.
    pub fn scale<T: TwinElement>(
        &self,
        x: &[T],
        factor: T,
        out: &mut [T],
    ) -> Result<(), MojoError> {
        self.unary_scalar(T::fns(self).scale, "scale", x, factor, out)
    }

    /// The standard leaky ReLU, `out[i] = x[i] > 0 ? x[i] : alpha * x[i]`.
    pub fn leaky_relu<T: TwinElement>(
        &self,
        x: &[T],
        alpha: T,
        out: &mut [T],
    ) -> Result<(), MojoError> {
        self.unary_scalar(T::fns(self).leaky_relu, "leaky_relu", x, alpha, out)
    }

    /// Mandelbrot escape counts, `out.len() == width * height`.
    pub fn mandelbrot<T: TwinElement>(
        &self,
        p: &MandelbrotGrid<T>,
        out: &mut [u32],
    ) -> Result<(), MojoError> {
        check_grid(p, out.len())?;
        // SAFETY: out holds width*height counts, checked above.
        unsafe {
            (T::fns(self).mandelbrot)(
                out.as_mut_ptr(),
                ilen(p.width),
                ilen(p.height),
                p.max_iter,
                p.xlim.0,
                p.xlim.1,
                p.ylim.0,
                p.ylim.1,
            )
        };
        Ok(())
    }

    /// Threaded [`Twins::mandelbrot`] (rows interleaved across threads);
    /// returns the number of threads that ran.
    pub fn mandelbrot_mt<T: TwinElement>(
        &self,
        p: &MandelbrotGrid<T>,
        out: &mut [u32],
        threads: usize,
    ) -> Result<usize, MojoError> {
        check_grid(p, out.len())?;
        // SAFETY: out holds width*height counts; threads write disjoint rows
        // and are joined before the call returns.
        let used = unsafe {
            (T::fns(self).mandelbrot_mt)(
                out.as_mut_ptr(),
                ilen(p.width),
                ilen(p.height),
                p.max_iter,
                p.xlim.0,
                p.xlim.1,
                p.ylim.0,
                p.ylim.1,
                ilen(threads),
            )
        };
        Ok(used.max(0) as usize)
    }

    fn binary<T: TwinElement>(
        &self,
        f: sig::Binary<T>,
        what: &str,
        a: &[T],
        b: &[T],
        out: &mut [T],
    ) -> Result<(), MojoError> {
        same_len(what, a.len(), out.len())?;
        same_len(what, b.len(), out.len())?;
        // SAFETY: all three slices hold out.len() elements.
        unsafe { f(a.as_ptr(), b.as_ptr(), out.as_mut_ptr(), ilen(out.len())) };
        Ok(())
    }

    fn unary_scalar<T: TwinElement>(
        &self,
        f: sig::UnaryScalar<T>,
        what: &str,
        x: &[T],
        s: T,
        out: &mut [T],
    ) -> Result<(), MojoError> {
        same_len(what, x.len(), out.len())?;
        // SAFETY: both slices hold out.len() elements.
        unsafe { f(x.as_ptr(), s, out.as_mut_ptr(), ilen(out.len())) };
        Ok(())
    }
}

fn check_matrix(len: usize, cols: usize, rows: usize) -> Result<(), MojoError> {
    match rows.checked_mul(cols) {
        Some(n) if n == len => Ok(()),
        _ => Err(MojoError::InvalidArgument(format!(
            "row_sums: matrix has {len} elements, expected {rows} rows x {cols} cols"
        ))),
    }
}

fn check_grid<T>(p: &MandelbrotGrid<T>, len: usize) -> Result<(), MojoError> {
    match p.width.checked_mul(p.height) {
        Some(n) if n == len => Ok(()),
        _ => Err(MojoError::InvalidArgument(format!(
            "mandelbrot: output has {len} cells, grid is {}x{}",
            p.width, p.height
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_requests_differ_and_round_trip() {
        let keys: std::collections::BTreeSet<String> = TwinVariant::ALL
            .iter()
            .map(|v| format!("{:?}", v.request()))
            .collect();
        assert_eq!(keys.len(), 4);
        for v in TwinVariant::ALL {
            assert_eq!(TwinVariant::from_name(v.name()), Some(v));
        }
        assert_eq!(
            TwinVariant::Forced16
                .request()
                .defines
                .get(DEFINE_F32_WIDTH),
            Some(&"16".to_string())
        );
        assert!(!TwinVariant::Fast.is_exact());
        assert!(TwinVariant::Exact.is_exact());
    }

    #[test]
    fn shape_checks() {
        assert!(check_matrix(6, 3, 2).is_ok());
        assert!(check_matrix(5, 3, 2).is_err());
        assert!(check_matrix(0, usize::MAX, 2).is_err());
        let p = MandelbrotGrid {
            width: 3,
            height: 2,
            max_iter: 1,
            xlim: (0.0f32, 1.0),
            ylim: (0.0, 1.0),
        };
        assert!(check_grid(&p, 6).is_ok());
        assert!(check_grid(&p, 7).is_err());
    }
}
