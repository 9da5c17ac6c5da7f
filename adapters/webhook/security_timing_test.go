package webhook_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/webhook"
	"github.com/releasekit/releasekit/release/notifytest"
)

// TestSignatureComparedInConstantTime reads the package's source: a signature must
// never be compared with bytes.Equal, bytes.Compare, ==, or anything else that
// stops at the first differing byte (the time it takes would tell an attacker how
// many leading bytes of a forged MAC are right). Every MAC the receiver computes
// (a call of mac outside Sign) must be used only as an argument of hmac.Equal, and
// CheckSignature must call hmac.Equal. The test fails when either changes.
func TestSignatureComparedInConstantTime(t *testing.T) {
	problems, err := constantTimeProblems(".")
	require.NoError(t, err)
	assert.Empty(t, problems)

	// The check can fail: on a copy of the sources where the MAC is compared with
	// bytes.Equal, or with ==, it reports the comparison.
	for _, swap := range []struct{ from, to string }{
		{"hmac.Equal(got, want)", "bytes.Equal(got, want)"},
		{"hmac.Equal(got, want)", "string(got) == string(want)"},
		{"hmac.Equal(got, want)", "len(want) == len(got)"},
	} {
		dir := t.TempDir()
		files, err := filepath.Glob("*.go")
		require.NoError(t, err)
		replaced := false
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			b, err := os.ReadFile(name)
			require.NoError(t, err)
			if s := string(b); strings.Contains(s, swap.from) {
				b, replaced = []byte(strings.Replace(s, swap.from, swap.to, 1)), true
			}
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
		}
		require.True(t, replaced, "%q not found in the sources", swap.from)
		problems, err := constantTimeProblems(dir)
		require.NoError(t, err)
		assert.NotEmpty(t, problems, "comparing with %s went unnoticed", swap.to)
	}
}

// constantTimeProblems parses the non-test Go files in dir and lists every
// variable-time comparison of a MAC, and a CheckSignature without hmac.Equal.
func constantTimeProblems(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	var problems []string
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	fset := token.NewFileSet()
	hmacEqualCalls := map[string]int{}
	parsed := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			return nil, err
		}
		parsed++
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			// Variables that hold a computed MAC in this function.
			macVars := map[string]bool{}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				as, ok := n.(*ast.AssignStmt)
				if !ok {
					return true
				}
				for i, rhs := range as.Rhs {
					if isCall(rhs, "", "mac") && i < len(as.Lhs) {
						if id, ok := as.Lhs[i].(*ast.Ident); ok {
							macVars[id.Name] = true
						}
					}
				}
				return true
			})
			// Walk with a parent stack, so each use of a MAC can be checked against
			// the expression that uses it.
			var stack []ast.Node
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if n == nil {
					stack = stack[:len(stack)-1]
					return true
				}
				pos := fset.Position(n.Pos())
				switch x := n.(type) {
				case *ast.CallExpr:
					switch {
					case isCall(x, "bytes", "Equal"), isCall(x, "bytes", "Compare"), isCall(x, "strings", "EqualFold"), isCall(x, "reflect", "DeepEqual"):
						errorf("%s: %s compares in variable time; use hmac.Equal", pos, exprString(x.Fun))
					case isCall(x, "hmac", "Equal"):
						hmacEqualCalls[fn.Name.Name]++
					case isCall(x, "", "mac") && fn.Name.Name != "Sign":
						if _, assigned := stack[len(stack)-1].(*ast.AssignStmt); !assigned && !insideHMACEqual(stack) {
							errorf("%s: a computed MAC is used outside hmac.Equal", pos)
						}
					}
				case *ast.Ident:
					if macVars[x.Name] && len(stack) > 0 {
						if _, assigned := stack[len(stack)-1].(*ast.AssignStmt); !assigned && !insideHMACEqual(stack) {
							errorf("%s: MAC %s is used outside hmac.Equal", pos, x.Name)
						}
					}
				}
				stack = append(stack, n)
				return true
			})
		}
	}
	if parsed == 0 {
		return nil, fmt.Errorf("no Go source files in %s", dir)
	}
	if hmacEqualCalls["CheckSignature"] == 0 {
		errorf("CheckSignature does not call hmac.Equal")
	}
	return problems, nil
}

func isCall(e ast.Expr, pkg, name string) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	switch f := call.Fun.(type) {
	case *ast.Ident:
		return pkg == "" && f.Name == name
	case *ast.SelectorExpr:
		id, ok := f.X.(*ast.Ident)
		return ok && id.Name == pkg && f.Sel.Name == name
	}
	return false
}

func insideHMACEqual(stack []ast.Node) bool {
	for i := len(stack) - 1; i >= 0; i-- {
		if c, ok := stack[i].(*ast.CallExpr); ok {
			return isCall(c, "hmac", "Equal")
		}
	}
	return false
}

func exprString(e ast.Expr) string {
	if s, ok := e.(*ast.SelectorExpr); ok {
		if id, ok := s.X.(*ast.Ident); ok {
			return id.Name + "." + s.Sel.Name
		}
	}
	return "a comparison"
}

// Of 32 concurrent deliveries of one signed request to receivers sharing a replay
// cache, exactly one is accepted; the others are *ReplayError.
func TestConcurrentReplayAcceptedOnce(t *testing.T) {
	cache := webhook.NewMemoryReplayCache()
	h, body := signed(t, notifytest.Sample(4)[1], t0, secret)
	const n = 32
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = webhook.Verify(h.Clone(), body, [][]byte{secret}, t0.Add(time.Duration(i)*time.Second), webhook.WithReplayCache(cache))
		})
	}
	wg.Wait()
	accepted := 0
	for _, err := range errs {
		if err == nil {
			accepted++
			continue
		}
		var re *webhook.ReplayError
		require.ErrorAs(t, err, &re)
		require.ErrorIs(t, err, webhook.ErrReplay)
	}
	require.Equal(t, 1, accepted, "deliveries accepted")
}

// During a secret rotation a delivery signed with both secrets is accepted once:
// receivers holding the old and the new secret share one replay cache.
func TestReplayAcrossRotation(t *testing.T) {
	cache := webhook.NewMemoryReplayCache()
	h, body := signed(t, notifytest.Sample(5)[2], t0, secret, oldSecret)
	_, err := webhook.Verify(h, body, [][]byte{oldSecret}, t0, webhook.WithReplayCache(cache))
	require.NoError(t, err, "receiver with the old secret")
	_, err = webhook.Verify(h, body, [][]byte{secret}, t0, webhook.WithReplayCache(cache))
	require.ErrorIs(t, err, webhook.ErrReplay, "receiver with the new secret")
}

// A refused delivery (stale, in the future, forged, or with a contradicting
// idempotency header) does not consume its idempotency key: otherwise an attacker
// holding an old or forged copy could block the genuine delivery by sending it
// first.
func TestRefusedDeliveryDoesNotConsumeKey(t *testing.T) {
	note := notifytest.Sample(6)[3]
	h, body := signed(t, note, t0, secret)
	forged := h.Clone()
	forged.Set(webhook.SignatureHeader, webhook.Sign(body, t0, oldSecret))
	contradicting := h.Clone()
	contradicting.Set(webhook.IdempotencyHeader, "other/1")
	for _, tc := range []struct {
		name string
		h    http.Header
		now  time.Time
		want error
	}{
		{"stale", h, t0.Add(time.Hour), webhook.ErrStale},
		{"from the future", h, t0.Add(-time.Hour), webhook.ErrStale},
		{"forged", forged, t0, webhook.ErrBadSignature},
		{"contradicting header", contradicting, t0, webhook.ErrBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cache := webhook.NewMemoryReplayCache()
			_, err := webhook.Verify(tc.h, body, [][]byte{secret}, tc.now, webhook.WithReplayCache(cache))
			require.ErrorIs(t, err, tc.want)
			require.Zero(t, cache.Len(), "a refused delivery left a key in the cache")
			p, err := webhook.Verify(h, body, [][]byte{secret}, t0, webhook.WithReplayCache(cache))
			require.NoError(t, err, "the genuine delivery after the refused one")
			require.Equal(t, note.Key(), p.IdempotencyKey)
		})
	}
}
