// Package schematest checks documents against hostnet's JSON Schema (jsonout.Schema) for
// tests: every JSON output the tests see goes through Check. It is imported by tests only,
// so the validator is not linked into hostnet.
package schematest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hostnet/hostnet/hostnet/jsonout"
)

var (
	once       sync.Once
	compiled   *jsonschema.Schema
	errCompile error
)

// schema compiles jsonout.Schema once, asserting "format" (date-time) too.
func schema() (*jsonschema.Schema, error) {
	once.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(jsonout.Schema))
		if err != nil {
			errCompile = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		const url = "hostnet-output.schema.json"
		if err := c.AddResource(url, doc); err != nil {
			errCompile = err
			return
		}
		compiled, errCompile = c.Compile(url)
	})
	return compiled, errCompile
}

// Validate checks that data is exactly one JSON document valid against the schema.
func Validate(data []byte) error {
	sch, err := schema()
	if err != nil {
		return fmt.Errorf("compiling the schema: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("more than one JSON value")
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// Check validates stdout against the schema and decodes it; the test fails otherwise.
func Check(t testing.TB, stdout string) *jsonout.Document {
	t.Helper()
	if err := Validate([]byte(stdout)); err != nil {
		t.Fatalf("output does not match the JSON schema: %v\n%s", err, stdout)
	}
	var d jsonout.Document
	if err := json.Unmarshal([]byte(stdout), &d); err != nil {
		t.Fatalf("decoding: %v", err)
	}
	return &d
}
