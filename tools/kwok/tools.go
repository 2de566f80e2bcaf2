//go:build tools

// Package tools pins the kwok controller (sigs.k8s.io/kwok/cmd/kwok) for scripts/ensure-tools.sh. It is
// a module of its own so kwok's k8s.io/* versions never meet the ones pinned in tools/k8s.
package tools

import (
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
