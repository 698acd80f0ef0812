-- Sorted user lists (native GET .../users?sort=, the console's sortable table).
--
-- Each sort pages by keyset, (key, id) after the cursor's, so each needs an
-- index that yields the directory's users in that order; without one the list
-- reads and sorts the whole directory for every page. createdAt (id) has
-- users_directory_id_uq, username users_username_uq (the key is unique: no
-- tie-breaker), and email's users with an address users_email_uq. What is new:
-- - users without an email, paged by id (partial: only they are in it);
-- - display name (NULLs are in the index, found with IS NULL, in id order);
-- - last update (every update moves the entry: the cost of sorting by it);
-- - status (also serves the status filter in creation order).
-- Each costs every insert of users an entry (a 1000-user batch measured about
-- a sixth slower on PostgreSQL here, a few per cent on the embedded store).
-- Built inside the migration's transaction (migrations cannot build
-- CONCURRENTLY): writes to users wait while they build, so on a large table
-- run the upgrade when a short pause of provisioning is acceptable.
CREATE INDEX users_no_email_page_idx ON users (tenant_id, directory_id, id) WHERE email_key IS NULL;
CREATE INDEX users_display_name_page_idx ON users (tenant_id, directory_id, display_name, id);
CREATE INDEX users_updated_page_idx ON users (tenant_id, directory_id, updated_at, id);
CREATE INDEX users_status_page_idx ON users (tenant_id, directory_id, status, id);
