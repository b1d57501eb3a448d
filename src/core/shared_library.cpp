#include "core/shared_library.h"

#include <dlfcn.h>

#include "core/error.h"

namespace pricepipe {

namespace {

std::string last_error() {
  const char* why = dlerror();
  return why != nullptr ? why : "no reason given";
}

}  // namespace

SharedLibrary::SharedLibrary(const char* soname, const char* package) : soname_(soname), package_(package) {
  handle_ = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle_ == nullptr) {
    throw FatalError(ErrorCode::internal, "cannot load " + soname_ + " (Debian package " + package_ + "): " + last_error());
  }
}

void* SharedLibrary::address(const char* name) const {
  dlerror();
  void* f = dlsym(handle_, name);
  if (f == nullptr) {
    throw FatalError(ErrorCode::internal,
                     soname_ + " (Debian package " + package_ + ") has no " + name + ": " + last_error());
  }
  return f;
}

}  // namespace pricepipe
