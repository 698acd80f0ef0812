-- SCIM clients look users up by `emails.value eq "..."` (Okta, Entra ID). The
-- primary email is the email column, served by users_email_uq through its
-- comparison key; the other emails live in the stored SCIM resource
-- (`attributes.scim.emails`). This indexes their values, lower-cased as a
-- case-insensitive equality compares them (store/repositories/recordFilter.ts,
-- INDEXED_ELEMENT_VALUES). Partial: users written by other dialects have no
-- `scim` key, so batch inserts of them never touch the index.
CREATE FUNCTION muster_element_values(doc jsonb, path text[], sub text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(lower(e.v ->> sub)) FILTER (WHERE e.v ->> sub IS NOT NULL), '{}')
  FROM jsonb_array_elements(CASE WHEN jsonb_typeof(doc #> path) = 'array' THEN doc #> path ELSE '[]'::jsonb END) AS e(v)
$$;
CREATE INDEX users_scim_email_values_idx ON users USING gin (muster_element_values(attributes, '{scim,emails}', 'value')) WHERE attributes ? 'scim';
