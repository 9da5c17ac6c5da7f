package bot_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/examples/releasebot/bot"
	"github.com/releasekit/releasekit/release"
)

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	c := bot.Config{Tokens: map[string]bot.Identity{
		"short":                  {ID: "ana", Kind: release.ActorPerson},
		"rui-0123456789abcdef":   {ID: "", Kind: "robot", Roles: []string{" "}},
		"ana-0123456789abcdef-2": {ID: "ana", Kind: release.ActorPerson},
	}}
	err := c.Validate()
	var ce *bot.ConfigError
	require.ErrorAs(t, err, &ce)
	require.ErrorIs(t, err, bot.ErrConfig)
	for _, want := range []string{"5 characters long", "without an id", `kind "robot"`, "empty role", "ana has 2 tokens"} {
		assert.Contains(t, strings.Join(ce.Problems, "\n"), want)
	}
	require.ErrorIs(t, bot.Config{}.Validate(), bot.ErrConfig, "no tokens at all")
}

func TestDemoConfig(t *testing.T) {
	a, err := bot.DemoConfig(nil)
	require.NoError(t, err)
	require.NoError(t, a.Validate())
	b, err := bot.DemoConfig(nil)
	require.NoError(t, err)
	for _, id := range []string{"ana", "rui", "sam", "lea", "ci"} {
		ta, ok := a.TokenFor(id)
		require.True(t, ok, id)
		tb, _ := b.TokenFor(id)
		assert.NotEqual(t, ta, tb, "tokens are random, not fixed")
		assert.True(t, strings.HasPrefix(ta, id+"-"))
	}
	_, err = bot.DemoConfig(bytes.NewReader(make([]byte, 10)))
	require.Error(t, err, "a short random source is an error, not a weak token")
}

func TestEnsureConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "bot.json")
	c1, created, err := bot.EnsureConfigFile(path)
	require.NoError(t, err)
	require.True(t, created)
	c2, created, err := bot.EnsureConfigFile(path)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, c1, c2, "the written configuration reads back")

	require.NoError(t, os.WriteFile(path, []byte(`{"tokens": {}}`), 0o600))
	_, _, err = bot.EnsureConfigFile(path)
	var ce *bot.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, path, ce.Source)
	assert.Contains(t, err.Error(), "delete it")
}
