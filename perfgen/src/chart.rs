//! `--chart`: rate, drops and p50/p99 exchange latency per second as SVG.

use plotters::prelude::*;

use crate::stats::Series;

/// Writes the chart to `path`.
pub fn write_chart(path: &str, s: &Series, title: &str) -> Result<(), String> {
    let n = s.seconds.len().max(1);
    let rate: Vec<(f64, f64)> = s
        .seconds
        .iter()
        .enumerate()
        .map(|(i, x)| (i as f64 + 1.0, x.completed as f64))
        .collect();
    let drops: Vec<(f64, f64)> = s
        .seconds
        .iter()
        .enumerate()
        .map(|(i, x)| (i as f64 + 1.0, x.drops as f64))
        .collect();
    let q = |q: f64| -> Vec<(f64, f64)> {
        s.seconds
            .iter()
            .enumerate()
            .filter(|(_, x)| x.latency.count() > 0)
            .map(|(i, x)| (i as f64 + 1.0, x.latency.quantile_us(q) / 1e3))
            .collect()
    };
    let (p50, p99) = (q(0.5), q(0.99));
    let ymax_rate = rate
        .iter()
        .chain(drops.iter())
        .map(|p| p.1)
        .fold(1.0f64, f64::max)
        * 1.1;
    let ymax_lat = p99.iter().map(|p| p.1).fold(0.1f64, f64::max) * 1.1;
    let root = SVGBackend::new(path, (1000, 700)).into_drawing_area();
    let e = |e: &dyn std::fmt::Debug| format!("chart: {e:?}");
    root.fill(&WHITE).map_err(|x| e(&x))?;
    let (top, bottom) = root.split_vertically(350);
    let mut c = ChartBuilder::on(&top)
        .caption(title, ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..n as f64 + 1.0, 0f64..ymax_rate)
        .map_err(|x| e(&x))?;
    c.configure_mesh()
        .x_desc("second")
        .y_desc("per second")
        .draw()
        .map_err(|x| e(&x))?;
    c.draw_series(LineSeries::new(rate, &BLUE))
        .map_err(|x| e(&x))?
        .label("completed exchanges/s")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
    c.draw_series(LineSeries::new(drops, &RED))
        .map_err(|x| e(&x))?
        .label("drops/s")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
    c.configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|x| e(&x))?;
    let mut c = ChartBuilder::on(&bottom)
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..n as f64 + 1.0, 0f64..ymax_lat)
        .map_err(|x| e(&x))?;
    c.configure_mesh()
        .x_desc("second")
        .y_desc("exchange latency (ms)")
        .draw()
        .map_err(|x| e(&x))?;
    c.draw_series(LineSeries::new(p50, &GREEN))
        .map_err(|x| e(&x))?
        .label("p50")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREEN));
    c.draw_series(LineSeries::new(p99, &MAGENTA))
        .map_err(|x| e(&x))?
        .label("p99")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], MAGENTA));
    c.configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|x| e(&x))?;
    root.present().map_err(|x| e(&x))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pacer::SEC;

    #[test]
    fn writes_svg() {
        let mut s = Series::default();
        for i in 0..5u64 {
            let b = s.at(i * SEC + 1);
            b.completed = 1000 + i;
            b.drops = i;
            b.latency.record(300_000 + i * 1000);
        }
        let dir = std::env::temp_dir().join(format!("perfgen-chart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("c.svg");
        write_chart(p.to_str().unwrap(), &s, "test").unwrap();
        let t = std::fs::read_to_string(&p).unwrap();
        assert!(t.starts_with("<svg"));
        assert!(t.contains("p99"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
