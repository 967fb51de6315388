#include "shell_call_args.hpp"

#include "aster/contract/manifest_types.hpp"

#include <cctype>

namespace aster::cli {
namespace {

std::vector<std::string> whitespace_split(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// Python's str.strip("'\"").
std::string strip_quotes(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == '\'' || s[b] == '"')) ++b;
  while (e > b && (s[e - 1] == '\'' || s[e - 1] == '"')) --e;
  return s.substr(b, e - b);
}

Json json_or_string(const std::string& text) {
  // json.loads accepts surrounding whitespace and the NaN/Infinity tokens; nlohmann neither.
  try {
    return Json::parse(text);
  } catch (const std::exception&) {
    return Json(text);
  }
}

Status set_nested(Json& root, const std::string& dotted, Json value) {
  Json* node = &root;
  size_t start = 0;
  while (true) {
    const size_t dot = dotted.find('.', start);
    const std::string key = dotted.substr(start, dot == std::string::npos ? dot : dot - start);
    if (dot == std::string::npos) {
      (*node)[key] = std::move(value);
      return Status::ok();
    }
    if (!node->contains(key)) (*node)[key] = Json::object();
    node = &(*node)[key];
    if (!node->is_object()) {
      return Status(StatusCode::kInvalidArgument,
                    "'" + dotted.substr(0, dot) + "' is a value, not an object: cannot set '" +
                        dotted + "'");
    }
    start = dot + 1;
  }
}

// Where the JSON object or array that starts at `open` ends (one past its closing bracket),
// or npos when the brackets do not balance before the end of the text.
size_t json_extent(const std::string& text, size_t open) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = open; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::string::npos;
}

// At a token start: the end of `key={...}` / `key=[...]` (a key of letters, digits, `_`, `.`)
// when the value is JSON and the token ends with it; else npos.
size_t json_assignment_end(const std::string& text, size_t start) {
  size_t i = start;
  while (i < text.size() &&
         (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_' || text[i] == '.'))
    ++i;
  if (i == start || i + 1 >= text.size() || text[i] != '=') return std::string::npos;
  const size_t open = i + 1;
  if (text[open] != '{' && text[open] != '[') return std::string::npos;
  const size_t end = json_extent(text, open);
  if (end == std::string::npos) return end;
  if (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])))
    return std::string::npos;
  if (!Json::accept(text.substr(open, end - open))) return std::string::npos;
  return end;
}

}  // namespace

std::vector<std::string> argument_tokens(const std::string& text) {
  std::vector<std::string> out;
  size_t plain = 0;  // the start of the text not yet tokenized
  enum { kNone, kSingle, kDouble } quote = kNone;
  bool token_start = true;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != kNone) {
      if (quote == kDouble && c == '\\') {
        ++i;
      } else if (c == (quote == kSingle ? '\'' : '"')) {
        quote = kNone;
      }
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      token_start = true;
      continue;
    }
    if (token_start) {
      token_start = false;
      if (const size_t end = json_assignment_end(text, i); end != std::string::npos) {
        for (auto& t : tokenize(text.substr(plain, i - plain))) out.push_back(std::move(t));
        out.push_back(text.substr(i, end - i));
        plain = end;
        i = end - 1;
        continue;
      }
    }
    if (c == '\'') {
      quote = kSingle;
    } else if (c == '"') {
      quote = kDouble;
    } else if (c == '\\') {
      ++i;
    }
  }
  for (auto& t : tokenize(text.substr(plain))) out.push_back(std::move(t));
  return out;
}

std::vector<std::string> tokenize(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool in_token = false;
  enum { kNone, kSingle, kDouble } quote = kNone;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote == kSingle) {
      if (c == '\'') {
        quote = kNone;
      } else {
        cur += c;
      }
    } else if (quote == kDouble) {
      if (c == '"') {
        quote = kNone;
      } else if (c == '\\' && i + 1 < line.size() &&
                 (line[i + 1] == '\\' || line[i + 1] == '"' || line[i + 1] == '$' ||
                  line[i + 1] == '`')) {
        cur += line[++i];
      } else {
        cur += c;
      }
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_token) out.push_back(std::move(cur));
      cur.clear();
      in_token = false;
    } else if (c == '\'') {
      quote = kSingle;
      in_token = true;
    } else if (c == '"') {
      quote = kDouble;
      in_token = true;
    } else if (c == '\\') {
      if (i + 1 >= line.size()) return whitespace_split(line);  // "No escaped character"
      cur += line[++i];
      in_token = true;
    } else {
      cur += c;
      in_token = true;
    }
  }
  if (quote != kNone) return whitespace_split(line);  // "No closing quotation"
  if (in_token) out.push_back(std::move(cur));
  return out;
}

std::vector<std::string> call_args_of_line(const std::string& line) {
  size_t start = line.find_first_not_of(" \t");
  if (start != std::string::npos) {
    const size_t command_end = line.find_first_of(" \t", start);
    if (command_end != std::string::npos) {
      const size_t rest = line.find_first_not_of(" \t", command_end);
      if (rest != std::string::npos && line[rest] == '{') {
        const size_t last = line.find_last_not_of(" \t");
        std::string object = line.substr(rest, last + 1 - rest);
        try {
          if (Json::parse(object).is_object()) return {std::move(object)};
        } catch (const std::exception&) {
        }
      }
    }
  }
  auto parts = argument_tokens(line);
  if (parts.empty()) return {};
  return {parts.begin() + 1, parts.end()};
}

Result<Json> parse_call_args(const std::vector<std::string>& args) {
  Json result = Json::object();
  if (args.empty()) return result;
  std::string joined;
  for (const auto& a : args) joined += (joined.empty() ? "" : " ") + a;
  if (!joined.empty() && joined[0] == '{') {
    try {
      Json j = Json::parse(joined);
      if (j.is_object()) return j;
    } catch (const std::exception&) {
    }
  }
  std::vector<std::string> positional;
  for (const auto& arg : args) {
    const size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      ASTER_RETURN_IF_ERROR(
          set_nested(result, arg.substr(0, eq), json_or_string(strip_quotes(arg.substr(eq + 1)))));
    } else {
      positional.push_back(strip_quotes(arg));
    }
  }
  if (!positional.empty() && !result.empty()) {
    // Stray words continue the last value: `msg=hello world`.
    auto last = std::prev(result.end());
    std::string text = last.value().is_string() ? last.value().get<std::string>()
                                                : last.value().dump();
    for (const auto& p : positional) text += " " + p;
    last.value() = text;
  }
  if (!positional.empty() && result.empty()) {
    if (positional.size() == 1) return Json{{"_positional", json_or_string(positional[0])}};
    for (size_t i = 0; i < positional.size(); ++i) {
      result["_arg" + std::to_string(i)] = positional[i];
    }
  }
  return result;
}

Json fit_to_fields(Json payload, const ShellMethod& method) {
  // A method taking a builtin (`n: int`) takes the value itself: `./square 7`, or one
  // `n=7` for a scalar. 0.1.2's shell sends {"_positional": 7}, which such a handler cannot use.
  if (const codec::TypeRef builtin = contract::python_builtin_type(method.request_type);
      builtin && method.fields.empty() && payload.is_object() && payload.size() == 1) {
    const bool scalar = builtin->kind != codec::TypeKind::kAny;
    if (payload.contains("_positional") || scalar) return payload.begin().value();
  }
  if (!payload.is_object() || method.fields.empty()) return payload;
  Json out = Json::object();
  size_t next_field = 0;
  auto field_for_positional = [&]() -> const contract::FieldSchema* {
    while (next_field < method.fields.size()) {
      const auto* f = &method.fields[next_field++];
      if (!payload.contains(f->name)) return f;
    }
    return nullptr;
  };
  for (auto it = payload.begin(); it != payload.end(); ++it) {
    const std::string& key = it.key();
    if (key == "_positional" || (key.rfind("_arg", 0) == 0 && key.size() > 4 &&
                                 std::isdigit(static_cast<unsigned char>(key[4])))) {
      if (const auto* f = field_for_positional()) {
        out[f->name] = it.value();
        continue;
      }
    }
    out[key] = it.value();
  }
  // Only scalars: 0.1.2's manifest also says "string" for the types it cannot classify
  // (contract/manifest.py `_classify_type`), a `set[str]` among them, whose list the encoder
  // takes from the type blobs; a list or object typed for a true `str` field gets the
  // encoder's type error, which names the field.
  for (const auto& f : method.fields) {
    if (f.kind != "string" || !out.contains(f.name)) continue;
    Json& v = out[f.name];
    if (v.is_number() || v.is_boolean()) v = v.dump();
  }
  return out;
}

}  // namespace aster::cli
