//go:build tools

// Package tools pins the Docker Engine (github.com/moby/moby/v2: dockerd and docker-proxy) in this
// module's go.mod and go.sum, so that build.sh builds it at exactly the versions recorded here.
package tools

import (
	_ "github.com/moby/moby/v2/cmd/docker-proxy"
	_ "github.com/moby/moby/v2/cmd/dockerd"
)
