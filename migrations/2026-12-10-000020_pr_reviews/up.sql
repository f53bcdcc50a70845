-- Pull requests Agented reviews (/api/pr-reviews/): the original's table, one row per
-- trigger and pull request.
CREATE TABLE pr_reviews (
    id              INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    trigger_id      TEXT NOT NULL,
    project_name    TEXT NOT NULL,
    github_repo_url TEXT,
    pr_number       BIGINT NOT NULL,
    pr_url          TEXT NOT NULL,
    pr_title        TEXT NOT NULL,
    pr_author       TEXT,
    pr_status       TEXT NOT NULL,
    review_status   TEXT NOT NULL,
    review_comment  TEXT,
    fixes_applied   BIGINT NOT NULL DEFAULT 0,
    fix_comment     TEXT,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    UNIQUE (trigger_id, project_name, pr_number)
);
CREATE INDEX idx_pr_reviews_pull ON pr_reviews (project_name, pr_number);
CREATE INDEX idx_pr_reviews_updated ON pr_reviews (updated_at);
