//! `mandelbrot_tile`: any band of whole rows, and any tile, equals the same
//! pixels of the image, on every ISA of this CPU.

use simdpar_dispatch::{available_isas, with_isa};
use simdpar_kernels::mandelbrot::{mandelbrot_tile, scalar};
use simdpar_kernels::{Element, MandelbrotGrid, mandelbrot};

fn bands_match<T: Element>() {
    let mut g = MandelbrotGrid::<T>::new(37, 23);
    g.max_iter = 100;
    let mut full = vec![0u32; 37 * 23];
    mandelbrot(&g, &mut full).unwrap();
    for y0 in 0..23 {
        for rows in 1..=(23 - y0) {
            let mut band = vec![u32::MAX; rows * 37];
            mandelbrot_tile(&g, y0, 0, 37, &mut band).unwrap();
            assert_eq!(
                band,
                full[y0 * 37..(y0 + rows) * 37],
                "{} y0={y0} rows={rows}",
                T::NAME
            );
        }
    }
}

#[test]
fn every_band_equals_the_same_rows_of_the_image() {
    bands_match::<f32>();
    bands_match::<f64>();
}

#[test]
fn bands_outside_the_image_or_not_whole_rows_are_refused() {
    let g = MandelbrotGrid::<f64>::new(10, 4);
    let mut band = vec![7u32; 20];
    assert!(
        mandelbrot_tile(&g, 3, 0, 10, &mut band).is_err(),
        "rows 3..5 of 4"
    );
    assert!(mandelbrot_tile(&g, usize::MAX, 0, 10, &mut band).is_err());
    assert!(
        mandelbrot_tile(&g, 0, 0, 10, &mut band[..15]).is_err(),
        "1.5 rows"
    );
    assert!(band.iter().all(|&c| c == 7), "nothing written on error");
    let empty = MandelbrotGrid::<f64>::new(0, 4);
    assert!(mandelbrot_tile(&empty, 0, 0, 0, &mut []).is_err());
}

/// Every tile of a 37 x 23 image (widths that split SIMD vectors and the
/// 2-vector unroll at every offset) on every available ISA equals the same
/// pixels of the scalar oracle's full image.
fn tiles_match<T: Element>() {
    let (w, h) = (37, 23);
    let mut g = MandelbrotGrid::<T>::new(w, h);
    g.max_iter = 60;
    g.xlim = (T::from_f64(-1.9), T::from_f64(0.6));
    let mut full = vec![0u32; w * h];
    scalar::rows(&g, 0, &mut full);
    for isa in available_isas() {
        with_isa(isa, || {
            for (y0, rows) in [(0, 1), (0, 23), (5, 3), (22, 1), (11, 7)] {
                for x0 in 0..w {
                    for tw in 1..=(w - x0) {
                        let mut tile = vec![u32::MAX; rows * tw];
                        mandelbrot_tile(&g, y0, x0, tw, &mut tile).unwrap();
                        for r in 0..rows {
                            let want = &full[(y0 + r) * w + x0..(y0 + r) * w + x0 + tw];
                            assert_eq!(
                                &tile[r * tw..(r + 1) * tw],
                                want,
                                "{} {isa} y0={y0} x0={x0} tw={tw} row {r}",
                                T::NAME
                            );
                        }
                    }
                }
            }
        })
        .unwrap();
    }
}

#[test]
fn every_tile_equals_the_same_pixels_of_the_image_on_every_isa() {
    tiles_match::<f32>();
    tiles_match::<f64>();
}

#[test]
fn tiles_outside_the_image_or_not_whole_rows_are_refused() {
    let g = MandelbrotGrid::<f32>::new(10, 4);
    let mut tile = [7u32; 12];
    assert!(
        mandelbrot_tile(&g, 0, 8, 3, &mut tile[..6]).is_err(),
        "columns 8..11 of 10"
    );
    assert!(
        mandelbrot_tile(&g, 2, 0, 4, &mut tile[..12]).is_err(),
        "rows 2..5 of 4"
    );
    assert!(
        mandelbrot_tile(&g, 0, 0, 4, &mut tile[..10]).is_err(),
        "2.5 rows"
    );
    assert!(
        mandelbrot_tile(&g, 0, 0, 0, &mut tile[..0]).is_err(),
        "empty tile"
    );
    assert!(mandelbrot_tile(&g, 0, usize::MAX, 2, &mut tile[..2]).is_err());
    assert!(tile.iter().all(|&c| c == 7), "nothing written on error");
}
