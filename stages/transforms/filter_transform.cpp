#include "stages/transforms/filter_transform.h"

#include <cstdlib>
#include <functional>
#include <regex>

#include <fmt/format.h>

#include "stages/transforms/price_list_product.h"

namespace pricepipe::stages {

namespace {

enum class Op { eq, ne, lt, le, gt, ge, match };

Op op_of(const std::string& op) {
  if (op == "==") return Op::eq;
  if (op == "!=") return Op::ne;
  if (op == "<") return Op::lt;
  if (op == "<=") return Op::le;
  if (op == ">") return Op::gt;
  if (op == ">=") return Op::ge;
  return Op::match;
}

template <class T>
bool compare(Op op, const T& a, const T& b) {
  switch (op) {
    case Op::eq: return a == b;
    case Op::ne: return a != b;
    case Op::lt: return a < b;
    case Op::le: return a <= b;
    case Op::gt: return a > b;
    case Op::ge: return a >= b;
    case Op::match: return false;
  }
  return false;
}

std::optional<double> number_of(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) return std::nullopt;
  return v;
}

template <class Record>
using Test = std::function<bool(const Record&)>;

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// A value (not null) of type T against the condition.
template <class T>
Result<std::function<bool(const T&)>> value_test(const Condition& c) {
  const Op op = op_of(c.op);
  auto error = [&](const std::string& what) {
    return Error(ErrorCode::usage, fmt::format("filter: '{} {} {}': {}", c.field, c.op, c.value, what));
  };
  if constexpr (std::is_same_v<T, std::string>) {
    if (op == Op::match) {
      return std::function<bool(const T&)>([v = c.value](const T& s) { return instance_type_matches(v, s); });
    }
    return std::function<bool(const T&)>([op, v = c.value](const T& s) { return compare(op, s, v); });
  } else if constexpr (std::is_same_v<T, bool>) {
    if (c.value != "true" && c.value != "false") return error("expected true or false");
    if (op != Op::eq && op != Op::ne) return error("a boolean takes == or !=");
    const bool v = c.value == "true";
    return std::function<bool(const T&)>([op, v](const T& b) { return compare(op, b, v); });
  } else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
    const auto v = number_of(c.value);
    if (!v || c.quoted) return error("expected a number");
    if (op == Op::match) return error("~ matches strings");
    return std::function<bool(const T&)>([op, v = *v](const T& x) { return compare(op, static_cast<double>(x), v); });
  } else if constexpr (std::is_same_v<T, Timestamp>) {
    const auto v = parse_rfc3339(c.value);
    if (!v) return error("expected an RFC 3339 time such as 2026-11-01T00:00:00Z");
    if (op == Op::match) return error("~ matches strings");
    return std::function<bool(const T&)>([op, v = v->time](const T& t) { return compare(op, t.time, v); });
  } else if constexpr (std::is_same_v<T, Price>) {
    auto inner = value_test<double>(c);
    if (!inner.ok()) return inner.error();
    return std::function<bool(const T&)>([f = std::move(inner.value()), op](const T& p) {
      return p.value ? f(*p.value) : op == Op::ne;
    });
  } else if constexpr (std::is_same_v<T, std::vector<std::string>> || std::is_same_v<T, std::vector<std::int64_t>>) {
    using Item = typename T::value_type;
    if (op != Op::eq && op != Op::ne && !(op == Op::match && std::is_same_v<Item, std::string>)) {
      return error("a list takes == or != (contains or not), or ~ for a list of strings");
    }
    Condition item = c;
    if (op == Op::ne) item.op = "==";
    auto inner = value_test<Item>(item);
    if (!inner.ok()) return inner.error();
    return std::function<bool(const T&)>([f = std::move(inner.value()), op](const T& list) {
      const bool any = std::any_of(list.begin(), list.end(), f);
      return op == Op::ne ? !any : any;
    });
  } else {
    return error("this field cannot be filtered on (a map of numbers)");
  }
}

template <class Record>
Result<Test<Record>> bind_conditions(const std::vector<Condition>& conditions) {
  std::vector<Test<Record>> tests;
  for (const Condition& c : conditions) {
    std::optional<Result<Test<Record>>> found;
    std::vector<std::string> names;
    Record::describe([&](std::string_view name, auto member, std::string_view) {
      names.emplace_back(name);
      if (name != c.field || found) return;
      using Member = std::remove_cvref_t<decltype(std::declval<const Record&>().*member)>;
      const Op op = op_of(c.op);
      if (c.value == "null" && !c.quoted) {
        if (op != Op::eq && op != Op::ne) {
          found = Error(ErrorCode::usage, fmt::format("filter: '{} {} null': null takes == or !=", c.field, c.op));
          return;
        }
        const bool want_null = op == Op::eq;
        if constexpr (is_optional<Member>::value) {
          found = Test<Record>([member, want_null](const Record& r) { return !(r.*member).has_value() == want_null; });
        } else if constexpr (std::is_same_v<Member, Price>) {
          found = Test<Record>([member, want_null](const Record& r) { return !(r.*member).value.has_value() == want_null; });
        } else {
          found = Test<Record>([want_null](const Record&) { return !want_null; });  // never null
        }
        return;
      }
      if constexpr (is_optional<Member>::value) {
        auto t = value_test<typename Member::value_type>(c);
        if (!t.ok()) {
          found = t.error();
          return;
        }
        found = Test<Record>([member, f = std::move(t.value()), op](const Record& r) {
          return (r.*member).has_value() ? f(*(r.*member)) : op == Op::ne;
        });
      } else {
        auto t = value_test<Member>(c);
        if (!t.ok()) {
          found = t.error();
          return;
        }
        found = Test<Record>([member, f = std::move(t.value())](const Record& r) { return f(r.*member); });
      }
    });
    if (!found) {
      std::string message = fmt::format("filter: the input has no field '{}'", c.field);
      if (auto close = config::nearest(c.field, names)) message += fmt::format("; did you mean '{}'?", *close);
      return Error(ErrorCode::usage, message);
    }
    if (!found->ok()) return found->error();
    tests.push_back(std::move(found->value()));
  }
  return Test<Record>([tests = std::move(tests)](const Record& r) {
    return std::all_of(tests.begin(), tests.end(), [&](const Test<Record>& t) { return t(r); });
  });
}

class FilterTransform final : public Transform {
 public:
  explicit FilterTransform(std::function<void(RecordVector&)> apply) : apply_(std::move(apply)) {}
  void apply(RecordVector& records) const override { apply_(records); }

 private:
  std::function<void(RecordVector&)> apply_;
};

}  // namespace

std::optional<Condition> parse_condition(const std::string& text, std::string& why) {
  static const std::regex kCondition(R"(^\s*([a-z_][a-z0-9_]*)\s*(==|!=|<=|>=|<|>|~)\s*(.*?)\s*$)");
  std::smatch m;
  if (!std::regex_match(text, m, kCondition)) {
    why = "'" + text + "' is not FIELD OP VALUE (OP one of == != < <= > >= ~)";
    return std::nullopt;
  }
  Condition c{m[1], m[2], m[3], false};
  if (c.value.size() >= 2 && (c.value.front() == '\'' || c.value.front() == '"') && c.value.back() == c.value.front()) {
    c.value = c.value.substr(1, c.value.size() - 2);
    c.quoted = true;
  }
  if (c.value.empty() && !c.quoted) {
    why = "'" + text + "' has no value";
    return std::nullopt;
  }
  return c;
}

std::optional<std::string> FilterOptions::check_condition(const std::string& text) {
  std::string why;
  if (parse_condition(text, why)) return std::nullopt;
  return why;
}

std::optional<config::OptionProblem> FilterOptions::validate() const {
  if (where.empty()) return config::OptionProblem{"where", "a filter needs at least one condition"};
  return std::nullopt;
}

Result<std::shared_ptr<const Transform>> bind_filter(const std::vector<std::string>& where, Dataset input) {
  std::vector<Condition> conditions;
  for (const auto& text : where) {
    std::string why;
    auto c = parse_condition(text, why);
    if (!c) return Error(ErrorCode::usage, "filter: " + why);
    conditions.push_back(std::move(*c));
  }
  return visit_record_type(input, [&](const auto* tag) -> Result<std::shared_ptr<const Transform>> {
    using Record = std::remove_cvref_t<decltype(*tag)>;
    auto test = bind_conditions<Record>(conditions);
    if (!test.ok()) return test.error();
    return std::shared_ptr<const Transform>(std::make_shared<const FilterTransform>(
        [test = std::move(test.value())](RecordVector& records) {
          if (auto* rows = std::get_if<std::vector<Record>>(&records)) {
            std::erase_if(*rows, [&](const Record& r) { return !test(r); });
          }
        }));
  });
}

}  // namespace pricepipe::stages
