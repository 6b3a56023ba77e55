package system

import (
	"strings"
	"testing"
)

func TestLoadReference(t *testing.T) {
	s, err := Load("../../systems/reference.yml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Image != "firedrill/traderunner:latest" || s.HealthPort() != "8090/tcp" {
		t.Fatalf("unexpected %+v", s)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "name: x\nimgae: y\n", "field imgae not found"},
		{"no image", "home: /x\nhealth: {port: 1, path: /h}\n", "image: missing"},
		{"relative home", "image: i\nhome: x\n", `home: "x" must be an absolute path`},
		{"missing commands", "image: i\nhome: /x\nhealth: {port: 1, path: /h}\ncommands: {start: s}\n", "commands: missing health_check"},
		{"unknown command", "image: i\nhome: /x\nhealth: {port: 1, path: /h}\ncommands: {strat: s}\n", "unknown strat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("sys.yml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "sys.yml") {
				t.Fatalf("err = %v, want it to name sys.yml and %q", err, tt.want)
			}
		})
	}
}
