// Package reportcheck checks a run's reports against the formats the
// tools that read them expect: junit.xml against the Jenkins xUnit and the
// Apache Ant JUnit schemas (with xmllint), cucumber.json against the
// Cucumber-JVM JSON schema, results.json against firedrill's own schema
// (docs/results.schema.json).
//
// The third-party schemas are not part of firedrill: they are test data
// kept beside the repository, in ../shared/schemas from its root. Where
// they (or xmllint) are missing, the checks that need them are reported
// as not done, never as passed.
package reportcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Schema files, by what they check.
const (
	JenkinsJUnit = "junit-jenkins-xunit.xsd"
	AntJUnit     = "junit-ant.xsd"
	CucumberJVM  = "cucumber-jvm.schema.json"
	// Results is firedrill's own, in the repository.
	Results = "docs/results.schema.json"
)

// ErrNotChecked is wrapped by the error of a check that could not be done
// (a schema or xmllint missing): a test skips on it, naming what is missing.
var ErrNotChecked = errors.New("not checked")

// Root is the repository's root: the nearest folder up from the working
// directory that holds firedrill's go.mod.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(b, []byte("module firedrill\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no firedrill go.mod in the working directory or above it")
		}
		dir = parent
	}
}

// SharedSchema is the path of a third-party schema (JenkinsJUnit, AntJUnit,
// CucumberJVM), or an error wrapping ErrNotChecked naming the missing path.
func SharedSchema(name string) (string, error) {
	root, err := Root()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNotChecked, err)
	}
	p := filepath.Clean(filepath.Join(root, "..", "shared", "schemas", name))
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%w: schema %s is missing (the third-party schemas are test data kept beside the repository, not in it)", ErrNotChecked, p)
	}
	return p, nil
}

// XMLLint validates an XML file against an XSD with xmllint.
func XMLLint(xsd, file string) error {
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		return fmt.Errorf("%w: xmllint is not installed (Debian: apt-get install libxml2-utils)", ErrNotChecked)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--noout", "--schema", xsd, file).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s does not validate against %s: %w\n%s", file, filepath.Base(xsd), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// JUnitFile validates a junit.xml against both JUnit schemas.
func JUnitFile(file string) error {
	var errs []error
	for _, name := range []string{JenkinsJUnit, AntJUnit} {
		xsd, err := SharedSchema(name)
		if err == nil {
			err = XMLLint(xsd, file)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// JSONFile validates a JSON file against a JSON Schema file.
func JSONFile(schemaPath, file string) error {
	sb, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	s, err := CompileSchema(sb)
	if err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := s.Validate(b); err != nil {
		return fmt.Errorf("%s does not validate against %s:\n%w", file, filepath.Base(schemaPath), err)
	}
	return nil
}

// CucumberFile validates a cucumber.json against Cucumber-JVM's schema.
func CucumberFile(file string) error {
	schema, err := SharedSchema(CucumberJVM)
	if err != nil {
		return err
	}
	return JSONFile(schema, file)
}

// ResultsFile validates a results.json against docs/results.schema.json.
func ResultsFile(file string) error {
	root, err := Root()
	if err != nil {
		return err
	}
	return JSONFile(filepath.Join(root, Results), file)
}

// Dir checks a run's report folder: results.json, junit.xml and
// cucumber.json. It returns the violations, and apart from them the checks
// it could not do (each wrapping ErrNotChecked), so a caller can tell
// "invalid" from "not checked".
func Dir(dir string) (notChecked []error, err error) {
	var errs []error
	for _, c := range []struct {
		file  string
		check func(string) error
	}{
		{"results.json", ResultsFile},
		{"junit.xml", JUnitFile},
		{"cucumber.json", CucumberFile},
	} {
		for _, e := range unjoin(c.check(filepath.Join(dir, c.file))) {
			if errors.Is(e, ErrNotChecked) {
				notChecked = append(notChecked, e)
			} else {
				errs = append(errs, e)
			}
		}
	}
	return notChecked, errors.Join(errs...)
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}
