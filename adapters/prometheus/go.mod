module github.com/releasekit/releasekit/adapters/prometheus

go 1.25.0

require (
	github.com/prometheus/client_golang v1.23.2
	github.com/prometheus/common v0.66.1
	github.com/releasekit/releasekit v0.1.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/json-iterator/go v1.1.12 // indirect
	github.com/kr/text v0.2.0 // indirect
	github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
	github.com/modern-go/reflect2 v1.0.2 // indirect
	github.com/prometheus/client_model v0.6.2 // indirect
	go.yaml.in/yaml/v2 v2.4.2 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	google.golang.org/protobuf v1.36.8 // indirect
)

// For GOWORK=off in this directory: the root module from its directory. The release
// drops this line, so a tagged version stands alone.
replace github.com/releasekit/releasekit => ../..
