//! The Mandelbrot set, as iteration counts per pixel.
//!
//! # Definition (every ISA computes exactly this)
//!
//! For a [`MandelbrotGrid`] in dtype `T`: `dx = (xmax - xmin) / width` and
//! `dy = (ymax - ymin) / height` in `T`; pixel `(x, y)` (row `y = 0` is
//! `ymin`) has `c = (xmin + x*dx, ymin + y*dy)`, with `x`, `y` converted to
//! `T`. Starting from `z = 0`, repeat at most `max_iter` times: if
//! `zr*zr + zi*zi > 4` stop; `count += 1`; `zi' = (2*zr)*zi + ci`;
//! `zr' = (zr*zr - zi*zi) + cr`. Every product and sum is rounded on its own
//! (no fused multiply-add), so all ISAs give identical counts.

pub(crate) mod generic;
pub mod portable;
pub mod scalar;

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub mod avx2;
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub mod avx512;
#[cfg(target_arch = "aarch64")]
pub mod neon;

use crate::vocab::Kernel;
use crate::{Element, KernelError};
use simdpar_dispatch::Isa;

/// The image to compute: `width x height` pixels over `xlim x ylim`, at most
/// `max_iter` iterations per pixel, in dtype `T`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MandelbrotGrid<T> {
    /// Pixels per row (> 0).
    pub width: usize,
    /// Rows (> 0).
    pub height: usize,
    /// Iteration cap; a pixel's count is at most this.
    pub max_iter: u32,
    /// `(xmin, xmax)`: the real axis.
    pub xlim: (T, T),
    /// `(ymin, ymax)`: the imaginary axis; row 0 is `ymin`.
    pub ylim: (T, T),
}

impl<T: Element> MandelbrotGrid<T> {
    /// The classic view: `[-2, 0.5] x [-1.25, 1.25]`, 256 iterations.
    pub fn new(width: usize, height: usize) -> Self {
        MandelbrotGrid {
            width,
            height,
            max_iter: 256,
            xlim: (T::from_f64(-2.0), T::from_f64(0.5)),
            ylim: (T::from_f64(-1.25), T::from_f64(1.25)),
        }
    }

    /// Number of pixels, or an error if the image is empty or too large.
    pub fn pixels(&self) -> Result<usize, KernelError> {
        if self.width == 0 || self.height == 0 {
            return Err(KernelError::InvalidArgument(format!(
                "mandelbrot: width and height must be > 0, got {} x {}",
                self.width, self.height
            )));
        }
        self.width
            .checked_mul(self.height)
            .filter(|&n| n <= isize::MAX as usize / 4)
            .ok_or_else(|| {
                KernelError::InvalidArgument(format!(
                    "mandelbrot: {} x {} pixels is too large",
                    self.width, self.height
                ))
            })
    }

    /// `(dx, dy)` as the definition computes them.
    #[inline]
    pub fn steps(&self) -> (T, T) {
        (
            (self.xlim.1 - self.xlim.0) / T::from_index(self.width),
            (self.ylim.1 - self.ylim.0) / T::from_index(self.height),
        )
    }
}

/// The Mandelbrot kernel of one ISA for one dtype. Only reachable for
/// supported ISAs.
pub(crate) struct MandelbrotTable<T: 'static> {
    pub(crate) isa: Isa,
    /// Fills rows `y0 .. y0 + out.len() / width` of the image into `out`.
    pub(crate) rows: unsafe fn(&MandelbrotGrid<T>, usize, &mut [u32]),
    /// Fills the tile `(y0, x_start, tile_width)`: columns `x_start ..
    /// x_start + tile_width` of rows `y0 .. y0 + out.len() / tile_width`.
    pub(crate) tile: unsafe fn(&MandelbrotGrid<T>, usize, usize, usize, &mut [u32]),
}

crate::isa_tables!(MandelbrotTable);

/// The kernel for `pixels` pixels of `grid` on this thread now: the plan's
/// ISA for that much work (pixels x iterations), always one this CPU
/// supports.
#[inline]
fn resolve_for<T: Element>(grid: &MandelbrotGrid<T>, pixels: usize) -> &'static MandelbrotTable<T> {
    let work = pixels.saturating_mul(grid.max_iter.max(1) as usize);
    table_for::<T>(crate::plan::isa_for(Kernel::Mandelbrot, T::DTYPE, work))
}

/// Fills `out` (row-major, `height` rows of `width` counts) with the
/// iteration count of every pixel of `grid`. Errors (nothing written) when
/// the image is empty or `out.len() != width * height`.
///
/// ```
/// use simdpar_kernels::{MandelbrotGrid, mandelbrot};
/// let g = MandelbrotGrid::<f64>::new(8, 4);
/// let mut counts = vec![0u32; 32];
/// mandelbrot(&g, &mut counts).unwrap();
/// assert!(counts.iter().all(|&c| c <= 256));
/// ```
pub fn mandelbrot<T: Element>(
    grid: &MandelbrotGrid<T>,
    out: &mut [u32],
) -> Result<(), KernelError> {
    let n = grid.pixels()?;
    crate::error::check_len("out", n, out.len())?;
    let t = resolve_for(grid, n);
    // SAFETY: supported ISA; out holds exactly the whole image.
    unsafe { (t.rows)(grid, 0, out) };
    Ok(())
}

/// Fills `out` with the tile of columns `x0 .. x0 + tile_width` of rows
/// `y0 .. y0 + out.len() / tile_width` of `grid`'s image (row-major,
/// `tile_width` counts a row): each count bitwise equal to the same pixel of
/// [`mandelbrot`], since pixel coordinates come from the full grid. This is
/// how a tiled (distributed) image is computed one tile per call. Errors
/// (nothing written) when the image is empty, the tile is empty, `out` is
/// not a whole number of tile rows, or the tile passes the image's edge.
///
/// ```
/// use simdpar_kernels::{MandelbrotGrid, mandelbrot, mandelbrot::mandelbrot_tile};
/// let g = MandelbrotGrid::<f64>::new(16, 8);
/// let mut full = vec![0u32; 128];
/// mandelbrot(&g, &mut full).unwrap();
/// let mut tile = vec![0u32; 2 * 5]; // rows 3..5, columns 9..14
/// mandelbrot_tile(&g, 3, 9, 5, &mut tile).unwrap();
/// assert_eq!(tile[..5], full[3 * 16 + 9..3 * 16 + 14]);
/// assert_eq!(tile[5..], full[4 * 16 + 9..4 * 16 + 14]);
/// ```
pub fn mandelbrot_tile<T: Element>(
    grid: &MandelbrotGrid<T>,
    y0: usize,
    x0: usize,
    tile_width: usize,
    out: &mut [u32],
) -> Result<(), KernelError> {
    grid.pixels()?;
    let rows = out.len().checked_div(tile_width).unwrap_or(0);
    if tile_width == 0
        || rows == 0
        || !out.len().is_multiple_of(tile_width)
        || x0
            .checked_add(tile_width)
            .is_none_or(|end| end > grid.width)
        || y0.checked_add(rows).is_none_or(|end| end > grid.height)
    {
        return Err(KernelError::InvalidArgument(format!(
            "mandelbrot_tile: {} counts as rows of {tile_width} pixels from row {y0}, column {x0} \
             are not a non-empty tile inside the {} x {} image",
            out.len(),
            grid.width,
            grid.height
        )));
    }
    let t = resolve_for(grid, out.len());
    // SAFETY: supported ISA; out holds whole tile rows, all inside the image.
    unsafe { (t.tile)(grid, y0, x0, tile_width, out) };
    Ok(())
}

/// Generates an ISA file's Mandelbrot kernels for f32 and f64: the row and
/// tile kernels, token-taking public functions and the two tables. The
/// grammar and each ISA's arguments: [`crate::simd::isa_shim`].
macro_rules! mandelbrot_isa {
    (isa = $isa:expr; [$($tf:tt)*] [$($tok:ident : $token:ty)?]; f32 = $v32:ty, f64 = $v64:ty) => {
        use crate::mandelbrot::{MandelbrotGrid, MandelbrotTable, generic};

        $($tf)*
        unsafe fn rows_f32_impl(g: &MandelbrotGrid<f32>, y0: usize, out: &mut [u32]) {
            // SAFETY: the caller holds the ISA's proof.
            unsafe { generic::rows::<$v32>(g, y0, out) }
        }
        $($tf)*
        unsafe fn rows_f64_impl(g: &MandelbrotGrid<f64>, y0: usize, out: &mut [u32]) {
            // SAFETY: as above.
            unsafe { generic::rows::<$v64>(g, y0, out) }
        }
        $($tf)*
        unsafe fn tile_f32_impl(
            g: &MandelbrotGrid<f32>, y0: usize, x_start: usize, tile_width: usize, out: &mut [u32],
        ) {
            // SAFETY: as above.
            unsafe { generic::tile::<$v32>(g, y0, x_start, tile_width, out) }
        }
        $($tf)*
        unsafe fn tile_f64_impl(
            g: &MandelbrotGrid<f64>, y0: usize, x_start: usize, tile_width: usize, out: &mut [u32],
        ) {
            // SAFETY: as above.
            unsafe { generic::tile::<$v64>(g, y0, x_start, tile_width, out) }
        }

        /// Counts of rows `y0 .. y0 + out.len() / width` on this ISA (a
        /// partial last row is left untouched).
        pub fn rows_f32($($tok: $token,)? grid: &MandelbrotGrid<f32>, y0: usize, out: &mut [u32]) {
            $(let _ = $tok;)?
            // SAFETY: the token (or the portable baseline) proves support.
            unsafe { rows_f32_impl(grid, y0, out) }
        }
        /// Counts of rows `y0 .. y0 + out.len() / width` on this ISA (a
        /// partial last row is left untouched).
        pub fn rows_f64($($tok: $token,)? grid: &MandelbrotGrid<f64>, y0: usize, out: &mut [u32]) {
            $(let _ = $tok;)?
            // SAFETY: as above.
            unsafe { rows_f64_impl(grid, y0, out) }
        }

        pub(crate) static TABLE_F32: MandelbrotTable<f32> =
            MandelbrotTable { isa: $isa, rows: rows_f32_impl, tile: tile_f32_impl };
        pub(crate) static TABLE_F64: MandelbrotTable<f64> =
            MandelbrotTable { isa: $isa, rows: rows_f64_impl, tile: tile_f64_impl };
    };
}
pub(crate) use mandelbrot_isa;
