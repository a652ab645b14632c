// Package postgresql implements the resources of @pulumi/postgresql (3.18.1) the programs use —
// Database, Role, Grant, DefaultPrivileges — with pgx, following the behaviour of the Terraform
// provider the SDK bridges (cyrilgdn/terraform-provider-postgresql): same property names, same
// defaults, same IDs, revoke-then-grant for privileges, REASSIGN/DROP OWNED before DROP ROLE.
package postgresql

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"clinicmaster.local/tools/pulumi-providers/internal/kit"
)

// Config is the provider configuration (the @pulumi/postgresql Provider arguments this provider
// supports).
type Config struct {
	Host     string
	Port     int
	Username string
	Password string
	// Database is the maintenance database the provider connects to for cluster-wide statements.
	Database string
	// SSLMode is libpq's sslmode. Default: $PGSSLMODE, else "require" (lib/pq's default, which the
	// Terraform provider inherits); the local stack passes "disable" on loopback.
	SSLMode     string
	SSLRootCert string
	SSLCert     string
	SSLKey      string
	// Superuser says whether the login is a superuser (informational: the provider checks
	// pg_roles.rolsuper itself before granting roles to itself temporarily).
	Superuser      bool
	ConnectTimeout time.Duration
	// MaxConnections bounds the connections per database. Default 4.
	MaxConnections int
}

// Client holds lazily opened connections, a few per database, with the same credentials.
type Client struct {
	cfg   Config
	mu    sync.Mutex
	pools map[string]*dbPool
	// server facts, read on first use
	factsMu sync.Mutex
	facts   serverFacts
}

type serverFacts struct {
	version int // server_version_num
}

type dbPool struct {
	sem  chan struct{}
	mu   sync.Mutex
	idle []*pgx.Conn
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// NewClient reads the provider configuration. It does not connect (previews configure providers
// too, possibly with unknown values); the first operation does.
func NewClient(p kit.Props) (*Client, error) {
	cfg := Config{
		Host:        kit.Str(p, "host"),
		Username:    kit.Str(p, "username"),
		Password:    kit.Str(p, "password"),
		Database:    kit.Str(p, "database"),
		SSLMode:     kit.Str(p, "sslmode"),
		SSLRootCert: kit.Str(p, "sslrootcert"),
	}
	if cfg.SSLMode == "" {
		cfg.SSLMode = kit.Str(p, "sslMode") // deprecated spelling
	}
	if cfg.Host == "" {
		cfg.Host = os.Getenv("PGHOST")
	}
	if cfg.Username == "" {
		cfg.Username = envOr("PGUSER", "postgres")
	}
	if cfg.Password == "" {
		cfg.Password = os.Getenv("PGPASSWORD")
	}
	if cfg.Database == "" {
		cfg.Database = envOr("PGDATABASE", "postgres")
	}
	if cfg.SSLMode == "" {
		cfg.SSLMode = envOr("PGSSLMODE", "require")
	}
	switch cfg.SSLMode {
	case "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
	default:
		return nil, fmt.Errorf("sslmode: %q is not one of disable, allow, prefer, require, verify-ca, verify-full", cfg.SSLMode)
	}
	defPort, err := strconv.Atoi(envOr("PGPORT", "5432"))
	if err != nil {
		return nil, fmt.Errorf("PGPORT: %q is not a number", os.Getenv("PGPORT"))
	}
	if cfg.Port, err = kit.Int(p, "port", defPort); err != nil {
		return nil, err
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("port: %d is not a TCP port", cfg.Port)
	}
	defTimeout, _ := strconv.Atoi(envOr("PGCONNECT_TIMEOUT", "180"))
	timeout, err := kit.Int(p, "connectTimeout", defTimeout)
	if err != nil {
		return nil, err
	}
	if timeout < 0 {
		return nil, fmt.Errorf("connectTimeout: %d is negative", timeout)
	}
	cfg.ConnectTimeout = time.Duration(timeout) * time.Second
	if cfg.Superuser, err = kit.Bool(p, "superuser", true); err != nil {
		return nil, err
	}
	if cfg.MaxConnections, err = kit.Int(p, "maxConnections", 4); err != nil {
		return nil, err
	}
	if cfg.MaxConnections < 1 || cfg.MaxConnections > 4 {
		cfg.MaxConnections = 4
	}
	if s := kit.Str(p, "scheme"); s != "" && s != "postgres" {
		return nil, fmt.Errorf("scheme: %q is not supported by this provider (only \"postgres\")", s)
	}
	for _, k := range []string{"awsRdsIamAuth", "azureIdentityAuth"} {
		if b, err := kit.Bool(p, k, false); err != nil {
			return nil, err
		} else if b {
			return nil, fmt.Errorf("%s is not supported by this provider; use username/password", k)
		}
	}
	if kit.Known(p, "gcpIamImpersonateServiceAccount") && kit.Str(p, "gcpIamImpersonateServiceAccount") != "" {
		return nil, fmt.Errorf("gcpIamImpersonateServiceAccount is not supported by this provider")
	}
	if cc := kit.Str(p, "clientcert"); cc != "" && cc != "null" {
		var m struct {
			Cert      string `json:"cert"`
			Key       string `json:"key"`
			SSLInline bool   `json:"sslinline"`
		}
		if err := json.Unmarshal([]byte(cc), &m); err != nil {
			return nil, fmt.Errorf("clientcert: expected an object with cert and key, got %q", cc)
		}
		if m.SSLInline {
			return nil, fmt.Errorf("clientcert.sslinline is not supported by this provider; pass file paths")
		}
		cfg.SSLCert, cfg.SSLKey = m.Cert, m.Key
	}
	return &Client{cfg: cfg, pools: map[string]*dbPool{}}, nil
}

// quoteConnValue quotes a keyword/value connection-string value.
func quoteConnValue(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func (c *Client) connConfig(database string) (*pgx.ConnConfig, error) {
	if c.cfg.Host == "" {
		return nil, fmt.Errorf("the provider has no host (set the provider's host, or PGHOST)")
	}
	parts := []string{
		"host=" + quoteConnValue(c.cfg.Host),
		"port=" + strconv.Itoa(c.cfg.Port),
		"user=" + quoteConnValue(c.cfg.Username),
		"dbname=" + quoteConnValue(database),
		"sslmode=" + quoteConnValue(c.cfg.SSLMode),
	}
	if c.cfg.SSLRootCert != "" {
		parts = append(parts, "sslrootcert="+quoteConnValue(c.cfg.SSLRootCert))
	}
	if c.cfg.SSLCert != "" {
		parts = append(parts, "sslcert="+quoteConnValue(c.cfg.SSLCert), "sslkey="+quoteConnValue(c.cfg.SSLKey))
	}
	// The password is set on the parsed configuration, never put in a string that could be echoed.
	cc, err := pgx.ParseConfig(strings.Join(parts, " "))
	if err != nil {
		return nil, fmt.Errorf("provider configuration: %v", err)
	}
	if c.cfg.Password != "" {
		cc.Password = c.cfg.Password
	}
	cc.ConnectTimeout = c.cfg.ConnectTimeout
	cc.RuntimeParams["application_name"] = "pulumi-resource-postgresql"
	return cc, nil
}

func (c *Client) pool(database string) *dbPool {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.pools[database]
	if !ok {
		p = &dbPool{sem: make(chan struct{}, c.cfg.MaxConnections)}
		c.pools[database] = p
	}
	return p
}

// conn runs fn with a connection to database ("" = the provider's database).
func (c *Client) conn(ctx context.Context, database string, fn func(*pgx.Conn) error) error {
	if database == "" {
		database = c.cfg.Database
	}
	p := c.pool(database)
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("waiting for a connection to database %q: %w", database, ctx.Err())
	}
	defer func() { <-p.sem }()
	var conn *pgx.Conn
	for conn == nil {
		p.mu.Lock()
		if n := len(p.idle); n > 0 {
			conn = p.idle[n-1]
			p.idle = p.idle[:n-1]
		}
		p.mu.Unlock()
		if conn == nil {
			break
		}
		if conn.IsClosed() || conn.Ping(ctx) != nil {
			_ = conn.Close(context.Background())
			conn = nil
		}
	}
	if conn == nil {
		cc, err := c.connConfig(database)
		if err != nil {
			return err
		}
		if conn, err = pgx.ConnectConfig(ctx, cc); err != nil {
			return &connectError{database: database, host: c.cfg.Host, port: c.cfg.Port, user: c.cfg.Username, err: err}
		}
	}
	err := fn(conn)
	if conn.IsClosed() || conn.PgConn().TxStatus() != 'I' {
		_ = conn.Close(context.Background())
	} else {
		p.mu.Lock()
		p.idle = append(p.idle, conn)
		p.mu.Unlock()
	}
	return err
}

// closeIdle closes the idle connections to database (before it is dropped).
func (c *Client) closeIdle(database string) {
	p := c.pool(database)
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, conn := range idle {
		_ = conn.Close(context.Background())
	}
}

// Close closes every idle connection.
func (c *Client) Close() {
	c.mu.Lock()
	var dbs []string
	for db := range c.pools {
		dbs = append(dbs, db)
	}
	c.mu.Unlock()
	for _, db := range dbs {
		c.closeIdle(db)
	}
}

// tx runs fn in a transaction on database, holding this provider's per-database lock so privilege
// changes on the same catalog rows (schema/database ACLs) do not collide ("tuple concurrently
// updated").
func (c *Client) tx(ctx context.Context, database string, fn func(pgx.Tx) error) error {
	return c.conn(ctx, database, func(conn *pgx.Conn) error {
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", advisoryLockKey); err != nil {
				return fmt.Errorf("taking the provider's lock in database %q: %w", database, err)
			}
			return fn(tx)
		})
	})
}

// advisoryLockKey is this provider's transaction-level advisory lock (advisory locks are scoped to
// the current database).
const advisoryLockKey int64 = 0x70756c756d69 // "pulumi"

func (c *Client) serverVersion(ctx context.Context) (int, error) {
	c.factsMu.Lock()
	defer c.factsMu.Unlock()
	if c.facts.version != 0 {
		return c.facts.version, nil
	}
	err := c.conn(ctx, "", func(conn *pgx.Conn) error {
		var v string
		if err := conn.QueryRow(ctx, "SELECT current_setting('server_version_num')").Scan(&v); err != nil {
			return err
		}
		n, err := strconv.Atoi(v)
		c.facts.version = n
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("reading the server version: %w", err)
	}
	return c.facts.version, nil
}

// databaseExists says whether database exists (checked on the provider's database).
func (c *Client) databaseExists(ctx context.Context, database string) (exists, allowConn bool, err error) {
	err = c.conn(ctx, "", func(conn *pgx.Conn) (e error) {
		exists, e = scanOne(conn.QueryRow(ctx, "SELECT datallowconn FROM pg_catalog.pg_database WHERE datname = $1", database), &allowConn)
		return e
	})
	return exists, allowConn, err
}

// scanOne scans a row that may not exist: found is false, with no error, when there is no row.
func scanOne(row pgx.Row, dest ...any) (found bool, err error) {
	err = row.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

type connectError struct {
	database, host, user string
	port                 int
	err                  error
}

func (e *connectError) Error() string {
	return fmt.Sprintf("connecting to database %q on %s:%d as %q: %s", e.database, e.host, e.port, e.user, describe(e.err))
}

func (e *connectError) Unwrap() error { return e.err }

// describe renders an error with the server's message and SQLSTATE (and detail/hint when given).
func describe(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		s := fmt.Sprintf("%s (SQLSTATE %s)", pe.Message, pe.Code)
		if pe.Detail != "" {
			s += "; detail: " + pe.Detail
		}
		if pe.Hint != "" {
			s += "; hint: " + pe.Hint
		}
		return s
	}
	return err.Error()
}

// sqlError wraps a failed statement: what was being done, on which object, and the server's answer.
func sqlError(what string, err error) error {
	return &opError{what: what, err: err}
}

type opError struct {
	what string
	err  error
}

func (e *opError) Error() string { return e.what + ": " + describe(e.err) }
func (e *opError) Unwrap() error { return e.err }

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// ident quotes an identifier.
func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// roleIdent quotes a role name; "public" is the PUBLIC pseudo-role.
func roleIdent(name string) string {
	if strings.EqualFold(name, "public") {
		return "PUBLIC"
	}
	return ident(name)
}

// literal quotes a string literal (independent of standard_conforming_strings).
func literal(s string) string {
	s = strings.ReplaceAll(s, "'", "''")
	if strings.Contains(s, `\`) {
		return " E'" + strings.ReplaceAll(s, `\`, `\\`) + "'"
	}
	return "'" + s + "'"
}

// withRolesGranted runs fn with the current user temporarily a member of roles when it is not a
// superuser (as on RDS), like the Terraform provider: changing privileges on objects owned by
// another role, or its default privileges, or reassigning what it owns, needs its privileges.
func withRolesGranted(ctx context.Context, tx pgx.Tx, version int, roles []string, fn func() error) error {
	if len(roles) == 0 {
		return fn()
	}
	var current string
	var super bool
	if err := tx.QueryRow(ctx, "SELECT current_user, rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user").Scan(&current, &super); err != nil {
		return sqlError("reading the current user", err)
	}
	if super {
		return fn()
	}
	var granted, reversed []string
	seen := map[string]bool{}
	for _, role := range roles {
		if role == current || seen[role] || strings.EqualFold(role, "public") {
			continue
		}
		seen[role] = true
		var roleSuper bool
		err := tx.QueryRow(ctx, "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = $1", role).Scan(&roleSuper)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return sqlError(fmt.Sprintf("reading role %q", role), err)
		}
		if roleSuper {
			continue
		}
		// PostgreSQL refuses circular membership: drop "current is a member of role"'s opposite first.
		if m, err := isMember(ctx, tx, version, current, role); err != nil {
			return err
		} else if m {
			if _, err := tx.Exec(ctx, fmt.Sprintf("REVOKE %s FROM %s", ident(current), ident(role))); err != nil {
				return sqlError(fmt.Sprintf("temporarily revoking %q from %q", current, role), err)
			}
			reversed = append(reversed, role)
		}
		if m, err := isMember(ctx, tx, version, role, current); err != nil {
			return err
		} else if !m {
			if _, err := tx.Exec(ctx, fmt.Sprintf("GRANT %s TO %s", ident(role), ident(current))); err != nil {
				return sqlError(fmt.Sprintf("temporarily granting role %q to %q (the provider's login is not a superuser and needs that role's privileges)", role, current), err)
			}
			granted = append(granted, role)
		}
	}
	if err := fn(); err != nil {
		return err
	}
	for _, role := range granted {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1)", role).Scan(&exists); err != nil {
			return sqlError("reading roles", err)
		}
		if !exists {
			continue
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf("REVOKE %s FROM %s", ident(role), ident(current))); err != nil {
			return sqlError(fmt.Sprintf("revoking the temporary membership of %q in %q", current, role), err)
		}
	}
	for _, role := range reversed {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1)", role).Scan(&exists); err != nil {
			return sqlError("reading roles", err)
		}
		if !exists {
			continue
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf("GRANT %s TO %s", ident(current), ident(role))); err != nil {
			return sqlError(fmt.Sprintf("granting %q back to %q", current, role), err)
		}
	}
	return nil
}

// isMember says whether member is a direct member of role (with SET on PostgreSQL 16+).
func isMember(ctx context.Context, q pgx.Tx, version int, role, member string) (bool, error) {
	query := `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members
		WHERE roleid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1)
		  AND member = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $2)`
	if version >= 160000 {
		query += " AND set_option"
	}
	query += ")"
	var ok bool
	if err := q.QueryRow(ctx, query, role, member).Scan(&ok); err != nil {
		return false, sqlError(fmt.Sprintf("reading whether %q is a member of %q", member, role), err)
	}
	return ok, nil
}

// sortedSet returns the distinct values sorted.
func sortedSet(in []string) []string {
	m := map[string]bool{}
	out := []string{}
	for _, s := range in {
		if !m[s] {
			m[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func equalSets(a, b []string) bool {
	a, b = sortedSet(a), sortedSet(b)
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
