package calfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/releasekit/releasekit/calendar"
	"go.yaml.in/yaml/v3"
)

// MaxBytes bounds a calendar file and each iCalendar file it includes.
const MaxBytes = 16 << 20

// File is a loaded calendar file.
type File struct {
	// Name is the name the file was loaded under (its path, or what the caller chose
	// for standard input); positions use it.
	Name string
	// Zone is the file's default zone ("" when it sets none).
	Zone string
	// Calendar holds every rule, the capacities, the alignment and the bookings.
	Calendar *calendar.Calendar
	// Rules are the rules in the order they were written, each with where it came from.
	Rules []Rule
}

// Rule is a rule of a calendar file and where it was written.
type Rule struct {
	calendar.Rule
	// Description is the rule's free-text description ("" when it has none).
	Description string
	// Pos is where the rule was written; for a rule read from an included iCalendar
	// file, the include entry.
	Pos Position
	// Include is the path of the iCalendar file the rule was read from, or "".
	Include string
}

// Option adjusts [Load] and [LoadFile].
type Option func(*config)

type config struct {
	fsys fs.FS
}

// WithFS reads included iCalendar files from fsys instead of the operating system's
// file system: an include's path is joined (slash-separated) to the directory of the
// calendar file's name, and must then be a valid [fs.ValidPath]. Use it with an
// embed.FS or fstest.MapFS.
func WithFS(fsys fs.FS) Option { return func(c *config) { c.fsys = fsys } }

// LoadFile reads and loads the calendar file at path; see [Load]. Included files are
// read relative to path's directory.
func LoadFile(path string, opts ...Option) (*File, error) {
	data, err := readLimited(path, nil)
	if err != nil {
		return nil, fmt.Errorf("calfile: %w", err)
	}
	return Load(path, data, opts...)
}

// Load loads a calendar file from data; name is used in positions and to resolve
// included files (relative to its directory). It returns the file with a built
// [calendar.Calendar], or an [*Error] listing every problem and no file at all.
func Load(name string, data []byte, opts ...Option) (*File, error) {
	var cfg config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	d := &decoder{cfg: cfg, name: name, seenRule: map[string]Position{}, seenBooking: map[string]Position{}}
	root := d.parse(data)
	if root != nil {
		d.top(root)
	}
	if len(d.probs) > 0 {
		sortProblems(d.probs, name)
		return nil, &Error{Problems: d.probs}
	}
	rules := make([]calendar.Rule, len(d.rules))
	for i, r := range d.rules {
		rules[i] = r.Rule
	}
	cal, err := calendar.NewWithOptions(rules, d.calOpts...)
	if err != nil {
		// Every rule and option was validated above; this is a safety net.
		return nil, &Error{Problems: []Problem{{Pos: Position{File: name, Line: 1}, Msg: err.Error(), Err: err}}}
	}
	bookings := make([]calendar.Booking, len(d.bookings))
	for i, b := range d.bookings {
		bookings[i] = b.b
	}
	if err := cal.Restore(bookings...); err != nil {
		return nil, &Error{Problems: []Problem{{Pos: Position{File: name, Line: 1}, Msg: err.Error(), Err: err}}}
	}
	return &File{Name: name, Zone: d.zone, Calendar: cal, Rules: d.rules}, nil
}

func readLimited(p string, fsys fs.FS) ([]byte, error) {
	var f io.ReadCloser
	var err error
	if fsys != nil {
		f, err = fsys.Open(p)
	} else {
		f, err = os.Open(p)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", p, MaxBytes)
	}
	return data, nil
}

type booking struct {
	b   calendar.Booking
	pos Position
}

type decoder struct {
	cfg         config
	name        string
	probs       []Problem
	visits      int
	zone        string
	zoneBad     bool // the file's zone was given but is not a zone
	rules       []Rule
	bookings    []booking
	calOpts     []calendar.Option
	seenRule    map[string]Position
	seenBooking map[string]Position
}

const maxVisits = 200_000

func (d *decoder) pos(n *yaml.Node) Position {
	return Position{File: d.name, Line: n.Line, Column: n.Column}
}

func (d *decoder) errf(n *yaml.Node, format string, args ...any) {
	d.probs = append(d.probs, Problem{Pos: d.pos(n), Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) errAt(p Position, err error, format string, args ...any) {
	d.probs = append(d.probs, Problem{Pos: p, Msg: fmt.Sprintf(format, args...), Err: err})
}

// parse reads the one YAML document of data.
func (d *decoder) parse(data []byte) *yaml.Node {
	if len(data) > MaxBytes {
		d.errAt(Position{File: d.name, Line: 1}, nil, "the file is larger than %d bytes", MaxBytes)
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errAt(Position{File: d.name, Line: 1}, nil, "the file is empty: a calendar file starts with \"version: 1\"")
			return nil
		}
		d.yamlErr(err)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.errf(&extra, "a second YAML document starts here: a calendar file holds one document; remove the \"---\" or move the rules into the first")
	} else if !errors.Is(err, io.EOF) {
		d.yamlErr(err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		d.errAt(Position{File: d.name, Line: 1}, nil, "the file holds no YAML mapping: a calendar file starts with \"version: 1\"")
		return nil
	}
	return doc.Content[0]
}

// yamlErr turns a syntax error ("yaml: line 3: did not find expected key") into a problem.
func (d *decoder) yamlErr(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	var n int
	if _, serr := fmt.Sscanf(msg, "line %d:", &n); serr == nil && n > 0 {
		line = n
		if i := strings.IndexByte(msg, ':'); i >= 0 {
			msg = strings.TrimSpace(msg[i+1:])
		}
	}
	d.errAt(Position{File: d.name, Line: line}, err, "YAML syntax: %s", msg)
}

// resolve follows aliases and counts what is visited, so that aliases cannot expand a
// small file into a huge one.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode; depth++ {
		if depth > 100 {
			return nil
		}
		n = n.Alias
	}
	d.visits++
	if d.visits == maxVisits {
		d.errf(n, "the file expands to more than %d values through aliases: write it out or split it", maxVisits)
	}
	if d.visits >= maxVisits {
		return nil
	}
	return n
}

type field struct {
	key, val *yaml.Node
}

// fields reads a mapping: it reports duplicate keys, merge keys and keys not in known
// (with a suggestion), and returns the known ones. Keys starting with "x-" are ignored,
// so that a file can hold anchors for reuse.
func (d *decoder) fields(n *yaml.Node, what string, known ...string) (map[string]field, bool) {
	n = d.resolve(n)
	if n == nil {
		return nil, false
	}
	if n.Kind != yaml.MappingNode {
		d.errf(n, "%s must be a mapping of keys to values, not %s", what, describe(n))
		return nil, false
	}
	out := map[string]field{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errf(k, "a key of %s must be a plain name", what)
			continue
		}
		key := k.Value
		switch {
		case key == "<<":
			d.errf(k, "merge keys (<<) are not supported: write the keys out, or use an alias (*name) for a whole value")
			continue
		case strings.HasPrefix(key, "x-"):
			continue
		}
		if prev, dup := out[key]; dup {
			d.errf(k, "%q is given twice in %s (first at line %d): keep one", key, what, prev.key.Line)
			continue
		}
		if !slices.Contains(known, key) {
			if s := suggest(key, known); s != "" {
				d.errf(k, "unknown key %q in %s: did you mean %q?", key, what, s)
			} else {
				d.errf(k, "unknown key %q in %s: use one of %s", key, what, strings.Join(known, ", "))
			}
			continue
		}
		out[key] = field{k, v}
	}
	return out, true
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("%q", clip(n.Value))
	}
	return "an alias"
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// scalar returns the text of a scalar, as written; what names the value in messages.
func (d *decoder) scalar(n *yaml.Node, what string) (string, bool) {
	n = d.resolve(n)
	if n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		d.errf(n, "%s must be a single value, not %s", what, describe(n))
		return "", false
	}
	if isNull(n) || strings.TrimSpace(n.Value) == "" {
		d.errf(n, "%s is empty", what)
		return "", false
	}
	return strings.TrimSpace(n.Value), true
}

// text returns a scalar's text as written, spaces included.
func (d *decoder) text(n *yaml.Node, what string) (string, bool) {
	if _, ok := d.scalar(n, what); !ok {
		return "", false
	}
	return d.resolve(n).Value, true
}

// list reads a list of names; a single value counts as a list of one.
func (d *decoder) list(n *yaml.Node, what string) ([]string, bool) {
	n = d.resolve(n)
	if n == nil {
		return nil, false
	}
	if n.Kind == yaml.ScalarNode {
		if isNull(n) {
			return nil, true
		}
		s, ok := d.scalar(n, what)
		if !ok {
			return nil, false
		}
		return []string{s}, true
	}
	if n.Kind != yaml.SequenceNode {
		d.errf(n, "%s must be a list of names, not %s", what, describe(n))
		return nil, false
	}
	ok := true
	var out []string
	for _, c := range n.Content {
		s, good := d.scalar(c, "an entry of "+what)
		if !good {
			ok = false
			continue
		}
		out = append(out, s)
	}
	return out, ok
}

// items reads a list of mappings (a null value is an empty list).
func (d *decoder) items(n *yaml.Node, what string) []*yaml.Node {
	n = d.resolve(n)
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errf(n, "%s must be a list (each entry starting with \"- \"), not %s", what, describe(n))
		return nil
	}
	return n.Content
}

func suggest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if dist := levenshtein(strings.ToLower(key), k); dist < bestD {
			best, bestD = k, dist
		}
	}
	return best
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// includePath joins an include's path to the directory of the calendar file.
func (d *decoder) includePath(p string) string {
	if d.cfg.fsys != nil {
		return path.Join(path.Dir(filepath.ToSlash(d.name)), p)
	}
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(d.name), p)
}
