package e2e

import (
	"context"
	"errors"

	"github.com/accord-dev/accord/examples/crm/crmapi"
	"github.com/accord-dev/accord/examples/invoicing/invoicingapi"
	"github.com/accord-dev/accord/examples/payments/paymentsapi"
)

// The credentials the showcase fixtures accept; `accord verify` is given
// the same ones (verify_test.go).
const (
	testBearerToken = "test-token"
	testAPIKey      = "test-key"
)

var errBadCredentials = errors.New("unknown credentials")

// The fixtures' authenticators accept the test credentials. The shared test
// token names no tenant (an empty Subject), so the idempotency scope still
// falls back to the signing key where tests tell partners apart by key; a
// principal a test's middleware already put in the context (a tenant, in
// the store attacks) is kept.
type paymentsAuth struct{}

func (paymentsAuth) AuthenticateBearerAuth(ctx context.Context, token string) (paymentsapi.Principal, error) {
	if p, ok := paymentsapi.PrincipalFromContext(ctx); ok {
		return p, nil // authenticated by a middleware in front of the server
	}
	if token != testBearerToken {
		return paymentsapi.Principal{}, errBadCredentials
	}
	return paymentsapi.Principal{}, nil
}

type invoicingAuth struct{}

func (invoicingAuth) AuthenticateBearerAuth(ctx context.Context, token string) (invoicingapi.Principal, error) {
	if p, ok := invoicingapi.PrincipalFromContext(ctx); ok {
		return p, nil // authenticated by a middleware in front of the server
	}
	if token != testBearerToken {
		return invoicingapi.Principal{}, errBadCredentials
	}
	return invoicingapi.Principal{}, nil
}

type crmAuth struct{}

func (crmAuth) AuthenticateApiKey(ctx context.Context, key string) (crmapi.Principal, error) {
	if p, ok := crmapi.PrincipalFromContext(ctx); ok {
		return p, nil // authenticated by a middleware in front of the server
	}
	if key != testAPIKey {
		return crmapi.Principal{}, errBadCredentials
	}
	return crmapi.Principal{}, nil
}
