//! `/api/v1/openapi.json` (issue 16, item 9): the description business
//! systems integrate against. Every route the server answers is in it,
//! every operation in it is answered by a route, and every schema it
//! names is defined.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::{spawn_app, Db, TestApp};

crate::on_both_databases!(every_described_operation_is_answered_by_its_route);

async fn document(app: &TestApp) -> Value {
    let r = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    r.json().await.unwrap()
}

/// (method, path) of every operation in the document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, _) in item.as_object().unwrap() {
            if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

/// Handlers registered with `routes!(…)` and plain `.route(` calls, read
/// from the server's own source.
fn registrations() -> (usize, Vec<String>) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut handlers = 0;
    let mut plain = Vec::new();
    let mut files = vec![dir.join("startup.rs")];
    for e in std::fs::read_dir(dir.join("routes")).unwrap() {
        files.push(e.unwrap().path());
    }
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        for (i, _) in src.match_indices("routes!(") {
            let rest = &src[i + "routes!(".len()..];
            let args = &rest[..rest.find(')').unwrap()];
            handlers += args.split(',').filter(|a| !a.trim().is_empty()).count();
        }
        for (i, _) in src.match_indices(".route(") {
            let rest = &src[i + ".route(".len()..];
            let path = rest
                .trim_start()
                .split('"')
                .nth(1)
                .unwrap_or("?")
                .to_string();
            plain.push(path);
        }
    }
    (handlers, plain)
}

#[tokio::test]
async fn every_route_of_the_api_is_in_its_openapi_document() {
    let app = spawn_app(
        Db::Sqlite,
        "every_route_of_the_api_is_in_its_openapi_document",
    )
    .await
    .unwrap();
    let doc = document(&app).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "好差评 API");

    // Only three routes bypass `routes!`: the document itself and two
    // that are not part of /api/v1 (the QR image, the service worker).
    let (handlers, mut plain) = registrations();
    plain.sort();
    assert_eq!(
        plain,
        ["/api/v1/openapi.json", "/qr.svg", "/sw.js"],
        "plain .route( calls"
    );
    let ops = operations(&doc);
    assert_eq!(
        ops.len(),
        handlers,
        "one operation per registered handler: {ops:?}"
    );
    assert!(ops.len() >= 77, "{} operations", ops.len());
    assert!(
        ops.iter().all(|(_, p)| p.starts_with("/api/v1/")),
        "{ops:?}"
    );
    for (m, p) in [
        ("POST", "/api/v1/sync"),
        ("POST", "/api/v1/cases"),
        ("POST", "/api/v1/hotline/events"),
        ("POST", "/api/v1/province/bad-ratings"),
        ("GET", "/api/v1/reports/{code}"),
        ("DELETE", "/api/v1/admin/calendar/{day}"),
    ] {
        assert!(ops.contains(&(m.into(), p.into())), "{m} {p} is described");
    }

    // Operation ids are unique (code generators name functions by them).
    let ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .map(|op| op["operationId"].as_str().expect("an operationId"))
        .collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "operation ids repeat: {ids:?}");

    // Every operation: a tag, a success answer, the error body, and its
    // path parameters declared.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let what = format!("{method} {path}");
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{what}: tag"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|k| k.starts_with('2')),
                "{what}: a success answer"
            );
            assert_eq!(
                responses["4XX"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorResponse",
                "{what}: the error body"
            );
            let declared: BTreeSet<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .map(|p| p["name"].as_str().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            let in_path: BTreeSet<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .collect();
            assert_eq!(declared, in_path, "{what}: path parameters");
        }
    }

    // Every `$ref` names a schema the document defines; each credential
    // an operation asks for is defined.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut refs = BTreeSet::new();
    collect_refs(&doc, &mut refs);
    for r in &refs {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or(r);
        assert!(schemas.contains_key(name), "{r} is not defined");
    }
    for s in [
        "SyncRequest",
        "RatingRecord",
        "Level",
        "Channel",
        "HotlineEvent",
        "Report",
    ] {
        assert!(schemas.contains_key(s), "schema {s}");
    }
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for req in op["security"].as_array().into_iter().flatten() {
                for name in req.as_object().unwrap().keys() {
                    assert!(schemes.contains_key(name), "{method} {path}: {name}");
                }
            }
        }
    }
}

fn collect_refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                if k == "$ref" {
                    out.insert(v.as_str().unwrap().to_string());
                } else {
                    collect_refs(v, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Each operation, called with no credentials and placeholder
/// parameters, reaches its handler: never "no such route" (the page
/// fallback's HTML 404) or "method not allowed", never a 5xx; a 404 is
/// the handler's own, in JSON with a code.
async fn every_described_operation_is_answered_by_its_route(app: TestApp) {
    let doc = document(&app).await;
    let client = reqwest::Client::new();
    for (method, path) in operations(&doc) {
        let url = app.url(
            &path
                .split('/')
                .map(|s| match s {
                    "{id}" => "987654",
                    "{type}" => "window",
                    "{day}" => "2026-12-31",
                    s if s.starts_with('{') => "NOPE",
                    s => s,
                })
                .collect::<Vec<_>>()
                .join("/"),
        );
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = client.request(m, &url).send().await.unwrap();
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        let what = format!("{method} {path} ({url}) → {status} {body:.200}");
        assert!(status < 500, "{what}");
        assert_ne!(status, 405, "{what}");
        if status == 404 {
            let v: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{what}"));
            assert!(v["error"]["code"].is_string(), "{what}");
        }
    }
}
