package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
)

// Engine returns the bot's engine, for hosts that also drive it directly.
func (s *Server) Engine() *release.Engine { return s.eng }

// Handler returns the bot's HTTP API. Every route but GET /healthz needs an
// "Authorization: Bearer <token>" header with a token of the configuration.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /whoami", s.authed(func(w http.ResponseWriter, _ *http.Request, who Identity) {
		if who.Roles == nil {
			who.Roles = []string{}
		}
		writeJSON(w, http.StatusOK, who)
	}))
	m.HandleFunc("POST /releases", s.authed(s.createRelease))
	m.HandleFunc("GET /releases", s.authed(s.listReleases))
	m.HandleFunc("GET /releases/{id}", s.authed(s.getRelease))
	m.HandleFunc("GET /releases/{id}/history", s.authed(s.history))
	m.HandleFunc("POST /releases/{id}/events/{event}", s.authed(s.fire))
	m.HandleFunc("POST /releases/{id}/promote", s.authed(s.promote))
	m.HandleFunc("POST /releases/{id}/checks", s.authed(s.postCheck))
	m.HandleFunc("POST /releases/{id}/approvals", s.authed(s.postApproval))
	m.HandleFunc("POST /releases/{id}/waivers", s.authed(s.postWaiver))
	m.HandleFunc("POST /lockdowns", s.authed(s.declareLockdown))
	m.HandleFunc("GET /lockdowns", s.authed(s.listLockdowns))
	m.HandleFunc("POST /lockdowns/{id}/lift", s.authed(s.liftLockdown))
	routes := "GET /healthz, GET /whoami, POST /releases, GET /releases, GET /releases/{id}, GET /releases/{id}/history, " +
		"POST /releases/{id}/events/{event}, POST /releases/{id}/promote, POST /releases/{id}/checks, POST /releases/{id}/approvals, POST /releases/{id}/waivers, " +
		"POST /lockdowns, GET /lockdowns, POST /lockdowns/{id}/lift, GET /calendar.ics, GET /report, GET /openapi.json, " +
		"GET /board, GET /board/releases/{id}, GET /board/login, POST /board/login"
	for _, src := range WebhookSources() {
		if h := s.receivers[src]; h != nil {
			// The receivers authenticate the sender themselves (signature or token).
			m.Handle("POST /ci/"+src, h)
			routes += ", POST /ci/" + src
		}
	}
	m.HandleFunc("GET /calendar.ics", s.authed(s.calendarICS))
	m.HandleFunc("GET /report", s.authed(s.report))
	m.HandleFunc("GET /openapi.json", s.openAPI)
	s.boardRoutes(m)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if allow := allowed(m, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.fail(w, r, apiErr(KindMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path,
				"send "+strings.Join(allow, " or ")+" (the Allow header lists them); GET /openapi.json describes every route"))
			return
		}
		if strings.HasPrefix(r.URL.Path, "/board/") {
			// A page for a browser: a 404 page.
			s.errorPage(w, r, apiErr(KindNotFound, "no board page "+r.URL.Path,
				"the board has /board, /board/releases/{id} and /board/login: go back to /board"))
			return
		}
		s.fail(w, r, apiErr(KindNotFound, "no route "+r.Method+" "+r.URL.Path, "routes: "+routes+"; GET /openapi.json describes them"))
	})
	s.mux = m
}

// allowed lists the methods m serves r's path with, other than the catch-all: the
// Allow header of a 405 answer.
func allowed(m *http.ServeMux, r *http.Request) []string {
	var out []string
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if method == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = method
		if _, pattern := m.Handler(probe); pattern != "" && pattern != "/" {
			out = append(out, method)
		}
	}
	return out
}

type actorHandler func(w http.ResponseWriter, r *http.Request, who Identity)

// authed admits requests that carry a configured bearer token.
func (s *Server) authed(h actorHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="releasebot"`)
			s.fail(w, r, apiErr(KindUnauthenticated, "no bearer token", `send "Authorization: Bearer <token>" with a token from the bot's configuration file`))
			return
		}
		who, ok := s.auth.lookup(tok)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="releasebot", error="invalid_token"`)
			s.fail(w, r, apiErr(KindUnauthenticated, "unknown bearer token", "use a token from the bot's configuration file"))
			return
		}
		if k, ok := r.Header["Idempotency-Key"]; ok && (len(k) != 1 || strings.TrimSpace(k[0]) == "" || len(k[0]) > release.MaxKeyLength) {
			s.fail(w, r, apiErr(KindInvalid, "invalid Idempotency-Key",
				"send one Idempotency-Key header of 1 to "+strconv.Itoa(release.MaxKeyLength)+" bytes, unique to the request (a UUID will do), and the same key when you retry it"))
			return
		}
		h(w, r, who)
	}
}

func bearer(h string) (string, bool) {
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	tok := strings.TrimSpace(h[len(prefix):])
	return tok, tok != ""
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if _, err := s.store.List(r.Context(), release.Filter{Limit: 1}); err != nil {
		s.fail(w, r, apiErr(KindUnavailable, "the store does not answer: "+err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// CreateRequest is the body of POST /releases. The author is the caller.
type CreateRequest struct {
	Name        string              `json:"name"`
	Version     string              `json:"version"`
	Environment string              `json:"environment"`
	Class       release.Class       `json:"class,omitempty"`
	Components  []release.Component `json:"components,omitempty"`
	Labels      map[string]string   `json:"labels,omitempty"`
	Team        string              `json:"team,omitempty"`
	// Duration is how long the deployment takes, e.g. "45m"; empty means
	// [DefaultDuration].
	Duration string         `json:"duration,omitempty"`
	Needs    []release.Need `json:"needs,omitempty"`
}

func (s *Server) createRelease(w http.ResponseWriter, r *http.Request, who Identity) {
	var req CreateRequest
	if err := decode(w, r, &req, true); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Environment != "" && !slices.Contains(Pipeline, req.Environment) {
		s.fail(w, r, apiErr(KindInvalid, "unknown environment "+strconv.Quote(req.Environment),
			"the bot deploys to "+strings.Join(Pipeline, ", ")+" (its pipeline): name one of them"))
		return
	}
	d := DefaultDuration
	if req.Duration != "" {
		var err error
		if d, err = time.ParseDuration(req.Duration); err != nil || d <= 0 {
			s.fail(w, r, apiErr(KindInvalid, "invalid duration "+strconv.Quote(req.Duration),
				`duration is a Go duration from 1ns to 2562047h (about 292 years), such as "45m" or "1h30m"`))
			return
		}
	}
	rel, err := s.eng.Create(r.Context(), release.Spec{
		Name: req.Name, Version: req.Version, Environment: req.Environment, Class: req.Class,
		Components: req.Components, Labels: req.Labels, Team: req.Team, Duration: d, Needs: req.Needs,
		Author: who.ID,
	}, idempotency(r)...)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.created(w, r, rel)
}

// created answers a request that created rel (POST /releases, POST
// /releases/{id}/promote) with 201, its Location and ETag, and the same
// [ReleaseView] as GET /releases/{id}.
func (s *Server) created(w http.ResponseWriter, r *http.Request, rel release.Release) {
	v, err := s.view(context.WithoutCancel(r.Context()), rel)
	if err != nil {
		// The release is created: answer so, without the evidence the history
		// would have given (none yet for a new release).
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "created, but its history could not be read back",
			slog.String("release", rel.ID.String()), slog.Any("error", err))
		v = ReleaseView{Release: wireRelease(rel), Events: available(rel.State)}
	}
	w.Header().Set("Location", "/releases/"+rel.ID.String())
	setETag(w, rel)
	writeJSON(w, http.StatusCreated, v)
}

// ListResponse is the answer of GET /releases. Next, when set, is the cursor for the
// next page (?after=<next>).
type ListResponse struct {
	Releases []Release `json:"releases"`
	Next     string    `json:"next,omitempty"`
}

// maxLimit caps one page of GET /releases.
const maxLimit = 1000

func (s *Server) listReleases(w http.ResponseWriter, r *http.Request, _ Identity) {
	f, err := parseFilter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rs, err := s.eng.List(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp := ListResponse{Releases: wireReleases(rs)}
	if len(rs) == f.Limit && len(rs) > 0 {
		resp.Next = rs[len(rs)-1].ID.String()
	}
	writeJSON(w, http.StatusOK, resp)
}

// parseFilter reads ?environment, name, version, class, state (repeatable or comma
// separated), label=key=value (repeatable), after and limit (default 100).
func parseFilter(r *http.Request) (release.Filter, error) {
	q := r.URL.Query()
	problems := unknownParams(r, "environment", "name", "version", "component", "class", "state", "label", "after", "limit", "created_from", "created_to")
	f := release.Filter{Environment: q.Get("environment"), Name: q.Get("name"), Version: q.Get("version"),
		Component: q.Get("component"), Class: release.Class(q.Get("class")), Limit: 100}
	for name, bound := range map[string]*time.Time{"created_from": &f.CreatedFrom, "created_to": &f.CreatedTo} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				problems = append(problems, name+" "+strconv.Quote(v)+" is not an RFC 3339 time such as 2026-12-07T09:00:00Z")
				continue
			}
			*bound = t
		}
	}
	if !f.CreatedFrom.IsZero() && !f.CreatedTo.IsZero() && !f.CreatedFrom.Before(f.CreatedTo) {
		problems = append(problems, "created_from must come before created_to")
	}
	if f.Class != "" && !f.Class.Valid() {
		problems = append(problems, "class "+strconv.Quote(string(f.Class))+" is not one of "+joinStrings(release.Classes()))
	}
	for _, v := range q["state"] {
		for st := range strings.SplitSeq(v, ",") {
			st = strings.TrimSpace(st)
			if st == "" {
				continue
			}
			if !release.State(st).Valid() {
				problems = append(problems, "state "+strconv.Quote(st)+" is not one of "+joinStrings(release.States()))
				continue
			}
			f.States = append(f.States, release.State(st))
		}
	}
	for _, v := range q["label"] {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			problems = append(problems, "label "+strconv.Quote(v)+" is not key=value")
			continue
		}
		if f.Labels == nil {
			f.Labels = map[string]string{}
		}
		f.Labels[k] = val
	}
	if v := q.Get("after"); v != "" {
		id, err := release.ParseID(v)
		if err != nil {
			problems = append(problems, "after "+strconv.Quote(v)+" is not a release ID")
		}
		f.After = id
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			problems = append(problems, "limit "+strconv.Quote(v)+" is not a number from 1 to "+strconv.Itoa(maxLimit))
		} else {
			f.Limit = n
		}
	}
	if len(problems) > 0 {
		return f, apiErr(KindInvalid, "invalid filter", problems...)
	}
	return f, nil
}

func joinStrings[T ~string](xs []T) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return strings.Join(out, ", ")
}

// ReleaseView is the answer of GET /releases/{id}: the release, the events that can
// be fired in its state, and the evidence recorded in its history.
type ReleaseView struct {
	Release  Release         `json:"release"`
	Events   []release.Event `json:"events"`
	Evidence ReleaseEvidence `json:"evidence"`
}

// view is rel as GET /releases/{id} shows it: with the events available in its
// state and the evidence its history records up to its revision.
func (s *Server) view(ctx context.Context, rel release.Release) (ReleaseView, error) {
	h, err := s.eng.History(ctx, rel.ID)
	if err != nil {
		return ReleaseView{}, err
	}
	return ReleaseView{Release: wireRelease(rel), Events: available(rel.State), Evidence: evidenceOf(rel, h)}, nil
}

// available is the events a release in state st can take, never nil.
func available(st release.State) []release.Event {
	if evs := release.Available(st); evs != nil {
		return evs
	}
	return []release.Event{}
}

func (s *Server) release(w http.ResponseWriter, r *http.Request) (release.Release, bool) {
	id, err := release.ParseID(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, apiErr(KindInvalid, "invalid release ID", err.Error()))
		return release.Release{}, false
	}
	rel, err := s.eng.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return release.Release{}, false
	}
	return rel, true
}

func (s *Server) getRelease(w http.ResponseWriter, r *http.Request, _ Identity) {
	rel, ok := s.release(w, r)
	if !ok || notModified(w, r, rel) {
		return
	}
	v, err := s.view(r.Context(), rel)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// HistoryResponse is the answer of GET /releases/{id}/history: the hash-chained
// entries up to the release's revision (its ETag), oldest first, and whether they
// verify: the chain up to the release's head, and the stored release against what
// its history says (release.VerifyRelease).
type HistoryResponse struct {
	Entries  []AuditEntry `json:"entries"`
	Verified bool         `json:"verified"`
	// Problem names the first entry that does not verify, when one does not.
	Problem string `json:"problem,omitempty"`
}

func (s *Server) history(w http.ResponseWriter, r *http.Request, _ Identity) {
	rel, ok := s.release(w, r)
	if !ok || notModified(w, r, rel) {
		return
	}
	h, err := s.eng.History(r.Context(), rel.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h = upTo(h, rel.Revision)
	resp := HistoryResponse{Entries: wireEntries(h), Verified: true}
	if err := release.VerifyRelease(rel, h); err != nil {
		resp.Verified, resp.Problem = false, err.Error()
	}
	writeJSON(w, http.StatusOK, resp)
}

// FireRequest is the optional body of POST /releases/{id}/events/{event}.
type FireRequest struct {
	// Reason records why (every event).
	Reason string `json:"reason,omitempty"`
	// At asks schedule for a slot starting then, instead of the earliest one.
	At *time.Time `json:"at,omitempty"`
	// Override asks start to pass a freeze or closed window (release managers).
	Override string `json:"override,omitempty"`
	// Waivers lift failed gates at approve; the caller is the waiving actor.
	Waivers []WaiverRequest `json:"waivers,omitempty"`
	// Review is the post-implementation review, at close.
	Review *release.Review `json:"review,omitempty"`
	// FailedComponents names the components that failed, at fail (partial rollback).
	FailedComponents []string `json:"failed_components,omitempty"`
}

// WaiverRequest waives one failed gate; the bot fills in the actor and roles from
// the caller's identity, so nobody can waive in someone else's name.
type WaiverRequest struct {
	Gate    string    `json:"gate"`
	Reason  string    `json:"reason"`
	Expires time.Time `json:"expires"`
}

// FireResponse is the answer of a committed event: the release after it, the history
// entries this request committed (a rollback with an executor commits its
// finish_rollback or fail too), the gate decision when the request approved, and
// warnings for what failed after the commit (a notification, a rollback step).
type FireResponse struct {
	Release  Release      `json:"release"`
	Entries  []AuditEntry `json:"entries"`
	Decision *Decision    `json:"decision,omitempty"`
	// Reasons summarise the decision: one line per gate.
	Reasons  []string `json:"reasons,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

func (s *Server) fire(w http.ResponseWriter, r *http.Request, who Identity) {
	ev := release.Event(r.PathValue("event"))
	if !ev.Valid() {
		s.fail(w, r, apiErr(KindInvalid, strconv.Quote(string(ev))+" is not an event", eventNames(release.Events())...))
		return
	}
	id, err := release.ParseID(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, apiErr(KindInvalid, "invalid release ID", err.Error()))
		return
	}
	var req FireRequest
	if err := decode(w, r, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	expected, err := ifMatch(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	opts := []release.FireOption{release.Reason(req.Reason)}
	if expected > 0 {
		opts = append(opts, release.ExpectRevision(expected))
	}
	if req.At != nil {
		opts = append(opts, release.At(*req.At))
	}
	if req.Override != "" {
		opts = append(opts, release.Override(req.Override))
	}
	var problems []string
	for i, wv := range req.Waivers {
		if strings.TrimSpace(wv.Gate) == "" || strings.TrimSpace(wv.Reason) == "" || wv.Expires.IsZero() {
			problems = append(problems, "waiver "+strconv.Itoa(i)+" needs a gate, a reason and an expiry")
			continue
		}
		if !wv.Expires.After(s.now()) {
			problems = append(problems, expired(i, wv.Expires, s.now()))
			continue
		}
		opts = append(opts, release.Waive(gate.Waiver{Gate: wv.Gate, Actor: who.ID, Roles: slices.Clone(who.Roles), Reason: wv.Reason, Expires: wv.Expires}))
	}
	if len(problems) > 0 {
		s.fail(w, r, apiErr(KindInvalid, "invalid waivers", problems...))
		return
	}
	if req.Review != nil {
		opts = append(opts, release.WithReview(*req.Review))
	}
	if len(req.FailedComponents) > 0 {
		opts = append(opts, release.FailedComponents(req.FailedComponents...))
	}
	opts = append(opts, idempotency(r)...)
	rel, err := s.eng.Fire(r.Context(), id, ev, who.Actor(), opts...)
	if rel.ID.IsZero() { // Fire returns a release only once it committed
		s.fail(w, r, err)
		return
	}
	resp := FireResponse{Release: wireRelease(rel), Entries: []AuditEntry{}}
	if err != nil {
		resp.Warnings = append(resp.Warnings, err.Error())
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "transition committed with a problem after it",
			slog.String("release", id.String()), slog.String("event", string(ev)), slog.Any("error", err))
	}
	h, herr := s.eng.History(context.WithoutCancel(r.Context()), id)
	if herr != nil {
		resp.Warnings = append(resp.Warnings, "the history could not be read back: "+herr.Error())
	}
	committed := committedBy(h, rel, ev)
	resp.Entries = wireEntries(committed)
	for _, e := range committed {
		raw, ok := e.Annotations["gates"]
		if !ok {
			continue
		}
		var d gate.Decision
		if json.Unmarshal(raw, &d) == nil {
			resp.Decision = wireDecision(d)
			resp.Reasons = decisionReasons(d)
		}
	}
	setETag(w, rel)
	writeJSON(w, http.StatusOK, resp)
}

// decisionReasons gives one line per gate result: its status, reason and waiver.
func decisionReasons(d gate.Decision) []string {
	out := make([]string, 0, len(d.Results))
	for _, res := range d.Results {
		line := res.Gate + ": " + string(res.Status)
		if res.Reason != "" {
			line += ": " + res.Reason
		}
		if res.Waived != nil {
			line += " (waived by " + res.Waived.Actor + ": " + res.Waived.Reason + ")"
		}
		out = append(out, line)
	}
	return out
}

// CheckRequest is the body of POST /releases/{id}/checks.
type CheckRequest struct {
	Name   string           `json:"name"`
	Status gate.CheckStatus `json:"status"`
	URL    string           `json:"url,omitempty"`
	// ExternalID, Source and Commit say where the result comes from: the run's ID in
	// the CI system, which system ("github", "gitlab", "jenkins"…), the commit.
	ExternalID string `json:"external_id,omitempty"`
	Source     string `json:"source,omitempty"`
	Commit     string `json:"commit,omitempty"`
}

// ApprovalRequest is the optional body of POST /releases/{id}/approvals.
type ApprovalRequest struct {
	// Decision is "approve" (the default), "reject" (a reason is required) or
	// "withdraw" (takes back the caller's own approval or rejection).
	Decision string `json:"decision,omitempty"`
	// Role is the role the caller approves in (one of theirs); empty: all of them.
	Role   string `json:"role,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// EvidenceResponse is the answer of the checks, approvals and waivers routes: the
// release's revision after the record, and what is recorded about it.
type EvidenceResponse struct {
	ReleaseID release.ID      `json:"release_id"`
	Revision  int64           `json:"revision"`
	Evidence  ReleaseEvidence `json:"evidence"`
}

func (s *Server) postCheck(w http.ResponseWriter, r *http.Request, who Identity) {
	if !slices.Contains(who.Roles, RoleCI) {
		s.fail(w, r, apiErr(KindForbidden, who.ID+" may not post check results", "it takes the role "+RoleCI))
		return
	}
	var req CheckRequest
	if err := decode(w, r, &req, true); err != nil {
		s.fail(w, r, err)
		return
	}
	if !slices.Contains(gate.CheckStatuses(), req.Status) {
		s.fail(w, r, apiErr(KindInvalid, fmt.Sprintf("status %q is not one of %v", req.Status, gate.CheckStatuses()),
			"this route takes the gate's words; CI systems post their own webhooks to POST /ci/github, /ci/gitlab, /ci/jenkins "+
				"or /ci/generic, which map their words (GitHub's completed and its conclusion, Jenkins' SUCCESS, …) and find the release by commit"))
		return
	}
	s.record(w, r, http.StatusOK, release.Evidence{Kind: release.EvidenceCheck, By: who.Actor(), Name: req.Name, Status: req.Status,
		URL: req.URL, ExternalID: req.ExternalID, Source: req.Source, Commit: req.Commit})
}

func (s *Server) postApproval(w http.ResponseWriter, r *http.Request, who Identity) {
	var req ApprovalRequest
	if err := decode(w, r, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	kind := map[string]release.EvidenceKind{"": release.EvidenceApproval, "approve": release.EvidenceApproval,
		"reject": release.EvidenceRejection, "withdraw": release.EvidenceWithdrawal}[req.Decision]
	if kind == "" {
		s.fail(w, r, apiErr(KindInvalid, "invalid decision "+strconv.Quote(req.Decision), `decision is "approve", "reject" or "withdraw"`))
		return
	}
	s.record(w, r, http.StatusCreated, release.Evidence{Kind: kind, By: who.Actor(), Role: req.Role, Reason: req.Reason})
}

func (s *Server) postWaiver(w http.ResponseWriter, r *http.Request, who Identity) {
	var req WaiverRequest
	if err := decode(w, r, &req, true); err != nil {
		s.fail(w, r, err)
		return
	}
	if !req.Expires.IsZero() && !req.Expires.After(s.now()) {
		s.fail(w, r, apiErr(KindInvalid, "invalid waiver", expired(-1, req.Expires, s.now())))
		return
	}
	s.record(w, r, http.StatusCreated, release.Evidence{Kind: release.EvidenceWaiver, By: who.Actor(), Gate: req.Gate, Reason: req.Reason, Expires: req.Expires})
}

// expired says that the expiry of waiver i (-1: the one waiver of the body) has passed.
func expired(i int, at, now time.Time) string {
	which := "the waiver"
	if i >= 0 {
		which = "waiver " + strconv.Itoa(i)
	}
	return which + " expires at " + at.UTC().Format(time.RFC3339) + ", which has passed (it is " + now.Format(time.RFC3339) +
		"): give an expiry in the future, as short as the waiver needs"
}

// record records ev about the release of the path with the request's If-Match and
// Idempotency-Key, and answers with status and what is recorded up to the new
// revision (the same answer to a retry).
func (s *Server) record(w http.ResponseWriter, r *http.Request, status int, ev release.Evidence) {
	id, err := release.ParseID(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, apiErr(KindInvalid, "invalid release ID", err.Error()))
		return
	}
	expected, err := ifMatch(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	opts := idempotency(r)
	if expected > 0 {
		opts = append(opts, release.ExpectRevision(expected))
	}
	rel, err := s.eng.Record(r.Context(), id, ev, opts...)
	if rel.ID.IsZero() {
		s.fail(w, r, err)
		return
	}
	h, herr := s.eng.History(context.WithoutCancel(r.Context()), id)
	if herr != nil {
		s.fail(w, r, herr)
		return
	}
	setETag(w, rel)
	writeJSON(w, status, EvidenceResponse{ReleaseID: rel.ID, Revision: rel.Revision, Evidence: evidenceOf(rel, h)})
}

// idempotency turns the request's Idempotency-Key header into the engine's option:
// a retried POST with the same key and body gets the first answer and changes
// nothing; the same key with another body is refused (409). The key is kept in the
// store with the change it made.
func idempotency(r *http.Request) []release.FireOption {
	if k := r.Header.Get("Idempotency-Key"); k != "" {
		return []release.FireOption{release.IdempotencyKey(k)}
	}
	return nil
}

// committedBy is the entries a fire of ev that returned rel committed: the entry at
// rel's revision and those before it back to the entry of ev (a rollback run by the
// executor commits its rollback, then finish_rollback or fail). It depends only on
// rel, so a retried request gets the same answer.
func committedBy(h []release.AuditEntry, rel release.Release, ev release.Event) []release.AuditEntry {
	out := []release.AuditEntry{}
	for i := len(h) - 1; i >= 0; i-- {
		e := h[i]
		if e.Sequence > rel.Revision {
			continue
		}
		if e.Event == release.EventRecord || e.Event == release.EventDecision {
			break
		}
		out = append(out, e)
		if e.Event == ev {
			break
		}
	}
	slices.Reverse(out)
	return out
}

func (s *Server) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// calendarICS serves the rules and the booked slots over ?from=…&to=… (RFC 3339),
// by default the configured span around now.
func (s *Server) calendarICS(w http.ResponseWriter, r *http.Request, _ Identity) {
	from, to, err := s.span(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The rules, the bookings every replica made (named by service, version and
	// environment) and the runtime lockdowns and freezes, in one call.
	var buf bytes.Buffer
	if err := s.eng.WriteICS(r.Context(), &buf, from, to, calendar.WithCalendarName("releasebot")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="releases.ics"`)
	_, _ = w.Write(buf.Bytes())
}

// maxSpan is the longest span GET /calendar.ics and GET /report answer for.
const maxSpan = 366 * 24 * time.Hour

// span reads ?from=…&to=… (RFC 3339), by default the configured span around now;
// other parameters are errors, but those named in also.
func (s *Server) span(r *http.Request, also ...string) (from, to time.Time, err error) {
	now := s.now()
	from, to = now.Add(-s.before), now.Add(s.after)
	problems := unknownParams(r, append([]string{"from", "to"}, also...)...)
	for _, p := range []struct {
		name string
		into *time.Time
	}{{"from", &from}, {"to", &to}} {
		if v := r.URL.Query().Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				problems = append(problems, p.name+" "+strconv.Quote(v)+" is not an RFC 3339 time such as 2026-03-02T00:00:00Z")
				continue
			}
			*p.into = t
		}
	}
	if len(problems) == 0 && !to.After(from) {
		problems = append(problems, "to must be after from")
	}
	if len(problems) == 0 && to.Sub(from) > maxSpan {
		problems = append(problems, fmt.Sprintf("from %s to %s is longer than %d days, the most one answer covers: ask for a shorter span (several requests for a longer one)",
			from.Format(time.RFC3339), to.Format(time.RFC3339), maxSpan/(24*time.Hour)))
	}
	if len(problems) > 0 {
		return from, to, apiErr(KindInvalid, "invalid span", problems...)
	}
	return from, to, nil
}

// unknownParams lists, as problems, the query parameters of r not in known.
func unknownParams(r *http.Request, known ...string) []string {
	var out []string
	for k := range r.URL.Query() {
		if !slices.Contains(known, k) {
			out = append(out, strconv.Quote(k)+" is not a parameter of "+r.URL.Path+": it takes "+strings.Join(known, ", "))
		}
	}
	slices.Sort(out)
	return out
}

// ifMatch reads If-Match: a revision, bare or quoted ("3", "\"3\""); "*" or no header
// mean any revision.
func ifMatch(r *http.Request) (int64, error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" || v == "*" {
		return 0, nil
	}
	if strings.HasPrefix(v, "W/") {
		return 0, apiErr(KindInvalid, "weak If-Match "+strconv.Quote(v),
			`If-Match compares strongly (RFC 9110): send the ETag as the bot gave it, e.g. If-Match: "3", without W/`)
	}
	v = strings.Trim(v, `"`)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, apiErr(KindInvalid, "invalid If-Match", `If-Match carries the release's revision, e.g. If-Match: "3" (its ETag)`)
	}
	return n, nil
}

func setETag(w http.ResponseWriter, r release.Release) {
	w.Header().Set("ETag", etag(r))
}

func etag(r release.Release) string { return `"` + strconv.FormatInt(r.Revision, 10) + `"` }

// notModified sets rel's ETag and, when the request's If-None-Match names it (or is
// "*"), answers 304 Not Modified and reports true. Tags compare weakly (RFC 9110
// §13.1.2): W/"3" matches "3".
func notModified(w http.ResponseWriter, r *http.Request, rel release.Release) bool {
	setETag(w, rel)
	inm := r.Header.Get("If-None-Match")
	if inm == "" {
		return false
	}
	cur := etag(rel)
	for tag := range strings.SplitSeq(inm, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == cur {
			w.WriteHeader(http.StatusNotModified)
			return true
		}
	}
	return false
}

// upTo is the entries of h up to revision rev: what a release read at rev had.
func upTo(h []release.AuditEntry, rev int64) []release.AuditEntry {
	out := h[:0:0]
	for _, e := range h {
		if e.Sequence <= rev {
			out = append(out, e)
		}
	}
	return out
}

// decode reads a JSON body into v: unknown fields and trailing data are errors; an
// empty body is an error only when required.
func decode(w http.ResponseWriter, r *http.Request, v any, required bool) error {
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	b, err := io.ReadAll(body)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return apiErr(KindTooLarge, "the request body is larger than "+strconv.Itoa(MaxBodyBytes)+" bytes")
		}
		return apiErr(KindInvalid, "the request body could not be read: "+err.Error())
	}
	if len(bytes.TrimSpace(b)) == 0 {
		if required {
			return apiErr(KindInvalid, "the request needs a JSON body")
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if dec.More() {
		return apiErr(KindInvalid, "the body has data after the JSON value")
	}
	return nil
}

// fieldHints say how to write the fields people get wrong most.
var fieldHints = map[string]string{
	"duration": `duration is a Go duration string such as "45m" or "1h30m"`,
	"at":       `at is an RFC 3339 time such as "2026-03-03T09:00:00Z"`,
	"expires":  `expires is an RFC 3339 time such as "2026-03-03T09:00:00Z"`,
}

// bodyError says what is wrong with a body that does not decode, and how to write it.
func bodyError(err error) *APIError {
	var pe *time.ParseError
	if errors.As(err, &pe) {
		return apiErr(KindInvalid, "a time in the body, "+strconv.Quote(pe.Value)+", is not an RFC 3339 time",
			`write times in RFC 3339 with a zone, such as "2026-03-03T09:00:00Z" or "2026-03-03T10:00:00+01:00" (at, expires, from, until)`,
			"GET /openapi.json describes every route's body")
	}
	ae := apiErr(KindInvalid, "the body is not valid JSON for this route: "+err.Error())
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if hint, ok := fieldHints[te.Field]; ok {
			ae.Reasons = append(ae.Reasons, hint)
		}
	}
	ae.Reasons = append(ae.Reasons, "GET /openapi.json describes every route's body")
	return ae
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // the answers are JSON for programs and people, never HTML
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		_ = json.NewEncoder(&buf).Encode(APIError{Message: "the answer could not be encoded: " + err.Error(), Kind: KindInternal})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail sends err as an [APIError] body with its status.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	ae := Classify(err)
	if len(ae.Reasons) == 0 {
		c := *ae
		c.Reasons = []string{ae.Kind.advice()}
		ae = &c
	}
	if ae.Kind == KindInternal {
		s.log.LogAttrs(r.Context(), slog.LevelError, "request failed", slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	writeJSON(w, ae.Kind.Status(), ae)
}
