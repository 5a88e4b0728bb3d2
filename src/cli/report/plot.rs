//! Grouped bar charts as PNG files, drawn into a pixel buffer with an
//! embedded 8x8 bitmap font (no system fonts or libraries needed).

use std::path::Path;

type Rgb = [u8; 3];

const PALETTE: [Rgb; 10] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [127, 127, 127],
    [188, 189, 34],
    [23, 190, 207],
];

/// A grouped bar chart: one group per category, one bar per series.
pub struct BarChart {
    /// Title drawn on top.
    pub title: String,
    /// Unit of the y axis (drawn top left).
    pub y_label: String,
    /// Group labels along the x axis.
    pub categories: Vec<String>,
    /// `(name, value per category)`; `None` leaves a gap.
    pub series: Vec<(String, Vec<Option<f64>>)>,
    /// Dashed horizontal reference lines `(label, y)`.
    pub hlines: Vec<(String, f64)>,
}

struct Canvas {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Self {
        Canvas {
            w,
            h,
            px: vec![255; w * h * 3],
        }
    }

    fn set(&mut self, x: i64, y: i64, c: Rgb) {
        if x >= 0 && y >= 0 && (x as usize) < self.w && (y as usize) < self.h {
            let i = (y as usize * self.w + x as usize) * 3;
            self.px[i..i + 3].copy_from_slice(&c);
        }
    }

    fn rect(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, c: Rgb) {
        for y in y0.min(y1)..y0.max(y1) {
            for x in x0.min(x1)..x0.max(x1) {
                self.set(x, y, c);
            }
        }
    }

    fn hline(&mut self, x0: i64, x1: i64, y: i64, c: Rgb, dashed: bool) {
        for x in x0..x1 {
            if !dashed || (x / 6) % 2 == 0 {
                self.set(x, y, c);
            }
        }
    }

    /// Text with the 8x8 font at `scale`, top-left at (x, y); returns the width.
    fn text(&mut self, x: i64, y: i64, s: &str, scale: i64, c: Rgb) -> i64 {
        let mut cx = x;
        for ch in s.chars() {
            let code = ch as usize;
            let glyph = if code < 128 {
                font8x8::legacy::BASIC_LEGACY[code]
            } else {
                font8x8::legacy::BASIC_LEGACY[b'?' as usize]
            };
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..8 {
                    if bits & (1 << col) != 0 {
                        for dy in 0..scale {
                            for dx in 0..scale {
                                self.set(cx + col * scale + dx, y + row as i64 * scale + dy, c);
                            }
                        }
                    }
                }
            }
            cx += 8 * scale;
        }
        cx - x
    }

    fn save(&self, path: &Path) -> Result<(), String> {
        let f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut enc = png::Encoder::new(std::io::BufWriter::new(f), self.w as u32, self.h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc
            .write_header()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        w.write_image_data(&self.px)
            .map_err(|e| format!("{}: {e}", path.display()))
    }
}

fn tick_step(max: f64) -> f64 {
    let raw = max / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * mag >= raw {
            return m * mag;
        }
    }
    10.0 * mag
}

fn fmt_tick(v: f64) -> String {
    if v == v.trunc() {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Draws `chart` into a PNG at `path`.
pub fn render(chart: &BarChart, path: &Path) -> Result<(), String> {
    let legend_w = 8 * chart.series.iter().map(|s| s.0.len()).max().unwrap_or(0) as i64 + 40;
    let (w, h) = (1100 + legend_w as usize, 560usize);
    let mut c = Canvas::new(w, h);
    let (left, right, top, bottom) = (70i64, w as i64 - legend_w - 10, 60i64, h as i64 - 60);
    let black = [0, 0, 0];
    let grey = [200, 200, 200];
    c.text(left, 12, &chart.title, 2, black);
    c.text(8, top - 24, &chart.y_label, 1, black);
    let max = chart
        .series
        .iter()
        .flat_map(|s| s.1.iter().flatten())
        .chain(chart.hlines.iter().map(|l| &l.1))
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let max = if max > 0.0 { max * 1.08 } else { 1.0 };
    let step = tick_step(max);
    let y_of = |v: f64| bottom - ((v / max) * (bottom - top) as f64).round() as i64;
    let mut t = 0.0;
    while t <= max {
        let y = y_of(t);
        c.hline(left, right, y, grey, false);
        let s = fmt_tick(t);
        c.text(left - 8 - 8 * s.len() as i64, y - 4, &s, 1, black);
        t += step;
    }
    let ncat = chart.categories.len().max(1) as i64;
    let nser = chart.series.len().max(1) as i64;
    let group = (right - left) / ncat;
    let bar = ((group - 12) / nser).max(1);
    for (ci, cat) in chart.categories.iter().enumerate() {
        let gx = left + ci as i64 * group + 6;
        for (si, (_, vals)) in chart.series.iter().enumerate() {
            if let Some(Some(v)) = vals.get(ci)
                && v.is_finite()
                && *v > 0.0
            {
                let x = gx + si as i64 * bar;
                c.rect(
                    x,
                    y_of(*v),
                    x + bar - 1,
                    bottom,
                    PALETTE[si % PALETTE.len()],
                );
            }
        }
        let mut label = cat.clone();
        label.truncate((group / 8).max(1) as usize);
        let lw = 8 * label.len() as i64;
        c.text(gx + (group - 12 - lw) / 2, bottom + 8, &label, 1, black);
    }
    for (li, (label, v)) in chart.hlines.iter().enumerate() {
        let y = y_of(*v);
        let col = [90, 90, 90];
        c.hline(left, right, y, col, true);
        c.text(
            right - 8 * label.len() as i64 - 4,
            y - 11 - 10 * (li as i64 % 2),
            label,
            1,
            col,
        );
    }
    c.hline(left, right, bottom, black, false);
    for y in top..=bottom {
        c.set(left, y, black);
    }
    for (si, (name, _)) in chart.series.iter().enumerate() {
        let y = top + si as i64 * 16;
        let x = right + 16;
        c.rect(x, y, x + 12, y + 10, PALETTE[si % PALETTE.len()]);
        c.text(x + 18, y + 1, name, 1, black);
    }
    c.save(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_png() {
        let dir = std::env::temp_dir().join(format!("simdpar-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("t.png");
        let chart = BarChart {
            title: "test".into(),
            y_label: "GB/s".into(),
            categories: vec!["sum".into(), "add".into()],
            series: vec![
                ("a".into(), vec![Some(1.0), Some(2.0)]),
                ("b".into(), vec![None, Some(3.5)]),
            ],
            hlines: vec![("stream".into(), 2.5)],
        };
        render(&chart, &p).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn ticks() {
        assert_eq!(tick_step(10.0), 2.0);
        assert_eq!(tick_step(100.0), 20.0);
        assert_eq!(tick_step(7.0), 2.0);
    }
}
