#include "webhook/yaml_scalar.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "webhook/base64.h"
#include "webhook/json_text.h"

namespace seiguard {
namespace {

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

// The short form of a tag for messages: "!!int".
std::string ShortTag(std::string_view tag) {
  if (tag.substr(0, kTagPrefix.size()) == kTagPrefix) return "!!" + std::string(tag.substr(kTagPrefix.size()));
  return std::string(tag);
}

bool TagIs(std::string_view tag, std::string_view name) {
  return tag.size() == kTagPrefix.size() + name.size() && tag.substr(0, kTagPrefix.size()) == kTagPrefix &&
         tag.substr(kTagPrefix.size()) == name;
}

// go-yaml's resolve map: the words that are not strings.
bool LookUp(std::string_view s, YamlScalar* v, std::string_view* rtag) {
  static constexpr std::string_view kTrue[] = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static constexpr std::string_view kFalse[] = {"n",     "N",     "no", "No", "NO", "false",
                                                "False", "FALSE", "off", "Off", "OFF"};
  static constexpr std::string_view kNull[] = {"", "~", "null", "Null", "NULL"};
  static constexpr std::string_view kNan[] = {".nan", ".NaN", ".NAN"};
  static constexpr std::string_view kInf[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"};
  static constexpr std::string_view kNegInf[] = {"-.inf", "-.Inf", "-.INF"};
  auto in = [&](const auto& words) {
    for (std::string_view w : words) {
      if (w == s) return true;
    }
    return false;
  };
  if (in(kTrue) || in(kFalse)) {
    v->type = YamlScalar::Type::kBool;
    v->boolean = in(kTrue);
    *rtag = "bool";
  } else if (in(kNull)) {
    v->type = YamlScalar::Type::kNull;
    *rtag = "null";
  } else if (in(kNan) || in(kInf) || in(kNegInf)) {
    v->type = YamlScalar::Type::kFloat;
    v->number = in(kNan) ? std::numeric_limits<double>::quiet_NaN()
                         : (in(kInf) ? 1 : -1) * std::numeric_limits<double>::infinity();
    *rtag = "float";
  } else if (s == "<<") {
    v->type = YamlScalar::Type::kString;
    v->text = "<<";
    *rtag = "merge";
  } else {
    return false;
  }
  return true;
}

int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(c | 0x20);
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  return 99;
}

// strconv.ParseUint(s, 0, 64) without underscores: 0x, 0o, 0b and a leading 0
// (octal) choose the base.
bool GoParseUint(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  int base = 10;
  if (s[0] == '0') {
    char p = s.size() >= 3 ? static_cast<char>(s[1] | 0x20) : '\0';
    if (p == 'b' || p == 'o' || p == 'x') {
      base = p == 'b' ? 2 : p == 'o' ? 8 : 16;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  uint64_t v = 0;
  for (char c : s) {
    int d = DigitValue(c);
    if (d >= base) return false;
    if (v > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) return false;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

// strconv.ParseInt(s, 0, 64).
bool GoParseInt(std::string_view s, int64_t* out) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  uint64_t u = 0;
  if (!GoParseUint(s, &u)) return false;
  constexpr uint64_t kLimit = uint64_t{1} << 63;
  if (negative ? u > kLimit : u >= kLimit) return false;
  *out = negative ? static_cast<int64_t>(0 - u) : static_cast<int64_t>(u);
  return true;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ (go-yaml's yamlStyleFloat)
bool YamlStyleFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t start = i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t d = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == d) return false;
  } else {
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == start) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && IsDigit(s[i])) ++i;
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t d = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == d) return false;
  }
  return i == s.size();
}

// A decimal float as strconv.ParseFloat reads it; false on overflow (an
// underflow reads as zero or a denormal, as in Go).
bool ParseDecimal(std::string_view s, double* out) {
  std::string text(s);
  errno = 0;
  char* end = nullptr;
  double d = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return false;
  if (errno == ERANGE && std::isinf(d)) return false;
  *out = d;
  return true;
}

// strconv's underscoreOK for a number without a base prefix: every '_' sits
// between two digits.
bool UnderscoresOk(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '_') continue;
    if (i == 0 || i + 1 == s.size() || !IsDigit(s[i - 1]) || !IsDigit(s[i + 1])) return false;
  }
  return true;
}

std::string WithoutUnderscores(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c != '_') out += c;
  }
  return out;
}

// yyyy-m-d, optionally followed by a time: enough of go-yaml's timestamp
// forms to tell whether !!timestamp text is one.
bool LooksLikeTimestamp(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && IsDigit(s[i])) ++i;
  if (i != 4 || i == s.size() || s[i] != '-') return false;
  auto number = [&](size_t max) {
    size_t start = i;
    while (i < s.size() && IsDigit(s[i]) && i - start < max) ++i;
    return i > start;
  };
  ++i;
  if (!number(2) || i >= s.size() || s[i] != '-') return false;
  ++i;
  if (!number(2)) return false;
  return i == s.size() || s[i] == 'T' || s[i] == 't' || s[i] == ' ';
}

// go-yaml's resolve() for a resolvable tag: the value and its tag's name.
void Resolve(std::string_view in, std::string_view tag, YamlScalar* v, std::string_view* rtag) {
  v->type = YamlScalar::Type::kString;
  *rtag = "str";
  char first = in.empty() ? 'N' : in[0];
  bool sign = first == '+' || first == '-';
  bool digit = IsDigit(first);
  bool word = std::string_view("yYnNtTfFoO~N").find(first) != std::string_view::npos;
  bool dot = first == '.';
  if (!(sign || digit || word || dot) || TagIs(tag, "str")) {
    v->text = std::string(in);
    return;
  }
  if (in.size() <= 5 && LookUp(in, v, rtag)) return;  // no word of the map is longer
  if (dot) {
    double d = 0;
    std::string plain = WithoutUnderscores(in);
    if (UnderscoresOk(in) && YamlStyleFloat(plain) && ParseDecimal(plain, &d)) {
      v->type = YamlScalar::Type::kFloat;
      v->number = d;
      *rtag = "float";
      return;
    }
  } else if (sign || digit) {
    if ((tag.empty() || TagIs(tag, "timestamp")) && LooksLikeTimestamp(in)) {
      v->text = std::string(in);
      *rtag = "timestamp";
      return;
    }
    std::string plain = WithoutUnderscores(in);
    int64_t i = 0;
    uint64_t u = 0;
    double d = 0;
    if (GoParseInt(plain, &i)) {
      v->type = YamlScalar::Type::kInt;
      v->integer = i;
      *rtag = "int";
      return;
    }
    if (GoParseUint(plain, &u)) {
      v->type = YamlScalar::Type::kUint;
      v->unsigned_integer = u;
      *rtag = "int";
      return;
    }
    if (YamlStyleFloat(plain) && ParseDecimal(plain, &d)) {
      v->type = YamlScalar::Type::kFloat;
      v->number = d;
      *rtag = "float";
      return;
    }
    // "0b" and "-0b" forms are read by GoParseInt above already.
  }
  v->type = YamlScalar::Type::kString;
  v->text = std::string(in);
  *rtag = "str";
}

// Appends `s` as a JSON string as encoding/json writes it: each byte that is
// not part of valid UTF-8 becomes U+FFFD (only !!binary can carry such bytes:
// libyaml refuses invalid UTF-8 input).
void AppendJsonStringLossy(std::string& out, std::string_view s) {
  std::string repaired;
  size_t i = 0;
  bool clean = true;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t j = 1; ok && j < len; ++j) ok = (static_cast<unsigned char>(s[i + j]) & 0xC0) == 0x80;
    if (ok && len > 1) {  // no overlong forms, surrogates or values past U+10FFFF
      uint32_t cp = c & (0x7F >> len);
      for (size_t j = 1; j < len; ++j) cp = (cp << 6) | (static_cast<unsigned char>(s[i + j]) & 0x3F);
      static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= kMin[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (!ok) {
      if (clean) repaired.assign(s.substr(0, i));
      clean = false;
      repaired += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    if (!clean) repaired.append(s.substr(i, len));
    i += len;
  }
  AppendJsonString(out, clean ? s : std::string_view(repaired));
}

}  // namespace

bool PlainIsString(std::string_view value) {
  if (value.empty()) return false;  // null
  switch (value[0]) {
    case '+': case '-': case '.': case '~':
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
      return false;
    case 'y': case 'Y': case 'n': case 'N': case 't': case 'T': case 'f': case 'F': case 'o': case 'O':
      return value.size() > 5;  // longer than every word of the resolve map
    default:
      return true;
  }
}

bool IsMergeKey(std::string_view value, bool plain, std::string_view tag) {
  return value == "<<" && ((plain && tag.empty()) || TagIs(tag, "merge"));
}

StatusOr<YamlScalar> ResolveYamlScalar(std::string_view value, bool plain, std::string_view tag) {
  YamlScalar v;
  if (tag.empty() && !plain) {
    v.text = std::string(value);
    return v;
  }
  // The commonest number, a plain decimal like 8443: no sign but '-', no
  // leading zero (that is octal), few enough digits to fit.
  if (tag.empty() && !value.empty() && value.size() <= 18) {
    size_t i = value[0] == '-' ? 1 : 0;
    bool decimal = i < value.size() && (value[i] != '0' || value.size() == i + 1);
    int64_t n = 0;
    for (size_t j = i; decimal && j < value.size(); ++j) {
      decimal = IsDigit(value[j]);
      n = n * 10 + (value[j] - '0');
    }
    if (decimal) {
      v.type = YamlScalar::Type::kInt;
      v.integer = i == 1 ? -n : n;
      return v;
    }
  }
  if (TagIs(tag, "binary")) {
    std::string decoded;
    std::string compact;
    for (char c : value) {
      if (c != '\n' && c != '\r' && c != ' ' && c != '\t') compact += c;
    }
    if (!Base64Decode(compact, &decoded)) return Status::Error("!!binary value contains invalid base64 data");
    v.text = std::move(decoded);
    return v;
  }
  bool resolvable = tag.empty() || TagIs(tag, "str") || TagIs(tag, "bool") || TagIs(tag, "int") ||
                    TagIs(tag, "float") || TagIs(tag, "null") || TagIs(tag, "timestamp");
  if (!resolvable) {  // a tag go-yaml does not know: the text, as a string
    v.text = std::string(value);
    return v;
  }
  std::string_view rtag;
  Resolve(value, tag, &v, &rtag);
  if (tag.empty() || TagIs(tag, rtag) || TagIs(tag, "str")) return v;
  if (TagIs(tag, "float") && rtag == "int" && v.type == YamlScalar::Type::kInt) {
    v.type = YamlScalar::Type::kFloat;
    v.number = static_cast<double>(v.integer);
    return v;
  }
  return Status::Error("cannot decode !!" + std::string(rtag) + " `" + std::string(value) + "` as a " +
                       ShortTag(tag));
}

namespace {

// The shortest digits that read back as `v` (of float's or double's
// precision) and the decimal exponent of the first: 1500 -> "15", 3.
template <typename F>
void ShortestDigits(F v, std::string* digits, int* exp, bool* negative) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));
  *negative = sci[0] == '-';
  size_t e = sci.find('e');
  digits->clear();
  for (char c : sci.substr(0, e)) {
    if (IsDigit(c)) *digits += c;
  }
  *exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
  if (v == 0) *digits = "0", *exp = 0;
}

// strconv.FormatFloat's %e and %f forms for the shortest digits: "1.5e+07"
// (exponent of at least two digits) or "15000000" (zeros after the digits,
// as Go writes them, not the float's exact decimal expansion).
std::string GoFloatText(const std::string& digits, int exp, bool negative, bool exponent) {
  std::string out = negative ? "-" : "";
  if (exponent) {
    out += digits[0];
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += exp < 0 ? "e-" : "e+";
    int a = exp < 0 ? -exp : exp;
    if (a < 10) out += '0';
    out += std::to_string(a);
  } else if (exp < 0) {
    out += "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  } else {
    size_t int_len = static_cast<size_t>(exp) + 1;
    if (digits.size() <= int_len) {
      out += digits + std::string(int_len - digits.size(), '0');
    } else {
      out += digits.substr(0, int_len) + "." + digits.substr(int_len);
    }
  }
  return out;
}

}  // namespace

void AppendGoJsonFloat(std::string& out, double v) {
  double abs = std::fabs(v);
  bool exponent = abs != 0 && (abs < 1e-6 || abs >= 1e21);
  std::string digits;
  int exp = 0;
  bool negative = false;
  ShortestDigits(v, &digits, &exp, &negative);
  std::string text = GoFloatText(digits, exp, negative, exponent);
  size_t n = text.size();
  // encoding/json writes e-7 where strconv writes e-07.
  if (exponent && n >= 4 && text[n - 4] == 'e' && text[n - 3] == '-' && text[n - 2] == '0') {
    text.erase(n - 2, 1);
  }
  out += text;
}

Status AppendYamlScalarJson(std::string& out, const YamlScalar& v) {
  switch (v.type) {
    case YamlScalar::Type::kNull: out += "null"; break;
    case YamlScalar::Type::kBool: out += v.boolean ? "true" : "false"; break;
    case YamlScalar::Type::kInt: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, v.integer);
      out.append(buf, r.ptr);
      break;
    }
    case YamlScalar::Type::kUint:  // kubectl holds a number beyond int64 as a float64
      AppendGoJsonFloat(out, static_cast<double>(v.unsigned_integer));
      break;
    case YamlScalar::Type::kFloat:
      if (!std::isfinite(v.number)) {
        return Status::Error(std::string("json: unsupported value: ") +
                             (std::isnan(v.number) ? "NaN" : v.number > 0 ? "+Inf" : "-Inf") +
                             " (JSON has no such number; quote it if a string is meant)");
      }
      AppendGoJsonFloat(out, v.number);
      break;
    case YamlScalar::Type::kString: AppendJsonStringLossy(out, v.text); break;
  }
  return Status();
}

StatusOr<std::string> YamlScalarKey(const YamlScalar& v) {
  switch (v.type) {
    case YamlScalar::Type::kString: return v.text;
    case YamlScalar::Type::kBool: return std::string(v.boolean ? "true" : "false");
    case YamlScalar::Type::kInt: return std::to_string(v.integer);
    case YamlScalar::Type::kNull: return Status::Error("a null mapping key cannot become a JSON key");
    case YamlScalar::Type::kUint:
      return Status::Error("the mapping key " + std::to_string(v.unsigned_integer) +
                           " (beyond int64) cannot become a JSON key");
    case YamlScalar::Type::kFloat: break;
  }
  // strconv.FormatFloat(v, 'g', -1, 32): the shortest digits of the float32,
  // exponent form when the exponent is below -4 or from 6 on.
  float f = static_cast<float>(v.number);
  if (std::isnan(f)) return std::string(".nan");
  if (std::isinf(f)) return std::string(f > 0 ? ".inf" : "-.inf");
  std::string digits;
  int exp = 0;
  bool negative = false;
  ShortestDigits(f, &digits, &exp, &negative);
  return GoFloatText(digits, exp, negative, exp < -4 || exp >= 6);
}

}  // namespace seiguard
