package release_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/releasekit/releasekit/release"
)

// FuzzVerifyAuditPack: whatever the bytes, VerifyAuditPack never panics, and every
// failure is a break (ErrTampered) or damage (ErrCorrupt), never an untyped error.
func FuzzVerifyAuditPack(f *testing.F) {
	s := newPackScenario(&testing.T{})
	f.Add(s.pack)
	lines := bytes.SplitAfter(s.pack, []byte("\n"))
	f.Add(bytes.Join(lines[:len(lines)/2], nil))
	f.Add([]byte(`{"type":"header","format":"releasekit-audit-pack/v1"}` + "\n"))
	f.Add([]byte(`{"type":"entry","leaf":-1,"proof":["AAAA"]}` + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := release.VerifyAuditPack(bytes.NewReader(b), s.key, nil)
		if err != nil && !errors.Is(err, release.ErrTampered) && !errors.Is(err, release.ErrCorrupt) {
			t.Fatalf("untyped error: %v", err)
		}
	})
}

// FuzzReadCheckpoints: reading published checkpoints never panics; what reads
// either verifies or is a *CheckpointError, never a panic in the tree code.
func FuzzReadCheckpoints(f *testing.F) {
	s := newPackScenario(&testing.T{})
	var b bytes.Buffer
	for _, c := range s.published(&testing.T{}) {
		line, _ := jsonLine(c)
		b.Write(line)
	}
	f.Add(b.Bytes())
	f.Add([]byte(`{"size":3,"leaves":[{"sequence":1}]}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cps, err := release.ReadCheckpoints(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, release.ErrCorrupt) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if err := release.VerifyCheckpoints(t.Context(), s.store, s.key, cps); err != nil && !errors.Is(err, release.ErrTampered) {
			t.Fatalf("untyped error: %v", err)
		}
	})
}

func jsonLine(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	return append(b, '\n'), err
}
