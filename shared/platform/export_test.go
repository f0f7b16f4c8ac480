package platform

import "testing"

// OnShutdownStarted makes f run as the shutdown of every server that Serve starts from now on
// begins, until the test ends. Call it before starting the server.
func OnShutdownStarted(t testing.TB, f func()) {
	shutdownStarted = f
	t.Cleanup(func() { shutdownStarted = nil })
}
