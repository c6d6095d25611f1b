package runtime

import "testing"

func TestPtr(t *testing.T) {
	type params struct {
		Limit  *int
		Cursor *string
	}
	p := params{Limit: Ptr(20), Cursor: Ptr("c_1")}
	if *p.Limit != 20 || *p.Cursor != "c_1" {
		t.Fatalf("Ptr: %d %q", *p.Limit, *p.Cursor)
	}
	// Each call points at its own copy: changing one value changes no other.
	v := 1
	a, b := Ptr(v), Ptr(v)
	*a = 2
	if a == b || *b != 1 || v != 1 {
		t.Fatalf("Ptr shares storage: a=%d b=%d v=%d", *a, *b, v)
	}
}
