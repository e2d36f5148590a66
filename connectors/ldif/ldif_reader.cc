#include "connectors/ldif/ldif_reader.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Exception.h>
#include <fmt/format.h>
#include <fmt/std.h>

#include <cerrno>
#include <cstring>
#include <expected>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <system_error>
#include <variant>

namespace trustgate {

namespace ldif {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) {
      return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace ldif

namespace {

using ldif::iequals;

// One unfolded line and the physical line it starts on.
struct LogicalLine {
  std::size_t line = 0;
  std::string text;
  bool is_comment() const { return !text.empty() && text.front() == '#'; }
};

// The lines between two blank lines. `error` is set when unfolding already found a problem.
struct Block {
  std::vector<LogicalLine> lines;
  std::optional<LdifError> error;
};

LdifError error_at(std::size_t line, std::string_view what) {
  return LdifError{line, fmt::format("line {}: {}", line, what)};
}

// Splits the text into blocks of unfolded lines. A line starting with one space continues
// the previous line (comments included); an empty line ends a record.
std::vector<Block> split_blocks(std::string_view text) {
  std::vector<Block> blocks;
  bool in_block = false;  // whether blocks.back() is still being filled
  auto current = [&]() -> Block& {
    if (!in_block) blocks.emplace_back();
    in_block = true;
    return blocks.back();
  };

  std::size_t pos = 0;
  std::size_t line_number = 0;
  while (pos < text.size()) {
    const std::size_t eol = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    if (line.empty()) {
      in_block = false;
      continue;
    }
    if (line.front() == ' ') {
      if (in_block && !blocks.back().lines.empty()) {
        blocks.back().lines.back().text.append(line.substr(1));
        continue;
      }
      if (!in_block && line.find_first_not_of(' ') == std::string_view::npos) {
        continue;  // stray whitespace between records
      }
      Block& block = current();
      if (!block.error) {
        block.error = error_at(line_number, "continuation line with no line to continue");
      }
      continue;
    }
    current().lines.push_back(LogicalLine{line_number, std::string(line)});
  }
  return blocks;
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// attributeType (a name or an OID) followed by options; "=" and "*" are let in options for
// AD's ranged retrieval ("member;range=1500-*").
bool valid_attribute_description(std::string_view name) {
  if (name.empty() || !is_alnum(name.front())) return false;
  const std::size_t semicolon = name.find(';');
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool in_options = semicolon != std::string_view::npos && i > semicolon;
    if (is_alnum(c) || c == '-' || c == '.' || c == ';') continue;
    if (in_options && (c == '=' || c == '*')) continue;
    return false;
  }
  return name.back() != ';';
}

bool is_base64_char(char c) { return is_alnum(c) || c == '+' || c == '/'; }

// Decodes strict base64 (padding required, no stray characters). Poco alone accepts trailing
// garbage after padding, so the shape is checked first.
std::optional<std::string> decode_base64(std::string_view encoded) {
  if (encoded.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '=') {
      ++padding;
      if (i + 2 < encoded.size()) return std::nullopt;  // '=' only in the last two places
      continue;
    }
    if (padding > 0 || !is_base64_char(c)) return std::nullopt;
  }
  try {
    std::istringstream in{std::string(encoded)};
    Poco::Base64Decoder decoder(in);
    std::string out{std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>()};
    return out;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

std::string_view trim_spaces(std::string_view s) {
  const std::size_t begin = s.find_first_not_of(' ');
  if (begin == std::string_view::npos) return {};
  const std::size_t end = s.find_last_not_of(' ');
  return s.substr(begin, end - begin + 1);
}

// "name: value", "name:: base64" or "name:< url" (rejected). A value that cannot be decoded is
// an LdifBadValue: the record stays, without this attribute.
std::expected<LdifAttribute, std::variant<LdifError, LdifBadValue>> parse_attribute_line(
    const LogicalLine& line) {
  const std::string_view text = line.text;
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return std::unexpected(error_at(line.line, "expected 'attribute: value'"));
  }
  const std::string_view name = text.substr(0, colon);
  if (!valid_attribute_description(name)) {
    // The name is not echoed: a broken line may hold part of a value.
    return std::unexpected(error_at(line.line, "invalid attribute name"));
  }
  std::string_view rest = text.substr(colon + 1);
  if (!rest.empty() && rest.front() == ':') {
    auto decoded = decode_base64(trim_spaces(rest.substr(1)));
    if (!decoded) return std::unexpected(LdifBadValue{line.line, std::string(name)});
    return LdifAttribute{std::string(name), std::move(*decoded)};
  }
  if (!rest.empty() && rest.front() == '<') {
    return std::unexpected(error_at(
        line.line,
        fmt::format("URL values ('{}:<') are not supported; inline or base64-encode the value",
                    name)));
  }
  const std::size_t begin = rest.find_first_not_of(' ');
  rest = begin == std::string_view::npos ? std::string_view{} : rest.substr(begin);
  return LdifAttribute{std::string(name), std::string(rest)};
}

// Turns the content lines of one block into a record.
std::expected<LdifRecord, LdifError> parse_record(const std::vector<const LogicalLine*>& lines) {
  auto dn = parse_attribute_line(*lines.front());
  if (!dn) {
    if (const auto* bad = std::get_if<LdifBadValue>(&dn.error())) {
      return std::unexpected(error_at(bad->line, "invalid base64 value for 'dn'"));
    }
    return std::unexpected(std::get<LdifError>(dn.error()));
  }
  if (!iequals(dn->name, "dn")) {
    return std::unexpected(error_at(lines.front()->line, "record does not start with 'dn:'"));
  }
  LdifRecord record;
  record.line = lines.front()->line;
  record.dn = std::move(dn->value);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    auto attribute = parse_attribute_line(*lines[i]);
    if (!attribute) {
      if (auto* bad = std::get_if<LdifBadValue>(&attribute.error())) {
        record.bad_values.push_back(std::move(*bad));
        continue;
      }
      return std::unexpected(std::get<LdifError>(attribute.error()));
    }
    if (iequals(attribute->name, "dn")) {
      return std::unexpected(
          error_at(lines[i]->line, "second 'dn:' in one record (missing blank line?)"));
    }
    if (iequals(attribute->name, "changetype") || iequals(attribute->name, "control")) {
      return std::unexpected(
          error_at(lines[i]->line, "change records (changetype/control) are not supported"));
    }
    record.attributes.push_back(std::move(*attribute));
  }
  if (record.attributes.empty() && record.bad_values.empty()) {
    return std::unexpected(error_at(record.line, "record has a dn but no attributes"));
  }
  return record;
}

std::string_view type_of(std::string_view description) {
  return description.substr(0, description.find(';'));
}

}  // namespace

std::vector<std::string> LdifRecord::values(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& attribute : attributes) {
    if (iequals(attribute.name, name)) out.push_back(attribute.value);
  }
  return out;
}

std::vector<std::string> LdifRecord::values_of_type(std::string_view type) const {
  std::vector<std::string> out;
  for (const auto& attribute : attributes) {
    if (iequals(type_of(attribute.name), type_of(type))) out.push_back(attribute.value);
  }
  return out;
}

const std::string* LdifRecord::first(std::string_view name) const {
  for (const auto& attribute : attributes) {
    if (iequals(attribute.name, name)) return &attribute.value;
  }
  return nullptr;
}

Result<LdifDocument> parse_ldif(std::string_view text) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.starts_with(kBom)) text.remove_prefix(kBom.size());

  LdifDocument document;
  bool first_content_block = true;
  for (const Block& block : split_blocks(text)) {
    if (block.error) {
      document.errors.push_back(*block.error);
      first_content_block = false;
      continue;
    }
    std::vector<const LogicalLine*> lines;
    for (const auto& line : block.lines) {
      if (!line.is_comment()) lines.push_back(&line);
    }
    if (lines.empty()) continue;  // a block of comments only

    if (first_content_block) {
      first_content_block = false;
      auto first = parse_attribute_line(*lines.front());
      if (first && iequals(first->name, "version")) {
        if (trim_spaces(first->value) != "1") {
          return fail("ldif.version", fmt::format("line {}: unsupported LDIF version (only 1)",
                                                  lines.front()->line));
        }
        lines.erase(lines.begin());
        if (lines.empty()) continue;
      }
    }

    auto record = parse_record(lines);
    if (record) {
      document.records.push_back(std::move(*record));
    } else {
      document.errors.push_back(std::move(record.error()));
    }
  }
  return document;
}

Result<LdifDocument> read_ldif_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return fail("ldif.io", fmt::format("cannot read LDIF file {}: it is a directory", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail("ldif.io", fmt::format("cannot open LDIF file {}: {}", path, std::strerror(errno)));
  }
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) {
    return fail("ldif.io", fmt::format("cannot read LDIF file {}", path));
  }
  return parse_ldif(text);
}

}  // namespace trustgate
