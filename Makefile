# droidgate: build and install as a systemd unit set (README, "Installing as a systemd unit set").
#
#   make build                       release build, Swift stdlib linked statically (into BUILD_DIR)
#   sudo make install                build if needed, install into /, create users and dirs,
#                                    systemctl daemon-reload
#   make install DESTDIR=/tmp/root   install into a root (package, image, container); no activation
#   make install BIN_DIR=DIR         install prebuilt binaries from DIR instead of building
#   make check-units                 offline checks: systemd-analyze verify, then the security scores
#   sudo make test-systemd           boot a Debian container with systemd and test the installed set
#                                    (and, at its end, the .deb: install, upgrade under load, purge)
#   make deb                         build .build/deb/droidgate_<version>_<arch>.deb (packaging/)
#   make deb VERSION=0.1.0+test1     the same binaries with another version stamped in
#   make lint-deb                    lintian on that package (packaging/lintian.md: the result)
#   sudo make test-deb               only the .deb scenario of the container test
#
# BUILD_DIR defaults to .build; SWIFT to swift on PATH. Everything is done by the scripts
# below; this file only passes the variables on.

BUILD_DIR ?=
BIN_DIR ?=
VERSION ?=
DESTDIR ?=
SWIFT ?=

SCRIPT_ENV = DESTDIR='$(DESTDIR)' BIN_DIR='$(BIN_DIR)' BUILD_DIR='$(BUILD_DIR)' SWIFT='$(SWIFT)'
# The binaries the checks use: BIN_DIR, else the release build's.
CHECK_BIN = $(if $(BIN_DIR),$(BIN_DIR),$(if $(BUILD_DIR),$(BUILD_DIR),.build)/release)

# The .deb: make deb stamps VERSION (default: Sources/CSystem/Version.c) into copies of the
# release binaries, so another version costs no rebuild.
DEB_VERSION = $(if $(VERSION),$(VERSION),$(shell sed -n 's/.*droidgate_version_data\[64\] = "\([^"]*\)".*/\1/p' Sources/CSystem/Version.c))
DEB_ARCH = $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB = $(if $(BUILD_DIR),$(BUILD_DIR),.build)/deb/droidgate_$(DEB_VERSION)_$(DEB_ARCH).deb

.PHONY: all build install check-units test-systemd deb lint-deb test-deb

all: build

build:
	$(SCRIPT_ENV) scripts/install --build-only

install:
	$(SCRIPT_ENV) scripts/install

check-units: $(if $(BIN_DIR),,build)
	suites/systemd/verify-units '$(CHECK_BIN)'
	suites/systemd/security-check '$(CHECK_BIN)'

test-systemd: $(if $(BIN_DIR),,build)
	suites/systemd/run '$(CHECK_BIN)'

deb: $(if $(BIN_DIR),,build)
	BIN_DIR='$(CHECK_BIN)' VERSION='$(DEB_VERSION)' OUT_DIR='$(dir $(DEB))' packaging/build-deb

lint-deb: deb
	lintian --info --display-level '>=pedantic' '$(DEB)'

test-deb: $(if $(BIN_DIR),,build)
	suites/systemd/deb '$(CHECK_BIN)'
