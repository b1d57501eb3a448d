#include "cli/flags.h"

#include <fmt/format.h>

namespace pricepipe::cli {

std::string help_of(const config::OptionDecl& d) {
  std::string out = d.help;
  if (!d.choices.empty() && d.help.find(d.choices.front()) == std::string::npos) {
    out += fmt::format(" One of: {}.", fmt::join(d.choices, ", "));
  }
  if (!d.default_text.empty()) out += fmt::format(" Default: {}.", d.default_text);
  if (!d.env.empty()) out += fmt::format(" Env: {}.", d.env);
  return out;
}

void FlagValues::bind(CLI::App& app, const std::vector<config::OptionDecl>& decls) {
  for (const auto& d : decls) {
    Bound& b = bound_.emplace_back();
    b.decl = d;
    const std::string help = help_of(d);
    if (d.type == config::OptionType::boolean || d.type == config::OptionType::count) {
      b.option = app.add_flag(d.flag, b.count, help);
    } else {
      b.option = app.add_option(d.flag, b.values, help)->expected(1)->allow_extra_args(false);
      const char* type = d.type == config::OptionType::integer  ? "N"
                         : d.type == config::OptionType::number ? "NUMBER"
                         : d.choices.empty()                    ? "TEXT"
                                                                : "CHOICE";
      b.option->type_name(d.placeholder.empty() ? std::string(type) : d.placeholder);
    }
  }
}

std::vector<std::pair<std::string, config::Value>> FlagValues::given() const {
  std::vector<std::pair<std::string, config::Value>> out;
  for (const auto& b : bound_) {
    if (b.option->count() == 0) continue;
    config::Location at;
    at.origin = "command line";
    at.name = b.decl.long_flag();
    config::Value v;
    switch (b.decl.type) {
      case config::OptionType::boolean: v = config::Value::of("true", at); break;
      case config::OptionType::count: v = config::Value::of(std::to_string(b.count), at); break;
      case config::OptionType::string_list: v = config::Value::list(b.values, at); break;
      default: v = config::Value::of(b.values.back(), at);
    }
    v.key_at = at;
    out.emplace_back(b.decl.key, std::move(v));
  }
  return out;
}

}  // namespace pricepipe::cli
