package jiratest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Transition is one transition of the server's workflow: it leads from any of From
// (every status when From is empty: a global transition) to the status To.
type Transition struct {
	ID   string
	Name string
	From []string
	To   string
	// Require names fields the transition's screen requires ("resolution"): a
	// transition posted without them in "fields" is a 400 naming each.
	Require []string
}

// ReleaseWorkflow returns a workflow that mirrors the release lifecycle: statuses
// Backlog (the initial one), Planned, Scheduled, Approved, Deploying, Deployed,
// Verified, Failed, Rolling back, Rolled back, Done and Cancelled, with one
// transition per lifecycle event, named after it ("Plan", "Start deployment",
// "Close"…).
func ReleaseWorkflow() []Transition {
	return []Transition{
		{ID: "11", Name: "Plan", From: []string{"Backlog"}, To: "Planned"},
		{ID: "21", Name: "Schedule", From: []string{"Planned"}, To: "Scheduled"},
		{ID: "31", Name: "Unschedule", From: []string{"Scheduled", "Approved"}, To: "Planned"},
		{ID: "41", Name: "Approve", From: []string{"Scheduled"}, To: "Approved"},
		{ID: "51", Name: "Revoke", From: []string{"Approved"}, To: "Scheduled"},
		{ID: "61", Name: "Start deployment", From: []string{"Approved"}, To: "Deploying"},
		{ID: "71", Name: "Complete", From: []string{"Deploying"}, To: "Deployed"},
		{ID: "81", Name: "Verify", From: []string{"Deployed"}, To: "Verified"},
		{ID: "91", Name: "Fail", From: []string{"Deploying", "Deployed", "Verified", "Rolling back"}, To: "Failed"},
		{ID: "101", Name: "Roll back", From: []string{"Deploying", "Deployed", "Verified", "Failed"}, To: "Rolling back"},
		{ID: "111", Name: "Finish rollback", From: []string{"Rolling back"}, To: "Rolled back"},
		{ID: "121", Name: "Close", From: []string{"Verified", "Failed", "Rolled back"}, To: "Done"},
		{ID: "131", Name: "Cancel", From: []string{"Backlog", "Planned", "Scheduled", "Approved"}, To: "Cancelled"},
	}
}

// SimpleWorkflow returns Jira's simplified workflow: To Do (the initial status),
// In Progress and Done, with a global transition into each, named after its status.
func SimpleWorkflow() []Transition {
	return []Transition{
		{ID: "11", Name: "To Do", To: "To Do"},
		{ID: "21", Name: "In Progress", To: "In Progress"},
		{ID: "31", Name: "Done", To: "Done"},
	}
}

// Issue is an issue as the server keeps it.
type Issue struct {
	ID, Key     string
	IssueType   string
	Summary     string
	Description any
	Labels      []string
	Status      string
	// FixVersions are version ids.
	FixVersions []string
	Comments    []Comment
	Properties  map[string]json.RawMessage
}

// Comment is an issue comment: Body as posted (an ADF document or a string).
type Comment struct {
	ID     string
	Body   any
	Author string
}

// Version is a project version.
type Version struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	ProjectID   int64  `json:"projectId"`
	Released    bool   `json:"released"`
	Archived    bool   `json:"archived"`
	ReleaseDate string `json:"releaseDate,omitempty"`
}

// Approver is one approver of a Jira Service Management approval; Decision is
// "approved", "declined" or "pending".
type Approver struct {
	AccountID, Email, DisplayName string
	Decision                      string
}

// Approval is a Jira Service Management approval of a request.
type Approval struct {
	ID, Name  string
	Approvers []Approver
}

// Fault is an injected failure. It hits the next Times requests (default 1) whose
// method is Method (any when empty) and whose path contains Path (any when empty).
type Fault struct {
	Method, Path string
	Times        int
	// Status answers the request with this status (429, 500, 503…) and Jira's
	// error shape; with RetryAfter, a Retry-After header too.
	Status     int
	RetryAfter string
	// Hang holds the request until the client gives up (its timeout or context),
	// or the server closes: a timeout.
	Hang bool
	// Applied carries the request out first and then answers Status (default 502)
	// instead of the real answer: the write happened, the client does not know, and
	// delivers it again.
	Applied bool
}

// Request is one request the server received.
type Request struct {
	Method, Path string
	// Status is what the server answered.
	Status int
}

// Server is a local Jira site. Its methods are safe for concurrent use.
type Server struct {
	// URL is the site's base URL, to put in the adapter's configuration.
	URL string

	ts     *httptest.Server
	closed chan struct{}
	once   sync.Once

	mu        sync.Mutex
	auth      map[string]bool
	project   struct{ ID, Key, Name string }
	types     []string
	workflow  []Transition
	initial   string
	issues    []*Issue
	nextIssue int
	nextNum   int
	nextID    int
	versions  []*Version
	approvals map[string][]Approval
	faults    []*Fault
	down      bool
	lag       int
	hidden    map[string]int
	requests  []Request
}

// Option configures a [Server].
type Option func(*Server)

// WithProject sets the project's key (default "REL"); its id is 10000.
func WithProject(key string) Option { return func(s *Server) { s.project.Key = key } }

// WithWorkflow sets the workflow and the status new issues start in (default:
// [ReleaseWorkflow] starting in Backlog).
func WithWorkflow(initial string, ts []Transition) Option {
	return func(s *Server) { s.initial, s.workflow = initial, slices.Clone(ts) }
}

// WithBasicAuth accepts basic authentication with email and API token.
func WithBasicAuth(email, token string) Option {
	return func(s *Server) {
		s.auth["Basic "+base64.StdEncoding.EncodeToString([]byte(email+":"+token))] = true
	}
}

// WithBearer accepts the bearer token (a personal access token or an OAuth
// access token).
func WithBearer(token string) Option { return func(s *Server) { s.auth["Bearer "+token] = true } }

// New starts a server. Without an auth option it accepts basic auth with
// "bot@your-site.example" and "api-token". Close it when done.
func New(opts ...Option) *Server {
	s := &Server{closed: make(chan struct{}), auth: map[string]bool{}, types: []string{"Task", "Change", "Story"},
		workflow: ReleaseWorkflow(), initial: "Backlog", nextIssue: 10001, nextNum: 1, nextID: 10100,
		approvals: map[string][]Approval{}, hidden: map[string]int{}}
	s.project.ID, s.project.Key, s.project.Name = "10000", "REL", "Releases"
	for _, o := range opts {
		o(s)
	}
	if len(s.auth) == 0 {
		WithBasicAuth("bot@your-site.example", "api-token")(s)
	}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.ts.URL
	return s
}

// Close stops the server; hanging requests are released.
func (s *Server) Close() {
	s.once.Do(func() { close(s.closed) })
	s.ts.Close()
}

// Inject queues a fault.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, &f)
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// SetDown makes every request answer 503 (down true) or be served again (false).
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// SetSearchLag makes every issue created from now on invisible to the next k
// searches that do not name it in reconcileIssues, as Jira Cloud's search index
// lags behind writes.
func (s *Server) SetSearchLag(k int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lag = k
}

// Move sets an issue's status as a person on the board would, whatever the
// workflow says; it reports false for an unknown issue.
func (s *Server) Move(key, status string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.find(key)
	if is == nil {
		return false
	}
	is.Status = status
	return true
}

// SetApprovals sets the Jira Service Management approvals of issue key.
func (s *Server) SetApprovals(key string, as ...Approval) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.approvals[key] = slices.Clone(as)
}

// Issues returns a copy of every issue, in id order.
func (s *Server) Issues() []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Issue, 0, len(s.issues))
	for _, is := range s.issues {
		out = append(out, copyIssue(is))
	}
	return out
}

// Versions returns a copy of every version of the project.
func (s *Server) Versions() []Version {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Version, 0, len(s.versions))
	for _, v := range s.versions {
		out = append(out, *v)
	}
	return out
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func copyIssue(is *Issue) Issue {
	c := *is
	c.Labels = slices.Clone(is.Labels)
	c.FixVersions = slices.Clone(is.FixVersions)
	c.Comments = slices.Clone(is.Comments)
	c.Properties = map[string]json.RawMessage{}
	for k, v := range is.Properties {
		c.Properties[k] = slices.Clone(v)
	}
	return c
}

func (s *Server) find(key string) *Issue {
	for _, is := range s.issues {
		if is.Key == key || is.ID == key {
			return is
		}
	}
	return nil
}

// fault returns the first fault that matches r, counting it down.
func (s *Server) fault(r *http.Request) *Fault {
	for i, f := range s.faults {
		if (f.Method == "" || f.Method == r.Method) && strings.Contains(r.URL.Path, f.Path) {
			cp := *f
			if f.Times--; f.Times <= 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
			return &cp
		}
	}
	return nil
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w, status: 200}
	defer func() {
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Status: rec.status})
		s.mu.Unlock()
	}()
	s.mu.Lock()
	down := s.down
	var f *Fault
	if !down {
		f = s.fault(r)
	}
	authed := s.auth[r.Header.Get("Authorization")]
	s.mu.Unlock()
	switch {
	case down:
		fail(rec, http.StatusServiceUnavailable, "The site is down for maintenance.", nil)
		return
	case f != nil && f.Hang:
		select {
		case <-r.Context().Done():
		case <-s.closed:
		}
		return
	case f != nil && !f.Applied:
		if f.RetryAfter != "" {
			rec.Header().Set("Retry-After", f.RetryAfter)
		}
		fail(rec, f.Status, fmt.Sprintf("injected fault: status %d", f.Status), nil)
		return
	case !authed:
		fail(rec, http.StatusUnauthorized, "You are not authenticated. Authentication required to perform this operation.", nil)
		return
	}
	if f != nil { // Applied: carry it out, answer an error instead
		s.route(discard{header: http.Header{}}, r)
		status := f.Status
		if status == 0 {
			status = http.StatusBadGateway
		}
		fail(rec, status, "injected fault: applied, answered with an error", nil)
		return
	}
	s.route(rec, r)
}

type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}

func fail(w http.ResponseWriter, status int, msg string, fields map[string]string) {
	if fields == nil {
		fields = map[string]string{}
	}
	var msgs []string
	if msg != "" {
		msgs = []string{msg}
	}
	reply(w, status, map[string]any{"errorMessages": append([]string{}, msgs...), "errors": fields})
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

var (
	apiPath = regexp.MustCompile(`^/rest/api/([23])(/.*)$`)
	sdPath  = regexp.MustCompile(`^/rest/servicedeskapi/request/([^/]+)/approval$`)
)

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if m := sdPath.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodGet {
		s.getApprovals(w, r, m[1])
		return
	}
	m := apiPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		fail(w, http.StatusNotFound, "No resource at "+r.URL.Path, nil)
		return
	}
	v3 := m[1] == "3"
	parts := strings.Split(strings.Trim(m[2], "/"), "/")
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && m[2] == "/search/jql" && v3:
		s.search(w, r, true)
	case r.Method == http.MethodPost && m[2] == "/search" && !v3:
		s.search(w, r, false)
	case r.Method == http.MethodPost && m[2] == "/issue":
		s.createIssue(w, r, v3)
	case r.Method == http.MethodPost && m[2] == "/version":
		s.createVersion(w, r)
	case r.Method == http.MethodPut && len(parts) == 2 && parts[0] == "version":
		s.updateVersion(w, r, parts[1])
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "project":
		if parts[1] != s.project.Key && parts[1] != s.project.ID {
			fail(w, http.StatusNotFound, "No project could be found with key '"+parts[1]+"'.", nil)
			return
		}
		reply(w, http.StatusOK, map[string]any{"id": s.project.ID, "key": s.project.Key, "name": s.project.Name})
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "project" && parts[2] == "versions":
		if parts[1] != s.project.Key && parts[1] != s.project.ID {
			fail(w, http.StatusNotFound, "No project could be found with key '"+parts[1]+"'.", nil)
			return
		}
		out := []Version{}
		for _, v := range s.versions {
			out = append(out, *v)
		}
		reply(w, http.StatusOK, out)
	case len(parts) >= 2 && parts[0] == "issue":
		is := s.find(parts[1])
		if is == nil {
			fail(w, http.StatusNotFound, "Issue does not exist or you do not have permission to see it.", nil)
			return
		}
		s.issueRoute(w, r, is, parts[2:], v3)
	default:
		fail(w, http.StatusNotFound, "No resource at "+r.Method+" "+r.URL.Path, nil)
	}
}

func (s *Server) issueRoute(w http.ResponseWriter, r *http.Request, is *Issue, rest []string, v3 bool) {
	switch {
	case len(rest) == 0 && r.Method == http.MethodGet:
		reply(w, http.StatusOK, s.issueJSON(is))
	case len(rest) == 0 && r.Method == http.MethodDelete:
		s.issues = slices.DeleteFunc(s.issues, func(x *Issue) bool { return x == is })
		w.WriteHeader(http.StatusNoContent)
	case len(rest) == 1 && rest[0] == "transitions" && r.Method == http.MethodGet:
		out := []any{}
		for _, t := range s.available(is) {
			out = append(out, map[string]any{"id": t.ID, "name": t.Name, "hasScreen": false, "isGlobal": len(t.From) == 0,
				"isInitial": false, "isConditional": false, "to": map[string]any{"id": statusID(t.To), "name": t.To}})
		}
		reply(w, http.StatusOK, map[string]any{"expand": "transitions", "transitions": out})
	case len(rest) == 1 && rest[0] == "transitions" && r.Method == http.MethodPost:
		var body struct {
			Transition struct {
				ID string `json:"id"`
			} `json:"transition"`
			Fields map[string]any `json:"fields"`
		}
		if json.NewDecoder(r.Body).Decode(&body) != nil || body.Transition.ID == "" {
			fail(w, http.StatusBadRequest, "", map[string]string{"transition": "A transition id is required."})
			return
		}
		for _, t := range s.available(is) {
			if t.ID == body.Transition.ID {
				missing := map[string]string{}
				for _, f := range t.Require {
					if _, ok := body.Fields[f]; !ok {
						missing[f] = fmt.Sprintf("Field '%s' is required.", f)
					}
				}
				if len(missing) > 0 {
					fail(w, http.StatusBadRequest, "", missing)
					return
				}
				is.Status = t.To
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		fail(w, http.StatusBadRequest, fmt.Sprintf("Transition id '%s' is not valid for this issue.", body.Transition.ID), nil)
	case len(rest) == 1 && rest[0] == "comment" && r.Method == http.MethodGet:
		start, _ := strconv.Atoi(r.URL.Query().Get("startAt"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("maxResults"))
		if limit <= 0 || limit > 100 {
			limit = 100
		}
		start = min(max(start, 0), len(is.Comments))
		end := min(start+limit, len(is.Comments))
		out := []any{}
		for _, c := range is.Comments[start:end] {
			out = append(out, commentJSON(c))
		}
		reply(w, http.StatusOK, map[string]any{"startAt": start, "maxResults": limit, "total": len(is.Comments), "comments": out})
	case len(rest) == 1 && rest[0] == "comment" && r.Method == http.MethodPost:
		var body struct {
			Body any `json:"body"`
		}
		if json.NewDecoder(r.Body).Decode(&body) != nil {
			fail(w, http.StatusBadRequest, "The request body is not JSON.", nil)
			return
		}
		if problem := bodyProblem(body.Body, v3); problem != "" {
			fail(w, http.StatusBadRequest, "", map[string]string{"comment": problem})
			return
		}
		s.nextID++
		c := Comment{ID: strconv.Itoa(s.nextID), Body: body.Body, Author: "releasekit"}
		is.Comments = append(is.Comments, c)
		reply(w, http.StatusCreated, commentJSON(c))
	case len(rest) == 2 && rest[0] == "properties" && r.Method == http.MethodGet:
		v, ok := is.Properties[rest[1]]
		if !ok {
			fail(w, http.StatusNotFound, fmt.Sprintf("The property with key '%s' does not exist.", rest[1]), nil)
			return
		}
		reply(w, http.StatusOK, map[string]any{"key": rest[1], "value": v})
	case len(rest) == 2 && rest[0] == "properties" && r.Method == http.MethodPut:
		var v json.RawMessage
		if json.NewDecoder(r.Body).Decode(&v) != nil {
			fail(w, http.StatusBadRequest, "The property value is not valid JSON.", nil)
			return
		}
		if is.Properties == nil {
			is.Properties = map[string]json.RawMessage{}
		}
		_, existed := is.Properties[rest[1]]
		is.Properties[rest[1]] = v
		if existed {
			w.WriteHeader(http.StatusOK)
		} else {
			w.WriteHeader(http.StatusCreated)
		}
	default:
		fail(w, http.StatusNotFound, "No resource at "+r.Method+" "+r.URL.Path, nil)
	}
}

func statusID(name string) string {
	var h uint32 = 2166136261
	for i := range len(name) {
		h = (h ^ uint32(name[i])) * 16777619
	}
	return strconv.FormatUint(uint64(h%90000+10000), 10)
}

func commentJSON(c Comment) map[string]any {
	return map[string]any{"id": c.ID, "body": c.Body, "author": map[string]any{"displayName": c.Author}}
}

func (s *Server) available(is *Issue) []Transition {
	var out []Transition
	for _, t := range s.workflow {
		if t.To == is.Status && len(t.From) == 0 {
			continue // a global transition is not offered into the status the issue is in
		}
		if len(t.From) == 0 || slices.Contains(t.From, is.Status) {
			out = append(out, t)
		}
	}
	return out
}

func (s *Server) issueJSON(is *Issue) map[string]any {
	fvs := []any{}
	for _, id := range is.FixVersions {
		for _, v := range s.versions {
			if v.ID == id {
				fvs = append(fvs, *v)
			}
		}
	}
	return map[string]any{"id": is.ID, "key": is.Key, "self": s.URL + "/rest/api/3/issue/" + is.ID, "fields": map[string]any{
		"summary": is.Summary, "description": is.Description, "labels": is.Labels, "fixVersions": fvs,
		"issuetype": map[string]any{"name": is.IssueType},
		"status":    map[string]any{"id": statusID(is.Status), "name": is.Status},
	}}
}

// bodyProblem checks a description or comment body: an ADF document for v3, a
// string for v2.
func bodyProblem(body any, v3 bool) string {
	if !v3 {
		if _, ok := body.(string); !ok {
			return "Operation value must be a string"
		}
		return ""
	}
	doc, ok := body.(map[string]any)
	if !ok || doc["type"] != "doc" || doc["version"] != float64(1) {
		return "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
	}
	if _, ok := doc["content"].([]any); !ok {
		return "Operation value must be an Atlassian Document: content is missing"
	}
	return ""
}

func (s *Server) createIssue(w http.ResponseWriter, r *http.Request, v3 bool) {
	var body struct {
		Fields struct {
			Project     struct{ Key, ID string }    `json:"project"`
			IssueType   struct{ Name, ID string }   `json:"issuetype"`
			Summary     string                      `json:"summary"`
			Description any                         `json:"description"`
			Labels      []string                    `json:"labels"`
			FixVersions []struct{ ID, Name string } `json:"fixVersions"`
		} `json:"fields"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		fail(w, http.StatusBadRequest, "The request body is not valid: "+err.Error(), nil)
		return
	}
	f := body.Fields
	errs := map[string]string{}
	if f.Project.Key != s.project.Key && f.Project.ID != s.project.ID {
		errs["project"] = "valid project is required"
	}
	if !slices.Contains(s.types, f.IssueType.Name) {
		errs["issuetype"] = "The issue type selected is invalid."
	}
	if strings.TrimSpace(f.Summary) == "" {
		errs["summary"] = "You must specify a summary of the issue."
	} else if len([]rune(f.Summary)) > 255 {
		errs["summary"] = "Summary must be less than 255 characters."
	}
	if f.Description != nil {
		if p := bodyProblem(f.Description, v3); p != "" {
			errs["description"] = p
		}
	}
	for _, l := range f.Labels {
		if strings.ContainsAny(l, " \t\n") || len(l) > 255 {
			errs["labels"] = "Labels cannot contain spaces."
		}
	}
	var fvs []string
	for _, fv := range f.FixVersions {
		found := ""
		for _, v := range s.versions {
			if v.ID == fv.ID || (fv.ID == "" && v.Name == fv.Name) {
				found = v.ID
			}
		}
		if found == "" {
			errs["fixVersions"] = fmt.Sprintf("Version id '%s' is not valid", fv.ID)
		}
		fvs = append(fvs, found)
	}
	if len(errs) > 0 {
		fail(w, http.StatusBadRequest, "", errs)
		return
	}
	is := &Issue{ID: strconv.Itoa(s.nextIssue), Key: fmt.Sprintf("%s-%d", s.project.Key, s.nextNum), IssueType: f.IssueType.Name,
		Summary: f.Summary, Description: f.Description, Labels: f.Labels, Status: s.initial, FixVersions: fvs}
	s.nextIssue++
	s.nextNum++
	s.issues = append(s.issues, is)
	if s.lag > 0 {
		s.hidden[is.ID] = s.lag
	}
	reply(w, http.StatusCreated, map[string]any{"id": is.ID, "key": is.Key, "self": s.URL + "/rest/api/3/issue/" + is.ID})
}

var clause = regexp.MustCompile(`^\s*(\w+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s"]+)\s*$`)

// matcher parses the JQL subset: clauses "field = value" joined by AND, for the
// fields project and labels, with an optional ORDER BY.
func matcher(jql string) (func(*Issue) bool, string) {
	if i := strings.Index(strings.ToUpper(jql), " ORDER BY "); i >= 0 {
		jql = jql[:i]
	}
	var tests []func(*Issue) bool
	for _, c := range regexp.MustCompile(`(?i)\s+AND\s+`).Split(strings.TrimSpace(jql), -1) {
		m := clause.FindStringSubmatch(c)
		if m == nil {
			return nil, fmt.Sprintf("Error in the JQL Query: %q is not a clause this test server understands (field = value, joined by AND).", c)
		}
		v := m[2]
		if strings.HasPrefix(v, `"`) {
			v = strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(v[1 : len(v)-1])
		}
		switch strings.ToLower(m[1]) {
		case "project":
			tests = append(tests, func(is *Issue) bool { return strings.HasPrefix(is.Key, v+"-") })
		case "labels":
			tests = append(tests, func(is *Issue) bool { return slices.Contains(is.Labels, v) })
		default:
			return nil, fmt.Sprintf("Field '%s' is not supported by this test server.", m[1])
		}
	}
	return func(is *Issue) bool {
		for _, t := range tests {
			if !t(is) {
				return false
			}
		}
		return true
	}, ""
}

func (s *Server) search(w http.ResponseWriter, r *http.Request, v3 bool) {
	var body struct {
		JQL             string   `json:"jql"`
		MaxResults      int      `json:"maxResults"`
		StartAt         int      `json:"startAt"`
		NextPageToken   string   `json:"nextPageToken"`
		Fields          []string `json:"fields"`
		ReconcileIssues []int64  `json:"reconcileIssues"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		fail(w, http.StatusBadRequest, "The request body is not valid: "+err.Error(), nil)
		return
	}
	match, problem := matcher(body.JQL)
	if problem != "" {
		fail(w, http.StatusBadRequest, problem, nil)
		return
	}
	var hits []*Issue
	for _, is := range s.issues {
		reconciled := v3 && slices.ContainsFunc(body.ReconcileIssues, func(id int64) bool { return strconv.FormatInt(id, 10) == is.ID })
		if k := s.hidden[is.ID]; k > 0 && !reconciled {
			s.hidden[is.ID] = k - 1
			continue
		}
		if match(is) {
			hits = append(hits, is)
		}
	}
	limit := body.MaxResults
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	start := body.StartAt
	if v3 {
		start, _ = strconv.Atoi(body.NextPageToken)
	}
	start = min(max(start, 0), len(hits))
	end := min(start+limit, len(hits))
	out := []any{}
	for _, is := range hits[start:end] {
		out = append(out, s.issueJSON(is))
	}
	if v3 {
		res := map[string]any{"issues": out, "isLast": end == len(hits)}
		if end < len(hits) {
			res["nextPageToken"] = strconv.Itoa(end)
		}
		reply(w, http.StatusOK, res)
		return
	}
	reply(w, http.StatusOK, map[string]any{"startAt": start, "maxResults": limit, "total": len(hits), "issues": out})
}

func (s *Server) createVersion(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		ProjectID   int64  `json:"projectId"`
		Project     string `json:"project"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		fail(w, http.StatusBadRequest, "The request body is not valid: "+err.Error(), nil)
		return
	}
	pid, _ := strconv.ParseInt(s.project.ID, 10, 64)
	errs := map[string]string{}
	if body.ProjectID != pid && body.Project != s.project.Key {
		errs["project"] = "Project must be specified to create a version."
	}
	if strings.TrimSpace(body.Name) == "" {
		errs["name"] = "You must specify a valid version name"
	}
	for _, v := range s.versions {
		if strings.EqualFold(v.Name, body.Name) {
			errs["name"] = "A version with this name already exists in this project."
		}
	}
	if len(errs) > 0 {
		fail(w, http.StatusBadRequest, "", errs)
		return
	}
	s.nextID++
	v := &Version{ID: strconv.Itoa(s.nextID), Name: body.Name, Description: body.Description, ProjectID: pid}
	s.versions = append(s.versions, v)
	reply(w, http.StatusCreated, *v)
}

func (s *Server) updateVersion(w http.ResponseWriter, r *http.Request, id string) {
	var v *Version
	for _, x := range s.versions {
		if x.ID == id {
			v = x
		}
	}
	if v == nil {
		fail(w, http.StatusNotFound, "Could not find version for id '"+id+"'", nil)
		return
	}
	var body struct {
		Released    *bool   `json:"released"`
		ReleaseDate *string `json:"releaseDate"`
		Name        *string `json:"name"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		fail(w, http.StatusBadRequest, "The request body is not valid: "+err.Error(), nil)
		return
	}
	if body.ReleaseDate != nil && !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`).MatchString(*body.ReleaseDate) {
		fail(w, http.StatusBadRequest, "", map[string]string{"releaseDate": "Please enter the date in the following format: yyyy-MM-dd"})
		return
	}
	if body.Released != nil {
		v.Released = *body.Released
	}
	if body.ReleaseDate != nil {
		v.ReleaseDate = *body.ReleaseDate
	}
	if body.Name != nil {
		v.Name = *body.Name
	}
	reply(w, http.StatusOK, *v)
}

func (s *Server) getApprovals(w http.ResponseWriter, r *http.Request, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.find(key) == nil {
		fail(w, http.StatusNotFound, "The request could not be found.", nil)
		return
	}
	as, ok := s.approvals[key]
	if !ok {
		fail(w, http.StatusNotFound, "The issue is not a customer request.", nil)
		return
	}
	start, _ := strconv.Atoi(r.URL.Query().Get("start"))
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 50 {
		limit = 50
	}
	start = min(max(start, 0), len(as))
	end := min(start+limit, len(as))
	values := []any{}
	for _, a := range as[start:end] {
		final := "pending"
		approvers := []any{}
		allApproved := len(a.Approvers) > 0
		for _, ap := range a.Approvers {
			if ap.Decision == "declined" {
				final = "declined"
			}
			if ap.Decision != "approved" {
				allApproved = false
			}
			approvers = append(approvers, map[string]any{"approver": map[string]any{"accountId": ap.AccountID,
				"emailAddress": ap.Email, "displayName": ap.DisplayName}, "approverDecision": ap.Decision})
		}
		if final == "pending" && allApproved {
			final = "approved"
		}
		values = append(values, map[string]any{"id": a.ID, "name": a.Name, "finalDecision": final,
			"canAnswerApprovalDecision": false, "approvers": approvers})
	}
	reply(w, http.StatusOK, map[string]any{"size": len(values), "start": start, "limit": limit, "isLastPage": end == len(as), "values": values})
}
