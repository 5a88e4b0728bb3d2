//! `mandelbrot_rows`: any band of rows equals the same rows of the image.

use simdpar_kernels::mandelbrot::mandelbrot_rows;
use simdpar_kernels::{Element, MandelbrotGrid, mandelbrot};

fn bands_match<T: Element>() {
    let mut g = MandelbrotGrid::<T>::new(37, 23);
    g.max_iter = 100;
    let mut full = vec![0u32; 37 * 23];
    mandelbrot(&g, &mut full).unwrap();
    for y0 in 0..23 {
        for rows in 0..=(23 - y0) {
            let mut band = vec![u32::MAX; rows * 37];
            mandelbrot_rows(&g, y0, &mut band).unwrap();
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
    assert!(mandelbrot_rows(&g, 3, &mut band).is_err(), "rows 3..5 of 4");
    assert!(mandelbrot_rows(&g, usize::MAX, &mut band).is_err());
    assert!(mandelbrot_rows(&g, 0, &mut band[..15]).is_err(), "1.5 rows");
    assert!(band.iter().all(|&c| c == 7), "nothing written on error");
    let empty = MandelbrotGrid::<f64>::new(0, 4);
    assert!(mandelbrot_rows(&empty, 0, &mut []).is_err());
}
