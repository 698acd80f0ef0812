-- How a directory compares usernames and emails (domain/user.ts, comparisonKey):
-- 'distinct' (NFKC + lower case) or 'collide' (also UTS #39 confusable
-- skeletons). Fixed when the directory is created: the stored keys of its
-- users were computed under it.
ALTER TABLE directories ADD COLUMN confusables text NOT NULL DEFAULT 'distinct';
ALTER TABLE directories ADD CONSTRAINT directories_confusables_ck CHECK (confusables IN ('distinct', 'collide'));
