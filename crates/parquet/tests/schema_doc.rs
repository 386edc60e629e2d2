//! docs/parquet.md's schema table is the code's schema: names, order, types and nullability.

use arrow_schema::{DataType, TimeUnit};

/// How the table writes an Arrow type.
fn doc_type(t: &DataType) -> String {
    match t {
        DataType::Timestamp(TimeUnit::Millisecond, Some(tz)) => {
            format!("Timestamp(Millisecond, \"{tz}\")")
        }
        DataType::List(item) => format!("List<{}>", doc_type(item.data_type())),
        other => format!("{other:?}"),
    }
}

#[test]
fn the_documented_schema_is_the_written_one() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/parquet.md"),
    )
    .unwrap();
    let section = doc
        .split("## Schema")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap();
    // `| `name` | `Type` (note) | yes/no | meaning |`
    let rows: Vec<(String, String, bool)> = section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let name = cells[1].trim_matches('`').to_string();
            let ty = cells[2].split('`').nth(1).unwrap().to_string();
            (name, ty, cells[3] == "yes")
        })
        .collect();
    let schema = trailproof_parquet::schema();
    let code: Vec<(String, String, bool)> = schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), doc_type(f.data_type()), f.is_nullable()))
        .collect();
    assert_eq!(rows, code);
    assert!(section.contains(&format!("(version {})", trailproof_parquet::SCHEMA_VERSION)));
}
