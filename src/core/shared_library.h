// A shared library loaded when first used (dlopen), for the few that pull
// most of the process's start-up: libcurl (32 libraries with it on Debian:
// HTTP/2, TLS, LDAP, Kerberos, SSH) and libpq (24 of the same). A command
// that sends nothing (`--help`, `schema`, `snapshot ls`) loads neither.
//
// Contract: `open` loads the library once per process (thread-safe, as
// dlopen is) and resolves every symbol a caller asks for at once; a missing
// library or symbol is a FatalError naming it, the Debian package that has
// it, and dlerror()'s words.
#pragma once

#include <string>

namespace pricepipe {

class SharedLibrary {
 public:
  /// `soname` (libcurl.so.4), or throws; `package` is named in the error.
  SharedLibrary(const char* soname, const char* package);
  SharedLibrary(const SharedLibrary&) = delete;
  SharedLibrary& operator=(const SharedLibrary&) = delete;

  /// Sets `f` (a function pointer) to the library's function `name`.
  template <class F>
  void resolve(F& f, const char* name) const {
    f = reinterpret_cast<F>(address(name));
  }

 private:
  void* address(const char* name) const;
  std::string soname_, package_;
  void* handle_ = nullptr;
};

}  // namespace pricepipe
