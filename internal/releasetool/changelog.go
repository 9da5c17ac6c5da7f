package releasetool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// ChangelogFile is the changelog at the repository root.
const ChangelogFile = "CHANGELOG.md"

const unreleasedHeading = "## Unreleased"

// newChangelog is what a repository without a changelog starts from.
const newChangelog = `# Changelog

The releases of the published modules, newest first (see README.md for the modules and the
compatibility policy). ` + "`make release`" + ` writes each section: the notes gathered under
Unreleased, the incompatible API changes that golang.org/x/exp/apidiff found, and the
commits since the previous release.

` + unreleasedHeading + `

<!-- Notes for the next release go here; the release moves them into its section. Every
incompatible API change needs a note that names it as ` + "`make apicheck`" + ` prints it, such as
"` + "`adapters/bolt.Open`" + `: now takes options; pass bolt.Options{} for the old behaviour". -->
`

// changelog is CHANGELOG.md split around the content of its Unreleased section.
type changelog struct {
	head       string // up to and including the Unreleased heading line
	unreleased string // the content of the Unreleased section
	tail       string // from the next second-level heading on
}

var htmlComment = regexp.MustCompile(`(?s)<!--.*?-->`)

// readChangelog reads the changelog of the repository at root, or the one a repository
// without a changelog starts from.
func readChangelog(root string) (*changelog, error) {
	data, err := os.ReadFile(filepath.Join(root, ChangelogFile))
	if errors.Is(err, os.ErrNotExist) {
		data = []byte(newChangelog)
	} else if err != nil {
		return nil, err
	}
	text := string(data)
	i := headingIndex(text, unreleasedHeading, 0)
	if i < 0 {
		return nil, fmt.Errorf("%s has no %q section: add one above the first release", ChangelogFile, unreleasedHeading)
	}
	start := i + len(unreleasedHeading)
	if nl := strings.IndexByte(text[start:], '\n'); nl >= 0 {
		start += nl + 1
	} else {
		text += "\n"
		start = len(text)
	}
	end := headingIndex(text, "## ", start)
	if end < 0 {
		end = len(text)
	}
	return &changelog{head: text[:start], unreleased: text[start:end], tail: text[end:]}, nil
}

// headingIndex returns the index of the first line at or after from that starts with
// prefix, or -1.
func headingIndex(text, prefix string, from int) int {
	for i := from; i < len(text); {
		if strings.HasPrefix(text[i:], prefix) && (i == 0 || text[i-1] == '\n') {
			return i
		}
		nl := strings.IndexByte(text[i:], '\n')
		if nl < 0 {
			return -1
		}
		i += nl + 1
	}
	return -1
}

// notes returns the notes written under Unreleased, without HTML comments.
func (c *changelog) notes() string {
	return strings.TrimSpace(htmlComment.ReplaceAllString(c.unreleased, ""))
}

// unnoted returns the incompatible changes that the Unreleased notes do not name.
func (c *changelog) unnoted(changes []APIChange) []APIChange {
	notes := c.notes()
	var out []APIChange
	for _, ch := range Incompatible(changes) {
		if !mentions(notes, ch.Name) {
			out = append(out, ch)
		}
	}
	return out
}

// mentions reports whether text names name as a whole: not as part of a longer name
// ("release.Spec" is not mentioned by "release.SpecError"). A package or module is
// mentioned by its path alone.
func mentions(text, name string) bool {
	for _, p := range []string{"package ", "module "} {
		name = strings.TrimPrefix(name, p)
	}
	for i := 0; ; {
		j := strings.Index(text[i:], name)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(name)
		before := j == 0 || !isNameByte(text[j-1]) && text[j-1] != '.' && text[j-1] != '/'
		after := end == len(text) || !isNameByte(text[end])
		if before && after {
			return true
		}
		i = j + 1
	}
}

func isNameByte(b byte) bool {
	return b == '_' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

// section is one release's section of the changelog.
type section struct {
	Version      string
	Date         string // YYYY-MM-DD
	Tags         []string
	Previous     string // the previous release, "" for the first
	Notes        string
	Incompatible []APIChange
	Commits      []string // "abc1234 subject", newest first
}

func (s section) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s (%s)\n\n", s.Version, s.Date)
	fmt.Fprintf(&b, "Tags: `%s`.\n\n", strings.Join(s.Tags, "`, `"))
	if s.Notes != "" {
		b.WriteString(s.Notes + "\n\n")
	}
	if len(s.Incompatible) > 0 {
		fmt.Fprintf(&b, "### Incompatible API changes since %s\n\n", s.Previous)
		for _, c := range s.Incompatible {
			fmt.Fprintf(&b, "- `%s`: %s\n", c.Name, c.Message)
		}
		b.WriteString("\n")
	}
	if s.Previous == "" {
		b.WriteString("### Commits (the first release)\n\n")
	} else {
		fmt.Fprintf(&b, "### Commits since %s\n\n", s.Previous)
	}
	if len(s.Commits) == 0 {
		b.WriteString("None.\n")
	}
	for _, c := range s.Commits {
		fmt.Fprintf(&b, "- %s\n", c)
	}
	return b.String()
}

// withRelease returns the changelog with the section added above the previous releases and
// the Unreleased section emptied of its notes (its comments stay).
func (c *changelog) withRelease(s section) string {
	keep := strings.Join(htmlComment.FindAllString(c.unreleased, -1), "\n")
	if keep != "" {
		keep = "\n" + keep + "\n"
	}
	return c.head + keep + "\n" + s.String() + sep(c.tail) + c.tail
}

func sep(tail string) string {
	if tail == "" {
		return ""
	}
	return "\n"
}
