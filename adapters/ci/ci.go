package ci

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
)

// Source names the CI system a [Result] came from. It is the evidence's Source.
type Source string

// The sources of the receivers in this package.
const (
	GitHub  Source = "github"
	GitLab  Source = "gitlab"
	Jenkins Source = "jenkins"
	Generic Source = "generic"
)

// DefaultMaxBody is the largest request body a receiver reads, in bytes, unless
// [WithMaxBody] sets another limit; a larger one is refused with 413 before any of
// it is parsed. One MiB holds every sample payload of GitHub, GitLab and Jenkins many
// times over; a GitLab pipeline event grows with the number of jobs (about 1 KiB
// each), so a pipeline of many hundreds of jobs needs a larger limit.
const DefaultMaxBody = 1 << 20

// MaxDeliveryLength is the longest delivery id a receiver accepts, in bytes.
const MaxDeliveryLength = 128

// Result is one CI result as a receiver translated it, before it is recorded.
type Result struct {
	Source Source `json:"source"`
	// Delivery is the sender's id of the delivery (X-GitHub-Delivery,
	// X-Gitlab-Event-UUID, the generic shape's "delivery"): a redelivery carries
	// the same one, and it is the idempotency key of the record.
	Delivery string `json:"delivery"`
	// Event is the sender's kind of event: "check_run", "Pipeline Hook", the
	// Jenkins phase "COMPLETED", "result" for the generic shape.
	Event string `json:"event"`
	// Name is the check's name, as gates name it (gate.Checks("build")).
	Name string `json:"name"`
	// Status is the mapped status; Native the sender's own word for it.
	Status gate.CheckStatus `json:"status"`
	Native string           `json:"native"`
	// Commit is the commit the run built; Ref its branch or tag.
	Commit string `json:"commit,omitempty"`
	Ref    string `json:"ref,omitempty"`
	// Version is the version the run built, when the sender says (a GitLab tag
	// pipeline's tag, a Jenkins VERSION parameter, the generic "version").
	Version string `json:"version,omitempty"`
	// URL points to the run, for people; ExternalID is its id at the sender.
	URL        string `json:"url,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
	// Repository is the repository or project, "owner/name", when the sender says.
	Repository string `json:"repository,omitempty"`
}

// The kinds of refusal. Each comes wrapped with the detail, which the answer's
// "error" carries; the receivers answer with the status code given.
var (
	// errSignature: the signature or token is missing or wrong (401).
	errSignature = errors.New("ci: delivery not signed by the configured secret")
	// errReplay: every release the result matches already recorded this
	// delivery id (409).
	errReplay = errors.New("ci: delivery already recorded")
	// errPayload: the delivery is not one this receiver can read (400, or 422
	// for an unknown status word).
	errPayload = errors.New("ci: malformed delivery")
	// errTooLarge: the body is over the limit (413).
	errTooLarge = errors.New("ci: delivery body too large")
)

// Option configures a receiver.
type Option func(*config)

type config struct {
	match   []Match
	maxBody int64
	log     *slog.Logger
	problem []string
}

// WithMatch sets how a result finds its releases: the releases of every match that
// yields a filter, with duplicates removed. The default is
// ByCommit(DefaultCommitLabel).
func WithMatch(m ...Match) Option {
	return func(c *config) {
		if len(m) == 0 || slices.ContainsFunc(m, func(x Match) bool { return x == nil }) {
			c.problem = append(c.problem, "WithMatch: give at least one non-nil Match")
		}
		c.match = m
	}
}

// WithMaxBody sets the largest body read, in bytes (see [DefaultMaxBody]).
func WithMaxBody(n int64) Option {
	return func(c *config) {
		if n <= 0 {
			c.problem = append(c.problem, fmt.Sprintf("WithMaxBody(%d): the limit must be positive", n))
		}
		c.maxBody = n
	}
}

// WithLogger sets where refusals and results that match no release are logged
// (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l == nil {
			c.problem = append(c.problem, "WithLogger: the logger is nil")
		}
		c.log = l
	}
}

// parsed is what a vendor's parser returns: the result, or why it is ignored.
type parsed struct {
	res Result
	// ignore, when set, answers 202 (or 200 for a ping) and records nothing.
	ignore string
	ping   bool
}

// vendor is one CI system: it checks the request's signature over body and
// translates the body.
type vendor struct {
	source Source
	verify func(r *http.Request, body []byte) error
	parse  func(r *http.Request, body []byte) (parsed, error)
}

// handler is a receiver: an http.Handler for one vendor.
type handler struct {
	v   vendor
	cfg config
	rec recorder
}

func newHandler(eng *release.Engine, secret string, v vendor, opts []Option) (*handler, error) {
	cfg := config{maxBody: DefaultMaxBody, log: slog.Default()}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if eng == nil {
		cfg.problem = append(cfg.problem, "the engine is nil")
	}
	if strings.TrimSpace(secret) == "" {
		cfg.problem = append(cfg.problem, "the secret is empty: a receiver never accepts unsigned deliveries")
	}
	if eng != nil {
		if _, ok := eng.Store().(release.KeyStore); !ok {
			cfg.problem = append(cfg.problem, fmt.Sprintf("the engine's store (%T) keeps no idempotency keys (release.KeyStore): a receiver could not tell a replay", eng.Store()))
		}
	}
	if len(cfg.problem) > 0 {
		return nil, fmt.Errorf("%w: ci: %s receiver: %s", release.ErrInvalid, v.source, strings.Join(cfg.problem, "; "))
	}
	if len(cfg.match) == 0 {
		cfg.match = []Match{ByCommit(DefaultCommitLabel)}
	}
	return &handler{v: v, cfg: cfg, rec: engineRecorder{eng}}, nil
}

// answer is the JSON body of every response.
type answer struct {
	Delivery string   `json:"delivery,omitempty"`
	Result   *Result  `json:"result,omitempty"`
	Recorded []string `json:"recorded,omitempty"`
	Replayed []string `json:"replayed,omitempty"`
	Ignored  string   `json:"ignored,omitempty"`
	Error    string   `json:"error,omitempty"`
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reply(w, r, http.StatusMethodNotAllowed, answer{Error: "ci: a receiver takes POST only"})
		return
	}
	body, err := h.read(w, r)
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	if err := h.v.verify(r, body); err != nil {
		h.refuse(w, r, err)
		return
	}
	p, err := h.v.parse(r, body)
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	p.res.URL = webURL(p.res.URL)
	switch {
	case p.ping:
		h.reply(w, r, http.StatusOK, answer{Delivery: p.res.Delivery, Ignored: p.ignore})
		return
	case p.ignore != "":
		h.cfg.log.InfoContext(r.Context(), "ci: delivery ignored", "source", h.v.source, "delivery", p.res.Delivery, "reason", p.ignore)
		h.reply(w, r, http.StatusAccepted, answer{Delivery: p.res.Delivery, Ignored: p.ignore})
		return
	}
	h.record(w, r, p.res)
}

// read reads the body up to the limit.
func (h *handler) read(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > h.cfg.maxBody {
		return nil, fmt.Errorf("%w: %d bytes declared, the limit is %d", errTooLarge, r.ContentLength, h.cfg.maxBody)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fmt.Errorf("%w: more than the limit of %d bytes", errTooLarge, h.cfg.maxBody)
		}
		return nil, fmt.Errorf("%w: reading the body: %v", errPayload, err)
	}
	return body, nil
}

// record finds the result's releases and records it on each.
func (h *handler) record(w http.ResponseWriter, r *http.Request, res Result) {
	ctx := r.Context()
	rels, err := h.releases(ctx, res)
	if err != nil {
		h.cfg.log.ErrorContext(ctx, "ci: listing releases failed", "source", res.Source, "delivery", res.Delivery, "err", err)
		h.reply(w, r, http.StatusServiceUnavailable, answer{Delivery: res.Delivery, Error: "ci: the release store failed; retry the delivery"})
		return
	}
	if len(rels) == 0 {
		reason := "no release matches the result (" + describe(res) + ")"
		h.cfg.log.InfoContext(ctx, "ci: result for no known release", "source", res.Source, "delivery", res.Delivery,
			"name", res.Name, "status", res.Status, "commit", res.Commit, "version", res.Version)
		h.reply(w, r, http.StatusAccepted, answer{Delivery: res.Delivery, Result: &res, Ignored: reason})
		return
	}
	a := answer{Delivery: res.Delivery, Result: &res}
	for _, rel := range rels {
		done, err := h.rec.Record(ctx, rel, res, key(res, rel.ID))
		switch {
		case errors.Is(err, release.ErrInvalid):
			// The engine refused what the delivery says (a field it does not take).
			h.cfg.log.WarnContext(ctx, "ci: the engine refused the result", "release", rel.ID, "delivery", res.Delivery, "err", err)
			h.reply(w, r, http.StatusBadRequest, answer{Delivery: res.Delivery, Result: &res, Recorded: a.Recorded,
				Error: fmt.Sprintf("%v: %v", errPayload, err)})
			return
		case errors.Is(err, release.ErrInvalidTransition):
			// The release closed or was cancelled since it was listed.
			h.cfg.log.InfoContext(ctx, "ci: release no longer takes evidence", "release", rel.ID, "delivery", res.Delivery, "err", err)
			continue
		case err != nil:
			h.cfg.log.ErrorContext(ctx, "ci: recording failed", "release", rel.ID, "delivery", res.Delivery, "err", err)
			h.reply(w, r, http.StatusServiceUnavailable, answer{Delivery: res.Delivery, Recorded: a.Recorded, Replayed: a.Replayed,
				Error: "ci: recording failed; retry the delivery: " + err.Error()})
			return
		case done:
			a.Recorded = append(a.Recorded, rel.ID.String())
		default:
			a.Replayed = append(a.Replayed, rel.ID.String())
		}
	}
	if len(a.Recorded) == 0 && len(a.Replayed) > 0 {
		a.Error = fmt.Sprintf("%v: delivery %q; nothing was recorded again", errReplay, res.Delivery)
		h.cfg.log.WarnContext(ctx, "ci: replayed delivery refused", "source", res.Source, "delivery", res.Delivery)
		h.reply(w, r, http.StatusConflict, a)
		return
	}
	if len(a.Recorded) == 0 {
		a.Ignored = "every matching release closed before the result arrived"
		h.reply(w, r, http.StatusAccepted, a)
		return
	}
	h.reply(w, r, http.StatusOK, a)
}

// releases lists the releases the result matches, open ones only, each once.
func (h *handler) releases(ctx context.Context, res Result) ([]release.Release, error) {
	var out []release.Release
	seen := map[release.ID]bool{}
	for _, m := range h.cfg.match {
		f, ok := m(res)
		if !ok {
			continue
		}
		if len(f.States) == 0 {
			f.States = openStates()
		}
		rels, err := h.rec.List(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, rel := range rels {
			if !seen[rel.ID] && !rel.State.Terminal() {
				seen[rel.ID] = true
				out = append(out, rel)
			}
		}
	}
	return out, nil
}

func openStates() []release.State {
	var out []release.State
	for _, s := range release.States() {
		if !s.Terminal() {
			out = append(out, s)
		}
	}
	return out
}

// key is the idempotency key of recording res on release id: one namespace per
// source, one key per release the delivery reaches.
func key(res Result, id release.ID) string {
	return "ci/" + string(res.Source) + "/" + res.Delivery + "/" + id.String()
}

func describe(res Result) string {
	var p []string
	if res.Commit != "" {
		p = append(p, "commit "+res.Commit)
	}
	if res.Version != "" {
		p = append(p, "version "+res.Version)
	}
	if res.Ref != "" {
		p = append(p, "ref "+res.Ref)
	}
	if len(p) == 0 {
		return "it names no commit, version or ref"
	}
	return strings.Join(p, ", ")
}

func (h *handler) refuse(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusBadRequest
	var unknown *unknownStatusError
	switch {
	case errors.Is(err, errTooLarge):
		code = http.StatusRequestEntityTooLarge
	case errors.Is(err, errSignature):
		code = http.StatusUnauthorized
	case errors.As(err, &unknown):
		code = http.StatusUnprocessableEntity
	}
	h.cfg.log.WarnContext(r.Context(), "ci: delivery refused", "source", h.v.source, "status", code, "err", err)
	h.reply(w, r, code, answer{Error: err.Error()})
}

func (h *handler) reply(w http.ResponseWriter, _ *http.Request, code int, a answer) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(a)
}

// verifyHMAC checks header value got, "sha256=<hex>", against the HMAC-SHA256 of
// body under secret, in constant time. Only sha256 is accepted.
func verifyHMAC(src Source, header, got, secret string, body []byte) error {
	if got == "" {
		return fmt.Errorf("%w: %s: no %s header", errSignature, src, header)
	}
	hexSig, ok := strings.CutPrefix(got, "sha256=")
	if !ok {
		return fmt.Errorf("%w: %s: %s is not \"sha256=<hex>\" (only HMAC-SHA256 is accepted)", errSignature, src, header)
	}
	sig, err := hex.DecodeString(hexSig)
	if err != nil || len(sig) != sha256.Size {
		return fmt.Errorf("%w: %s: %s is not 64 hexadecimal digits", errSignature, src, header)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return fmt.Errorf("%w: %s: %s does not match the body under the configured secret", errSignature, src, header)
	}
	return nil
}

// verifyToken compares a shared token in constant time (over SHA-256 digests, so
// that neither the content nor the length leaks).
func verifyToken(src Source, header, got, want string) error {
	if got == "" {
		return fmt.Errorf("%w: %s: no %s", errSignature, src, header)
	}
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	if subtle.ConstantTimeCompare(g[:], w[:]) != 1 {
		return fmt.Errorf("%w: %s: %s does not match the configured token", errSignature, src, header)
	}
	return nil
}

// delivery checks a delivery id.
func delivery(src Source, where, id string) (string, error) {
	id = strings.TrimSpace(id)
	switch {
	case id == "":
		return "", fmt.Errorf("%w: %s: no delivery id (%s); it is the idempotency key", errPayload, src, where)
	case len(id) > MaxDeliveryLength:
		return "", fmt.Errorf("%w: %s: the delivery id (%s) is %d bytes, more than %d", errPayload, src, where, len(id), MaxDeliveryLength)
	case strings.ContainsFunc(id, func(r rune) bool { return r < 0x21 || r == 0x7f }):
		return "", fmt.Errorf("%w: %s: the delivery id (%s) holds spaces or control characters", errPayload, src, where)
	}
	return id, nil
}

// decode unmarshals body into v, naming the source on failure.
func decode(src Source, what string, body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %s: the %s is not the JSON expected: %v", errPayload, src, what, err)
	}
	return nil
}

func missing(src Source, what string, fields ...string) error {
	return fmt.Errorf("%w: %s: the %s lacks %s", errPayload, src, what, strings.Join(fields, ", "))
}

func sortStrings(s []string) { slices.Sort(s) }

// decodeStrict is decode refusing unknown fields and trailing data.
func decodeStrict(src Source, what string, body []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %s: the %s is not the JSON expected: %v", errPayload, src, what, err)
	}
	if d.More() {
		return fmt.Errorf("%w: %s: the %s has data after its JSON object", errPayload, src, what)
	}
	return nil
}

// webURL keeps an http or https URL and drops anything else (a javascript: link
// has no place in a release's evidence).
func webURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return s
}
