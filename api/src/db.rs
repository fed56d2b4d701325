//! The product API's own tables (api/migrations/), in the indexer's database.

use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::{PgPool, migrate::Migrator};

/// The API's migrations, recorded apart from the indexer's (`_sqlx_migrations`), so each
/// migrator sees only its own history.
pub(crate) async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    let mut migrator: Migrator = sqlx::migrate!("./migrations");
    migrator.dangerous_set_table_name("_tributary_api_migrations");
    migrator.run(pool).await
}

/// Unix seconds now.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}
