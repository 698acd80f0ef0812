-- Domain events: the durable record of every write (the audit trail), written
-- by the unit of work in the same transaction as the change it records.
--
-- ids are UUIDv7, so (tenant_id, id) orders a tenant's events by time: the
-- audit trail pages newest first down the primary key. Events outlive their
-- subjects (a deleted user's history stays until retention sweeps it), so
-- there is no foreign key to the subject. Nor to the tenant: a foreign key is
-- checked row by row, which cost a batch's events insert a third more, and
-- tenants are never deleted (the operator disables them; their history stays).
-- A UUIDv7 made by the database (for events written by INSERT ... SELECT): the
-- millisecond clock in the first 48 bits, version 7, the rest random, so they
-- sort by time among the ids the application makes (crypto/ids.ts).
CREATE FUNCTION muster_uuidv7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
  SELECT encode(
    set_bit(set_bit(set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid())
              PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
              FROM 1 FOR 6),
      52, 1), 53, 1), 54, 1), 55, 0),
    'hex')::uuid
$$;

CREATE TABLE events (
  tenant_id     uuid        NOT NULL,
  id            uuid        NOT NULL,
  type          text        NOT NULL,
  occurred_at   timestamptz NOT NULL,
  actor_kind    text        NOT NULL,
  actor_id      text,
  actor_label   text,
  dialect       text        NOT NULL,
  request_id    text,
  subject_type  text        NOT NULL,
  subject_id    text        NOT NULL,
  directory_id  uuid,
  data          jsonb       NOT NULL DEFAULT '{}'::jsonb,
  CONSTRAINT events_pk PRIMARY KEY (tenant_id, id),
  CONSTRAINT events_type_ck CHECK (type ~ '^[a-z_]+\.[a-z_]+$'),
  CONSTRAINT events_actor_kind_ck CHECK (actor_kind IN ('api_key', 'access_key', 'jwt', 'invitee', 'cli', 'operator', 'system'))
);
-- A subject's history (the audit filter by user, the console's user page).
-- The retention sweep needs no index of its own: ids are time-ordered, so it
-- deletes a tenant's events below the id of its cutoff down the primary key
-- (each index costs every batch's events insert).
CREATE INDEX events_subject_idx ON events (tenant_id, subject_id, id);

-- Memberships carry their directory, and both foreign keys include it, so a
-- user can never be a member of another directory's group. The users index
-- that pages a directory becomes the unique key the foreign key needs (the
-- same index, so inserts pay nothing more).
ALTER TABLE groups ADD CONSTRAINT groups_directory_id_uq UNIQUE (tenant_id, directory_id, id);
DROP INDEX users_directory_page_idx;
ALTER TABLE users ADD CONSTRAINT users_directory_id_uq UNIQUE (tenant_id, directory_id, id);
ALTER TABLE group_members ADD COLUMN directory_id uuid;
UPDATE group_members m SET directory_id = g.directory_id FROM groups g WHERE g.tenant_id = m.tenant_id AND g.id = m.group_id;
ALTER TABLE group_members ALTER COLUMN directory_id SET NOT NULL;
ALTER TABLE group_members DROP CONSTRAINT group_members_group_fk;
ALTER TABLE group_members DROP CONSTRAINT group_members_user_fk;
ALTER TABLE group_members ADD CONSTRAINT group_members_group_fk
  FOREIGN KEY (tenant_id, directory_id, group_id) REFERENCES groups (tenant_id, directory_id, id) ON DELETE CASCADE;
ALTER TABLE group_members ADD CONSTRAINT group_members_user_fk
  FOREIGN KEY (tenant_id, directory_id, user_id) REFERENCES users (tenant_id, directory_id, id) ON DELETE CASCADE;
