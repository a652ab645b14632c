package random

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func TestPasswordHonoursClassesAndMinimums(t *testing.T) {
	r := stringResource("random:index/randomPassword:RandomPassword", true)
	in := resource.NewPropertyMapFromMap(map[string]any{
		"length": 32.0, "special": false, "lower": true, "upper": true, "numeric": true,
		"minLower": 2.0, "minUpper": 2.0, "minNumeric": 2.0, "minSpecial": 0.0,
	})
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		_, outs, err := r.Create(context.Background(), Client{}, in)
		if err != nil {
			t.Fatal(err)
		}
		s := outs["result"].(string)
		if len(s) != 32 || strings.ContainsAny(s, defaultSpecial) {
			t.Fatalf("bad password %q", s)
		}
		count := func(chars string) int {
			n := 0
			for _, c := range s {
				if strings.ContainsRune(chars, c) {
					n++
				}
			}
			return n
		}
		if count(lowerChars) < 2 || count(upperChars) < 2 || count(numericChars) < 2 {
			t.Fatalf("minimums not met in %q", s)
		}
		if !strings.HasPrefix(outs["bcryptHash"].(string), "$2") {
			t.Fatal("no bcrypt hash")
		}
		seen[s] = true
	}
	if len(seen) != 50 {
		t.Fatalf("passwords repeat: %d distinct of 50", len(seen))
	}
}

func TestPasswordValidation(t *testing.T) {
	f := validateString(resource.NewPropertyMapFromMap(map[string]any{"length": 4.0, "minLower": 3.0, "minUpper": 3.0}))
	if len(f) != 1 || f[0].Property != "length" {
		t.Fatalf("want a length failure, got %v", f)
	}
}
