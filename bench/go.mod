module github.com/releasekit/releasekit/bench

go 1.25.0

require github.com/releasekit/releasekit v0.0.0-00010101000000-000000000000

require (
	github.com/google/uuid v1.6.0 // indirect
	github.com/looplab/fsm v1.0.3 // indirect
	github.com/teambition/rrule-go v1.8.2 // indirect
)

require (
	github.com/Masterminds/semver/v3 v3.5.0 // indirect
	gonum.org/v1/gonum v0.17.0
)

replace github.com/releasekit/releasekit => ../
