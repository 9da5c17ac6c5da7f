package bot

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/releasekit/releasekit/adapters/ci"
	"github.com/releasekit/releasekit/release"
)

// receivers builds the CI receivers whose secrets are configured. Results find their
// release by its "commit" label (ci.ByCommit, the default).
func receivers(eng *release.Engine, secrets map[string]string, log *slog.Logger) (map[string]http.Handler, error) {
	ctors := map[string]func(*release.Engine, string, ...ci.Option) (http.Handler, error){
		"github": ci.NewGitHub, "gitlab": ci.NewGitLab, "jenkins": ci.NewJenkins, "generic": ci.NewGeneric,
	}
	out := map[string]http.Handler{}
	for src, secret := range secrets {
		h, err := ctors[src](eng, secret, ci.WithLogger(log))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		out[src] = h
	}
	return out, nil
}
