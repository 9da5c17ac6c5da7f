package checkpointfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"github.com/releasekit/releasekit/release"
)

// Sink appends checkpoints to one file. It is safe for concurrent use.
type Sink struct {
	path string
	mu   sync.Mutex
}

var _ release.CheckpointSink = (*Sink)(nil)

// New returns a Sink writing to path; the file is created on the first Publish.
func New(path string) *Sink { return &Sink{path: path} }

// Path returns the file the sink writes.
func (s *Sink) Path() string { return s.path }

// Publish appends c as one line and syncs the file. It refuses with an error
// matching release.ErrStale when c does not extend the last checkpoint in the
// file.
func (s *Sink) Publish(ctx context.Context, c release.Checkpoint) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	line, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("checkpointfile: encode checkpoint %d: %w", c.Size, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("checkpointfile: %w", err)
	}
	defer f.Close()
	unlock, err := lock(f)
	if err != nil {
		return fmt.Errorf("checkpointfile: lock %s: %w", s.path, err)
	}
	defer unlock()
	data, err := readAll(f)
	if err != nil {
		return err
	}
	whole := wholeLines(data)
	cps, err := release.ReadCheckpoints(bytes.NewReader(whole))
	if err != nil {
		return fmt.Errorf("checkpointfile: %s: %w", s.path, err)
	}
	var last int64
	if len(cps) > 0 {
		last = cps[len(cps)-1].Size
	}
	if first := c.Size - int64(len(c.Leaves)); first != last {
		return fmt.Errorf("%w: checkpointfile: %s ends at tree size %d, but the checkpoint extends size %d", release.ErrStale, s.path, last, first)
	}
	if len(whole) != len(data) { // a line cut short by a crash
		if err := f.Truncate(int64(len(whole))); err != nil {
			return fmt.Errorf("checkpointfile: %w", err)
		}
	}
	if _, err := f.WriteAt(append(line, '\n'), int64(len(whole))); err != nil {
		return fmt.Errorf("checkpointfile: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("checkpointfile: %w", err)
	}
	return nil
}

// Checkpoints reads every checkpoint in the file, oldest first; a missing file holds
// none.
func (s *Sink) Checkpoints(ctx context.Context) ([]release.Checkpoint, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return []release.Checkpoint{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checkpointfile: %w", err)
	}
	cps, err := release.ReadCheckpoints(bytes.NewReader(wholeLines(data)))
	if err != nil {
		return nil, fmt.Errorf("checkpointfile: %s: %w", s.path, err)
	}
	if cps == nil {
		cps = []release.Checkpoint{}
	}
	return cps, nil
}

func readAll(f *os.File) ([]byte, error) {
	var b bytes.Buffer
	if _, err := b.ReadFrom(f); err != nil {
		return nil, fmt.Errorf("checkpointfile: %w", err)
	}
	return b.Bytes(), nil
}

// wholeLines drops a last line without its newline.
func wholeLines(b []byte) []byte {
	return b[:bytes.LastIndexByte(b, '\n')+1]
}
