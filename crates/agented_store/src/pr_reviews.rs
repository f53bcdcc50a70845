//! `PrReviewRepository` over SQLite or PostgreSQL: the `pr_reviews` table.

use crate::executions::{corrupt, err};
use crate::schema::pr_reviews;
use crate::{Database, StoreError};
use agented_executions::ExecStoreError;
use agented_executions::pr_reviews::{PrReview, PrReviewFilter, PrReviewRepository};
use agented_kernel::Page;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

#[derive(Queryable, Selectable)]
#[diesel(table_name = pr_reviews)]
struct Row {
    id: i64,
    trigger_id: String,
    project_name: String,
    github_repo_url: Option<String>,
    pr_number: i64,
    pr_url: String,
    pr_title: String,
    pr_author: Option<String>,
    pr_status: String,
    review_status: String,
    review_comment: Option<String>,
    fixes_applied: i64,
    fix_comment: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = pr_reviews, treat_none_as_null = true)]
struct Write<'a> {
    trigger_id: &'a str,
    project_name: &'a str,
    github_repo_url: Option<&'a str>,
    pr_number: i64,
    pr_url: &'a str,
    pr_title: &'a str,
    pr_author: Option<&'a str>,
    pr_status: &'a str,
    review_status: &'a str,
    review_comment: Option<&'a str>,
    fixes_applied: i64,
    fix_comment: Option<&'a str>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl<'a> From<&'a PrReview> for Write<'a> {
    fn from(r: &'a PrReview) -> Self {
        Self {
            trigger_id: &r.trigger_id,
            project_name: &r.project_name,
            github_repo_url: r.github_repo_url.as_deref(),
            pr_number: r.pr_number,
            pr_url: &r.pr_url,
            pr_title: &r.pr_title,
            pr_author: r.pr_author.as_deref(),
            pr_status: r.pr_status.as_str(),
            review_status: r.review_status.as_str(),
            review_comment: r.review_comment.as_deref(),
            fixes_applied: r.fixes_applied,
            fix_comment: r.fix_comment.as_deref(),
            created_at: r.created_at.naive_utc(),
            updated_at: r.updated_at.naive_utc(),
        }
    }
}

impl TryFrom<Row> for PrReview {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.id,
            trigger_id: r.trigger_id,
            project_name: r.project_name,
            github_repo_url: r.github_repo_url,
            pr_number: r.pr_number,
            pr_url: r.pr_url,
            pr_title: r.pr_title,
            pr_author: r.pr_author,
            pr_status: r.pr_status.parse().map_err(corrupt)?,
            review_status: r.review_status.parse().map_err(corrupt)?,
            review_comment: r.review_comment,
            fixes_applied: r.fixes_applied,
            fix_comment: r.fix_comment,
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        })
    }
}

fn rows(found: Vec<Row>) -> Result<Vec<PrReview>, StoreError> {
    found.into_iter().map(PrReview::try_from).collect()
}

/// Tracked pull requests in the database.
#[derive(Debug, Clone)]
pub struct SqlPrReviews {
    db: Database,
}

impl SqlPrReviews {
    /// The repository over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl PrReviewRepository for SqlPrReviews {
    async fn list(&self, filter: &PrReviewFilter, page: Page) -> Result<(Vec<PrReview>, u64), ExecStoreError> {
        let f = filter.clone();
        self.db
            .run(move |conn| {
                let query = || {
                    let mut q = pr_reviews::table.into_boxed();
                    if let Some(s) = f.pr_status {
                        q = q.filter(pr_reviews::pr_status.eq(s.as_str()));
                    }
                    if let Some(s) = f.review_status {
                        q = q.filter(pr_reviews::review_status.eq(s.as_str()));
                    }
                    if let Some(t) = f.trigger_id.clone() {
                        q = q.filter(pr_reviews::trigger_id.eq(t));
                    }
                    q
                };
                let total: i64 = query().count().get_result(conn)?;
                let found = query()
                    .order((pr_reviews::updated_at.desc(), pr_reviews::id.desc()))
                    .limit(i64::from(page.limit))
                    .offset(i64::from(page.offset))
                    .select(Row::as_select())
                    .load(conn)?;
                Ok((rows(found)?, u64::try_from(total).unwrap_or(0)))
            })
            .await
            .map_err(err)
    }

    async fn all(&self) -> Result<Vec<PrReview>, ExecStoreError> {
        self.db
            .run(move |conn| rows(pr_reviews::table.order(pr_reviews::id).select(Row::as_select()).load(conn)?))
            .await
            .map_err(err)
    }

    async fn get(&self, id: i64) -> Result<Option<PrReview>, ExecStoreError> {
        self.db
            .run(move |conn| {
                let row = pr_reviews::table.find(id).select(Row::as_select()).first(conn).optional()?;
                row.map(PrReview::try_from).transpose()
            })
            .await
            .map_err(err)
    }

    async fn of_pull(&self, project: &str, number: i64) -> Result<Vec<PrReview>, ExecStoreError> {
        let project = project.to_owned();
        self.db
            .run(move |conn| {
                rows(
                    pr_reviews::table
                        .filter(pr_reviews::project_name.eq(&project).and(pr_reviews::pr_number.eq(number)))
                        .order(pr_reviews::id)
                        .select(Row::as_select())
                        .load(conn)?,
                )
            })
            .await
            .map_err(err)
    }

    async fn insert(&self, review: &PrReview) -> Result<(PrReview, bool), ExecStoreError> {
        let review = review.clone();
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    let row = Write::from(&review);
                    let added = crate::per_backend!(conn, |c| diesel::insert_into(pr_reviews::table)
                        .values(&row)
                        .on_conflict_do_nothing()
                        .execute(c))?;
                    let stored = pr_reviews::table
                        .filter(
                            pr_reviews::trigger_id
                                .eq(&review.trigger_id)
                                .and(pr_reviews::project_name.eq(&review.project_name))
                                .and(pr_reviews::pr_number.eq(review.pr_number)),
                        )
                        .select(Row::as_select())
                        .first(conn)?;
                    Ok((PrReview::try_from(stored)?, added == 1))
                })
            })
            .await
            .map_err(err)
    }

    async fn update(&self, review: &PrReview, expected: DateTime<Utc>) -> Result<bool, ExecStoreError> {
        let review = review.clone();
        self.db
            .run(move |conn| {
                let row = pr_reviews::table.find(review.id).filter(pr_reviews::updated_at.eq(expected.naive_utc()));
                let changed = diesel::update(row).set(Write::from(&review)).execute(conn)?;
                Ok(changed == 1)
            })
            .await
            .map_err(err)
    }

    async fn delete(&self, id: i64) -> Result<bool, ExecStoreError> {
        self.db.run(move |conn| Ok(diesel::delete(pr_reviews::table.find(id)).execute(conn)? == 1)).await.map_err(err)
    }
}

/// Inserts `review` unless its pull request is tracked for its trigger already (an import),
/// keeping its id when no other review has it; whether it was inserted.
///
/// # Errors
/// A failed write.
pub(crate) fn insert_kept(conn: &mut crate::database::AnyConnection, review: &PrReview) -> Result<usize, StoreError> {
    let taken = pr_reviews::table.find(review.id).count().get_result::<i64>(conn)? > 0;
    let write = Write::from(review);
    let inserted = if taken {
        crate::per_backend!(&mut *conn, |c| diesel::insert_into(pr_reviews::table)
            .values(&write)
            .on_conflict_do_nothing()
            .execute(c))?
    } else {
        crate::per_backend!(&mut *conn, |c| diesel::insert_into(pr_reviews::table)
            .values((pr_reviews::id.eq(review.id), &write))
            .on_conflict_do_nothing()
            .execute(c))?
    };
    if let crate::database::AnyConnection::Pg(c) = conn {
        // The next id PostgreSQL gives must follow the kept ones.
        diesel::sql_query(
            "SELECT setval(pg_get_serial_sequence('pr_reviews', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM pr_reviews",
        )
        .execute(c)?;
    }
    Ok(inserted)
}
