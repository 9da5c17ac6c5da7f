// Package notifytest is the conformance suite for [release.Notifier]
// implementations, in the manner of testing/slogtest: a notifier's own test calls
//
//	func TestConformance(t *testing.T) {
//		notifytest.Run(t, func(t *testing.T) (release.Notifier, notifytest.Receiver) {
//			rx := notifytest.NewHTTPReceiver(t, decodeMyPayload)
//			n, err := mynotifier.New(rx.URL)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return n, rx
//		})
//	}
//
// It is for authors of notifiers (the adapters in this module and host applications'
// own). Every case runs as a subtest against a fresh notifier and its [Receiver]: the
// far end the notifier delivers to, which the suite can tell to accept, fail or hang
// ([Mode]). [Recorder] is a ready-made receiver core; [HTTPReceiver] wraps it in an
// httptest server for HTTP-based notifiers, and [Recorder.Notifier] is an in-process
// notifier for wrappers such as fan-outs. [Cases] lists every case with what it
// checks; each case returns an error rather than failing a test, so the suite's own
// tests show that it catches broken notifiers.
//
// [Sample] builds a deterministic walk of one release through its lifecycle, with
// correctly chained hashes, for golden files and benchmarks.
package notifytest
