package postgresql

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// testServer is a throwaway PostgreSQL 15 on a free loopback port (SCRAM authentication, like the
// local stack and RDS).
type testServer struct {
	port     int
	password string
	dir      string
	logPath  string
}

// pgBinDir is Debian's PostgreSQL 15 (override with CLINICMASTER_PG_BIN, as infra/local does).
func pgBinDir() string {
	if d := os.Getenv("CLINICMASTER_PG_BIN"); d != "" {
		return d
	}
	return "/usr/lib/postgresql/15/bin"
}

// serverCredential: PostgreSQL refuses to run as root, so as root it runs as the postgres account.
func serverCredential(t *testing.T) (*syscall.Credential, int, int) {
	if os.Geteuid() != 0 {
		return nil, -1, -1
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("running as root, PostgreSQL needs an unprivileged `postgres` account and there is none (%v); install postgresql-15 (bash scripts/install-system-deps.sh), which creates it", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, uid, gid
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free loopback port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startPostgres initialises and starts a server; it is stopped and its directory removed when the
// test ends, whatever the outcome.
func startPostgres(t *testing.T) *testServer {
	t.Helper()
	bin := pgBinDir()
	for _, b := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			t.Fatalf("PostgreSQL 15 server binaries are required for this test and %s is missing (%v); install postgresql-15 (bash scripts/install-system-deps.sh) or set CLINICMASTER_PG_BIN", filepath.Join(bin, b), err)
		}
	}
	cred, uid, gid := serverCredential(t)
	dir, err := os.MkdirTemp("", "pulumi-postgresql-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	s := &testServer{port: freePort(t), password: "admin-pw-" + strconv.FormatInt(time.Now().UnixNano(), 36), dir: dir, logPath: filepath.Join(dir, "postgres.log")}
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sock"), 0o700); err != nil {
		t.Fatal(err)
	}
	if cred != nil {
		for _, p := range []string{dir, pwfile, filepath.Join(dir, "sock")} {
			if err := os.Chown(p, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
	}
	run := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "TZ=UTC"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
		return cmd
	}
	data := filepath.Join(dir, "data")
	initdb := run("initdb", "-D", data, "-U", "postgres", "--pwfile", pwfile, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb failed: %v\n%s", err, out)
	}
	logf, err := os.Create(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	srv := run("postgres", "-D", data,
		"-c", "listen_addresses=127.0.0.1", "-c", "port="+strconv.Itoa(s.port),
		"-c", "unix_socket_directories="+filepath.Join(dir, "sock"),
		"-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off",
		"-c", "max_connections=100", "-c", "log_min_messages=warning")
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		t.Fatalf("starting postgres: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	t.Cleanup(func() {
		// Fast shutdown; kill the process group if it does not stop in time.
		_ = srv.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-srv.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("postgres exited while starting (%v); its log:\n%s", err, s.log())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := s.connect(ctx, "postgres", "postgres", s.password)
		cancel()
		if err == nil {
			_ = conn.Close(context.Background())
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("postgres did not accept connections on 127.0.0.1:%d within 30 s (%v); its log:\n%s", s.port, err, s.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *testServer) log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(bytes.TrimSpace(b))
}

func (s *testServer) connect(ctx context.Context, database, user, password string) (*pgx.Conn, error) {
	cc, err := pgx.ParseConfig(fmt.Sprintf("host=127.0.0.1 port=%d dbname=%s user=%s sslmode=disable connect_timeout=5", s.port, database, user))
	if err != nil {
		return nil, err
	}
	cc.Password = password
	return pgx.ConnectConfig(ctx, cc)
}

// superuser connects to database as the bootstrap superuser, with a 20 s bound; done closes both.
func (s *testServer) superuser(t *testing.T, database string) (context.Context, *pgx.Conn, func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	conn, err := s.connect(ctx, database, "postgres", s.password)
	if err != nil {
		cancel()
		t.Fatalf("connecting to %s as postgres: %v", database, err)
	}
	return ctx, conn, func() {
		_ = conn.Close(ctx)
		cancel()
	}
}

// exec runs statements as the bootstrap superuser in database.
func (s *testServer) exec(t *testing.T, database string, sqls ...string) {
	t.Helper()
	ctx, conn, done := s.superuser(t, database)
	defer done()
	for _, q := range sqls {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// query returns the first column of every row, as text.
func (s *testServer) query(t *testing.T, database, q string, args ...any) []string {
	t.Helper()
	ctx, conn, done := s.superuser(t, database)
	defer done()
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}
