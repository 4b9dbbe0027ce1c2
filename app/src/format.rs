//! Numbers and times as an Indian reader of the dashboard reads them.

use crate::domain::map::{MapView, PINCODE_ZOOM};

/// `2026-11-28T08:24:42.314Z` as `2026-11-28 08:24:42.314 UTC`.
pub fn readable_time(rfc3339: &str) -> String {
    match rfc3339.strip_suffix('Z') {
        Some(t) => format!("{} UTC", t.replacen('T', " ", 1)),
        None => rfc3339.to_string(),
    }
}

/// `2026-11-28T08:24:42.314Z` as `2026-11-28 08:24` (UTC), for lists.
pub fn short_time(rfc3339: &str) -> String {
    rfc3339.get(..16).map(|t| t.replacen('T', " ", 1)).unwrap_or_else(|| rfc3339.to_string())
}

/// A file's size: "812 bytes", "1.4 KB", "23.1 MB".
pub fn file_size(bytes: u64) -> String {
    match bytes {
        b if b < 1000 => format!("{b} bytes"),
        b if b < 1_000_000 => format!("{:.1} KB", b as f64 / 1e3),
        b => format!("{:.1} MB", b as f64 / 1e6),
    }
}

/// Digits grouped the Indian way: thousands, then lakhs and crores in pairs
/// (12,442,000 → "1,24,42,000").
pub fn indian(n: u64) -> String {
    let digits = n.to_string();
    if digits.len() <= 3 {
        return digits;
    }
    let (head, last3) = digits.split_at(digits.len() - 3);
    let mut out = String::new();
    for (i, c) in head.chars().enumerate() {
        if i > 0 && (head.len() - i) % 2 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push(',');
    out.push_str(last3);
    out
}

/// "1 day", "3 hours", "12,34,567 events": a count of a unit, grouped the Indian way.
/// 950, 1.2k, 12k, 1.2M: a count that fits in a cluster's circle or a badge.
pub fn compact(n: u64) -> String {
    match n {
        0..1000 => n.to_string(),
        1000..10_000 => format!("{:.1}k", n as f64 / 1000.0),
        10_000..1_000_000 => format!("{}k", n / 1000),
        _ => format!("{:.1}M", n as f64 / 1_000_000.0),
    }
}

pub fn plural(n: i64, unit: &str) -> String {
    let number = if n < 0 { n.to_string() } else { indian(n as u64) };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{number} {unit}s")
    }
}

/// How long something has lasted, in its largest whole unit: "40 seconds",
/// "3 minutes", "2 hours".
pub fn lasting(ms: i64) -> String {
    match ms.max(0) / 1000 {
        s if s < 60 => plural(s, "second"),
        s if s < 3600 => plural(s / 60, "minute"),
        s => plural(s / 3600, "hour"),
    }
}

/// The line under the map's title: what the view holds and how it is drawn.
pub fn map_summary(view: &MapView, zoom: u8) -> String {
    let c = &view.cities;
    let mut line = match (c.in_view, c.clusters.len(), c.not_drawn()) {
        (1, ..) => "1 city in view".to_string(),
        (n, 0, 0) => format!("{} cities in view", indian(n)),
        (n, 0, _) => format!("the {} largest of {} cities in view; zoom in for the rest", c.points.len(), indian(n)),
        (n, k, _) => format!("{} cities in view, {k} clusters; click one to zoom in", indian(n)),
    };
    let p = &view.pincodes;
    if zoom >= PINCODE_ZOOM && p.in_view > 0 {
        line.push_str(&match (p.in_view, p.clusters.len(), p.not_drawn()) {
            (1, ..) => ", 1 pincode".to_string(),
            (n, 0, 0) => format!(", {} pincodes", indian(n)),
            (n, 0, _) => format!(", {} of {} pincodes; zoom in for all", p.points.len(), indian(n)),
            (n, k, _) => format!(", {} pincodes in {k} clusters", indian(n)),
        });
    }
    line
}

#[cfg(test)]
mod tests {
    use super::{file_size, indian, lasting, map_summary, plural, readable_time};
    use crate::domain::map::MapView;

    #[test]
    fn a_count_of_a_unit() {
        assert_eq!(plural(1, "event"), "1 event");
        assert_eq!(plural(0, "event"), "0 events");
        assert_eq!(plural(1_234_567, "event"), "12,34,567 events");
    }

    #[test]
    fn how_long_reads_in_its_largest_unit() {
        assert_eq!(lasting(40_500), "40 seconds");
        assert_eq!(lasting(61_000), "1 minute");
        assert_eq!(lasting(3 * 3_600_000 + 59_000), "3 hours");
        assert_eq!(lasting(-5), "0 seconds");
    }

    #[test]
    fn file_sizes() {
        assert_eq!(file_size(812), "812 bytes");
        assert_eq!(file_size(1451), "1.5 KB");
        assert_eq!(file_size(23_100_000), "23.1 MB");
    }

    #[test]
    fn times_in_utc_read_as_such() {
        assert_eq!(readable_time("2026-11-28T08:24:42.314Z"), "2026-11-28 08:24:42.314 UTC");
        assert_eq!(readable_time("2026-11-28T08:24:42+05:30"), "2026-11-28T08:24:42+05:30", "left as it is");
    }

    #[test]
    // The literals are grouped the Indian way on purpose: as the text they become.
    #[allow(clippy::inconsistent_digit_grouping)]
    fn thousands_then_lakhs_and_crores() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (99_999, "99,999"),
            (1_00_000, "1,00,000"),
            (6_42_000, "6,42,000"),
            (1_24_42_000, "1,24,42,000"),
            (12_34_56_78_901, "12,34,56,78,901"),
        ] {
            assert_eq!(indian(n), text, "{n}");
        }
    }

    #[test]
    fn the_map_line_says_what_the_view_holds_and_how_it_is_drawn() {
        use crate::domain::map::{Cluster, Layer, MapPincode};
        let cluster = |count| Cluster { latitude: 0.0, longitude: 0.0, count, expansion_zoom: 6 };
        let mut view = MapView::default();
        view.cities.in_view = 601_200;
        view.cities.clusters = vec![cluster(600_700), cluster(500)];
        assert_eq!(map_summary(&view, 5), "6,01,200 cities in view, 2 clusters; click one to zoom in");
        view.cities.clusters.clear();
        assert_eq!(map_summary(&view, 14), "the 0 largest of 6,01,200 cities in view; zoom in for the rest");
        view.cities.in_view = 0;
        let pin = MapPincode { pincode: "682001".into(), area_name: None, latitude: 0.0, longitude: 0.0 };
        view.pincodes = Layer { in_view: 1, clusters: vec![], points: vec![pin] };
        assert_eq!(map_summary(&view, 12), "0 cities in view, 1 pincode");
        assert_eq!(map_summary(&view, 9), "0 cities in view");
    }
}
