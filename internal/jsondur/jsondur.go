// Package jsondur writes durations into JSON as people write them ("90s", "5m0s") and
// reads either that form or a number of nanoseconds (what encoding/json writes for a
// bare time.Duration), so stored values and hand-written files both load.
package jsondur

import (
	"encoding/json"
	"fmt"
	"time"
)

// D is a time.Duration that encodes as its String form.
type D time.Duration

// MarshalJSON writes the duration as a string such as "1m30s".
func (d D) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a string accepted by time.ParseDuration or a number of
// nanoseconds.
func (d *D) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: write it as Go does, e.g. \"30s\", \"5m\" or \"1h30m\"", s)
		}
		*d = D(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration %s: want a string such as \"30s\" or a number of nanoseconds", b)
	}
	*d = D(n)
	return nil
}
