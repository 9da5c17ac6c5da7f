package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/releasekit/releasekit/analysis"
	"github.com/releasekit/releasekit/analysis/httpprobe"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/strategy"
)

// After lets the analysis runner and the strategy driver wait on the story's
// clock: the wait is over at once, and the clock has moved on by d.
func (c *clock) After(d time.Duration) <-chan time.Time {
	c.Advance(d)
	ch := make(chan time.Time, 1)
	ch <- c.Now()
	return ch
}

// paymentsService is the payments service as its load balancer and its stats
// endpoint see it: 1,200 requests a minute, split between the stable version and
// the canary by the weight the rollout sets, each version failing its share of
// requests (the new version's ledger migration makes 4.2% of its payments fail,
// the stable one fails 0.8%). It serves its request and error counters as JSON
// on a local HTTP server, which the analysis reads through analysis/httpprobe:
// the measurements are what the endpoint says at the time of each query.
type paymentsService struct {
	mu     sync.Mutex
	clock  *clock
	weight int // percent of requests on the canary
	last   time.Time
	tracks map[string]*track
	srv    *httptest.Server
}

type track struct {
	failRate float64
	requests float64
}

func (t *track) stats() map[string]any {
	errors := math.Floor(t.requests * t.failRate)
	ratio := any(nil) // no request yet: null, which the probe reads as NaN
	if t.requests > 0 {
		ratio = math.Round(errors/t.requests*1e4) / 1e4
	}
	return map[string]any{"requests": t.requests, "errors": errors, "error_ratio": ratio}
}

func newPaymentsService(c *clock, canaryFailRate float64) *paymentsService {
	p := &paymentsService{clock: c, last: c.Now(),
		tracks: map[string]*track{"stable": {failRate: 0.008}, "canary": {failRate: canaryFailRate}}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		p.mu.Lock()
		p.serveUntil(p.clock.Now())
		body := map[string]any{"weight": p.weight}
		for name, t := range p.tracks {
			body[name] = t.stats()
		}
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	}))
	return p
}

// serveUntil counts the requests served up to now at the current weight.
func (p *paymentsService) serveUntil(now time.Time) {
	if now.After(p.last) {
		n := 1200 * now.Sub(p.last).Minutes()
		p.tracks["canary"].requests += n * float64(p.weight) / 100
		p.tracks["stable"].requests += n * float64(100-p.weight) / 100
		p.last = now
	}
}

// Apply is the load balancer's side of the rollout (strategy.Traffic).
func (p *paymentsService) Apply(_ context.Context, _ string, s strategy.Step) error {
	if s.Kind != strategy.StepWeight {
		return fmt.Errorf("payments' load balancer sets weights only, not %s: %w", s.Kind, errUnsupported)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.serveUntil(p.clock.Now())
	p.weight = s.Weight
	return nil
}

var errUnsupported = fmt.Errorf("unsupported step")

func (p *paymentsService) Close() { p.srv.Close() }

// paymentsCanary is payments' canary: 10% of the traffic, five measurements of
// the canary's error ratio against the stable version's a minute apart (the
// first after a minute of traffic), then 50% and all of it.
func paymentsCanary(version string) strategy.Rollout {
	errorRatio := analysis.Analysis{Name: "payments-errors", Metrics: []analysis.Metric{{
		Name: "error-ratio", Provider: "payments-stats",
		Query: "/stats#canary.error_ratio", Baseline: "/stats#stable.error_ratio",
		Count: 5, Interval: time.Minute, InitialDelay: time.Minute,
		Success: []string{"<=0.01", "<=+25%"}, Failure: []string{">=0.02"}, FailureLimit: 1,
	}}}
	return strategy.Rollout{ID: "payments-" + version, Strategy: strategy.Strategy{Canary: &strategy.Canary{Steps: []strategy.Step{
		strategy.SetWeight(10), strategy.Analyze(errorRatio), strategy.SetWeight(50), strategy.SetWeight(100),
	}}}}
}

// canary rolls payments out as a canary through the engine: the engine records
// every step and measurement in the release's history and moves the release with
// what the analysis finds (here: fail, then the rollback plan runs).
func (s *story) canary(r release.Release) (release.Release, error) {
	svc := newPaymentsService(s.clock, 0.042)
	defer svc.Close()
	probe, err := httpprobe.New(svc.srv.URL, httpprobe.WithTimeout(5*time.Second))
	if err != nil {
		return r, err
	}
	runner, err := analysis.NewRunner(map[string]analysis.Provider{"payments-stats": probe}, analysis.WithClock(s.clock))
	if err != nil {
		return r, err
	}
	driver, err := strategy.NewDriver(svc, runner, strategy.WithClock(s.clock))
	if err != nil {
		return r, err
	}
	ro := paymentsCanary(r.Version)
	label := "canary"
	for _, line := range wrap(r.Name+" "+r.Version+": "+describe(ro.Strategy), 92) {
		s.say("  %-8s  %s\n", label, line)
		label = ""
	}
	// The rollback executor prints its steps as it runs them; hold them until
	// the rollout's own story is told.
	out := s.w
	var held bytes.Buffer
	s.w = &held
	res, err := s.eng.Rollout(s.ctx, r.ID, driver, ro, bot)
	s.w = out
	if err != nil {
		return r, fmt.Errorf("%s %s: rollout: %w", r.Name, r.Version, err)
	}
	// What the history says: every step and measurement is an entry.
	h, err := s.eng.History(s.ctx, r.ID)
	if err != nil {
		return r, err
	}
	for _, e := range h {
		if e.Event != release.EventRecord || e.Evidence == nil {
			continue
		}
		switch ev := e.Evidence; {
		case ev.Kind == release.EvidenceCheck && ev.Source == "strategy":
			step, _, _ := strings.Cut(strings.TrimPrefix(e.Reason, "rollout "+ro.ID+" "), ": ") // the abort's reason follows
			s.say("            %s  %s\n", e.Time.In(s.berlin).Format("15:04"), step)
		case ev.Kind == release.EvidenceMetric && ev.Source == "payments-stats":
			for i, line := range wrap(strings.TrimPrefix(e.Reason, "analysis payments-errors, "), 85) {
				at := e.Time.In(s.berlin).Format("15:04")
				if i > 0 {
					at, line = "     ", "  "+line
				}
				s.say("            %s  %s\n", at, line)
			}
		}
	}
	if res.Phase != strategy.PhaseAborted {
		return r, fmt.Errorf("%s %s: the canary ended %s, but the scenario expected it to abort: %s", r.Name, r.Version, res.Phase, res.Reason)
	}
	label = "ABORTED"
	for _, line := range wrap(res.Reason, 88) {
		s.say("  %-8s  %s\n", label, line)
		label = ""
	}
	if r, err = s.eng.Get(s.ctx, r.ID); err != nil {
		return r, err
	}
	s.keep(r)
	s.say("            traffic is back on the stable version; the engine failed the release with the measurements\n")
	s.say("            as its reason and ran the rollback plan (est. %s):\n", strings.TrimSuffix(r.Rollback.Duration.String(), "0s"))
	s.say("%s", held.String())
	return r, nil
}

// describe lists a strategy's steps on one line.
func describe(st strategy.Strategy) string {
	steps, _ := st.Steps()
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.Describe()
	}
	return strings.Join(out, " -> ")
}
