//go:build tools

// Package tools pins the Pulumi CLI (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) in this module's
// go.mod and go.sum, so that build.sh builds it at exactly the versions recorded here.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
