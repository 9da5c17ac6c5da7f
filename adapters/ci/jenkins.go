package ci

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
)

// NewJenkins returns the receiver of the Jenkins Notification plugin's JSON
// (Format JSON, Protocol HTTP). The plugin cannot sign what it sends, so a
// delivery is accepted when either
//
//   - it carries X-Releasekit-Signature: sha256=<hex HMAC-SHA256 of the body under
//     secret> (a pipeline step that posts the plugin's shape itself, with curl and
//     openssl), or
//   - its URL carries the secret as ?token=<secret> (what the plugin can send; keep
//     the URL out of logs, serve it over TLS only), or the X-Releasekit-Token header.
//
// Both are compared in constant time. The delivery id is X-Releasekit-Delivery when
// given, otherwise one derived from the build (its URL, number and phase), so the
// plugin's retry of one notification is recognised as a replay. QUEUED and STARTED
// record a pending check (the status the plugin sends with STARTED is the previous
// build's, and is not read); COMPLETED and FINALIZED record the build's result. The
// commit is build.scm.commit, the version the build parameter VERSION when set.
func NewJenkins(eng *release.Engine, secret string, opts ...Option) (http.Handler, error) {
	return newHandler(eng, secret, vendor{
		source: Jenkins,
		verify: func(r *http.Request, body []byte) error {
			if sig := r.Header.Get("X-Releasekit-Signature"); sig != "" {
				return verifyHMAC(Jenkins, "X-Releasekit-Signature", sig, secret, body)
			}
			if tok := r.Header.Get("X-Releasekit-Token"); tok != "" {
				return verifyToken(Jenkins, "X-Releasekit-Token header", tok, secret)
			}
			return verifyToken(Jenkins, "token (X-Releasekit-Signature, X-Releasekit-Token or ?token=)", r.URL.Query().Get("token"), secret)
		},
		parse: parseJenkins,
	}, opts)
}

type jkNotification struct {
	Name  string `json:"name"`
	URL   string `json:"url"`
	Build *struct {
		FullURL    string         `json:"full_url"`
		Number     int64          `json:"number"`
		Phase      string         `json:"phase"`
		Status     string         `json:"status"`
		URL        string         `json:"url"`
		Parameters map[string]any `json:"parameters"`
		SCM        struct {
			URL    string `json:"url"`
			Branch string `json:"branch"`
			Commit string `json:"commit"`
		} `json:"scm"`
	} `json:"build"`
}

func parseJenkins(r *http.Request, body []byte) (parsed, error) {
	var n jkNotification
	if err := decode(Jenkins, "notification", body, &n); err != nil {
		return parsed{}, err
	}
	b := n.Build
	if b == nil || strings.TrimSpace(n.Name) == "" || b.Phase == "" {
		return parsed{}, missing(Jenkins, "notification", "name, build.phase")
	}
	id := r.Header.Get("X-Releasekit-Delivery")
	where := "X-Releasekit-Delivery"
	if id == "" {
		sum := sha256.Sum256([]byte(firstOf(b.FullURL, n.URL, n.Name) + "\x00" + strconv.FormatInt(b.Number, 10) + "\x00" + b.Phase))
		id, where = "build-"+hex.EncodeToString(sum[:16]), "derived from the build"
	}
	id, err := delivery(Jenkins, where, id)
	if err != nil {
		return parsed{}, err
	}
	res := Result{Source: Jenkins, Delivery: id, Event: b.Phase, Name: n.Name, Commit: b.SCM.Commit, Ref: b.SCM.Branch,
		URL: b.FullURL, ExternalID: strconv.FormatInt(b.Number, 10), Repository: b.SCM.URL}
	if v, ok := b.Parameters["VERSION"].(string); ok {
		res.Version = v
	}
	switch b.Phase {
	case "QUEUED", "STARTED":
		res.Status, res.Native = gate.CheckPending, b.Phase
	case "COMPLETED", "FINALIZED":
		res.Native = b.Status
		if res.Status, err = mapStatus(Jenkins, "build.status", b.Status, jenkinsResults); err != nil {
			return parsed{}, err
		}
	default:
		return parsed{res: res, ignore: fmt.Sprintf("jenkins phase %q carries no result", b.Phase)}, nil
	}
	if res.Commit == "" && res.Version == "" {
		return parsed{}, missing(Jenkins, "notification", "build.scm.commit (a Git checkout) or a VERSION parameter")
	}
	return parsed{res: res}, nil
}
