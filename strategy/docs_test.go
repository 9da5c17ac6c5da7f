package strategy_test

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/releasekit/releasekit/internal/doccheck"
	"github.com/releasekit/releasekit/strategy"
)

var update = flag.Bool("update", false, "rewrite the diagrams in docs/STRATEGIES.md")

const strategiesDoc = "../docs/STRATEGIES.md"

// TestStrategiesDoc keeps docs/STRATEGIES.md honest: each diagram is what
// WriteMermaid draws for the strategy the doc shows (go test -update rewrites
// them), and each Go block is an excerpt of example_test.go.
func TestStrategiesDoc(t *testing.T) {
	b, err := os.ReadFile(strategiesDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for name, s := range map[string]strategy.Strategy{"canary": paymentsCanary(), "blue-green": checkoutBlueGreen(), "rolling": ledgerRolling()} {
		var sb strings.Builder
		if err := s.WriteMermaid(&sb); err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile("(?s)(<!-- diagram: " + name + " -->\n```mermaid\n)(.*?)(```)")
		m := re.FindStringSubmatch(doc)
		if m == nil {
			t.Fatalf("%s has no <!-- diagram: %s --> block", strategiesDoc, name)
		}
		if m[2] != sb.String() {
			if !*update {
				t.Errorf("the %s diagram differs from what WriteMermaid draws (go test ./strategy -run TestStrategiesDoc -update):\n%s", name, sb.String())
				continue
			}
			doc = re.ReplaceAllLiteralString(doc, m[1]+sb.String()+m[3])
		}
	}
	if *update {
		if err := os.WriteFile(strategiesDoc, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	doccheck.Excerpts(t, strategiesDoc, "example_test.go")
}
