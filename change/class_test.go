package change_test

import (
	"errors"
	"testing"

	"github.com/releasekit/releasekit/change"
	"pgregory.net/rapid"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want change.Class
		why  string
	}{
		{"standard", change.Standard, "the exact name"},
		{"normal", change.Normal, "the exact name"},
		{"emergency", change.Emergency, "the exact name"},
		{"Emergency", change.Emergency, "case does not matter"},
		{"  STANDARD\n", change.Standard, "surrounding space is ignored"},
		{"", change.Normal, "empty is normal, as the zero Class is"},
		{" \t", change.Normal, "only space is empty"},
	} {
		got, err := change.Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %q, %v; want %q, nil (%s)", tc.in, got, err, tc.want, tc.why)
		}
	}
}

func TestParseRefusesWhatIsNotAClass(t *testing.T) {
	for _, in := range []string{"urgent", "standard-ish", "norm", "emergency!", "stand ard"} {
		c, err := change.Parse(in)
		var pe *change.ParseError
		if !errors.As(err, &pe) || pe.Input != in || !errors.Is(err, change.ErrInvalidClass) || c != "" {
			t.Errorf("Parse(%q) = %q, %v; want \"\" and a *ParseError naming the input that matches ErrInvalidClass", in, c, err)
		}
	}
}

// Every valid class survives a round trip through its text, and Parse accepts
// exactly the valid classes and the empty text.
func TestParseProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.OneOf(rapid.SampledFrom([]string{"standard", "normal", "emergency", ""}), rapid.String()).Draw(t, "s")
		c, err := change.Parse(s)
		if err != nil {
			if !errors.Is(err, change.ErrInvalidClass) {
				t.Fatalf("Parse(%q): error %v does not match ErrInvalidClass", s, err)
			}
			return
		}
		if !c.Valid() {
			t.Fatalf("Parse(%q) = %q, which is not valid", s, c)
		}
		again, err := change.Parse(string(c))
		if err != nil || again != c {
			t.Fatalf("Parse(%q) = %q, %v; want %q back", c, again, err, c)
		}
	})
}

func TestClassesAreValidAndDistinct(t *testing.T) {
	seen := map[change.Class]bool{}
	for _, c := range change.Classes() {
		if !c.Valid() || seen[c] {
			t.Errorf("class %q: valid %v, repeated %v", c, c.Valid(), seen[c])
		}
		seen[c] = true
	}
	if len(seen) != 3 || change.Class("").Valid() {
		t.Errorf("want exactly three valid classes and the zero Class not valid, got %v", change.Classes())
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"standard", "Normal", " emergency ", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := change.Parse(s)
		if (err == nil) != c.Valid() {
			t.Fatalf("Parse(%q) = %q, %v: a class is returned exactly when there is no error", s, c, err)
		}
	})
}
