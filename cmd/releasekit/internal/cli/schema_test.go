package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/releasekit/releasekit/calendar/calendartest"
	"github.com/releasekit/releasekit/calendar/calfile"
	"github.com/releasekit/releasekit/internal/calfiletest"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
	"pgregory.net/rapid"
)

// schema compiles the published schema with a draft 2020-12 validator.
func schema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(calfile.Schema()))
	if err != nil {
		t.Fatalf("the schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "https://github.com/releasekit/releasekit/calendar/calfile/releasekit-calendar.schema.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return s
}

// instance reads YAML as the YAML language server gives it to a JSON Schema validator
// (YAML 1.2 core schema: numbers, booleans and null are typed, everything else is a
// string, times included).
func instance(t fataler, data []byte) any {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	return toJSON(t, doc.Content[0])
}

type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

func toJSON(t fataler, n *yaml.Node) any {
	switch n.Kind {
	case yaml.AliasNode:
		return toJSON(t, n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = toJSON(t, n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		out := []any{}
		for _, c := range n.Content {
			out = append(out, toJSON(t, c))
		}
		return out
	}
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		b, _ := strconv.ParseBool(n.Value)
		return b
	case "!!int", "!!float":
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			return n.Value
		}
		return f
	}
	return n.Value
}

// The schema accepts every example the project ships.
func TestSchemaAcceptsTheExamples(t *testing.T) {
	s := schema(t)
	files := []string{
		"testdata/release-calendar.yaml",
		"../../../../calendar/calfile/testdata/example.yaml",
		"../../../../docs/examples/release-calendar.yaml",
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := calfile.Load(p, data); err != nil {
			t.Fatalf("%s does not load: %v", p, err)
		}
		if err := s.Validate(instance(t, data)); err != nil {
			t.Errorf("the schema rejects %s: %v", p, err)
		}
	}
}

// The schema never rejects a file the loader accepts: drawn calendars, written out.
func TestSchemaAcceptsWhatLoads(t *testing.T) {
	s := schema(t)
	cfg := calendartest.DefaultConfig()
	rapid.Check(t, func(t *rapid.T) {
		src := calfiletest.Calendar(cfg.Calendar().Draw(t, "calendar"), cfg.Environments)
		if _, err := calfile.Load("drawn.yaml", src); err != nil {
			t.Fatalf("drawn file does not load: %v", err)
		}
		if err := s.Validate(instance(t, src)); err != nil {
			t.Fatalf("the schema rejects a file that loads: %v\n%s", err, src)
		}
	})
}

// The schema rejects malformed files, each for the reason given, and the loader
// rejects them too.
func TestSchemaRejectsBadFiles(t *testing.T) {
	s := schema(t)
	const head = "version: 1\nzone: Europe/Berlin\n"
	for _, tc := range []struct{ why, src string }{
		{"an unknown top-level key", head + "window: []\n"},
		{"a version from the future", "version: 2\nzone: UTC\n"},
		{"a misspelt rule key", head + "freezes:\n  - name: f\n    start: 2026-01-01\n    duration: 1h\n    alow: {classes: [emergency]}\n"},
		{"a rule without a start", head + "freezes:\n  - name: f\n    duration: 1h\n"},
		{"a rule with end and duration", head + "freezes:\n  - name: f\n    start: 2026-01-01\n    end: 2026-01-02\n    duration: 1h\n"},
		{"a rule with neither end nor duration", head + "freezes:\n  - name: f\n    start: 2026-01-01\n"},
		{"a wall time with an offset", head + "freezes:\n  - name: f\n    start: 2026-01-01T10:00:00+01:00\n    duration: 1h\n"},
		{"a wall time in another format", head + "freezes:\n  - name: f\n    start: 01.01.2026\n    duration: 1h\n"},
		{"month 13", head + "freezes:\n  - name: f\n    start: 2026-13-01\n    duration: 1h\n"},
		{"a duration in words", head + "freezes:\n  - name: f\n    start: 2026-01-01\n    duration: one hour\n"},
		{"an unknown class", head + "freezes:\n  - name: f\n    start: 2026-01-01\n    duration: 1h\n    allow: {classes: [urgent]}\n"},
		{"exceptions on a lockdown", head + "lockdowns:\n  - name: l\n    start: 2026-01-01\n    duration: 1h\n    allow: {classes: [emergency]}\n"},
		{"exceptions on a window", head + "windows:\n  - name: w\n    start: 2026-01-01\n    duration: 1h\n    allow: {actions: [rollback]}\n"},
		{"an unknown dst_gap", head + "freezes:\n  - name: f\n    start: 2026-01-01\n    duration: 1h\n    dst_gap: later\n"},
		{"a negative capacity", head + "capacity: {default: -1}\n"},
		{"a capacity in words", head + "capacity: {environments: {prod: two}}\n"},
		{"an include without a file", head + "include:\n  - kind: freeze\n"},
		{"an include of an unknown kind", head + "include:\n  - ics: h.ics\n    kind: outage\n"},
		{"a booking without an environment", head + "bookings:\n  - id: b\n    start: 2026-01-01 10:00\n    duration: 1h\n"},
		{"a rule list that is a mapping", head + "freezes: {name: f}\n"},
		{"a file that is a list", "- version: 1\n"},
	} {
		if err := s.Validate(instance(t, []byte(tc.src))); err == nil {
			t.Errorf("the schema accepts %s:\n%s", tc.why, tc.src)
		}
		if _, err := calfile.Load("bad.yaml", []byte(tc.src)); err == nil {
			t.Errorf("the loader accepts %s:\n%s", tc.why, tc.src)
		}
	}
	many, err := os.ReadFile(filepath.Join("../../../../calendar/calfile/testdata/bad/many.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(instance(t, many)); err == nil {
		t.Error("the schema accepts calendar/calfile/testdata/bad/many.yaml")
	}
}

// docs/CALENDAR-FILE.md shows the output lint-doc.txtar checks.
func TestDocumentedProblems(t *testing.T) {
	script, err := os.ReadFile("testdata/script/lint-doc.txtar")
	if err != nil {
		t.Fatal(err)
	}
	_, want, ok := strings.Cut(string(script), "-- problems.stderr --\n")
	if !ok || want == "" {
		t.Fatal("lint-doc.txtar has no problems.stderr")
	}
	doc, err := os.ReadFile("../../../../docs/CALENDAR-FILE.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```\n"+want+"```\n") {
		t.Fatalf("docs/CALENDAR-FILE.md does not show the output of lint-doc.txtar:\n%s", want)
	}
}

// Every yaml block of docs/CALENDAR-FILE.md passes the schema.
func TestSchemaAcceptsTheDocumentedFiles(t *testing.T) {
	s := schema(t)
	doc, err := os.ReadFile("../../../../docs/CALENDAR-FILE.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 4 {
		t.Fatalf("%d yaml blocks: the check would pass vacuously", len(blocks))
	}
	for i, b := range blocks {
		if err := s.Validate(instance(t, []byte(b[1]))); err != nil {
			t.Errorf("the schema rejects block %d of docs/CALENDAR-FILE.md: %v", i+1, err)
		}
	}
}
