//! `NotifierRepository` over SQLite or PostgreSQL: the `notifiers` and
//! `notification_deliveries` tables.

use crate::executions::corrupt;
use crate::schema::{notification_deliveries as deliveries, notifiers};
use crate::{Database, StoreError};
use agented_kernel::{NoticeEvent, NotifierId, Page, TriggerId};
use agented_notifications::{
    Attempted, Delivery, DeliveryStatus, NewDelivery, Notifier, NotifierKind, NotifierRepository, NotifyStoreError,
};
use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::prelude::*;

fn err(e: StoreError) -> NotifyStoreError {
    NotifyStoreError(agented_kernel::Cause::of(e))
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = notifiers, treat_none_as_null = true)]
struct NotifierRow {
    id: String,
    name: String,
    kind: String,
    url: String,
    secret: Option<String>,
    trigger_id: Option<String>,
    events: String,
    enabled: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl From<&Notifier> for NotifierRow {
    fn from(n: &Notifier) -> Self {
        let events: Vec<&str> = n.events.iter().map(|e| e.as_str()).collect();
        Self {
            id: n.id.to_string(),
            name: n.name.clone(),
            kind: n.kind.as_str().to_owned(),
            url: n.url.clone(),
            secret: n.secret.clone(),
            trigger_id: n.trigger_id.as_ref().map(ToString::to_string),
            events: serde_json::to_string(&events).unwrap_or_default(),
            enabled: n.enabled,
            created_at: n.created_at.naive_utc(),
            updated_at: n.updated_at.naive_utc(),
        }
    }
}

impl TryFrom<NotifierRow> for Notifier {
    type Error = StoreError;
    fn try_from(r: NotifierRow) -> Result<Self, StoreError> {
        let names: Vec<String> = serde_json::from_str(&r.events).map_err(corrupt)?;
        let events = names
            .iter()
            .map(|n| NoticeEvent::parse(n).ok_or_else(|| corrupt(format!("unknown notice event '{n}'"))))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            id: NotifierId::parse(&r.id).map_err(corrupt)?,
            name: r.name,
            kind: NotifierKind::parse(&r.kind).map_err(corrupt)?,
            url: r.url,
            secret: r.secret,
            trigger_id: r.trigger_id.map(TriggerId::try_from).transpose().map_err(corrupt)?,
            events,
            enabled: r.enabled,
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        })
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = deliveries)]
struct DeliveryRow {
    id: i64,
    notifier_id: String,
    event: String,
    event_key: String,
    message_id: String,
    body: String,
    status: String,
    attempts: i64,
    response_status: Option<i64>,
    error: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = StoreError;
    fn try_from(r: DeliveryRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.id,
            notifier_id: NotifierId::parse(&r.notifier_id).map_err(corrupt)?,
            event: r.event,
            key: r.event_key,
            message_id: r.message_id,
            body: r.body,
            status: DeliveryStatus::parse(&r.status).map_err(corrupt)?,
            attempts: u32::try_from(r.attempts).map_err(corrupt)?,
            response_status: r.response_status.map(u16::try_from).transpose().map_err(corrupt)?,
            error: r.error,
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        })
    }
}

fn delivery_rows(found: Vec<DeliveryRow>) -> Result<Vec<Delivery>, StoreError> {
    found.into_iter().map(Delivery::try_from).collect()
}

/// Notifiers and their deliveries in the database.
#[derive(Debug, Clone)]
pub struct SqlNotifiers {
    db: Database,
}

impl SqlNotifiers {
    /// The repository over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl NotifierRepository for SqlNotifiers {
    async fn list(&self) -> Result<Vec<Notifier>, NotifyStoreError> {
        self.db
            .run(|conn| {
                let rows = notifiers::table
                    .order((notifiers::name, notifiers::id))
                    .select(NotifierRow::as_select())
                    .load(conn)?;
                rows.into_iter().map(Notifier::try_from).collect()
            })
            .await
            .map_err(err)
    }

    async fn get(&self, id: &NotifierId) -> Result<Option<Notifier>, NotifyStoreError> {
        let id = id.to_string();
        self.db
            .run(move |conn| {
                let row = notifiers::table.find(id).select(NotifierRow::as_select()).first(conn).optional()?;
                row.map(Notifier::try_from).transpose()
            })
            .await
            .map_err(err)
    }

    async fn insert(&self, notifier: &Notifier) -> Result<(), NotifyStoreError> {
        let row = NotifierRow::from(notifier);
        self.db
            .run(move |conn| {
                diesel::insert_into(notifiers::table).values(&row).execute(conn)?;
                Ok(())
            })
            .await
            .map_err(err)
    }

    async fn update(&self, notifier: &Notifier) -> Result<bool, NotifyStoreError> {
        let row = NotifierRow::from(notifier);
        self.db
            .run(move |conn| Ok(diesel::update(notifiers::table.find(row.id.clone())).set(&row).execute(conn)? == 1))
            .await
            .map_err(err)
    }

    async fn delete(&self, id: &NotifierId) -> Result<bool, NotifyStoreError> {
        let id = id.to_string();
        self.db.run(move |conn| Ok(diesel::delete(notifiers::table.find(id)).execute(conn)? == 1)).await.map_err(err)
    }

    async fn record(&self, new: &NewDelivery, keep: u32) -> Result<Option<Delivery>, NotifyStoreError> {
        let new = new.clone();
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    let notifier = new.notifier_id.to_string();
                    let at = new.at.naive_utc();
                    let row = (
                        deliveries::notifier_id.eq(&notifier),
                        deliveries::event.eq(&new.event),
                        deliveries::event_key.eq(&new.key),
                        deliveries::message_id.eq(&new.message_id),
                        deliveries::body.eq(&new.body),
                        deliveries::status.eq(DeliveryStatus::Pending.as_str()),
                        deliveries::attempts.eq(0_i64),
                        deliveries::created_at.eq(at),
                        deliveries::updated_at.eq(at),
                    );
                    let added = crate::per_backend!(conn, |c| diesel::insert_into(deliveries::table)
                        .values(row)
                        .on_conflict_do_nothing()
                        .execute(c))?;
                    if added == 0 {
                        return Ok(None);
                    }
                    let stored = deliveries::table
                        .filter(deliveries::notifier_id.eq(&notifier).and(deliveries::event_key.eq(&new.key)))
                        .select(DeliveryRow::as_select())
                        .first(conn)?;
                    // The log keeps the notifier's newest `keep`.
                    let kept = deliveries::table
                        .filter(deliveries::notifier_id.eq(&notifier))
                        .order(deliveries::id.desc())
                        .select(deliveries::id)
                        .limit(i64::from(keep))
                        .load::<i64>(conn)?;
                    if let Some(oldest_kept) = kept.last().filter(|_| kept.len() == keep as usize) {
                        diesel::delete(
                            deliveries::table
                                .filter(deliveries::notifier_id.eq(&notifier).and(deliveries::id.lt(oldest_kept))),
                        )
                        .execute(conn)?;
                    }
                    Delivery::try_from(stored).map(Some)
                })
            })
            .await
            .map_err(err)
    }

    async fn attempted(&self, id: i64, attempt: &Attempted) -> Result<bool, NotifyStoreError> {
        let attempt = attempt.clone();
        self.db
            .run(move |conn| {
                let changed = diesel::update(deliveries::table.find(id))
                    .set((
                        deliveries::status.eq(attempt.status.as_str()),
                        deliveries::attempts.eq(i64::from(attempt.attempts)),
                        deliveries::response_status.eq(attempt.response_status.map(i64::from)),
                        deliveries::error.eq(attempt.error.as_deref()),
                        deliveries::updated_at.eq(attempt.at.naive_utc()),
                    ))
                    .execute(conn)?;
                Ok(changed == 1)
            })
            .await
            .map_err(err)
    }

    async fn delivery(&self, id: i64) -> Result<Option<Delivery>, NotifyStoreError> {
        self.db
            .run(move |conn| {
                let row = deliveries::table.find(id).select(DeliveryRow::as_select()).first(conn).optional()?;
                row.map(Delivery::try_from).transpose()
            })
            .await
            .map_err(err)
    }

    async fn deliveries(&self, notifier: &NotifierId, page: Page) -> Result<(Vec<Delivery>, u64), NotifyStoreError> {
        let notifier = notifier.to_string();
        self.db
            .run(move |conn| {
                let mine = || deliveries::table.filter(deliveries::notifier_id.eq(notifier.clone()));
                let total: i64 = mine().count().get_result(conn)?;
                let found = mine()
                    .order(deliveries::id.desc())
                    .limit(i64::from(page.limit))
                    .offset(i64::from(page.offset))
                    .select(DeliveryRow::as_select())
                    .load(conn)?;
                Ok((delivery_rows(found)?, u64::try_from(total).unwrap_or(0)))
            })
            .await
            .map_err(err)
    }

    async fn pending(&self) -> Result<Vec<Delivery>, NotifyStoreError> {
        self.db
            .run(|conn| {
                delivery_rows(
                    deliveries::table
                        .filter(deliveries::status.eq(DeliveryStatus::Pending.as_str()))
                        .order(deliveries::id)
                        .select(DeliveryRow::as_select())
                        .load(conn)?,
                )
            })
            .await
            .map_err(err)
    }
}
