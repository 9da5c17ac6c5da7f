module github.com/releasekit/releasekit/internal/releasetool

go 1.25.0

require (
	golang.org/x/exp v0.0.0-20250718183923-645b1fa84792
	golang.org/x/mod v0.38.0
	golang.org/x/tools v0.48.0
)

require golang.org/x/sync v0.22.0 // indirect
