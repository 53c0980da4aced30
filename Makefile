# droidgate: build and install as a systemd unit set (README, "Installing as a systemd unit set").
#
#   make build                       release build, Swift stdlib linked statically (into BUILD_DIR)
#   sudo make install                build if needed, install into /, create users and dirs,
#                                    systemctl daemon-reload
#   make install DESTDIR=/tmp/root   install into a root (package, image, container); no activation
#   make install BIN_DIR=DIR         install prebuilt binaries from DIR instead of building
#   make check-units                 offline checks: systemd-analyze verify, then the security scores
#   sudo make test-systemd           boot a Debian container with systemd and test the installed set
#
# BUILD_DIR defaults to .build; SWIFT to swift on PATH. Everything is done by the scripts
# below; this file only passes the variables on.

BUILD_DIR ?=
BIN_DIR ?=
DESTDIR ?=
SWIFT ?=

SCRIPT_ENV = DESTDIR='$(DESTDIR)' BIN_DIR='$(BIN_DIR)' BUILD_DIR='$(BUILD_DIR)' SWIFT='$(SWIFT)'
# The binaries the checks use: BIN_DIR, else the release build's.
CHECK_BIN = $(if $(BIN_DIR),$(BIN_DIR),$(if $(BUILD_DIR),$(BUILD_DIR),.build)/release)

.PHONY: all build install check-units test-systemd

all: build

build:
	$(SCRIPT_ENV) scripts/install --build-only

install:
	$(SCRIPT_ENV) scripts/install

check-units: $(if $(BIN_DIR),,build)
	tests/systemd/verify-units '$(CHECK_BIN)'
	tests/systemd/security-check '$(CHECK_BIN)'

test-systemd: $(if $(BIN_DIR),,build)
	tests/systemd/run '$(CHECK_BIN)'
