package monitor

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
)

// Real servers for the database checks, started on 127.0.0.1 on first use and stopped by
// TestMain. A missing binary skips the test, except in CI where it fails.

var testServers struct {
	mu    sync.Mutex
	stops []func()
}

func atTestExit(f func()) {
	testServers.mu.Lock()
	defer testServers.mu.Unlock()
	testServers.stops = append(testServers.stops, f)
}

func stopTestServers() {
	testServers.mu.Lock()
	defer testServers.mu.Unlock()
	for i := len(testServers.stops) - 1; i >= 0; i-- {
		testServers.stops[i]()
	}
	testServers.stops = nil
}

// needBinary returns the first existing path among candidates (globs allowed) or skips;
// in CI a missing server is a failure, not a skip.
func needBinary(t testing.TB, candidates ...string) string {
	t.Helper()
	for _, c := range candidates {
		if strings.ContainsAny(c, "*?[") {
			m, _ := filepath.Glob(c)
			if len(m) > 0 {
				return m[len(m)-1]
			}
			continue
		}
		if filepath.IsAbs(c) {
			if _, err := os.Stat(c); err == nil {
				return c
			}
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("none of %v installed (required in CI)", candidates)
	}
	t.Skipf("none of %v installed", candidates)
	return ""
}

// freePort picks a loopback port nobody listens on right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitTCP(addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening after %s: %w", addr, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serverProc starts a server process that dies with the test binary.
func serverProc(name string, args []string, cred *syscall.Credential, logPath string) (*exec.Cmd, error) {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Credential: cred}
	if logPath != "" {
		f, err := os.Create(logPath)
		if err != nil {
			return nil, err
		}
		if cred != nil {
			_ = f.Chown(int(cred.Uid), int(cred.Gid))
		}
		cmd.Stdout, cmd.Stderr = f, f
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return cmd, nil
}

func stopProc(cmd *exec.Cmd) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// ---- PostgreSQL

type pgServer struct {
	Port     int
	User     string
	Password string
	err      error

	bin, dir string // for a replica: the binaries and the primary's temp dir
	cred     *syscall.Credential
}

var pgOnce struct {
	sync.Once
	srv pgServer
}

const testDBPassword = "s3cret-Pa55"

// startPostgres runs initdb and postgres (as the postgres user when root: it refuses root)
// with password authentication over TCP on 127.0.0.1.
func startPostgres(t testing.TB) pgServer {
	t.Helper()
	initdb := needBinary(t, "/usr/lib/postgresql/*/bin/initdb", "initdb")
	pgOnce.Do(func() { pgOnce.srv.err = pgStart(initdb) })
	if pgOnce.srv.err != nil {
		t.Fatalf("start postgres: %v", pgOnce.srv.err)
	}
	return pgOnce.srv
}

func pgStart(initdb string) error {
	bin := filepath.Dir(initdb)
	dir, err := os.MkdirTemp("", "statusmap-pg-")
	if err != nil {
		return err
	}
	atTestExit(func() { os.RemoveAll(dir) })
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("running as root needs the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return err
		}
	}
	pwfile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwfile, []byte(testDBPassword+"\n"), 0o600); err != nil {
		return err
	}
	if cred != nil {
		_ = os.Chown(pwfile, int(cred.Uid), int(cred.Gid))
	}
	data := filepath.Join(dir, "data")
	cmd := exec.Command(initdb, "-D", data, "-U", "postgres", "--pwfile", pwfile,
		"--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-sync")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	logPath := filepath.Join(dir, "log")
	proc, err := serverProc(filepath.Join(bin, "postgres"), []string{"-D", data, "-k", dir,
		"-p", strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"}, cred, logPath)
	if err != nil {
		return err
	}
	atTestExit(func() { stopProc(proc) })
	if err := waitTCP(fmt.Sprintf("127.0.0.1:%d", port), 20*time.Second); err != nil {
		return fmt.Errorf("%w\n%s", err, tail(logPath))
	}
	// Listening is not ready: poll until a session opens.
	if err := pgWaitReady(port, logPath); err != nil {
		return err
	}
	pgOnce.srv = pgServer{Port: port, User: "postgres", Password: testDBPassword, bin: bin, dir: dir, cred: cred}
	return nil
}

var pgReplicaOnce struct {
	sync.Once
	srv pgServer
}

// startPostgresReplica clones the primary with pg_basebackup and runs it as a streaming
// replica on its own port.
func startPostgresReplica(t testing.TB) pgServer {
	t.Helper()
	primary := startPostgres(t)
	pgReplicaOnce.Do(func() { pgReplicaOnce.srv.err = pgStartReplica(primary) })
	if pgReplicaOnce.srv.err != nil {
		t.Fatalf("start postgres replica: %v", pgReplicaOnce.srv.err)
	}
	return pgReplicaOnce.srv
}

func pgStartReplica(primary pgServer) error {
	data := filepath.Join(primary.dir, "replica")
	cmd := exec.Command(filepath.Join(primary.bin, "pg_basebackup"), "-D", data, "-R", "-X", "stream",
		"-h", "127.0.0.1", "-p", strconv.Itoa(primary.Port), "-U", primary.User, "--no-sync")
	cmd.Env = append(os.Environ(), "PGPASSWORD="+primary.Password)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: primary.cred}
	cmd.Dir = primary.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_basebackup: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	logPath := filepath.Join(primary.dir, "replica.log")
	proc, err := serverProc(filepath.Join(primary.bin, "postgres"), []string{"-D", data, "-k", primary.dir,
		"-p", strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"}, primary.cred, logPath)
	if err != nil {
		return err
	}
	atTestExit(func() { stopProc(proc) })
	if err := pgWaitReady(port, logPath); err != nil {
		return err
	}
	pgReplicaOnce.srv = pgServer{Port: port, User: primary.User, Password: primary.Password}
	return nil
}

func pgWaitReady(port int, logPath string) error {
	dsn := fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/postgres?sslmode=disable", testDBPassword, port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, dsn)
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready: %w\n%s", err, tail(logPath))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ---- MariaDB

type mariaServer struct {
	Port     int
	Socket   string
	User     string
	Password string
	err      error
}

var mariaOnce struct {
	sync.Once
	srv mariaServer
}

// startMariaDB initialises a datadir, starts mariadbd on 127.0.0.1 and creates the user
// "statusmap" with a password and the database "app" with one table.
func startMariaDB(t testing.TB) mariaServer {
	t.Helper()
	mariadbd := needBinary(t, "mariadbd", "/usr/sbin/mariadbd", "mysqld", "/usr/sbin/mysqld")
	install := needBinary(t, "mariadb-install-db", "mysql_install_db")
	mariaOnce.Do(func() { mariaOnce.srv.err = mariaStart(mariadbd, install) })
	if mariaOnce.srv.err != nil {
		t.Fatalf("start mariadb: %v", mariaOnce.srv.err)
	}
	return mariaOnce.srv
}

func mariaStart(mariadbd, install string) error {
	dir, err := os.MkdirTemp("", "statusmap-maria-")
	if err != nil {
		return err
	}
	atTestExit(func() { os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	var userArgs []string
	if os.Geteuid() == 0 {
		userArgs = []string{"--user=root"}
	}
	args := append([]string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal",
		"--skip-test-db"}, userArgs...)
	if out, err := exec.Command(install, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("install db: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	sock := filepath.Join(dir, "mysqld.sock")
	logPath := filepath.Join(dir, "log")
	srvArgs := append([]string{"--no-defaults", "--datadir=" + data, "--socket=" + sock,
		"--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1", "--skip-log-bin",
		"--pid-file=" + filepath.Join(dir, "pid"), "--innodb-buffer-pool-size=16M",
		"--log-error=" + logPath}, userArgs...)
	proc, err := serverProc(mariadbd, srvArgs, nil, "")
	if err != nil {
		return err
	}
	atTestExit(func() { stopProc(proc) })
	if err := waitTCP(fmt.Sprintf("127.0.0.1:%d", port), 30*time.Second); err != nil {
		return fmt.Errorf("%w\n%s", err, tail(logPath))
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", sock
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// The TCP port can open before the unix socket: poll until a session opens there.
	for {
		err := db.PingContext(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return fmt.Errorf("mariadb socket not ready: %w\n%s", err, tail(logPath))
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, q := range []string{
		"CREATE DATABASE app",
		"CREATE TABLE app.items (id INT PRIMARY KEY, name VARCHAR(40))",
		"INSERT INTO app.items VALUES (1, 'one'), (2, 'two')",
		"CREATE USER 'statusmap'@'127.0.0.1' IDENTIFIED BY '" + testDBPassword + "'",
		"GRANT ALL ON app.* TO 'statusmap'@'127.0.0.1'",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	mariaOnce.srv = mariaServer{Port: port, Socket: sock, User: "statusmap", Password: testDBPassword}
	return nil
}

// ---- Redis

type redisServer struct {
	Addr     string
	Password string
	err      error
}

var redisOnce struct {
	sync.Once
	srv redisServer
}

// startRedis runs redis-server on 127.0.0.1 with requirepass and without persistence.
func startRedis(t testing.TB) redisServer {
	t.Helper()
	bin := needBinary(t, "redis-server", "/usr/bin/redis-server")
	redisOnce.Do(func() { redisOnce.srv.err = redisStart(bin) })
	if redisOnce.srv.err != nil {
		t.Fatalf("start redis: %v", redisOnce.srv.err)
	}
	return redisOnce.srv
}

func redisStart(bin string) error {
	dir, err := os.MkdirTemp("", "statusmap-redis-")
	if err != nil {
		return err
	}
	atTestExit(func() { os.RemoveAll(dir) })
	port, err := freePort()
	if err != nil {
		return err
	}
	logPath := filepath.Join(dir, "log")
	proc, err := serverProc(bin, []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--requirepass", testDBPassword, "--save", "", "--appendonly", "no", "--dir", dir,
		"--daemonize", "no"}, nil, logPath)
	if err != nil {
		return err
	}
	atTestExit(func() { stopProc(proc) })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := waitTCP(addr, 10*time.Second); err != nil {
		return fmt.Errorf("%w\n%s", err, tail(logPath))
	}
	redisOnce.srv = redisServer{Addr: addr, Password: testDBPassword}
	return nil
}
