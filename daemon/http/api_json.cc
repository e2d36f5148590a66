#include "daemon/http/api_json.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

#include "daemon/http/json_writer.h"

namespace trustgate {

Poco::JSON::Object::Ptr json_object() {
  return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

namespace {

// JSON text written straight into a string (Poco's stringify goes through an ostream one piece
// at a time: a tenth of a handoff's CPU). The same output as Poco's, value for value: objects in
// insertion order, strings escaped as JSON requires (", \\, control characters; UTF-8 as is).
void write_string(std::string& out, std::string_view s) { append_json_string(out, s); }

void write_value(std::string& out, const Poco::Dynamic::Var& v);

void write_object(std::string& out, const Poco::JSON::Object& obj) {
  out.push_back('{');
  bool first = true;
  for (const auto& name : obj.getNames()) {
    if (!first) out.push_back(',');
    first = false;
    write_string(out, name);
    out.push_back(':');
    write_value(out, obj.get(name));
  }
  out.push_back('}');
}

void write_array(std::string& out, const Poco::JSON::Array& arr) {
  out.push_back('[');
  for (std::size_t i = 0; i < arr.size(); ++i) {
    if (i > 0) out.push_back(',');
    write_value(out, arr.get(static_cast<unsigned int>(i)));
  }
  out.push_back(']');
}

void write_value(std::string& out, const Poco::Dynamic::Var& v) {
  const std::type_info& t = v.type();
  if (t == typeid(Poco::JSON::Object::Ptr)) {
    const auto& p = v.extract<Poco::JSON::Object::Ptr>();
    if (p) {
      write_object(out, *p);
    } else {
      out += "null";
    }
  } else if (t == typeid(Poco::JSON::Array::Ptr)) {
    const auto& p = v.extract<Poco::JSON::Array::Ptr>();
    if (p) {
      write_array(out, *p);
    } else {
      out += "null";
    }
  } else if (t == typeid(std::string)) {
    write_string(out, v.extract<std::string>());
  } else if (v.isEmpty()) {
    out += "null";
  } else if (t == typeid(bool)) {
    out += v.extract<bool>() ? "true" : "false";
  } else if (v.isInteger()) {
    out += v.convert<std::string>();
  } else {
    // Anything rarer (a double, a nested Object by value, a date): Poco's own stringifier.
    std::ostringstream text;
    Poco::JSON::Stringifier::stringify(v, text);
    out += text.str();
  }
}

}  // namespace

std::string to_json(const Poco::JSON::Object::Ptr& obj) {
  std::string out;
  out.reserve(512);
  write_object(out, *obj);
  return out;
}

ApiResponse json_response(int status, const Poco::JSON::Object::Ptr& obj) {
  return json_response(status, to_json(obj));
}

ApiResponse json_response(int status, std::string json) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(json);
  return r;
}

ApiResponse error_response(int status, std::string_view code, std::string_view message,
                           const Poco::JSON::Object::Ptr& extra) {
  auto err = json_object();
  err->set("code", std::string(code));
  err->set("message", std::string(message));
  if (extra) {
    for (const auto& key : extra->getNames()) err->set(key, extra->get(key));
  }
  auto body = json_object();
  body->set("error", err);
  return json_response(status, body);
}

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF.
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

bool is_valid_id(std::string_view s) {
  if (s.empty() || s.size() > kMaxIdBytes || !is_valid_utf8(s)) return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) return false;
  }
  return true;
}

namespace {

// Nesting depth of brackets outside strings; stops counting past the limit. Guards the
// recursive parser against stack exhaustion.
bool depth_within(std::string_view body, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > limit) return false;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return true;
}

Result<Poco::Dynamic::Var> field(const Poco::JSON::Object::Ptr& obj, const std::string& key) {
  if (!obj->has(key) || obj->isNull(key)) return Poco::Dynamic::Var();
  return obj->get(key);
}

}  // namespace

Result<Poco::JSON::Object::Ptr> parse_json_object(std::string_view body) {
  if (!is_valid_utf8(body)) return fail("invalid_utf8", "the body is not valid UTF-8");
  if (body.find('\0') != std::string_view::npos) return fail("malformed_json", "NUL in body");
  if (!depth_within(body, kMaxJsonDepth)) return fail("malformed_json", "JSON nested too deeply");
  try {
    Poco::JSON::Parser parser;
    parser.setDepth(kMaxJsonDepth + 1);
    Poco::Dynamic::Var v = parser.parse(std::string(body));
    if (v.type() != typeid(Poco::JSON::Object::Ptr)) {
      return fail("malformed_json", "the body must be a JSON object");
    }
    auto obj = v.extract<Poco::JSON::Object::Ptr>();
    if (!obj) return fail("malformed_json", "the body must be a JSON object");
    return obj;
  } catch (const Poco::Exception&) {
    return fail("malformed_json", "the body is not valid JSON");
  } catch (const std::exception&) {
    return fail("malformed_json", "the body is not valid JSON");
  }
}

Result<std::optional<std::string>> get_string(const Poco::JSON::Object::Ptr& obj,
                                              const std::string& key, std::size_t max) {
  auto v = field(obj, key);
  if (v->isEmpty()) return std::optional<std::string>();
  if (!v->isString()) return fail("invalid_field", key + " must be a string");
  std::string s = v->extract<std::string>();
  if (s.size() > max || !is_valid_utf8(s)) return fail("invalid_field", key + " is invalid");
  return std::optional<std::string>(std::move(s));
}

Result<std::optional<std::string>> get_id(const Poco::JSON::Object::Ptr& obj,
                                          const std::string& key) {
  auto s = get_string(obj, key, kMaxIdBytes);
  if (!s) return s;
  if (*s && !is_valid_id(**s)) return fail("invalid_field", key + " is not a valid identifier");
  return s;
}

Result<std::optional<bool>> get_bool(const Poco::JSON::Object::Ptr& obj, const std::string& key) {
  auto v = field(obj, key);
  if (v->isEmpty()) return std::optional<bool>();
  if (!v->isBoolean()) return fail("invalid_field", key + " must be true or false");
  return std::optional<bool>(v->extract<bool>());
}

Result<std::optional<std::int64_t>> get_int(const Poco::JSON::Object::Ptr& obj,
                                            const std::string& key) {
  auto v = field(obj, key);
  if (v->isEmpty()) return std::optional<std::int64_t>();
  if (!v->isInteger() || v->isBoolean()) return fail("invalid_field", key + " must be an integer");
  try {
    return std::optional<std::int64_t>(v->convert<Poco::Int64>());
  } catch (const Poco::Exception&) {
    return fail("invalid_field", key + " is out of range");
  }
}

}  // namespace trustgate
