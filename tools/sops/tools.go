//go:build tools

// Pins the sops CLI (decrypts SOPS-encrypted project files) and age-keygen (tests generate age key
// pairs with it); age comes in at the version sops itself requires.
package tools

import (
	_ "filippo.io/age/cmd/age-keygen"
	_ "github.com/getsops/sops/v3/cmd/sops"
)
