// Package secrets keeps a deployed function's secrets out of its plain environment. On AWS
// Lambda the template gives a function, for each secret setting NAME, a variable
// NAME_PARAMETER holding the name of an SSM Parameter Store SecureString; Resolve reads each one
// once, at start-up, through the AWS Parameters and Secrets Lambda Extension, and returns a
// getenv in which NAME has the parameter's value. Settings are then read as everywhere else,
// through shared/config. On SCF and on a laptop no NAME_PARAMETER is set and Resolve changes
// nothing.
package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/uriba-live/uriba/shared/backoff"
)

// Suffix marks a variable that names the parameter holding the value of the variable named
// without it: IM_SECRET_KEY_PARAMETER names the parameter whose value is IM_SECRET_KEY.
const Suffix = "_PARAMETER"

// DefaultPort is the extension's port when PARAMETERS_SECRETS_EXTENSION_HTTP_PORT is unset.
const DefaultPort = "2773"

// Policy is how long Resolve waits for the extension: Lambda starts a function's initialisation
// once the extension has registered, not once it serves, so the first requests may be refused.
// The budget stays well inside Lambda's 10-second initialisation limit.
var Policy = backoff.Policy{Attempts: 12, Base: 20 * time.Millisecond, Max: 500 * time.Millisecond, Budget: 4 * time.Second, MinAttempt: 100 * time.Millisecond}

// Extension reaches the AWS Parameters and Secrets Lambda Extension.
type Extension struct {
	// BaseURL is the extension's address, such as http://localhost:2773.
	BaseURL string
	// Token authenticates the calls: the function's AWS_SESSION_TOKEN.
	Token string
	// Client makes the calls; nil uses a client with a 2-second timeout.
	Client *http.Client
	// Policy bounds the repetition of a refused or failed call; the zero value makes one
	// attempt.
	Policy backoff.Policy
}

// Resolve returns getenv itself when environ (os.Environ's form, NAME=value) holds no variable
// ending in Suffix, and otherwise a getenv in which every NAME whose NAME_PARAMETER is set and
// which is not set itself has the decrypted value of the parameter NAME_PARAMETER names. Every
// parameter is read once, now, through the extension on localhost (PARAMETERS_SECRETS_EXTENSION_HTTP_PORT,
// default 2773) with AWS_SESSION_TOKEN; one error names every parameter that could not be read.
// Values never appear in errors.
func Resolve(ctx context.Context, environ []string, getenv func(string) string) (func(string) string, error) {
	names := parameterNames(environ, getenv)
	if len(names) == 0 {
		return getenv, nil
	}
	port := getenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT")
	if port == "" {
		port = DefaultPort
	}
	ext := Extension{BaseURL: "http://localhost:" + port, Token: getenv("AWS_SESSION_TOKEN"), Policy: Policy}
	return ext.Resolve(ctx, names, getenv)
}

// parameterNames maps each setting that environ passes by parameter to its parameter's name.
func parameterNames(environ []string, getenv func(string) string) map[string]string {
	names := map[string]string{}
	for _, kv := range environ {
		key, _, _ := strings.Cut(kv, "=")
		setting, ok := strings.CutSuffix(key, Suffix)
		if !ok || setting == "" {
			continue
		}
		if p := strings.TrimSpace(getenv(key)); p != "" && getenv(setting) == "" {
			names[setting] = p
		}
	}
	return names
}

// Resolve reads the parameters names maps settings to, all at once, and returns a getenv that
// answers those settings with their values and every other name through getenv.
func (e Extension) Resolve(ctx context.Context, names map[string]string, getenv func(string) string) (func(string) string, error) {
	values := make(map[string]string, len(names))
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		problems []string
	)
	for setting, parameter := range names {
		wg.Go(func() {
			v, err := e.Get(ctx, parameter)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s%s (%s): %v", setting, Suffix, parameter, err))
				return
			}
			values[setting] = v
		})
	}
	wg.Wait()
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, errors.New("secrets: reading SSM parameters through the Parameters and Secrets extension failed:\n  - " + strings.Join(problems, "\n  - "))
	}
	return func(name string) string {
		if v, ok := values[name]; ok {
			return v
		}
		return getenv(name)
	}, nil
}

// Get returns the decrypted value of the parameter named name, repeating refused or failed calls
// under e.Policy. A parameter that does not exist or may not be read fails at once.
func (e Extension) Get(ctx context.Context, name string) (string, error) {
	var value string
	err := backoff.Retry(ctx, e.Policy, func(int) error {
		v, err := e.get(ctx, name)
		value = v
		return err
	})
	return value, err
}

func (e Extension) get(ctx context.Context, name string) (string, error) {
	client := e.Client
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Second}
	}
	u := strings.TrimSuffix(e.BaseURL, "/") + "/systemsmanager/parameters/get?" +
		url.Values{"name": {name}, "withDecryption": {"true"}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", backoff.Permanent(err)
	}
	req.Header.Set("X-Aws-Parameters-Secrets-Token", e.Token)
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("the extension cannot be reached: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusBadRequest && strings.Contains(strings.ToLower(string(body)), "not ready"):
		return "", errors.New("the extension is not ready yet")
	case resp.StatusCode == http.StatusNotFound:
		return "", backoff.Permanent(errors.New("no such parameter"))
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		// The extension forwards SSM's refusal: the role may not read or decrypt the parameter,
		// or the token is wrong. The body names the cause without the value.
		return "", backoff.Permanent(fmt.Errorf("refused (%d): %s", resp.StatusCode, excerpt(body)))
	case resp.StatusCode >= 500:
		return "", fmt.Errorf("the extension answered %d: %s", resp.StatusCode, excerpt(body))
	default:
		return "", backoff.Permanent(fmt.Errorf("the extension answered %d: %s", resp.StatusCode, excerpt(body)))
	}
	var doc struct {
		Parameter struct {
			Name  string
			Value *string
		}
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.Parameter.Value == nil {
		return "", backoff.Permanent(errors.New("the extension's answer holds no parameter value"))
	}
	return *doc.Parameter.Value, nil
}

// excerpt shortens an error body for a message. Error bodies carry no parameter value.
func excerpt(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
