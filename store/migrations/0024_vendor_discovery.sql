-- Vendor discovery (issue "Risks, vendors and incidents"): the
-- third-party apps connected systems expose (Okta apps, Google Workspace
-- OAuth grants), kept per integration, and what someone decided about
-- each: confirmed as a vendor (vendor_id) or dismissed.
CREATE TABLE discovered_apps (
    id             {{serial}},
    integration_id BIGINT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    app_id         TEXT NOT NULL,
    name           TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT '',
    users          INTEGER NOT NULL DEFAULT 0,
    scopes         TEXT NOT NULL DEFAULT '[]',
    present        {{bool}} NOT NULL,
    first_seen     {{time}} NOT NULL,
    last_seen      {{time}} NOT NULL,
    vendor_id      BIGINT REFERENCES vendors(id),
    dismissed_by   TEXT NOT NULL DEFAULT '', -- who, by name (the activity entry has the id)
    dismissed_at   {{time}},
    UNIQUE (integration_id, app_id)
);

-- The last listing per integration: whether it was complete and what
-- could not be read.
CREATE TABLE app_collections (
    integration_id BIGINT PRIMARY KEY REFERENCES integrations(id) ON DELETE CASCADE,
    collected_at   {{time}} NOT NULL,
    apps           INTEGER NOT NULL,
    complete       {{bool}} NOT NULL,
    unreadable     TEXT NOT NULL DEFAULT ''
);
