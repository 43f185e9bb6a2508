package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/statusmap/statusmap/config"
)

// ErrNotFound is returned when a named row does not exist.
var ErrNotFound = errors.New("not found")

// SaveCheck stores (or replaces) a check added from chat. The spec is kept as JSON.
func (db *DB) SaveCheck(ctx context.Context, c config.Check) error {
	if c.Name == "" {
		return errors.New("save check: empty name")
	}
	c.Source = "chat"
	spec, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("save check %q: %w", c.Name, err)
	}
	now := db.now().UnixMilli()
	_, err = db.w.ExecContext(ctx, `INSERT INTO chat_checks(name, spec, created, updated) VALUES (?, ?, ?, ?)
		ON CONFLICT(name) DO UPDATE SET spec = excluded.spec, updated = excluded.updated`, c.Name, string(spec), now, now)
	if err != nil {
		return fmt.Errorf("save check %q: %w", c.Name, err)
	}
	return nil
}

// DeleteCheck removes a chat-added check and its stored state. Its history stays until
// retention removes it. Deleting an unknown name returns ErrNotFound.
func (db *DB) DeleteCheck(ctx context.Context, name string) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete check %q: %w", name, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM chat_checks WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete check %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete check %q: %w", name, ErrNotFound)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM check_state WHERE check_id = (SELECT id FROM check_names WHERE name = ?)`, name); err != nil {
		return fmt.Errorf("delete check %q: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete check %q: %w", name, err)
	}
	return nil
}

// Checks returns the chat-added checks in the order they were added, Source "chat".
// A row that no longer decodes is skipped with a log line rather than failing startup.
func (db *DB) Checks(ctx context.Context) ([]config.Check, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT name, spec FROM chat_checks ORDER BY created, name`)
	if err != nil {
		return nil, fmt.Errorf("load checks: %w", err)
	}
	defer rows.Close()
	var out []config.Check
	for rows.Next() {
		var name, spec string
		if err := rows.Scan(&name, &spec); err != nil {
			return nil, fmt.Errorf("load checks: %w", err)
		}
		var c config.Check
		if err := json.Unmarshal([]byte(spec), &c); err != nil {
			db.log.Error("storage: chat check does not decode, skipped", "check", name, "err", err)
			continue
		}
		c.Name, c.Source = name, "chat"
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load checks: %w", err)
	}
	return out, nil
}

// SetMute mutes alerts of name ("*" for all) until the given time; zero means until
// deleted.
func (db *DB) SetMute(ctx context.Context, name string, until time.Time) error {
	return db.setUntil(ctx, "mutes", name, until)
}

// DeleteMute ends a mute. Ending one that does not exist is not an error.
func (db *DB) DeleteMute(ctx context.Context, name string) error {
	return db.deleteNamed(ctx, "mutes", name)
}

// Mutes returns the mutes in force (a zero time: no expiry).
func (db *DB) Mutes(ctx context.Context) (map[string]time.Time, error) {
	return db.untils(ctx, "mutes")
}

// SetPause pauses a check until the given time; zero means until resumed.
func (db *DB) SetPause(ctx context.Context, name string, until time.Time) error {
	return db.setUntil(ctx, "pauses", name, until)
}

// DeletePause resumes a check. Resuming one that is not paused is not an error.
func (db *DB) DeletePause(ctx context.Context, name string) error {
	return db.deleteNamed(ctx, "pauses", name)
}

// Pauses returns the pauses in force (a zero time: no expiry).
func (db *DB) Pauses(ctx context.Context) (map[string]time.Time, error) {
	return db.untils(ctx, "pauses")
}

func (db *DB) setUntil(ctx context.Context, table, name string, until time.Time) error {
	if name == "" {
		return fmt.Errorf("%s: empty name", table)
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO `+table+`(name, until) VALUES (?, ?)
		ON CONFLICT(name) DO UPDATE SET until = excluded.until`, name, ms(until))
	if err != nil {
		return fmt.Errorf("%s %q: %w", table, name, err)
	}
	return nil
}

func (db *DB) deleteNamed(ctx context.Context, table, name string) error {
	if _, err := db.w.ExecContext(ctx, `DELETE FROM `+table+` WHERE name = ?`, name); err != nil {
		return fmt.Errorf("%s %q: %w", table, name, err)
	}
	return nil
}

func (db *DB) untils(ctx context.Context, table string) (map[string]time.Time, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT name, until FROM `+table+` WHERE until = 0 OR until > ?`, db.now().UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var name string
		var until int64
		if err := rows.Scan(&name, &until); err != nil {
			return nil, fmt.Errorf("read %s: %w", table, err)
		}
		out[name] = fromMS(until)
	}
	return out, rows.Err()
}

// Incident is one error period of a check. End is zero while it is open.
type Incident struct {
	ID        int64
	Check     string
	Start     time.Time
	End       time.Time
	RootCause string
	Alerted   bool
}

// OpenIncident starts an incident for check, or returns the id of the one already open,
// so that a restart or a repeated event never opens a second one.
func (db *DB) OpenIncident(ctx context.Context, check string, start time.Time, rootCause string) (int64, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("open incident %q: %w", check, err)
	}
	defer tx.Rollback()
	cid, err := db.checkID(ctx, tx, check)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM incidents WHERE check_id = ? AND end IS NULL ORDER BY id LIMIT 1`, cid).Scan(&id)
	switch {
	case err == nil:
		return id, nil
	case !errors.Is(err, sql.ErrNoRows):
		return 0, fmt.Errorf("open incident %q: %w", check, err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO incidents(check_id, start, root_cause) VALUES (?, ?, ?)`, cid, ms(start), rootCause)
	if err != nil {
		return 0, fmt.Errorf("open incident %q: %w", check, err)
	}
	if id, err = res.LastInsertId(); err != nil {
		return 0, fmt.Errorf("open incident %q: %w", check, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("open incident %q: %w", check, err)
	}
	db.rememberIDs(map[string]int64{check: cid})
	return id, nil
}

// MarkAlerted records that the incident's alert was queued, so a restart does not
// alert it again.
func (db *DB) MarkAlerted(ctx context.Context, id int64) error {
	res, err := db.w.ExecContext(ctx, `UPDATE incidents SET alerted = 1 WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("mark incident %d alerted: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("mark incident %d alerted: %w", id, ErrNotFound)
	}
	return nil
}

// CloseIncident ends the open incident of check. Closing when none is open is not an
// error (recoveries can repeat after a restart).
func (db *DB) CloseIncident(ctx context.Context, check string, end time.Time) error {
	_, err := db.w.ExecContext(ctx, `UPDATE incidents SET end = ?
		WHERE end IS NULL AND check_id = (SELECT id FROM check_names WHERE name = ?)`, ms(end), check)
	if err != nil {
		return fmt.Errorf("close incident %q: %w", check, err)
	}
	return nil
}

// OpenIncidents returns the incidents not closed yet, oldest first.
func (db *DB) OpenIncidents(ctx context.Context) ([]Incident, error) {
	return db.incidents(ctx, `WHERE i.end IS NULL ORDER BY i.start, i.id`)
}

// Incidents returns the incidents of check (every check when "") that started at or
// after since, newest first, at most limit (<= 0: 100).
func (db *DB) Incidents(ctx context.Context, check string, since time.Time, limit int) ([]Incident, error) {
	if limit <= 0 {
		limit = 100
	}
	return db.incidents(ctx, `WHERE (? = '' OR n.name = ?) AND i.start >= ? ORDER BY i.start DESC, i.id DESC LIMIT ?`,
		check, check, since.UnixMilli(), limit)
}

func (db *DB) incidents(ctx context.Context, where string, args ...any) ([]Incident, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT i.id, n.name, i.start, coalesce(i.end, 0), i.root_cause, i.alerted
		FROM incidents i JOIN check_names n ON n.id = i.check_id `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read incidents: %w", err)
	}
	defer rows.Close()
	var out []Incident
	for rows.Next() {
		var in Incident
		var start, end int64
		if err := rows.Scan(&in.ID, &in.Check, &start, &end, &in.RootCause, &in.Alerted); err != nil {
			return nil, fmt.Errorf("read incidents: %w", err)
		}
		in.Start, in.End = fromMS(start), fromMS(end)
		out = append(out, in)
	}
	return out, rows.Err()
}

// OutboxItem is one message waiting to be sent (or retried).
type OutboxItem struct {
	ID          int64
	ChatID      int64
	Kind        string
	Payload     []byte
	Attempts    int
	NextAttempt time.Time
	Created     time.Time
	LastError   string
}

// Enqueue writes a message to the outbox before any attempt to send it.
func (db *DB) Enqueue(ctx context.Context, chatID int64, kind string, payload []byte) (int64, error) {
	if payload == nil {
		payload = []byte{}
	}
	now := db.now().UnixMilli()
	res, err := db.w.ExecContext(ctx, `INSERT INTO outbox(chat_id, kind, payload, next_attempt, created) VALUES (?, ?, ?, ?, ?)`,
		chatID, kind, payload, now, now)
	if err != nil {
		return 0, fmt.Errorf("enqueue %s for chat %d: %w", kind, chatID, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("enqueue %s for chat %d: %w", kind, chatID, err)
	}
	return id, nil
}

// Pending returns unsent messages in id order (which is per-chat send order), whether or
// not their next attempt is due; the sender decides. limit <= 0 means 100.
func (db *DB) Pending(ctx context.Context, limit int) ([]OutboxItem, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id, chat_id, kind, payload, attempts, next_attempt, created, last_error
		FROM outbox WHERE sent IS NULL ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		var it OutboxItem
		var next, created int64
		if err := rows.Scan(&it.ID, &it.ChatID, &it.Kind, &it.Payload, &it.Attempts, &next, &created, &it.LastError); err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
		it.NextAttempt, it.Created = fromMS(next), fromMS(created)
		out = append(out, it)
	}
	return out, rows.Err()
}

// MarkSent records delivery; the item leaves Pending.
func (db *DB) MarkSent(ctx context.Context, id int64) error {
	res, err := db.w.ExecContext(ctx, `UPDATE outbox SET sent = ? WHERE id = ?`, db.now().UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("outbox %d: mark sent: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("outbox %d: mark sent: %w", id, ErrNotFound)
	}
	return nil
}

// Retry counts a failed attempt and sets when to try again.
func (db *DB) Retry(ctx context.Context, id int64, next time.Time, lastErr string) error {
	res, err := db.w.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, next_attempt = ?, last_error = ?
		WHERE id = ?`, ms(next), lastErr, id)
	if err != nil {
		return fmt.Errorf("outbox %d: retry: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("outbox %d: retry: %w", id, ErrNotFound)
	}
	return nil
}

// SaveChat remembers a chat the bot talks to (title updated on every call).
func (db *DB) SaveChat(ctx context.Context, id int64, title string) error {
	now := db.now().UnixMilli()
	_, err := db.w.ExecContext(ctx, `INSERT INTO chats(id, title, added, updated) VALUES (?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET title = excluded.title, updated = excluded.updated`, id, title, now, now)
	if err != nil {
		return fmt.Errorf("save chat %d: %w", id, err)
	}
	return nil
}

// Chat is a chat the bot has seen.
type Chat struct {
	ID    int64
	Title string
	Added time.Time
}

// Chats returns the known chats by id.
func (db *DB) Chats(ctx context.Context) ([]Chat, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, title, added FROM chats ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read chats: %w", err)
	}
	defer rows.Close()
	var out []Chat
	for rows.Next() {
		var c Chat
		var added int64
		if err := rows.Scan(&c.ID, &c.Title, &added); err != nil {
			return nil, fmt.Errorf("read chats: %w", err)
		}
		c.Added = fromMS(added)
		out = append(out, c)
	}
	return out, rows.Err()
}

// HeartbeatToken returns the push token of check, creating a random 128-bit one (hex)
// the first time. The token survives restarts.
func (db *DB) HeartbeatToken(ctx context.Context, check string) (string, error) {
	if check == "" {
		return "", errors.New("heartbeat token: empty check name")
	}
	var tok string
	err := db.r.QueryRowContext(ctx, `SELECT token FROM heartbeat_tokens WHERE check_name = ?`, check).Scan(&tok)
	if err == nil {
		return tok, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("heartbeat token of %q: %w", check, err)
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("heartbeat token of %q: %w", check, err)
	}
	// Two callers racing both insert; the first wins and both read it back.
	if _, err := db.w.ExecContext(ctx, `INSERT INTO heartbeat_tokens(check_name, token, created) VALUES (?, ?, ?)
		ON CONFLICT(check_name) DO NOTHING`, check, hex.EncodeToString(b[:]), db.now().UnixMilli()); err != nil {
		return "", fmt.Errorf("heartbeat token of %q: %w", check, err)
	}
	if err := db.w.QueryRowContext(ctx, `SELECT token FROM heartbeat_tokens WHERE check_name = ?`, check).Scan(&tok); err != nil {
		return "", fmt.Errorf("heartbeat token of %q: %w", check, err)
	}
	return tok, nil
}

// HeartbeatCheck returns the check a push token belongs to, or ErrNotFound.
func (db *DB) HeartbeatCheck(ctx context.Context, token string) (string, error) {
	var name string
	err := db.r.QueryRowContext(ctx, `SELECT check_name FROM heartbeat_tokens WHERE token = ?`, token).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("heartbeat token lookup: %w", err)
	}
	return name, nil
}
