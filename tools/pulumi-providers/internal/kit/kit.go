// Package kit is the gRPC side of this repository's resource providers: one Provider serves the
// engine's ResourceProvider calls (configure, check, diff, create, read, update, delete) for a set of
// Resource definitions. A Resource says what its inputs are, which of them replace it, and how to
// create, read, update and delete it; everything else (property marshalling, secrets, diffs, refresh
// inputs) is done here once.
//
// The providers speak the schema of the npm SDKs the programs use (@pulumi/kafka, @pulumi/postgresql,
// @pulumi/random): same type tokens, same camelCase property names.
package kit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Props is a property map as the engine sends it (secrets and unknowns kept).
type Props = resource.PropertyMap

// Failure is one input problem reported from Check: the property and what is wrong with it.
type Failure struct {
	Property string
	Reason   string
}

// Resource defines one resource type of a provider. C is the provider's configured client.
type Resource[C any] struct {
	// Token is the type token, e.g. "kafka:index/topic:Topic".
	Token string
	// Inputs lists the input property names (used to rebuild inputs from a Read).
	Inputs []string
	// Defaults are applied by Check to inputs that are absent or null.
	Defaults map[string]any
	// Replace lists the inputs whose change replaces the resource; ReplaceAll replaces on any change.
	Replace    []string
	ReplaceAll bool
	// DeleteBeforeReplace: the replacement has the same identity (a name), so the old one goes first.
	DeleteBeforeReplace bool
	// SecretOutputs are always returned as secrets.
	SecretOutputs []string
	// Computed lists inputs the server fills in when they are not given (e.g. a database's owner):
	// Read copies them from the live outputs into the inputs only when the old inputs had them, so a
	// refresh does not turn a server-chosen value into an input the program never set. Optional.
	Computed []string
	// Normalize rewrites the inputs in Check, after defaults and before Validate (e.g. sorts lists
	// with set semantics so a reordering is no diff). Optional.
	Normalize func(in Props)
	// Validate checks known inputs after defaults (unknown values are skipped by the helpers).
	Validate func(in Props) []Failure
	// ExtraReplaces returns further inputs that force a replacement for this particular change
	// (e.g. fewer partitions). Optional.
	ExtraReplaces func(olds, news Props) []string
	// Create makes the resource and returns its ID and outputs.
	Create func(ctx context.Context, c C, in Props) (string, map[string]any, error)
	// Read returns the live outputs, or nil when the resource no longer exists.
	Read func(ctx context.Context, c C, id string, state Props) (map[string]any, error)
	// Update changes the resource in place; nil means every change replaces.
	Update func(ctx context.Context, c C, id string, olds, news Props) (map[string]any, error)
	// Delete removes the resource; a resource already gone is not an error.
	Delete func(ctx context.Context, c C, id string, state Props) error
}

// Provider serves a set of resources with one configured client.
type Provider[C any] struct {
	pulumirpc.UnimplementedResourceProviderServer
	Name    string
	Version string
	// Configure builds the client from the provider's configuration. It must not connect: the engine
	// configures providers during previews too; connect on first use.
	NewClient func(cfg Props) (C, error)
	// OperationTimeout bounds every create/read/update/delete. @default 2 minutes
	OperationTimeout time.Duration

	mu         sync.Mutex
	client     C
	configured bool
	resources  map[string]*Resource[C]
}

// Serve runs the provider as a Pulumi plugin (prints its port, serves gRPC until the engine stops it).
// "-version" prints the version and exits.
func Serve[C any](p *Provider[C], resources ...*Resource[C]) {
	for _, a := range os.Args[1:] {
		if a == "-version" || a == "--version" {
			fmt.Println(p.Version)
			return
		}
	}
	p.resources = map[string]*Resource[C]{}
	for _, r := range resources {
		p.resources[r.Token] = r
	}
	if err := provider.Main(p.Name, func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return p, nil
	}); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-%s: %v\n", p.Name, err)
		os.Exit(1)
	}
}

var unmarshalOpts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}
var marshalOpts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true}

// Unmarshal turns a gRPC struct into Props.
func Unmarshal(s *structpb.Struct) (Props, error) {
	if s == nil {
		return Props{}, nil
	}
	return plugin.UnmarshalProperties(s, unmarshalOpts)
}

func marshal(p Props) (*structpb.Struct, error) { return plugin.MarshalProperties(p, marshalOpts) }

func (p *Provider[C]) resourceOf(urn, typ string) (*Resource[C], error) {
	if typ == "" {
		// urn:pulumi:stack::project::parent$type::name — the type is the last $-separated part.
		parts := strings.Split(urn, "::")
		if len(parts) >= 4 {
			t := parts[2]
			if i := strings.LastIndex(t, "$"); i >= 0 {
				t = t[i+1:]
			}
			typ = t
		}
	}
	r, ok := p.resources[typ]
	if !ok {
		return nil, status.Errorf(codes.InvalidArgument, "%s provider: unknown resource type %q (this provider implements %s)", p.Name, typ, strings.Join(p.tokens(), ", "))
	}
	return r, nil
}

func (p *Provider[C]) tokens() []string {
	var t []string
	for k := range p.resources {
		t = append(t, k)
	}
	sort.Strings(t)
	return t
}

func (p *Provider[C]) clientOf() (C, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.configured {
		var zero C
		return zero, fmt.Errorf("%s provider: not configured", p.Name)
	}
	return p.client, nil
}

func (p *Provider[C]) opCtx(ctx context.Context, timeoutSeconds float64) (context.Context, context.CancelFunc) {
	d := p.OperationTimeout
	if d == 0 {
		d = 2 * time.Minute
	}
	if timeoutSeconds > 0 {
		d = time.Duration(timeoutSeconds * float64(time.Second))
	}
	return context.WithTimeout(ctx, d)
}

// GetPluginInfo reports the version.
func (p *Provider[C]) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: p.Version}, nil
}

// GetSchema returns a minimal schema: the programs use the published npm SDKs, not generated code.
func (p *Provider[C]) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	b, _ := json.Marshal(map[string]any{"name": p.Name, "version": p.Version})
	return &pulumirpc.GetSchemaResponse{Schema: string(b)}, nil
}

// Cancel: operations are bounded by their own timeouts.
func (p *Provider[C]) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// CheckConfig accepts the configuration as given; Configure reports problems with it.
func (p *Provider[C]) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// diffInputs returns what a diff compares: the old inputs (or the old outputs, from an engine that
// sends no old inputs) and the new inputs.
func diffInputs(req *pulumirpc.DiffRequest) (olds, news Props, err error) {
	if olds, err = Unmarshal(req.GetOldInputs()); err == nil && len(olds) == 0 {
		olds, err = Unmarshal(req.GetOlds())
	}
	if err != nil {
		return nil, nil, err
	}
	news, err = Unmarshal(req.GetNews())
	return olds, news, err
}

// DiffConfig: a changed configuration (another address or password) never replaces resources.
func (p *Provider[C]) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, news, err := diffInputs(req)
	if err != nil {
		return nil, err
	}
	changed := changedKeys(olds, news, nil)
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: changed}, nil
}

// Configure builds the client. Values may arrive as typed args or as the legacy string variables.
func (p *Provider[C]) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	cfg := Props{}
	if req.GetArgs() != nil {
		var err error
		if cfg, err = Unmarshal(req.GetArgs()); err != nil {
			return nil, err
		}
	} else {
		for k, v := range req.GetVariables() {
			key := k
			if i := strings.LastIndex(k, ":"); i >= 0 {
				key = k[i+1:]
			}
			cfg[resource.PropertyKey(key)] = resource.NewProperty(v)
		}
	}
	c, err := p.NewClient(cfg)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	p.mu.Lock()
	p.client, p.configured = c, true
	p.mu.Unlock()
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: false}, nil
}

// Check applies defaults and validates.
func (p *Provider[C]) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	r, err := p.resourceOf(req.GetUrn(), req.GetType())
	if err != nil {
		return nil, err
	}
	news, err := Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	for k, v := range r.Defaults {
		key := resource.PropertyKey(k)
		if cur, ok := news[key]; !ok || cur.IsNull() {
			news[key] = resource.NewPropertyValue(v)
		}
	}
	if r.Normalize != nil {
		r.Normalize(news)
	}
	var failures []*pulumirpc.CheckFailure
	if r.Validate != nil {
		for _, f := range r.Validate(news) {
			failures = append(failures, &pulumirpc.CheckFailure{Property: f.Property, Reason: f.Reason})
		}
	}
	inputs, err := marshal(news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs, Failures: failures}, nil
}

// Diff compares the old inputs with the new ones.
func (p *Provider[C]) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	r, err := p.resourceOf(req.GetUrn(), req.GetType())
	if err != nil {
		return nil, err
	}
	olds, news, err := diffInputs(req)
	if err != nil {
		return nil, err
	}
	changed := changedKeys(olds, news, req.GetIgnoreChanges())
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE, HasDetailedDiff: true}, nil
	}
	replace := map[string]bool{}
	for _, k := range r.Replace {
		replace[k] = true
	}
	if r.ExtraReplaces != nil {
		for _, k := range r.ExtraReplaces(olds, news) {
			replace[k] = true
		}
	}
	resp := &pulumirpc.DiffResponse{
		Changes:         pulumirpc.DiffResponse_DIFF_SOME,
		Diffs:           changed,
		HasDetailedDiff: true,
		DetailedDiff:    map[string]*pulumirpc.PropertyDiff{},
	}
	for _, k := range changed {
		kind := pulumirpc.PropertyDiff_UPDATE
		_, inOld := olds[resource.PropertyKey(k)]
		_, inNew := news[resource.PropertyKey(k)]
		if !inOld {
			kind = pulumirpc.PropertyDiff_ADD
		} else if !inNew {
			kind = pulumirpc.PropertyDiff_DELETE
		}
		if r.ReplaceAll || r.Update == nil || replace[k] {
			resp.Replaces = append(resp.Replaces, k)
			kind += 1 // each *_REPLACE kind follows its plain kind
		}
		resp.DetailedDiff[k] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	resp.DeleteBeforeReplace = len(resp.Replaces) > 0 && r.DeleteBeforeReplace
	return resp, nil
}

// changedKeys lists the top-level keys whose values differ (null = absent; secrets compared by value).
func changedKeys(olds, news Props, ignore []string) []string {
	ign := map[string]bool{}
	for _, k := range ignore {
		ign[k] = true
	}
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	var out []string
	for k := range keys {
		if ign[string(k)] || strings.HasPrefix(string(k), "__") {
			continue
		}
		o, n := olds[k], news[k]
		if n.ContainsUnknowns() {
			out = append(out, string(k))
			continue
		}
		if isEmpty(o) && isEmpty(n) {
			continue
		}
		if !Plain(o).DeepEquals(Plain(n)) {
			out = append(out, string(k))
		}
	}
	sort.Strings(out)
	return out
}

func isEmpty(v resource.PropertyValue) bool {
	return v.IsNull() || (v.IsSecret() && v.SecretValue().Element.IsNull())
}

// Plain removes secret wrappers (recursively).
func Plain(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return Plain(v.SecretValue().Element)
	case v.IsArray():
		a := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			a[i] = Plain(e)
		}
		return resource.NewProperty(a)
	case v.IsObject():
		m := Props{}
		for k, e := range v.ObjectValue() {
			m[k] = Plain(e)
		}
		return resource.NewProperty(m)
	}
	return v
}

// outputs builds the output map: secret where the resource says so or where the input was secret.
func (r *Resource[C]) outputs(outs map[string]any, ins Props) (*structpb.Struct, error) {
	m := resource.NewPropertyMapFromMap(outs)
	for _, k := range r.SecretOutputs {
		if v, ok := m[resource.PropertyKey(k)]; ok && !v.IsSecret() {
			m[resource.PropertyKey(k)] = resource.MakeSecret(v)
		}
	}
	for k, v := range ins {
		if o, ok := m[k]; ok && v.IsSecret() && !o.IsSecret() {
			m[k] = resource.MakeSecret(o)
		}
	}
	return marshal(m)
}

// call is what every CRUD handler starts from: the resource, the request's properties, the client
// and a bounded context.
type call[C any] struct {
	r      *Resource[C]
	props  Props
	client C
	ctx    context.Context
	cancel context.CancelFunc
}

func (p *Provider[C]) begin(ctx context.Context, urn, typ string, props *structpb.Struct, timeoutSeconds float64) (*call[C], error) {
	r, err := p.resourceOf(urn, typ)
	if err != nil {
		return nil, err
	}
	in, err := Unmarshal(props)
	if err != nil {
		return nil, err
	}
	c, err := p.clientOf()
	if err != nil {
		return nil, err
	}
	cctx, cancel := p.opCtx(ctx, timeoutSeconds)
	return &call[C]{r: r, props: in, client: c, ctx: cctx, cancel: cancel}, nil
}

// Create creates the resource.
func (p *Provider[C]) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	if req.GetPreview() {
		return nil, status.Error(codes.Unimplemented, "preview of create is done by the engine")
	}
	x, err := p.begin(ctx, req.GetUrn(), req.GetType(), req.GetProperties(), req.GetTimeout())
	if err != nil {
		return nil, err
	}
	defer x.cancel()
	id, outs, err := x.r.Create(x.ctx, x.client, x.props)
	if err != nil {
		return nil, fmt.Errorf("creating %s %s: %w", x.r.Token, req.GetName(), err)
	}
	props, err := x.r.outputs(outs, x.props)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

// Read returns the live state (refresh); an empty ID says the resource is gone.
func (p *Provider[C]) Read(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	x, err := p.begin(ctx, req.GetUrn(), req.GetType(), req.GetProperties(), 0)
	if err != nil {
		return nil, err
	}
	defer x.cancel()
	r, state := x.r, x.props
	oldIns, err := Unmarshal(req.GetInputs())
	if err != nil {
		return nil, err
	}
	outs, err := r.Read(x.ctx, x.client, req.GetId(), state)
	if err != nil {
		return nil, fmt.Errorf("reading %s %s: %w", r.Token, req.GetId(), err)
	}
	if outs == nil {
		return &pulumirpc.ReadResponse{Id: ""}, nil
	}
	props, err := r.outputs(outs, state)
	if err != nil {
		return nil, err
	}
	// Inputs as they are now: the readable ones from the live outputs, the rest (passwords) as before.
	outProps, err := Unmarshal(props)
	if err != nil {
		return nil, err
	}
	ins := oldIns.Copy()
	computed := map[string]bool{}
	for _, k := range r.Computed {
		computed[k] = true
	}
	for _, k := range r.Inputs {
		if _, had := oldIns[resource.PropertyKey(k)]; computed[k] && !had {
			continue
		}
		if v, ok := outProps[resource.PropertyKey(k)]; ok {
			if old, had := oldIns[resource.PropertyKey(k)]; had && old.IsSecret() && !v.IsSecret() {
				v = resource.MakeSecret(v)
			}
			ins[resource.PropertyKey(k)] = v
		}
	}
	insStruct, err := marshal(ins)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: props, Inputs: insStruct}, nil
}

// Update changes the resource in place.
func (p *Provider[C]) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	x, err := p.begin(ctx, req.GetUrn(), req.GetType(), req.GetNews(), req.GetTimeout())
	if err != nil {
		return nil, err
	}
	defer x.cancel()
	if x.r.Update == nil {
		return nil, status.Errorf(codes.Internal, "%s cannot be updated in place; Diff should have asked for a replacement", x.r.Token)
	}
	olds, err := Unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	outs, err := x.r.Update(x.ctx, x.client, req.GetId(), olds, x.props)
	if err != nil {
		return nil, fmt.Errorf("updating %s %s: %w", x.r.Token, req.GetId(), err)
	}
	props, err := x.r.outputs(outs, x.props)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

// Delete removes the resource.
func (p *Provider[C]) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	x, err := p.begin(ctx, req.GetUrn(), req.GetType(), req.GetProperties(), req.GetTimeout())
	if err != nil {
		return nil, err
	}
	defer x.cancel()
	if err := x.r.Delete(x.ctx, x.client, req.GetId(), x.props); err != nil {
		return nil, fmt.Errorf("deleting %s %s: %w", x.r.Token, req.GetId(), err)
	}
	return &emptypb.Empty{}, nil
}
