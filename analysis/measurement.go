package analysis

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Measurement is one judged measurement of one metric: what a [Recorder]
// stores, what [Evaluate] and a resumed run read back.
type Measurement struct {
	// Run identifies the run (see [RunID]); measurements of different runs are
	// never mixed.
	Run string `json:"run,omitempty"`
	// Analysis is the analysis' name.
	Analysis string `json:"analysis"`
	// Metric is the metric's name.
	Metric string `json:"metric"`
	// Index counts the metric's measurements from 0.
	Index int `json:"index"`
	// At is when the measurement was taken, by the runner's clock.
	At time.Time `json:"at"`
	// Provider and Query say where the value came from.
	Provider string `json:"provider"`
	Query    string `json:"query"`
	// Value is the measured value; 0 for an Error measurement, NaN when the
	// provider returned NaN. Non-finite values are written to JSON as the
	// strings "NaN", "+Inf" and "-Inf".
	Value float64 `json:"value"`
	// Baseline is the baseline's value, when the metric has a baseline query.
	Baseline *float64 `json:"baseline,omitempty"`
	// Phase is the judgement: Successful, Warning, Inconclusive, Failed or Error.
	Phase Phase `json:"phase"`
	// Reason says why, e.g. "0.031 misses <=0.01 but meets the warning level
	// <=0.05", or the provider's error.
	Reason string `json:"reason"`
}

// Key identifies the measurement across retries and restarts: its run, metric
// and index. A store that keeps one record per key (an idempotency key) never
// counts a measurement twice.
func (m Measurement) Key() string {
	return strconv.Quote(m.Run) + "/" + strconv.Quote(m.Metric) + "/" + strconv.Itoa(m.Index)
}

// float is a float64 whose JSON form is a number, or a string for NaN and the
// infinities, which JSON numbers cannot hold.
type float float64

func (f float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

func (f *float) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		switch s {
		case "NaN":
			*f = float(math.NaN())
		case "+Inf", "Inf":
			*f = float(math.Inf(1))
		case "-Inf":
			*f = float(math.Inf(-1))
		default:
			return fmt.Errorf("value %q: want a number, \"NaN\", \"+Inf\" or \"-Inf\"", s)
		}
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("value %s: want a number", b)
	}
	*f = float(v)
	return nil
}

// measurementJSON is Measurement with non-finite values written as strings.
type measurementJSON struct {
	plainMeasurement
	Value    float  `json:"value"`
	Baseline *float `json:"baseline,omitempty"`
}

type plainMeasurement Measurement

// MarshalJSON implements json.Marshaler.
func (m Measurement) MarshalJSON() ([]byte, error) {
	j := measurementJSON{plainMeasurement: plainMeasurement(m), Value: float(m.Value)}
	if m.Baseline != nil {
		b := float(*m.Baseline)
		j.Baseline = &b
	}
	return json.Marshal(j)
}

// UnmarshalJSON implements json.Unmarshaler.
func (m *Measurement) UnmarshalJSON(b []byte) error {
	var j measurementJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*m = Measurement(j.plainMeasurement)
	m.Value, m.Baseline = float64(j.Value), nil
	if j.Baseline != nil {
		v := float64(*j.Baseline)
		m.Baseline = &v
	}
	return nil
}
