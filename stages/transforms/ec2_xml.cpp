#include "stages/transforms/ec2_xml.h"

#include <charconv>
#include <cstring>

#include <fmt/format.h>
#include <simdjson.h>

namespace pricepipe::stages::xml {

namespace {

std::string path_of(pugi::xml_node node) {
  std::string path;
  for (pugi::xml_node n = node; n && n.type() == pugi::node_element; n = n.parent()) {
    path = path.empty() ? std::string(n.name()) : std::string(n.name()) + "/" + path;
  }
  return path;
}

std::string_view trimmed(const char* s) {
  std::string_view v(s);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\n' || v.front() == '\t' || v.front() == '\r')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\n' || v.back() == '\t' || v.back() == '\r')) v.remove_suffix(1);
  return v;
}

// pugixml does not check the encoding, and writes character references
// (`&#xD800;`) as they come: text must be checked before it reaches the output.
bool utf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

}  // namespace

void Reader::fail(pugi::xml_node node, const char* expected) {
  if (failure_) return;
  const std::string_view got = node.child_value();
  failure_ = utf8(got) ? fmt::format("<{}>: expected {}, got '{}'", path_of(node), expected, got)
                       : fmt::format("<{}>: expected {}, got bytes that are not UTF-8", path_of(node), expected);
}

std::optional<std::string> Reader::text(pugi::xml_node parent, const char* name) {
  pugi::xml_node n = parent.child(name);
  if (!n) return std::nullopt;
  const std::string_view v = trimmed(n.child_value());
  if (!utf8(v)) fail(n, "UTF-8 text");
  return std::string(v);
}

std::optional<std::int64_t> Reader::integer(pugi::xml_node parent, const char* name) {
  pugi::xml_node n = parent.child(name);
  if (!n) return std::nullopt;
  return parse<std::int64_t>(n, "an integer");
}

std::optional<double> Reader::number(pugi::xml_node parent, const char* name) {
  pugi::xml_node n = parent.child(name);
  if (!n) return std::nullopt;
  return parse<double>(n, "a number");
}

std::optional<bool> Reader::boolean(pugi::xml_node parent, const char* name) {
  pugi::xml_node n = parent.child(name);
  if (!n) return std::nullopt;
  const std::string_view v = trimmed(n.child_value());
  if (v == "true") return true;
  if (v == "false") return false;
  fail(n, "true or false");
  return std::nullopt;
}

std::vector<std::string> Reader::text_list(pugi::xml_node parent, const char* name) {
  std::vector<std::string> out;
  for (pugi::xml_node item : items(parent.child(name))) {
    const std::string_view v = trimmed(item.child_value());
    if (!utf8(v)) fail(item, "UTF-8 text");
    out.emplace_back(v);
  }
  return out;
}

std::vector<std::int64_t> Reader::integer_list(pugi::xml_node parent, const char* name) {
  std::vector<std::int64_t> out;
  for (pugi::xml_node item : items(parent.child(name))) {
    if (auto value = parse<std::int64_t>(item, "an integer")) out.push_back(*value);
  }
  return out;
}

template <class T>
std::optional<T> Reader::parse(pugi::xml_node node, const char* expected) {
  const std::string_view v = trimmed(node.child_value());
  T out{};
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || ptr != v.data() + v.size()) {
    fail(node, expected);
    return std::nullopt;
  }
  return out;
}

}  // namespace pricepipe::stages::xml
