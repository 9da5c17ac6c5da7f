// Package e2e holds the end-to-end tests of examples/releasebot, in a module of its
// own so that their dependencies stay out of the core go.mod:
//
//   - the contract test validates every request and answer of the bot against the
//     OpenAPI 3.1 description it serves at /openapi.json, with
//     github.com/getkin/kin-openapi (JSON Schema 2020-12 through
//     github.com/santhosh-tekuri/jsonschema/v6);
//   - the browser test drives the board in headless Chromium
//     (github.com/chromedp/chromedp over the DevTools protocol, JavaScript disabled
//     in the page): it signs in, follows a release and checks what the page shows
//     against the API. It needs chromium on PATH (Debian's chromium package); without
//     it the test skips locally and fails under CI=true.
//
// The package has no code of its own; the module is never published.
package e2e
