package postgresql

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"clinicmaster.local/tools/pulumi-providers/internal/kit"
)

// allowedPrivileges per object type (the Terraform provider's list; MAINTAIN on tables from
// PostgreSQL 17).
var allowedPrivileges = map[string][]string{
	"database":             {"ALL", "CREATE", "CONNECT", "TEMPORARY"},
	"table":                {"ALL", "SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "MAINTAIN"},
	"sequence":             {"ALL", "USAGE", "SELECT", "UPDATE"},
	"schema":               {"ALL", "CREATE", "USAGE"},
	"function":             {"ALL", "EXECUTE"},
	"procedure":            {"ALL", "EXECUTE"},
	"routine":              {"ALL", "EXECUTE"},
	"type":                 {"ALL", "USAGE"},
	"foreign_data_wrapper": {"ALL", "USAGE"},
	"foreign_server":       {"ALL", "USAGE"},
	"column":               {"ALL", "SELECT", "INSERT", "UPDATE", "REFERENCES"},
}

// grantObjectTypes are the object types of @pulumi/postgresql's Grant; grantImplemented those this
// provider implements.
var (
	grantObjectTypes = []string{"database", "schema", "table", "sequence", "function", "procedure", "routine", "foreign_data_wrapper", "foreign_server", "column"}
	grantImplemented = []string{"database", "schema", "table", "sequence"}
)

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// normalizePrivilege upper-cases a privilege name and spells it as the catalogs do.
func normalizePrivilege(p string) string {
	p = strings.ToUpper(strings.TrimSpace(p))
	switch p {
	case "TEMP":
		return "TEMPORARY"
	case "ALL PRIVILEGES":
		return "ALL"
	}
	return p
}

// allImplicit is what ALL means for an object type on this server.
func allImplicit(objectType string, version int) []string {
	var out []string
	for _, p := range allowedPrivileges[objectType] {
		if p == "ALL" || (p == "MAINTAIN" && version < 170000) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// privilegesMatch says whether the live privileges are the wanted ones (ALL matching every one).
func privilegesMatch(live, wanted []string, objectType string, version int) bool {
	if equalSets(live, wanted) {
		return true
	}
	return contains(wanted, "ALL") && equalSets(live, allImplicit(objectType, version))
}

func validatePrivileges(in kit.Props, objectType string) []kit.Failure {
	privs, err := kit.Strs(in, "privileges", true)
	if err != nil {
		return []kit.Failure{{Property: "privileges", Reason: err.Error()}}
	}
	if !kit.Known(in, "privileges") && !kit.Unknown(in, "privileges") {
		return []kit.Failure{{Property: "privileges", Reason: "privileges is required (an empty list revokes everything)"}}
	}
	allowed, ok := allowedPrivileges[objectType]
	if !ok {
		return nil
	}
	var f []kit.Failure
	for _, p := range privs {
		if !contains(allowed, p) {
			f = append(f, kit.Failure{Property: "privileges", Reason: fmt.Sprintf("%s is not a privilege of object type %s (allowed: %s)", p, objectType, strings.Join(allowed, ", "))})
		}
	}
	return f
}

func requiredString(in kit.Props, key string) []kit.Failure {
	if kit.Unknown(in, key) {
		return nil
	}
	if kit.Str(in, key) == "" {
		return []kit.Failure{{Property: key, Reason: key + " is required"}}
	}
	return nil
}

var grantInputs = []string{"database", "role", "schema", "objectType", "objects", "columns", "privileges", "withGrantOption"}

func grantResource() *kit.Resource[*Client] {
	return &kit.Resource[*Client]{
		Token:    "postgresql:index/grant:Grant",
		Inputs:   grantInputs,
		Defaults: map[string]any{"withGrantOption": false},
		// As in the Terraform provider: everything but the privileges replaces; the privileges are
		// changed in place (revoke and grant in one transaction).
		Replace:             []string{"database", "role", "schema", "objectType", "objects", "columns", "withGrantOption"},
		DeleteBeforeReplace: true,
		Normalize: func(in kit.Props) {
			normalizeStrings(in, "privileges", true, normalizePrivilege)
			normalizeStrings(in, "objects", true, nil)
			normalizeStrings(in, "columns", true, nil)
		},
		Validate: validateGrant,
		Create: func(ctx context.Context, c *Client, in kit.Props) (string, map[string]any, error) {
			if err := applyGrant(ctx, c, in, nil); err != nil {
				return "", nil, err
			}
			return grantID(in), kit.Map(in), nil
		},
		Read: readGrant,
		Update: func(ctx context.Context, c *Client, id string, olds, news kit.Props) (map[string]any, error) {
			oldPrivs, _ := kit.Strs(olds, "privileges", true)
			if err := applyGrant(ctx, c, news, oldPrivs); err != nil {
				return nil, err
			}
			return kit.Map(news), nil
		},
		Delete: deleteGrant,
	}
}

func validateGrant(in kit.Props) []kit.Failure {
	var f []kit.Failure
	f = append(f, requiredString(in, "database")...)
	f = append(f, requiredString(in, "role")...)
	if kit.Unknown(in, "objectType") {
		return f
	}
	t := kit.Str(in, "objectType")
	switch {
	case t == "":
		return append(f, kit.Failure{Property: "objectType", Reason: "objectType is required (one of " + strings.Join(grantObjectTypes, ", ") + ")"})
	case !contains(grantObjectTypes, t):
		return append(f, kit.Failure{Property: "objectType", Reason: fmt.Sprintf("objectType %q is not one of %s", t, strings.Join(grantObjectTypes, ", "))})
	case !contains(grantImplemented, t):
		return append(f, kit.Failure{Property: "objectType", Reason: fmt.Sprintf("objectType %q is not implemented by this provider (pulumi-resource-postgresql implements %s)", t, strings.Join(grantImplemented, ", "))})
	}
	if t != "database" {
		f = append(f, requiredString(in, "schema")...)
	}
	objects, err := kit.Strs(in, "objects", true)
	if err != nil {
		f = append(f, kit.Failure{Property: "objects", Reason: err.Error()})
	}
	if len(objects) > 0 && (t == "database" || t == "schema") {
		f = append(f, kit.Failure{Property: "objects", Reason: "objects cannot be given when objectType is database or schema"})
	}
	if cols, _ := kit.Strs(in, "columns", true); len(cols) > 0 {
		f = append(f, kit.Failure{Property: "columns", Reason: "columns can only be given when objectType is column"})
	}
	if _, err := kit.Bool(in, "withGrantOption", false); err != nil {
		f = append(f, kit.Failure{Property: "withGrantOption", Reason: err.Error()})
	}
	return append(f, validatePrivileges(in, t)...)
}

// grantID is the Terraform provider's ID: role_database[_schema]_objectType[_objects][_columns].
func grantID(in kit.Props) string {
	t := kit.Str(in, "objectType")
	parts := []string{kit.Str(in, "role"), kit.Str(in, "database")}
	if t != "database" && t != "foreign_data_wrapper" && t != "foreign_server" {
		parts = append(parts, kit.Str(in, "schema"))
	}
	parts = append(parts, t)
	objects, _ := kit.Strs(in, "objects", true)
	columns, _ := kit.Strs(in, "columns", true)
	parts = append(parts, objects...)
	parts = append(parts, columns...)
	return strings.Join(parts, "_")
}

// grantTarget renders the object part of GRANT/REVOKE ("DATABASE x", "ALL TABLES IN SCHEMA s", ...).
func grantTarget(in kit.Props) string {
	t := kit.Str(in, "objectType")
	schema := kit.Str(in, "schema")
	switch t {
	case "database":
		return "DATABASE " + ident(kit.Str(in, "database"))
	case "schema":
		return "SCHEMA " + ident(schema)
	}
	objects, _ := kit.Strs(in, "objects", true)
	if len(objects) == 0 {
		return fmt.Sprintf("ALL %sS IN SCHEMA %s", strings.ToUpper(t), ident(schema))
	}
	q := make([]string, len(objects))
	for i, o := range objects {
		q[i] = pgx.Identifier{schema, o}.Sanitize()
	}
	return strings.ToUpper(t) + " " + strings.Join(q, ", ")
}

func grantLabel(in kit.Props) string {
	t := kit.Str(in, "objectType")
	switch t {
	case "database":
		return fmt.Sprintf("database %q", kit.Str(in, "database"))
	case "schema":
		return fmt.Sprintf("schema %q in database %q", kit.Str(in, "schema"), kit.Str(in, "database"))
	}
	objects, _ := kit.Strs(in, "objects", true)
	what := fmt.Sprintf("all %ss", t)
	if len(objects) > 0 {
		what = fmt.Sprintf("%ss %s", t, strings.Join(objects, ", "))
	}
	return fmt.Sprintf("%s in schema %q of database %q", what, kit.Str(in, "schema"), kit.Str(in, "database"))
}

// grantOwners: the roles whose privileges a non-superuser login needs to change the grants (the
// owners of the objects and of the schema), as in the Terraform provider.
func grantOwners(ctx context.Context, tx pgx.Tx, in kit.Props) ([]string, error) {
	t := kit.Str(in, "objectType")
	if t == "database" {
		return nil, nil
	}
	schema := kit.Str(in, "schema")
	var owners []string
	if t != "schema" {
		rows, err := tx.Query(ctx, `SELECT DISTINCT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c
			JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = $1 AND c.relkind = ANY($2)`, schema, relkinds(t))
		if err != nil {
			return nil, sqlError(fmt.Sprintf("reading the owners of the %ss in schema %q", t, schema), err)
		}
		if owners, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return nil, sqlError(fmt.Sprintf("reading the owners of the %ss in schema %q", t, schema), err)
		}
	}
	var schemaOwner string
	err := tx.QueryRow(ctx, `SELECT CASE WHEN r.rolname = 'pg_database_owner'
			THEN (SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database WHERE datname = current_database())
			ELSE r.rolname END
		FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid = n.nspowner WHERE n.nspname = $1`, schema).Scan(&schemaOwner)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, sqlError(fmt.Sprintf("reading the owner of schema %q", schema), err)
	}
	if schemaOwner != "" {
		owners = append(owners, schemaOwner)
	}
	return sortedSet(owners), nil
}

// relkinds are the pg_class kinds GRANT ... ON ALL <type>S IN SCHEMA covers.
func relkinds(objectType string) []string {
	if objectType == "sequence" {
		return []string{"S"}
	}
	return []string{"r", "p", "v", "m", "f"}
}

// applyGrant revokes the role's privileges on the target and grants the wanted ones, in one
// transaction (so the role never goes without them, and the result is exactly what is asked).
func applyGrant(ctx context.Context, c *Client, in kit.Props, oldPrivs []string) error {
	version, err := c.serverVersion(ctx)
	if err != nil {
		return err
	}
	role := kit.Str(in, "role")
	privs, _ := kit.Strs(in, "privileges", true)
	objects, _ := kit.Strs(in, "objects", true)
	target := grantTarget(in)
	label := grantLabel(in)
	return c.tx(ctx, kit.Str(in, "database"), func(tx pgx.Tx) error {
		owners, err := grantOwners(ctx, tx, in)
		if err != nil {
			return err
		}
		return withRolesGranted(ctx, tx, version, owners, func() error {
			revoke := "REVOKE ALL PRIVILEGES ON " + target + " FROM " + roleIdent(role)
			if len(objects) > 0 {
				// Specific objects: revoke what was granted, leaving column grants alone (as TF does).
				old := oldPrivs
				if old == nil {
					old = privs
				}
				if len(old) > 0 && !contains(old, "ALL") {
					revoke = "REVOKE " + strings.Join(old, ", ") + " ON " + target + " FROM " + roleIdent(role)
				}
			}
			if _, err := tx.Exec(ctx, revoke); err != nil {
				return sqlError(fmt.Sprintf("revoking the privileges of role %q on %s", role, label), err)
			}
			if len(privs) == 0 {
				return nil
			}
			grant := "GRANT " + strings.Join(privs, ", ") + " ON " + target + " TO " + roleIdent(role)
			if wgo, _ := kit.Bool(in, "withGrantOption", false); wgo {
				grant += " WITH GRANT OPTION"
			}
			if _, err := tx.Exec(ctx, grant); err != nil {
				return sqlError(fmt.Sprintf("granting %s on %s to role %q", strings.Join(privs, ", "), label, role), err)
			}
			return nil
		})
	})
}

// grantScope checks that the database, role and schema of a grant exist; ok is false when one is
// gone (then so is the grant). It runs fn on a connection to the grant's database.
func grantScope(ctx context.Context, c *Client, database, role, schema string, roles []string, fn func(conn *pgx.Conn, roleOID uint32) error) (ok bool, err error) {
	exists, allow, err := c.databaseExists(ctx, database)
	if err != nil {
		return false, sqlError(fmt.Sprintf("reading database %q", database), err)
	}
	if !exists {
		return false, nil
	}
	if !allow {
		return false, fmt.Errorf("database %q does not accept connections (ALLOW_CONNECTIONS false), so its privileges cannot be read or changed", database)
	}
	err = c.conn(ctx, database, func(conn *pgx.Conn) error {
		var oid uint32
		for _, r := range append([]string{role}, roles...) {
			if strings.EqualFold(r, "public") {
				continue
			}
			var o uint32
			e := conn.QueryRow(ctx, "SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1", r).Scan(&o)
			if errors.Is(e, pgx.ErrNoRows) {
				return nil
			}
			if e != nil {
				return sqlError(fmt.Sprintf("reading role %q", r), e)
			}
			if r == role {
				oid = o
			}
		}
		if schema != "" {
			var found bool
			if e := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)", schema).Scan(&found); e != nil {
				return sqlError(fmt.Sprintf("reading schema %q", schema), e)
			}
			if !found {
				return nil
			}
		}
		ok = true
		return fn(conn, oid)
	})
	if err != nil {
		return false, err
	}
	return ok, nil
}

// readGrant reads the role's privileges from the catalogs' ACLs. As in the Terraform provider, for a
// set of objects the privileges of the first object (by name) that differs from the wanted ones are
// returned, so a REVOKE on any one of them shows as drift.
func readGrant(ctx context.Context, c *Client, id string, state kit.Props) (map[string]any, error) {
	version, err := c.serverVersion(ctx)
	if err != nil {
		return nil, err
	}
	t := kit.Str(state, "objectType")
	database, role, schema := kit.Str(state, "database"), kit.Str(state, "role"), kit.Str(state, "schema")
	if t == "database" {
		schema = ""
	}
	wanted, _ := kit.Strs(state, "privileges", true)
	objects, _ := kit.Strs(state, "objects", true)
	live := wanted
	ok, err := grantScope(ctx, c, database, role, schema, nil, func(conn *pgx.Conn, roleOID uint32) error {
		switch t {
		case "database", "schema":
			q := `SELECT COALESCE(array_agg(DISTINCT a.privilege_type ORDER BY a.privilege_type), '{}')
				FROM pg_catalog.pg_database d, aclexplode(d.datacl) a WHERE d.datname = $1 AND a.grantee = $2`
			key := database
			if t == "schema" {
				q = `SELECT COALESCE(array_agg(DISTINCT a.privilege_type ORDER BY a.privilege_type), '{}')
					FROM pg_catalog.pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = $1 AND a.grantee = $2`
				key = schema
			}
			var got []string
			if err := conn.QueryRow(ctx, q, key, roleOID).Scan(&got); err != nil {
				return sqlError(fmt.Sprintf("reading the privileges of role %q on %s", role, grantLabel(state)), err)
			}
			if !privilegesMatch(got, wanted, t, version) {
				live = got
			}
			return nil
		case "table", "sequence":
			rows, err := conn.Query(ctx, `SELECT c.relname,
					COALESCE((SELECT array_agg(DISTINCT a.privilege_type ORDER BY a.privilege_type)
						FROM aclexplode(c.relacl) a WHERE a.grantee = $3), '{}')
				FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
				WHERE n.nspname = $1 AND c.relkind = ANY($2) ORDER BY c.relname`, schema, relkinds(t), roleOID)
			if err != nil {
				return sqlError(fmt.Sprintf("reading the privileges of role %q on %s", role, grantLabel(state)), err)
			}
			type rel struct {
				name  string
				privs []string
			}
			rels, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (rel, error) {
				var x rel
				err := r.Scan(&x.name, &x.privs)
				return x, err
			})
			if err != nil {
				return sqlError(fmt.Sprintf("reading the privileges of role %q on %s", role, grantLabel(state)), err)
			}
			for _, r := range rels {
				if len(objects) > 0 && !contains(objects, r.name) {
					continue
				}
				if !privilegesMatch(r.privs, wanted, t, version) {
					live = r.privs
					break
				}
			}
			return nil
		}
		return fmt.Errorf("objectType %q is not implemented by this provider", t)
	})
	if err != nil || !ok {
		return nil, err
	}
	outs := kit.Map(state)
	live = sortedSet(live)
	sort.Strings(live)
	outs["privileges"] = kit.AnyStrs(live)
	return outs, nil
}

func deleteGrant(ctx context.Context, c *Client, id string, state kit.Props) error {
	t := kit.Str(state, "objectType")
	schema := kit.Str(state, "schema")
	if t == "database" {
		schema = ""
	}
	ok, err := grantScope(ctx, c, kit.Str(state, "database"), kit.Str(state, "role"), schema, nil, func(*pgx.Conn, uint32) error { return nil })
	if err != nil || !ok {
		return err
	}
	// Revoke what the resource granted: its privileges on specific objects (leaving column grants
	// alone, as TF does), or all privileges on the database, schema or every object of the type.
	old, _ := kit.Strs(state, "privileges", true)
	revokeState := state.Copy()
	revokeState["privileges"] = emptyList()
	return applyGrant(ctx, c, revokeState, old)
}
