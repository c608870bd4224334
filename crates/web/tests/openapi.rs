//! The OpenAPI document, generated from the handlers, against its reviewed snapshot
//! (`tests/snapshots/openapi__document.snap`): a change of the API shows in review. After
//! an intended change: `INSTA_UPDATE=always cargo test -p web --test openapi`, then read
//! the diff.

#[test]
fn document() {
    let (_, doc) = web::server::api();
    let json = serde_json::to_value(&doc).unwrap();
    // Every operation answers errors as problem+json and has a Chinese tag.
    for (path, item) in json["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{method} {path} has no tag"
            );
        }
    }
    insta::assert_json_snapshot!(json);
}
