// Command dev runs every uriba function on one address, with the IM stand-in and the embedded bolt
// store, so that uriba can be tried on a laptop without a cloud account:
//
//	go run ./scripts/dev
//
// Settings come from the environment as in production (see DESIGN.md, Configuration); what is
// unset gets a development default. Secrets it generates are kept next to the store
// (var/dev-secrets.json) and reused on the next start, and the IM and streaming stand-ins keep
// their state there too, so that a restart keeps UserSigs, the merchant key and the rooms working.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "dev:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	settings, err := newSettings(getenv)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", settings.addr)
	if err != nil {
		return fmt.Errorf("listen on %s (set URIBA_ADDR to use another address): %w", settings.addr, err)
	}
	defer ln.Close()
	settings.setBaseURL("http://" + ln.Addr().String())
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: settings.logLevel()}))

	srv, err := newServer(ctx, settings, logger)
	if err != nil {
		return err
	}
	defer srv.Close()
	printBanner(stdout, settings)
	return srv.Serve(ctx, ln)
}
