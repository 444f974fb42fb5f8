//! The service survives its database connections being cut: requests fail with 503 (never a 500) until
//! the pool has replaced the dead connections, then everything answers again.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use crate::fixture::small_blog;
use crate::helpers::{postgres_admin_url, TestApp, TestBackend};

async fn dead_connections_are_replaced_without_a_500(app: TestApp) {
    let TestBackend::Postgres = app.backend else {
        return; // only a server-side database can drop a connection
    };
    app.import(&small_blog()).await;
    for _ in 0..4 {
        app.get_json("/posts").await;
    }
    let mut admin = PgConnection::establish(&postgres_admin_url()).expect("admin connection");
    let database = app
        .database
        .url
        .to_string()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    admin
        .batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'"
        ))
        .expect("terminate the app's connections");

    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(app.get("/posts").await.status().as_u16());
    }
    assert!(
        statuses.iter().all(|status| [200, 503].contains(status)),
        "{statuses:?}"
    );
    let first_ok = statuses
        .iter()
        .position(|status| *status == 200)
        .expect("recovers");
    assert!(
        statuses[first_ok..].iter().all(|status| *status == 200),
        "{statuses:?}"
    );
}

crate::on_both_backends!(dead_connections_are_replaced_without_a_500);
