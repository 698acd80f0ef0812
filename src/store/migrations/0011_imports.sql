-- Import jobs (engine/imports/): an uploaded file, stored in the database in
-- chunks so that any instance can run or resume the job; the job with its
-- options, counters and checkpoint; one report row per input row.
--
-- Crash safety: a chunk of rows is written by one transaction that inserts
-- the users, the chunk's report rows and moves the job's checkpoint
-- (next_row), so a job resumes from next_row without a duplicate or a gap.
-- The report's primary key (job, row) refuses a row written twice.
--
-- status: uploading (the body is still arriving; never listed), queued,
-- running, completed, failed, cancelled. phase: 'validate' is the first pass
-- of an atomic job (a dry run of every row), 'write' the pass that writes.
-- format_options: the format's own options (a Firebase signer key), sealed
-- under the server key. actor: who started the job (kind, id, label,
-- dialect, request id; never a credential); the job's writes are theirs.
CREATE TABLE import_jobs (
  tenant_id        uuid        NOT NULL,
  id               uuid        NOT NULL,
  directory_id     uuid        NOT NULL,
  status           text        NOT NULL,
  phase            text        NOT NULL DEFAULT 'write',
  format           text        NOT NULL,
  options          jsonb       NOT NULL,
  format_options   bytea,
  actor            jsonb       NOT NULL,
  idempotency_key  text,
  bytes            bigint      NOT NULL DEFAULT 0,
  bytes_read       bigint      NOT NULL DEFAULT 0,
  file_chunks      integer     NOT NULL DEFAULT 0,
  rows_total       integer,
  next_row         integer     NOT NULL DEFAULT 1,
  processed        integer     NOT NULL DEFAULT 0,
  created          integer     NOT NULL DEFAULT 0,
  updated          integer     NOT NULL DEFAULT 0,
  skipped          integer     NOT NULL DEFAULT 0,
  failed           integer     NOT NULL DEFAULT 0,
  failure_counts   jsonb       NOT NULL DEFAULT '{}',
  source_columns   jsonb,
  cancel_requested boolean     NOT NULL DEFAULT false,
  error            jsonb,
  undo             jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  CONSTRAINT import_jobs_pk PRIMARY KEY (tenant_id, id),
  CONSTRAINT import_jobs_directory_fk FOREIGN KEY (tenant_id, directory_id) REFERENCES directories (tenant_id, id) ON DELETE CASCADE,
  CONSTRAINT import_jobs_idempotency_uq UNIQUE (tenant_id, idempotency_key),
  CONSTRAINT import_jobs_status_ck CHECK (status IN ('uploading', 'queued', 'running', 'completed', 'failed', 'cancelled')),
  CONSTRAINT import_jobs_phase_ck CHECK (phase IN ('validate', 'write'))
);
-- Listings, newest first, per tenant and per directory; the retention sweep.
CREATE INDEX import_jobs_created_idx ON import_jobs (tenant_id, created_at DESC, id DESC);
CREATE INDEX import_jobs_directory_idx ON import_jobs (tenant_id, directory_id, created_at DESC, id DESC);
CREATE INDEX import_jobs_finished_idx ON import_jobs (finished_at) WHERE finished_at IS NOT NULL;

-- The uploaded file, in order of seq (each at most IMPORT_FILE_CHUNK_BYTES).
CREATE TABLE import_file_chunks (
  tenant_id  uuid    NOT NULL,
  job_id     uuid    NOT NULL,
  seq        integer NOT NULL,
  data       bytea   NOT NULL,
  CONSTRAINT import_file_chunks_pk PRIMARY KEY (tenant_id, job_id, seq),
  CONSTRAINT import_file_chunks_job_fk FOREIGN KEY (tenant_id, job_id) REFERENCES import_jobs (tenant_id, id) ON DELETE CASCADE
);

-- One row per input row: its verdict, the user, the error. source: the row's
-- own cells (CSV inputs, failed rows only, credentials blanked), for the
-- rejected-rows download.
CREATE TABLE import_report (
  tenant_id  uuid    NOT NULL,
  job_id     uuid    NOT NULL,
  row        integer NOT NULL,
  line       integer,
  status     text    NOT NULL,
  user_id    uuid,
  username   text,
  code       text,
  message    text,
  field      text,
  source     jsonb,
  CONSTRAINT import_report_pk PRIMARY KEY (tenant_id, job_id, row),
  CONSTRAINT import_report_job_fk FOREIGN KEY (tenant_id, job_id) REFERENCES import_jobs (tenant_id, id) ON DELETE CASCADE,
  CONSTRAINT import_report_status_ck CHECK (status IN ('created', 'updated', 'skipped', 'failed'))
);

-- The queue runs import jobs (and their undo) as kind 'import'.
ALTER TABLE queue DROP CONSTRAINT queue_kind_ck;
ALTER TABLE queue ADD CONSTRAINT queue_kind_ck CHECK (kind IN ('mail', 'webhook', 'import'));
