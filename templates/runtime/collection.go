package runtime

import (
	"context"
	"iter"
)

// Collection is one catalog entity (customers, invoices) of a system, with
// the same five operations whatever system serves it: a local catalog
// syncs from any CRM through this interface, and a test fakes it with a
// map. T is the entity, C what creates one, U what updates one. Errors are
// the client's own (typed, with errors.As); operations that only one
// system has stay methods of its client.
type Collection[T, C, U any] interface {
	Create(ctx context.Context, in C) (*T, error)
	Get(ctx context.Context, id string) (*T, error)
	Update(ctx context.Context, id string, in U) (*T, error)
	Delete(ctx context.Context, id string) error
	// List yields every entity, page after page where the API pages; it
	// stops at the first error, which it yields.
	List(ctx context.Context) iter.Seq2[T, error]
}

// CollectionFuncs are the five operations of a Collection as functions;
// generated clients fill them in (<Things>Collection) and NewCollection
// turns them into the interface.
type CollectionFuncs[T, C, U any] struct {
	CreateFunc func(ctx context.Context, in C) (*T, error)
	GetFunc    func(ctx context.Context, id string) (*T, error)
	UpdateFunc func(ctx context.Context, id string, in U) (*T, error)
	DeleteFunc func(ctx context.Context, id string) error
	ListFunc   func(ctx context.Context) iter.Seq2[T, error]
}

// NewCollection returns f as a Collection.
func NewCollection[T, C, U any](f CollectionFuncs[T, C, U]) Collection[T, C, U] {
	return collection[T, C, U]{f}
}

type collection[T, C, U any] struct{ f CollectionFuncs[T, C, U] }

func (c collection[T, C, U]) Create(ctx context.Context, in C) (*T, error) {
	return c.f.CreateFunc(ctx, in)
}

func (c collection[T, C, U]) Get(ctx context.Context, id string) (*T, error) {
	return c.f.GetFunc(ctx, id)
}

func (c collection[T, C, U]) Update(ctx context.Context, id string, in U) (*T, error) {
	return c.f.UpdateFunc(ctx, id, in)
}

func (c collection[T, C, U]) Delete(ctx context.Context, id string) error {
	return c.f.DeleteFunc(ctx, id)
}

func (c collection[T, C, U]) List(ctx context.Context) iter.Seq2[T, error] {
	return c.f.ListFunc(ctx)
}
