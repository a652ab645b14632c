package postgresql

import (
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func TestProviderConfig(t *testing.T) {
	t.Setenv("PGSSLMODE", "")
	cfg := resource.NewPropertyMapFromMap(map[string]any{
		"host": "db.example", "port": "6432", "username": "admin", "database": "postgres",
		"superuser": "false", "connectTimeout": "30",
	})
	cfg["password"] = resource.MakeSecret(resource.NewProperty("s3cret"))
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.cfg.Port != 6432 || c.cfg.Superuser || c.cfg.ConnectTimeout != 30*time.Second || c.cfg.Password != "s3cret" {
		t.Fatalf("config: %+v", c.cfg)
	}
	if c.cfg.SSLMode != "require" {
		t.Fatalf("default sslmode must be require (the Terraform provider's), got %q", c.cfg.SSLMode)
	}
	cc, err := c.connConfig("warehouse")
	if err != nil {
		t.Fatal(err)
	}
	if cc.Host != "db.example" || cc.Port != 6432 || cc.Database != "warehouse" || cc.User != "admin" || cc.Password != "s3cret" || cc.TLSConfig == nil {
		t.Fatalf("connection config: host=%s port=%d db=%s user=%s tls=%v", cc.Host, cc.Port, cc.Database, cc.User, cc.TLSConfig != nil)
	}
	for _, bad := range []map[string]any{{"port": "x"}, {"sslmode": "sometimes"}, {"port": "70000"}, {"scheme": "awspostgres"}, {"awsRdsIamAuth": "true"}} {
		m := resource.NewPropertyMapFromMap(bad)
		m["password"] = resource.MakeSecret(resource.NewProperty("s3cret"))
		_, err := NewClient(m)
		if err == nil {
			t.Errorf("%v must be refused", bad)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("password in error: %v", err)
		}
	}
	// Unknown values (preview) do not fail configuration.
	m := resource.PropertyMap{"host": resource.MakeComputed(resource.NewProperty("")), "port": resource.MakeComputed(resource.NewProperty(""))}
	if _, err := NewClient(m); err != nil {
		t.Fatalf("unknown configuration must be accepted: %v", err)
	}
}

func TestLiteralAndVerifier(t *testing.T) {
	for in, want := range map[string]string{
		"plain":  "'plain'",
		"it's":   "'it''s'",
		`a\b'c`:  ` E'a\\b''c'`,
		"ünï'cō": "'ünï''cō'",
	} {
		if got := literal(in); got != want {
			t.Errorf("literal(%q) = %s, want %s", in, got, want)
		}
	}
	v, err := scramVerifier("pw")
	if err != nil || !strings.HasPrefix(v, "SCRAM-SHA-256$4096:") || strings.Contains(v, "pw$") {
		t.Fatalf("verifier %q %v", v, err)
	}
	if ident(`we"ird`) != `"we""ird"` || roleIdent("public") != "PUBLIC" {
		t.Fatal("identifier quoting")
	}
}

func TestCheckNormalisesAndValidates(t *testing.T) {
	p, resources := Provider("test")
	p.Register(resources...)
	e := &engine{t: t, p: p}
	u := urn(tGrant, "g")
	inputs, failures := e.check(u, nil, map[string]any{"database": "wh", "role": "r", "objectType": "table", "schema": "public", "objects": []any{"b", "a"}, "privileges": []any{"select", "INSERT", "SELECT"}})
	if len(failures) != 0 {
		t.Fatal(failures)
	}
	if got := strings.Join(strList(t, inputs, "privileges"), ","); got != "INSERT,SELECT" {
		t.Errorf("privileges normalised to %s", got)
	}
	if got := strings.Join(strList(t, inputs, "objects"), ","); got != "a,b" {
		t.Errorf("objects normalised to %s", got)
	}
	if v := unmarshal(t, inputs)["withGrantOption"]; !v.IsBool() || v.BoolValue() {
		t.Errorf("withGrantOption default: %v", v)
	}
	// Preview: unknown names pass Check.
	unknown := resource.MakeComputed(resource.NewProperty(""))
	for typ, in := range map[string]map[string]any{
		tGrant:    {"database": unknown, "role": unknown, "objectType": "database", "privileges": []any{"CONNECT"}},
		tDefault:  {"database": unknown, "owner": unknown, "role": unknown, "schema": "public", "objectType": "table", "privileges": []any{"SELECT"}},
		tRole:     {"name": "r", "roles": resource.NewProperty([]resource.PropertyValue{unknown}), "password": unknown},
		tDatabase: {"name": unknown},
	} {
		if _, f := e.check(urn(typ, "x"), nil, in); len(f) != 0 {
			t.Errorf("%s with unknown inputs: %v", typ, f)
		}
	}
	for typ, in := range map[string]map[string]any{
		tGrant:    {"database": "wh", "role": "r", "objectType": "table", "privileges": []any{"SELECT"}}, // no schema
		tDefault:  {"database": "wh", "owner": "o", "role": "r", "objectType": "schema", "schema": "public", "privileges": []any{"USAGE"}},
		tRole:     {"name": "r", "connectionLimit": -2.0},
		tDatabase: {"name": "d", "connectionLimit": -5.0},
	} {
		if _, f := e.check(urn(typ, "x"), nil, in); len(f) == 0 {
			t.Errorf("%s %v must be refused", typ, in)
		}
	}
	// Diff: privileges change in place, the role replaces (delete first: same identity).
	olds, _ := e.check(u, nil, map[string]any{"database": "wh", "role": "r", "objectType": "database", "privileges": []any{"CONNECT"}})
	s := &state{urn: u, id: "r_wh_database", inputs: olds, outputs: olds}
	if d := e.diff(s, map[string]any{"database": "wh", "role": "r", "objectType": "database", "privileges": []any{"CONNECT", "TEMPORARY"}}); d.GetChanges() != pulumirpc.DiffResponse_DIFF_SOME || len(d.GetReplaces()) != 0 {
		t.Errorf("privileges change: %v", d)
	}
	if d := e.diff(s, map[string]any{"database": "wh", "role": "r2", "objectType": "database", "privileges": []any{"CONNECT"}}); len(d.GetReplaces()) != 1 || !d.GetDeleteBeforeReplace() {
		t.Errorf("role change must replace, deleting first: %v", d)
	}
}
