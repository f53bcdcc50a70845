DROP TABLE pr_reviews;
