package postgresql

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"clinicmaster.local/tools/pulumi-providers/internal/kit"
)

var databaseInputs = []string{
	"name", "owner", "template", "encoding", "lcCollate", "lcCtype", "tablespaceName",
	"connectionLimit", "allowConnections", "isTemplate", "alterObjectOwnership",
}

func databaseResource() *kit.Resource[*Client] {
	return &kit.Resource[*Client]{
		Token:  "postgresql:index/database:Database",
		Inputs: databaseInputs,
		Defaults: map[string]any{
			"encoding": "UTF8", "template": "template0", "connectionLimit": -1.0,
			"allowConnections": true, "isTemplate": false, "alterObjectOwnership": false,
		},
		// Chosen by the server when not given (the Terraform provider's Computed attributes).
		Computed:            []string{"owner", "lcCollate", "lcCtype", "tablespaceName"},
		Replace:             []string{"name", "template", "encoding", "lcCollate", "lcCtype"},
		DeleteBeforeReplace: true,
		Validate:            validateDatabase,
		Create:              createDatabase,
		Read:                readDatabase,
		Update:              updateDatabase,
		Delete:              deleteDatabase,
	}
}

func validateDatabase(in kit.Props) []kit.Failure {
	var f []kit.Failure
	if kit.Known(in, "name") && kit.Str(in, "name") == "" {
		f = append(f, kit.Failure{Property: "name", Reason: "name must not be empty"})
	} else if !kit.Known(in, "name") && !kit.Unknown(in, "name") {
		f = append(f, kit.Failure{Property: "name", Reason: "name is required"})
	}
	if n, err := kit.Int(in, "connectionLimit", -1); err != nil || n < -1 {
		f = append(f, kit.Failure{Property: "connectionLimit", Reason: "connectionLimit must be a whole number of at least -1 (-1: no limit)"})
	}
	for _, k := range []string{"allowConnections", "isTemplate", "alterObjectOwnership"} {
		if _, err := kit.Bool(in, k, false); err != nil {
			f = append(f, kit.Failure{Property: k, Reason: err.Error()})
		}
	}
	return f
}

func createDatabase(ctx context.Context, c *Client, in kit.Props) (string, map[string]any, error) {
	name := kit.Str(in, "name")
	owner := kit.Str(in, "owner")
	var b strings.Builder
	b.WriteString("CREATE DATABASE " + ident(name))
	if owner != "" {
		b.WriteString(" OWNER " + ident(owner))
	}
	optIdent := func(key, clause string) {
		switch v := kit.Str(in, key); {
		case v == "":
		case strings.EqualFold(v, "DEFAULT"):
			b.WriteString(" " + clause + " DEFAULT")
		default:
			b.WriteString(" " + clause + " " + ident(v))
		}
	}
	optLiteral := func(key, clause string) {
		switch v := kit.Str(in, key); {
		case v == "":
		case strings.EqualFold(v, "DEFAULT"):
			b.WriteString(" " + clause + " DEFAULT")
		default:
			b.WriteString(" " + clause + " " + literal(v))
		}
	}
	optIdent("template", "TEMPLATE")
	optLiteral("encoding", "ENCODING")
	optLiteral("lcCollate", "LC_COLLATE")
	optLiteral("lcCtype", "LC_CTYPE")
	optIdent("tablespaceName", "TABLESPACE")
	allow, _ := kit.Bool(in, "allowConnections", true)
	limit, _ := kit.Int(in, "connectionLimit", -1)
	isTemplate, _ := kit.Bool(in, "isTemplate", false)
	fmt.Fprintf(&b, " ALLOW_CONNECTIONS %t CONNECTION LIMIT %d IS_TEMPLATE %t", allow, limit, isTemplate)

	err := c.conn(ctx, "", func(conn *pgx.Conn) error {
		// A non-superuser login must be a member of the owner to create a database for it.
		return withOwnerGranted(ctx, c, conn, owner, func() error {
			_, err := conn.Exec(ctx, b.String())
			return err
		})
	})
	if err != nil {
		return "", nil, sqlError(fmt.Sprintf("creating database %q", name), err)
	}
	outs, err := readDatabase(ctx, c, name, in)
	if err != nil {
		return "", nil, err
	}
	if outs == nil {
		return "", nil, fmt.Errorf("database %q was created but cannot be read back", name)
	}
	return name, outs, nil
}

// withOwnerGranted wraps fn (run outside a transaction: CREATE/DROP DATABASE cannot run in one) with a
// temporary membership of the current user in owner, when the login is not a superuser.
func withOwnerGranted(ctx context.Context, c *Client, conn *pgx.Conn, owner string, fn func() error) error {
	if owner == "" {
		return fn()
	}
	version, err := c.serverVersion(ctx)
	if err != nil {
		return err
	}
	var current string
	var super bool
	if err := conn.QueryRow(ctx, "SELECT current_user, rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user").Scan(&current, &super); err != nil {
		return err
	}
	if super || current == owner {
		return fn()
	}
	var member bool
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		m, err := isMember(ctx, tx, version, owner, current)
		member = m
		return err
	})
	if err != nil {
		return err
	}
	if !member {
		if _, err := conn.Exec(ctx, fmt.Sprintf("GRANT %s TO %s", ident(owner), ident(current))); err != nil {
			return sqlError(fmt.Sprintf("temporarily granting role %q to %q (needed to create or drop a database it owns)", owner, current), err)
		}
		defer func() {
			_, _ = conn.Exec(context.Background(), fmt.Sprintf("REVOKE %s FROM %s", ident(owner), ident(current)))
		}()
	}
	return fn()
}

func readDatabase(ctx context.Context, c *Client, id string, state kit.Props) (map[string]any, error) {
	var (
		name, owner, encoding, collate, ctype, tablespace string
		limit                                             int
		allow, isTemplate                                 bool
		found                                             bool
	)
	err := c.conn(ctx, "", func(conn *pgx.Conn) (err error) {
		found, err = scanOne(conn.QueryRow(ctx, `SELECT d.datname, pg_catalog.pg_get_userbyid(d.datdba),
			pg_catalog.pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, ts.spcname,
			d.datconnlimit, d.datallowconn, d.datistemplate
			FROM pg_catalog.pg_database d JOIN pg_catalog.pg_tablespace ts ON ts.oid = d.dattablespace
			WHERE d.datname = $1`, id),
			&name, &owner, &encoding, &collate, &ctype, &tablespace, &limit, &allow, &isTemplate)
		return err
	})
	if err != nil {
		return nil, sqlError(fmt.Sprintf("reading database %q", id), err)
	}
	if !found {
		return nil, nil
	}
	outs := kit.Map(state)
	outs["name"] = name
	outs["owner"] = owner
	// Keep the given spelling of an equivalent encoding ("utf-8" is UTF8).
	if canonEncoding(kit.Str(state, "encoding")) != canonEncoding(encoding) {
		outs["encoding"] = encoding
	}
	outs["lcCollate"] = collate
	outs["lcCtype"] = ctype
	outs["tablespaceName"] = tablespace
	outs["connectionLimit"] = float64(limit)
	outs["allowConnections"] = allow
	outs["isTemplate"] = isTemplate
	if _, ok := outs["template"]; !ok {
		outs["template"] = "template0"
	}
	if _, ok := outs["alterObjectOwnership"]; !ok {
		outs["alterObjectOwnership"] = false
	}
	return outs, nil
}

func canonEncoding(s string) string {
	return strings.NewReplacer("-", "", "_", "").Replace(strings.ToUpper(s))
}

// changed says whether an input differs between the old and new inputs (null = absent).
func changed(olds, news kit.Props, key string) bool {
	o, n := kit.Plain(olds[resource.PropertyKey(key)]), kit.Plain(news[resource.PropertyKey(key)])
	if o.IsNull() && n.IsNull() {
		return false
	}
	return !o.DeepEquals(n)
}

func updateDatabase(ctx context.Context, c *Client, id string, olds, news kit.Props) (map[string]any, error) {
	name := kit.Str(news, "name")
	err := c.conn(ctx, "", func(conn *pgx.Conn) error {
		exec := func(what, sql string) error {
			if _, err := conn.Exec(ctx, sql); err != nil {
				return sqlError(fmt.Sprintf("%s of database %q", what, name), err)
			}
			return nil
		}
		if owner := kit.Str(news, "owner"); owner != "" && (changed(olds, news, "owner") || changed(olds, news, "alterObjectOwnership")) {
			if alter, _ := kit.Bool(news, "alterObjectOwnership", false); alter {
				if err := reassignDatabaseObjects(ctx, c, name, owner); err != nil {
					return err
				}
			}
			if changed(olds, news, "owner") {
				err := withOwnerGranted(ctx, c, conn, owner, func() error {
					return exec("changing the owner", fmt.Sprintf("ALTER DATABASE %s OWNER TO %s", ident(name), ident(owner)))
				})
				if err != nil {
					return err
				}
			}
		}
		if changed(olds, news, "tablespaceName") {
			if ts := kit.Str(news, "tablespaceName"); ts != "" && !strings.EqualFold(ts, "DEFAULT") {
				if err := exec("changing the tablespace", fmt.Sprintf("ALTER DATABASE %s SET TABLESPACE %s", ident(name), ident(ts))); err != nil {
					return err
				}
			}
		}
		if changed(olds, news, "connectionLimit") {
			n, _ := kit.Int(news, "connectionLimit", -1)
			if err := exec("changing the connection limit", fmt.Sprintf("ALTER DATABASE %s CONNECTION LIMIT %d", ident(name), n)); err != nil {
				return err
			}
		}
		if changed(olds, news, "allowConnections") {
			b, _ := kit.Bool(news, "allowConnections", true)
			if err := exec("changing ALLOW_CONNECTIONS", fmt.Sprintf("ALTER DATABASE %s ALLOW_CONNECTIONS %t", ident(name), b)); err != nil {
				return err
			}
		}
		if changed(olds, news, "isTemplate") {
			b, _ := kit.Bool(news, "isTemplate", false)
			if err := exec("changing IS_TEMPLATE", fmt.Sprintf("ALTER DATABASE %s IS_TEMPLATE %t", ident(name), b)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	outs, err := readDatabase(ctx, c, id, news)
	if err != nil {
		return nil, err
	}
	if outs == nil {
		return nil, fmt.Errorf("database %q disappeared while it was being updated", id)
	}
	return outs, nil
}

// reassignDatabaseObjects gives the objects of the database's current owner to owner
// (alterObjectOwnership).
func reassignDatabaseObjects(ctx context.Context, c *Client, database, owner string) error {
	version, err := c.serverVersion(ctx)
	if err != nil {
		return err
	}
	return c.tx(ctx, database, func(tx pgx.Tx) error {
		var current string
		if err := tx.QueryRow(ctx, "SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database WHERE datname = current_database()").Scan(&current); err != nil {
			return sqlError(fmt.Sprintf("reading the owner of database %q", database), err)
		}
		if current == owner {
			return nil
		}
		return withRolesGranted(ctx, tx, version, []string{current, owner}, func() error {
			if _, err := tx.Exec(ctx, fmt.Sprintf("REASSIGN OWNED BY %s TO %s", ident(current), ident(owner))); err != nil {
				return sqlError(fmt.Sprintf("reassigning the objects of %q in database %q to %q", current, database, owner), err)
			}
			return nil
		})
	})
}

// deleteDatabase drops the database like the Terraform provider: clear IS_TEMPLATE, refuse new
// connections, terminate the other sessions, DROP DATABASE ... WITH (FORCE) (PostgreSQL 13+).
func deleteDatabase(ctx context.Context, c *Client, id string, state kit.Props) error {
	exists, _, err := c.databaseExists(ctx, id)
	if err != nil {
		return sqlError(fmt.Sprintf("reading database %q", id), err)
	}
	if !exists {
		return nil
	}
	version, err := c.serverVersion(ctx)
	if err != nil {
		return err
	}
	c.closeIdle(id)
	return c.conn(ctx, "", func(conn *pgx.Conn) error {
		return withOwnerGranted(ctx, c, conn, kit.Str(state, "owner"), func() error {
			var isTemplate bool
			err := conn.QueryRow(ctx, "SELECT datistemplate FROM pg_catalog.pg_database WHERE datname = $1", id).Scan(&isTemplate)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			if err != nil {
				return sqlError(fmt.Sprintf("reading database %q", id), err)
			}
			if isTemplate {
				if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s IS_TEMPLATE false", ident(id))); err != nil {
					return sqlError(fmt.Sprintf("clearing IS_TEMPLATE of database %q before dropping it", id), err)
				}
			}
			if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s ALLOW_CONNECTIONS false", ident(id))); err != nil {
				return sqlError(fmt.Sprintf("refusing new connections to database %q before dropping it", id), err)
			}
			force := ""
			if version >= 130000 {
				force = " WITH (FORCE)"
			}
			// Sessions that are closing may still be listed for a moment: retry briefly while the
			// database is "being accessed by other users" (or by a superuser session a
			// non-superuser login may not terminate).
			retryUntil := time.Now().Add(10 * time.Second)
			for {
				// Terminate the sessions this login may terminate (superuser sessions only when
				// it is a superuser); DROP ... WITH (FORCE) does the same and reports what is left.
				if _, err := conn.Exec(ctx, `SELECT pg_catalog.pg_terminate_backend(a.pid) FROM pg_catalog.pg_stat_activity a
					WHERE a.datname = $1 AND a.pid <> pg_catalog.pg_backend_pid()
					  AND (NOT COALESCE((SELECT rolsuper FROM pg_catalog.pg_roles WHERE oid = a.usesysid), false)
					       OR (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user))`, id); err != nil {
					return sqlError(fmt.Sprintf("terminating the sessions connected to database %q", id), err)
				}
				_, err := conn.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s%s", ident(id), force))
				if err == nil {
					return nil
				}
				if code := pgCode(err); (code == "55006" || code == "42501") && time.Now().Before(retryUntil) {
					select {
					case <-ctx.Done():
						return sqlError(fmt.Sprintf("dropping database %q", id), err)
					case <-time.After(300 * time.Millisecond):
					}
					continue
				}
				return sqlError(fmt.Sprintf("dropping database %q", id), err)
			}
		})
	})
}
