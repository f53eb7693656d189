# netbox-sso: build, test and package. `make test` runs everything CI runs.
SHELL := /bin/bash
GO ?= go
# One version for the binary and the Helm plugin: scripts/version.sh makes it (from VERSION when given, as in
# `make VERSION=1.2.0 build`, else from git) and always as "v" + semver.
FULL_VERSION := $(shell VERSION='$(VERSION)' scripts/version.sh)
LDFLAGS := -s -w -X github.com/netbox-sso/netbox-sso/internal/cli.Version=$(FULL_VERSION)
export CGO_ENABLED ?= 0

.PHONY: all version build test check go-test python-test mutation fuzz bench integration examples-render e2e e2e-setup golden tools helm-plugin demo clean

all: build

# Always runs go build (its cache makes that quick), so the binary carries the current version.
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/netbox-sso .

# The one command that shows it working: the example release, before and after.
demo: build
	./bin/netbox-sso explain --config examples/basic/sso.yaml examples/basic/netbox.yaml

# Everything: Go unit and golden tests, the Python login module's tests, a short run of every fuzz target, the
# real deploy tools, and the end-to-end login proof against real Keycloak and NetBox.
test: check fuzz integration e2e

# The quick loop: Go unit and golden tests plus the Python module's tests.
check: go-test python-test

# The real netbox-chart renders some tests replay (internal/testfixtures): a fresh clone has none, and those tests
# skip (go test -v shows each reason); under CI=true they fail instead.
FIXTURES := $(or $(NETBOX_SSO_FIXTURES),../shared/fixtures/netbox-chart)
define fixtures-note
@[ -d "$(FIXTURES)" ] || echo "!!! no netbox-chart renders at $(FIXTURES): the tests that replay them are SKIPPED$(if $(CI), and FAIL under CI,) (set NETBOX_SSO_FIXTURES to their folder) !!!"
endef

go-test:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(fixtures-note)
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /integration)
	$(fixtures-note)

python-test:
	python/run-tests.sh

# Mutation run over the login module (python/README.md): score and surviving mutants; fails below 90%. Slow, so
# not part of test.
mutation:
	python/mutation/run.sh

# Rewrites testdata/*/expected*: review the change with git diff before committing it.
golden:
	$(GO) test ./internal/cli -run TestGolden -update

tools:
	scripts/install-tools.sh

integration: tools build
	$(GO) test -count=1 -v ./integration/...

# Rewrites examples/{kustomize,kpt}/netbox.yaml after a change of examples/helm3/netbox-demo.
examples-render: tools
	$(GO) test -count=1 ./integration -run TestExampleRendersUpToDate -update

# Needs root, and ports 5432, 6379, 8080, 8443 and 18080 on loopback. Runs the scenarios on NetBox 4.4.8 (from
# ../shared/netbox-src) and 4.7.3. e2e/README.md has the details.
e2e: build
	bash e2e/run.sh

e2e-setup:
	bash e2e/setup.sh

# Each fuzz target for FUZZTIME (CI runs them briefly; run them longer before a release). FUZZMINIMIZETIME=0: Go
# does not minimize each input that finds new code, which runs the target once per byte it tries to remove and,
# with the 5 KB release renders, left FuzzTransformManifests at about 1 exec/s (about 1,500/s without); a failing
# input is written as found. scripts/fuzz.sh tells a finding from Go 1.26's end-of-run race (golang/go#75804).
FUZZTIME ?= 10s
FUZZMINIMIZETIME ?= 0
FUZZ_TARGETS := ./manifest:FuzzManifestRoundTrip ./config:FuzzParse ./schema:FuzzInterpreterAgreesWithReference \
	./internal/cli:FuzzTransformManifests ./internal/cli:FuzzTransformConfig
fuzz:
	GO=$(GO) scripts/fuzz.sh $(FUZZTIME) $(FUZZMINIMIZETIME) $(FUZZ_TARGETS)

# Whole-process timings against the kyaml floor and kustomize, and the in-process Go benchmarks.
bench:
	bench/run.sh

# The plugin carries bin/netbox-sso itself, so both report the same version.
helm-plugin: build
	VERSION=$(FULL_VERSION) NETBOX_SSO_BINARY=bin/netbox-sso scripts/helm-plugin.sh

version:
	@echo $(FULL_VERSION)

clean:
	rm -rf bin dist
