package ci

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/releasekit/releasekit/release"
)

// NewGitLab returns the receiver of GitLab webhooks: pipeline events ("Pipeline
// Hook") and job events ("Job Hook"), authenticated by the webhook's secret token
// in X-Gitlab-Token (compared in constant time) and identified by
// X-Gitlab-Event-UUID. Other events answer 202 and record nothing.
//
// GitLab sends the token itself, not a signature of the body: anyone who holds it
// can send any result, so keep it as secret as a password, and serve the receiver
// over TLS only. An empty token is an error.
func NewGitLab(eng *release.Engine, token string, opts ...Option) (http.Handler, error) {
	return newHandler(eng, token, vendor{
		source: GitLab,
		verify: func(r *http.Request, _ []byte) error {
			return verifyToken(GitLab, "X-Gitlab-Token header", r.Header.Get("X-Gitlab-Token"), token)
		},
		parse: parseGitLab,
	}, opts)
}

type (
	glProject struct {
		PathWithNamespace string `json:"path_with_namespace"`
		WebURL            string `json:"web_url"`
	}
	glEvent struct {
		ObjectKind string     `json:"object_kind"`
		Project    *glProject `json:"project"`
		// pipeline events
		ObjectAttributes *struct {
			ID     int64  `json:"id"`
			Name   string `json:"name"`
			Ref    string `json:"ref"`
			Tag    bool   `json:"tag"`
			SHA    string `json:"sha"`
			Status string `json:"status"`
			URL    string `json:"url"`
		} `json:"object_attributes"`
		// job events
		Ref         string `json:"ref"`
		Tag         bool   `json:"tag"`
		SHA         string `json:"sha"`
		BuildID     int64  `json:"build_id"`
		BuildName   string `json:"build_name"`
		BuildStatus string `json:"build_status"`
		ProjectName string `json:"project_name"`
	}
)

func parseGitLab(r *http.Request, body []byte) (parsed, error) {
	id, err := delivery(GitLab, "X-Gitlab-Event-UUID", r.Header.Get("X-Gitlab-Event-UUID"))
	if err != nil {
		return parsed{}, err
	}
	hook := r.Header.Get("X-Gitlab-Event")
	res := Result{Source: GitLab, Delivery: id, Event: hook}
	var ev glEvent
	if err := decode(GitLab, "event", body, &ev); err != nil {
		return parsed{}, err
	}
	var field, word string
	switch ev.ObjectKind {
	case "pipeline":
		a := ev.ObjectAttributes
		if a == nil {
			return parsed{}, missing(GitLab, "pipeline event", "object_attributes")
		}
		res.Name, res.Commit, res.Ref = firstOf(a.Name, "pipeline"), a.SHA, a.Ref
		res.ExternalID, res.URL = idString(a.ID), a.URL
		if res.URL == "" && ev.Project != nil && ev.Project.WebURL != "" && a.ID != 0 {
			res.URL = strings.TrimSuffix(ev.Project.WebURL, "/") + "/-/pipelines/" + idString(a.ID)
		}
		if a.Tag {
			res.Version = versionOfRef(a.Ref)
		}
		field, word = "object_attributes.status", a.Status
	case "build":
		res.Name, res.Commit, res.Ref, res.ExternalID = ev.BuildName, ev.SHA, ev.Ref, idString(ev.BuildID)
		if ev.Project != nil && ev.Project.WebURL != "" && ev.BuildID != 0 {
			res.URL = strings.TrimSuffix(ev.Project.WebURL, "/") + "/-/jobs/" + idString(ev.BuildID)
		}
		if ev.Tag {
			res.Version = versionOfRef(ev.Ref)
		}
		res.Repository = ev.ProjectName
		field, word = "build_status", ev.BuildStatus
	case "":
		return parsed{}, missing(GitLab, "event", "object_kind")
	default:
		return parsed{res: res, ignore: fmt.Sprintf("gitlab %q event carries no CI result (enable pipeline and job events)", ev.ObjectKind)}, nil
	}
	if ev.Project != nil && ev.Project.PathWithNamespace != "" {
		res.Repository = ev.Project.PathWithNamespace
	}
	if res.Event == "" {
		res.Event = ev.ObjectKind
	}
	var p []string
	if strings.TrimSpace(res.Name) == "" {
		p = append(p, "a name")
	}
	if res.Commit == "" {
		p = append(p, "a sha")
	}
	if len(p) > 0 {
		return parsed{}, missing(GitLab, ev.ObjectKind+" event", p...)
	}
	res.Native = word
	if res.Status, err = mapStatus(GitLab, field, word, gitlabStatuses); err != nil {
		return parsed{}, err
	}
	return parsed{res: res}, nil
}
