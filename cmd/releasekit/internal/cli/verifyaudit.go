package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/releasekit/releasekit/release"
	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"
)

type verifyAuditCmd struct {
	a           *app
	key         string
	checkpoints string
	summary     string
	json        bool
}

// verifyAuditResult is the --json document of verify-audit.
type verifyAuditResult struct {
	Pack       string          `json:"pack"`
	Verifies   bool            `json:"verifies"`
	Error      string          `json:"error,omitempty"`
	Changes    int             `json:"changes"`
	Entries    int             `json:"entries"`
	Anchored   int             `json:"anchored"`
	Checkpoint *jsonCheckpoint `json:"checkpoint"`
	Published  *int            `json:"published_checkpoints,omitempty"`
}

type jsonCheckpoint struct {
	Origin string `json:"origin"`
	Size   int64  `json:"size"`
	Root   string `json:"root"`
}

func newVerifyAudit(a *app) *cobra.Command {
	c := &verifyAuditCmd{a: a}
	cmd := &cobra.Command{
		Use:   "verify-audit PACK --key PUBKEY",
		Short: "Verify an audit pack offline against the checkpoint key",
		Long: `verify-audit checks an audit pack (release.Engine.AuditPack, JSON Lines) without the
database: the checkpoint's Ed25519 signature with the public key, every release's hash
chain up to its head, every entry's inclusion proof against the checkpoint, and that
the decisions, waivers, overrides and the Markdown summary are the ones the entries
record. PACK - reads the pack from stdin.

--key is the checkpoint verifier key (name+hash+base64, as note.GenerateKey writes
it) or a file holding it. With --checkpoints, the checkpoints as published (the file
adapters/checkpointfile writes), it also checks that the pack's checkpoint is one of
them and that no anchored entry of a packed release was left out, rewritten or
presented as unanchored: give it whenever you have it (docs/AUDIT.md).

Exit status: 0 the pack verifies, 1 it does not (the break is named on stderr:
the release and the entry), 2 bad input (an unreadable file, a bad key).`,
		Example: `  releasekit verify-audit audit-2026-q4.jsonl --key audit.pub
  releasekit verify-audit audit-2026-q4.jsonl --key audit.pub --checkpoints checkpoints.jsonl --summary review.md`,
		Args: cobra.ExactArgs(1),
		RunE: c.run,
	}
	cmd.Flags().StringVar(&c.key, "key", "", "the checkpoint public key, or a file holding it (required)")
	_ = cmd.MarkFlagRequired("key")
	cmd.Flags().StringVar(&c.checkpoints, "checkpoints", "", "the published checkpoints (JSON Lines), to check the pack is complete and its checkpoint published")
	cmd.Flags().StringVar(&c.summary, "summary", "", "write the pack's Markdown summary to this file (- for stdout) once the pack verifies")
	cmd.Flags().BoolVar(&c.json, "json", false, "write one JSON document to stdout instead of text to stderr")
	return cmd
}

func (c *verifyAuditCmd) run(cmd *cobra.Command, args []string) error {
	key, err := c.verifier()
	if err != nil {
		return err
	}
	var published []release.Checkpoint
	if c.checkpoints != "" {
		data, err := os.ReadFile(c.checkpoints)
		if err != nil {
			return usageError("--checkpoints: %v", err)
		}
		if published, err = release.ReadCheckpoints(bytes.NewReader(data)); err != nil {
			return usageError("--checkpoints %s: %v", c.checkpoints, err)
		}
		if published == nil {
			published = []release.Checkpoint{}
		}
	}
	path := args[0]
	var data []byte
	if path == "-" {
		var b bytes.Buffer
		if _, err := b.ReadFrom(c.a.env.Stdin); err != nil {
			return usageError("reading the pack from stdin: %v", err)
		}
		data, path = b.Bytes(), stdinName
	} else if data, err = os.ReadFile(path); err != nil {
		return usageError("%v", err)
	}
	info, err := release.VerifyAuditPack(bytes.NewReader(data), key, published)
	if err != nil && errors.Is(err, release.ErrInvalid) {
		return usageError("%v", err)
	}
	if c.json {
		res := verifyAuditResult{Pack: path, Verifies: err == nil, Changes: info.Releases, Entries: info.Entries, Anchored: info.Anchored}
		if err != nil {
			res.Error = err.Error()
		}
		if cp := info.Checkpoint; cp != nil {
			res.Checkpoint = &jsonCheckpoint{Origin: cp.Origin, Size: cp.Size, Root: cp.Root.String()}
		}
		if published != nil {
			n := len(published)
			res.Published = &n
		}
		if werr := writeJSON(c.a.env.Stdout, res); werr != nil {
			return werr
		}
		if err != nil {
			return &exitError{code: ExitNo, quiet: true}
		}
		return c.writeSummary(info)
	}
	if err != nil {
		return &exitError{code: ExitNo, err: fmt.Errorf("%s: %s %v", path, c.a.paint(red, "DOES NOT VERIFY:"), err)}
	}
	w := c.a.env.Stderr
	fmt.Fprintf(w, "%s: %s %d changes, %d history entries", path, c.a.paint(green, "verifies:"), info.Releases, info.Entries)
	if info.Checkpoint != nil {
		fmt.Fprintf(w, "; %d anchored by checkpoint %s, tree size %d", info.Anchored, info.Checkpoint.Origin, info.Checkpoint.Size)
	} else {
		fmt.Fprintf(w, "; no checkpoint: nothing anchors them outside the database")
	}
	if n := info.Entries - info.Anchored; n > 0 && info.Checkpoint != nil {
		fmt.Fprintf(w, "; %d committed after it", n)
	}
	if published != nil {
		fmt.Fprintf(w, "; complete against %d published checkpoints", len(published))
	}
	fmt.Fprintln(w)
	return c.writeSummary(info)
}

func (c *verifyAuditCmd) writeSummary(info release.AuditPackInfo) error {
	switch c.summary {
	case "":
	case "-":
		fmt.Fprint(c.a.env.Stdout, info.Summary)
	default:
		if err := os.WriteFile(c.summary, []byte(info.Summary), 0o644); err != nil {
			return usageError("--summary: %v", err)
		}
	}
	return nil
}

// verifier reads --key: the key itself, or a file holding it.
func (c *verifyAuditCmd) verifier() (note.Verifier, error) {
	text := strings.TrimSpace(c.key)
	if v, err := note.NewVerifier(text); err == nil {
		return v, nil
	}
	data, err := os.ReadFile(c.key)
	if err != nil {
		return nil, usageError("--key %q is neither a verifier key (name+hash+base64) nor a readable file: %v", c.key, err)
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, usageError("--key %s: the file does not hold a verifier key (name+hash+base64): %v", c.key, err)
	}
	return v, nil
}
