package bot

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/releasekit/releasekit/release"
)

// The roles of the bot's own, beside those of package release.
const (
	// RoleCI is the role that may post CI check results (POST /releases/{id}/checks).
	RoleCI = "ci"
	// RoleChangeAdvisoryBoard is the change advisory board's role: the risk policy of
	// the bot asks for one of its approvals on high and critical releases, and its
	// members may waive a failed gate.
	RoleChangeAdvisoryBoard = "change-advisory-board"
	// RoleSecurity is the security team's role, asked for on critical releases.
	RoleSecurity = "security"
)

// MinTokenLength is the shortest bearer token [Config.Validate] accepts.
const MinTokenLength = 16

// maxConfigBytes bounds what [LoadConfig] reads.
const maxConfigBytes = 1 << 20

// Identity is who a bearer token stands for: an actor ID, its roles and whether it
// is a person or an automation.
type Identity struct {
	ID    string            `json:"id"`
	Roles []string          `json:"roles,omitempty"`
	Kind  release.ActorKind `json:"kind"`
}

// Actor is the identity as a release actor.
func (i Identity) Actor() release.Actor {
	return release.Actor{ID: i.ID, Roles: slices.Clone(i.Roles), Kind: i.Kind}
}

// Config is the bot's identity configuration: one entry per bearer token. It is read
// once at start ([LoadConfig], [ReadConfigFile]); the JSON form is
//
//	{"tokens": {"<token>": {"id": "rui", "roles": ["release-manager"], "kind": "person"}}}
//
// This is a scheme for an example: tokens are shared secrets kept in a file. A real
// deployment puts the bot behind its single sign-on proxy and maps the identity the
// proxy asserts instead.
type Config struct {
	Tokens map[string]Identity `json:"tokens"`
	// Webhooks holds the secret of each CI receiver the bot mounts (adapters/ci):
	// "github" (the webhook's secret), "gitlab" (its secret token), "jenkins" (the
	// token of the Notification plugin's URL, or the HMAC key) and "generic" (the
	// HMAC key of the generic shape). A receiver without a secret is not mounted.
	Webhooks map[string]string `json:"webhooks,omitempty"`
	// Sync names the change-management systems releases are synced to (a
	// ServiceNow change request, a Jira issue per release); see [SyncConfig].
	Sync *SyncConfig `json:"sync,omitempty"`
}

// WebhookSources lists the keys of [Config.Webhooks].
func WebhookSources() []string { return []string{"github", "gitlab", "jenkins", "generic"} }

// ErrConfig is the sentinel of every configuration problem.
var ErrConfig = errors.New("releasebot: invalid configuration")

// ConfigError lists every problem found in a configuration.
type ConfigError struct {
	// Source names where the configuration came from (a file name), or "".
	Source   string
	Problems []string
}

// Error lists the problems and says how to fix the file.
func (e *ConfigError) Error() string {
	src := ""
	if e.Source != "" {
		src = " " + e.Source
	}
	return fmt.Sprintf("releasebot: configuration%s is not usable: %s; fix the file or delete it to get a fresh demo configuration",
		src, strings.Join(e.Problems, "; "))
}

// Unwrap returns [ErrConfig].
func (e *ConfigError) Unwrap() error { return ErrConfig }

// Validate reports every problem at once, as a *ConfigError: no tokens, a token
// shorter than [MinTokenLength], an identity without ID or with an unknown kind, two
// tokens for one actor ID.
func (c Config) Validate() error {
	var p []string
	if len(c.Tokens) == 0 {
		p = append(p, "no tokens are configured")
	}
	owner := map[string]int{}
	for _, tok := range sortedTokens(c.Tokens) {
		id := c.Tokens[tok]
		who := id.ID
		if strings.TrimSpace(who) == "" {
			who = "(no id)"
			p = append(p, "a token has an identity without an id")
		}
		if len(tok) < MinTokenLength {
			p = append(p, fmt.Sprintf("the token of %s is %d characters long; use at least %d random characters", who, len(tok), MinTokenLength))
		}
		if !slices.Contains(release.ActorKinds(), id.Kind) {
			p = append(p, fmt.Sprintf("%s has kind %q; use one of %v", who, id.Kind, release.ActorKinds()))
		}
		for _, r := range id.Roles {
			if strings.TrimSpace(r) == "" {
				p = append(p, fmt.Sprintf("%s has an empty role", who))
			}
		}
		if id.ID != "" {
			owner[id.ID]++
		}
	}
	for _, src := range slices.Sorted(maps.Keys(c.Webhooks)) {
		switch {
		case !slices.Contains(WebhookSources(), src):
			p = append(p, fmt.Sprintf("webhooks: %q is not one of %v", src, WebhookSources()))
		case len(c.Webhooks[src]) < MinTokenLength:
			p = append(p, fmt.Sprintf("webhooks: the %s secret is %d characters long; use at least %d random characters", src, len(c.Webhooks[src]), MinTokenLength))
		}
	}
	p = append(p, c.Sync.problems()...)
	ids := make([]string, 0, len(owner))
	for id, n := range owner {
		if n > 1 {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		p = append(p, fmt.Sprintf("%s has %d tokens; give each person one", id, owner[id]))
	}
	if len(p) == 0 {
		return nil
	}
	return &ConfigError{Problems: p}
}

func sortedTokens(m map[string]Identity) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// LoadConfig parses and validates a configuration. Unknown fields are errors (a typo
// in "roles" would otherwise silently drop someone's roles). It never panics.
func LoadConfig(r io.Reader) (Config, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxConfigBytes+1))
	if err != nil {
		return Config{}, fmt.Errorf("releasebot: read configuration: %w", err)
	}
	if len(b) > maxConfigBytes {
		return Config{}, &ConfigError{Problems: []string{fmt.Sprintf("it is larger than %d bytes", maxConfigBytes)}}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return Config{}, &ConfigError{Problems: []string{"it is not valid JSON of the form {\"tokens\": {\"<token>\": {\"id\": …, \"roles\": […], \"kind\": \"person\"}}}: " + err.Error()}}
	}
	if dec.More() {
		return Config{}, &ConfigError{Problems: []string{"it has data after the JSON object"}}
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// ReadConfigFile reads and validates the configuration in path.
func ReadConfigFile(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("releasebot: open configuration: %w", err)
	}
	defer f.Close()
	c, err := LoadConfig(f)
	var ce *ConfigError
	if errors.As(err, &ce) {
		ce.Source = path
	}
	return c, err
}

// DemoConfig returns a configuration for the demo people, each with a fresh random
// token read from random (crypto/rand.Reader when nil):
//
//	ana  person      developer, deployer          writes releases
//	rui  person      release-manager              plans, approves, deploys, closes, waives
//	sam  person      approver, change-advisory-board
//	lea  person      approver, security
//	ci   automation  ci, deployer                 posts check results, runs deployments
func DemoConfig(random io.Reader) (Config, error) {
	if random == nil {
		random = rand.Reader
	}
	people := []Identity{
		{ID: "ana", Roles: []string{release.RoleDeveloper, release.RoleDeployer}, Kind: release.ActorPerson},
		{ID: "rui", Roles: []string{release.RoleReleaseManager}, Kind: release.ActorPerson},
		{ID: "sam", Roles: []string{release.RoleApprover, RoleChangeAdvisoryBoard}, Kind: release.ActorPerson},
		{ID: "lea", Roles: []string{release.RoleApprover, RoleSecurity}, Kind: release.ActorPerson},
		{ID: "ci", Roles: []string{RoleCI, release.RoleDeployer}, Kind: release.ActorAutomation},
	}
	c := Config{Tokens: map[string]Identity{}}
	for _, p := range people {
		var b [24]byte
		if _, err := io.ReadFull(random, b[:]); err != nil {
			return Config{}, fmt.Errorf("releasebot: make a token for %s: %w", p.ID, err)
		}
		c.Tokens[p.ID+"-"+hex.EncodeToString(b[:])] = p
	}
	c.Webhooks = map[string]string{}
	for _, src := range WebhookSources() {
		var b [24]byte
		if _, err := io.ReadFull(random, b[:]); err != nil {
			return Config{}, fmt.Errorf("releasebot: make the %s webhook secret: %w", src, err)
		}
		c.Webhooks[src] = hex.EncodeToString(b[:])
	}
	return c, nil
}

// EnsureConfigFile reads the configuration in path; when the file does not exist it
// writes a [DemoConfig] there first (mode 0600: it holds secrets) and reports
// created. Tokens start with the actor ID ("rui-…") so people can find their own.
func EnsureConfigFile(path string) (c Config, created bool, err error) {
	if _, err := os.Stat(path); err == nil {
		c, err := ReadConfigFile(path)
		return c, false, err
	} else if !errors.Is(err, os.ErrNotExist) {
		return Config{}, false, fmt.Errorf("releasebot: configuration: %w", err)
	}
	c, err = DemoConfig(nil)
	if err != nil {
		return Config{}, false, err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return Config{}, false, err
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return Config{}, false, fmt.Errorf("releasebot: configuration directory: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Config{}, false, fmt.Errorf("releasebot: write demo configuration: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return Config{}, false, fmt.Errorf("releasebot: write demo configuration: %w", err)
	}
	if err := f.Close(); err != nil {
		return Config{}, false, fmt.Errorf("releasebot: write demo configuration: %w", err)
	}
	return c, true, nil
}

// TokenFor returns the token configured for actor id, for tests and the demo.
func (c Config) TokenFor(id string) (string, bool) {
	for _, tok := range sortedTokens(c.Tokens) {
		if c.Tokens[tok].ID == id {
			return tok, true
		}
	}
	return "", false
}

// authenticator maps bearer tokens to identities. Tokens are kept as SHA-256 digests
// and compared in constant time against every configured one, so neither the
// comparison nor the lookup's timing tells how much of a guess was right.
type authenticator struct {
	digests [][sha256.Size]byte
	ids     []Identity
}

func newAuthenticator(c Config) *authenticator {
	a := &authenticator{}
	for _, tok := range sortedTokens(c.Tokens) {
		a.digests = append(a.digests, sha256.Sum256([]byte(tok)))
		id := c.Tokens[tok]
		id.Roles = slices.Clone(id.Roles)
		a.ids = append(a.ids, id)
	}
	return a
}

// lookup returns the identity of token, checking every configured token.
func (a *authenticator) lookup(token string) (Identity, bool) {
	d := sha256.Sum256([]byte(token))
	found := -1
	for i := range a.digests {
		if subtle.ConstantTimeCompare(d[:], a.digests[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 || token == "" {
		return Identity{}, false
	}
	return a.ids[found], true
}
