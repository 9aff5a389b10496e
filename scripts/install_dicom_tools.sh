#!/usr/bin/env bash
# Install the DICOM checkers the tests validate written objects with: dciodvfy (dicom3tools) and
# dsrdump (DCMTK), from Debian's packages. Never fails: where apt cannot be used (no root, not
# Debian), it says why and the tests that need the tools skip with that reason.
set -uo pipefail
missing=()
command -v dciodvfy >/dev/null 2>&1 || missing+=(dicom3tools)
command -v dsrdump >/dev/null 2>&1 || missing+=(dcmtk)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_dicom_tools: no apt-get here; install ${missing[*]} yourself (the DICOM validation tests skip)."
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install_dicom_tools: not root; run 'sudo apt-get install ${missing[*]}' (the DICOM validation tests skip)."
  exit 0
fi
install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; }
if ! install; then
  # A fresh machine has no package lists yet.
  apt-get update -q >/dev/null 2>&1
  install || echo "install_dicom_tools: apt-get could not install ${missing[*]} (the DICOM validation tests skip)."
fi
exit 0
