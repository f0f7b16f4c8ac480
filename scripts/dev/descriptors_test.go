package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/function/functiontest"
	"github.com/uriba-live/uriba/shared/function/giftbroadcaster"
	"github.com/uriba-live/uriba/shared/function/imcallback"
	"github.com/uriba-live/uriba/shared/function/levelupdater"
	"github.com/uriba-live/uriba/shared/function/productpublisher"
	"github.com/uriba-live/uriba/shared/function/pushurl"
	"github.com/uriba-live/uriba/shared/function/streamender"
	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/secrets"
)

// The deployment descriptors, template.yaml (AWS SAM) and serverless.yml (Tencent SCF, multi-scf),
// are held here to the code: the functions, what triggers them, the routes each one serves and
// the environment each one reads, in both directions.

// loaders are each function's LoadSettings, whose reads and secrets the tests below observe.
var loaders = map[string]func(*config.Loader) any{
	pushurl.Name:          func(l *config.Loader) any { return pushurl.LoadSettings(l) },
	productpublisher.Name: func(l *config.Loader) any { return productpublisher.LoadSettings(l) },
	imcallback.Name:       func(l *config.Loader) any { return imcallback.LoadSettings(l) },
	levelupdater.Name:     func(l *config.Loader) any { return levelupdater.LoadSettings(l) },
	giftbroadcaster.Name:  func(l *config.Loader) any { return giftbroadcaster.LoadSettings(l) },
	streamender.Name:      func(l *config.Loader) any { return streamender.LoadSettings(l) },
}

// deployed is what the code says about one function: the routes it serves, whether it handles
// events other than HTTP (a queue or a schedule) and whether it runs on a schedule.
type deployed struct {
	name      string
	routes    []string
	events    bool
	scheduled bool
}

// deployedFunctions assembles each function alone, as it is deployed.
func deployedFunctions(t *testing.T) []deployed {
	t.Helper()
	var names []string
	for name := range loaders {
		names = append(names, name)
	}
	slices.Sort(names)
	if assembled := functionNames(); !slices.Equal(names, assembled) {
		t.Fatalf("the descriptor tests know the settings of %v, the dev server runs %v", names, assembled)
	}
	var out []deployed
	for _, def := range functions {
		env := functiontest.New(t)
		env.Vars["ACTIVITY_QUEUE"] = "log"
		fn := env.Build(t, def)
		d := deployed{name: def.Name, events: fn.Event != nil, scheduled: fn.Schedule > 0}
		if r, ok := fn.HTTP.(*httpapi.Router); ok {
			d.routes = r.Routes()
			slices.Sort(d.routes)
		}
		out = append(out, d)
	}
	return out
}

// reading is what a function's LoadSettings made of one environment: the variables it read,
// those of them it holds as secrets, and the problems it found.
type reading struct {
	read    []string
	secrets []string
	err     error
}

// sampleValue is a valid value of the variable name, recognisable in the settings.
func sampleValue(name string) string {
	switch name {
	case "IM_SDKAPPID":
		return "1400000001"
	case "MERCHANT_KEY_SHA256":
		return strings.Repeat("ab", 32)
	case "IM_REGION":
		return "sgp"
	case "MODERATION_MODE":
		return "reject"
	case "MODERATION_WORDS_FILE":
		return "builtin"
	}
	return "sample-" + name
}

// read runs the LoadSettings of function name, as deployed, on env.
func read(name string, env map[string]string) reading {
	var seen []string
	l := config.NewLoader(func(k string) string {
		if !slices.Contains(seen, k) {
			seen = append(seen, k)
		}
		return env[k]
	})
	settings := loaders[name](l)
	r := reading{read: seen, err: l.Err()}
	secretType := reflect.TypeFor[config.Secret]()
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch {
		case v.Type() == secretType:
			for k, val := range env {
				if val != "" && v.String() == val && !slices.Contains(r.secrets, k) {
					r.secrets = append(r.secrets, k)
				}
			}
		case v.Kind() == reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i))
			}
		case v.Kind() == reflect.Pointer && !v.IsNil():
			walk(v.Elem())
		}
	}
	walk(reflect.ValueOf(settings))
	slices.Sort(r.read)
	slices.Sort(r.secrets)
	return r
}

// plain converts a YAML node to Go values; a CloudFormation short form (!Ref x, !Sub s) becomes
// its long form ({"Ref": x}, {"Fn::Sub": s}).
func plain(n *yaml.Node) any {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		return plain(n.Content[0])
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = plain(n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		var s []any
		for _, c := range n.Content {
			s = append(s, plain(c))
		}
		v = s
	case yaml.AliasNode:
		return plain(n.Alias)
	default:
		v = n.Value
	}
	if tag, ok := strings.CutPrefix(n.Tag, "!"); ok && !strings.HasPrefix(tag, "!") {
		if tag != "Ref" && tag != "Condition" {
			tag = "Fn::" + tag
		}
		if tag == "Fn::GetAtt" {
			if s, ok := v.(string); ok {
				v = strings.SplitN(s, ".", 2)
			}
		}
		return map[string]any{tag: v}
	}
	return v
}

func readDescriptor(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", file))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mapAt follows keys through nested maps.
func mapAt(v any, keys ...string) map[string]any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	m, _ := v.(map[string]any)
	return m
}

// subString returns the string of an Fn::Sub, looking into the branches of an Fn::If.
func subString(v any) string {
	m, _ := v.(map[string]any)
	if s, ok := m["Fn::Sub"].(string); ok {
		return s
	}
	if branches, ok := m["Fn::If"].([]any); ok && len(branches) == 3 {
		return subString(branches[1]) + subString(branches[2])
	}
	return ""
}

// awsProvided are the variables Lambda sets for every function.
var awsProvided = []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}

// scfRoleProvided are the variables SCF sets for a function with an execution role.
var scfRoleProvided = []string{"TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRETKEY", "TENCENTCLOUD_SESSIONTOKEN"}

func TestTheAWSTemplateDeploysEveryFunctionAsTheCodeNeedsIt(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal(readDescriptor(t, "template.yaml"), &doc); err != nil {
		t.Fatal(err)
	}
	tpl := plain(&doc).(map[string]any)
	resources := mapAt(tpl, "Resources")
	byName := map[string]string{} // function name → logical ID
	for id, r := range resources {
		res := r.(map[string]any)
		if res["Type"] != "AWS::Serverless::Function" {
			continue
		}
		uri, _ := mapAt(res, "Properties")["CodeUri"].(string)
		name, ok := strings.CutPrefix(strings.TrimSuffix(uri, "/"), "dist/lambda/")
		if !ok || loaders[name] == nil {
			t.Errorf("%s: CodeUri %q is not dist/lambda/<function>/ of a function", id, uri)
			continue
		}
		byName[name] = id
	}
	if h := mapAt(tpl, "Globals", "Function")["Handler"]; h != "bootstrap" {
		t.Errorf("the functions' handler is %v, not bootstrap", h)
	}

	for _, fn := range deployedFunctions(t) {
		id, ok := byName[fn.name]
		if !ok {
			t.Errorf("template.yaml does not deploy %s", fn.name)
			continue
		}
		props := mapAt(resources, id, "Properties")

		// Triggers: exactly the function's routes on the HTTP API, and an event source for a
		// function that handles events.
		var routes []string
		var others []string
		for _, e := range mapAt(props, "Events") {
			ev := e.(map[string]any)
			if ev["Type"] == "HttpApi" {
				p := mapAt(ev, "Properties")
				routes = append(routes, fmt.Sprint(p["Method"], " ", p["Path"]))
				continue
			}
			others = append(others, ev["Type"].(string))
			if ev["Type"] == "SQS" && !slices.Contains(mapAt(ev, "Properties")["FunctionResponseTypes"].([]any), any("ReportBatchItemFailures")) {
				t.Errorf("%s: the queue does not report batch item failures, so one failed activity redelivers the whole batch", fn.name)
			}
		}
		slices.Sort(routes)
		if want := slices.DeleteFunc(slices.Clone(fn.routes), func(r string) bool { return r == "GET /healthz" }); !slices.Equal(routes, want) {
			t.Errorf("%s: template.yaml routes\n  %v\nthe function serves\n  %v", fn.name, routes, want)
		}
		if fn.events != (len(others) > 0) {
			t.Errorf("%s: handles events %v, template.yaml triggers it by %v", fn.name, fn.events, others)
		}
		if fn.scheduled && !slices.Contains(others, "ScheduleV2") {
			t.Errorf("%s runs on a schedule but has no ScheduleV2 event", fn.name)
		}

		// Environment: every variable is read, every required one is set, and secrets are passed
		// as the names of SSM parameters that the function, and only it, may read.
		vars := mapAt(props, "Environment", "Variables")
		env := map[string]string{}
		for _, k := range awsProvided {
			env[k] = sampleValue(k)
		}
		var byParameter, parameters []string
		for k, v := range vars {
			if strings.HasPrefix(k, "TENCENTCLOUD_") {
				t.Errorf("%s: sets %s; Tencent reserves the prefix", fn.name, k)
			}
			name, isParameter := strings.CutSuffix(k, secrets.Suffix)
			env[name] = sampleValue(name)
			switch {
			case isParameter:
				byParameter = append(byParameter, name)
				p, ok := strings.CutPrefix(subString(v), "${ParameterPath}/")
				if !ok {
					t.Errorf("%s: %s is not a parameter under ${ParameterPath}", fn.name, k)
				}
				parameters = append(parameters, p)
			case name == "STORE":
				env[name] = "dynamodb:uriba"
			case name == "ACTIVITY_QUEUE":
				env[name] = "sqs:https://sqs.ap-northeast-1.amazonaws.com/123456789012/activities"
			}
		}
		r := read(fn.name, env)
		if r.err != nil {
			t.Errorf("%s does not start with template.yaml's environment: %v", fn.name, r.err)
		}
		for k := range vars {
			name := strings.TrimSuffix(k, secrets.Suffix)
			if !slices.Contains(r.read, name) {
				t.Errorf("%s: template.yaml sets %s, which the function does not read", fn.name, k)
			}
		}
		for _, s := range r.secrets {
			if !slices.Contains(awsProvided, s) && !slices.Contains(byParameter, s) {
				t.Errorf("%s: the secret %s is a plain environment variable; pass %s%s", fn.name, s, s, secrets.Suffix)
			}
		}
		var granted []string
		for _, p := range props["Policies"].([]any) {
			if branches, ok := mapAt(p)["Fn::If"].([]any); ok && len(branches) == 3 {
				p = branches[1] // a conditional statement, such as the decryption of a customer key
			}
			statements, _ := mapAt(p)["Statement"].([]any)
			for _, st := range statements {
				if mapAt(st)["Action"] != "ssm:GetParameter" {
					continue
				}
				res := mapAt(st)["Resource"]
				list, ok := res.([]any)
				if !ok {
					list = []any{res}
				}
				for _, arn := range list {
					_, p, _ := strings.Cut(subString(arn), ":parameter${ParameterPath}/")
					granted = append(granted, p)
				}
			}
		}
		slices.Sort(granted)
		slices.Sort(parameters)
		if !slices.Equal(granted, parameters) {
			t.Errorf("%s may read the parameters %v and is given %v", fn.name, granted, parameters)
		}
	}

	// The IM callback URL output is the callback route of the function URL's function.
	url := subString(mapAt(tpl, "Outputs", "ImCallbackUrl")["Value"])
	m := regexp.MustCompile(`^\$\{(\w+)Url\.FunctionUrl\}(.*)$`).FindStringSubmatch(url)
	if m == nil || m[1] != byName[imcallback.Name] || m[2] != "v1/callbacks/im" {
		t.Errorf("ImCallbackUrl is %q, not the function URL of %s followed by v1/callbacks/im", url, imcallback.Name)
	}
	if auth := mapAt(resources, byName[imcallback.Name], "Properties", "FunctionUrlConfig")["AuthType"]; auth != "NONE" {
		t.Errorf("the IM callback's function URL has AuthType %v; IM cannot sign AWS requests", auth)
	}
}

// scfFile is the part of serverless.yml the tests read. Decoding refuses keys it does not know,
// so a setting multi-scf would ignore (say retryConfig) fails the test.
type scfFile struct {
	App       string
	Stage     string
	Component string
	Name      string
	Inputs    struct {
		Src        struct{ Src string }
		Region     string
		Namespace  string
		Runtime    string
		MemorySize int `yaml:"memorySize"`
		Timeout    int
		Vpc        struct {
			VpcID    string `yaml:"vpcId"`
			SubnetID string `yaml:"subnetId"`
		}
		Functions map[string]struct {
			Src            string
			Type           string
			Handler        string
			Timeout        int
			MemorySize     int `yaml:"memorySize"`
			Description    string
			Role           string
			RetryNum       *int  `yaml:"retryNum"`
			MsgTTL         *int  `yaml:"msgTTL"`
			AsyncRunEnable *bool `yaml:"asyncRunEnable"`
			DeadLetter     *struct {
				Type string
				Name string
			} `yaml:"deadLetter"`
			Environments []struct{ Key, Value string }
		}
		Triggers []struct {
			Type       string
			Function   string
			Parameters map[string]any
		}
	}
}

func TestTheSCFDescriptorDeploysEveryFunctionAsTheCodeNeedsIt(t *testing.T) {
	dec := yaml.NewDecoder(bytes.NewReader(readDescriptor(t, "serverless.yml")))
	dec.KnownFields(true)
	var f scfFile
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("serverless.yml: %v", err)
	}
	if f.Component != "multi-scf" || f.Inputs.Src.Src != "./dist/scf" {
		t.Errorf("component %q, src %q", f.Component, f.Inputs.Src.Src)
	}
	fns := deployedFunctions(t)
	for key := range f.Inputs.Functions {
		if loaders[key] == nil {
			t.Errorf("serverless.yml deploys %s, which is no function", key)
		}
	}
	// The consumer of the activity queue takes events and serves routes too (the level lookup);
	// the stream ender takes only its schedule.
	var consumer string
	for _, fn := range fns {
		if fn.events && slices.ContainsFunc(fn.routes, func(r string) bool { return r != "GET /healthz" }) {
			consumer = fn.name
		}
	}
	// multi-scf names a function ${name}-${stage}-${app}-<key>.
	consumerName := "${name}-${stage}-${app}-" + consumer

	for _, fn := range fns {
		sf, ok := f.Inputs.Functions[fn.name]
		if !ok {
			t.Errorf("serverless.yml does not deploy %s", fn.name)
			continue
		}
		if sf.Src != "./"+fn.name {
			t.Errorf("%s: src %q", fn.name, sf.Src)
		}
		// An event function is invoked (asynchronously, or by its timer) and answers its
		// function URL's events; every other function is a web function started by scf_bootstrap.
		switch {
		case fn.events && (sf.Type != "event" || sf.Handler != "main"):
			t.Errorf("%s handles events: it must be type event with handler main, not %q/%q", fn.name, sf.Type, sf.Handler)
		case !fn.events && (sf.Type != "web" || sf.Handler != ""):
			t.Errorf("%s must be a web function, not %q (handler %q)", fn.name, sf.Type, sf.Handler)
		}
		if sf.AsyncRunEnable != nil && *sf.AsyncRunEnable {
			t.Errorf("%s: asyncRunEnable makes invocations long-running executions without retries", fn.name)
		}
		if fn.name == consumer {
			if sf.RetryNum == nil || sf.MsgTTL == nil || sf.DeadLetter == nil || sf.DeadLetter.Name == "" || sf.DeadLetter.Type == "" {
				t.Errorf("%s: asynchronous invocations need retryNum, msgTTL and a deadLetter queue", fn.name)
			}
		}

		var urls, timers int
		for _, tr := range f.Inputs.Triggers {
			if tr.Function != fn.name {
				continue
			}
			switch tr.Type {
			case "http":
				urls++
				net, _ := tr.Parameters["netConfig"].(map[string]any)
				if tr.Parameters["authType"] != "NONE" || net["enableExtranet"] != true {
					t.Errorf("%s: the function URL must be public (authType NONE, enableExtranet true): %v", fn.name, tr.Parameters)
				}
			case "timer":
				timers++
				cron, _ := tr.Parameters["cronExpression"].(string)
				if len(strings.Fields(cron)) != 7 || tr.Parameters["enable"] != true {
					t.Errorf("%s: a timer needs a 7-field cron and enable: true, not %q, %v", fn.name, cron, tr.Parameters["enable"])
				}
			default:
				t.Errorf("%s: a %s trigger; SCF functions are reached by function URLs (API gateway triggers are retired)", fn.name, tr.Type)
			}
		}
		if want := len(slices.DeleteFunc(slices.Clone(fn.routes), func(r string) bool { return r == "GET /healthz" })) > 0; (urls == 1) != want || urls > 1 {
			t.Errorf("%s: %d function URLs for %d routes; a function with routes has exactly one", fn.name, urls, len(fn.routes))
		}
		if fn.scheduled != (timers == 1) {
			t.Errorf("%s: scheduled %v, %d timers", fn.name, fn.scheduled, timers)
		}

		env := map[string]string{}
		var set []string
		for _, e := range sf.Environments {
			set = append(set, e.Key)
			if strings.HasPrefix(e.Key, "TENCENTCLOUD_") {
				t.Errorf("%s: sets %s; Tencent reserves the prefix", fn.name, e.Key)
			}
			switch {
			case e.Key == "STORE":
				env[e.Key] = "redis://10.0.0.2:6379"
			case !strings.Contains(e.Value, "${"):
				env[e.Key] = e.Value
			default:
				env[e.Key] = sampleValue(e.Key)
			}
			if e.Key == "LEVELUPDATER_FUNCTION" && e.Value != consumerName {
				t.Errorf("%s: LEVELUPDATER_FUNCTION is %q; multi-scf names the level updater %s", fn.name, e.Value, consumerName)
			}
		}
		if sf.Role != "" {
			for _, k := range scfRoleProvided {
				env[k] = sampleValue(k)
			}
		}
		r := read(fn.name, env)
		if r.err != nil {
			t.Errorf("%s does not start with serverless.yml's environment: %v", fn.name, r.err)
		}
		for _, k := range set {
			if !slices.Contains(r.read, k) {
				t.Errorf("%s: serverless.yml sets %s, which the function does not read", fn.name, k)
			}
		}
		if slices.Contains(r.read, "TENCENTCLOUD_SECRETID") && sf.Role == "" {
			t.Errorf("%s calls Cloud APIs with its role's credentials, but has no role", fn.name)
		}
	}
}

// TestEveryVariableIsDocumented holds docs/configuration.md to the variables the functions read
// and docs/deploying.md to the values serverless.yml takes from the environment.
func TestEveryVariableIsDocumented(t *testing.T) {
	reference := string(readDescriptor(t, "docs/configuration.md"))
	guide := string(readDescriptor(t, "docs/deploying.md"))
	for name := range loaders {
		for _, env := range []map[string]string{
			{},
			{"STORE": "dynamodb:t", "ACTIVITY_QUEUE": "sqs:q"},
			{"STORE": "redis://r:6379", "ACTIVITY_QUEUE": "scf"},
			{"ACTIVITY_QUEUE": "scf", "CLOUDAPI_SECRET_ID": "id"},
			{"ACTIVITY_QUEUE": "scf", "TENCENTCLOUD_SECRET_ID": "id"},
		} {
			for _, v := range read(name, env).read {
				if !strings.Contains(reference, "`"+v+"`") {
					t.Errorf("docs/configuration.md does not describe %s, which %s reads", v, name)
				}
			}
		}
	}
	for _, m := range regexp.MustCompile(`\$\{env:(\w+)\}`).FindAllStringSubmatch(string(readDescriptor(t, "serverless.yml")), -1) {
		if !strings.Contains(guide, "`"+m[1]+"`") {
			t.Errorf("docs/deploying.md does not describe %s, which serverless.yml reads", m[1])
		}
	}
}
