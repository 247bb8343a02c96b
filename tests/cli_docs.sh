#!/usr/bin/env bash
# docs/DESIGN.md keeps telling the truth about the binary: its key table lists every key of
# `wb config --defaults` with the same default, its command-line block names every command of
# `wb --help`, and README.md links to it.
. tests/cli_lib.sh

design=docs/DESIGN.md
check "docs/DESIGN.md exists" test -f "$design"
check "README links to docs/DESIGN.md" grep -q '(docs/DESIGN.md)' README.md

# Every key and its default, as `wb config --defaults` prints them ("; name =" for sweep.name,
# whose default is the file's name).
section=
while IFS= read -r line; do
  case "$line" in
    '['*']') section=${line#[}; section=${section%]} ;;
    '; name ='*) key=$section.name
                 grep -q "^| \`$key\` |" "$design" || fail "docs/DESIGN.md's key table lacks $key" ;;
    ';'*|'') ;;
    *' = '*)
      key=$section.${line%% = *}; value=${line#* = }
      row=$(grep "^| \`$key\` |" "$design")
      if [ -z "$row" ]; then fail "docs/DESIGN.md's key table lacks $key"
      else
        default=$(printf '%s' "$row" | awk -F'|' '{ gsub(/^ *`?|`? *$/, "", $3); print $3 }')
        # the table may write a real as 1.0 where the INI prints 1
        if [ "$default" != "$value" ] && ! awk -v a="$default" -v b="$value" 'BEGIN { exit !(a + 0 == b + 0 && a ~ /^[0-9.]+$/) }'; then
          fail "docs/DESIGN.md gives $key the default '$default', wb config --defaults '$value'"
        fi
      fi ;;
  esac
done < <("$WB" config --defaults)
nkeys=$(grep -c '^| `[a-z]*\.[a-z_]*` |' "$design")
eq "as many keys in docs/DESIGN.md's table as the binary has" "$nkeys" \
   "$("$WB" config --defaults | grep -cE '^(; name =|[a-z_]+ = )')"

# Every command of `wb --help` has its line in the command-line block.
for cmd in $("$WB" --help | awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }'); do
  grep -q "^wb $cmd " "$design" || fail "docs/DESIGN.md's command line lacks wb $cmd"
done
finish
