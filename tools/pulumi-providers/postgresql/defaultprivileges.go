package postgresql

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"clinicmaster.local/tools/pulumi-providers/internal/kit"
)

// defaultACLTypes maps DefaultPrivileges object types to pg_default_acl.defaclobjtype.
var defaultACLTypes = map[string]string{
	"table": "r", "sequence": "S", "function": "f", "routine": "f", "type": "T", "schema": "n",
}

var defaultPrivilegesInputs = []string{"database", "owner", "role", "schema", "objectType", "privileges", "withGrantOption"}

func defaultPrivilegesResource() *kit.Resource[*Client] {
	return &kit.Resource[*Client]{
		Token:    "postgresql:index/defaultPrivileges:DefaultPrivileges",
		Inputs:   defaultPrivilegesInputs,
		Defaults: map[string]any{"withGrantOption": false},
		// As in the Terraform provider: everything but the privileges replaces.
		Replace:             []string{"database", "owner", "role", "schema", "objectType", "withGrantOption"},
		DeleteBeforeReplace: true,
		Normalize: func(in kit.Props) {
			normalizeStrings(in, "privileges", true, normalizePrivilege)
		},
		Validate: validateDefaultPrivileges,
		Create: func(ctx context.Context, c *Client, in kit.Props) (string, map[string]any, error) {
			if err := applyDefaultPrivileges(ctx, c, in, true); err != nil {
				return "", nil, err
			}
			return defaultPrivilegesID(in), kit.Map(in), nil
		},
		Read: readDefaultPrivileges,
		Update: func(ctx context.Context, c *Client, id string, olds, news kit.Props) (map[string]any, error) {
			if err := applyDefaultPrivileges(ctx, c, news, true); err != nil {
				return nil, err
			}
			return kit.Map(news), nil
		},
		Delete: func(ctx context.Context, c *Client, id string, state kit.Props) error {
			ok, err := defaultPrivilegesScope(ctx, c, state, func(*pgx.Conn, uint32) error { return nil })
			if err != nil || !ok {
				return err
			}
			return applyDefaultPrivileges(ctx, c, state, false)
		},
	}
}

func validateDefaultPrivileges(in kit.Props) []kit.Failure {
	var f []kit.Failure
	f = append(f, requiredString(in, "database")...)
	f = append(f, requiredString(in, "role")...)
	f = append(f, requiredString(in, "owner")...)
	if kit.Unknown(in, "objectType") {
		return f
	}
	t := kit.Str(in, "objectType")
	if _, ok := defaultACLTypes[t]; !ok {
		return append(f, kit.Failure{Property: "objectType", Reason: fmt.Sprintf("objectType %q is not one of table, sequence, function, routine, type, schema", t)})
	}
	if t == "schema" && kit.Str(in, "schema") != "" {
		f = append(f, kit.Failure{Property: "schema", Reason: "schema cannot be given when objectType is schema"})
	}
	if wgo, err := kit.Bool(in, "withGrantOption", false); err != nil {
		f = append(f, kit.Failure{Property: "withGrantOption", Reason: err.Error()})
	} else if wgo && strings.EqualFold(kit.Str(in, "role"), "public") {
		f = append(f, kit.Failure{Property: "withGrantOption", Reason: "withGrantOption cannot be true for role public"})
	}
	return append(f, validatePrivileges(in, t)...)
}

// defaultPrivilegesID is the Terraform provider's ID: role_database_schema_owner_objectType.
func defaultPrivilegesID(in kit.Props) string {
	schema := kit.Str(in, "schema")
	if schema == "" {
		schema = "noschema"
	}
	return strings.Join([]string{kit.Str(in, "role"), kit.Str(in, "database"), schema, kit.Str(in, "owner"), kit.Str(in, "objectType")}, "_")
}

func defaultPrivilegesLabel(in kit.Props) string {
	where := "every schema"
	if s := kit.Str(in, "schema"); s != "" {
		where = fmt.Sprintf("schema %q", s)
	}
	return fmt.Sprintf("the default privileges of role %q on the %ss role %q creates in %s of database %q",
		kit.Str(in, "role"), kit.Str(in, "objectType"), kit.Str(in, "owner"), where, kit.Str(in, "database"))
}

// applyDefaultPrivileges revokes the role's default privileges for objects the owner creates and,
// when grant is true, grants the wanted ones — in one transaction, as a member of the owner.
func applyDefaultPrivileges(ctx context.Context, c *Client, in kit.Props, grant bool) error {
	version, err := c.serverVersion(ctx)
	if err != nil {
		return err
	}
	owner, role, schema := kit.Str(in, "owner"), kit.Str(in, "role"), kit.Str(in, "schema")
	objects := strings.ToUpper(kit.Str(in, "objectType")) + "S"
	privs, _ := kit.Strs(in, "privileges", true)
	inSchema := ""
	if schema != "" {
		inSchema = " IN SCHEMA " + ident(schema)
	}
	label := defaultPrivilegesLabel(in)
	return c.tx(ctx, kit.Str(in, "database"), func(tx pgx.Tx) error {
		return withRolesGranted(ctx, tx, version, []string{owner}, func() error {
			prefix := "ALTER DEFAULT PRIVILEGES FOR ROLE " + ident(owner) + inSchema
			if _, err := tx.Exec(ctx, prefix+" REVOKE ALL ON "+objects+" FROM "+roleIdent(role)); err != nil {
				return sqlError("revoking "+label, err)
			}
			if !grant || len(privs) == 0 {
				return nil
			}
			q := prefix + " GRANT " + strings.Join(privs, ", ") + " ON " + objects + " TO " + roleIdent(role)
			if wgo, _ := kit.Bool(in, "withGrantOption", false); wgo {
				q += " WITH GRANT OPTION"
			}
			if _, err := tx.Exec(ctx, q); err != nil {
				return sqlError(fmt.Sprintf("granting %s as %s", strings.Join(privs, ", "), label), err)
			}
			return nil
		})
	})
}

func defaultPrivilegesScope(ctx context.Context, c *Client, in kit.Props, fn func(*pgx.Conn, uint32) error) (bool, error) {
	return grantScope(ctx, c, kit.Str(in, "database"), kit.Str(in, "role"), kit.Str(in, "schema"), []string{kit.Str(in, "owner")}, fn)
}

// readDefaultPrivileges reads pg_default_acl. As in the Terraform provider, no default privileges
// left while some were wanted means the resource is gone.
func readDefaultPrivileges(ctx context.Context, c *Client, id string, state kit.Props) (map[string]any, error) {
	version, err := c.serverVersion(ctx)
	if err != nil {
		return nil, err
	}
	t := kit.Str(state, "objectType")
	schema, owner := kit.Str(state, "schema"), kit.Str(state, "owner")
	wanted, _ := kit.Strs(state, "privileges", true)
	var got []string
	ok, err := defaultPrivilegesScope(ctx, c, state, func(conn *pgx.Conn, roleOID uint32) error {
		q := `SELECT COALESCE(array_agg(DISTINCT a.privilege_type ORDER BY a.privilege_type), '{}')
			FROM pg_catalog.pg_default_acl d
			LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace,
			aclexplode(d.defaclacl) a
			WHERE d.defaclobjtype = $1 AND a.grantee = $2 AND d.defaclrole = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $3)
			  AND ` + map[bool]string{true: "n.nspname = $4", false: "d.defaclnamespace = 0 AND $4 = ''"}[schema != ""]
		if err := conn.QueryRow(ctx, q, defaultACLTypes[t], roleOID, owner, schema).Scan(&got); err != nil {
			return sqlError("reading "+defaultPrivilegesLabel(state), err)
		}
		return nil
	})
	if err != nil || !ok {
		return nil, err
	}
	if len(got) == 0 && len(wanted) > 0 {
		return nil, nil
	}
	outs := kit.Map(state)
	if !privilegesMatch(got, wanted, t, version) {
		outs["privileges"] = kit.AnyStrs(sortedSet(got))
	}
	return outs, nil
}
