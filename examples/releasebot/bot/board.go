package bot

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/releasekit/releasekit/release"
)

// The board: HTML pages rendered on the server (html/template, no JavaScript) for
// people who watch releases rather than drive them.
//
//	GET  /board                 releases by environment and state, the calendar of the
//	                            coming weeks (?from=YYYY-MM-DD&weeks=1..12&environment=),
//	                            the dependency graph (inline SVG)
//	GET  /board/releases/{id}   a release: its fields, evidence, history and whether it
//	                            verifies (release.Engine.Verify)
//	GET  /board/login           a sign-in form; POST it a token of the configuration
//
// A page takes the same bearer token as the API, or the session cookie POST
// /board/login sets (HttpOnly, SameSite=Strict, path /board: it never authorizes the
// API). A bad query parameter answers a 400 page that says what the page takes.

//go:embed board.html
var boardFS embed.FS

var boardTemplates = template.Must(template.New("board").Funcs(template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"clock": func(t time.Time) string { return t.UTC().Format("15:04") },
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12]
		}
		return s
	},
	"refusal": refusalText,
}).ParseFS(boardFS, "board.html"))

// refusalText is what a history row says of a recorded refusal (a decision
// entry): "start refused by calendar: …", one refusal after the other; "" for any
// other entry.
func refusalText(e AuditEntry) string {
	event, refusals, ok := e.Refused()
	if !ok {
		return ""
	}
	parts := make([]string, len(refusals))
	for i, r := range refusals {
		parts[i] = r.Guard + ": " + r.Reason
	}
	return string(event) + " refused by " + strings.Join(parts, "; ")
}

// sessionCookie carries the board's session: the bearer token given to the sign-in
// form.
const sessionCookie = "releasebot_session"

// maxWeeks bounds the calendar of the board.
const maxWeeks = 12

func (s *Server) boardRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /board", s.boardAuthed(s.board))
	m.HandleFunc("GET /board/releases/{id}", s.boardAuthed(s.boardRelease))
	m.HandleFunc("GET /board/login", s.boardLoginForm)
	m.HandleFunc("POST /board/login", s.boardLogin)
}

// boardAuthed admits a bearer token or the session cookie, and sends a browser
// without either to the sign-in form.
func (s *Server) boardAuthed(h actorHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			if c, err := r.Cookie(sessionCookie); err == nil {
				tok, ok = c.Value, c.Value != ""
			}
		}
		who, known := s.auth.lookup(tok)
		if !ok || !known {
			http.Redirect(w, r, "/board/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		h(w, r, who)
	}
}

type loginPage struct {
	Next, Problem string
}

func (s *Server) boardLoginForm(w http.ResponseWriter, r *http.Request) {
	s.page(w, r, http.StatusOK, "login", "Sign in", loginPage{Next: safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) boardLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.page(w, r, http.StatusBadRequest, "login", "Sign in", loginPage{Problem: "The form could not be read: send it from the sign-in page."})
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	tok := strings.TrimSpace(r.PostForm.Get("token"))
	if tok == "" {
		s.page(w, r, http.StatusBadRequest, "login", "Sign in", loginPage{Next: next, Problem: "Give a token: one of the bot's configuration file."})
		return
	}
	if _, ok := s.auth.lookup(tok); !ok {
		s.page(w, r, http.StatusUnauthorized, "login", "Sign in", loginPage{Next: next, Problem: "That token is not in the bot's configuration file: copy it from there."})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/board", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// safeNext keeps a redirect target on the board.
func safeNext(next string) string {
	if next == "/board" || (strings.HasPrefix(next, "/board/") || strings.HasPrefix(next, "/board?")) && !strings.Contains(next, "//") && !strings.Contains(next, `\`) {
		return next
	}
	return "/board"
}

// boardQuery is the board's query: the calendar's first day and number of weeks, and
// an environment to show alone.
type boardQuery struct {
	From        time.Time
	Weeks       int
	Environment string
}

// parseBoardQuery reads ?from, weeks and environment; every problem becomes one
// reason of a KindInvalid *APIError.
func (s *Server) parseBoardQuery(r *http.Request) (boardQuery, error) {
	q := r.URL.Query()
	now := s.now()
	bq := boardQuery{From: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC), Weeks: 4, Environment: q.Get("environment")}
	var problems []string
	for k := range q {
		if k != "from" && k != "weeks" && k != "environment" {
			problems = append(problems, fmt.Sprintf("%q is not a parameter of the board: it takes from, weeks and environment", k))
		}
	}
	if v := q.Get("from"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("from %q is not a date: write it as YYYY-MM-DD, e.g. %s", v, now.Format(time.DateOnly)))
		} else {
			bq.From = t
		}
	}
	if v := q.Get("weeks"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxWeeks {
			problems = append(problems, fmt.Sprintf("weeks %q is not a number from 1 to %d", v, maxWeeks))
		} else {
			bq.Weeks = n
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return bq, apiErr(KindInvalid, "The board cannot show that", problems...)
	}
	return bq, nil
}

// boardIndex is the data of the board's first page.
type boardIndex struct {
	Query        boardQuery
	Environments []envRow
	States       []release.State
	Total        int
	Truncated    bool
	Weeks        []calWeek
	Graph        template.HTML
	From, To     time.Time
}

type envRow struct {
	Name    string
	ByState []stateCell
}

type stateCell struct {
	State    release.State
	Releases []release.Release
}

type calWeek struct {
	Days []calDay
}

type calDay struct {
	Date    time.Time
	Entries []calEntry
}

type calEntry struct {
	Kind         string // window, freeze, lockdown, booking
	Name         string
	Environments string
	Start, End   time.Time
	Release      release.ID
	Shifted      bool
	Runtime      bool // declared at runtime (POST /lockdowns), not a calendar rule
}

func (s *Server) board(w http.ResponseWriter, r *http.Request, _ Identity) {
	q, err := s.parseBoardQuery(r)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	rs, err := s.eng.List(r.Context(), release.Filter{Environment: q.Environment, Limit: maxLimit})
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	data := boardIndex{Query: q, Total: len(rs), Truncated: len(rs) == maxLimit, From: q.From, To: q.From.AddDate(0, 0, 7*q.Weeks)}
	data.Environments, data.States = byEnvironment(rs)
	if data.Weeks, err = s.calendarWeeks(r.Context(), q, rs); err != nil {
		s.errorPage(w, r, err)
		return
	}
	data.Graph = s.graphSVG(rs)
	s.page(w, r, http.StatusOK, "index", "Release board", data)
}

// byEnvironment groups releases by environment (the pipeline's first, then the
// others by name) and state (in lifecycle order), leaving out empty states.
func byEnvironment(rs []release.Release) ([]envRow, []release.State) {
	envs := map[string]map[release.State][]release.Release{}
	used := map[release.State]bool{}
	for _, r := range rs {
		if envs[r.Environment] == nil {
			envs[r.Environment] = map[release.State][]release.Release{}
		}
		envs[r.Environment][r.State] = append(envs[r.Environment][r.State], r)
		used[r.State] = true
	}
	var states []release.State
	for _, st := range release.States() {
		if used[st] {
			states = append(states, st)
		}
	}
	names := make([]string, 0, len(envs))
	for env := range envs {
		names = append(names, env)
	}
	rank := func(env string) int {
		if i := slices.Index(Pipeline, env); i >= 0 {
			return i
		}
		return len(Pipeline)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a, b)) })
	out := make([]envRow, len(names))
	for i, env := range names {
		out[i] = envRow{Name: env}
		for _, st := range states {
			out[i].ByState = append(out[i].ByState, stateCell{State: st, Releases: envs[env][st]})
		}
	}
	return out, states
}

// calendarWeeks lays the rules' occurrences, the stored bookings and the runtime
// lockdowns and freezes of the span out by week and day (UTC), each day's entries by
// start.
func (s *Server) calendarWeeks(ctx context.Context, q boardQuery, rs []release.Release) ([]calWeek, error) {
	from, to := q.From, q.From.AddDate(0, 0, 7*q.Weeks)
	// Start the grid on the Monday of the first week.
	start := from.AddDate(0, 0, -((int(from.Weekday()) + 6) % 7))
	var entries []calEntry
	for _, rule := range s.cal.Rules() {
		if q.Environment != "" && len(rule.Scope.Environments) > 0 && !slices.Contains(rule.Scope.Environments, q.Environment) {
			continue
		}
		occ, err := rule.Occurrences(start, to)
		if err != nil {
			return nil, err
		}
		envs := strings.Join(rule.Scope.Environments, ", ")
		if envs == "" {
			envs = "every environment"
		}
		for _, o := range occ {
			entries = append(entries, calEntry{Kind: string(o.Kind), Name: o.Rule, Environments: envs, Start: o.Start, End: o.End, Shifted: o.Shifted})
		}
	}
	bySlot := map[string]release.Release{}
	for _, r := range rs {
		if r.Slot != nil {
			bySlot[r.Slot.Booking] = r
		}
	}
	if bk, ok := s.store.(release.Booker); ok {
		stored, err := bk.Bookings(ctx, q.Environment, start, to)
		if err != nil {
			return nil, err
		}
		for _, b := range stored {
			e := calEntry{Kind: "booking", Name: strings.Join(b.Services, ", "), Environments: b.Environment, Start: b.Start, End: b.End}
			if r, ok := bySlot[b.ID]; ok {
				e.Name, e.Release = r.Name+" "+r.Version, r.ID
			}
			entries = append(entries, e)
		}
	}
	runtime, err := s.runtimeLockdowns(ctx, q.Environment, start, to)
	if err != nil {
		return nil, err
	}
	entries = append(entries, runtime...)
	slices.SortStableFunc(entries, func(a, b calEntry) int { return a.Start.Compare(b.Start) })
	var weeks []calWeek
	for d := start; d.Before(to); d = d.AddDate(0, 0, 7) {
		var wk calWeek
		for i := range 7 {
			day := d.AddDate(0, 0, i)
			cd := calDay{Date: day}
			next := day.AddDate(0, 0, 1)
			for _, e := range entries {
				// An entry shows on every day it covers.
				if e.Start.Before(next) && e.End.After(day) {
					cd.Entries = append(cd.Entries, e)
				}
			}
			wk.Days = append(wk.Days, cd)
		}
		weeks = append(weeks, wk)
	}
	return weeks, nil
}

// runtimeLockdowns are the calendar entries of the lockdowns and freezes declared
// at runtime (Engine.Lockdown, POST /lockdowns) that are not lifted and in effect
// some time from from to to, in env (every environment when env is empty): each
// from its From to its Until, or to the end of the span while it holds until lifted.
// A lockdown history that does not verify is an error: the board does not show a
// calendar it cannot vouch for.
func (s *Server) runtimeLockdowns(ctx context.Context, env string, from, to time.Time) ([]calEntry, error) {
	ls, err := s.eng.Lockdowns(ctx)
	if err != nil {
		return nil, err
	}
	var out []calEntry
	for _, l := range ls {
		switch {
		case !l.LiftedAt.IsZero(), !l.Until.IsZero() && !l.Until.After(from), !l.From.Before(to),
			env != "" && len(l.Environments) > 0 && !slices.Contains(l.Environments, env):
			continue
		}
		end, until := l.Until, ""
		if end.IsZero() {
			end, until = to, ", until lifted"
		}
		envs := strings.Join(l.Environments, ", ")
		if envs == "" {
			envs = "every environment"
		}
		out = append(out, calEntry{Kind: string(l.Kind), Name: l.Reason + " (declared by " + l.DeclaredBy.ID + until + ")",
			Environments: envs, Start: l.From, End: end, Runtime: true})
	}
	return out, nil
}

// graphSVG draws the services' dependency graph in waves (wave 0, the services that
// depend on nothing, on the left); an arrow goes from a service to what it depends
// on. A service with a release deploying is marked.
func (s *Server) graphSVG(rs []release.Release) template.HTML {
	waves, err := s.graph.Waves()
	if err != nil {
		return template.HTML(`<p class="problem">The dependency graph has a cycle: ` + template.HTMLEscapeString(err.Error()) + `</p>`)
	}
	active := map[string]bool{}
	for _, r := range rs {
		if r.State == release.StateDeploying || r.State == release.StateRollingBack {
			for _, c := range r.Components {
				active[c.Name] = true
			}
			active[r.Name] = true
		}
	}
	const colW, rowH, boxW, boxH, pad = 170, 56, 130, 32, 20
	wave := map[string]int{}
	for i, w := range waves {
		for _, n := range w {
			wave[n] = i
		}
	}
	// An edge that skips a wave arcs over the boxes between, through a band above
	// them.
	top := pad
	for _, e := range s.graph.Edges() {
		if wave[e.Dependent]-wave[e.Dependency] > 1 {
			top = pad + 40
		}
	}
	rows := 0
	pos := map[string][2]int{}
	for i, w := range waves {
		rows = max(rows, len(w))
		for j, n := range w {
			pos[n] = [2]int{pad + i*colW, top + j*rowH}
		}
	}
	width, height := pad*2+len(waves)*colW-(colW-boxW), top+pad+rows*rowH-(rowH-boxH)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" id="graph" role="img" aria-labelledby="graph-title" width="%d" height="%d" viewBox="0 0 %d %d">`, width, height, width, height)
	b.WriteString(`<title id="graph-title">Service dependencies: an arrow points to what a service depends on</title>`)
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>`)
	for _, e := range s.graph.Edges() {
		from, to := pos[e.Dependent], pos[e.Dependency]
		x1, y1, x2, y2 := from[0], from[1]+boxH/2, to[0]+boxW, to[1]+boxH/2
		d := fmt.Sprintf("M %d %d L %d %d", x1, y1, x2, y2)
		if wave[e.Dependent]-wave[e.Dependency] > 1 {
			d = fmt.Sprintf("M %d %d C %d %d, %d %d, %d %d", x1, y1, x1-colW/3, pad/2, x2+colW/3, pad/2, x2, y2)
		}
		fmt.Fprintf(&b, `<path class="edge" data-from="%s" data-to="%s" d="%s" fill="none" stroke="#555" marker-end="url(#arrow)"/>`,
			template.HTMLEscapeString(e.Dependent), template.HTMLEscapeString(e.Dependency), d)
	}
	for _, wave := range waves {
		for _, n := range wave {
			p := pos[n]
			fill := "#eef3fb"
			if active[n] {
				fill = "#ffe8a3"
			}
			name := template.HTMLEscapeString(n)
			fmt.Fprintf(&b, `<g class="node" data-service="%s"><rect x="%d" y="%d" width="%d" height="%d" rx="6" fill="%s" stroke="#335"/><text x="%d" y="%d" text-anchor="middle" font-size="13">%s</text></g>`,
				name, p[0], p[1], boxW, boxH, fill, p[0]+boxW/2, p[1]+boxH/2+4, name)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every name in it is escaped above
}

// boardReleaseData is the data of a release's page.
type boardReleaseData struct {
	Release  Release
	Events   []release.Event
	Evidence ReleaseEvidence
	History  []AuditEntry
	Verified bool
	Problem  string
}

func (s *Server) boardRelease(w http.ResponseWriter, r *http.Request, _ Identity) {
	if len(r.URL.Query()) > 0 {
		s.errorPage(w, r, apiErr(KindInvalid, "The release page takes no query parameters", "open /board/releases/{id} without ?…"))
		return
	}
	id, err := release.ParseID(r.PathValue("id"))
	if err != nil {
		s.errorPage(w, r, apiErr(KindInvalid, "That is not a release ID", "a release ID is a UUID such as 0190b3c4-5f6e-7a8b-9c0d-1e2f3a4b5c6d: follow a link of the board"))
		return
	}
	rel, err := s.eng.Get(r.Context(), id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	h, err := s.eng.History(r.Context(), id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	h = upTo(h, rel.Revision)
	data := boardReleaseData{Release: wireRelease(rel), Events: release.Available(rel.State), Evidence: evidenceOf(rel, h), History: wireEntries(h), Verified: true}
	if err := release.VerifyRelease(rel, h); err != nil {
		data.Verified, data.Problem = false, err.Error()
	}
	s.page(w, r, http.StatusOK, "release", rel.Name+" "+rel.Version+" in "+rel.Environment, data)
}

// errorPage answers err as an HTML page with the status of its kind.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, err error) {
	ae := Classify(err)
	if ae.Kind == KindInternal {
		s.log.ErrorContext(r.Context(), "board page failed", "path", r.URL.Path, "error", err)
	}
	if ae.Kind == KindNotFound && errors.Is(err, release.ErrNotFound) {
		ae.Reasons = append(ae.Reasons, "the board lists every release: go back to /board")
	}
	s.page(w, r, ae.Kind.Status(), "error", "Error", ae)
}

type pageData struct {
	Title string
	Now   time.Time
	Data  any
}

// page renders the named template into a buffer first, so a template error is a 500
// page rather than half a page.
func (s *Server) page(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	var buf bytes.Buffer
	if err := boardTemplates.ExecuteTemplate(&buf, name, pageData{Title: title, Now: s.now(), Data: data}); err != nil {
		s.log.ErrorContext(r.Context(), "board page failed to render", "page", name, "error", err)
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString("<!doctype html><title>Error</title><p>The page could not be rendered.</p>")
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
