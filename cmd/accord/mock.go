package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/contracts"
	"github.com/accord-dev/accord/mock"
)

type mockOptions struct {
	files             []string
	addr              string
	seed              uint64
	stateful          bool
	faultFile         string
	faults            []string
	secrets           []string
	credentials       []string
	validateResponses bool
	callback          string
	webhooks          []string
	kafka             string
	nats              string
	every             time.Duration
	count             int
	grace             time.Duration
	// ready, when set, is told the listening address (tests).
	ready func(addr string)
}

func newMockCmd(e *env) *cobra.Command {
	var o mockOptions
	cmd := &cobra.Command{
		Use:   "mock CONTRACT...",
		Short: "Serve a sandbox of OpenAPI contracts, with faults on demand",
		Long: `mock serves every operation of the contracts: the answer comes from the
contract's examples (choose with "Prefer: code=404" or "Prefer: example=name"),
else from data synthesised from the schemas, deterministic under --seed.
Requests are validated (400 problems with JSON pointers), idempotency keys
replay, signed operations verify signatures (with the sandbox keys printed
at start, or --secret) and credentials are checked (--credential).

--stateful makes POST create, GET read, PUT/PATCH/DELETE change what exists
and lists page through it. Faults (--fault, --faults FILE) add latency,
error statuses, connection resets and hangs per operation, reproducible
with --seed. GET /__accord/requests lists the requests served (JSON).

--webhook OPERATION=WEBHOOK sends the contract's webhook to --callback after
the operation succeeds, signed in its scheme and retried; GET
/__accord/webhooks lists the deliveries, PUT /__accord/callback {"url": ...}
registers another callback.

Exit codes: 0 stopped by SIGINT/SIGTERM, 2 usage error, 3 a contract or the
fault file could not be read.`,
		Example: `  accord mock examples/payments/openapi.yaml
  accord mock --stateful --seed 1 examples/crm/openapi.yaml
  accord mock --fault 'createPayment:status=503,rate=0.5' --fault '*:latency=50ms..300ms' api.yaml
  accord mock --faults faults.yaml --secret partner-hmac=0123456789abcdef0123 api.yaml
  accord mock --stateful --webhook createPayment=payment.succeeded --callback 'http://127.0.0.1:8080/hooks/{webhook}' api.yaml`,
		Args: minArgs(1, "contract file (try: accord mock openapi.yaml)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.files = args
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runMock(ctx, e, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:4010", "address to listen on")
	f.Uint64Var(&o.seed, "seed", 0, "seed for synthesised data and fault decisions")
	f.BoolVar(&o.stateful, "stateful", false, "keep what POST creates; GET, PUT, PATCH, DELETE and lists use it")
	f.StringVar(&o.faultFile, "faults", "", "YAML file of faults (see README: accord mock)")
	f.StringArrayVar(&o.faults, "fault", nil, "a fault, OPERATION:key=value,... (repeatable; OPERATION may be *)")
	f.StringArrayVar(&o.secrets, "secret", nil, "signing key of a signature scheme, SCHEME=VALUE (repeatable)")
	f.StringArrayVar(&o.credentials, "credential", nil, "accepted credential of a security scheme, SCHEME=VALUE (repeatable)")
	f.BoolVar(&o.validateResponses, "validate-responses", false, "check the mock's own answers against the contract")
	f.StringVar(&o.callback, "callback", "", "URL webhooks are delivered to ({webhook} is replaced by the webhook's name)")
	f.StringArrayVar(&o.webhooks, "webhook", nil, "send a webhook after an operation succeeds, OPERATION=WEBHOOK (repeatable)")
	f.StringVar(&o.kafka, "kafka", "", "AsyncAPI: Kafka brokers, comma-separated (default: an in-process cluster on loopback)")
	f.StringVar(&o.nats, "nats", "", "AsyncAPI: a NATS server URL instead of Kafka")
	f.DurationVar(&o.every, "every", time.Second, "AsyncAPI: publishing interval per operation")
	f.IntVar(&o.count, "count", 0, "AsyncAPI: messages per operation (0 = until stopped)")
	f.DurationVar(&o.grace, "grace", 5*time.Second, "how long requests in flight may finish at shutdown")
	return cmd
}

// mockServerOptions turns flags into mock.Options; errors are usage errors
// except an unreadable fault file.
func mockServerOptions(e *env, o mockOptions) (mock.Options, error) {
	mo := mock.Options{Seed: o.seed, Stateful: o.stateful, ValidateResponses: o.validateResponses, Callback: o.callback}
	after, err := parseSchemeFlags("--webhook", o.webhooks)
	if err != nil {
		return mo, err
	}
	if len(after) > 0 {
		mo.After = map[string][]string{}
		for _, w := range o.webhooks {
			op, name, _ := strings.Cut(w, "=")
			mo.After[op] = append(mo.After[op], name)
		}
	}
	if o.faultFile != "" {
		data, err := os.ReadFile(mockInputPath(e, o.faultFile))
		if err != nil {
			return mo, &exitError{code: exitInput, err: fmt.Errorf("reading the fault file: %w", err)}
		}
		fs, err := mock.ParseFaultFile(data)
		if err != nil {
			return mo, &exitError{code: exitInput, err: fmt.Errorf("%s: %w", o.faultFile, err)}
		}
		mo.Faults = fs
	}
	for _, s := range o.faults {
		f, err := mock.ParseFault(s)
		if err != nil {
			return mo, usageError("--fault: %v", err)
		}
		mo.Faults = append(mo.Faults, f)
	}
	secrets, err := parseSchemeFlags("--secret", o.secrets)
	if err != nil {
		return mo, err
	}
	mo.Secrets = map[string][]byte{}
	for k, v := range secrets {
		mo.Secrets[k] = []byte(v)
	}
	if mo.Credentials, err = parseSchemeFlags("--credential", o.credentials); err != nil {
		return mo, err
	}
	return mo, nil
}

// schemeValues parses repeated SCHEME=VALUE flags.
func parseSchemeFlags(flag string, vals []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range vals {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" || val == "" {
			return nil, usageError("%s %q: want NAME=VALUE", flag, v)
		}
		out[k] = val
	}
	return out, nil
}

func mockInputPath(e *env, p string) string {
	if e.dir == "" || p == "" || p[0] == '/' {
		return p
	}
	return e.dir + "/" + p
}

// loadContracts loads every file, reporting all that fail before giving up.
func loadServedContracts(ctx context.Context, e *env, files []string) ([]*contracts.Document, error) {
	var docs []*contracts.Document
	failed := false
	for _, f := range files {
		doc, err := contracts.Load(ctx, f, contracts.LoadOptions{Stdin: e.stdin, Dir: e.dir})
		if err != nil {
			reportLoadError(e, "input", f, err)
			failed = true
			continue
		}
		docs = append(docs, doc)
	}
	if failed {
		return nil, silentExit(exitInput)
	}
	return docs, nil
}

func runMock(ctx context.Context, e *env, o mockOptions) error {
	mo, err := mockServerOptions(e, o)
	if err != nil {
		return err
	}
	docs, err := loadServedContracts(ctx, e, o.files)
	if err != nil {
		return err
	}
	m, err := mock.New(docs, mo)
	if err != nil {
		return usageError("%v", err)
	}
	stopAsync, err := startAsync(ctx, e, o, docs, m)
	if err != nil {
		return err
	}
	defer stopAsync()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return usageError("--addr %s: %v", o.addr, err)
	}
	addr := ln.Addr().String()
	fmt.Fprintf(e.stdout, "accord mock: %d operations on http://%s (request log: http://%s/__accord/requests)\n", len(m.Operations()), addr, addr)
	sandbox := m.SandboxSecrets()
	names := make([]string, 0, len(sandbox))
	for k := range sandbox {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(e.stdout, "  sandbox key for %s: %s\n", k, sandbox[k])
	}
	if o.ready != nil {
		o.ready(addr)
	}
	if err := m.Serve(ctx, ln, o.grace); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "accord mock: stopped")
	return nil
}

// startAsync mocks the AsyncAPI documents over Kafka (in process unless
// --kafka) or NATS; the returned function stops it.
func startAsync(ctx context.Context, e *env, o mockOptions, docs []*contracts.Document, m *mock.Server) (func(), error) {
	var async []*contracts.Document
	for _, d := range docs {
		if d.Kind == contracts.KindAsyncAPI {
			async = append(async, d)
		}
	}
	if len(async) == 0 {
		return func() {}, nil
	}
	var t mock.Transport
	var where string
	switch {
	case o.nats != "":
		n, err := mock.NewNATS(o.nats)
		if err != nil {
			return nil, &exitError{code: exitInput, err: err}
		}
		t, where = n, "NATS at "+o.nats
	default:
		var brokers []string
		if o.kafka != "" {
			brokers = strings.Split(o.kafka, ",")
		}
		k, err := mock.NewKafka(brokers...)
		if err != nil {
			return nil, &exitError{code: exitInput, err: err}
		}
		t, where = k, "Kafka at "+strings.Join(k.Brokers(), ",")
	}
	a, err := mock.NewAsync(async, t, mock.AsyncOptions{Seed: o.seed, Every: o.every, Count: o.count})
	if err != nil {
		t.Close()
		return nil, usageError("%v", err)
	}
	m.AttachAsync(a)
	fmt.Fprintf(e.stdout, "accord mock: AsyncAPI messages on %s (every %s; log: /__accord/messages)\n", where, o.every)
	actx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.Run(actx); err != nil {
			fmt.Fprintln(e.stderr, "accord: AsyncAPI mock:", err)
		}
	}()
	return func() { cancel(); <-done; t.Close() }, nil
}
