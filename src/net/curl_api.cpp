#include "net/curl_api.h"

#include "core/shared_library.h"

namespace pricepipe::net {

const CurlApi& curl() {
  static const CurlApi api = [] {
    static const SharedLibrary lib("libcurl.so.4", "libcurl4");
    CurlApi a{};
    lib.resolve(a.global_init, "curl_global_init");
    lib.resolve(a.easy_strerror, "curl_easy_strerror");
    lib.resolve(a.easy_init, "curl_easy_init");
    lib.resolve(a.easy_cleanup, "curl_easy_cleanup");
    lib.resolve(a.easy_reset, "curl_easy_reset");
    lib.resolve(a.easy_setopt, "curl_easy_setopt");
    lib.resolve(a.easy_getinfo, "curl_easy_getinfo");
    lib.resolve(a.easy_pause, "curl_easy_pause");
    lib.resolve(a.slist_append, "curl_slist_append");
    lib.resolve(a.slist_free_all, "curl_slist_free_all");
    lib.resolve(a.multi_init, "curl_multi_init");
    lib.resolve(a.multi_setopt, "curl_multi_setopt");
    lib.resolve(a.multi_add_handle, "curl_multi_add_handle");
    lib.resolve(a.multi_remove_handle, "curl_multi_remove_handle");
    lib.resolve(a.multi_perform, "curl_multi_perform");
    lib.resolve(a.multi_poll, "curl_multi_poll");
    lib.resolve(a.multi_wakeup, "curl_multi_wakeup");
    lib.resolve(a.multi_timeout, "curl_multi_timeout");
    lib.resolve(a.multi_info_read, "curl_multi_info_read");
    lib.resolve(a.multi_cleanup, "curl_multi_cleanup");
    return a;
  }();
  return api;
}

}  // namespace pricepipe::net
