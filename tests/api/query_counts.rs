//! A list page costs the same number of SQL statements whatever its size: no query per post.

use crate::fixture::many_posts;
use crate::helpers::TestApp;

async fn statements_for(app: &TestApp, path: &str) -> u64 {
    let before = app.queries.get();
    let body = app.get_json(path).await;
    assert!(
        body["data"].as_array().is_some_and(|data| !data.is_empty()),
        "{path}"
    );
    app.queries.get() - before
}

async fn a_list_page_costs_the_same_statements_for_1_and_100_posts(app: TestApp) {
    app.import(&many_posts(120));
    // Warm the pool so connection set-up statements are not counted against either page.
    app.get_json("/posts").await;
    for filters in [
        "",
        "&tag=one",
        "&category=general&sort=-clicks",
        "&q=generated&sort=title",
    ] {
        let one = statements_for(&app, &format!("/posts?per_page=1{filters}")).await;
        let hundred = statements_for(&app, &format!("/posts?per_page=100{filters}")).await;
        assert_eq!(one, hundred, "filters {filters:?}");
        assert!(
            hundred <= 3,
            "{hundred} statements for a page of 100 ({filters:?})"
        );
    }
    let one = statements_for(&app, "/posts/1/comments?per_page=1").await;
    let many = statements_for(&app, "/categories?per_page=100").await;
    assert!(one <= 3 && many <= 2, "comments {one}, categories {many}");
}

crate::on_both_backends!(a_list_page_costs_the_same_statements_for_1_and_100_posts);
