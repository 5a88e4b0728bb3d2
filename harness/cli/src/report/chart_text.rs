//! Text for the charts, laid out with `ab_glyph` from the embedded font
//! and blended into a plotters drawing area pixel by pixel.
//!
//! plotters 0.3.7 draws `ab_glyph` text without each glyph's left side
//! bearing (a "1" lands a few pixels left of its cell, so "avx512" reads
//! "avx51 2"); this module places every glyph at its pen position plus its
//! bearing, with kerning, and can rotate text a quarter turn for the y axis.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::OnceLock;

/// DejaVu Sans (see `harness/cli/assets/README.md`), compiled in.
pub const FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

fn font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).expect("the embedded TTF parses"))
}

/// Where the reference point sits on the text's box.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// Horizontal centre, top.
    TopCenter,
    /// Right edge, vertical middle.
    MiddleRight,
    /// Left edge, vertical middle.
    MiddleLeft,
}

/// Width of `text` in pixels at `size` pixels per em.
pub fn width(text: &str, size: f32) -> f32 {
    let f = font().as_scaled(PxScale::from(size));
    let mut w = 0.0;
    let mut prev = None;
    for c in text.chars() {
        let id = f.glyph_id(c);
        if let Some(p) = prev {
            w += f.kern(p, id);
        }
        w += f.h_advance(id);
        prev = Some(id);
    }
    w
}

/// Draws `text` at `pos` (pixels of `area`), anchored by `anchor`; with
/// `vertical` it reads bottom to top, centred on `pos`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    size: f32,
    pos: (i32, i32),
    anchor: Anchor,
    color: RGBColor,
    vertical: bool,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let f = font().as_scaled(PxScale::from(size));
    let w = width(text, size);
    let h = f.ascent() - f.descent();
    // Top-left of the text box in text space (x along the reading line).
    let (x0, y0) = if vertical {
        (-w / 2.0, -h / 2.0)
    } else {
        match anchor {
            Anchor::TopCenter => (-w / 2.0, 0.0),
            Anchor::MiddleRight => (-w, -h / 2.0),
            Anchor::MiddleLeft => (0.0, -h / 2.0),
        }
    };
    let mut caret = x0;
    let mut prev = None;
    for c in text.chars() {
        let id = f.glyph_id(c);
        if let Some(p) = prev {
            caret += f.kern(p, id);
        }
        let glyph = id.with_scale_and_position(PxScale::from(size), point(caret, y0 + f.ascent()));
        caret += f.h_advance(id);
        prev = Some(id);
        let Some(outline) = font().outline_glyph(glyph) else {
            continue; // a space
        };
        let b = outline.px_bounds();
        let mut pixels = Vec::new();
        outline.draw(|gx, gy, cover| {
            if cover > 0.02 {
                pixels.push((
                    b.min.x as i32 + gx as i32,
                    b.min.y as i32 + gy as i32,
                    cover,
                ));
            }
        });
        for (tx, ty, cover) in pixels {
            let (px, py) = if vertical {
                (pos.0 + ty, pos.1 - tx)
            } else {
                (pos.0 + tx, pos.1 + ty)
            };
            area.draw_pixel((px, py), &color.mix(f64::from(cover.min(1.0))))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_add_up_and_scale() {
        let one = width("avx512", 20.0);
        assert!(one > 0.0);
        assert!((width("avx512", 40.0) - 2.0 * one).abs() < 1.0);
        assert!(width("avx512 2T", 20.0) > one);
        assert_eq!(width("", 20.0), 0.0);
    }
}
