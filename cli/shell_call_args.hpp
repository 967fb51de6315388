// Command lines and call arguments as aster-cli 0.1.2's shell reads them
// (aster-rpc@0972ac9:cli/aster_cli/shell/app.py `_tokenize`, commands.py `_parse_call_args`):
//   ./sayHello name="World" count=5        key=value, values JSON-parsed when they parse
//   ./put '{"path": "a", "data": "AAE="}'  a leading `{`: the whole line is one JSON object
//   ./echo dims.width=1.5 tags='["a","b"]' dotted keys nest; JSON lists/objects quoted
//   ./sayHello World                       one bare value: {"_positional": "World"}
#pragma once

#include <string>
#include <vector>

#include "aster/status.hpp"
#include "shell_peer.hpp"

namespace aster::cli {

// POSIX shell quoting (Python's shlex.split); unbalanced quotes → plain whitespace split.
std::vector<std::string> tokenize(const std::string& line);

// 0.1.2's _parse_call_args. kInvalidArgument for a dotted key that collides with a value
// (`a=1 a.b=2`), which 0.1.2 reports as a Python TypeError.
Result<Json> parse_call_args(const std::vector<std::string>& args);

// Ours, on top of 0.1.2: the call arguments of a command line (`./get {"sku": "a b"}` or
// `get '{"sku": "a"}'`). When the text after the command word, as typed, is one JSON object,
// that object is the only argument: 0.1.2 tokenizes first, which strips the double quotes of
// an unquoted object (`{sku: a b}`), so it sent `{"_positional": "{sku:"...}` instead. Else the
// tokens after the first, as 0.1.2 reads them.
std::vector<std::string> call_args_of_line(const std::string& line);

// Ours, on top of 0.1.2: `tokenize`, except that an unquoted `key=` followed by a JSON object
// or array as typed (`origin={"x": 1, "y": 2}`, `tags=["a", "b"]`) is one token holding that
// JSON. tokenize would strip its double quotes (`origin={x:1,y:2}`), which then went out as a
// string; text that does not parse as JSON there is tokenized as 0.1.2 does.
std::vector<std::string> argument_tokens(const std::string& text);

// Ours, on top of 0.1.2: `_positional` / `_argN` go to the method's fields in order (0.1.2
// drops them for Fory peers), and a top-level value for a `string` field that JSON-parsed as a
// number or a boolean (`name=123`) is sent as the text the user typed.
Json fit_to_fields(Json payload, const ShellMethod& method);

}  // namespace aster::cli
