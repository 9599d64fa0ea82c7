//go:build tools

// Package tools pins the Regal linter (the version in go.mod). `go install module@version` fails when the proxy
// does not serve the module's version list (it reads it for deprecation notices); building from this module
// needs only the pinned versions, and go.sum fixes every dependency.
package tools

import _ "github.com/open-policy-agent/regal"
