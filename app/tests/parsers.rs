//! The parsers of what comes from outside — a `bbox=` query, a Kafka
//! message's bytes, a CSV file's cells, a `next=` after signing in — answer
//! every input with a value or a refusal, never a panic, and keep what they
//! promise of the values they return.

use app::domain::event::Envelope;
use app::domain::geo::BBox;
use app::domain::import::format::{Format, Header};
use app::domain::sign_in::after_sign_in;
use proptest::prelude::*;

/// A valid event to start mutations from.
const EVENT: &str = concat!(
    r#"{"specversion":"1.0","id":"018f0000-0000-7000-8000-000000000000","source":"/geoledger/api","#,
    r#""type":"city.created.v1","subject":"maharashtra/pune","time":"2026-11-30T08:00:00Z","#,
    r#""datacontenttype":"application/json","dataschema":"geoledger:city.created.v1","actor":"ops@example.in","#,
    r#""data":{"id":"maharashtra/pune","name":"Pune","state":"Maharashtra","district":null,"latitude":18.52,"#,
    r#""longitude":73.85,"is_metro":false,"is_capital":false,"population":null,"area_sq_km":null,"#,
    r#""alternate_names":[],"metadata":{}}}"#
);

/// Text a CSV cell could hold: short, with the characters that matter to the rules.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,12}",
        "[0-9.+-eE]{0,10}",
        Just(String::new()),
        Just("NA".to_string()),
        Just("Maharashtra".to_string()),
        Just("110001".to_string()),
        Just("yes".to_string()),
    ]
}

#[test]
fn the_mutations_start_from_an_event_that_reads() {
    let read = Envelope::read(EVENT.as_bytes());
    assert!(read.is_ok(), "{read:?}");
}

/// Any of the formats GeoLedger reads.
fn format() -> impl Strategy<Value = Format> {
    proptest::sample::select(Format::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_bbox_of_any_text_is_read_or_refused_and_a_read_one_is_a_box(raw in ".{0,40}") {
        if let Ok(b) = BBox::parse(&raw) {
            prop_assert!(b.west < b.east && b.south < b.north, "{raw:?} → {b:?}");
            prop_assert!([b.west, b.south, b.east, b.north].iter().all(|v| v.is_finite()));
        }
    }

    #[test]
    fn a_bbox_of_any_four_numbers_is_read_exactly_when_it_is_a_box(
        w in any::<f64>(), s in any::<f64>(), e in any::<f64>(), n in any::<f64>()
    ) {
        let read = BBox::parse(&format!("{w},{s},{e},{n}"));
        if let Ok(b) = read {
            prop_assert_eq!((b.west, b.south, b.east, b.north), (w, s, e, n));
            prop_assert!(w < e && s < n);
        }
    }

    #[test]
    fn any_bytes_are_read_as_an_event_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Envelope::read(&bytes);
    }

    #[test]
    fn an_event_with_bytes_changed_is_read_or_refused(
        changes in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
    ) {
        let mut bytes = EVENT.as_bytes().to_vec();
        for (at, byte) in changes {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let _ = Envelope::read(&bytes);
    }

    #[test]
    fn an_event_with_any_json_data_is_read_or_refused(data in json_value()) {
        let mut event: serde_json::Value = serde_json::from_str(EVENT).unwrap();
        event["data"] = data;
        let _ = Envelope::read(event.to_string().as_bytes());
    }

    #[test]
    fn any_header_and_row_of_cells_are_read_or_refused(
        header in proptest::collection::vec(cell(), 0..12),
        row in proptest::collection::vec(cell(), 0..12),
        named in proptest::option::of(format()),
    ) {
        if let Ok(h) = Header::read(&header, named) {
            if let Err(problems) = h.row(&row) {
                prop_assert!(!problems.is_empty(), "a refused row says why");
            }
        }
    }

    #[test]
    fn any_row_under_each_format_s_own_header_is_read_or_refused(
        row in proptest::collection::vec(cell(), 0..14),
        format in format(),
    ) {
        let names: Vec<String> = format.columns().iter().map(|c| c.to_string()).collect();
        let header = Header::read(&names, Some(format)).unwrap();
        let mut row = row;
        row.resize(header.width(), String::new());
        if let Err(problems) = header.row(&row) {
            prop_assert!(!problems.is_empty());
        }
    }

    #[test]
    fn after_signing_in_any_next_leads_to_a_path_of_this_site(next in proptest::option::of(".{0,30}")) {
        let path = after_sign_in(next.as_deref());
        prop_assert!(path == "/" || Some(path) == next.as_deref());
        let mut chars = path.chars();
        prop_assert_eq!(chars.next(), Some('/'));
        prop_assert!(!matches!(chars.next(), Some('/' | '\\')), "{path:?}");
        prop_assert!(!path.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control()), "{path:?}");
    }
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(serde_json::Value::Number)),
        any::<i64>().prop_map(|i| serde_json::Value::Number(i.into())),
        ".{0,10}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            proptest::collection::hash_map(
                prop_oneof![
                    Just("name".to_string()),
                    Just("state".to_string()),
                    Just("latitude".to_string()),
                    Just("longitude".to_string()),
                    Just("population".to_string()),
                    Just("metadata".to_string()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}
