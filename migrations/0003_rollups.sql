-- Aggregates that outlive the raw results. hour is unix seconds / 3600, day is unix
-- seconds / 86400 (UTC). Latencies are microseconds; failures count error results.
CREATE TABLE rollup_hourly (
	check_id INTEGER NOT NULL REFERENCES check_names(id),
	hour     INTEGER NOT NULL,
	checks   INTEGER NOT NULL,
	failures INTEGER NOT NULL,
	lat_avg  INTEGER NOT NULL,
	lat_p95  INTEGER NOT NULL,
	PRIMARY KEY (check_id, hour)
) WITHOUT ROWID;

CREATE TABLE rollup_daily (
	check_id INTEGER NOT NULL REFERENCES check_names(id),
	day      INTEGER NOT NULL,
	checks   INTEGER NOT NULL,
	failures INTEGER NOT NULL,
	lat_avg  INTEGER NOT NULL,
	lat_p95  INTEGER NOT NULL,
	PRIMARY KEY (check_id, day)
) WITHOUT ROWID;

-- Small key/value facts of the store itself: rollup watermarks.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
