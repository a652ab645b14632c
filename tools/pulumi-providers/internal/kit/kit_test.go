package kit

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

type fake struct{ created map[string]Props }

func testProvider() *Provider[*fake] {
	f := &fake{created: map[string]Props{}}
	p := &Provider[*fake]{Name: "test", Version: "1.0.0", NewClient: func(Props) (*fake, error) { return f, nil }}
	p.resources = map[string]*Resource[*fake]{
		"test:index/thing:Thing": {
			Token:               "test:index/thing:Thing",
			Inputs:              []string{"name", "size", "password", "tags"},
			Defaults:            map[string]any{"size": 1.0},
			Replace:             []string{"name"},
			DeleteBeforeReplace: true,
			Validate: func(in Props) []Failure {
				if n, _ := Int(in, "size", 0); Known(in, "size") && n < 1 {
					return []Failure{{Property: "size", Reason: "size must be at least 1"}}
				}
				return nil
			},
			Create: func(_ context.Context, f *fake, in Props) (string, map[string]any, error) {
				f.created[Str(in, "name")] = in
				return Str(in, "name"), Map(in), nil
			},
			Read: func(_ context.Context, f *fake, id string, _ Props) (map[string]any, error) {
				in, ok := f.created[id]
				if !ok {
					return nil, nil
				}
				out := Map(in)
				delete(out, "password") // not readable back
				return out, nil
			},
			Update: func(_ context.Context, f *fake, id string, _, news Props) (map[string]any, error) {
				f.created[id] = news
				return Map(news), nil
			},
			Delete: func(_ context.Context, f *fake, id string, _ Props) error { delete(f.created, id); return nil },
		},
	}
	return p
}

func mustStruct(t *testing.T, p Props) *structpb.Struct {
	t.Helper()
	s, err := plugin.MarshalProperties(p, plugin.MarshalOptions{KeepSecrets: true, KeepUnknowns: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const urn = "urn:pulumi:local::proj::test:index/thing:Thing::a"

func props(m map[string]any) Props { return resource.NewPropertyMapFromMap(m) }

func TestCheckAppliesDefaultsAndReportsFailures(t *testing.T) {
	p := testProvider()
	resp, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urn, News: mustStruct(t, props(map[string]any{"name": "a"}))})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := Unmarshal(resp.Inputs)
	if n, _ := Int(in, "size", 0); n != 1 {
		t.Fatalf("default size not applied: %v", in)
	}
	resp, err = p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urn, News: mustStruct(t, props(map[string]any{"name": "a", "size": 0.0}))})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Failures) != 1 || resp.Failures[0].Property != "size" {
		t.Fatalf("expected one failure on size, got %v", resp.Failures)
	}
}

func TestDiff(t *testing.T) {
	p := testProvider()
	base := props(map[string]any{"name": "a", "size": 2.0, "tags": []any{"x", "y"}})
	secretPw := base.Copy()
	secretPw["password"] = resource.MakeSecret(resource.NewProperty("s3cret"))
	cases := []struct {
		name            string
		olds, news      Props
		changes         pulumirpc.DiffResponse_DiffChanges
		replaces        []string
		deleteBeforeRep bool
	}{
		{"same inputs: no diff", base, base.Copy(), pulumirpc.DiffResponse_DIFF_NONE, nil, false},
		{"same secret, one side plain: no diff", secretPw, func() Props { c := base.Copy(); c["password"] = resource.NewProperty("s3cret"); return c }(), pulumirpc.DiffResponse_DIFF_NONE, nil, false},
		{"in-place change", base, func() Props { c := base.Copy(); c["size"] = resource.NewProperty(3.0); return c }(), pulumirpc.DiffResponse_DIFF_SOME, nil, false},
		{"replacing change", base, func() Props { c := base.Copy(); c["name"] = resource.NewProperty("b"); return c }(), pulumirpc.DiffResponse_DIFF_SOME, []string{"name"}, true},
		{"unknown value is a change", base, func() Props { c := base.Copy(); c["name"] = resource.MakeComputed(resource.NewProperty("")); return c }(), pulumirpc.DiffResponse_DIFF_SOME, []string{"name"}, true},
		{"null equals absent", base, func() Props { c := base.Copy(); c["password"] = resource.NewNullProperty(); return c }(), pulumirpc.DiffResponse_DIFF_NONE, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: urn, Id: "a", OldInputs: mustStruct(t, c.olds), Olds: mustStruct(t, c.olds), News: mustStruct(t, c.news)})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Changes != c.changes {
				t.Fatalf("changes = %v, want %v (diffs %v)", resp.Changes, c.changes, resp.Diffs)
			}
			if len(resp.Replaces) != len(c.replaces) || (len(c.replaces) > 0 && resp.Replaces[0] != c.replaces[0]) {
				t.Fatalf("replaces = %v, want %v", resp.Replaces, c.replaces)
			}
			if resp.DeleteBeforeReplace != c.deleteBeforeRep {
				t.Fatalf("deleteBeforeReplace = %v", resp.DeleteBeforeReplace)
			}
		})
	}
}

func TestCreateReadKeepsSecretsAndRebuildsInputs(t *testing.T) {
	p := testProvider()
	if _, err := p.Configure(context.Background(), &pulumirpc.ConfigureRequest{Args: mustStruct(t, Props{})}); err != nil {
		t.Fatal(err)
	}
	in := props(map[string]any{"name": "a", "size": 2.0})
	in["password"] = resource.MakeSecret(resource.NewProperty("s3cret"))
	cr, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: mustStruct(t, in)})
	if err != nil {
		t.Fatal(err)
	}
	outs, _ := Unmarshal(cr.Properties)
	if !outs["password"].IsSecret() {
		t.Fatalf("password output lost its secretness: %v", outs["password"])
	}
	rr, err := p.Read(context.Background(), &pulumirpc.ReadRequest{Urn: urn, Id: cr.Id, Properties: cr.Properties, Inputs: mustStruct(t, in)})
	if err != nil {
		t.Fatal(err)
	}
	ins, _ := Unmarshal(rr.Inputs)
	if !ins["password"].IsSecret() || Str(ins, "password") != "s3cret" {
		t.Fatalf("unreadable secret input not carried over: %v", ins["password"])
	}
	if _, err := p.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: urn, Id: cr.Id, Properties: cr.Properties}); err != nil {
		t.Fatal(err)
	}
	rr, err = p.Read(context.Background(), &pulumirpc.ReadRequest{Urn: urn, Id: cr.Id, Properties: cr.Properties})
	if err != nil {
		t.Fatal(err)
	}
	if rr.Id != "" {
		t.Fatalf("a deleted resource must read back with an empty id, got %q", rr.Id)
	}
}

func TestProviderConfigJSONStrings(t *testing.T) {
	cfg := props(map[string]any{"servers": `["a:1","b:2"]`, "tls": "true", "timeout": "120", "n": 5.0})
	s, err := Strs(cfg, "servers", false)
	if err != nil || len(s) != 2 || s[1] != "b:2" {
		t.Fatalf("servers: %v %v", s, err)
	}
	if b, err := Bool(cfg, "tls", false); err != nil || !b {
		t.Fatalf("tls: %v %v", b, err)
	}
	if n, err := Int(cfg, "timeout", 0); err != nil || n != 120 {
		t.Fatalf("timeout: %v %v", n, err)
	}
	if _, err := Bool(props(map[string]any{"tls": "yes please"}), "tls", false); err == nil {
		t.Fatal("a non-boolean string must be refused")
	}
}

func TestUnknownType(t *testing.T) {
	p := testProvider()
	_, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: "urn:pulumi:s::p::test:index/other:Other::x", News: mustStruct(t, Props{})})
	if err == nil {
		t.Fatal("an unknown type must be refused")
	}
}
