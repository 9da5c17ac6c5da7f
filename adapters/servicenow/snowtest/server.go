package snowtest

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/releasekit/releasekit/release"
)

// The change request state codes of the base system ("Change request states").
// They are written here again, not imported from adapters/servicenow, on purpose:
// the stand-in shares no code with the client it tests.
const (
	StateNew       = "-5"
	StateAssess    = "-4"
	StateAuthorize = "-3"
	StateScheduled = "-2"
	StateImplement = "-1"
	StateReview    = "0"
	StateClosed    = "3"
	StateCanceled  = "4"
)

// Record is one table row as the Table API shows it: every value a string.
type Record map[string]string

// Journal is one work note or comment written on a record.
type Journal struct {
	Field string // "work_notes" or "comments"
	Value string
	By    string
}

// Request is one request the server answered, for assertions.
type Request struct {
	Method, Path, Query string
	Status              int
	User                string
}

// FaultKind says how an injected fault answers.
type FaultKind int

// The fault kinds.
const (
	// FaultStatus answers Status (with RetryAfter, when set) without doing anything.
	FaultStatus FaultKind = iota + 1
	// FaultAppliedThenStatus does what was asked, then answers Status: the client
	// does not know it worked and sends it again (a duplicate delivery).
	FaultAppliedThenStatus
	// FaultDrop does what was asked and closes the connection without an answer.
	FaultDrop
	// FaultHang never answers and does nothing: it waits until the client gives up
	// (its timeout or its context), then ends the request.
	FaultHang
)

// Fault is one injected misbehaviour: the next Times requests that match Method
// (empty: any) and Table (empty: any) get it.
type Fault struct {
	Kind       FaultKind
	Status     int    // FaultStatus, FaultAppliedThenStatus; default 503
	RetryAfter string // the Retry-After header value, when set
	Method     string
	Table      string
	Times      int // default 1
}

type pendingEdit struct {
	table  string
	user   string
	fields Record
}

// Server is the stand-in instance. Its methods are safe for concurrent use.
type Server struct {
	mu        sync.Mutex
	ts        *httptest.Server
	clock     release.Clock
	basic     map[string]string // user -> password
	tokens    map[string]string // bearer token -> user
	tables    map[string][]Record
	journal   map[string][]Journal // sys_id -> entries
	trail     map[string][]string  // change sys_id -> states in order
	seq       int
	number    int
	faults    []*Fault
	edits     []pendingEdit
	down      bool
	requests  []Request
	approvers []string
}

// Option configures a [Server].
type Option func(*Server)

// WithUser adds a user who signs in with basic authentication; it is also a
// sys_user record (user_name, name).
func WithUser(name, password string) Option {
	return func(s *Server) { s.basic[name] = password; s.addUser(name) }
}

// WithToken adds an OAuth bearer access token that stands for user (a sys_user
// record is made for it).
func WithToken(token, user string) Option {
	return func(s *Server) { s.tokens[token] = user; s.addUser(user) }
}

// WithApprovers names the users (sys_user user_name, created when missing) asked
// to approve every normal or emergency change that enters Authorize: one
// sysapproval_approver record each, state requested.
func WithApprovers(users ...string) Option {
	return func(s *Server) {
		for _, u := range users {
			s.addUser(u)
		}
		s.approvers = append(s.approvers, users...)
	}
}

// WithClock sets the clock of sys_created_on and sys_updated_on (default: the
// system clock).
func WithClock(c release.Clock) Option { return func(s *Server) { s.clock = c } }

// New starts a server; Close stops it.
func New(opts ...Option) *Server {
	s := &Server{
		clock: release.SystemClock(), basic: map[string]string{}, tokens: map[string]string{},
		tables: map[string][]Record{}, journal: map[string][]Journal{}, trail: map[string][]string{},
		number: 10000,
	}
	for _, o := range opts {
		o(s)
	}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the instance's base URL ("http://127.0.0.1:port").
func (s *Server) URL() string { return s.ts.URL }

// Close stops the server.
func (s *Server) Close() { s.ts.Close() }

func (s *Server) addUser(name string) {
	for _, r := range s.tables["sys_user"] {
		if r["user_name"] == name {
			return
		}
	}
	s.insert("sys_user", Record{"user_name": name, "name": name}, "admin")
}

func (s *Server) newID() string {
	s.seq++
	return fmt.Sprintf("%032x", s.seq)
}

func (s *Server) stamp() string { return s.clock.Now().UTC().Format("2006-01-02 15:04:05") }

func (s *Server) insert(table string, r Record, user string) Record {
	r = maps.Clone(r)
	r["sys_id"] = s.newID()
	now := s.stamp()
	r["sys_created_on"], r["sys_created_by"] = now, user
	r["sys_updated_on"], r["sys_updated_by"] = now, user
	r["sys_mod_count"] = "0"
	if table == "change_request" {
		s.number++
		r["number"] = fmt.Sprintf("CHG%07d", s.number)
	}
	s.tables[table] = append(s.tables[table], r)
	return r
}

// audit writes one sys_audit row per changed field ("Auditing" / the sys_audit
// table: tablename, documentkey, fieldname, oldvalue, newvalue, user,
// record_checkpoint).
func (s *Server) audit(r Record, changes []Record, user string) {
	for _, c := range changes {
		c["tablename"], c["documentkey"], c["user"], c["record_checkpoint"] = "change_request", r["sys_id"], user, r["sys_mod_count"]
		a := maps.Clone(c)
		a["sys_id"] = s.newID()
		a["sys_created_on"], a["sys_created_by"] = s.stamp(), user
		s.tables["sys_audit"] = append(s.tables["sys_audit"], a)
	}
}

// Inject queues a fault for the next matching requests.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	if f.Status == 0 {
		f.Status = http.StatusServiceUnavailable
	}
	s.faults = append(s.faults, &f)
}

// SetDown makes every request answer 503 (down) or serves again (up).
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// EditBeforeNextWrite makes user edit fields of the record the next PUT or PATCH
// on table writes, just before that write is applied: a person's change between
// the client's read and its write.
func (s *Server) EditBeforeNextWrite(table, user string, fields Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.edits = append(s.edits, pendingEdit{table: table, user: user, fields: maps.Clone(fields)})
}

// Edit changes fields of a record as user would in the form (state moves are not
// checked: a person with the rights can do what the form lets them). It reports
// whether the record exists.
func (s *Server) Edit(table, sysID, user string, fields Record) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.find(table, sysID)
	if r == nil {
		return false
	}
	s.apply(table, r, fields, user)
	return true
}

// Records returns copies of a table's records in creation order.
func (s *Server) Records(table string) []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Record, 0, len(s.tables[table]))
	for _, r := range s.tables[table] {
		out = append(out, maps.Clone(r))
	}
	return out
}

// ChangesFor returns the change requests whose correlation_id is id.
func (s *Server) ChangesFor(id string) []Record {
	var out []Record
	for _, r := range s.Records("change_request") {
		if r["correlation_id"] == id {
			out = append(out, r)
		}
	}
	return out
}

// Trail returns the states a change request went through, in order, its first
// state included.
func (s *Server) Trail(sysID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.trail[sysID])
}

// Journal returns the work notes and comments written on a record, oldest first.
func (s *Server) Journal(sysID string) []Journal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.journal[sysID])
}

// Requests returns every request answered so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Approve records user's approval of the change with sys_id change (user must be
// one of its approvers); see [Server.Decide].
func (s *Server) Approve(change, user, comment string) error {
	return s.Decide(change, user, "approved", comment)
}

// Reject records user's rejection of the change; see [Server.Decide].
func (s *Server) Reject(change, user, comment string) error {
	return s.Decide(change, user, "rejected", comment)
}

// Decide sets the state of user's sysapproval_approver record for the change
// (approved or rejected) with a comment, as the approver would in the form. When
// every approval is approved the change's approval becomes approved (and an
// authorized change moves to Scheduled, as the base system's approval flow does);
// one rejection makes it rejected.
func (s *Server) Decide(change, user, state, comment string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	uid := s.userID(user)
	var mine Record
	for _, a := range s.tables["sysapproval_approver"] {
		if a["sysapproval"] == change && a["approver"] == uid && a["state"] == "requested" {
			mine = a
		}
	}
	if mine == nil {
		return fmt.Errorf("snowtest: %s has no requested approval of change %s", user, change)
	}
	s.apply("sysapproval_approver", mine, Record{"state": state, "comments": comment}, user)
	cr := s.find("change_request", change)
	if cr == nil {
		return nil
	}
	all, rejected := true, false
	for _, a := range s.tables["sysapproval_approver"] {
		if a["sysapproval"] != change {
			continue
		}
		switch a["state"] {
		case "rejected":
			rejected = true
		case "approved", "not_required", "cancelled":
		default:
			all = false
		}
	}
	switch {
	case rejected:
		s.apply("change_request", cr, Record{"approval": "rejected"}, "system")
	case all:
		f := Record{"approval": "approved"}
		if cr["state"] == StateAuthorize {
			f["state"] = StateScheduled
		}
		s.apply("change_request", cr, f, "system")
	}
	return nil
}

func (s *Server) userID(name string) string {
	for _, r := range s.tables["sys_user"] {
		if r["user_name"] == name {
			return r["sys_id"]
		}
	}
	return ""
}

func (s *Server) find(table, id string) Record {
	for _, r := range s.tables[table] {
		if r["sys_id"] == id {
			return r
		}
	}
	return nil
}

// apply writes fields into r as user: journal fields go to the journal, the
// system fields move, and a change request that enters Authorize asks its
// approvers.
func (s *Server) apply(table string, r Record, fields Record, user string) {
	before := r["state"]
	changed := false
	var audits []Record
	for k, v := range fields {
		switch k {
		case "sys_id", "sys_created_on", "sys_created_by", "sys_updated_on", "sys_updated_by", "sys_mod_count", "number":
			continue
		case "work_notes", "comments":
			if v != "" && table != "sysapproval_approver" {
				s.journal[r["sys_id"]] = append(s.journal[r["sys_id"]], Journal{Field: k, Value: v, By: user})
				changed = true
				continue
			}
		}
		if r[k] != v {
			audits = append(audits, Record{"fieldname": k, "oldvalue": r[k], "newvalue": v})
			r[k] = v
			changed = true
		}
	}
	if !changed {
		return
	}
	n, _ := strconv.Atoi(r["sys_mod_count"])
	r["sys_mod_count"] = strconv.Itoa(n + 1)
	if table == "change_request" {
		s.audit(r, audits, user)
	}
	r["sys_updated_on"], r["sys_updated_by"] = s.stamp(), user
	if table == "change_request" && r["state"] != before {
		s.trail[r["sys_id"]] = append(s.trail[r["sys_id"]], r["state"])
		if r["state"] == StateAuthorize {
			s.requestApprovals(r)
		}
	}
}

func (s *Server) requestApprovals(cr Record) {
	if cr["type"] == "standard" || len(s.approvers) == 0 {
		return
	}
	for _, a := range s.tables["sysapproval_approver"] {
		if a["sysapproval"] == cr["sys_id"] && a["state"] == "requested" {
			return // already asked
		}
	}
	for _, u := range s.approvers {
		s.insert("sysapproval_approver", Record{"sysapproval": cr["sys_id"], "approver": s.userID(u), "state": "requested", "source_table": "change_request"}, "system")
	}
	cr["approval"] = "requested"
}

// The change_request fields the server keeps (others are dropped, as the Table API
// drops fields a table does not have).
var changeFields = []string{
	"short_description", "description", "type", "risk", "impact", "urgency", "priority",
	"start_date", "end_date", "assignment_group", "assigned_to", "cmdb_ci", "business_service",
	"correlation_id", "correlation_display", "state", "approval", "close_code", "close_notes",
	"work_notes", "comments", "category", "justification", "implementation_plan", "backout_plan",
	"test_plan", "requested_by", "on_hold", "on_hold_reason",
}

// Reference fields and the tables they point to.
var references = map[string]string{
	"assignment_group": "sys_user_group", "assigned_to": "sys_user", "requested_by": "sys_user",
	"cmdb_ci": "cmdb_ci", "business_service": "cmdb_ci_service",
	"approver": "sys_user", "sysapproval": "task",
}

// transitions lists, per change type, the states each state may move to (besides
// staying, and Canceled from any open state).
var transitions = map[string]map[string][]string{
	"normal": {
		StateNew: {StateAssess}, StateAssess: {StateAuthorize, StateNew}, StateAuthorize: {StateScheduled, StateNew},
		StateScheduled: {StateImplement, StateNew}, StateImplement: {StateReview}, StateReview: {StateClosed},
	},
	"emergency": {
		StateNew: {StateAuthorize}, StateAuthorize: {StateScheduled, StateNew},
		StateScheduled: {StateImplement, StateNew}, StateImplement: {StateReview}, StateReview: {StateClosed},
	},
	"standard": {
		StateNew: {StateScheduled}, StateScheduled: {StateImplement, StateNew}, StateImplement: {StateReview}, StateReview: {StateClosed},
	},
}

// stateNames names the state codes in error details.
var stateNames = map[string]string{
	StateNew: "New", StateAssess: "Assess", StateAuthorize: "Authorize", StateScheduled: "Scheduled",
	StateImplement: "Implement", StateReview: "Review", StateClosed: "Closed", StateCanceled: "Canceled",
}

type apiError struct {
	status          int
	message, detail string
}

func (s *Server) serve(w http.ResponseWriter, req *http.Request) {
	user, ok := s.authenticate(req)
	status := 0
	defer func() {
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: req.Method, Path: req.URL.Path, Query: req.URL.RawQuery, Status: status, User: user})
		s.mu.Unlock()
	}()
	if !ok {
		status = http.StatusUnauthorized
		writeError(w, apiError{status, "User Not Authenticated", "Required to provide Auth information"})
		return
	}
	table, id, _ := strings.Cut(strings.TrimPrefix(req.URL.Path, "/api/now/table/"), "/")
	if !strings.HasPrefix(req.URL.Path, "/api/now/table/") || table == "" || strings.Contains(id, "/") {
		status = http.StatusBadRequest
		writeError(w, apiError{status, "Requested URI does not represent any resource", req.URL.Path})
		return
	}
	var body Record
	if req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch {
		b, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		if err == nil {
			body, err = decodeBody(b)
		}
		if err != nil {
			status = http.StatusBadRequest
			writeError(w, apiError{status, "Exception while reading request", err.Error()})
			return
		}
	}

	s.mu.Lock()
	if s.down {
		s.mu.Unlock()
		status = http.StatusServiceUnavailable
		writeError(w, apiError{status, "Service Unavailable", "the instance is down"})
		return
	}
	f := s.takeFault(req.Method, table)
	if f != nil && f.Kind == FaultStatus {
		s.mu.Unlock()
		status = f.Status
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeError(w, apiError{status, http.StatusText(status), "injected fault"})
		return
	}
	if f != nil && f.Kind == FaultHang {
		s.mu.Unlock()
		<-req.Context().Done()
		status = -1
		return
	}
	code, out, total, aerr := s.handle(req, table, id, body, user)
	s.mu.Unlock()

	if f != nil {
		switch f.Kind {
		case FaultAppliedThenStatus:
			status = f.Status
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			writeError(w, apiError{status, http.StatusText(status), "injected fault after the request was applied"})
			return
		case FaultDrop:
			status = -1
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
	}
	status = code
	if aerr != nil {
		status = aerr.status
		writeError(w, *aerr)
		return
	}
	if code == http.StatusNoContent {
		w.WriteHeader(code)
		return
	}
	if total >= 0 {
		w.Header().Set("X-Total-Count", strconv.Itoa(total))
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"result": out})
}

func (s *Server) authenticate(req *http.Request) (string, bool) {
	if u, p, ok := req.BasicAuth(); ok {
		want, known := s.basic[u]
		return u, known && want == p
	}
	if tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok {
		u, known := s.tokens[tok]
		return u, known
	}
	return "", false
}

func (s *Server) takeFault(method, table string) *Fault {
	for i, f := range s.faults {
		if (f.Method == "" || f.Method == method) && (f.Table == "" || f.Table == table) {
			f.Times--
			if f.Times <= 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
			return f
		}
	}
	return nil
}

func decodeBody(b []byte) (Record, error) {
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	r := Record{}
	for k, v := range raw {
		switch v := v.(type) {
		case string:
			r[k] = v
		case float64:
			r[k] = strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			r[k] = strconv.FormatBool(v)
		case nil:
			r[k] = ""
		default:
			return nil, fmt.Errorf("field %s: %T values are not accepted", k, v)
		}
	}
	return r, nil
}

// handle serves one request under s.mu. total is the X-Total-Count, or -1.
func (s *Server) handle(req *http.Request, table, id string, body Record, user string) (int, any, int, *apiError) {
	q := req.URL.Query()
	exclude := q.Get("sysparm_exclude_reference_link") == "true"
	var fields []string
	if f := q.Get("sysparm_fields"); f != "" {
		fields = strings.Split(f, ",")
	}
	notFound := &apiError{http.StatusNotFound, "No Record found", "Record doesn't exist or ACL restricts the record retrieval"}
	switch {
	case req.Method == http.MethodGet && id == "":
		rows, err := s.query(table, q.Get("sysparm_query"))
		if err != nil {
			return 0, nil, -1, &apiError{http.StatusBadRequest, "Invalid query", err.Error()}
		}
		total := len(rows)
		off, _ := strconv.Atoi(q.Get("sysparm_offset"))
		if off > 0 {
			rows = rows[min(off, len(rows)):]
		}
		if lim, err := strconv.Atoi(q.Get("sysparm_limit")); err == nil && lim >= 0 && lim < len(rows) {
			rows = rows[:lim]
		}
		out := make([]map[string]any, 0, len(rows))
		for _, r := range rows {
			out = append(out, s.view(r, fields, exclude))
		}
		return http.StatusOK, out, total, nil
	case req.Method == http.MethodGet:
		r := s.find(table, id)
		if r == nil {
			return 0, nil, -1, notFound
		}
		return http.StatusOK, s.view(r, fields, exclude), -1, nil
	case req.Method == http.MethodPost && id == "":
		if table == "change_request" {
			body = keep(body)
			if st := body["state"]; st != "" && st != StateNew {
				return 0, nil, -1, &apiError{http.StatusForbidden, "Operation Failed", fmt.Sprintf("a new change request starts in New (-5), not %s", st)}
			}
			body["state"] = StateNew
			if body["type"] == "" {
				body["type"] = "normal"
			}
			if _, ok := transitions[body["type"]]; !ok {
				return 0, nil, -1, &apiError{http.StatusBadRequest, "Invalid value for field type", fmt.Sprintf("%q is not a change type (normal, standard, emergency)", body["type"])}
			}
			if body["approval"] == "" {
				body["approval"] = "not requested"
				if body["type"] == "standard" {
					body["approval"] = "approved"
				}
			}
		}
		journal := Record{"work_notes": body["work_notes"], "comments": body["comments"]}
		delete(body, "work_notes")
		delete(body, "comments")
		r := s.insert(table, body, user)
		if table == "change_request" {
			s.trail[r["sys_id"]] = []string{r["state"]}
			var audits []Record
			for _, k := range slices.Sorted(maps.Keys(body)) {
				audits = append(audits, Record{"fieldname": k, "oldvalue": "", "newvalue": body[k]})
			}
			s.audit(r, audits, user)
		}
		s.apply(table, r, journal, user)
		return http.StatusCreated, s.view(r, fields, exclude), -1, nil
	case (req.Method == http.MethodPatch || req.Method == http.MethodPut) && id != "":
		r := s.find(table, id)
		if r == nil {
			return 0, nil, -1, notFound
		}
		for i, e := range s.edits {
			if e.table == table {
				s.apply(table, r, e.fields, e.user)
				s.edits = slices.Delete(s.edits, i, i+1)
				break
			}
		}
		if table == "change_request" {
			body = keep(body)
			if aerr := checkChange(r, body); aerr != nil {
				return 0, nil, -1, aerr
			}
		}
		s.apply(table, r, body, user)
		return http.StatusOK, s.view(r, fields, exclude), -1, nil
	case req.Method == http.MethodDelete && id != "":
		for i, r := range s.tables[table] {
			if r["sys_id"] == id {
				s.tables[table] = slices.Delete(s.tables[table], i, i+1)
				return http.StatusNoContent, nil, -1, nil
			}
		}
		return 0, nil, -1, notFound
	}
	return 0, nil, -1, &apiError{http.StatusMethodNotAllowed, "Method not Supported", req.Method + " " + req.URL.Path}
}

func keep(body Record) Record {
	out := Record{}
	for k, v := range body {
		if slices.Contains(changeFields, k) {
			out[k] = v
		}
	}
	return out
}

// checkChange refuses a state move the change's model does not allow, and a
// close without close code and notes.
func checkChange(r, body Record) *apiError {
	to, ok := body["state"]
	if !ok || to == r["state"] {
		return nil
	}
	from := r["state"]
	typ := r["type"]
	if t, ok := body["type"]; ok {
		typ = t
	}
	allowed := to == StateCanceled && from != StateClosed && from != StateCanceled
	if !allowed {
		allowed = slices.Contains(transitions[typ][from], to)
	}
	if !allowed {
		return &apiError{http.StatusForbidden, "Operation Failed",
			fmt.Sprintf("State Model: a %s change may not move from %s (%s) to %s (%s)", typ, stateNames[from], from, stateNames[to], to)}
	}
	if to == StateClosed {
		code, notes := r["close_code"], r["close_notes"]
		if v, ok := body["close_code"]; ok {
			code = v
		}
		if v, ok := body["close_notes"]; ok {
			notes = v
		}
		if code == "" || notes == "" {
			return &apiError{http.StatusForbidden, "Operation Failed", "Data Policy Exception: the following fields are mandatory: Close code, Close notes"}
		}
	}
	return nil
}

// view renders r for an answer: the selected fields (dot-walked ones resolved),
// references as link objects unless excluded.
func (s *Server) view(r Record, fields []string, exclude bool) map[string]any {
	if len(fields) == 0 {
		fields = slices.Sorted(maps.Keys(r))
	}
	out := map[string]any{}
	for _, f := range fields {
		f = strings.TrimSpace(f)
		if ref, sub, ok := strings.Cut(f, "."); ok {
			v := ""
			if target := s.find(references[ref], r[ref]); target != nil {
				v = target[sub]
			}
			out[f] = v
			continue
		}
		v := r[f] // journal fields of a change request are kept apart: they read empty
		if table, isRef := references[f]; isRef && !exclude && v != "" {
			out[f] = map[string]string{"link": s.ts.URL + "/api/now/table/" + table + "/" + v, "value": v}
			continue
		}
		out[f] = v
	}
	return out
}

// query runs an encoded query: terms joined with ^, each field=value,
// field!=value, fieldINa,b, ORDERBYfield or ORDERBYDESCfield.
func (s *Server) query(table, q string) ([]Record, error) {
	type cond struct {
		field, op string
		values    []string
	}
	var conds []cond
	var order []string
	var desc []bool
	if q != "" {
		for _, term := range strings.Split(q, "^") {
			switch {
			case term == "":
				continue
			case strings.HasPrefix(term, "ORDERBYDESC"):
				order, desc = append(order, strings.TrimPrefix(term, "ORDERBYDESC")), append(desc, true)
			case strings.HasPrefix(term, "ORDERBY"):
				order, desc = append(order, strings.TrimPrefix(term, "ORDERBY")), append(desc, false)
			case strings.Contains(term, "!="):
				f, v, _ := strings.Cut(term, "!=")
				conds = append(conds, cond{f, "!=", []string{v}})
			case strings.Contains(term, "="):
				f, v, _ := strings.Cut(term, "=")
				conds = append(conds, cond{f, "=", []string{v}})
			case strings.Contains(term, "IN"):
				f, v, _ := strings.Cut(term, "IN")
				conds = append(conds, cond{f, "IN", strings.Split(v, ",")})
			default:
				return nil, fmt.Errorf("this server does not understand the query term %q", term)
			}
		}
	}
	var out []Record
	for _, r := range s.tables[table] {
		match := true
		for _, c := range conds {
			v := r[c.field]
			switch c.op {
			case "=", "IN":
				match = match && slices.Contains(c.values, v)
			case "!=":
				match = match && v != c.values[0]
			}
		}
		if match {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		for k, f := range order {
			a, b := out[i][f], out[j][f]
			if a == b {
				continue
			}
			less := a < b
			if x, errA := strconv.Atoi(a); errA == nil {
				if y, errB := strconv.Atoi(b); errB == nil {
					less = x < y
				}
			}
			if desc[k] {
				return !less
			}
			return less
		}
		return false
	})
	return out, nil
}

func writeError(w http.ResponseWriter, e apiError) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error":  map[string]string{"message": e.message, "detail": e.detail},
		"status": "failure",
	})
}
