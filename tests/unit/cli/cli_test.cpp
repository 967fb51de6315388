#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <utility>

#include "aster/contract/identity.hpp"
#include "contract_export.hpp"
#include "help_format.hpp"
#include "seconds_option.hpp"
#include "shell_call_args.hpp"
#include "shell_display.hpp"
#include "shell_line_editor.hpp"
#include "terminal_text.hpp"

namespace aster::cli {
namespace {

TEST(EscapeForTerminal, PrintableUtf8PassesThrough) {
  EXPECT_EQ(escape_for_terminal("HelloService v1 (session)"), "HelloService v1 (session)");
  EXPECT_EQ(escape_for_terminal("Grüße, 世界 🚀"), "Grüße, 世界 🚀");
}

TEST(EscapeForTerminal, ControlCharactersCannotReachTheTerminal) {
  // Clear screen, set the window title, forge a row, ring the bell.
  EXPECT_EQ(escape_for_terminal("\x1b[2J\x1b]0;pwned\x07"), "\\x1b[2J\\x1b]0;pwned\\x07");
  EXPECT_EQ(escape_for_terminal("a\rFake\nRow\tx"), "a\\rFake\\nRow\\tx");
  EXPECT_EQ(escape_for_terminal(std::string("nul\0del\x7f", 8)), "nul\\x00del\\x7f");
  EXPECT_EQ(escape_for_terminal("back\\slash"), "back\\\\slash");  // unambiguous
}

TEST(EscapeForTerminal, C1ControlsBidiOverridesAndBadUtf8AreEscaped) {
  EXPECT_EQ(escape_for_terminal("\xc2\x9b" "2J"), "\\u009b2J");  // 8-bit CSI
  EXPECT_EQ(escape_for_terminal("abc\xe2\x80\xae" "fed"), "abc\\u202efed");  // RLO
  EXPECT_EQ(escape_for_terminal("\xe2\x81\xa6x"), "\\u2066x");  // LRI
  EXPECT_EQ(escape_for_terminal("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(escape_for_terminal("\xc0\xaf"), "\\xc0\\xaf");          // overlong '/'
  EXPECT_EQ(escape_for_terminal("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(escape_for_terminal("\xe4\xb8"), "\\xe4\\xb8");          // cut sequence
}

TEST(Seconds, AcceptsDecimalNumbersInRange) {
  EXPECT_EQ(parse_seconds("10").value(), 10.0);
  EXPECT_EQ(parse_seconds("0.5").value(), 0.5);
  EXPECT_EQ(parse_seconds("2e1").value(), 20.0);
  EXPECT_EQ(parse_seconds("0.001").value(), 0.001);
  EXPECT_EQ(parse_seconds("86400").value(), 86400.0);
}

TEST(Seconds, RejectsWhatIsNotASaneDuration) {
  for (const char* text : {"nan", "NaN", "inf", "-inf", "1e300", "1e10", "0", "-1", "0.0001",
                           "86401", "", " 10", "10s", "0x10", "ten"}) {
    auto parsed = parse_seconds(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.status().message(),
              std::string("expected a number of seconds from 0.001 to 86400, got '") + text +
                  "'");
  }
  // A long argument is cut in the message.
  auto long_text = parse_seconds(std::string(5000, '9'));
  ASSERT_FALSE(long_text);
  EXPECT_LT(long_text.status().message().size(), 100u);
}

TEST(Seconds, ConversionSaturates) {
  using std::chrono::milliseconds;
  EXPECT_EQ(saturating_milliseconds(10), milliseconds(10'000));
  EXPECT_EQ(saturating_milliseconds(0.0015), milliseconds(2));
  EXPECT_EQ(saturating_milliseconds(1e300), milliseconds::max());
  EXPECT_EQ(saturating_milliseconds(1e10), milliseconds(10'000'000'000'000));
  EXPECT_EQ(saturating_milliseconds(-1e300), milliseconds::min());
  EXPECT_EQ(saturating_milliseconds(std::numeric_limits<double>::infinity()), milliseconds::max());
  EXPECT_EQ(saturating_milliseconds(std::nan("")), milliseconds(0));
}

TEST(HelpFormatter, SpeaksPlainWords) {
  CLI::App app{"demo", "demo"};
  double timeout = 10;
  std::string path;
  std::string input;
  app.add_option("--timeout", timeout, "seconds to wait")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--manifest", path, "the manifest")->required();
  app.add_option("--keep", path, "manifest.json as written");
  app.add_option("input", input, "what to read")->required();
  apply_help_style(app);
  const std::string help = app.help();
  EXPECT_EQ(help.find("FLOAT"), std::string::npos) << help;
  EXPECT_EQ(help.find("POSITIVE"), std::string::npos) << help;
  EXPECT_EQ(help.find("REQUIRED"), std::string::npos) << help;
  EXPECT_EQ(help.find("=10"), std::string::npos) << help;
  EXPECT_NE(help.find("--timeout NUMBER"), std::string::npos) << help;
  EXPECT_NE(help.find("--manifest MANIFEST"), std::string::npos) << help;
  EXPECT_NE(help.find("Seconds to wait (default: 10)"), std::string::npos) << help;
  EXPECT_NE(help.find("The manifest (required)"), std::string::npos) << help;
  EXPECT_NE(help.find("What to read"), std::string::npos) << help;
  EXPECT_NE(help.find("manifest.json as written"), std::string::npos) << help;
}

// aster-cli 0.1.2's `_export_to_json(_manifest_to_export(m))` for this input, as its Python
// printed it: fixed keys first, extra keys sorted, methods and fields by name, legacy field
// keys in 0.1.2's order, non-lists kept, floats in repr form, a control character escaped,
// non-ASCII (and U+2028) kept, defaults filled in.
TEST(ContractExportForm, ExportFormIs012sByteForByte) {
  const std::string manifest = R"({"zz": 1, "contract_id": "ab", "service": "S\u00e9",
      "methods": [{"zeta": true, "name": "b", "alpha": [1e-05, 2.50, 1E20],
                   "fields": [{"x": 1, "default": "t\u0001\u2028", "name": "y", "type": "str",
                               "required": false},
                              {"name": "a", "kind": "int"}]},
                  {"name": "a", "response_fields": "odd", "pattern": "unary"}],
      "type_hashes": ["b", "a"], "version": 7})";
  auto manifests = manifests_in_file(manifest);
  ASSERT_TRUE(manifests.is_ok()) << manifests.status().to_string();
  ASSERT_EQ(manifests->size(), 1u);
  auto doc = export_form(manifests->front());
  ASSERT_TRUE(doc.is_ok()) << doc.status().to_string();
  EXPECT_EQ(export_text(*doc), R"({
  "aster_contract": "1",
  "service": "Sé",
  "version": 7,
  "contract_id": "blake3:ab",
  "canonical_encoding": "fory-xlang/0.15",
  "scoped": "shared",
  "serialization_modes": [
    "xlang"
  ],
  "methods": [
    {
      "name": "a",
      "pattern": "unary",
      "response_fields": "odd"
    },
    {
      "name": "b",
      "fields": [
        {
          "name": "a",
          "kind": "int"
        },
        {
          "name": "y",
          "type": "str",
          "required": false,
          "default": "t\u0001 ",
          "x": 1
        }
      ],
      "alpha": [
        1e-05,
        2.5,
        1e+20
      ],
      "zeta": true
    }
  ],
  "type_hashes": [
    "a",
    "b"
  ],
  "type_count": 0,
  "method_count": 2,
  "semver": null,
  "deprecated": false
}
)");
}

TEST(ContractExportForm, RefusesWhat012CannotExportAndUnsafeFileNames) {
  auto no_service = export_form(OrderedJson::parse(R"({"contract_id": "a"})"));
  EXPECT_EQ(no_service.status().message(), "$.service: missing or not a string");
  auto bad_method = export_form(OrderedJson::parse(R"({"service": "S", "contract_id": "a",
                                                       "methods": [{"name": "m"}, 3]})"));
  EXPECT_EQ(bad_method.status().message(), "$.methods[1]: not an object");
  auto mixed = export_form(OrderedJson::parse(R"({"service": "S", "contract_id": "a",
                                                  "type_hashes": ["a", 1]})"));
  EXPECT_FALSE(mixed.is_ok());
  auto array = manifests_in_file(R"([{"service": "A"}, {"service": "B"}])");
  ASSERT_TRUE(array.is_ok());
  EXPECT_EQ(array->size(), 2u);
  EXPECT_FALSE(manifests_in_file("{").is_ok());
  EXPECT_EQ(*export_file_name("Catalog"), "Catalog.aster.json");
  for (const char* bad : {"", ".", "..", "../x", "a/b", "a\\b"}) {
    EXPECT_FALSE(export_file_name(bad).is_ok()) << bad;
  }
}

TEST(ContractExportForm, RecomputingNeedsTheTypeBlobsOfTheMethodsWireTags) {
  auto doc = OrderedJson::parse(R"({"aster_contract": "1", "service": "S", "version": 2,
      "contract_id": "blake3:00", "methods": [{"name": "m", "request_wire_tag": "ns/Req",
      "response_type": "int"}]})");
  auto missing = recompute_contract_id(doc, {});
  EXPECT_EQ(missing.status().message(),
            "$.methods[0]: no type blob for request_wire_tag 'ns/Req'");
  contract::TypeBlob blob;
  blob.type_def.package = "ns";
  blob.type_def.name = "Req";
  blob.hash = contract::type_hash(blob.type_def);
  auto r = recompute_contract_id(doc, {blob});
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_FALSE(r->matches_claim);
  EXPECT_EQ(r->contract_id.size(), 64u);
  doc["contract_id"] = "blake3:" + r->contract_id;  // the id its contents give
  EXPECT_TRUE(recompute_contract_id(doc, {blob})->matches_claim);
  doc["methods"][0]["idempotent"] = true;  // any change to the contents changes the id
  EXPECT_FALSE(recompute_contract_id(doc, {blob})->matches_claim);
  doc["methods"][0]["idempotent"] = "yes";  // a key of the wrong JSON type: an error, no throw
  EXPECT_EQ(recompute_contract_id(doc, {blob}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace aster::cli

// `aster shell`'s command lines and call arguments, as aster-cli 0.1.2's shell reads them
// (aster-rpc@0972ac9:cli/aster_cli/shell/app.py `_tokenize`, commands.py `_parse_call_args`).
TEST(ShellTokenize, PosixQuotingAsShlex) {
  using aster::cli::tokenize;
  EXPECT_EQ(tokenize(R"(./sayHello name="World" x='a b' c\ d)"),
            (std::vector<std::string>{"./sayHello", "name=World", "x=a b", "c d"}));
  EXPECT_EQ(tokenize(R"(tags='["a","b"]')"), (std::vector<std::string>{R"(tags=["a","b"])"}));
  EXPECT_EQ(tokenize(R"(a "b\"c" '')"), (std::vector<std::string>{"a", "b\"c", ""}));
  // Unbalanced quotes: a plain whitespace split, as 0.1.2 falls back on shlex's ValueError.
  EXPECT_EQ(tokenize(R"(say "hi there)"), (std::vector<std::string>{"say", "\"hi", "there"}));
  EXPECT_TRUE(tokenize("   ").empty());
}

TEST(ShellCallArgs, KeyValueJsonDottedAndPositional) {
  using aster::cli::Json;
  using aster::cli::parse_call_args;
  EXPECT_EQ(*parse_call_args({}), Json::object());
  EXPECT_EQ(parse_call_args({"name=World", "count=5", "ok=true", "tags=[1,2]"})->dump(),
            R"({"name":"World","count":5,"ok":true,"tags":[1,2]})");
  EXPECT_EQ(parse_call_args({"a.b=1", "a.c.d=x"})->dump(), R"({"a":{"b":1,"c":{"d":"x"}}})");
  EXPECT_EQ(parse_call_args({R"({"name":)", R"("J"})"})->dump(), R"({"name":"J"})");
  EXPECT_EQ(parse_call_args({"msg=hello", "big", "world"})->dump(),
            R"({"msg":"hello big world"})");  // stray words continue the last value
  EXPECT_EQ(parse_call_args({"World"})->dump(), R"({"_positional":"World"})");
  EXPECT_EQ(parse_call_args({"5"})->dump(), R"({"_positional":5})");
  EXPECT_EQ(parse_call_args({"a", "b"})->dump(), R"({"_arg0":"a","_arg1":"b"})");
  EXPECT_EQ(parse_call_args({R"(name='quoted')"})->dump(), R"({"name":"quoted"})");
  auto clash = parse_call_args({"a=1", "a.b=2"});
  ASSERT_FALSE(clash.is_ok());
  EXPECT_EQ(clash.status().message(), "'a' is a value, not an object: cannot set 'a.b'");
}

// Ours: an unquoted JSON object after the command word is read as typed (0.1.2's tokenizer
// strips its double quotes first).
TEST(ShellCallArgs, AnUnquotedJsonObjectIsReadAsTyped) {
  using aster::cli::call_args_of_line;
  using V = std::vector<std::string>;
  EXPECT_EQ(call_args_of_line(R"(./get {"sku": "a b", "n": [1, 2]} )"),
            (V{R"({"sku": "a b", "n": [1, 2]})"}));
  EXPECT_EQ(aster::cli::parse_call_args(call_args_of_line(R"(get {"sku":"zz"})"))->dump(),
            R"({"sku":"zz"})");
  // Quoted as 0.1.2 wants it, key=value, bare words, a broken object: 0.1.2's tokens.
  EXPECT_EQ(call_args_of_line(R"(get '{"sku":"zz"}')"), (V{R"({"sku":"zz"})"}));
  EXPECT_EQ(call_args_of_line(R"(./say name="A B" n=2)"), (V{"name=A B", "n=2"}));
  EXPECT_EQ(call_args_of_line("./say World"), (V{"World"}));
  EXPECT_EQ(call_args_of_line(R"(./say {"a": )"), (V{"{a:"}));
  EXPECT_EQ(call_args_of_line("  ./say  "), V{});
  EXPECT_EQ(call_args_of_line(""), V{});
}

// `origin={"x": 1}` typed without quotes around the JSON: one token holding the JSON (0.1.2's
// tokens strip its double quotes and the value went out as the string "{x: 1}").
TEST(ShellCallArgs, AnUnquotedJsonValueAfterKeyEqualsIsOneToken) {
  using aster::cli::argument_tokens;
  using aster::cli::call_args_of_line;
  using V = std::vector<std::string>;
  EXPECT_EQ(call_args_of_line(R"(./draw name="a b" origin={"x": 1, "y": 2} n=3)"),
            (V{"name=a b", R"(origin={"x": 1, "y": 2})", "n=3"}));
  EXPECT_EQ(argument_tokens(R"(tags=["a b", "c\"]"] dims.w={"v": [1, {"k": "}"}]})"),
            (V{R"(tags=["a b", "c\"]"])", R"(dims.w={"v": [1, {"k": "}"}]})"}));
  auto parsed = aster::cli::parse_call_args(
      call_args_of_line(R"(./draw origin={"x": 1, "y": 2} tags=["p", "q"])"));
  ASSERT_TRUE(parsed.is_ok());
  EXPECT_EQ(parsed->dump(), R"({"origin":{"x":1,"y":2},"tags":["p","q"]})");
  // Quoted, broken, glued to more text, or inside quotes: 0.1.2's tokens.
  EXPECT_EQ(argument_tokens(R"(origin='{"x": 1}')"), (V{R"(origin={"x": 1})"}));
  EXPECT_EQ(argument_tokens(R"(origin={"x": 1)"), (V{"origin={x:", "1"}));
  EXPECT_EQ(argument_tokens(R"(origin={"x":1}z)"), (V{"origin={x:1}z"}));
  EXPECT_EQ(argument_tokens(R"(note="a={"b":1}")"), (V{"note=a={b:1}"}));
  EXPECT_EQ(argument_tokens(R"(a=1 'b c' d)"), (V{"a=1", "b c", "d"}));
}

namespace {
// A method whose request fields have these names and manifest kinds, in this order.
aster::cli::ShellMethod method_with(
    std::initializer_list<std::pair<const char*, const char*>> fields) {
  aster::cli::ShellMethod m;
  for (const auto& [name, kind] : fields) {
    m.fields.emplace_back();
    m.fields.back().name = name;
    m.fields.back().kind = kind;
  }
  return m;
}
}  // namespace

TEST(ShellCallArgs, PositionalValuesGoToFieldsAndStringsStayStrings) {
  using aster::cli::Json;
  const auto m = method_with({{"name", "string"}, {"times", "int"}, {"code", "string"}});
  EXPECT_EQ(aster::cli::fit_to_fields(Json{{"_positional", "Pat"}}, m).dump(),
            R"({"name":"Pat"})");
  EXPECT_EQ(aster::cli::fit_to_fields(Json{{"times", 2}, {"_arg0", "a"}, {"_arg1", "b"}}, m).dump(),
            R"({"times":2,"name":"a","code":"b"})");
  EXPECT_EQ(aster::cli::fit_to_fields(Json{{"code", 123}, {"times", 4}}, m).dump(),
            R"({"code":"123","times":4})");
  EXPECT_EQ(aster::cli::fit_to_fields(Json{{"code", true}}, m).dump(), R"({"code":"true"})");
  // 0.1.2's manifest says "string" for a `set[str]` field (and other types it cannot
  // classify): a list or an object typed for it stays JSON, for the encoder to check.
  EXPECT_EQ(aster::cli::fit_to_fields(Json{{"code", Json::array({"a", "b"})}}, m).dump(),
            R"({"code":["a","b"]})");
  EXPECT_EQ(aster::cli::fit_to_fields(Json{{"code", Json{{"k", 1}}}}, m).dump(),
            R"({"code":{"k":1}})");
}

// A field the manifest calls "string" shows the type blob's type when the catalog found one.
TEST(ShellDisplay, AFieldKindComesFromTheTypeBlobWhereTheManifestCannotSayIt) {
  auto m = method_with({{"labels", "string"}, {"note", "string"}});
  m.fields[1].nullable = true;
  EXPECT_EQ(aster::cli::field_kind(m, 0), "string");  // no blob types: the manifest's
  m.blob_types = {"set[string]", ""};
  EXPECT_EQ(aster::cli::field_kind(m, 0), "set[string]");
  EXPECT_EQ(aster::cli::field_kind(m, 1), "optional string");
}

// A 0.1.2 method taking a builtin (`n: int`, `xs: list`) takes the value itself.
TEST(ShellCallArgs, ABuiltinRequestIsTheValueGiven) {
  using aster::cli::Json;
  aster::cli::ShellMethod square;
  square.request_type = "int";
  EXPECT_EQ(aster::cli::fit_to_fields(Json{{"_positional", 7}}, square).dump(), "7");
  EXPECT_EQ(aster::cli::fit_to_fields(Json{{"n", 7}}, square).dump(), "7");
  EXPECT_EQ(aster::cli::fit_to_fields(Json{{"a", 1}, {"b", 2}}, square).dump(),
            R"({"a":1,"b":2})");
  aster::cli::ShellMethod table;
  table.request_type = "dict";
  EXPECT_EQ(aster::cli::fit_to_fields(Json{{"k", 1}}, table).dump(), R"({"k":1})");
  EXPECT_EQ(aster::cli::fit_to_fields(Json{{"_positional", Json::array({1, 2})}}, table).dump(),
            "[1,2]");
  aster::cli::ShellMethod empty;  // a dataclass without fields is not a builtin
  empty.request_type = "Empty";
  EXPECT_EQ(aster::cli::fit_to_fields(Json{{"_positional", 7}}, empty).dump(),
            R"({"_positional":7})");
}

TEST(ShellLineEditor, LastWordIsAfterTheLastUnquotedSpace) {
  EXPECT_EQ(aster::cli::last_word("cd serv"), "serv");
  EXPECT_EQ(aster::cli::last_word("./m a='x y"), "a='x y");
  EXPECT_EQ(aster::cli::last_word("ls "), "");
}
