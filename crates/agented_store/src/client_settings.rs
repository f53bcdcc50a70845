//! `SettingsRepository` over SQLite or PostgreSQL: the `client_settings` table.

use crate::executions::corrupt;
use crate::schema::client_settings;
use crate::{Database, StoreError};
use agented_settings::{Setting, SettingKey, SettingValue, SettingsRepository, SettingsStoreError};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = client_settings)]
pub(crate) struct SettingRow {
    pub(crate) key: String,
    pub(crate) value: String,
    pub(crate) updated_at: NaiveDateTime,
}

impl TryFrom<SettingRow> for Setting {
    type Error = StoreError;
    fn try_from(r: SettingRow) -> Result<Self, StoreError> {
        Ok(Self {
            key: SettingKey::parse(&r.key).map_err(corrupt)?,
            value: SettingValue::parse(r.value).map_err(corrupt)?,
            updated_at: r.updated_at.and_utc(),
        })
    }
}

fn err(e: StoreError) -> SettingsStoreError {
    SettingsStoreError(agented_kernel::Cause::of(e))
}

/// Settings in the `client_settings` table.
#[derive(Debug, Clone)]
pub struct SqlSettings {
    db: Database,
}

impl SqlSettings {
    /// The repository over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl SettingsRepository for SqlSettings {
    async fn list(&self) -> Result<Vec<Setting>, SettingsStoreError> {
        self.db
            .run(|conn| {
                let rows: Vec<SettingRow> =
                    client_settings::table.order(client_settings::key).select(SettingRow::as_select()).load(conn)?;
                rows.into_iter().map(Setting::try_from).collect()
            })
            .await
            .map_err(err)
    }

    async fn get(&self, key: &SettingKey) -> Result<Option<Setting>, SettingsStoreError> {
        let key = key.as_str().to_owned();
        self.db
            .run(move |conn| {
                let row: Option<SettingRow> =
                    client_settings::table.find(&key).select(SettingRow::as_select()).first(conn).optional()?;
                row.map(Setting::try_from).transpose()
            })
            .await
            .map_err(err)
    }

    async fn put(
        &self,
        key: &SettingKey,
        value: &SettingValue,
        at: DateTime<Utc>,
    ) -> Result<Setting, SettingsStoreError> {
        let row =
            SettingRow { key: key.as_str().to_owned(), value: value.as_str().to_owned(), updated_at: at.naive_utc() };
        self.db
            .run(move |conn| {
                crate::per_backend!(&mut *conn, |c| diesel::insert_into(client_settings::table)
                    .values(&row)
                    .on_conflict(client_settings::key)
                    .do_update()
                    .set(&row)
                    .execute(c))?;
                Setting::try_from(row)
            })
            .await
            .map_err(err)
    }

    async fn delete(&self, key: &SettingKey) -> Result<bool, SettingsStoreError> {
        let key = key.as_str().to_owned();
        self.db
            .run(move |conn| Ok(diesel::delete(client_settings::table.find(&key)).execute(conn)? > 0))
            .await
            .map_err(err)
    }
}
