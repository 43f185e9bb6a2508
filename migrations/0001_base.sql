-- Check names get small integer ids so that the results table stays compact.
CREATE TABLE check_names (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);

-- Every run. Times are unix milliseconds, latency is microseconds, status is a small
-- integer (0 ok, 1 warn, 2 error, 3 skip, 4 unknown, 5 paused). Clustered by
-- (check_id, time): one B-tree serves both storage and the per-check range queries.
CREATE TABLE results (
	check_id INTEGER NOT NULL REFERENCES check_names(id),
	time     INTEGER NOT NULL,
	status   INTEGER NOT NULL,
	latency  INTEGER NOT NULL,
	code     INTEGER NOT NULL DEFAULT 0,
	reason   TEXT,
	PRIMARY KEY (check_id, time)
) WITHOUT ROWID;

-- The judged state of each check after its last run, for a restart without amnesia.
CREATE TABLE check_state (
	check_id      INTEGER PRIMARY KEY REFERENCES check_names(id),
	status        TEXT NOT NULL,
	since         INTEGER NOT NULL,
	last_check    INTEGER NOT NULL,
	success_count INTEGER NOT NULL,
	fail_count    INTEGER NOT NULL,
	consec_fail   INTEGER NOT NULL,
	consec_ok     INTEGER NOT NULL,
	last_result   TEXT NOT NULL, -- JSON
	extra         TEXT,          -- JSON object
	paused_until  INTEGER NOT NULL DEFAULT 0,
	paused        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE incidents (
	id         INTEGER PRIMARY KEY,
	check_id   INTEGER NOT NULL REFERENCES check_names(id),
	start      INTEGER NOT NULL,
	end        INTEGER,          -- NULL while open
	root_cause TEXT NOT NULL DEFAULT '',
	alerted    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX incidents_open ON incidents(check_id) WHERE end IS NULL;
CREATE INDEX incidents_start ON incidents(start);
