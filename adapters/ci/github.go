package ci

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/releasekit/releasekit/release"
)

// NewGitHub returns the receiver of GitHub webhooks: check_run, check_suite,
// workflow_run and deployment_status events, signed with X-Hub-Signature-256
// (HMAC-SHA256 of the body under secret, compared in constant time; the SHA-1
// X-Hub-Signature is never accepted) and identified by X-GitHub-Delivery. Both
// content types GitHub offers (application/json and
// application/x-www-form-urlencoded) are read. A ping answers 200; other events
// and actions that carry no result answer 202 and record nothing.
//
// The webhook's secret must be secret; an empty one is an error. See the package
// documentation for the answers and docs/CI-RECEIVERS.md for the status mapping.
func NewGitHub(eng *release.Engine, secret string, opts ...Option) (http.Handler, error) {
	return newHandler(eng, secret, vendor{
		source: GitHub,
		verify: func(r *http.Request, body []byte) error {
			return verifyHMAC(GitHub, "X-Hub-Signature-256", r.Header.Get("X-Hub-Signature-256"), secret, body)
		},
		parse: parseGitHub,
	}, opts)
}

// The parts of GitHub's payloads a result is made of.
type (
	ghRepository struct {
		FullName string `json:"full_name"`
	}
	ghCheckRun struct {
		ID         int64  `json:"id"`
		Name       string `json:"name"`
		HeadSHA    string `json:"head_sha"`
		Status     string `json:"status"`
		Conclusion string `json:"conclusion"`
		HTMLURL    string `json:"html_url"`
		DetailsURL string `json:"details_url"`
		CheckSuite struct {
			HeadBranch string `json:"head_branch"`
		} `json:"check_suite"`
	}
	ghCheckSuite struct {
		ID         int64  `json:"id"`
		HeadSHA    string `json:"head_sha"`
		HeadBranch string `json:"head_branch"`
		Status     string `json:"status"`
		Conclusion string `json:"conclusion"`
		App        struct {
			Name string `json:"name"`
			Slug string `json:"slug"`
		} `json:"app"`
	}
	ghWorkflowRun struct {
		ID         int64  `json:"id"`
		Name       string `json:"name"`
		HeadSHA    string `json:"head_sha"`
		HeadBranch string `json:"head_branch"`
		Status     string `json:"status"`
		Conclusion string `json:"conclusion"`
		HTMLURL    string `json:"html_url"`
	}
	ghDeploymentStatus struct {
		ID             int64  `json:"id"`
		State          string `json:"state"`
		Environment    string `json:"environment"`
		TargetURL      string `json:"target_url"`
		LogURL         string `json:"log_url"`
		EnvironmentURL string `json:"environment_url"`
	}
	ghDeployment struct {
		SHA         string `json:"sha"`
		Ref         string `json:"ref"`
		Environment string `json:"environment"`
	}
	ghEvent struct {
		Action           string                 `json:"action"`
		Repository       ghRepository           `json:"repository"`
		CheckRun         *ghCheckRun            `json:"check_run"`
		CheckSuite       *ghCheckSuite          `json:"check_suite"`
		WorkflowRun      *ghWorkflowRun         `json:"workflow_run"`
		Workflow         *struct{ Name string } `json:"workflow"`
		DeploymentStatus *ghDeploymentStatus    `json:"deployment_status"`
		Deployment       *ghDeployment          `json:"deployment"`
	}
)

func parseGitHub(r *http.Request, body []byte) (parsed, error) {
	id, err := delivery(GitHub, "X-GitHub-Delivery", r.Header.Get("X-GitHub-Delivery"))
	if err != nil {
		return parsed{}, err
	}
	event := r.Header.Get("X-GitHub-Event")
	res := Result{Source: GitHub, Delivery: id, Event: event}
	if event == "ping" {
		return parsed{res: res, ping: true, ignore: "ping: the webhook reaches this receiver"}, nil
	}
	switch event {
	case "check_run", "check_suite", "workflow_run", "deployment_status":
	case "":
		return parsed{}, fmt.Errorf("%w: github: no X-GitHub-Event header", errPayload)
	default:
		return parsed{res: res, ignore: fmt.Sprintf("github event %q carries no CI result (subscribe to check_run, check_suite, workflow_run, deployment_status)", event)}, nil
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		if err != nil || form.Get("payload") == "" {
			return parsed{}, fmt.Errorf("%w: github: a form-encoded delivery without a payload field", errPayload)
		}
		body = []byte(form.Get("payload"))
	}
	var ev ghEvent
	if err := decode(GitHub, event+" event", body, &ev); err != nil {
		return parsed{}, err
	}
	res.Repository = ev.Repository.FullName
	ignore := func(why string) (parsed, error) {
		return parsed{res: res, ignore: fmt.Sprintf("github %s %q: %s", event, ev.Action, why)}, nil
	}
	var field, word string
	switch event {
	case "check_run":
		c := ev.CheckRun
		if c == nil {
			return parsed{}, missing(GitHub, "check_run event", "check_run")
		}
		if ev.Action != "created" && ev.Action != "completed" {
			return ignore("only created and completed check runs are results")
		}
		res.Name, res.Commit, res.Ref, res.URL = c.Name, c.HeadSHA, c.CheckSuite.HeadBranch, firstOf(c.HTMLURL, c.DetailsURL)
		res.ExternalID = idString(c.ID)
		field, word = "check_run.status", c.Status
		if c.Status == "completed" {
			field, word = "check_run.conclusion", c.Conclusion
		}
	case "check_suite":
		s := ev.CheckSuite
		if s == nil {
			return parsed{}, missing(GitHub, "check_suite event", "check_suite")
		}
		if ev.Action != "completed" {
			return ignore("a check suite is a result when it completes (its check runs report progress)")
		}
		if s.App.Slug == "github-actions" {
			// Actions makes one suite per workflow run, all named after the app: the
			// latest would hide another workflow's failure. workflow_run names each.
			return ignore("GitHub Actions makes a check suite per workflow run; its results come from workflow_run events, named by workflow")
		}
		res.Name, res.Commit, res.Ref = firstOf(s.App.Name, "check_suite"), s.HeadSHA, s.HeadBranch
		res.ExternalID = idString(s.ID)
		field, word = "check_suite.conclusion", s.Conclusion
	case "workflow_run":
		w := ev.WorkflowRun
		if w == nil {
			return parsed{}, missing(GitHub, "workflow_run event", "workflow_run")
		}
		name := w.Name
		if name == "" && ev.Workflow != nil {
			name = ev.Workflow.Name
		}
		res.Name, res.Commit, res.Ref, res.URL = name, w.HeadSHA, w.HeadBranch, w.HTMLURL
		res.ExternalID = idString(w.ID)
		field, word = "workflow_run.status", w.Status
		if w.Status == "completed" {
			field, word = "workflow_run.conclusion", w.Conclusion
		}
	case "deployment_status":
		d, dep := ev.DeploymentStatus, ev.Deployment
		if d == nil || dep == nil {
			return parsed{}, missing(GitHub, "deployment_status event", "deployment_status", "deployment")
		}
		env := firstOf(d.Environment, dep.Environment)
		if env == "" {
			return parsed{}, missing(GitHub, "deployment_status event", "deployment_status.environment")
		}
		res.Name, res.Commit, res.Ref = "deployment/"+env, dep.SHA, dep.Ref
		res.URL = firstOf(d.TargetURL, d.LogURL, d.EnvironmentURL)
		res.ExternalID = idString(d.ID)
		field, word = "deployment_status.state", d.State
	}
	var p []string
	if strings.TrimSpace(res.Name) == "" {
		p = append(p, "a name")
	}
	if res.Commit == "" {
		p = append(p, "a head SHA")
	}
	if len(p) > 0 {
		return parsed{}, missing(GitHub, event+" event", p...)
	}
	res.Native = word
	var st error
	switch field {
	case "deployment_status.state":
		res.Status, st = mapStatus(GitHub, field, word, githubDeployments)
	case "check_run.status", "workflow_run.status":
		res.Status, st = mapStatus(GitHub, field, word, githubProgress)
	default:
		res.Status, st = mapStatus(GitHub, field, word, githubConclusions)
	}
	if st != nil {
		return parsed{}, st
	}
	return parsed{res: res}, nil
}

func idString(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
