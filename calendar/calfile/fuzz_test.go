package calfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/releasekit/releasekit/calendar/calfile"
)

// FuzzLoad: any input either loads into a usable calendar or gives an *Error whose every
// problem names the file and a line; Load never panics.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	bad, _ := filepath.Glob("testdata/bad/*.yaml")
	for _, p := range append(seeds, bad...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("version: 1\nzone: UTC\nfreezes: [{name: f, start: 2026-01-01, duration: 1h, rrule: FREQ=DAILY}]\n"))
	ics, err := os.ReadFile("testdata/holidays.ics")
	if err != nil {
		f.Fatal(err)
	}
	fsys := fstest.MapFS{"holidays.ics": {Data: ics}}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := calfile.Load("fuzz.yaml", data, calfile.WithFS(fsys))
		if err != nil {
			var fe *calfile.Error
			if !errors.As(err, &fe) || len(fe.Problems) == 0 {
				t.Fatalf("error %v is not an *Error with problems", err)
			}
			for _, p := range fe.Problems {
				if p.Pos.File == "" || p.Pos.Line < 1 {
					t.Fatalf("problem without a place: %#v", p)
				}
			}
			if file != nil {
				t.Fatal("a file came back with an error")
			}
			return
		}
		if file.Calendar == nil || len(file.Calendar.Rules()) != len(file.Rules) {
			t.Fatalf("loaded file is inconsistent: %d rules, calendar %v", len(file.Rules), file.Calendar)
		}
		for _, r := range file.Rules {
			if err := r.Validate(); err != nil {
				t.Fatalf("an invalid rule was loaded: %v", err)
			}
		}
	})
}
