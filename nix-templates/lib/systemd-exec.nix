# Command lines for systemd's ExecStart= and friends, from argument lists (pure, builtins only).
# Shell quoting (lib.escapeShellArgs) is not enough there: a unit file is line based, so a newline in an argument
# would end the line and start a new directive, and systemd expands `%` specifiers and `$VAR` in every word,
# quoted or not. Each argument is written as a double-quoted word whose escapes systemd's own unquoting undoes
# (a JSON string literal is one: `\n`, `\"`, `\\`, `\uXXXX`), with `%` and `$` doubled so nothing is expanded.
let
  arg = value: builtins.replaceStrings [ "%" "$" ] [ "%%" "$$" ] (builtins.toJSON (toString value));
in
{
  inherit arg;
  # A whole command line: the program and its arguments, each one word.
  args = values: builtins.concatStringsSep " " (map arg values);
}
