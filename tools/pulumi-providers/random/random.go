// Package random implements the resources of @pulumi/random the programs use: values are generated
// with crypto/rand when the resource is created and kept in the state; any input change replaces them.
package random

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"

	"golang.org/x/crypto/bcrypt"

	"clinicmaster.local/tools/pulumi-providers/internal/kit"
)

// Client: the random provider has no configuration.
type Client struct{}

const (
	lowerChars   = "abcdefghijklmnopqrstuvwxyz"
	upperChars   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	numericChars = "0123456789"
	// The Terraform random provider's default special characters.
	defaultSpecial = "!@#$%&*()-_=+[]{}<>:?"
)

// Provider returns the random provider and its resources.
func Provider(version string) (*kit.Provider[Client], []*kit.Resource[Client]) {
	p := &kit.Provider[Client]{
		Name:      "random",
		Version:   version,
		NewClient: func(kit.Props) (Client, error) { return Client{}, nil },
	}
	return p, []*kit.Resource[Client]{
		stringResource("random:index/randomPassword:RandomPassword", true),
		stringResource("random:index/randomString:RandomString", false),
		idResource(),
	}
}

var stringInputs = []string{
	"length", "lower", "upper", "numeric", "number", "special",
	"minLower", "minUpper", "minNumeric", "minSpecial", "overrideSpecial", "keepers",
}

func stringResource(token string, secret bool) *kit.Resource[Client] {
	r := &kit.Resource[Client]{
		Token:  token,
		Inputs: stringInputs,
		Defaults: map[string]any{
			"lower": true, "upper": true, "numeric": true, "special": true,
			"minLower": 0.0, "minUpper": 0.0, "minNumeric": 0.0, "minSpecial": 0.0,
		},
		ReplaceAll: true,
		Validate:   validateString,
		Create: func(_ context.Context, _ Client, in kit.Props) (string, map[string]any, error) {
			result, err := generate(in)
			if err != nil {
				return "", nil, err
			}
			outs := kit.Map(in)
			outs["result"] = result
			if secret {
				hash, err := bcrypt.GenerateFromPassword([]byte(result), bcrypt.DefaultCost)
				if err != nil {
					return "", nil, err
				}
				outs["bcryptHash"] = string(hash)
			}
			return "none", outs, nil
		},
		// Nothing outside the state: what was generated is what there is.
		Read: func(_ context.Context, _ Client, _ string, state kit.Props) (map[string]any, error) {
			return kit.Map(state), nil
		},
		Delete: func(context.Context, Client, string, kit.Props) error { return nil },
	}
	if secret {
		r.SecretOutputs = []string{"result", "bcryptHash"}
	}
	return r
}

func validateString(in kit.Props) []kit.Failure {
	if kit.Unknown(in, "length") {
		return nil
	}
	length, err := kit.Int(in, "length", -1)
	if err != nil || length < 1 {
		return []kit.Failure{{Property: "length", Reason: fmt.Sprintf("length must be a whole number of at least 1, got %s", kit.Str(in, "length"))}}
	}
	sum := 0
	for _, k := range []string{"minLower", "minUpper", "minNumeric", "minSpecial"} {
		n, err := kit.Int(in, k, 0)
		if err != nil || n < 0 {
			return []kit.Failure{{Property: k, Reason: fmt.Sprintf("%s must be a whole number of at least 0", k)}}
		}
		sum += n
	}
	if sum > length {
		return []kit.Failure{{Property: "length", Reason: fmt.Sprintf("length %d is shorter than the minimum counts together (%d); raise length or lower the minimums", length, sum)}}
	}
	return nil
}

func generate(in kit.Props) (string, error) {
	length, _ := kit.Int(in, "length", 0)
	flag := func(k string) bool { b, _ := kit.Bool(in, k, true); return b }
	min := func(k string) int { n, _ := kit.Int(in, k, 0); return n }
	special := defaultSpecial
	if kit.Known(in, "overrideSpecial") {
		special = kit.Str(in, "overrideSpecial")
	}
	numeric := flag("numeric")
	if kit.Known(in, "number") {
		numeric = numeric && flag("number")
	}
	type class struct {
		chars string
		on    bool
		min   int
	}
	classes := []class{
		{lowerChars, flag("lower"), min("minLower")},
		{upperChars, flag("upper"), min("minUpper")},
		{numericChars, numeric, min("minNumeric")},
		{special, flag("special") && special != "", min("minSpecial")},
	}
	var out []byte
	all := ""
	for _, c := range classes {
		if !c.on {
			continue
		}
		all += c.chars
		for i := 0; i < c.min; i++ {
			b, err := pick(c.chars)
			if err != nil {
				return "", err
			}
			out = append(out, b)
		}
	}
	if all == "" {
		return "", fmt.Errorf("every character class is turned off; enable at least one of lower, upper, numeric, special")
	}
	for len(out) < length {
		b, err := pick(all)
		if err != nil {
			return "", err
		}
		out = append(out, b)
	}
	// Shuffle so the minimum-count characters are not at the front.
	for i := len(out) - 1; i > 0; i-- {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", err
		}
		out[i], out[j.Int64()] = out[j.Int64()], out[i]
	}
	return string(out), nil
}

func pick(chars string) (byte, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
	if err != nil {
		return 0, err
	}
	return chars[n.Int64()], nil
}

func idResource() *kit.Resource[Client] {
	return &kit.Resource[Client]{
		Token:      "random:index/randomId:RandomId",
		Inputs:     []string{"byteLength", "prefix", "keepers"},
		ReplaceAll: true,
		Validate: func(in kit.Props) []kit.Failure {
			if kit.Unknown(in, "byteLength") {
				return nil
			}
			if n, err := kit.Int(in, "byteLength", 0); err != nil || n < 1 {
				return []kit.Failure{{Property: "byteLength", Reason: "byteLength must be a whole number of at least 1"}}
			}
			return nil
		},
		Create: func(_ context.Context, _ Client, in kit.Props) (string, map[string]any, error) {
			n, _ := kit.Int(in, "byteLength", 0)
			b := make([]byte, n)
			if _, err := rand.Read(b); err != nil {
				return "", nil, err
			}
			prefix := kit.Str(in, "prefix")
			b64 := base64.RawURLEncoding.EncodeToString(b)
			outs := kit.Map(in)
			outs["b64Url"] = prefix + b64
			outs["b64Std"] = prefix + base64.StdEncoding.EncodeToString(b)
			outs["hex"] = prefix + hex.EncodeToString(b)
			outs["dec"] = prefix + new(big.Int).SetBytes(b).String()
			return b64, outs, nil
		},
		Read: func(_ context.Context, _ Client, _ string, state kit.Props) (map[string]any, error) {
			return kit.Map(state), nil
		},
		Delete: func(context.Context, Client, string, kit.Props) error { return nil },
	}
}
