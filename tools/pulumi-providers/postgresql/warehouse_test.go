package postgresql

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"

	"clinicmaster.local/tools/pulumi-providers/internal/kit"
)

// engine drives the provider through its gRPC methods, the way the Pulumi engine does.
type engine struct {
	t *testing.T
	p *kit.Provider[*Client]
}

type state struct {
	urn     string
	id      string
	inputs  *structpb.Struct // checked inputs
	outputs *structpb.Struct
}

var marshalOpts = plugin.MarshalOptions{KeepSecrets: true, KeepUnknowns: true}

func props(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	pm := resource.PropertyMap{}
	for k, v := range m {
		if pv, ok := v.(resource.PropertyValue); ok {
			pm[resource.PropertyKey(k)] = pv
		} else {
			pm[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
	}
	s, err := plugin.MarshalProperties(pm, marshalOpts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func unmarshal(t *testing.T, s *structpb.Struct) resource.PropertyMap {
	t.Helper()
	m, err := plugin.UnmarshalProperties(s, marshalOpts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func secret(s string) resource.PropertyValue { return resource.MakeSecret(resource.NewProperty(s)) }

func urn(typ, name string) string {
	return "urn:pulumi:test::clinicmaster::clinicmaster:platform:WarehouseObjects$" + typ + "::" + name
}

const (
	tDatabase = "postgresql:index/database:Database"
	tRole     = "postgresql:index/role:Role"
	tGrant    = "postgresql:index/grant:Grant"
	tDefault  = "postgresql:index/defaultPrivileges:DefaultPrivileges"
)

func ctx() context.Context { return context.Background() }

func (e *engine) configure(cfg map[string]any) {
	e.t.Helper()
	if _, err := e.p.Configure(ctx(), &pulumirpc.ConfigureRequest{Args: props(e.t, cfg), AcceptSecrets: true}); err != nil {
		e.t.Fatalf("configure: %v", err)
	}
}

func (e *engine) check(u string, olds *structpb.Struct, news map[string]any) (*structpb.Struct, []*pulumirpc.CheckFailure) {
	e.t.Helper()
	resp, err := e.p.Check(ctx(), &pulumirpc.CheckRequest{Urn: u, Olds: olds, News: props(e.t, news)})
	if err != nil {
		e.t.Fatalf("check %s: %v", u, err)
	}
	return resp.GetInputs(), resp.GetFailures()
}

// create checks and creates a resource (fails the test on any problem).
func (e *engine) create(typ, name string, in map[string]any) *state {
	e.t.Helper()
	u := urn(typ, name)
	inputs, failures := e.check(u, nil, in)
	if len(failures) > 0 {
		e.t.Fatalf("check %s: %v", name, failures)
	}
	resp, err := e.p.Create(ctx(), &pulumirpc.CreateRequest{Urn: u, Name: name, Type: typ, Properties: inputs, Timeout: 60})
	if err != nil {
		e.t.Fatalf("create %s: %v", name, err)
	}
	return &state{urn: u, id: resp.GetId(), inputs: inputs, outputs: resp.GetProperties()}
}

// diff checks the program's inputs against the state and diffs them.
func (e *engine) diff(s *state, program map[string]any) *pulumirpc.DiffResponse {
	e.t.Helper()
	news, failures := e.check(s.urn, s.inputs, program)
	if len(failures) > 0 {
		e.t.Fatalf("check %s: %v", s.urn, failures)
	}
	resp, err := e.p.Diff(ctx(), &pulumirpc.DiffRequest{Id: s.id, Urn: s.urn, Olds: s.outputs, OldInputs: s.inputs, News: news})
	if err != nil {
		e.t.Fatalf("diff %s: %v", s.urn, err)
	}
	return resp
}

// refresh reads the resource and updates the state as `pulumi refresh` does; false when it is gone.
func (e *engine) refresh(s *state) bool {
	e.t.Helper()
	resp, err := e.p.Read(ctx(), &pulumirpc.ReadRequest{Id: s.id, Urn: s.urn, Properties: s.outputs, Inputs: s.inputs})
	if err != nil {
		e.t.Fatalf("read %s: %v", s.urn, err)
	}
	if resp.GetId() == "" {
		return false
	}
	s.outputs, s.inputs = resp.GetProperties(), resp.GetInputs()
	return true
}

func (e *engine) update(s *state, program map[string]any) {
	e.t.Helper()
	news, failures := e.check(s.urn, s.inputs, program)
	if len(failures) > 0 {
		e.t.Fatalf("check %s: %v", s.urn, failures)
	}
	resp, err := e.p.Update(ctx(), &pulumirpc.UpdateRequest{Id: s.id, Urn: s.urn, Olds: s.outputs, OldInputs: s.inputs, News: news, Timeout: 60})
	if err != nil {
		e.t.Fatalf("update %s: %v", s.urn, err)
	}
	s.outputs, s.inputs = resp.GetProperties(), news
}

func (e *engine) delete(s *state) error {
	_, err := e.p.Delete(ctx(), &pulumirpc.DeleteRequest{Id: s.id, Urn: s.urn, Properties: s.outputs, OldInputs: s.inputs, Timeout: 60})
	return err
}

func strList(t *testing.T, s *structpb.Struct, key string) []string {
	t.Helper()
	v, ok := unmarshal(t, s)[resource.PropertyKey(key)]
	if !ok || v.IsNull() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		out = append(out, e.StringValue())
	}
	return out
}

// warehouseProgram is what infra/platform/warehouse-objects.ts registers (same property values).
type warehouseProgram struct {
	db, readonly, sink, reporting string
	sinkPassword, reportingPw     string
}

func (w warehouseProgram) resources() []struct {
	typ, name string
	in        map[string]any
} {
	grant := func(role, objectType string, privileges []any, schema string) map[string]any {
		m := map[string]any{"database": w.db, "role": role, "objectType": objectType, "privileges": privileges}
		if schema != "" {
			m["schema"] = schema
		}
		if objectType == "table" {
			m["objects"] = []any{}
		}
		return m
	}
	return []struct {
		typ, name string
		in        map[string]any
	}{
		{tDatabase, "wh", map[string]any{"name": w.db, "encoding": "UTF8", "allowConnections": true}},
		{tRole, "wh-readonly", map[string]any{"name": w.readonly, "login": false, "inherit": true}},
		{tRole, "wh-sink", map[string]any{"name": w.sink, "login": true, "password": secret(w.sinkPassword), "connectionLimit": 20.0, "createDatabase": false, "createRole": false, "superuser": false}},
		{tRole, "wh-reporting", map[string]any{"name": w.reporting, "login": true, "password": secret(w.reportingPw), "roles": []any{w.readonly}, "inherit": true, "createDatabase": false, "createRole": false, "superuser": false}},
		{tGrant, "wh-sink-connect", grant(w.sink, "database", []any{"CONNECT", "TEMPORARY"}, "")},
		{tGrant, "wh-sink-schema", grant(w.sink, "schema", []any{"CREATE", "USAGE"}, "public")},
		{tGrant, "wh-readonly-connect", grant(w.readonly, "database", []any{"CONNECT"}, "")},
		{tGrant, "wh-readonly-schema", grant(w.readonly, "schema", []any{"USAGE"}, "public")},
		{tGrant, "wh-readonly-tables", grant(w.readonly, "table", []any{"SELECT"}, "public")},
		{tDefault, "wh-readonly-future-tables", map[string]any{"database": w.db, "owner": w.sink, "role": w.readonly, "schema": "public", "objectType": "table", "privileges": []any{"SELECT"}}},
	}
}

func TestWarehouseObjects(t *testing.T) {
	start := time.Now()
	srv := startPostgres(t)
	t.Logf("PostgreSQL started in %s", time.Since(start).Round(time.Millisecond))

	// An RDS-like administrator: not a superuser, CREATEDB and CREATEROLE.
	srv.exec(t, "postgres", "CREATE ROLE rds_admin LOGIN CREATEDB CREATEROLE PASSWORD 'rds-admin-pw'")

	for _, tc := range []struct {
		name, user, password, superuser string
		parallelDestroy                 bool
	}{
		// The local stack: a superuser; destroy races the database against the roles.
		{"superuser-login", "postgres", srv.password, "true", true},
		// RDS: the master is not a superuser; roles are dropped while the database still exists.
		{"createrole-login", "rds_admin", "rds-admin-pw", "false", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runWarehouse(t, srv, tc.user, tc.password, tc.superuser, tc.parallelDestroy)
		})
	}
	t.Logf("total %s", time.Since(start).Round(time.Millisecond))
}

func runWarehouse(t *testing.T, srv *testServer, user, password, superuser string, parallelDestroy bool) {
	p, resources := Provider("test")
	p.Register(resources...)
	e := &engine{t: t, p: p}
	// As @pulumi/postgresql sends it: non-string configuration as JSON strings.
	e.configure(map[string]any{
		"host": "127.0.0.1", "port": fmt.Sprint(srv.port), "username": user, "password": secret(password),
		"database": "postgres", "sslmode": "disable", "superuser": superuser, "connectTimeout": "10",
	})

	w := warehouseProgram{
		db: "clinicmaster_warehouse", readonly: "clinicmaster_readonly", sink: "clinicmaster_sink",
		reporting: "clinicmaster_reporting",
		// Printable ASCII (sent as a SCRAM verifier) and non-ASCII with quote and backslash (sent
		// as an escaped literal).
		sinkPassword: "Sink0pw'with\\quote", reportingPw: "rëport'pw\\x",
	}
	program := w.resources()
	t.Cleanup(func() {
		if t.Failed() { // leave nothing behind for the next case
			srv.exec(t, "postgres", "DROP DATABASE IF EXISTS "+w.db+" WITH (FORCE)")
			for _, r := range []string{w.reporting, w.sink, w.readonly} {
				srv.exec(t, "postgres", "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '"+r+"') THEN EXECUTE 'DROP OWNED BY "+r+"'; EXECUTE 'DROP ROLE "+r+"'; END IF; END $$")
			}
		}
	})
	states := map[string]*state{}
	for _, r := range program {
		states[r.name] = e.create(r.typ, r.name, r.in)
	}
	// IDs as the Terraform provider makes them.
	for name, want := range map[string]string{
		"wh": w.db, "wh-sink": w.sink,
		"wh-sink-connect":           w.sink + "_" + w.db + "_database",
		"wh-readonly-tables":        w.readonly + "_" + w.db + "_public_table",
		"wh-readonly-future-tables": w.readonly + "_" + w.db + "_public_" + w.sink + "_table",
	} {
		if got := states[name].id; got != want {
			t.Errorf("ID of %s: got %q, want %q", name, got, want)
		}
	}
	// The password is a secret output.
	if pw := unmarshal(t, states["wh-sink"].outputs)["password"]; !pw.IsSecret() || pw.SecretValue().Element.StringValue() != w.sinkPassword {
		t.Errorf("sink password output must be the given password, as a secret; got %v", pw)
	}
	if got := srv.query(t, "postgres", "SELECT rolconnlimit::text FROM pg_roles WHERE rolname = $1", w.sink); len(got) != 1 || got[0] != "20" {
		t.Errorf("sink connection limit: %v", got)
	}

	// The sink creates a table; the reporting login reads it (default privileges) and cannot write.
	sinkConn, err := srv.connect(ctx(), w.db, w.sink, w.sinkPassword)
	if err != nil {
		t.Fatalf("sink login: %v", err)
	}
	for _, q := range []string{"CREATE TABLE public.visits (id int PRIMARY KEY, facility text)", "INSERT INTO public.visits VALUES (1, 'f1'), (2, 'f2')"} {
		if _, err := sinkConn.Exec(ctx(), q); err != nil {
			t.Fatalf("sink: %s: %v", q, err)
		}
	}
	sinkConn.Close(ctx())
	readAsReporting := func() error {
		conn, err := srv.connect(ctx(), w.db, w.reporting, w.reportingPw)
		if err != nil {
			return fmt.Errorf("reporting login: %w", err)
		}
		defer conn.Close(ctx())
		var n int
		if err := conn.QueryRow(ctx(), "SELECT count(*) FROM public.visits").Scan(&n); err != nil {
			return err
		}
		if n != 2 {
			return fmt.Errorf("reporting read %d rows, want 2", n)
		}
		if _, err := conn.Exec(ctx(), "INSERT INTO public.visits VALUES (3, 'f3')"); err == nil || !strings.Contains(err.Error(), "permission denied") {
			return fmt.Errorf("reporting must not write; INSERT gave %v", err)
		}
		return nil
	}
	if err := readAsReporting(); err != nil {
		t.Fatalf("a table created by the sink must be readable by the reporting login: %v", err)
	}

	// Same program again: no diff, before and after a refresh.
	for _, r := range program {
		if d := e.diff(states[r.name], r.in); d.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE {
			t.Errorf("%s: same inputs must be DIFF_NONE, got %v %v", r.name, d.GetChanges(), d.GetDiffs())
		}
		if !e.refresh(states[r.name]) {
			t.Fatalf("%s: read says it is gone", r.name)
		}
		if d := e.diff(states[r.name], r.in); d.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE {
			t.Errorf("%s: after refresh, same inputs must be DIFF_NONE, got %v %v", r.name, d.GetChanges(), d.GetDiffs())
		}
	}
	// Reordered set inputs are no change either.
	if d := e.diff(states["wh-sink-connect"], map[string]any{"database": w.db, "role": w.sink, "objectType": "database", "privileges": []any{"TEMPORARY", "CONNECT"}}); d.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE {
		t.Errorf("reordered privileges must be DIFF_NONE, got %v", d.GetDiffs())
	}

	// A hand REVOKE shows up as drift in Read, and the update puts the grant back.
	srv.exec(t, w.db, "REVOKE SELECT ON public.visits FROM "+w.readonly, "REVOKE TEMPORARY ON DATABASE "+w.db+" FROM "+w.sink)
	if err := readAsReporting(); err == nil {
		t.Fatal("after the hand REVOKE the reporting login must not read")
	}
	tables, connect := states["wh-readonly-tables"], states["wh-sink-connect"]
	e.refresh(tables)
	e.refresh(connect)
	if got := strList(t, tables.outputs, "privileges"); len(got) != 0 {
		t.Errorf("readonly table privileges after REVOKE: got %v, want []", got)
	}
	if got := strList(t, connect.outputs, "privileges"); strings.Join(got, ",") != "CONNECT" {
		t.Errorf("sink database privileges after REVOKE: got %v, want [CONNECT]", got)
	}
	for _, name := range []string{"wh-readonly-tables", "wh-sink-connect"} {
		var in map[string]any
		for _, r := range program {
			if r.name == name {
				in = r.in
			}
		}
		d := e.diff(states[name], in)
		if d.GetChanges() != pulumirpc.DiffResponse_DIFF_SOME || strings.Join(d.GetDiffs(), ",") != "privileges" || len(d.GetReplaces()) != 0 {
			t.Errorf("%s: drift must be an in-place privileges change, got %v diffs=%v replaces=%v", name, d.GetChanges(), d.GetDiffs(), d.GetReplaces())
		}
		e.update(states[name], in)
		e.refresh(states[name])
		if d := e.diff(states[name], in); d.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE {
			t.Errorf("%s: after update, DIFF_NONE expected, got %v", name, d.GetDiffs())
		}
	}
	if err := readAsReporting(); err != nil {
		t.Fatalf("after the update the reporting login must read again: %v", err)
	}

	// Role changes in place: connection limit and memberships.
	sinkIn := program[2].in
	changedSink := map[string]any{}
	for k, v := range sinkIn {
		changedSink[k] = v
	}
	changedSink["connectionLimit"] = 25.0
	if d := e.diff(states["wh-sink"], changedSink); len(d.GetReplaces()) != 0 || strings.Join(d.GetDiffs(), ",") != "connectionLimit" {
		t.Errorf("connectionLimit must update in place: %v %v", d.GetDiffs(), d.GetReplaces())
	}
	e.update(states["wh-sink"], changedSink)
	if got := srv.query(t, "postgres", "SELECT rolconnlimit::text FROM pg_roles WHERE rolname = $1", w.sink); len(got) != 1 || got[0] != "25" {
		t.Errorf("sink connection limit after update: %v", got)
	}
	changedSink["password"] = secret("New'Sink-pw")
	if d := e.diff(states["wh-sink"], changedSink); len(d.GetReplaces()) != 0 || strings.Join(d.GetDiffs(), ",") != "password" {
		t.Errorf("a new password must update in place: %v %v", d.GetDiffs(), d.GetReplaces())
	}
	e.update(states["wh-sink"], changedSink)
	if conn, err := srv.connect(ctx(), w.db, w.sink, "New'Sink-pw"); err != nil {
		t.Errorf("sink login with the new password: %v", err)
	} else {
		conn.Close(ctx())
	}
	srv.exec(t, "postgres", "REVOKE "+w.readonly+" FROM "+w.reporting)
	e.refresh(states["wh-reporting"])
	if got := strList(t, states["wh-reporting"].outputs, "roles"); len(got) != 0 {
		t.Errorf("reporting roles after a hand REVOKE: %v", got)
	}
	e.update(states["wh-reporting"], program[3].in)
	if err := readAsReporting(); err != nil {
		t.Fatalf("after re-granting the membership the reporting login must read: %v", err)
	}

	// Clear errors, never a password.
	_, failures := e.check(urn(tGrant, "bad"), nil, map[string]any{"database": w.db, "role": w.sink, "objectType": "function", "schema": "public", "privileges": []any{"EXECUTE"}})
	if len(failures) != 1 || !strings.Contains(failures[0].GetReason(), "not implemented") {
		t.Errorf("objectType function must be refused in Check: %v", failures)
	}
	_, failures = e.check(urn(tGrant, "bad"), nil, map[string]any{"database": w.db, "role": w.sink, "objectType": "schema", "schema": "public", "privileges": []any{"SELECT"}})
	if len(failures) != 1 || !strings.Contains(failures[0].GetReason(), "SELECT is not a privilege of object type schema") {
		t.Errorf("a wrong privilege must be refused in Check: %v", failures)
	}
	dupPw := "Dup'Secret-" + user
	inputs, _ := e.check(urn(tRole, "dup"), nil, map[string]any{"name": w.sink, "login": true, "password": secret(dupPw)})
	_, err = e.p.Create(ctx(), &pulumirpc.CreateRequest{Urn: urn(tRole, "dup"), Properties: inputs})
	if err == nil || !strings.Contains(err.Error(), `creating role "clinicmaster_sink"`) || !strings.Contains(err.Error(), "already exists") || !strings.Contains(err.Error(), "42710") {
		t.Errorf("duplicate role: want a clear error, got %v", err)
	} else if strings.Contains(err.Error(), dupPw) || strings.Contains(err.Error(), "Secret") {
		t.Errorf("the password leaked into an error: %v", err)
	}
	inputs, _ = e.check(urn(tGrant, "nobody"), nil, map[string]any{"database": w.db, "role": "nobody", "objectType": "schema", "schema": "public", "privileges": []any{"USAGE"}})
	_, err = e.p.Create(ctx(), &pulumirpc.CreateRequest{Urn: urn(tGrant, "nobody"), Properties: inputs})
	if err == nil || !strings.Contains(err.Error(), `role "nobody" does not exist`) || !strings.Contains(err.Error(), `schema "public" in database "clinicmaster_warehouse"`) {
		t.Errorf("grant to a missing role: want a clear error, got %v", err)
	}

	// Destroy in the engine's order: dependents first, independent resources in parallel (the
	// database and the roles race, as in `pulumi destroy`).
	order := [][]string{
		{"wh-readonly-future-tables"},
		{"wh-sink-connect", "wh-sink-schema", "wh-readonly-connect", "wh-readonly-schema", "wh-readonly-tables"},
		{"wh-reporting"},
		{"wh-readonly", "wh-sink", "wh"},
	}
	if !parallelDestroy {
		order[3] = []string{"wh-readonly", "wh-sink"}
		order = append(order, []string{"wh"})
	}
	for _, step := range order {
		var wg sync.WaitGroup
		errs := make([]error, len(step))
		for i, name := range step {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = e.delete(states[name])
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("delete %s: %v", step[i], err)
			}
		}
		if !parallelDestroy && step[0] == "wh-readonly" {
			// The sink's table outlives the sink: it now belongs to the provider's login.
			if got := srv.query(t, w.db, "SELECT tableowner::text FROM pg_tables WHERE tablename = 'visits'"); len(got) != 1 || got[0] != user {
				t.Errorf("after dropping the sink role its table must belong to %s, got owner %v", user, got)
			}
		}
	}
	left := srv.query(t, "postgres", "SELECT rolname::text FROM pg_roles WHERE rolname LIKE 'clinicmaster%' UNION ALL SELECT datname::text FROM pg_database WHERE datname LIKE 'clinicmaster%'")
	sort.Strings(left)
	if len(left) != 0 {
		t.Errorf("after deleting everything these remain: %v", left)
	}
	if user != "postgres" {
		// The temporary memberships the non-superuser login took are gone again.
		if got := srv.query(t, "postgres", "SELECT pg_get_userbyid(roleid)::text FROM pg_auth_members WHERE member = (SELECT oid FROM pg_roles WHERE rolname = $1)", user); len(got) != 0 {
			t.Errorf("%s is still a member of %v", user, got)
		}
	}
	// Deleting again is not an error (already gone).
	for _, name := range []string{"wh-sink", "wh", "wh-readonly-tables", "wh-readonly-future-tables"} {
		if err := e.delete(states[name]); err != nil {
			t.Errorf("second delete of %s: %v", name, err)
		}
	}
	// A read of a deleted resource says it is gone.
	if e.refresh(states["wh-sink"]) || e.refresh(states["wh"]) || e.refresh(states["wh-readonly-tables"]) {
		t.Error("read of deleted resources must report them gone")
	}
}
