package kafka

import (
	"context"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"clinicmaster.local/tools/pulumi-providers/internal/kit"
)

// ACL is one access control entry as @pulumi/kafka's Acl describes it.
type ACL struct {
	Principal, Host, Operation, Permission, ResourceType, ResourceName, PatternType string
}

var aclInputs = []string{
	"aclPrincipal", "aclHost", "aclOperation", "aclPermissionType",
	"aclResourceType", "aclResourceName", "resourcePatternTypeFilter",
}

func aclOf(p kit.Props) ACL {
	a := ACL{
		Principal:    kit.Str(p, "aclPrincipal"),
		Host:         kit.Str(p, "aclHost"),
		Operation:    kit.Str(p, "aclOperation"),
		Permission:   kit.Str(p, "aclPermissionType"),
		ResourceType: kit.Str(p, "aclResourceType"),
		ResourceName: kit.Str(p, "aclResourceName"),
		PatternType:  kit.Str(p, "resourcePatternTypeFilter"),
	}
	if a.PatternType == "" {
		a.PatternType = "Literal"
	}
	return a
}

// ID is the Terraform provider's ACL ID: the seven fields joined with "|".
func (a ACL) ID() string {
	return strings.Join([]string{a.Principal, a.Host, a.Operation, a.Permission, a.ResourceType, a.ResourceName, a.PatternType}, "|")
}

func (a ACL) outputs() map[string]any {
	return map[string]any{
		"aclPrincipal": a.Principal, "aclHost": a.Host, "aclOperation": a.Operation,
		"aclPermissionType": a.Permission, "aclResourceType": a.ResourceType,
		"aclResourceName": a.ResourceName, "resourcePatternTypeFilter": a.PatternType,
	}
}

// wire is the ACL in the protocol's enums.
type wire struct {
	op   kmsg.ACLOperation
	perm kmsg.ACLPermissionType
	rt   kmsg.ACLResourceType
	pt   kmsg.ACLResourcePatternType
}

// Parse checks the names against Kafka's enums (case-insensitive, as the Terraform provider).
func (a ACL) Parse() (wire, []kit.Failure) {
	var w wire
	var f []kit.Failure
	var err error
	if w.op, err = kmsg.ParseACLOperation(a.Operation); err != nil || w.op <= kmsg.ACLOperationAny {
		f = append(f, kit.Failure{Property: "aclOperation", Reason: fmt.Sprintf("%q is not a Kafka ACL operation (e.g. Read, Write, Create, Describe, Alter, DescribeConfigs, IdempotentWrite, All)", a.Operation)})
	}
	if w.perm, err = kmsg.ParseACLPermissionType(a.Permission); err != nil || w.perm <= kmsg.ACLPermissionTypeAny {
		f = append(f, kit.Failure{Property: "aclPermissionType", Reason: fmt.Sprintf("%q is not Allow or Deny", a.Permission)})
	}
	if w.rt, err = kmsg.ParseACLResourceType(a.ResourceType); err != nil || w.rt <= kmsg.ACLResourceTypeAny {
		f = append(f, kit.Failure{Property: "aclResourceType", Reason: fmt.Sprintf("%q is not a Kafka resource type (Topic, Group, Cluster, TransactionalID, DelegationToken)", a.ResourceType)})
	}
	if w.pt, err = kmsg.ParseACLResourcePatternType(a.PatternType); err != nil || (w.pt != kmsg.ACLResourcePatternTypeLiteral && w.pt != kmsg.ACLResourcePatternTypePrefixed) {
		f = append(f, kit.Failure{Property: "resourcePatternTypeFilter", Reason: fmt.Sprintf("%q is not Literal or Prefixed", a.PatternType)})
	}
	if !strings.Contains(a.Principal, ":") {
		f = append(f, kit.Failure{Property: "aclPrincipal", Reason: fmt.Sprintf("%q must be Type:name, e.g. User:clinicmaster-sink", a.Principal)})
	}
	if a.Host == "" {
		f = append(f, kit.Failure{Property: "aclHost", Reason: "aclHost is required (\"*\" for any host)"})
	}
	if a.ResourceName == "" {
		f = append(f, kit.Failure{Property: "aclResourceName", Reason: "aclResourceName is required (kafka-cluster for the cluster)"})
	}
	return w, f
}

// aclResource is kafka:index/acl:Acl. Every field is part of the ACL's identity, so any change
// replaces it (create the new entry, then delete the old one).
func aclResource() *kit.Resource[*Client] {
	return &kit.Resource[*Client]{
		Token:      "kafka:index/acl:Acl",
		Inputs:     aclInputs,
		Defaults:   map[string]any{"resourcePatternTypeFilter": "Literal"},
		ReplaceAll: true,
		Validate: func(in kit.Props) []kit.Failure {
			for _, k := range aclInputs {
				if kit.Unknown(in, k) {
					return nil
				}
			}
			_, f := aclOf(in).Parse()
			return f
		},
		Create: func(ctx context.Context, c *Client, in kit.Props) (string, map[string]any, error) {
			a := aclOf(in)
			w, f := a.Parse()
			if len(f) > 0 {
				return "", nil, fmt.Errorf("%s", f[0].Reason)
			}
			if _, err := c.admin(); err != nil {
				return "", nil, err
			}
			req := kmsg.NewPtrCreateACLsRequest()
			cr := kmsg.NewCreateACLsRequestCreation()
			cr.ResourceType, cr.ResourceName, cr.ResourcePatternType = w.rt, a.ResourceName, w.pt
			cr.Principal, cr.Host, cr.Operation, cr.PermissionType = a.Principal, a.Host, w.op, w.perm
			req.Creations = append(req.Creations, cr)
			resp, err := req.RequestWith(ctx, c.cl)
			if err != nil {
				return "", nil, err
			}
			for _, r := range resp.Results {
				if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
					return "", nil, fmt.Errorf("ACL %s: %w%s", a.ID(), err, detail(r.ErrorMessage))
				}
			}
			return a.ID(), a.outputs(), nil
		},
		Read: func(ctx context.Context, c *Client, id string, state kit.Props) (map[string]any, error) {
			a := aclOf(state)
			if a.Principal == "" {
				a = aclFromID(id)
			}
			w, f := a.Parse()
			if len(f) > 0 {
				return nil, fmt.Errorf("ACL %s: %s", id, f[0].Reason)
			}
			if _, err := c.admin(); err != nil {
				return nil, err
			}
			req := kmsg.NewPtrDescribeACLsRequest()
			req.ResourceType, req.ResourceName, req.ResourcePatternType = w.rt, &a.ResourceName, w.pt
			req.Principal, req.Host, req.Operation, req.PermissionType = &a.Principal, &a.Host, w.op, w.perm
			resp, err := req.RequestWith(ctx, c.cl)
			if err != nil {
				return nil, err
			}
			if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
				return nil, fmt.Errorf("ACL %s: %w%s", id, err, detail(resp.ErrorMessage))
			}
			for _, r := range resp.Resources {
				if len(r.ACLs) > 0 {
					return a.outputs(), nil
				}
			}
			return nil, nil
		},
		Delete: func(ctx context.Context, c *Client, id string, state kit.Props) error {
			a := aclOf(state)
			if a.Principal == "" {
				a = aclFromID(id)
			}
			w, f := a.Parse()
			if len(f) > 0 {
				return fmt.Errorf("ACL %s: %s", id, f[0].Reason)
			}
			if _, err := c.admin(); err != nil {
				return err
			}
			req := kmsg.NewPtrDeleteACLsRequest()
			df := kmsg.NewDeleteACLsRequestFilter()
			df.ResourceType, df.ResourceName, df.ResourcePatternType = w.rt, &a.ResourceName, w.pt
			df.Principal, df.Host, df.Operation, df.PermissionType = &a.Principal, &a.Host, w.op, w.perm
			req.Filters = append(req.Filters, df)
			resp, err := req.RequestWith(ctx, c.cl)
			if err != nil {
				return err
			}
			for _, r := range resp.Results {
				if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
					return fmt.Errorf("ACL %s: %w%s", id, err, detail(r.ErrorMessage))
				}
			}
			return nil
		},
	}
}

func aclFromID(id string) ACL {
	p := strings.Split(id, "|")
	for len(p) < 7 {
		p = append(p, "")
	}
	return ACL{p[0], p[1], p[2], p[3], p[4], p[5], p[6]}
}
