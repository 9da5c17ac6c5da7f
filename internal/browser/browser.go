// Package browser runs headless Chromium for the tests that check what people see
// in a browser: the HTML report and its printed pages.
package browser

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Chromium finds a headless Chromium: RELEASEKIT_CHROMIUM, then chromium or
// chromium-browser on PATH (Debian's chromium package; .ci/chromium.sh installs
// it). Without one the test skips with a message, and fails under CI=true.
func Chromium(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("RELEASEKIT_CHROMIUM"); bin != "" {
		return bin
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if bin, err := exec.LookPath(name); err == nil {
			return bin
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed: CI must install it (source .ci/chromium.sh && chromium_ensure)")
	}
	t.Skip("chromium is not installed: install Debian's chromium package (or source .ci/chromium.sh && chromium_ensure) to run the browser test")
	return ""
}

// Headless runs Chromium on url with args, in a profile of its own, without
// reaching the network, and returns what it printed.
func Headless(t testing.TB, bin, url string, args ...string) []byte {
	t.Helper()
	// A bound on a browser that hangs, not a measurement.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(append(base, args...), url)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v: %s", err, stderr.String())
	}
	return out
}

// pageObject matches a page object of a PDF (not the /Pages tree node).
var pageObject = regexp.MustCompile(`/Type\s*/Page[^s]`)

// PrintedPages prints the HTML file at path to PDF, on Chromium's default paper
// (US Letter, smaller than A4) without header and footer, and returns how many
// pages it took.
func PrintedPages(t testing.TB, bin, path string) int {
	t.Helper()
	pdf := t.TempDir() + "/printed.pdf"
	Headless(t, bin, "file://"+path, "--print-to-pdf="+pdf, "--no-pdf-header-footer")
	b, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatalf("chromium wrote no PDF: %v", err)
	}
	return len(pageObject.FindAll(b, -1))
}
