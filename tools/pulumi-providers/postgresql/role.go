package postgresql

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"clinicmaster.local/tools/pulumi-providers/internal/kit"
)

var roleInputs = []string{
	"name", "login", "password", "connectionLimit", "createDatabase", "createRole", "superuser",
	"inherit", "replication", "bypassRowLevelSecurity", "roles", "searchPaths", "validUntil",
	"encryptedPassword", "skipDropRole", "skipReassignOwned", "statementTimeout",
	"idleInTransactionSessionTimeout", "assumeRole",
}

// Role options that are absent unless given (no Terraform default): they are returned only when
// they were given or are set on the server, so a refresh adds no input the program never set.
var roleOptional = []string{"roles", "searchPaths", "statementTimeout", "idleInTransactionSessionTimeout", "assumeRole"}

func roleResource() *kit.Resource[*Client] {
	return &kit.Resource[*Client]{
		Token:  "postgresql:index/role:Role",
		Inputs: roleInputs,
		Defaults: map[string]any{
			"login": false, "connectionLimit": -1.0, "createDatabase": false, "createRole": false,
			"superuser": false, "inherit": true, "replication": false, "bypassRowLevelSecurity": false,
			"validUntil": "infinity", "encryptedPassword": true, "skipDropRole": false,
			"skipReassignOwned": false,
		},
		// The role's name is its identity (the ID): a new name is a new role. A forced replacement
		// with the same name must drop the old role first.
		Replace:             []string{"name"},
		DeleteBeforeReplace: true,
		SecretOutputs:       []string{"password"},
		Normalize: func(in kit.Props) {
			normalizeStrings(in, "roles", true, nil)
		},
		Validate: validateRole,
		Create:   createRole,
		Read: func(ctx context.Context, c *Client, id string, state kit.Props) (map[string]any, error) {
			return readRole(ctx, c, id, state)
		},
		Update: updateRole,
		Delete: deleteRole,
	}
}

// normalizeStrings rewrites a known list of known strings: mapped (when map is given), and sorted
// without duplicates when set is true. Lists with unknown elements are left alone.
func normalizeStrings(in kit.Props, key string, set bool, mapper func(string) string) {
	v, ok := in[resource.PropertyKey(key)]
	if !ok || !v.IsArray() || v.ContainsUnknowns() {
		return
	}
	var s []string
	for _, e := range v.ArrayValue() {
		if !e.IsString() {
			return
		}
		x := e.StringValue()
		if mapper != nil {
			x = mapper(x)
		}
		s = append(s, x)
	}
	if set {
		s = sortedSet(s)
	}
	arr := make([]resource.PropertyValue, len(s))
	for i, x := range s {
		arr[i] = resource.NewProperty(x)
	}
	in[resource.PropertyKey(key)] = resource.NewProperty(arr)
}

func validateRole(in kit.Props) []kit.Failure {
	var f []kit.Failure
	if kit.Known(in, "name") && kit.Str(in, "name") == "" {
		f = append(f, kit.Failure{Property: "name", Reason: "name must not be empty"})
	} else if !kit.Known(in, "name") && !kit.Unknown(in, "name") {
		f = append(f, kit.Failure{Property: "name", Reason: "name is required"})
	}
	if n, err := kit.Int(in, "connectionLimit", -1); err != nil || n < -1 {
		f = append(f, kit.Failure{Property: "connectionLimit", Reason: "connectionLimit must be a whole number of at least -1 (-1: no limit)"})
	}
	for _, k := range []string{"statementTimeout", "idleInTransactionSessionTimeout"} {
		if n, err := kit.Int(in, k, 0); err != nil || n < 0 {
			f = append(f, kit.Failure{Property: k, Reason: k + " must be a whole number of milliseconds, at least 0"})
		}
	}
	for _, k := range []string{"login", "createDatabase", "createRole", "superuser", "inherit", "replication", "bypassRowLevelSecurity", "encryptedPassword", "skipDropRole", "skipReassignOwned"} {
		if _, err := kit.Bool(in, k, false); err != nil {
			f = append(f, kit.Failure{Property: k, Reason: err.Error()})
		}
	}
	if enc, _ := kit.Bool(in, "encryptedPassword", true); !enc {
		f = append(f, kit.Failure{Property: "encryptedPassword", Reason: "encryptedPassword: false is not supported (PostgreSQL 10 and later store every password hashed)"})
	}
	if strings.ContainsRune(kit.Str(in, "password"), 0) {
		f = append(f, kit.Failure{Property: "password", Reason: "password must not contain NUL characters"})
	}
	for _, k := range []string{"passwordWo", "passwordWoVersion", "encrypted"} {
		if kit.Known(in, k) {
			f = append(f, kit.Failure{Property: k, Reason: k + " is not supported by this provider; use password"})
		}
	}
	if _, err := kit.Strs(in, "roles", true); err != nil {
		f = append(f, kit.Failure{Property: "roles", Reason: err.Error()})
	}
	if paths, err := kit.Strs(in, "searchPaths", false); err != nil {
		f = append(f, kit.Failure{Property: "searchPaths", Reason: err.Error()})
	} else {
		for _, p := range paths {
			if strings.Contains(p, ", ") {
				f = append(f, kit.Failure{Property: "searchPaths", Reason: fmt.Sprintf("search path entry %q must not contain \", \"", p)})
			}
		}
	}
	return f
}

// passwordClause renders PASSWORD '...' — the SCRAM-SHA-256 verifier computed here when the server
// stores SCRAM verifiers and the password is printable ASCII (so the cleartext never reaches the
// server's statement log), else the escaped cleartext. It is never part of an error message.
func passwordClause(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, password string) (string, error) {
	if strings.EqualFold(password, "NULL") {
		return "PASSWORD NULL", nil
	}
	value := password
	if !strings.HasPrefix(password, "SCRAM-SHA-256$") && !strings.HasPrefix(password, "md5") && printableASCII(password) {
		var enc string
		if err := q.QueryRow(ctx, "SELECT current_setting('password_encryption')").Scan(&enc); err != nil {
			return "", sqlError("reading password_encryption", err)
		}
		if enc == "scram-sha-256" {
			v, err := scramVerifier(password)
			if err != nil {
				return "", err
			}
			value = v
		}
	}
	return "ENCRYPTED PASSWORD " + literal(value), nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return s != ""
}

// scramVerifier computes a SCRAM-SHA-256 verifier as PostgreSQL stores it (RFC 7677, 4096 rounds).
func scramVerifier(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	const iterations = 4096
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, 32)
	if err != nil {
		return "", err
	}
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	clientKey := mac(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	serverKey := mac(salted, "Server Key")
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", iterations, b64(salt), b64(stored[:]), b64(serverKey)), nil
}

func boolOpt(in kit.Props, key, on, off string, def bool) string {
	if b, _ := kit.Bool(in, key, def); b {
		return on
	}
	return off
}

func validUntilClause(v string) string {
	if v == "" || strings.EqualFold(v, "infinity") {
		return "VALID UNTIL 'infinity'"
	}
	return "VALID UNTIL " + literal(v)
}

func createRole(ctx context.Context, c *Client, in kit.Props) (string, map[string]any, error) {
	name := kit.Str(in, "name")
	err := c.tx(ctx, "", func(tx pgx.Tx) error {
		opts := []string{}
		if pw := kit.Str(in, "password"); pw != "" {
			clause, err := passwordClause(ctx, tx, pw)
			if err != nil {
				return err
			}
			opts = append(opts, clause)
		}
		limit, _ := kit.Int(in, "connectionLimit", -1)
		opts = append(opts,
			validUntilClause(kit.Str(in, "validUntil")),
			fmt.Sprintf("CONNECTION LIMIT %d", limit),
			boolOpt(in, "superuser", "SUPERUSER", "NOSUPERUSER", false),
			boolOpt(in, "createDatabase", "CREATEDB", "NOCREATEDB", false),
			boolOpt(in, "createRole", "CREATEROLE", "NOCREATEROLE", false),
			boolOpt(in, "inherit", "INHERIT", "NOINHERIT", true),
			boolOpt(in, "login", "LOGIN", "NOLOGIN", false),
			boolOpt(in, "bypassRowLevelSecurity", "BYPASSRLS", "NOBYPASSRLS", false),
			boolOpt(in, "replication", "REPLICATION", "NOREPLICATION", false),
		)
		// The statement may hold the password: report the server's message only.
		if _, err := tx.Exec(ctx, "CREATE ROLE "+ident(name)+" WITH "+strings.Join(opts, " ")); err != nil {
			return sqlError(fmt.Sprintf("creating role %q", name), err)
		}
		return applyRoleSettings(ctx, tx, name, nil, in)
	})
	if err != nil {
		return "", nil, err
	}
	outs, err := readRole(ctx, c, name, in)
	if err != nil {
		return "", nil, err
	}
	if outs == nil {
		return "", nil, fmt.Errorf("role %q was created but cannot be read back", name)
	}
	return name, outs, nil
}

// applyRoleSettings applies memberships and per-role settings that differ between olds (nil on
// create) and news.
func applyRoleSettings(ctx context.Context, tx pgx.Tx, name string, olds, news kit.Props) error {
	isNew := olds == nil
	if olds == nil {
		olds = kit.Props{}
	}
	exec := func(what, sql string) error {
		if _, err := tx.Exec(ctx, sql); err != nil {
			return sqlError(fmt.Sprintf("%s of role %q", what, name), err)
		}
		return nil
	}
	// Memberships: GRANT what is wanted and missing, REVOKE what is there and not wanted.
	wanted, _ := kit.Strs(news, "roles", true)
	var live []string
	if !isNew {
		var err error
		if live, err = memberships(ctx, tx, name); err != nil {
			return err
		}
	}
	liveSet := map[string]bool{}
	for _, r := range live {
		liveSet[r] = true
	}
	wantSet := map[string]bool{}
	for _, r := range wanted {
		wantSet[r] = true
		if !liveSet[r] {
			if _, err := tx.Exec(ctx, fmt.Sprintf("GRANT %s TO %s", ident(r), ident(name))); err != nil {
				return sqlError(fmt.Sprintf("granting role %q to role %q", r, name), err)
			}
		}
	}
	for _, r := range live {
		if !wantSet[r] {
			if _, err := tx.Exec(ctx, fmt.Sprintf("REVOKE %s FROM %s", ident(r), ident(name))); err != nil {
				return sqlError(fmt.Sprintf("revoking role %q from role %q", r, name), err)
			}
		}
	}
	if changed(olds, news, "searchPaths") {
		paths, _ := kit.Strs(news, "searchPaths", false)
		if len(paths) == 0 {
			if !isNew {
				if err := exec("resetting search_path", fmt.Sprintf("ALTER ROLE %s RESET search_path", ident(name))); err != nil {
					return err
				}
			}
		} else {
			q := make([]string, len(paths))
			for i, p := range paths {
				q[i] = ident(p)
			}
			if err := exec("setting search_path", fmt.Sprintf("ALTER ROLE %s SET search_path TO %s", ident(name), strings.Join(q, ", "))); err != nil {
				return err
			}
		}
	}
	for _, s := range []struct{ key, param string }{
		{"statementTimeout", "statement_timeout"},
		{"idleInTransactionSessionTimeout", "idle_in_transaction_session_timeout"},
	} {
		if !changed(olds, news, s.key) {
			continue
		}
		n, _ := kit.Int(news, s.key, 0)
		if n != 0 {
			if err := exec("setting "+s.param, fmt.Sprintf("ALTER ROLE %s SET %s TO %d", ident(name), s.param, n)); err != nil {
				return err
			}
		} else if !isNew {
			if err := exec("resetting "+s.param, fmt.Sprintf("ALTER ROLE %s RESET %s", ident(name), s.param)); err != nil {
				return err
			}
		}
	}
	if changed(olds, news, "assumeRole") {
		if r := kit.Str(news, "assumeRole"); r != "" {
			if err := exec("setting the role assumed at login", fmt.Sprintf("ALTER ROLE %s SET ROLE TO %s", ident(name), ident(r))); err != nil {
				return err
			}
		} else if !isNew {
			if err := exec("resetting the role assumed at login", fmt.Sprintf("ALTER ROLE %s RESET ROLE", ident(name))); err != nil {
				return err
			}
		}
	}
	return nil
}

func memberships(ctx context.Context, tx pgx.Tx, name string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT pg_catalog.pg_get_userbyid(m.roleid) FROM pg_catalog.pg_auth_members m
		JOIN pg_catalog.pg_roles r ON r.oid = m.member WHERE r.rolname = $1`, name)
	if err != nil {
		return nil, sqlError(fmt.Sprintf("reading the roles %q is a member of", name), err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, sqlError(fmt.Sprintf("reading the roles %q is a member of", name), err)
	}
	return sortedSet(out), nil
}

func readRole(ctx context.Context, c *Client, id string, state kit.Props) (map[string]any, error) {
	var (
		name                                                                     string
		super, inherit, createRole, createDB, login, replication, bypass, sameTS bool
		limit                                                                    int
		validUntil                                                               string
		config, roles                                                            []string
		found                                                                    bool
	)
	stateValid := kit.Str(state, "validUntil")
	if stateValid == "" {
		stateValid = "infinity"
	}
	err := c.conn(ctx, "", func(conn *pgx.Conn) (err error) {
		found, err = scanOne(conn.QueryRow(ctx, `SELECT r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb,
			r.rolcanlogin, r.rolreplication, r.rolbypassrls, r.rolconnlimit,
			COALESCE(r.rolvaliduntil::text, 'infinity'),
			COALESCE(r.rolvaliduntil, 'infinity'::timestamptz) = $2::timestamptz,
			COALESCE(r.rolconfig, '{}'),
			ARRAY(SELECT pg_catalog.pg_get_userbyid(m.roleid) FROM pg_catalog.pg_auth_members m WHERE m.member = r.oid ORDER BY 1)
			FROM pg_catalog.pg_roles r WHERE r.rolname = $1`, id, stateValid),
			&name, &super, &inherit, &createRole, &createDB, &login, &replication, &bypass, &limit,
			&validUntil, &sameTS, &config, &roles)
		return err
	})
	if err != nil {
		return nil, sqlError(fmt.Sprintf("reading role %q", id), err)
	}
	if !found {
		return nil, nil
	}
	outs := kit.Map(state)
	outs["name"] = name
	outs["superuser"] = super
	outs["inherit"] = inherit
	outs["createRole"] = createRole
	outs["createDatabase"] = createDB
	outs["login"] = login
	outs["replication"] = replication
	outs["bypassRowLevelSecurity"] = bypass
	outs["connectionLimit"] = float64(limit)
	if sameTS {
		outs["validUntil"] = stateValid
	} else {
		outs["validUntil"] = validUntil
	}
	var searchPath []string
	var statementTimeout, idleTimeout int
	var assume string
	for _, kv := range config {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "search_path":
			for _, p := range strings.Split(v, ", ") {
				searchPath = append(searchPath, strings.Trim(p, `"`))
			}
		case "statement_timeout":
			statementTimeout = parseMillis(v)
		case "idle_in_transaction_session_timeout":
			idleTimeout = parseMillis(v)
		case "role":
			assume = v
		}
	}
	had := func(k string) bool { return kit.Known(state, k) }
	setOptional := func(k string, v any, empty bool) {
		if !empty || had(k) {
			outs[k] = v
		} else {
			delete(outs, k)
		}
	}
	setOptional("roles", kit.AnyStrs(roles), len(roles) == 0)
	setOptional("searchPaths", kit.AnyStrs(searchPath), len(searchPath) == 0)
	setOptional("statementTimeout", float64(statementTimeout), statementTimeout == 0)
	setOptional("idleInTransactionSessionTimeout", float64(idleTimeout), idleTimeout == 0)
	setOptional("assumeRole", assume, assume == "")
	// The password cannot be read back (only a verifier is stored): it stays as given.
	return outs, nil
}

// parseMillis reads a duration setting as PostgreSQL stores it ("5000", "5s", "1min"); 0 if unknown.
func parseMillis(v string) int {
	if n, err := strconv.Atoi(v); err == nil {
		return n
	}
	units := []struct {
		suffix string
		ms     float64
	}{{"ms", 1}, {"s", 1000}, {"min", 60000}, {"h", 3600000}, {"d", 86400000}, {"us", 0.001}}
	for _, u := range units {
		if strings.HasSuffix(v, u.suffix) {
			if f, err := strconv.ParseFloat(strings.TrimSuffix(v, u.suffix), 64); err == nil {
				return int(f * u.ms)
			}
		}
	}
	return 0
}

func updateRole(ctx context.Context, c *Client, id string, olds, news kit.Props) (map[string]any, error) {
	name := kit.Str(news, "name")
	err := c.tx(ctx, "", func(tx pgx.Tx) error {
		exec := func(what, sql string) error {
			if _, err := tx.Exec(ctx, sql); err != nil {
				return sqlError(fmt.Sprintf("%s of role %q", what, name), err)
			}
			return nil
		}
		// As in the Terraform provider, a password removed from the program is left as it is.
		if pw := kit.Str(news, "password"); pw != "" && changed(olds, news, "password") {
			clause, err := passwordClause(ctx, tx, pw)
			if err != nil {
				return err
			}
			if err := exec("changing the password", fmt.Sprintf("ALTER ROLE %s WITH %s", ident(name), clause)); err != nil {
				return err
			}
		}
		for _, o := range []struct{ key, on, off string }{
			{"superuser", "SUPERUSER", "NOSUPERUSER"},
			{"createDatabase", "CREATEDB", "NOCREATEDB"},
			{"createRole", "CREATEROLE", "NOCREATEROLE"},
			{"inherit", "INHERIT", "NOINHERIT"},
			{"login", "LOGIN", "NOLOGIN"},
			{"bypassRowLevelSecurity", "BYPASSRLS", "NOBYPASSRLS"},
			{"replication", "REPLICATION", "NOREPLICATION"},
		} {
			if changed(olds, news, o.key) {
				def := o.key == "inherit"
				if err := exec("changing "+o.on, fmt.Sprintf("ALTER ROLE %s WITH %s", ident(name), boolOpt(news, o.key, o.on, o.off, def))); err != nil {
					return err
				}
			}
		}
		if changed(olds, news, "connectionLimit") {
			n, _ := kit.Int(news, "connectionLimit", -1)
			if err := exec("changing the connection limit", fmt.Sprintf("ALTER ROLE %s WITH CONNECTION LIMIT %d", ident(name), n)); err != nil {
				return err
			}
		}
		if changed(olds, news, "validUntil") {
			if err := exec("changing VALID UNTIL", fmt.Sprintf("ALTER ROLE %s WITH %s", ident(name), validUntilClause(kit.Str(news, "validUntil")))); err != nil {
				return err
			}
		}
		return applyRoleSettings(ctx, tx, name, olds, news)
	})
	if err != nil {
		return nil, err
	}
	outs, err := readRole(ctx, c, id, news)
	if err != nil {
		return nil, err
	}
	if outs == nil {
		return nil, fmt.Errorf("role %q disappeared while it was being updated", id)
	}
	return outs, nil
}

// deleteRole drops the role like the Terraform provider — REASSIGN OWNED BY role TO current_user and
// DROP OWNED BY role, then DROP ROLE — but in every database where the role owns objects or holds
// privileges (pg_shdepend), not only the provider's: a role whose objects live in another database
// (the sink's tables in the warehouse) could not be dropped otherwise.
func deleteRole(ctx context.Context, c *Client, id string, state kit.Props) error {
	name := kit.Str(state, "name")
	if name == "" {
		name = id
	}
	skipReassign, _ := kit.Bool(state, "skipReassignOwned", false)
	skipDrop, _ := kit.Bool(state, "skipDropRole", false)
	version, err := c.serverVersion(ctx)
	if err != nil {
		return err
	}
	// Retried (bounded): a database being dropped concurrently refuses connections or still holds
	// the role's objects for a moment.
	retryUntil := time.Now().Add(30 * time.Second)
	var lastErr error
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("%w (gave up: %v)", lastErr, ctx.Err())
			case <-time.After(time.Duration(min(attempt, 5)) * 200 * time.Millisecond):
			}
		}
		canRetry := time.Now().Before(retryUntil)
		exists, err := roleExists(ctx, c, name)
		if err != nil {
			return err
		}
		if !exists {
			return nil
		}
		if !skipReassign {
			dbs, err := roleDatabases(ctx, c, name)
			if err != nil {
				return err
			}
			if lastErr = cleanRole(ctx, c, version, name, dbs); lastErr != nil {
				if retryable(lastErr) && canRetry {
					continue
				}
				return lastErr
			}
		}
		if skipDrop {
			return nil
		}
		err = c.conn(ctx, "", func(conn *pgx.Conn) error {
			_, err := conn.Exec(ctx, "DROP ROLE IF EXISTS "+ident(name))
			return err
		})
		if err == nil {
			return nil
		}
		lastErr = sqlError(fmt.Sprintf("dropping role %q", name), err)
		// Objects may have appeared meanwhile (a concurrent operation, a database being dropped):
		// clean again, a bounded number of times.
		if (pgCode(err) == "2BP01" || retryable(err)) && !skipReassign && canRetry {
			continue
		}
		return lastErr
	}
}

// retryable: the database went away or is being dropped, or our session was terminated.
func retryable(err error) bool {
	switch pgCode(err) {
	case "3D000", "55000", "57P01", "55006", "40001", "40P01", "XX000":
		return true
	}
	var ce *connectError
	return errors.As(err, &ce)
}

func roleExists(ctx context.Context, c *Client, name string) (bool, error) {
	var exists bool
	err := c.conn(ctx, "", func(conn *pgx.Conn) error {
		return conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1)", name).Scan(&exists)
	})
	if err != nil {
		return false, sqlError(fmt.Sprintf("reading role %q", name), err)
	}
	return exists, nil
}

// roleDatabases lists the provider's database and every database (accepting connections) where the
// role owns objects or holds privileges.
func roleDatabases(ctx context.Context, c *Client, name string) ([]string, error) {
	var dbs []string
	err := c.conn(ctx, "", func(conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, `SELECT DISTINCT d.datname FROM pg_catalog.pg_shdepend s
			JOIN pg_catalog.pg_database d ON d.oid = s.dbid
			WHERE s.refclassid = 'pg_catalog.pg_authid'::regclass
			  AND s.refobjid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1)
			  AND d.datallowconn AND d.datname <> current_database()
			ORDER BY 1`, name)
		if err != nil {
			return err
		}
		dbs, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		return nil, sqlError(fmt.Sprintf("listing the databases where role %q owns objects or holds privileges", name), err)
	}
	return append([]string{""}, dbs...), nil
}

// cleanRole reassigns what the role owns to the current user and drops its privileges, in each
// database. A database that disappears meanwhile (dropped concurrently) is skipped.
func cleanRole(ctx context.Context, c *Client, version int, name string, dbs []string) error {
	for _, db := range dbs {
		err := c.tx(ctx, db, func(tx pgx.Tx) error {
			return withRolesGranted(ctx, tx, version, []string{name}, func() error {
				if _, err := tx.Exec(ctx, fmt.Sprintf("REASSIGN OWNED BY %s TO CURRENT_USER", ident(name))); err != nil {
					return sqlError(fmt.Sprintf("reassigning the objects owned by role %q in database %s to the provider's login", name, dbLabel(c, db)), err)
				}
				if _, err := tx.Exec(ctx, fmt.Sprintf("DROP OWNED BY %s", ident(name))); err != nil {
					return sqlError(fmt.Sprintf("dropping the privileges of role %q in database %s", name, dbLabel(c, db)), err)
				}
				return nil
			})
		})
		if err == nil {
			continue
		}
		if db != "" {
			if exists, _, e := c.databaseExists(ctx, db); e == nil && !exists {
				continue // dropped meanwhile: nothing of the role is left there
			}
		}
		return err
	}
	return nil
}

func dbLabel(c *Client, db string) string {
	if db == "" {
		db = c.cfg.Database
	}
	return strconv.Quote(db)
}
