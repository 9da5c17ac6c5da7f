package analysis_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/releasekit/releasekit/analysis"
)

// FuzzAnalysisJSON: any document either fails to decode, fails validation
// with ErrInvalidAnalysis, or is a valid analysis that survives a JSON round
// trip; replaying any recorded measurements against it never panics.
func FuzzAnalysisJSON(f *testing.F) {
	f.Add(`{"name":"a","metrics":[{"name":"m","provider":"p","query":"q","count":3,"interval":"1m","successCondition":["<=0.01"]}]}`,
		`[{"metric":"m","index":0,"value":0.001,"phase":"Successful"},{"metric":"m","index":1,"value":"NaN","phase":"Error"}]`)
	f.Add(`{"name":"a","metrics":[{"name":"m","provider":"p","query":"q","baseline":"b","successCondition":["<=+10%"],"warningCondition":["<=+20%"],"failureCondition":[">=+50%"]}]}`,
		`[{"metric":"m","index":0,"value":1,"baseline":"+Inf","phase":"Failed"}]`)
	f.Add(`{"name":"","metrics":[{"interval":-5}]}`, `[]`)
	f.Fuzz(func(t *testing.T, doc, recorded string) {
		var a analysis.Analysis
		if json.Unmarshal([]byte(doc), &a) != nil {
			return
		}
		if err := a.Validate(); err != nil {
			return
		}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("Marshal of a valid analysis: %v", err)
		}
		var back analysis.Analysis
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(normalize(a), normalize(back)) {
			t.Fatalf("round trip: %v\n%#v\n%#v", err, a, back)
		}
		var ms []analysis.Measurement
		if json.Unmarshal([]byte(recorded), &ms) == nil {
			res, err := analysis.Evaluate(a, ms)
			if err == nil && len(res.Metrics) != len(a.Metrics) {
				t.Fatalf("Evaluate gave %d metrics for %d", len(res.Metrics), len(a.Metrics))
			}
		}
	})
}

// normalize treats empty and nil condition lists alike (omitempty drops both).
func normalize(a analysis.Analysis) analysis.Analysis {
	for i := range a.Metrics {
		m := &a.Metrics[i]
		for _, s := range []*[]string{&m.Success, &m.Warning, &m.Failure} {
			if len(*s) == 0 {
				*s = nil
			}
		}
	}
	return a
}
