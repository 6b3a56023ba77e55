package reportcheck

import (
	"errors"
	"strings"
	"testing"
)

const testSchema = `{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "$ref": "#/definitions/Doc",
  "definitions": {
    "Doc": {
      "type": "object",
      "additionalProperties": false,
      "required": ["version", "items"],
      "properties": {
        "version": {"const": 3},
        "when": {"type": "string", "pattern": "^[1-9][0-9]{3}-"},
        "rto": {"anyOf": [{"type": "null"}, {"type": "number", "minimum": 0}]},
        "count": {"type": "integer", "maximum": 10},
        "status": {"enum": ["passed", "failed"]},
        "name": {"type": "string", "minLength": 1},
        "items": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/Item"}},
        "cadences": {"type": "object", "additionalProperties": {"type": "number"}}
      }
    },
    "Item": {"type": ["object"], "required": ["tag"], "properties": {"tag": {"type": "string"}}, "array": {"ignored": true}}
  }
}`

func TestSchemaValidate(t *testing.T) {
	s, err := CompileSchema([]byte(testSchema))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, doc, want string // want: a part of the error, "" for valid
	}{
		{"valid", `{"version": 3, "items": [{"tag": "a"}], "rto": null, "count": 4, "status": "passed", "cadences": {"x": 1.5}}`, ""},
		{"valid number", `{"version": 3, "items": [{"tag": "a"}], "rto": 12.5, "when": "2026-11-27T10:00:00Z"}`, ""},
		{"missing required", `{"items": [{"tag": "a"}]}`, `/: lacks the required property "version"`},
		{"const", `{"version": 2, "items": [{"tag": "a"}]}`, `/version: 2 is not 3`},
		{"additional property", `{"version": 3, "items": [{"tag": "a"}], "extra": 1}`, `/: property "extra" is not allowed`},
		{"pattern", `{"version": 3, "items": [{"tag": "a"}], "when": "0001-01-01T00:00:00Z"}`, `/when: "0001-01-01T00:00:00Z" does not match`},
		{"anyOf", `{"version": 3, "items": [{"tag": "a"}], "rto": "soon"}`, `/rto: matches none of anyOf`},
		{"minimum", `{"version": 3, "items": [{"tag": "a"}], "rto": -1}`, `/rto: matches none of anyOf`},
		{"integer", `{"version": 3, "items": [{"tag": "a"}], "count": 1.5}`, `/count: is number, want integer`},
		{"maximum", `{"version": 3, "items": [{"tag": "a"}], "count": 11}`, `/count: 11 is above the maximum 10`},
		{"enum", `{"version": 3, "items": [{"tag": "a"}], "status": "not run"}`, `/status: "not run" is not one of`},
		{"minLength", `{"version": 3, "items": [{"tag": "a"}], "name": ""}`, `/name: "" is shorter than 1`},
		{"minItems", `{"version": 3, "items": []}`, `/items: has 0 items, want at least 1`},
		{"items by ref", `{"version": 3, "items": [{"tag": 1}]}`, `/items/0/tag: is number, want string`},
		{"additionalProperties schema", `{"version": 3, "items": [{"tag": "a"}], "cadences": {"x": "fast"}}`, `/cadences/x: is string, want number`},
		{"not JSON", `{`, `not JSON`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Validate([]byte(tt.doc))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("valid document refused: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("invalid document passes; want %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("error %q; want it to say %q", err, tt.want)
			}
		})
	}
}

// TestSchemaRefusesWhatItCannotCheck: a schema using a draft-07 keyword
// this validator does not implement is refused, not checked partly.
func TestSchemaRefusesWhatItCannotCheck(t *testing.T) {
	for _, kw := range []string{`"oneOf": [{"type": "string"}]`, `"format": "date-time"`, `"patternProperties": {}`, `"uniqueItems": true`} {
		_, err := CompileSchema([]byte(`{"type": "object", "properties": {"a": {` + kw + `}}}`))
		if err == nil || !strings.Contains(err.Error(), "does not check") {
			t.Errorf("schema with %s: %v; want it refused", kw, err)
		}
	}
	if _, err := CompileSchema([]byte(`{"pattern": "("}`)); err == nil {
		t.Error("a pattern that does not compile is accepted")
	}
}

func TestSharedSchemaMissing(t *testing.T) {
	_, err := SharedSchema("no-such-schema.xsd")
	if !errors.Is(err, ErrNotChecked) || !strings.Contains(err.Error(), "no-such-schema.xsd") {
		t.Fatalf("SharedSchema(missing) = %v; want ErrNotChecked naming the path", err)
	}
}
