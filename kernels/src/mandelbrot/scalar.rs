//! The Mandelbrot oracle: the definition of [`crate::mandelbrot`](mod@crate::mandelbrot), one
//! pixel at a time.

use super::{MandelbrotGrid, MandelbrotTable};
use crate::Element;
use crate::element::opaque;
use simdpar_dispatch::Isa;

/// Iteration count of the point `c = (cr, ci)`.
pub fn escape_count<T: Element>(cr: T, ci: T, max_iter: u32) -> u32 {
    let four = T::from_f64(4.0);
    let two = T::from_f64(2.0);
    let (mut zr, mut zi) = (T::ZERO, T::ZERO);
    let mut count = 0;
    for _ in 0..max_iter {
        if zr * zr + zi * zi > four {
            break;
        }
        count += 1;
        let nzi = (two * zr) * zi + ci;
        zr = (zr * zr - zi * zi) + cr;
        zi = opaque(nzi);
    }
    count
}

/// Counts of rows `y0 .. y0 + out.len() / width`.
pub fn rows<T: Element>(g: &MandelbrotGrid<T>, y0: usize, out: &mut [u32]) {
    tile(g, y0, 0, g.width, out)
}

/// Counts of the tile of columns `x_start .. x_start + tile_width` of rows
/// `y0 .. y0 + out.len() / tile_width` (row-major, `tile_width` a row), with
/// the pixel coordinates of the full grid.
pub fn tile<T: Element>(
    g: &MandelbrotGrid<T>,
    y0: usize,
    x_start: usize,
    tile_width: usize,
    out: &mut [u32],
) {
    if tile_width == 0 {
        return;
    }
    let (dx, dy) = g.steps();
    for (r, row) in out.chunks_exact_mut(tile_width).enumerate() {
        let ci = g.ylim.0 + T::from_index(y0 + r) * dy;
        for (j, o) in row.iter_mut().enumerate() {
            let cr = g.xlim.0 + T::from_index(x_start + j) * dx;
            *o = escape_count(opaque(cr), ci, g.max_iter);
        }
    }
}

pub(crate) static TABLE_F32: MandelbrotTable<f32> = MandelbrotTable {
    isa: Isa::Scalar,
    rows: rows::<f32>,
    tile: tile::<f32>,
};
pub(crate) static TABLE_F64: MandelbrotTable<f64> = MandelbrotTable {
    isa: Isa::Scalar,
    rows: rows::<f64>,
    tile: tile::<f64>,
};
