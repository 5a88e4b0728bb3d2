//! When and what was measured: the date and the source (git) state.

pub fn source_state() -> Option<String> {
    let root = super::python::repo_root();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim_end().to_string())
    };
    let head = git(&["rev-parse", "--short=12", "HEAD"])?
        .trim()
        .to_string();
    let dirty = git(&[
        "status",
        "--porcelain",
        "--",
        "kernels",
        "dispatch",
        "src",
        "mojo_kernels",
    ])
    .unwrap_or_default();
    let mut dirs: Vec<&str> = dirty
        .lines()
        .filter_map(|l| l.get(3..))
        .filter_map(|p| p.split('/').next())
        .collect();
    dirs.sort_unstable();
    dirs.dedup();
    Some(if dirs.is_empty() {
        format!("commit {head}")
    } else {
        format!("commit {head} + uncommitted changes in {}", dirs.join(", "))
    })
}

/// The current date and time, `YYYY-MM-DD HH:MM UTC` (system clock).
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_format() {
        let d = utc_now();
        assert_eq!(d.len(), "2026-01-01 00:00 UTC".len());
        assert!(d.ends_with(" UTC") && d.as_bytes()[4] == b'-', "{d}");
    }
}
