package platform

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// Builder assembles a function from its configuration, read through getenv. The release function
// it returns, which may be nil, frees what the function holds (a store, a queue) once it stops.
type Builder func(ctx context.Context, getenv func(string) string, logger *slog.Logger) (f Function, release func(), err error)

// Main is the whole of a function's main: it builds the function with the process's environment
// and a JSON logger on standard error, runs it on the platform the environment names until
// SIGINT or SIGTERM, and exits with status 1 and one message when it cannot start.
func Main(name string, build Builder) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, name, build)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, name string, build Builder) error {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("function", name)
	f, release, err := build(ctx, os.Getenv, logger)
	if err != nil {
		return err
	}
	if release != nil {
		defer release()
	}
	if f.Name == "" {
		f.Name = name
	}
	return Run(ctx, f, os.Getenv, logger)
}
