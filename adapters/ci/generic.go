package ci

import (
	"net/http"
	"strings"

	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
)

// NewGeneric returns the receiver of the generic shape, for every CI system
// without a receiver of its own (Azure DevOps, CircleCI, Bamboo, …: a last step of
// the pipeline posts it with curl). The body is one JSON object:
//
//	{
//	  "delivery": "run-8812-attempt-1",  // required: unique per result; the idempotency key
//	  "name":     "integration-tests",   // required: the check's name
//	  "status":   "success",             // required: success, pending, failure, error or skipped
//	  "commit":   "<full SHA>",          // commit or version required
//	  "version":  "1.4.0",
//	  "ref":      "main",
//	  "url":      "https://ci.example/run/8812",
//	  "id":       "8812",                // the run's id at the sender
//	  "repository": "team/service"
//	}
//
// signed with X-Releasekit-Signature: sha256=<hex HMAC-SHA256 of the body under
// secret>, compared in constant time. The delivery id is inside the signed body, so
// it cannot be changed to replay a captured result. Unknown fields are refused, so
// a typo is an error and not a silently missing field.
func NewGeneric(eng *release.Engine, secret string, opts ...Option) (http.Handler, error) {
	return newHandler(eng, secret, vendor{
		source: Generic,
		verify: func(r *http.Request, body []byte) error {
			return verifyHMAC(Generic, "X-Releasekit-Signature", r.Header.Get("X-Releasekit-Signature"), secret, body)
		},
		parse: parseGeneric,
	}, opts)
}

type genericShape struct {
	Delivery   string `json:"delivery"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	Commit     string `json:"commit"`
	Version    string `json:"version"`
	Ref        string `json:"ref"`
	URL        string `json:"url"`
	ID         string `json:"id"`
	Repository string `json:"repository"`
}

func parseGeneric(_ *http.Request, body []byte) (parsed, error) {
	var g genericShape
	if err := decodeStrict(Generic, "result", body, &g); err != nil {
		return parsed{}, err
	}
	id, err := delivery(Generic, `"delivery"`, g.Delivery)
	if err != nil {
		return parsed{}, err
	}
	var p []string
	if strings.TrimSpace(g.Name) == "" {
		p = append(p, `"name"`)
	}
	if g.Commit == "" && g.Version == "" {
		p = append(p, `"commit" or "version"`)
	}
	if len(p) > 0 {
		return parsed{}, missing(Generic, "result", p...)
	}
	res := Result{Source: Generic, Delivery: id, Event: "result", Name: g.Name, Native: g.Status, Commit: g.Commit,
		Version: g.Version, Ref: g.Ref, URL: g.URL, ExternalID: g.ID, Repository: g.Repository}
	var st gate.CheckStatus
	if st, err = mapStatus(Generic, "status", g.Status, genericStatuses); err != nil {
		return parsed{}, err
	}
	res.Status = st
	return parsed{res: res}, nil
}
