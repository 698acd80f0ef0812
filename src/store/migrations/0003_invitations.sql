-- Invitations and the outbox that delivers their mail.
--
-- An invitation and its outbox row are written in the same transaction as the
-- user, so an atomic batch that rolls back sends nothing. The dispatcher claims
-- due rows with FOR UPDATE SKIP LOCKED and holds them under a lease
-- (locked_until) while it sends; a process that dies mid-send leaves a lease
-- that runs out, and the row is sent again (at-least-once, same Message-ID).

ALTER TABLE tenants ADD COLUMN redirect_allowlist text[] NOT NULL DEFAULT '{}';

CREATE TABLE invitations (
  tenant_id     uuid        NOT NULL,
  id            uuid        NOT NULL,
  directory_id  uuid        NOT NULL,
  user_id       uuid        NOT NULL,
  token_hash    bytea       NOT NULL,
  redirect_url  text,
  message       text,
  status        text        NOT NULL DEFAULT 'pending',
  expires_at    timestamptz NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  ended_at      timestamptz,
  CONSTRAINT invitations_pk PRIMARY KEY (tenant_id, id),
  CONSTRAINT invitations_token_hash_uq UNIQUE (token_hash),
  CONSTRAINT invitations_user_fk FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
  CONSTRAINT invitations_status_ck CHECK (status IN ('pending', 'accepted', 'revoked', 'superseded')),
  CONSTRAINT invitations_ended_ck CHECK ((status = 'pending') = (ended_at IS NULL))
);
CREATE INDEX invitations_user_idx ON invitations (tenant_id, user_id, created_at);

CREATE TABLE outbox (
  tenant_id        uuid        NOT NULL,
  id               uuid        NOT NULL,
  kind             text        NOT NULL,
  message_id       text        NOT NULL,
  recipient        text        NOT NULL,
  invitation_id    uuid,
  payload          bytea       NOT NULL,
  status           text        NOT NULL DEFAULT 'pending',
  attempts         integer     NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  locked_until     timestamptz,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  sent_at          timestamptz,
  CONSTRAINT outbox_pk PRIMARY KEY (tenant_id, id),
  CONSTRAINT outbox_message_id_uq UNIQUE (message_id),
  CONSTRAINT outbox_invitation_fk FOREIGN KEY (tenant_id, invitation_id) REFERENCES invitations (tenant_id, id) ON DELETE CASCADE,
  CONSTRAINT outbox_kind_ck CHECK (kind IN ('invitation')),
  CONSTRAINT outbox_status_ck CHECK (status IN ('pending', 'sent', 'dead'))
);
-- The dispatcher's scan: due, unsent rows in due order.
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_invitation_idx ON outbox (tenant_id, invitation_id);

CREATE TABLE outbox_attempts (
  tenant_id    uuid        NOT NULL,
  outbox_id    uuid        NOT NULL,
  attempt      integer     NOT NULL,
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz NOT NULL DEFAULT now(),
  outcome      text        NOT NULL,
  error        text,
  CONSTRAINT outbox_attempts_pk PRIMARY KEY (tenant_id, outbox_id, attempt),
  CONSTRAINT outbox_attempts_outbox_fk FOREIGN KEY (tenant_id, outbox_id) REFERENCES outbox (tenant_id, id) ON DELETE CASCADE,
  CONSTRAINT outbox_attempts_outcome_ck CHECK (outcome IN ('sent', 'failed'))
);
