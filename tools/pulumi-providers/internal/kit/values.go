package kit

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Value returns the plain (secret-free) value of key, and whether it is set and known.
func Value(p Props, key string) (resource.PropertyValue, bool) {
	v, ok := p[resource.PropertyKey(key)]
	if !ok {
		return resource.PropertyValue{}, false
	}
	v = Plain(v)
	if v.IsNull() || v.ContainsUnknowns() {
		return v, false
	}
	return v, true
}

// Known says whether key is set to a known value.
func Known(p Props, key string) bool {
	_, ok := Value(p, key)
	return ok
}

// Unknown says whether key holds an unknown (preview) value.
func Unknown(p Props, key string) bool {
	v, ok := p[resource.PropertyKey(key)]
	return ok && v.ContainsUnknowns()
}

// Str returns a string input ("" when unset). Numbers and booleans are formatted.
func Str(p Props, key string) string {
	v, ok := Value(p, key)
	if !ok {
		return ""
	}
	switch {
	case v.IsString():
		return v.StringValue()
	case v.IsNumber():
		return strconv.FormatFloat(v.NumberValue(), 'f', -1, 64)
	case v.IsBool():
		return strconv.FormatBool(v.BoolValue())
	}
	return ""
}

// Int returns a number input; provider configuration sends numbers as JSON strings, which are parsed.
func Int(p Props, key string, def int) (int, error) {
	v, ok := Value(p, key)
	if !ok {
		return def, nil
	}
	switch {
	case v.IsNumber():
		return int(v.NumberValue()), nil
	case v.IsString():
		if v.StringValue() == "" || v.StringValue() == "null" {
			return def, nil
		}
		n, err := strconv.ParseFloat(v.StringValue(), 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %q is not a number", key, v.StringValue())
		}
		return int(n), nil
	}
	return 0, fmt.Errorf("%s: expected a number, got %s", key, v.TypeString())
}

// Bool returns a boolean input; JSON strings "true"/"false" (provider configuration) are parsed.
func Bool(p Props, key string, def bool) (bool, error) {
	v, ok := Value(p, key)
	if !ok {
		return def, nil
	}
	switch {
	case v.IsBool():
		return v.BoolValue(), nil
	case v.IsString():
		if v.StringValue() == "" || v.StringValue() == "null" {
			return def, nil
		}
		b, err := strconv.ParseBool(v.StringValue())
		if err != nil {
			return false, fmt.Errorf("%s: %q is not true or false", key, v.StringValue())
		}
		return b, nil
	}
	return false, fmt.Errorf("%s: expected true or false, got %s", key, v.TypeString())
}

// Strs returns a list of strings; a JSON-encoded list (provider configuration) is parsed. Sorted
// when sorted is true (set semantics).
func Strs(p Props, key string, sorted bool) ([]string, error) {
	v, ok := Value(p, key)
	if !ok {
		return nil, nil
	}
	var out []string
	switch {
	case v.IsArray():
		for i, e := range v.ArrayValue() {
			if !e.IsString() {
				return nil, fmt.Errorf("%s[%d]: expected a string, got %s", key, i, e.TypeString())
			}
			out = append(out, e.StringValue())
		}
	case v.IsString():
		if v.StringValue() == "" || v.StringValue() == "null" {
			return nil, nil
		}
		if err := json.Unmarshal([]byte(v.StringValue()), &out); err != nil {
			return nil, fmt.Errorf("%s: %q is not a list of strings", key, v.StringValue())
		}
	default:
		return nil, fmt.Errorf("%s: expected a list of strings, got %s", key, v.TypeString())
	}
	if sorted {
		sort.Strings(out)
	}
	return out, nil
}

// StrMap returns a map of strings (values formatted when they are numbers or booleans).
func StrMap(p Props, key string) (map[string]string, error) {
	v, ok := Value(p, key)
	if !ok {
		return map[string]string{}, nil
	}
	if !v.IsObject() {
		return nil, fmt.Errorf("%s: expected a map of strings, got %s", key, v.TypeString())
	}
	out := map[string]string{}
	for k := range v.ObjectValue() {
		out[string(k)] = Str(v.ObjectValue(), string(k))
	}
	return out, nil
}

// AnyStrs converts a string slice to []any for output maps.
func AnyStrs(s []string) []any {
	out := make([]any, len(s))
	for i, e := range s {
		out[i] = e
	}
	return out
}

// AnyMap converts a string map to map[string]any for output maps.
func AnyMap(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Map returns the plain (secret-free) Go values of a property map, for output maps.
func Map(p Props) map[string]any {
	return Plain(resource.NewProperty(p)).ObjectValue().Mappable()
}
