package generator

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedRoutesSource serves the shared-routes case with its generated
// server and calls every operation with its generated client over loopback.
const sharedRoutesSource = `package api

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
)

type contacts struct{}

func (contacts) GetContactByID(_ context.Context, r GetContactByIDRequestObject) (GetContactByIDResponseObject, error) {
	return GetContactByID200JSONResponse{Id: "by-id:" + r.ContactID}, nil
}

func (contacts) GetContactByNumber(_ context.Context, r GetContactByNumberRequestObject) (GetContactByNumberResponseObject, error) {
	return GetContactByNumber200JSONResponse{Id: "by-number:" + r.ContactNumber}, nil
}

func (contacts) GetB(_ context.Context, r GetBRequestObject) (GetBResponseObject, error) {
	return GetB200JSONResponse{Id: "b:" + r.Y}, nil
}

func (contacts) GetC(_ context.Context, r GetCRequestObject) (GetCResponseObject, error) {
	return GetC200JSONResponse{Id: "c:" + r.X}, nil
}

func (contacts) GetExport(_ context.Context, r GetExportRequestObject) (GetExportResponseObject, error) {
	return GetExport200JSONResponse{Id: "export:" + r.Format}, nil
}

func TestSharedRoutes(t *testing.T) {
	// NewServer panicked here before: http.ServeMux refuses both pairs.
	srv := httptest.NewServer(NewServer(contacts{}))
	defer srv.Close()
	c, err := NewClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	byID, err := c.GetContactByID(ctx, "7")
	if err != nil || byID == nil || byID.Id != "by-id:7" {
		t.Fatalf("getContactByID: %v %+v", err, byID)
	}
	// The client sends the other operation's request as the contract
	// writes it; the server's one pattern hands it to GetContactByID.
	byNumber, err := c.GetContactByNumber(ctx, "CN-42")
	if err != nil || byNumber == nil || byNumber.Id != "by-id:CN-42" {
		t.Fatalf("getContactByNumber: %v %+v", err, byNumber)
	}
	b, err := c.GetB(ctx, "q")
	if err != nil || b == nil || b.Id != "b:q" {
		t.Fatalf("getB: %v %+v", err, b)
	}
	// getC overlaps getB and is left out of the server: its request is
	// sent, and the server answers that no route serves it.
	if _, err := c.GetC(ctx, "z"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("getC: %v, want the server's 404", err)
	}
	// http.ServeMux cannot route /exports.{format}: the same, not a panic.
	if _, err := c.GetExport(ctx, "csv"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("getExport: %v, want the server's 404", err)
	}
}
`

// TestSharedRoutesExercised builds the shared-routes case (paths that
// differ only in parameter names, paths that overlap) and runs its server
// and client against each other.
func TestSharedRoutesExercised(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs generated code")
	}
	mod := t.TempDir()
	writeTestModule(t, mod)
	writeGenerated(t, mod, "api", genCase(t, filepath.Join(casesDir, "shared-routes")), nil)
	if err := os.WriteFile(filepath.Join(mod, "api", "routes_test.go"), []byte(sharedRoutesSource), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := goCmd(t, mod, "test", "./api/"); err != nil {
		t.Fatalf("go test: %v\n%s", err, out)
	}
}

func TestRouteShape(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"/contacts/{ContactID}", "/contacts/{ContactNumber}", true},
		{"/a/{x}/c", "/a/b/{y}", false},
		{"/files/{rest...}", "/files/{path...}", true},
		{"/files/{rest...}", "/files/{name}", false},
		{"/dir/{$}", "/dir/{$}", true},
	} {
		if got := routeShape("GET", c.a) == routeShape("GET", c.b); got != c.same {
			t.Errorf("%s vs %s: same shape %v, want %v", c.a, c.b, got, c.same)
		}
	}
}
