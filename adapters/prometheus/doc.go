// Package prometheus is an [analysis.Provider] over the Prometheus HTTP API:
// PromQL instant queries for analyses ([Provider.Query]) and range queries
// ([Provider.QueryRange]), with a timeout per attempt, retries with backoff on
// transient failures, authentication headers, and typed errors ([*Error]) that
// wrap the analysis package's sentinels.
//
// It uses prometheus/client_golang's api package, kept by the Prometheus
// authors with the server's API, and lives in a module of its own so that
// hosts that do not query Prometheus do not download it.
//
//	p, err := prometheus.New("http://prometheus:9090", prometheus.WithBearerToken(token))
//	runner, err := analysis.NewRunner(map[string]analysis.Provider{"prometheus": p})
//
// Its tests run the analysis/providertest suite against a real Prometheus
// server (Debian's prometheus package) scraping an exporter the tests control.
package prometheus
