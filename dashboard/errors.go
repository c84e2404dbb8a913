package dashboard

import "errors"

// ErrNotFound reports an unknown sweep or trial.
var ErrNotFound = errors.New("not found")
