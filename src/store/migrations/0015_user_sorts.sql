-- Sorted user lists (native GET .../users?sort=, the console's sortable table).
--
-- Each sort pages by keyset, (key, id) after the cursor's, so each needs an
-- index that yields the directory's users in that order; without one the list
-- reads and sorts the whole directory for every page. createdAt (id) has
-- users_directory_id_uq, username users_username_uq (the key is unique: no
-- tie-breaker), and email's users with an address users_email_uq. What is new:
-- - users without an email, paged by id (partial: only they are in it);
-- - display name (NULLs are in the index, found with IS NULL, in id order).
-- An index costs every insert of users an entry (four of them, these two and
-- one each for last update and status, made a 1000-user batch about a sixth
-- slower on PostgreSQL here), so the rarer sorts, by last update and by
-- status, have none: each of their pages reads and sorts the directory.
-- Built inside the migration's transaction (migrations cannot build
-- CONCURRENTLY): writes to users wait while they build, so on a large table
-- run the upgrade when a short pause of provisioning is acceptable.
CREATE INDEX users_no_email_page_idx ON users (tenant_id, directory_id, id) WHERE email_key IS NULL;
CREATE INDEX users_display_name_page_idx ON users (tenant_id, directory_id, display_name, id);
