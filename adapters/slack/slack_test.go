package slack_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/adapters/slack"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/notifytest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var (
	contextRE    = regexp.MustCompile("^release `([^`]+)` · sequence ([0-9]+) · key `([^`]+)`$")
	transitionRE = regexp.MustCompile(`^:[a-z_]+: \*([a-z_]+)\* → :[a-z_]+: \*([a-z_]+)\*  ·  ` + "`([a-z_]+)`$")
	headerRE     = regexp.MustCompile(`^(\S+) (\S+) · (\S+)$`)
	actorRE      = regexp.MustCompile(`^\*Actor\*\n(\S+)`)
)

// decode reads a delivery back out of a posted Block Kit message, as a person
// reading the channel would: the header, the transition line, the actor field and
// the context line.
func decode(_ *http.Request, body []byte) (notifytest.Delivery, error) {
	var m struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type   string `json:"type"`
			Text   *struct{ Text string }
			Fields []struct{ Text string }
			// Context elements are text objects.
			Elements []struct{ Text json.RawMessage }
		} `json:"blocks"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return notifytest.Delivery{}, err
	}
	var d notifytest.Delivery
	var found int
	for _, b := range m.Blocks {
		switch {
		case b.Type == "header" && b.Text != nil:
			g := headerRE.FindStringSubmatch(b.Text.Text)
			if g == nil {
				return d, fmt.Errorf("header %q", b.Text.Text)
			}
			d.Name, d.Version, d.Environment = g[1], g[2], g[3]
			found++
		case b.Type == "section" && len(b.Fields) > 0:
			g := transitionRE.FindStringSubmatch(b.Text.Text)
			if g == nil {
				return d, fmt.Errorf("transition %q", b.Text.Text)
			}
			d.From, d.To, d.Event = release.State(g[1]), release.State(g[2]), release.Event(g[3])
			a := actorRE.FindStringSubmatch(b.Fields[0].Text)
			if a == nil {
				return d, fmt.Errorf("actor field %q", b.Fields[0].Text)
			}
			d.ActorID = a[1]
			found++
		case b.Type == "context":
			var s string
			if err := json.Unmarshal(b.Elements[0].Text, &s); err != nil {
				return d, err
			}
			g := contextRE.FindStringSubmatch(s)
			if g == nil {
				return d, fmt.Errorf("context %q", s)
			}
			id, err := release.ParseID(g[1])
			if err != nil {
				return d, err
			}
			d.ReleaseID, d.Key = id, g[3]
			d.Sequence, _ = strconv.ParseInt(g[2], 10, 64)
			found++
		}
	}
	if found != 3 || m.Text == "" {
		return d, fmt.Errorf("message lacks a header, transition, context or fallback text: %s", body)
	}
	return d, nil
}

func TestConformance(t *testing.T) {
	notifytest.Run(t, func(t *testing.T) (release.Notifier, notifytest.Receiver) {
		rx := notifytest.NewHTTPReceiver(t, decode)
		n, err := slack.New(rx.URL+"/services/T000/B000/XXXX", slack.WithMaxAttempts(3), slack.WithBackoff(time.Millisecond, 5*time.Millisecond),
			slack.WithLinkFunc(func(r release.Release) string { return "https://releases.example.com/r/" + r.ID.String() }))
		require.NoError(t, err)
		return n, rx
	})
}

func link(r release.Release) string { return "https://releases.example.com/r/" + r.ID.String() }

// The posted JSON is pinned by golden files; run with -update to rewrite them.
func TestGolden(t *testing.T) {
	walk := notifytest.Sample(0)
	long := walk[1]
	long.Release.Name = strings.Repeat("very-long-service-name-", 8)
	long.Release.Components = nil
	for i := range 12 {
		long.Release.Components = append(long.Release.Components, release.Component{Name: fmt.Sprintf("c%02d", i), Version: "1.0." + strconv.Itoa(i)})
	}
	tests := []struct {
		name string
		note release.Notification
		link string
	}{
		{"start", walk[3], link(walk[3].Release)},
		{"fail_with_markup_in_reason", walk[5], link(walk[5].Release)},
		{"close_without_link", walk[8], ""},
		{"long_name_many_components_bad_link", long, "javascript:alert(1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.MarshalIndent(slack.BuildMessage(tt.note, tt.link), "", "  ")
			require.NoError(t, err)
			got = append(got, '\n')
			path := filepath.Join("testdata", tt.name+".json")
			if *update {
				require.NoError(t, os.WriteFile(path, got, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -update to create %s", path)
			assert.Equal(t, string(want), string(got), "message differs from %s (-want +got); rerun with -update if the change is intended", path)
		})
	}
}

// Property: whatever the release and entry hold, the message keeps to Block Kit's
// limits, is valid UTF-8 JSON, escapes mrkdwn markup from user text and always
// has a fallback text.
func TestMessageLimits(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		note := notifytest.Sample(rapid.IntRange(0, 50).Draw(t, "i"))[rapid.IntRange(0, notifytest.SampleLen-1).Draw(t, "step")]
		text := rapid.StringN(0, 4000, -1)
		note.Release.Name = text.Draw(t, "name")
		note.Release.Version = text.Draw(t, "version")
		note.Entry.Reason = text.Draw(t, "reason")
		note.Entry.Actor.ID = text.Draw(t, "actor")
		m := slack.BuildMessage(note, rapid.String().Draw(t, "link"))
		b, err := json.Marshal(m)
		if err != nil || !utf8.Valid(b) {
			t.Fatalf("message does not encode as UTF-8 JSON: %v", err)
		}
		if m.Text == "" {
			t.Fatalf("no fallback text")
		}
		for _, blk := range m.Blocks {
			if blk.Type == "header" && utf8.RuneCountInString(blk.Text.Text) > 150 {
				t.Fatalf("header has %d characters", utf8.RuneCountInString(blk.Text.Text))
			}
			if blk.Text != nil && utf8.RuneCountInString(blk.Text.Text) > 3000 {
				t.Fatalf("%s text has %d characters", blk.Type, utf8.RuneCountInString(blk.Text.Text))
			}
			for _, f := range blk.Fields {
				if utf8.RuneCountInString(f.Text) > 2000 {
					t.Fatalf("field has %d characters", utf8.RuneCountInString(f.Text))
				}
				if strings.ContainsAny(f.Text, "<>") {
					t.Fatalf("field %q carries unescaped markup", f.Text)
				}
			}
			if len(blk.Fields) > 10 {
				t.Fatalf("%d fields", len(blk.Fields))
			}
		}
	})
}

func TestRetryOn429(t *testing.T) {
	var mu sync.Mutex
	var calls int
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		calls++
		bodies = append(bodies, string(b))
		switch calls {
		case 1:
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, "rate_limited")
		default:
			_, _ = io.WriteString(w, "ok")
		}
	}))
	defer srv.Close()
	var slept []time.Duration
	n, err := slack.New(srv.URL+"/services/T/B/secret", slack.WithSleep(func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	}))
	require.NoError(t, err)
	require.NoError(t, n.Notify(context.Background(), notifytest.Sample(1)[0]))
	assert.Equal(t, 2, calls)
	assert.Equal(t, []time.Duration{30 * time.Second}, slept, "waited as Retry-After said")
	assert.Equal(t, bodies[0], bodies[1])
}

func TestPermanentErrors(t *testing.T) {
	for _, tt := range []struct {
		status int
		body   string
	}{
		{400, "invalid_payload"}, {403, "action_prohibited"}, {404, "channel_not_found"}, {410, "channel_is_archived"},
	} {
		t.Run(tt.body, func(t *testing.T) {
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				calls++
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			n, err := slack.New(srv.URL + "/services/T/B/sekrit")
			require.NoError(t, err)
			err = n.Notify(context.Background(), notifytest.Sample(1)[0])
			require.ErrorIs(t, err, slack.ErrStatus)
			var se *slack.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.status, se.Status)
			assert.Contains(t, err.Error(), tt.body)
			assert.NotContains(t, err.Error(), "sekrit", "the webhook path is a secret")
			assert.Equal(t, 1, calls, "never retried")
		})
	}
}

func TestNewConfigErrors(t *testing.T) {
	_, err := slack.New("hooks.slack.com/services/T/B/sekrit", slack.WithClient(nil), slack.WithMaxAttempts(-1))
	var ce *slack.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Len(t, ce.Problems, 3)
	assert.NotContains(t, err.Error(), "sekrit")
}

func TestEmojiForEveryState(t *testing.T) {
	seen := map[string]release.State{}
	for _, s := range release.States() {
		e := slack.Emoji(s)
		assert.NotEqual(t, ":grey_question:", e, "state %s has no emoji", s)
		if prev, dup := seen[e]; dup {
			t.Errorf("states %s and %s share emoji %s", prev, s, e)
		}
		seen[e] = s
	}
	assert.Equal(t, ":grey_question:", slack.Emoji("bogus"))
}

func ExampleBuildMessage() {
	note := notifytest.Sample(0)[5] // the release fails in prod
	m := slack.BuildMessage(note, "https://releases.example.com/r/"+note.Release.ID.String())
	fmt.Println(m.Text)
	fmt.Println(m.Blocks[0].Text.Text)
	fmt.Println(m.Blocks[1].Text.Text)
	// Output:
	// payments 1.0.0 (prod): deployed → failed by canary: error rate 4.2% &gt; 1% for 5m &lt;p99&gt;
	// payments 1.0.0 · prod
	// :package: *deployed* → :red_circle: *failed*  ·  `fail`
}

func TestName(t *testing.T) {
	n, err := slack.New("https://hooks.slack.com/services/T/B/sekrit")
	require.NoError(t, err)
	assert.Equal(t, "slack https://hooks.slack.com/…", n.Name())
}
