//! Grouped bar charts as PNG files, drawn with `plotters` (bitmap backend)
//! in an embedded font (DejaVu Sans, `harness/cli/assets/`, registered with
//! plotters and laid out by [`super::chart_text`]), so no system fonts are
//! needed. Category labels are never cut (a long one wraps onto
//! a second line), the legend sits right of the plot and reference lines
//! are named only there, so no text covers a bar.

use super::chart_text::{self as text, Anchor, FONT_BYTES};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use std::path::Path;
use std::sync::Once;

/// The family name the embedded font is registered under (plotters sizes
/// its axis areas with it; the chart's own text is drawn by `chart_text`).
const FAMILY: &str = "sans-serif";

/// Series colors (matplotlib's tab10).
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Colors of the dashed reference lines.
const LINE_COLORS: [RGBColor; 4] = [
    RGBColor(0, 0, 0),
    RGBColor(180, 0, 0),
    RGBColor(0, 110, 0),
    RGBColor(0, 0, 170),
];

/// A grouped bar chart: one group per category, one bar per series.
pub struct BarChart {
    /// Title drawn on top.
    pub title: String,
    /// Unit of the y axis.
    pub y_label: String,
    /// Group labels along the x axis.
    pub categories: Vec<String>,
    /// `(name, value per category)`; `None` leaves a gap.
    pub series: Vec<(String, Vec<Option<f64>>)>,
    /// Dashed horizontal reference lines `(label, y)`.
    pub hlines: Vec<(String, f64)>,
    /// A logarithmic y axis (for values that span decades).
    pub log_y: bool,
}

impl BarChart {
    /// Every finite positive value drawn (bars and reference lines).
    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.series
            .iter()
            .flat_map(|s| s.1.iter().flatten().copied())
            .chain(self.hlines.iter().map(|h| h.1))
            .filter(|v| v.is_finite() && *v > 0.0)
    }
}

fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a TrueType file compiled into this binary; a
        // failure here would be a build defect, caught by the chart test.
        let _ = register_font(FAMILY, FontStyle::Normal, FONT_BYTES);
    });
}

/// Writes `chart` as a PNG to `path`.
pub fn render(chart: &BarChart, path: &Path) -> Result<(), String> {
    register();
    let max = chart.values().fold(0.0f64, f64::max);
    let min = chart.values().fold(f64::INFINITY, f64::min);
    if max <= 0.0 {
        return Err(format!("{}: nothing to plot", path.display()));
    }
    let group_px = 150u32;
    let legend_px = 330u32;
    let width = (110 + group_px * chart.categories.len() as u32).max(760) + legend_px;
    let height = 620u32;
    let root = BitMapBackend::new(path, (width, height)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (plot, legend) = root.split_horizontally(width - legend_px);
    if chart.log_y {
        let lo = 10f64.powf((min / 1.5).log10().floor());
        let hi = 10f64.powf((max * 1.5).log10().ceil());
        draw(chart, &plot, (lo..hi).log_scale(), lo).map_err(|e| err(&e))?;
    } else {
        draw(chart, &plot, 0.0..max * 1.12, 0.0).map_err(|e| err(&e))?;
    }
    draw_legend(chart, &legend).map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}

type DrawResult =
    Result<(), DrawingAreaErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>>;

/// Pixel sizes of the chart text.
const TITLE_PX: f32 = 21.0;
const LABEL_PX: f32 = 15.0;

/// 1, 2 and 5 times every power of ten in `lo..=hi` (the labels of a log
/// axis, dense enough to read a bar's value).
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut v = Vec::new();
    let mut decade = 10f64.powf(lo.log10().floor());
    while decade <= hi {
        for m in [1.0, 2.0, 5.0] {
            let t = m * decade;
            if t >= lo * 0.999 && t <= hi * 1.001 {
                v.push(t);
            }
        }
        decade *= 10.0;
    }
    v
}

/// A tick value as short text: `0.25`, `2.5`, `40`, `1000`.
fn tick_label(v: f64) -> String {
    let a = v.abs();
    let s = if a >= 10.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn draw<Y>(
    chart: &BarChart,
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    y: Y,
    base: f64,
) -> DrawResult
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let n_cat = chart.categories.len().max(1);
    let (w, _) = area.dim_in_pixel();
    text::draw(
        area,
        &chart.title,
        TITLE_PX,
        (w as i32 / 2, 10),
        Anchor::TopCenter,
        BLACK,
        false,
    )?;
    let mut ctx = ChartBuilder::on(area)
        .margin(12)
        .margin_top(46)
        .x_label_area_size(58)
        .y_label_area_size(84)
        .build_cartesian_2d(0.0..n_cat as f64, y)?;
    // plotters draws the axes and grid; every label is drawn by `text`.
    ctx.configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(10)
        .y_label_formatter(&|_| String::new())
        .draw()?;
    let top = ctx.y_range().end;
    let ticks = if chart.log_y {
        log_ticks(base, top)
    } else {
        ctx.as_coord_spec().y_spec().key_points(10usize)
    };
    for v in ticks {
        let (px, py) = ctx.backend_coord(&(0.0, v));
        text::draw(
            area,
            &tick_label(v),
            LABEL_PX,
            (px - 8, py),
            Anchor::MiddleRight,
            BLACK,
            false,
        )?;
    }
    let (_, y_top) = ctx.backend_coord(&(0.0, top));
    let (_, y_bottom) = ctx.backend_coord(&(0.0, base));
    text::draw(
        area,
        &chart.y_label,
        LABEL_PX + 1.0,
        (14, (y_top + y_bottom) / 2),
        Anchor::MiddleLeft,
        BLACK,
        true,
    )?;
    let n_series = chart.series.len().max(1);
    let slot = 0.8 / n_series as f64;
    for (j, (_, values)) in chart.series.iter().enumerate() {
        let color = PALETTE[j % PALETTE.len()];
        let bars = values.iter().enumerate().filter_map(|(i, v)| {
            let v = (*v)?;
            let x0 = i as f64 + 0.1 + j as f64 * slot;
            Some(Rectangle::new(
                [(x0, base), (x0 + slot * 0.92, v)],
                color.filled(),
            ))
        });
        ctx.draw_series(bars)?;
    }
    // Reference lines: dashed, each line's dashes in its own slot of a
    // 0.05-group period, so lines at (nearly) the same height interleave
    // their colors instead of hiding one another.
    const PERIOD: f64 = 0.05;
    let n_lines = chart.hlines.len().max(1) as f64;
    for (k, (_, y)) in chart.hlines.iter().enumerate() {
        let color = LINE_COLORS[k % LINE_COLORS.len()];
        let (width, offset) = (PERIOD / n_lines, PERIOD * k as f64 / n_lines);
        let dashes = (0..n_cat * 20).map(|d| {
            let x = d as f64 * PERIOD + offset;
            PathElement::new(vec![(x, *y), (x + width * 0.8, *y)], color.stroke_width(2))
        });
        ctx.draw_series(dashes)?;
    }
    // Category labels, centred under their group; a label wider than the
    // group wraps at its last space (nothing is cut).
    for (i, label) in chart.categories.iter().enumerate() {
        let (x, y) = ctx.backend_coord(&(i as f64 + 0.5, base));
        for (l, line) in wrap(label, 17).iter().enumerate() {
            text::draw(
                area,
                line,
                LABEL_PX,
                (x, y + 8 + 19 * l as i32),
                Anchor::TopCenter,
                BLACK,
                false,
            )?;
        }
    }
    Ok(())
}

/// `label` on one line when it has at most `max` characters, else split
/// at its last space: every character is kept.
fn wrap(label: &str, max: usize) -> Vec<String> {
    if label.chars().count() <= max {
        return vec![label.to_string()];
    }
    match label.rfind(' ') {
        Some(i) => vec![label[..i].to_string(), label[i + 1..].to_string()],
        None => vec![label.to_string()],
    }
}

fn draw_legend(chart: &BarChart, area: &DrawingArea<BitMapBackend<'_>, Shift>) -> DrawResult {
    let mut y = 62;
    for (j, (name, _)) in chart.series.iter().enumerate() {
        let color = PALETTE[j % PALETTE.len()];
        area.draw(&Rectangle::new([(10, y), (26, y + 14)], color.filled()))?;
        text::draw(
            area,
            name,
            LABEL_PX,
            (34, y + 7),
            Anchor::MiddleLeft,
            BLACK,
            false,
        )?;
        y += 24;
    }
    if !chart.hlines.is_empty() {
        y += 10;
    }
    for (k, (name, value)) in chart.hlines.iter().enumerate() {
        let color = LINE_COLORS[k % LINE_COLORS.len()];
        for dx in [10, 20] {
            area.draw(&PathElement::new(
                vec![(dx, y + 7), (dx + 6, y + 7)],
                color.stroke_width(2),
            ))?;
        }
        // Two decimals below 10 (a 0.95 goal must not read 0.9).
        let label = if value.abs() < 10.0 {
            format!("{name}: {value:.2}")
        } else {
            format!("{name}: {value:.1}")
        };
        text::draw(
            area,
            &label,
            LABEL_PX,
            (34, y + 7),
            Anchor::MiddleLeft,
            BLACK,
            false,
        )?;
        y += 24;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ticks_are_1_2_5_per_decade() {
        let milli = |v: Vec<f64>| {
            v.iter()
                .map(|t| (t * 1000.0).round() as i64)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            milli(log_ticks(1.0, 100.0)),
            [1, 2, 5, 10, 20, 50, 100].map(|t| t * 1000)
        );
        assert_eq!(milli(log_ticks(0.1, 1.0)), [100, 200, 500, 1000]);
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(100.0), "100");
        assert_eq!(tick_label(2.5), "2.5");
        assert_eq!(tick_label(2.0), "2");
        assert_eq!(tick_label(0.25), "0.25");
        assert_eq!(tick_label(0.0), "0");
    }

    #[test]
    fn wrap_keeps_every_character() {
        assert_eq!(wrap("sum 16K", 17), vec!["sum 16K"]);
        assert_eq!(
            wrap("row_sums 100Kx1000", 17),
            vec!["row_sums", "100Kx1000"]
        );
    }

    #[test]
    fn renders_a_png_with_the_embedded_font() {
        let dir = std::env::temp_dir().join(format!("simdpar-chart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for log_y in [false, true] {
            let chart = BarChart {
                title: "test chart".into(),
                y_label: "GB/s".into(),
                categories: vec!["sum 16K".into(), "row_sums 100Kx1000".into()],
                series: vec![
                    ("a".into(), vec![Some(1.0), Some(30.0)]),
                    ("b".into(), vec![None, Some(3.0)]),
                ],
                hlines: vec![("STREAM read 1T".into(), 20.0)],
                log_y,
            };
            let path = dir.join(format!("chart-{log_y}.png"));
            render(&chart, &path).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(&bytes[1..4], b"PNG");
            assert!(bytes.len() > 5_000, "a chart with text is not tiny");
        }
        let empty = BarChart {
            title: "empty".into(),
            y_label: String::new(),
            categories: vec!["x".into()],
            series: vec![("a".into(), vec![None])],
            hlines: Vec::new(),
            log_y: false,
        };
        assert!(render(&empty, &dir.join("empty.png")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
