-- Metrics read the queue's backlog (count and oldest item by kind) and its dead
-- items by kind at every scrape (engine/observability.ts, cached for a few
-- seconds). These partial indexes hold only the rows those figures count, so a
-- scrape reads the backlog and the dead, never the done items the table keeps.
CREATE INDEX queue_pending_age_idx ON queue (kind, created_at) WHERE status = 'pending';
CREATE INDEX queue_dead_idx ON queue (kind) WHERE status = 'dead';
