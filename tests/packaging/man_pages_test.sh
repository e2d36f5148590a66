#!/bin/sh
# Every man page under docs/man renders with groff's man macros without a warning, and names
# itself in its .TH line.
# Usage: man_pages_test.sh SOURCE_DIR
set -eu
src=$1
status=0
count=0
for page in "$src"/docs/man/*.[1-8]; do
  [ -e "$page" ] || continue
  count=$((count + 1))
  name=$(basename "$page")
  title=${name%.*}
  section=${name##*.}
  if ! grep -Eiq "^\.TH \"?$title\"? \"?$section\"?" "$page"; then
    echo "FAIL: $name: .TH does not name $title($section)"
    status=1
  fi
  warnings=$(LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$page" 2>&1 || true)
  if [ -n "$warnings" ]; then
    echo "FAIL: $name: groff warnings:"
    echo "$warnings"
    status=1
  fi
done
if [ "$count" -lt 3 ]; then
  echo "FAIL: expected at least 3 man pages, found $count"
  status=1
fi
[ "$status" -eq 0 ] && echo "PASS: $count man pages"
exit "$status"
