package reportcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Schema is a JSON Schema (draft-07) for the subset of keywords the
// schemas firedrill checks against use: $ref to a local definition, type
// (one or a list), properties, required, additionalProperties, items,
// enum, const, pattern, minimum, maximum, minLength, minItems, anyOf.
// Compile refuses a schema that uses any other draft-07 keyword, so a
// check is never silently weaker than the schema; a keyword draft-07 does
// not define is ignored, as draft-07 says.
type Schema struct {
	root any
}

// notImplemented are the draft-07 keywords that assert something and are
// not checked here: a schema using one is refused. (The annotations,
// $schema, $id, $comment, title, description, default, examples, and
// definitions, assert nothing.)
var notImplemented = map[string]bool{
	"multipleOf": true, "exclusiveMaximum": true, "exclusiveMinimum": true, "maxLength": true,
	"additionalItems": true, "maxItems": true, "uniqueItems": true, "contains": true, "maxProperties": true,
	"minProperties": true, "patternProperties": true, "dependencies": true, "propertyNames": true,
	"format": true, "if": true, "then": true, "else": true, "allOf": true, "oneOf": true, "not": true,
}

// CompileSchema reads a JSON Schema.
func CompileSchema(b []byte) (*Schema, error) {
	root, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	if err := checkKeywords(root, ""); err != nil {
		return nil, err
	}
	return &Schema{root: root}, nil
}

func decode(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}

// checkKeywords walks every subschema and refuses one this validator
// cannot check in full.
func checkKeywords(s any, at string) error {
	m, ok := s.(map[string]any)
	if !ok {
		if _, isBool := s.(bool); isBool {
			return nil
		}
		return fmt.Errorf("schema at %q is not an object", at)
	}
	for k, v := range m {
		switch {
		case notImplemented[k]:
			return fmt.Errorf("schema at %q uses %q, which this validator does not check", at, k)
		case k == "properties" || k == "definitions":
			props, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("schema at %q: %s is not an object", at, k)
			}
			for name, sub := range props {
				if err := checkKeywords(sub, at+"/"+k+"/"+name); err != nil {
					return err
				}
			}
		case k == "items" || k == "additionalProperties":
			if err := checkKeywords(v, at+"/"+k); err != nil {
				return err
			}
		case k == "anyOf":
			list, ok := v.([]any)
			if !ok {
				return fmt.Errorf("schema at %q: anyOf is not a list", at)
			}
			for i, sub := range list {
				if err := checkKeywords(sub, at+"/anyOf/"+strconv.Itoa(i)); err != nil {
					return err
				}
			}
		case k == "pattern":
			p, _ := v.(string)
			if _, err := regexp.Compile(p); err != nil {
				return fmt.Errorf("schema at %q: pattern %q: %w", at, p, err)
			}
		}
	}
	return nil
}

// Validate checks a JSON document against the schema and returns every
// violation (the first 50), each naming where it is.
func (s *Schema) Validate(doc []byte) error {
	v, err := decode(doc)
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	var errs []string
	s.validate(s.root, v, "", &errs)
	if len(errs) == 0 {
		return nil
	}
	if len(errs) > 50 {
		errs = append(errs[:50], fmt.Sprintf("... and %d more", len(errs)-50))
	}
	return errors.New(strings.Join(errs, "\n"))
}

func (s *Schema) resolve(ref string) (any, error) {
	if ref != "#" && !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("$ref %q is not local to the schema", ref)
	}
	cur := s.root
	for _, part := range strings.Split(strings.TrimPrefix(strings.TrimPrefix(ref, "#"), "/"), "/") {
		if part == "" {
			continue
		}
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q does not resolve", ref)
		}
		if cur, ok = m[part]; !ok {
			return nil, fmt.Errorf("$ref %q does not resolve", ref)
		}
	}
	return cur, nil
}

func (s *Schema) validate(schema, v any, at string, errs *[]string) {
	fail := func(format string, args ...any) {
		where := at
		if where == "" {
			where = "/"
		}
		*errs = append(*errs, where+": "+fmt.Sprintf(format, args...))
	}
	if b, ok := schema.(bool); ok {
		if !b {
			fail("no value is allowed here")
		}
		return
	}
	m := schema.(map[string]any)
	if ref, ok := m["$ref"].(string); ok { // draft-07: $ref's siblings are ignored
		target, err := s.resolve(ref)
		if err != nil {
			fail("%v", err)
			return
		}
		s.validate(target, v, at, errs)
		return
	}
	if t, ok := m["type"]; ok && !typeMatches(t, v) {
		fail("is %s, want %v", typeOf(v), t)
		return
	}
	if list, ok := m["anyOf"].([]any); ok {
		matched := false
		for _, sub := range list {
			var e []string
			if s.validate(sub, v, at, &e); len(e) == 0 {
				matched = true
				break
			}
		}
		if !matched {
			fail("matches none of anyOf")
		}
	}
	if enum, ok := m["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if equal(e, v) {
				found = true
				break
			}
		}
		if !found {
			fail("%s is not one of %v", show(v), enum)
		}
	}
	if c, ok := m["const"]; ok && !equal(c, v) {
		fail("%s is not %s", show(v), show(c))
	}
	switch v := v.(type) {
	case string:
		if p, ok := m["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(v) {
			fail("%q does not match %q", v, p)
		}
		if n, ok := m["minLength"].(json.Number); ok {
			if want, _ := n.Int64(); int64(len([]rune(v))) < want {
				fail("%q is shorter than %d", v, want)
			}
		}
	case json.Number:
		if n, ok := m["minimum"].(json.Number); ok && compare(v, n) < 0 {
			fail("%s is below the minimum %s", v, n)
		}
		if n, ok := m["maximum"].(json.Number); ok && compare(v, n) > 0 {
			fail("%s is above the maximum %s", v, n)
		}
	case []any:
		if n, ok := m["minItems"].(json.Number); ok {
			if want, _ := n.Int64(); int64(len(v)) < want {
				fail("has %d items, want at least %d", len(v), want)
			}
		}
		if items, ok := m["items"]; ok {
			for i, item := range v {
				s.validate(items, item, at+"/"+strconv.Itoa(i), errs)
			}
		}
	case map[string]any:
		if req, ok := m["required"].([]any); ok {
			for _, r := range req {
				if name, _ := r.(string); name != "" {
					if _, present := v[name]; !present {
						fail("lacks the required property %q", name)
					}
				}
			}
		}
		props, _ := m["properties"].(map[string]any)
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if sub, ok := props[k]; ok {
				s.validate(sub, v[k], at+"/"+k, errs)
				continue
			}
			if add, ok := m["additionalProperties"]; ok {
				if b, isBool := add.(bool); isBool && !b {
					fail("property %q is not allowed", k)
					continue
				}
				s.validate(add, v[k], at+"/"+k, errs)
			}
		}
	}
}

func typeMatches(t, v any) bool {
	switch t := t.(type) {
	case string:
		return isType(t, v)
	case []any:
		for _, one := range t {
			if name, _ := one.(string); isType(name, v) {
				return true
			}
		}
	}
	return false
}

func isType(name string, v any) bool {
	switch name {
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		r, ok := new(big.Rat).SetString(n.String())
		return ok && r.IsInt()
	case "number":
		_, ok := v.(json.Number)
		return ok
	}
	return typeOf(v) == name
}

func typeOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func compare(a, b json.Number) int {
	x, okx := new(big.Rat).SetString(a.String())
	y, oky := new(big.Rat).SetString(b.String())
	if !okx || !oky {
		return 0
	}
	return x.Cmp(y)
}

func equal(a, b any) bool {
	if x, ok := a.(json.Number); ok {
		y, ok := b.(json.Number)
		return ok && compare(x, y) == 0
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}
