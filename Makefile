# Vigil's build and test entry points. `make test` is what CI runs: it
# installs what the tests need from Debian's packages when missing, then
# runs gofmt, go vet, staticcheck and the whole test suite.

GO            ?= go
STATICCHECK    = honnef.co/go/tools/cmd/staticcheck@v0.8.2
BIN           := $(CURDIR)/bin
# Test dependencies come from Debian's packages: PostgreSQL server binaries
# (store conformance suite, API tests on PostgreSQL), Chromium with a font
# (browser tests), slapd and ldap-utils (the LDAP integration), MariaDB (the
# MySQL integration), poppler-utils (pdftotext reads the policy exports' PDFs
# back in their tests).

.PHONY: test deps lint unit build bench clean

test: deps lint unit

build:
	$(GO) build -o $(BIN)/vigil ./cmd/vigil

# deps installs missing test dependencies. It needs root and apt; without
# them it says what is missing and the tests that need it will fail loudly.
deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	test -d /usr/share/fonts/truetype/dejavu || missing="$$missing fonts-dejavu-core"; \
	test -x /usr/sbin/slapd || missing="$$missing slapd"; \
	command -v ldapsearch >/dev/null || missing="$$missing ldap-utils"; \
	test -x /usr/sbin/mariadbd || missing="$$missing mariadb-server"; \
	command -v git >/dev/null || missing="$$missing git"; \
	command -v gpg >/dev/null || missing="$$missing gpg"; \
	command -v ssh-keygen >/dev/null || missing="$$missing openssh-client"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	command -v moto_server >/dev/null || echo "moto_server (S3 tests) is missing and is not a Debian package: install moto[server] with pip"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "missing test dependencies:$$missing (install them with apt-get as root)"; \
		fi; \
	fi
	@test -x $(BIN)/staticcheck || GOBIN=$(BIN) GOFLAGS= $(GO) install $(STATICCHECK)

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(BIN)/staticcheck ./...

unit:
	$(GO) run ./cmd/vigil checks test
	$(GO) test -count=1 -timeout 30m ./...

bench:
	bench/run.sh
	bench/scan-compare.sh

clean:
	rm -rf $(BIN)
