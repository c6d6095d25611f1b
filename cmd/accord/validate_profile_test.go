package main

import (
	"strings"
	"testing"
)

func TestValidateCatalogProfile(t *testing.T) {
	const fixture = "../../testdata/contracts/catalog/openapi.yaml"
	if code, _, _ := runCLI(t, "", "validate", fixture); code != exitOK {
		t.Fatalf("without the profile the fixture is valid, exit %d", code)
	}
	code, out, _ := runCLI(t, "", "validate", "--profile", "catalog", "--format", "json", fixture)
	if code != exitFailed || !strings.Contains(out, `"code": "catalog-float-money"`) || !strings.Contains(out, `"code": "catalog-no-id"`) {
		t.Fatalf("catalog profile: exit %d\n%s", code, out)
	}
	if code, _, stderr := runCLI(t, "", "validate", "--profile", "catalgo", fixture); code != exitUsage || !strings.Contains(stderr, "--profile must be catalog") {
		t.Fatalf("unknown profile: exit %d, %q", code, stderr)
	}
}
