//! The OpenAPI document lists every route of the JSON API, and the Swagger UI is served, by
//! the app on each backend.

use crate::helpers::block_on;

crate::on_both_backends!(the_openapi_document_covers_every_route, |test_db| {
    block_on(async {
        let app = crate::test_app!(test_db);
        let (status, document) = call!(&app, "GET", "/api/v1/openapi.json", None, None);
        assert_eq!(status, 200);
        assert_eq!(document["info"]["title"], "hojokin API");
        let expected = [
            ("/healthz", "get"),
            ("/readyz", "get"),
            ("/api/v1/evaluate", "post"),
            ("/api/v1/session", "post"),
            ("/api/v1/session", "delete"),
            ("/api/v1/me", "get"),
            ("/api/v1/applications", "get"),
            ("/api/v1/applications", "post"),
            ("/api/v1/applications/{id}", "get"),
            ("/api/v1/applications/{id}", "put"),
            ("/api/v1/applications/{id}/actions/{action}", "post"),
            (
                "/api/v1/applications/{id}/budget-lines/{line_id}/review",
                "post",
            ),
            ("/api/v1/applications/{id}/audit", "get"),
            ("/api/v1/applications/{id}/history", "get"),
            ("/api/v1/applications/{id}/changes", "get"),
            ("/api/v1/applications/{id}/interim-report", "get"),
            ("/api/v1/kpis/continuation", "get"),
            ("/api/v1/applications/{id}/filings", "get"),
            ("/api/v1/applications/{id}/filings/{kind}.pdf", "get"),
            ("/api/v1/applications/{id}/sent-emails", "get"),
            ("/api/v1/jobs/dead", "get"),
            ("/api/v1/jobs/{id}/retry", "post"),
            ("/api/v1/me/notifications", "get"),
            ("/api/v1/me/notifications", "put"),
            ("/calendar/{token}.ics", "get"),
        ];
        let paths = document["paths"].as_object().expect("paths");
        for (path, method) in expected {
            assert!(
                paths.get(path).and_then(|p| p.get(method)).is_some(),
                "{method} {path} documented"
            );
        }
        let documented: usize = paths
            .values()
            .map(|p| p.as_object().map_or(0, |o| o.len()))
            .sum();
        assert_eq!(
            documented,
            expected.len(),
            "no undocumented or stale operations"
        );
        assert!(document["components"]["schemas"]["ActionRequest"].is_object());
        // The application resource is described field by field, down to the stored decision.
        let schemas = &document["components"]["schemas"];
        let show = &document["paths"]["/api/v1/applications/{id}"]["get"]["responses"]["200"];
        assert_eq!(
            show["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ApplicationView",
            "{show}"
        );
        for property in [
            "application",
            "activities",
            "double_funded_line_ids",
            "decision",
        ] {
            assert!(
                has_property(schemas, "ApplicationView", property),
                "ApplicationView.{property}"
            );
        }
        for property in ["claimed_yen", "effective_yen", "review_state", "version"] {
            assert!(
                has_property(schemas, "BudgetLineView", property),
                "BudgetLineView.{property}"
            );
        }
        assert!(schemas["StoredDecision"]["properties"]["findings"].is_object());
        let bare = bare_bodies(&document);
        assert!(
            bare.is_empty(),
            "bodies documented without their fields: {bare:#?}"
        );

        let request = actix_web::test::TestRequest::get()
            .uri("/api/docs/")
            .to_request();
        let response = actix_web::test::call_service(&app, request).await;
        assert_eq!(response.status().as_u16(), 200);
        let body = actix_web::test::read_body(response).await;
        assert!(
            String::from_utf8_lossy(&body).contains("swagger"),
            "Swagger UI page"
        );
    });
});

/// Whether the component `schema` describes `property`, in its own properties or in those of a
/// schema it is made of (`allOf`, as a view that flattens a stored row is written).
fn has_property(schemas: &serde_json::Value, schema: &str, property: &str) -> bool {
    fn describes(schemas: &serde_json::Value, node: &serde_json::Value, property: &str) -> bool {
        if let Some(name) = node["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        {
            return describes(schemas, &schemas[name], property);
        }
        node["properties"][property].is_object()
            || node["allOf"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|part| describes(schemas, part, property))
    }
    describes(schemas, &schemas[schema], property)
}

/// Where the document describes a JSON body without saying what is in it: an operation's
/// request or response body with no schema, or a schema (anywhere, components included) that
/// is an object with neither properties nor typed additional properties.
fn bare_bodies(document: &serde_json::Value) -> Vec<String> {
    let mut found = Vec::new();
    for (path, operations) in document["paths"].as_object().into_iter().flatten() {
        for (method, operation) in operations.as_object().into_iter().flatten() {
            let mut bodies = vec![("request".to_owned(), &operation["requestBody"])];
            for (status, response) in operation["responses"].as_object().into_iter().flatten() {
                bodies.push((format!("response {status}"), response));
            }
            for (what, body) in bodies {
                if let Some(json) = body["content"].get("application/json")
                    && json.get("schema").is_none()
                {
                    found.push(format!("{method} {path}: {what} has no schema"));
                }
                // A success with a body says what the body is (204 has none).
                let success = what.starts_with("response 2") && what != "response 204";
                if success && body.get("content").is_none() {
                    found.push(format!("{method} {path}: {what} has no content"));
                }
            }
        }
    }
    fn walk(at: String, node: &serde_json::Value, found: &mut Vec<String>) {
        match node {
            serde_json::Value::Object(map) => {
                let is_object = map.get("type").and_then(|t| t.as_str()) == Some("object");
                let described = map.contains_key("properties")
                    || map
                        .get("additionalProperties")
                        .is_some_and(|extra| extra.is_object());
                if is_object && !described {
                    found.push(format!("{at}: an object without its fields"));
                }
                for (key, value) in map {
                    walk(format!("{at}/{key}"), value, found);
                }
            }
            serde_json::Value::Array(items) => {
                for (index, value) in items.iter().enumerate() {
                    walk(format!("{at}/{index}"), value, found);
                }
            }
            _ => {}
        }
    }
    walk(String::new(), document, &mut found);
    found
}
