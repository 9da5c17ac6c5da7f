package lockdownrow_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/releasekit/releasekit/adapters/internal/lockdownrow"
	"github.com/releasekit/releasekit/release"
)

func TestErrorsAreStale(t *testing.T) {
	for _, err := range []error{lockdownrow.NotNext(5, 3), lockdownrow.FenceMoved(4, 3)} {
		if !errors.Is(err, release.ErrStale) {
			t.Errorf("%v does not match release.ErrStale", err)
		}
	}
	if got := lockdownrow.FenceMoved(4, 3).Error(); !strings.Contains(got, "holds 4 entries, not 3") {
		t.Errorf("FenceMoved(4, 3) = %q", got)
	}
}
