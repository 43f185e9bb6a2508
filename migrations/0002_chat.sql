-- State owned by the chat side: checks added from chat, mutes, pauses, chats,
-- heartbeat tokens and the alert outbox.

CREATE TABLE chat_checks (
	name    TEXT PRIMARY KEY,
	spec    TEXT NOT NULL, -- JSON of config.Check
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL
);

-- until = 0 means no expiry. name '*' mutes everything.
CREATE TABLE mutes (
	name  TEXT PRIMARY KEY,
	until INTEGER NOT NULL
);

CREATE TABLE pauses (
	name  TEXT PRIMARY KEY,
	until INTEGER NOT NULL
);

CREATE TABLE chats (
	id      INTEGER PRIMARY KEY,
	title   TEXT NOT NULL,
	added   INTEGER NOT NULL,
	updated INTEGER NOT NULL
);

CREATE TABLE heartbeat_tokens (
	check_name TEXT PRIMARY KEY,
	token      TEXT NOT NULL UNIQUE,
	created    INTEGER NOT NULL
);

-- Every alert is written here before it is sent; sent is NULL until delivered.
CREATE TABLE outbox (
	id           INTEGER PRIMARY KEY,
	chat_id      INTEGER NOT NULL,
	kind         TEXT NOT NULL,
	payload      BLOB NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL,
	created      INTEGER NOT NULL,
	sent         INTEGER,
	last_error   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_unsent ON outbox(id) WHERE sent IS NULL;
CREATE INDEX outbox_sent ON outbox(sent) WHERE sent IS NOT NULL;
