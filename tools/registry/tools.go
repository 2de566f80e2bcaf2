//go:build tools

// Pins the CNCF Distribution registry, the OCI registry the tests push Helm charts to (helm push) and
// pull them from (helm pull, tag listing), optionally behind htpasswd basic auth.
package tools

import _ "github.com/distribution/distribution/v3/cmd/registry"
