// Package function assembles uriba's functions. Each function has one package under
// shared/function/<name> holding its Settings, read from the environment once, and its Build,
// which the function's main, the dev server and the function's tests all call. This package holds
// what those assemblies share: the dependencies one process may share between functions (Deps),
// the adapters opened from settings when a dependency is not shared, and Main.
package function

import (
	"context"
	"log/slog"
	"os"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/platform"
	"github.com/uriba-live/uriba/shared/queue"
	"github.com/uriba-live/uriba/shared/secrets"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/tim"
)

// Definition names a function and its assembly.
type Definition struct {
	// Name is the function's name, as in functions/<name> and the deployment descriptors.
	Name string
	// Build reads the function's settings through env, reporting every problem together, and
	// assembles the function on deps. The release function it returns, never nil, frees what
	// the function opened itself (a store, a queue); shared dependencies stay open.
	Build func(ctx context.Context, env *config.Loader, deps Deps) (fn platform.Function, release func(), err error)
}

// Define returns the Definition of the function name, whose settings load reads through env
// and assemble builds the function from. Build reports every problem load recorded at once, and
// assembles nothing then.
func Define[S any](name string, load func(*config.Loader) S, assemble func(context.Context, S, Deps) (platform.Function, func(), error)) Definition {
	return Definition{Name: name, Build: func(ctx context.Context, env *config.Loader, deps Deps) (platform.Function, func(), error) {
		s := load(env)
		if err := env.Err(); err != nil {
			return platform.Function{}, nil, err
		}
		return assemble(ctx, s, deps)
	}}
}

// Deps are the dependencies a function may be given instead of opening its own. A function
// deployed alone gets only a Logger and opens the rest from its settings; the dev server opens
// one store, one IM client and one in-process queue and hands them to every function.
type Deps struct {
	// Logger receives the function's logs. It is required.
	Logger *slog.Logger
	// Store, when set, is used instead of opening the one STORE names.
	Store store.KV
	// IM, when set, is used instead of a client built from the IM settings.
	IM *tim.Client
	// Activities, when set, is used instead of opening the queue ACTIVITY_QUEUE names.
	Activities queue.Publisher
	// ConsumeActivities, when set, is given the function's consumer of activities, so that a
	// queue in the same process delivers to it.
	ConsumeActivities func(queue.Applier)
}

// Main is the whole of a function's main: it runs def on the platform the environment names,
// with settings read from the process's environment. A setting passed as the name of an SSM
// parameter (NAME_PARAMETER, on Lambda) is read from Parameter Store first, through the
// Parameters and Secrets extension. Outside a laptop (on Lambda and SCF), settings that are only
// safe on a laptop are refused at start-up.
func Main(def Definition) {
	platform.Main(def.Name, func(ctx context.Context, getenv func(string) string, logger *slog.Logger) (platform.Function, func(), error) {
		getenv, err := secrets.Resolve(ctx, os.Environ(), getenv)
		if err != nil {
			return platform.Function{}, nil, err
		}
		env := config.NewLoader(getenv)
		env.Local = platform.Detect(getenv) == platform.Local
		return def.Build(ctx, env, Deps{Logger: logger})
	})
}

// Releases collects what a function opened itself, to be released in reverse order.
type Releases []func()

// Add records release, unless it is nil.
func (r *Releases) Add(release func()) {
	if release != nil {
		*r = append(*r, release)
	}
}

// Release releases everything recorded, the latest first.
func (r Releases) Release() {
	for i := len(r) - 1; i >= 0; i-- {
		r[i]()
	}
}
